//! An incremental Merkle tree that keeps only its right edge.
//!
//! A tree of `n` leaves is the concatenation of perfect subtrees, one per set bit of `n`. Keeping just
//! their roots ("a compact range") makes an append O(log n) hashes amortised O(1), and the root of the
//! current size costs at most ⌈log₂ n⌉ hashes. A bookkeeper uses it to compute the next checkpoint
//! root without reading old hashes back from disk; a client uses it to rebuild a root from entries.

use crate::merkle::{node_hash, EMPTY_ROOT};
use tlog_tiles::Hash;

/// The right edge of a Merkle tree: enough to append and to compute the root.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompactTree {
    size: u64,
    /// Roots of the perfect subtrees, largest (leftmost) first; one per set bit of `size`.
    peaks: Vec<Hash>,
}

impl CompactTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash (already `leaf_hash`ed).
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut n = self.size;
        // Each trailing 1 bit of the old size is a perfect subtree of the new leaf's size: merge them.
        while n & 1 == 1 {
            let left = self.peaks.pop().unwrap_or(EMPTY_ROOT);
            h = node_hash(&left, &h);
            n >>= 1;
        }
        self.peaks.push(h);
        self.size += 1;
    }

    /// The RFC 6962 root of the current tree (SHA-256("") when empty).
    pub fn root(&self) -> Hash {
        let mut iter = self.peaks.iter().rev();
        let Some(mut h) = iter.next().copied() else {
            return EMPTY_ROOT;
        };
        for left in iter {
            h = node_hash(left, &h);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;

    #[test]
    fn peaks_follow_the_bits_of_size() {
        let mut t = CompactTree::new();
        for i in 0u64..100 {
            t.push(leaf_hash(&i.to_be_bytes()));
            assert_eq!(t.peaks.len() as u32, t.size().count_ones());
        }
    }
}
