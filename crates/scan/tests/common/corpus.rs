//! The labelled image sets of `../shared/qr-bench` as the tests and the benches read them (the
//! benches include this file with `#[path]`).
// Not every includer uses every helper.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// One image with the exact text its `.txt` holds.
pub struct Labelled {
    /// The folder it is in (`qrcode-2`, `jsqr-e2e`).
    pub group: String,
    /// Its file name.
    pub file: String,
    pub path: PathBuf,
    pub want: String,
}

impl Labelled {
    /// `group/file`, as the tables and the known exceptions name an image.
    pub fn name(&self) -> String {
        format!("{}/{}", self.group, self.file)
    }
}

/// The sub-folders of `root`, sorted (none if it cannot be read).
pub fn subdirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|r| {
            r.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Every image of `dir` (PNG, JPEG, GIF), sorted by name, with the text of the `.txt` beside it.
pub fn labelled(dir: &Path) -> Vec<Labelled> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (../shared must sit beside the repository)",
                dir.display()
            )
        })
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("png" | "jpg" | "gif")
            )
        })
        .collect();
    files.sort();
    let group = dir.file_name().unwrap().to_string_lossy().into_owned();
    files
        .into_iter()
        .map(|path| Labelled {
            group: group.clone(),
            file: path.file_name().unwrap().to_string_lossy().into_owned(),
            want: std::fs::read_to_string(path.with_extension("txt"))
                .expect("the expected text beside the image"),
            path,
        })
        .collect()
}
