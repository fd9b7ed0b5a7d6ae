//! The command line's edges, as scripts and terminals meet them: a closed stderr or stdout, an
//! empty TALLY_HOME, and scanned text carrying terminal control sequences.

use std::process::{Command, Stdio};
use tally_e2e::{keygen, path_str, tally_bin};

#[test]
fn a_closed_stderr_or_stdout_never_makes_tally_panic() {
    // stderr closed before tally writes its one-line reason: still exit 2 (not 101, a panic).
    let mut child = Command::new(tally_bin())
        .args(["gs1", "parse", "not a code"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
    // stdout closed under a long output (`tally … | head -c 0`).
    let mut child = Command::new(tally_bin())
        .args([
            "gs1",
            "parse",
            "https://id.gs1.org/01/09506000134352/10/LOT1/21/S1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let code = child.wait().unwrap().code();
    assert!(matches!(code, Some(0 | 2)), "{code:?}");
}

#[test]
fn an_empty_tally_home_is_unset_not_the_current_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(tally_bin())
        .args(["policy", "show"])
        .current_dir(cwd.path())
        .env("TALLY_HOME", "")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "no policy installed yet");
    assert!(
        std::fs::read_dir(cwd.path()).unwrap().next().is_none(),
        "nothing written in the current directory"
    );
    let state = home.path().join(".local/share/tally");
    assert!(state.is_dir(), "{}", path_str(&state));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}

/// A client home with a one-bookkeeper policy installed (nothing listens at its URL).
fn home_with_policy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let gov = keygen(&keys, "gov.example", false);
    let log = keygen(&keys, "bk1.example/log", false);
    let witness = keygen(&keys, "bk1.example/witness", true);
    let policy = serde_json::json!({
        "network": "edges", "governance": [gov], "log_quorum": 1, "witness_threshold": 0,
        "allow_unwitnessed": true,
        "bookkeepers": [{"name": "bk1", "operator": "A", "log_key": log, "witness_key": witness,
                         "urls": ["http://127.0.0.1:9"]}],
    });
    let file = dir.path().join("policy.json");
    std::fs::write(&file, policy.to_string()).unwrap();
    tally_e2e::tally(
        &[
            "policy",
            "install",
            &path_str(&file),
            "--home",
            &path_str(dir.path()),
        ],
        b"",
    )
    .expect(0);
    dir
}

#[test]
fn terminal_control_sequences_in_a_scanned_code_are_escaped() {
    let home = home_with_policy();
    let code = "https://evil.example/\u{1b}]0;owned\u{7}\u{1b}[2J";
    let run = tally_e2e::tally(&["scan", code, "--home", &path_str(home.path())], b"").expect(2);
    assert!(run.stderr.contains("web address"), "{}", run.stderr);
    let text = [run.stdout, run.stderr.into_bytes()].concat();
    assert!(!text.contains(&0x1b) && !text.contains(&0x07), "{text:?}");
}

#[test]
fn a_plain_http_bookkeeper_off_this_machine_is_refused_by_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let policy = serde_json::json!({
        "network": "edges", "governance": [keygen(&keys, "gov.example", false)],
        "log_quorum": 1, "witness_threshold": 0, "allow_unwitnessed": true,
        "bookkeepers": [{"name": "bk1", "operator": "A",
                         "log_key": keygen(&keys, "bk1.example/log", false),
                         "witness_key": keygen(&keys, "bk1.example/witness", true),
                         "urls": ["http://bk1.example"]}],
    });
    let file = dir.path().join("policy.json");
    std::fs::write(&file, policy.to_string()).unwrap();
    let run = tally_e2e::tally(
        &[
            "policy",
            "install",
            &path_str(&file),
            "--home",
            &path_str(dir.path()),
        ],
        b"",
    )
    .expect(2);
    assert!(run.stderr.contains("https://"), "{}", run.stderr);
}
