//! A writer killed with SIGKILL mid-append leaves a log whose tree, entries and checkpoints agree.
//!
//! The test binary re-invokes itself: with [`CHILD_DB`] set, `crash_child` appends batches and signs
//! checkpoints forever; the parent kills it at varying moments, reopens the file and checks everything.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use tally_logstore::{LogStore, SqliteStore};
use tally_tlog::{leaf_hash, CompactTree};

const CHILD_DB: &str = "TALLY_LOGSTORE_CRASH_CHILD_DB";

/// The checkpoint note the child stores: size (8 bytes, big-endian) then root. The store does not
/// parse notes, so any bytes that carry the root will do.
fn note(size: u64, root: [u8; 32]) -> Vec<u8> {
    [&size.to_be_bytes()[..], &root].concat()
}

#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_DB) else {
        return; // Only runs as the child of `killed_writer_leaves_a_consistent_log`.
    };
    let mut store = SqliteStore::open(path).unwrap();
    loop {
        let start = store.size().unwrap();
        let entries: Vec<Vec<u8>> = (start..start + 97)
            .map(|i| format!("crash entry {i} {}", "x".repeat(500)).into_bytes())
            .collect();
        let indices = store.append(&entries).unwrap();
        store.enqueue("peer", &indices).unwrap();
        let size = store.size().unwrap();
        store
            .set_checkpoint(size, &note(size, store.root(size).unwrap().0))
            .unwrap();
        println!("{size}");
    }
}

#[test]
fn killed_writer_leaves_a_consistent_log() {
    if std::env::var_os(CHILD_DB).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sqlite");
    let mut previous = 0;
    for round in 0..4u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_DB, &path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for a few committed batches, then kill at a different moment each round.
        // Keep reading the pipe open until the kill, so the child dies of SIGKILL, not of EPIPE.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let committed = lines
            .by_ref()
            .map_while(Result::ok)
            .filter_map(|l| l.trim().parse::<u64>().ok())
            .nth(2 + round as usize)
            .expect("child stopped before committing");
        std::thread::sleep(Duration::from_millis(3 * round));
        child.kill().unwrap(); // SIGKILL on Unix.
        let status = child.wait().unwrap();
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
        assert!(!status.success());
        drop(lines);

        let size = verify(&path);
        assert!(
            size >= committed,
            "lost committed entries: {size} < {committed}"
        );
        assert!(size > previous);
        previous = size;
    }
}

/// Checks the reopened log from scratch and returns its size.
fn verify(path: &std::path::Path) -> u64 {
    let store = SqliteStore::open(path).unwrap();
    let size = store.size().unwrap();
    let entries = store.entries(0..size).unwrap();
    // Every root from the stored hashes equals the root recomputed from the entries.
    let mut tree = CompactTree::new();
    let mut roots = vec![tree.root().0];
    for (i, e) in (0..).zip(&entries) {
        assert_eq!(store.leaf_hash(i).unwrap().unwrap().0, leaf_hash(e).0);
        tree.push(leaf_hash(e));
        roots.push(tree.root().0);
    }
    for (n, root) in (0..).zip(&roots) {
        assert_eq!(&store.root(n).unwrap().0, root, "root of size {n}");
    }
    // Every stored checkpoint names a size within the log and that size's recomputed root.
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT size, note FROM checkpoints").unwrap();
    let checkpoints: Vec<(u64, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!checkpoints.is_empty());
    for (n, stored) in checkpoints {
        let root = roots.get(n as usize).expect("checkpoint beyond the log");
        assert_eq!(stored, note(n, *root), "checkpoint {n}");
    }
    // The outbox only names existing entries (the foreign key held).
    assert!(store
        .pending("peer", usize::MAX)
        .unwrap()
        .iter()
        .all(|&i| i < size));
    size
}
