#![no_main]
//! Arbitrary bytes as a C2SP entry bundle (what `/submit-bundle` and tiles carry): never a
//! panic, and a bundle that decodes encodes back to the same bytes.

use libfuzzer_sys::fuzz_target;
use tally_tlog::tiles::{decode_entry_bundle, encode_entry_bundle};

fuzz_target!(|data: &[u8]| {
    if let Some(entries) = decode_entry_bundle(data) {
        assert_eq!(encode_entry_bundle(entries.iter().copied()).as_deref(), Some(data));
    }
});
