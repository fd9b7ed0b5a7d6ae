//! `tally policy install|show|tlog|link`: the network policy this client trusts, and its versions.

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
        /// The network's registry secret (a file), which governance gives the members of a
        /// confidential network with its policy: it opens the sealed registry (the directory,
        /// entitlements) and seals the registry records this device sends.
        #[arg(long, value_name = "FILE")]
        registry_secret: Option<PathBuf>,
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
    /// As governance, make NEXT version N of the policy PREVIOUS, in force from --valid-from:
    /// writes `DIR/<N>.json` (NEXT, canonical) and `DIR/<N>.note`, the link signed with the
    /// governance key of PREVIOUS. Evidence made under either version then checks under the
    /// one in force when it was cosigned (`tally package --history DIR`, `tally-verify
    /// --history DIR`).
    Link {
        #[arg(value_name = "PREVIOUS")]
        previous: PathBuf,
        #[arg(value_name = "NEXT")]
        next: PathBuf,
        /// NEXT's version number (one more than PREVIOUS's).
        #[arg(long)]
        version: u64,
        /// When NEXT comes into force: Unix seconds or RFC 3339.
        #[arg(long, value_name = "TIME")]
        valid_from: String,
        /// A governance key of PREVIOUS (a signer key file).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

/// Runs `tally policy …`.
pub fn run(args: &PolicyArgs) -> CliResult {
    let db = args.home.db()?;
    match &args.action {
        PolicyAction::Install {
            file,
            registry_secret,
        } => {
            let policy = tally_client::Client::install_policy(&db, &input::file(file)?)
                .map_err(client_error)?;
            if let Some(path) = registry_secret {
                let client = args.home.client()?;
                // Oldest first, so that the newest ends up the one this device seals for.
                for secret in input::registry_secrets(path)?.iter().rev() {
                    client
                        .install_registry_secret(secret)
                        .map_err(client_error)?;
                }
                outln!("installed the network's registry secret");
            }
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
        PolicyAction::Link {
            previous,
            next,
            version,
            valid_from,
            key,
            out,
        } => link(previous, next, *version, valid_from, key, out),
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

/// Runs `tally policy link`.
fn link(
    previous: &std::path::Path,
    next: &std::path::Path,
    version: u64,
    valid_from: &str,
    key: &std::path::Path,
    out: &std::path::Path,
) -> CliResult {
    let parse = |p: &std::path::Path| {
        tally_trust::Policy::parse(&input::file(p)?)
            .map_err(|e| CliError::bad_input(format!("{}: {e}", p.display())))
    };
    let (previous, next) = (parse(previous)?, parse(next)?);
    let key = input::signer_key(key)?;
    if !previous.is_governance(key.verifier().ed25519().as_bytes()) {
        return Err(CliError::bad_input(
            "the key is not one of the previous policy's governance keys",
        ));
    }
    let from = match valid_from.parse::<u64>() {
        Ok(t) => t,
        Err(_) => {
            time::OffsetDateTime::parse(valid_from, &time::format_description::well_known::Rfc3339)
                .map_err(|e| CliError::bad_input(format!("--valid-from {valid_from:?}: {e}")))?
                .unix_timestamp()
                .max(0) as u64
        }
    };
    let link = tally_trust::policy_history::sign(&previous, &next, version, from, &key)
        .map_err(CliError::bad_input)?;
    std::fs::create_dir_all(out)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", out.display())))?;
    let stem = out.join(format!("{version:04}"));
    crate::input::write_atomically(&stem.with_extension("json"), &link.json)?;
    crate::input::write_atomically(&stem.with_extension("note"), &link.note)?;
    outln!(
        "wrote {}.note: version {version} of {}, sha256:{}, in force from {from}",
        stem.display(),
        next.network,
        next.fingerprint()
    );
    Ok(())
}
