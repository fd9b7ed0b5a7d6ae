//! `tally fsma`: the FSMA 204 electronic sortable spreadsheet (`tally_fsma`) of organisations'
//! events, as the logs prove them.

use crate::audit::recipient_key;
use crate::error::{CliError, CliResult};
use crate::home::{block_on, now, Home};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tally_client::audit::ActivityEvent;
use tally_client::Client;
use tally_fsma::{Filter, Logged, Places};
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
    let t = now().unix_timestamp();
    let directory = block_on(client.directory(t))?.map_err(crate::home::client_error)?;
    let mut places = Places::new();
    for org in &directory.orgs {
        let name = format!("{} ({})", org.name, org.country);
        places.insert(org.gln.clone(), name.clone());
        for p in &org.places {
            places.entry(p.clone()).or_insert_with(|| name.clone());
        }
    }
    let orgs: Vec<String> = match a.orgs.is_empty() {
        true => directory.orgs.iter().map(|o| o.gln.clone()).collect(),
        false => a.orgs.clone(),
    };
    let events = read(&client, &orgs, a)?;
    let proofs = proof_links(&client, t)?;
    let links: Vec<String> = events
        .values()
        .map(|e| {
            let log = e.bookkeepers.iter().find_map(|b| proofs.get(b));
            log.map(|(url, size)| {
                format!("{url}/proof/inclusion?hash={}&size={size}", escape(&e.leaf))
            })
            .unwrap_or_default()
        })
        .collect();
    let logged: Vec<Logged> = events
        .values()
        .zip(&links)
        .map(|(e, proof)| Logged {
            event: &e.event,
            hash_id: &e.hash_id,
            logs: &e.bookkeepers,
            proof,
        })
        .collect();
    let filter = Filter {
        gtin: a.gtin.clone(),
        lot: a.lot.clone(),
        from: a.from,
        to: a.to,
    };
    let rows = tally_fsma::records(&logged, &places, &filter);
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
        events.len(),
        orgs.len(),
        a.out.display()
    );
    Ok(())
}

/// Every event of `orgs` the logs prove, once each (by Event Hash ID).
fn read(
    client: &Client,
    orgs: &[String],
    a: &FsmaArgs,
) -> CliResult<BTreeMap<String, ActivityEvent>> {
    let me = a.as_recipient.as_deref().map(recipient_key).transpose()?;
    let mut events = BTreeMap::new();
    for gln in orgs {
        let activity = match &me {
            Some(me) => block_on(client.activity_as(me, gln))?,
            None => block_on(client.activity(gln))?,
        }
        .map_err(crate::home::client_error)?;
        for e in activity.events {
            events.entry(e.hash_id.clone()).or_insert(e);
        }
    }
    Ok(events)
}

/// Per bookkeeper: its URL and the size of its latest checkpoint, read after the events, so
/// that every event read is inside it.
fn proof_links(client: &Client, t: i64) -> CliResult<BTreeMap<String, (String, u64)>> {
    let monitor = block_on(client.monitor(t))?.map_err(crate::home::client_error)?;
    Ok(monitor
        .logs
        .into_iter()
        .filter_map(|l| Some((l.name, (l.url, l.size?))))
        .collect())
}

/// Base64 for a URL's query: `+`, `/` and `=` escaped.
fn escape(b64: &str) -> String {
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}
