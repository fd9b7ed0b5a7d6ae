//! Broadcast: forwarding every entry this bookkeeper logs to every peer's `/submit-bundle`.
//!
//! The sequencer queues new indices per peer in the durable outbox, in the append transaction
//! itself; one worker per peer sends them in log order, a bundle at a time (so a peer sees an
//! organisation's registration before its devices' events, and one request carries hundreds of
//! entries), and removes each from the queue once the peer has it. Because the outbox is on disk, a
//! restart resumes where the worker stopped; because peers' submission is idempotent, sending an
//! entry twice is harmless.

use crate::routes::MAX_BUNDLE_ENTRIES;
use crate::shared::{Peer, Shared};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tally_logstore::LogStore as _;

/// First and longest wait after a send that left entries to retry.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest wait for a new append before the outbox is read again anyway.
const IDLE_POLL: Duration = Duration::from_secs(5);

/// One entry's answer in a peer's bundle response.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Answers {
    results: Vec<Answer>,
}

/// Whether the peer is done with an entry: it has it, or refuses it for good (malformed, too large,
/// or invalid for any registry). Any other refusal (a registry record it has not received yet, an
/// internal error) is retried.
fn done(a: &Answer) -> bool {
    a.index.is_some() || matches!(a.status, Some(400 | 413 | 422))
}

/// Runs until aborted at shutdown.
pub(crate) async fn run(shared: Arc<Shared>, peer: Peer) {
    let mut appended = shared.size.subscribe();
    let mut backoff = MIN_BACKOFF;
    loop {
        let name = peer.name.clone();
        let pending = shared
            .with_reader(move |s| {
                let indices = s.pending(&name, MAX_BUNDLE_ENTRIES)?;
                let entries = indices
                    .iter()
                    .map(|&i| s.entry(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((indices, entries))
            })
            .await;
        let (indices, entries) = match pending {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(peer = %peer.name, error = %e, "outbox unreadable");
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        if indices.is_empty() {
            // Woken by the next append; the timeout covers entries queued before this subscribed.
            let _ = tokio::time::timeout(IDLE_POLL, appended.changed()).await;
            continue;
        }
        let (sent, retry) = send(&shared, &peer, &indices, entries).await;
        if !sent.is_empty() {
            let name = peer.name.clone();
            if let Err(e) = shared.with_store(move |s| s.mark_sent(&name, &sent)).await {
                tracing::warn!(peer = %peer.name, error = %e, "outbox not updated");
            }
        }
        match retry {
            None => backoff = MIN_BACKOFF,
            Some(reason) => {
                tracing::debug!(peer = %peer.name, %reason, ?backoff, "broadcast deferred");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Sends one bundle; returns the indices the peer is done with, and why others must be retried.
async fn send(
    shared: &Shared,
    peer: &Peer,
    indices: &[u64],
    entries: Vec<Option<Vec<u8>>>,
) -> (Vec<u64>, Option<String>) {
    // An index beyond the log cannot be queued (the outbox refers to entries); skip it if it were.
    let (mut sent, mut offered, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for (&i, e) in indices.iter().zip(entries) {
        match e {
            Some(e) => {
                offered.push(i);
                bodies.push(e);
            }
            None => sent.push(i),
        }
    }
    let Some(bundle) = tally_tlog::tiles::encode_entry_bundle(bodies.iter().map(Vec::as_slice))
    else {
        // Stored entries always fit a bundle; if one did not, no peer could take it either.
        sent.extend(offered);
        return (sent, None);
    };
    let response = shared
        .http
        .post(format!("{}/submit-bundle", peer.url))
        .header("content-type", "application/octet-stream")
        .body(bundle)
        .send()
        .await;
    let answers = match response {
        Ok(r) if r.status() == 200 => r.json::<Answers>().await.map_err(|e| e.to_string()),
        Ok(r) => Err(format!("status {}", r.status())),
        Err(e) => Err(e.to_string()),
    };
    match answers {
        Ok(a) if a.results.len() == offered.len() => {
            let mut retry = None;
            for (i, answer) in offered.into_iter().zip(&a.results) {
                if done(answer) {
                    if answer.index.is_none() {
                        tracing::warn!(peer = %peer.name, index = i, error = ?answer.error, "peer refuses the entry for good");
                    }
                    sent.push(i);
                } else {
                    retry = Some(format!(
                        "entry {i}: {}",
                        answer.error.as_deref().unwrap_or("no answer")
                    ));
                }
            }
            (sent, retry)
        }
        Ok(a) => (
            sent,
            Some(format!(
                "{} answers for {} entries",
                a.results.len(),
                offered.len()
            )),
        ),
        Err(reason) => (sent, Some(reason)),
    }
}
