#![no_main]
//! Arbitrary bytes as a bookkeeper's `/history` answer: never a panic, and what parses is
//! bounded (entries, proof lengths) whatever the answer claims.

use libfuzzer_sys::fuzz_target;
use tally_client::evidence::{parse_history, MAX_HISTORY_ENTRIES};

fuzz_target!(|data: &[u8]| {
    for old in [0, 7] {
        if let Ok(ev) = parse_history("bk1", data, old) {
            assert!(ev.entries.len() <= MAX_HISTORY_ENTRIES);
            assert!(ev.entries.iter().all(|e| e.proof.len() <= 64));
            assert!(old > 0 || ev.consistency.is_none());
        }
    }
});
