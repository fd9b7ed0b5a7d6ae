//! `tally label`: print-ready GS1 Digital Link QR labels with `tally_label`.

use crate::error::{CliError, CliResult};
use crate::input;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use tally_label::{Ec, Label, LabelOptions, SheetOptions};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One label (symbol and human-readable text) as SVG.
    Svg,
    /// The symbol alone as PNG (with its quiet zone).
    Png,
    /// A sheet of labels as SVG (A4 pages stacked).
    SheetSvg,
    /// A sheet of labels as PDF (A4 pages).
    SheetPdf,
}

/// Error correction level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EcArg {
    L,
    M,
    Q,
    H,
}

/// Make print-ready labels for GS1 Digital Link URIs.
///
/// Each URI is validated (check digits, AI rules) before anything is drawn. The QR Code uses
/// error correction Q by default and a 4-module quiet zone; labels carry the GTIN, lot, serial
/// and expiry in human-readable text. svg and png take one URI; sheet-svg and sheet-pdf take
/// many (arguments and/or --from FILE, one URI per line). Output goes to --out or stdout.
#[derive(Debug, Args)]
pub struct LabelArgs {
    /// GS1 Digital Link URIs.
    #[arg(value_name = "URI")]
    uris: Vec<String>,
    /// Also read URIs from this file, one per line (blank lines and # comments skipped).
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Svg)]
    format: Format,
    /// Error correction level.
    #[arg(long, value_enum, default_value_t = EcArg::Q)]
    ec: EcArg,
    /// Module size in millimetres (SVG, PDF).
    #[arg(long, default_value_t = 0.5)]
    module_mm: f32,
    /// Pixels per module (PNG).
    #[arg(long, default_value_t = 8)]
    module_px: u32,
    /// Sign each label's data with this device key (GS1 AI 8030, `8030=…` added to the link):
    /// a key its organisation certified for the `labelling` role, of an organisation whose
    /// registration lists the GTIN's company prefix. Scanners then tell a forged label offline.
    /// A unit label needs its serial (21).
    #[arg(long, value_name = "KEYFILE")]
    sign: Option<PathBuf>,
    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `tally label`.
pub fn run(args: &LabelArgs) -> CliResult {
    let mut uris = args.uris.clone();
    if let Some(path) = &args.from {
        let text = String::from_utf8(input::file(path)?)
            .map_err(|_| CliError::bad_input(format!("{} is not UTF-8 text", path.display())))?;
        uris.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    if uris.is_empty() {
        return Err(CliError::bad_input(
            "no URI given (arguments or --from FILE)",
        ));
    }
    if matches!(args.format, Format::Svg | Format::Png) && uris.len() != 1 {
        return Err(CliError::bad_input(format!(
            "--format {:?} makes one label; got {} URIs (use sheet-svg or sheet-pdf)",
            args.format,
            uris.len()
        )));
    }
    if !(0.1..=5.0).contains(&args.module_mm) || !(1..=64).contains(&args.module_px) {
        return Err(CliError::bad_input(
            "--module-mm must be 0.1-5 and --module-px 1-64",
        ));
    }
    let ec = match args.ec {
        EcArg::L => Ec::L,
        EcArg::M => Ec::M,
        EcArg::Q => Ec::Q,
        EcArg::H => Ec::H,
    };
    let opts = LabelOptions {
        ec,
        module_mm: args.module_mm,
        module_px: args.module_px,
        ..LabelOptions::default()
    };
    if let Some(path) = &args.sign {
        let key = input::signer_key(path)?;
        uris = uris
            .iter()
            .map(|u| {
                tally_digsig::sign(u, &key).map_err(|e| CliError::bad_input(format!("{u:?}: {e}")))
            })
            .collect::<CliResult<_>>()?;
    }
    let labels: Vec<Label> = uris
        .iter()
        .map(|u| Label::new(u).map_err(|e| CliError::bad_input(format!("{u:?}: {e}"))))
        .collect::<CliResult<_>>()?;
    let sheet = SheetOptions {
        label: opts,
        ..SheetOptions::default()
    };
    let bad = |e: tally_label::LabelError| CliError::bad_input(e);
    let bytes = match args.format {
        Format::Svg => tally_label::label_svg(&labels[0], &opts)
            .map_err(bad)?
            .into_bytes(),
        Format::Png => tally_label::qr_png(&labels[0].uri, &opts).map_err(bad)?,
        Format::SheetSvg => tally_label::sheet_svg(&labels, &sheet)
            .map_err(bad)?
            .into_bytes(),
        Format::SheetPdf => tally_label::sheet_pdf(&labels, &sheet).map_err(bad)?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", path.display()))),
        None => input::stdout(&bytes),
    }
}
