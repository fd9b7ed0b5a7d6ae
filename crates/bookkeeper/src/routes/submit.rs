//! `POST /submit`: admit an entry, sequence it, answer with a signed receipt.

use super::now_unix;
use crate::admission::{self, too_large};
use crate::error::ApiError;
use crate::receipt;
use crate::sequencer;
use crate::shared::Shared;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tally_logstore::LogStore as _;
use tally_tlog::leaf_hash;

/// What the blocking pool found out about a submission.
enum Checked {
    /// Already in the log at this index.
    Known(u64),
    /// New, and admissible.
    Admitted(admission::Admitted),
}

/// Body: the encoded entry (`application/octet-stream`). 200 with the receipt note
/// (`text/plain`), also for an entry already in the log (same index); otherwise a JSON error.
pub(crate) async fn submit(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::bad_request("bad_body", rejection.body_text())
        }
    })?;
    let leaf = leaf_hash(&body);
    // A resubmission gets the original index without being admitted again: the registry may have
    // changed since (a later revocation must not make an already logged entry look refused). The
    // lookup and the admission share one trip to the blocking pool.
    let admitting = Arc::clone(&shared);
    let checked = tokio::task::spawn_blocking(move || {
        if let Some(index) = admitting.read(|s| Ok(s.index_of(&leaf)?))? {
            return Ok(Checked::Known(index));
        }
        let registry = admitting
            .registry
            .read()
            .map_err(|_| ApiError::internal("registry lock poisoned"))?;
        admission::admit(&admitting.policy, &registry, &body).map(Checked::Admitted)
    })
    .await
    .map_err(ApiError::internal)??;
    let index = match checked {
        Checked::Known(index) => index,
        Checked::Admitted(admitted) => sequencer::submit(&shared, admitted).await?,
    };
    let note = receipt::sign(
        &shared.log_key,
        &leaf,
        index,
        now_unix(),
        receipt::max_delay_seconds(shared.checkpoint_interval_ms),
    )
    .map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}
