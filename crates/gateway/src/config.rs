//! The gateway's configuration file (JSON): where its Tally client lives, the passphrase of its
//! device key, its capture database, and the bearer tokens of the systems that may call it.

use crate::tls::TlsConfig;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tally_client::Client;
use tally_tlog::SignerKey;
use thiserror::Error;
use zeroize::Zeroizing;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: not a gateway config: {1}")]
    Parse(PathBuf, serde_json::Error),
    #[error("a gateway config names at least one bearer token of 32 characters or more, or a client CA (tls.client_ca) whose certificates its clients present")]
    Tokens,
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the gateway's client has no device key (tally device init, then certify it)")]
    NoDevice,
    #[error("the device key: {0}")]
    Key(tally_client::ClientError),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen (default 127.0.0.1 on a free port).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The Tally client database (a `tally` home's `client.db`): its installed policy and its
    /// device key, certified for the organisation's steps and places.
    pub home: PathBuf,
    /// A file whose first line is the device key's passphrase.
    pub passphrase_file: PathBuf,
    /// The capture jobs' database (SQLite); it holds the label book (every label secret the
    /// organisation printed or received), so it is made readable by its owner only.
    pub database: PathBuf,
    /// Bearer tokens accepted on every request (none: clients authenticate with certificates).
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Serve HTTPS, and with a client CA require client certificates (mTLS); see [`crate::tls`].
    #[serde(default)]
    pub tls: Option<TlsConfig>,
}

fn default_listen() -> SocketAddr {
    ([127, 0, 0, 1], 0).into()
}

impl Config {
    /// Reads `path`; relative paths in it are relative to its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read(path).map_err(|e| ConfigError::Read(path.into(), e))?;
        let mut c: Config =
            serde_json::from_slice(&text).map_err(|e| ConfigError::Parse(path.into(), e))?;
        let mtls = c.tls.as_ref().is_some_and(|t| t.client_ca.is_some());
        if (c.tokens.is_empty() && !mtls) || c.tokens.iter().any(|t| t.len() < 32) {
            return Err(ConfigError::Tokens);
        }
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(tls) = &mut c.tls {
            tls.rebase(base);
        }
        for p in [&mut c.home, &mut c.passphrase_file, &mut c.database] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(c)
    }

    /// Unlocks the client's device key with the passphrase file.
    pub(crate) fn device_key(&self, client: &Client) -> Result<SignerKey, ConfigError> {
        let file = &self.passphrase_file;
        let text = Zeroizing::new(
            std::fs::read_to_string(file).map_err(|e| ConfigError::Read(file.clone(), e))?,
        );
        let passphrase = text.lines().next().unwrap_or("");
        let row = client
            .store()
            .and_then(|s| s.device())
            .map_err(ConfigError::Key)?
            .ok_or(ConfigError::NoDevice)?;
        tally_client::identity::unseal(&row.sealed_key, passphrase).map_err(ConfigError::Key)
    }
}
