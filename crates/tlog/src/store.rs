//! Proof generation from a tree store.
//!
//! Storage keeps every tree node in the stored-hash order of Go's `sumdb/tlog` (Crosby–Wallach), which
//! `tlog_tiles` implements: appending leaf `n` writes the O(log n) hashes that [`tlog_tiles::stored_hashes`]
//! returns, and any [`HashReader`] can then produce proofs for any earlier tree size. [`MemoryStore`] is
//! the in-memory store used by tests and benchmarks; a bookkeeper's database implements the same
//! `HashReader` trait, so both use [`inclusion_proof`] and [`consistency_proof`] below.

use crate::merkle::leaf_hash;
use thiserror::Error;
use tlog_tiles::{Hash, HashReader};

/// A proof could not be produced.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("tree size {size} is larger than the store ({stored} leaves)")]
    SizeBeyondStore { size: u64, stored: u64 },
    #[error("cannot prove leaf {index} in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("cannot prove consistency from {old} to {new}")]
    BadSizes { old: u64, new: u64 },
    #[error("hash store: {0}")]
    Store(#[from] tlog_tiles::tlog::Error),
}

/// Inclusion proof (audit path, leaf sibling first) for leaf `index` in the tree of `size` leaves.
pub fn inclusion_proof<R: HashReader>(
    r: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, StoreError> {
    if index >= size {
        return Err(StoreError::IndexOutOfRange { index, size });
    }
    Ok(tlog_tiles::prove_record(size, index, r)?)
}

/// Consistency proof from the tree of `old` leaves to the tree of `new` leaves (`0 < old <= new`).
pub fn consistency_proof<R: HashReader>(
    r: &R,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, StoreError> {
    if old == 0 || old > new {
        return Err(StoreError::BadSizes { old, new });
    }
    Ok(tlog_tiles::prove_tree(new, old, r)?)
}

/// An append-only tree held in memory: every stored hash, in `tlog_tiles` order.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends an entry and returns its leaf index.
    pub fn append(&mut self, entry: &[u8]) -> Result<u64, StoreError> {
        self.append_leaf_hash(leaf_hash(entry))
    }

    /// Appends an already-hashed leaf and returns its index.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, StoreError> {
        let new = tlog_tiles::stored_hashes_for_record_hash(self.size, leaf, self)?;
        self.hashes.extend(new);
        self.size += 1;
        Ok(self.size - 1)
    }

    /// Root of the tree of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, StoreError> {
        self.check_size(size)?;
        Ok(tlog_tiles::tree_hash(size, self)?)
    }

    /// Inclusion proof for leaf `index` in the tree of `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.check_size(size)?;
        inclusion_proof(self, index, size)
    }

    /// Consistency proof from `old` to `new` leaves.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, StoreError> {
        self.check_size(new)?;
        consistency_proof(self, old, new)
    }

    fn check_size(&self, size: u64) -> Result<(), StoreError> {
        if size > self.size {
            return Err(StoreError::SizeBeyondStore {
                size,
                stored: self.size,
            });
        }
        Ok(())
    }
}

impl HashReader for MemoryStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::tlog::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or(tlog_tiles::tlog::Error::IndexesNotInTree)
            })
            .collect()
    }
}
