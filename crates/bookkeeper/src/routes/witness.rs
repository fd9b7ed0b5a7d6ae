//! `POST /add-checkpoint`: this bookkeeper as a C2SP tlog-witness for its peers' logs.

use super::now_unix;
use crate::error::ApiError;
use crate::shared::Shared;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tally_logstore::LogStore as _;
use tally_logstore::WitnessState;
use tally_tlog::Hash;
use tally_witness::{AddCheckpoint, Latest, Outcome};

/// Status codes as c2sp.org/tlog-witness defines them (see `tally_witness`). The new state is
/// stored with a compare-and-swap before the cosignature is sent; a request that lost the race to
/// a concurrent one is answered 409 with the size now stored. A 422 that contradicts a cosigned
/// checkpoint is recorded as evidence (served at `/evidence`).
pub(crate) async fn add_checkpoint(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = match AddCheckpoint::parse(&body) {
        Ok(r) => r,
        Err(e) => return Ok(answer(&Outcome::from(e))),
    };
    let origin = request.origin().to_owned();
    let read_origin = origin.clone();
    let stored = shared
        .with_store(move |s| s.witness_state(&read_origin))
        .await?;
    let latest = stored.as_ref().map(|w| Latest {
        size: w.size,
        root: Hash(w.root),
        note: w.note.clone(),
    });
    let outcome = shared
        .witness
        .add_checkpoint(&request, latest.as_ref(), now_unix());
    match &outcome {
        Outcome::Cosigned { new_state, .. } => {
            let expected = stored.map(|w| w.size);
            let new = WitnessState {
                size: new_state.size,
                root: new_state.root.0,
                note: new_state.note.clone(),
            };
            let cas_origin = origin.clone();
            let swapped = shared
                .with_store(move |s| {
                    if s.compare_and_swap_witness_state(&cas_origin, expected, &new)? {
                        Ok(None)
                    } else {
                        Ok(Some(s.witness_state(&cas_origin)?.map_or(0, |w| w.size)))
                    }
                })
                .await?;
            if let Some(latest_size) = swapped {
                return Ok(answer(&Outcome::Conflict { latest_size }));
            }
        }
        Outcome::Unprocessable {
            reason,
            evidence: Some(evidence),
        } => {
            let (old, new, why) = (
                evidence.cosigned.clone(),
                evidence.submitted.clone(),
                reason.to_string(),
            );
            tracing::warn!(%origin, reason = %why, "peer log contradicts a cosigned checkpoint");
            shared
                .with_store(move |s| s.record_evidence(&origin, &old, &new, &why))
                .await?;
        }
        Outcome::Conflict { .. } => {
            if let Some(evidence) = shared.witness.rollback(&request, latest.as_ref()) {
                record_rollback(&shared, origin, evidence).await?;
            }
        }
        _ => {}
    }
    Ok(answer(&outcome))
}

fn answer(outcome: &Outcome) -> Response {
    let status =
        StatusCode::from_u16(outcome.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, outcome.content_type())],
        outcome.body(),
    )
        .into_response()
}

/// Records a log's rollback once: the log retries the same smaller checkpoint on every tick.
async fn record_rollback(
    shared: &Shared,
    origin: String,
    evidence: tally_witness::Evidence,
) -> Result<(), ApiError> {
    shared
        .with_store(move |s| {
            let known = s
                .evidence()?
                .iter()
                .any(|e| e.origin == origin && e.new_note == evidence.submitted);
            if !known {
                tracing::warn!(%origin, "peer log submitted a smaller tree than this witness cosigned");
                s.record_evidence(
                    &origin,
                    &evidence.cosigned,
                    &evidence.submitted,
                    "rollback: the log submitted a smaller tree than it had this witness cosign",
                )?;
            }
            Ok(())
        })
        .await
}
