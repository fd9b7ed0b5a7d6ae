//! The checkpointer: signs a checkpoint whenever the tree grew, then has the peers cosign it.
//!
//! The log-signed checkpoint is stored (and served) at once, so clients never wait on slow
//! witnesses; the note with every cosignature gathered replaces it moments later. A checkpoint that
//! some peer did not cosign is offered again on the next ticks until every peer has (a peer that
//! was down catches up), without signing a new one.

use crate::cosign::Cosigner;
use crate::error::ApiError;
use crate::shared::Shared;
use std::sync::Arc;
use std::time::Duration;
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
    loop {
        ticks.tick().await;
        if let Err(e) = tick(&shared, &mut cosigner, &mut current).await {
            tracing::warn!(error = %e, "checkpoint not published");
        }
    }
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
    use super::signature_lines;

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
