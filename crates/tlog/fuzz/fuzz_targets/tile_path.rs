#![no_main]
//! Arbitrary text as a tile path: a path that parses has exactly one spelling.

use libfuzzer_sys::fuzz_target;
use tally_tlog::tiles::{decode_entry_bundle, TilePath};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(t) = TilePath::parse(s) {
            assert_eq!(t.path(), s);
        }
    }
    let _ = decode_entry_bundle(data);
});
