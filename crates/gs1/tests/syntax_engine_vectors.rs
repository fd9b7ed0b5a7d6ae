//! Every case of shared/gs1/digital-link/gs1-syntax-engine-test-vectors.json.
//!
//! Strict-default cases (empty `flags`) must all pass. Cases with
//! `permitZeroSuppressedGTIN` / `permitConvenienceAlphas` run with the matching
//! [`DlParseOptions`]. Cases using `permitUnknownAIs` are skipped and counted:
//! Tally never accepts AIs missing from the dictionary.

use serde_json::Value;
use tally_gs1::ai::is_valid_dl_path_sequence;
use tally_gs1::{
    parse_bracketed, to_element_string, DigitalLink, DlParseOptions, ElementString, Error,
};

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/gs1/digital-link/gs1-syntax-engine-test-vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("read syntax-engine vectors");
    serde_json::from_str(&text).expect("parse syntax-engine vectors")
}

fn cases<'a>(v: &'a Value, section: &str) -> &'a Vec<Value> {
    v[section].as_array().expect("section is an array")
}

/// Options for a case, or `None` if it needs a flag Tally does not support
/// *and* expects success. (`permitUnknownAIs` cases that expect failure also
/// fail under Tally's stricter rules, so they are run.)
fn options(case: &Value) -> Option<DlParseOptions> {
    let expects_ok = case["ok"].as_bool().unwrap_or(false);
    let mut opts = DlParseOptions::default();
    for (flag, on) in case["flags"].as_object().into_iter().flatten() {
        let on = on.as_bool().unwrap_or(false);
        match flag.as_str() {
            "permitZeroSuppressedGTIN" => opts.permit_zero_suppressed_gtin = on,
            "permitConvenienceAlphas" => opts.permit_convenience_alphas = on,
            _ if expects_ok => return None,
            _ => {}
        }
    }
    Some(opts)
}

fn caret(es: &str) -> String {
    format!("^{}", es.replace('\u{1d}', "^"))
}

#[test]
fn dl_uri_to_element_string() {
    let v = vectors();
    let (mut passed, mut strict, mut skipped) = (0, 0, Vec::new());
    for case in cases(&v, "dl_uri_to_element_string") {
        let uri = case["uri"].as_str().unwrap();
        let Some(opts) = options(case) else {
            skipped.push(case["line"].clone());
            continue;
        };
        let got = DigitalLink::parse_with(uri, opts);
        if case["ok"].as_bool().unwrap() {
            let dl = got.unwrap_or_else(|e| panic!("{uri}: expected success, got {e}"));
            assert_eq!(
                caret(&dl.element_string()),
                case["expect"].as_str().unwrap(),
                "{uri}"
            );
        } else {
            assert!(got.is_err(), "{uri}: expected failure, got {got:?}");
        }
        passed += 1;
        if case["flags"].as_object().is_some_and(|f| f.is_empty()) {
            strict += 1;
        }
    }
    eprintln!("dl_uri_to_element_string: {passed} passed ({strict} strict), skipped {skipped:?}");
    assert_eq!(passed + skipped.len(), 118);
    assert_eq!(
        skipped.len(),
        1,
        "only the permitUnknownAIs success case may be skipped"
    );
}

#[test]
fn element_string_to_dl_uri() {
    let v = vectors();
    let (mut passed, mut skipped) = (0, Vec::new());
    for case in cases(&v, "element_string_to_dl_uri") {
        let ai = case["ai"].as_str().unwrap();
        if options(case).is_none() {
            skipped.push(case["line"].clone());
            continue;
        }
        let got = ElementString::parse_bracketed(ai)
            .and_then(|es| es.to_digital_link(case["stem"].as_str()));
        if case["ok"].as_bool().unwrap() {
            let dl = got.unwrap_or_else(|e| panic!("{ai}: expected success, got {e}"));
            assert_eq!(dl.to_uri(), case["expect"].as_str().unwrap(), "{ai}");
            // And back again: the URI must parse to the same AIs.
            let back = DigitalLink::parse(&dl.to_uri()).expect("generated URI parses");
            assert_eq!(back.ais(), dl.ais());
        } else {
            assert!(got.is_err(), "{ai}: expected failure, got {got:?}");
        }
        passed += 1;
    }
    eprintln!("element_string_to_dl_uri: {passed} passed, skipped {skipped:?}");
    assert_eq!(passed + skipped.len(), 22);
    assert_eq!(
        skipped.len(),
        1,
        "only the permitUnknownAIs success case may be skipped"
    );
}

#[test]
fn bracketed_to_unbracketed() {
    let v = vectors();
    let all = cases(&v, "bracketed_to_unbracketed");
    for case in all {
        let ai = case["ai"].as_str().unwrap();
        let got = parse_bracketed(ai);
        if case["ok"].as_bool().unwrap() {
            let ais = got.unwrap_or_else(|e| panic!("{ai}: expected success, got {e}"));
            assert_eq!(
                caret(&to_element_string(&ais)),
                case["expect"].as_str().unwrap(),
                "{ai}"
            );
            // The FNC1 form parses back to the same AIs.
            let again = tally_gs1::parse_element_string(&to_element_string(&ais)).unwrap();
            assert_eq!(again, ais);
        } else {
            assert!(got.is_err(), "{ai}: expected failure, got {got:?}");
        }
    }
    assert_eq!(all.len(), 27);
}

#[test]
fn linter_errors() {
    let v = vectors();
    let all = cases(&v, "linter_errors");
    for case in all {
        let ai = case["ai"].as_str().unwrap();
        let expect = case["expect"].as_str().unwrap();
        let code = match parse_bracketed(ai) {
            Ok(_) => "GS1_LINTER_OK".to_string(),
            Err(Error::Lint { kind, .. }) => kind.code().to_string(),
            Err(e) => panic!("{ai}: expected {expect}, got non-linter error {e}"),
        };
        assert_eq!(code, expect, "{ai}");
    }
    assert_eq!(all.len(), 99);
}

#[test]
fn valid_dl_path_ai_sequences() {
    let v = vectors();
    let all = cases(&v, "valid_dl_path_ai_sequences");
    for case in all {
        let seq: Vec<&str> = case
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert!(is_valid_dl_path_sequence(&seq), "{seq:?}");
    }
    assert_eq!(all.len(), 39);
    // Some sequences that must be rejected.
    for bad in [
        &["01", "21", "10"][..],
        &["01", "22", "235"],
        &["00", "10"],
        &["10"],
        &["414", "254", "7040"],
        &[],
    ] {
        assert!(!is_valid_dl_path_sequence(bad), "{bad:?}");
    }
}
