#![no_main]
//! Arbitrary bytes as a sealed entry, opened with a fixed label secret (as a client does with
//! every copy a bookkeeper serves): never a panic, and nothing opens without the secret it was
//! sealed for (a forgery would need the secret and a Poly1305 forgery).

use libfuzzer_sys::fuzz_target;
use tally_confidential::{open, LabelSecret, Sealed};

fuzz_target!(|data: &[u8]| {
    let secret = LabelSecret::from_bytes([7; 16]);
    if let Ok(sealed) = Sealed::parse(data) {
        let _ = sealed.labels();
        assert!(sealed.open_exact(std::slice::from_ref(&secret), &[], &[0; 32]).is_err());
    }
    assert!(open(data, &[secret]).is_err());
});
