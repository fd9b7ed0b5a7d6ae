//! `tally policy install|show|tlog`: the network policy this client trusts.

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
    /// Write, for each bookkeeper, what the policy says of its checkpoints as a
    /// c2sp.org/tlog-policy file, `DIR/<bookkeeper>.tlog-policy`: its log, the other operators'
    /// witnesses (a group per operator), the witness threshold as the quorum. With it, a proof of
    /// that log checks with C2SP tools that know nothing of Tally.
    Tlog {
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
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
        PolicyAction::Tlog { out } => {
            let client = args.home.client()?;
            let policy = client.policy();
            std::fs::create_dir_all(out)
                .map_err(|e| CliError::bad_input(format!("{}: {e}", out.display())))?;
            for b in &policy.bookkeepers {
                let path = out.join(format!("{}.tlog-policy", b.name));
                std::fs::write(&path, policy.tlog_policy(&b.name).to_bytes())
                    .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
                outln!("wrote {}", path.display());
            }
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
