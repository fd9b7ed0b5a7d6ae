#![no_main]
//! Arbitrary text through the Digital Link parser; valid results must survive
//! a canonical format/parse round trip.

use libfuzzer_sys::fuzz_target;
use tally_gs1::{DigitalLink, DlParseOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let lenient = DlParseOptions {
        permit_zero_suppressed_gtin: true,
        permit_convenience_alphas: true,
    };
    for opts in [DlParseOptions::default(), lenient] {
        if let Ok(dl) = DigitalLink::parse_with(s, opts) {
            let canonical = dl.canonical_uri();
            let back = DigitalLink::parse(&canonical).expect("canonical URI must parse");
            assert_eq!(back.canonical_uri(), canonical);
        }
    }
});
