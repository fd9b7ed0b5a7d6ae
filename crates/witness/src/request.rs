//! Parsing the body of `POST <prefix>/add-checkpoint`.
//!
//! ```text
//! old <N>\n
//! <base64 hash>\n        (0 to 63 consistency-proof lines)
//! \n
//! <signed checkpoint note>
//! ```
//!
//! Everything here is about the *shape* of the body; whether the checkpoint is signed by a log we
//! know, and whether the proof holds, is decided by [`crate::Witness::add_checkpoint`]. Every
//! rejection is a [`RequestError`], which the HTTP layer answers with 400 Bad Request.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use tally_tlog::{checkpoint, note, Hash, NoteError};
use thiserror::Error;

/// Largest request body accepted, in bytes.
///
/// The signed note alone may be up to 1,000,000 bytes (the `signed_note` limit, as in Go's x/mod);
/// the `old` line and 63 proof lines add under 3 KiB. 1 MiB covers both, and the HTTP layer should
/// stop reading at this size rather than buffer an unbounded body.
pub const MAX_BODY_SIZE: usize = 1 << 20;

/// Most consistency-proof lines a request may carry (c2sp.org/tlog-witness): a proof between two
/// trees of at most 2^64 leaves never needs more.
pub const MAX_PROOF_LINES: usize = 63;

/// Why an `add-checkpoint` body is malformed. Every variant means HTTP 400.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RequestError {
    #[error("request body is {len} bytes, more than the {max} allowed")]
    TooLarge { len: usize, max: usize },
    #[error("request body ends before the blank line that precedes the checkpoint")]
    Truncated,
    #[error("first line must be \"old <size>\"")]
    BadOldLine,
    #[error("old size must be a decimal u64 without leading zeros")]
    BadOldSize,
    #[error("more than {MAX_PROOF_LINES} consistency-proof lines")]
    TooManyProofLines,
    #[error("consistency-proof line {line} is not a base64-encoded 32-byte hash")]
    BadProofLine { line: usize },
    #[error("signed checkpoint: {0}")]
    MalformedNote(NoteError),
    #[error("note text is not a checkpoint (origin, size, base64 root, extension lines)")]
    MalformedCheckpoint,
}

/// A well-formed `add-checkpoint` request; its signature and proof are not yet checked.
#[derive(Debug, Clone)]
pub struct AddCheckpoint {
    old: u64,
    proof: Vec<Hash>,
    origin: String,
    note: Vec<u8>,
}

impl AddCheckpoint {
    /// Parses a request body. Never panics, whatever the input.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        if body.len() > MAX_BODY_SIZE {
            return Err(RequestError::TooLarge {
                len: body.len(),
                max: MAX_BODY_SIZE,
            });
        }
        let (first, mut rest) = split_line(body)?;
        let old = parse_old_line(first)?;
        let mut proof = Vec::new();
        loop {
            let (line, after) = split_line(rest)?;
            rest = after;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(RequestError::TooManyProofLines);
            }
            proof.push(parse_hash(line).ok_or(RequestError::BadProofLine {
                line: proof.len() + 1,
            })?);
        }
        let origin = checkpoint_origin(rest)?;
        Ok(Self {
            old,
            proof,
            origin,
            note: rest.to_vec(),
        })
    }

    /// The size of the checkpoint the client believes this witness last cosigned.
    pub fn old(&self) -> u64 {
        self.old
    }

    /// The consistency proof from `old` to the submitted checkpoint's size.
    pub fn proof(&self) -> &[Hash] {
        &self.proof
    }

    /// The submitted checkpoint's origin (its first line), used to find the log's key.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The signed checkpoint note, exactly as submitted.
    pub fn note(&self) -> &[u8] {
        &self.note
    }
}

/// Splits off one `\n`-terminated line (without its newline).
fn split_line(b: &[u8]) -> Result<(&[u8], &[u8]), RequestError> {
    let mut parts = b.splitn(2, |&c| c == b'\n');
    match (parts.next(), parts.next()) {
        (Some(line), Some(rest)) => Ok((line, rest)),
        _ => Err(RequestError::Truncated),
    }
}

/// `old <N>`: decimal, no sign, no leading zeros except `0` itself, no surrounding spaces.
fn parse_old_line(line: &[u8]) -> Result<u64, RequestError> {
    let digits = line.strip_prefix(b"old ").ok_or(RequestError::BadOldLine)?;
    let canonical = match digits {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        _ => digits.iter().all(u8::is_ascii_digit),
    };
    if !canonical {
        return Err(RequestError::BadOldSize);
    }
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(RequestError::BadOldSize)
}

/// One proof hash: canonical padded standard base64 of exactly 32 bytes.
fn parse_hash(line: &[u8]) -> Option<Hash> {
    let raw = B64.decode(line).ok()?;
    Some(Hash(raw.try_into().ok()?))
}

/// Checks that `signed` is a well-formed signed note whose text is a checkpoint, and returns the
/// checkpoint's origin.
///
/// Opening the note with no known keys runs all of `signed_note`'s parsing rules without a single
/// signature check: a well-formed note then fails only with [`NoteError::Unverified`]. The same
/// parser later verifies the note, so the two can never disagree on what the note is.
fn checkpoint_origin(signed: &[u8]) -> Result<String, RequestError> {
    match note::open(signed, &[]) {
        Ok(_) | Err(NoteError::Unverified) => {}
        Err(e) => return Err(RequestError::MalformedNote(e)),
    }
    // The last blank line separates the text (which keeps its final newline) from the signatures.
    let text_end =
        signed
            .windows(2)
            .rposition(|w| w == b"\n\n")
            .ok_or(RequestError::MalformedNote(NoteError::Malformed(
                "no blank line before the signatures",
            )))?;
    let text = signed
        .get(..=text_end)
        .ok_or(RequestError::MalformedCheckpoint)?;
    let cp = checkpoint::parse(text).map_err(|_| RequestError::MalformedCheckpoint)?;
    Ok(cp.origin().to_owned())
}
