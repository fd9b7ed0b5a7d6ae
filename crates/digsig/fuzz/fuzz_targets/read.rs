#![no_main]
//! Arbitrary scanned text through the DIGSIG reader: it never panics, and the data a signature
//! is read over are a fixed point (read back as an element string, they give the same data).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some(signed)) = tally_digsig::read(s) {
        let again = tally_gs1::parse_element_string(signed.data()).expect("signed data parse");
        let link = tally_gs1::DigitalLink::from_ais(&again, None).expect("signed data link");
        assert_eq!(tally_digsig::signed_data(&link), signed.data());
    }
});
