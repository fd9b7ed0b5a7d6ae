#![no_main]
//! Arbitrary bytes as a log entry: never a panic; an entry that decodes re-encodes to the same bytes
//! (one entry, one encoding, one leaf hash), and its payload is run through the record and event
//! parsers that the verdict uses.

use libfuzzer_sys::fuzz_target;
use tally_trust::{Entry, Record};

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Entry::decode(data) {
        assert_eq!(e.encode(), data);
        let _ = e.verify_signature();
        let _ = serde_json::from_slice::<Record>(&e.payload);
        let _ = tally_trust::hash_id::of_event(&e.payload);
    }
});
