//! Errors in the RFC 7807 problem format, with the EPCIS exception types the REST binding names.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem response: `kind` is the exception after `epcisException:`.
pub fn problem(status: StatusCode, kind: &str, detail: impl Into<String>) -> Response {
    respond(status, body(status, kind, detail, None))
}

/// The body of a problem, for a response or a capture job's `errors`.
pub fn body(status: StatusCode, kind: &str, detail: impl Into<String>, at: Option<&str>) -> Value {
    let mut v = json!({
        "type": format!("epcisException:{kind}"),
        "title": title(kind),
        "status": status.as_u16(),
        "detail": detail.into(),
    });
    if let Some(at) = at {
        v["instance"] = json!(at);
    }
    v
}

pub fn respond(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, PROBLEM_JSON)],
        body.to_string(),
    )
        .into_response()
}

fn title(kind: &str) -> &'static str {
    match kind {
        "ValidationException" => "The document is not a valid EPCIS 2.0 document",
        "SecurityException" => "Not authorised",
        "CaptureLimitExceededException" => "The capture exceeds the gateway's limits",
        "UnsupportedMediaTypeException" => "Unsupported media type",
        // The binding's schema for a 404 names this type (its example says NoSuchResourceException).
        "NoSuchNameException" => "Resource not found",
        "ImplementationException" => "The gateway failed",
        "QueryParameterException" => "The query's parameters are not valid",
        "QueryTooLargeException" => "More events match than the query allows",
        "NotAcceptableException" => "No representation the request accepts",
        "ResourceAlreadyExistsException" => "The resource exists already",
        _ => "Error",
    }
}
