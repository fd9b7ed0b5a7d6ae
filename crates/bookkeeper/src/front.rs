//! A front end: a process that serves one bookkeeper's reads (checkpoints, tiles, proofs, lookups,
//! histories) from the database that another process of the same bookkeeper sequences, so that
//! reads scale out across machines and go on while the sequencer fails over.
//!
//! It is the bookkeeper's config with `reads_only` set. It never writes: it opens the database
//! read-only, runs no sequencer, checkpointer, broadcast or publisher, and does not take the
//! sequencer lease. Submissions and witness requests to it answer 503, naming where they go.
//! Every [`FOLLOW`] it reads the latest stored checkpoint and the log's size, so its answers are
//! bounded by the checkpoint the sequencer signed last, as the sequencer's own are.

use crate::error::ApiError;
use crate::shared::Shared;
use axum::http::StatusCode;
use std::sync::Arc;
use std::time::Duration;
use tally_logstore::LogStore as _;

/// How often a front end reads the latest checkpoint the sequencer stored.
const FOLLOW: Duration = Duration::from_millis(200);

/// Follows the sequencer's checkpoints until the task is stopped.
pub(crate) async fn follow(shared: Arc<Shared>) {
    let mut ticks = tokio::time::interval(FOLLOW);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let read = shared
            .with_reader(|s| Ok((s.size()?, s.latest_checkpoint()?)))
            .await;
        match read {
            Ok((size, latest)) => {
                shared.size.send_replace(size);
                let Some((n, note)) = latest else { continue };
                if shared.latest().is_none_or(|l| l.note != note) {
                    shared.set_latest(n, note);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read the latest checkpoint"),
        }
    }
}

/// The answer to a write (a submission, a witness request) sent to a front end.
pub(crate) async fn refuse() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "reads_only",
        "this process serves the log's reads only: send submissions and checkpoints to its sequencer",
    )
}
