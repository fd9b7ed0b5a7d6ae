//! `tally policy install|show`: the network policy this client trusts.

use crate::error::{CliError, CliResult};
use crate::home::{client_error, Home};
use crate::input;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// The network policy: which bookkeepers exist, their keys, the quorums.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    action: PolicyAction,
    #[command(flatten)]
    home: Home,
}

#[derive(Debug, Subcommand)]
enum PolicyAction {
    /// Validate and install a policy file (replacing the installed one; trusted checkpoints stay).
    Install {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the installed policy.
    Show,
}

/// Runs `tally policy …`.
pub fn run(args: &PolicyArgs) -> CliResult {
    let db = args.home.db()?;
    match &args.action {
        PolicyAction::Install { file } => {
            let policy = tally_client::Client::install_policy(&db, &input::file(file)?)
                .map_err(client_error)?;
            outln!(
                "installed network {}: {} bookkeepers, {} must agree, {} independent cosignature(s) per checkpoint",
                policy.network,
                policy.bookkeepers.len(),
                policy.log_quorum,
                policy.witness_threshold
            );
            Ok(())
        }
        PolicyAction::Show => {
            let store = tally_client::LocalStore::open(&db).map_err(client_error)?;
            let json = store
                .policy_json()
                .map_err(client_error)?
                .ok_or_else(|| CliError::bad_input("no policy installed"))?;
            outln!("{json}");
            Ok(())
        }
    }
}
