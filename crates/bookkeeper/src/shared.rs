//! State shared by the HTTP handlers and the background tasks.

use crate::error::ApiError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tally_logstore::{Store, StoreError};
use tally_tlog::{SignerKey, VerifierKey};
use tally_trust::{Policy, Registry};
use tally_witness::Witness;
use tokio::sync::{mpsc, watch};

/// A peer bookkeeper, as the policy names it.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// Its name in the policy; also the name of its outbox queue here.
    pub name: String,
    /// Its base URL, without a trailing slash.
    pub url: String,
    /// Its witness key, to check the cosignatures it returns.
    pub witness_key: VerifierKey,
}

/// The latest checkpoint the log signed (with the cosignatures gathered so far), as served.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    pub size: u64,
    pub note: axum::body::Bytes,
}

/// Everything a request or task needs.
pub(crate) struct Shared {
    /// The database; the one connection that writes, behind a mutex, used only on blocking threads.
    pub store: Arc<Mutex<Store>>,
    /// Read-only connections to the same database (WAL lets them read while the writer commits),
    /// so reads (duplicate checks, proofs, tiles, checkpoints) neither wait for a batch's fsync nor
    /// queue behind each other.
    pub readers: Vec<Mutex<Store>>,
    /// Where the search for an idle reader starts next (round robin).
    pub next_reader: AtomicUsize,
    /// Parsed events by index, for the custody walks of `/lookup` and `/history`.
    pub facts: crate::facts::FactsCache,
    pub policy: Policy,
    /// The network's registry secrets, newest first, when it seals its registry (see
    /// `admission::Network`).
    pub registry_secrets: Vec<tally_confidential::LabelSecret>,
    /// Who may sign, as of the last sequenced batch. Only the sequencer writes it, by swapping in
    /// a new snapshot; checks take the current one and let go of the lock at once. (A bundle's
    /// check lasts tens of milliseconds, and a writer waiting on a reader blocks every new reader.)
    pub registry: RwLock<Arc<Registry>>,
    pub log_key: SignerKey,
    pub witness: Witness,
    pub peers: Vec<Peer>,
    pub http: reqwest::Client,
    /// Submissions waiting for the sequencer.
    pub sequencer: mpsc::Sender<crate::sequencer::Job>,
    pub queue_len: AtomicUsize,
    /// The log size after the last append, for the broadcast workers to wake on.
    pub size: watch::Sender<u64>,
    /// The latest stored checkpoint, kept in memory: every proof, tile and checkpoint read is
    /// bounded by its size, and reading it from the database each time cost as much as a proof.
    /// Written by the checkpointer right after the database.
    pub latest: RwLock<Option<Signed>>,
    /// Woken each time `latest` changes (a new checkpoint, or more cosignatures): the static
    /// publisher waits on it.
    pub checkpoint_signed: tokio::sync::Notify,
    pub checkpoint_interval_ms: u64,
    pub max_batch: usize,
    /// Whether a read may run on an async task's thread: SQLite's answer from its page cache in
    /// microseconds, which is cheaper than a hop to a blocking thread; PostgreSQL's synchronous
    /// client runs a runtime of its own, which tokio refuses there.
    pub inline_reads: bool,
    /// Bounds the bundles being checked at once to the machine's cores. That work is
    /// CPU-bound, on the blocking pool; without a bound, every connection's bundle ran at once and
    /// the one sequencer thread waited its turn behind them all (at 8 connections on 2 cores it
    /// spent more time waiting to run than appending), which set the whole bookkeeper's pace.
    pub bundle_work: tokio::sync::Semaphore,
}

impl Shared {
    /// The rules entries are admitted under.
    pub fn network(&self) -> crate::admission::Network<'_> {
        crate::admission::Network {
            policy: &self.policy,
            registry_secrets: &self.registry_secrets,
        }
    }

    /// The log's origin (its key name, which C2SP recommends and the peers' witnesses expect).
    pub fn origin(&self) -> &str {
        self.log_key.name()
    }

    /// The registry as of the last sequenced batch: the lock is held only to copy the pointer,
    /// never for the work done with it.
    pub fn registry_now(&self) -> Result<Arc<Registry>, ApiError> {
        self.registry
            .read()
            .map(|r| Arc::clone(&r))
            .map_err(|_| ApiError::internal("registry lock poisoned"))
    }

    /// The latest signed checkpoint, if any.
    pub fn latest(&self) -> Option<Signed> {
        self.latest.read().ok().and_then(|l| l.clone())
    }

    /// The size of the latest signed checkpoint (0 before the first).
    pub fn signed_size(&self) -> u64 {
        self.latest().map_or(0, |l| l.size)
    }

    /// Records the checkpoint just stored as the one to serve.
    pub fn set_latest(&self, size: u64, note: Vec<u8>) {
        if let Ok(mut l) = self.latest.write() {
            *l = Some(Signed {
                size,
                note: note.into(),
            });
        }
        self.checkpoint_signed.notify_one();
    }

    /// Runs `f` on the store on a blocking thread: SQLite calls block, and appends wait for fsync.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            let mut guard = store
                .lock()
                .map_err(|_| ApiError::internal("store mutex poisoned"))?;
            f(&mut guard).map_err(ApiError::from)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Runs the read-only `f` on one of the read connections on a blocking thread. It sees every
    /// batch committed before it starts.
    pub async fn with_reader<T, F>(self: &Arc<Self>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let shared = Arc::clone(self);
        tokio::task::spawn_blocking(move || shared.read(|s| f(s).map_err(ApiError::from)))
            .await
            .map_err(ApiError::internal)?
    }

    /// Runs `f` here when reads may block this thread ([`Shared::inline_reads`]), else on a
    /// blocking thread.
    pub async fn quick<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Shared) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        if self.inline_reads {
            return Ok(f(self));
        }
        let shared = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(&shared))
            .await
            .map_err(ApiError::internal)
    }

    /// Runs the read-only `f` on one of the read connections, on this thread (which may block: call
    /// it on a blocking thread).
    pub fn read<T>(&self, f: impl FnOnce(&Store) -> Result<T, ApiError>) -> Result<T, ApiError> {
        // The first idle connection from a rotating start, so concurrent reads rarely wait on
        // each other; if every one is busy, wait for the one at the start.
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % n;
        let idle = (0..n).find_map(|k| self.readers[(start + k) % n].try_lock().ok());
        let guard = match idle {
            Some(guard) => guard,
            None => self.readers[start]
                .lock()
                .map_err(|_| ApiError::internal("store mutex poisoned"))?,
        };
        f(&guard)
    }
}
