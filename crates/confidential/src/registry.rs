//! The secrets a sealed registry record is opened with: who may read which participant.
//!
//! In a confidential network the registry (members, their GLNs and places, device keys, roles,
//! entitlements) is sealed like the events, because the membership list and each member's sites
//! are trade data too. Three kinds of reader need parts of it, and each already knows something
//! an anonymous reader does not:
//!
//! - **Members** (bookkeepers, warehouse devices, gateways, auditors) hold the network's
//!   *registry secret*, a random [`LabelSecret`] governance hands each member with the policy
//!   (never in it: the policy is public). Every record is sealed for it, so a member reads the
//!   whole registry as today.
//! - **Holders of a product** learn a device key from each event their label opens (its
//!   signer). [`subject_secret`] of that key opens the device's certification; the key of the
//!   organisation that signed it opens the organisation's registration and revocations. So a
//!   holder reads exactly the participants of its product's story, as a verdict needs.
//! - **Whoever reads a signed label** (GS1 AI 8030) knows its GTIN, so its company prefix.
//!   [`prefix_secret`] of the prefix opens the brand's registration, and the brand's key its
//!   label printers' certifications: how a phone checks a label offline.
//!
//! These two derived secrets protect nothing from someone who knows the key or the prefix: they
//! are capabilities that follow what a reader already knows, never secrets of their own. A
//! public key is never served in the clear (it is inside sealed entries only), so an anonymous
//! reader holds none; a company prefix is public (GS1 publishes who owns it), so what it opens is
//! only what a brand shows on every label: its name and the keys that sign its labels.
//!
//! Alternative considered: wrapping each record with HPKE for each member. That needs every
//! member's X25519 key in the registry (which is what is being hidden) and a re-seal of the whole
//! registry at each new member; one shared secret per network is what consortia use (Hyperledger
//! Fabric's channel keys), at the cost that a former member keeps what it read until governance
//! rotates the secret ([`registry_secrets`]).

use crate::{LabelSecret, SecretError};
use hkdf::Hkdf;
use sha2::Sha256;

const SUBJECT_INFO: &[u8] = b"tally/registry-subject/v1\n";
const PREFIX_INFO: &[u8] = b"tally/registry-prefix/v1\n";

/// The registry secrets of a registry secret file: one per line, the newest first (blank lines
/// ignored). Governance rotates the secret by giving its members a file with a new first line:
/// records are sealed for the newest from then on, and a former member, who kept only the old
/// ones, reads nothing logged after. The older lines open what was logged before.
pub fn registry_secrets(text: &str) -> Result<Vec<LabelSecret>, SecretError> {
    (text.lines().map(str::trim))
        .filter(|l| !l.is_empty())
        .map(LabelSecret::parse)
        .collect()
}

/// The secret that opens the registry records about Ed25519 key `key` (a device's
/// certification, an organisation's registration, a revocation of it): HKDF-SHA256 with `key` as
/// input keying material, no salt, info `"tally/registry-subject/v1\n"`, 16 bytes.
pub fn subject_secret(key: &[u8; 32]) -> LabelSecret {
    derive(key, SUBJECT_INFO)
}

/// The secret that opens the registration of the brand licensed GS1 company prefix `prefix`
/// (its digits), and through it the brand's label printers: HKDF-SHA256 of the prefix's ASCII
/// digits, info `"tally/registry-prefix/v1\n"`, 16 bytes.
pub fn prefix_secret(prefix: &str) -> LabelSecret {
    derive(prefix.as_bytes(), PREFIX_INFO)
}

fn derive(ikm: &[u8], info: &[u8]) -> LabelSecret {
    let mut out = [0; LabelSecret::LEN];
    Hkdf::<Sha256>::new(None, ikm)
        .expand(info, &mut out)
        .expect("16 bytes is a valid HKDF-SHA256 length");
    LabelSecret::from_bytes(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with Python's `cryptography` package:
    /// `HKDF(SHA256(), 16, None, b"tally/registry-subject/v1\n").derive(bytes(range(32)))`, and
    /// the same with info `b"tally/registry-prefix/v1\n"` over `b"9506000100"`.
    #[test]
    fn matches_an_independent_hkdf() {
        let key: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(hex::encode(subject_secret(&key).as_bytes()), SUBJECT_VECTOR);
        assert_eq!(
            hex::encode(prefix_secret("9506000100").as_bytes()),
            PREFIX_VECTOR
        );
    }

    const SUBJECT_VECTOR: &str = "43bf37c4780cd61893333e31e93b63c7";
    const PREFIX_VECTOR: &str = "e4b74c0e2a58ce4b5343f4a9a47680b5";

    #[test]
    fn a_secret_file_lists_the_newest_first_and_refuses_a_bad_line() {
        let (new, old) = (
            LabelSecret::from_bytes([2; 16]),
            LabelSecret::from_bytes([1; 16]),
        );
        let text = format!("{new}\n\n  {old}  \n");
        assert_eq!(registry_secrets(&text).unwrap(), vec![new, old]);
        assert!(registry_secrets("not a secret\n").is_err());
        assert!(registry_secrets("").unwrap().is_empty());
    }

    #[test]
    fn secrets_differ_by_key_and_by_kind() {
        let a = subject_secret(&[1; 32]);
        assert!(a != subject_secret(&[2; 32]));
        assert!(prefix_secret("9506000100") != prefix_secret("9506000101"));
        // A prefix and a key with the same bytes do not share a secret.
        let digits = *b"95060001009506000100950600010095";
        assert!(subject_secret(&digits) != prefix_secret(std::str::from_utf8(&digits).unwrap()));
    }
}
