//! Read endpoints: checkpoint, tiles, proofs, health, metrics, evidence.
//!
//! Tiles and proofs are served only up to the latest signed checkpoint, so everything a client
//! reads can be verified against a checkpoint it can fetch.

use crate::error::ApiError;
use crate::shared::Shared;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tally_logstore::LogStore as _;
use tally_tlog::tiles::TilePath;
use tally_tlog::Hash;

pub(crate) type Params = HashMap<String, String>;

/// The query parameters, or a JSON 400 (axum's own rejection is plain text).
pub(crate) fn params(q: Result<Query<Params>, QueryRejection>) -> Result<Params, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request("bad_query", e.body_text()))
}

pub(crate) const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `GET /checkpoint`: the latest signed checkpoint with the cosignatures gathered (text/plain).
pub(crate) async fn checkpoint(State(shared): State<Arc<Shared>>) -> Result<Response, ApiError> {
    let note = shared
        .latest()
        .ok_or_else(|| ApiError::not_found("no checkpoint signed yet"))?
        .note;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        note,
    )
        .into_response())
}

/// `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]` (c2sp.org/tlog-tiles).
pub(crate) async fn tile(
    State(shared): State<Arc<Shared>>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let tile =
        TilePath::parse(&format!("tile/{path}")).map_err(|e| ApiError::not_found(e.to_string()))?;
    let size = shared.signed_size();
    let data = shared
        .with_reader(move |s| s.tile(tile, size))
        .await?
        .ok_or_else(|| ApiError::not_found("the tile is beyond the latest checkpoint"))?;
    let cache = if tile.is_full() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, cache),
        ],
        data,
    )
        .into_response())
}

pub(crate) fn param<T: std::str::FromStr>(q: &Params, name: &str) -> Result<Option<T>, ApiError> {
    q.get(name)
        .map(|v| {
            v.parse().map_err(|_| {
                ApiError::bad_request("bad_parameter", format!("{name} must be a number"))
            })
        })
        .transpose()
}

pub(crate) fn required<T: std::str::FromStr>(q: &Params, name: &str) -> Result<T, ApiError> {
    param(q, name)?.ok_or_else(|| {
        ApiError::bad_request("missing_parameter", format!("parameter {name} is required"))
    })
}

/// Checks that `size` is a tree size to prove against when the latest checkpoint has `signed`.
pub(crate) fn provable_within(signed: u64, size: u64) -> Result<(), ApiError> {
    if size == 0 || size > signed {
        return Err(ApiError::bad_request(
            "bad_size",
            format!("size must be between 1 and the latest checkpoint size {signed}"),
        ));
    }
    Ok(())
}

/// `{"<first>": A, "size": S, "proof": [base64…]}`, written straight into one buffer: the proof
/// endpoints are the hottest a log serves, and building a `serde_json::Value` tree cost a heap
/// allocation per hash (numbers and base64 need no JSON escaping).
fn proof_response(first: (&str, u64), size: u64, proof: &[Hash]) -> Response {
    let (name, value) = first;
    let mut body = String::with_capacity(64 + proof.len() * 47);
    // Writing to a String cannot fail.
    let _ = write!(body, "{{\"{name}\":{value},\"size\":{size},\"proof\":");
    write_hashes(&mut body, proof);
    body.push('}');
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Appends `list` to `body` as a JSON array of base64 hashes.
pub(crate) fn write_hashes(body: &mut String, list: &[Hash]) {
    body.push('[');
    for (k, hash) in list.iter().enumerate() {
        if k > 0 {
            body.push(',');
        }
        body.push('"');
        B64.encode_string(hash.0, body);
        body.push('"');
    }
    body.push(']');
}

/// The entry an inclusion proof is asked for.
enum Target {
    Index(u64),
    Leaf(Hash),
}

/// `GET /proof/inclusion?index=I&size=S` or `?hash=<leaf hash, base64>&size=S`:
/// `{"index", "size", "proof": [base64…]}`.
///
/// The proof is computed on the request's own task, from a memory-mapped read connection: it
/// reads O(log n) stored hashes, and under load a hop to the blocking pool would cost more than
/// the proof itself.
pub(crate) async fn inclusion(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = params(q)?;
    let size: u64 = required(&q, "size")?;
    // Parsed now, reported only after the size check (the order of the answers is part of the API).
    let target = match (param::<u64>(&q, "index"), q.get("hash")) {
        (Err(e), _) => Err(e),
        (Ok(Some(index)), None) => Ok(Target::Index(index)),
        (Ok(None), Some(hash)) => B64
            .decode(hash)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(|h| Target::Leaf(Hash(h)))
            .ok_or_else(|| {
                ApiError::bad_request("bad_parameter", "hash must be a base64 SHA-256 hash")
            }),
        _ => Err(ApiError::bad_request(
            "missing_parameter",
            "give exactly one of index and hash",
        )),
    };
    provable_within(shared.signed_size(), size)?;
    let (index, proof) = shared
        .quick(move |shared| {
            shared.read(|s| {
                let index = match target? {
                    Target::Index(index) => index,
                    Target::Leaf(leaf) => s
                        .index_of(&leaf)?
                        .ok_or_else(|| ApiError::not_found("no entry with this leaf hash"))?,
                };
                if index >= size {
                    return Err(ApiError::not_found(format!(
                        "entry {index} is not in the tree of size {size}"
                    )));
                }
                let proof = tally_tlog::store::inclusion_proof(s, index, size)
                    .map_err(ApiError::internal)?;
                Ok((index, proof))
            })
        })
        .await??;
    Ok(proof_response(("index", index), size, &proof))
}

/// `GET /proof/consistency?old=A&size=B` (0 < A ≤ B): `{"old", "size", "proof": [base64…]}`.
pub(crate) async fn consistency(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = params(q)?;
    let old: u64 = required(&q, "old")?;
    let size: u64 = required(&q, "size")?;
    provable_within(shared.signed_size(), size)?;
    if old == 0 || old > size {
        return Err(ApiError::bad_request(
            "bad_size",
            "old must be between 1 and size",
        ));
    }
    let proof = shared
        .with_reader(move |s| Ok(tally_tlog::store::consistency_proof(s, old, size)))
        .await?
        .map_err(ApiError::internal)?;
    Ok(proof_response(("old", old), size, &proof))
}

/// `GET /health`: 200 with the log and checkpoint sizes while the database answers.
pub(crate) async fn health(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, ApiError> {
    let (size, signed) = shared
        .with_reader(|s| Ok((s.size()?, s.latest_checkpoint()?.map_or(0, |(n, _)| n))))
        .await?;
    Ok(Json(
        json!({"status": "ok", "origin": shared.origin(), "size": size, "checkpoint_size": signed}),
    ))
}

/// Most outbox entries counted per peer for the metrics: enough to see a backlog grow.
const BACKLOG_COUNT_LIMIT: usize = 1_000_000;

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(State(shared): State<Arc<Shared>>) -> Result<Response, ApiError> {
    // Per peer: its name, and its log's origin (what this bookkeeper witnesses it as).
    let peers: Vec<(String, String)> = shared
        .peers
        .iter()
        .filter_map(|p| {
            let origin = shared.policy.bookkeeper(&p.name)?.log_key.name().to_owned();
            Some((p.name.clone(), origin))
        })
        .collect();
    let (size, backlog, witnessed) = shared
        .with_reader(move |s| {
            let mut backlog = Vec::new();
            let mut witnessed = Vec::new();
            for (peer, origin) in &peers {
                backlog.push((peer.clone(), s.pending(peer, BACKLOG_COUNT_LIMIT)?.len()));
                let size = s.witness_state(origin)?.map(|w| w.size);
                witnessed.push((peer.clone(), size));
            }
            Ok((s.size()?, backlog, witnessed))
        })
        .await?;
    let signed = shared.signed_size();
    let mut out = String::new();
    let queue = shared.queue_len.load(Ordering::Relaxed);
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# TYPE tally_log_size gauge\ntally_log_size {size}");
    let _ = writeln!(
        out,
        "# TYPE tally_checkpoint_size gauge\ntally_checkpoint_size {signed}"
    );
    let _ = writeln!(
        out,
        "# TYPE tally_sequencer_queue_length gauge\ntally_sequencer_queue_length {queue}"
    );
    let _ = writeln!(out, "# TYPE tally_outbox_backlog gauge");
    for (peer, n) in backlog {
        let _ = writeln!(out, "tally_outbox_backlog{{peer=\"{peer}\"}} {n}");
    }
    // A peer's log holds the same entries in another order, so its size ahead of ours is what
    // this log has yet to receive (or what the peer logged that this bookkeeper refuses).
    let _ = writeln!(
        out,
        "# TYPE tally_peer_checkpoint_size gauge\n# TYPE tally_lag_behind_peer gauge"
    );
    for (peer, witnessed) in witnessed {
        if let Some(n) = witnessed {
            let _ = writeln!(out, "tally_peer_checkpoint_size{{peer=\"{peer}\"}} {n}");
            let lag = n.saturating_sub(size);
            let _ = writeln!(out, "tally_lag_behind_peer{{peer=\"{peer}\"}} {lag}");
        }
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        out,
    )
        .into_response())
}

/// `GET /evidence`: every recorded proof of a peer log's misbehaviour, oldest first.
pub(crate) async fn evidence(State(shared): State<Arc<Shared>>) -> Result<Json<Value>, ApiError> {
    let all = shared.with_reader(|s| s.evidence()).await?;
    let items: Vec<Value> = all
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id,
                "origin": e.origin,
                "old_note": String::from_utf8_lossy(&e.old_note),
                "new_note": String::from_utf8_lossy(&e.new_note),
                "reason": e.reason,
                "recorded_at": e.recorded_at,
            })
        })
        .collect();
    Ok(Json(json!({ "evidence": items })))
}
