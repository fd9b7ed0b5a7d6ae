//! `POST /submit` and `POST /submit-bundle`: admit entries, sequence them, answer with signed
//! receipts.
//!
//! A single submission is checked on the request's own task (an index lookup and the admission
//! rules, well under a millisecond) rather than on the blocking pool: under load every hop between
//! threads costs as much as the check itself. A bundle carries up to [`MAX_BUNDLE_ENTRIES`] entries
//! in one request (the outbox of a warehouse device, a peer's broadcast) and is checked on the
//! blocking pool, so a large one never stalls the other requests.

use super::now_unix;
use super::reads::{params, Params, B64};
use crate::admission::{self, too_large, Admitted};
use crate::error::ApiError;
use crate::sequencer;
use crate::shared::Shared;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};
use std::sync::Arc;
use tally_logstore::LogStore as _;
use tally_tlog::{leaf_hash, Hash};
use tally_trust::receipt::{self, Promise};

/// Most entries in one bundle: one sequencer batch's worth.
pub const MAX_BUNDLE_ENTRIES: usize = 1024;
/// Largest bundle body: [`MAX_BUNDLE_ENTRIES`] entries of 8 KiB, far above any real event.
pub const MAX_BUNDLE_BYTES: usize = 8 * 1024 * 1024;

/// What the checks found out about one submitted entry.
enum Checked {
    /// Already in the log at this index.
    Known(sequencer::Logged),
    /// New, and admissible.
    Admitted(Admitted),
}

/// The body, or the refusal of a body the HTTP layer could not read (too large: it stops reading
/// at the limit).
fn body(
    body: Result<Bytes, BytesRejection>,
    limit: impl Fn() -> ApiError,
) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            limit()
        } else {
            ApiError::bad_request("bad_body", rejection.body_text())
        }
    })
}

/// Body: the encoded entry (`application/octet-stream`). 200 with the receipt note
/// (`text/plain`), also for an entry already in the log (same index); otherwise a JSON error.
pub(crate) async fn submit(
    State(shared): State<Arc<Shared>>,
    body_bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let entry = body(body_bytes, too_large)?;
    let leaf = leaf_hash(&admission::logged_bytes(&entry));
    let checked = shared
        .quick(move |shared| check(shared, &[entry], &[leaf]))
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("no check result"))??;
    let (index, logged) = sequence(&shared, vec![checked])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("no sequencer result"))??;
    // A duplicate by meaning is receipted as the entry already logged for that event.
    let note = sign_receipt(&shared, &logged, index, now_unix())?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

/// Body: a C2SP entry bundle (each entry prefixed by its 2-byte big-endian length), at most
/// [`MAX_BUNDLE_ENTRIES`] entries. 200 with `{"receipt", "results": [...]}`: one result per entry in
/// order, either `{"index"}`, `{"index", "duplicate_of": <leaf hash, base64>}` (the same event,
/// serialised otherwise, is logged there as that entry) or `{"error", "message", "status"}` as
/// `/submit` would answer that entry alone, and one `tally/receipt-batch/v1` note for every entry that got an index, in order
/// (see [`tally_trust::receipt`]; absent when none did). Entries are checked in order, so a
/// registry record counts for the entries after it. 400 if the body is not a bundle, 413 if it is
/// too large. With `?receipts=none` there is no receipt (a peer's broadcast needs the indices only).
pub(crate) async fn submit_bundle(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<Params>, QueryRejection>,
    body_bytes: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let sign = match params(q)?.get("receipts").map(String::as_str) {
        None | Some("signed") => true,
        Some("none") => false,
        Some(_) => {
            return Err(ApiError::bad_request(
                "bad_parameter",
                "receipts must be signed or none",
            ))
        }
    };
    let bundle = body(body_bytes, bundle_too_large)?;
    let entries: Vec<Bytes> = tally_tlog::tiles::decode_entry_bundle(&bundle)
        .ok_or_else(|| {
            ApiError::bad_request(
                "malformed_bundle",
                "the body is not an entry bundle (entries each prefixed by a 2-byte big-endian length)",
            )
        })?
        .into_iter()
        .map(|e| bundle.slice_ref(e))
        .collect();
    if entries.len() > MAX_BUNDLE_ENTRIES {
        return Err(bundle_too_large());
    }
    let leaves: Vec<Hash> = entries
        .iter()
        .map(|e| leaf_hash(&admission::logged_bytes(e)))
        .collect();
    let checking = Arc::clone(&shared);
    let checked = {
        let _turn = cpu_turn(&shared).await?;
        let leaves = leaves.clone();
        tokio::task::spawn_blocking(move || check(&checking, &entries, &leaves))
            .await
            .map_err(ApiError::internal)?
    };
    // Only the admitted and known go to the sequencer; refusals keep their place in the answer.
    let (mut results, mut to_sequence) = (Vec::with_capacity(checked.len()), Vec::new());
    for c in checked {
        match c {
            Ok(c) => {
                results.push(None);
                to_sequence.push(c);
            }
            Err(e) => results.push(Some(Err(e))),
        }
    }
    let mut sequenced = sequence(&shared, to_sequence).await?.into_iter();
    for r in results.iter_mut().filter(|r| r.is_none()) {
        *r = sequenced.next();
    }
    let results: Vec<Result<sequencer::Logged, ApiError>> = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(ApiError::internal("missing result"))))
        .collect();
    // One receipt for the whole bundle: a signature over the tree of its promises.
    let promises: Vec<Promise> = results
        .iter()
        .filter_map(|r| {
            r.as_ref()
                .ok()
                .map(|&(index, leaf)| Promise { index, leaf })
        })
        .collect();
    let receipt = if sign && !promises.is_empty() {
        let note = receipt::sign_batch(
            &shared.log_key,
            &promises,
            now_unix(),
            receipt::max_delay_seconds(shared.checkpoint_interval_ms),
        )
        .map_err(ApiError::internal)?;
        Some(String::from_utf8_lossy(&note).into_owned())
    } else {
        None
    };
    let answers: Vec<Value> = results
        .into_iter()
        .zip(&leaves)
        .map(|(r, sent)| match r {
            Ok((index, leaf)) if leaf == *sent => json!({ "index": index }),
            Ok((index, leaf)) => json!({ "index": index, "duplicate_of": B64.encode(leaf.0) }),
            Err(e) => json!({
                "error": e.code,
                "message": e.message,
                "status": e.status.as_u16(),
            }),
        })
        .collect();
    Ok(Json(match receipt {
        Some(receipt) => json!({ "receipt": receipt, "results": answers }),
        None => json!({ "results": answers }),
    }))
}

/// Waits for a core to check a bundle on (see [`Shared::bundle_work`]).
async fn cpu_turn(shared: &Shared) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
    shared
        .bundle_work
        .acquire()
        .await
        .map_err(|_| ApiError::internal("bookkeeper shutting down"))
}

fn bundle_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "a bundle holds at most {MAX_BUNDLE_ENTRIES} entries and {MAX_BUNDLE_BYTES} bytes; split it"
        ),
    )
}

/// Checks entries (with their leaf hashes) in order: already logged (their index), or admissible
/// against the registry.
///
/// A resubmission gets the original index without being admitted again: the registry may have
/// changed since (a later revocation must not make an already logged entry look refused).
fn check(shared: &Shared, entries: &[Bytes], leaves: &[Hash]) -> Vec<Result<Checked, ApiError>> {
    let known: Result<Vec<Option<u64>>, ApiError> = shared.read(|s| Ok(s.indices_of(leaves)?));
    let known = match known {
        Ok(k) => k,
        Err(e) => return entries.iter().map(|_| Err(e.clone())).collect(),
    };
    let new: Vec<&Bytes> = entries
        .iter()
        .zip(&known)
        .filter(|(_, k)| k.is_none())
        .map(|(e, _)| e)
        .collect();
    let registry = match shared.registry_now() {
        Ok(r) => r,
        Err(e) => return entries.iter().map(|_| Err(e.clone())).collect(),
    };
    let mut admitted = admission::admit_bundle(shared.network(), &registry, &new).into_iter();
    known
        .into_iter()
        .zip(leaves)
        .map(|(k, leaf)| match k {
            Some(index) => Ok(Checked::Known((index, *leaf))),
            None => admitted
                .next()
                .unwrap_or_else(|| Err(ApiError::internal("missing admission")))
                .map(Checked::Admitted),
        })
        .collect()
}

/// Sends the admitted entries to the sequencer; the known ones keep their index.
async fn sequence(
    shared: &Shared,
    checked: Vec<Checked>,
) -> Result<Vec<Result<sequencer::Logged, ApiError>>, ApiError> {
    let mut admitted = Vec::new();
    let known: Vec<Option<sequencer::Logged>> = checked
        .into_iter()
        .map(|c| match c {
            Checked::Known(logged) => Some(logged),
            Checked::Admitted(a) => {
                admitted.push(a);
                None
            }
        })
        .collect();
    let mut indices = if admitted.is_empty() {
        Vec::new()
    } else {
        sequencer::submit(shared, admitted).await?
    }
    .into_iter();
    Ok(known
        .into_iter()
        .map(|k| match k {
            Some(logged) => Ok(logged),
            None => indices
                .next()
                .unwrap_or_else(|| Err(ApiError::internal("missing index"))),
        })
        .collect())
}

fn sign_receipt(shared: &Shared, leaf: &Hash, index: u64, now: u64) -> Result<Vec<u8>, ApiError> {
    receipt::sign(
        &shared.log_key,
        &Promise { index, leaf: *leaf },
        now,
        receipt::max_delay_seconds(shared.checkpoint_interval_ms),
    )
    .map_err(ApiError::internal)
}
