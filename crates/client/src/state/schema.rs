//! The light client's SQLite schema and its migrations.
//!
//! `PRAGMA user_version` records how many entries of [`MIGRATIONS`] a database has applied; opening
//! applies the missing ones, each in one transaction with the version bump, so a crash mid-migration
//! leaves the previous version. Migrations are append-only: never edit a released one.

use crate::ClientError;
use rusqlite::{Connection, TransactionBehavior};

/// `settings`: the installed network policy (its JSON, as installed), role, language, …
pub const SETTINGS: &str = "CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID";

/// `trusted_checkpoints`: per log origin, the latest checkpoint this client verified. A newer one
/// replaces it only with a consistency proof; it is the client's defence against rollback.
pub const TRUSTED_CHECKPOINTS: &str = "CREATE TABLE trusted_checkpoints (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root TEXT NOT NULL,
    note TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID";

/// `inconsistencies`: a log that showed this client two incompatible views (fork, rollback), with
/// both signed notes: evidence an auditor can hand to anyone. Never updated or deleted.
pub const INCONSISTENCIES: &str = "CREATE TABLE inconsistencies (
    id INTEGER PRIMARY KEY,
    bookkeeper TEXT NOT NULL,
    kind TEXT NOT NULL,
    old_size INTEGER NOT NULL,
    new_size INTEGER NOT NULL,
    old_note TEXT NOT NULL,
    new_note TEXT NOT NULL,
    detected_at INTEGER NOT NULL
) STRICT";

/// `scans`: every verification this client made (scan history), newest last.
pub const SCANS: &str = "CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    product TEXT NOT NULL,
    status TEXT NOT NULL,
    scanned_at INTEGER NOT NULL
) STRICT";

/// `histories`: the latest verified history of each product, for offline viewing (shown as cached,
/// with its age).
pub const HISTORIES: &str = "CREATE TABLE histories (
    product TEXT PRIMARY KEY,
    verdict TEXT NOT NULL,
    verified_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID";

/// `outbox`: signed entries recorded on this device, until every bookkeeper has receipted them.
/// Keyed by leaf hash (base64), so recording the same entry twice queues it once.
pub const OUTBOX: &str = "CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    leaf TEXT NOT NULL UNIQUE,
    entry BLOB NOT NULL,
    summary TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT";

/// `deliveries`: per bookkeeper and outbox entry (by its `seq`), the receipt once received, else
/// the retry state (attempts, when to try next, the last error). Keyed by bookkeeper first, so a
/// flush reads one bookkeeper's pending entries in recording order from an index range.
pub const DELIVERIES: &str = "CREATE TABLE deliveries (
    bookkeeper TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES outbox (seq),
    receipt TEXT,
    log_index INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    PRIMARY KEY (bookkeeper, seq)
) STRICT, WITHOUT ROWID";

/// `device`: this device's signing key, sealed (Argon2id + XChaCha20-Poly1305), and the
/// certification its organisation issued for it (the log entry's bytes), once imported.
pub const DEVICE: &str = "CREATE TABLE device (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    sealed_key TEXT NOT NULL,
    certification BLOB,
    created_at INTEGER NOT NULL
) STRICT";

/// The migrations, in order; migration `i` brings a database from `user_version` `i` to `i + 1`.
pub const MIGRATIONS: &[&[&str]] = &[
    &[
        SETTINGS,
        TRUSTED_CHECKPOINTS,
        INCONSISTENCIES,
        SCANS,
        HISTORIES,
        OUTBOX,
        DELIVERIES,
        DEVICE,
        "CREATE INDEX deliveries_pending ON deliveries (bookkeeper, seq) WHERE receipt IS NULL",
    ],
    &[
        // An entry's deliveries by its seq (what a capture job shows of each of its events): the
        // primary key leads with the bookkeeper, so without this every look-up read every delivery.
        "CREATE INDEX deliveries_seq ON deliveries (seq)",
    ],
];

/// Applies the migrations `conn` has not applied yet.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), ClientError> {
    let known = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let Some(migration) = MIGRATIONS.get(version as usize) else {
            if version > known {
                return Err(ClientError::SchemaTooNew {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_version_database_keeps_its_outbox_and_gains_the_delivery_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        for statement in MIGRATIONS[0] {
            conn.execute(statement, []).unwrap();
        }
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO outbox (seq, leaf, entry, summary, created_at) VALUES (1, 'l', x'00', 's', 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO deliveries (bookkeeper, seq) VALUES ('bk1', 1)",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        let plans: Vec<String> = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT d.bookkeeper FROM deliveries d JOIN outbox o
                 ON o.seq = d.seq WHERE o.leaf = 'l'",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(!plans.is_empty());
        assert!(
            plans.iter().all(|p| !p.starts_with("SCAN")),
            "a delivery look-up by leaf reads no whole table: {plans:?}"
        );
        let kept: i64 = conn
            .query_row("SELECT COUNT(*) FROM deliveries", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 1);
    }
}
