#![no_main]
//! Arbitrary bytes as a network policy: never a panic; a policy that parses survives a round trip.

use libfuzzer_sys::fuzz_target;
use tally_trust::Policy;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Policy::parse(data) {
        let again = Policy::parse(p.to_json().as_bytes()).expect("re-encoded policy parses");
        assert_eq!(again.to_json(), p.to_json());
    }
});
