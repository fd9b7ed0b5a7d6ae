//! `tally record STEP …`: record a handoff on this device — build its EPCIS 2.0 event (or take
//! events from an EPCIS file), sign it with the device key, queue it, and send it to every
//! bookkeeper (unless --no-send). Works offline: what cannot be sent now stays queued.

use crate::error::{CliError, CliResult};
use crate::home::{block_on, client_error, device_key, now, Home};
use crate::{input, show};
use clap::Args;
use std::path::PathBuf;
use tally_client::capture::{Handoff, Quantity, Reading, Step};
use tally_trust::{Entry, Record};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Record a handoff: ship, receive, pack, unpack, transform, sell, recall (and commission, store,
/// transport), signed with this device's key and sent to every bookkeeper.
///
/// The place and organisation default to the device's certification. Items are GS1 Digital
/// Links (units, lots, cases, pallets). Prints the queued entry and the send result; exit 0 once
/// queued (sending is retried later with `tally outbox flush` if a bookkeeper is unreachable).
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// What happened: commission, ship, receive, pack, unpack, transform, store, transport,
    /// sell, recall; or `epcis` for the events of an EPCIS 2.0 document (--epcis), signed as
    /// they are.
    #[arg(value_parser = step_arg)]
    step: What,
    /// A unit, lot, case or pallet (repeat for many; for transform: the inputs).
    #[arg(long = "item", value_name = "URI")]
    items: Vec<String>,
    /// A quantity of a lot or class: URI=QUANTITY[UNIT] (e.g. …/10/LOT1=500KGM).
    #[arg(long = "quantity", value_name = "URI=Q")]
    quantities: Vec<String>,
    /// Pack / unpack: the case or pallet.
    #[arg(long, value_name = "URI")]
    parent: Option<String>,
    /// Transform: an output item.
    #[arg(long = "output", value_name = "URI")]
    outputs: Vec<String>,
    /// Transform: an output quantity, URI=QUANTITY[UNIT].
    #[arg(long = "output-quantity", value_name = "URI=Q")]
    output_quantities: Vec<String>,
    /// Where (GLN); default: the first place of the device's certification.
    #[arg(long, value_name = "GLN")]
    place: Option<String>,
    /// The recording organisation (GLN); default: the device's.
    #[arg(long, value_name = "GLN")]
    org: Option<String>,
    /// Ship: the receiving party (GLN).
    #[arg(long, value_name = "GLN")]
    to: Option<String>,
    /// Receive: the sending party (GLN).
    #[arg(long, value_name = "GLN")]
    from: Option<String>,
    /// When (RFC 3339); default: now.
    #[arg(long, value_name = "TIME")]
    time: Option<String>,
    /// A temperature reading, CELSIUS[@TIME] (repeat).
    #[arg(long = "reading", value_name = "C[@TIME]", allow_hyphen_values = true)]
    readings: Vec<String>,
    /// Lot master data for commission / transform: NAME=VALUE (e.g. cbvmda:countryOfOrigin=NZ).
    #[arg(long = "ilmd", value_name = "NAME=VALUE")]
    ilmd: Vec<String>,
    /// A business document, TYPE:ID (e.g. po:4711, desadv:…).
    #[arg(long = "doc", value_name = "TYPE:ID")]
    documents: Vec<String>,
    /// On a confidential network, a field kept from the labels' holders (repeat):
    /// bizTransactionList, ilmd, an ilmd member (cbvmda:harvestStartDate) or a namespaced
    /// extension; entitled recipients still read it. `none` shows holders everything. Default:
    /// bizTransactionList.
    #[arg(long = "withhold", value_name = "FIELD")]
    withhold: Vec<String>,
    /// With `epcis`: the EPCIS 2.0 document (or single event) whose events are signed as they
    /// are. Each event is logged on its own, so namespace prefixes its extensions use must be
    /// declared in the event's own @context.
    #[arg(long, value_name = "FILE")]
    epcis: Option<PathBuf>,
    /// Queue only; send later with `tally outbox flush`.
    #[arg(long)]
    no_send: bool,
    /// File whose first line is the device key's passphrase (else $TALLY_PASSPHRASE).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    home: Home,
}

/// The fields `--withhold` names: the default when none, nothing for `none`.
fn withheld(args: &[String]) -> Vec<String> {
    match args {
        [] => Handoff::default_withheld(),
        [none] if none == "none" => Vec::new(),
        names => names.to_vec(),
    }
}

fn time_arg(s: &str) -> CliResult<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| CliError::bad_input(format!("{s:?} is not an RFC 3339 time: {e}")))
}

/// `URI=QUANTITY[UNIT]`.
fn quantity(s: &str) -> CliResult<Quantity> {
    let bad = || {
        CliError::bad_input(format!(
            "{s:?}: want URI=QUANTITY[UNIT], e.g. …/10/LOT1=500KGM"
        ))
    };
    let (class, q) = s.rsplit_once('=').ok_or_else(bad)?;
    let digits = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(q.len());
    let quantity: f64 = q[..digits].parse().map_err(|_| bad())?;
    let uom = (digits < q.len()).then(|| q[digits..].to_owned());
    Ok(Quantity {
        class: class.to_owned(),
        quantity,
        uom,
    })
}

/// What `tally record` records.
#[derive(Debug, Clone, Copy)]
enum What {
    Handoff(Step),
    /// The events of an EPCIS file, as they are.
    Epcis,
}

fn step_arg(s: &str) -> Result<What, String> {
    if s == "epcis" {
        return Ok(What::Epcis);
    }
    Step::from_name(s).map(What::Handoff).ok_or_else(|| {
        let names: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
        format!("{s:?} is not a step: {} or epcis", names.join(", "))
    })
}

/// The organisation and first place of the device's imported certification.
fn certified(client: &tally_client::Client) -> CliResult<(Option<String>, Option<String>)> {
    let row = client
        .store()
        .map_err(client_error)?
        .device()
        .map_err(client_error)?;
    let Some(cert) = row.and_then(|d| d.certification) else {
        return Ok((None, None));
    };
    let record = Entry::decode(&cert)
        .ok()
        .and_then(|e| serde_json::from_slice::<Record>(&e.payload).ok());
    Ok(match record {
        Some(Record::Certification { org, places, .. }) => (Some(org), places.first().cloned()),
        _ => (None, None),
    })
}

/// Runs `tally record`.
pub fn run(args: &RecordArgs) -> CliResult {
    let client = args.home.client()?;
    let key = device_key(&client, args.passphrase_file.as_deref())?;
    let t = now();
    let queued = match args.step {
        What::Epcis => {
            let path = args
                .epcis
                .as_ref()
                .ok_or_else(|| CliError::bad_input("record epcis needs --epcis FILE"))?;
            let bytes = input::file(path)?;
            let events = tally_epcis::Document::parse(&bytes)
                .map(|d| d.events.into_iter().map(|e| e.bytes).collect::<Vec<_>>())
                .or_else(|_| tally_epcis::RawEvent::parse(&bytes).map(|e| vec![e.bytes]))
                .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))?;
            let mut entries = Vec::new();
            for (i, e) in events.iter().enumerate() {
                tally_epcis::validate_event(e).map_err(|err| {
                    CliError::bad_input(format!("{} event {i}: {err}", path.display()))
                })?;
                let entry = Entry::sign_event(e, &key).map_err(CliError::bad_input)?;
                entries.push((entry, format!("event {i} of {}", path.display())));
            }
            client
                .queue(entries, t.unix_timestamp())
                .map_err(client_error)?
        }
        What::Handoff(step) => {
            let (cert_org, cert_place) = certified(&client)?;
            let org = args.org.clone().or(cert_org).ok_or_else(|| {
                CliError::bad_input("give --org (no certification imported on this device)")
            })?;
            let place = args.place.clone().or(cert_place).ok_or_else(|| {
                CliError::bad_input("give --place (no certification imported on this device)")
            })?;
            let time = match &args.time {
                Some(s) => time_arg(s)?,
                None => t,
            };
            let readings = args
                .readings
                .iter()
                .map(|r| {
                    let (c, at) = match r.split_once('@') {
                        Some((c, at)) => (c, time_arg(at)?),
                        None => (r.as_str(), time),
                    };
                    let celsius = c
                        .parse()
                        .map_err(|_| CliError::bad_input(format!("{c:?} is not a temperature")))?;
                    Ok(Reading { time: at, celsius })
                })
                .collect::<CliResult<Vec<_>>>()?;
            let mut ilmd = serde_json::Map::new();
            for kv in &args.ilmd {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| CliError::bad_input(format!("{kv:?}: want NAME=VALUE")))?;
                ilmd.insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
            }
            let documents = args
                .documents
                .iter()
                .map(|d| {
                    d.split_once(':')
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .ok_or_else(|| CliError::bad_input(format!("{d:?}: want TYPE:ID")))
                })
                .collect::<CliResult<Vec<_>>>()?;
            let handoff = Handoff {
                step,
                time,
                items: args.items.clone(),
                quantities: args
                    .quantities
                    .iter()
                    .map(|q| quantity(q))
                    .collect::<CliResult<_>>()?,
                parent: args.parent.clone(),
                outputs: args.outputs.clone(),
                output_quantities: args
                    .output_quantities
                    .iter()
                    .map(|q| quantity(q))
                    .collect::<CliResult<_>>()?,
                place,
                org,
                counterparty: args.to.clone().or(args.from.clone()),
                documents,
                readings,
                ilmd,
                withhold: withheld(&args.withhold),
            };
            vec![client
                .record(&key, &handoff, t.unix_timestamp())
                .map_err(client_error)?]
        }
    };
    for q in &queued {
        outln!(
            "queued {}  {}{}",
            q.leaf,
            q.summary,
            if q.new { "" } else { " (already queued)" }
        );
    }
    if args.no_send {
        return Ok(());
    }
    let report = block_on(client.flush(t.unix_timestamp()))?.map_err(client_error)?;
    input::stdout(show::flush(&report).as_bytes())?;
    match queued.iter().find(|q| report.refused_by_all(&q.leaf)) {
        Some(q) => Err(CliError::invalid(format!(
            "every bookkeeper refused {}: {}",
            q.summary,
            report
                .bookkeepers
                .iter()
                .find_map(|b| b.error.clone())
                .unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::quantity;

    #[test]
    fn quantities_parse_with_and_without_units() {
        let q = quantity("https://id.gs1.org/01/09506000134352/10/L1=500KGM").unwrap();
        assert_eq!(
            (q.class.as_str(), q.quantity, q.uom.as_deref()),
            (
                "https://id.gs1.org/01/09506000134352/10/L1",
                500.0,
                Some("KGM")
            )
        );
        assert_eq!(quantity("x=12").unwrap().uom, None);
        assert!(quantity("x=KGM").is_err());
        assert!(quantity("no-equals").is_err());
    }
}
