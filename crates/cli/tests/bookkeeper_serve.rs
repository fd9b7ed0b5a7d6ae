//! `tally bookkeeper serve` as a real process: it serves `/health`, and SIGTERM stops it cleanly.

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;
use tally_tlog::{KeyType, SignerKey};

const ATTEMPTS: usize = 400;
const POLL: Duration = Duration::from_millis(50);

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
#[cfg(unix)]
fn serve_answers_health_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let gov = SignerKey::from_seed("gov.example", KeyType::Ed25519, &[1; 32]).unwrap();
    let log = SignerKey::from_seed("bk0.example/log", KeyType::Ed25519, &[2; 32]).unwrap();
    let witness =
        SignerKey::from_seed("bk0.example/witness", KeyType::Cosignature, &[3; 32]).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let policy = json!({
        "network": "example",
        "governance": [gov.verifier().to_string()],
        "bookkeepers": [{
            "name": "bk0",
            "operator": "Operator 0",
            "log_key": log.verifier().to_string(),
            "witness_key": witness.verifier().to_string(),
            "urls": [format!("http://127.0.0.1:{port}")],
        }],
        "log_quorum": 1,
        "witness_threshold": 0, "allow_unwitnessed": true,
        "cold_chain": [],
    });
    std::fs::write(p.join("policy.json"), policy.to_string()).unwrap();
    std::fs::write(p.join("log.key"), log.to_secret_string()).unwrap();
    std::fs::write(p.join("witness.key"), witness.to_secret_string()).unwrap();
    let config = json!({
        "name": "bk0",
        "listen": format!("127.0.0.1:{port}"),
        "database": p.join("bk0.db"),
        "policy": p.join("policy.json"),
        "log_key": p.join("log.key"),
        "witness_key": p.join("witness.key"),
    });
    std::fs::write(p.join("bk0.json"), config.to_string()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_tally"))
        .args(["bookkeeper", "serve", "--config"])
        .arg(p.join("bk0.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let healthy = (0..ATTEMPTS).any(|_| {
        let ok = get(port, "/health").is_some_and(|r| r.starts_with("HTTP/1.1 200"));
        if !ok {
            std::thread::sleep(POLL);
        }
        ok
    });
    if !healthy {
        child.kill().unwrap();
        panic!("tally bookkeeper serve never answered /health");
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..ATTEMPTS {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            return;
        }
        std::thread::sleep(POLL);
    }
    child.kill().unwrap();
    panic!("tally bookkeeper serve did not stop on SIGTERM");
}
