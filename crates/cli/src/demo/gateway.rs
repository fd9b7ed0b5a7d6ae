//! The kept demo's EPCIS gateway: `DIR/gateway.json` runs `tally gateway serve` for one demo
//! organisation against the kept network, so that an ERP's EPCIS client can be pointed at it.
//!
//! It gets a Tally home of its own (`DIR/gateway/client.db`, the network policy installed), the
//! organisation's certified device key sealed there under a random passphrase (the passphrase
//! in a file readable by its owner only, as a service's secret is), a random bearer token, and
//! a label book that already knows the labels the demo printed.

use super::{io, write};
use crate::error::{CliError, CliResult};
use crate::home::client_error;
use rand_core::RngCore as _;
use serde_json::json;
use std::path::{Path, PathBuf};
use tally_client::{identity, Client, Limits};
use tally_tlog::SignerKey;

/// What the demo summary says of its gateway.
pub struct Written {
    pub config: PathBuf,
    pub token: String,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Writes `dir/gateway.json` and what it names, for the organisation whose device is `device`.
pub fn write_config(
    dir: &Path,
    policy: &[u8],
    device: &SignerKey,
    labels: &[String],
    now: i64,
) -> CliResult<Written> {
    let home = dir.join("gateway");
    std::fs::create_dir_all(&home).map_err(|e| io(&home, e))?;
    let db = home.join("client.db");
    Client::install_policy(&db, policy).map_err(client_error)?;
    let client = Client::open(&db, Limits::default()).map_err(client_error)?;
    let passphrase = random_hex(16);
    let sealed = identity::seal(device, &passphrase).map_err(client_error)?;
    let public = device.verifier().to_string();
    (client.store().map_err(client_error)?)
        .create_device("gateway", &public, &sealed, now)
        .map_err(client_error)?;
    write(
        &home.join("passphrase"),
        format!("{passphrase}\n").as_bytes(),
        0o600,
    )?;
    let database = home.join("gateway.db");
    tally_gateway::learn_labels(&database, labels).map_err(CliError::bad_input)?;
    let token = random_hex(24);
    let config = json!({
        "home": "gateway/client.db",
        "passphrase_file": "gateway/passphrase",
        "database": "gateway/gateway.db",
        "tokens": [token],
    });
    let path = dir.join("gateway.json");
    let text = serde_json::to_string_pretty(&config).map_err(CliError::bad_input)?;
    write(&path, text.as_bytes(), 0o600)?;
    Ok(Written {
        config: path,
        token,
    })
}
