//! The light client's own durable state, in one SQLite file (see [`schema`]).
//!
//! What a client must never forget lives here: the installed policy, the checkpoints it trusts
//! per log (no rollback), evidence of logs that contradicted themselves, its scan history and the
//! verified histories it can show offline, the outbox of entries recorded on this device with each
//! bookkeeper's receipt, and the device's sealed key and certification. Every change is one
//! transaction, durable when it returns (WAL, `synchronous=FULL`): an entry the app says is queued
//! survives a crash, as does a trusted checkpoint.

pub mod schema;

use crate::ClientError;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use std::path::Path;
use std::time::Duration;
use tally_trust::state::Inconsistency;
use tally_trust::{TrustState, TrustedCheckpoint};

/// How long a write waits for another connection (the app and a CLI on the same file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The settings key of the installed policy.
const POLICY: &str = "policy";

/// The client's database.
#[derive(Debug)]
pub struct LocalStore {
    conn: Connection,
}

/// A recorded inconsistency of a log, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredInconsistency {
    pub id: i64,
    pub bookkeeper: String,
    pub kind: String,
    pub old_size: u64,
    pub new_size: u64,
    pub old_note: String,
    pub new_note: String,
    pub detected_at: i64,
}

/// One scan of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scan {
    pub product: String,
    pub status: String,
    pub scanned_at: i64,
}

/// A verified history kept for offline viewing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    /// The verdict as JSON.
    pub verdict: String,
    /// When it was verified (Unix seconds).
    pub verified_at: i64,
}

/// An entry of the outbox with the state of its delivery to each bookkeeper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxItem {
    /// Leaf hash (base64): the entry's identity in every log.
    pub leaf: String,
    /// One line saying what the entry records.
    pub summary: String,
    pub created_at: i64,
    pub deliveries: Vec<Delivery>,
}

/// Where one entry stands with one bookkeeper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub bookkeeper: String,
    /// The entry's receipt once received: JSON, see `tally_trust::receipt::EntryReceipt`.
    pub receipt: Option<String>,
    /// The entry's index in that log, once receipted.
    pub index: Option<u64>,
    pub attempts: u32,
    /// When the next attempt is due (Unix seconds), while not receipted.
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}

/// An entry due for sending to a bookkeeper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Its place in the outbox.
    pub seq: i64,
    pub leaf: String,
    pub entry: Vec<u8>,
    pub attempts: u32,
}

/// This device's key and certification, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub name: String,
    /// The verifier key string (`name+id+base64`).
    pub public_key: String,
    /// The sealed signer key (see `identity`).
    pub sealed_key: String,
    /// The certification entry's bytes, once imported.
    pub certification: Option<Vec<u8>>,
    pub created_at: i64,
}

impl LocalStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// The file holds the sealed device key, so on Unix it is readable by its owner only: a new
    /// one is created 0600 (whatever the umask), an existing one and its `-wal`, `-shm` and
    /// `-journal` files lose any group and other permission bits. SQLite creates those side files
    /// with the main file's permissions, so they are 0600 too.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ClientError> {
        /// Creates `db` 0600 if missing; takes group and other bits off it and its side files.
        #[cfg(unix)]
        fn owner_only(db: &Path) -> std::io::Result<()> {
            use std::io::ErrorKind;
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(db)
            {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = db.as_os_str().to_owned();
                name.push(suffix);
                let file = Path::new(&name);
                let mode = match std::fs::metadata(file) {
                    Ok(m) => m.permissions().mode(),
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                if mode & 0o077 != 0 {
                    std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode & 0o700))?;
                }
            }
            Ok(())
        }
        let path = path.as_ref();
        // (An empty path or ":memory:" is a database SQLite keeps in memory or a temporary file.)
        #[cfg(unix)]
        if !path.as_os_str().is_empty() && path != Path::new(":memory:") {
            owner_only(path).map_err(|e| {
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                    Some(format!("{}: making it private: {e}", path.display())),
                )
            })?;
        }
        Self::setup(Connection::open(path)?)
    }

    /// A private in-memory database (tests, benchmarks): nothing is durable.
    pub fn open_in_memory() -> Result<Self, ClientError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Self, ClientError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate(&mut conn)?;
        Ok(Self { conn })
    }

    /// A setting, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, ClientError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), ClientError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// The installed policy's JSON, if one is installed.
    pub fn policy_json(&self) -> Result<Option<String>, ClientError> {
        self.setting(POLICY)
    }

    /// Installs a policy (already validated by the caller), replacing the previous one.
    ///
    /// A policy defines which logs exist; checkpoints trusted under the previous one stay (a log
    /// kept across policy versions must still not roll back).
    pub fn install_policy(&self, json: &str) -> Result<(), ClientError> {
        self.set_setting(POLICY, json)
    }

    /// The trusted checkpoint of every log.
    pub fn trust_state(&self) -> Result<TrustState, ClientError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT origin, size, root, note FROM trusted_checkpoints")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                TrustedCheckpoint {
                    size: r.get(1)?,
                    root: r.get(2)?,
                    note: r.get(3)?,
                },
            ))
        })?;
        let mut state = TrustState::default();
        for row in rows {
            let (origin, cp) = row?;
            state.trust(&origin, cp);
        }
        Ok(state)
    }

    /// Stores what one verification learnt, in one transaction: the checkpoints now trusted, the
    /// inconsistencies found (by bookkeeper), the scan, and the history for offline viewing.
    ///
    pub fn record_verification(
        &mut self,
        product: &str,
        status: &str,
        verdict_json: &str,
        updates: &[(String, TrustedCheckpoint)],
        inconsistencies: &[(String, Inconsistency)],
        now: i64,
    ) -> Result<(), ClientError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        apply_trust(&tx, updates, inconsistencies, now)?;
        {
            tx.prepare_cached(
                "INSERT INTO scans (product, status, scanned_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![product, status, now])?;
            tx.prepare_cached(
                "INSERT INTO histories (product, verdict, verified_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (product) DO UPDATE SET verdict = excluded.verdict,
                   verified_at = excluded.verified_at",
            )?
            .execute(params![product, verdict_json, now])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores checkpoints now trusted and inconsistencies found outside a product verification
    /// (the auditor's monitor), in one transaction; returns how many inconsistencies were new.
    pub fn record_monitoring(
        &mut self,
        updates: &[(String, TrustedCheckpoint)],
        inconsistencies: &[(String, Inconsistency)],
        now: i64,
    ) -> Result<usize, ClientError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let new = apply_trust(&tx, updates, inconsistencies, now)?;
        tx.commit()?;
        Ok(new)
    }

    /// Every inconsistency recorded, oldest first.
    pub fn inconsistencies(&self) -> Result<Vec<StoredInconsistency>, ClientError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, bookkeeper, kind, old_size, new_size, old_note, new_note, detected_at
             FROM inconsistencies ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredInconsistency {
                id: r.get(0)?,
                bookkeeper: r.get(1)?,
                kind: r.get(2)?,
                old_size: r.get(3)?,
                new_size: r.get(4)?,
                old_note: r.get(5)?,
                new_note: r.get(6)?,
                detected_at: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The last `limit` scans, newest first.
    pub fn scans(&self, limit: usize) -> Result<Vec<Scan>, ClientError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT product, status, scanned_at FROM scans ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(Scan {
                product: r.get(0)?,
                status: r.get(1)?,
                scanned_at: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest verified history of `product`, if it was ever verified here.
    pub fn cached_history(&self, product: &str) -> Result<Option<Cached>, ClientError> {
        Ok(self
            .conn
            .prepare_cached("SELECT verdict, verified_at FROM histories WHERE product = ?1")?
            .query_row([product], |r| {
                Ok(Cached {
                    verdict: r.get(0)?,
                    verified_at: r.get(1)?,
                })
            })
            .optional()?)
    }

    /// Queues signed entries for every bookkeeper in `bookkeepers`, in one transaction; an entry
    /// already queued is left as it is. Returns how many were new.
    pub fn enqueue(
        &mut self,
        entries: &[(String, Vec<u8>, String)],
        bookkeepers: &[String],
        now: i64,
    ) -> Result<usize, ClientError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut new = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO outbox (leaf, entry, summary, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (leaf) DO NOTHING",
            )?;
            let mut deliver = tx.prepare_cached(
                "INSERT INTO deliveries (bookkeeper, seq) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
            )?;
            for (leaf, entry, summary) in entries {
                if insert.execute(params![leaf, entry, summary, now])? == 1 {
                    new += 1;
                    let seq = tx.last_insert_rowid();
                    for b in bookkeepers {
                        deliver.execute(params![b, seq])?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(new)
    }

    /// Whether an entry (by leaf hash) is in the outbox.
    pub fn is_queued(&self, leaf: &str) -> Result<bool, ClientError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM outbox WHERE leaf = ?1")?
            .query_row([leaf], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Up to `limit` entries not yet receipted by `bookkeeper` whose next attempt is due at `now`,
    /// in the order they were recorded (a registration before its certifications).
    pub fn due(&self, bookkeeper: &str, now: i64, limit: usize) -> Result<Vec<Due>, ClientError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.seq, o.leaf, o.entry, d.attempts
             FROM deliveries d INDEXED BY deliveries_pending JOIN outbox o ON o.seq = d.seq
             WHERE d.bookkeeper = ?1 AND d.receipt IS NULL AND d.next_attempt_at <= ?2
             ORDER BY d.seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![bookkeeper, now, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                Ok(Due {
                    seq: r.get(0)?,
                    leaf: r.get(1)?,
                    entry: r.get(2)?,
                    attempts: r.get(3)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records what one bookkeeper answered, in one transaction: receipts (outbox seq, index,
    /// note) and failures (outbox seq, error, when to retry).
    pub fn record_deliveries(
        &mut self,
        bookkeeper: &str,
        receipts: &[(i64, u64, String)],
        failures: &[(i64, String, i64)],
    ) -> Result<(), ClientError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut ok = tx.prepare_cached(
                "UPDATE deliveries SET receipt = ?3, log_index = ?4, attempts = attempts + 1,
                   last_error = NULL
                 WHERE bookkeeper = ?1 AND seq = ?2",
            )?;
            for (seq, index, receipt) in receipts {
                ok.execute(params![bookkeeper, seq, receipt, index])?;
            }
            let mut failed = tx.prepare_cached(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?3,
                   next_attempt_at = ?4
                 WHERE bookkeeper = ?1 AND seq = ?2 AND receipt IS NULL",
            )?;
            for (seq, error, retry_at) in failures {
                failed.execute(params![bookkeeper, seq, error, retry_at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Makes every pending delivery due now (the user asked to send now).
    pub fn retry_now(&self, now: i64) -> Result<(), ClientError> {
        self.conn.execute(
            "UPDATE deliveries SET next_attempt_at = ?1 WHERE receipt IS NULL",
            [now],
        )?;
        Ok(())
    }

    /// The outbox, newest first, with every delivery; at most `limit` entries.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxItem>, ClientError> {
        let mut items: Vec<(i64, OutboxItem)> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT seq, leaf, summary, created_at FROM outbox ORDER BY seq DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    OutboxItem {
                        leaf: r.get(1)?,
                        summary: r.get(2)?,
                        created_at: r.get(3)?,
                        deliveries: Vec::new(),
                    },
                ))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for (seq, item) in &mut items {
            item.deliveries = self.deliveries_where("d.seq = ?1", *seq)?;
        }
        Ok(items.into_iter().map(|(_, item)| item).collect())
    }

    /// Where the entry with leaf hash `leaf` stands with each bookkeeper (none if not queued).
    pub fn deliveries(&self, leaf: &str) -> Result<Vec<Delivery>, ClientError> {
        self.deliveries_where("o.leaf = ?1", leaf)
    }

    fn deliveries_where(
        &self,
        condition: &str,
        value: impl rusqlite::ToSql,
    ) -> Result<Vec<Delivery>, ClientError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT d.bookkeeper, d.receipt, d.log_index, d.attempts, d.next_attempt_at,
               d.last_error
             FROM deliveries d JOIN outbox o ON o.seq = d.seq WHERE {condition}
             ORDER BY d.bookkeeper"
        ))?;
        let rows = stmt.query_map([value], |r| {
            Ok(Delivery {
                bookkeeper: r.get(0)?,
                receipt: r.get(1)?,
                index: r.get(2)?,
                attempts: r.get(3)?,
                next_attempt_at: r.get(4)?,
                last_error: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Entries not yet receipted by every bookkeeper, and deliveries pending in all.
    pub fn pending_counts(&self) -> Result<(u64, u64), ClientError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(DISTINCT seq), COUNT(*) FROM deliveries WHERE receipt IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// This device's key and certification, if it has a key.
    pub fn device(&self) -> Result<Option<DeviceRow>, ClientError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT name, public_key, sealed_key, certification, created_at FROM device",
            )?
            .query_row([], |r| {
                Ok(DeviceRow {
                    name: r.get(0)?,
                    public_key: r.get(1)?,
                    sealed_key: r.get(2)?,
                    certification: r.get(3)?,
                    created_at: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// Stores the device's new key; refuses if it already has one.
    pub fn create_device(
        &self,
        name: &str,
        public_key: &str,
        sealed_key: &str,
        now: i64,
    ) -> Result<(), ClientError> {
        if let Some(d) = self.device()? {
            return Err(ClientError::DeviceExists(d.public_key));
        }
        self.conn.execute(
            "INSERT INTO device (id, name, public_key, sealed_key, created_at)
             VALUES (1, ?1, ?2, ?3, ?4)",
            params![name, public_key, sealed_key, now],
        )?;
        Ok(())
    }

    /// Stores the device's certification entry (checked by the caller).
    pub fn set_certification(&self, entry: &[u8]) -> Result<(), ClientError> {
        if self
            .conn
            .execute("UPDATE device SET certification = ?1", [entry])?
            == 0
        {
            return Err(ClientError::NoDevice);
        }
        Ok(())
    }

    /// Forgets everything this client stored (policy, trust, history, outbox, device key): the
    /// settings screen's "reset local data".
    pub fn reset(&mut self) -> Result<(), ClientError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for table in [
            "deliveries",
            "outbox",
            "device",
            "histories",
            "scans",
            "inconsistencies",
            "trusted_checkpoints",
            "settings",
        ] {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Trusts the checkpoints in `updates` (each only if larger than the one trusted: the verdict
/// proved it consistent, and a concurrent verification may have trusted a larger one meanwhile)
/// and records `inconsistencies`, inside the caller's transaction. A pair of notes already
/// recorded is not recorded again (every scan meets a rolled-back log again); returns how many
/// were new.
fn apply_trust(
    tx: &rusqlite::Transaction<'_>,
    updates: &[(String, TrustedCheckpoint)],
    inconsistencies: &[(String, Inconsistency)],
    now: i64,
) -> Result<usize, ClientError> {
    let mut trust = tx.prepare_cached(
        "INSERT INTO trusted_checkpoints (origin, size, root, note, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,
           note = excluded.note, updated_at = excluded.updated_at
         WHERE excluded.size > trusted_checkpoints.size",
    )?;
    for (origin, cp) in updates {
        trust.execute(params![origin, cp.size, cp.root, cp.note, now])?;
    }
    let mut alarm = tx.prepare_cached(
        "INSERT INTO inconsistencies
           (bookkeeper, kind, old_size, new_size, old_note, new_note, detected_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
         WHERE NOT EXISTS (SELECT 1 FROM inconsistencies
           WHERE bookkeeper = ?1 AND old_note = ?5 AND new_note = ?6)",
    )?;
    let mut new = 0;
    for (bookkeeper, i) in inconsistencies {
        new += alarm.execute(params![
            bookkeeper, i.kind, i.old_size, i.new_size, i.old_note, i.new_note, now
        ])?;
    }
    Ok(new)
}
