//! Target (issue #14): the FSMA 204 spreadsheet of 100,000 events in ≤ 5 s. The events are
//! 10,000 seafood lots of ten events each (catch, shipping, first land-based receiving,
//! transformation, packing onto a pallet, then shipping and receiving twice), with reference
//! documents; the records are derived, then written as XLSX and as CSV.
//! Run: `cargo bench -p tally-fsma` (TALLY_FSMA_LOTS sets the number of lots).

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use std::hint::black_box;
use tally_fsma::{csv, records, xlsx, Filter, Logged, Places};
use tally_testkit::gln;

fn lot_events(n: usize) -> Vec<Value> {
    let catch = format!("https://id.gs1.org/01/09506000200019/10/C{n}");
    let fillet = format!("https://id.gs1.org/01/09506000200026/10/F{n}");
    let pallet = tally_testkit::sscc(n as u32);
    let q = json!([{"epcClass": catch, "quantity": 850.0, "uom": "KGM"}]);
    let units: Vec<String> = (0..4).map(|i| format!("{fillet}/21/P{i}")).collect();
    let at = |g: u32| json!({"id": format!("https://id.gs1.org/414/{}", gln(g))});
    let to = |g: u32| json!([{"type": "possessing_party", "destination": format!("https://id.gs1.org/417/{}", gln(g))}]);
    let from = |g: u32| json!([{"type": "possessing_party", "source": format!("https://id.gs1.org/417/{}", gln(g))}]);
    let day = 1 + n % 28;
    let t = |h: usize| format!("2026-11-{day:02}T{h:02}:00:00+13:00");
    let doc = json!([{"type": "po", "bizTransaction": format!("urn:epcglobal:cbv:bt:9506000000145:PO-{n}")}]);
    let obj = |h, step: &str, place, extra: Value| {
        let mut e = json!({"type": "ObjectEvent", "eventTime": t(h), "eventTimeZoneOffset": "+13:00",
            "action": "OBSERVE", "bizStep": step, "readPoint": at(place), "bizLocation": at(place)});
        for (k, v) in extra.as_object().unwrap() {
            e[k] = v.clone();
        }
        e
    };
    vec![
        obj(
            1,
            "commissioning",
            619,
            json!({"action": "ADD", "quantityList": q, "ilmd": {
            "cbvmda:vesselCatchInformationList": {"cbvmda:vesselCatchInformation": [{"cbvmda:catchArea": "81"}]}}}),
        ),
        obj(
            2,
            "shipping",
            619,
            json!({"quantityList": q, "destinationList": to(121)}),
        ),
        obj(
            3,
            "receiving",
            626,
            json!({"quantityList": q, "sourceList": from(114)}),
        ),
        json!({"type": "TransformationEvent", "eventTime": t(4), "eventTimeZoneOffset": "+13:00",
            "inputQuantityList": q, "outputEPCList": units, "bizStep": "creating_class_instance",
            "bizLocation": at(633)}),
        json!({"type": "AggregationEvent", "eventTime": t(5), "eventTimeZoneOffset": "+13:00",
            "action": "ADD", "parentID": pallet, "childEPCs": units, "bizStep": "packing", "readPoint": at(633)}),
        obj(
            6,
            "shipping",
            633,
            json!({"epcList": [pallet], "destinationList": to(145), "bizTransactionList": doc}),
        ),
        obj(
            7,
            "receiving",
            640,
            json!({"epcList": [pallet], "sourceList": from(138)}),
        ),
        obj(
            8,
            "shipping",
            640,
            json!({"epcList": [pallet], "destinationList": to(152), "bizTransactionList": doc}),
        ),
        obj(
            9,
            "receiving",
            657,
            json!({"epcList": [pallet], "sourceList": from(145)}),
        ),
        obj(10, "storing", 657, json!({"epcList": [pallet]})),
    ]
}

fn spreadsheet(c: &mut Criterion) {
    let lots = tally_testkit::env_or("TALLY_FSMA_LOTS", 10_000);
    let texts: Vec<String> = (0..lots)
        .flat_map(lot_events)
        .map(|e| e.to_string())
        .collect();
    let ids: Vec<String> = (0..texts.len())
        .map(|i| format!("ni:///sha-256;{i:064x}"))
        .collect();
    let logs = vec!["bk1".to_owned(), "bk2".to_owned(), "bk3".to_owned()];
    let proofs: Vec<String> = (0..texts.len())
        .map(|i| format!("http://127.0.0.1:7001/proof/inclusion?hash=h{i}&size=300000"))
        .collect();
    let logged: Vec<Logged> = (0..texts.len())
        .map(|i| Logged {
            event: &texts[i],
            hash_id: &ids[i],
            logs: &logs,
            proof: &proofs[i],
        })
        .collect();
    let places: Places = (0..700u32)
        .map(|g| (gln(g), format!("Org {g} (NZ)")))
        .collect();
    let rows = records(&logged, &places, &Filter::default());
    let book = xlsx(&rows).unwrap();
    eprintln!(
        "{} events, {} records, XLSX {} bytes",
        texts.len(),
        rows.len(),
        book.len()
    );
    let mut g = c.benchmark_group("fsma");
    g.sample_size(10);
    g.bench_function("records + XLSX", |b| {
        b.iter(|| {
            let rows = records(black_box(&logged), &places, &Filter::default());
            black_box(xlsx(&rows).unwrap())
        })
    });
    g.bench_function("records + CSV", |b| {
        b.iter(|| {
            black_box(csv(&records(
                black_box(&logged),
                &places,
                &Filter::default(),
            )))
        })
    });
    g.bench_function("records only", |b| {
        b.iter(|| black_box(records(black_box(&logged), &places, &Filter::default())))
    });
    g.finish();
}

criterion_group!(benches, spreadsheet);
criterion_main!(benches);
