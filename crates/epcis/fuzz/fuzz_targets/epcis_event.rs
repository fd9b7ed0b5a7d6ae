//! Parse, validate and hash arbitrary bytes as one EPCIS event and as a
//! document: none of it may panic. Run: `cargo +nightly fuzz run epcis_event`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tally_epcis::{event_hash_id, validate_event, Document, JsonLdContext, RawEvent};

fuzz_target!(|data: &[u8]| {
    let ctx = JsonLdContext::default().with_prefix("example", "https://ns.example.com/epcis/");
    let _ = RawEvent::parse(data);
    let _ = validate_event(data);
    let _ = event_hash_id(data, &ctx);
    let _ = Document::parse(data);
});
