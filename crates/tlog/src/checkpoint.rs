//! c2sp.org/tlog-checkpoint: a log's signed statement of its size and root, plus witness cosignatures.
//!
//! Parsing and formatting of the checkpoint body come from `tlog_tiles` (origin line, decimal size
//! without leading zeros, base64 root, optional non-empty extension lines). This module adds the
//! verification policy: the log's own signature, then a threshold of distinct witness keys.

use crate::batch::SignatureBatch;
use crate::keys::{KeyType, VerifierKey};
use crate::note::{self, NoteError};
use thiserror::Error;
pub use tlog_tiles::Checkpoint;

/// A signed checkpoint was not acceptable.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("checkpoint note: {0}")]
    Note(#[from] NoteError),
    #[error("checkpoint text is malformed (want origin, size, base64 root, then extension lines)")]
    Malformed,
    #[error("checkpoint is not signed by the log key {0}")]
    NoLogSignature(String),
    #[error("checkpoint origin {origin:?} is not the expected {expected:?}")]
    WrongOrigin { origin: String, expected: String },
    #[error("log key {0} must be a note key (type 0x01)")]
    LogKeyType(String),
    #[error("witness key {0} must be a cosignature key (type 0x04)")]
    WitnessKeyType(String),
    #[error("{got} distinct witness cosignatures, {need} required")]
    UnderCosigned { got: usize, need: usize },
}

/// A witness cosignature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosigner {
    /// The witness key.
    pub key: VerifierKey,
    /// The witness's timestamp (UNIX seconds).
    pub timestamp: u64,
}

/// A checkpoint whose log signature verified, with the witnesses that cosigned it.
#[derive(Debug)]
pub struct VerifiedCheckpoint {
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// The exact checkpoint text that was signed.
    pub text: Vec<u8>,
    /// Verified cosignatures, one per distinct witness key, in note order.
    pub cosigners: Vec<Cosigner>,
}

/// Parses a checkpoint body (the text of a note, without signatures).
pub fn parse(text: &[u8]) -> Result<Checkpoint, CheckpointError> {
    Checkpoint::from_bytes(text).map_err(|_| CheckpointError::Malformed)
}

/// The checkpoint a signed note carries, parsed without checking any signature: to decide what
/// to fetch or write next, never to trust it (the verdict checks the signatures).
pub fn parse_unverified(note: &[u8]) -> Result<Checkpoint, CheckpointError> {
    let end = note
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or(CheckpointError::Malformed)?;
    parse(&note[..=end])
}

/// Verifies a signed checkpoint: it must be signed by `log` (type 0x01), and cosigned by at least
/// `witness_threshold` distinct keys among `witnesses` (type 0x04). Unknown signatures are ignored; a
/// failing signature from any known key rejects the whole checkpoint.
pub fn verify(
    signed: &[u8],
    log: &VerifierKey,
    witnesses: &[VerifierKey],
    witness_threshold: usize,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    verify_with(signed, log, witnesses, witness_threshold, note::open)
}

/// [`verify`] without the signature checks themselves, which are returned as a batch: the result
/// holds only if the batch verifies, and a caller whose batch fails must call [`verify`] to learn why.
pub fn verify_deferred(
    signed: &[u8],
    log: &VerifierKey,
    witnesses: &[VerifierKey],
    witness_threshold: usize,
) -> Result<(VerifiedCheckpoint, SignatureBatch), CheckpointError> {
    let mut batch = SignatureBatch::new();
    let v = verify_with(signed, log, witnesses, witness_threshold, |n, k| {
        let (opened, mut b) = note::open_deferred(n, k)?;
        batch.append(&mut b);
        Ok(opened)
    })?;
    Ok((v, batch))
}

fn verify_with(
    signed: &[u8],
    log: &VerifierKey,
    witnesses: &[VerifierKey],
    witness_threshold: usize,
    mut open: impl FnMut(&[u8], &[VerifierKey]) -> Result<note::VerifiedNote, NoteError>,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    if log.kind() != KeyType::Ed25519 {
        return Err(CheckpointError::LogKeyType(log.to_string()));
    }
    if let Some(w) = witnesses.iter().find(|w| w.kind() != KeyType::Cosignature) {
        return Err(CheckpointError::WitnessKeyType(w.to_string()));
    }
    let mut known = Vec::with_capacity(witnesses.len() + 1);
    known.push(log.clone());
    known.extend_from_slice(witnesses);
    let opened = open(signed, &known)?;
    if !opened.signatures.iter().any(|s| &s.key == log) {
        return Err(CheckpointError::NoLogSignature(log.to_string()));
    }
    let checkpoint = parse(&opened.text)?;
    let mut cosigners: Vec<Cosigner> = Vec::new();
    for s in opened.signatures {
        let Some(timestamp) = s.timestamp else {
            continue;
        };
        if cosigners.iter().all(|c| c.key.ed25519() != s.key.ed25519()) {
            cosigners.push(Cosigner {
                key: s.key,
                timestamp,
            });
        }
    }
    if cosigners.len() < witness_threshold {
        return Err(CheckpointError::UnderCosigned {
            got: cosigners.len(),
            need: witness_threshold,
        });
    }
    Ok(VerifiedCheckpoint {
        checkpoint,
        text: opened.text,
        cosigners,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_notes_checkpoint_is_read_without_its_signatures() {
        let note = b"example.com/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 k sig\n";
        let c = super::parse_unverified(note).unwrap();
        assert_eq!((c.origin(), c.size()), ("example.com/log", 7));
        assert!(super::parse_unverified(b"example.com/log\n7\n").is_err());
        assert!(super::parse_unverified(b"example.com/log\nseven\nAA==\n\n").is_err());
    }
}
