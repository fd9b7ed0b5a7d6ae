//! Receipts: a bookkeeper's signed promise that entries will appear in a checkpoint.
//!
//! A receipt is a C2SP signed note signed with the log key, so anyone holding the network policy
//! checks it with the code that checks checkpoints. It comes in two forms.
//!
//! One entry (`POST /submit`), readable on its own:
//!
//! ```text
//! tally/receipt/v1
//! <origin>                  the log's origin (its key name)
//! <leaf hash, base64>       RFC 6962 leaf hash of the entry: its identity in every log
//! <index>                   the entry's leaf index in this log
//! <unix time>               when the receipt was issued, in seconds
//! <max delay seconds>       the entry is in a signed checkpoint within this many seconds of <unix time>
//! ```
//!
//! A bundle (`POST /submit-bundle`), one signature for every entry it receipts:
//!
//! ```text
//! tally/receipt-batch/v1
//! <origin>
//! <n>                       how many entries the batch receipts
//! <root, base64>            RFC 6962 Merkle tree hash of their promises, in bundle order
//! <unix time>
//! <max delay seconds>
//! ```
//!
//! A promise is an (index, leaf hash) pair; its leaf in the batch tree is the RFC 6962 leaf hash of
//! the index (8 bytes, big-endian) followed by the entry's leaf hash (32 bytes). An encoded entry
//! starts with its magic and is longer than 40 bytes, so a promise leaf is never an entry's leaf.
//!
//! Why a tree: a signature costs as much as admitting the entry it receipts, and a bundle of 256
//! entries used to carry 256 of them. Signing the root of a tree of promises once and giving each
//! entry its inclusion path is how Merkle Tree Certificates (draft-davidben-tls-merkle-tree-certs)
//! batch-sign: each entry's [`EntryReceipt`] still proves, alone, what the bookkeeper promised about
//! it. The submitter, which knows what it sent and reads the indices from the answer, recomputes
//! the root itself, so the answer carries no proofs.
//!
//! The entry is durable before either receipt is issued. A checkpoint of size greater than the
//! index, issued after `<unix time>` + `<max delay>`, that does not include the leaf at that index
//! proves the bookkeeper broke its promise. Resubmitting an entry returns a receipt for the same
//! index and leaf hash, with the time of the resubmission.

use serde::{Deserialize, Serialize};
use tally_tlog::{merkle, note, Hash, MemoryStore, NoteError, SignerKey, VerifierKey};
use thiserror::Error;

/// The first line of a one-entry receipt.
pub const RECEIPT_HEADER: &str = "tally/receipt/v1";
/// The first line of a batch receipt.
pub const BATCH_HEADER: &str = "tally/receipt-batch/v1";

/// What a bookkeeper promises about one entry: it is logged at `index`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Promise {
    pub index: u64,
    /// The entry's RFC 6962 leaf hash.
    pub leaf: Hash,
}

impl Promise {
    /// The promise's leaf in a batch tree.
    pub fn tree_leaf(&self) -> Hash {
        let mut bytes = [0u8; 40];
        bytes[..8].copy_from_slice(&self.index.to_be_bytes());
        bytes[8..].copy_from_slice(&self.leaf.0);
        merkle::leaf_hash(&bytes)
    }
}

/// The terms every receipt states besides its promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The log's origin.
    pub origin: String,
    /// When the receipt was issued (Unix seconds).
    pub time: u64,
    /// Seconds after `time` by which the entries are in a signed checkpoint.
    pub max_delay: u64,
}

/// Why a receipt does not prove what it is said to.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ReceiptError {
    #[error("the receipt's signature does not verify with the log key: {0}")]
    Signature(#[from] NoteError),
    #[error("the receipt is not a {0} note")]
    Malformed(&'static str),
    #[error("the receipt is from log {found:?}, not {expected:?}")]
    WrongLog { expected: String, found: String },
    #[error("the receipt promises other entries or indices than these")]
    Mismatch,
    #[error("the receipt's inclusion proof does not verify: {0}")]
    Proof(#[from] merkle::ProofError),
}

/// The promised delay for a checkpoint interval: two intervals (one may just have started, and
/// gathering cosignatures takes part of the next), rounded up to whole seconds.
pub fn max_delay_seconds(checkpoint_interval_ms: u64) -> u64 {
    (checkpoint_interval_ms.saturating_mul(2))
        .div_ceil(1000)
        .max(1)
}

/// Signs a one-entry receipt with the log key.
pub fn sign(
    key: &SignerKey,
    promise: &Promise,
    now: u64,
    max_delay: u64,
) -> Result<Vec<u8>, NoteError> {
    let text = format!(
        "{RECEIPT_HEADER}\n{}\n{}\n{}\n{now}\n{max_delay}\n",
        key.name(),
        promise.leaf,
        promise.index
    );
    note::sign(text.as_bytes(), std::slice::from_ref(key), 0)
}

/// Opens a one-entry receipt signed by `log`: its promise and terms.
pub fn open(log: &VerifierKey, receipt: &[u8]) -> Result<(Promise, Terms), ReceiptError> {
    let text = note::open(receipt, std::slice::from_ref(log))?.text;
    let text = std::str::from_utf8(&text).map_err(|_| ReceiptError::Malformed(RECEIPT_HEADER))?;
    let lines: Vec<&str> = text.lines().collect();
    let [RECEIPT_HEADER, origin, leaf, index, time, max_delay] = lines.as_slice() else {
        return Err(ReceiptError::Malformed(RECEIPT_HEADER));
    };
    let malformed = ReceiptError::Malformed(RECEIPT_HEADER);
    let promise = Promise {
        index: index.parse().map_err(|_| malformed.clone())?,
        leaf: Hash::parse_hash(leaf).map_err(|_| malformed)?,
    };
    Ok((
        promise,
        terms(log, origin, time, max_delay, RECEIPT_HEADER)?,
    ))
}

/// The batch tree of `promises` (to prove each one from) and its root.
fn batch_tree(promises: &[Promise]) -> (Hash, MemoryStore) {
    let mut tree = MemoryStore::new();
    for p in promises {
        // A memory store only fails to read hashes it does not hold; appending reads its own.
        let _ = tree.append_leaf_hash(p.tree_leaf());
    }
    let root = tree.root(tree.size()).unwrap_or(merkle::EMPTY_ROOT);
    (root, tree)
}

/// Signs one receipt for every promise of a bundle, in bundle order.
pub fn sign_batch(
    key: &SignerKey,
    promises: &[Promise],
    now: u64,
    max_delay: u64,
) -> Result<Vec<u8>, NoteError> {
    let mut tree = tally_tlog::CompactTree::new();
    for p in promises {
        tree.push(p.tree_leaf());
    }
    let text = format!(
        "{BATCH_HEADER}\n{}\n{}\n{}\n{now}\n{max_delay}\n",
        key.name(),
        promises.len(),
        tree.root()
    );
    note::sign(text.as_bytes(), std::slice::from_ref(key), 0)
}

/// A batch receipt whose signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub terms: Terms,
    /// How many promises the batch holds.
    pub size: u64,
    /// The root of their tree.
    pub root: Hash,
    /// The signed note itself.
    note: String,
}

/// Opens a batch receipt signed by `log`.
pub fn open_batch(log: &VerifierKey, receipt: &[u8]) -> Result<Batch, ReceiptError> {
    let text = note::open(receipt, std::slice::from_ref(log))?.text;
    let text = std::str::from_utf8(&text).map_err(|_| ReceiptError::Malformed(BATCH_HEADER))?;
    let lines: Vec<&str> = text.lines().collect();
    let [BATCH_HEADER, origin, size, root, time, max_delay] = lines.as_slice() else {
        return Err(ReceiptError::Malformed(BATCH_HEADER));
    };
    Ok(Batch {
        terms: terms(log, origin, time, max_delay, BATCH_HEADER)?,
        size: size
            .parse()
            .map_err(|_| ReceiptError::Malformed(BATCH_HEADER))?,
        root: Hash::parse_hash(root).map_err(|_| ReceiptError::Malformed(BATCH_HEADER))?,
        // `note::open` only accepts UTF-8 notes.
        note: String::from_utf8_lossy(receipt).into_owned(),
    })
}

impl Batch {
    /// Checks that the batch promises exactly `promises`, in this order, and gives each entry its
    /// own receipt.
    pub fn receipts_for(&self, promises: &[Promise]) -> Result<Vec<EntryReceipt>, ReceiptError> {
        let (root, tree) = batch_tree(promises);
        if self.size != promises.len() as u64 || self.root != root {
            return Err(ReceiptError::Mismatch);
        }
        (0..self.size)
            .map(|position| {
                let proof = tree
                    .inclusion_proof(position, self.size)
                    .map_err(|_| ReceiptError::Mismatch)?;
                Ok(EntryReceipt {
                    batch: self.note.clone(),
                    position,
                    proof: proof.iter().map(Hash::to_string).collect(),
                })
            })
            .collect()
    }
}

/// One entry's receipt out of a batch: the signed batch note, the entry's position among the
/// batch's promises and the inclusion proof of its promise. Kept as JSON (see [`Self::to_json`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryReceipt {
    pub batch: String,
    pub position: u64,
    /// Base64 hashes, from the promise's sibling up.
    pub proof: Vec<String>,
}

impl EntryReceipt {
    /// The receipt as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a receipt written by [`Self::to_json`].
    pub fn from_json(s: &str) -> Result<Self, ReceiptError> {
        serde_json::from_str(s).map_err(|_| ReceiptError::Malformed("batch entry receipt"))
    }

    /// Checks that `log` signed the promise `promise` in this receipt; its terms.
    pub fn verify(&self, log: &VerifierKey, promise: &Promise) -> Result<Terms, ReceiptError> {
        let batch = open_batch(log, self.batch.as_bytes())?;
        let proof = self
            .proof
            .iter()
            .map(|h| {
                Hash::parse_hash(h).map_err(|_| ReceiptError::Malformed("batch entry receipt"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        merkle::verify_inclusion(
            self.position,
            batch.size,
            &promise.tree_leaf(),
            &proof,
            &batch.root,
        )?;
        Ok(batch.terms)
    }
}

fn terms(
    log: &VerifierKey,
    origin: &str,
    time: &str,
    max_delay: &str,
    form: &'static str,
) -> Result<Terms, ReceiptError> {
    if origin != log.name() {
        return Err(ReceiptError::WrongLog {
            expected: log.name().to_owned(),
            found: origin.to_owned(),
        });
    }
    Ok(Terms {
        origin: origin.to_owned(),
        time: time.parse().map_err(|_| ReceiptError::Malformed(form))?,
        max_delay: max_delay
            .parse()
            .map_err(|_| ReceiptError::Malformed(form))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::KeyType;

    fn key() -> SignerKey {
        SignerKey::from_seed("bk.example/log", KeyType::Ed25519, &[9; 32]).unwrap()
    }

    fn promises(n: u64) -> Vec<Promise> {
        (0..n)
            .map(|i| Promise {
                index: 100 + 3 * i,
                leaf: merkle::leaf_hash(&i.to_be_bytes()),
            })
            .collect()
    }

    #[test]
    fn a_one_entry_receipt_states_its_promise_in_the_text() {
        let key = key();
        let p = promises(1)[0];
        let signed = sign(&key, &p, 1_800_000_000, 2).unwrap();
        let opened = note::open(&signed, &[key.verifier()]).unwrap();
        assert_eq!(
            opened.text,
            format!(
                "tally/receipt/v1\nbk.example/log\n{}\n100\n1800000000\n2\n",
                p.leaf
            )
            .into_bytes()
        );
        let (promise, terms) = open(&key.verifier(), &signed).unwrap();
        assert_eq!(
            (promise, terms.time, terms.max_delay),
            (p, 1_800_000_000, 2)
        );
        let other = SignerKey::from_seed("bk.example/log", KeyType::Ed25519, &[8; 32]).unwrap();
        assert!(matches!(
            open(&other.verifier(), &signed),
            Err(ReceiptError::Signature(_))
        ));
    }

    #[test]
    fn each_entry_of_a_batch_proves_its_own_promise() {
        let key = key();
        for n in [1, 2, 3, 7, 8, 256, 1000] {
            let ps = promises(n);
            let signed = sign_batch(&key, &ps, 1_800_000_000, 2).unwrap();
            let batch = open_batch(&key.verifier(), &signed).unwrap();
            assert_eq!(batch.size, n);
            let receipts = batch.receipts_for(&ps).unwrap();
            for (r, p) in receipts.iter().zip(&ps) {
                let again = EntryReceipt::from_json(&r.to_json()).unwrap();
                assert_eq!(
                    again.verify(&key.verifier(), p).unwrap().time,
                    1_800_000_000
                );
                // The same receipt does not prove another index or another entry.
                let moved = Promise {
                    index: p.index + 1,
                    ..*p
                };
                assert!(again.verify(&key.verifier(), &moved).is_err());
                let other = Promise {
                    leaf: merkle::leaf_hash(b"other"),
                    ..*p
                };
                assert!(again.verify(&key.verifier(), &other).is_err());
            }
        }
    }

    #[test]
    fn a_batch_must_cover_exactly_what_was_sent_in_order() {
        let key = key();
        let ps = promises(5);
        let batch = open_batch(
            &key.verifier(),
            &sign_batch(&key, &ps, 1_800_000_000, 2).unwrap(),
        )
        .unwrap();
        let mut swapped = ps.clone();
        swapped.swap(1, 2);
        assert_eq!(batch.receipts_for(&swapped), Err(ReceiptError::Mismatch));
        assert_eq!(batch.receipts_for(&ps[..4]), Err(ReceiptError::Mismatch));
        let mut reindexed = ps.clone();
        reindexed[4].index += 1;
        assert_eq!(batch.receipts_for(&reindexed), Err(ReceiptError::Mismatch));
    }

    #[test]
    fn a_receipt_from_another_log_or_of_another_form_is_refused() {
        let key = key();
        let ps = promises(2);
        let batch = sign_batch(&key, &ps, 1, 2).unwrap();
        let single = sign(&key, &ps[0], 1, 2).unwrap();
        assert_eq!(
            open_batch(&key.verifier(), &single),
            Err(ReceiptError::Malformed(BATCH_HEADER))
        );
        assert_eq!(
            open(&key.verifier(), &batch).map(|_| ()),
            Err(ReceiptError::Malformed(RECEIPT_HEADER))
        );
        // A log key named for another origin: the text names this one.
        let renamed = SignerKey::from_seed("bk2.example/log", KeyType::Ed25519, &[9; 32]).unwrap();
        let wrong = sign_batch(&renamed, &ps, 1, 2).unwrap();
        let text = note::open(&wrong, &[renamed.verifier()]).unwrap().text;
        let forged_text = String::from_utf8(text)
            .unwrap()
            .replace("bk2.example/log", "bk3.example/log");
        let forged = note::sign(forged_text.as_bytes(), std::slice::from_ref(&renamed), 0).unwrap();
        assert!(matches!(
            open_batch(&renamed.verifier(), &forged),
            Err(ReceiptError::WrongLog { .. })
        ));
    }

    #[test]
    fn max_delay_covers_two_intervals_in_whole_seconds() {
        assert_eq!(max_delay_seconds(1000), 2);
        assert_eq!(max_delay_seconds(100), 1);
        assert_eq!(max_delay_seconds(1600), 4);
    }
}
