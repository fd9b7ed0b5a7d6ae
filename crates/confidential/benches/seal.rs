//! CPU cost of the confidential parts of one entry: what a device spends sealing it, what a
//! bookkeeper spends checking it before it logs it (opening it with its label, re-running each
//! recipient wrap from its seed, opening the withheld part; a recipient from the registry has its
//! multiples precomputed), and what a reader spends opening it.
//! Measured on a commissioning event of 100 units with its purchase order withheld.
//!
//! ```text
//! cargo bench -p tally-confidential --bench seal
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use rand_core::OsRng;
use serde_json::json;
use tally_confidential::{
    open, open_as, seal_for, withhold, Contents, LabelSecret, RecipientSecret, Sealed,
};

fn event() -> Vec<u8> {
    let epcs: Vec<String> = (0..100)
        .map(|i| format!("https://id.gs1.org/01/09506000134352/21/{i}"))
        .collect();
    serde_json::to_vec(&json!({
        "type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",
        "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "epcList": epcs,
        "readPoint": {"id": "https://id.gs1.org/414/9506000000005"},
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000029:PO-1"}],
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let label = LabelSecret::from_bytes([7; 16]);
    let regulator = RecipientSecret::generate(&mut OsRng);
    let (entry, disclosures) =
        withhold(&event(), &["bizTransactionList".into()], &mut OsRng).unwrap();
    let contents = Contents {
        entry: &entry,
        withheld: &disclosures,
        ..Default::default()
    };
    let (labels, to) = (std::slice::from_ref(&label), [regulator.public()]);
    let seal = |to: &[_]| seal_for(&contents, labels, to, &mut OsRng).unwrap();
    let (plain, wrapped) = (seal(&[]), seal(&to));
    c.bench_function("withhold one member (device)", |b| {
        b.iter(|| withhold(&event(), &["bizTransactionList".into()], &mut OsRng).unwrap())
    });
    c.bench_function("seal for a label (device)", |b| b.iter(|| seal(&[])));
    c.bench_function("seal for a label and one recipient (device)", |b| {
        b.iter(|| seal(&to))
    });
    let check = |s: &tally_confidential::SealedEntry, to: &[tally_confidential::RecipientKey]| {
        let seeds: Vec<_> = to.iter().cloned().zip(s.seeds.iter().cloned()).collect();
        let sealed = Sealed::parse(&s.bytes).unwrap();
        sealed.open_exact(labels, &seeds, &s.withheld_key).unwrap()
    };
    c.bench_function("check a label's entry (bookkeeper)", |b| {
        b.iter(|| check(&plain, &[]))
    });
    c.bench_function(
        "check an entry wrapped for one recipient (bookkeeper)",
        |b| b.iter(|| check(&wrapped, &to)),
    );
    let registered = [regulator.public().precomputing()];
    c.bench_function(
        "check an entry wrapped for one registered recipient (bookkeeper)",
        |b| b.iter(|| check(&wrapped, &registered)),
    );
    c.bench_function("open with the label (holder)", |b| {
        b.iter(|| open(&wrapped.bytes, labels).unwrap())
    });
    c.bench_function("open as the recipient (regulator)", |b| {
        b.iter(|| open_as(&wrapped.bytes, &regulator).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
