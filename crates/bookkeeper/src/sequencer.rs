//! The sequencer: the one task that appends to the log.
//!
//! Handlers send admitted entries here and wait for their index. Whatever arrived while the previous
//! batch was being written goes into ONE `append_with_keys` transaction (one fsync for the batch),
//! which is how a bookkeeper reaches thousands of durable appends per second; nobody gets an index
//! (and so a receipt) before its entry is on disk. One writer also means registry records are
//! checked in exactly the order they are logged.

use crate::admission::{self, Admitted};
use crate::error::ApiError;
use crate::shared::Shared;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tally_logstore::LogStore as _;
use tally_trust::EntryKind;
use tokio::sync::{mpsc, oneshot};

/// One admitted entry waiting for its index.
pub(crate) struct Job {
    pub admitted: Admitted,
    pub reply: oneshot::Sender<Result<u64, ApiError>>,
}

/// Sends an admitted entry to the sequencer and waits until it is durable.
pub(crate) async fn submit(shared: &Shared, admitted: Admitted) -> Result<u64, ApiError> {
    let (reply, answer) = oneshot::channel();
    shared.queue_len.fetch_add(1, Ordering::Relaxed);
    if shared
        .sequencer
        .send(Job { admitted, reply })
        .await
        .is_err()
    {
        shared.queue_len.fetch_sub(1, Ordering::Relaxed);
        return Err(ApiError::internal("sequencer stopped"));
    }
    answer
        .await
        .map_err(|_| ApiError::internal("sequencer dropped a submission"))?
}

/// Runs until every sender is gone.
pub(crate) async fn run(shared: Arc<Shared>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < shared.max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        shared.queue_len.fetch_sub(batch.len(), Ordering::Relaxed);
        sequence(&shared, batch).await;
    }
}

/// Appends one batch and answers every job in it.
async fn sequence(shared: &Shared, batch: Vec<Job>) {
    let has_records = batch
        .iter()
        .any(|j| j.admitted.entry.kind != EntryKind::Event);
    let mut registry = has_records.then(|| {
        shared
            .registry
            .read()
            .map(|r| r.clone())
            .unwrap_or_default()
    });
    let mut accepted = Vec::with_capacity(batch.len());
    let mut refused = Vec::new();
    for job in batch {
        if let (Some(registry), true) = (
            registry.as_mut(),
            job.admitted.entry.kind != EntryKind::Event,
        ) {
            if let Err(e) = admission::admit_record(&shared.policy, registry, &job.admitted.entry) {
                refused.push((job, e));
                continue;
            }
        }
        accepted.push(job);
    }
    let entries: Vec<Vec<u8>> = accepted.iter().map(|j| j.admitted.entry.encode()).collect();
    let keys: Vec<Vec<String>> = accepted.iter().map(|j| j.admitted.keys.clone()).collect();
    // A refused record may be a copy of one logged meanwhile (a concurrent resubmission, here or
    // via a peer, that the registry now refuses as a duplicate): that copy gets its index.
    let refused_leaves: Vec<_> = refused
        .iter()
        .map(|(j, _)| j.admitted.entry.leaf_hash())
        .collect();
    let peers: Vec<String> = shared.peers.iter().map(|p| p.name.clone()).collect();
    let result = shared
        .with_store(move |s| {
            let before = s.size()?;
            let indices = if entries.is_empty() {
                Vec::new()
            } else {
                s.append_with_keys(&entries, &keys)?
            };
            // Queued after the append commits: a crash in between loses only the broadcast of this
            // batch, which peers still obtain from the other bookkeepers it reaches.
            let new: Vec<u64> = indices.iter().copied().filter(|&i| i >= before).collect();
            if !new.is_empty() {
                for peer in &peers {
                    s.enqueue(peer, &new)?;
                }
            }
            let known = refused_leaves
                .iter()
                .map(|leaf| s.index_of(leaf))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((indices, known, s.size()?))
        })
        .await;
    // A receiver may have gone (client disconnected): there is nobody to tell then.
    match result {
        Ok((indices, known, size)) => {
            if let (Some(registry), Ok(mut shared_registry)) = (registry, shared.registry.write()) {
                *shared_registry = registry;
            }
            shared.size.send_replace(size);
            for (job, index) in accepted.into_iter().zip(indices) {
                let _ = job.reply.send(Ok(index));
            }
            for ((job, refusal), index) in refused.into_iter().zip(known) {
                let _ = job.reply.send(index.ok_or(refusal));
            }
        }
        Err(e) => {
            for job in accepted
                .into_iter()
                .chain(refused.into_iter().map(|(j, _)| j))
            {
                let _ = job.reply.send(Err(e.clone()));
            }
        }
    }
}
