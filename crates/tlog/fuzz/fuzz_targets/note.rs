#![no_main]
//! Arbitrary bytes as a signed note, opened with known keys of both types, one by one and batched:
//! never a panic, and both paths must reach the same decision.

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use tally_tlog::{note, KeyType, SignerKey, VerifierKey};

static KEYS: LazyLock<Vec<VerifierKey>> = LazyLock::new(|| {
    [("log", KeyType::Ed25519, 1u8), ("witness", KeyType::Cosignature, 2u8)]
        .iter()
        .map(|(n, k, s)| SignerKey::from_seed(n, *k, &[*s; 32]).unwrap().verifier())
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let one = note::open(data, &KEYS);
    let batched = note::open_batched(data, &KEYS);
    assert_eq!(one.is_ok(), batched.is_ok());
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = VerifierKey::parse(s);
        let _ = SignerKey::parse(s);
    }
});
