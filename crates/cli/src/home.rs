//! Where the CLI keeps its light client's state, and the plumbing every client command shares:
//! opening the client, the clock, the async runtime, unlocking the device key.

use crate::error::{CliError, CliResult};
use clap::Args;
use std::path::{Path, PathBuf};
use tally_client::identity::Zeroizing;
use tally_client::{Client, ClientError, Limits};
use tally_tlog::SignerKey;
use time::OffsetDateTime;

/// The client state to use.
#[derive(Debug, Clone, Args)]
pub struct Home {
    /// Directory of this client's state (client.db). Default: $TALLY_HOME, else
    /// $XDG_DATA_HOME/tally, else ~/.local/share/tally.
    #[arg(long, value_name = "DIR", global = true)]
    pub home: Option<PathBuf>,
}

impl Home {
    /// The state directory (created if missing).
    pub fn dir(&self) -> CliResult<PathBuf> {
        // An empty variable is an unset one: `TALLY_HOME=""` must not mean the current directory.
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let dir = match &self.home {
            Some(d) if !d.as_os_str().is_empty() => d.clone(),
            Some(_) => return Err(CliError::bad_input("--home must name a directory")),
            None => match var("TALLY_HOME") {
                Some(d) => PathBuf::from(d),
                None => match var("XDG_DATA_HOME") {
                    Some(d) => PathBuf::from(d).join("tally"),
                    None => var("HOME")
                        .map(|h| PathBuf::from(h).join(".local/share/tally"))
                        .ok_or_else(|| CliError::bad_input("no --home, TALLY_HOME or HOME"))?,
                },
            },
        };
        if !dir.is_dir() {
            // It will hold the sealed device key: private to its owner (0700) when made here, as
            // the XDG base directory spec asks of the directories it makes.
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(&dir)
                .map_err(|e| CliError::bad_input(format!("{}: {e}", dir.display())))?;
        }
        Ok(dir)
    }

    /// The client database.
    pub fn db(&self) -> CliResult<PathBuf> {
        Ok(self.dir()?.join("client.db"))
    }

    /// Opens the client (a policy must be installed).
    pub fn client(&self) -> CliResult<Client> {
        Client::open(self.db()?, Limits::default()).map_err(client_error)
    }
}

/// A client error as a CLI error: local failures and bad input exit 2.
pub fn client_error(e: ClientError) -> CliError {
    CliError::bad_input(e)
}

/// The current time (the CLI is the edge that reads the clock).
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Runs a future to completion on a single-threaded runtime: requests to the bookkeepers are
/// concurrent on it, and a CLI process needs no more.
pub fn block_on<F: std::future::Future>(f: F) -> CliResult<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::bad_input(format!("async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

/// The passphrase of the device key: the first line of `file`, else $TALLY_PASSPHRASE. It (and
/// the file's text) is wiped from memory when dropped.
pub fn passphrase(file: Option<&Path>) -> CliResult<Zeroizing<String>> {
    if let Some(f) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(f)
                .map_err(|e| CliError::bad_input(format!("{}: {e}", f.display())))?,
        );
        return Ok(Zeroizing::new(text.lines().next().unwrap_or("").to_owned()));
    }
    std::env::var("TALLY_PASSPHRASE")
        .map(Zeroizing::new)
        .map_err(|_| {
            CliError::bad_input(
                "give the device key's passphrase with --passphrase-file or TALLY_PASSPHRASE",
            )
        })
}

/// Unlocks this device's key.
pub fn device_key(client: &Client, passphrase_file: Option<&Path>) -> CliResult<SignerKey> {
    let row = client
        .store()
        .map_err(client_error)?
        .device()
        .map_err(client_error)?
        .ok_or_else(|| client_error(ClientError::NoDevice))?;
    tally_client::identity::unseal(&row.sealed_key, &passphrase(passphrase_file)?)
        .map_err(client_error)
}
