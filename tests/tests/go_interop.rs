//! Keys, notes, Merkle trees, proofs and checkpoints cross between `tally` and Go's
//! golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, in both directions.
//!
//! Go's x/mod is the reference implementation of signed notes that logs, witnesses and sumdb
//! clients use, and of the Merkle tree (RFC 6962 hashing, Crosby–Wallach stored-hash order) behind
//! the Go checksum database; byte-for-byte agreement with it is a requirement, not a nicety.
//!
//! Two differences from x/mod 0.7.0 are deliberate and pinned down here, so that a change on either
//! side is noticed:
//! - `tlog.TreeHash(0)` is 32 zero bytes; Tally's empty root is SHA-256("") as RFC 6962 §2.1 says.
//! - `tlog.ParseTree`/`FormatTree` know only the sumdb tree note, whose first line is the fixed
//!   "go.sum database tree"; a c2sp.org/tlog-checkpoint has the log's origin there instead. The sumdb
//!   form is a checkpoint whose origin is "go.sum database tree", so Tally reads Go's tree notes,
//!   but Go's `ParseTree` refuses Tally checkpoints with any other origin (note.Open accepts them).
//!
//! The Go side is
//! `tests/go-interop/main.go`, built offline against Debian's packages `golang-go` and
//! `golang-golang-x-mod-dev` (GOPATH=/usr/share/gocode, GO111MODULE=off). Without `go` the test
//! fails, unless TALLY_SKIP_GO_INTEROP=1 says to skip it.

use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use tally_e2e::go::{build_go_helper, go};
use tally_e2e::{key_file, keygen, tally, Run};
use tally_tlog::{checkpoint, leaf_hash, merkle, Checkpoint, CompactTree, Hash, MemoryStore};
use tempfile::TempDir;

const TEXT: &[u8] = b"go interop\nsecond line \xe2\x80\x94 with an em dash\n";

/// Runs the Go helper, which must succeed, and parses its JSON output.
fn go_json(bin: &Path, args: &[&str], stdin: &[u8]) -> Value {
    let (code, out) = go(bin, args, stdin);
    assert_eq!(code, 0, "go-interop {args:?} failed");
    serde_json::from_slice(&out).expect("go-interop prints JSON")
}

/// Runs `go-interop checkrecord|checktree` on `proofs`; returns (exit code, one verdict per proof).
fn go_check(bin: &Path, cmd: &str, proofs: &[Value]) -> (i32, Vec<String>) {
    let (code, out) = go(bin, &[cmd], &serde_json::to_vec(proofs).unwrap());
    let lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), proofs.len(), "one verdict per proof");
    (code, lines)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Leaves in the tree both sides build: more than 32, so that proofs cross a power-of-two boundary
/// and a size has several perfect subtrees.
const TREE_SIZE: u64 = 37;

/// A log key made by `tally keygen` in `dir/keys`: its verifier key and its signer key file.
fn log_key(dir: &Path, origin: &str) -> (String, String) {
    let keys = dir.join("keys");
    fs::create_dir(&keys).unwrap();
    let vkey = keygen(&keys, origin, false);
    (vkey, s(&key_file(&keys, origin, "key")))
}

/// Record `i` of the shared tree, exactly as `go-interop tree` makes it.
fn record(i: u64) -> Vec<u8> {
    format!("record {i}\n").into_bytes()
}

/// Tally's store over the first `n` records.
fn tally_store(n: u64) -> MemoryStore {
    let mut store = MemoryStore::new();
    for i in 0..n {
        assert_eq!(store.append(&record(i)).unwrap(), i);
    }
    store
}

fn hash(v: &Value) -> Hash {
    Hash::parse_hash(v.as_str().expect("hash is a string")).expect("hash is base64 of 32 bytes")
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .expect("proof is an array")
        .iter()
        .map(hash)
        .collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().expect("an unsigned integer")
}

/// `h` with one bit flipped.
fn flip(h: &Hash) -> Hash {
    let mut h = *h;
    h.0[17] ^= 0x08;
    h
}

/// The ways to break a proof with one flipped bit: in the root, and in a proof hash if there is one.
fn tampered(root: &Hash, proof: &[Hash]) -> Vec<(Hash, Vec<Hash>)> {
    let mut out = vec![(flip(root), proof.to_vec())];
    if !proof.is_empty() {
        let mut p = proof.to_vec();
        let mid = p.len() / 2;
        p[mid] = flip(&p[mid]);
        out.push((*root, p));
    }
    out
}

/// A proof as `tally proof --proof` takes it.
fn proof_arg(proof: &[Hash]) -> String {
    if proof.is_empty() {
        return "-".into();
    }
    proof
        .iter()
        .map(Hash::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// `tally proof inclusion` with the given values.
fn tally_inclusion(index: u64, size: u64, leaf: &Hash, root: &Hash, proof: &[Hash]) -> Run {
    tally(
        &[
            "proof".to_owned(),
            "inclusion".into(),
            format!("--index={index}"),
            format!("--size={size}"),
            format!("--leaf-hash={leaf}"),
            format!("--root={root}"),
            format!("--proof={}", proof_arg(proof)),
        ],
        b"",
    )
}

/// `tally proof consistency` with the given values.
fn tally_consistency(old: u64, old_root: &Hash, size: u64, root: &Hash, proof: &[Hash]) -> Run {
    tally(
        &[
            "proof".to_owned(),
            "consistency".into(),
            format!("--old-size={old}"),
            format!("--old-root={old_root}"),
            format!("--size={size}"),
            format!("--root={root}"),
            format!("--proof={}", proof_arg(proof)),
        ],
        b"",
    )
}

/// An inclusion proof in the JSON form `go-interop` reads and writes.
fn inclusion_json(index: u64, size: u64, leaf: &Hash, root: &Hash, proof: &[Hash]) -> Value {
    json!({
        "index": index,
        "size": size,
        "leaf": leaf.to_string(),
        "root": root.to_string(),
        "proof": proof.iter().map(Hash::to_string).collect::<Vec<_>>(),
    })
}

/// A consistency proof in the JSON form `go-interop` reads and writes.
fn consistency_json(old: u64, old_root: &Hash, size: u64, root: &Hash, proof: &[Hash]) -> Value {
    json!({
        "old_size": old,
        "old_root": old_root.to_string(),
        "size": size,
        "root": root.to_string(),
        "proof": proof.iter().map(Hash::to_string).collect::<Vec<_>>(),
    })
}

#[test]
fn keys_and_notes_cross_between_go_and_tally() {
    let dir = TempDir::new().unwrap();
    let Some(gobin) = build_go_helper(dir.path()) else {
        return;
    };

    // Go makes the key and the note; tally verifies it and signs identically with Go's key.
    let (code, out) = go(&gobin, &["generate", "go.example/log"], b"");
    assert_eq!(code, 0);
    let out = String::from_utf8(out).unwrap();
    let (go_skey, go_vkey) = out.trim_end().split_once('\n').unwrap();
    let go_skey_file = dir.path().join("go.key");
    fs::write(&go_skey_file, go_skey).unwrap();
    let (code, go_signed) = go(&gobin, &["sign", &s(&go_skey_file)], TEXT);
    assert_eq!(code, 0);
    let run = tally(&["note", "verify", "--pub", go_vkey], &go_signed).expect(0);
    assert_eq!(run.stdout, TEXT);
    // Ed25519 is deterministic: the same key and text give the same bytes in both implementations.
    let tally_signed = tally(&["note", "sign", "--key", &s(&go_skey_file)], TEXT)
        .expect(0)
        .stdout;
    assert_eq!(
        tally_signed, go_signed,
        "tally and Go must produce identical notes"
    );

    // tally makes the keys and the note; Go verifies it and signs identically with tally's key.
    let keys = dir.path().join("tally");
    fs::create_dir(&keys).unwrap();
    let vkey = keygen(&keys, "tally.example/log", false);
    let vkey2 = keygen(&keys, "second", false);
    let skey_file = s(&key_file(&keys, "tally.example/log", "key"));
    let skey2_file = s(&key_file(&keys, "second", "key"));
    let signed = tally(
        &["note", "sign", "--key", &skey_file, "--key", &skey2_file],
        TEXT,
    )
    .expect(0)
    .stdout;
    let (code, text) = go(&gobin, &["verify", &vkey, &vkey2], &signed);
    assert_eq!(code, 0, "Go must accept tally's two-signature note");
    assert_eq!(text, TEXT);
    let (code, go_with_tally_key) = go(&gobin, &["sign", &skey_file], TEXT);
    assert_eq!(code, 0, "Go must accept tally's signer key file");
    tally(&["note", "verify", "--pub", &vkey], &go_with_tally_key).expect(0);
    let tally_one = tally(&["note", "sign", "--key", &skey_file], TEXT)
        .expect(0)
        .stdout;
    assert_eq!(tally_one, go_with_tally_key);

    // Both reject the same tampering.
    let mut tampered = signed.clone();
    tampered[0] ^= 0x20;
    assert_eq!(go(&gobin, &["verify", &vkey], &tampered).0, 1);
    tally(&["note", "verify", "--pub", &vkey], &tampered).expect(1);
}

#[test]
fn go_tree_hashes_and_proofs_equal_tallys() {
    let dir = TempDir::new().unwrap();
    let Some(gobin) = build_go_helper(dir.path()) else {
        return;
    };
    let go_tree = go_json(&gobin, &["tree", &TREE_SIZE.to_string()], b"");
    let store = tally_store(TREE_SIZE);

    // Same records, same leaf hashes (tlog.RecordHash = SHA-256(0x00 ‖ data)).
    let records = go_tree["records"].as_array().unwrap();
    let leaves = hashes(&go_tree["leaves"]);
    assert_eq!(records.len() as u64, TREE_SIZE);
    for (i, (rec, leaf)) in records.iter().zip(&leaves).enumerate() {
        let i = i as u64;
        assert_eq!(rec.as_str().unwrap().as_bytes(), record(i));
        assert_eq!(*leaf, leaf_hash(&record(i)), "leaf hash of record {i}");
    }

    // Same root at every size, from the stored-hash store and from the compact tree.
    let sizes = go_tree["sizes"].as_array().unwrap();
    assert_eq!(sizes.len() as u64, TREE_SIZE + 1);
    let mut compact = CompactTree::new();
    for (size, entry) in sizes.iter().enumerate() {
        let size = size as u64;
        assert_eq!(u(&entry["size"]), size);
        let go_root = hash(&entry["hash"]);
        let root = store.root(size).unwrap();
        assert_eq!(
            compact.root(),
            root,
            "CompactTree and MemoryStore at size {size}"
        );
        if size == 0 {
            // A deliberate difference (see the module docs): Go defines the empty tree as all zeros.
            assert_eq!(go_root, Hash([0; 32]), "Go's tlog.TreeHash(0)");
            assert_eq!(
                root,
                merkle::EMPTY_ROOT,
                "Tally's empty root is SHA-256(\"\")"
            );
        } else {
            assert_eq!(go_root, root, "tree hash of size {size}");
        }
        if size < TREE_SIZE {
            compact.push(leaf_hash(&record(size)));
        }
    }

    // Every proof Go makes is the one Tally makes, byte for byte, and verifies in Tally.
    let inclusion = go_tree["inclusion"].as_array().unwrap();
    assert_eq!(inclusion.len() as u64, TREE_SIZE * (TREE_SIZE + 1) / 2);
    for p in inclusion {
        let (index, size) = (u(&p["index"]), u(&p["size"]));
        let proof = hashes(&p["proof"]);
        assert_eq!(
            proof,
            store.inclusion_proof(index, size).unwrap(),
            "inclusion {index} in {size}"
        );
        merkle::verify_inclusion(index, size, &hash(&p["leaf"]), &proof, &hash(&p["root"]))
            .unwrap();
    }
    let consistency = go_tree["consistency"].as_array().unwrap();
    assert_eq!(consistency.len() as u64, TREE_SIZE * (TREE_SIZE + 1) / 2);
    for p in consistency {
        let (old, size) = (u(&p["old_size"]), u(&p["size"]));
        let proof = hashes(&p["proof"]);
        assert_eq!(
            proof,
            store.consistency_proof(old, size).unwrap(),
            "consistency {old} to {size}"
        );
        merkle::verify_consistency(old, size, &hash(&p["old_root"]), &hash(&p["root"]), &proof)
            .unwrap();
    }
}

#[test]
fn go_proofs_verify_with_the_tally_cli() {
    let dir = TempDir::new().unwrap();
    let Some(gobin) = build_go_helper(dir.path()) else {
        return;
    };
    let go_tree = go_json(&gobin, &["tree", &TREE_SIZE.to_string()], b"");

    // Edge cases rather than all of them (each is a process): one-leaf tree, first and last leaf,
    // perfect and ragged trees, across the 32 boundary; equal sizes (empty proof).
    const INCLUSION: &[(u64, u64)] = &[
        (0, 1),
        (0, 2),
        (1, 2),
        (2, 3),
        (0, 7),
        (6, 7),
        (5, 8),
        (31, 32),
        (0, 33),
        (32, 33),
        (17, 37),
        (36, 37),
    ];
    const CONSISTENCY: &[(u64, u64)] = &[
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 3),
        (3, 7),
        (4, 8),
        (7, 8),
        (6, 13),
        (32, 33),
        (31, 37),
        (33, 37),
        (37, 37),
    ];
    let mut checked = (0, 0);
    for p in go_tree["inclusion"].as_array().unwrap() {
        let (index, size) = (u(&p["index"]), u(&p["size"]));
        if !INCLUSION.contains(&(index, size)) {
            continue;
        }
        let (leaf, root, proof) = (hash(&p["leaf"]), hash(&p["root"]), hashes(&p["proof"]));
        let ok = tally_inclusion(index, size, &leaf, &root, &proof).expect(0);
        assert!(ok.out().starts_with("inclusion verified"), "{}", ok.out());
        tally_inclusion(index, size, &flip(&leaf), &root, &proof).expect(1);
        for (bad_root, bad_proof) in tampered(&root, &proof) {
            tally_inclusion(index, size, &leaf, &bad_root, &bad_proof).expect(1);
        }
        checked.0 += 1;
    }
    for p in go_tree["consistency"].as_array().unwrap() {
        let (old, size) = (u(&p["old_size"]), u(&p["size"]));
        if !CONSISTENCY.contains(&(old, size)) {
            continue;
        }
        let (old_root, root, proof) = (hash(&p["old_root"]), hash(&p["root"]), hashes(&p["proof"]));
        let ok = tally_consistency(old, &old_root, size, &root, &proof).expect(0);
        assert!(ok.out().starts_with("consistency verified"), "{}", ok.out());
        tally_consistency(old, &flip(&old_root), size, &root, &proof).expect(1);
        for (bad_root, bad_proof) in tampered(&root, &proof) {
            tally_consistency(old, &old_root, size, &bad_root, &bad_proof).expect(1);
        }
        checked.1 += 1;
    }
    assert_eq!(
        checked,
        (INCLUSION.len(), CONSISTENCY.len()),
        "every chosen pair was in Go's output"
    );
}

#[test]
fn tally_proofs_verify_with_go() {
    let dir = TempDir::new().unwrap();
    let Some(gobin) = build_go_helper(dir.path()) else {
        return;
    };
    let store = tally_store(TREE_SIZE);
    let root = |size| store.root(size).unwrap();

    // Every inclusion and consistency proof of every size, made by Tally, checked by Go.
    let (mut inclusion, mut bad_inclusion) = (Vec::new(), Vec::new());
    let (mut consistency, mut bad_consistency) = (Vec::new(), Vec::new());
    for size in 1..=TREE_SIZE {
        for index in 0..size {
            let leaf = leaf_hash(&record(index));
            let proof = store.inclusion_proof(index, size).unwrap();
            inclusion.push(inclusion_json(index, size, &leaf, &root(size), &proof));
            bad_inclusion.push(inclusion_json(
                index,
                size,
                &flip(&leaf),
                &root(size),
                &proof,
            ));
            for (r, p) in tampered(&root(size), &proof) {
                bad_inclusion.push(inclusion_json(index, size, &leaf, &r, &p));
            }
        }
        for old in 1..=size {
            let proof = store.consistency_proof(old, size).unwrap();
            consistency.push(consistency_json(old, &root(old), size, &root(size), &proof));
            bad_consistency.push(consistency_json(
                old,
                &flip(&root(old)),
                size,
                &root(size),
                &proof,
            ));
            for (r, p) in tampered(&root(size), &proof) {
                bad_consistency.push(consistency_json(old, &root(old), size, &r, &p));
            }
        }
    }
    for (cmd, good, bad) in [
        ("checkrecord", &inclusion, &bad_inclusion),
        ("checktree", &consistency, &bad_consistency),
    ] {
        let (code, verdicts) = go_check(&gobin, cmd, good);
        let failed: Vec<_> = good
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| *v != "ok")
            .collect();
        assert!(
            failed.is_empty(),
            "Go's {cmd} rejected Tally proofs: {failed:?}"
        );
        assert_eq!(code, 0);
        let (code, verdicts) = go_check(&gobin, cmd, bad);
        let passed: Vec<_> = bad
            .iter()
            .zip(&verdicts)
            .filter(|(_, v)| !v.starts_with("error"))
            .collect();
        assert!(
            passed.is_empty(),
            "Go's {cmd} accepted tampered proofs: {passed:?}"
        );
        assert_eq!(code, 1);
    }
}

#[test]
fn checkpoints_cross_between_tally_and_go() {
    let dir = TempDir::new().unwrap();
    let Some(gobin) = build_go_helper(dir.path()) else {
        return;
    };
    let origin = "tally.example/log";
    let (vkey, skey_file) = log_key(dir.path(), origin);
    let size = 13;
    let root = tally_store(TREE_SIZE).root(size).unwrap();

    // A checkpoint in the sumdb tree form, signed by tally: Go opens the note and parses the tree.
    let sumdb_text = Checkpoint::new("go.sum database tree", size, root, "")
        .unwrap()
        .to_bytes();
    let signed = tally(&["note", "sign", "--key", &skey_file], &sumdb_text)
        .expect(0)
        .stdout;
    let opened = go_json(&gobin, &["opentree", &vkey], &signed);
    assert_eq!(opened["text"].as_str().unwrap().as_bytes(), sumdb_text);
    assert_eq!(opened.get("parse_error"), None, "{opened}");
    assert_eq!(u(&opened["size"]), size);
    assert_eq!(hash(&opened["hash"]), root);
    let mut tampered = signed.clone();
    tampered[sumdb_text.len() - 3] ^= 0x01;
    assert_eq!(
        go(&gobin, &["opentree", &vkey], &tampered).0,
        1,
        "Go must reject a tampered checkpoint"
    );

    // A c2sp.org/tlog-checkpoint with the log's own origin and an extension line: Go's note.Open
    // accepts the signature and returns the exact text, but tlog.ParseTree (x/mod 0.7.0) accepts
    // only the fixed "go.sum database tree" first line, so it refuses the body.
    let c2sp_text = Checkpoint::new(origin, size, root, "extension line\n")
        .unwrap()
        .to_bytes();
    let signed = tally(&["note", "sign", "--key", &skey_file], &c2sp_text)
        .expect(0)
        .stdout;
    let opened = go_json(&gobin, &["opentree", &vkey], &signed);
    assert_eq!(opened["text"].as_str().unwrap().as_bytes(), c2sp_text);
    assert!(
        opened["parse_error"].as_str().is_some(),
        "ParseTree accepted a c2sp checkpoint: {opened}"
    );
    let parsed = checkpoint::parse(opened["text"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(
        (parsed.origin(), parsed.size(), *parsed.hash()),
        (origin, size, root)
    );

    // Go's tlog.FormatTree, for every size, is a checkpoint to Tally with the same size and hash.
    let go_tree = go_json(&gobin, &["tree", &TREE_SIZE.to_string()], b"");
    for entry in go_tree["sizes"].as_array().unwrap() {
        let text = entry["format_tree"].as_str().unwrap();
        let parsed = checkpoint::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(parsed.origin(), "go.sum database tree");
        assert_eq!(parsed.size(), u(&entry["size"]));
        assert_eq!(*parsed.hash(), hash(&entry["hash"]));
        assert_eq!(parsed.extension(), "");
        assert_eq!(
            parsed.to_bytes(),
            text.as_bytes(),
            "Tally formats it back identically"
        );
    }

    // Go signs its own tree note with tally's key; `tally checkpoint verify` accepts it.
    let text = go_tree["sizes"][size as usize]["format_tree"]
        .as_str()
        .unwrap();
    let (code, go_signed) = go(&gobin, &["sign", &skey_file], text.as_bytes());
    assert_eq!(code, 0);
    let run = tally(
        &[
            "checkpoint",
            "verify",
            "--log",
            &vkey,
            "--witness-threshold",
            "0",
        ],
        &go_signed,
    )
    .expect(0);
    assert_eq!(
        run.out(),
        format!("origin go.sum database tree\nsize {size}\nroot {root}\n")
    );
}

/// c2sp.org/tlog-proof files cross both ways: one Go writes (tlog.ProveRecord, note.Sign, an
/// extra line) reads here byte for byte and checks; one tally writes checks with a Go reader of
/// the format written independently against the specification (note.Open, tlog.CheckRecord).
#[test]
fn tlog_proofs_cross_between_tally_and_go() {
    let dir = TempDir::new().unwrap();
    let Some(gobin) = build_go_helper(dir.path()) else {
        return;
    };
    let origin = "tally.example/log";
    let (vkey, skey_file) = log_key(dir.path(), origin);
    let verifier = tally_tlog::VerifierKey::parse(&vkey).unwrap();

    // Go → tally.
    let (code, made) = go(&gobin, &["makeproof", &skey_file, "37", "21"], b"");
    assert_eq!(code, 0);
    let p = tally_tlog::TlogProof::parse(&made).unwrap();
    assert_eq!(p.extra.as_deref(), Some(&b"made by go-interop"[..]));
    assert_eq!(p.to_bytes(), made, "read and written back byte for byte");
    let v = checkpoint::verify(&p.checkpoint, &verifier, &[], 0).unwrap();
    let (size, root) = (v.checkpoint.size(), *v.checkpoint.hash());
    assert_eq!((p.index, size), (21, 37));
    assert_eq!(root, tally_store(TREE_SIZE).root(37).unwrap());
    merkle::verify_inclusion(21, 37, &leaf_hash(&record(21)), &p.proof, &root).unwrap();
    assert!(merkle::verify_inclusion(21, 37, &leaf_hash(&record(20)), &p.proof, &root).is_err());

    // tally → Go: a checkpoint signed by tally (and cosigned: Go ignores the cosignature).
    let store = tally_store(TREE_SIZE);
    let text = Checkpoint::new(origin, 30, store.root(30).unwrap(), "")
        .unwrap()
        .to_bytes();
    let signed = tally(&["note", "sign", "--key", &skey_file], &text)
        .expect(0)
        .stdout;
    let witness =
        tally_tlog::SignerKey::from_seed("w.example", tally_tlog::KeyType::Cosignature, &[3; 32]);
    let signed =
        tally_tlog::note::add_signatures(&signed, &[witness.unwrap()], 1_700_000_000).unwrap();
    let entry = dir.path().join("entry");
    for index in [0, 7, 29] {
        let proof = tally_tlog::TlogProof {
            extra: None,
            index,
            proof: store.inclusion_proof(index, 30).unwrap(),
            checkpoint: signed.clone(),
        };
        fs::write(&entry, record(index)).unwrap();
        let (code, out) = go(
            &gobin,
            &["checkproof", &vkey, &s(&entry)],
            &proof.to_bytes(),
        );
        assert_eq!(
            (code, String::from_utf8(out).unwrap()),
            (0, format!("ok {index} 30\n"))
        );
        fs::write(&entry, record(index + 1)).unwrap();
        let (code, _) = go(
            &gobin,
            &["checkproof", &vkey, &s(&entry)],
            &proof.to_bytes(),
        );
        assert_eq!(code, 1, "Go must refuse the proof for another entry");
    }
}
