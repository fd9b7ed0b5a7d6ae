#![no_main]
//! Arbitrary bytes as a checkpoint body and as a signed checkpoint: never a panic, and a body that
//! parses must format back to the same bytes.

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use tally_tlog::{checkpoint, KeyType, SignerKey, VerifierKey};

static KEYS: LazyLock<(VerifierKey, Vec<VerifierKey>)> = LazyLock::new(|| {
    let log = SignerKey::from_seed("example.com/log", KeyType::Ed25519, &[1; 32]).unwrap();
    let w = SignerKey::from_seed("witness", KeyType::Cosignature, &[2; 32]).unwrap();
    (log.verifier(), vec![w.verifier()])
});

fuzz_target!(|data: &[u8]| {
    if let Ok(cp) = checkpoint::parse(data) {
        assert_eq!(cp.to_bytes(), data);
    }
    let (log, witnesses) = &*KEYS;
    let _ = checkpoint::verify(data, log, witnesses, 1);
});
