//! Helpers shared by the end-to-end tests: find and run the real `tally` binary, reach the shared
//! public test data.
//!
//! The tests drive the built binary rather than the library, because the contract under test is the
//! command line itself: arguments, stdin/stdout, files and exit codes, exactly as scripts see them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The public test data beside the repository (`/work/shared` next to `/work/main`).
pub const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared");

/// A path inside [`SHARED`].
pub fn shared(rel: &str) -> PathBuf {
    Path::new(SHARED).join(rel)
}

/// Reads a file inside [`SHARED`] as UTF-8 text.
pub fn shared_text(rel: &str) -> String {
    let p = shared(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// Reads and parses a JSON file inside [`SHARED`].
pub fn shared_json(rel: &str) -> serde_json::Value {
    serde_json::from_str(&shared_text(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The `tally` binary of the same profile as this test: `target/<profile>/tally`.
///
/// Test executables live in `target/<profile>/deps/`; cargo only builds another package's binary
/// when asked, so a missing one is reported with the command that builds it.
pub fn tally_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("test executable has a directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().expect("deps has a parent");
    }
    let bin = dir.join(format!("tally{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} not found: run `cargo build -p tally-cli` first (the e2e tests run the real binary)",
        bin.display()
    );
    bin
}

/// What a finished `tally` run produced.
#[derive(Debug)]
pub struct Run {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Captured stdout.
    pub stdout: Vec<u8>,
    /// Captured stderr, as text.
    pub stderr: String,
}

impl Run {
    /// Stdout as UTF-8 text.
    pub fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            Some(code),
            "want exit {code}; stdout: {:?}; stderr: {:?}",
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        );
        if code != 0 {
            assert!(
                !self.stderr.trim().is_empty(),
                "a failing run must say why on stderr"
            );
        }
        self
    }
}

/// Runs `tally args...` with `stdin` and waits for it.
pub fn tally<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: &[u8]) -> Run {
    let mut child = Command::new(tally_bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tally");
    // A command may exit before reading stdin (usage errors); a broken pipe then is fine.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    let out = child.wait_with_output().expect("wait for tally");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `tally keygen --name NAME --out DIR [--cosignature]` and returns the verifier key printed.
pub fn keygen(dir: &Path, name: &str, cosignature: bool) -> String {
    let mut args = vec![
        "keygen".to_owned(),
        "--name".into(),
        name.into(),
        "--out".into(),
        dir.display().to_string(),
    ];
    if cosignature {
        args.push("--cosignature".into());
    }
    tally(&args, b"").expect(0).out().trim_end().to_owned()
}

/// The key file name `tally keygen` uses for `name` ('/' and other unsafe characters become '_').
pub fn key_file(dir: &Path, name: &str, ext: &str) -> PathBuf {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{stem}.{ext}"))
}
