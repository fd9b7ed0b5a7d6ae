//! `SHA256SUMS`: the digest of every other file, in the format `sha256sum -c` checks (hex, two
//! spaces, the path), so that a reader without our tools can tell that no file was changed.

use crate::check::PackageError;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The file's name in the package.
pub const NAME: &str = "SHA256SUMS";

/// The sums of `files`, in name order.
pub fn write(files: &BTreeMap<String, Vec<u8>>) -> String {
    files
        .iter()
        .filter(|(p, _)| *p != NAME)
        .map(|(p, b)| format!("{}  {p}\n", hex::encode(Sha256::digest(b))))
        .collect()
}

/// Checks that `files` are exactly what their `SHA256SUMS` lists: every file listed once, every
/// listed file present, every digest equal.
pub fn check(files: &BTreeMap<String, Vec<u8>>) -> Result<(), PackageError> {
    let text = files
        .get(NAME)
        .ok_or_else(|| PackageError::Missing(NAME.into()))?;
    let mut listed = BTreeMap::new();
    for line in String::from_utf8_lossy(text).lines() {
        let (digest, path) = line
            .split_once("  ")
            .ok_or_else(|| PackageError::Sums(format!("malformed line {line:?}")))?;
        if listed.insert(path.to_owned(), digest.to_owned()).is_some() {
            return Err(PackageError::Sums(format!("{path} is listed twice")));
        }
    }
    for (path, bytes) in files.iter().filter(|(p, _)| *p != NAME) {
        let want = listed
            .remove(path)
            .ok_or_else(|| PackageError::Sums(format!("{path} is not listed")))?;
        if want != hex::encode(Sha256::digest(bytes)) {
            return Err(PackageError::Altered(path.clone()));
        }
    }
    match listed.into_keys().next() {
        Some(path) => Err(PackageError::Missing(path)),
        None => Ok(()),
    }
}
