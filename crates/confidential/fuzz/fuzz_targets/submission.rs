#![no_main]
//! Arbitrary bytes as a sealed submission (what a bookkeeper reads from the network): never a
//! panic; one that decodes re-encodes to the same bytes, and its entry is parsed and checked
//! against its own secrets, as admission does.

use libfuzzer_sys::fuzz_target;
use tally_confidential::Submission;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Submission::decode(data) {
        assert_eq!(s.encode(), data);
        if let Ok(sealed) = s.entry() {
            let _ = sealed.open_exact(&s.secrets, &s.recipients, &s.withheld_key);
        }
    }
});
