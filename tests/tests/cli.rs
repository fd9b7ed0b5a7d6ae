//! End-to-end tests of `tally keygen`, `note`, `checkpoint` and `proof`, running the real binary.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use std::fs;
use tally_e2e::{key_file, keygen, shared, shared_json, shared_text, tally};
use tempfile::TempDir;

const TEXT: &[u8] = b"Tally e2e note\nline two\n";

/// The key type byte of a verifier or signer key string (the first byte of its base64 part).
/// Checking it also checks the string's shape: name+hex8+base64, optionally after PRIVATE+KEY+.
fn key_type(key: &str) -> u8 {
    // base64 itself may contain '+': split off exactly name and key ID.
    let key = key
        .trim()
        .strip_prefix("PRIVATE+KEY+")
        .unwrap_or(key.trim());
    let b64 = key.splitn(3, '+').nth(2).unwrap();
    B64.decode(b64).unwrap()[0]
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn keygen_writes_private_key_0600_and_public_key() {
    let dir = TempDir::new().unwrap();
    let name = "example.com/log";
    let vkey = keygen(dir.path(), name, false);
    let key_path = dir.path().join("example.com_log.key");
    let pub_path = dir.path().join("example.com_log.pub");
    assert_eq!(key_path, key_file(dir.path(), name, "key"));

    let skey = fs::read_to_string(&key_path).unwrap();
    assert!(skey.starts_with("PRIVATE+KEY+example.com/log+"), "{skey}");
    assert!(
        !skey.ends_with('\n'),
        "Go's note.NewSigner takes the file as is"
    );
    assert_eq!(fs::read_to_string(&pub_path).unwrap(), format!("{vkey}\n"));
    assert!(vkey.starts_with("example.com/log+"), "{vkey}");
    // The key ID is the same in both strings.
    assert_eq!(skey.split('+').nth(3), vkey.split('+').nth(1));
    assert_eq!(key_type(&skey), 0x01);
    assert_eq!(key_type(&vkey), 0x01);
    #[cfg(unix)]
    {
        assert_eq!(mode(&key_path), 0o600, "secret key must be owner-only");
        assert_eq!(
            mode(&pub_path) & 0o077 & !0o044,
            0,
            "public key is not writable by others"
        );
    }
}

#[test]
fn keygen_cosignature_makes_type_4_witness_key() {
    let dir = TempDir::new().unwrap();
    let vkey = keygen(dir.path(), "witness.example", true);
    assert_eq!(key_type(&vkey), 0x04);
    let skey = fs::read_to_string(dir.path().join("witness.example.key")).unwrap();
    assert_eq!(key_type(&skey), 0x04);
}

#[test]
fn keygen_refuses_to_overwrite() {
    let dir = TempDir::new().unwrap();
    keygen(dir.path(), "log", false);
    let key_path = dir.path().join("log.key");
    let before = fs::read(&key_path).unwrap();
    let out = dir.path().display().to_string();
    let run = tally(&["keygen", "--name", "log", "--out", &out], b"").expect(2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(
        fs::read(&key_path).unwrap(),
        before,
        "key must be untouched"
    );

    // A stray .pub alone also blocks, and no secret is left behind.
    fs::write(dir.path().join("other.pub"), "x").unwrap();
    tally(&["keygen", "--name", "other", "--out", &out], b"").expect(2);
    assert!(!dir.path().join("other.key").exists());
}

#[test]
fn keygen_rejects_bad_names_and_missing_dirs() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().display().to_string();
    tally(&["keygen", "--name", "a b", "--out", &out], b"").expect(2);
    tally(&["keygen", "--name", "a+b", "--out", &out], b"").expect(2);
    let missing = dir.path().join("missing").display().to_string();
    tally(&["keygen", "--name", "ok", "--out", &missing], b"").expect(2);
    tally(&["keygen", "--name", "ok"], b"").expect(2); // clap usage error
}

/// A temp dir with two note keys, `alice` and `bob`.
struct Keys {
    dir: TempDir,
    alice_pub: String,
    bob_pub: String,
}

impl Keys {
    fn new() -> Self {
        let dir = TempDir::new().unwrap();
        let alice_pub = keygen(dir.path(), "alice", false);
        let bob_pub = keygen(dir.path(), "bob", false);
        Keys {
            dir,
            alice_pub,
            bob_pub,
        }
    }

    fn file(&self, name: &str, ext: &str) -> String {
        key_file(self.dir.path(), name, ext).display().to_string()
    }

    fn sign(&self, names: &[&str], stdin: &[u8], add: bool) -> Vec<u8> {
        let mut args = vec!["note".to_owned(), "sign".into()];
        for n in names {
            args.push("--key".into());
            args.push(self.file(n, "key"));
        }
        if add {
            args.push("--add".into());
        }
        tally(&args, stdin).expect(0).stdout
    }
}

#[test]
fn note_sign_then_verify_round_trips() {
    let k = Keys::new();
    let signed = k.sign(&["alice", "bob"], TEXT, false);
    assert!(signed.starts_with(TEXT));
    let text = String::from_utf8(signed.clone()).unwrap();
    assert!(text.contains("\n\n— alice "), "{text}");
    assert!(text.contains("\n— bob "), "{text}");

    // --pub takes a literal key or a file; stdout is the verified text, stderr names the signers.
    let bob_file = k.file("bob", "pub");
    let run = tally(
        &[
            "note",
            "verify",
            "--pub",
            &k.alice_pub,
            "--pub",
            &bob_file,
            "--threshold",
            "2",
        ],
        &signed,
    )
    .expect(0);
    assert_eq!(run.stdout, TEXT);
    assert!(run.stderr.contains("verified alice+"), "{}", run.stderr);
    assert!(run.stderr.contains("verified bob+"), "{}", run.stderr);

    // One known key is enough by default; the other signature is from an unknown key.
    tally(&["note", "verify", "--pub", &k.bob_pub], &signed).expect(0);
}

#[test]
fn note_sign_add_appends_signatures() {
    let k = Keys::new();
    let once = k.sign(&["alice"], TEXT, false);
    let twice = k.sign(&["bob"], &once, true);
    let args = [
        "note",
        "verify",
        "--pub",
        &k.alice_pub,
        "--pub",
        &k.bob_pub,
        "--threshold",
        "2",
    ];
    tally(&args, &once).expect(1);
    tally(&args, &twice).expect(0);
}

#[test]
fn note_verify_with_unknown_key_only_fails() {
    let k = Keys::new();
    let signed = k.sign(&["alice"], TEXT, false);
    let run = tally(&["note", "verify", "--pub", &k.bob_pub], &signed).expect(1);
    assert!(run.stdout.is_empty(), "no unverified text on stdout");
}

#[test]
fn tampered_note_fails() {
    let k = Keys::new();
    let mut signed = k.sign(&["alice"], TEXT, false);
    signed[0] ^= 0x20; // 'T' -> 't'
    let run = tally(&["note", "verify", "--pub", &k.alice_pub], &signed).expect(1);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("invalid signature"), "{}", run.stderr);
}

#[test]
fn note_threshold_not_met_fails() {
    let k = Keys::new();
    let signed = k.sign(&["alice"], TEXT, false);
    let run = tally(
        &[
            "note",
            "verify",
            "--pub",
            &k.alice_pub,
            "--pub",
            &k.bob_pub,
            "--threshold",
            "2",
        ],
        &signed,
    )
    .expect(1);
    assert!(run.stderr.contains("1 of the required 2"), "{}", run.stderr);
}

#[test]
fn note_bad_input_exits_2() {
    let k = Keys::new();
    // Unsigned text is not a signed note.
    tally(&["note", "verify", "--pub", &k.alice_pub], TEXT).expect(2);
    // Text without a final newline cannot be signed.
    let key = k.file("alice", "key");
    tally(&["note", "sign", "--key", &key], b"no newline").expect(2);
    // A key that is neither a file nor a key string.
    tally(&["note", "verify", "--pub", "nonsense"], TEXT).expect(2);
    // The verifier key is not a signer key file.
    let pub_file = k.file("alice", "pub");
    tally(&["note", "sign", "--key", &pub_file], TEXT).expect(2);
    tally(
        &["note", "verify", "--pub", &k.alice_pub, "--threshold", "0"],
        TEXT,
    )
    .expect(2);
}

#[test]
fn checkpoint_signed_and_cosigned_here_verifies() {
    let dir = TempDir::new().unwrap();
    let origin = "example.com/log";
    let log = keygen(dir.path(), origin, false);
    let witness = keygen(dir.path(), "witness.example", true);
    let log_key = key_file(dir.path(), origin, "key").display().to_string();
    let w_key = key_file(dir.path(), "witness.example", "key")
        .display()
        .to_string();
    let text = format!("{origin}\n5\n{}\n", B64.encode([7u8; 32]));
    let signed = tally(&["note", "sign", "--key", &log_key], text.as_bytes())
        .expect(0)
        .stdout;
    let cosigned = tally(&["note", "sign", "--add", "--key", &w_key], &signed)
        .expect(0)
        .stdout;

    let args = |t: &'static str| {
        vec![
            "checkpoint",
            "verify",
            "--log",
            &log,
            "--witness",
            &witness,
            "--witness-threshold",
            t,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    tally(&args("1"), &signed).expect(1);
    let out = tally(&args("1"), &cosigned).expect(0).out();
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(format!("origin {origin}").as_str()));
    assert_eq!(lines.next(), Some("size 5"));
    assert_eq!(
        lines.next(),
        Some(format!("root {}", B64.encode([7u8; 32])).as_str())
    );
    let cosigner = lines.next().unwrap();
    assert!(
        cosigner.starts_with("cosigner witness.example+"),
        "{cosigner}"
    );
    let ts: u64 = cosigner.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        ts > 1_700_000_000,
        "the CLI signs with the current time: {ts}"
    );

    // Keys in the wrong roles are a usage error.
    let swapped = [
        "checkpoint",
        "verify",
        "--log",
        &witness,
        "--witness-threshold",
        "0",
    ];
    tally(&swapped, &cosigned).expect(2);
}

/// Arguments for verifying the real Sigsum checkpoint with its 8 witnesses.
fn sigsum_args(threshold: usize) -> Vec<String> {
    let v = shared_json("vectors/sigsum/sigsum-test-checkpoint.json");
    let mut args = vec!["checkpoint".to_owned(), "verify".into(), "--log".into()];
    args.push(v["log_vkey"].as_str().unwrap().into());
    for w in v["witness_vkeys"].as_array().unwrap() {
        args.push("--witness".into());
        args.push(w.as_str().unwrap().into());
    }
    args.push("--witness-threshold".into());
    args.push(threshold.to_string());
    args
}

#[test]
fn sigsum_checkpoint_has_eight_real_cosignatures() {
    let v = shared_json("vectors/sigsum/sigsum-test-checkpoint.json");
    let cp = shared_text("vectors/sigsum/sigsum-test-checkpoint.txt");
    let out = tally(&sigsum_args(8), cp.as_bytes()).expect(0).out();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("origin {}", v["origin"].as_str().unwrap())
    );
    assert_eq!(lines[1], "size 381382");
    assert_eq!(
        lines[2],
        "root kB/vxvHZeNLCvtuC1Eh1W83H6GJuZ6x+6Ahzdxvptmc="
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("cosigner ")).count(),
        8
    );

    let run = tally(&sigsum_args(9), cp.as_bytes()).expect(1);
    assert!(
        run.stderr
            .contains("8 distinct witness cosignatures, 9 required"),
        "{}",
        run.stderr
    );
}

#[test]
fn sigsum_checkpoint_with_a_tampered_cosignature_fails() {
    let cp = shared_text("vectors/sigsum/sigsum-test-checkpoint.txt");
    // Flip one base64 character inside the last witness's Ed25519 signature.
    let i = cp.rfind("Aw==").unwrap() - 10;
    let mut bytes = cp.into_bytes();
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    tally(&sigsum_args(0), &bytes).expect(1);
}

/// Decodes a vector's base64 field to exactly 32 bytes, or `None` if the CLI must refuse it.
fn is_hash(v: &serde_json::Value) -> bool {
    v.as_str()
        .and_then(|s| B64.decode(s).ok())
        .is_some_and(|b| b.len() == 32)
}

fn proof_arg(v: &serde_json::Value) -> (String, bool) {
    let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        return ("-".into(), true);
    }
    let strs: Vec<&str> = items.iter().map(|h| h.as_str().unwrap()).collect();
    (strs.join(","), items.iter().all(is_hash))
}

/// Every `*.json` vector under `dir` (recursively), with its path for messages.
fn vectors(dir: &str) -> Vec<(String, serde_json::Value)> {
    fn walk(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in fs::read_dir(p).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&shared(dir), &mut paths);
    paths.sort();
    assert!(!paths.is_empty(), "no vectors in {dir}");
    paths
        .into_iter()
        .map(|p| {
            let v = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            (p.display().to_string(), v)
        })
        .collect()
}

/// The exit code a vector demands: 2 if a hash does not even decode, else 1 or 0 by `wantErr`.
fn want_code(well_formed: bool, v: &serde_json::Value) -> i32 {
    if !well_formed {
        2
    } else if v["wantErr"].as_bool().unwrap() {
        1
    } else {
        0
    }
}

#[test]
fn proof_inclusion_matches_transparency_dev_vectors() {
    let mut codes = [0usize; 3];
    for (path, v) in vectors("vectors/transparency-dev-merkle/testdata/inclusion") {
        let (proof, proof_ok) = proof_arg(&v["proof"]);
        let well_formed = proof_ok && is_hash(&v["root"]) && is_hash(&v["leafHash"]);
        let want = want_code(well_formed, &v);
        let run = tally(
            &[
                "proof",
                "inclusion",
                "--size",
                &v["treeSize"].to_string(),
                "--root",
                v["root"].as_str().unwrap_or(""),
                "--index",
                &v["leafIdx"].to_string(),
                "--leaf-hash",
                v["leafHash"].as_str().unwrap_or(""),
                "--proof",
                &proof,
            ],
            b"",
        );
        assert_eq!(run.code, Some(want), "{path}: {}", run.stderr);
        codes[want as usize] += 1;
    }
    assert!(codes[0] >= 5 && codes[1] >= 50, "vector mix: {codes:?}");
}

#[test]
fn proof_consistency_matches_transparency_dev_vectors() {
    let mut codes = [0usize; 3];
    for (path, v) in vectors("vectors/transparency-dev-merkle/testdata/consistency") {
        let (proof, proof_ok) = proof_arg(&v["proof"]);
        let well_formed = proof_ok && is_hash(&v["root1"]) && is_hash(&v["root2"]);
        let want = want_code(well_formed, &v);
        let run = tally(
            &[
                "proof",
                "consistency",
                "--old-size",
                &v["size1"].to_string(),
                "--old-root",
                v["root1"].as_str().unwrap_or(""),
                "--size",
                &v["size2"].to_string(),
                "--root",
                v["root2"].as_str().unwrap_or(""),
                "--proof",
                &proof,
            ],
            b"",
        );
        assert_eq!(run.code, Some(want), "{path}: {}", run.stderr);
        codes[want as usize] += 1;
    }
    assert!(codes[0] >= 5 && codes[1] >= 50, "vector mix: {codes:?}");
}

#[test]
fn proof_happy_path_modified_and_malformed() {
    let v = shared_json("vectors/transparency-dev-merkle/testdata/inclusion/1/happy-path.json");
    let proof: Vec<&str> = v["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    let run_with = |proof: &str, root: &str| {
        tally(
            &[
                "proof",
                "inclusion",
                "--size",
                "8",
                "--root",
                root,
                "--index",
                "0",
                "--leaf-hash",
                v["leafHash"].as_str().unwrap(),
                "--proof",
                proof,
            ],
            b"",
        )
    };
    let root = v["root"].as_str().unwrap();
    run_with(&proof.join(","), root).expect(0);

    let mut bytes = B64.decode(proof[1]).unwrap();
    bytes[3] ^= 1;
    let modified = [proof[0].to_owned(), B64.encode(bytes), proof[2].to_owned()].join(",");
    let run = run_with(&modified, root).expect(1);
    assert!(run.stderr.contains("root"), "{}", run.stderr);

    run_with(&proof.join(","), "not*base64").expect(2);
    run_with(&proof.join(","), &B64.encode([1u8; 31])).expect(2);
    run_with(&[proof[0], "%%%"].join(","), root).expect(2);
    run_with("", root).expect(2);
    run_with("-", root).expect(1);
}

#[test]
fn sigsum_inclusion_proof_from_hex_vector() {
    let v = shared_json("vectors/sigsum/sigsum-test-checkpoint.json");
    let hex = |s: &str| -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let b64 = |s: &serde_json::Value| B64.encode(hex(s.as_str().unwrap()));
    let proof: Vec<String> = v["inclusion_proof_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(b64)
        .collect();
    tally(
        &[
            "proof".to_owned(),
            "inclusion".into(),
            "--size".into(),
            v["size"].to_string(),
            "--root".into(),
            b64(&v["root_hex"]),
            "--index".into(),
            v["leaf_index"].to_string(),
            "--leaf-hash".into(),
            b64(&v["leaf_hash_hex"]),
            "--proof".into(),
            proof.join(","),
        ],
        b"",
    )
    .expect(0);
}
