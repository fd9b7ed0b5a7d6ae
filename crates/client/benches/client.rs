//! The light client's targets (issue 4), against three real bookkeepers served on 127.0.0.1:
//!
//! 1. scan to verdict — from a decoded code to the verdict (three concurrent `/history` requests,
//!    the core's verdict with every signature and proof checked, the trust state and history
//!    stored durably) — for a 20-event history proven in 3 logs: median and p90 over many scans;
//!    and the same for a confidential history (every event sealed for the unit's label: the
//!    bookkeepers open and filter with the label the scan presents, the client opens every copy);
//!    the registry is sealed as a confidential network's is, so both scans open the records of
//!    the history's signers under their keys;
//! 2. the client's peak RSS while doing it;
//! 3. outbox flush of 10,000 queued entries to all three bookkeepers: entries/s.
//!
//! The bookkeepers run in this process; the client runs in a child process (this same binary,
//! re-executed), so its memory is its own and it shares the two cores with the servers as a
//! phone app would share nothing: the figures are conservative.
//!
//! ```text
//! cargo bench -p tally-client --bench client
//! ```
//! Environment: `TALLY_BENCH_SCANS` (default 200), `TALLY_BENCH_FLUSH` (default 10 000).

use std::process::Command;
use std::time::{Duration, Instant};
use tally_client::{Client, Limits};
use tally_testkit::env_or;
use tally_testnet::*;
use time::OffsetDateTime;

const CHILD: &str = "TALLY_BENCH_CLIENT_CHILD";

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    let scans = env_or("TALLY_BENCH_SCANS", 200);
    let flush = env_or("TALLY_BENCH_FLUSH", 10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let net = Network::with_quorums(3, 2, 1);
        let nodes = net.start_all().await;
        let p = &net.parties;
        // The registry sealed, as a confidential network's is: both scans below open the
        // records of the history's signers (`tally_trust::sealed_registry`).
        let member = net.registry_secret();
        let mut entries: Vec<Vec<u8>> = (p.registry_entries().iter())
            .map(|e| net.sealed_record(e, &member))
            .collect();
        // A 20-event history of unit 1: commissioned, then shipped and received nine times, and
        // packed onto a pallet at the end.
        entries.extend(twenty_events(p, &unit(1), &sscc(1)));
        // To every bookkeeper (not left to broadcast): the registry must be everywhere before the
        // sealed entries below are admitted.
        net.submit_to_all(&entries).await;
        // The same history of a lot-qualified unit, sealed for its lot's label; sealed entries
        // are not broadcast, so each goes to every bookkeeper, as a device's outbox sends it.
        let label = tally_confidential::LabelSecret::from_bytes([42; 16]);
        let sealed_unit = format!("https://id.gs1.org/01/{GTIN}/10/BENCH/21/2");
        let sealed = twenty_events(p, &sealed_unit, &sscc(2));
        for e in &sealed {
            let contents = tally_confidential::Contents { entry: e, ..Default::default() };
            let body = tally_confidential::Submission::seal(&contents, std::slice::from_ref(&label), &[], &mut rand_core::OsRng)
                .expect("seal")
                .encode();
            for i in 0..3 {
                assert_eq!(net.submit(i, &body).await.0, 200);
            }
        }
        let size = entries.len() as u64 + sealed.len() as u64;
        for i in 0..3 {
            net.cosigned_checkpoint(i, size, 1).await;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let policy = dir.path().join("policy.json");
        std::fs::write(&policy, net.policy_json()).expect("policy");
        println!("Tally light client benchmark (3 bookkeepers on 127.0.0.1, this process; client in a child process)");
        let spec = serde_json::json!({
            "policy": policy, "dir": dir.path(), "product": unit(1),
            "sealed": label.add_to_link(&sealed_unit),
            "scans": scans, "flush": flush,
        })
        .to_string();
        let exe = std::env::current_exe().expect("exe");
        let out = tokio::task::spawn_blocking(move || {
            Command::new(exe)
                .env(CHILD, spec)
                .output()
                .expect("child")
        })
        .await
        .expect("join");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "the client child failed");
        for n in nodes {
            n.stop().await;
        }
    });
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// The client side, in its own process.
fn child(spec: &str) {
    let spec: serde_json::Value = serde_json::from_str(spec).expect("spec");
    let dir = std::path::PathBuf::from(spec["dir"].as_str().expect("dir"));
    let policy = std::fs::read(spec["policy"].as_str().expect("policy")).expect("policy");
    let product = spec["product"].as_str().expect("product").to_owned();
    let sealed = spec["sealed"].as_str().expect("sealed").to_owned();
    let scans = spec["scans"].as_u64().expect("scans") as usize;
    let flush = spec["flush"].as_u64().expect("flush") as u32;
    // A phone's client: one thread is enough (requests are concurrent on it).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let db = dir.join("phone.db");
    Client::install_policy(&db, &policy).expect("install");
    let client = Client::open(&db, Limits::default()).expect("client");
    let now = OffsetDateTime::now_utc();

    println!("\n## Scan to verdict: a 20-event history, each event proven in 3 logs");
    scan_to_verdict(&rt, &client, &product, scans, 30);
    println!("\n## Scan to verdict, confidential: the same history sealed for the unit's label");
    scan_to_verdict(&rt, &client, &sealed, scans, 10);
    let rss = peak_rss_mb();
    println!(
        "client peak RSS after the scans: {rss:.1} MB (target <= 50 MB: {})",
        verdict(rss <= 50.0)
    );
    outbox_flush(&rt, &client, now, flush);
}

/// Scans `product` `scans` times and prints the median against `target_ms`.
fn scan_to_verdict(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    product: &str,
    scans: usize,
    target_ms: u64,
) {
    let now = OffsetDateTime::now_utc();
    let first = rt.block_on(client.verify(product, now)).expect("verify");
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
        let h = rt.block_on(client.verify(product, now)).expect("verify");
        times.push(t0.elapsed());
        assert_eq!(h.status, tally_trust::Status::Verified);
    }
    times.sort();
    let median = quantile(&times, 0.5);
    println!(
        "{scans} scans: median {:.1} ms, p90 {:.1} ms, max {:.1} ms (target median <= {target_ms} ms: {})",
        median.as_secs_f64() * 1e3,
        quantile(&times, 0.9).as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        verdict(median <= Duration::from_millis(target_ms))
    );
}

/// Queues `flush` entries and sends them to the three bookkeepers.
fn outbox_flush(rt: &tokio::runtime::Runtime, client: &Client, now: OffsetDateTime, flush: u32) {
    println!("\n## Outbox flush: {flush} queued entries to 3 bookkeepers");
    let parties = Parties::new();
    let signing = Instant::now();
    let entries: Vec<(tally_trust::Entry, String)> = (0..flush)
        .map(|i| {
            let bytes = parties.commission(100_000 + i);
            (
                tally_trust::Entry::decode(&bytes).expect("entry"),
                format!("unit {i}"),
            )
        })
        .collect();
    let t = now.unix_timestamp();
    client.queue(entries, t).expect("queue");
    println!(
        "signed and queued in {:.1} s (not part of the flush)",
        signing.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let report = rt.block_on(client.flush(t)).expect("flush");
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(report.pending_deliveries, 0, "{report:?}");
    let rate = f64::from(flush) / wall;
    println!(
        "flushed in {wall:.2} s: {rate:.0} entries/s, {} receipts checked (target >= 2000 entries/s: {})",
        report.bookkeepers.iter().map(|b| b.receipted).sum::<usize>(),
        verdict(rate >= 2000.0)
    );
    println!("client peak RSS after the flush: {:.1} MB", peak_rss_mb());
}
