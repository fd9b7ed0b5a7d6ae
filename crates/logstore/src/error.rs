//! Why a store operation failed.

use thiserror::Error;

/// A store operation failed. Nothing was changed unless the method's documentation says otherwise.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database itself failed (I/O, locking, corruption detected by SQLite, a malformed row).
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// The PostgreSQL database failed (connection, I/O, a constraint, a malformed row).
    #[error("database: {0}")]
    Postgres(#[from] postgres::Error),
    /// A database name a local network would create is not letters, digits and `_`.
    #[error("{0:?} is not a database name (letters, digits and _ only)")]
    BadDatabaseName(String),
    /// The tree hashes could not be read or computed.
    #[error("tree hashes: {0}")]
    Tree(#[from] tlog_tiles::tlog::Error),
    /// An entry of a batch is too large for a C2SP entry bundle; the whole batch was rejected.
    #[error("entry {position} of the batch is {len} bytes; at most {max} fit in a log entry", max = crate::MAX_ENTRY_BYTES)]
    EntryTooLarge { position: usize, len: usize },
    /// `append_with_keys` got a key list count that is neither zero nor one per entry.
    #[error("{keys} key lists for {entries} entries")]
    KeysMismatch { entries: usize, keys: usize },
    /// A size or range asks for leaves the log does not have.
    #[error("size {size} is beyond the log ({stored} entries)")]
    BeyondLog { size: u64, stored: u64 },
    /// An operation names an entry the log does not have.
    #[error("no entry {index} in the log ({stored} entries)")]
    NoSuchEntry { index: u64, stored: u64 },
    /// A checkpoint smaller than the latest stored one: a log never signs a smaller tree after a larger.
    #[error("checkpoint size {size} is smaller than the latest stored checkpoint ({latest})")]
    CheckpointRegress { size: u64, latest: u64 },
    /// The sequencer lease this store was fenced with has passed to another process (epoch
    /// `current`): this process is no longer the log's sequencer and must stop writing.
    #[error("not the sequencer any more: the lease moved from epoch {mine} to {current}")]
    Fenced { mine: i64, current: i64 },
    /// The database was written by a newer version of this crate.
    #[error("schema version {found} is newer than this build knows ({known})")]
    SchemaTooNew { found: u32, known: u32 },
    /// A read-only connection found a database not yet migrated to this build's schema (open it
    /// for writing once first).
    #[error(
        "schema version {found} is older than this build's ({known}); open it for writing first"
    )]
    SchemaTooOld { found: u32, known: u32 },
}
