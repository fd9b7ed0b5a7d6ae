//! Static reads (issue 16), against three real bookkeepers that publish their tiles and a real
//! nginx that serves them, all on 127.0.0.1:
//!
//! 1. scan to verdict from the files — the client reads each log's checkpoint, entry bundles and
//!    hash tiles from nginx, asks the bookkeeper only `/history/indices`, builds the proofs
//!    itself, and the core checks them — for a 20-event history in 3 logs: median and p90, beside
//!    the same scan through `/history` for comparison (target: median ≤ 30 ms);
//! 2. tile reads through nginx: GETs of the published tiles and bundles over keep-alive
//!    connections, requests/s (target ≥ 20,000/s).
//!
//! The bookkeepers, nginx, the client and the load generator share this machine's cores: the
//! figures are conservative.
//!
//! ```text
//! cargo bench -p tally-e2e --bench static_reads
//! ```
//! Environment: `TALLY_BENCH_SCANS` (default 200), `TALLY_BENCH_READ_SECONDS` (default 5),
//! `TALLY_BENCH_CONNECTIONS` (default 32).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tally_client::{Client, Limits};
use tally_e2e::nginx::Nginx;
use tally_testkit::env_or;
use tally_testnet::*;
use time::OffsetDateTime;

fn main() {
    let scans = env_or("TALLY_BENCH_SCANS", 200);
    let seconds = env_or("TALLY_BENCH_READ_SECONDS", 5) as u64;
    let connections = env_or("TALLY_BENCH_CONNECTIONS", 32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let net = Network::with_quorums(3, 2, 1);
    let published = net.dir.path().join("published");
    for i in 0..3 {
        net.configure(
            i,
            serde_json::json!({ "publish": published.join(format!("bk{i}")) }),
        );
    }
    std::fs::create_dir_all(&published).expect("published");
    let nginx = Nginx::serve(&published, &net.dir.path().join("nginx"));
    let base = format!("http://127.0.0.1:{}", nginx.port);
    let nodes = rt.block_on(async {
        let nodes = net.start_all().await;
        let p = &net.parties;
        let mut entries = p.registry_entries();
        entries.extend(twenty_events(p, &unit(1), &sscc(1)));
        net.submit_to_all(&entries).await;
        for i in 0..3 {
            net.cosigned_checkpoint(i, entries.len() as u64, 1).await;
        }
        nodes
    });
    // Both checkpoints on file, with their cosignatures, before the clients read.
    for i in 0..3 {
        let file = published.join(format!("bk{i}/checkpoint"));
        tally_e2e::poll("the published checkpoint", || {
            std::fs::read(&file).is_ok_and(|n| {
                n.split(|&b| b == b'\n')
                    .filter(|l| l.starts_with("— ".as_bytes()))
                    .count()
                    >= 2
            })
        });
    }
    println!("Tally static reads benchmark (3 bookkeepers, nginx and the client on 127.0.0.1)");
    let dir = tempfile::tempdir().expect("tempdir");
    let dynamic = client(&dir.path().join("dynamic.db"), &net.policy_json());
    let mut policy: serde_json::Value = serde_json::from_slice(&net.policy_json()).expect("policy");
    for (i, bk) in policy["bookkeepers"]
        .as_array_mut()
        .expect("bookkeepers")
        .iter_mut()
        .enumerate()
    {
        bk["tiles"] = format!("{base}/bk{i}/").into();
    }
    let tiled = client(&dir.path().join("tiled.db"), policy.to_string().as_bytes());
    scan(&rt, &dynamic, "through /history", scans, None);
    scan(&rt, &tiled, "from the files", scans, Some(30));
    let files = tile_files(&published);
    rt.block_on(read_tiles(
        &base,
        files,
        connections,
        Duration::from_secs(seconds),
    ));
    rt.block_on(async {
        for n in nodes {
            n.stop().await;
        }
    });
    drop(nginx);
}

/// A client with `policy` installed in the database `db`.
fn client(db: &std::path::Path, policy: &[u8]) -> Client {
    Client::install_policy(db, policy).expect("install");
    Client::open(db, Limits::default()).expect("client")
}

/// Scans unit 1 `scans` times and prints median and p90 (against `target_ms` if given).
fn scan(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    how: &str,
    scans: usize,
    target_ms: Option<u64>,
) {
    let now = OffsetDateTime::now_utc();
    let first = rt.block_on(client.verify(&unit(1), now)).expect("verify");
    assert_eq!(
        first.status,
        tally_trust::Status::Verified,
        "{:?}",
        first.warnings
    );
    assert_eq!(first.steps.len(), 20);
    let mut times = Vec::with_capacity(scans);
    for _ in 0..scans {
        let t0 = Instant::now();
        let h = rt.block_on(client.verify(&unit(1), now)).expect("verify");
        times.push(t0.elapsed());
        assert_eq!(h.status, tally_trust::Status::Verified);
    }
    times.sort();
    let ms = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
    let target = target_ms.map_or(String::new(), |t| {
        let met = ms(0.5) <= t as f64;
        format!(
            " (target median <= {t} ms: {})",
            if met { "MET" } else { "NOT MET" }
        )
    });
    println!(
        "scan to verdict {how}, 20 events in 3 logs, {scans} scans: median {:.1} ms, p90 {:.1} ms{target}",
        ms(0.5),
        ms(0.9)
    );
}

/// Every tile and bundle under `dir`, as URL paths.
fn tile_files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let path = e.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.to_string_lossy().contains("/tile/") {
                let rel = path.strip_prefix(dir).expect("under dir");
                out.push(format!("/{}", rel.to_string_lossy()));
            }
        }
    }
    out.sort();
    out
}

/// GETs `files` round robin over `connections` keep-alive connections for `time`; prints
/// requests/s.
async fn read_tiles(base: &str, files: Vec<String>, connections: usize, time: Duration) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .expect("http");
    let done = Arc::new(AtomicU64::new(0));
    let files = Arc::new(files);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..connections {
        let (http, done, files, base) = (
            http.clone(),
            Arc::clone(&done),
            Arc::clone(&files),
            base.to_owned(),
        );
        tasks.spawn(async move {
            let mut k = c;
            while start.elapsed() < time {
                let url = format!("{base}{}", files[k % files.len()]);
                let r = http.get(&url).send().await.expect("GET");
                assert_eq!(r.status(), 200, "{url}");
                r.bytes().await.expect("body");
                done.fetch_add(1, Ordering::Relaxed);
                k += connections;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let rate = done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    println!(
        "tile reads through nginx: {rate:.0} requests/s over {connections} connections, {} files (target >= 20000/s: {})",
        files.len(),
        if rate >= 20_000.0 { "MET" } else { "NOT MET" }
    );
}
