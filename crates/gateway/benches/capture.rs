//! The gateway's capture target (issue 15): ≥ 5,000 events/s through the gateway into three
//! bookkeepers, durable, on this machine.
//!
//! Three real bookkeepers and the gateway are served in this process on 127.0.0.1 (see the
//! tests' `common`). `TALLY_BENCH_DOCUMENTS` documents of 10,000 events each (distinct units
//! commissioned) are posted at once; the figure is events per second from the first `POST
//! /capture` to the moment all three bookkeepers' logs hold every event: validated against the
//! EPCIS schema, stored, signed with the device key, queued in the outbox (SQLite, synchronous
//! FULL), sent and appended durably by each bookkeeper. Each job is then read until it reports
//! every event receipted by all three (a job's document lists 10,000 events' receipts, so it is
//! not polled while the clock runs).
//!
//! ```text
//! cargo bench -p tally-gateway --bench capture
//! ```
//! Environment: `TALLY_BENCH_DOCUMENTS` (default 5).

/// The allocator the `tally` binary serves with (`tally gateway serve`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;
use tally_testkit::env_or;

const PER_DOCUMENT: u32 = 10_000;

/// CPU time this process (the gateway, the three bookkeepers and the bench) has used, user and
/// system, from `/proc/self/stat` (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let documents = env_or("TALLY_BENCH_DOCUMENTS", 5) as u32;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // The bookkeepers as `tally network up` runs them: the config's defaults (batches of up
        // to 1,024 entries, a checkpoint a second), not the tests' quick checkpoints.
        use tally_bookkeeper::config::{DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_MAX_BATCH};
        let g = common::start_configured(serde_json::json!({
            "max_batch": DEFAULT_MAX_BATCH,
            "checkpoint_interval_ms": DEFAULT_CHECKPOINT_INTERVAL_MS,
        }))
        .await;
        let place = g.net.parties.place.clone();
        let docs: Vec<Vec<u8>> = (0..documents)
            .map(|d| {
                let events: Vec<Vec<u8>> = (0..PER_DOCUMENT)
                    .map(|i| common::commissioning(1 + d * PER_DOCUMENT + i, &place))
                    .collect();
                common::document(&events)
            })
            .collect();
        let before: Vec<u64> = futures_util::future::join_all((0..3).map(|i| g.net.log_size(i))).await;
        let events = u64::from(documents * PER_DOCUMENT);
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let mut jobs = Vec::new();
        for doc in docs {
            let r = g.post(doc, None).await;
            assert_eq!(r.status(), 202);
            jobs.push(r.headers()["location"].to_str().unwrap().to_owned());
        }
        let accepted = started.elapsed().as_secs_f64();
        // Logged: every bookkeeper's log holds every event (appended and synced before it
        // receipts them). Asking the logs is light; the jobs' own documents are read after.
        loop {
            let sizes = futures_util::future::join_all((0..3).map(|i| g.net.log_size(i))).await;
            if sizes.iter().zip(&before).all(|(s, b)| s - b >= events) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let logged = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu_before;
        for job in &jobs {
            loop {
                let j = g.get(job).await;
                if j["running"] == false {
                    assert_eq!(j["success"], true, "{:#}", j["errors"]);
                    let receipted = j["tally:events"].as_array().unwrap().iter().all(|e| {
                        e["deliveries"].as_array().is_some_and(|d| d.len() == 3)
                    });
                    assert!(receipted, "every event receipted by the three bookkeepers");
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        }
        let reported = started.elapsed().as_secs_f64();
        // What an ERP polling a finished job pays: one job's document, 10,000 events' receipts.
        let t = Instant::now();
        let j = g.get(&jobs[0]).await;
        let one_job = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(j["success"], true);
        let job_bytes = j.to_string().len();
        println!(
            "capture of {events} events through the gateway into 3 bookkeepers: {:.0} events/s \
             (all logged by the three after {logged:.1} s; the {documents} documents accepted in \
             {accepted:.1} s; every job reported success after {reported:.1} s)",
            events as f64 / logged
        );
        println!(
            "one finished job's document ({PER_DOCUMENT} events, every bookkeeper's receipt of each): \
             {one_job:.0} ms, {:.1} MB",
            job_bytes as f64 / 1e6
        );
        println!(
            "CPU until logged: {cpu:.1} core-seconds, {:.0} µs per event, {:.2} cores busy on average",
            cpu * 1e6 / events as f64,
            cpu / logged
        );
    });
}
