//! Compressed GS1 Digital Link URIs: round trips through a small test-only
//! encoder (written from the format description in `src/compression.rs`),
//! typed errors for malformed input, and "never panics".

use proptest::prelude::*;
use tally_gs1::compression::{length_bits, value_bits, value_format, Part};
use tally_gs1::{gs1_check_digit, lookup, parse_scan_payload, DigitalLink, Error};

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[derive(Default)]
struct Enc(String);

impl Enc {
    fn bits(&mut self, v: u128, n: usize) -> &mut Self {
        for k in (0..n).rev() {
            self.0.push(if v >> k & 1 == 1 { '1' } else { '0' });
        }
        self
    }
    fn number(&mut self, digits: &str) -> &mut Self {
        let v: u128 = if digits.is_empty() {
            0
        } else {
            digits.parse().unwrap()
        };
        self.bits(v, value_bits(digits.len()))
    }
    /// Characters with the cheapest encoding that fits, as GS1's encoder does.
    fn chars(&mut self, s: &str) -> &mut Self {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return self.bits(0, 3).number(s);
        }
        let (enc, width, table): (u128, usize, &[u8]) =
            if s.bytes().all(|b| b"0123456789abcdef".contains(&b)) {
                (1, 4, b"0123456789abcdef")
            } else if s.bytes().all(|b| b"0123456789ABCDEF".contains(&b)) {
                (2, 4, b"0123456789ABCDEF")
            } else if s.bytes().all(|b| B64.contains(&b)) {
                (3, 6, B64)
            } else {
                (4, 7, &[])
            };
        self.bits(enc, 3);
        for b in s.bytes() {
            let v = if table.is_empty() {
                usize::from(b)
            } else {
                table.iter().position(|&c| c == b).unwrap()
            };
            self.bits(v as u128, width);
        }
        self
    }
    fn value(&mut self, ai: &str, mut value: &str) -> &mut Self {
        for part in value_format(lookup(ai).unwrap()) {
            match part {
                Part::NumericFixed(n) => {
                    let (h, t) = value.split_at(n);
                    self.number(h);
                    value = t;
                }
                Part::NumericVar(_) | Part::AlnumVar(_) => {
                    let max = match part {
                        Part::NumericVar(m) | Part::AlnumVar(m) => m,
                        _ => unreachable!(),
                    };
                    let (h, t) = value.split_at(value.len().min(max));
                    if matches!(part, Part::NumericVar(_)) {
                        self.bits(h.len() as u128, length_bits(max)).number(h);
                    } else {
                        // encoding indicator precedes the length
                        let mut tmp = Enc::default();
                        tmp.chars(h);
                        let (ind, rest) = tmp.0.split_at(3);
                        self.0.push_str(ind);
                        self.bits(h.len() as u128, length_bits(max));
                        self.0.push_str(rest);
                    }
                    value = t;
                }
                Part::AlnumFixed(n) => {
                    let (h, t) = value.split_at(n);
                    self.chars(h);
                    value = t;
                }
            }
        }
        self
    }
    fn ai(&mut self, ai: &str, value: &str) -> &mut Self {
        for d in ai.bytes() {
            self.bits(u128::from(d - b'0'), 4);
        }
        self.value(ai, value)
    }
    fn other(&mut self, k: &str, v: &str) -> &mut Self {
        self.bits(0xF, 4).bits(k.len() as u128, 7);
        for b in k.bytes() {
            self.bits(B64.iter().position(|&c| c == b).unwrap() as u128, 6);
        }
        let mut tmp = Enc::default();
        tmp.chars(v);
        let (ind, rest) = tmp.0.split_at(3);
        self.0.push_str(ind);
        self.bits(v.len() as u128, 7);
        self.0.push_str(rest);
        self
    }
    fn segment(&self) -> String {
        let mut bits = self.0.clone();
        while bits.len() % 6 != 0 {
            bits.push('0');
        }
        bits.as_bytes()
            .chunks(6)
            .map(|c| {
                let v = usize::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap();
                char::from(B64[v])
            })
            .collect()
    }
}

fn with_check(body: &str) -> String {
    format!("{body}{}", gs1_check_digit(body).unwrap())
}

fn same(compressed: &str, uncompressed: &str) {
    let c = DigitalLink::parse(compressed).unwrap_or_else(|e| panic!("{compressed}: {e}"));
    let u = DigitalLink::parse(uncompressed).unwrap_or_else(|e| panic!("{uncompressed}: {e}"));
    assert_eq!(c, u, "{compressed}");
    assert_eq!(c.canonical_uri(), u.canonical_uri());
}

#[test]
fn every_value_encoding_round_trips() {
    let gtin = with_check("0950600013435");
    let mut e = Enc::default();
    e.ai("01", &gtin)
        .ai("22", "abc123") // lower-case hex
        .ai("10", "AB12") // upper-case hex
        .ai("21", "x_Y-9") // base64url
        .ai("17", "261231")
        .ai("3103", "001250")
        .ai("8008", "2501011230") // N8 + N..4 with 2 digits
        .ai("240", "A+B/C") // 7-bit ASCII
        .ai("242", "007") // variable numeric with leading zeros
        .ai("91", "00042") // integer-encoded alphanumeric, leading zeros kept
        .other("linkType", "gs1:pip");
    let seg = e.segment();
    same(
        &format!("https://example.com/x/{seg}?foo=bar"),
        &format!(
            "https://example.com/x/01/{gtin}/22/abc123/10/AB12/21/x_Y-9\
             ?17=261231&240=A%2BB%2FC&242=007&3103=001250&8008=2501011230&91=00042\
             &linkType=gs1:pip&foo=bar"
        ),
    );
}

#[test]
fn optimisation_codes_and_other_keys() {
    let sscc = with_check("09506000134352011");
    let mut e = Enc::default();
    e.ai("00", &sscc);
    same(
        &format!("https://id.gs1.org/{}", e.segment()),
        &format!("https://id.gs1.org/00/{sscc}"),
    );

    // 0x0B = (01)(10)
    let gtin = with_check("0950600013435");
    let mut e = Enc::default();
    e.bits(0x0B, 8).value("01", &gtin).value("10", "LOT7");
    same(
        &format!("https://id.gs1.org/{}?linkType=all", e.segment()),
        &format!("https://id.gs1.org/01/{gtin}/10/LOT7?linkType=all"),
    );
}

#[test]
fn query_ais_after_a_compressed_segment_are_attributes() {
    let gtin = with_check("0950600013435");
    let mut e = Enc::default();
    e.ai("01", &gtin);
    let seg = e.segment();
    same(
        &format!("https://id.gs1.org/{seg}?17=261231"),
        &format!("https://id.gs1.org/01/{gtin}?17=261231"),
    );
    // A qualifier does not belong in the query, compressed or not.
    assert!(matches!(
        DigitalLink::parse(&format!("https://id.gs1.org/{seg}?10=A")),
        Err(Error::QualifierInQuery { .. })
    ));
}

fn invalid(seg: &str) -> String {
    match DigitalLink::parse(&format!("https://id.gs1.org/{seg}")) {
        Err(Error::InvalidCompressedUri { reason }) => reason,
        other => panic!("{seg}: expected InvalidCompressedUri, got {other:?}"),
    }
}

#[test]
fn malformed_input_gives_typed_errors() {
    let gtin = with_check("0950600013435");
    // Unassigned optimisation code.
    let mut e = Enc::default();
    e.bits(0xB0, 8).value("01", &gtin);
    assert!(invalid(&e.segment()).contains("optimisation code B0 is unassigned"));
    // No AI starts with 05.
    let mut e = Enc::default();
    e.bits(0x05, 8).bits(0, 40);
    assert!(invalid(&e.segment()).contains("no GS1 AI starts with 05"));
    // Truncated GTIN.
    assert!(invalid("ARHK").contains("data ends inside the value of AI (01)"));
    // Unassigned encoding indicator.
    let mut e = Enc::default();
    e.ai("01", &gtin).ai("10", "").bits(0, 0);
    let mut bits = e.0.clone();
    let n = bits.len();
    bits.replace_range(n - 8..n - 5, "111");
    assert!(invalid(&Enc(bits).segment()).contains("encoding indicator 7"));
    // A numeric field whose number has too many digits.
    let mut e = Enc::default();
    e.bits(0x01, 8).bits((1u128 << 47) - 1, 47);
    assert!(invalid(&e.segment()).contains("more than 14 digits"));
    // No primary key.
    let mut e = Enc::default();
    e.ai("17", "261231");
    assert!(invalid(&e.segment()).contains("without a primary key"));
    // Two primary keys.
    let mut e = Enc::default();
    e.ai("01", &gtin).ai("414", &with_check("950600013435"));
    assert!(invalid(&e.segment()).contains("more than one primary key"));
    // Non-zero padding.
    let mut e = Enc::default();
    e.ai("01", &gtin).bits(1, 1);
    assert!(invalid(&e.segment()).contains("padding"));
    // Too long.
    assert!(invalid(&"A".repeat(3000)).contains("at most 2048"));
    // A wrong check digit is reported as for an uncompressed URI.
    let mut e = Enc::default();
    e.ai("01", "09506000134350");
    assert!(matches!(
        DigitalLink::parse(&format!("https://id.gs1.org/{}", e.segment())),
        Err(Error::Lint { .. })
    ));
    // Duplicate AI.
    let mut e = Enc::default();
    e.ai("01", &gtin).ai("17", "261231").ai("17", "261231");
    assert!(matches!(
        DigitalLink::parse(&format!("https://id.gs1.org/{}", e.segment())),
        Err(Error::DuplicateAi { .. })
    ));
}

#[test]
fn non_candidates_still_report_no_primary_key() {
    for uri in [
        "https://id.gs1.org/",
        "https://id.gs1.org/a%20b",
        "https://id.gs1.org/abc.def",
    ] {
        assert_eq!(DigitalLink::parse(uri), Err(Error::NoPrimaryKey), "{uri}");
    }
}

proptest! {
    #[test]
    fn compressed_segments_never_panic(seg in "[A-Za-z0-9_-]{0,400}", q in "[a-z0-9=&]{0,20}") {
        let uri = format!("https://example.com/{seg}?{q}");
        let _ = DigitalLink::parse(&uri);
        let _ = parse_scan_payload(format!("]Q1{uri}").as_bytes());
    }

    #[test]
    fn gs1_prefixed_segments_never_panic(
        head in prop::sample::select(vec!["AR", "DB", "Hx", "AQ", "-_", "BA", "Cg"]),
        tail in "[A-Za-z0-9_-]{0,200}",
    ) {
        let _ = DigitalLink::parse(&format!("https://example.com/s/{head}{tail}"));
    }

    #[test]
    fn gtin_lot_round_trip(body in "[0-9]{13}", lot in "[!%&'()*+,./0-9:;<=>?A-Z_a-z-]{1,20}") {
        let gtin = with_check(&body);
        let mut e = Enc::default();
        e.ai("01", &gtin).ai("10", &lot);
        let c = DigitalLink::parse(&format!("https://example.com/{}", e.segment())).unwrap();
        prop_assert_eq!(c.path()[1].value(), lot.as_str());
        prop_assert_eq!(c.primary().value(), gtin.as_str());
    }
}
