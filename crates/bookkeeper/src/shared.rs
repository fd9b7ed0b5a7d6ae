//! State shared by the HTTP handlers and the background tasks.

use crate::error::ApiError;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, RwLock};
use tally_logstore::{SqliteStore, StoreError};
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

/// Everything a request or task needs.
pub(crate) struct Shared {
    /// The database; one connection behind a mutex, used only on blocking threads.
    pub store: Arc<Mutex<SqliteStore>>,
    pub policy: Policy,
    /// Who may sign, as of the last sequenced batch. Only the sequencer writes it.
    pub registry: RwLock<Registry>,
    pub log_key: SignerKey,
    pub witness: Witness,
    pub peers: Vec<Peer>,
    pub http: reqwest::Client,
    /// Submissions waiting for the sequencer.
    pub sequencer: mpsc::Sender<crate::sequencer::Job>,
    pub queue_len: AtomicUsize,
    /// The log size after the last append, for the broadcast workers to wake on.
    pub size: watch::Sender<u64>,
    pub checkpoint_interval_ms: u64,
    pub max_batch: usize,
}

impl Shared {
    /// The log's origin (its key name, which C2SP recommends and the peers' witnesses expect).
    pub fn origin(&self) -> &str {
        self.log_key.name()
    }

    /// Runs `f` on the store on a blocking thread: SQLite calls block, and appends wait for fsync.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteStore) -> Result<T, StoreError> + Send + 'static,
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
}
