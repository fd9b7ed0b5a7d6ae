//! One sequencer per log: when the log is kept in PostgreSQL, several bookkeeper processes with
//! the same config may share the database, and only the holder of the sequencer lease
//! ([`tally_logstore::SequencerLease`]) runs. The others are standbys: each waits for the lease,
//! then starts as the sequencer, with the log, checkpoint and registry the database holds. Until
//! then a standby does not listen. Once its predecessor is gone it takes over its address (a
//! floating IP, a load balancer's backend, or the same port on one machine).
//!
//! The holder checks its lease every [`CHECK`]. If it is lost (the database went away or
//! another process was given a newer epoch), the bookkeeper stops serving and exits with an
//! error. Its store was fenced with the lease epoch, so nothing it still had in hand is written
//! or receipted.

use crate::error::ServeError;
use std::sync::mpsc;
use std::time::Duration;
use tally_logstore::{Location, SequencerLease};
use tokio::sync::oneshot;

/// How often the holder checks that its lease still holds.
const CHECK: Duration = Duration::from_secs(1);

/// The lease, held until this value is dropped.
pub(crate) struct Held {
    /// The fencing epoch to open the writing store with.
    pub epoch: i64,
    lost: Option<oneshot::Receiver<String>>,
    /// Dropped with `Held`: the watcher thread then releases the lease and ends.
    _stop: mpsc::Sender<()>,
}

impl Held {
    /// Completes with the reason when the lease is lost (never, while it holds).
    pub fn lost(&mut self) -> impl std::future::Future<Output = String> + Send + 'static {
        let lost = self.lost.take();
        async move {
            // A watcher that ended without a word was stopped: the lease was given up, not lost.
            match lost {
                Some(rx) => match rx.await {
                    Ok(reason) => reason,
                    Err(_) => std::future::pending().await,
                },
                None => std::future::pending().await,
            }
        }
    }
}

/// Takes the sequencer lease of the log at `at`, waiting as a standby while another process
/// holds it; `None` for a SQLite file, which only one process can open for writing anyway. The
/// caller has opened the log for writing, which made the lease row (a migration).
pub(crate) async fn take(at: &Location, name: &str) -> Result<Option<Held>, ServeError> {
    let Location::Postgres(url) = at else {
        return Ok(None);
    };
    let url = url.clone();
    let holder = format!("{name} (pid {})", std::process::id());
    let lease = tokio::task::spawn_blocking(move || {
        SequencerLease::acquire(&url, &holder, || {
            tracing::info!(%holder, "standby: another process is this log's sequencer; waiting for its lease");
        })
    })
    .await??;
    let epoch = lease.epoch();
    tracing::info!(epoch, "took the sequencer lease");
    let (lost_tx, lost_rx) = oneshot::channel();
    let (stop_tx, stop_rx) = mpsc::channel();
    std::thread::spawn(move || watch(lease, &stop_rx, lost_tx));
    Ok(Some(Held {
        epoch,
        lost: Some(lost_rx),
        _stop: stop_tx,
    }))
}

/// Checks `lease` every [`CHECK`] until it is lost (reported on `lost`) or `stop` is dropped.
fn watch(mut lease: SequencerLease, stop: &mpsc::Receiver<()>, lost: oneshot::Sender<String>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECK) {
        if let Err(e) = lease.check() {
            let _ = lost.send(e.to_string());
            return;
        }
    }
}
