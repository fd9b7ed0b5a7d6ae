//! Every published vector in ../shared/vectors that concerns this crate.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tally_tlog::{
    checkpoint, leaf_hash, merkle, note, CompactTree, Hash, KeyType, MemoryStore, VerifierKey,
};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors")
        .join(rel)
}

fn b64hash(s: &str) -> Option<Hash> {
    B64.decode(s).ok()?.try_into().ok().map(Hash)
}

fn hexhash(s: &str) -> Hash {
    Hash(hex::decode(s).unwrap().try_into().unwrap())
}

/// Decodes a list of base64 hashes; `None` if any is not 32 bytes (such a proof must fail).
fn b64hashes(v: &Option<Vec<String>>) -> Option<Vec<Hash>> {
    v.iter().flatten().map(|s| b64hash(s)).collect()
}

fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![shared(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionProbe {
    leaf_idx: u64,
    tree_size: u64,
    root: Option<String>,
    leaf_hash: Option<String>,
    proof: Option<Vec<String>>,
    want_err: bool,
}

#[test]
fn transparency_dev_inclusion() {
    let files = json_files("transparency-dev-merkle/testdata/inclusion");
    assert!(
        files.len() >= 90,
        "found only {} inclusion vectors",
        files.len()
    );
    for f in &files {
        let v: InclusionProbe = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let ok = (|| {
            let root = b64hash(v.root.as_deref().unwrap_or(""))?;
            let leaf = b64hash(v.leaf_hash.as_deref().unwrap_or(""))?;
            let proof = b64hashes(&v.proof)?;
            Some(merkle::verify_inclusion(v.leaf_idx, v.tree_size, &leaf, &proof, &root).is_ok())
        })()
        .unwrap_or(false);
        assert_eq!(ok, !v.want_err, "{}", f.display());
    }
}

#[derive(Deserialize)]
struct ConsistencyProbe {
    size1: u64,
    size2: u64,
    root1: Option<String>,
    root2: Option<String>,
    proof: Option<Vec<String>>,
    #[serde(rename = "wantErr")]
    want_err: bool,
}

#[test]
fn transparency_dev_consistency() {
    let files = json_files("transparency-dev-merkle/testdata/consistency");
    assert!(
        files.len() >= 90,
        "found only {} consistency vectors",
        files.len()
    );
    for f in &files {
        let v: ConsistencyProbe = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let ok = (|| {
            // Some probes carry placeholder roots that are not 32 bytes ("don't care"); map each
            // string to a hash so that equal placeholders stay equal and different ones differ.
            let root = |s: &Option<String>| {
                let s = s.as_deref().unwrap_or("");
                b64hash(s).unwrap_or_else(|| leaf_hash(s.as_bytes()))
            };
            let (r1, r2) = (root(&v.root1), root(&v.root2));
            let proof = b64hashes(&v.proof)?;
            Some(merkle::verify_consistency(v.size1, v.size2, &r1, &r2, &proof).is_ok())
        })()
        .unwrap_or(false);
        assert_eq!(ok, !v.want_err, "{}", f.display());
    }
}

#[derive(Deserialize)]
struct ReferenceTree {
    leaves_hex: Vec<String>,
    leaf_hashes_hex: Vec<String>,
    roots_by_size_hex: Vec<String>,
}

#[test]
fn rfc6962_reference_tree() {
    let t: ReferenceTree =
        serde_json::from_slice(&std::fs::read(shared("rfc6962-reference-tree.json")).unwrap())
            .unwrap();
    let leaves_file = std::fs::read_to_string(shared("rfc6962-reference-leaves.hex")).unwrap();
    let file_leaves: Vec<&str> = leaves_file.lines().collect();
    assert_eq!(t.roots_by_size_hex.len(), 9, "roots for sizes 0..=8");
    let mut store = MemoryStore::new();
    let mut compact = CompactTree::new();
    assert_eq!(
        compact.root(),
        hexhash(&t.roots_by_size_hex[0]),
        "empty tree"
    );
    for (i, leaf_hex) in t.leaves_hex.iter().enumerate() {
        if let Some(l) = file_leaves.get(i) {
            assert_eq!(l.trim(), leaf_hex, "leaves file line {i}");
        }
        let leaf = hex::decode(leaf_hex).unwrap();
        assert_eq!(leaf_hash(&leaf), hexhash(&t.leaf_hashes_hex[i]), "leaf {i}");
        store.append(&leaf).unwrap();
        compact.push(leaf_hash(&leaf));
        let want = hexhash(&t.roots_by_size_hex[i + 1]);
        assert_eq!(compact.root(), want, "compact root at size {}", i + 1);
        assert_eq!(
            store.root(i as u64 + 1).unwrap(),
            want,
            "store root at size {}",
            i + 1
        );
    }
    // Every proof the store generates on the reference tree verifies.
    for size in 1..=8u64 {
        let root = store.root(size).unwrap();
        for idx in 0..size {
            let leaf = leaf_hash(&hex::decode(&t.leaves_hex[idx as usize]).unwrap());
            let p = store.inclusion_proof(idx, size).unwrap();
            merkle::verify_inclusion(idx, size, &leaf, &p, &root).unwrap();
        }
        for old in 1..=size {
            let p = store.consistency_proof(old, size).unwrap();
            merkle::verify_consistency(old, size, &store.root(old).unwrap(), &root, &p).unwrap();
        }
    }
}

#[derive(Deserialize)]
struct SigsumProbe {
    leaf_hash: String,
    leaf_index: u64,
    tree_size: u64,
    root_hash: String,
    inclusion_path: Vec<String>,
}

#[test]
fn sigsum_inclusion() {
    for (file, want_ok) in [
        ("sigsum/inclusion-valid.json", true),
        ("sigsum/inclusion-invalid.json", false),
    ] {
        let probes: Vec<SigsumProbe> =
            serde_json::from_slice(&std::fs::read(shared(file)).unwrap()).unwrap();
        assert!(!probes.is_empty());
        for (i, p) in probes.iter().enumerate() {
            let ok = (|| {
                let proof: Option<Vec<Hash>> =
                    p.inclusion_path.iter().map(|s| b64hash(s)).collect();
                Some(
                    merkle::verify_inclusion(
                        p.leaf_index,
                        p.tree_size,
                        &b64hash(&p.leaf_hash)?,
                        &proof?,
                        &b64hash(&p.root_hash)?,
                    )
                    .is_ok(),
                )
            })()
            .unwrap_or(false);
            assert_eq!(ok, want_ok, "{file} #{i}");
        }
    }
}

#[derive(Deserialize)]
struct NoteVector {
    desc: String,
    vkeys: Vec<String>,
    note: String,
    min_verified: Option<usize>,
    want_verified: Option<Vec<String>>,
    want_err: bool,
}

#[test]
fn signed_note_vectors() {
    let vs: Vec<NoteVector> = serde_json::from_slice(
        &std::fs::read(shared("signed-note/signed-note-vectors.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(vs.len(), 21);
    for v in &vs {
        let keys: Vec<VerifierKey> = v
            .vkeys
            .iter()
            .map(|k| VerifierKey::parse(k).unwrap())
            .collect();
        let res = note::open_threshold(v.note.as_bytes(), &keys, v.min_verified.unwrap_or(1));
        assert_eq!(res.is_err(), v.want_err, "{}: {res:?}", v.desc);
        // The batched path must reach the same decision with the same error.
        let batched = note::open_batched(v.note.as_bytes(), &keys);
        match (&batched, note::open(v.note.as_bytes(), &keys)) {
            (Ok(b), Ok(o)) => assert_eq!(b.signatures, o.signatures, "{}", v.desc),
            (Err(b), Err(o)) => assert_eq!(b, &o, "{}", v.desc),
            (b, o) => panic!("{}: batched {b:?} vs one by one {o:?}", v.desc),
        }
        if let (Ok(opened), Some(want)) = (&res, &v.want_verified) {
            let got: Vec<String> = opened
                .signatures
                .iter()
                .map(|s| format!("{}+{:08x}", s.key.name(), s.key.id()))
                .collect();
            assert_eq!(&got, want, "{}", v.desc);
        }
    }
}

#[derive(Deserialize)]
struct SigsumCheckpoint {
    log_vkey: String,
    witness_vkeys: Vec<String>,
    origin: String,
    size: u64,
    root_hex: String,
    leaf_index: u64,
    inclusion_proof_hex: Vec<String>,
    leaf_hash_hex: String,
}

#[test]
fn sigsum_checkpoint_with_eight_real_cosignatures() {
    let meta: SigsumCheckpoint = serde_json::from_slice(
        &std::fs::read(shared("sigsum/sigsum-test-checkpoint.json")).unwrap(),
    )
    .unwrap();
    let signed = std::fs::read(shared("sigsum/sigsum-test-checkpoint.txt")).unwrap();
    let log = VerifierKey::parse(&meta.log_vkey).unwrap();
    let witnesses: Vec<VerifierKey> = meta
        .witness_vkeys
        .iter()
        .map(|k| VerifierKey::parse(k).unwrap())
        .collect();
    assert!(witnesses.iter().all(|w| w.kind() == KeyType::Cosignature));

    let v = checkpoint::verify(&signed, &log, &witnesses, 8).unwrap();
    let (b, batch) = checkpoint::verify_deferred(&signed, &log, &witnesses, 8).unwrap();
    assert_eq!(b.cosigners, v.cosigners);
    assert_eq!(
        batch.len(),
        9,
        "one log signature and eight cosignatures, checked as one batch"
    );
    assert!(batch.verify());
    assert_eq!(v.checkpoint.origin(), meta.origin);
    assert_eq!(v.checkpoint.size(), meta.size);
    assert_eq!(*v.checkpoint.hash(), hexhash(&meta.root_hex));
    assert_eq!(v.cosigners.len(), 8);
    assert!(v.cosigners.iter().all(|c| c.timestamp > 1_600_000_000));

    // A 9-of-8 requirement fails with a count, and a witness list without the log key fails.
    assert!(matches!(
        checkpoint::verify(&signed, &log, &witnesses, 9),
        Err(checkpoint::CheckpointError::UnderCosigned { got: 8, need: 9 })
    ));
    assert!(checkpoint::verify(&signed, &witnesses[0], &witnesses, 1).is_err());

    // Re-signing a changed timestamp is not possible without the key: flip one timestamp bit.
    let text = String::from_utf8(signed.clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("— poc.sigsum.org/nisse "))
        .unwrap();
    let mut raw = B64.decode(line.rsplit(' ').next().unwrap()).unwrap();
    raw[11] ^= 1;
    let forged = text.replace(line, &format!("— poc.sigsum.org/nisse {}", B64.encode(raw)));
    assert!(matches!(
        checkpoint::verify(forged.as_bytes(), &log, &witnesses, 1),
        Err(checkpoint::CheckpointError::Note(
            note::NoteError::InvalidSignature { .. }
        ))
    ));

    // The inclusion proof that came with it verifies under the signed root.
    {
        let leaf = &meta.leaf_hash_hex;
        let proof: Vec<Hash> = meta
            .inclusion_proof_hex
            .iter()
            .map(|h| hexhash(h))
            .collect();
        merkle::verify_inclusion(
            meta.leaf_index,
            meta.size,
            &hexhash(leaf),
            &proof,
            v.checkpoint.hash(),
        )
        .unwrap();
    }
}

#[derive(Deserialize)]
struct EdVector {
    key: String,
    sig: String,
    msg: String,
}

/// Pins the choice of `verify` (Go-compatible) over `verify_strict`: see the crate docs.
#[test]
fn ed25519_vectors() {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let vs: Vec<EdVector> =
        serde_json::from_slice(&std::fs::read(shared("cctv-ed25519/ed25519vectors.json")).unwrap())
            .unwrap();
    assert_eq!(vs.len(), 914);
    let (mut ours, mut strict) = (0, 0);
    for v in &vs {
        let key: [u8; 32] = hex::decode(&v.key).unwrap().try_into().unwrap();
        let sig = hex::decode(&v.sig).unwrap();
        let Ok(vk) = VerifyingKey::from_bytes(&key) else {
            continue;
        };
        // Our verification path: a type-0x01 verifier key over these bytes.
        let name = "cctv";
        let typed = [&[0x01u8][..], &key].concat();
        let id = signed_note::key_id(name, &typed);
        let vkey = VerifierKey::parse(&format!("{name}+{id:08x}+{}", B64.encode(&typed))).unwrap();
        if vkey.verify_raw(v.msg.as_bytes(), &sig) {
            ours += 1;
        }
        if let Ok(s) = Signature::from_slice(&sig) {
            if vk.verify_strict(v.msg.as_bytes(), &s).is_ok() {
                strict += 1;
            }
            assert_eq!(
                vk.verify(v.msg.as_bytes(), &s).is_ok(),
                vkey.verify_raw(v.msg.as_bytes(), &sig)
            );
        }
    }
    assert_eq!(
        ours, 208,
        "Go's crypto/ed25519 accepts 208 of the 914 CCTV vectors"
    );
    assert_eq!(strict, 43);
}

/// The example of c2sp.org/tlog-proof (../shared/notes/c2sp/tlog-proof.md): it reads, each part
/// where the specification puts it, and is written back byte for byte.
#[test]
fn the_tlog_proof_specifications_example() {
    let spec =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/notes/c2sp/tlog-proof.md");
    let spec = std::fs::read_to_string(spec).unwrap();
    let example = spec
        .split("```\n")
        .nth(1)
        .expect("the spec's first code block");
    let p = tally_tlog::TlogProof::parse(example.as_bytes()).unwrap();
    assert_eq!(p.index, 73894);
    assert_eq!(p.proof.len(), 5);
    assert_eq!(
        p.proof[0],
        b64hash("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=").unwrap()
    );
    let extra = B64
        .decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ")
        .unwrap();
    assert_eq!(p.extra.as_deref(), Some(&extra[..]));
    assert!(p.checkpoint.starts_with(b"example.com/fancylog\n109482\n"));
    assert!(p
        .checkpoint
        .ends_with("— witness3.example S4X82uH5[...]3oEcROGLFQ==\n".as_bytes()));
    assert_eq!(p.to_bytes(), example.as_bytes());
}
