//! Target (issue #2): verify one product history of 20 events, each proven in 3 logs, each
//! checkpoint carrying 3 cosignatures, in ≤ 2 ms on one core. Run: `cargo bench -p tally-trust`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tally_trust::{verify, Request, Status, TrustState};

fn history_of_20(c: &mut Criterion) {
    // Four bookkeepers so that each checkpoint can carry three peer cosignatures; the client hears
    // from three of them.
    let mut chain = Chain::new_with(Net::new(4, 2, 3));
    let u = unit(1001);
    let p = chain.processor.clone();
    let dev = chain.proc_dev.clone();
    let mut com = Event::object("2026-03-01T08:00:00Z", "commissioning", vec![u.clone()], &p);
    com.action = Some("ADD");
    chain.net.record(&dev, &com);
    for i in 0..19 {
        let time = format!("2026-03-02T{:02}:00:00Z", i);
        let mut e = Event::object(&time, "storing", vec![u.clone()], &p);
        e.extra = serde_json::json!({"sensorElementList": [{"sensorMetadata": {"time": time},
            "sensorReport": [{"type": "Temperature", "value": 4.5, "uom": "CEL"}]}]});
        chain.net.record(&dev, &e);
    }
    let logs: Vec<_> = (0..3).map(|i| chain.net.evidence(i)).collect();
    let state = TrustState::default();
    let req = Request::online(&chain.net.policy, &u, &logs, &state, t(NOW));
    let v = verify(&req);
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
    assert_eq!(v.timeline.len(), 20);
    let entries: usize = logs.iter().map(|l| l.entries.len()).sum();
    eprintln!(
        "{} entries served (20 events + 10 registry records, x3 logs)",
        entries
    );
    c.bench_function("verdict: 20 events x 3 logs x 3 cosignatures", |b| {
        b.iter(|| black_box(verify(black_box(&req))))
    });
}

criterion_group!(benches, history_of_20);
criterion_main!(benches);
