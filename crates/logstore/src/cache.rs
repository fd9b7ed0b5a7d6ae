//! An in-memory cache of the upper levels of the tree, shared by a log's read connections.
//!
//! Every inclusion or consistency proof reads about log2(n) stored hashes, one per tree level; the
//! levels at and above [`CACHED_LEVEL`] are few (about n/128 hashes in all, 2.5 MB for 10 million
//! entries) but each proof needs sixteen of them, and from SQLite each costs a B-tree descent.
//! A stored hash never changes once written (the log is append-only), so a hash read once can be
//! served from memory for ever: no invalidation, ever.

use std::collections::HashMap;
use std::sync::RwLock;
use tlog_tiles::Hash;

/// The lowest tree level cached (level 8 is the first level of C2SP tile level 1).
pub const CACHED_LEVEL: u8 = 8;

/// Most hashes kept: far above what 100M entries need at level 8 and up (~800k).
const MAX_ENTRIES: usize = 4_000_000;

/// Stored hashes of the upper tree levels, by stored-hash index.
#[derive(Debug, Default)]
pub struct HashCache {
    hashes: RwLock<HashMap<u64, [u8; 32]>>,
}

impl HashCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether hashes at this stored index are worth caching.
    pub(crate) fn cacheable(index: u64) -> bool {
        tlog_tiles::split_stored_hash_index(index).0 >= CACHED_LEVEL
    }

    /// The cached hash at `index`, if any.
    pub(crate) fn get(&self, index: u64) -> Option<Hash> {
        self.hashes
            .read()
            .ok()
            .and_then(|h| h.get(&index).copied().map(Hash))
    }

    /// Remembers hashes read from the database (only cacheable ones, while there is room).
    pub(crate) fn put(&self, found: impl Iterator<Item = (u64, Hash)>) {
        let Ok(mut h) = self.hashes.write() else {
            return;
        };
        for (index, hash) in found {
            if h.len() >= MAX_ENTRIES {
                return;
            }
            if Self::cacheable(index) {
                h.insert(index, hash.0);
            }
        }
    }

    /// How many hashes are cached.
    pub fn len(&self) -> usize {
        self.hashes.read().map_or(0, |h| h.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
