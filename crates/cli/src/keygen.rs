//! `tally keygen`: a new Ed25519 key pair in the signed-note text encodings.

use crate::error::{CliError, CliResult};
use clap::Args;
use rand_core::OsRng;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tally_tlog::{KeyType, SignerKey};

/// Generate a signer key (NAME.key, mode 0600) and its verifier key (NAME.pub).
///
/// The key name may contain '/' (e.g. example.com/log, a log's key name is its origin). File names
/// are derived from it by replacing every character other than ASCII letters, digits, '.', '-' and
/// '_' with '_': example.com/log gets example.com_log.key and example.com_log.pub. The name inside
/// the key is never changed. Existing files are never overwritten (exit 2). The verifier key is
/// printed on stdout.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Key name: non-empty, no spaces, no '+'. For a log, its checkpoint origin.
    #[arg(long)]
    name: String,
    /// Existing directory to write NAME.key and NAME.pub into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Make a witness key (type 0x04, cosignature/v1) instead of a note key (type 0x01).
    #[arg(long)]
    cosignature: bool,
    /// Make a recipient key instead (X25519, for HPKE): what an auditor or regulator that
    /// governance entitles (`tally org entitle`) reads sealed events with.
    #[arg(long, conflicts_with = "cosignature")]
    recipient: bool,
}

/// Runs `tally keygen`.
pub fn run(args: &KeygenArgs) -> CliResult {
    if args.recipient {
        return recipient(args);
    }
    let kind = if args.cosignature {
        KeyType::Cosignature
    } else {
        KeyType::Ed25519
    };
    let key = SignerKey::generate(&mut OsRng, &args.name, kind).map_err(CliError::bad_input)?;
    let stem = file_stem(&args.name);
    let key_path = args.out.join(format!("{stem}.key"));
    let pub_path = args.out.join(format!("{stem}.pub"));
    let verifier = key.verifier().to_string();

    // The .pub is written first with create_new, so a clash on either file is found before the
    // secret exists on disk; if the .key then clashes, the .pub we just made is removed again.
    write_new(&pub_path, format!("{verifier}\n").as_bytes(), 0o644)?;
    if let Err(e) = write_new(&key_path, key.to_secret_string().as_bytes(), 0o600) {
        let _ = fs::remove_file(&pub_path);
        return Err(e);
    }
    crate::input::stdout(format!("{verifier}\n").as_bytes())
}

/// `--recipient`: NAME.key holds the recipient secret, NAME.pub (and stdout) its public key.
fn recipient(args: &KeygenArgs) -> CliResult {
    let secret = tally_confidential::RecipientSecret::generate(&mut OsRng);
    let stem = file_stem(&args.name);
    let key_path = args.out.join(format!("{stem}.key"));
    let pub_path = args.out.join(format!("{stem}.pub"));
    let public = secret.public().to_string();
    write_new(&pub_path, format!("{public}\n").as_bytes(), 0o644)?;
    if let Err(e) = write_new(&key_path, secret.to_secret_string().as_bytes(), 0o600) {
        let _ = fs::remove_file(&pub_path);
        return Err(e);
    }
    crate::input::stdout(format!("{public}\n").as_bytes())
}

/// A file-name-safe form of a key name (see the command's help for the rule).
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Creates `path` (which must not exist) with `mode` from the first byte and writes `bytes`.
///
/// The mode is passed to open(2) itself, so a secret key is never readable by others, not even
/// between creation and a later chmod; `create_new` (O_EXCL) refuses to follow or replace anything
/// already there, symlinks included.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> CliResult {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f: File = opts.open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            CliError::bad_input(format!(
                "{} already exists; not overwriting it",
                path.display()
            ))
        } else {
            CliError::bad_input(format!("cannot create {}: {e}", path.display()))
        }
    })?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(|e| {
        // We created the file, so removing a half-written one cannot destroy anything else.
        let _ = fs::remove_file(path);
        CliError::bad_input(format!("cannot write {}: {e}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_stems_keep_safe_characters_only() {
        assert_eq!(file_stem("example.com/log"), "example.com_log");
        assert_eq!(
            file_stem("transparency.dev/DEV:witness-little-garden"),
            "transparency.dev_DEV_witness-little-garden"
        );
        assert_eq!(file_stem("../x"), ".._x");
    }
}
