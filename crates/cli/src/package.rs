//! `tally package`: a product's court-ready evidence package (`tally_evidence`), checked offline
//! by `tally-verify`.

use crate::error::{CliError, CliResult};
use crate::home::{block_on, client_error, now, Home};
use clap::Args;
use std::path::PathBuf;
use tally_evidence::report::Font;

/// Verify a product and write its evidence package: one tar file with the events as signed, a
/// c2sp.org/tlog-proof from every log, the registry records that authorised each signer, the
/// policy (also as c2sp.org/tlog-policy), a PDF report in English and Chinese, and SHA256SUMS.
/// Anyone checks it offline with `tally-verify --policy POLICY FILE`, or with standard tools as
/// its README.txt says.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The product's GS1 Digital Link, as scanned (its label secret opens a sealed history and
    /// goes into the package).
    #[arg(value_name = "CODE")]
    code: String,
    /// The package to write (.tar).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The report's font, a TrueType or OpenType file (or collection) covering Chinese; FILE:N
    /// picks face N of a collection. By default a common system font is used.
    #[arg(long, value_name = "FILE[:N]")]
    font: Option<String>,
    /// The policy's history (`tally policy link` writes it), put in the package so that a reader
    /// who trusts an earlier version of the policy reaches this one.
    #[arg(long, value_name = "DIR")]
    history: Option<PathBuf>,
    #[command(flatten)]
    home: Home,
}

/// Runs `tally package`.
pub fn run(a: &PackageArgs) -> CliResult {
    let font = font(a.font.as_deref())?;
    let history = match &a.history {
        Some(dir) => tally_evidence::files::read_history(dir)
            .map_err(|e| CliError::bad_input(format!("{}: {e}", dir.display())))?,
        None => Vec::new(),
    };
    let client = a.home.client()?;
    let (tar, verdict) =
        block_on(client.package(&a.code, now(), &font, &history))?.map_err(client_error)?;
    crate::input::write_atomically(&a.out, &tar)?;
    outln!(
        "wrote {} ({} bytes): {} steps from {} logs, verdict {:?}; check it with tally-verify --policy POLICY {}",
        a.out.display(),
        tar.len(),
        verdict.timeline.len(),
        verdict.logs.iter().filter(|l| l.used).count(),
        verdict.status,
        a.out.display()
    );
    Ok(())
}

/// The report's font: `--font FILE[:N]`, or a common system font that covers Chinese.
fn font(arg: Option<&str>) -> CliResult<Font> {
    let Some(a) = arg else {
        return tally_evidence::files::system_font().ok_or_else(|| {
            CliError::bad_input(
                "no font covering Chinese found for the report: install fonts-wqy-microhei, or pass --font FILE",
            )
        });
    };
    let (path, index) = match a
        .rsplit_once(':')
        .and_then(|(p, n)| Some((p, n.parse().ok()?)))
    {
        Some((p, n)) => (PathBuf::from(p), n),
        None => (PathBuf::from(a), 0),
    };
    let data = crate::input::file(&path)?;
    Font::new(data, index).map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))
}
