//! Tally's light client: what the app and the `tally` command carry to verify a product without
//! trusting any server, and to record handoffs that reach every bookkeeper.
//!
//! It contacts only the bookkeepers named in an installed network policy (a scanned code is a
//! lookup key, never a URL to fetch), asks all of them at once ([`fetch`]), and hands everything
//! they answered to the sans-I/O core (`tally_trust::verify`), which decides. It keeps its own
//! record ([`state`], SQLite): the checkpoints it trusts per log, so no log can roll it back or fork
//! its view unnoticed; the evidence when one tries; its scans and the verified histories it can
//! show offline; and an outbox of entries signed on this device ([`outbox`]), each with every
//! bookkeeper's receipt. A warehouse device's key is sealed at rest ([`identity`]).
//!
//! - [`verify`]: scan → verdict → [`view::History`], the timeline in plain words.
//! - [`capture`]: a handoff (ship, receive, pack, …) → its EPCIS 2.0 event.
//! - [`outbox`]: queue, flush with retries, receipts.
//! - [`audit`]: bookkeeper status and consistency monitoring, lot tracing, organisation activity,
//!   evidence export and offline re-checking.
#![forbid(unsafe_code)]

pub mod audit;
pub mod capture;
pub mod directory;
mod entitled;
mod error;
pub mod evidence;
pub mod fetch;
pub mod fsma;
pub mod identity;
pub mod outbox;
pub mod state;
mod tiled;
pub mod verify;
pub mod view;

pub use error::ClientError;
pub use fetch::Limits;
pub use state::LocalStore;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use tally_trust::Policy;

/// A light client: an installed policy, its local state, and an HTTP client for the policy's
/// bookkeepers. Cheap to share: every method takes `&self`, and the local database is behind a
/// mutex held only for the duration of each database call.
#[derive(Debug)]
pub struct Client {
    policy: Policy,
    store: Mutex<LocalStore>,
    http: fetch::Http,
}

impl Client {
    /// Opens the client whose state is in the database at `path`, with the policy installed
    /// there.
    pub fn open(path: impl AsRef<Path>, limits: Limits) -> Result<Self, ClientError> {
        Self::with_store(LocalStore::open(path)?, limits)
    }

    /// A client over an opened store (which must have a policy installed).
    pub fn with_store(store: LocalStore, limits: Limits) -> Result<Self, ClientError> {
        let json = store.policy_json()?.ok_or(ClientError::NoPolicy)?;
        let policy = Policy::parse(json.as_bytes())?;
        Ok(Client {
            policy,
            store: Mutex::new(store),
            http: fetch::Http::new(limits)?,
        })
    }

    /// Validates `policy_json` and installs it in the store at `path` (creating it if needed).
    pub fn install_policy(
        path: impl AsRef<Path>,
        policy_json: &[u8],
    ) -> Result<Policy, ClientError> {
        let policy = Policy::parse(policy_json)?;
        LocalStore::open(path)?.install_policy(&policy.to_json())?;
        Ok(policy)
    }

    /// The installed policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The local database (locked until the guard is dropped: never hold it across an await).
    pub fn store(&self) -> Result<MutexGuard<'_, LocalStore>, ClientError> {
        self.store
            .lock()
            .map_err(|_| ClientError::Event("local database lock poisoned".into()))
    }
}
