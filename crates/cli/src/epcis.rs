//! `tally epcis validate|hash`: EPCIS 2.0 documents, checked and hashed by `tally_epcis`.

use crate::error::{CliError, CliResult};
use crate::input;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use tally_epcis::{HashError, ParseError, ValidationError};

/// GS1 EPCIS 2.0 documents (JSON / JSON-LD).
#[derive(Debug, Subcommand)]
pub enum EpcisCommand {
    /// Validate FILE against the EPCIS 2.0 JSON schema (with format checks).
    ///
    /// Exit 0 if valid. Exit 1 if not, with every violation on stdout, one per line ("at
    /// /json/pointer: message (schema /pointer)"), and a summary on stderr. Exit 2 if the file is
    /// unreadable or not JSON.
    Validate(FileArg),
    /// Print the CBV 2.0 Event Hash ID of each event in FILE, one per line, in document order.
    ///
    /// IDs look like ni:///sha-256;HEX?ver=CBV2.0. The document is not schema-validated first (use
    /// `validate`). Exit 1 if the JSON is not an EPCIS document, 2 if unreadable or not JSON.
    Hash(FileArg),
}

/// The document to read.
#[derive(Debug, Args)]
pub struct FileArg {
    /// The EPCIS 2.0 JSON(-LD) document, or '-' for stdin.
    file: PathBuf,
}

/// Runs `tally epcis ...`.
pub fn run(cmd: &EpcisCommand) -> CliResult {
    match cmd {
        EpcisCommand::Validate(f) => validate(&read(f)?),
        EpcisCommand::Hash(f) => {
            let ids = tally_epcis::document_hash_ids(&read(f)?).map_err(|e| match e {
                HashError::Parse(p) => parse_error(p),
            })?;
            let out: String = ids.iter().map(|id| format!("{id}\n")).collect();
            input::stdout(out.as_bytes())
        }
    }
}

fn read(f: &FileArg) -> CliResult<Vec<u8>> {
    if f.file.as_os_str() == "-" {
        input::stdin()
    } else {
        input::file(&f.file)
    }
}

fn validate(doc: &[u8]) -> CliResult {
    match tally_epcis::validate_document(doc) {
        Ok(()) => Ok(()),
        Err(ValidationError::Parse(p)) => Err(parse_error(p)),
        Err(ValidationError::Schema(violations)) => {
            // All violations on stdout (a report to act on), the one-line summary on stderr.
            let report: String = violations.iter().map(|v| format!("{v}\n")).collect();
            input::stdout(report.as_bytes())?;
            Err(CliError::invalid(ValidationError::Schema(violations)))
        }
    }
}

/// Unreadable input (not JSON, too large) is exit 2; JSON that is not EPCIS is invalid (exit 1).
fn parse_error(e: ParseError) -> CliError {
    match e {
        ParseError::Json(_) | ParseError::TooLarge { .. } => CliError::bad_input(e),
        ParseError::Shape { .. }
        | ParseError::UnknownEventType(_)
        | ParseError::Event { .. }
        | ParseError::Time { .. } => CliError::invalid(e),
    }
}
