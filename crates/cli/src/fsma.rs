//! `tally fsma`: the FSMA 204 electronic sortable spreadsheet (`tally_fsma`) of organisations'
//! events, as the logs prove them.

use crate::audit::recipient_key;
use crate::error::{CliError, CliResult};
use crate::home::{block_on, now, Home};
use clap::Args;
use std::path::PathBuf;
use tally_fsma::Filter;
use time::macros::format_description;
use time::Date;

/// Write the FSMA 204 records (21 CFR 1 subpart S) of organisations' events as the electronic
/// sortable spreadsheet: one row per Critical Tracking Event and traceability lot, with its Key
/// Data Elements, the event's hash ID, the logs that prove it and a link to an inclusion proof.
/// Every event is read from the logs and counted only when k operators' logs prove it.
#[derive(Debug, Args)]
pub struct FsmaArgs {
    /// The organisations (party GLNs) whose records to write; all registered ones if none.
    #[arg(long = "org", value_name = "GLN")]
    orgs: Vec<String>,
    /// Read as an entitled recipient (a regulator, an auditor) with its recipient key file:
    /// sealed events and the reference documents withheld from label holders.
    #[arg(long = "as", value_name = "FILE")]
    as_recipient: Option<PathBuf>,
    /// Only this product (GTIN, 14 digits).
    #[arg(long)]
    gtin: Option<String>,
    /// Only this lot.
    #[arg(long)]
    lot: Option<String>,
    /// Only events on or after this date (YYYY-MM-DD, where they happened).
    #[arg(long, value_parser = date)]
    from: Option<Date>,
    /// Only events on or before this date.
    #[arg(long, value_parser = date)]
    to: Option<Date>,
    /// The spreadsheet: FILE.xlsx, or FILE.csv.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    home: Home,
}

fn date(s: &str) -> Result<Date, String> {
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|e| format!("{s:?} is not a date YYYY-MM-DD: {e}"))
}

/// Runs `tally fsma`.
pub fn run(a: &FsmaArgs) -> CliResult {
    let csv = match a.out.extension().and_then(|e| e.to_str()) {
        Some("csv") => true,
        Some("xlsx") => false,
        _ => {
            return Err(CliError::bad_input(
                "--out must name a .xlsx or a .csv file",
            ))
        }
    };
    let client = a.home.client()?;
    let me = a.as_recipient.as_deref().map(recipient_key).transpose()?;
    let filter = Filter {
        gtin: a.gtin.clone(),
        lot: a.lot.clone(),
        from: a.from,
        to: a.to,
    };
    let t = now().unix_timestamp();
    let records = block_on(client.fsma_records(&a.orgs, me.as_ref(), &filter, t, &mut |_, _| {}))?
        .map_err(crate::home::client_error)?;
    let rows = records.rows;
    let bytes = match csv {
        true => tally_fsma::csv(&rows).into_bytes(),
        false => {
            tally_fsma::xlsx(&rows).map_err(|e| CliError::bad_input(format!("spreadsheet: {e}")))?
        }
    };
    crate::input::write_atomically(&a.out, &bytes)?;
    outln!(
        "wrote {} records of {} events from {} organisations to {}",
        rows.len(),
        records.events,
        records.organisations,
        a.out.display()
    );
    Ok(())
}
