//! [`LogStore`] on an embedded SQLite database: the default for a single bookkeeper.
//!
//! Durability: WAL journal with `synchronous=FULL`, so every commit syncs the WAL before returning
//! (WAL with `NORMAL` could lose the last transactions on power loss, which would let the log forget
//! entries it already issued receipts for). Batching amortises the sync: a batch of entries is one
//! transaction. Writers take the lock up front (`BEGIN IMMEDIATE`) and wait up to [`BUSY_TIMEOUT`] for
//! another connection, instead of failing at once.

use crate::cache::HashCache;
use crate::hashes::{self, Overlay};
use crate::schema::{check_version, migrate};
use crate::store::{Evidence, LogStore, WitnessState};
use crate::StoreError;
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tally_tlog::leaf_hash;
use tlog_tiles::tlog::Error as TreeError;
use tlog_tiles::{Hash, HashReader};

/// How long a write waits for another connection's lock before failing with "database is busy".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How much of the database file a reader maps into memory: SQLite maps up to this many bytes and
/// reads the rest with system calls. 64 GiB of address space covers any log of this design (about
/// 400 bytes per entry) up to ~150M entries, and costs nothing until pages are touched.
const READER_MMAP_BYTES: i64 = 64 << 30;

/// WAL pages after which a commit also checkpoints the WAL into the database file (SQLite's default
/// is 1,000 pages, 4 MB: every few thousand entries a batch's commit stalled on copying and syncing
/// the main file, and every submission waiting on the sequencer with it). 64 MB between checkpoints
/// made durable appends of 1,000-entry batches 29% faster (the logstore bench's `append`: 26.1k → 33.6k
/// entries/s); readers find a page in a longer WAL through its hash index, at no measurable cost.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 16_384;

/// Each connection's own page cache, in KiB (SQLite's negative `cache_size` unit): for a reader,
/// the upper levels of the hash B-tree, which every proof walks, stay decoded in it.
const CACHE_KIB: i64 = -65_536;

/// Cached prepared statements: the fixed statements plus one `IN (…)` read per proof length.
const STATEMENT_CACHE: usize = 128;

/// A log stored in one SQLite database file (see [`crate::schema`]).
///
/// One connection, so one thread at a time (`&mut self` for writes); a server that wants parallel
/// proof reads opens more stores on the same file, which WAL lets read while one writes.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    /// Upper tree levels shared with the log's other read connections, if given.
    cache: Option<Arc<HashCache>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::setup(Connection::open(path)?)
    }

    /// Opens an existing database at `path` for reading only, tuned for serving proofs and tiles:
    /// the file is memory-mapped (a page read is a memory access, not a system call) and the page
    /// cache is larger. The writer must have created and migrated it; a schema this build does not
    /// know is refused, as by [`open`](Self::open).
    pub fn open_reader(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
        conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        check_version(&conn)?;
        Ok(Self { conn, cache: None })
    }

    /// A private in-memory database, for tests: nothing is durable.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // An in-memory database answers "memory"; a file system without shared memory keeps the
        // rollback journal, which is just as durable with synchronous=FULL. Neither is an error.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        // As large for the writer: an append's B-tree inserts read pages back from the OS, a
        // visible share of a sealed batch's time in a profile (about 3% more captures a second).
        conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&mut conn)?;
        Ok(Self { conn, cache: None })
    }

    /// Runs the read-only `f` inside one read transaction: every statement it makes sees the same
    /// snapshot of the log, and the WAL read lock is taken once rather than once per statement (a
    /// product's history makes a few thousand statements, one per entry and per proof, and the
    /// lock's system calls were a tenth of its time). Inside a transaction already, `f` just runs.
    pub fn snapshot<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, E>,
    ) -> Result<T, E> {
        if !self.conn.is_autocommit() {
            return f(self);
        }
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(StoreError::from)?;
        let out = f(self);
        // Nothing was written: ending the transaction only lets go of the snapshot.
        let end = self
            .conn
            .execute_batch("ROLLBACK")
            .map_err(StoreError::from);
        let out = out?;
        end?;
        Ok(out)
    }

    fn write(&mut self) -> Result<Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

fn size_of(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries")?
        .query_row([], |r| r.get(0))?)
}

fn check_entries(conn: &Connection, indices: &[u64]) -> Result<(), StoreError> {
    let stored = size_of(conn)?;
    match indices.iter().find(|&&i| i >= stored) {
        Some(&index) => Err(StoreError::NoSuchEntry { index, stored }),
        None => Ok(()),
    }
}

fn insert_keys(conn: &Connection, index: u64, keys: &[String]) -> Result<(), StoreError> {
    let mut stmt =
        conn.prepare_cached("INSERT OR IGNORE INTO lookup_keys (key, idx) VALUES (?1, ?2)")?;
    for key in keys {
        stmt.execute(params![key, index])?;
    }
    Ok(())
}

impl SqliteStore {
    /// Shares `cache` of the tree's upper levels with this connection's hash reads (see
    /// [`HashCache`]); for the read connections of one log.
    pub fn with_cache(mut self, cache: Arc<HashCache>) -> Self {
        self.cache = Some(cache);
        self
    }
}

impl SqliteStore {
    /// Reads every stored hash of the cached levels into the shared cache (see [`HashCache`]), in
    /// one pass over the table; returns how many it cached. Without a cache, does nothing.
    ///
    /// For a server's start-up, on a connection of its own, while the others already serve: a
    /// proof that comes first reads what is not cached yet from the database as before. One pass
    /// over 20 million stored hashes (10 million entries) takes a few seconds.
    pub fn warm_cache(&self) -> Result<usize, StoreError> {
        let Some(cache) = &self.cache else {
            return Ok(0);
        };
        let mut stmt = self.conn.prepare("SELECT idx, hash FROM hashes")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, Hash(row.get(1)?))))?;
        Ok(cache.fill(rows)?)
    }
}

impl HashReader for SqliteStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        match &self.cache {
            Some(cache) => cache.read_through(indexes, |missing| hashes::read(&self.conn, missing)),
            None => hashes::read(&self.conn, indexes),
        }
    }
}

impl LogStore for SqliteStore {
    fn append_unique(
        &mut self,
        entries: &[Vec<u8>],
        keys: &[Vec<String>],
        identities: &[Option<String>],
        peers: &[String],
    ) -> Result<Vec<u64>, StoreError> {
        crate::store::check_batch(entries, keys, identities)?;
        let tx = self.write()?;
        let before = size_of(&tx)?;
        let mut size = before;
        let base = tlog_tiles::stored_hash_index(0, size);
        let mut tree = Overlay {
            conn: &tx,
            base,
            new: Vec::new(),
        };
        let mut in_batch: HashMap<[u8; 32], u64> = HashMap::new();
        let mut identified: HashMap<&str, u64> = HashMap::new();
        let mut indices = Vec::with_capacity(entries.len());
        {
            let mut find = tx.prepare_cached("SELECT idx FROM entries WHERE leaf_hash = ?1")?;
            let mut known =
                tx.prepare_cached("SELECT idx FROM lookup_keys WHERE key = ?1 LIMIT 1")?;
            // The UNIQUE index on leaf_hash finds a duplicate as part of the insert: only an entry
            // already logged costs a second lookup, for its index.
            let mut insert = tx.prepare_cached(
                "INSERT INTO entries (idx, leaf_hash, data) VALUES (?1, ?2, ?3)
                 ON CONFLICT (leaf_hash) DO NOTHING",
            )?;
            for (position, data) in entries.iter().enumerate() {
                let identity = identities.get(position).and_then(Option::as_deref);
                if let Some(id) = identity {
                    let original = match identified.get(id) {
                        Some(&index) => Some(index),
                        None => known.query_row([id], |r| r.get(0)).optional()?,
                    };
                    if let Some(index) = original {
                        indices.push(index);
                        continue;
                    }
                }
                let leaf = leaf_hash(data);
                let index = match in_batch.get(&leaf.0) {
                    Some(&index) => index,
                    None if insert.execute(params![size, &leaf.0, data])? == 0 => {
                        find.query_row([&leaf.0], |r| r.get(0))?
                    }
                    None => {
                        let new = tlog_tiles::stored_hashes_for_record_hash(size, leaf, &tree)?;
                        tree.new.extend(new);
                        in_batch.insert(leaf.0, size);
                        size += 1;
                        size - 1
                    }
                };
                if let Some(keys) = keys.get(position) {
                    insert_keys(&tx, index, keys)?;
                }
                if let Some(id) = identity {
                    insert_keys(&tx, index, std::slice::from_ref(&id.to_owned()))?;
                    identified.insert(id, index);
                }
                indices.push(index);
            }
            let mut store = tx.prepare_cached("INSERT INTO hashes (idx, hash) VALUES (?1, ?2)")?;
            for (idx, hash) in (base..).zip(&tree.new) {
                store.execute(params![idx, &hash.0])?;
            }
            let mut queue =
                tx.prepare_cached("INSERT OR IGNORE INTO outbox (peer, idx) VALUES (?1, ?2)")?;
            for peer in peers {
                for index in before..size {
                    queue.execute(params![peer, index])?;
                }
            }
        }
        tx.commit()?;
        Ok(indices)
    }

    fn size(&self) -> Result<u64, StoreError> {
        size_of(&self.conn)
    }

    fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT data FROM entries WHERE idx = ?1")?
            .query_row([index], |r| r.get(0))
            .optional()?)
    }

    fn entries(&self, range: Range<u64>) -> Result<Vec<Vec<u8>>, StoreError> {
        let stored = self.size()?;
        if range.end > stored {
            return Err(StoreError::BeyondLog {
                size: range.end,
                stored,
            });
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx")?;
        let rows = stmt.query_map([range.start, range.end], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn leaf_hash(&self, index: u64) -> Result<Option<Hash>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT leaf_hash FROM entries WHERE idx = ?1")?
            .query_row([index], |r| r.get(0).map(Hash))
            .optional()?)
    }

    fn indices_of(&self, leaf_hashes: &[Hash]) -> Result<Vec<Option<u64>>, StoreError> {
        // One read transaction for them all. Each statement on its own would be a transaction of
        // its own, and a WAL reader drops its whole page cache whenever a transaction starts after
        // the writer committed: under load that is every lookup, each reading its pages afresh.
        let tx = if self.conn.is_autocommit() {
            Some(self.conn.unchecked_transaction()?)
        } else {
            None
        };
        let mut find = self
            .conn
            .prepare_cached("SELECT idx FROM entries WHERE leaf_hash = ?1")?;
        let found = leaf_hashes
            .iter()
            .map(|h| find.query_row([&h.0], |r| r.get(0)).optional())
            .collect::<Result<Vec<_>, _>>()?;
        drop(find);
        if let Some(tx) = tx {
            tx.commit()?;
        }
        Ok(found)
    }

    fn index_keys(&mut self, index: u64, keys: &[String]) -> Result<(), StoreError> {
        let tx = self.write()?;
        check_entries(&tx, &[index])?;
        insert_keys(&tx, index, keys)?;
        Ok(tx.commit()?)
    }

    fn lookup(&self, key: &str) -> Result<Vec<u64>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT idx FROM lookup_keys WHERE key = ?1 ORDER BY idx")?;
        let rows = stmt.query_map([key], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn lookup_by_leaf(&self, key: &str, limit: usize) -> Result<Vec<u64>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT k.idx FROM lookup_keys k JOIN entries e ON e.idx = k.idx
             WHERE k.key = ?1 ORDER BY e.leaf_hash LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![key, limit], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT note FROM checkpoints WHERE size = ?1")?
            .query_row([size], |r| r.get(0))
            .optional()?)
    }

    fn set_checkpoint(&mut self, size: u64, note: &[u8]) -> Result<(), StoreError> {
        let tx = self.write()?;
        let stored = size_of(&tx)?;
        if size > stored {
            return Err(StoreError::BeyondLog { size, stored });
        }
        let latest: Option<u64> =
            tx.query_row("SELECT MAX(size) FROM checkpoints", [], |r| r.get(0))?;
        if let Some(latest) = latest.filter(|&l| size < l) {
            return Err(StoreError::CheckpointRegress { size, latest });
        }
        tx.execute(
            "INSERT OR REPLACE INTO checkpoints (size, note) VALUES (?1, ?2)",
            params![size, note],
        )?;
        Ok(tx.commit()?)
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT size, root, note FROM witness_state WHERE origin = ?1")?
            .query_row([origin], |r| {
                Ok(WitnessState {
                    size: r.get(0)?,
                    root: r.get(1)?,
                    note: r.get(2)?,
                })
            })
            .optional()?)
    }

    fn compare_and_swap_witness_state(
        &mut self,
        origin: &str,
        expected_old_size: Option<u64>,
        new: &WitnessState,
    ) -> Result<bool, StoreError> {
        // One statement, so the check and the write are one atomic step (autocommit transaction).
        let changed = match expected_old_size {
            None => self.conn.execute(
                "INSERT INTO witness_state (origin, size, root, note) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (origin) DO NOTHING",
                params![origin, new.size, &new.root, &new.note],
            )?,
            Some(old) => self.conn.execute(
                "UPDATE witness_state SET size = ?2, root = ?3, note = ?4
                 WHERE origin = ?1 AND size = ?5",
                params![origin, new.size, &new.root, &new.note, old],
            )?,
        };
        Ok(changed == 1)
    }

    fn record_evidence(
        &mut self,
        origin: &str,
        old_note: &[u8],
        new_note: &[u8],
        reason: &str,
    ) -> Result<u64, StoreError> {
        Ok(self.conn.query_row(
            "INSERT INTO evidence (origin, old_note, new_note, reason) VALUES (?1, ?2, ?3, ?4)
             RETURNING id",
            params![origin, old_note, new_note, reason],
            |r| r.get(0),
        )?)
    }

    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, origin, old_note, new_note, reason, recorded_at FROM evidence ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Evidence {
                id: r.get(0)?,
                origin: r.get(1)?,
                old_note: r.get(2)?,
                new_note: r.get(3)?,
                reason: r.get(4)?,
                recorded_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn enqueue(&mut self, peer: &str, entry_indices: &[u64]) -> Result<(), StoreError> {
        let tx = self.write()?;
        check_entries(&tx, entry_indices)?;
        {
            let mut stmt =
                tx.prepare_cached("INSERT OR IGNORE INTO outbox (peer, idx) VALUES (?1, ?2)")?;
            for index in entry_indices {
                stmt.execute(params![peer, index])?;
            }
        }
        Ok(tx.commit()?)
    }

    fn pending(&self, peer: &str, limit: usize) -> Result<Vec<u64>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT idx FROM outbox WHERE peer = ?1 ORDER BY idx LIMIT ?2")?;
        let rows = stmt.query_map(params![peer, limit], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn mark_sent(&mut self, peer: &str, entry_indices: &[u64]) -> Result<(), StoreError> {
        let tx = self.write()?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM outbox WHERE peer = ?1 AND idx = ?2")?;
            for index in entry_indices {
                stmt.execute(params![peer, index])?;
            }
        }
        Ok(tx.commit()?)
    }
}
