//! `tally-verify`: checks a Tally evidence package offline. It has no network code at all (its
//! only dependencies are the verification core and the package reader), so a court or an auditor
//! can run it on an air-gapped machine and know nothing was fetched.
//!
//! Exit 0 verified, 3 warning, 4 unverifiable, 1 failed or altered, 2 a file that cannot be read.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use tally_evidence::{check, exit_code, Checked};
use tally_trust::Policy;

/// Check a Tally evidence package (from `tally package`) offline: every file against
/// SHA256SUMS, every checkpoint's signatures and cosignatures, every inclusion proof, every
/// signer's authority, and the verdict, recomputed under your network's policy.
#[derive(Debug, Parser)]
#[command(name = "tally-verify", version)]
struct Args {
    /// The package (.tar).
    #[arg(value_name = "PACKAGE")]
    package: PathBuf,
    /// Your network's policy (JSON): the keys you trust. Without it, --embedded-policy.
    #[arg(long, value_name = "FILE", required_unless_present = "embedded_policy")]
    policy: Option<PathBuf>,
    /// Judge under the policy inside the package. Anyone can write a package with a policy of
    /// their own keys: this proves something only if its printed fingerprint is your network's.
    #[arg(long, conflicts_with = "policy")]
    embedded_policy: bool,
    /// The policy's history you hold (`tally policy link` writes it): from your policy forward,
    /// the versions the evidence may have been made under.
    #[arg(long, value_name = "DIR")]
    history: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let run = || -> Result<Result<Checked, String>, String> {
        let tar = read(&args.package)?;
        let policy = match &args.policy {
            Some(p) => Some(Policy::parse(&read(p)?).map_err(|e| format!("{}: {e}", p.display()))?),
            None => None,
        };
        let links = match &args.history {
            Some(dir) => tally_evidence::files::read_history(dir)
                .map_err(|e| format!("{}: {e}", dir.display()))?,
            None => Vec::new(),
        };
        Ok(check(&tar, policy.as_ref(), &links).map_err(|e| e.to_string()))
    };
    match run() {
        Err(e) => {
            eprintln!("tally-verify: {e}");
            ExitCode::from(2)
        }
        Ok(Err(e)) => {
            println!("NOT VERIFIED: {e}");
            eprintln!("tally-verify: the package does not check: {e}");
            ExitCode::from(1)
        }
        Ok(Ok(c)) => {
            print!("{}", summary(&c, args.embedded_policy));
            let code = exit_code(c.verdict.status);
            if code != 0 {
                eprintln!(
                    "tally-verify: the evidence gives {}, not verified",
                    c.manifest.verdict
                );
            }
            ExitCode::from(code)
        }
    }
}

/// What a package that checks shows: the verdict, the timeline, and what it was judged under.
fn summary(c: &Checked, embedded: bool) -> String {
    use std::fmt::Write as _;
    let m = &c.manifest;
    let mut s = format!("{}: {}\n", m.verdict.to_uppercase(), m.product);
    let _ = writeln!(
        s,
        "  {} files intact, {} inclusion proofs, judged as of {} under policy {}{}",
        c.files,
        c.proofs,
        m.exported_at,
        c.policy_fingerprint,
        if embedded { " (the package's own)" } else { "" }
    );
    for (n, step) in c.verdict.timeline.iter().enumerate() {
        let who = step
            .org
            .as_ref()
            .map_or("(not authorised)", |o| o.name.as_str());
        let what = step.biz_step.as_deref().unwrap_or(step.event_type);
        let _ = writeln!(
            s,
            "  {}. {} {what} by {who}, in {}",
            n + 1,
            step.time,
            step.logs.join(", ")
        );
    }
    for r in &c.verdict.reasons {
        let _ = writeln!(
            s,
            "  note: {}",
            serde_json::to_string(r).unwrap_or_default()
        );
    }
    s
}
