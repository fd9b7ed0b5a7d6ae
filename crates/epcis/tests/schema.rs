//! Schema validation against the official GS1 EPCIS 2.0 JSON schema.

use tally_epcis::schema::EPCIS_JSON_SCHEMA;
use tally_epcis::{validate_document, validate_event, ValidationError};

const EPCIS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/gs1/epcis");

fn files(dir: &str, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(format!("{EPCIS}/{dir}"))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok()?.path().to_str().map(str::to_string))
        .filter(|p| p.ends_with(ext))
        .collect();
    v.sort();
    v
}

#[test]
fn embedded_schema_is_the_shared_one() {
    let shared = std::fs::read_to_string(format!("{EPCIS}/schema/EPCIS-JSON-Schema.json"))
        .expect("shared schema");
    assert!(
        shared == EPCIS_JSON_SCHEMA,
        "crates/epcis/schema/EPCIS-JSON-Schema.json drifted from shared/"
    );
}

#[test]
fn official_examples_and_vectors_are_valid() {
    let mut all = files("examples", ".jsonld");
    all.extend(files("hash-vectors", ".jsonld"));
    all.push(format!("{EPCIS}/example-milk-powder-shipping.jsonld"));
    assert_eq!(all.len(), 21 + 19 + 1);
    let mut failures = Vec::new();
    for f in &all {
        let bytes = std::fs::read(f).expect("read");
        if let Err(e) = validate_document(&bytes) {
            failures.push(format!("{f}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_documents_are_rejected_precisely() {
    let all = files("invalid", ".json");
    assert_eq!(all.len(), 15);
    for f in &all {
        let bytes = std::fs::read(f).expect("read");
        match validate_document(&bytes) {
            Err(ValidationError::Schema(v)) => {
                assert!(!v.is_empty());
                for violation in &v {
                    assert!(!violation.message.is_empty(), "{f}");
                    assert!(
                        violation.instance_path.is_empty()
                            || violation.instance_path.starts_with('/'),
                        "{f}: {violation}"
                    );
                }
                println!("{}: {}", f.rsplit('/').next().unwrap_or(f), v[0]);
            }
            other => panic!("{f} must fail schema validation, got {other:?}"),
        }
    }
}

#[test]
fn single_event_validation_reports_event_relative_paths() {
    let good = br#"{"type":"ObjectEvent","eventTime":"2020-03-04T11:00:30.000+01:00",
        "eventTimeZoneOffset":"+01:00","epcList":["urn:epc:id:sgtin:4012345.011111.9876"],
        "action":"OBSERVE","bizStep":"shipping"}"#;
    validate_event(good).expect("valid event");
    let bad = br#"{"type":"ObjectEvent","eventTime":"yesterday",
        "eventTimeZoneOffset":"+01:00","epcList":[],"action":"OBSERVE"}"#;
    let Err(ValidationError::Schema(v)) = validate_event(bad) else {
        panic!("bad event accepted")
    };
    assert!(v.iter().any(|x| x.instance_path == "/eventTime"), "{v:?}");
}

#[test]
fn oversized_and_malformed_inputs_are_errors() {
    assert!(matches!(
        validate_document(b"{"),
        Err(ValidationError::Parse(_))
    ));
    let big = vec![b' '; tally_epcis::MAX_EVENT_BYTES + 1];
    assert!(matches!(
        validate_event(&big),
        Err(ValidationError::Parse(_))
    ));
}
