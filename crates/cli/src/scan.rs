//! `tally scan IMAGE|CODE` and `tally history CODE`: verify a product against the bookkeepers and
//! show its timeline.

use crate::error::{CliError, CliResult};
use crate::home::{block_on, client_error, now, Home};
use crate::{input, show};
use clap::Args;
use std::path::{Path, PathBuf};
use tally_scan::Payload;

/// Scan a product: decode the QR code in IMAGE (or take CODE as scanned text), verify its history
/// against every bookkeeper of the installed policy, and print the verdict and the timeline.
///
/// CODE may be a GS1 Digital Link, a scanner payload (]Q1, ]Q3 …) or a bracketed element string.
/// A web address that is not a GS1 Digital Link is reported and never opened. Exit 0 verified,
/// 3 verified with warnings, 4 unverifiable (too few bookkeepers could be checked), 1 failed, 2
/// no product code / bad input.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// An image file (PNG, JPEG, GIF) with a QR code, or the code's text.
    #[arg(value_name = "IMAGE|CODE")]
    input: String,
    /// Print the history as JSON (one line per product).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    home: Home,
}

/// Show a product's verified history in full, with the evidence behind each step (who signed,
/// which bookkeepers hold it, their checkpoints). With --offline, the history last verified on
/// this device, without contacting any bookkeeper.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The product's GS1 Digital Link (or scanned payload).
    #[arg(value_name = "CODE")]
    code: String,
    /// Do not contact the bookkeepers: show the cached history and its age.
    #[arg(long)]
    offline: bool,
    /// Read as an entitled recipient (an auditor, a regulator), with its recipient key file: the
    /// same verdict, with the fields the brand withheld from label holders where they are
    /// wrapped for it. Not kept as this device's scan.
    #[arg(long = "as", value_name = "FILE", conflicts_with = "offline")]
    as_recipient: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    home: Home,
}

/// The product codes in `input`: the GS1 codes decoded from an image file, or `input` itself.
fn codes(input: &str) -> CliResult<Vec<String>> {
    let path = Path::new(input);
    if !path.is_file() {
        return Ok(vec![input.to_owned()]);
    }
    let bytes = input::file(path)?;
    let found = tally_scan::decode_image_bytes(&bytes)
        .map_err(|e| CliError::bad_input(format!("{input}: {e}")))?;
    let mut gs1 = Vec::new();
    let mut other = Vec::new();
    for c in found {
        match c.payload() {
            // The link as printed, not its canonical form: the verdict checks its host.
            Payload::DigitalLink { uri, .. } => gs1.push(uri.clone()),
            p if p.is_gs1() => gs1.extend(p.canonical().map(str::to_owned)),
            Payload::PlainUrl(u) => other.push(format!(
                "a web address that is not a GS1 Digital Link ({u}); it was not opened"
            )),
            Payload::InvalidGs1 { error, .. } => other.push(format!("invalid GS1 data: {error}")),
            Payload::Other(t) => other.push(format!("text {t:?}")),
            _ => {}
        }
    }
    if gs1.is_empty() {
        return Err(CliError::bad_input(if other.is_empty() {
            format!("{input}: no QR code found")
        } else {
            format!("{input}: no product code, only {}", other.join("; "))
        }));
    }
    Ok(gs1)
}

/// Runs `tally scan`.
pub fn scan(args: &ScanArgs) -> CliResult {
    let client = args.home.client()?;
    let mut worst: CliResult = Ok(());
    for code in codes(&args.input)? {
        let t = now();
        let h = block_on(client.verify(&code, t))?.map_err(client_error)?;
        if args.json {
            show::json(&h)?;
        } else {
            input::stdout(show::history(&h, t.unix_timestamp(), false).as_bytes())?;
        }
        let code = show::verdict_code(&h);
        if worse(&code, &worst) {
            worst = code;
        }
    }
    worst
}

/// Whether `a` is a worse outcome than `b` (failed > unverifiable > warning > verified).
fn worse(a: &CliResult, b: &CliResult) -> bool {
    let rank = |r: &CliResult| match r {
        Ok(()) => 0,
        Err(CliError::Warning(_)) => 1,
        Err(CliError::Unverifiable(_)) => 2,
        Err(_) => 3,
    };
    rank(a) > rank(b)
}

/// Runs `tally history`.
pub fn history(args: &HistoryArgs) -> CliResult {
    let client = args.home.client()?;
    let t = now();
    let h = if args.offline {
        client
            .cached(&args.code)
            .map_err(client_error)?
            .ok_or_else(|| CliError::bad_input("this product was never verified on this device"))?
    } else if let Some(path) = &args.as_recipient {
        let me = crate::audit::recipient_key(path)?;
        block_on(client.verify_as(&args.code, &me, t))?.map_err(client_error)?
    } else {
        block_on(client.verify(&args.code, t))?.map_err(client_error)?
    };
    if args.json {
        show::json(&h)?;
    } else {
        input::stdout(show::history(&h, t.unix_timestamp(), true).as_bytes())?;
    }
    show::verdict_code(&h)
}
