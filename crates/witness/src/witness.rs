//! The witness's decision: verify, check consistency against the stored state, cosign.

use crate::outcome::{BadRequest, Evidence, Latest, Outcome, ProofFailure};
use crate::request::AddCheckpoint;
use std::collections::HashMap;
use tally_tlog::{
    checkpoint, cosignature, merkle, Checkpoint, Cosignature, Hash, KeyType, ProofError, SignerKey,
    VerifierKey, EMPTY_ROOT,
};
use thiserror::Error;

/// One log this witness cosigns for.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// The checkpoint origin (first line of its checkpoints).
    pub origin: String,
    /// The log's note-signing key (type 0x01).
    pub key: VerifierKey,
}

/// The witness configuration cannot work.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("witness key must be a cosignature/v1 key (type 0x04)")]
    WitnessKeyType,
    #[error("log key for {origin:?} must be a note key (type 0x01)")]
    LogKeyType { origin: String },
    #[error("origin {0:?} is configured twice")]
    DuplicateOrigin(String),
}

/// A witness: its cosigning key and the logs it accepts checkpoints from. Holds no state of its
/// own, so one value can serve concurrent requests.
#[derive(Debug, Clone)]
pub struct Witness {
    key: SignerKey,
    logs: HashMap<String, VerifierKey>,
}

impl Witness {
    /// Builds a witness. Key roles are checked here, once, so that a misconfigured witness fails
    /// at start-up instead of answering 403 to every request or cosigning with the wrong key type.
    pub fn new(key: SignerKey, logs: Vec<LogConfig>) -> Result<Self, ConfigError> {
        if key.kind() != KeyType::Cosignature {
            return Err(ConfigError::WitnessKeyType);
        }
        let mut map = HashMap::with_capacity(logs.len());
        for log in logs {
            if log.key.kind() != KeyType::Ed25519 {
                return Err(ConfigError::LogKeyType { origin: log.origin });
            }
            if map.contains_key(&log.origin) {
                return Err(ConfigError::DuplicateOrigin(log.origin));
            }
            map.insert(log.origin, log.key);
        }
        Ok(Self { key, logs: map })
    }

    /// The witness's public cosignature key, for clients' policies.
    pub fn verifier(&self) -> VerifierKey {
        self.key.verifier()
    }

    /// Decides one request. `state` is what this witness last cosigned for the request's origin
    /// (`None` if never); `now_unix` becomes the cosignature's timestamp.
    ///
    /// The checks run in the order of c2sp.org/tlog-witness: origin (404), log signature (403),
    /// old size against checkpoint size (400), old size against the stored size (409),
    /// consistency (422). Since `old` must equal the stored size and may not exceed the new size,
    /// a smaller tree than the one cosigned can never be cosigned.
    pub fn add_checkpoint(
        &self,
        req: &AddCheckpoint,
        state: Option<&Latest>,
        now_unix: u64,
    ) -> Outcome {
        let Some(log_key) = self.logs.get(req.origin()) else {
            return Outcome::UnknownOrigin(req.origin().to_owned());
        };
        // Threshold 0: only the log's signature matters here; verification is one signature at a
        // time (not batched) so this witness accepts exactly the notes other implementations do.
        let verified = match checkpoint::verify(req.note(), log_key, &[], 0) {
            Ok(v) => v,
            Err(e) => return Outcome::Forbidden(e),
        };
        let cp = &verified.checkpoint;
        if req.old() > cp.size() {
            return Outcome::BadRequest(BadRequest::OldSizeTooLarge {
                old: req.old(),
                size: cp.size(),
            });
        }
        let latest_size = state.map_or(0, |s| s.size);
        if req.old() != latest_size {
            return Outcome::Conflict { latest_size };
        }
        if let Err((reason, contradicted)) = check_consistency(cp, req.proof(), state) {
            return Outcome::Unprocessable {
                reason,
                evidence: contradicted.map(|stored| Evidence {
                    cosigned: stored.note.clone(),
                    submitted: req.note().to_vec(),
                }),
            };
        }
        let new_state = match state {
            // Same tree as before: keep the note already stored (re-cosigning refreshes the
            // timestamp for the client, and the stored evidence stays the first one seen).
            Some(s) if s.size == cp.size() => s.clone(),
            _ => Latest {
                size: cp.size(),
                root: *cp.hash(),
                note: req.note().to_vec(),
            },
        };
        Outcome::Cosigned {
            cosignature: self.cosign(&verified.text, now_unix),
            new_state,
        }
    }

    /// When a request was refused with a conflict because the log submitted a *smaller* tree than
    /// this witness cosigned (a log restored from a backup, or rolling back on purpose), the two
    /// notes the log signed: evidence for auditors, though C2SP answers it with a plain 409.
    pub fn rollback(&self, req: &AddCheckpoint, state: Option<&Latest>) -> Option<Evidence> {
        let stored = state?;
        let log_key = self.logs.get(req.origin())?;
        let verified = checkpoint::verify(req.note(), log_key, &[], 0).ok()?;
        (verified.checkpoint.size() < stored.size).then(|| Evidence {
            cosigned: stored.note.clone(),
            submitted: req.note().to_vec(),
        })
    }

    /// Cosigns a checkpoint text. Built here rather than with `Cosignature::sign`, whose only
    /// failure (a key that is not type 0x04) `Witness::new` has already ruled out.
    fn cosign(&self, checkpoint_text: &[u8], timestamp: u64) -> Cosignature {
        Cosignature {
            name: self.key.name().to_owned(),
            key_id: self.key.id(),
            timestamp,
            signature: self
                .key
                .sign_raw(&cosignature::message(timestamp, checkpoint_text)),
        }
    }
}

/// Checks that `cp` extends `state` (whose size the caller has matched with `old`). On failure,
/// returns the reason and, when the log contradicts the stored checkpoint, that checkpoint.
fn check_consistency<'a>(
    cp: &Checkpoint,
    proof: &[Hash],
    state: Option<&'a Latest>,
) -> Result<(), (ProofFailure, Option<&'a Latest>)> {
    if cp.size() == 0 && *cp.hash() != EMPTY_ROOT {
        return Err((ProofFailure::EmptyTreeRoot, None));
    }
    let stored = match state {
        Some(s) if s.size > 0 => s,
        // Every tree extends the empty tree, so there is nothing to prove, and RFC consistency
        // checkers reject old size 0: handle it here, before `verify_consistency`.
        _ if proof.is_empty() => return Ok(()),
        _ => {
            return Err((
                ProofFailure::ProofFromEmptyTree { lines: proof.len() },
                None,
            ))
        }
    };
    if cp.size() == stored.size {
        if *cp.hash() != stored.root {
            return Err((ProofFailure::RootChanged { size: cp.size() }, Some(stored)));
        }
        if !proof.is_empty() {
            return Err((ProofFailure::ProofForSameSize, None));
        }
        return Ok(());
    }
    merkle::verify_consistency(stored.size, cp.size(), &stored.root, cp.hash(), proof).map_err(
        |e| {
            let contradicted = (e == ProofError::RootMismatch).then_some(stored);
            (ProofFailure::Proof(e), contradicted)
        },
    )
}
