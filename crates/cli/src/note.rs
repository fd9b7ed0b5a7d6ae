//! `tally note sign|verify`: c2sp.org/signed-note notes, byte-compatible with Go's
//! golang.org/x/mod/sumdb/note.

use crate::error::{CliError, CliResult};
use crate::input;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use tally_tlog::note::{self, NoteError};
use tally_tlog::VerifierKey;

/// Sign or verify signed notes (c2sp.org/signed-note).
#[derive(Debug, Subcommand)]
pub enum NoteCommand {
    Sign(SignArgs),
    Verify(VerifyArgs),
}

/// Sign the note text on stdin; write the signed note to stdout.
///
/// Without --add, stdin is the note text (UTF-8, ending in a newline). With --add, stdin is an
/// existing signed note and the keys' signatures are added to it (replacing earlier signatures by
/// the same keys). Cosignature keys (type 0x04) sign at the current UNIX time.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Signer key file (PRIVATE+KEY+...), as written by `tally keygen`. Repeat for several keys.
    #[arg(long = "key", value_name = "FILE", required = true)]
    keys: Vec<PathBuf>,
    /// Stdin is already a signed note: add signatures instead of signing it as new text.
    #[arg(long)]
    add: bool,
}

/// Verify the signed note on stdin against the given verifier keys.
///
/// On success the verified note text (without signature lines) goes to stdout, so a pipeline only
/// ever consumes authenticated bytes, and "verified NAME+KEYID" goes to stderr, one line per
/// distinct known key that signed. Signatures from unknown keys are ignored; a bad signature from a
/// known key fails the note. Exit 1 if verification fails, 2 if the note is malformed.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A verifier key (name+hex8+base64) or a file containing one. Repeat for several keys.
    #[arg(long = "pub", value_name = "VKEY|FILE", required = true)]
    keys: Vec<String>,
    /// Signatures required from distinct known keys.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    threshold: u16,
}

/// Runs `tally note ...`.
pub fn run(cmd: &NoteCommand) -> CliResult {
    match cmd {
        NoteCommand::Sign(args) => sign(args),
        NoteCommand::Verify(args) => verify(args),
    }
}

fn sign(args: &SignArgs) -> CliResult {
    let keys = args
        .keys
        .iter()
        .map(|p| input::signer_key(p))
        .collect::<CliResult<Vec<_>>>()?;
    let stdin = input::stdin()?;
    let now = unix_now()?;
    let signed = if args.add {
        note::add_signatures(&stdin, &keys, now)
    } else {
        note::sign(&stdin, &keys, now)
    }
    .map_err(CliError::bad_input)?;
    input::stdout(&signed)
}

fn verify(args: &VerifyArgs) -> CliResult {
    let keys = args
        .keys
        .iter()
        .map(|k| input::verifier_key(k))
        .collect::<CliResult<Vec<VerifierKey>>>()?;
    let signed = input::stdin()?;
    let verified =
        note::open_threshold(&signed, &keys, usize::from(args.threshold)).map_err(note_error)?;
    for s in &verified.signatures {
        errln!("verified {}+{:08x}", s.key.name(), s.key.id());
    }
    input::stdout(&verified.text)
}

/// Sorts note errors into "did not verify" (1) and "could not be read or the keys clash" (2).
pub fn note_error(e: NoteError) -> CliError {
    match e {
        NoteError::InvalidSignature { .. }
        | NoteError::Unverified
        | NoteError::TooFewSignatures { .. } => CliError::invalid(e),
        NoteError::Malformed(_) | NoteError::AmbiguousKey { .. } | NoteError::BadSigner(_) => {
            CliError::bad_input(e)
        }
    }
}

/// The current UNIX time for cosignatures: the CLI is the I/O edge, so it reads the clock here and
/// the library stays deterministic.
fn unix_now() -> CliResult<u64> {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| CliError::bad_input("system clock is before 1970"))
}
