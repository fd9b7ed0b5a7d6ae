//! The SQLite store's tree agrees with `tally_tlog`'s in-memory store: same roots, same proofs, and the
//! proofs verify.

use tally_logstore::{LogStore, SqliteStore};
use tally_tlog::merkle::{verify_consistency, verify_inclusion};
use tally_tlog::store::{consistency_proof, inclusion_proof};
use tally_tlog::{leaf_hash, CompactTree, MemoryStore};

fn entry(i: u64) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

/// Both stores filled with `n` entries, the SQLite one in batches of irregular sizes.
fn stores(n: u64) -> (SqliteStore, MemoryStore) {
    let mut sql = SqliteStore::open_in_memory().unwrap();
    let mut mem = MemoryStore::new();
    let (mut next, mut batch) = (0, 1);
    while next < n {
        let end = (next + batch).min(n);
        let entries: Vec<Vec<u8>> = (next..end).map(entry).collect();
        let indices = sql.append(&entries).unwrap();
        assert_eq!(indices, (next..end).collect::<Vec<_>>());
        for e in &entries {
            mem.append(e).unwrap();
        }
        next = end;
        batch = batch * 3 % 17 + 1;
    }
    (sql, mem)
}

#[test]
fn roots_equal_memory_store_for_every_size() {
    let n = 300;
    let (sql, mem) = stores(n);
    assert_eq!(sql.size().unwrap(), n);
    let mut compact = CompactTree::new();
    for size in 0..=n {
        let root = sql.root(size).unwrap();
        assert_eq!(root.0, mem.root(size).unwrap().0, "size {size}");
        assert_eq!(root.0, compact.root().0, "size {size}");
        if size < n {
            compact.push(leaf_hash(&entry(size)));
        }
    }
    assert!(sql.root(n + 1).is_err());
}

#[test]
fn inclusion_proofs_equal_memory_store_and_verify() {
    let n = 130;
    let (sql, mem) = stores(n);
    for size in 1..=n {
        let root = sql.root(size).unwrap();
        for index in (0..size).step_by(7).chain([size - 1]) {
            let proof = inclusion_proof(&sql, index, size).unwrap();
            let expected = mem.inclusion_proof(index, size).unwrap();
            assert_eq!(
                proof.iter().map(|h| h.0).collect::<Vec<_>>(),
                expected.iter().map(|h| h.0).collect::<Vec<_>>(),
                "leaf {index} of {size}"
            );
            let leaf = sql.leaf_hash(index).unwrap().unwrap();
            verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
        }
    }
    assert!(inclusion_proof(&sql, 0, n + 1).is_err());
}

#[test]
fn consistency_proofs_equal_memory_store_and_verify() {
    let n = 70;
    let (sql, mem) = stores(n);
    for new in 1..=n {
        let new_root = sql.root(new).unwrap();
        for old in 1..=new {
            let proof = consistency_proof(&sql, old, new).unwrap();
            let expected = mem.consistency_proof(old, new).unwrap();
            assert_eq!(
                proof.iter().map(|h| h.0).collect::<Vec<_>>(),
                expected.iter().map(|h| h.0).collect::<Vec<_>>(),
                "{old} -> {new}"
            );
            verify_consistency(old, new, &sql.root(old).unwrap(), &new_root, &proof).unwrap();
        }
    }
}

#[test]
fn entries_and_hashes_read_back() {
    let (sql, _) = stores(40);
    assert_eq!(sql.entry(5).unwrap(), Some(entry(5)));
    assert_eq!(sql.entry(40).unwrap(), None);
    assert_eq!(
        sql.entries(10..13).unwrap(),
        vec![entry(10), entry(11), entry(12)]
    );
    assert_eq!(sql.entries(40..40).unwrap(), Vec::<Vec<u8>>::new());
    assert!(
        sql.entries(38..41).is_err(),
        "a short range must not pass as complete"
    );
    assert_eq!(sql.leaf_hash(7).unwrap().unwrap().0, leaf_hash(&entry(7)).0);
    assert!(sql.leaf_hash(40).unwrap().is_none());
}

#[test]
fn works_as_a_trait_object() {
    let (sql, mem) = stores(9);
    let store: Box<dyn LogStore> = Box::new(sql);
    assert_eq!(store.root(9).unwrap().0, mem.root(9).unwrap().0);
}
