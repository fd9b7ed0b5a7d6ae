//! The package's container: a deterministic POSIX tar of one directory ([`crate::ROOT`]), and a
//! strict reader of it.
//!
//! The reader accepts only what the writer makes (regular files and directories under the root,
//! plain relative names, each name once, bounded sizes), so a crafted archive cannot name a path
//! outside the package, hide a second copy of a file behind the first, or exhaust memory.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use thiserror::Error;

/// Largest file a package may hold.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest sum of a package's files.
pub const MAX_TOTAL_BYTES: u64 = 512 << 20;

/// A package's files, by path under the root (`entries/….entry`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Why bytes are not a package archive.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArchiveError {
    #[error("not a readable tar archive: {0}")]
    Tar(String),
    #[error("{0:?}: only regular files and directories belong in a package")]
    NotAFile(String),
    #[error("{0:?} is not under {root}/ or is not a plain relative path", root = crate::ROOT)]
    BadPath(String),
    #[error("{0:?} appears twice")]
    Duplicate(String),
    #[error("{0:?} is larger than {MAX_FILE_BYTES} bytes")]
    FileTooLarge(String),
    #[error("the files add up to more than {MAX_TOTAL_BYTES} bytes")]
    TooLarge,
}

impl Archive {
    /// The tar bytes: files in name order, mode 0644, owner 0, every time `mtime` (Unix seconds).
    pub fn to_tar(&self, mtime: u64) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        for (path, bytes) in &self.files {
            let mut h = tar::Header::new_ustar();
            h.set_path(format!("{}/{path}", crate::ROOT))
                .expect("package paths fit ustar's name and prefix fields");
            h.set_size(bytes.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(mtime);
            h.set_uid(0);
            h.set_gid(0);
            h.set_entry_type(tar::EntryType::Regular);
            h.set_cksum();
            tar.append(&h, bytes.as_slice())
                .expect("writing to memory does not fail");
        }
        tar.into_inner().expect("writing to memory does not fail")
    }

    /// Reads a package archive, refusing anything [`Archive::to_tar`] would not write.
    pub fn from_tar(bytes: &[u8]) -> Result<Archive, ArchiveError> {
        let mut tar = tar::Archive::new(Cursor::new(bytes));
        let (mut files, mut total) = (BTreeMap::new(), 0u64);
        let tar_err = |e: std::io::Error| ArchiveError::Tar(e.to_string());
        for entry in tar.entries().map_err(tar_err)? {
            let mut entry = entry.map_err(tar_err)?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            if kind.is_dir() {
                relative(&raw, true)?;
                continue;
            }
            if !kind.is_file() {
                return Err(ArchiveError::NotAFile(raw));
            }
            let path = relative(&raw, false)?;
            let size = entry.header().size().map_err(tar_err)?;
            if size > MAX_FILE_BYTES {
                return Err(ArchiveError::FileTooLarge(path));
            }
            total += size;
            if total > MAX_TOTAL_BYTES {
                return Err(ArchiveError::TooLarge);
            }
            let mut data = Vec::with_capacity(size as usize);
            entry.read_to_end(&mut data).map_err(tar_err)?;
            if files.insert(path.clone(), data).is_some() {
                return Err(ArchiveError::Duplicate(path));
            }
        }
        Ok(Archive { files })
    }
}

/// `raw` without the root directory, if it is a plain relative path under it (the root itself
/// only as a directory).
fn relative(raw: &str, dir: bool) -> Result<String, ArchiveError> {
    let bad = || ArchiveError::BadPath(raw.to_owned());
    let trimmed = raw.trim_end_matches('/');
    let plain = |seg: &str| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains('\\');
    if !trimmed.split('/').all(plain) {
        return Err(bad());
    }
    match trimmed.split_once('/') {
        Some((crate::ROOT, rest)) if !rest.is_empty() => Ok(rest.to_owned()),
        None if dir && trimmed == crate::ROOT => Ok(String::new()),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Archive {
        let mut a = Archive::default();
        a.files.insert("manifest.json".into(), b"{}".to_vec());
        let long = format!("proofs/{}.bk1.tlog-proof", "ab".repeat(32));
        a.files.insert(long, b"proof".to_vec());
        a
    }

    #[test]
    fn what_is_written_reads_back_and_the_same_input_gives_the_same_bytes() {
        let a = sample();
        let tar = a.to_tar(1_700_000_000);
        assert_eq!(Archive::from_tar(&tar).unwrap(), a);
        assert_eq!(tar, a.to_tar(1_700_000_000));
    }

    /// A tar with one member of the given name and type, written without the builder's checks.
    fn raw_tar(name: &str, kind: tar::EntryType, data: &[u8]) -> Vec<u8> {
        let mut h = tar::Header::new_gnu();
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_entry_type(kind);
        h.set_cksum();
        let mut b = tar::Builder::new(Vec::new());
        b.append(&h, data).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn paths_outside_the_package_links_and_duplicates_are_refused() {
        let file = tar::EntryType::Regular;
        for name in [
            "tally-evidence/../etc/passwd",
            "/tally-evidence/x",
            "other/x",
            "x",
            "tally-evidence/a//b",
            "tally-evidence/./x",
        ] {
            let err = Archive::from_tar(&raw_tar(name, file, b"x")).unwrap_err();
            assert_eq!(err, ArchiveError::BadPath(name.into()), "{name}");
        }
        let link = raw_tar("tally-evidence/x", tar::EntryType::Symlink, b"");
        assert!(matches!(
            Archive::from_tar(&link),
            Err(ArchiveError::NotAFile(_))
        ));
        let mut twice = raw_tar("tally-evidence/x", file, b"1");
        twice.truncate(twice.len() - 1024);
        twice.extend(raw_tar("tally-evidence/x", file, b"2"));
        assert_eq!(
            Archive::from_tar(&twice),
            Err(ArchiveError::Duplicate("x".into()))
        );
    }
}
