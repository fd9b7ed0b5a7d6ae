//! The demo's dishonest operator, when its bookkeeper publishes its reads as files (`--publish`):
//! clients read entries from the published entry bundles, so that is where it rewrites one.

use super::io;
use crate::error::{CliError, CliResult};
use std::path::{Path, PathBuf};
use tally_bookkeeper::local;
use tally_tlog::tiles::{decode_entry_bundle, encode_entry_bundle, TileKind, TilePath, TILE_WIDTH};

/// A published file as it was before the operator rewrote it.
pub(super) type Original = (PathBuf, Vec<u8>);

/// Replaces entry `index` with `forged` in every bundle file of `node` that holds it (the full
/// bundle and each partial one), if `node` publishes; returns the files as they were.
pub(super) fn rewrite(
    net: &Path,
    node: &str,
    index: u64,
    forged: &[u8],
) -> CliResult<Vec<Original>> {
    let config = tally_bookkeeper::Config::load(&local::config_path(net, node))
        .map_err(CliError::bad_input)?;
    let Some(root) = config.publish else {
        return Ok(Vec::new());
    };
    let width = u64::from(TILE_WIDTH);
    let at = (index % width) as usize;
    let mut originals = Vec::new();
    for w in (at as u32 + 1)..=TILE_WIDTH {
        let tile = TilePath {
            kind: TileKind::Entries,
            index: index / width,
            width: w,
        };
        let path = root.join(tile.path());
        let Ok(original) = std::fs::read(&path) else {
            continue;
        };
        let mut entries: Vec<&[u8]> =
            decode_entry_bundle(&original).ok_or_else(|| io(&path, "not an entry bundle"))?;
        entries[at] = forged;
        let bundle = encode_entry_bundle(entries).ok_or_else(|| io(&path, "entry too long"))?;
        std::fs::write(&path, bundle).map_err(|e| io(&path, e))?;
        originals.push((path, original));
    }
    Ok(originals)
}

/// Puts the files back.
pub(super) fn restore(originals: Vec<Original>) -> CliResult {
    for (path, bytes) in originals {
        std::fs::write(&path, bytes).map_err(|e| io(&path, e))?;
    }
    Ok(())
}
