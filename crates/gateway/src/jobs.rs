//! Capture jobs, durable in SQLite: a job is stored with all its events in one transaction
//! before `202` is answered, so an acknowledged capture survives a crash; the worker then marks
//! it queued (or rejected) in one transaction once its events are in the client's outbox.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    behaviour TEXT NOT NULL CHECK (behaviour IN ('rollback', 'proceed')),
    -- pending: not yet in the outbox; queued: its events are; rejected: none will be.
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'queued', 'rejected')),
    finished_at INTEGER
);
CREATE TABLE IF NOT EXISTS job_events (
    job INTEGER NOT NULL REFERENCES jobs (seq),
    ordinal INTEGER NOT NULL,
    -- As captured (label secrets included) while pending; as signed once queued.
    event BLOB NOT NULL,
    leaf TEXT,
    hash_id TEXT,
    -- Why it could not be signed or sealed.
    error TEXT,
    -- Each bookkeeper's refusal, one per line (\"name: why\").
    refused TEXT,
    -- The Digital Links of the labels made for the codes it creates (a JSON array), to print.
    labels TEXT,
    PRIMARY KEY (job, ordinal)
);
CREATE INDEX IF NOT EXISTS job_events_leaf ON job_events (leaf);
CREATE INDEX IF NOT EXISTS job_events_hash ON job_events (hash_id);
";

/// Whether a job stops at its first bad event or goes on with the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Rollback,
    Proceed,
}

impl Behaviour {
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Rollback => "rollback",
            Behaviour::Proceed => "proceed",
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone)]
pub struct Job {
    pub seq: i64,
    pub id: String,
    pub created_at: i64,
    pub behaviour: Behaviour,
    pub state: String,
    pub finished_at: Option<i64>,
    pub events: Vec<JobEvent>,
}

#[derive(Debug, Clone)]
pub struct JobEvent {
    pub ordinal: i64,
    pub event: Vec<u8>,
    pub leaf: Option<String>,
    pub hash_id: Option<String>,
    pub error: Option<String>,
    pub refused: Option<String>,
    /// The Digital Links of the labels made for it, to print.
    pub labels: Vec<String>,
}

/// What queueing one event came to.
pub enum Outcome {
    Queued {
        json: Vec<u8>,
        leaf: String,
        hash_id: Option<String>,
    },
    Failed(String),
    /// Not queued because another event of its rollback job failed.
    RolledBack,
}

pub struct Jobs {
    conn: Mutex<Connection>,
}

impl Jobs {
    pub fn open(path: &Path) -> Result<Self, rusqlite::Error> {
        let conn = Connection::open(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.execute_batch(crate::labels::SCHEMA)?;
        conn.execute_batch(crate::subscriptions::SCHEMA)?;
        crate::subscriptions::migrate(&conn)?;
        Ok(Jobs {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the database (the named queries and subscriptions keep their tables here).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        f(&self.conn())
    }

    /// Every product the label book knows, each with its label secret where it has one.
    pub fn products(&self) -> Result<Vec<String>, rusqlite::Error> {
        crate::labels::products(&self.conn())
    }

    /// The products (with their label secrets) that an event this gateway captured names, by
    /// its Event Hash ID: where `GET /events/{id}` reads it from. Empty when it captured none.
    pub fn products_of_event(&self, hash_id: &str) -> Result<Vec<String>, rusqlite::Error> {
        let conn = self.conn();
        let stored: Option<Vec<u8>> = conn
            .query_row(
                "SELECT event FROM job_events WHERE hash_id = ?1 LIMIT 1",
                [hash_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(mut event) = stored.and_then(|e| serde_json::from_slice(&e).ok()) else {
            return Ok(Vec::new());
        };
        let mut codes = Vec::new();
        tally_client::capture::for_each_code(&mut event, |_, code| {
            codes.push(crate::labels::product(code))
        });
        codes
            .iter()
            .map(|c| crate::labels::with_label(&conn, c))
            .collect()
    }

    /// Learns the label secrets `links` carry (see [`crate::learn_labels`]).
    pub fn learn(&self, links: &[String]) -> Result<(), rusqlite::Error> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for link in links {
            crate::labels::learn(&tx, link)?;
        }
        tx.commit()
    }

    /// Stores a job and its events in one transaction, each labelled from the label book (and,
    /// when `mint`, given new labels for the codes it creates); returns its ID.
    pub fn create(
        &self,
        behaviour: Behaviour,
        events: &[Vec<u8>],
        now: i64,
        mint: bool,
    ) -> Result<String, rusqlite::Error> {
        let mut random = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut random);
        let id = hex::encode(random);
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO jobs (id, created_at, behaviour) VALUES (?1, ?2, ?3)",
            params![id, now, behaviour.name()],
        )?;
        let seq = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO job_events (job, ordinal, event, labels) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (i, e) in events.iter().enumerate() {
                let (event, labels) = labelled(&tx, e, mint)?;
                insert.execute(params![seq, i as i64, event, labels])?;
            }
        }
        tx.commit()?;
        Ok(id)
    }

    /// The oldest job not yet in the outbox.
    /// Whether some job waits to be queued.
    pub fn has_pending(&self) -> Result<bool, rusqlite::Error> {
        self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'pending')",
            [],
            |r| r.get(0),
        )
    }

    pub fn next_pending(&self) -> Result<Option<Job>, rusqlite::Error> {
        let seq: Option<i64> = self
            .conn()
            .query_row(
                "SELECT seq FROM jobs WHERE state = 'pending' ORDER BY seq LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        match seq {
            Some(seq) => self.job_where("seq = ?1", seq),
            None => Ok(None),
        }
    }

    /// Records what queueing each event of job `seq` came to, and the job's new state, in one
    /// transaction.
    pub fn settle(&self, seq: i64, outcomes: &[Outcome], now: i64) -> Result<(), rusqlite::Error> {
        let queued = outcomes.iter().any(|o| matches!(o, Outcome::Queued { .. }));
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (i, o) in outcomes.iter().enumerate() {
            match o {
                Outcome::Queued {
                    json,
                    leaf,
                    hash_id,
                } => tx.execute(
                    "UPDATE job_events SET event = ?3, leaf = ?4, hash_id = ?5
                     WHERE job = ?1 AND ordinal = ?2",
                    params![seq, i as i64, json, leaf, hash_id],
                )?,
                Outcome::Failed(why) => tx.execute(
                    "UPDATE job_events SET error = ?3 WHERE job = ?1 AND ordinal = ?2",
                    params![seq, i as i64, why],
                )?,
                Outcome::RolledBack => 0,
            };
        }
        let (state, finished) = match queued {
            true => ("queued", None),
            false => ("rejected", Some(now)),
        };
        tx.execute(
            "UPDATE jobs SET state = ?2, finished_at = ?3 WHERE seq = ?1",
            params![seq, state, finished],
        )?;
        // Nothing of a job that will never be sent keeps its label secrets.
        if !queued {
            tx.execute(
                "UPDATE job_events SET event = x'' WHERE job = ?1",
                params![seq],
            )?;
        }
        tx.commit()
    }

    /// Notes that `bookkeeper` refused the entry with leaf hash `leaf`.
    pub fn refused(&self, leaf: &str, bookkeeper: &str, why: &str) -> Result<(), rusqlite::Error> {
        self.conn().execute(
            "UPDATE job_events SET refused = COALESCE(refused || char(10), '') || ?2
             WHERE leaf = ?1 AND (refused IS NULL OR instr(refused, ?3) = 0)",
            params![
                leaf,
                format!("{bookkeeper}: {why}"),
                format!("{bookkeeper}: ")
            ],
        )?;
        Ok(())
    }

    /// Marks job `seq` finished at `now` (every event logged everywhere or refused).
    pub fn finish(&self, seq: i64, now: i64) -> Result<(), rusqlite::Error> {
        self.conn().execute(
            "UPDATE jobs SET finished_at = ?2 WHERE seq = ?1 AND finished_at IS NULL",
            params![seq, now],
        )?;
        Ok(())
    }

    /// Queued jobs not yet finished.
    pub fn unfinished(&self) -> Result<Vec<Job>, rusqlite::Error> {
        let seqs: Vec<i64> = {
            let conn = self.conn();
            let mut stmt = conn.prepare(
                "SELECT seq FROM jobs WHERE state = 'queued' AND finished_at IS NULL ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut jobs = Vec::with_capacity(seqs.len());
        for seq in seqs {
            jobs.extend(self.job_where("seq = ?1", seq)?);
        }
        Ok(jobs)
    }

    /// The job with this ID.
    pub fn job(&self, id: &str) -> Result<Option<Job>, rusqlite::Error> {
        self.job_where("id = ?1", id)
    }

    /// Up to `limit` jobs after `after` (a job's seq), oldest first.
    pub fn list(&self, after: i64, limit: usize) -> Result<Vec<Job>, rusqlite::Error> {
        let ids: Vec<String> = {
            let conn = self.conn();
            let mut stmt =
                conn.prepare("SELECT id FROM jobs WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
            let rows = stmt.query_map(params![after, limit as i64], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            jobs.extend(self.job(&id)?);
        }
        Ok(jobs)
    }

    fn job_where(
        &self,
        condition: &str,
        value: impl rusqlite::ToSql,
    ) -> Result<Option<Job>, rusqlite::Error> {
        let conn = self.conn();
        let job = conn
            .query_row(
                &format!(
                    "SELECT seq, id, created_at, behaviour, state, finished_at FROM jobs
                     WHERE {condition}"
                ),
                [value],
                |r| {
                    Ok(Job {
                        seq: r.get(0)?,
                        id: r.get(1)?,
                        created_at: r.get(2)?,
                        behaviour: match r.get::<_, String>(3)?.as_str() {
                            "proceed" => Behaviour::Proceed,
                            _ => Behaviour::Rollback,
                        },
                        state: r.get(4)?,
                        finished_at: r.get(5)?,
                        events: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut job) = job else {
            return Ok(None);
        };
        let mut stmt = conn.prepare(
            "SELECT ordinal, event, leaf, hash_id, error, refused, labels FROM job_events
             WHERE job = ?1 ORDER BY ordinal",
        )?;
        let rows = stmt.query_map([job.seq], |r| {
            Ok(JobEvent {
                ordinal: r.get(0)?,
                event: r.get(1)?,
                leaf: r.get(2)?,
                hash_id: r.get(3)?,
                error: r.get(4)?,
                refused: r.get(5)?,
                labels: (r.get::<_, Option<String>>(6)?)
                    .and_then(|l| serde_json::from_str(&l).ok())
                    .unwrap_or_default(),
            })
        })?;
        job.events = rows.collect::<Result<_, _>>()?;
        Ok(Some(job))
    }
}

/// `event` as the label book labels it, and the labels made for it (a JSON array, or none). An
/// event that is not a JSON object is kept as it came, for the signing to refuse.
fn labelled(
    db: &Connection,
    event: &[u8],
    mint: bool,
) -> Result<(Vec<u8>, Option<String>), rusqlite::Error> {
    let Ok(mut map) = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(event)
    else {
        return Ok((event.to_vec(), None));
    };
    let made = crate::labels::label_event(db, &mut map, mint)?;
    let labels = (!made.is_empty()).then(|| serde_json::to_string(&made).unwrap_or_default());
    Ok((
        serde_json::to_vec(&map).unwrap_or_else(|_| event.to_vec()),
        labels,
    ))
}
