//! A bookkeeper's re-run of a recipient wrap, at a third of the cost of running it through the
//! `hpke` crate.
//!
//! Checking that a device wrapped an entry's keys for an entitled regulator means wrapping them
//! again from the device's seed: HPKE's DHKEM(X25519, HKDF-SHA256) encapsulation, then its key
//! schedule and one ChaCha20-Poly1305 seal (RFC 9180 §4.1, §5.1, §7.1.3, base mode). The `hpke`
//! crate does that with an X25519 Montgomery ladder against the recipient's key (~55 µs on this
//! machine): the most expensive step of admitting a sealed entry. A bookkeeper multiplies by the
//! same few entitled keys all day, so it precomputes each one's multiples once ([`Multiples`],
//! curve25519-dalek's fixed-base table, ~30 KB, ~1.2 ms to build) and multiplies with the table
//! instead (~17 µs).
//!
//! That needs the encapsulation's shared secret, which the `hpke` crate does not expose, so this
//! module writes the RFC's steps out with the same primitives (curve25519-dalek, `hkdf`,
//! `chacha20poly1305`). It only ever *checks*: devices wrap, and recipients open, with the `hpke`
//! crate, and the tests hold the two byte for byte to each other. Only keys in the prime-order
//! subgroup get a table (every key a [`crate::RecipientSecret`] makes is one); for any other the
//! answer would differ from X25519's, so those stay on the ladder.

use crate::recipient::{Keys, RECIPIENT_WRAP};
use chacha20poly1305::aead::{Aead as _, KeyInit as _};
use chacha20poly1305::ChaCha20Poly1305;
use curve25519_dalek::edwards::{EdwardsBasepointTable, EdwardsPoint};
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::traits::BasepointTable as _;
use hkdf::{Hkdf, HkdfExtract};
use rand_core::{RngCore as _, SeedableRng as _};
use sha2::Sha256;
use zeroize::Zeroizing;

/// RFC 9180 §4: the label every labelled extract and expand starts with.
const VERSION: &[u8] = b"HPKE-v1";
/// `"KEM" || I2OSP(kem_id, 2)` for DHKEM(X25519, HKDF-SHA256), kem_id 0x0020.
const KEM_SUITE: &[u8] = b"KEM\x00\x20";
/// `"HPKE" || kem_id || kdf_id || aead_id`: HKDF-SHA256 (0x0001), ChaCha20Poly1305 (0x0003).
const HPKE_SUITE: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x03";
/// Base mode (RFC 9180 §5).
const MODE_BASE: u8 = 0x00;

/// A recipient key's precomputed multiples.
pub(crate) struct Multiples(EdwardsBasepointTable);

impl Multiples {
    /// The table for an X25519 public key, if it is a point of the prime-order subgroup (where a
    /// multiple's u-coordinate is X25519's whichever of the two Edwards points is taken).
    pub(crate) fn of(key: &[u8; 32]) -> Option<Self> {
        let point = MontgomeryPoint(*key).to_edwards(0)?;
        point
            .is_torsion_free()
            .then(|| Multiples(EdwardsBasepointTable::create(&point)))
    }
}

/// The wrap `crate::recipient::wrap` makes for `to` (with these multiples) from `seed`.
pub(crate) fn wrap(
    to: &[u8; 32],
    multiples: &Multiples,
    keys: &Keys,
    info: &[u8],
    seed: [u8; 32],
) -> [u8; RECIPIENT_WRAP] {
    // The `hpke` crate draws the ephemeral key's 32 bytes of input keying material from the RNG.
    let mut ikm = Zeroizing::new([0u8; 32]);
    rand_chacha::ChaCha20Rng::from_seed(seed).fill_bytes(&mut *ikm);
    let secret = derive_secret(&*ikm);
    let enc = EdwardsPoint::mul_base_clamped(*secret).to_montgomery().0;
    let dh = Zeroizing::new(multiples.0.mul_base_clamped(*secret).to_montgomery().0);
    let shared = shared_secret(&dh, &enc, to);
    let (key, nonce) = key_schedule(&shared, info);
    let sealed = ChaCha20Poly1305::new((&*key).into())
        .encrypt((&nonce).into(), keys.as_slice())
        .expect("64 bytes fit ChaCha20-Poly1305");
    let mut out = [0; RECIPIENT_WRAP];
    out[..32].copy_from_slice(&enc);
    out[32..].copy_from_slice(&sealed);
    out
}

/// `LabeledExtract(salt, label, ikm)` (RFC 9180 §4) under `suite`: a pseudorandom key.
fn labeled_extract(suite: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut extract = HkdfExtract::<Sha256>::new(Some(salt));
    for part in [VERSION, suite, label, ikm] {
        extract.input_ikm(part);
    }
    Zeroizing::new(extract.finalize().0.into())
}

/// `LabeledExpand(prk, label, info, N)` (RFC 9180 §4) under `suite`.
fn labeled_expand<const N: usize>(
    prk: &[u8; 32],
    suite: &[u8],
    label: &[u8],
    info: &[u8],
) -> Zeroizing<[u8; N]> {
    let mut out = Zeroizing::new([0u8; N]);
    let length = (N as u16).to_be_bytes();
    Hkdf::<Sha256>::from_prk(prk)
        .expect("a 32-byte PRK")
        .expand_multi_info(&[&length, VERSION, suite, label, info], &mut *out)
        .expect("N is at most 32");
    out
}

/// `DeriveKeyPair(ikm)` for X25519 (RFC 9180 §7.1.3): the private key (clamped when used).
fn derive_secret(ikm: &[u8]) -> Zeroizing<[u8; 32]> {
    let prk = labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm);
    labeled_expand(&prk, KEM_SUITE, b"sk", b"")
}

/// `ExtractAndExpand(dh, enc || pkRm)` (RFC 9180 §4.1).
fn shared_secret(dh: &[u8; 32], enc: &[u8; 32], to: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh);
    labeled_expand(&prk, KEM_SUITE, b"shared_secret", &[&enc[..], to].concat())
}

/// The base-mode key schedule (RFC 9180 §5.1), no PSK: the AEAD key and base nonce.
fn key_schedule(shared: &[u8; 32], info: &[u8]) -> (Zeroizing<[u8; 32]>, [u8; 12]) {
    let mut context = [0u8; 65];
    context[0] = MODE_BASE;
    context[1..33].copy_from_slice(&*labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b""));
    context[33..].copy_from_slice(&*labeled_extract(HPKE_SUITE, b"", b"info_hash", info));
    let secret = labeled_extract(HPKE_SUITE, shared, b"secret", b"");
    let key = labeled_expand::<32>(&secret, HPKE_SUITE, b"key", &context);
    let nonce = labeled_expand::<12>(&secret, HPKE_SUITE, b"base_nonce", &context);
    (key, *nonce)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipient::{is_wrap, wrap as hpke_wrap};
    use crate::{RecipientKey, RecipientSecret};
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use proptest::prelude::*;

    proptest! {
        /// The table's wrap is the `hpke` crate's, byte for byte, for any recipient, seed, keys
        /// and entry nonce.
        #[test]
        fn the_tables_wrap_is_the_hpke_crates(
            recipient in any::<[u8; 32]>(),
            seed in any::<[u8; 32]>(),
            keys in proptest::collection::vec(any::<u8>(), 64),
            nonce in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut rng = rand_chacha::ChaCha20Rng::from_seed(recipient);
            let to = RecipientSecret::generate(&mut rng).public();
            let keys: Keys = keys.try_into().unwrap();
            let multiples = Multiples::of(to.as_bytes()).expect("a prime-order key");
            let info = [b"tally/recipient/v1\n".as_slice(), &nonce].concat();
            let fast = wrap(to.as_bytes(), &multiples, &keys, &info, seed);
            prop_assert_eq!(fast, hpke_wrap(&to, &keys, &nonce, seed));
        }
    }

    #[test]
    fn a_precomputing_key_checks_wraps_as_strictly_as_the_ladder() {
        let me = RecipientSecret::generate(&mut rand_core::OsRng);
        let plain = me.public();
        let fast = plain.clone().precomputing();
        let keys = [5u8; 64];
        let w = hpke_wrap(&plain, &keys, b"entry", [3; 32]);
        for to in [&plain, &fast] {
            assert!(is_wrap(&w, to, &keys, b"entry", [3; 32]));
            assert!(!is_wrap(&w, to, &keys, b"entry", [4; 32]), "another seed");
            assert!(!is_wrap(&w, to, &keys, b"other", [3; 32]), "another entry");
            assert!(!is_wrap(&w, to, &[6; 64], b"entry", [3; 32]), "other keys");
            for i in [0, 31, 32, RECIPIENT_WRAP - 1] {
                let mut bad = w;
                bad[i] ^= 1;
                assert!(!is_wrap(&bad, to, &keys, b"entry", [3; 32]), "byte {i}");
            }
        }
        assert!(fast.multiples().is_some(), "the fast path was taken");
    }

    #[test]
    fn a_key_outside_the_prime_order_subgroup_stays_on_the_ladder() {
        let mixed = (ED25519_BASEPOINT_POINT * curve25519_dalek::Scalar::from(7u8)
            + EIGHT_TORSION[1])
            .to_montgomery();
        assert!(Multiples::of(&mixed.0).is_none());
        assert!(Multiples::of(&[0; 32]).is_none(), "the point of order 4");
        let to = RecipientKey::from_bytes(mixed.0).unwrap().precomputing();
        assert!(to.multiples().is_none());
        let w = hpke_wrap(&to, &[1; 64], b"entry", [2; 32]);
        assert!(is_wrap(&w, &to, &[1; 64], b"entry", [2; 32]));
    }
}
