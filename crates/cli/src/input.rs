//! Reading stdin, files and keys, with size limits.
//!
//! Everything the tool reads may come from an untrusted party (a note from a log, a document from a
//! supplier), so every read is capped: a hostile or mistaken input fails with exit 2 instead of
//! exhausting memory.

use crate::error::{CliError, CliResult};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use tally_tlog::{SignerKey, VerifierKey};

/// Upper bound for any single input (stdin or file): far above any note, checkpoint or EPCIS
/// document a verifier handles, far below what would hurt a phone-sized machine.
pub const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// Reads at most [`MAX_INPUT`] bytes from `r`; more is an error, never a silent truncation.
fn read_limited(r: impl Read, what: &str) -> CliResult<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|e| CliError::bad_input(format!("cannot read {what}: {e}")))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(CliError::bad_input(format!(
            "{what} is larger than {MAX_INPUT} bytes"
        )));
    }
    Ok(buf)
}

/// Reads all of stdin (capped).
pub fn stdin() -> CliResult<Vec<u8>> {
    read_limited(io::stdin().lock(), "stdin")
}

/// Reads a whole file (capped).
pub fn file(path: &Path) -> CliResult<Vec<u8>> {
    let f = File::open(path)
        .map_err(|e| CliError::bad_input(format!("cannot open {}: {e}", path.display())))?;
    read_limited(f, &path.display().to_string())
}

/// Reads a file that must be UTF-8 text (key files).
fn text_file(path: &Path) -> CliResult<String> {
    String::from_utf8(file(path)?)
        .map_err(|_| CliError::bad_input(format!("{} is not UTF-8 text", path.display())))
}

/// A verifier key given either literally or as the path of a file holding one.
///
/// An existing file wins: a path is never mistaken for a key, and a literal key string that is not
/// a file name is parsed as a key. The error names both readings so a typo is easy to spot.
pub fn verifier_key(arg: &str) -> CliResult<VerifierKey> {
    let path = Path::new(arg);
    if path.is_file() {
        let text = text_file(path)?;
        return VerifierKey::parse(&text)
            .map_err(|e| CliError::bad_input(format!("verifier key in {}: {e}", path.display())));
    }
    VerifierKey::parse(arg).map_err(|e| {
        CliError::bad_input(format!(
            "{arg:?} is neither a readable file nor a verifier key: {e}"
        ))
    })
}

/// A signer key from a file (never from the command line, where it would leak into shell history
/// and the process list).
pub fn signer_key(path: &Path) -> CliResult<SignerKey> {
    let text = text_file(path)?;
    SignerKey::parse(&text)
        .map_err(|e| CliError::bad_input(format!("signer key in {}: {e}", path.display())))
}

/// Writes `bytes` to stdout and flushes, so a closed pipe is reported instead of ignored.
pub fn stdout(bytes: &[u8]) -> CliResult {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::bad_input(format!("cannot write to stdout: {e}")))
}

/// Writes `bytes` to `path` whole or not at all: into a temporary file beside it, flushed to
/// disk, then renamed over it, so an interrupted write never leaves half a file under the name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> CliResult {
    use std::io::Write as _;
    let err = |e: std::io::Error| CliError::bad_input(format!("{}: {e}", path.display()));
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    let tmp = path.with_file_name(name);
    let mut f = std::fs::File::create(&tmp).map_err(err)?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// A registry secret file: one secret (22 base64url characters) per line, the newest first.
pub fn registry_secrets(path: &Path) -> CliResult<Vec<tally_confidential::LabelSecret>> {
    let text = String::from_utf8_lossy(&file(path)?).into_owned();
    let bad = |why: String| CliError::bad_input(format!("{}: {why}", path.display()));
    let secrets = tally_confidential::registry_secrets(&text).map_err(|e| bad(e.to_string()))?;
    match secrets.is_empty() {
        true => Err(bad("no registry secret in the file".into())),
        false => Ok(secrets),
    }
}
