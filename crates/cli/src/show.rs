//! How the CLI prints what the light client found: a verdict and its timeline, the outbox, the
//! monitor. `--json` prints the same structures as JSON instead, for scripts.

use crate::error::{CliError, CliResult};
use std::fmt::Write as _;
use tally_client::outbox::FlushReport;
use tally_client::state::OutboxItem;
use tally_client::view::{History, Source, Stage};
use tally_trust::{LabelCheck, Severity, Status};

/// The exit code a verdict gives: 0 verified, 3 verified with warnings, 4 unverifiable (too
/// little of the network could be checked: no evidence either way), 1 failed.
pub fn verdict_code(h: &History) -> CliResult {
    match h.status {
        Status::Verified => Ok(()),
        Status::Warning => Err(CliError::Warning(first_warning(h))),
        Status::Unverifiable => Err(CliError::Unverifiable(first_warning(h))),
        Status::Failed => Err(CliError::invalid(first_warning(h))),
    }
}

fn first_warning(h: &History) -> String {
    h.warnings
        .iter()
        .filter(|w| w.severity != Severity::Info)
        .max_by_key(|w| w.severity)
        .map_or_else(|| format!("{:?}", h.status), |w| w.text.clone())
}

fn stage(s: Stage) -> &'static str {
    match s {
        Stage::Origin => "ORIGIN",
        Stage::Processing => "PROCESSING",
        Stage::Packing => "PACKING",
        Stage::Unpacking => "UNPACKED",
        Stage::Shipping => "SHIPPED",
        Stage::Receiving => "RECEIVED",
        Stage::Import => "IMPORTED",
        Stage::ColdChain => "COLD CHAIN",
        Stage::Retail => "RETAIL",
        Stage::Recall => "RECALL",
        Stage::Inspection => "INSPECTED",
        Stage::Other => "EVENT",
    }
}

/// An RFC 3339 time as `2026-10-17 08:55 UTC`.
fn when(t: &str) -> String {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| {
            t.to_offset(time::UtcOffset::UTC)
                .format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute] UTC"
                ))
                .ok()
        })
        .unwrap_or_else(|| t.to_owned())
}

fn age(seconds: i64) -> String {
    tally_client::view::age(u64::try_from(seconds).unwrap_or(0))
}

/// The verdict, its warnings and the timeline; `evidence` adds who signed and where it is logged.
/// What the label's own signature (GS1 AI 8030) says; a forged or revoked one is also a warning
/// below.
fn label_line(label: &LabelCheck) -> String {
    match label {
        LabelCheck::Unsigned => "label: unsigned (the brand's signature is not on this label)".into(),
        LabelCheck::Signed { name, org } => format!("label: signed by {name} ({org}), the brand"),
        LabelCheck::SignerRevoked { name, since, .. } => {
            format!("label: signed with a key of {name} revoked on {since}")
        }
        LabelCheck::Forged { name, .. } => format!("label: FORGED, not signed by {name}"),
        LabelCheck::Malformed { detail } => format!("label: FORGED, {detail}"),
        LabelCheck::Unchecked => {
            "label: carries a signature this device cannot check yet (no labelling key of its brand is known)".into()
        }
    }
}

pub fn history(h: &History, now: i64, evidence: bool) -> String {
    let mut out = String::new();
    let word = match h.status {
        Status::Verified => "VERIFIED",
        Status::Warning => "WARNING",
        Status::Unverifiable => "UNVERIFIABLE",
        Status::Failed => "FAILED",
    };
    let _ = writeln!(out, "{word}  {}", h.product);
    match h.source {
        Source::Live => {}
        Source::Cached => {
            let _ = writeln!(
                out,
                "  offline: showing the history verified on this device {} ago",
                age(now - h.checked_at)
            );
        }
        Source::Offline => {
            let _ = writeln!(
                out,
                "  offline: no bookkeeper could be reached and nothing is cached"
            );
        }
    }
    let used = h.bookkeepers.iter().filter(|b| b.used).count();
    let _ = writeln!(
        out,
        "  logs of {used} of {} bookkeepers used; {} must agree on every event",
        h.quorum.1, h.quorum.0
    );
    let _ = writeln!(out, "  {}", label_line(&h.label));
    for w in &h.warnings {
        let mark = match w.severity {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Unverifiable => "cannot check",
            Severity::Failed => "FAILED",
        };
        let _ = writeln!(out, "  {mark}: {}", w.text);
    }
    if !h.steps.is_empty() {
        let _ = writeln!(out, "Timeline");
    }
    for (i, s) in h.steps.iter().enumerate() {
        let who = match (&s.org, &s.org_country) {
            (Some(o), Some(c)) => format!("{o} ({c})"),
            (Some(o), None) => o.clone(),
            _ => "unknown signer".into(),
        };
        let who = match s.authority {
            true => format!("{who}, an authority certified by governance"),
            false => who,
        };
        let place = s
            .place
            .as_deref()
            .map(|p| format!(" at {p}"))
            .unwrap_or_default();
        let flag = if s.flagged { "  ⚠" } else { "" };
        let _ = writeln!(
            out,
            "  {:>2}. {}  {:<10} {}{place}{flag}",
            i + 1,
            when(&s.time),
            stage(s.stage),
            who
        );
        let _ = writeln!(
            out,
            "      {}{}",
            s.biz_step.as_deref().unwrap_or(&s.event_type),
            s.disposition
                .as_deref()
                .map(|d| format!(" → {d}"))
                .unwrap_or_default()
        );
        if !s.details.is_empty() {
            let d: Vec<String> = s.details.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = writeln!(out, "      {}", d.join(" · "));
        }
        if s.withheld > 0 {
            // Not how many: decoys hide the number from label holders.
            let _ = writeln!(
                out,
                "      fields kept private by the brand (entitled partners and regulators read them)"
            );
        }
        if !s.temperatures.is_empty() {
            let t: Vec<String> = s
                .temperatures
                .iter()
                .map(|t| {
                    format!(
                        "{:.1} °C{}",
                        t.celsius,
                        if t.excursion { " (excursion)" } else { "" }
                    )
                })
                .collect();
            let _ = writeln!(out, "      temperature {}", t.join(", "));
        }
        if evidence {
            let _ = writeln!(
                out,
                "      signed by {} · in {} · {}",
                s.evidence.signer.as_deref().unwrap_or("?"),
                s.evidence.bookkeepers.join(", "),
                s.evidence.hash_id
            );
        }
    }
    if evidence {
        let _ = writeln!(out, "Bookkeepers");
        for b in &h.bookkeepers {
            let _ = writeln!(
                out,
                "  {} ({}): {}{}{}",
                b.name,
                b.operator,
                if b.used { "used" } else { "not used" },
                b.checkpoint_size
                    .map(|n| format!(
                        ", checkpoint of {n} entries cosigned by {}",
                        b.cosigners.join(", ")
                    ))
                    .unwrap_or_default(),
                b.problem
                    .as_deref()
                    .map(|p| format!(" — {p}"))
                    .unwrap_or_default()
            );
        }
    }
    out
}

/// The outbox, newest first.
pub fn outbox(items: &[OutboxItem]) -> String {
    let mut out = String::new();
    for i in items {
        let done = i.deliveries.iter().filter(|d| d.receipt.is_some()).count();
        let _ = writeln!(
            out,
            "{}/{} receipts  {}  {}",
            done,
            i.deliveries.len(),
            i.summary,
            i.leaf
        );
        for d in i.deliveries.iter().filter(|d| d.receipt.is_none()) {
            let _ = writeln!(
                out,
                "    {}: {} attempt(s){}",
                d.bookkeeper,
                d.attempts,
                d.last_error
                    .as_deref()
                    .map(|e| format!(", last: {e}"))
                    .unwrap_or_default()
            );
        }
    }
    if items.is_empty() {
        out.push_str("the outbox is empty\n");
    }
    out
}

/// What a flush achieved.
pub fn flush(r: &FlushReport) -> String {
    let mut out = String::new();
    for b in &r.bookkeepers {
        let _ = writeln!(
            out,
            "{}: {} sent, {} receipted{}",
            b.bookkeeper,
            b.sent,
            b.receipted,
            b.error
                .as_deref()
                .map(|e| format!(", {} failed: {e}", b.failed))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        out,
        "{} entries still waiting for a receipt ({} deliveries)",
        r.pending_entries, r.pending_deliveries
    );
    out
}

/// Prints `value` as one line of JSON.
pub fn json<T: serde::Serialize>(value: &T) -> CliResult {
    let text = serde_json::to_string(value).map_err(CliError::bad_input)?;
    crate::input::stdout(format!("{text}\n").as_bytes())
}
