//! RFC 6962 / RFC 9162 Merkle tree hashing and proof verification.
//!
//! The checks follow RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) step by step, without
//! recursion or allocation, because the light client runs them for every event of every history.

use sha2::{Digest, Sha256};
use thiserror::Error;
pub use tlog_tiles::Hash;

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1), not 32 zero bytes.
pub const EMPTY_ROOT: Hash = tlog_tiles::EMPTY_HASH;

/// Hash of a leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    tlog_tiles::record_hash(data)
}

/// Hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// Why a proof did not verify. Each variant names what a caller can act on.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("old size {old} is larger than new size {new}")]
    OldSizeLarger { old: u64, new: u64 },
    #[error("a consistency proof from an empty tree proves nothing (old size 0)")]
    EmptyOldTree,
    #[error("proof has the wrong number of hashes for these tree sizes")]
    WrongLength,
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
}

/// Verifies that `leaf` is the `index`-th leaf hash of the tree of `size` leaves with root `root`.
///
/// `proof` is the audit path from the leaf's sibling up to the root's child (RFC 9162 §2.1.3.1).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let computed = root_from_inclusion_proof(index, size, leaf, proof)?;
    if &computed == root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Computes the root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1–4).
///
/// Exposed separately because a witness or auditor may want the implied root of a proof before it
/// knows which checkpoint to compare it with.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    Ok(r)
}

/// Verifies that the tree of `new_size` with root `new_root` extends the tree of `old_size` with
/// root `old_root` (RFC 9162 §2.1.4.2).
///
/// An old size of 0 is an error here, as in RFC 9162 and the transparency-dev vectors: every tree
/// extends the empty tree, so such a proof carries no information. A witness that must accept
/// `old 0` (c2sp.org/tlog-witness) handles that case itself before calling this.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeLarger {
            old: old_size,
            new: new_size,
        });
    }
    if old_size == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // Step 2: when the old tree is a complete subtree, its root is the proof's implicit first node.
    let (first, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        (&proof[0], &proof[1..])
    };
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return Err(ProofError::WrongLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(ProofError::WrongLength);
    }
    if &fr == old_root && &sr == new_root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        let want: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(EMPTY_ROOT.0, want);
        assert_ne!(EMPTY_ROOT.0, [0u8; 32]);
    }

    #[test]
    fn node_hash_matches_tlog_tiles() {
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        assert_eq!(node_hash(&a, &b), tlog_tiles::node_hash(a, b));
    }
}
