//! Reading what a bookkeeper answered into the verdict's input, sans-I/O.
//!
//! Nothing a bookkeeper sends is trusted here: this only checks the *shape* of its answer (JSON,
//! base64, hash lengths, bounded counts) and hands bytes to `tally_trust::verify`, which checks
//! signatures, proofs and quorums. A malformed answer makes that bookkeeper unusable for this
//! verification, exactly like one that is down.

use base64::Engine as _;
use serde::Deserialize;
use tally_tlog::Hash;
use tally_trust::{LogEvidence, ProvenEntry};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Most entries accepted in one history answer (all its pages): far above any product's history
/// (a unit, its pallets, its inputs and the records of their signers, which a bookkeeper bounds
/// by setting aside events of parties outside the custody chain), enough for an organisation's
/// activity, far below what could exhaust a phone.
pub const MAX_HISTORY_ENTRIES: usize = 100_000;
/// Most hashes in one proof: a tree of 2^64 leaves needs 64.
const MAX_PROOF_HASHES: usize = 64;

/// The answer's fields this client reads; others (a newer server's additions, the `size` field,
/// which the signed checkpoint states anyway) are ignored.
#[derive(Deserialize)]
struct RawHistory {
    checkpoint: String,
    consistency: Option<Vec<String>>,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
struct RawEntry {
    index: u64,
    entry: String,
    proof: Vec<String>,
}

/// A `/history` answer that is not what the protocol says it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed history answer: {0}")]
pub struct Malformed(pub String);

fn hashes(list: &[String]) -> Result<Vec<Hash>, Malformed> {
    if list.len() > MAX_PROOF_HASHES {
        return Err(Malformed(format!("a proof of {} hashes", list.len())));
    }
    list.iter()
        .map(|h| {
            B64.decode(h)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .map(Hash)
                .ok_or_else(|| Malformed(format!("{h:?} is not a base64 SHA-256 hash")))
        })
        .collect()
}

/// Parses bookkeeper `name`'s `/history` answer. `asked_old` is the trusted size the client sent:
/// a consistency proof is only taken when one was asked for.
pub fn parse_history(name: &str, body: &[u8], asked_old: u64) -> Result<LogEvidence, Malformed> {
    let raw: RawHistory = serde_json::from_slice(body).map_err(|e| Malformed(e.to_string()))?;
    if raw.entries.len() > MAX_HISTORY_ENTRIES {
        return Err(Malformed(format!("{} entries", raw.entries.len())));
    }
    let entries = raw
        .entries
        .iter()
        .map(|e| {
            Ok(ProvenEntry {
                index: e.index,
                bytes: B64
                    .decode(&e.entry)
                    .map_err(|_| Malformed(format!("entry {} is not base64", e.index)))?,
                proof: hashes(&e.proof)?,
            })
        })
        .collect::<Result<Vec<_>, Malformed>>()?;
    let consistency = match raw.consistency {
        Some(p) if asked_old > 0 => Some(hashes(&p)?),
        _ => None,
    };
    Ok(LogEvidence {
        bookkeeper: name.to_owned(),
        checkpoint: raw.checkpoint.into_bytes(),
        consistency,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_answer_is_read_and_bad_ones_are_named() {
        let h = B64.encode([7u8; 32]);
        let body = format!(
            r#"{{"checkpoint":"log\n1\nroot\n","size":1,"consistency":["{h}"],
               "entries":[{{"index":0,"entry":"AAE=","proof":["{h}"]}}]}}"#
        );
        let ev = parse_history("bk1", body.as_bytes(), 5).unwrap();
        assert_eq!(ev.bookkeeper, "bk1");
        assert_eq!(ev.checkpoint, b"log\n1\nroot\n");
        assert_eq!(ev.entries[0].bytes, vec![0, 1]);
        assert_eq!(ev.entries[0].proof[0].0, [7; 32]);
        assert_eq!(ev.consistency.as_ref().map(Vec::len), Some(1));
        // Not asked for: not used.
        assert!(parse_history("bk1", body.as_bytes(), 0)
            .unwrap()
            .consistency
            .is_none());
        for bad in [
            "not json".to_owned(),
            body.replace("AAE=", "!!"),
            body.replace(&h, "AAAA"),
            body.replace("\"checkpoint\"", "\"checkpoints\""),
            format!(
                r#"{{"checkpoint":"x","size":1,"consistency":null,"entries":[{{"index":0,"entry":"","proof":[{}]}}]}}"#,
                vec![format!("\"{h}\""); 65].join(",")
            ),
        ] {
            assert!(parse_history("bk1", bad.as_bytes(), 5).is_err(), "{bad}");
        }
    }
}
