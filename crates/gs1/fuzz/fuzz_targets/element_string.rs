#![no_main]
//! Arbitrary scanner payloads (symbology identifier, FNC1 data, bracketed
//! data, URIs) through `parse_scan_payload`.

use libfuzzer_sys::fuzz_target;
use tally_gs1::{parse_element_string, parse_scan_payload, to_element_string};

fuzz_target!(|data: &[u8]| {
    if let Ok(scan) = parse_scan_payload(data) {
        let _ = scan.to_json();
        let _ = scan.to_digital_link();
    }
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(ais) = parse_element_string(s) {
            let again = parse_element_string(&to_element_string(&ais)).expect("re-parse");
            assert_eq!(again, ais);
        }
    }
});
