//! A front end: a process that serves one bookkeeper's reads (checkpoints, tiles, proofs, lookups,
//! histories) from the database that another process of the same bookkeeper sequences, and
//! admits its submissions, so that reads and admission's CPU scale out across machines, and reads
//! go on while the sequencer fails over.
//!
//! It is the bookkeeper's config with `front_end` set. It opens the database read-only and runs
//! no checkpointer, broadcast or publisher, and does not take the sequencer lease. A submission is
//! checked here in full (signature, registry, schema, custody), exactly as the sequencer checks
//! it; what passes goes to the sequencer's `POST /sequence` at the policy's address for this
//! bookkeeper, signed with the log's key, which only the bookkeeper's own processes hold. The
//! sequencer logs it without checking it again and answers with the indices, and the front end
//! signs the receipts. Witness requests to a front end answer 503.
//!
//! Every [`FOLLOW`] it reads the latest stored checkpoint and the log's size, and admits the
//! registry records logged since into its registry. So its answers are bounded by the
//! checkpoint the sequencer signed last, as the sequencer's own are. A certification or
//! revocation reaches its checks within that interval. A registry record itself is checked again
//! by the sequencer when it is sequenced, as every record is.

use crate::admission::Admitted;
use crate::error::ApiError;
use crate::sequencer::{Job, Logged};
use crate::shared::Shared;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tally_logstore::LogStore as _;
use tally_trust::Entry;
use tokio::sync::mpsc;

/// How often a front end reads the latest checkpoint the sequencer stored.
const FOLLOW: Duration = Duration::from_millis(200);
/// The header carrying the log key's signature of a `/sequence` body.
const SIGNATURE_HEADER: &str = "tally-sequence-signature";
/// What the signature covers before the body: a context of its own, so that no other message
/// the log key signs (checkpoints, receipts) can be taken for one.
const CONTEXT: &[u8] = b"tally/sequence/v1\n";

/// Follows the sequencer's checkpoints and registry, from a log of `replayed` entries, until the
/// task is stopped.
pub(crate) async fn follow(shared: Arc<Shared>, mut replayed: u64) {
    let mut ticks = tokio::time::interval(FOLLOW);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let read = shared
            .with_reader(|s| Ok((s.size()?, s.latest_checkpoint()?)))
            .await;
        let (size, latest) = match read {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the latest checkpoint");
                continue;
            }
        };
        if size > replayed {
            match catch_up(&shared, replayed, size).await {
                Ok(()) => replayed = size,
                Err(e) => tracing::warn!(error = %e, "could not read the new registry records"),
            }
        }
        shared.size.send_replace(size);
        let Some((n, note)) = latest else { continue };
        if shared.latest().is_none_or(|l| l.note != note) {
            shared.set_latest(n, note);
        }
    }
}

/// Admits the registry records among entries `from..to` into the shared registry.
async fn catch_up(shared: &Arc<Shared>, from: u64, to: u64) -> Result<(), ApiError> {
    let mut registry = (*shared.registry_now()?).clone();
    let reading = Arc::clone(shared);
    let registry = tokio::task::spawn_blocking(move || {
        reading.read(|s| {
            crate::replay(s, reading.network(), &mut registry, from..to)
                .map_err(ApiError::internal)?;
            Ok(registry)
        })
    })
    .await
    .map_err(ApiError::internal)??;
    if let Ok(mut shared_registry) = shared.registry.write() {
        *shared_registry = Arc::new(registry);
    }
    Ok(())
}

/// One admitted entry on its way to the sequencer.
#[derive(Serialize, Deserialize)]
struct Item {
    /// The bytes to log (base64).
    bytes: String,
    /// The entry opened, when `bytes` is sealed (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    opened: Option<String>,
    keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
}

/// What the sequencer answers for one item.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Outcome {
    Logged {
        index: u64,
        leaf: String,
    },
    Refused {
        status: u16,
        error: String,
        message: String,
    },
}

/// Hands each job the admission checks passed to the sequencer named `name` in the policy, and
/// answers it with what the sequencer logged, until the task is stopped.
pub(crate) async fn forward(shared: Arc<Shared>, mut jobs: mpsc::Receiver<Job>, name: String) {
    let url = shared
        .policy
        .bookkeeper(&name)
        .and_then(|b| b.urls.first())
        .map(|u| format!("{}/sequence", u.trim_end_matches('/')));
    while let Some(job) = jobs.recv().await {
        let n = job.admitted.len();
        shared
            .queue_len
            .fetch_sub(n, std::sync::atomic::Ordering::Relaxed);
        let (shared, url) = (Arc::clone(&shared), url.clone());
        tokio::spawn(async move {
            let answer = match url {
                Some(url) => send(&shared, &url, job.admitted).await,
                None => Err(ApiError::internal(
                    "the policy gives this bookkeeper no address",
                )),
            };
            let _ = job.reply.send(match answer {
                Ok(results) => results,
                Err(e) => vec![Err(e); n],
            });
        });
    }
}

/// Sends `admitted` to the sequencer at `url`; its outcome for each.
async fn send(
    shared: &Shared,
    url: &str,
    admitted: Vec<Admitted>,
) -> Result<Vec<Result<Logged, ApiError>>, ApiError> {
    let n = admitted.len();
    let items: Vec<Item> = admitted.into_iter().map(item).collect();
    let body = serde_json::to_vec(&items).map_err(ApiError::internal)?;
    let signature = signature(&shared.log_key, &body);
    let unavailable = |e: &dyn std::fmt::Display| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "sequencer_unavailable",
            format!("the log's sequencer did not take the entries ({e}); submit again"),
        )
    };
    let answer = shared
        .http
        .post(url)
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .map_err(|e| unavailable(&e))?;
    if !answer.status().is_success() {
        return Err(unavailable(&answer.status()));
    }
    let outcomes: Vec<Outcome> = answer.json().await.map_err(|e| unavailable(&e))?;
    if outcomes.len() != n {
        return Err(unavailable(&"an answer of another length"));
    }
    Ok(outcomes.into_iter().map(logged).collect())
}

fn item(a: Admitted) -> Item {
    let opened = a.entry.encode();
    Item {
        opened: (opened != a.bytes).then(|| B64.encode(opened)),
        bytes: B64.encode(&a.bytes),
        keys: a.keys,
        identity: a.identity,
    }
}

fn logged(o: Outcome) -> Result<Logged, ApiError> {
    match o {
        Outcome::Logged { index, leaf } => tally_tlog::Hash::parse_hash(&leaf)
            .map(|leaf| (index, leaf))
            .map_err(|_| ApiError::internal("the sequencer answered a malformed leaf hash")),
        Outcome::Refused {
            status,
            error,
            message,
        } => Err(ApiError::relayed(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            error,
            message,
        )),
    }
}

/// `POST /sequence` (a sequencer's): entries that a front end of this bookkeeper admitted, signed
/// with the log's key; logged without admission's checks, answered with an outcome each.
pub(crate) async fn sequence(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Vec<Value>>, ApiError> {
    if !signed_by(&shared.log_key.verifier(), &headers, &body) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_a_front_end",
            "only this bookkeeper's front ends may hand it admitted entries",
        ));
    }
    let bad = |m: &str| ApiError::bad_request("bad_sequence", m.to_owned());
    let items: Vec<Item> = serde_json::from_slice(&body).map_err(|_| bad("not a list of items"))?;
    let admitted = items
        .into_iter()
        .map(|i| {
            let bytes = B64.decode(&i.bytes).map_err(|_| bad("bytes not base64"))?;
            let opened = match &i.opened {
                Some(o) => B64.decode(o).map_err(|_| bad("opened not base64"))?,
                None => bytes.clone(),
            };
            let entry = Entry::decode(&opened).map_err(|_| bad("not an entry"))?;
            Ok(Admitted {
                entry,
                bytes,
                keys: i.keys,
                identity: i.identity,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let results = crate::sequencer::submit(&shared, admitted).await?;
    Ok(Json(
        results
            .into_iter()
            .map(|r| {
                let o = match r {
                    Ok((index, leaf)) => Outcome::Logged {
                        index,
                        leaf: leaf.to_string(),
                    },
                    Err(e) => Outcome::Refused {
                        status: e.status.as_u16(),
                        error: e.code.into_owned(),
                        message: e.message,
                    },
                };
                serde_json::to_value(o).unwrap_or(Value::Null)
            })
            .collect(),
    ))
}

/// The `/sequence` signature header's value for `body`: `key`'s signature of it after [`CONTEXT`].
fn signature(key: &tally_tlog::SignerKey, body: &[u8]) -> String {
    B64.encode(key.sign_raw(&[CONTEXT, body].concat()))
}

/// Whether `headers` carry `key`'s signature of `body` (see [`signature`]).
fn signed_by(key: &tally_tlog::VerifierKey, headers: &HeaderMap, body: &[u8]) -> bool {
    headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| B64.decode(v.as_bytes()).ok())
        .is_some_and(|sig| key.verify_raw(&[CONTEXT, body].concat(), &sig))
}

/// The answer to a witness request sent to a front end.
pub(crate) async fn refuse() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "front_end",
        "this process is a front end of the log: send checkpoints to cosign to its sequencer",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_testkit::key;
    use tally_tlog::KeyType;

    #[test]
    fn only_the_log_keys_signature_of_the_very_body_hands_entries_over() {
        let log = key("log.example", KeyType::Ed25519, 1);
        let other = key("log.example", KeyType::Ed25519, 2);
        let body = br#"[{"bytes":"AAAA","keys":[]}]"#;
        let headers = |sig: String| {
            let mut h = HeaderMap::new();
            h.insert(SIGNATURE_HEADER, sig.parse().unwrap());
            h
        };
        assert!(signed_by(
            &log.verifier(),
            &headers(signature(&log, body)),
            body
        ));
        assert!(!signed_by(
            &log.verifier(),
            &headers(signature(&other, body)),
            body
        ));
        assert!(!signed_by(
            &log.verifier(),
            &headers(signature(&log, b"[]")),
            body
        ));
        assert!(!signed_by(
            &log.verifier(),
            &headers("not base64!".into()),
            body
        ));
        assert!(!signed_by(&log.verifier(), &HeaderMap::new(), body));
        // A signature the log key made for anything else (a checkpoint, a receipt) is not one.
        let bare = B64.encode(log.sign_raw(body));
        assert!(!signed_by(&log.verifier(), &headers(bare), body));
    }

    #[test]
    fn an_outcome_crosses_the_wire_as_it_was() {
        let leaf = tally_tlog::leaf_hash(b"entry");
        let wire = serde_json::to_string(&[
            Outcome::Logged {
                index: 7,
                leaf: leaf.to_string(),
            },
            Outcome::Refused {
                status: 403,
                error: "revoked".into(),
                message: "the key was revoked".into(),
            },
        ])
        .unwrap();
        let back: Vec<Outcome> = serde_json::from_str(&wire).unwrap();
        let mut back = back.into_iter().map(logged);
        assert_eq!(back.next().unwrap().unwrap(), (7, leaf));
        let refused = back.next().unwrap().unwrap_err();
        assert_eq!(
            (refused.status, refused.code.as_ref()),
            (StatusCode::FORBIDDEN, "revoked")
        );
    }
}
