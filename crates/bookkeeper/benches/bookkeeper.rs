//! The bookkeeper targets of issue 3, measured against a real bookkeeper served in-process on
//! 127.0.0.1 (SQLite in a tempdir), over real HTTP:
//!
//! 1. accepted entries/s from concurrent submitters (pre-signed, distinct, valid EPCIS events;
//!    a receipt is only issued once its batch is on disk);
//! 2. latency from each receipt to the first signed checkpoint that includes the entry;
//! 3. inclusion proofs/s served from a large log built directly with `SqliteStore`, and the bytes on
//!    disk per entry.
//!
//! ```text
//! cargo bench -p tally-bookkeeper --bench bookkeeper
//! TALLY_BENCH_ENTRIES=200000 TALLY_BENCH_PROOF_LOG=10000000 cargo bench -p tally-bookkeeper --bench bookkeeper
//! ```
//!
//! Submissions are measured three times: one entry per `POST /submit` (what a phone does), bundles
//! per `POST /submit-bundle` (what a warehouse outbox and peer broadcast do), and bundles of
//! confidential entries (each event's purchase order withheld from label holders, the event
//! sealed for its lot's label, 100 units a lot, and wrapped for one entitled regulator, submitted
//! with the label's secret, the wrap's seed and the withheld key: the bookkeeper opens, puts the
//! withheld order back and checks the whole event, re-wraps for the regulator and files each
//! under keyed lookup keys). Each
//! run reports the bytes on disk per entry of its database (entries, lookup index, tree hashes).
//!
//! Environment: `TALLY_BENCH_STORAGE=postgres` (the submissions' logs in a PostgreSQL server this
//! bench starts, as `storage = "postgres://…"` in a bookkeeper's config; the proof log stays
//! SQLite), `TALLY_BENCH_ENTRIES` (submitted entries, default 50 000),
//! `TALLY_BENCH_SUBMITTERS` (concurrent connections, default 48; 0 skips the measure), `TALLY_BENCH_BUNDLE` (entries
//! per bundle, default 256), `TALLY_BENCH_BUNDLE_SUBMITTERS` (concurrent bundle connections,
//! default 8; 0 skips the measure), `TALLY_BENCH_PROOF_LOG`
//! (entries in the proof log, default 1 000 000; 0 skips the measure), `TALLY_BENCH_PROOF_SECS`
//! (seconds of proof load, default 10, after `TALLY_BENCH_PROOF_WARMUP_SECS` of uncounted load,
//! default 5, while the server warms its cache), `TALLY_BENCH_PROOF_CONNECTIONS` (default 16),
//! `TALLY_BENCH_PROOF_DB` (a file to build the proof log in and reuse on later runs, with the same
//! `TALLY_BENCH_PROOF_LOG`), `TALLY_BENCH_SERVER_WORKERS` (the server runtime's worker threads for
//! the proof load, default one per core). The client runs in the same process as the server, on its
//! own threads, so both share the machine's cores; the report splits the CPU time between them and
//! gives the server's own rate per CPU-second. Submissions use `reqwest`; the proof load uses a
//! minimal keep-alive HTTP/1.1 client, all connections on one epoll thread (as wrk), which costs
//! the shared cores far less.

use serde_json::json;

/// The allocator the `tally` binary serves with (the server runs in this process).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tally_bookkeeper::Config;
use tally_logstore::{Location, LogStore as _, SqliteStore};
use tally_tlog::{KeyType, SignerKey, VerifierKey};
use tally_trust::{Entry, EntryKind, Record};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

/// The server runtime's thread name (workers and blocking pool), to tell its CPU time apart.
const SERVER_THREADS: &str = "bk-server";
/// The client runtime's thread name.
const CLIENT_THREADS: &str = "bench-client";
/// GTIN of the commissioned units.
const GTIN: &str = "09506000134352";
/// Devices certified to commission; submissions use them in turn.
const DEVICES: usize = 4;
/// Entries per transaction when building the proof log.
const BUILD_BATCH: usize = 50_000;

fn env_or(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}")),
        Err(_) => default,
    }
}

fn main() {
    let entries = env_or("TALLY_BENCH_ENTRIES", 50_000) as usize;
    let submitters = env_or("TALLY_BENCH_SUBMITTERS", 48) as usize;
    let bundle = env_or("TALLY_BENCH_BUNDLE", 256).max(2) as usize;
    let bundle_submitters = env_or("TALLY_BENCH_BUNDLE_SUBMITTERS", 8) as usize;
    let proof_log = env_or("TALLY_BENCH_PROOF_LOG", 1_000_000);
    let proof_secs = env_or("TALLY_BENCH_PROOF_SECS", 10);
    let proof_connections = env_or("TALLY_BENCH_PROOF_CONNECTIONS", 16) as usize;
    println!("Tally bookkeeper benchmark ({} cores)", cores());
    let client = runtime(CLIENT_THREADS, 2);
    let net = Net::new();
    if submitters > 0 {
        submissions(&net, &client, entries, submitters, 1, false);
    }
    if bundle_submitters > 0 {
        submissions(&net, &client, entries, bundle_submitters, bundle, false);
        submissions(&net, &client, entries, bundle_submitters, bundle, true);
    }
    if proof_log > 0 {
        proofs(&net, &client, proof_log, proof_connections, proof_secs);
    }
    if proof_log < 10_000_000 {
        println!(
            "\nFull-size run (10M-entry proof log, ~4 GB of disk, ~12 minutes to build here):\n  \
             TALLY_BENCH_ENTRIES=200000 TALLY_BENCH_PROOF_LOG=10000000 \
             cargo bench -p tally-bookkeeper --bench bookkeeper"
        );
    }
}

/// Worker threads of the server's runtime (TALLY_BENCH_SERVER_WORKERS, default: the cores).
fn server_workers() -> usize {
    env_or("TALLY_BENCH_SERVER_WORKERS", cores() as u64) as usize
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn runtime(name: &str, workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn key(name: &str, kind: KeyType, seed: u8) -> SignerKey {
    SignerKey::from_seed(name, kind, &[seed; 32]).expect("key")
}

/// A GS1 identifier body with its check digit appended.
fn with_check(body: &str) -> String {
    format!(
        "{body}{}",
        tally_epcis::epc::check_digit(body).expect("check digit")
    )
}

fn time(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).expect("time")
}

/// A one-bookkeeper network in a tempdir: policy, keys, and the parties that sign entries.
struct Net {
    /// With `TALLY_BENCH_STORAGE=postgres`: the PostgreSQL server the measured logs live in.
    postgres: Option<tally_testkit::postgres::Postgres>,
    dir: tempfile::TempDir,
    log: VerifierKey,
    org: SignerKey,
    org_gln: String,
    place: String,
    devices: Vec<SignerKey>,
    /// The regulator governance entitles to read every sealed event.
    regulator: tally_confidential::RecipientKey,
    http: reqwest::Client,
}

impl Net {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let gov = key("gov.tally.example", KeyType::Ed25519, 200);
        let log = key("bk0.tally.example/log", KeyType::Ed25519, 100);
        let witness = key("bk0.tally.example/witness", KeyType::Cosignature, 150);
        let policy = json!({
            "network": "tally.example",
            "governance": [gov.verifier().to_string()],
            "bookkeepers": [{
                "name": "bk0",
                "operator": "Operator 0",
                "log_key": log.verifier().to_string(),
                "witness_key": witness.verifier().to_string(),
                "urls": ["http://127.0.0.1:1"],
            }],
            "log_quorum": 1,
            "witness_threshold": 0, "allow_unwitnessed": true,
            "cold_chain": [],
        });
        let p = dir.path();
        std::fs::write(p.join("policy.json"), policy.to_string()).expect("policy");
        std::fs::write(p.join("log.key"), log.to_secret_string()).expect("key");
        std::fs::write(p.join("witness.key"), witness.to_secret_string()).expect("key");
        let on_postgres = std::env::var("TALLY_BENCH_STORAGE").is_ok_and(|v| v == "postgres");
        Net {
            postgres: on_postgres.then(tally_testkit::postgres::Postgres::start),
            log: log.verifier(),
            org: key("org-1", KeyType::Ed25519, 10),
            org_gln: with_check("950600000001"),
            place: with_check("950600000002"),
            devices: (0..DEVICES)
                .map(|i| key(&format!("device-{i}"), KeyType::Ed25519, 30 + i as u8))
                .collect(),
            regulator: tally_confidential::RecipientSecret::generate(&mut rand_core::OsRng)
                .public(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(1024)
                .build()
                .expect("http client"),
            dir,
        }
    }

    /// The registration of the organisation and the certification of its devices.
    fn registry_entries(&self) -> Vec<Vec<u8>> {
        let gov = key("gov.tally.example", KeyType::Ed25519, 200);
        let reg = Record::Registration {
            gln: self.org_gln.clone(),
            name: "Org 1".into(),
            country: "NZ".into(),
            key: self.org.verifier().to_string(),
            domains: vec![],
            prefixes: vec![],
        };
        let entitlement = Record::Entitlement {
            recipient: "Regulator".into(),
            key: self.regulator.to_string(),
            scope: vec![],
        };
        let mut out: Vec<Vec<u8>> = [reg, entitlement]
            .iter()
            .map(|r| {
                Entry::sign(r.kind(), r.to_payload(), None, &gov)
                    .expect("sign")
                    .encode()
            })
            .collect();
        for device in &self.devices {
            let cert = Record::Certification {
                org: self.org_gln.clone(),
                device: device.verifier().to_string(),
                roles: vec!["commissioning".into()],
                places: vec![self.place.clone()],
                valid_from: time("2026-01-01T00:00:00Z"),
                expires: time("2030-01-01T00:00:00Z"),
            };
            out.push(
                Entry::sign(cert.kind(), cert.to_payload(), None, &self.org)
                    .expect("sign")
                    .encode(),
            );
        }
        out
    }

    /// A valid commissioning event of unit `serial`, signed by one of the devices.
    fn commission(&self, serial: usize) -> Vec<u8> {
        let event = serde_json::to_vec(&json!({
            "type": "ObjectEvent",
            "action": "ADD",
            "eventTime": "2026-03-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "epcList": [format!("https://id.gs1.org/01/{GTIN}/21/{serial}")],
            "bizStep": "commissioning",
            "readPoint": {"id": format!("https://id.gs1.org/414/{}", self.place)},
        }))
        .expect("json");
        Entry::sign_event(&event, &self.devices[serial % DEVICES])
            .expect("sign")
            .encode()
    }

    /// The same commissioning, of a lot-qualified unit (100 a lot), naming its purchase order,
    /// which is withheld from label holders; sealed for its lot's label and for the entitled
    /// regulator, and wrapped with that label's secret, the regulator's wrap seed and the
    /// withheld part's key as a sealed submission.
    fn commission_sealed(&self, serial: usize) -> Vec<u8> {
        let lot = serial / 100;
        let event = serde_json::to_vec(&json!({
            "type": "ObjectEvent",
            "action": "ADD",
            "eventTime": "2026-03-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00",
            "epcList": [format!("https://id.gs1.org/01/{GTIN}/10/L{lot}/21/{serial}")],
            "bizStep": "commissioning",
            "readPoint": {"id": format!("https://id.gs1.org/414/{}", self.place)},
            "bizTransactionList": [{"type": "po", "bizTransaction": format!("urn:example:po:{lot}")}],
        }))
        .expect("json");
        let rng = &mut rand_core::OsRng;
        let (event, withheld) =
            tally_confidential::withhold(&event, &["bizTransactionList".into()], rng)
                .expect("withhold");
        let entry = Entry::sign_event(&event, &self.devices[serial % DEVICES])
            .expect("sign")
            .encode();
        let mut secret = [0u8; 16];
        secret[..8].copy_from_slice(&(lot as u64).to_be_bytes());
        let secret = tally_confidential::LabelSecret::from_bytes(secret);
        let to = std::slice::from_ref(&self.regulator);
        let contents = tally_confidential::Contents {
            entry: &entry,
            links: &[],
            withheld: &withheld,
        };
        tally_confidential::Submission::seal(&contents, std::slice::from_ref(&secret), to, rng)
            .expect("seal")
            .encode()
    }

    /// Serves a bookkeeper on `database` on its own runtime; returns its URL and its stopper.
    /// Where a measured log named `name` lives: a SQLite file in the tempdir, or a fresh
    /// database of the PostgreSQL server.
    fn location(&self, name: &str) -> Location {
        match &self.postgres {
            Some(server) => Location::Postgres(server.database(&name.replace('-', "_"))),
            None => Location::Sqlite(self.dir.path().join(format!("{name}.db"))),
        }
    }

    fn start(&self, database: &Location, server: &Runtime, client: &Runtime) -> (String, Server) {
        let p = self.dir.path();
        // `run` binds the port itself: take a free one first.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let config = Config {
            name: "bk0".into(),
            listen: ([127, 0, 0, 1], port).into(),
            database: match database {
                Location::Sqlite(path) => Some(path.clone()),
                Location::Postgres(_) => None,
            },
            storage: match database {
                Location::Postgres(url) => Some(url.clone()),
                Location::Sqlite(_) => None,
            },
            policy: p.join("policy.json"),
            log_key: p.join("log.key"),
            witness_key: p.join("witness.key"),
            checkpoint_interval_ms: 1000,
            max_batch: 1024,
            max_connections: None,
            max_connections_per_ip: None,
            header_timeout_ms: None,
            request_timeout_ms: None,
            submissions_per_ip: None,
            publish: None,
            front_end: false,
            registry_secret: None,
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = server.spawn(tally_bookkeeper::run(config, async {
            let _ = stopped.await;
        }));
        let url = format!("http://127.0.0.1:{port}");
        client.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(3600);
            while Instant::now() < deadline {
                if let Ok(r) = self.http.get(format!("{url}/health")).send().await {
                    if r.status() == 200 {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the bookkeeper did not become healthy");
        });
        (url, Server { stop, task })
    }

    /// The size of the latest checkpoint at `url`, if there is one.
    async fn checkpoint_size(&self, url: &str) -> Option<u64> {
        checkpoint_size(&self.http, &self.log, url).await
    }
}

/// The size of the latest checkpoint at `url` (verified with the log key), if there is one.
async fn checkpoint_size(http: &reqwest::Client, log: &VerifierKey, url: &str) -> Option<u64> {
    let r = http.get(format!("{url}/checkpoint")).send().await.ok()?;
    if r.status() != 200 {
        return None;
    }
    let note = r.bytes().await.ok()?;
    let verified = tally_tlog::checkpoint::verify(&note, log, &[], 0).ok()?;
    Some(verified.checkpoint.size())
}

/// A bookkeeper being served.
struct Server {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), tally_bookkeeper::ServeError>>,
}

impl Server {
    fn stop(self, server: &Runtime) {
        let _ = self.stop.send(());
        server
            .block_on(self.task)
            .expect("server task")
            .expect("server");
    }
}

/// CPU seconds used so far by the whole process (exited threads included), and by each live
/// thread with whether it is a server thread (named `SERVER_THREADS`), from `/proc/self`.
struct CpuTimes {
    process: f64,
    threads: std::collections::HashMap<String, (bool, f64)>,
}

fn cpu() -> CpuTimes {
    let ticks = 100.0; // USER_HZ on Linux
    let times = |stat: &str| -> f64 {
        // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        let get = |i: usize| {
            f.get(i - 3)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (get(14) + get(15)) / ticks
    };
    let mut threads = std::collections::HashMap::new();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            let used = std::fs::read_to_string(task.path().join("stat")).map_or(0.0, |s| times(&s));
            let tid = task.file_name().to_string_lossy().into_owned();
            threads.insert(tid, (comm.trim() == SERVER_THREADS, used));
        }
    }
    let process = std::fs::read_to_string("/proc/self/stat").map_or(0.0, |s| times(&s));
    CpuTimes { process, threads }
}

impl CpuTimes {
    /// CPU seconds used since `earlier` by the whole process, and by the server's threads.
    ///
    /// The server's share is summed thread by thread over the threads alive now: a server thread
    /// that exited meanwhile (an idle blocking thread that opened the log, say) loses only its time
    /// within the window, instead of its whole life's moving to the client's side.
    fn since(&self, earlier: &CpuTimes) -> (f64, f64) {
        let server = self
            .threads
            .iter()
            .filter(|(_, (is_server, _))| *is_server)
            .map(|(tid, (_, used))| used - earlier.threads.get(tid).map_or(0.0, |(_, u)| *u))
            .sum();
        (self.process - earlier.process, server)
    }
}

/// The `q`-quantile of sorted values.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Signs `n` items with `make` on every core.
fn presign(n: usize, make: impl Fn(usize) -> Vec<u8> + Sync) -> Vec<Vec<u8>> {
    let threads = cores();
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..threads)
            .map(|t| {
                let make = &make;
                s.spawn(move || {
                    (t * chunk..((t + 1) * chunk).min(n))
                        .map(make)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("signer thread"))
            .collect()
    })
}

/// `POST /submit` of one entry: the index in its receipt, if it got one.
async fn submit_one(http: &reqwest::Client, url: &str, entry: &[u8]) -> Vec<Option<u64>> {
    let r = http
        .post(format!("{url}/submit"))
        .body(entry.to_vec())
        .send()
        .await;
    let note = match r {
        Ok(r) if r.status() == 200 => r.text().await.ok(),
        _ => None,
    };
    vec![note.and_then(|note| note.lines().nth(3)?.parse::<u64>().ok())]
}

/// `POST /submit-bundle` of `entries`: per entry, the index it was receipted at (the bundle's one
/// receipt is signed, not checked here: the client's own bench checks receipts).
async fn submit_bundle(http: &reqwest::Client, url: &str, entries: &[Vec<u8>]) -> Vec<Option<u64>> {
    let body =
        tally_tlog::tiles::encode_entry_bundle(entries.iter().map(Vec::as_slice)).expect("bundle");
    let answer = match http
        .post(format!("{url}/submit-bundle"))
        .body(body)
        .send()
        .await
    {
        Ok(r) if r.status() == 200 => r.json::<serde_json::Value>().await.ok(),
        _ => None,
    };
    let results = answer
        .as_ref()
        .filter(|a| a["receipt"].is_string())
        .and_then(|a| a["results"].as_array())
        .cloned()
        .unwrap_or_default();
    (0..entries.len())
        .map(|i| results.get(i)?["index"].as_u64())
        .collect()
}

/// Measures 1 and 2: sustained accepted entries/s, and receipt → checkpoint latency, with `bundle`
/// entries per request (1: `POST /submit`; more: `POST /submit-bundle`).
fn submissions(
    net: &Net,
    client: &Runtime,
    n: usize,
    submitters: usize,
    bundle: usize,
    sealed: bool,
) {
    let how = if bundle == 1 {
        "one entry per POST /submit".to_owned()
    } else {
        format!("bundles of {bundle} per POST /submit-bundle")
    };
    let what = if sealed {
        "sealed (confidential)"
    } else {
        "plain"
    };
    println!(
        "\n## Submissions: {n} distinct signed events, {what}, {submitters} concurrent connections, {how}"
    );
    let started = Instant::now();
    let events = Arc::new(match sealed {
        true => presign(n, |i| net.commission_sealed(i)),
        false => presign(n, |i| net.commission(i)),
    });
    let mean = events.iter().map(Vec::len).sum::<usize>() / n.max(1);
    println!(
        "pre-signed in {:.1} s (mean entry {mean} B)",
        started.elapsed().as_secs_f64()
    );
    let server = runtime(SERVER_THREADS, cores());
    let database = net.location(&format!("submit-{bundle}-{what}"));
    let (url, stopper) = net.start(&database, &server, client);
    let registry = net.registry_entries();
    let registry_len = registry.len() as u64;
    client.block_on(async {
        for entry in registry {
            let r = net
                .http
                .post(format!("{url}/submit"))
                .body(entry)
                .send()
                .await
                .expect("submit");
            assert_eq!(r.status(), 200, "registry record refused");
        }
    });

    // (index, receipt time) of every accepted entry, and every checkpoint size seen with its time.
    let receipts: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let checkpoints: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = cpu();
    let t0 = Instant::now();
    let wall = client.block_on(async {
        let poller = {
            let (checkpoints, done, url) =
                (Arc::clone(&checkpoints), Arc::clone(&done), url.clone());
            let (http, log) = (net.http.clone(), net.log.clone());
            tokio::spawn(async move {
                let mut last = 0;
                loop {
                    let finished = done.load(Ordering::Acquire);
                    if let Some(size) = checkpoint_size(&http, &log, &url).await {
                        if size > last {
                            last = size;
                            checkpoints
                                .lock()
                                .expect("lock")
                                .push((Instant::now(), size));
                        }
                    }
                    if finished {
                        return last;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        let workers: Vec<_> = (0..submitters)
            .map(|_| {
                let (events, next, receipts, refused) = (
                    Arc::clone(&events),
                    Arc::clone(&next),
                    Arc::clone(&receipts),
                    Arc::clone(&refused),
                );
                let (http, url) = (net.http.clone(), url.clone());
                tokio::spawn(async move {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(bundle, Ordering::Relaxed);
                        if i >= events.len() {
                            break;
                        }
                        let chunk = &events[i..events.len().min(i + bundle)];
                        let indices = if bundle == 1 {
                            submit_one(&http, &url, &chunk[0]).await
                        } else {
                            submit_bundle(&http, &url, chunk).await
                        };
                        let at = Instant::now();
                        for index in indices {
                            match index {
                                Some(index) => mine.push((index, at)),
                                None => {
                                    refused.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    }
                    receipts.lock().expect("lock").extend(mine);
                })
            })
            .collect();
        for w in workers {
            w.await.expect("submitter");
        }
        let wall = t0.elapsed();
        // Wait for the checkpoint that covers everything.
        let total = registry_len + n as u64;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline
            && checkpoints.lock().expect("lock").last().map_or(0, |c| c.1) < total
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        done.store(true, Ordering::Release);
        poller.await.expect("poller");
        wall
    });
    let (cpu_spent, server_cpu) = cpu().since(&cpu_before);
    let receipts = receipts.lock().expect("lock");
    let checkpoints = checkpoints.lock().expect("lock");
    let accepted = receipts.len();
    let rate = accepted as f64 / wall.as_secs_f64();
    let other_cpu = cpu_spent - server_cpu;
    println!(
        "accepted {accepted} ({} refused or failed) in {:.2} s: {rate:.0} entries/s (target >= 10000: {})",
        refused.load(Ordering::Relaxed),
        wall.as_secs_f64(),
        verdict(rate >= 10_000.0)
    );
    println!(
        "CPU over the run: server {server_cpu:.1} s ({:.0}% of one core; {:.0} entries per server CPU-second), client and rest {other_cpu:.1} s ({:.0}%)",
        100.0 * server_cpu / wall.as_secs_f64(),
        accepted as f64 / server_cpu,
        100.0 * other_cpu / wall.as_secs_f64()
    );
    let mut latencies: Vec<Duration> = receipts
        .iter()
        .filter_map(|&(index, at)| {
            let i = checkpoints.partition_point(|&(_, size)| size <= index);
            checkpoints
                .get(i)
                .map(|&(seen, _)| seen.saturating_duration_since(at))
        })
        .collect();
    let missing = accepted - latencies.len();
    latencies.sort();
    let p99 = quantile(&latencies, 0.99);
    println!(
        "receipt -> signed checkpoint including it (polled every 10 ms): p50 {} ms, p99 {} ms, max {} ms{} (target p99 <= 1500 ms: {})",
        quantile(&latencies, 0.5).as_millis(),
        p99.as_millis(),
        latencies.last().copied().unwrap_or_default().as_millis(),
        if missing > 0 {
            format!(", {missing} never seen in a checkpoint")
        } else {
            String::new()
        },
        verdict(p99 <= Duration::from_millis(1500) && missing == 0)
    );
    stopper.stop(&server);
    drop(server);
    let on_disk = match &database {
        Location::Sqlite(path) => disk_bytes(path),
        Location::Postgres(url) => postgres_bytes(url),
    };
    println!(
        "on disk: {:.1} MB = {:.0} B/entry (entry data, lookup index, leaf-hash index, tree hashes)",
        on_disk as f64 / 1e6,
        on_disk as f64 / (registry_len as f64 + n as f64)
    );
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// Measure 3: inclusion proofs/s over HTTP from a log of `size` entries, and bytes per entry.
fn proofs(net: &Net, client: &Runtime, size: u64, connections: usize, secs: u64) {
    println!(
        "\n## Inclusion proofs from a log of {size} entries, {connections} concurrent connections"
    );
    // A proof log kept between runs (TALLY_BENCH_PROOF_DB) is reused: its entries are signed by
    // the same seeded keys, and the build is most of the run's time at 10M entries.
    let database = std::env::var_os("TALLY_BENCH_PROOF_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| net.dir.path().join("proofs.db"));
    let started = Instant::now();
    let entry_bytes = build_log(net, &database, size);
    let on_disk = disk_bytes(&database);
    println!(
        "built in {:.0} s with SqliteStore ({BUILD_BATCH} entries a transaction); entry size {entry_bytes} B; \
         on disk {:.2} GB = {:.0} B/entry (entry data, leaf-hash index, stored tree hashes)",
        started.elapsed().as_secs_f64(),
        on_disk as f64 / 1e9,
        on_disk as f64 / size as f64
    );
    let server = runtime(SERVER_THREADS, server_workers());
    let opened = Instant::now();
    let (url, stopper) = net.start(&Location::Sqlite(database.clone()), &server, client);
    // `start` returns once the server answers, after it has read its whole log.
    let ready = client.block_on(async {
        loop {
            if net.checkpoint_size(&url).await == Some(size) {
                return opened.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    println!(
        "server up with a checkpoint of size {size} after {:.1} s",
        ready.as_secs_f64()
    );
    let addr = url.trim_start_matches("http://");
    // The server warms its cache of the tree's upper levels in its first seconds, and the first
    // touch of each page of the mapped database faults: a warm-up load first, not counted.
    let warmup = env_or("TALLY_BENCH_PROOF_WARMUP_SECS", 5);
    let (warm, _) = proof_load(addr, size, connections, Duration::from_secs(warmup), 1);
    println!("warm-up: {warm} proofs in {warmup} s");
    let cpu_before = cpu();
    let t0 = Instant::now();
    let (served, failed) = proof_load(addr, size, connections, Duration::from_secs(secs), 2);
    let wall = t0.elapsed().as_secs_f64();
    let (cpu_spent, server_cpu) = cpu().since(&cpu_before);
    let rate = served as f64 / wall;
    println!(
        "served {served} proofs ({failed} failed) in {wall:.1} s: {rate:.0} proofs/s (target >= 20000 at 10M entries: {})",
        verdict(rate >= 20_000.0)
    );
    println!(
        "CPU over the run: server {server_cpu:.1} s ({:.0}% of one core; {:.0} proofs per server CPU-second), client and rest {:.1} s",
        100.0 * server_cpu / wall,
        served as f64 / server_cpu,
        cpu_spent - server_cpu
    );
    stopper.stop(&server);
}

/// GETs inclusion proofs of random leaves of a log of `size` entries over `connections` keep-alive
/// connections for `time` (the leaves drawn from `seed`); returns how many came back 200 and how
/// many did not.
///
/// One thread drives every connection through epoll (a current-thread runtime), as wrk does: a
/// blocked thread per connection cost the shared cores a context switch per request.
fn proof_load(addr: &str, size: u64, connections: usize, time: Duration, seed: u64) -> (u64, u64) {
    let served = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + time;
    let load = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("load runtime");
    load.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|w| {
                let (served, failed) = (Arc::clone(&served), Arc::clone(&failed));
                let addr = addr.to_owned();
                tokio::spawn(async move {
                    let mut conn = RawHttp::connect(&addr).await;
                    // A cheap per-connection pseudo-random sequence of indices (xorshift).
                    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (seed << 32) ^ (w as u64 + 1);
                    while Instant::now() < until {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let index = x % size;
                        let path = format!("/proof/inclusion?index={index}&size={size}");
                        let status = conn.get(&path).await;
                        if status == 200 { &served } else { &failed }
                            .fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("load task");
        }
    });
    (
        served.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    )
}

/// A minimal HTTP/1.1 keep-alive client on a non-blocking socket: a load generator much lighter
/// than `reqwest`, so that more of the shared cores go to the server being measured.
struct RawHttp {
    stream: tokio::net::TcpStream,
    host: String,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
}

impl RawHttp {
    async fn connect(host: &str) -> Self {
        let stream = tokio::net::TcpStream::connect(host).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        RawHttp {
            stream,
            host: host.to_owned(),
            buf: Vec::with_capacity(8192),
        }
    }

    /// GETs `path` and reads the whole answer; returns its status (0 if the exchange failed).
    async fn get(&mut self, path: &str) -> u16 {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host);
        let mut sent = 0;
        while sent < request.len() {
            if self.stream.writable().await.is_err() {
                return 0;
            }
            match self.stream.try_write(&request.as_bytes()[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return 0,
            }
        }
        // Read until the head is complete, then until the body's Content-Length is in.
        let mut need = None;
        loop {
            if need.is_none() {
                if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                    let status = head
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    let length: usize = head
                        .lines()
                        .filter_map(|l| l.split_once(':'))
                        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.trim().parse().ok())
                        .unwrap_or(0);
                    need = Some((status, end + 4 + length));
                }
            }
            if let Some((status, total)) = need {
                if self.buf.len() >= total {
                    self.buf.drain(..total);
                    return status;
                }
            }
            if self.stream.readable().await.is_err() {
                return 0;
            }
            let start = self.buf.len();
            self.buf.resize(start + 16384, 0);
            match self.stream.try_read(&mut self.buf[start..]) {
                Ok(0) => return 0,
                Ok(n) => self.buf.truncate(start + n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => self.buf.truncate(start),
                Err(_) => return 0,
            }
        }
    }
}

/// Writes `size` small signed events straight into a store at `path`; returns the entry size.
fn build_log(net: &Net, path: &Path, size: u64) -> usize {
    let device = &net.devices[0];
    // Entries are decoded when a bookkeeper opens its log, so they are well-formed signed events;
    // their payload is not EPCIS (proofs never look at it).
    let hash_id = format!("ni:///sha-256;{}?ver=CBV2.0", "0".repeat(64));
    let make = |i: usize| {
        Entry::sign(
            EntryKind::Event,
            format!("{{\"n\":{i:010}}}").into_bytes(),
            Some(hash_id.clone()),
            device,
        )
        .expect("sign")
        .encode()
    };
    let entry_bytes = make(0).len();
    let mut store = SqliteStore::open(path).expect("open store");
    let mut start = store.size().expect("size");
    while start < size {
        let end = size.min(start + BUILD_BATCH as u64);
        let batch = presign((end - start) as usize, |i| make(start as usize + i));
        store.append(&batch).expect("append");
        start = end;
        if start % 1_000_000 == 0 {
            eprintln!("  … {start} entries");
        }
    }
    entry_bytes
}

/// Bytes of a PostgreSQL database (`pg_database_size`: its tables, indexes and their free space).
fn postgres_bytes(url: &str) -> u64 {
    let url = url.to_owned();
    // The synchronous client refuses to run on a thread that drives async tasks; this one does not.
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        let size: i64 = c
            .query_one("SELECT pg_database_size(current_database())", &[])
            .expect("size")
            .get(0);
        size as u64
    })
    .join()
    .expect("size thread")
}

/// Bytes of the database file and its WAL and shared-memory files.
fn disk_bytes(database: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut p = database.as_os_str().to_owned();
            p.push(suffix);
            std::fs::metadata(p).ok().map(|m| m.len())
        })
        .sum()
}
