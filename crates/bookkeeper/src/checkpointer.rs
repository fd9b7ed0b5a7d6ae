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

async fn store(shared: &Shared, size: u64, note: Vec<u8>) -> Result<(), ApiError> {
    let stored = note.clone();
    shared
        .with_store(move |s| s.set_checkpoint(size, &stored))
        .await?;
    shared.set_latest(size, note);
    Ok(())
}
