//! The PostgreSQL store against a real PostgreSQL server (a temporary cluster on a free port):
//! every operation of the trait gives what the SQLite store gives for the same calls, byte for
//! byte, and what the trait promises on its own (atomic batches, durable across reconnecting,
//! checkpoints that never regress, versioned migrations).

use std::sync::Arc;
use tally_logstore::{HashCache, LogStore, PgStore, SqliteStore, StoreError, WitnessState};
use tally_testkit::postgres::Postgres;
use tally_tlog::store::{consistency_proof, inclusion_proof};
use tlog_tiles::HashReader as _;

fn batch(from: u64, to: u64) -> Vec<Vec<u8>> {
    (from..to)
        .map(|i| format!("entry {i}").into_bytes())
        .collect()
}

/// The same calls on any store; what each returned, as text, to compare two stores by.
fn exercise<S: LogStore>(s: &mut S) -> Vec<String> {
    let mut seen = Vec::new();
    let mut note = |what: &str, v: String| seen.push(format!("{what}: {v}"));
    // Batches with keys, identities, duplicates in and across batches, and peers' outboxes.
    let first = batch(0, 300);
    let keys: Vec<Vec<String>> = (0..300).map(|i| vec![format!("k{}", i % 7)]).collect();
    note(
        "append",
        format!(
            "{:?}",
            s.append_and_enqueue(&first, &keys, &["p1".into()]).unwrap()
        ),
    );
    let mut second = batch(290, 310);
    second.push(b"entry 305".to_vec());
    let ids: Vec<Option<String>> = (0..second.len())
        .map(|i| (i % 4 == 0).then(|| format!("id{}", i % 8)))
        .collect();
    note(
        "unique",
        format!(
            "{:?}",
            s.append_unique(&second, &[], &ids, &["p1".into(), "p2".into()])
                .unwrap()
        ),
    );
    let third = batch(400, 404);
    let again: Vec<Option<String>> = vec![
        Some("id0".into()),
        None,
        Some("id4".into()),
        Some("new".into()),
    ];
    note(
        "identities",
        format!("{:?}", s.append_unique(&third, &[], &again, &[]).unwrap()),
    );
    let size = s.size().unwrap();
    note("size", size.to_string());
    for n in [1, 2, 255, 256, 257, size] {
        note("root", format!("{n} {:?}", s.root(n).unwrap().0));
    }
    for (i, n) in [(0, 1), (5, 300), (299, size - 1), (size - 1, size)] {
        note(
            "inclusion",
            format!("{i} {n} {:?}", inclusion_proof(s, i, n).unwrap()),
        );
    }
    note(
        "consistency",
        format!("{:?}", consistency_proof(s, 17, size).unwrap()),
    );
    note("entries", format!("{:?}", s.entries(250..260).unwrap()));
    note(
        "beyond",
        format!("{:?}", s.entries(0..size + 1).err().map(|e| e.to_string())),
    );
    note(
        "entry",
        format!("{:?} {:?}", s.entry(3).unwrap(), s.entry(size).unwrap()),
    );
    note(
        "leaf",
        format!("{:?}", s.leaf_hash(7).unwrap().map(|h| h.0)),
    );
    let h = s.leaf_hash(9).unwrap().unwrap();
    note(
        "indices_of",
        format!(
            "{:?}",
            s.indices_of(&[h, tally_tlog::leaf_hash(b"no")]).unwrap()
        ),
    );
    note("lookup", format!("{:?}", s.lookup("k3").unwrap()));
    note(
        "lookup id",
        format!(
            "{:?} {:?}",
            s.lookup("id0").unwrap(),
            s.lookup("new").unwrap()
        ),
    );
    note(
        "by leaf",
        format!("{:?}", s.lookup_by_leaf("k5", 4).unwrap()),
    );
    s.index_keys(1, &["extra".into(), "k3".into()]).unwrap();
    note(
        "index_keys",
        format!(
            "{:?} {:?}",
            s.lookup("extra").unwrap(),
            s.index_keys(size, &["x".into()])
                .err()
                .map(|e| e.to_string())
        ),
    );
    // Checkpoints.
    s.set_checkpoint(10, b"ten").unwrap();
    s.set_checkpoint(size, b"latest").unwrap();
    note(
        "regress",
        format!(
            "{:?}",
            s.set_checkpoint(5, b"five").err().map(|e| e.to_string())
        ),
    );
    note(
        "beyond checkpoint",
        format!(
            "{:?}",
            s.set_checkpoint(size + 1, b"x")
                .err()
                .map(|e| e.to_string())
        ),
    );
    s.set_checkpoint(size, b"latest, cosigned").unwrap();
    note(
        "checkpoints",
        format!(
            "{:?} {:?} {:?}",
            s.checkpoint_at(10).unwrap(),
            s.checkpoint_at(11).unwrap(),
            s.latest_checkpoint().unwrap()
        ),
    );
    // Witness state, compare and swap.
    let state = |size: u64, tag: u8| WitnessState {
        size,
        root: [tag; 32],
        note: vec![tag],
    };
    note(
        "cas",
        format!(
            "{} {} {} {}",
            s.compare_and_swap_witness_state("log", None, &state(3, 1))
                .unwrap(),
            s.compare_and_swap_witness_state("log", None, &state(4, 2))
                .unwrap(),
            s.compare_and_swap_witness_state("log", Some(2), &state(5, 3))
                .unwrap(),
            s.compare_and_swap_witness_state("log", Some(3), &state(6, 4))
                .unwrap(),
        ),
    );
    note(
        "witness",
        format!(
            "{:?} {:?}",
            s.witness_state("log").unwrap(),
            s.witness_state("other").unwrap()
        ),
    );
    // Evidence, in order (its time is the database's clock: not compared).
    s.record_evidence("log", b"old", b"new", "fork").unwrap();
    s.record_evidence("log", b"a", b"b", "rollback").unwrap();
    let evidence: Vec<_> = s
        .evidence()
        .unwrap()
        .into_iter()
        .map(|e| (e.id, e.origin, e.old_note, e.new_note, e.reason))
        .collect();
    note("evidence", format!("{evidence:?}"));
    // The outbox.
    note(
        "pending",
        format!(
            "{:?} {:?}",
            s.pending("p1", 5).unwrap(),
            s.pending("p2", 100).unwrap().len()
        ),
    );
    s.mark_sent("p1", &[0, 1, 2]).unwrap();
    s.enqueue("p3", &[4, 2]).unwrap();
    note(
        "outbox",
        format!(
            "{:?} {:?} {:?}",
            s.pending("p1", 3).unwrap(),
            s.pending("p3", 9).unwrap(),
            s.enqueue("p3", &[size]).err().map(|e| e.to_string())
        ),
    );
    // A failed batch changes nothing.
    let mut bad = batch(500, 502);
    bad.push(vec![0; tally_logstore::MAX_ENTRY_BYTES + 1]);
    note(
        "too large",
        format!(
            "{:?} {}",
            s.append(&bad).err().map(|e| e.to_string()),
            s.size().unwrap()
        ),
    );
    note(
        "mismatch",
        format!(
            "{:?}",
            s.append_with_keys(&batch(600, 602), &[vec![]])
                .err()
                .map(|e| e.to_string())
        ),
    );
    seen
}

#[test]
fn the_postgres_store_answers_every_call_as_the_sqlite_store_does() {
    let server = Postgres::start();
    let url = server.database("log");
    let mut pg = PgStore::open(&url).unwrap();
    let mut lite = SqliteStore::open_in_memory().unwrap();
    let (got, want) = (exercise(&mut pg), exercise(&mut lite));
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    // Everything acknowledged is there for a new connection, and a reader sees it too.
    let size = pg.size().unwrap();
    let root = pg.root(size).unwrap();
    drop(pg);
    let reopened = PgStore::open(&url).unwrap();
    assert_eq!(reopened.size().unwrap(), size);
    assert_eq!(reopened.root(size).unwrap().0, root.0);
    let reader = PgStore::open_reader(&url).unwrap();
    let seen = reader
        .snapshot(|r| Ok::<_, StoreError>((r.size()?, r.entry(0)?)))
        .unwrap();
    assert_eq!(seen, (size, Some(b"entry 0".to_vec())));
    // A nested snapshot runs inside the outer one.
    assert_eq!(reader.snapshot(|r| r.snapshot(|r| r.size())).unwrap(), size);
    // A start-up's warming caches the same upper levels from either store, and reads agree.
    let (pg_cache, lite_cache) = (Arc::new(HashCache::new()), Arc::new(HashCache::new()));
    let reader = reader.with_cache(Arc::clone(&pg_cache));
    let lite = lite.with_cache(Arc::clone(&lite_cache));
    let cached = reader.warm_cache().unwrap();
    assert!(cached > 0);
    assert_eq!(cached, lite.warm_cache().unwrap());
    assert_eq!(pg_cache.len(), lite_cache.len());
    let hashes = |proof: Vec<tally_tlog::Hash>| proof.iter().map(|h| h.0).collect::<Vec<_>>();
    assert_eq!(
        hashes(inclusion_proof(&reader, size - 3, size).unwrap()),
        hashes(inclusion_proof(&lite, size - 3, size).unwrap())
    );
}

#[test]
fn migrations_are_versioned_and_a_newer_schema_is_refused() {
    let server = Postgres::start();
    // An empty database: a reader refuses it until a writer has created the schema.
    let url = server.database("empty");
    assert!(matches!(
        PgStore::open_reader(&url),
        Err(StoreError::SchemaTooOld { found: 0, .. })
    ));
    PgStore::open(&url).unwrap();
    PgStore::open_reader(&url).unwrap();
    // Opening again applies nothing twice.
    let mut s = PgStore::open(&url).unwrap();
    s.append(&batch(0, 3)).unwrap();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let v: i32 = admin
        .query_one("SELECT version FROM tally_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(v as usize, tally_logstore::postgres::MIGRATIONS.len());
    admin
        .execute("UPDATE tally_schema SET version = version + 1", &[])
        .unwrap();
    for opened in [PgStore::open(&url).err(), PgStore::open_reader(&url).err()] {
        assert!(
            matches!(opened, Some(StoreError::SchemaTooNew { .. })),
            "{opened:?}"
        );
    }
}

#[test]
fn a_database_of_the_previous_schema_is_migrated_with_its_log_intact() {
    let server = Postgres::start();
    let url = server.database("previous");
    // The database as the previous release left it: its schema, its version, a log in it.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let previous = tally_logstore::postgres::MIGRATIONS.len() - 1;
    for migration in &tally_logstore::postgres::MIGRATIONS[..previous] {
        admin.batch_execute(migration).unwrap();
    }
    admin
        .batch_execute(&format!(
            "CREATE TABLE tally_schema (version INTEGER NOT NULL);
             INSERT INTO tally_schema VALUES ({previous});"
        ))
        .unwrap();
    assert!(matches!(
        PgStore::open_reader(&url),
        Err(StoreError::SchemaTooOld { .. })
    ));
    // Written row by row as the old release would have; the lease table does not exist yet.
    let mut lite = SqliteStore::open_in_memory().unwrap();
    lite.append(&batch(0, 40)).unwrap();
    assert!(admin
        .query_opt("SELECT 1 FROM sequencer_lease", &[])
        .is_err());
    for i in 0..40u64 {
        let data = format!("entry {i}").into_bytes();
        admin
            .execute(
                "INSERT INTO entries (idx, leaf_hash, data) VALUES ($1, $2, $3)",
                &[&(i as i64), &tally_tlog::leaf_hash(&data).0.to_vec(), &data],
            )
            .unwrap();
    }
    for idx in 0..tlog_tiles::stored_hash_count(40) {
        let hash = lite.read_hashes(&[idx]).unwrap()[0];
        admin
            .execute(
                "INSERT INTO hashes (idx, hash) VALUES ($1, $2)",
                &[&(idx as i64), &hash.0.to_vec()],
            )
            .unwrap();
    }
    // This build migrates it, keeps the log, and appends after it as the SQLite store does.
    let mut s = PgStore::open(&url).unwrap();
    let v: i32 = admin
        .query_one("SELECT version FROM tally_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(v as usize, tally_logstore::postgres::MIGRATIONS.len());
    assert_eq!(s.size().unwrap(), 40);
    assert_eq!(s.root(40).unwrap(), lite.root(40).unwrap());
    s.append(&batch(40, 50)).unwrap();
    lite.append(&batch(40, 50)).unwrap();
    assert_eq!(s.root(50).unwrap(), lite.root(50).unwrap());
    let epoch: i64 = admin
        .query_one("SELECT epoch FROM sequencer_lease", &[])
        .unwrap()
        .get(0);
    assert_eq!(epoch, 0);
}

#[test]
fn one_sequencer_at_a_time_and_a_deposed_one_can_no_longer_write() {
    use tally_logstore::SequencerLease;
    let server = Postgres::start();
    let url = server.database("lease");
    PgStore::open(&url).unwrap();
    let first = SequencerLease::acquire(&url, "a", || panic!("the lease was free")).unwrap();
    let mut old = PgStore::open(&url).unwrap().fenced(first.epoch());
    old.append(&batch(0, 5)).unwrap();
    old.set_checkpoint(5, b"note at 5").unwrap();
    // A standby waits while the lease is held, and takes it the moment its holder's session ends.
    let (tx, rx) = std::sync::mpsc::channel();
    let standby = {
        let url = url.clone();
        std::thread::spawn(move || {
            SequencerLease::acquire(&url, "b", || tx.send(()).unwrap()).unwrap()
        })
    };
    rx.recv().unwrap();
    assert!(!standby.is_finished(), "took a lease that was held");
    drop(first);
    let mut second = standby.join().unwrap();
    assert!(second.epoch() > 0);
    second.check().unwrap();
    // The deposed holder's store is fenced: nothing it writes lands, and the log is unchanged.
    for refused in [
        old.append(&batch(5, 6)).err(),
        old.set_checkpoint(5, b"another note").err(),
    ] {
        assert!(
            matches!(refused, Some(StoreError::Fenced { .. })),
            "{refused:?}"
        );
    }
    let mut new = PgStore::open(&url).unwrap().fenced(second.epoch());
    assert_eq!(new.size().unwrap(), 5);
    assert_eq!(new.latest_checkpoint().unwrap().unwrap().1, b"note at 5");
    assert_eq!(new.append(&batch(5, 7)).unwrap(), vec![5, 6]);
    // An unfenced store (a single-process bookkeeper, an operator's tool) is not held back.
    PgStore::open(&url).unwrap().append(&batch(7, 8)).unwrap();
    assert_eq!(new.size().unwrap(), 8);
}
