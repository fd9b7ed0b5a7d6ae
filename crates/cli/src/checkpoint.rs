//! `tally checkpoint verify`: a log's signed checkpoint and its witness cosignatures
//! (c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature).

use crate::error::{CliError, CliResult};
use crate::input;
use crate::note::note_error;
use clap::{Args, Subcommand};
use tally_tlog::checkpoint::{self, CheckpointError};

/// Verify checkpoints.
#[derive(Debug, Subcommand)]
pub enum CheckpointCommand {
    Verify(VerifyArgs),
}

/// Verify the signed checkpoint on stdin: the log's signature and a threshold of witnesses.
///
/// On success prints "origin ORIGIN", "size N", "root BASE64" and one "cosigner NAME+KEYID
/// UNIX-TIME" line per distinct witness key that cosigned, to stdout. Exit 1 if a signature fails,
/// the log did not sign or too few witnesses cosigned; exit 2 if the input or a key is malformed.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The log's verifier key (type 0x01), or a file containing it.
    #[arg(long, value_name = "VKEY|FILE")]
    log: String,
    /// A witness verifier key (type 0x04), or a file containing one. Repeat for several witnesses.
    #[arg(long = "witness", value_name = "VKEY|FILE")]
    witnesses: Vec<String>,
    /// Cosignatures required from distinct witness keys (0 checks the log signature only). Required
    /// so that listing witnesses can never silently mean "witnesses optional".
    #[arg(long, value_name = "N")]
    witness_threshold: usize,
}

/// Runs `tally checkpoint ...`.
pub fn run(cmd: &CheckpointCommand) -> CliResult {
    match cmd {
        CheckpointCommand::Verify(args) => verify(args),
    }
}

fn verify(args: &VerifyArgs) -> CliResult {
    let log = input::verifier_key(&args.log)?;
    let witnesses = args
        .witnesses
        .iter()
        .map(|w| input::verifier_key(w))
        .collect::<CliResult<Vec<_>>>()?;
    let signed = input::stdin()?;
    let v = checkpoint::verify(&signed, &log, &witnesses, args.witness_threshold)
        .map_err(checkpoint_error)?;
    let mut out = format!(
        "origin {}\nsize {}\nroot {}\n",
        v.checkpoint.origin(),
        v.checkpoint.size(),
        v.checkpoint.hash()
    );
    for c in &v.cosigners {
        out.push_str(&format!(
            "cosigner {}+{:08x} {}\n",
            c.key.name(),
            c.key.id(),
            c.timestamp
        ));
    }
    input::stdout(out.as_bytes())
}

/// Sorts checkpoint errors into "did not verify" (1) and "bad input or wrong key roles" (2).
fn checkpoint_error(e: CheckpointError) -> CliError {
    match e {
        CheckpointError::Note(n) => note_error(n),
        CheckpointError::LogKeyType(_) | CheckpointError::WitnessKeyType(_) => {
            CliError::bad_input(e)
        }
        CheckpointError::Malformed
        | CheckpointError::NoLogSignature(_)
        | CheckpointError::WrongOrigin { .. }
        | CheckpointError::UnderCosigned { .. } => CliError::invalid(e),
    }
}
