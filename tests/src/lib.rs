//! Helpers shared by the end-to-end tests: find and run the real `tally` binary, reach the shared
//! public test data.
//!
//! The tests drive the built binary rather than the library, because the contract under test is the
//! command line itself: arguments, stdin/stdout, files and exit codes, exactly as scripts see them.

pub mod go;
pub mod nginx;

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

/// The codes of a history's warnings (`tally scan|history --json`).
pub fn warning_codes(h: &serde_json::Value) -> Vec<String> {
    h["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["code"].as_str().map(str::to_owned))
        .collect()
}

/// The `tally` binary of the same profile as this test: `target/<profile>/tally`.
pub fn tally_bin() -> PathBuf {
    workspace_bin("tally")
}

/// A binary of this workspace, of the same profile as this test: `target/<profile>/NAME`.
///
/// Test executables live in `target/<profile>/deps/`; cargo only builds another package's binary
/// when asked, so a missing one is reported with the command that builds it.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("test executable has a directory");
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().expect("deps has a parent");
    }
    let bin = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} not found: run `cargo build --workspace --bins` first (the e2e tests run the real binaries)",
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
    run(&tally_bin(), args, stdin)
}

/// Runs `bin args...` with `stdin` and waits for it.
pub fn run<S: AsRef<std::ffi::OsStr>>(bin: &Path, args: &[S], stdin: &[u8]) -> Run {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
    // A command may exit before reading stdin (usage errors); a broken pipe then is fine.
    let _ = child.stdin.take().expect("stdin").write_all(stdin);
    let out = child.wait_with_output().expect("wait for the child");
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

/// A path as a command-line argument.
pub fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// Polling bound of [`poll`]: `ATTEMPTS` × `POLL` (2 minutes) is far above any honest delay on a
/// loaded CI machine, so a slow machine only makes a test slower, never flaky.
pub const ATTEMPTS: usize = 1200;
pub const POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// Polls `done` until it holds, at most [`ATTEMPTS`] times.
pub fn poll(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..ATTEMPTS {
        if done() {
            return;
        }
        std::thread::sleep(POLL);
    }
    panic!("timed out waiting for {what}");
}

/// A tempdir holding a local network in `net/`, stopped however the test ends: `tally network
/// down`, then SIGKILL for anything still recorded as running, so no test leaves processes behind.
pub struct Guard(pub tempfile::TempDir, &'static str);

impl Guard {
    pub fn new() -> Guard {
        Self::at("net")
    }

    /// A guard of the network in `rel` inside the tempdir (`tally demo --dir T/demo` keeps its
    /// network in `T/demo/net`).
    pub fn at(rel: &'static str) -> Guard {
        Guard(tempfile::tempdir().expect("tempdir"), rel)
    }

    /// The network's directory (inside the tempdir, so `up` is the one creating it).
    pub fn dir(&self) -> PathBuf {
        self.0.path().join(self.1)
    }
}

impl Default for Guard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = tally(&["network", "down", "--dir", &path_str(&self.dir())], b"");
        for pid in pid_files(&self.dir()) {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

/// The pids recorded in a network directory's `*.pid` files.
pub fn pid_files(dir: &Path) -> Vec<nix::unistd::Pid> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "pid"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|t| t.trim().parse::<i32>().ok())
        .filter(|&p| p > 0)
        .map(nix::unistd::Pid::from_raw)
        .collect()
}
