//! The storage contract of a bookkeeper's log, independent of the database behind it.

use crate::StoreError;
use std::ops::Range;
use tlog_tiles::{Hash, HashReader};

/// What this bookkeeper, as a witness, last cosigned for one peer log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessState {
    /// Tree size of the cosigned checkpoint.
    pub size: u64,
    /// Root hash of the cosigned checkpoint (raw bytes, since `Hash` has no `Eq`/`Debug`).
    pub root: [u8; 32],
    /// The checkpoint note as cosigned, verbatim.
    pub note: Vec<u8>,
}

/// Two checkpoints of a peer log that together prove it misbehaved, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Order of recording, starting at 1.
    pub id: u64,
    /// Origin line of the offending log.
    pub origin: String,
    /// The checkpoint note previously seen (cosigned).
    pub old_note: Vec<u8>,
    /// The checkpoint note that contradicts it.
    pub new_note: Vec<u8>,
    /// Why the pair is evidence, in words (for example "fork at size 42").
    pub reason: String,
    /// When it was recorded, in Unix seconds (database clock).
    pub recorded_at: i64,
}

/// Durable storage of one bookkeeper's log.
///
/// # Durability and atomicity
/// Every method that changes state is one transaction: it either takes full effect or none, also if the
/// process or machine crashes while it runs, and when it returns `Ok` the change is on stable storage.
/// Reads see every change that returned `Ok` before them.
///
/// # Tree hashes
/// The store keeps every stored hash in `tlog_tiles` (Go `sumdb/tlog`) order and implements
/// [`HashReader`], so `tally_tlog::store::inclusion_proof` and `consistency_proof` work on it directly.
/// A `HashReader` error means the requested hashes are not stored (`IndexesNotInTree`, for a size
/// beyond the log) or the database failed (`InvalidInput` carrying the database error's text, the only
/// free-form variant `tlog_tiles` offers).
pub trait LogStore: HashReader {
    /// Appends a batch of entries and returns their leaf indices, in batch order.
    ///
    /// Atomic: the entries, their leaf hashes and all new stored hashes are written in one transaction,
    /// and an error (for example an entry over [`crate::MAX_ENTRY_BYTES`], anywhere in the batch)
    /// leaves the store unchanged. Durable once it returns `Ok`.
    ///
    /// Duplicates are skipped, not rejected: an entry whose leaf hash is already in the log (or earlier
    /// in the same batch) is not appended again and its original index is returned, so a resubmission
    /// gets the original receipt and one duplicate cannot fail a batch of other submitters' entries.
    /// Indices at or above the size before the call are the newly appended ones.
    fn append(&mut self, entries: &[Vec<u8>]) -> Result<Vec<u64>, StoreError> {
        self.append_with_keys(entries, &[])
    }

    /// [`append`](Self::append), also adding lookup keys per entry in the same transaction, so an
    /// entry is never durable without its index entries.
    ///
    /// `keys` is either empty (no keys) or holds one key list per entry (else
    /// [`StoreError::KeysMismatch`]). A duplicate's keys are added to the original entry.
    fn append_with_keys(
        &mut self,
        entries: &[Vec<u8>],
        keys: &[Vec<String>],
    ) -> Result<Vec<u64>, StoreError> {
        self.append_and_enqueue(entries, keys, &[])
    }

    /// [`append_with_keys`](Self::append_with_keys), also queueing every newly appended entry for
    /// each peer in `peers` ([`enqueue`](Self::enqueue)) in the same transaction.
    ///
    /// One transaction is what makes broadcast survive a crash: an entry is never durable (and so
    /// never receipted) without its place in every peer's outbox. Duplicates are not queued again.
    fn append_and_enqueue(
        &mut self,
        entries: &[Vec<u8>],
        keys: &[Vec<String>],
        peers: &[String],
    ) -> Result<Vec<u64>, StoreError> {
        self.append_unique(entries, keys, &[], peers)
    }

    /// [`append_and_enqueue`](Self::append_and_enqueue), where an entry may also carry an
    /// *identity*: a lookup key that at most one entry of the log may have. An entry whose
    /// identity is already in the log (or earlier in the batch) is a duplicate of that entry: it
    /// is not appended, its keys are not added, and the original's index is returned (whose leaf
    /// hash then differs from the entry's). The bookkeeper's identity is the CBV Event Hash ID,
    /// so one event serialised twice is logged once.
    ///
    /// `identities` is empty (none) or holds one per entry (else [`StoreError::KeysMismatch`]);
    /// an identity is also stored as one of the entry's lookup keys. Atomic with the append, so
    /// two submissions of one event can never both be logged.
    fn append_unique(
        &mut self,
        entries: &[Vec<u8>],
        keys: &[Vec<String>],
        identities: &[Option<String>],
        peers: &[String],
    ) -> Result<Vec<u64>, StoreError>;

    /// The indices of the first `limit` entries indexed under `key`, in ascending order of their
    /// *leaf hashes*: a choice every log holding the same entries makes alike, whatever order it
    /// holds them in.
    fn lookup_by_leaf(&self, key: &str, limit: usize) -> Result<Vec<u64>, StoreError>;

    /// The signed checkpoint note stored for tree size `size`, if the log signed one.
    fn checkpoint_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError>;

    /// Number of entries (leaves) in the log.
    fn size(&self) -> Result<u64, StoreError>;

    /// The bytes of entry `index`, or `None` beyond the log.
    fn entry(&self, index: u64) -> Result<Option<Vec<u8>>, StoreError>;

    /// The entries with indices in `range`, in order (what an entry bundle is built from).
    ///
    /// [`StoreError::BeyondLog`] if `range.end` is past the log: a short answer would look like a
    /// complete one.
    fn entries(&self, range: Range<u64>) -> Result<Vec<Vec<u8>>, StoreError>;

    /// The leaf hash of entry `index`, or `None` beyond the log.
    fn leaf_hash(&self, index: u64) -> Result<Option<Hash>, StoreError>;

    /// The index of the entry with this leaf hash, if it is in the log.
    fn index_of(&self, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        Ok(self
            .indices_of(std::slice::from_ref(leaf_hash))?
            .pop()
            .flatten())
    }

    /// [`Self::index_of`] for each of `leaf_hashes`, in order, all read from one snapshot of the
    /// log (a bundle's duplicate check: one read transaction instead of one per entry).
    fn indices_of(&self, leaf_hashes: &[Hash]) -> Result<Vec<Option<u64>>, StoreError>;

    /// The root hash of the tree of the first `size` entries (the empty-tree hash for 0).
    fn root(&self, size: u64) -> Result<Hash, StoreError> {
        let stored = self.size()?;
        if size > stored {
            return Err(StoreError::BeyondLog { size, stored });
        }
        Ok(tlog_tiles::tree_hash(size, &Unsized(self))?)
    }

    /// Adds lookup keys to entry `index` (for example after a new key scheme). Idempotent; durable.
    fn index_keys(&mut self, index: u64, keys: &[String]) -> Result<(), StoreError>;

    /// The indices of the entries indexed under `key`, ascending.
    fn lookup(&self, key: &str) -> Result<Vec<u64>, StoreError>;

    /// Stores the log's signed checkpoint note for tree size `size`; durable.
    ///
    /// `size` must not be beyond the log ([`StoreError::BeyondLog`]) nor below the latest stored
    /// checkpoint ([`StoreError::CheckpointRegress`]); storing the same size again replaces the note
    /// (for example with more cosignatures). The store does not parse the note.
    fn set_checkpoint(&mut self, size: u64, note: &[u8]) -> Result<(), StoreError>;

    /// The checkpoint with the largest size, as `(size, note)`.
    fn latest_checkpoint(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError>;

    /// What this bookkeeper last cosigned for the peer log `origin`.
    fn witness_state(&self, origin: &str) -> Result<Option<WitnessState>, StoreError>;

    /// Replaces the witness state of `origin` with `new` only if the stored size is `expected_old_size`
    /// (`None`: only if there is no state yet). Returns whether it replaced it; on `false` nothing was
    /// changed.
    ///
    /// Atomic (one conditional statement), so two concurrent cosigning requests cannot both advance
    /// from the same old state; durable. Whether `new` is consistent with the old state is the
    /// caller's check, done before calling.
    fn compare_and_swap_witness_state(
        &mut self,
        origin: &str,
        expected_old_size: Option<u64>,
        new: &WitnessState,
    ) -> Result<bool, StoreError>;

    /// Records evidence that the log `origin` misbehaved and returns its id; durable, never removed.
    fn record_evidence(
        &mut self,
        origin: &str,
        old_note: &[u8],
        new_note: &[u8],
        reason: &str,
    ) -> Result<u64, StoreError>;

    /// All recorded evidence, oldest first.
    fn evidence(&self) -> Result<Vec<Evidence>, StoreError>;

    /// Queues entries for sending to `peer`; idempotent; durable; all or nothing.
    ///
    /// Takes a list so a whole batch costs one transaction (one disk sync) rather than one per entry.
    /// [`StoreError::NoSuchEntry`] if an index is beyond the log.
    fn enqueue(&mut self, peer: &str, entry_indices: &[u64]) -> Result<(), StoreError>;

    /// Up to `limit` entry indices still queued for `peer`, ascending.
    fn pending(&self, peer: &str, limit: usize) -> Result<Vec<u64>, StoreError>;

    /// Removes entries from `peer`'s queue once sent; idempotent; durable; all or nothing.
    fn mark_sent(&mut self, peer: &str, entry_indices: &[u64]) -> Result<(), StoreError>;
}

/// Lends a possibly unsized `HashReader` (such as `dyn LogStore`) to `tlog_tiles`, whose functions
/// take sized readers.
struct Unsized<'a, R: ?Sized>(&'a R);

impl<R: HashReader + ?Sized> HashReader for Unsized<'_, R> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::tlog::Error> {
        self.0.read_hashes(indexes)
    }
}

/// Refuses a batch that no backend may append: key or identity lists that are neither empty nor
/// one per entry, or an entry longer than [`crate::MAX_ENTRY_BYTES`].
pub(crate) fn check_batch(
    entries: &[Vec<u8>],
    keys: &[Vec<String>],
    identities: &[Option<String>],
) -> Result<(), StoreError> {
    for given in [keys.len(), identities.len()] {
        if given != 0 && given != entries.len() {
            return Err(StoreError::KeysMismatch {
                entries: entries.len(),
                keys: given,
            });
        }
    }
    match entries
        .iter()
        .enumerate()
        .find(|(_, e)| e.len() > crate::MAX_ENTRY_BYTES)
    {
        Some((position, e)) => Err(StoreError::EntryTooLarge {
            position,
            len: e.len(),
        }),
        None => Ok(()),
    }
}
