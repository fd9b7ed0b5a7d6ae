//! Errors: what a client is told (an [`ApiError`], JSON with a status), and why a bookkeeper could
//! not start or stopped ([`ServeError`]).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use thiserror::Error;

/// A refusal or failure answered to an HTTP client as `{"error": code, "message": text}`.
///
/// The code is stable and machine-readable; the message says what to change, for a person.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: std::borrow::Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// An error another process answered (a front end relays its sequencer's), as it was.
    pub fn relayed(status: StatusCode, code: String, message: String) -> Self {
        Self {
            status,
            code: code.into(),
            message,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A failure of this bookkeeper (database, task), not of the request; details go to the log.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(%message, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the bookkeeper failed to handle the request; try again later",
        )
    }
}

impl From<tally_logstore::StoreError> for ApiError {
    fn from(e: tally_logstore::StoreError) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.code, "message": self.message})),
        )
            .into_response()
    }
}

/// Why a bookkeeper could not start or had to stop.
#[derive(Debug, Error)]
pub enum ServeError {
    #[error("config {path}: {reason}")]
    Config { path: String, reason: String },
    #[error("policy: {0}")]
    Policy(String),
    #[error("key file {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("store: {0}")]
    Store(#[from] tally_logstore::StoreError),
    #[error("stored entry {index} does not decode: {reason}")]
    CorruptEntry { index: u64, reason: String },
    #[error("witness: {0}")]
    Witness(#[from] tally_witness::ConfigError),
    #[error("http client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("listen or serve: {0}")]
    Io(#[from] std::io::Error),
    /// This process was the log's sequencer and lost its lease (see `lease`).
    #[error("lost the sequencer lease: {0}")]
    LeaseLost(String),
    #[error("background task: {0}")]
    Task(#[from] tokio::task::JoinError),
}
