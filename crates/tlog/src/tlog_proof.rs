//! [c2sp.org/tlog-proof@v1](https://c2sp.org/tlog-proof): a text file proving that an entry is
//! in a log, offline — the entry's index, its RFC 6962 inclusion proof, and the log's checkpoint
//! verbatim with its witnesses' cosignatures. A proof says nothing until it is checked against a
//! policy of log and witness keys ([`TlogProof::check`]; `tally_trust::tlog_proof` under Tally's
//! policy); this module only reads and
//! writes the format, strictly, so that one file has one meaning.
//!
//! No maintained Rust crate implements the format (azul's `tlog_tiles` covers checkpoints and
//! tiles, not proofs), so this is our own, tested against the specification's example and against
//! Go's `golang.org/x/mod/sumdb/{note,tlog}` reading the files we write.

use crate::checkpoint::{self, VerifiedCheckpoint};
use crate::merkle::{leaf_hash, verify_inclusion};
use crate::tlog_policy::TlogPolicy;
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use thiserror::Error;
use tlog_tiles::Hash;

/// The first line of every proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The longest inclusion proof of a tree of at most 2^63 entries: more lines are not a proof.
const MAX_PROOF: usize = 63;

/// A parsed proof, not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TlogProof {
    /// The optional `extra` data: opaque and unauthenticated, never to be trusted implicitly.
    pub extra: Option<Vec<u8>>,
    pub index: u64,
    /// From the leaf's sibling up to the root's child.
    pub proof: Vec<Hash>,
    /// The signed checkpoint, verbatim (a signed note: body, blank line, signature lines).
    pub checkpoint: Vec<u8>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TlogProofError {
    #[error("not a tlog proof: the first line must be {HEADER:?}")]
    Header,
    #[error("line {0}: the extra data is not standard base64")]
    Extra(usize),
    #[error("line {0}: expected \"index N\" (decimal, no leading zeros)")]
    Index(usize),
    #[error("line {0}: a proof line is the standard base64 of one 32-byte hash")]
    Hash(usize),
    #[error("more than {MAX_PROOF} inclusion proof hashes")]
    TooLong,
    #[error("the checkpoint is missing (an empty line, then the signed checkpoint)")]
    NoCheckpoint,
}

/// Why a well-formed proof does not prove its entry under a policy.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProofCheckError {
    #[error("the checkpoint's origin {0:?} is none of the policy's logs")]
    UnknownLog(String),
    #[error("the checkpoint is not validly signed by its log's key: {0}")]
    Signature(String),
    #[error("the witnesses that cosigned ({0}) do not meet the policy's quorum")]
    Quorum(usize),
    #[error("the inclusion proof does not bind this entry to the signed root: {0}")]
    Inclusion(String),
}

impl TlogProof {
    /// The specification's four steps, for the entry whose bytes are `entry`: its RFC 6962 leaf
    /// hash; the checkpoint's origin is one of `policy`'s logs and carries that log's signature;
    /// the cosignatures of its witnesses meet its quorum; the inclusion proof binds the leaf to
    /// the signed root. The `extra` data plays no part.
    pub fn check(
        &self,
        policy: &TlogPolicy,
        entry: &[u8],
    ) -> Result<VerifiedCheckpoint, ProofCheckError> {
        let origin = self.origin();
        let log = policy
            .log(&origin)
            .ok_or_else(|| ProofCheckError::UnknownLog(origin.clone()))?;
        let witnesses = policy.witness_keys();
        let v = checkpoint::verify(&self.checkpoint, log, &witnesses, 0)
            .map_err(|e| ProofCheckError::Signature(e.to_string()))?;
        let cosigned: Vec<_> = v.cosigners.iter().map(|c| c.key.clone()).collect();
        if !policy.quorum_met(&cosigned) {
            return Err(ProofCheckError::Quorum(cosigned.len()));
        }
        let (size, root) = (v.checkpoint.size(), v.checkpoint.hash());
        verify_inclusion(self.index, size, &leaf_hash(entry), &self.proof, root)
            .map_err(|e| ProofCheckError::Inclusion(e.to_string()))?;
        Ok(v)
    }

    /// The checkpoint's origin line: which log the proof claims to be from (not yet checked).
    pub fn origin(&self) -> String {
        let line = self.checkpoint.split(|&b| b == b'\n').next();
        String::from_utf8_lossy(line.unwrap_or_default()).into_owned()
    }

    /// Parses a proof file. Lines end in U+000A only; the checkpoint is everything after the
    /// empty line that ends the proof hashes, kept byte for byte.
    pub fn parse(text: &[u8]) -> Result<TlogProof, TlogProofError> {
        let mut lines = Lines { rest: text, n: 0 };
        if lines.next() != Some(HEADER.as_bytes()) {
            return Err(TlogProofError::Header);
        }
        let mut line = lines.next().ok_or(TlogProofError::Index(2))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix(b"extra ") {
            extra = Some(B64.decode(b64).map_err(|_| TlogProofError::Extra(2))?);
            line = lines.next().ok_or(TlogProofError::Index(3))?;
        }
        let index = line
            .strip_prefix(b"index ")
            .and_then(decimal)
            .ok_or(TlogProofError::Index(lines.n))?;
        let mut proof = Vec::new();
        loop {
            let line = lines.next().ok_or(TlogProofError::NoCheckpoint)?;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF {
                return Err(TlogProofError::TooLong);
            }
            proof.push(hash(line).ok_or(TlogProofError::Hash(lines.n))?);
        }
        if lines.rest.is_empty() {
            return Err(TlogProofError::NoCheckpoint);
        }
        Ok(TlogProof {
            extra,
            index,
            proof,
            checkpoint: lines.rest.to_vec(),
        })
    }

    /// The proof file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", B64.encode(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            out.push_str(&B64.encode(h.0));
            out.push('\n');
        }
        out.push('\n');
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.checkpoint);
        bytes
    }
}

/// The lines of a file, each ending in U+000A, counted from 1; `rest` is what follows.
struct Lines<'a> {
    rest: &'a [u8],
    n: usize,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        let end = self.rest.iter().position(|&b| b == b'\n')?;
        let (line, tail) = self.rest.split_at(end);
        self.rest = &tail[1..];
        self.n += 1;
        Some(line)
    }
}

/// An ASCII decimal with no leading zeros (but `0`) that fits in a u64.
fn decimal(s: &[u8]) -> Option<u64> {
    let ok = !s.is_empty() && s.iter().all(u8::is_ascii_digit) && (s == b"0" || s[0] != b'0');
    ok.then(|| std::str::from_utf8(s).ok()?.parse().ok())?
}

/// One hash, in canonical standard base64 (44 characters with its padding).
fn hash(line: &[u8]) -> Option<Hash> {
    let bytes = B64.decode(line).ok()?;
    Some(Hash(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TlogProof {
        TlogProof {
            extra: Some(b"lot B2611-01".to_vec()),
            index: 73894,
            proof: vec![Hash([1; 32]), Hash([2; 32])],
            checkpoint: b"example.com/log\n5\nAAAA\n\n\xe2\x80\x94 example.com/log sig\n".to_vec(),
        }
    }

    #[test]
    fn writes_and_reads_back_byte_for_byte() {
        let p = sample();
        let text = p.to_bytes();
        assert!(text.starts_with(b"c2sp.org/tlog-proof@v1\nextra bG90IEIyNjExLTAx\nindex 73894\n"));
        assert_eq!(TlogProof::parse(&text).unwrap(), p);
        let bare = TlogProof {
            extra: None,
            proof: vec![],
            index: 0,
            ..p
        };
        let text = bare.to_bytes();
        assert!(text.starts_with(b"c2sp.org/tlog-proof@v1\nindex 0\n\nexample.com/log\n"));
        assert_eq!(TlogProof::parse(&text).unwrap(), bare);
    }

    #[test]
    fn refuses_what_the_format_does_not_allow() {
        let good = String::from_utf8(sample().to_bytes()).unwrap();
        let cases: [(String, TlogProofError); 8] = [
            (good.replacen("@v1", "@v2", 1), TlogProofError::Header),
            (
                good.replacen("index 73894", "index 073894", 1),
                TlogProofError::Index(3),
            ),
            (
                good.replacen("index 73894", "index -1", 1),
                TlogProofError::Index(3),
            ),
            (
                good.replacen("index 73894", "Index 73894", 1),
                TlogProofError::Index(3),
            ),
            (
                good.replacen("extra bG90", "extra b*90", 1),
                TlogProofError::Extra(2),
            ),
            (good.replacen("AQEB", "AQE", 1), TlogProofError::Hash(4)),
            (
                good.split("\n\n").next().unwrap().to_owned() + "\n",
                TlogProofError::NoCheckpoint,
            ),
            (
                good.replacen(
                    "\n\n",
                    &format!("\n{}\n", format!("{}\n", B64.encode([7u8; 32])).repeat(64)),
                    1,
                ),
                TlogProofError::TooLong,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(TlogProof::parse(text.as_bytes()), Err(want), "{text}");
        }
        assert_eq!(TlogProof::parse(b""), Err(TlogProofError::Header));
        let crlf = good.replace('\n', "\r\n");
        assert_eq!(
            TlogProof::parse(crlf.as_bytes()),
            Err(TlogProofError::Header)
        );
    }
}
