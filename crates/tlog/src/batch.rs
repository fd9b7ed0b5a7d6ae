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

/// Fewest signatures worth a sub-batch of their own (below it, splitting costs more than it saves).
const MIN_PART: usize = 128;

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
    ///
    /// A large batch is split into one sub-batch per core, verified in parallel (rayon): each
    /// sub-batch is still a batch (the cost per signature barely rises until a few dozen), and
    /// a long history's thousand signatures take half the time on two cores.
    pub fn verify(&self) -> bool {
        if self.is_empty() {
            return true;
        }
        let parts = rayon::current_num_threads().clamp(1, self.len().div_ceil(MIN_PART));
        let part = self.len().div_ceil(parts);
        let ranges: Vec<std::ops::Range<usize>> = (0..self.len())
            .step_by(part)
            .map(|start| start..(start + part).min(self.len()))
            .collect();
        // One part is verified on this thread: handing it to the pool would only add a wake-up.
        if let [only] = &ranges[..] {
            return self.verify_range(only.clone());
        }
        use rayon::prelude::*;
        ranges.into_par_iter().all(|r| self.verify_range(r))
    }

    fn verify_range(&self, r: std::ops::Range<usize>) -> bool {
        let msgs: Vec<&[u8]> = self.messages[r.clone()].iter().map(Vec::as_slice).collect();
        ed25519_dalek::verify_batch(&msgs, &self.signatures[r.clone()], &self.keys[r]).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn batch(n: usize, bad: Option<usize>) -> SignatureBatch {
        let mut b = SignatureBatch::new();
        for i in 0..n {
            let key = SigningKey::from_bytes(&[(i % 7) as u8 + 1; 32]);
            let msg = format!("message {i}").into_bytes();
            let signed = if Some(i) == bad { b"another" } else { &msg[..] };
            b.push(key.verifying_key(), msg.clone(), key.sign(signed));
        }
        b
    }

    #[test]
    fn a_bad_signature_fails_the_batch_in_whichever_part_it_falls() {
        assert!(SignatureBatch::new().verify());
        for n in [1, MIN_PART, 3 * MIN_PART + 5] {
            assert!(batch(n, None).verify(), "{n} valid signatures");
            for bad in [0, n / 2, n - 1] {
                assert!(
                    !batch(n, Some(bad)).verify(),
                    "signature {bad} of {n} is bad"
                );
            }
        }
    }
}
