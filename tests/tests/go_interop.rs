//! Keys and notes cross between `tally` and Go's golang.org/x/mod/sumdb/note, in both directions.
//!
//! Go's x/mod is the reference implementation of signed notes that logs, witnesses and sumdb
//! clients use; byte-for-byte agreement with it is a requirement, not a nicety. The Go side is
//! `tests/go-interop/main.go`, built offline against Debian's packages `golang-go` and
//! `golang-golang-x-mod-dev` (GOPATH=/usr/share/gocode, GO111MODULE=off). Without `go` the test
//! fails, unless TALLY_SKIP_GO_INTEROP=1 says to skip it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tally_e2e::{key_file, keygen, tally};
use tempfile::TempDir;

/// Where Debian's golang-golang-x-mod-dev installs golang.org/x/mod.
const DEBIAN_GOPATH: &str = "/usr/share/gocode";

const TEXT: &[u8] = b"go interop\nsecond line \xe2\x80\x94 with an em dash\n";

/// Builds the Go helper into `dir`, or returns `None` when skipping is explicitly allowed.
fn build_go_helper(dir: &Path) -> Option<PathBuf> {
    let have_go = Command::new("go")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_go {
        if std::env::var("TALLY_SKIP_GO_INTEROP").as_deref() == Ok("1") {
            eprintln!("go_interop: skipped (no `go` on PATH and TALLY_SKIP_GO_INTEROP=1)");
            return None;
        }
        panic!(
            "`go` is not on PATH: install the Debian packages golang-go and \
             golang-golang-x-mod-dev, or set TALLY_SKIP_GO_INTEROP=1 to skip this test"
        );
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("go-interop/main.go");
    let bin = dir.join("go-interop");
    let mut build = Command::new("go");
    build
        .args(["build", "-o"])
        .arg(&bin)
        .arg(&src)
        .env("GOPATH", DEBIAN_GOPATH)
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "");
    // CI sandboxes may have no HOME, and go refuses to build without a cache directory.
    if std::env::var_os("GOCACHE").is_none() && std::env::var_os("HOME").is_none() {
        build.env("GOCACHE", dir.join("gocache"));
    }
    let out = build.output().expect("run go build");
    assert!(
        out.status.success(),
        "go build failed (is golang-golang-x-mod-dev installed in {DEBIAN_GOPATH}?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(bin)
}

/// Runs the Go helper; returns (exit code, stdout).
fn go(bin: &Path, args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>) {
    use std::io::Write;
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn go-interop");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout)
}

fn s(p: &Path) -> String {
    p.display().to_string()
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
