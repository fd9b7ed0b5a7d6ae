//! The client's own record of what each log has shown it: the defence against rollback and forks.
//!
//! A client keeps, per log origin, the latest checkpoint it verified. A newer checkpoint is accepted
//! only with a consistency proof from that one; a smaller size (rollback) or a different root for a
//! size already seen (fork) is an alarm that carries both signed notes as evidence. The state is plain
//! data: the caller stores it (SQLite in the client) and passes it back in, so this stays sans-I/O.
//!
//! Only the log's own signatures make evidence. A consistency proof is not signed: anyone on the
//! path can flip one of its hashes, so a proof that does not connect two roots leaves the newer
//! checkpoint *unproven* (that answer is not used), never proves a fork. A fork is two notes the
//! log signed for one size with two roots; a rollback is a smaller note the log signed after a
//! larger one — which the verdict only calls a rollback when witnesses vouch that the smaller one
//! is recent, since an old note replayed looks the same (see `verdict`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tally_tlog::{merkle, Hash, VerifiedCheckpoint};

/// The latest verified checkpoint of one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedCheckpoint {
    pub size: u64,
    /// Root hash, base64.
    pub root: String,
    /// The signed note as received: evidence if the log later contradicts it.
    pub note: String,
}

/// Per-origin trusted checkpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustState {
    pub logs: BTreeMap<String, TrustedCheckpoint>,
}

/// What a newly verified checkpoint means against the trusted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance {
    /// Nothing was trusted yet for this log: trust on first use.
    First(TrustedCheckpoint),
    /// Same size and root as trusted.
    Same,
    /// Larger, and proven consistent: the new trusted checkpoint.
    Newer(TrustedCheckpoint),
    /// Larger, but no valid consistency proof came with it: keep the old one.
    Unproven,
    /// The log contradicts what it showed before.
    Inconsistent(Inconsistency),
}

/// Evidence that a log showed two incompatible views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inconsistency {
    /// `rollback` (a smaller tree than seen before) or `fork` (the same size with another root).
    pub kind: &'static str,
    pub old_size: u64,
    pub new_size: u64,
    pub old_note: String,
    pub new_note: String,
}

impl TrustState {
    /// Compares a newly verified checkpoint (and an optional consistency proof from the trusted size)
    /// with what is trusted for its origin. The caller applies `First`/`Newer` results.
    pub fn check(
        &self,
        new: &VerifiedCheckpoint,
        new_note: &[u8],
        proof: Option<&[Hash]>,
    ) -> Advance {
        let cp = &new.checkpoint;
        let candidate = TrustedCheckpoint {
            size: cp.size(),
            root: cp.hash().to_string(),
            note: String::from_utf8_lossy(new_note).into_owned(),
        };
        let Some(old) = self.logs.get(cp.origin()) else {
            return Advance::First(candidate);
        };
        let evidence = |kind| {
            Advance::Inconsistent(Inconsistency {
                kind,
                old_size: old.size,
                new_size: cp.size(),
                old_note: old.note.clone(),
                new_note: candidate.note.clone(),
            })
        };
        let Ok(old_root) = Hash::parse_hash(&old.root) else {
            return Advance::First(candidate);
        };
        if cp.size() < old.size {
            return evidence("rollback");
        }
        if cp.size() == old.size {
            return if *cp.hash() == old_root {
                Advance::Same
            } else {
                evidence("fork")
            };
        }
        if old.size == 0 {
            // Every tree extends the empty tree.
            return Advance::Newer(candidate);
        }
        match proof {
            None => Advance::Unproven,
            Some(p) => {
                match merkle::verify_consistency(old.size, cp.size(), &old_root, cp.hash(), p) {
                    Ok(()) => Advance::Newer(candidate),
                    // Unsigned: a proof that fails proves nothing about the log.
                    Err(_) => Advance::Unproven,
                }
            }
        }
    }

    /// Records a checkpoint as trusted.
    pub fn trust(&mut self, origin: &str, cp: TrustedCheckpoint) {
        self.logs.insert(origin.to_owned(), cp);
    }
}
