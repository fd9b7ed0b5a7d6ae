//! A tile's bytes (c2sp.org/tlog-tiles) from a store: what a bookkeeper's `GET /tile/…` serves and
//! what its static publisher writes, from one function so the two can never differ.

use crate::{LogStore, StoreError, MAX_ENTRY_BYTES};
use tally_tlog::tiles::{encode_entry_bundle, TileKind, TilePath, TILE_WIDTH};
use tlog_tiles::HashReader;

/// The bytes of `tile` in the tree of `size` leaves; `None` when the tile lies beyond that tree.
pub fn read_tile<S: LogStore + HashReader>(
    s: &S,
    tile: TilePath,
    size: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    let Some((first, end)) = span(tile) else {
        return Ok(None);
    };
    match tile.kind {
        TileKind::Entries => {
            if end > size {
                return Ok(None);
            }
            let entries = s.entries(first..end)?;
            if let Some((position, e)) = entries
                .iter()
                .enumerate()
                .find(|(_, e)| e.len() > MAX_ENTRY_BYTES)
            {
                return Err(StoreError::EntryTooLarge {
                    position,
                    len: e.len(),
                });
            }
            Ok(encode_entry_bundle(entries.iter().map(Vec::as_slice)))
        }
        TileKind::Hashes(level) => {
            // Tile level L holds the hashes at tree level 8·L; hash k there covers 2^(8·L) leaves.
            let tree_level = u32::from(level) * 8;
            let Some(leaves) = 1u64.checked_shl(tree_level) else {
                return Ok(None);
            };
            if end.checked_mul(leaves).is_none_or(|covered| covered > size) {
                return Ok(None);
            }
            let Ok(tree_level) = u8::try_from(tree_level) else {
                return Ok(None);
            };
            let indexes: Vec<u64> = (first..end)
                .map(|k| tlog_tiles::stored_hash_index(tree_level, k))
                .collect();
            let hashes = s.read_hashes(&indexes)?;
            Ok(Some(hashes.iter().flat_map(|h| h.0).collect()))
        }
    }
}

/// The hash tiles and entry bundles of the tree of `to` leaves that the tree of `from` leaves
/// did not have (c2sp.org/tlog-tiles: a tile is named by its level, index and width): what a
/// publisher writes when the tree grows.
pub fn changed_tiles(from: u64, to: u64) -> Vec<TilePath> {
    if to <= from {
        return Vec::new();
    }
    let width = u64::from(TILE_WIDTH);
    let hashes = tlog_tiles::Tile::new_tiles(8, from, to)
        .into_iter()
        .map(|t| TilePath {
            kind: TileKind::Hashes(t.level()),
            index: t.level_index(),
            width: t.width(),
        });
    let bundles = (from / width..to.div_ceil(width)).map(move |n| TilePath::bundle(n, to));
    hashes.chain(bundles).collect()
}

/// The first and one-past-last position a tile covers within its level.
fn span(tile: TilePath) -> Option<(u64, u64)> {
    let first = tile.index.checked_mul(u64::from(TILE_WIDTH))?;
    Some((first, first.checked_add(u64::from(tile.width))?))
}
