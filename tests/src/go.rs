//! Go's golang.org/x/mod (the reference implementation of signed notes and of the checksum
//! database's Merkle tree) as an independent verifier: `tests/go-interop/main.go`, built offline
//! against Debian's packages `golang-go` and `golang-golang-x-mod-dev`. Without `go` a test that
//! needs it fails, unless TALLY_SKIP_GO_INTEROP=1 says to skip it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where Debian's golang-golang-x-mod-dev installs golang.org/x/mod.
const DEBIAN_GOPATH: &str = "/usr/share/gocode";

/// Builds the Go helper into `dir`, or returns `None` when skipping is explicitly allowed.
pub fn build_go_helper(dir: &Path) -> Option<PathBuf> {
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
pub fn go(bin: &Path, args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>) {
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
