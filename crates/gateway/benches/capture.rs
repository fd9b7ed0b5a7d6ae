//! The gateway's capture target (issue 15): ≥ 5,000 events/s through the gateway into three
//! bookkeepers, durable, on this machine.
//!
//! Three real bookkeepers and the gateway are served in this process on 127.0.0.1 (see the
//! tests' `common`). `TALLY_BENCH_DOCUMENTS` documents of 10,000 events each (distinct units
//! commissioned) are posted at once; the figure is events per second from the first `POST
//! /capture` to the moment every job reports every event receipted by all three bookkeepers:
//! validated against the EPCIS schema, stored, signed with the device key, queued in the outbox
//! (SQLite, synchronous FULL), sent and logged durably by each bookkeeper.
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

fn main() {
    let documents = env_or("TALLY_BENCH_DOCUMENTS", 5) as u32;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let g = common::start().await;
        let place = g.net.parties.place.clone();
        let docs: Vec<Vec<u8>> = (0..documents)
            .map(|d| {
                let events: Vec<Vec<u8>> = (0..PER_DOCUMENT)
                    .map(|i| common::commissioning(1 + d * PER_DOCUMENT + i, &place))
                    .collect();
                common::document(&events)
            })
            .collect();
        let started = Instant::now();
        let mut jobs = Vec::new();
        for doc in docs {
            let r = g.post(doc, None).await;
            assert_eq!(r.status(), 202);
            jobs.push(r.headers()["location"].to_str().unwrap().to_owned());
        }
        let accepted = started.elapsed().as_secs_f64();
        for job in &jobs {
            loop {
                let j = g.get(job).await;
                if j["running"] == false {
                    assert_eq!(j["success"], true, "{:#}", j["errors"]);
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
        let total = started.elapsed().as_secs_f64();
        let events = f64::from(documents * PER_DOCUMENT);
        for i in 0..3 {
            assert!(
                g.net.log_size(i).await >= events as u64,
                "every bookkeeper logged them"
            );
        }
        println!(
            "capture of {events} events through the gateway into 3 bookkeepers: {:.0} events/s \
             ({total:.1} s; the {documents} documents accepted in {accepted:.1} s)",
            events / total
        );
    });
}
