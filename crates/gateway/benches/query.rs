//! The gateway's query target (issue 15): `GET /events` of one lot's 1,000 events, verified,
//! ≤ 100 ms on this machine.
//!
//! Three real bookkeepers and the gateway are served in this process on 127.0.0.1 (see the
//! tests' `common`); 1,000 events naming one lot (a class-level `quantityList`, as a producer
//! records a lot's handling) are captured through `POST /capture`, then the same query is asked
//! again and again: each answer reads the lot's story from all three bookkeepers, verifies every
//! signature, inclusion proof and checkpoint in the light client, and serves the page as an
//! EPCIS query document. The figures are the time to the answer's last byte, median and p90.
//!
//! ```text
//! cargo bench -p tally-gateway --bench query
//! ```
//! Environment: `TALLY_BENCH_EVENTS` (default 1,000), `TALLY_BENCH_QUERIES` (default 50).

/// The allocator the `tally` binary serves with (`tally gateway serve`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/common/mod.rs"]
mod common;

use serde_json::json;
use std::time::Instant;
use tally_testkit::env_or;

const LOT: &str = "https://id.gs1.org/01/09506000134352/10/L42";

/// The lot's `n`-th event at the organisation's place: commissioned, then shipped and received
/// in turn (the steps its device is certified for).
fn handling(n: usize, place: &str) -> Vec<u8> {
    let (action, step) = match n {
        0 => ("ADD", "commissioning"),
        _ if n % 2 == 1 => ("OBSERVE", "shipping"),
        _ => ("OBSERVE", "receiving"),
    };
    let t = time::OffsetDateTime::from_unix_timestamp(1_772_352_000 + n as i64).unwrap();
    let time = t
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    serde_json::to_vec(&json!({
        "type": "ObjectEvent", "action": action,
        "eventTime": time, "eventTimeZoneOffset": "+00:00",
        "quantityList": [{"epcClass": LOT, "quantity": 1000 + n, "uom": "KGM"}],
        "bizStep": step,
        "readPoint": {"id": format!("https://id.gs1.org/414/{place}")},
        "bizLocation": {"id": format!("https://id.gs1.org/414/{place}")},
    }))
    .unwrap()
}

/// The whole body of the gateway's answer to `GET path`.
async fn answer(g: &common::Running, path: &str) -> Vec<u8> {
    let r = (g.http.get(format!("{}{path}", g.url)))
        .bearer_auth(common::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.bytes().await.unwrap().to_vec()
}

fn main() {
    let events = env_or("TALLY_BENCH_EVENTS", 1_000);
    let queries = env_or("TALLY_BENCH_QUERIES", 50);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let g = common::start().await;
        let place = g.net.parties.place.clone();
        let all: Vec<Vec<u8>> = (0..events).map(|n| handling(n, &place)).collect();
        let started = Instant::now();
        let job = g.capture(common::document(&all), None).await;
        assert_eq!(job["success"], true, "{job:#}");
        eprintln!(
            "captured and logged {events} events in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let path = format!(
            "/events?MATCH_epcClass={}&perPage={}",
            LOT.replace(':', "%3A").replace('/', "%2F"),
            events.min(1000)
        );
        // Logged is not yet proven: wait for witnessed checkpoints that include every event.
        let served = |doc: &serde_json::Value| {
            doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
                .as_array()
                .map_or(0, Vec::len)
        };
        let mut seen = 0;
        for _ in 0..600 {
            seen = served(&g.get(&path).await);
            if seen == events.min(1000) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(seen, events.min(1000), "every event of the lot, verified");
        let mut times = Vec::new();
        for i in 0..=queries {
            // Timed to the answer's last byte; reading it is the caller's.
            let t = Instant::now();
            let body = answer(&g, &path).await;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(served(&doc), events.min(1000), "every event of the lot, verified");
            if i > 0 {
                times.push(ms);
            }
        }
        // The same story read by a client alone: what of the answer is the gateway's own.
        let db = g.home.path().join("bare-client.db");
        tally_client::Client::install_policy(&db, &g.net.policy_json()).unwrap();
        let bare = tally_client::Client::open(&db, tally_client::Limits::default()).unwrap();
        let mut alone = Vec::new();
        for _ in 0..=queries {
            let t = Instant::now();
            let h = bare.check(LOT, time::OffsetDateTime::now_utc()).await.unwrap();
            assert_eq!(h.steps.len(), events.min(1000));
            alone.push(t.elapsed().as_secs_f64() * 1e3);
        }
        alone.sort_by(f64::total_cmp);
        println!("the lot's story verified by a client alone: median {:.1} ms", alone[alone.len() / 2]);
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "GET /events of one lot's {events} events, verified from 3 bookkeepers: median {:.1} ms, p90 {:.1} ms ({queries} queries)",
            at(0.5),
            at(0.9)
        );
    });
}
