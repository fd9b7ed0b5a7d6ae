//! Property tests: round trips and "never panics" on arbitrary input.

use proptest::prelude::*;
use tally_gs1::{
    gs1_check_digit, is_valid_check_digit, parse_bracketed, parse_element_string,
    parse_scan_payload, DigitalLink, ElementString,
};

/// A GTIN-14 with a correct check digit.
fn gtin() -> impl Strategy<Value = String> {
    "[0-9]{13}".prop_map(|b| {
        let c = gs1_check_digit(&b).unwrap();
        format!("{b}{c}")
    })
}

/// Values from the full GS1 character set 82.
fn cset82(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!\"%&'()*+,./0-9:;<=>?A-Z_a-z-]{{1,{max}}}")).unwrap()
}

proptest! {
    #[test]
    fn check_digit_round_trip(body in "[0-9]{1,30}") {
        let c = gs1_check_digit(&body).unwrap();
        let full = format!("{body}{c}");
        prop_assert!(is_valid_check_digit(&full));
        let wrong = format!("{body}{}", (c + 1) % 10);
        prop_assert!(!is_valid_check_digit(&wrong));
    }

    #[test]
    fn digital_link_format_parse_round_trip(
        g in gtin(), lot in cset82(20), ser in cset82(20), extra in cset82(30),
        date in "[0-9]{2}(0[1-9]|1[0-2])(0[0-9]|1[0-9]|2[0-8])",
    ) {
        let es = ElementString::parse_bracketed(&format!(
            "(01){g}(10){}(21){}(17){date}(240){}",
            lot.replace('(', "\\("), ser.replace('(', "\\("), extra.replace('(', "\\(")
        )).unwrap();
        let dl = es.to_digital_link(None).unwrap();
        let canonical = dl.canonical_uri();
        let back = DigitalLink::parse(&canonical).unwrap();
        prop_assert_eq!(back.canonical_uri(), canonical.clone());
        prop_assert_eq!(back.ais(), dl.ais());
        // Element string <-> Digital Link, both ways.
        let es2 = ElementString::parse(&back.element_string()).unwrap();
        prop_assert_eq!(es2.to_digital_link(None).unwrap().canonical_uri(), canonical);
        // Bracketed round trip.
        prop_assert_eq!(parse_bracketed(&back.bracketed()).unwrap(), back.ais().to_vec());
    }

    #[test]
    fn parse_never_panics_on_strings(s in ".{0,300}") {
        let _ = DigitalLink::parse(&s);
        let _ = parse_element_string(&s);
        let _ = parse_bracketed(&s);
        let _ = parse_scan_payload(s.as_bytes());
    }

    #[test]
    fn parse_never_panics_on_uri_like(s in "(https?|HTTPS?)://[a-z]{1,3}(/[0-9A-Za-z%+~._&=?#-]{0,12}){0,8}") {
        let _ = DigitalLink::parse(&s);
        let _ = parse_scan_payload(s.as_bytes());
    }

    #[test]
    fn parse_never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_scan_payload(&b);
        let mut q1 = b"]Q1".to_vec();
        q1.extend_from_slice(&b);
        let _ = parse_scan_payload(&q1);
        let mut d2 = b"]d2".to_vec();
        d2.extend_from_slice(&b);
        let _ = parse_scan_payload(&d2);
    }

    #[test]
    fn element_string_never_panics_on_digits(s in "[0-9\\x1d]{0,120}") {
        let _ = parse_element_string(&s);
        let _ = parse_scan_payload(s.as_bytes());
    }
}
