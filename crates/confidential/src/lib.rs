//! Confidential entries: what lets a bookkeeper log trade events that only the holders of a
//! product can read, while every check of the verdict still runs on the device.
//!
//! Three pieces, each a published building block rather than new cryptography:
//!
//! - [`LabelSecret`]: a random 128-bit secret per lot (or pallet), printed on its label as a
//!   query parameter of the GS1 Digital Link ([`LABEL_PARAMETER`]). Whoever holds the product
//!   holds the secret; nobody else does.
//! - [`lookup_key`]: HMAC-SHA256 of a plain lookup key (a Digital Link, `units:<lot>`, …) under
//!   the label secret. Bookkeepers index sealed entries only under these, so a reader without the
//!   label cannot find a product's entries, nor enumerate a brand's serials by hashing guesses.
//! - [`seal`]/[`open`]: the log entry itself, encrypted (XChaCha20-Poly1305) under a random
//!   content key that is wrapped once per label secret it is sealed for ([`Sealed`]); padded so
//!   the length says little; key-committing, so every holder opens the same bytes.
//! - [`RecipientKey`]: an entitled auditor's or regulator's X25519 key; each entry's content key
//!   is also wrapped for it with HPKE (RFC 9180), in a way a bookkeeper can check ([`seal_for`]).
//!
//! Alternatives considered: a VRF (c2sp.org/vrf-r255) in place of the HMAC lets a bookkeeper
//! compute lookup keys without the label, but then the bookkeeper alone can answer, and every
//! query tells it what is scanned in the clear; HPKE (RFC 9180) wraps to a recipient's public
//! key, the tool for auditors and regulators (their entitlements), not for a shopper, who has no
//! key but the label.
//! - [`subject_secret`], [`prefix_secret`], [`registry_secrets`]: what a confidential
//!   network's sealed registry records are opened with (see the `registry` module).
//! - [`withhold`]/[`reveal`]: per-field salted commitments in the style of SD-JWT (RFC 9901): the
//!   fields a brand keeps from label holders (purchase orders, master data for partners) are
//!   replaced by digests before the event is signed, and their disclosures sealed in a part only
//!   recipients and the checking bookkeeper open. A holder still checks every custody rule: what
//!   those read is never withheld. Alternative: BBS signatures prove chosen fields without
//!   digests, but are still an IRTF draft (draft-irtf-cfrg-bbs-signatures) on pairing curves,
//!   where every device key today is Ed25519.

mod disclosure;
mod lookup;
mod recipient;
mod registry;
mod rewrap;
mod seal;
mod secret;
mod submission;

pub use disclosure::{
    reveal, withhold, withholdable, Disclosure, DisclosureError, Revealed, ALGORITHM, DECOY,
    DECOY_BUCKET, DIGESTS,
};
pub use lookup::{lookup_key, LOOKUP_PREFIX};
pub use recipient::{RecipientError, RecipientKey, RecipientSecret};
pub use registry::{prefix_secret, registry_secrets, subject_secret};
pub use seal::{
    open, open_as, seal, seal_for, Contents, Opened, RecipientSeed, SealError, Sealed, SealedEntry,
    WithheldKey, MAGIC as SEALED_MAGIC,
};
pub use secret::{LabelSecret, SecretError, LABEL_PARAMETER};
pub use submission::{Submission, SubmissionError};

/// The HTTP request header that carries a reader's label secrets to a bookkeeper (comma-separated
/// text forms): how a holder finds and opens its product's sealed entries. In a header, never in
/// the URL, which proxies and access logs keep.
pub const LABEL_SECRET_HEADER: &str = "tally-label-secret";

/// Whether `bytes` are a sealed entry (rather than a plain one).
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(SEALED_MAGIC)
}
