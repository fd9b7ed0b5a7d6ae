#![no_main]
//! Arbitrary text as an event's commitment form and its disclosures (what a holder opens from a
//! sealed entry): never a panic; whatever `reveal` accepts, each disclosure it used matched a
//! digest, so revealing with none of them withholds at least as many members.

use libfuzzer_sys::fuzz_target;
use tally_confidential::{reveal, Disclosure};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('~');
    let event = parts.next().unwrap_or_default();
    let disclosures: Vec<Disclosure> = parts.filter_map(|p| Disclosure::parse(p).ok()).collect();
    if let Ok(all) = reveal(event.as_bytes(), &disclosures) {
        let none = reveal(event.as_bytes(), &[]).expect("the same commitments parse alone");
        assert_eq!(none.withheld, all.withheld + disclosures.len());
    }
});
