//! What the witness decided, and how the HTTP layer answers it.
//!
//! Each [`Outcome`] variant is one status code of c2sp.org/tlog-witness, and carries everything
//! the server needs: the response ([`Outcome::status`], [`Outcome::content_type`],
//! [`Outcome::body`]), the state to store on success, and the evidence to keep when a log
//! contradicts what this witness cosigned.

use crate::request::RequestError;
use tally_tlog::{CheckpointError, Cosignature, Hash, ProofError};
use thiserror::Error;

/// What this witness last cosigned for one origin: the state the caller stores between requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    /// Tree size of the cosigned checkpoint.
    pub size: u64,
    /// Its root hash.
    pub root: Hash,
    /// The signed checkpoint note as the log submitted it (log signature included): if the log
    /// later contradicts it, this note is half of the evidence.
    pub note: Vec<u8>,
}

/// A request the witness refuses as malformed (HTTP 400).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BadRequest {
    #[error(transparent)]
    Malformed(#[from] RequestError),
    #[error("old size {old} is larger than the checkpoint size {size}")]
    OldSizeTooLarge { old: u64, size: u64 },
}

/// Why the submitted checkpoint does not follow from what this witness cosigned (HTTP 422).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProofFailure {
    #[error("a checkpoint of size 0 must have the empty tree's root, SHA-256(\"\")")]
    EmptyTreeRoot,
    #[error("the consistency proof must be empty when old is 0 ({lines} lines sent)")]
    ProofFromEmptyTree { lines: usize },
    #[error("the consistency proof must be empty when old equals the checkpoint size")]
    ProofForSameSize,
    #[error("checkpoint has the size {size} already cosigned but a different root hash")]
    RootChanged { size: u64 },
    #[error("consistency proof: {0}")]
    Proof(ProofError),
}

/// Two checkpoints, both signed by the log, that the witness could not reconcile.
///
/// With the same size and different roots they prove the log forked. When a consistency proof
/// failed instead, they are the question to put to the log: an honest log can always produce a
/// proof between them, so one that cannot is caught (the proof in the request may merely have
/// been corrupted in transit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The note this witness cosigned earlier ([`Latest::note`]).
    pub cosigned: Vec<u8>,
    /// The note just submitted.
    pub submitted: Vec<u8>,
}

/// The witness's decision on one `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// 200: the checkpoint is cosigned. The caller must store `new_state` (see the crate docs for
    /// the atomicity contract) before sending the cosignature.
    Cosigned {
        cosignature: Cosignature,
        new_state: Latest,
    },
    /// 400: malformed body, or old size larger than the checkpoint's.
    BadRequest(BadRequest),
    /// 403: no valid signature from the log's key.
    Forbidden(CheckpointError),
    /// 404: no log with this origin is configured.
    UnknownOrigin(String),
    /// 409: `old` is not the size this witness last cosigned; the body tells the client which.
    Conflict { latest_size: u64 },
    /// 422: the checkpoint is not proven consistent with what this witness cosigned. `evidence`
    /// is set when the log contradicts an earlier checkpoint; the server should keep it for auditors.
    Unprocessable {
        reason: ProofFailure,
        evidence: Option<Evidence>,
    },
}

impl From<RequestError> for Outcome {
    fn from(e: RequestError) -> Self {
        Outcome::BadRequest(BadRequest::Malformed(e))
    }
}

impl Outcome {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Outcome::Cosigned { .. } => 200,
            Outcome::BadRequest(_) => 400,
            Outcome::Forbidden(_) => 403,
            Outcome::UnknownOrigin(_) => 404,
            Outcome::Conflict { .. } => 409,
            Outcome::Unprocessable { .. } => 422,
        }
    }

    /// The `Content-Type` of the response; the spec fixes it only for 409.
    pub fn content_type(&self) -> &'static str {
        match self {
            Outcome::Conflict { .. } => "text/x.tlog.size",
            _ => "text/plain; charset=utf-8",
        }
    }

    /// The response body: the cosignature line on 200, `<size>\n` on 409, otherwise a one-line
    /// reason for the client's operator.
    pub fn body(&self) -> Vec<u8> {
        match self {
            Outcome::Cosigned { cosignature, .. } => cosignature.to_line().into_bytes(),
            Outcome::BadRequest(e) => format!("{e}\n").into_bytes(),
            Outcome::Forbidden(e) => format!("{e}\n").into_bytes(),
            Outcome::UnknownOrigin(origin) => {
                format!("unknown log origin {origin:?}\n").into_bytes()
            }
            Outcome::Conflict { latest_size } => format!("{latest_size}\n").into_bytes(),
            Outcome::Unprocessable { reason, .. } => format!("{reason}\n").into_bytes(),
        }
    }
}
