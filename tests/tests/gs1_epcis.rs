//! End-to-end tests of `tally gs1 parse` and `tally epcis validate|hash`, running the real binary.

use std::fs;
use std::path::PathBuf;
use tally_e2e::{shared, shared_text, tally};

/// The files in a shared directory with the given extension, sorted.
fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(shared(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no *.{ext} in {dir}");
    v
}

fn s(p: &std::path::Path) -> String {
    p.display().to_string()
}

#[test]
fn gs1_parse_digital_link_prints_canonical_json() {
    let uri = "https://example.com/01/9506000134352/10/ABC?17=201225&linkType=gs1:pip";
    // A GTIN-13 in the path is refused by default (strict like the GS1 Syntax Engine).
    tally(&["gs1", "parse", uri], b"").expect(2);

    let uri = "https://example.com/01/09506000134352/10/ABC?17=201225&linkType=gs1:pip";
    let run = tally(&["gs1", "parse", uri], b"").expect(0);
    let out = run.out();
    assert_eq!(out.lines().count(), 1, "one line of JSON: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["uri"],
        "https://id.gs1.org/01/09506000134352/10/ABC?17=201225"
    );
    assert_eq!(v["element_string"], "(01)09506000134352(10)ABC(17)201225");
    let ais: Vec<(&str, &str)> = v["ais"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["ai"].as_str().unwrap(), a["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ais,
        [("01", "09506000134352"), ("10", "ABC"), ("17", "201225")]
    );
    assert_eq!(v["other_params"]["linkType"], "gs1:pip");
}

#[test]
fn gs1_parse_element_strings() {
    let run = tally(
        &["gs1", "parse", "(01)09506000134352(17)201225(10)ABC"],
        b"",
    )
    .expect(0);
    let v: serde_json::Value = serde_json::from_str(&run.out()).unwrap();
    assert_eq!(
        v["uri"],
        "https://id.gs1.org/01/09506000134352/10/ABC?17=201225"
    );

    // Scanner form: symbology identifier and FNC1 (0x1D) after a variable-length field.
    let raw = "]d2010950600013435210ABC\u{1d}17201225";
    let run = tally(&["gs1", "parse", raw], b"").expect(0);
    let w: serde_json::Value = serde_json::from_str(&run.out()).unwrap();
    assert_eq!(w["uri"], v["uri"]);
}

#[test]
fn gs1_parse_invalid_input_exits_2_with_reason() {
    let run = tally(&["gs1", "parse", "(01)09506000134353"], b"").expect(2);
    assert!(run.stderr.contains("check digit"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    // A qualifier in the query string, an unknown AI, and plain garbage.
    tally(
        &[
            "gs1",
            "parse",
            "https://example.com/01/09506000134352?10=ABC",
        ],
        b"",
    )
    .expect(2);
    tally(&["gs1", "parse", "(01)09506000134352(9999)X"], b"").expect(2);
    tally(&["gs1", "parse", "hello"], b"").expect(2);
    tally(&["gs1", "parse"], b"").expect(2);
}

#[test]
fn epcis_validate_accepts_gs1_examples() {
    for f in files("gs1/epcis/examples", "jsonld") {
        let run = tally(&["epcis", "validate", &s(&f)], b"");
        assert_eq!(run.code, Some(0), "{}: {}", f.display(), run.stderr);
    }
    let milk = shared("gs1/epcis/example-milk-powder-shipping.jsonld");
    tally(&["epcis", "validate", &s(&milk)], b"").expect(0);
}

#[test]
fn epcis_validate_rejects_invalid_documents_with_precise_messages() {
    for f in files("gs1/epcis/invalid", "json") {
        let run = tally(&["epcis", "validate", &s(&f)], b"");
        assert_eq!(run.code, Some(1), "{} must be invalid", f.display());
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        let report = run.out();
        assert!(
            !report.is_empty() && report.lines().all(|l| l.starts_with("at /")),
            "{}: every violation on stdout with its JSON pointer: {report}",
            f.display()
        );
    }
    let f = shared("gs1/epcis/invalid/ObjectEvent_with_invalid_action.json");
    let run = tally(&["epcis", "validate", &s(&f)], b"").expect(1);
    assert!(
        run.out().contains("/epcisBody/eventList/0/action"),
        "{}",
        run.out()
    );
}

#[test]
fn epcis_unreadable_or_non_json_exits_2() {
    tally(&["epcis", "validate", "-"], b"{").expect(2);
    tally(&["epcis", "hash", "-"], b"not json").expect(2);
    tally(&["epcis", "validate", "/nonexistent/tally-e2e.jsonld"], b"").expect(2);
    // JSON, but not an EPCIS document: invalid, not unreadable.
    tally(&["epcis", "validate", "-"], b"{}").expect(1);
}

#[test]
fn epcis_hash_of_milk_powder_example_matches_hashes_file() {
    let f = shared("gs1/epcis/example-milk-powder-shipping.jsonld");
    let want = shared_text("gs1/epcis/example-milk-powder-shipping.hashes");
    let run = tally(&["epcis", "hash", &s(&f)], b"").expect(0);
    assert_eq!(run.out(), want);
    // The same bytes on stdin give the same IDs.
    let run = tally(&["epcis", "hash", "-"], &fs::read(&f).unwrap()).expect(0);
    assert_eq!(run.out(), want);
}

#[test]
fn epcis_hash_matches_every_cbv_hash_vector_in_document_order() {
    for f in files("gs1/epcis/hash-vectors", "jsonld") {
        let want = fs::read_to_string(f.with_extension("hashes")).unwrap();
        let run = tally(&["epcis", "hash", &s(&f)], b"");
        assert_eq!(run.code, Some(0), "{}: {}", f.display(), run.stderr);
        assert_eq!(
            run.out().lines().collect::<Vec<_>>(),
            want.lines().collect::<Vec<_>>(),
            "{}",
            f.display()
        );
    }
}
