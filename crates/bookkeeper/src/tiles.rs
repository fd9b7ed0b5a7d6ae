//! A tile's bytes (c2sp.org/tlog-tiles) from the store: what `GET /tile/…` serves and what the
//! static publisher writes, from one function so the two can never differ.

use crate::error::ApiError;
use tally_logstore::{LogStore as _, Store};
use tally_tlog::tiles::{encode_entry_bundle, TileKind, TilePath, TILE_WIDTH};
use tlog_tiles::HashReader as _;

/// The bytes of `tile` in the tree of `size` leaves; `None` when the tile lies beyond that tree.
pub(crate) fn read(s: &Store, tile: TilePath, size: u64) -> Result<Option<Vec<u8>>, ApiError> {
    let Some((first, end)) = span(tile) else {
        return Ok(None);
    };
    match tile.kind {
        TileKind::Entries => {
            if end > size {
                return Ok(None);
            }
            let entries = s.entries(first..end)?;
            encode_entry_bundle(entries.iter().map(Vec::as_slice))
                .map(Some)
                .ok_or_else(|| ApiError::internal("stored entry too long for a bundle"))
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
            let hashes = s.read_hashes(&indexes).map_err(ApiError::internal)?;
            Ok(Some(hashes.iter().flat_map(|h| h.0).collect()))
        }
    }
}

/// The first and one-past-last position a tile covers within its level.
fn span(tile: TilePath) -> Option<(u64, u64)> {
    let first = tile.index.checked_mul(u64::from(TILE_WIDTH))?;
    Some((first, first.checked_add(u64::from(tile.width))?))
}
