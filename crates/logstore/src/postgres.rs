//! [`LogStore`] on a PostgreSQL database: for a bookkeeper that outgrows one machine's SQLite.
//!
//! Driver: the `postgres` crate (sfackler's rust-postgres, the maintained synchronous client over
//! `tokio-postgres`). The store's callers already run it on blocking threads, as they do SQLite;
//! `sqlx` and `diesel` were the alternatives, and bring an async runtime or an ORM the narrow
//! trait does not need.
//!
//! Durability: PostgreSQL's defaults (`fsync` on, `synchronous_commit` on), so a commit returns
//! once its WAL is on disk, as SQLite's `synchronous=FULL` does here. A batch is one transaction,
//! and its rows go in with one statement per table (`UNNEST` of arrays): a round trip per row would
//! cost more than the disk. Appends take a transaction-scoped advisory lock, so two processes that
//! share the database never interleave appends (each batch sees the size the other left).
//!
//! The schema is SQLite's in PostgreSQL's types (`BIGINT` indices, `BYTEA` hashes and entries);
//! `tally_schema` holds the version, and migrations are applied as SQLite's are: each in one
//! transaction with its version bump, append-only, a newer schema refused.

use crate::cache::HashCache;
use crate::store::{Evidence, LogStore, WitnessState};
use crate::StoreError;
use postgres::{Client, NoTls, Transaction};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use tally_tlog::leaf_hash;
use tlog_tiles::tlog::Error as TreeError;
use tlog_tiles::{Hash, HashReader};

/// The migrations, in order; migration `i` brings `tally_schema.version` from `i` to `i + 1`.
/// Append-only: a database at any earlier version is brought up to date by the ones it lacks.
pub const MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE entries (
        idx BIGINT PRIMARY KEY,
        leaf_hash BYTEA NOT NULL UNIQUE CHECK (length(leaf_hash) = 32),
        data BYTEA NOT NULL
    );
    CREATE TABLE hashes (
        idx BIGINT PRIMARY KEY,
        hash BYTEA NOT NULL CHECK (length(hash) = 32)
    );
    CREATE TABLE lookup_keys (
        key TEXT NOT NULL,
        idx BIGINT NOT NULL REFERENCES entries (idx),
        PRIMARY KEY (key, idx)
    );
    CREATE TABLE checkpoints (size BIGINT PRIMARY KEY, note BYTEA NOT NULL);
    CREATE TABLE witness_state (
        origin TEXT PRIMARY KEY,
        size BIGINT NOT NULL,
        root BYTEA NOT NULL CHECK (length(root) = 32),
        note BYTEA NOT NULL
    );
    CREATE TABLE evidence (
        id BIGSERIAL PRIMARY KEY,
        origin TEXT NOT NULL,
        old_note BYTEA NOT NULL,
        new_note BYTEA NOT NULL,
        reason TEXT NOT NULL,
        recorded_at BIGINT NOT NULL DEFAULT (extract(epoch FROM now())::BIGINT)
    );
    CREATE TABLE outbox (
        peer TEXT NOT NULL,
        idx BIGINT NOT NULL REFERENCES entries (idx),
        PRIMARY KEY (peer, idx)
    );
",
    // 2: the sequencer lease's fencing epoch (see `crate::lease`), one row.
    "
    CREATE TABLE sequencer_lease (
        one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
        epoch BIGINT NOT NULL,
        holder TEXT NOT NULL,
        since BIGINT NOT NULL
    );
    INSERT INTO sequencer_lease (epoch, holder, since) VALUES (0, '', 0);
",
];

/// The advisory lock key appends hold ("tally" in ASCII): one appender at a time per database.
pub(crate) const APPEND_LOCK: i64 = 0x0074_616c_6c79;

/// A log stored in a PostgreSQL database.
///
/// One connection, used by one thread at a time (reads take `&self`, so the client sits in a
/// `RefCell`); a server opens one store per reader, as with SQLite.
pub struct PgStore {
    client: RefCell<Conn>,
    cache: Option<Arc<HashCache>>,
    /// Whether a [`snapshot`](Self::snapshot) transaction is open (one inside it just runs).
    in_snapshot: Cell<bool>,
    /// The sequencer lease epoch every append and checkpoint must still hold (see
    /// [`crate::lease`]); `None` for a store that is the database's only writer.
    fence: Option<i64>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

/// A connection that is closed on a thread of its own when dropped: closing the synchronous
/// client blocks on its runtime, which tokio refuses on a thread driving async tasks, and a
/// server's last reference to its store may well be dropped on one.
struct Conn(Option<Client>);

impl std::ops::Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.0.as_ref().expect("a connection until dropped")
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        self.0.as_mut().expect("a connection until dropped")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            std::thread::spawn(move || drop(client));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_server_url_names_each_database() {
        let w = super::with_database;
        assert_eq!(
            w("postgres://u@h:5/", "bk1").as_deref(),
            Some("postgres://u@h:5/bk1")
        );
        assert_eq!(
            w("postgres://u@h:5", "bk1").as_deref(),
            Some("postgres://u@h:5/bk1")
        );
        assert_eq!(
            w("postgresql://u:p@h/old?sslmode=disable", "bk2").as_deref(),
            Some("postgresql://u:p@h/bk2?sslmode=disable")
        );
        assert_eq!(w("not a url", "bk1"), None);
        assert!(matches!(
            super::database_on("postgres://u@h/", "bk1; DROP"),
            Err(crate::StoreError::BadDatabaseName(_))
        ));
    }
}

fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::BeyondLog {
        size: n,
        stored: i64::MAX as u64,
    })
}

fn to_u64(n: i64) -> u64 {
    // Indices and sizes are written from u64 below 2^63 and checked non-negative by nothing else
    // than this store: a negative one read back is a corrupt row, clamped rather than panicking.
    u64::try_from(n).unwrap_or(0)
}

fn hash_of(bytes: &[u8]) -> Result<Hash, TreeError> {
    <[u8; 32]>::try_from(bytes)
        .map(Hash)
        .map_err(|_| TreeError::MalformedHash)
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db` or key=value form), creating the schema
    /// or bringing it up to date.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        migrate(&mut client)?;
        Ok(Self {
            client: RefCell::new(Conn(Some(client))),
            cache: None,
            in_snapshot: Cell::new(false),
            fence: None,
        })
    }

    /// Connects to `url` for reading; a schema other than this build's is refused.
    pub fn open_reader(url: &str) -> Result<Self, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        let found = version(&mut client.transaction()?)?;
        let known = MIGRATIONS.len() as u32;
        if found > known {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        if found < known {
            return Err(StoreError::SchemaTooOld { found, known });
        }
        Ok(Self {
            client: RefCell::new(Conn(Some(client))),
            cache: None,
            in_snapshot: Cell::new(false),
            fence: None,
        })
    }

    /// Shares `cache` of the tree's upper levels with this connection's hash reads.
    pub fn with_cache(mut self, cache: Arc<HashCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Makes every append and checkpoint of this store fail with [`StoreError::Fenced`] once the
    /// sequencer lease has moved past `epoch` (the epoch [`crate::SequencerLease`] took).
    pub fn fenced(mut self, epoch: i64) -> Self {
        self.fence = Some(epoch);
        self
    }

    /// Reads every stored hash of the cached levels into the shared cache in one pass (see
    /// [`HashCache`]), streaming the table; returns how many it cached. Without a cache, does
    /// nothing.
    pub fn warm_cache(&self) -> Result<usize, StoreError> {
        use postgres::fallible_iterator::FallibleIterator as _;
        let Some(cache) = &self.cache else {
            return Ok(0);
        };
        let mut client = self.client.borrow_mut();
        let rows = client.query_raw("SELECT idx, hash FROM hashes", std::iter::empty::<i64>())?;
        let rows = rows.iterator().map(|row| {
            let row = row?;
            Ok::<_, StoreError>((to_u64(row.get(0)), hash_of(row.get(1))?))
        });
        cache.fill(rows)
    }

    /// Runs the read-only `f` in one repeatable-read transaction: every statement it makes sees
    /// the same snapshot of the log. Inside a transaction already, `f` just runs.
    pub fn snapshot<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.in_snapshot.get() {
            return f(self);
        }
        self.client
            .borrow_mut()
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(StoreError::from)?;
        self.in_snapshot.set(true);
        let out = f(self);
        self.in_snapshot.set(false);
        let end = self
            .client
            .borrow_mut()
            .batch_execute("COMMIT")
            .map_err(StoreError::from);
        let out = out?;
        end?;
        Ok(out)
    }

    fn query_u64s(
        &self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<u64>, StoreError> {
        let rows = self.client.borrow_mut().query(sql, params)?;
        Ok(rows.iter().map(|r| to_u64(r.get(0))).collect())
    }
}

/// The URL of database `name` on the server `server` names (its database, if it names one,
/// replaced), creating the database if it does not exist yet: how each bookkeeper of a local
/// network gets a database of its own on one server. `name` is letters, digits and `_` only.
pub fn database_on(server: &str, name: &str) -> Result<String, StoreError> {
    let bad = || StoreError::BadDatabaseName(name.to_owned());
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(bad());
    }
    let url = with_database(server, name).ok_or_else(bad)?;
    let admin = with_database(server, "postgres").ok_or_else(bad)?;
    let mut client = Client::connect(&admin, NoTls)?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])?
        .is_some();
    if !exists {
        client.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
    }
    Ok(url)
}

/// `url` (`postgres://…`) naming database `name` instead of its own; query parameters kept.
pub fn with_database(url: &str, name: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let authority = rest.split('/').next()?;
    let query = query.map_or(String::new(), |q| format!("?{q}"));
    Some(format!("{scheme}://{authority}/{name}{query}"))
}

/// The schema version recorded in the database (0 for an empty one).
fn version(tx: &mut Transaction<'_>) -> Result<u32, StoreError> {
    tx.batch_execute("CREATE TABLE IF NOT EXISTS tally_schema (version INTEGER NOT NULL)")?;
    let row = tx.query_opt("SELECT version FROM tally_schema", &[])?;
    Ok(row.map_or(0, |r| u32::try_from(r.get::<_, i32>(0)).unwrap_or(0)))
}

/// Applies the migrations the database has not applied, each in a transaction with its version
/// bump; an advisory lock keeps two processes from migrating at once.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as u32;
    loop {
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])?;
        let found = version(&mut tx)?;
        let Some(migration) = MIGRATIONS.get(found as usize) else {
            if found > known {
                return Err(StoreError::SchemaTooNew { found, known });
            }
            return Ok(tx.commit()?);
        };
        tx.batch_execute(migration)?;
        tx.execute("DELETE FROM tally_schema", &[])?;
        tx.execute(
            "INSERT INTO tally_schema (version) VALUES ($1)",
            &[&(found as i32 + 1)],
        )?;
        tx.commit()?;
    }
}

/// Fails if `fence` is set and the sequencer lease has moved past it. Called under the append
/// lock, which taking the lease also holds while it bumps the epoch: a write either commits
/// before a new holder takes over, or sees the new epoch and fails.
fn check_fence(tx: &mut Transaction<'_>, fence: Option<i64>) -> Result<(), StoreError> {
    let Some(mine) = fence else {
        return Ok(());
    };
    let row = tx.query_one("SELECT epoch FROM sequencer_lease", &[])?;
    crate::lease::check_epoch(mine, row.get(0))
}

fn size_of(client: &mut impl postgres::GenericClient) -> Result<u64, StoreError> {
    let row = client.query_one("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", &[])?;
    Ok(to_u64(row.get(0)))
}

/// Reads stored hashes by index, in the order asked, from any connection or transaction.
fn read_hashes(
    client: &mut impl postgres::GenericClient,
    indexes: &[u64],
) -> Result<Vec<Hash>, TreeError> {
    let wanted: Vec<i64> = indexes.iter().map(|&i| i as i64).collect();
    let rows = client
        .query(
            "SELECT idx, hash FROM hashes WHERE idx = ANY($1)",
            &[&wanted],
        )
        .map_err(db)?;
    let mut found: HashMap<i64, Hash> = HashMap::with_capacity(rows.len());
    for r in &rows {
        found.insert(r.get(0), hash_of(r.get(1))?);
    }
    wanted
        .iter()
        .map(|i| found.get(i).copied().ok_or(TreeError::IndexesNotInTree))
        .collect()
}

/// `tlog_tiles` errors have no database variant; keep the database's message.
fn db(e: postgres::Error) -> TreeError {
    TreeError::InvalidInput(format!("log store database: {e}"))
}

/// The hashes a batch is appending, over those stored (read once each: the right edge of the tree
/// is the same for every leaf of a batch), so each new leaf's subtree hashes are computed before
/// anything is written.
struct Overlay<'a, 'b> {
    tx: RefCell<&'a mut Transaction<'b>>,
    base: u64,
    new: Vec<Hash>,
    read: RefCell<HashMap<u64, Hash>>,
}

impl HashReader for Overlay<'_, '_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        let missing: Vec<u64> = indexes
            .iter()
            .copied()
            .filter(|&i| i < self.base && !self.read.borrow().contains_key(&i))
            .collect();
        if !missing.is_empty() {
            let got = read_hashes(&mut **self.tx.borrow_mut(), &missing)?;
            self.read.borrow_mut().extend(missing.into_iter().zip(got));
        }
        let read = self.read.borrow();
        indexes
            .iter()
            .map(|&i| {
                match i.checked_sub(self.base) {
                    None => read.get(&i).copied(),
                    Some(k) => usize::try_from(k)
                        .ok()
                        .and_then(|k| self.new.get(k).copied()),
                }
                .ok_or(TreeError::IndexesNotInTree)
            })
            .collect()
    }
}

impl HashReader for PgStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TreeError> {
        let read = |wanted: &[u64]| read_hashes(&mut **self.client.borrow_mut(), wanted);
        match &self.cache {
            Some(cache) => cache.read_through(indexes, read),
            None => read(indexes),
        }
    }
}

/// What one batch writes, gathered before anything is: rows of each table.
#[derive(Default)]
struct Rows {
    entries: (Vec<i64>, Vec<Vec<u8>>, Vec<Vec<u8>>),
    keys: (Vec<String>, Vec<i64>),
}

impl LogStore for PgStore {
    fn append_unique(
        &mut self,
        entries: &[Vec<u8>],
        keys: &[Vec<String>],
        identities: &[Option<String>],
        peers: &[String],
    ) -> Result<Vec<u64>, StoreError> {
        crate::store::check_batch(entries, keys, identities)?;
        let mut tx = self.client.get_mut().transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])?;
        check_fence(&mut tx, self.fence)?;
        let before = size_of(&mut tx)?;
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        let logged = known_leaves(&mut tx, &leaves)?;
        let identified = known_identities(&mut tx, identities)?;
        let mut overlay = Overlay {
            tx: RefCell::new(&mut tx),
            base: tlog_tiles::stored_hash_index(0, before),
            new: Vec::new(),
            read: RefCell::new(HashMap::new()),
        };
        let mut rows = Rows::default();
        let (mut in_batch, mut ids) = (HashMap::new(), identified);
        let mut size = before;
        let mut indices = Vec::with_capacity(entries.len());
        for (position, data) in entries.iter().enumerate() {
            let identity = identities.get(position).and_then(Option::as_deref);
            if let Some(&index) = identity.and_then(|id| ids.get(id)) {
                indices.push(index);
                continue;
            }
            let leaf = leaves[position];
            let index = match logged.get(&leaf.0).or_else(|| in_batch.get(&leaf.0)) {
                Some(&index) => index,
                None => {
                    let new = tlog_tiles::stored_hashes_for_record_hash(size, leaf, &overlay)?;
                    overlay.new.extend(new);
                    rows.entries.0.push(to_i64(size)?);
                    rows.entries.1.push(leaf.0.to_vec());
                    rows.entries.2.push(data.clone());
                    in_batch.insert(leaf.0, size);
                    size += 1;
                    size - 1
                }
            };
            let mut add = |key: &str| -> Result<(), StoreError> {
                rows.keys.0.push(key.to_owned());
                rows.keys.1.push(to_i64(index)?);
                Ok(())
            };
            for key in keys.get(position).into_iter().flatten() {
                add(key)?;
            }
            if let Some(id) = identity {
                add(id)?;
                ids.insert(id.to_owned(), index);
            }
            indices.push(index);
        }
        let (base, new) = (overlay.base, std::mem::take(&mut overlay.new));
        drop(overlay);
        write_rows(&mut tx, &rows, base, &new, peers, before..size)?;
        tx.commit()?;
        Ok(indices)
    }

    fn size(&self) -> Result<u64, StoreError> {
        size_of(&mut **self.client.borrow_mut())
    }

    fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.client.borrow_mut().query_opt(
            "SELECT data FROM entries WHERE idx = $1",
            &[&to_i64(index)?],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn entries(&self, range: Range<u64>) -> Result<Vec<Vec<u8>>, StoreError> {
        let stored = self.size()?;
        if range.end > stored {
            return Err(StoreError::BeyondLog {
                size: range.end,
                stored,
            });
        }
        let rows = self.client.borrow_mut().query(
            "SELECT data FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
            &[&to_i64(range.start)?, &to_i64(range.end)?],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn leaf_hash(&self, index: u64) -> Result<Option<Hash>, StoreError> {
        let row = self.client.borrow_mut().query_opt(
            "SELECT leaf_hash FROM entries WHERE idx = $1",
            &[&to_i64(index)?],
        )?;
        row.map(|r| hash_of(r.get(0)).map_err(StoreError::from))
            .transpose()
    }

    fn indices_of(&self, leaf_hashes: &[Hash]) -> Result<Vec<Option<u64>>, StoreError> {
        let found = known_leaves(&mut **self.client.borrow_mut(), leaf_hashes)?;
        Ok(leaf_hashes
            .iter()
            .map(|h| found.get(&h.0).copied())
            .collect())
    }

    fn index_keys(&mut self, index: u64, keys: &[String]) -> Result<(), StoreError> {
        let mut tx = self.client.get_mut().transaction()?;
        let stored = size_of(&mut tx)?;
        if index >= stored {
            return Err(StoreError::NoSuchEntry { index, stored });
        }
        let idx = vec![to_i64(index)?; keys.len()];
        insert_keys(&mut tx, keys, &idx)?;
        Ok(tx.commit()?)
    }

    fn lookup(&self, key: &str) -> Result<Vec<u64>, StoreError> {
        self.query_u64s(
            "SELECT idx FROM lookup_keys WHERE key = $1 ORDER BY idx",
            &[&key],
        )
    }

    fn lookup_by_leaf(&self, key: &str, limit: usize) -> Result<Vec<u64>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query_u64s(
            "SELECT k.idx FROM lookup_keys k JOIN entries e ON e.idx = k.idx
             WHERE k.key = $1 ORDER BY e.leaf_hash LIMIT $2",
            &[&key, &limit],
        )
    }

    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.client.borrow_mut().query_opt(
            "SELECT note FROM checkpoints WHERE size = $1",
            &[&to_i64(size)?],
        )?;
        Ok(row.map(|r| r.get(0)))
    }

    fn set_checkpoint(&mut self, size: u64, note: &[u8]) -> Result<(), StoreError> {
        let mut tx = self.client.get_mut().transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])?;
        check_fence(&mut tx, self.fence)?;
        tx.execute("LOCK TABLE checkpoints IN EXCLUSIVE MODE", &[])?;
        let stored = size_of(&mut tx)?;
        if size > stored {
            return Err(StoreError::BeyondLog { size, stored });
        }
        let latest: Option<i64> = tx
            .query_one("SELECT MAX(size) FROM checkpoints", &[])?
            .get(0);
        if let Some(latest) = latest.map(to_u64).filter(|&l| size < l) {
            return Err(StoreError::CheckpointRegress { size, latest });
        }
        tx.execute(
            "INSERT INTO checkpoints (size, note) VALUES ($1, $2)
             ON CONFLICT (size) DO UPDATE SET note = EXCLUDED.note",
            &[&to_i64(size)?, &note],
        )?;
        Ok(tx.commit()?)
    }

    fn latest_checkpoint(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let row = self.client.borrow_mut().query_opt(
            "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
            &[],
        )?;
        Ok(row.map(|r| (to_u64(r.get(0)), r.get(1))))
    }

    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError> {
        let row = self.client.borrow_mut().query_opt(
            "SELECT size, root, note FROM witness_state WHERE origin = $1",
            &[&origin],
        )?;
        row.map(|r| {
            Ok(WitnessState {
                size: to_u64(r.get(0)),
                root: hash_of(r.get(1))?.0,
                note: r.get(2),
            })
        })
        .transpose()
    }

    fn compare_and_swap_witness_state(
        &mut self,
        origin: &str,
        expected_old_size: Option<u64>,
        new: &WitnessState,
    ) -> Result<bool, StoreError> {
        let client = self.client.get_mut();
        let size = to_i64(new.size)?;
        // One statement, so the check and the write are one atomic step.
        let changed = match expected_old_size {
            None => client.execute(
                "INSERT INTO witness_state (origin, size, root, note) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (origin) DO NOTHING",
                &[&origin, &size, &&new.root[..], &new.note],
            )?,
            Some(old) => client.execute(
                "UPDATE witness_state SET size = $2, root = $3, note = $4
                 WHERE origin = $1 AND size = $5",
                &[&origin, &size, &&new.root[..], &new.note, &to_i64(old)?],
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
        let row = self.client.get_mut().query_one(
            "INSERT INTO evidence (origin, old_note, new_note, reason) VALUES ($1, $2, $3, $4)
             RETURNING id",
            &[&origin, &old_note, &new_note, &reason],
        )?;
        Ok(to_u64(row.get(0)))
    }

    fn evidence(&self) -> Result<Vec<Evidence>, StoreError> {
        let rows = self.client.borrow_mut().query(
            "SELECT id, origin, old_note, new_note, reason, recorded_at FROM evidence ORDER BY id",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| Evidence {
                id: to_u64(r.get(0)),
                origin: r.get(1),
                old_note: r.get(2),
                new_note: r.get(3),
                reason: r.get(4),
                recorded_at: r.get(5),
            })
            .collect())
    }

    fn enqueue(&mut self, peer: &str, entry_indices: &[u64]) -> Result<(), StoreError> {
        let mut tx = self.client.get_mut().transaction()?;
        let stored = size_of(&mut tx)?;
        if let Some(&index) = entry_indices.iter().find(|&&i| i >= stored) {
            return Err(StoreError::NoSuchEntry { index, stored });
        }
        queue(&mut tx, peer, entry_indices.iter().copied())?;
        Ok(tx.commit()?)
    }

    fn pending(&self, peer: &str, limit: usize) -> Result<Vec<u64>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.query_u64s(
            "SELECT idx FROM outbox WHERE peer = $1 ORDER BY idx LIMIT $2",
            &[&peer, &limit],
        )
    }

    fn mark_sent(&mut self, peer: &str, entry_indices: &[u64]) -> Result<(), StoreError> {
        let idx = entry_indices
            .iter()
            .map(|&i| to_i64(i))
            .collect::<Result<Vec<_>, _>>()?;
        self.client.get_mut().execute(
            "DELETE FROM outbox WHERE peer = $1 AND idx = ANY($2)",
            &[&peer, &idx],
        )?;
        Ok(())
    }
}

/// The indices of those of `leaves` already logged, by leaf hash.
fn known_leaves(
    client: &mut impl postgres::GenericClient,
    leaves: &[Hash],
) -> Result<HashMap<[u8; 32], u64>, StoreError> {
    let wanted: Vec<&[u8]> = leaves.iter().map(|h| &h.0[..]).collect();
    let rows = client.query(
        "SELECT leaf_hash, idx FROM entries WHERE leaf_hash = ANY($1)",
        &[&wanted],
    )?;
    rows.iter()
        .map(|r| Ok((hash_of(r.get(0))?.0, to_u64(r.get(1)))))
        .collect()
}

/// The entries already logged under any of `identities`, by identity.
fn known_identities(
    tx: &mut Transaction<'_>,
    identities: &[Option<String>],
) -> Result<HashMap<String, u64>, StoreError> {
    let wanted: Vec<&str> = identities.iter().flatten().map(String::as_str).collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = tx.query(
        "SELECT DISTINCT ON (key) key, idx FROM lookup_keys WHERE key = ANY($1) ORDER BY key, idx",
        &[&wanted],
    )?;
    Ok(rows.iter().map(|r| (r.get(0), to_u64(r.get(1)))).collect())
}

/// Writes a batch's rows: entries, stored hashes from `base`, lookup keys, and the new entries
/// `appended` into each peer's outbox.
fn write_rows(
    tx: &mut Transaction<'_>,
    rows: &Rows,
    base: u64,
    hashes: &[Hash],
    peers: &[String],
    appended: Range<u64>,
) -> Result<(), StoreError> {
    let (idx, leaf, data) = &rows.entries;
    tx.execute(
        "INSERT INTO entries (idx, leaf_hash, data)
         SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::BYTEA[])",
        &[idx, leaf, data],
    )?;
    let hash_idx = (base..base + hashes.len() as u64)
        .map(to_i64)
        .collect::<Result<Vec<_>, _>>()?;
    let hash_bytes: Vec<&[u8]> = hashes.iter().map(|h| &h.0[..]).collect();
    tx.execute(
        "INSERT INTO hashes (idx, hash) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])",
        &[&hash_idx, &hash_bytes],
    )?;
    insert_keys(tx, &rows.keys.0, &rows.keys.1)?;
    for peer in peers {
        queue(tx, peer, appended.clone())?;
    }
    Ok(())
}

fn insert_keys(tx: &mut Transaction<'_>, keys: &[String], idx: &[i64]) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO lookup_keys (key, idx) SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[])
         ON CONFLICT DO NOTHING",
        &[&keys, &idx],
    )?;
    Ok(())
}

fn queue(
    tx: &mut Transaction<'_>,
    peer: &str,
    indices: impl Iterator<Item = u64>,
) -> Result<(), StoreError> {
    let idx = indices.map(to_i64).collect::<Result<Vec<_>, _>>()?;
    tx.execute(
        "INSERT INTO outbox (peer, idx) SELECT $1, i FROM UNNEST($2::BIGINT[]) AS i
         ON CONFLICT DO NOTHING",
        &[&peer, &idx],
    )?;
    Ok(())
}
