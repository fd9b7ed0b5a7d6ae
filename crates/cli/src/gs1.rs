//! `tally gs1 parse`: GS1 Digital Link URIs and element strings, parsed by `tally_gs1`.

use crate::error::{CliError, CliResult};
use crate::input;
use clap::{Args, Subcommand};

/// GS1 identifiers.
#[derive(Debug, Subcommand)]
pub enum Gs1Command {
    Parse(ParseArgs),
}

/// Parse and validate a GS1 Digital Link URI or element string; print it as JSON.
///
/// Accepts what a scanner returns: an http(s) Digital Link URI, a bracketed element string
/// "(01)09506000134352(10)ABC", raw element string data with FNC1 as the byte 0x1D, each optionally
/// prefixed by an AIM symbology identifier (]Q1, ]Q3, ]d2, ]C1, ]e0). Prints one line of JSON:
/// {"uri": canonical Digital Link URI or null, "element_string": "(01)...", "ais": [{"ai", "title",
/// "value"}...], "other_params": {...}}. Invalid input exits 2 with the parser's reason.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The URI or element string.
    #[arg(value_name = "URI|ELEMENT-STRING")]
    data: String,
}

/// Runs `tally gs1 ...`.
pub fn run(cmd: &Gs1Command) -> CliResult {
    match cmd {
        Gs1Command::Parse(args) => {
            let scan = tally_gs1::parse_scan_payload(args.data.as_bytes())
                .map_err(|e| CliError::bad_input(format!("{:?}: {e}", args.data)))?;
            let mut json = serde_json::to_string(&scan.to_json())
                .map_err(|e| CliError::bad_input(format!("cannot serialise: {e}")))?;
            json.push('\n');
            input::stdout(json.as_bytes())
        }
    }
}
