//! Error types. Every fallible entry point of this crate returns one of these
//! instead of panicking, because the inputs come straight from the network.

use thiserror::Error;

/// Failure to read an EPCIS document or event into the typed model.
#[derive(Debug, Error)]
pub enum ParseError {
    /// The input exceeds the size bound for its kind (document or event).
    #[error("{what} is {actual} bytes, larger than the limit of {limit} bytes")]
    TooLarge {
        /// "document" or "event".
        what: &'static str,
        /// Size of the input.
        actual: usize,
        /// Applicable limit.
        limit: usize,
    },
    /// The bytes are not well-formed JSON (or not UTF-8).
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is well-formed but does not have the EPCIS shape.
    #[error("not an EPCIS {what}: {reason}")]
    Shape {
        /// What was expected ("document", "event").
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// The `type` member names no EPCIS 2.0 event type.
    #[error("unknown event type {0:?}")]
    UnknownEventType(String),
    /// A member has the wrong type or value for its event type.
    #[error("invalid {event_type}: {source}")]
    Event {
        /// The event's `type`.
        event_type: String,
        /// The underlying serde error (names the field).
        #[source]
        source: serde_json::Error,
    },
    /// A timestamp is not an RFC 3339 date-time.
    #[error("invalid timestamp {value:?}: {reason}")]
    Time {
        /// The offending text.
        value: String,
        /// Parser message.
        reason: String,
    },
}

/// One violation of the EPCIS 2.0 JSON schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer (RFC 6901) of the failing value in the validated input.
    pub instance_path: String,
    /// JSON pointer of the schema keyword that failed.
    pub schema_path: String,
    /// What was violated, as worded by the validator.
    pub message: String,
}

impl std::fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "at {at}: {} (schema {})", self.message, self.schema_path)
    }
}

/// Failure of [`crate::validate_document`] / [`crate::validate_event`].
#[derive(Debug, Error)]
pub enum ValidationError {
    /// The input could not even be parsed as JSON (or is too large).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The JSON violates the schema; all violations found are listed.
    #[error("{} schema violation(s); first {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Schema(Vec<SchemaViolation>),
}

/// Failure to compute a CBV 2.0 Event Hash ID.
#[derive(Debug, Error)]
pub enum HashError {
    /// The event or its context could not be read.
    #[error(transparent)]
    Parse(#[from] ParseError),
}
