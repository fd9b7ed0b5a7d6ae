//! shared/gs1/digital-link/digital-link-js-test-vectors.json.
//!
//! digital-link.js is more lenient than the GS1 Syntax Engine (alphabetic
//! path names, GTIN-8/12/13), so those cases run with both leniencies of
//! [`DlParseOptions`] enabled. Compressed URIs must decompress to exactly the
//! link their uncompressed partners parse to.

use serde_json::Value;
use tally_gs1::{parse_scan_payload, DigitalLink, DlParseOptions};

const LENIENT: DlParseOptions = DlParseOptions {
    permit_zero_suppressed_gtin: true,
    permit_convenience_alphas: true,
};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/gs1/digital-link/digital-link-js-test-vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("read vectors")).expect("json")
}

#[test]
fn check_digits() {
    let v = vectors();
    for uri in v["check_digit_valid"].as_array().unwrap() {
        let uri = uri.as_str().unwrap();
        if let Err(e) = DigitalLink::parse_with(uri, LENIENT) {
            panic!("{uri}: {e}");
        }
    }
    for uri in v["check_digit_invalid"].as_array().unwrap() {
        let uri = uri.as_str().unwrap();
        assert!(DigitalLink::parse_with(uri, LENIENT).is_err(), "{uri}");
        assert!(DigitalLink::parse(uri).is_err(), "{uri}");
    }
}

#[test]
fn structure() {
    let v = vectors();
    let mut skipped = 0;
    for case in v["structure"].as_array().unwrap() {
        let uri = case["uri"].as_str().unwrap();
        if uri.contains("/giai/") {
            // The file itself says not to rely on this case: GIAI has no check
            // digit and is valid per the syntax dictionary.
            skipped += 1;
            continue;
        }
        let lenient = DigitalLink::parse_with(uri, LENIENT);
        assert_eq!(
            lenient.is_ok(),
            case["valid"].as_bool().unwrap(),
            "{uri}: {lenient:?}"
        );
        // All the GTINs here are GTIN-8, which the strict default rejects.
        assert!(DigitalLink::parse(uri).is_err(), "{uri}");
    }
    assert_eq!(skipped, 1);
}

#[test]
fn compression_vectors() {
    let v = vectors();
    let mut pairs = 0;
    let mut valid = 0;
    for case in v["compression"].as_array().unwrap() {
        if let (Some(u), Some(d)) = (
            case["uncompressed"].as_str(),
            case["decompressed_numeric"].as_str(),
        ) {
            let a = DigitalLink::parse_with(u, LENIENT).unwrap();
            let b = DigitalLink::parse(d).unwrap();
            assert_eq!(a.ais(), b.ais());
            assert_eq!(a.other_params(), b.other_params());
            assert_eq!(b.to_uri(), d, "non-AI params and order survive formatting");

            // The compressed partner decompresses to exactly the same link,
            // strictly and leniently, and via the scanner entry point.
            let c = case["compressed"]
                .as_str()
                .expect("pair has a compressed URI");
            let strict = DigitalLink::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(strict, DigitalLink::parse_with(c, LENIENT).unwrap(), "{c}");
            assert_eq!(strict.ais(), a.ais(), "{c}");
            assert_eq!(strict.path(), a.path(), "{c}");
            assert_eq!(strict.stem(), a.stem(), "{c}");
            assert_eq!(strict.other_params(), a.other_params(), "{c}");
            assert_eq!(strict.canonical_uri(), a.canonical_uri(), "{c}");
            assert_eq!(strict.to_uri(), d, "{c}");
            assert_eq!(strict, b, "{c}");
            let scan = parse_scan_payload(format!("]Q1{c}").as_bytes()).unwrap();
            assert_eq!(scan.to_digital_link().unwrap(), strict, "{c}");
            pairs += 1;
        }
        if let Some(c) = case["compressed_valid"].as_str() {
            let dl = DigitalLink::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(dl.primary().ai(), "01", "{c}");
            valid += 1;
        }
    }
    assert_eq!((pairs, valid), (3, 1));
}
