//! `tally monitor|trace|activity|export|check-evidence`: the auditor's view of the logs.

use crate::error::{CliError, CliResult};
use crate::home::{block_on, client_error, now, Home};
use crate::{input, show};
use clap::Args;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tally_client::audit::{EvidenceFile, Monitor};

/// Check every bookkeeper now: its latest checkpoint (signature, independent cosignatures), that
/// it only grew since this device last looked (consistency proof), its lag; and list every fork
/// or rollback ever detected, and what the bookkeepers' witnesses refused. Exit 1 if an alert
/// was found in this round.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Keep checking every SECONDS until interrupted.
    #[arg(long, value_name = "SECONDS")]
    watch: Option<u64>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    home: Home,
}

/// Trace a lot or item back (its verified history, the inputs it was made from) and forward
/// (what was made from it, what it was packed into), each downstream node verified.
#[derive(Debug, Args)]
pub struct TraceArgs {
    #[arg(value_name = "CODE")]
    code: String,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    home: Home,
}

/// The events an organisation's devices signed, as the logs of k operators prove them.
#[derive(Debug, Args)]
pub struct ActivityArgs {
    /// The organisation's party GLN.
    #[arg(value_name = "GLN")]
    gln: String,
    /// Read as an entitled recipient (an auditor, a regulator), with its recipient key file:
    /// every sealed event of the organisation wrapped for it, from every bookkeeper's whole log.
    #[arg(long = "as", value_name = "FILE")]
    as_recipient: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    home: Home,
}

/// Verify a product and write everything its verdict rests on (policy, each bookkeeper's
/// checkpoint, entries and proofs as received, the verdict) to a file anyone can check again
/// with `tally check-evidence`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(value_name = "CODE")]
    code: String,
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    home: Home,
}

/// Check an exported evidence file again, offline, under the policy installed on this device
/// (or --policy FILE): prints the verdict and exits like `tally scan`.
///
/// The policy inside the file is used only with --embedded-policy, which prints its
/// fingerprint: anyone can write a file whose policy names keys of their own, so a verdict under
/// it means only as much as that fingerprint, compared out of band.
#[derive(Debug, Args)]
pub struct CheckEvidenceArgs {
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Check under this policy file instead of the installed one.
    #[arg(long, value_name = "FILE", conflicts_with = "embedded_policy")]
    policy: Option<PathBuf>,
    /// Check under the policy the file carries (its fingerprint is printed on stderr).
    #[arg(long)]
    embedded_policy: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    home: Home,
}

fn monitor_text(m: &Monitor) -> String {
    let mut out = String::new();
    for l in &m.logs {
        let _ = writeln!(
            out,
            "{} ({}) {}: {}",
            l.name,
            l.operator,
            l.url,
            match (&l.problem, l.size) {
                (None, Some(size)) => format!(
                    "size {size}, lag {}, cosigned by {} ({} independent, {} required)",
                    l.lag.unwrap_or(0),
                    l.cosigners.join(", "),
                    l.independent_cosigners,
                    l.witness_threshold
                ),
                (Some(p), _) => format!("PROBLEM: {p}"),
                (None, None) => "no checkpoint".into(),
            }
        );
    }
    for a in &m.alerts {
        let _ = writeln!(
            out,
            "ALERT {} by {}: this device saw size {} and then {} (both signed notes kept, #{})",
            a.kind, a.bookkeeper, a.old_size, a.new_size, a.id
        );
    }
    for w in &m.witness_evidence {
        let _ = writeln!(
            out,
            "WITNESS {} refused {}: {}",
            w.reported_by, w.origin, w.reason
        );
    }
    out
}

/// Runs `tally monitor`.
pub fn monitor(args: &MonitorArgs) -> CliResult {
    let client = args.home.client()?;
    loop {
        let m = block_on(client.monitor(now().unix_timestamp()))?.map_err(client_error)?;
        if args.json {
            show::json(&m)?;
        } else {
            input::stdout(monitor_text(&m).as_bytes())?;
        }
        match args.watch {
            Some(secs) => std::thread::sleep(std::time::Duration::from_secs(secs.max(1))),
            None if m.new_alerts > 0 => {
                return Err(CliError::invalid(format!(
                    "{} new fork or rollback alert(s)",
                    m.new_alerts
                )))
            }
            None => return Ok(()),
        }
    }
}

/// Runs `tally trace`.
pub fn trace(args: &TraceArgs) -> CliResult {
    let client = args.home.client()?;
    let t = block_on(client.trace(&args.code, now()))?.map_err(client_error)?;
    if args.json {
        return show::json(&t);
    }
    let mut out = show::history(&t.origin, now().unix_timestamp(), false);
    for u in &t.upstream {
        let _ = writeln!(out, "made from {u}");
    }
    for e in &t.edges {
        let _ = writeln!(
            out,
            "{} {} → {} ({}{})",
            e.time,
            e.how,
            e.to,
            e.from,
            e.org
                .as_deref()
                .map(|o| format!(", by {o}"))
                .unwrap_or_default()
        );
    }
    for d in &t.downstream {
        let _ = writeln!(out, "downstream {}: {:?}", d.product, d.status);
    }
    if t.truncated {
        out.push_str("(stopped after 64 lots and containers)\n");
    }
    input::stdout(out.as_bytes())
}

/// The recipient key in the file `tally keygen --recipient` wrote.
pub fn recipient_key(path: &Path) -> CliResult<tally_confidential::RecipientSecret> {
    let text = String::from_utf8_lossy(&input::file(path)?).into_owned();
    tally_confidential::RecipientSecret::parse(text.trim())
        .map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))
}

/// Runs `tally activity`.
pub fn activity(args: &ActivityArgs) -> CliResult {
    let client = args.home.client()?;
    let a = match &args.as_recipient {
        Some(path) => block_on(client.activity_as(&recipient_key(path)?, &args.gln))?,
        None => block_on(client.activity(&args.gln))?,
    }
    .map_err(client_error)?;
    if args.json {
        return show::json(&a);
    }
    let mut out = format!(
        "{} {}: {} events proven in the logs",
        a.gln,
        a.name.as_deref().unwrap_or("(registration not found)"),
        a.events.len()
    );
    if a.below_quorum > 0 {
        let _ = write!(out, ", {} more in too few logs", a.below_quorum);
    }
    out.push('\n');
    for (step, n) in &a.by_step {
        let _ = writeln!(out, "  {step}: {n}");
    }
    for e in &a.events {
        let _ = writeln!(
            out,
            "  {} {} {} item(s) at {} in {}",
            e.time,
            e.biz_step.as_deref().unwrap_or(&e.event_type),
            e.items,
            e.place.as_deref().unwrap_or("?"),
            e.bookkeepers.join(",")
        );
    }
    input::stdout(out.as_bytes())
}

/// Runs `tally export`.
pub fn export(args: &ExportArgs) -> CliResult {
    let client = args.home.client()?;
    let file = block_on(client.export(&args.code, now()))?.map_err(client_error)?;
    let text = serde_json::to_string_pretty(&file).map_err(CliError::bad_input)?;
    std::fs::write(&args.out, text)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.out.display())))?;
    outln!(
        "wrote {} (answers of {} bookkeepers)",
        args.out.display(),
        file.answers.len()
    );
    Ok(())
}

/// Runs `tally check-evidence`.
pub fn check_evidence(args: &CheckEvidenceArgs) -> CliResult {
    let file: EvidenceFile = serde_json::from_slice(&input::file(&args.file)?)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.file.display())))?;
    let policy = match (&args.policy, args.embedded_policy) {
        (Some(p), _) => {
            tally_trust::Policy::parse(&input::file(p)?).map_err(CliError::bad_input)?
        }
        (None, true) => {
            let p = file.embedded_policy().map_err(client_error)?;
            errln!(
                "tally: checking under the policy inside the file, fingerprint sha256:{}; it proves something only if that is your network's",
                p.fingerprint()
            );
            p
        }
        (None, false) => args.home.client()?.policy().clone(),
    };
    let t = now();
    let h = tally_client::audit::check_evidence(&file, &policy, t).map_err(client_error)?;
    if args.json {
        show::json(&h)?;
    } else {
        input::stdout(show::history(&h, t.unix_timestamp(), true).as_bytes())?;
    }
    show::verdict_code(&h)
}
