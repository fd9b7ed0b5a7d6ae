//! The checkpointer: signs a checkpoint whenever the tree grew, then has the peers cosign it.
//!
//! The log-signed checkpoint is stored (and served) at once, so clients never wait on slow
//! witnesses; the note with every cosignature gathered replaces it moments later. A checkpoint that
//! some peer did not cosign is offered again on the next ticks until every peer has (a peer that
//! was down catches up), without signing a new one.
//!
//! Cosignatures are also *refreshed* while the tree does not grow: clients refuse a checkpoint
//! whose witnesses vouched for it longer ago than the policy's `max_checkpoint_age` (an old
//! answer may be a replay from before a recall), so a quiet log has its peers cosign its latest
//! checkpoint again — with new timestamps — every [`refresh_interval`]. A peer that does not
//! answer keeps its previous line.

use crate::cosign::Cosigner;
use crate::error::ApiError;
use crate::shared::Shared;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tally_logstore::LogStore as _;
use tally_tlog::{note, Checkpoint};

/// The checkpoint being cosigned: its size, the log-signed note, and whether some peer's
/// cosignature is still missing.
struct Current {
    size: u64,
    signed: Vec<u8>,
    missing: bool,
}

/// Runs forever (until aborted at shutdown).
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut ticks = tokio::time::interval(Duration::from_millis(shared.checkpoint_interval_ms));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut cosigner = Cosigner::new(&shared.peers);
    let mut current: Option<Current> = None;
    let refresh = refresh_interval(
        shared.policy.max_checkpoint_age,
        shared.checkpoint_interval_ms,
    );
    let mut cosigned_at = Instant::now();
    loop {
        ticks.tick().await;
        if cosigned_at.elapsed() >= refresh {
            if let Some(c) = current.as_mut() {
                c.missing = true;
                cosigner.refresh();
            }
            cosigned_at = Instant::now();
        }
        if let Err(e) = tick(&shared, &mut cosigner, &mut current).await {
            tracing::warn!(error = %e, "checkpoint not published");
        }
    }
}

/// How often the peers are asked to cosign an unchanged checkpoint again: a quarter of the age
/// at which clients refuse it (so three refreshes can fail in a row), at most a minute, and not
/// more often than checkpoints are signed.
pub(crate) fn refresh_interval(max_age_seconds: u64, checkpoint_interval_ms: u64) -> Duration {
    let quarter = Duration::from_millis(max_age_seconds.saturating_mul(250));
    quarter
        .min(Duration::from_secs(60))
        .max(Duration::from_millis(checkpoint_interval_ms))
}

async fn tick(
    shared: &Arc<Shared>,
    cosigner: &mut Cosigner,
    current: &mut Option<Current>,
) -> Result<(), ApiError> {
    let size = *shared.size.borrow();
    let latest = shared.latest().map(|l| l.size);
    // After a restart (no `current`) the latest size is signed again, so that its cosignatures are
    // gathered afresh.
    let grew = latest.is_none_or(|n| size > n) || current.as_ref().is_none_or(|c| size > c.size);
    if grew {
        let root = shared.with_store(move |s| s.root(size)).await?;
        let text = Checkpoint::new(shared.origin(), size, root, "")
            .map_err(ApiError::internal)?
            .to_bytes();
        let signed = note::sign(&text, std::slice::from_ref(&shared.log_key), 0)
            .map_err(ApiError::internal)?;
        store(shared, size, signed.clone()).await?;
        tracing::debug!(size, "checkpoint signed");
        *current = Some(Current {
            size,
            signed,
            missing: true,
        });
    }
    let Some(cur) = current.as_mut().filter(|c| c.missing) else {
        return Ok(());
    };
    let (note, missing) = cosigner.gather(shared, cur.size, &cur.signed).await;
    cur.missing = missing;
    store(shared, cur.size, note).await
}

/// The number of signature lines of a signed note (the log's and the cosignatures).
fn signature_lines(note: &[u8]) -> usize {
    let text = String::from_utf8_lossy(note);
    text.rsplit_once("\n\n").map_or(0, |(_, sigs)| {
        sigs.lines().filter(|l| l.starts_with('\u{2014}')).count()
    })
}

/// Stores and serves `note` for `size` — unless the checkpoint served now is of the same size
/// with more cosignatures: after a restart the log re-signs its latest size and gathers the
/// cosignatures afresh, and until they are back the note cosigned before is what clients need.
async fn store(shared: &Shared, size: u64, note: Vec<u8>) -> Result<(), ApiError> {
    if shared
        .latest()
        .is_some_and(|l| l.size == size && signature_lines(&l.note) > signature_lines(&note))
    {
        return Ok(());
    }
    let stored = note.clone();
    shared
        .with_store(move |s| s.set_checkpoint(size, &stored))
        .await?;
    shared.set_latest(size, note);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{refresh_interval, signature_lines};
    use std::time::Duration;

    #[test]
    fn cosignatures_are_refreshed_well_within_the_policys_age() {
        assert_eq!(refresh_interval(300, 1000), Duration::from_secs(60));
        assert_eq!(refresh_interval(8, 1000), Duration::from_secs(2));
        assert_eq!(refresh_interval(2, 1000), Duration::from_secs(1));
    }

    #[test]
    fn signature_lines_are_counted_after_the_blank_line() {
        let note = "origin\n5\nroot=\n\n\u{2014} log AAAA\n\u{2014} w1 BBBB\n\u{2014} w2 CCCC\n";
        assert_eq!(signature_lines(note.as_bytes()), 3);
        assert_eq!(
            signature_lines(b"origin\n5\nroot=\n\n\xe2\x80\x94 log AAAA\n"),
            1
        );
        assert_eq!(signature_lines(b"no blank line"), 0);
    }
}
