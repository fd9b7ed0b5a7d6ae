//! The I/O helpers here, shared by `tally`, `tally-verify` and the app: a directory of policy
//! links read into memory, and a system font for the report. Everything else in this crate
//! works on bytes.

use crate::report::Font;
use std::path::Path;
use tally_trust::policy_history::Link;

/// Every link in `dir` (`<name>.note` beside `<name>.json`, as `tally policy link` writes
/// them), in name order.
pub fn read_history(dir: &Path) -> std::io::Result<Vec<Link>> {
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

/// Common fonts that cover Chinese, with the face of a collection to use: Debian's
/// fonts-wqy-microhei, fonts-noto-cjk and fonts-droid-fallback, then macOS's and Windows'.
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

/// The first of the common fonts that is installed and covers the report.
pub fn system_font() -> Option<Font> {
    FONTS
        .iter()
        .find_map(|&(path, index)| Font::new(std::fs::read(path).ok()?, index).ok())
}
