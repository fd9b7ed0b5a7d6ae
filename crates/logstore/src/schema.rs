//! The SQLite schema and its migrations.
//!
//! `PRAGMA user_version` records how many entries of [`MIGRATIONS`] a database has applied; opening a
//! database applies the missing ones, each in its own transaction together with the version bump, so a
//! crash mid-migration leaves the previous version intact. Migrations are append-only: never edit a
//! released one, add a new one instead.
//!
//! Indices are SQLite `INTEGER`s (signed 64-bit), which bounds a log at 2⁶³ entries. All tables are
//! `STRICT` so a wrongly typed value is refused by SQLite instead of being stored.

use crate::StoreError;
use rusqlite::{Connection, TransactionBehavior};

/// `entries`: the log itself, the bytes of each entry by leaf index, with its leaf hash.
///
/// The leaf hash is `UNIQUE` so a resubmitted entry is found by hash (`index_of`) and the server can
/// return the original receipt instead of logging it twice. Leaf indices are the rowid, so reads by
/// index and range are B-tree seeks.
pub const ENTRIES: &str = "CREATE TABLE entries (
    idx INTEGER PRIMARY KEY,
    leaf_hash BLOB NOT NULL UNIQUE CHECK (length(leaf_hash) = 32),
    data BLOB NOT NULL
) STRICT";

/// `hashes`: every stored tree hash, keyed by its stored-hash index in Go's `sumdb/tlog` layout
/// (`tlog_tiles::stored_hash_index`).
///
/// Appending leaf `n` adds the hashes of the subtrees it completes, about two per leaf; with them any
/// root, inclusion proof and consistency proof for any past tree size needs O(log n) reads by rowid and
/// no hashing of entries.
pub const HASHES: &str = "CREATE TABLE hashes (
    idx INTEGER PRIMARY KEY,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT";

/// `lookup_keys`: a secondary index from caller-chosen keys (for example a canonical GS1 Digital Link
/// URI or a GLN) to the entries that mention them, so a product's history is found without scanning.
///
/// `WITHOUT ROWID` because the primary key is the whole row.
pub const LOOKUP_KEYS: &str = "CREATE TABLE lookup_keys (
    key TEXT NOT NULL,
    idx INTEGER NOT NULL REFERENCES entries (idx),
    PRIMARY KEY (key, idx)
) STRICT, WITHOUT ROWID";

/// `checkpoints`: every checkpoint note the log has signed, by tree size.
///
/// The latest one is what the log serves; the older ones are the log's own record of what it
/// committed to, kept so an operator or auditor can check each against the tree.
pub const CHECKPOINTS: &str = "CREATE TABLE checkpoints (
    size INTEGER PRIMARY KEY,
    note BLOB NOT NULL
) STRICT";

/// `witness_state`: for each peer log (by origin), the latest checkpoint this bookkeeper cosigned.
///
/// A witness must never cosign a checkpoint that is not consistent with the one it cosigned before, so
/// this state must survive restarts and be updated by compare-and-swap.
pub const WITNESS_STATE: &str = "CREATE TABLE witness_state (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL CHECK (length(root) = 32),
    note BLOB NOT NULL
) STRICT, WITHOUT ROWID";

/// `evidence`: pairs of checkpoints from a peer log that prove misbehaviour (a fork, a rollback), kept
/// verbatim so they can be shown to others; rows are never updated or deleted.
pub const EVIDENCE: &str = "CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    old_note BLOB NOT NULL,
    new_note BLOB NOT NULL,
    reason TEXT NOT NULL,
    recorded_at INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT";

/// `outbox`: entries still to be sent to each peer; a row is deleted once the peer has it.
///
/// Broadcasting must survive restarts, or a peer would silently miss entries logged just before a
/// crash. Keyed by (peer, index) so a peer's pending entries come out in log order.
pub const OUTBOX: &str = "CREATE TABLE outbox (
    peer TEXT NOT NULL,
    idx INTEGER NOT NULL REFERENCES entries (idx),
    PRIMARY KEY (peer, idx)
) STRICT, WITHOUT ROWID";

/// The migrations, in order; migration `i` brings a database from `user_version` `i` to `i + 1`.
pub const MIGRATIONS: &[&[&str]] = &[&[
    ENTRIES,
    HASHES,
    LOOKUP_KEYS,
    CHECKPOINTS,
    WITNESS_STATE,
    EVIDENCE,
    OUTBOX,
]];

/// Applies the migrations `conn` has not applied yet.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let known = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let Some(migration) = MIGRATIONS.get(version as usize) else {
            if version > known {
                return Err(StoreError::SchemaTooNew {
                    found: version,
                    known,
                });
            }
            return Ok(());
        };
        for statement in *migration {
            tx.execute(statement, [])?;
        }
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

/// Refuses a database whose schema is not the one this build writes (a reader cannot migrate).
pub(crate) fn check_version(conn: &Connection) -> Result<(), StoreError> {
    let known = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
    let found: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    if found < known {
        return Err(StoreError::SchemaTooOld { found, known });
    }
    Ok(())
}
