//! Real bookkeeper processes on 127.0.0.1, started by `tally network up` into a tempdir and driven
//! over HTTP: convergence and cosigning, a node down and back, kill -9 under load, a rewritten
//! history refused by the witnesses, and bad input.
//!
//! Nothing here depends on timing: every wait polls with a bounded number of attempts far above
//! any honest delay, so a slow machine only makes the tests slower.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tally_e2e::{path_str, pid_files, poll, tally, Guard};
use tally_logstore::{Location, LogStore, Store};
use tally_testkit::postgres::Postgres;
use tally_testkit::{key, t, with_check};
use tally_tlog::tiles::{TileKind, TilePath, TILE_WIDTH};
use tally_tlog::{KeyType, MemoryStore, SignerKey, VerifierKey};
use tally_trust::{Entry, Record};

const GTIN: &str = "09506000134352";

/// A local network started with `tally network up`, with what its policy says about each node.
struct Net {
    guard: Guard,
    urls: Vec<String>,
    logs: Vec<VerifierKey>,
    witnesses: Vec<VerifierKey>,
    gov: SignerKey,
    /// With `TALLY_TEST_STORAGE=postgres`, the server the nodes keep their logs in (`--storage`);
    /// stopped after the nodes (the guard above).
    postgres: Option<Postgres>,
}

impl Net {
    /// Runs `tally network up --nodes N` into a fresh tempdir and reads the policy it wrote.
    fn up(nodes: usize) -> Net {
        Net::up_with(nodes, tally_testnet::on_postgres().then(Postgres::start))
    }

    /// [`Net::up`], with the logs in `postgres` if given.
    fn up_with(nodes: usize, postgres: Option<Postgres>) -> Net {
        let guard = Guard::new();
        let net_dir = guard.dir();
        let mut args = vec![
            "network".to_owned(),
            "up".into(),
            "--nodes".into(),
            nodes.to_string(),
            "--dir".into(),
            path_str(&net_dir),
        ];
        if let Some(server) = &postgres {
            args.extend(["--storage".into(), server.url("")]);
        }
        let run = tally(&args, b"").expect(0);
        assert!(run.out().starts_with("policy "), "{}", run.out());
        let policy: Value =
            serde_json::from_slice(&std::fs::read(net_dir.join("policy.json")).unwrap()).unwrap();
        let bookkeepers = policy["bookkeepers"].as_array().unwrap();
        let vkey = |v: &Value| VerifierKey::parse(v.as_str().unwrap()).unwrap();
        let gov = std::fs::read_to_string(net_dir.join("governance.key")).unwrap();
        Net {
            urls: bookkeepers
                .iter()
                .map(|b| b["urls"][0].as_str().unwrap().to_owned())
                .collect(),
            logs: bookkeepers.iter().map(|b| vkey(&b["log_key"])).collect(),
            witnesses: bookkeepers
                .iter()
                .map(|b| vkey(&b["witness_key"]))
                .collect(),
            gov: SignerKey::parse(gov.trim()).unwrap(),
            guard,
            postgres,
        }
    }

    fn dir(&self) -> PathBuf {
        self.guard.dir()
    }

    /// Replaces stopped node `i`'s log by a fresh one holding its first `size` entries as
    /// `change` leaves them, in whichever store the node keeps its log.
    fn rewrite_log(&self, i: usize, size: u64, change: impl FnOnce(&mut Vec<Vec<u8>>)) {
        let name = format!("bk{}", i + 1);
        let config: Value = serde_json::from_slice(
            &std::fs::read(self.dir().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        let at = match config["storage"].as_str() {
            Some(url) => Location::parse(url),
            None => Location::Sqlite(self.dir().join(format!("{name}.db"))),
        };
        let mut history = Store::open(&at).unwrap().entries(0..size).unwrap();
        change(&mut history);
        match (&at, &self.postgres) {
            (Location::Postgres(_), Some(server)) => server.recreate(&name),
            (Location::Sqlite(db), _) => {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
                }
            }
            (Location::Postgres(url), None) => panic!("{url} on no server of this test"),
        }
        Store::open(&at).unwrap().append(&history).unwrap();
    }

    /// `tally network up` again: restarts the stopped nodes with their keys and data.
    fn restart(&self) {
        let n = self.urls.len().to_string();
        let run = tally(
            &[
                "network",
                "up",
                "--nodes",
                &n,
                "--dir",
                &path_str(&self.dir()),
            ],
            b"",
        )
        .expect(0);
        assert!(run.out().contains(" started"), "{}", run.out());
    }

    fn pid(&self, i: usize) -> Pid {
        let text = std::fs::read_to_string(self.dir().join(format!("bk{}.pid", i + 1))).unwrap();
        Pid::from_raw(text.trim().parse().unwrap())
    }

    /// Sends `signal` to node `i` and waits until it has exited.
    fn stop(&self, i: usize, signal: Signal) {
        let pid = self.pid(i);
        kill(pid, signal).unwrap();
        poll(&format!("bk{} to exit", i + 1), || !alive(pid));
    }

    fn get(&self, i: usize, path: &str) -> (u16, Vec<u8>) {
        http(&self.urls[i], "GET", path, b"").unwrap()
    }

    fn json(&self, i: usize, path: &str) -> Value {
        let (status, body) = self.get(i, path);
        assert_eq!(
            status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap()
    }

    fn submit(&self, i: usize, entry: &[u8]) -> (u16, Vec<u8>) {
        http(&self.urls[i], "POST", "/submit", entry).unwrap()
    }

    /// Submits an entry that must be accepted; returns its log index from the receipt.
    fn accept(&self, i: usize, entry: &[u8]) -> u64 {
        let (status, body) = self.submit(i, entry);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        receipt_index(&body)
    }

    fn size(&self, i: usize) -> u64 {
        self.json(i, "/health")["size"].as_u64().unwrap()
    }

    fn wait_size(&self, i: usize, size: u64) {
        poll(&format!("bk{} to reach size {size}", i + 1), || {
            self.size(i) >= size
        });
    }

    /// Polls `/checkpoint` of node `i` until `accept` holds for it, and returns it.
    fn checkpoint_where(&self, i: usize, accept: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let mut found = None;
        poll(&format!("bk{}'s checkpoint", i + 1), || {
            let (status, note) = self.get(i, "/checkpoint");
            let ok = status == 200 && accept(&note);
            if ok {
                found = Some(note);
            }
            ok
        });
        found.unwrap()
    }

    /// Every peer's witness key, for verifying node `i`'s checkpoints.
    fn peer_witnesses(&self, i: usize) -> Vec<VerifierKey> {
        (0..self.urls.len())
            .filter(|&j| j != i)
            .map(|j| self.witnesses[j].clone())
            .collect()
    }

    /// The first `size` entries of node `i`'s log, from its entry bundles, once a checkpoint
    /// covers them (tiles beyond the checkpoint are not served).
    fn entries(&self, i: usize, size: u64) -> Vec<Vec<u8>> {
        self.checkpoint_where(i, |n| {
            tally_tlog::checkpoint::verify(n, &self.logs[i], &[], 0)
                .is_ok_and(|v| v.checkpoint.size() >= size)
        });
        let width = u64::from(TILE_WIDTH);
        let mut entries = Vec::new();
        for index in 0..size.div_ceil(width) {
            let tile = TilePath {
                kind: TileKind::Entries,
                index,
                width: u32::try_from((size - index * width).min(width)).unwrap(),
            };
            let (status, bundle) = self.get(i, &format!("/{}", tile.path()));
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bundle));
            entries.extend(
                tally_tlog::tiles::decode_entry_bundle(&bundle)
                    .unwrap()
                    .into_iter()
                    .map(<[u8]>::to_vec),
            );
        }
        entries
    }
}

/// Whether `pid` still runs; a zombie (exited, not yet reaped by whoever adopted it) has exited.
fn alive(pid: Pid) -> bool {
    kill(pid, None).is_ok()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')))
}

/// One HTTP/1.1 request to `base` (`http://127.0.0.1:P`): status and body. One client for all the
/// tests: a plain socket, since the bookkeeper answers with a length or chunks and we close after.
fn http(base: &str, method: &str, path: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())?;
    // A server may answer (413) and close before reading all of an oversized body.
    let _ = s.write_all(body);
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no HTTP head"))?;
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no HTTP status"))?;
    let rest = &answer[split + 4..];
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &[u8]) -> std::io::Result<Vec<u8>> {
    let bad = || std::io::Error::other("bad chunked body");
    let mut body = Vec::new();
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let len = usize::from_str_radix(
            std::str::from_utf8(&rest[..line])
                .map_err(|_| bad())?
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .map_err(|_| bad())?;
        if len == 0 {
            return Ok(body);
        }
        let start = line + 2;
        body.extend_from_slice(rest.get(start..start + len).ok_or_else(bad)?);
        rest = rest.get(start + len + 2..).ok_or_else(bad)?;
    }
}

/// The log index in a receipt note (`tally/receipt/v1`, origin, leaf hash, index, …).
fn receipt_index(receipt: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(receipt);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "tally/receipt/v1", "{text}");
    lines[3].parse().unwrap()
}

/// One organisation with a device certified for commissioning at one place, registered by the
/// network's governance key.
struct Parties {
    org: SignerKey,
    org_gln: String,
    device: SignerKey,
    place: String,
}

impl Parties {
    fn new() -> Parties {
        Parties {
            org: key("org-1", KeyType::Ed25519, 10),
            org_gln: with_check("950600000001"),
            device: key("device-1", KeyType::Ed25519, 30),
            place: with_check("950600000002"),
        }
    }

    fn registration(&self, gov: &SignerKey) -> Vec<u8> {
        let r = Record::Registration {
            gln: self.org_gln.clone(),
            name: "Org 1".into(),
            country: "NZ".into(),
            key: self.org.verifier().to_string(),
            domains: vec![],
            prefixes: vec![],
        };
        Entry::sign(r.kind(), r.to_payload(), None, gov)
            .unwrap()
            .encode()
    }

    fn certification(&self) -> Vec<u8> {
        let r = Record::Certification {
            org: self.org_gln.clone(),
            device: self.device.verifier().to_string(),
            roles: vec!["commissioning".into()],
            places: vec![self.place.clone()],
            valid_from: t("2026-01-01T00:00:00Z"),
            expires: t("2027-01-01T00:00:00Z"),
        };
        Entry::sign(r.kind(), r.to_payload(), None, &self.org)
            .unwrap()
            .encode()
    }

    /// A commissioning event of unit `serial`, signed by `device`.
    fn commission_by(&self, serial: u32, device: &SignerKey) -> Vec<u8> {
        let json = serde_json::json!({
            "type": "ObjectEvent",
            "action": "ADD",
            "eventTime": "2026-03-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "epcList": [format!("https://id.gs1.org/01/{GTIN}/21/{serial}")],
            "bizStep": "commissioning",
            "readPoint": {"id": format!("https://id.gs1.org/414/{}", self.place)},
        });
        Entry::sign_event(&serde_json::to_vec(&json).unwrap(), device)
            .unwrap()
            .encode()
    }

    fn commission(&self, serial: u32) -> Vec<u8> {
        self.commission_by(serial, &self.device)
    }

    /// Registers the organisation at node `reg_at` and certifies its device at node `cert_at`,
    /// waiting each time until every node holds the record (a certification needs the
    /// registration, an event the certification). Returns both entries.
    fn register(&self, net: &Net, reg_at: usize, cert_at: usize) -> Vec<Vec<u8>> {
        let records = vec![self.registration(&net.gov), self.certification()];
        for (size, (at, e)) in [reg_at, cert_at].into_iter().zip(&records).enumerate() {
            net.accept(at, e);
            for i in 0..net.urls.len() {
                net.wait_size(i, size as u64 + 1);
            }
        }
        records
    }
}

#[test]
fn three_bookkeepers_converge_and_cosign_each_other() {
    let net = Net::up(3);
    let p = Parties::new();
    let mut all = p.register(&net, 0, 1);
    for serial in 1..=12 {
        let e = p.commission(serial);
        net.accept(serial as usize % 3, &e);
        all.push(e);
    }
    let want: BTreeSet<Vec<u8>> = all.iter().cloned().collect();
    let total = want.len() as u64;
    for i in 0..3 {
        net.wait_size(i, total);
        let log = &net.logs[i];
        let witnesses = net.peer_witnesses(i);
        let note = net.checkpoint_where(i, |n| {
            tally_tlog::checkpoint::verify(n, log, &witnesses, 2)
                .is_ok_and(|v| v.checkpoint.size() == total)
        });
        let verified = tally_tlog::checkpoint::verify(&note, log, &witnesses, 2).unwrap();
        assert_eq!(verified.cosigners.len(), 2);
        let logged: BTreeSet<Vec<u8>> = net.entries(i, total).into_iter().collect();
        assert_eq!(logged, want, "bk{} holds a different entry set", i + 1);
    }
}

#[test]
fn a_stopped_bookkeeper_catches_up_when_it_returns() {
    let net = Net::up(3);
    let p = Parties::new();
    let mut all = p.register(&net, 0, 0);
    net.stop(2, Signal::SIGTERM);
    for serial in 1..=6 {
        let e = p.commission(serial);
        net.accept(serial as usize % 2, &e);
        all.push(e);
    }
    let total = all.len() as u64;
    net.wait_size(0, total);
    net.wait_size(1, total);
    let policy = std::fs::read(net.dir().join("policy.json")).unwrap();
    net.restart();
    assert_eq!(
        std::fs::read(net.dir().join("policy.json")).unwrap(),
        policy,
        "a restart must keep the network's keys"
    );
    net.wait_size(2, total);
    let want: BTreeSet<Vec<u8>> = all.into_iter().collect();
    for i in 0..3 {
        let logged: BTreeSet<Vec<u8>> = net.entries(i, total).into_iter().collect();
        assert_eq!(logged, want, "bk{} holds a different entry set", i + 1);
    }
}

#[test]
fn every_receipted_entry_survives_kill_9_and_the_tree_verifies() {
    let net = Net::up(3);
    let p = Parties::new();
    p.register(&net, 0, 0);
    let url = net.urls[0].clone();
    let device = p.device.clone();
    let place = p.place.clone();
    // The client: submits events to bk1 until it stops answering, keeping what was receipted.
    let receipts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&receipts);
    let client = std::thread::spawn(move || {
        let p = Parties {
            device,
            place,
            ..Parties::new()
        };
        let mut receipted = Vec::new();
        let mut serial = 0;
        loop {
            serial += 1;
            let e = p.commission(serial);
            match http(&url, "POST", "/submit", &e) {
                Ok((200, body)) => {
                    receipted.push((receipt_index(&body), e));
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok((status, body)) => panic!("{status}: {}", String::from_utf8_lossy(&body)),
                Err(_) => return receipted,
            }
        }
    });
    poll("20 receipts", || receipts.load(Ordering::Relaxed) >= 20);
    net.stop(0, Signal::SIGKILL);
    let receipted = client.join().unwrap();
    assert!(receipted.len() >= 20, "the client stopped early");
    net.restart();
    let last = receipted.iter().map(|(i, _)| *i).max().unwrap();
    let log = net.logs[0].clone();
    let note = net.checkpoint_where(0, |n| {
        tally_tlog::checkpoint::verify(n, &log, &[], 0).is_ok_and(|v| v.checkpoint.size() > last)
    });
    let checkpoint = tally_tlog::checkpoint::verify(&note, &log, &[], 0)
        .unwrap()
        .checkpoint;
    let size = checkpoint.size();
    let entries = net.entries(0, size);
    let mut tree = MemoryStore::new();
    for e in &entries {
        tree.append(e).unwrap();
    }
    assert_eq!(&tree.root(size).unwrap(), checkpoint.hash());
    for (index, entry) in &receipted {
        let hash = tally_tlog::leaf_hash(entry).to_string();
        let hash = hash
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let proof = net.json(0, &format!("/proof/inclusion?hash={hash}&size={size}"));
        assert_eq!(proof["index"], *index, "receipted entry moved or vanished");
        assert_eq!(&entries[*index as usize], entry);
    }
}

#[test]
fn a_rewritten_history_is_refused_by_the_witnesses_with_evidence() {
    let net = Net::up(3);
    let p = Parties::new();
    p.register(&net, 0, 0);
    for serial in 1..=4 {
        net.accept(2, &p.commission(serial));
    }
    let size = 6;
    let witnesses = net.peer_witnesses(2);
    let honest = net.checkpoint_where(2, |n| {
        tally_tlog::checkpoint::verify(n, &net.logs[2], &witnesses, 2)
            .is_ok_and(|v| v.checkpoint.size() == size)
    });
    net.stop(2, Signal::SIGTERM);
    // Rewrite the last event, then rebuild a consistent tree over the rewritten history, as an
    // operator hiding a change would: the node then signs a checkpoint of a fork.
    net.rewrite_log(2, size, |history| {
        history[size as usize - 1] = p.commission(999);
    });
    net.restart();
    let origin = net.logs[2].name().to_owned();
    for i in 0..2 {
        let mut found = None;
        poll(&format!("bk{}'s evidence against bk3", i + 1), || {
            let evidence = net.json(i, "/evidence");
            found = evidence["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["origin"] == origin.as_str())
                .cloned();
            found.is_some()
        });
        let item = found.unwrap();
        let notes = [&item["old_note"], &item["new_note"]].map(|n| {
            tally_tlog::checkpoint::verify(n.as_str().unwrap().as_bytes(), &net.logs[2], &[], 0)
                .unwrap()
                .checkpoint
        });
        assert_ne!(notes[0].hash(), notes[1].hash(), "{item}");
        assert!(
            notes.iter().any(|n| n.hash()
                == tally_tlog::checkpoint::verify(&honest, &net.logs[2], &[], 0)
                    .unwrap()
                    .checkpoint
                    .hash()),
            "the honest checkpoint is not in the evidence: {item}"
        );
    }
    let (status, forked) = net.get(2, "/checkpoint");
    assert_eq!(status, 200);
    assert!(
        tally_tlog::checkpoint::verify(&forked, &net.logs[2], &witnesses, 1).is_err(),
        "a peer cosigned the rewritten history: {}",
        String::from_utf8_lossy(&forked)
    );
}

#[test]
fn bad_input_is_refused_with_its_own_error_and_nothing_is_stored() {
    let net = Net::up(1);
    let p = Parties::new();
    p.register(&net, 0, 0);
    let first = p.commission(1);
    let index = net.accept(0, &first);
    let size = net.size(0);
    let mut forged = Entry::decode(&p.commission(2)).unwrap();
    forged.signature[0] ^= 1;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("forged signature", forged.encode(), 403, "bad_signature"),
        (
            "unknown signer",
            p.commission_by(3, &key("device-9", KeyType::Ed25519, 99)),
            403,
            "unknown_signer",
        ),
        ("oversized body", vec![0; 70_000], 413, "too_large"),
        (
            "malformed bytes",
            b"\x00\xffnot an entry".to_vec(),
            400,
            "malformed_entry",
        ),
    ];
    for (what, body, status, code) in cases {
        let (got, answer) = net.submit(0, &body);
        let answer: Value = serde_json::from_slice(&answer)
            .unwrap_or_else(|_| panic!("{what}: not JSON: {}", String::from_utf8_lossy(&answer)));
        assert_eq!(
            (got, answer["error"].as_str().unwrap_or_default()),
            (status, code),
            "{what}: {answer}"
        );
    }
    assert_eq!(net.accept(0, &first), index, "a replay got a new index");
    assert_eq!(net.size(0), size, "a refused or replayed entry was stored");
}

#[test]
fn network_down_stops_every_node_and_up_refuses_a_different_size() {
    let net = Net::up(2);
    let dir = path_str(&net.dir());
    let pids = [net.pid(0), net.pid(1)];
    let run = tally(&["network", "up", "--nodes", "2", "--dir", &dir], b"").expect(0);
    assert_eq!(
        run.out().matches("already running").count(),
        2,
        "{}",
        run.out()
    );
    tally(&["network", "up", "--nodes", "3", "--dir", &dir], b"").expect(2);
    let run = tally(&["network", "down", "--dir", &dir], b"").expect(0);
    assert_eq!(run.out().matches(" stopped").count(), 2, "{}", run.out());
    assert!(pids.iter().all(|&p| !alive(p)), "a node survived `down`");
    assert!(pid_files(&net.dir()).is_empty(), "pid files left behind");
    let run = tally(&["network", "down", "--dir", &dir], b"").expect(0);
    assert_eq!(
        run.out().matches("was not running").count(),
        2,
        "{}",
        run.out()
    );
    let empty = tempfile::tempdir().unwrap();
    tally(&["network", "down", "--dir", &path_str(empty.path())], b"").expect(2);
}

/// A bookkeeper process started by hand from a node's config (`tally bookkeeper serve`), killed
/// when dropped.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tally bookkeeper serve --config DIR/bk1.json` with `extra` arguments, its output in
/// DIR/`log`.
fn serve_bk1(net: &Net, log: &str, extra: &[&str]) -> Process {
    let log_file = std::fs::File::create(net.dir().join(log)).unwrap();
    Process(
        std::process::Command::new(tally_e2e::tally_bin())
            .args(["bookkeeper", "serve", "--config"])
            .arg(net.dir().join("bk1.json"))
            .args(extra)
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap(),
    )
}

/// Sequencer failover: two processes of bk1 share its PostgreSQL database; one holds the sequencer
/// lease, the other waits. Killed with -9 under load, the sequencer's place is taken by the
/// standby, on the same address. Every receipted entry is in the log exactly once, the tree that
/// the standby extends is the one the dead sequencer signed (no fork), and the peers cosign its
/// checkpoints, and it knows the registry records logged while it waited. A third process, a front
/// end on an address of its own, admits submissions for the sequencer, serves bk1's reads from
/// the same database throughout, and follows the new sequencer.
#[test]
fn a_standby_takes_over_when_the_sequencer_is_killed_and_the_tree_never_forks() {
    let net = Net::up_with(3, Some(Postgres::start()));
    let p = Parties::new();
    let _standby = serve_bk1(&net, "bk1-standby.log", &[]);
    let front = format!("http://127.0.0.1:{}", tally_testnet::free_port());
    let front_addr = front.trim_start_matches("http://");
    let _front = serve_bk1(
        &net,
        "bk1-front.log",
        &["--front-end", "--listen", front_addr],
    );
    let standby_log = net.dir().join("bk1-standby.log");
    let said = |what: &str| {
        std::fs::read_to_string(&standby_log)
            .unwrap()
            .contains(what)
    };
    poll("the standby to wait for the lease", || said("standby:"));
    // Registered after the standby read the log: it must catch up when it takes over, or it
    // would refuse the device's events.
    p.register(&net, 0, 0);
    poll("the front end to serve", || {
        http(&front, "GET", "/checkpoint", b"").is_ok_and(|(s, _)| s == 200)
    });
    // The front end admits a submission (once it has read the device's certification) and
    // hands it to the sequencer: the receipt it signs names the entry's index in the log.
    let via_front = p.commission(999_999);
    let mut receipt = Vec::new();
    poll("the front end to admit an event", || {
        let (status, body) = http(&front, "POST", "/submit", &via_front).unwrap();
        receipt = body;
        status == 200
    });
    let index = receipt_index(&receipt);
    net.wait_size(0, index + 1);
    assert_eq!(net.entries(0, index + 1)[index as usize], via_front);
    let (status, body) = http(&front, "POST", "/add-checkpoint", b"old 0\n").unwrap();
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    // Only the bookkeeper's own processes (holders of its log key) may hand it admitted entries.
    let (status, _) = http(&net.urls[0], "POST", "/sequence", b"[]").unwrap();
    assert_eq!(status, 403);

    // The client: submits events to bk1's address, and after a failure submits the same event
    // again until it is receipted (a duplicate gets the receipt of the entry already logged).
    let url = net.urls[0].clone();
    let (device, place) = (p.device.clone(), p.place.clone());
    let receipts = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (counter, stopped) = (Arc::clone(&receipts), Arc::clone(&stop));
    let client = std::thread::spawn(move || {
        let p = Parties {
            device,
            place,
            ..Parties::new()
        };
        let (mut receipted, mut failures) = (Vec::new(), 0);
        let mut serial = 0;
        // The longest wait between two receipts: the outage the failover cost this client.
        let (mut last, mut outage) = (std::time::Instant::now(), Duration::ZERO);
        while !stopped.load(Ordering::Relaxed) {
            serial += 1;
            let e = p.commission(serial);
            loop {
                match http(&url, "POST", "/submit", &e) {
                    Ok((200, body)) => {
                        receipted.push((receipt_index(&body), e));
                        counter.fetch_add(1, Ordering::Relaxed);
                        outage = outage.max(last.elapsed());
                        last = std::time::Instant::now();
                        break;
                    }
                    Ok((status, _)) if status < 500 => panic!("refused with {status}"),
                    _ => {
                        failures += 1;
                        assert!(failures < 3000, "no sequencer came back");
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
        }
        eprintln!("failover: the client waited at most {outage:?} between two receipts");
        receipted
    });
    poll("20 receipts", || receipts.load(Ordering::Relaxed) >= 20);
    let before =
        tally_tlog::checkpoint::verify(&net.checkpoint_where(0, |_| true), &net.logs[0], &[], 0)
            .unwrap()
            .checkpoint;
    assert!(!said("took the sequencer lease"), "two sequencers at once");
    net.stop(0, Signal::SIGKILL);
    let at_kill = receipts.load(Ordering::Relaxed);
    // Reads go on without a sequencer.
    let (status, _) = http(&front, "GET", "/checkpoint", b"").unwrap();
    assert_eq!(status, 200);
    poll("20 receipts from the standby", || {
        receipts.load(Ordering::Relaxed) >= at_kill + 20
    });
    stop.store(true, Ordering::Relaxed);
    let receipted = client.join().unwrap();
    assert!(said("took the sequencer lease"));

    // The peers cosign the new sequencer's checkpoints, which cover every receipt.
    let last = receipted.iter().map(|(i, _)| *i).max().unwrap();
    let witnesses = net.peer_witnesses(0);
    let note = net.checkpoint_where(0, |n| {
        tally_tlog::checkpoint::verify(n, &net.logs[0], &witnesses, 2)
            .is_ok_and(|v| v.checkpoint.size() > last)
    });
    let after = tally_tlog::checkpoint::verify(&note, &net.logs[0], &witnesses, 2)
        .unwrap()
        .checkpoint;
    // One tree: the checkpoint signed before the kill is a prefix of the one signed after.
    let entries = net.entries(0, after.size());
    let mut tree = MemoryStore::new();
    for e in &entries {
        tree.append(e).unwrap();
    }
    assert_eq!(&tree.root(before.size()).unwrap(), before.hash(), "forked");
    assert_eq!(&tree.root(after.size()).unwrap(), after.hash());
    // Every receipted entry exactly once, at the index of its receipt.
    let distinct: BTreeSet<&Vec<u8>> = entries.iter().collect();
    assert_eq!(distinct.len(), entries.len(), "an entry was logged twice");
    for (index, entry) in &receipted {
        assert_eq!(&entries[*index as usize], entry, "receipt {index}");
    }
    // The front end follows the new sequencer: its checkpoint reaches the same tree, and it proves
    // a receipted entry as the sequencer does.
    let mut seen = Vec::new();
    poll("the front end to follow the new sequencer", || {
        let (status, note) = http(&front, "GET", "/checkpoint", b"").unwrap();
        seen = note;
        status == 200
            && tally_tlog::checkpoint::verify(&seen, &net.logs[0], &witnesses, 2)
                .is_ok_and(|v| v.checkpoint.size() >= after.size())
    });
    let size = tally_tlog::checkpoint::verify(&seen, &net.logs[0], &witnesses, 2)
        .unwrap()
        .checkpoint
        .size();
    let (index, _) = receipted.last().unwrap();
    let path = format!("/proof/inclusion?index={index}&size={size}");
    let (status, from_front) = http(&front, "GET", &path, b"").unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&from_front));
    assert_eq!(from_front, net.get(0, &path).1);
}
