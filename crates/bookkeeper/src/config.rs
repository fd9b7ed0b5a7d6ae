//! The bookkeeper's configuration file (JSON), and loading what it points to.

use crate::error::ServeError;
use crate::serve::Limits;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tally_tlog::SignerKey;
use tally_trust::Policy;

/// One bookkeeper's configuration; relative paths are taken as given (relative to the working
/// directory), so a test or a service unit decides where files live.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This bookkeeper's name in the network policy (which gives its keys, peers and URLs).
    pub name: String,
    /// Address to serve HTTP on, e.g. `127.0.0.1:7000`.
    pub listen: SocketAddr,
    /// SQLite database file (created if missing): where the log is kept, unless `storage` says
    /// otherwise.
    #[serde(default)]
    pub database: Option<PathBuf>,
    /// `postgres://user@host:port/db`: keep the log in that PostgreSQL database instead (its
    /// schema created or migrated when the bookkeeper starts).
    #[serde(default)]
    pub storage: Option<String>,
    /// Network policy file (JSON).
    pub policy: PathBuf,
    /// The log's note signing key (`PRIVATE+KEY+…`, type 0x01); its name is the log's origin.
    pub log_key: PathBuf,
    /// The witness cosigning key (`PRIVATE+KEY+…`, type 0x04).
    pub witness_key: PathBuf,
    /// How often a new checkpoint is signed when the tree grew.
    #[serde(default = "default_interval")]
    pub checkpoint_interval_ms: u64,
    /// Most entries appended in one durable transaction.
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// Serve the log's reads, and admit submissions for its sequencer, from a database that
    /// another process of this bookkeeper sequences: a front end (see `front`).
    #[serde(default)]
    pub front_end: bool,
    /// Connections served at once, and from one address (see `serve`).
    #[serde(default)]
    pub max_connections: Option<usize>,
    #[serde(default)]
    pub max_connections_per_ip: Option<usize>,
    /// Milliseconds within which a request's headers must arrive (also on an idle kept-alive
    /// connection), and a whole request be served.
    #[serde(default)]
    pub header_timeout_ms: Option<u64>,
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// Submissions served at once from one address.
    #[serde(default)]
    pub submissions_per_ip: Option<usize>,
    /// Where to publish the log's checkpoint, tiles and entry bundles, as c2sp.org/tlog-tiles
    /// names them: a directory, for any web server to serve, or `s3://BUCKET[/PREFIX]`, an
    /// S3-compatible bucket configured as the AWS tools are (see `publish`).
    #[serde(default)]
    pub publish: Option<String>,
    /// A file holding the network's registry secret (22 base64url characters), which governance
    /// gives each member of a confidential network: every sealed registry record is sealed for
    /// it, so this bookkeeper can rebuild the registry from its log and check how each new
    /// record is sealed (see `tally_trust::sealed_registry`). After a rotation the file holds one
    /// secret per line, the newest first: new records must be sealed for it, the older ones open
    /// the records logged before.
    #[serde(default)]
    pub registry_secret: Option<PathBuf>,
}

/// A checkpoint a second when the tree grew: what a config that says nothing gets.
pub const DEFAULT_CHECKPOINT_INTERVAL_MS: u64 = 1000;
/// Batches of up to 1,024 entries: what a config that says nothing gets.
pub const DEFAULT_MAX_BATCH: usize = 1024;

fn default_interval() -> u64 {
    DEFAULT_CHECKPOINT_INTERVAL_MS
}

fn default_max_batch() -> usize {
    DEFAULT_MAX_BATCH
}

impl Config {
    /// Where the log is kept: `storage` if given (a `postgres://` URL or a SQLite path), else
    /// `database`; exactly one of them must be set.
    pub fn location(&self) -> Result<tally_logstore::Location, ServeError> {
        let bad = |reason: &str| ServeError::Config {
            path: format!("the config of {}", self.name),
            reason: reason.into(),
        };
        match (&self.storage, &self.database) {
            (Some(url), None) => Ok(tally_logstore::Location::parse(url)),
            (None, Some(path)) => Ok(tally_logstore::Location::Sqlite(path.clone())),
            (Some(_), Some(_)) => Err(bad("set database (SQLite) or storage, not both")),
            (None, None) => Err(bad(
                "set database (a SQLite file) or storage (postgres://…)",
            )),
        }
    }

    /// The serving limits: the defaults of [`Limits`] unless the file sets them.
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        let ms = std::time::Duration::from_millis;
        Limits {
            max_connections: self.max_connections.unwrap_or(d.max_connections),
            max_connections_per_ip: self
                .max_connections_per_ip
                .unwrap_or(d.max_connections_per_ip),
            header_timeout: self.header_timeout_ms.map_or(d.header_timeout, ms),
            request_timeout: self.request_timeout_ms.map_or(d.request_timeout, ms),
            submissions_per_ip: self.submissions_per_ip.unwrap_or(d.submissions_per_ip),
        }
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self, ServeError> {
        let err = |reason: String| ServeError::Config {
            path: path.display().to_string(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let config: Config = serde_json::from_slice(&bytes).map_err(|e| err(e.to_string()))?;
        let l = config.limits();
        let zero = [
            l.max_connections,
            l.max_connections_per_ip,
            l.submissions_per_ip,
        ]
        .contains(&0)
            || l.header_timeout.is_zero()
            || l.request_timeout.is_zero();
        if zero {
            return Err(err("connection limits and timeouts must be positive".into()));
        }
        if config.location().is_err() {
            return Err(err(
                "set database (a SQLite file) or storage (postgres://…), exactly one".into(),
            ));
        }
        if config.checkpoint_interval_ms == 0 || config.max_batch == 0 {
            return Err(err(
                "checkpoint_interval_ms and max_batch must be positive".into()
            ));
        }
        Ok(config)
    }
}

/// Reads and parses the network policy.
pub(crate) fn load_policy(path: &Path) -> Result<Policy, ServeError> {
    let bytes =
        std::fs::read(path).map_err(|e| ServeError::Policy(format!("{}: {e}", path.display())))?;
    Policy::parse(&bytes).map_err(|e| ServeError::Policy(format!("{}: {e}", path.display())))
}

/// Reads a signer key file (surrounding whitespace ignored).
pub(crate) fn load_key(path: &Path) -> Result<SignerKey, ServeError> {
    let err = |reason: String| ServeError::Key {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    SignerKey::parse(text.trim()).map_err(|e| err(e.to_string()))
}

/// Reads the registry secrets (newest first) of the file a config names, if it names one.
pub(crate) fn load_registry_secrets(
    path: Option<&Path>,
) -> Result<Vec<tally_confidential::LabelSecret>, ServeError> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let err = |reason: String| ServeError::Key {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let secrets = tally_confidential::registry_secrets(&text).map_err(|e| err(e.to_string()))?;
    match secrets.is_empty() {
        true => Err(err("no registry secret in the file".into())),
        false => Ok(secrets),
    }
}
