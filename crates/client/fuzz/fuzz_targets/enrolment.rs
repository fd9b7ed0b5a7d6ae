#![no_main]
//! Arbitrary bytes as an enrolment request or a certification: never a panic; a request that
//! opens names a device key that signed it.

use libfuzzer_sys::fuzz_target;
use tally_client::identity::{check_certification, open_enrolment_request};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = open_enrolment_request(data) {
        assert!(tally_tlog::VerifierKey::parse(&r.device).is_ok());
    }
    if let Ok(key) = tally_tlog::VerifierKey::parse("dock+00000000+AQ==") {
        let _ = check_certification(data, &key);
    }
});
