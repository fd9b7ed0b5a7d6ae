//! The one I/O helper here, shared by `tally` and `tally-verify`: a directory of policy links
//! (`<name>.note` beside `<name>.json`, as `tally policy link` writes them) read into memory.

use std::path::Path;
use tally_trust::policy_history::Link;

/// Every link in `dir`, in name order.
pub fn read(dir: &Path) -> std::io::Result<Vec<Link>> {
    let mut notes: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "note"))
        .collect();
    notes.sort();
    notes
        .into_iter()
        .map(|note| {
            Ok(Link {
                json: std::fs::read(note.with_extension("json"))?,
                note: std::fs::read(&note)?,
            })
        })
        .collect()
}
