#![no_main]
//! Arbitrary bytes as a c2sp.org/tlog-proof file: never a panic, and a file that parses must
//! write back to the same bytes (one file, one meaning).

use libfuzzer_sys::fuzz_target;
use tally_tlog::TlogProof;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = TlogProof::parse(data) {
        assert_eq!(p.to_bytes(), data);
    }
});
