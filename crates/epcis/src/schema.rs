//! Validation against the official GS1 EPCIS 2.0 JSON schema.
//!
//! The schema (`schema/EPCIS-JSON-Schema.json`, draft-07, from the `gs1/EPCIS`
//! repository, commit 2b888bef…, GS1's published normative artefact) is
//! embedded at compile time so validation needs no disk or network access; a
//! test asserts the copy is byte-identical to the shared reference file.
//! `format` assertions (`date-time`, `uri`) are switched ON: without them,
//! 6 of the 15 known-invalid documents would be accepted.

use serde_json::Value;
use std::sync::OnceLock;

use crate::error::{ParseError, SchemaViolation, ValidationError};
use crate::raw::{MAX_DOCUMENT_BYTES, MAX_EVENT_BYTES};

/// The embedded schema text.
pub const EPCIS_JSON_SCHEMA: &str = include_str!("../schema/EPCIS-JSON-Schema.json");

/// The compiled validator, built once. An error here would mean the embedded
/// schema itself is broken, which is reported (not panicked on) per call.
fn validator() -> Result<&'static jsonschema::Validator, ValidationError> {
    static V: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(EPCIS_JSON_SCHEMA).map_err(|e| e.to_string())?;
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| {
        ValidationError::Schema(vec![SchemaViolation {
            instance_path: String::new(),
            schema_path: String::new(),
            message: format!("embedded schema failed to compile: {e}"),
        }])
    })
}

/// Validate an EPCIS document (JSON bytes) against the schema.
pub fn validate_document(bytes: &[u8]) -> Result<(), ValidationError> {
    check_size("document", bytes.len(), MAX_DOCUMENT_BYTES)?;
    let doc: Value = serde_json::from_slice(bytes).map_err(ParseError::from)?;
    validate_value(&doc, "")
}

/// Validate a single event by wrapping it in a minimal `EPCISDocument`
/// (the schema only defines events inside documents). Reported instance
/// paths are relative to the event.
pub fn validate_event(bytes: &[u8]) -> Result<(), ValidationError> {
    check_size("event", bytes.len(), MAX_EVENT_BYTES)?;
    let mut event: Value = serde_json::from_slice(bytes).map_err(ParseError::from)?;
    let context = event
        .as_object_mut()
        .and_then(|o| o.shift_remove("@context"))
        .unwrap_or_else(|| {
            Value::String("https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld".into())
        });
    let doc = serde_json::json!({
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2000-01-01T00:00:00Z",
        "epcisBody": { "eventList": [event] },
    });
    validate_value(&doc, "/epcisBody/eventList/0")
}

fn validate_value(doc: &Value, strip: &str) -> Result<(), ValidationError> {
    let validator = validator()?;
    // `is_valid` stops at the first failure and builds no error values: a third of the cost of
    // collecting every violation, and nearly every document a bookkeeper sees is valid. Only an
    // invalid one is walked again, for the full list of what is wrong with it.
    if validator.is_valid(doc) {
        return Ok(());
    }
    let violations: Vec<SchemaViolation> = validator
        .iter_errors(doc)
        .map(|e| {
            let path = e.instance_path().to_string();
            SchemaViolation {
                instance_path: path.strip_prefix(strip).map(str::to_string).unwrap_or(path),
                schema_path: e.schema_path().to_string(),
                message: e.to_string(),
            }
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ValidationError::Schema(violations))
    }
}

fn check_size(what: &'static str, actual: usize, limit: usize) -> Result<(), ParseError> {
    if actual > limit {
        return Err(ParseError::TooLarge {
            what,
            actual,
            limit,
        });
    }
    Ok(())
}
