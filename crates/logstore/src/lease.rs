//! The sequencer lease: several bookkeeper processes may share one PostgreSQL database, and exactly
//! one of them appends and signs at a time. The others are standbys, each waiting to take over.
//!
//! The lease is a session-level advisory lock (`pg_try_advisory_lock`) held on a connection of its
//! own. PostgreSQL releases it the moment that connection ends: when the holder is killed, its
//! kernel closes the socket and the server drops the session at once. Nothing has to expire, and
//! no clock is trusted. A lease with an expiry time in a row was the alternative. It needs
//! synchronised clocks, and it leaves the log without a sequencer for its whole term after a crash.
//!
//! A lock alone does not stop a *zombie*: a holder whose lease connection broke (a network
//! partition, a paused VM) but whose other connections still write. So taking the lease also
//! bumps a fencing epoch in the `sequencer_lease` row. A store opened with
//! [`PgStore::fenced`](crate::PgStore::fenced) checks that epoch in the same transaction as every
//! append and every checkpoint, under the append lock. A zombie's next write fails with
//! [`StoreError::Fenced`] and is never receipted. This is the fencing-token pattern (Kleppmann,
//! "How to do distributed locking"), with the database as the one place both sides meet.

use crate::postgres::APPEND_LOCK;
use crate::StoreError;
use postgres::{Client, NoTls};
use std::time::Duration;

/// The advisory lock key of the lease ("tallyseq" in ASCII), distinct from the append lock.
const SEQUENCER_LOCK: i64 = 0x7461_6c6c_7973_6571;

/// How often a standby asks for the lease again.
const RETRY: Duration = Duration::from_millis(100);

/// The lease, held for as long as this value lives and its connection stays up.
pub struct SequencerLease {
    client: Client,
    epoch: i64,
}

impl std::fmt::Debug for SequencerLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SequencerLease")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl SequencerLease {
    /// Takes the lease on the database at `url` (migrated to this build's schema), waiting for as
    /// long as another process holds it; `waiting` is called once if it has to wait. `holder`
    /// names this process in the lease row, for operators.
    pub fn acquire(url: &str, holder: &str, waiting: impl FnOnce()) -> Result<Self, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        let mut waiting = Some(waiting);
        loop {
            let row = client.query_one("SELECT pg_try_advisory_lock($1)", &[&SEQUENCER_LOCK])?;
            if row.get::<_, bool>(0) {
                break;
            }
            if let Some(waiting) = waiting.take() {
                waiting();
            }
            std::thread::sleep(RETRY);
        }
        // Under the append lock, so that no write of the previous holder straddles the bump.
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])?;
        let row = tx.query_one(
            "UPDATE sequencer_lease
             SET epoch = epoch + 1, holder = $1, since = extract(epoch FROM now())::BIGINT
             RETURNING epoch",
            &[&holder],
        )?;
        tx.commit()?;
        Ok(Self {
            epoch: row.get(0),
            client,
        })
    }

    /// The fencing epoch this lease took: open the writing store with it.
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// Fails if the lease is no longer held: its connection is gone, or (which only an operator
    /// could cause) another process has taken a newer epoch. The holder must then stop writing.
    pub fn check(&mut self) -> Result<(), StoreError> {
        let row = self
            .client
            .query_one("SELECT epoch FROM sequencer_lease", &[])?;
        check_epoch(self.epoch, row.get(0))
    }
}

/// `Ok` if `current` is still `mine`.
pub(crate) fn check_epoch(mine: i64, current: i64) -> Result<(), StoreError> {
    match mine == current {
        true => Ok(()),
        false => Err(StoreError::Fenced { mine, current }),
    }
}
