//! `tally package`: a product's court-ready evidence package (`tally_evidence`), checked offline
//! by `tally-verify`.

use crate::error::{CliError, CliResult};
use crate::home::{block_on, client_error, now, Home};
use clap::Args;
use std::path::{Path, PathBuf};
use tally_confidential::LabelSecret;
use tally_evidence::report::Font;

/// Where the report's font is looked for when --font is not given: common fonts that cover
/// Chinese on Debian (fonts-wqy-microhei, fonts-noto-cjk, fonts-droid-fallback), macOS and
/// Windows, with the face of a collection to use.
const FONTS: &[(&str, u32)] = &[
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        0,
    ),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("C:\\Windows\\Fonts\\msyh.ttc", 0),
];

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
        Some(dir) => tally_evidence::history_dir::read(dir)
            .map_err(|e| CliError::bad_input(format!("{}: {e}", dir.display())))?,
        None => Vec::new(),
    };
    let client = a.home.client()?;
    let file = block_on(client.export(&a.code, now()))?.map_err(client_error)?;
    let logs = client
        .policy()
        .bookkeepers
        .iter()
        .filter_map(|bk| file.answer(&bk.name)?.ok())
        .collect::<Vec<_>>();
    let secrets = file
        .label_secrets
        .iter()
        .map(|s| LabelSecret::parse(s).map_err(CliError::bad_input))
        .collect::<Result<Vec<_>, _>>()?;
    let exported_at =
        time::OffsetDateTime::from_unix_timestamp(file.exported_at).map_err(CliError::bad_input)?;
    let (tar, verdict) = tally_evidence::build(&tally_evidence::Export {
        product: &file.product,
        exported_at,
        policy: client.policy(),
        logs: &logs,
        secrets: &secrets,
        font: &font,
        history: &history,
    });
    crate::input::write_atomically(&a.out, &tar)?;
    outln!(
        "wrote {} ({} bytes): {} steps from {} logs, verdict {:?}; check it with tally-verify --policy POLICY {}",
        a.out.display(),
        tar.len(),
        verdict.timeline.len(),
        logs.len(),
        verdict.status,
        a.out.display()
    );
    Ok(())
}

/// The report's font: `--font FILE[:N]`, or the first of [`FONTS`] that exists.
fn font(arg: Option<&str>) -> CliResult<Font> {
    let (path, index) = match arg {
        Some(a) => match a.rsplit_once(':').and_then(|(p, n)| Some((p, n.parse().ok()?))) {
            Some((p, n)) => (PathBuf::from(p), n),
            None => (PathBuf::from(a), 0),
        },
        None => FONTS
            .iter()
            .map(|&(p, n)| (PathBuf::from(p), n))
            .find(|(p, _)| p.exists())
            .ok_or_else(|| {
                CliError::bad_input(
                    "no font covering Chinese found for the report: install fonts-wqy-microhei, or pass --font FILE",
                )
            })?,
    };
    load(&path, index)
}

fn load(path: &Path, index: u32) -> CliResult<Font> {
    let data = crate::input::file(path)?;
    Font::new(data, index).map_err(|e| CliError::bad_input(format!("{}: {e}", path.display())))
}
