//! The sequencer: the one task that appends to the log.
//!
//! Handlers send admitted entries here (one submission, or a whole bundle) and wait for their
//! indices. Whatever arrived while the previous batch was being written goes into ONE
//! `append_and_enqueue` transaction (one fsync for the batch, with every new entry queued for every
//! peer in the same commit), which is how a bookkeeper reaches thousands of durable appends per
//! second; nobody gets an index (and so a receipt) before its entry is on disk and queued for
//! broadcast. One writer also means registry records are checked in exactly the order they are
//! logged.

use crate::admission::{self, Admitted};
use crate::error::ApiError;
use crate::shared::Shared;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tally_logstore::LogStore as _;
use tally_tlog::{leaf_hash, Hash};
use tally_trust::{EntryKind, Registry};
use tokio::sync::{mpsc, oneshot};

/// Where an entry is in the log: its index, and the leaf hash there — another entry's when it was
/// a duplicate by meaning (the same event serialised otherwise).
pub(crate) type Logged = (u64, Hash);

/// Admitted entries waiting for their indices, answered together, in order.
pub(crate) struct Job {
    pub admitted: Vec<Admitted>,
    pub reply: oneshot::Sender<Vec<Result<Logged, ApiError>>>,
}

/// Sends admitted entries to the sequencer and waits until they are durable: one result per entry,
/// in order.
pub(crate) async fn submit(
    shared: &Shared,
    admitted: Vec<Admitted>,
) -> Result<Vec<Result<Logged, ApiError>>, ApiError> {
    let n = admitted.len();
    let (reply, answer) = oneshot::channel();
    shared.queue_len.fetch_add(n, Ordering::Relaxed);
    if shared
        .sequencer
        .send(Job { admitted, reply })
        .await
        .is_err()
    {
        shared.queue_len.fetch_sub(n, Ordering::Relaxed);
        return Err(ApiError::internal("sequencer stopped"));
    }
    answer
        .await
        .map_err(|_| ApiError::internal("sequencer dropped a submission"))
}

/// Runs until every sender is gone.
pub(crate) async fn run(shared: Arc<Shared>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut entries = first.admitted.len();
        let mut batch = vec![first];
        while entries < shared.max_batch {
            match jobs.try_recv() {
                Ok(job) => {
                    entries += job.admitted.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        shared.queue_len.fetch_sub(entries, Ordering::Relaxed);
        sequence(&shared, batch).await;
    }
}

/// Where one admitted entry of a batch went.
enum Slot {
    /// Appended (or found as a duplicate): position in the append.
    Appended(usize),
    /// Refused by the registry at sequencing time: position among the refused, and why.
    Refused(usize, ApiError),
}

/// Appends one batch and answers every job in it.
async fn sequence(shared: &Shared, batch: Vec<Job>) {
    let has_records = batch
        .iter()
        .flat_map(|j| &j.admitted)
        .any(|a| a.entry.kind != EntryKind::Event);
    let mut registry = has_records.then(|| {
        shared
            .registry
            .read()
            .map(|r| Registry::clone(&r))
            .unwrap_or_default()
    });
    let (mut entries, mut keys, mut refused_leaves) = (Vec::new(), Vec::new(), Vec::new());
    let mut identities = Vec::new();
    let mut replies = Vec::with_capacity(batch.len());
    for job in batch {
        let mut slots = Vec::with_capacity(job.admitted.len());
        for a in job.admitted {
            if let (Some(registry), true) = (registry.as_mut(), a.entry.kind != EntryKind::Event) {
                if let Err(e) = admission::admit_record(&shared.policy, registry, &a.entry) {
                    slots.push(Slot::Refused(refused_leaves.len(), e));
                    refused_leaves.push(a.entry.leaf_hash());
                    continue;
                }
            }
            slots.push(Slot::Appended(entries.len()));
            entries.push(a.bytes);
            keys.push(a.keys);
            identities.push(a.identity);
        }
        replies.push((job.reply, slots));
    }
    // A refused record may be a copy of one logged meanwhile (a concurrent resubmission, here or
    // via a peer, that the registry now refuses as a duplicate): that copy gets its index.
    let peers: Vec<String> = shared.peers.iter().map(|p| p.name.clone()).collect();
    let result = shared
        .with_store(move |s| {
            let before = s.size()?;
            let indices = if entries.is_empty() {
                Vec::new()
            } else {
                s.append_unique(&entries, &keys, &identities, &peers)?
            };
            // An index before the append is a duplicate: of these bytes, or of this event.
            let logged = indices
                .into_iter()
                .zip(&entries)
                .map(|(index, bytes)| match index < before {
                    true => s
                        .leaf_hash(index)
                        .map(|l| (index, l.unwrap_or(leaf_hash(bytes)))),
                    false => Ok((index, leaf_hash(bytes))),
                })
                .collect::<Result<Vec<Logged>, _>>()?;
            let known = refused_leaves
                .iter()
                .map(|leaf| Ok(s.index_of(leaf)?.map(|i| (i, *leaf))))
                .collect::<Result<Vec<_>, tally_logstore::StoreError>>()?;
            Ok((logged, known, s.size()?))
        })
        .await;
    // A receiver may have gone (client disconnected): there is nobody to tell then.
    match result {
        Ok((indices, known, size)) => {
            // Only a batch with records changes the registry. (Taking the write lock for every
            // batch had each one wait for a bundle check to let go, and stall the next check.)
            if let Some(registry) = registry {
                if let Ok(mut shared_registry) = shared.registry.write() {
                    *shared_registry = Arc::new(registry);
                }
            }
            shared.size.send_replace(size);
            for (reply, slots) in replies {
                let answers = slots
                    .into_iter()
                    .map(|slot| match slot {
                        Slot::Appended(k) => Ok(indices[k]),
                        Slot::Refused(k, refusal) => known[k].ok_or(refusal),
                    })
                    .collect();
                let _ = reply.send(answers);
            }
        }
        Err(e) => {
            for (reply, slots) in replies {
                let _ = reply.send(vec![Err(e.clone()); slots.len()]);
            }
        }
    }
}
