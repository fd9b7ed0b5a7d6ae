//! An in-memory copy of the upper levels of the tree, shared by a log's read connections.
//!
//! Every inclusion or consistency proof reads about log2(n) stored hashes, one per tree level, and
//! from SQLite each costs a B-tree descent (three pages at 10 million entries, half of a proof's
//! time). The levels at and above [`CACHED_LEVEL`] hold n/8 hashes in all (4 bytes of memory per
//! entry, 41 MB for 10 million entries, against 400 bytes per entry on disk) and answer all but
//! four of a proof's reads. A stored hash never changes once written (the log is append-only), so a
//! hash read once can be served from memory for ever: no invalidation, ever. The cache fills as
//! proofs read it, and [`crate::SqliteStore::warm_cache`] fills it in one pass at start-up.
//!
//! The hashes are kept densely, one vector per level indexed by the node's position in its level,
//! so a lookup is two array indexings under one shared lock per proof (a hash map keyed by
//! stored-hash index cost a SipHash and a lock per hash, a tenth of a proof's time).

use std::sync::RwLock;
use tlog_tiles::tlog::Error as TreeError;
use tlog_tiles::Hash;

/// The lowest tree level cached: each level below it doubles the memory.
pub const CACHED_LEVEL: u8 = 4;

/// Most hashes kept per level: level 4 of a 2²⁸ entry log. Nodes further right are read from the
/// database each time; the bound only keeps a corrupt or hostile index from allocating unbounded memory.
const MAX_PER_LEVEL: u64 = 1 << 24;

/// Stored hashes of the upper tree levels, by level and position.
#[derive(Debug, Default)]
pub struct HashCache {
    /// `levels[l][n]`: the hash of node `n` at tree level `CACHED_LEVEL + l`, once read.
    levels: RwLock<Vec<Vec<Option<Hash>>>>,
}

/// Where a stored hash lives in the cache: (level above `CACHED_LEVEL`, position), if cacheable.
pub(crate) fn slot(index: u64) -> Option<(usize, usize)> {
    let (level, n) = split(index);
    let above = level.checked_sub(CACHED_LEVEL)?;
    (n < MAX_PER_LEVEL).then(|| (usize::from(above), n as usize))
}

/// The (level, position) of the node at stored-hash index `index`: the inverse of
/// `tlog_tiles::stored_hash_index`, as `tlog_tiles::split_stored_hash_index` computes it, in constant
/// time (a proof maps two dozen indexes, and the library's loop over the index's bits was a fifth of
/// a cached proof's time).
///
/// Record `n` is stored at `2n - popcount(n)` (its leaf hash), followed by the `trailing_zeros(n + 1)`
/// interior nodes it completes; `n` is within `log2(index)` of `index / 2`.
fn split(index: u64) -> (u8, u64) {
    let leaf_at = |n: u64| 2 * n - u64::from(n.count_ones());
    let mut n = index / 2;
    let mut at = leaf_at(n);
    loop {
        let next = at + 1 + u64::from((n + 1).trailing_zeros());
        if next > index {
            break;
        }
        n += 1;
        at = next;
    }
    // At most 63 levels above a leaf (`index - at` ≤ trailing_zeros(n + 1) < 64).
    let level = (index - at) as u8;
    (level, n >> level)
}

impl HashCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached hash for each stored index, `None` where it is not cached (yet).
    pub(crate) fn get_many(&self, indexes: &[u64]) -> Vec<Option<Hash>> {
        let Ok(levels) = self.levels.read() else {
            return vec![None; indexes.len()];
        };
        indexes
            .iter()
            .map(|&index| {
                let (l, n) = slot(index)?;
                levels.get(l)?.get(n).copied().flatten()
            })
            .collect()
    }

    /// Remembers hashes read from the database (the cacheable ones).
    /// The hashes at `indexes`, from the cache where it has them and from `read` (one call, for
    /// the rest, which are then cached): how every backend's read connection reads hashes.
    pub(crate) fn read_through(
        &self,
        indexes: &[u64],
        read: impl FnOnce(&[u64]) -> Result<Vec<Hash>, TreeError>,
    ) -> Result<Vec<Hash>, TreeError> {
        let cached = self.get_many(indexes);
        let missing: Vec<u64> = indexes
            .iter()
            .zip(&cached)
            .filter(|(_, c)| c.is_none())
            .map(|(&i, _)| i)
            .collect();
        if missing.is_empty() {
            return Ok(cached.into_iter().flatten().collect());
        }
        let read = read(&missing)?;
        self.put(missing.iter().copied().zip(read.iter().copied()));
        let mut read = read.into_iter();
        cached
            .into_iter()
            .map(|c| c.or_else(|| read.next()).ok_or(TreeError::IndexesNotInTree))
            .collect()
    }

    /// Caches those of `stored` (every stored hash, in any order) that belong to the cached
    /// levels; returns how many. A start-up's one pass over a backend's table.
    pub(crate) fn fill<E>(
        &self,
        stored: impl Iterator<Item = Result<(u64, Hash), E>>,
    ) -> Result<usize, E> {
        const CHUNK: usize = 4096;
        let (mut found, mut cached) = (Vec::with_capacity(CHUNK), 0);
        for row in stored {
            let (index, hash) = row?;
            if slot(index).is_some() {
                found.push((index, hash));
            }
            if found.len() == CHUNK {
                cached += found.len();
                self.put(found.drain(..));
            }
        }
        cached += found.len();
        self.put(found.into_iter());
        Ok(cached)
    }

    pub(crate) fn put(&self, found: impl Iterator<Item = (u64, Hash)>) {
        let found: Vec<((usize, usize), Hash)> =
            found.filter_map(|(i, h)| Some((slot(i)?, h))).collect();
        if found.is_empty() {
            return;
        }
        let Ok(mut levels) = self.levels.write() else {
            return;
        };
        for ((l, n), hash) in found {
            if levels.len() <= l {
                levels.resize_with(l + 1, Vec::new);
            }
            let level = &mut levels[l];
            if level.len() <= n {
                level.resize(n + 1, None);
            }
            level[n] = Some(hash);
        }
    }

    /// How many hashes are cached.
    pub fn len(&self) -> usize {
        self.levels.read().map_or(0, |levels| {
            levels
                .iter()
                .map(|l| l.iter().filter(|h| h.is_some()).count())
                .sum()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_inverts_the_stored_hash_index_as_the_library_does() {
        let mut indexes: Vec<u64> = (0..100_000).collect();
        indexes.extend(
            (0..63u8).map(|k| tlog_tiles::stored_hash_index(k % 40, (1 << 20) + u64::from(k))),
        );
        indexes.extend([u32::MAX as u64, (1 << 40) + 12_345, (1 << 62) - 1]);
        for index in indexes {
            assert_eq!(
                split(index),
                tlog_tiles::split_stored_hash_index(index),
                "index {index}"
            );
        }
    }

    #[test]
    fn keeps_only_upper_levels_and_finds_them_by_stored_index() {
        let cache = HashCache::new();
        let low = tlog_tiles::stored_hash_index(CACHED_LEVEL - 1, 3);
        let high = tlog_tiles::stored_hash_index(CACHED_LEVEL, 5);
        let top = tlog_tiles::stored_hash_index(20, 0);
        cache.put(
            [
                (low, Hash([1; 32])),
                (high, Hash([2; 32])),
                (top, Hash([3; 32])),
            ]
            .into_iter(),
        );
        let got = cache.get_many(&[
            low,
            high,
            top,
            tlog_tiles::stored_hash_index(CACHED_LEVEL, 4),
        ]);
        assert!(got[0].is_none(), "lower levels are read from the database");
        assert_eq!(got[1].map(|h| h.0), Some([2; 32]));
        assert_eq!(got[2].map(|h| h.0), Some([3; 32]));
        assert!(got[3].is_none(), "a neighbour never put is not invented");
        assert_eq!(cache.len(), 2);
    }
}
