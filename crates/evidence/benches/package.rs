//! Targets (issue #14): the package of a 20-event product built in ≤ 200 ms, and checked offline
//! (as `tally-verify` does) in ≤ 20 ms. The product's history is 20 events from a certified
//! device, each proven in 3 logs under checkpoints with 3 cosignatures; the report is set in
//! Debian's fonts-wqy-microhei. Run: `cargo bench -p tally-evidence`.

#[path = "../../trust/tests/common/mod.rs"]
mod common;

use common::*;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tally_evidence::report::Font;
use tally_evidence::{build, check, Export};
use tally_trust::Status;

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

fn package_of_20(c: &mut Criterion) {
    let mut chain = Chain::new_with(Net::new(4, 2, 3));
    let u = unit(1001);
    let (p, dev) = (chain.processor.clone(), chain.proc_dev.clone());
    let mut com = Event::object("2026-03-01T08:00:00Z", "commissioning", vec![u.clone()], &p);
    com.action = Some("ADD");
    chain.net.record(&dev, &com);
    for i in 0..19 {
        let time = format!("2026-03-02T{i:02}:00:00Z");
        chain
            .net
            .record(&dev, &Event::object(&time, "storing", vec![u.clone()], &p));
    }
    let logs: Vec<_> = (0..3).map(|i| chain.net.evidence(i)).collect();
    let font = Font::new(std::fs::read(FONT).expect("fonts-wqy-microhei"), 0).unwrap();
    let export = Export {
        product: &u,
        exported_at: t(NOW),
        policy: &chain.net.policy,
        logs: &logs,
        secrets: &[],
        font: &font,
        history: &[],
    };
    let (tar, verdict) = build(&export);
    assert_eq!(verdict.status, Status::Verified, "{:?}", verdict.reasons);
    assert_eq!(verdict.timeline.len(), 20);
    let checked = check(&tar, Some(&chain.net.policy), &[]).unwrap();
    eprintln!(
        "package: {} bytes, {} files, {} proofs",
        tar.len(),
        checked.files,
        checked.proofs
    );
    c.bench_function("package: build, 20 events x 3 logs, with the PDF", |b| {
        b.iter(|| black_box(build(black_box(&export))))
    });
    c.bench_function("package: check offline (tally-verify)", |b| {
        b.iter(|| black_box(check(black_box(&tar), Some(&chain.net.policy), &[]).unwrap()))
    });
}

criterion_group!(benches, package_of_20);
criterion_main!(benches);
