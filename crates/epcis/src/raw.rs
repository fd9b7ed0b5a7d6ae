//! Original bytes of events, kept next to their parsed form.
//!
//! Why: re-serialising a parsed event can reorder keys, change number
//! spelling or escape characters differently, so any signature or hash made
//! over it would not match the producer's. Whatever is hashed, signed or
//! logged is therefore the exact text of the event as received;
//! [`Document::parse`] splits a document into per-event byte ranges with
//! `serde_json::value::RawValue`, which keeps each element's source text.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::context::JsonLdContext;
use crate::error::ParseError;
use crate::model::Event;

/// Largest accepted document (16 MiB): bounds memory per request.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// Largest accepted single event (1 MiB).
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// One event: the exact JSON text as given, and its typed reading.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    /// Exactly the JSON text of one event object as given.
    pub bytes: Vec<u8>,
    /// Typed view of the same event.
    pub event: Event,
}

impl RawEvent {
    /// Parse a single event JSON object, keeping its bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        check_size("event", bytes.len(), MAX_EVENT_BYTES)?;
        let value: Value = serde_json::from_slice(bytes)?;
        if !value.is_object() {
            return Err(ParseError::Shape {
                what: "event",
                reason: "not a JSON object".into(),
            });
        }
        Ok(RawEvent {
            bytes: bytes.to_vec(),
            event: Event::from_value(value)?,
        })
    }
}

/// An `EPCISDocument` (or `EPCISQueryDocument`) split into raw events.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document's `@context`, needed to resolve namespace prefixes when hashing.
    pub context: JsonLdContext,
    /// `type` (`EPCISDocument` or `EPCISQueryDocument`).
    pub kind: String,
    /// `schemaVersion`.
    pub schema_version: Option<String>,
    /// `creationDate`, as written.
    pub creation_date: Option<String>,
    /// `epcisHeader`, untyped (master data is not used by Tally).
    pub epcis_header: Option<Value>,
    /// The events of `epcisBody.eventList` (or the query results), in order.
    pub events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct DocShape<'a> {
    #[serde(rename = "@context", default)]
    context: Option<Value>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<String>,
    #[serde(rename = "creationDate", default)]
    creation_date: Option<String>,
    #[serde(rename = "epcisHeader", default)]
    epcis_header: Option<Value>,
    #[serde(rename = "epcisBody", borrow)]
    body: BodyShape<'a>,
}

#[derive(Deserialize)]
struct BodyShape<'a> {
    #[serde(rename = "eventList", borrow, default)]
    event_list: Option<Vec<&'a RawValue>>,
    #[serde(rename = "queryResults", borrow, default)]
    query_results: Option<QueryResults<'a>>,
}

#[derive(Deserialize)]
struct QueryResults<'a> {
    #[serde(rename = "resultsBody", borrow)]
    results_body: ResultsBody<'a>,
}

#[derive(Deserialize)]
struct ResultsBody<'a> {
    #[serde(rename = "eventList", borrow, default)]
    event_list: Option<Vec<&'a RawValue>>,
}

impl Document {
    /// Parse a document, keeping each event's original bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        check_size("document", bytes.len(), MAX_DOCUMENT_BYTES)?;
        let shape: DocShape<'_> = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_data() {
                ParseError::Shape {
                    what: "document",
                    reason: e.to_string(),
                }
            } else {
                ParseError::Json(e)
            }
        })?;
        let list = match (shape.body.event_list, shape.body.query_results) {
            (Some(l), _) => l,
            (None, Some(q)) => q.results_body.event_list.unwrap_or_default(),
            (None, None) => {
                return Err(ParseError::Shape {
                    what: "document",
                    reason: "epcisBody has no eventList".into(),
                })
            }
        };
        let events = list
            .into_iter()
            .map(|raw| RawEvent::parse(raw.get().as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Document {
            context: shape
                .context
                .as_ref()
                .map(JsonLdContext::from_value)
                .unwrap_or_default(),
            kind: shape.kind,
            schema_version: shape.schema_version,
            creation_date: shape.creation_date,
            epcis_header: shape.epcis_header,
            events,
        })
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
