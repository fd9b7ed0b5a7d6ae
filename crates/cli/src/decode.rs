//! `tally decode`: read every QR Code in image files with `tally_scan`'s pipeline.

use crate::error::{CliError, CliResult};
use crate::input;
use clap::{Args, ValueEnum};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;
use tally_scan::{Payload, Strategy};

/// Which decoders to run (baselines for benchmarks and audits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Decoder {
    /// The full pipeline (zxing-cpp, then rqrr and the retry passes).
    Pipeline,
    /// zxing-cpp alone, one pass with its defaults.
    Zxing,
    /// rqrr alone, one pass.
    Rqrr,
}

/// Decode QR Codes in PNG, JPEG or GIF images.
///
/// Prints, per image, the codes found with what each payload is (GS1 Digital Link with its
/// canonical URI, GS1 element string, invalid GS1 data with the reason, plain URL, other text).
/// URLs are printed, never opened. With --json, one JSON line per image: {"path", "codes":
/// [{"text", "corners": [[x,y]×4], "symbology", "kind", "canonical"?, "error"?}], "ms", "limit"}
/// — `limit` is null, or what stopped the retry passes early: `time` (the 2 s budget of an image),
/// `hard_symbols` or `crowded` (see `tally_scan::Budget`) — (or
/// {"path", "error"} for a file that cannot be read). Exit 0 if every image had a code, 1 if one
/// had none, 2 if one could not be read.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// Image files.
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<PathBuf>,
    /// One JSON line per image.
    #[arg(long)]
    json: bool,
    /// Decoders to run.
    #[arg(long, value_enum, default_value_t = Decoder::Pipeline)]
    decoder: Decoder,
}

fn code_json(c: &tally_scan::Code) -> serde_json::Value {
    let p = c.payload();
    let mut v = json!({
        "text": c.text,
        "corners": c.corners,
        "symbology": c.symbology,
        "kind": p.kind(),
    });
    if let Some(canonical) = p.canonical() {
        v["canonical"] = json!(canonical);
    }
    if let Some(ids) = p.identifiers() {
        v["gs1"] = json!(ids);
    }
    if let Payload::InvalidGs1 { error, .. } = &p {
        v["error"] = json!(error.to_string());
    }
    v
}

fn describe(c: &tally_scan::Code) -> String {
    match c.payload() {
        Payload::DigitalLink { canonical, .. } => format!("GS1 Digital Link {canonical}"),
        Payload::ElementString {
            canonical: Some(c), ..
        } => format!("GS1 element string → {c}"),
        Payload::ElementString { text, .. } => format!("GS1 element string {text:?}"),
        Payload::InvalidGs1 { text, error } => format!("invalid GS1 data {text:?}: {error}"),
        Payload::PlainUrl(u) => format!("URL (not a GS1 Digital Link; not opened) {u:?}"),
        Payload::Other(t) => format!("text {t:?}"),
    }
}

/// What cut a search short, as `--json` names it.
fn limit_word(l: tally_scan::Limit) -> &'static str {
    match l {
        tally_scan::Limit::Time => "time",
        tally_scan::Limit::HardSymbols => "hard_symbols",
        tally_scan::Limit::Crowded => "crowded",
    }
}

/// Runs `tally decode`.
pub fn run(args: &DecodeArgs) -> CliResult {
    let strategy = match args.decoder {
        Decoder::Pipeline => Strategy::Pipeline,
        Decoder::Zxing => Strategy::ZxingOnly,
        Decoder::Rqrr => Strategy::RqrrOnly,
    };
    let (mut unreadable, mut empty) = (Vec::new(), Vec::new());
    for path in &args.images {
        let shown = path.display().to_string();
        let result = input::file(path).and_then(|bytes| {
            let t = Instant::now();
            let report =
                tally_scan::decode_image_report(&bytes, strategy, tally_scan::Budget::IMAGE)
                    .map_err(|e| CliError::bad_input(format!("{shown}: {e}")))?;
            Ok((report, t.elapsed().as_secs_f64() * 1e3))
        });
        let line = match result {
            Err(e) => {
                let line = if args.json {
                    json!({"path": shown, "error": e.to_string()}).to_string()
                } else {
                    format!("{shown}: error: {e}")
                };
                unreadable.push(e);
                line
            }
            Ok((report, ms)) => {
                let (codes, limit) = (&report.codes, report.limit.map(limit_word));
                if codes.is_empty() {
                    empty.push(shown.clone());
                }
                if args.json {
                    let codes: Vec<_> = codes.iter().map(code_json).collect();
                    json!({"path": shown, "codes": codes, "ms": (ms * 100.0).round() / 100.0,
                           "limit": limit})
                    .to_string()
                } else {
                    let mut lines: Vec<String> = codes
                        .iter()
                        .map(|c| format!("{shown}: {}", describe(c)))
                        .collect();
                    if codes.is_empty() {
                        lines.push(format!("{shown}: no QR Code found"));
                    }
                    if let Some(l) = limit {
                        lines.push(format!("{shown}: the search stopped early ({l})"));
                    }
                    lines.join("\n")
                }
            }
        };
        input::stdout(format!("{line}\n").as_bytes())?;
    }
    if let Some(e) = unreadable.into_iter().next() {
        return Err(e);
    }
    if let Some(first) = empty.first() {
        return Err(CliError::invalid(format!(
            "no QR Code found in {first}{}",
            if empty.len() > 1 {
                format!(" and {} more", empty.len() - 1)
            } else {
                String::new()
            }
        )));
    }
    Ok(())
}
