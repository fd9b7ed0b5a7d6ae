//! What the app holds while it runs: where its database is, the light client once a policy is
//! installed, the device key once unlocked (memory only, for this session), and the camera's
//! scanner session.

use crate::error::{CmdResult, CommandError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tally_client::{Client, Limits, LocalStore};
use tally_scan::Session;
use tally_tlog::SignerKey;

/// Bounds on every request to a bookkeeper: a phone in a shop aisle cannot wait long, and a
/// bookkeeper that is down must be known quickly.
pub fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(8),
        connect_timeout: Duration::from_secs(2),
        ..Limits::default()
    }
}

/// The app's state, managed by Tauri.
pub struct AppState {
    dir: PathBuf,
    client: RwLock<Option<Arc<Client>>>,
    key: Mutex<Option<SignerKey>>,
    pub scanner: Mutex<Session>,
}

impl AppState {
    /// The state over the database in `dir` (its client is opened if a policy is installed).
    pub fn new(dir: PathBuf) -> AppState {
        let client = Client::open(dir.join("client.db"), limits())
            .ok()
            .map(Arc::new);
        AppState {
            dir,
            client: RwLock::new(client),
            key: Mutex::new(None),
            scanner: Mutex::new(Session::new()),
        }
    }

    /// The database file.
    pub fn db(&self) -> PathBuf {
        self.dir.join("client.db")
    }

    /// Where exported files go.
    pub fn exports(&self) -> PathBuf {
        self.dir.join("exports")
    }

    /// The client, or `no_policy`.
    pub fn client(&self) -> CmdResult<Arc<Client>> {
        self.client
            .read()
            .map_err(|_| poisoned())?
            .clone()
            .ok_or_else(|| CommandError::from(tally_client::ClientError::NoPolicy))
    }

    /// The client if a policy is installed.
    pub fn client_opt(&self) -> Option<Arc<Client>> {
        self.client.read().ok().and_then(|c| c.clone())
    }

    /// Installs `json` as the network policy and reopens the client on it.
    pub fn install_policy(&self, json: &[u8]) -> CmdResult<()> {
        Client::install_policy(self.db(), json)?;
        let client = Client::open(self.db(), limits())?;
        *self.client.write().map_err(|_| poisoned())? = Some(Arc::new(client));
        Ok(())
    }

    /// Installs the policy in `file` unless one is installed already (start-up option).
    pub fn install_policy_file_if_none(&self, file: &Path) -> Result<(), String> {
        if self.client_opt().is_some() {
            return Ok(());
        }
        let json = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        self.install_policy(&json).map_err(|e| e.message)
    }

    /// Installs the registry secret in `file` once a policy is installed (start-up option).
    pub fn install_registry_secret_file(&self, file: &Path) -> Result<(), String> {
        if self.client_opt().is_none() {
            return Ok(());
        }
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        self.install_registry_secrets(&text)
            .map_err(|e| format!("{}: {e}", file.display()))
    }

    /// Installs the registry secrets of a registry secret file's `text` (newest first).
    pub fn install_registry_secrets(&self, text: &str) -> Result<(), String> {
        let client = self.client().map_err(|e| e.message)?;
        let secrets = tally_confidential::registry_secrets(text)
            .map_err(|e| format!("not a registry secret: {e}"))?;
        if secrets.is_empty() {
            return Err("not a registry secret: the file is empty".into());
        }
        // Oldest first, so that the newest ends up the one this device seals for.
        for s in secrets.iter().rev() {
            client
                .install_registry_secret(s)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Forgets everything stored locally (policy included) and the unlocked key.
    pub fn reset(&self) -> CmdResult<()> {
        let mut store = LocalStore::open(self.db())?;
        store.reset()?;
        *self.client.write().map_err(|_| poisoned())? = None;
        self.lock_key();
        Ok(())
    }

    /// The unlocked device key, or `locked`.
    pub fn key(&self) -> CmdResult<SignerKey> {
        self.key
            .lock()
            .map_err(|_| poisoned())?
            .clone()
            .ok_or_else(|| {
                CommandError::new("locked", "unlock the device key with its passphrase first")
            })
    }

    pub fn unlocked(&self) -> bool {
        self.key.lock().map(|k| k.is_some()).unwrap_or(false)
    }

    pub fn set_key(&self, key: SignerKey) {
        if let Ok(mut k) = self.key.lock() {
            *k = Some(key);
        }
    }

    pub fn lock_key(&self) {
        if let Ok(mut k) = self.key.lock() {
            *k = None;
        }
    }
}

fn poisoned() -> CommandError {
    CommandError::new("internal", "app state lock poisoned")
}
