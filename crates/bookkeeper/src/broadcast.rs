//! Broadcast: forwarding every entry this bookkeeper logs to every peer's `/submit-bundle`.
//!
//! The sequencer queues new indices per peer in the durable outbox, in the append transaction
//! itself; one worker per peer sends them in log order, [`BROADCAST_DELAY`] after they were
//! logged, a bundle at a time (so a peer sees an
//! organisation's registration before its devices' events, and one request carries hundreds of
//! entries), and removes each from the queue once the peer has it. Because the outbox is on disk, a
//! restart resumes where the worker stopped; because peers' submission is idempotent, sending an
//! entry twice is harmless.

use crate::routes::MAX_BUNDLE_ENTRIES;
use crate::shared::{Peer, Shared};
use serde::Deserialize;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
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

/// How long an entry waits before it is forwarded. Clients send their entries to every
/// bookkeeper themselves; forwarding at once would race their copies and make each peer admit
/// the same entry twice (a signature check, schema validation and hash for nothing). Broadcast is
/// what makes logs converge when a client reached only some of them, and that can wait seconds.
pub(crate) const BROADCAST_DELAY: Duration = Duration::from_secs(2);

/// Which prefix of the log was appended at least [`BROADCAST_DELAY`] ago.
struct Settled {
    /// Sizes seen more recently than the delay, oldest first, with when they were seen.
    recent: VecDeque<(Instant, u64)>,
    /// Entries below this index were appended at least the delay ago.
    ready: u64,
}

impl Settled {
    /// Everything logged before this process started is ready at once.
    fn new(size: u64) -> Self {
        Settled {
            recent: VecDeque::new(),
            ready: size,
        }
    }

    fn observe(&mut self, size: u64, now: Instant) {
        if size > self.ready && self.recent.back().is_none_or(|&(_, s)| s < size) {
            self.recent.push_back((now, size));
        }
        while let Some(&(seen, size)) = self.recent.front() {
            if now.duration_since(seen) < BROADCAST_DELAY {
                break;
            }
            self.ready = size;
            self.recent.pop_front();
        }
    }

    /// How long until the next size settles, if one is waiting.
    fn next(&self, now: Instant) -> Option<Duration> {
        self.recent
            .front()
            .map(|&(seen, _)| BROADCAST_DELAY.saturating_sub(now.duration_since(seen)))
    }
}

/// Runs until aborted at shutdown.
pub(crate) async fn run(shared: Arc<Shared>, peer: Peer) {
    let mut appended = shared.size.subscribe();
    let mut settled = Settled::new(*appended.borrow_and_update());
    let mut backoff = MIN_BACKOFF;
    loop {
        settled.observe(*appended.borrow_and_update(), Instant::now());
        let (name, ready) = (peer.name.clone(), settled.ready);
        let pending = shared
            .with_reader(move |s| {
                let queued = s.pending(&name, MAX_BUNDLE_ENTRIES)?;
                let indices: Vec<u64> = queued.iter().copied().filter(|&i| i < ready).collect();
                let entries = indices
                    .iter()
                    .map(|&i| s.entry(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((indices, entries, queued.len()))
            })
            .await;
        let (indices, entries, queued) = match pending {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(peer = %peer.name, error = %e, "outbox unreadable");
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        if indices.is_empty() {
            // Wait for the next entry to settle, or for the next append; the timeout covers
            // entries queued before this subscribed.
            let wait = match settled.next(Instant::now()) {
                Some(d) if queued > 0 => d,
                _ => IDLE_POLL,
            };
            let _ = tokio::time::timeout(wait, appended.changed()).await;
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
            // A peer cannot check what it cannot read: clients send sealed entries, with their
            // labels' secrets, to every bookkeeper themselves.
            Some(e) if tally_confidential::is_sealed(&e) => sent.push(i),
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
        .post(format!("{}/submit-bundle?receipts=none", peer.url))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_settle_after_the_delay_in_order() {
        let t0 = Instant::now();
        let mut s = Settled::new(10);
        assert_eq!(s.ready, 10);
        s.observe(15, t0);
        s.observe(15, t0 + Duration::from_millis(10));
        s.observe(20, t0 + Duration::from_secs(1));
        assert_eq!(s.ready, 10);
        assert_eq!(
            s.next(t0 + Duration::from_secs(1)),
            Some(BROADCAST_DELAY - Duration::from_secs(1))
        );
        s.observe(20, t0 + BROADCAST_DELAY);
        assert_eq!(s.ready, 15);
        s.observe(20, t0 + Duration::from_secs(1) + BROADCAST_DELAY);
        assert_eq!((s.ready, s.next(t0 + Duration::from_secs(9))), (20, None));
    }
}
