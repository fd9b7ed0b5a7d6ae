//! Ed25519 signature checks collected for one batch verification.
//!
//! A light client checks dozens of signatures per verdict (checkpoints, cosignatures, entries);
//! verifying them as one batch costs roughly half as much as one by one. A batch only answers "all
//! valid or not": when it fails, callers re-run their one-by-one path to name the culprit, so the
//! batch is a fast path, never the source of an error message.
//!
//! Batch and single (cofactorless) verification can disagree only on signatures with small-order
//! components, which cannot be produced without the signer's own valid signature on the same message;
//! parties that must agree with each other (witnesses, bookkeepers) verify one by one instead.

use ed25519_dalek::{Signature, VerifyingKey};

/// Pending signature checks.
#[derive(Debug, Default, Clone)]
pub struct SignatureBatch {
    keys: Vec<VerifyingKey>,
    messages: Vec<Vec<u8>>,
    signatures: Vec<Signature>,
}

impl SignatureBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one check.
    pub fn push(&mut self, key: VerifyingKey, message: Vec<u8>, signature: Signature) {
        self.keys.push(key);
        self.messages.push(message);
        self.signatures.push(signature);
    }

    /// Moves every check of `other` into this batch.
    pub fn append(&mut self, other: &mut SignatureBatch) {
        self.keys.append(&mut other.keys);
        self.messages.append(&mut other.messages);
        self.signatures.append(&mut other.signatures);
    }

    /// Number of pending checks.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no check is pending.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// True if every signature in the batch is valid (an empty batch is).
    pub fn verify(&self) -> bool {
        if self.is_empty() {
            return true;
        }
        let msgs: Vec<&[u8]> = self.messages.iter().map(Vec::as_slice).collect();
        ed25519_dalek::verify_batch(&msgs, &self.signatures, &self.keys).is_ok()
    }
}
