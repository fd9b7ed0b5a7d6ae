//! Keyed lookup keys: where a bookkeeper files a sealed entry, computable only with the label.

use crate::LabelSecret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What every keyed lookup key starts with, so a bookkeeper tells them from plain keys.
pub const LOOKUP_PREFIX: &str = "k1.";

const CONTEXT: &[u8] = b"tally/lookup/v1\n";

/// The keyed form of plain lookup key `plain` (a canonical Digital Link, `units:<lot>`,
/// `serials:<scope>`, `event:<hash ID>`) under `secret`: `k1.` and the first 16 bytes of
/// HMAC-SHA256(secret, "tally/lookup/v1\n" ‖ plain), base64url.
///
/// Why a keyed hash: serials are often sequential and GTINs are public, so a plain hash of an
/// identifier is a dictionary lookup away from the identifier. 128 bits keep keys short in the
/// index and still leave collisions out of reach.
pub fn lookup_key(secret: &LabelSecret, plain: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key size");
    mac.update(CONTEXT);
    mac.update(plain.as_bytes());
    let tag = mac.finalize().into_bytes();
    format!("{LOOKUP_PREFIX}{}", URL_SAFE_NO_PAD.encode(&tag[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with Python's standard library:
    /// `hmac.new(bytes(range(16)), b"tally/lookup/v1\n" + key.encode(), "sha256").digest()[:16]`.
    #[test]
    fn matches_an_independent_hmac() {
        let s = LabelSecret::from_bytes(core::array::from_fn(|i| i as u8));
        let key = lookup_key(&s, "https://id.gs1.org/01/09506000134352/21/C0001");
        let tag = URL_SAFE_NO_PAD.decode(&key[3..]).unwrap();
        assert_eq!(hex::encode(tag), PYTHON_VECTOR);
    }

    const PYTHON_VECTOR: &str = "4fa86643f33128e7a82a4f4100afbbde";

    #[test]
    fn keys_differ_by_secret_and_by_key() {
        let a = LabelSecret::from_bytes([1; 16]);
        let b = LabelSecret::from_bytes([2; 16]);
        let k = "units:https://id.gs1.org/01/09506000134352/10/L1";
        assert!(lookup_key(&a, k).starts_with(LOOKUP_PREFIX));
        assert_eq!(lookup_key(&a, k).len(), 3 + 22);
        assert_ne!(lookup_key(&a, k), lookup_key(&b, k));
        assert_ne!(lookup_key(&a, k), lookup_key(&a, &format!("{k}x")));
    }
}
