//! The store's contract: durability across reopen, all-or-nothing batches, duplicates, lookup keys,
//! checkpoints, witness compare-and-swap, evidence and the outbox.

use tally_logstore::{LogStore, SqliteStore, StoreError, WitnessState, MAX_ENTRY_BYTES};
use tally_tlog::leaf_hash;
use tally_tlog::merkle::verify_inclusion;
use tally_tlog::store::inclusion_proof;
use tally_tlog::HashReader;

fn batch(from: u64, to: u64) -> Vec<Vec<u8>> {
    (from..to)
        .map(|i| format!("entry {i}").into_bytes())
        .collect()
}

fn temp_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sqlite");
    (dir, path)
}

/// Everything a test can observe of the log's tree and entries.
fn snapshot(store: &SqliteStore) -> (u64, [u8; 32], Vec<Vec<u8>>) {
    let size = store.size().unwrap();
    (
        size,
        store.root(size).unwrap().0,
        store.entries(0..size).unwrap(),
    )
}

#[test]
fn data_survives_close_and_reopen() {
    let (_dir, path) = temp_db();
    let before = {
        let mut store = SqliteStore::open(&path).unwrap();
        store.append(&batch(0, 100)).unwrap();
        store.append(&batch(100, 150)).unwrap();
        store.set_checkpoint(150, b"checkpoint 150").unwrap();
        snapshot(&store)
    };
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(snapshot(&store), before);
    assert_eq!(
        store.latest_checkpoint().unwrap(),
        Some((150, b"checkpoint 150".to_vec()))
    );
    let proof = inclusion_proof(&store, 42, 150).unwrap();
    let leaf = store.leaf_hash(42).unwrap().unwrap();
    verify_inclusion(42, 150, &leaf, &proof, &store.root(150).unwrap()).unwrap();
    // Appending continues the same tree.
    assert_eq!(store.append(&batch(150, 151)).unwrap(), vec![150]);
}

#[test]
fn failed_batch_leaves_store_unchanged() {
    let (_dir, path) = temp_db();
    let mut store = SqliteStore::open(&path).unwrap();
    store.append(&batch(0, 10)).unwrap();
    store.index_keys(3, &["k".to_string()]).unwrap();
    let before = snapshot(&store);

    // The oversized entry comes after others were already inserted in the transaction.
    let mut bad = batch(10, 20);
    bad.insert(5, vec![0; MAX_ENTRY_BYTES + 1]);
    let keys = vec![vec!["k".to_string()]; bad.len()];
    match store.append_with_keys(&bad, &keys) {
        Err(StoreError::EntryTooLarge { position: 5, len }) => assert_eq!(len, MAX_ENTRY_BYTES + 1),
        other => panic!("expected EntryTooLarge, got {other:?}"),
    }
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.lookup("k").unwrap(), vec![3]);
    assert!(store.index_of(&leaf_hash(&bad[0])).unwrap().is_none());
    assert!(hashes_end_at_size(&store));

    // The largest allowed entry is fine, and the log continues where it was.
    let ok = vec![vec![7; MAX_ENTRY_BYTES]];
    assert_eq!(store.append(&ok).unwrap(), vec![10]);
    drop(store);
    assert_eq!(SqliteStore::open(&path).unwrap().size().unwrap(), 11);
}

/// The stored hashes end exactly where the tree's size says (no leftovers of a failed batch).
fn hashes_end_at_size(store: &SqliteStore) -> bool {
    let next = tlog_tiles::stored_hash_index(0, store.size().unwrap());
    (next == 0 || store.read_hashes(&[next - 1]).is_ok()) && store.read_hashes(&[next]).is_err()
}

#[test]
fn keys_mismatch_is_rejected() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let err = store
        .append_with_keys(&batch(0, 3), &[vec![], vec![]])
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::KeysMismatch {
            entries: 3,
            keys: 2
        }
    ));
    assert_eq!(store.size().unwrap(), 0);
}

#[test]
fn duplicates_are_detected_and_skipped() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    store.append(&batch(0, 5)).unwrap();
    let root = store.root(5).unwrap().0;
    let dup = batch(2, 3).remove(0);
    assert_eq!(store.index_of(&leaf_hash(&dup)).unwrap(), Some(2));
    assert_eq!(store.index_of(&leaf_hash(b"never logged")).unwrap(), None);
    // Many at once, in order, from one snapshot.
    let asked: Vec<_> = [b"entry 4".as_slice(), b"never logged", b"entry 0"]
        .iter()
        .map(|e| leaf_hash(e))
        .collect();
    assert_eq!(
        store.indices_of(&asked).unwrap(),
        vec![Some(4), None, Some(0)]
    );

    // A resubmission gets its original index back; nothing is appended.
    assert_eq!(store.append(std::slice::from_ref(&dup)).unwrap(), vec![2]);
    assert_eq!((store.size().unwrap(), store.root(5).unwrap().0), (5, root));

    // Mixed with new entries, and repeated inside one batch.
    let new = b"new".to_vec();
    let indices = store
        .append(&[new.clone(), dup, new.clone(), b"newer".to_vec()])
        .unwrap();
    assert_eq!(indices, vec![5, 2, 5, 6]);
    assert_eq!(store.size().unwrap(), 7);
    assert_eq!(store.entries(5..7).unwrap(), vec![new, b"newer".to_vec()]);
}

#[test]
fn lookup_keys() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let gtin = "https://id.gs1.org/01/09506000134352/10/LOT1".to_string();
    let gln = "urn:epc:id:sgln:9506000.13435.0".to_string();
    let keys = vec![vec![gtin.clone(), gln.clone()], vec![], vec![gtin.clone()]];
    store.append_with_keys(&batch(0, 3), &keys).unwrap();
    assert_eq!(store.lookup(&gtin).unwrap(), vec![0, 2]);
    assert_eq!(store.lookup(&gln).unwrap(), vec![0]);
    assert!(store.lookup("unknown").unwrap().is_empty());

    store.index_keys(1, &[gln.clone(), gln.clone()]).unwrap();
    store.index_keys(0, std::slice::from_ref(&gln)).unwrap();
    assert_eq!(store.lookup(&gln).unwrap(), vec![0, 1]);
    assert!(matches!(
        store.index_keys(3, std::slice::from_ref(&gln)),
        Err(StoreError::NoSuchEntry {
            index: 3,
            stored: 3
        })
    ));

    // A duplicate's keys are added to the original.
    store
        .append_with_keys(&batch(1, 2), &[vec!["extra".to_string()]])
        .unwrap();
    assert_eq!(store.lookup("extra").unwrap(), vec![1]);
}

#[test]
fn checkpoints_never_regress() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    assert_eq!(store.latest_checkpoint().unwrap(), None);
    store.append(&batch(0, 10)).unwrap();
    store.set_checkpoint(4, b"four").unwrap();
    store.set_checkpoint(10, b"ten").unwrap();
    store.set_checkpoint(10, b"ten, cosigned").unwrap();
    assert!(matches!(
        store.set_checkpoint(11, b"eleven"),
        Err(StoreError::BeyondLog {
            size: 11,
            stored: 10
        })
    ));
    assert!(matches!(
        store.set_checkpoint(9, b"nine"),
        Err(StoreError::CheckpointRegress {
            size: 9,
            latest: 10
        })
    ));
    assert_eq!(
        store.latest_checkpoint().unwrap(),
        Some((10, b"ten, cosigned".to_vec()))
    );
}

fn state(size: u64, tag: u8) -> WitnessState {
    WitnessState {
        size,
        root: [tag; 32],
        note: vec![tag; 3],
    }
}

#[test]
fn witness_compare_and_swap() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let origin = "example.com/log";
    assert_eq!(store.witness_state(origin).unwrap(), None);

    // With no state, only `None` matches.
    assert!(!store
        .compare_and_swap_witness_state(origin, Some(0), &state(5, 1))
        .unwrap());
    assert_eq!(store.witness_state(origin).unwrap(), None);
    assert!(store
        .compare_and_swap_witness_state(origin, None, &state(5, 1))
        .unwrap());
    assert_eq!(store.witness_state(origin).unwrap(), Some(state(5, 1)));

    // A wrong expected size (or `None` once a state exists) changes nothing.
    for wrong in [None, Some(4), Some(6)] {
        assert!(!store
            .compare_and_swap_witness_state(origin, wrong, &state(9, 2))
            .unwrap());
        assert_eq!(store.witness_state(origin).unwrap(), Some(state(5, 1)));
    }
    assert!(store
        .compare_and_swap_witness_state(origin, Some(5), &state(9, 2))
        .unwrap());
    assert_eq!(store.witness_state(origin).unwrap(), Some(state(9, 2)));
    // Other origins are independent.
    assert_eq!(store.witness_state("other.example/log").unwrap(), None);
}

#[test]
fn evidence_is_kept_in_order() {
    let (_dir, path) = temp_db();
    {
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store
                .record_evidence("a", b"old", b"new", "fork at 3")
                .unwrap(),
            1
        );
        assert_eq!(
            store.record_evidence("b", b"o", b"n", "rollback").unwrap(),
            2
        );
    }
    let store = SqliteStore::open(&path).unwrap();
    let evidence = store.evidence().unwrap();
    assert_eq!(evidence.len(), 2);
    assert_eq!(
        (
            evidence[0].id,
            evidence[0].origin.as_str(),
            evidence[0].reason.as_str()
        ),
        (1, "a", "fork at 3")
    );
    assert_eq!(
        (&evidence[0].old_note[..], &evidence[0].new_note[..]),
        (&b"old"[..], &b"new"[..])
    );
    assert!(evidence[0].recorded_at > 1_700_000_000);
    assert_eq!(evidence[1].origin, "b");
}

#[test]
fn outbox_survives_reopen() {
    let (_dir, path) = temp_db();
    {
        let mut store = SqliteStore::open(&path).unwrap();
        store.append(&batch(0, 10)).unwrap();
        store.enqueue("peer-a", &[3, 1, 2, 1]).unwrap();
        store.enqueue("peer-b", &[0, 9]).unwrap();
        assert!(matches!(
            store.enqueue("peer-a", &[4, 10]),
            Err(StoreError::NoSuchEntry {
                index: 10,
                stored: 10
            })
        ));
        store.mark_sent("peer-a", &[1, 8]).unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.pending("peer-a", 10).unwrap(), vec![2, 3]);
    assert_eq!(store.pending("peer-a", 1).unwrap(), vec![2]);
    assert_eq!(store.pending("peer-b", 10).unwrap(), vec![0, 9]);
    assert!(store.pending("peer-c", 10).unwrap().is_empty());
    store.mark_sent("peer-a", &[2, 3]).unwrap();
    assert!(store.pending("peer-a", 10).unwrap().is_empty());
}

#[test]
fn reopening_a_newer_schema_fails() {
    let (_dir, path) = temp_db();
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::SchemaTooNew {
            found: 99,
            known: 1
        })
    ));
}

#[test]
fn corrupt_hash_is_an_error_not_a_panic() {
    let (_dir, path) = temp_db();
    let mut store = SqliteStore::open(&path).unwrap();
    store.append(&batch(0, 4)).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    // Bypass the CHECK constraint the way a damaged file would.
    conn.pragma_update(None, "ignore_check_constraints", true)
        .unwrap();
    conn.execute("UPDATE hashes SET hash = x'00'", []).unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.root(4).is_err());
    assert!(inclusion_proof(&store, 0, 4).is_err());
}

#[test]
fn append_and_enqueue_queues_only_new_entries_in_the_same_transaction() {
    let (_dir, path) = temp_db();
    let peers = ["peer-a".to_string(), "peer-b".to_string()];
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let first = store.append_and_enqueue(&batch(0, 3), &[], &peers).unwrap();
        assert_eq!(first, vec![0, 1, 2]);
        store.mark_sent("peer-a", &[0, 1, 2]).unwrap();
        // Entry 1 again (a resubmission) and two new ones: only the new ones are queued.
        let again = store.append_and_enqueue(&batch(1, 5), &[], &peers).unwrap();
        assert_eq!(again, vec![1, 2, 3, 4]);
        // A failing batch (one entry too large) queues nothing and appends nothing.
        let mut bad = batch(5, 7);
        bad.push(vec![0; MAX_ENTRY_BYTES + 1]);
        assert!(store.append_and_enqueue(&bad, &[], &peers).is_err());
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.size().unwrap(), 5);
    assert_eq!(store.pending("peer-a", 10).unwrap(), vec![3, 4]);
    assert_eq!(store.pending("peer-b", 10).unwrap(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn a_reader_sees_every_committed_append_and_cannot_write() {
    let (_dir, path) = temp_db();
    let mut writer = SqliteStore::open(&path).unwrap();
    writer.append(&batch(0, 10)).unwrap();
    writer.set_checkpoint(10, b"checkpoint 10").unwrap();
    let mut reader = SqliteStore::open_reader(&path).unwrap();
    assert_eq!(snapshot(&reader), snapshot(&writer));
    writer.append(&batch(10, 20)).unwrap();
    assert_eq!(reader.size().unwrap(), 20);
    let proof = inclusion_proof(&reader, 15, 20).unwrap();
    let root = reader.root(20).unwrap();
    verify_inclusion(15, 20, &leaf_hash(b"entry 15"), &proof, &root).unwrap();
    assert!(matches!(
        reader.append(&batch(20, 21)),
        Err(StoreError::Database(_))
    ));
    assert_eq!(writer.size().unwrap(), 20);
}

#[test]
fn a_read_in_one_snapshot_does_not_see_appends_made_while_it_runs() {
    let (_dir, path) = temp_db();
    let mut writer = SqliteStore::open(&path).unwrap();
    writer.append(&batch(0, 10)).unwrap();
    let reader = SqliteStore::open_reader(&path).unwrap();
    let seen = reader
        .snapshot(|r| {
            let before = r.size()?;
            writer.append(&batch(10, 20))?;
            // Nested: runs in the same snapshot.
            let nested = r.snapshot(|r| r.size())?;
            Ok::<_, StoreError>((before, r.size()?, nested, r.entry(15)?))
        })
        .unwrap();
    assert_eq!(seen, (10, 10, 10, None));
    // The snapshot ended with the read: the next one sees the append.
    assert_eq!(reader.snapshot(|r| r.size()).unwrap(), 20);
    assert_eq!(reader.size().unwrap(), 20);
    // An error inside ends the snapshot too.
    let failed: Result<u64, StoreError> = reader.snapshot(|_| {
        Err(StoreError::BeyondLog {
            size: 30,
            stored: 20,
        })
    });
    assert!(failed.is_err());
    writer.append(&batch(20, 21)).unwrap();
    assert_eq!(reader.snapshot(|r| r.size()).unwrap(), 21);
}

#[test]
fn a_reader_refuses_a_database_the_writer_has_not_migrated() {
    let (_dir, path) = temp_db();
    drop(rusqlite::Connection::open(&path).unwrap());
    assert!(matches!(
        SqliteStore::open_reader(&path),
        Err(StoreError::SchemaTooOld { found: 0, known: 1 })
    ));
}

#[test]
fn readers_sharing_a_cache_of_the_upper_levels_prove_exactly_what_the_database_holds() {
    let (_dir, path) = temp_db();
    let mut writer = SqliteStore::open(&path).unwrap();
    writer.append(&batch(0, 3000)).unwrap();
    let cache = std::sync::Arc::new(tally_logstore::HashCache::new());
    let a = cached_reader(&path, &cache);
    let b = cached_reader(&path, &cache);
    let plain = SqliteStore::open_reader(&path).unwrap();
    for (size, index) in [(3000, 0), (3000, 2999), (2048, 1000), (1000, 999)] {
        for reader in [&a, &b] {
            assert_eq!(
                inclusion_proof(reader, index, size)
                    .unwrap()
                    .iter()
                    .map(|h| h.0)
                    .collect::<Vec<_>>(),
                inclusion_proof(&plain, index, size)
                    .unwrap()
                    .iter()
                    .map(|h| h.0)
                    .collect::<Vec<_>>()
            );
        }
    }
    let cached = cache.len();
    assert!(cached > 0, "upper-level hashes were cached");
    // The log grows: cached hashes stay right, and new ones are read from the database.
    writer.append(&batch(3000, 5000)).unwrap();
    let root = writer.root(5000).unwrap();
    let proof = inclusion_proof(&a, 4321, 5000).unwrap();
    verify_inclusion(4321, 5000, &leaf_hash(b"entry 4321"), &proof, &root).unwrap();
    assert!(cache.len() >= cached);
    // Hashes beyond the log are an error, not a cached guess.
    assert!(a.read_hashes(&[tlog_tiles_index_beyond()]).is_err());
}

#[test]
fn a_warmed_cache_holds_every_upper_level_hash_and_proves_what_the_database_does() {
    let (_dir, path) = temp_db();
    let mut writer = SqliteStore::open(&path).unwrap();
    writer.append(&batch(0, 5000)).unwrap();
    let cache = std::sync::Arc::new(tally_logstore::HashCache::new());
    let warmer = cached_reader(&path, &cache);
    let cached = warmer.warm_cache().unwrap();
    // Every complete node at the cached levels and above: 5000 >> level of them at each level.
    let expected: u64 = (tally_logstore::CACHED_LEVEL..13)
        .map(|l| 5000u64 >> l)
        .sum();
    assert_eq!(cached as u64, expected);
    assert_eq!(cache.len() as u64, expected);
    assert_eq!(
        SqliteStore::open_reader(&path)
            .unwrap()
            .warm_cache()
            .unwrap(),
        0,
        "no cache, nothing warmed"
    );
    // A reader on the warmed cache and one on the database alone give the same proofs, and
    // those verify against the log's root.
    let reader = cached_reader(&path, &cache);
    let plain = SqliteStore::open_reader(&path).unwrap();
    let root = writer.root(5000).unwrap();
    for index in [0, 15, 16, 255, 256, 4095, 4096, 4999] {
        let proof = inclusion_proof(&reader, index, 5000).unwrap();
        let direct = inclusion_proof(&plain, index, 5000).unwrap();
        assert_eq!(
            proof.iter().map(|h| h.0).collect::<Vec<_>>(),
            direct.iter().map(|h| h.0).collect::<Vec<_>>()
        );
        let leaf = leaf_hash(format!("entry {index}").as_bytes());
        verify_inclusion(index, 5000, &leaf, &proof, &root).unwrap();
    }
}

/// A read connection to `path` sharing `cache`, as a bookkeeper opens its readers.
fn cached_reader(
    path: &std::path::Path,
    cache: &std::sync::Arc<tally_logstore::HashCache>,
) -> SqliteStore {
    SqliteStore::open_reader(path)
        .unwrap()
        .with_cache(std::sync::Arc::clone(cache))
}

/// A stored-hash index at level 8 that a 5000-entry log does not have yet.
fn tlog_tiles_index_beyond() -> u64 {
    tlog_tiles::stored_hash_index(8, 1_000)
}

#[test]
fn an_identity_already_logged_makes_a_duplicate_in_the_batch_or_later() {
    let (_dir, path) = temp_db();
    let peers = ["peer".to_string()];
    let id = |s: &str| Some(s.to_owned());
    let keys = vec![vec!["k".to_string()]; 3];
    {
        let mut store = SqliteStore::open(&path).unwrap();
        // Entries 0 and 2 are one event serialised twice: 2 is not appended.
        let got = store
            .append_unique(
                &batch(0, 3),
                &keys,
                &[id("ev:a"), id("ev:b"), id("ev:a")],
                &peers,
            )
            .unwrap();
        assert_eq!(got, vec![0, 1, 0]);
        assert_eq!(store.size().unwrap(), 2);
        // Later, another serialisation again: the original's index, nothing appended or queued.
        let got = store
            .append_unique(&batch(5, 7), &[], &[id("ev:b"), None], &peers)
            .unwrap();
        assert_eq!(got, vec![1, 2]);
        assert_eq!(store.lookup("ev:a").unwrap(), vec![0]);
        assert_eq!(store.lookup("k").unwrap(), vec![0, 1]);
        assert!(store
            .append_unique(&batch(9, 10), &[], &[None, None], &peers)
            .is_err());
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.size().unwrap(), 3);
    assert_eq!(store.pending("peer", 10).unwrap(), vec![0, 1, 2]);
    assert_eq!(store.entry(2).unwrap().unwrap(), b"entry 6");
}

#[test]
fn lookup_by_leaf_orders_by_leaf_hash_whatever_the_log_order() {
    let (_dir, path) = temp_db();
    let mut store = SqliteStore::open(&path).unwrap();
    let entries = batch(0, 20);
    let keys = vec![vec!["lot".to_string()]; 20];
    store.append_with_keys(&entries, &keys).unwrap();
    let mut by_leaf: Vec<(Vec<u8>, u64)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (leaf_hash(e).0.to_vec(), i as u64))
        .collect();
    by_leaf.sort();
    let want: Vec<u64> = by_leaf.iter().take(3).map(|(_, i)| *i).collect();
    assert_eq!(store.lookup_by_leaf("lot", 3).unwrap(), want);
    assert!(store.lookup_by_leaf("none", 3).unwrap().is_empty());
    store.set_checkpoint(10, b"ten").unwrap();
    store.set_checkpoint(20, b"twenty").unwrap();
    assert_eq!(store.checkpoint_at(10).unwrap(), Some(b"ten".to_vec()));
    assert_eq!(store.checkpoint_at(11).unwrap(), None);
}
