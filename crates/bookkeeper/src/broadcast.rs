//! Broadcast: forwarding every entry this bookkeeper logs to every peer's `/submit`.
//!
//! The sequencer queues new indices per peer in the durable outbox, in the append transaction's
//! wake; one worker per peer sends them in log order (so a peer sees an organisation's
//! registration before its devices' events) and removes them once the peer has them. Because the
//! outbox is on disk, a restart resumes where the worker stopped; because peers' `/submit` is
//! idempotent, sending an entry twice is harmless.

use crate::shared::{Peer, Shared};
use std::sync::Arc;
use std::time::Duration;
use tally_logstore::LogStore as _;

/// Entries fetched from the outbox at a time.
const CHUNK: usize = 64;
/// First and longest wait after a failed send.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest wait for a new append before the outbox is read again anyway.
const IDLE_POLL: Duration = Duration::from_secs(5);

/// What became of one send.
enum Sent {
    /// The peer has the entry (newly or already), or refuses it for good: done with it.
    Done,
    /// Try again later (peer down, overloaded, or missing a registry record it will get).
    Retry(String),
}

/// Runs until aborted at shutdown.
pub(crate) async fn run(shared: Arc<Shared>, peer: Peer) {
    let mut appended = shared.size.subscribe();
    let mut backoff = MIN_BACKOFF;
    loop {
        let name = peer.name.clone();
        let pending = match shared.with_store(move |s| s.pending(&name, CHUNK)).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(peer = %peer.name, error = %e, "outbox unreadable");
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        if pending.is_empty() {
            // Woken by the next append; the timeout covers entries queued before this subscribed.
            let _ = tokio::time::timeout(IDLE_POLL, appended.changed()).await;
            continue;
        }
        for index in pending {
            match send(&shared, &peer, index).await {
                Sent::Done => {
                    backoff = MIN_BACKOFF;
                    let name = peer.name.clone();
                    if let Err(e) = shared
                        .with_store(move |s| s.mark_sent(&name, &[index]))
                        .await
                    {
                        tracing::warn!(peer = %peer.name, error = %e, "outbox not updated");
                    }
                }
                Sent::Retry(reason) => {
                    tracing::debug!(peer = %peer.name, index, %reason, ?backoff, "broadcast deferred");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    break;
                }
            }
        }
    }
}

async fn send(shared: &Shared, peer: &Peer, index: u64) -> Sent {
    let entry = match shared.with_store(move |s| s.entry(index)).await {
        Ok(Some(e)) => e,
        Ok(None) => return Sent::Done,
        Err(e) => return Sent::Retry(e.to_string()),
    };
    let response = shared
        .http
        .post(format!("{}/submit", peer.url))
        .header("content-type", "application/octet-stream")
        .body(entry)
        .send()
        .await;
    match response.map(|r| r.status().as_u16()) {
        Ok(200) => Sent::Done,
        // Malformed, too large, or invalid for any registry: no retry will change the peer's mind.
        Ok(status @ (400 | 413 | 422)) => {
            tracing::warn!(peer = %peer.name, index, status, "peer refuses the entry for good");
            Sent::Done
        }
        Ok(status) => Sent::Retry(format!("status {status}")),
        Err(e) => Sent::Retry(e.to_string()),
    }
}
