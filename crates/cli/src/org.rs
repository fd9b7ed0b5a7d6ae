//! `tally org register|certify|revoke`: registry records, signed by governance or an
//! organisation, queued in this client's outbox and sent to every bookkeeper.

use crate::error::{CliError, CliResult};
use crate::home::{block_on, client_error, now, Home};
use crate::{input, show};
use base64::Engine as _;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use tally_client::identity;
use tally_trust::{Entry, Record};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Registry records: register an organisation (governance), certify a device (its
/// organisation), revoke a key (its organisation or governance).
#[derive(Debug, Args)]
pub struct OrgArgs {
    #[command(subcommand)]
    action: OrgAction,
    /// The signing key file: governance's for `register`, the organisation's otherwise.
    #[arg(long, value_name = "FILE", global = true)]
    key: Option<PathBuf>,
    /// Also write the signed entry (base64) to this file.
    #[arg(long, value_name = "FILE", global = true)]
    out: Option<PathBuf>,
    /// Queue only; send later with `tally outbox flush`.
    #[arg(long, global = true)]
    no_send: bool,
    #[command(flatten)]
    home: Home,
}

#[derive(Debug, Subcommand)]
enum OrgAction {
    /// Register an organisation (signed by a governance key of the policy).
    Register {
        /// Its party GLN.
        #[arg(long)]
        gln: String,
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2 country code.
        #[arg(long)]
        country: String,
        /// The organisation's verifier key (or a file holding it).
        #[arg(long, value_name = "VKEY|FILE")]
        org_key: String,
        /// A host of the organisation's own GS1 Digital Link resolver (repeatable): a label
        /// linking elsewhere is flagged when scanned.
        #[arg(long = "domain", value_name = "HOST")]
        domains: Vec<String>,
        /// A GS1 company prefix licensed to the organisation (repeatable): its devices
        /// certified for `labelling` may sign the labels of these products (`tally label --sign`).
        #[arg(long = "prefix", value_name = "DIGITS")]
        prefixes: Vec<String>,
    },
    /// Certify a device from its enrolment request (signed by the organisation's key).
    Certify {
        /// The enrolment request `tally device request` printed.
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// Valid from (RFC 3339); default now.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// Days of validity.
        #[arg(long, default_value_t = 365)]
        days: i64,
    },
    /// Entitle a recipient (an auditor, a regulator) to read every sealed event of its scope
    /// (signed by a governance key): devices then wrap each such event for it, bookkeepers refuse
    /// one that is not. Revoke it with `tally org revoke --target` and its recipient key.
    Entitle {
        /// Who it is, as shown.
        #[arg(long)]
        recipient: String,
        /// Its recipient key (`tally keygen --recipient`), or a file holding it.
        #[arg(long, value_name = "KEY|FILE")]
        recipient_key: String,
        /// A GS1 company prefix of the products, pallets and places it may read (repeatable);
        /// none: every event.
        #[arg(long = "scope", value_name = "PREFIX")]
        scope: Vec<String>,
    },
    /// Revoke a key from a time on: its events from then on no longer count.
    Revoke {
        /// The revoked verifier key, or recipient key (or a file holding it).
        #[arg(long, value_name = "VKEY|FILE")]
        target: String,
        /// From when (RFC 3339); default now.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        #[arg(long)]
        reason: String,
    },
}

fn time_or_now(s: Option<&str>) -> CliResult<OffsetDateTime> {
    match s {
        Some(s) => OffsetDateTime::parse(s, &Rfc3339)
            .map_err(|e| CliError::bad_input(format!("{s:?} is not an RFC 3339 time: {e}"))),
        None => Ok(now()),
    }
}

/// A recipient key given as text or in a file.
fn recipient_key_arg(arg: &str) -> CliResult<tally_confidential::RecipientKey> {
    let path = std::path::Path::new(arg);
    let text = match path.is_file() {
        true => String::from_utf8_lossy(&input::file(path)?).into_owned(),
        false => arg.to_owned(),
    };
    tally_confidential::RecipientKey::parse(text.trim()).map_err(CliError::bad_input)
}

/// Runs `tally org …`.
pub fn run(args: &OrgArgs) -> CliResult {
    let key_path = args
        .key
        .as_ref()
        .ok_or_else(|| CliError::bad_input("give the signing key with --key FILE"))?;
    let key = input::signer_key(key_path)?;
    let (entry, summary) = match &args.action {
        OrgAction::Register {
            gln,
            name,
            country,
            org_key,
            domains,
            prefixes,
        } => {
            if let Some(bad) = prefixes
                .iter()
                .find(|p| !tally_trust::registry::is_company_prefix(p))
            {
                return Err(CliError::bad_input(format!(
                    "--prefix {bad:?}: a GS1 company prefix is 4 to 12 digits"
                )));
            }
            let record = Record::Registration {
                gln: gln.clone(),
                name: name.clone(),
                country: country.clone(),
                key: input::verifier_key(org_key)?.to_string(),
                domains: domains.iter().map(|d| d.to_ascii_lowercase()).collect(),
                prefixes: prefixes.clone(),
            };
            (
                Entry::sign(record.kind(), record.to_payload(), None, &key)
                    .map_err(CliError::bad_input)?,
                format!("registration of {name} ({gln})"),
            )
        }
        OrgAction::Certify {
            request,
            from,
            days,
        } => {
            let req =
                identity::open_enrolment_request(&input::file(request)?).map_err(client_error)?;
            let from = time_or_now(from.as_deref())?;
            let entry = identity::certify(&key, &req, from, from + time::Duration::days(*days))
                .map_err(client_error)?;
            (
                entry,
                format!("certification of {} ({})", req.label, req.device),
            )
        }
        OrgAction::Entitle {
            recipient,
            recipient_key,
            scope,
        } => {
            let record = Record::Entitlement {
                recipient: recipient.clone(),
                key: recipient_key_arg(recipient_key)?.to_string(),
                scope: scope.clone(),
            };
            (
                Entry::sign(record.kind(), record.to_payload(), None, &key)
                    .map_err(CliError::bad_input)?,
                format!("entitlement of {recipient}"),
            )
        }
        OrgAction::Revoke {
            target,
            since,
            reason,
        } => {
            let key_text = match recipient_key_arg(target) {
                Ok(k) => k.to_string(),
                Err(_) => input::verifier_key(target)?.to_string(),
            };
            let record = Record::Revocation {
                key: key_text,
                since: time_or_now(since.as_deref())?,
                reason: reason.clone(),
            };
            (
                Entry::sign(record.kind(), record.to_payload(), None, &key)
                    .map_err(CliError::bad_input)?,
                "revocation".to_owned(),
            )
        }
    };
    if let Some(out) = &args.out {
        let text = base64::engine::general_purpose::STANDARD.encode(entry.encode());
        std::fs::write(out, format!("{text}\n"))
            .map_err(|e| CliError::bad_input(format!("{}: {e}", out.display())))?;
    }
    let client = args.home.client()?;
    let t = now().unix_timestamp();
    if client.policy().confidential && matches!(args.action, OrgAction::Certify { .. }) {
        // A sealed certification links its organisation's key: read from the registry.
        block_on(client.directory(t))?.map_err(client_error)?;
    }
    let queued = client
        .queue(vec![(entry, summary)], t)
        .map_err(client_error)?;
    for q in &queued {
        outln!("queued {}  {}", q.leaf, q.summary);
    }
    if args.no_send {
        return Ok(());
    }
    let report = block_on(client.flush(t))?.map_err(client_error)?;
    input::stdout(show::flush(&report).as_bytes())
}
