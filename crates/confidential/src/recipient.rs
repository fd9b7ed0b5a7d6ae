//! Recipients: parties entitled to read sealed entries without holding a label — an auditor or a
//! food-safety regulator, entitled by a governance-signed registry record — to whom each entry's
//! content key is wrapped with HPKE (RFC 9180: base mode, DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, ChaCha20-Poly1305; the `hpke` crate).
//!
//! A bookkeeper must be able to check that a device really wrapped the key for every entitled
//! recipient, or a company could hide its events from its regulator. It cannot decrypt the wrap,
//! but it knows the content key (it opened the entry with the label), so the device hands it the
//! 32-byte seed its HPKE ephemeral key was drawn from: the bookkeeper wraps again from that seed
//! and compares the bytes. A wrap carries the entry's content key and the key of its withheld
//! part (the fields the brand keeps from label holders): a recipient reads the whole event. The seed lets the bookkeeper open that one wrap, which tells it
//! nothing it did not know.

use crate::rewrap::{self, Multiples};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use rand_core::{CryptoRngCore, SeedableRng};
use std::fmt;
use std::sync::{Arc, OnceLock};
use subtle::ConstantTimeEq as _;
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

type Kem = X25519HkdfSha256;

const PUBLIC_PREFIX: &str = "tally-recipient:";
const SECRET_PREFIX: &str = "tally-recipient-secret:";
const INFO: &[u8] = b"tally/recipient/v1\n";

/// What a recipient wrap carries: an entry's content key and the key of its withheld part.
pub(crate) type Keys = [u8; 64];
/// A recipient wrap: the HPKE encapsulated key and the sealed keys.
pub const RECIPIENT_WRAP: usize = 32 + 64 + 16;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RecipientError {
    #[error("a recipient key is \"{PUBLIC_PREFIX}\" and 43 base64url characters")]
    BadKey,
    #[error("a recipient secret is \"{SECRET_PREFIX}\" and 43 base64url characters")]
    BadSecret,
}

/// A recipient's public key (X25519), as a registry record names it.
///
/// Compared, ordered and hashed by its bytes alone.
#[derive(Clone)]
pub struct RecipientKey {
    bytes: [u8; 32],
    /// Its precomputed multiples, built on the first check of a wrap for it, for keys from a
    /// trusted source only ([`RecipientKey::precomputing`]): a table costs ~1.2 ms, so a key
    /// anyone may send must not get one.
    multiples: Option<Arc<OnceLock<Option<Multiples>>>>,
}

impl PartialEq for RecipientKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for RecipientKey {}

impl PartialOrd for RecipientKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RecipientKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl std::hash::Hash for RecipientKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state)
    }
}

/// A recipient's private key.
pub struct RecipientSecret([u8; 32]);

impl Drop for RecipientSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

fn parse32(text: &str, prefix: &str) -> Option<[u8; 32]> {
    let b = URL_SAFE_NO_PAD
        .decode(text.trim().strip_prefix(prefix)?)
        .ok()?;
    b.try_into().ok()
}

impl RecipientKey {
    pub fn parse(text: &str) -> Result<Self, RecipientError> {
        Self::from_bytes(parse32(text, PUBLIC_PREFIX).ok_or(RecipientError::BadKey)?)
    }

    /// The raw X25519 public key.
    pub fn from_bytes(b: [u8; 32]) -> Result<Self, RecipientError> {
        <Kem as hpke::Kem>::PublicKey::from_bytes(&b).map_err(|_| RecipientError::BadKey)?;
        Ok(RecipientKey {
            bytes: b,
            multiples: None,
        })
    }

    /// This key, from a trusted source (a registry record), whose wraps are checked often: its
    /// multiples are precomputed on its first check and kept by every clone ([`crate::rewrap`]).
    pub fn precomputing(self) -> Self {
        RecipientKey {
            multiples: Some(Arc::default()),
            ..self
        }
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    fn hpke(&self) -> <Kem as hpke::Kem>::PublicKey {
        <Kem as hpke::Kem>::PublicKey::from_bytes(&self.bytes).expect("checked when parsed")
    }

    pub(crate) fn multiples(&self) -> Option<&Multiples> {
        let cell = self.multiples.as_ref()?;
        cell.get_or_init(|| Multiples::of(&self.bytes)).as_ref()
    }
}

impl fmt::Display for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", URL_SAFE_NO_PAD.encode(self.bytes))
    }
}

impl fmt::Debug for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Never printed by accident: it names only the public half.
impl fmt::Debug for RecipientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecipientSecret(for {})", self.public())
    }
}

impl RecipientSecret {
    /// A new key pair.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut ikm = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut *ikm);
        let (sk, _) = Kem::derive_keypair(&*ikm);
        RecipientSecret(sk.to_bytes().into())
    }

    pub fn parse(text: &str) -> Result<Self, RecipientError> {
        let b = parse32(text, SECRET_PREFIX).ok_or(RecipientError::BadSecret)?;
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&b).map_err(|_| RecipientError::BadSecret)?;
        Ok(RecipientSecret(b))
    }

    /// The text form, for the recipient's key file only.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(self.0)))
    }

    pub fn public(&self) -> RecipientKey {
        let pk = Kem::sk_to_pk(&self.hpke());
        RecipientKey::from_bytes(pk.to_bytes().into()).expect("a public key")
    }

    fn hpke(&self) -> <Kem as hpke::Kem>::PrivateKey {
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&self.0).expect("checked when parsed")
    }
}

/// An entry's keys wrapped for `to`, with the ephemeral key drawn from `seed` (so the same seed
/// gives the same bytes: how a bookkeeper checks it). `nonce` binds the wrap to its entry.
pub(crate) fn wrap(
    to: &RecipientKey,
    key: &Keys,
    nonce: &[u8],
    seed: [u8; 32],
) -> [u8; RECIPIENT_WRAP] {
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
    let info = [INFO, nonce].concat();
    // The `hpke` crate makes every wrap; only a bookkeeper's check takes the faster path.
    let (enc, ct) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
        &OpModeS::Base,
        &to.hpke(),
        &info,
        key,
        &[],
        &mut rng,
    )
    .expect("X25519 encapsulation to a valid public key");
    let mut out = [0; RECIPIENT_WRAP];
    out[..32].copy_from_slice(&enc.to_bytes());
    out[32..].copy_from_slice(&ct);
    out
}

/// Whether `wrap` is the wrap of `key` for `to` from `seed`: a bookkeeper's check that a device
/// wrapped an entry for its regulator. With `to`'s multiples at hand, it is re-run by
/// [`crate::rewrap`], else by the `hpke` crate.
pub(crate) fn is_wrap(
    wrapped: &[u8; RECIPIENT_WRAP],
    to: &RecipientKey,
    key: &Keys,
    nonce: &[u8],
    seed: [u8; 32],
) -> bool {
    let again = match to.multiples() {
        Some(m) => rewrap::wrap(&to.bytes, m, key, &[INFO, nonce].concat(), seed),
        None => wrap(to, key, nonce, seed),
    };
    again.ct_eq(wrapped).into()
}

/// The keys in `wrap`, if it was wrapped for `me`.
pub(crate) fn unwrap(
    me: &RecipientSecret,
    wrap: &[u8; RECIPIENT_WRAP],
    nonce: &[u8],
) -> Option<Zeroizing<Keys>> {
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&wrap[..32]).ok()?;
    let info = [INFO, nonce].concat();
    let key = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &me.hpke(),
        &enc,
        &info,
        &wrap[32..],
        &[],
    )
    .ok()?;
    Some(Zeroizing::new(key.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn text_forms_round_trip_and_a_wrap_opens_for_its_recipient_only() {
        let me = RecipientSecret::generate(&mut OsRng);
        let key = me.public();
        assert_eq!(RecipientKey::parse(&key.to_string()), Ok(key.clone()));
        assert!(key.to_string().starts_with(PUBLIC_PREFIX));
        let again = RecipientSecret::parse(&me.to_secret_string()).unwrap();
        assert_eq!(again.public(), key);
        assert_eq!(
            RecipientKey::parse("tally-recipient:short"),
            Err(RecipientError::BadKey)
        );
        let content = [9u8; 64];
        let w = wrap(&key, &content, b"nonce", [1; 32]);
        assert_eq!(
            w,
            wrap(&key, &content, b"nonce", [1; 32]),
            "a seed gives one wrap"
        );
        assert_ne!(w, wrap(&key, &content, b"nonce", [2; 32]));
        assert_eq!(*unwrap(&me, &w, b"nonce").unwrap(), content);
        assert!(unwrap(&me, &w, b"other").is_none(), "bound to its entry");
        let stranger = RecipientSecret::generate(&mut OsRng);
        assert!(unwrap(&stranger, &w, b"nonce").is_none());
    }
}
