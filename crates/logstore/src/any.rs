//! The store a bookkeeper's config names: SQLite by default, PostgreSQL for a `postgres://` URL.
//!
//! An enum rather than a `dyn LogStore`: the bookkeeper also needs each backend's snapshot,
//! read-only connections and shared hash cache, whose generic signatures a trait object cannot
//! carry, and there are exactly two backends.

use crate::cache::HashCache;
use crate::store::{Evidence, LogStore, WitnessState};
use crate::{PgStore, SqliteStore, StoreError};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use tlog_tiles::tlog::Error as TreeError;
use tlog_tiles::{Hash, HashReader};

/// Where a log is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL database URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl Location {
    /// A `postgres://` or `postgresql://` URL, else a SQLite file path.
    pub fn parse(s: &str) -> Self {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_owned())
        } else {
            Location::Sqlite(PathBuf::from(s))
        }
    }
}

/// A log in either backend.
#[derive(Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    /// Boxed: a PostgreSQL client is three times a SQLite connection's size.
    Postgres(Box<PgStore>),
}

/// Runs `$body` with `$s` bound to the backend store.
macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            Store::Sqlite($s) => $body,
            Store::Postgres($s) => $body,
        }
    };
}

impl Store {
    /// Opens (creating and migrating if needed) the log at `at`.
    pub fn open(at: &Location) -> Result<Self, StoreError> {
        Ok(match at {
            Location::Sqlite(path) => Store::Sqlite(SqliteStore::open(path)?),
            Location::Postgres(url) => Store::Postgres(Box::new(PgStore::open(url)?)),
        })
    }

    /// A read-only connection to the log at `at`, which a writer has opened before.
    pub fn open_reader(at: &Location) -> Result<Self, StoreError> {
        Ok(match at {
            Location::Sqlite(path) => Store::Sqlite(SqliteStore::open_reader(path)?),
            Location::Postgres(url) => Store::Postgres(Box::new(PgStore::open_reader(url)?)),
        })
    }

    /// Shares `cache` of the tree's upper levels with this connection's hash reads.
    pub fn with_cache(self, cache: Arc<HashCache>) -> Self {
        match self {
            Store::Sqlite(s) => Store::Sqlite(s.with_cache(cache)),
            Store::Postgres(s) => Store::Postgres(Box::new(s.with_cache(cache))),
        }
    }

    /// Fences a PostgreSQL store's writes with the sequencer lease `epoch` ([`PgStore::fenced`]).
    /// A SQLite file has one writing process by construction and is returned as it is.
    pub fn fenced(self, epoch: i64) -> Self {
        match self {
            Store::Postgres(s) => Store::Postgres(Box::new(s.fenced(epoch))),
            sqlite => sqlite,
        }
    }

    /// The bytes of `tile` in the tree of `size` leaves ([`crate::read_tile`]).
    pub fn tile(
        &self,
        tile: tally_tlog::tiles::TilePath,
        size: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        crate::read_tile(self, tile, size)
    }

    /// Fills the shared cache in one pass (see [`SqliteStore::warm_cache`]).
    pub fn warm_cache(&self) -> Result<usize, StoreError> {
        each!(self, s => s.warm_cache())
    }

    /// Runs the read-only `f` on one snapshot of the log (see [`SqliteStore::snapshot`]).
    pub fn snapshot<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, E>,
    ) -> Result<T, E> {
        each!(self, s => s.snapshot(|_| f(self)))
    }
}

impl HashReader for Store {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        each!(self, s => s.read_hashes(indexes))
    }
}

impl LogStore for Store {
    fn append_unique(
        &mut self,
        entries: &[Vec<u8>],
        keys: &[Vec<String>],
        identities: &[Option<String>],
        peers: &[String],
    ) -> Result<Vec<u64>, StoreError> {
        each!(self, s => s.append_unique(entries, keys, identities, peers))
    }
    fn lookup_by_leaf(&self, key: &str, limit: usize) -> Result<Vec<u64>, StoreError> {
        each!(self, s => s.lookup_by_leaf(key, limit))
    }
    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        each!(self, s => s.checkpoint_at(size))
    }
    fn size(&self) -> Result<u64, StoreError> {
        each!(self, s => s.size())
    }
    fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        each!(self, s => s.entry(index))
    }
    fn entries(&self, range: Range<u64>) -> Result<Vec<Vec<u8>>, StoreError> {
        each!(self, s => s.entries(range))
    }
    fn leaf_hash(&self, index: u64) -> Result<Option<Hash>, StoreError> {
        each!(self, s => s.leaf_hash(index))
    }
    fn indices_of(&self, leaf_hashes: &[Hash]) -> Result<Vec<Option<u64>>, StoreError> {
        each!(self, s => s.indices_of(leaf_hashes))
    }
    fn index_keys(&mut self, index: u64, keys: &[String]) -> Result<(), StoreError> {
        each!(self, s => s.index_keys(index, keys))
    }
    fn lookup(&self, key: &str) -> Result<Vec<u64>, StoreError> {
        each!(self, s => s.lookup(key))
    }
    fn set_checkpoint(&mut self, size: u64, note: &[u8]) -> Result<(), StoreError> {
        each!(self, s => s.set_checkpoint(size, note))
    }
    fn latest_checkpoint(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        each!(self, s => s.latest_checkpoint())
    }
    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError> {
        each!(self, s => s.witness_state(origin))
    }
    fn compare_and_swap_witness_state(
        &mut self,
        origin: &str,
        expected_old_size: Option<u64>,
        new: &WitnessState,
    ) -> Result<bool, StoreError> {
        each!(self, s => s.compare_and_swap_witness_state(origin, expected_old_size, new))
    }
    fn record_evidence(
        &mut self,
        origin: &str,
        old_note: &[u8],
        new_note: &[u8],
        reason: &str,
    ) -> Result<u64, StoreError> {
        each!(self, s => s.record_evidence(origin, old_note, new_note, reason))
    }
    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        each!(self, s => s.evidence())
    }
    fn enqueue(&mut self, peer: &str, entry_indices: &[u64]) -> Result<(), StoreError> {
        each!(self, s => s.enqueue(peer, entry_indices))
    }
    fn pending(&self, peer: &str, limit: usize) -> Result<Vec<u64>, StoreError> {
        each!(self, s => s.pending(peer, limit))
    }
    fn mark_sent(&mut self, peer: &str, entry_indices: &[u64]) -> Result<(), StoreError> {
        each!(self, s => s.mark_sent(peer, entry_indices))
    }
}
