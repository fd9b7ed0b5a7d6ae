//! CPU cost of admitting one entry, the part of a submission that no batching amortises: decoding,
//! the signature check, EPCIS schema validation, the CBV 2.0 hash ID, the custody facts and the
//! registry's authorisation; and of signing its receipt.
//!
//! ```text
//! cargo bench -p tally-bookkeeper --bench admission
//! ```

use criterion::{criterion_group, criterion_main, Criterion};

/// The allocator the `tally` binary serves with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use serde_json::json;
use tally_bookkeeper::admission;
use tally_testkit::{gln, key, t};
use tally_tlog::KeyType;
use tally_trust::receipt;
use tally_trust::{Entry, Policy, Record, Registry};

fn setup() -> (Policy, Registry, Vec<u8>) {
    let gov = key("gov.tally.example", KeyType::Ed25519, 200);
    let log = key("bk0.tally.example/log", KeyType::Ed25519, 100);
    let witness = key("bk0.tally.example/witness", KeyType::Cosignature, 150);
    let policy = Policy::parse(
        json!({
            "network": "tally.example",
            "governance": [gov.verifier().to_string()],
            "bookkeepers": [{"name": "bk0", "operator": "Operator 0",
                "log_key": log.verifier().to_string(),
                "witness_key": witness.verifier().to_string(),
                "urls": ["http://127.0.0.1:1"]}],
            "log_quorum": 1, "witness_threshold": 0, "allow_unwitnessed": true,
        })
        .to_string()
        .as_bytes(),
    )
    .expect("policy");
    let org = key("org-1", KeyType::Ed25519, 10);
    let device = key("device-1", KeyType::Ed25519, 30);
    let records = [
        (
            Record::Registration {
                gln: gln(1),
                name: "Org 1".into(),
                country: "NZ".into(),
                key: org.verifier().to_string(),
                domains: vec![],
                prefixes: vec![],
            },
            &gov,
        ),
        (
            Record::Certification {
                org: gln(1),
                device: device.verifier().to_string(),
                roles: vec!["shipping".into()],
                places: vec![gln(2)],
                valid_from: t("2026-01-01T00:00:00Z"),
                expires: t("2030-01-01T00:00:00Z"),
            },
            &org,
        ),
    ];
    let mut registry = Registry::default();
    for (r, signer) in records {
        let e = Entry::sign(r.kind(), r.to_payload(), None, signer).expect("sign");
        registry.admit(&policy, &e).expect("record");
    }
    // A shipment of a case of 12 units, with a temperature reading: a typical warehouse event.
    let epcs: Vec<String> = (0..12)
        .map(|i| format!("https://id.gs1.org/01/09506000134352/21/SER{i}"))
        .collect();
    let event = serde_json::to_vec(&json!({
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-03-01T08:00:00.000Z",
        "eventTimeZoneOffset": "+13:00",
        "epcList": epcs,
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": format!("https://id.gs1.org/414/{}", gln(2))},
        "destinationList": [{"type": "possessing_party", "destination": format!("https://id.gs1.org/417/{}", gln(3))}],
        "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 3.5, "uom": "CEL"}]}],
    }))
    .expect("json");
    let entry = Entry::sign_event(&event, &device).expect("sign").encode();
    (policy, registry, entry)
}

fn admit(c: &mut Criterion) {
    let (policy, registry, entry) = setup();
    let net = admission::Network {
        policy: &policy,
        registry_secrets: &[],
    };
    admission::admit(net, &registry, &entry).expect("admissible");
    c.bench_function("admit one shipping event (12 EPCs, 1 reading)", |b| {
        b.iter(|| admission::admit(net, &registry, &entry).expect("admissible"))
    });
    let decoded = Entry::decode(&entry).expect("entry");
    c.bench_function("  of which: signature check", |b| {
        b.iter(|| assert!(decoded.verify_signature()))
    });
    c.bench_function("  of which: EPCIS schema validation", |b| {
        b.iter(|| tally_epcis::validate_event(&decoded.payload).expect("valid"))
    });
    c.bench_function("  of which: CBV 2.0 hash ID", |b| {
        b.iter(|| tally_trust::hash_id::of_event(&decoded.payload).expect("hash"))
    });
    let log = key("bk0.tally.example/log", KeyType::Ed25519, 100);
    let promise = receipt::Promise {
        index: 12345,
        leaf: decoded.leaf_hash(),
    };
    c.bench_function("sign one receipt (POST /submit)", |b| {
        b.iter(|| receipt::sign(&log, &promise, 1_800_000_000, 2).expect("receipt"))
    });
    let bundle: Vec<receipt::Promise> = (0..256)
        .map(|i| receipt::Promise {
            index: 12345 + i,
            ..promise
        })
        .collect();
    c.bench_function("sign one batch receipt for a bundle of 256", |b| {
        b.iter(|| receipt::sign_batch(&log, &bundle, 1_800_000_000, 2).expect("receipt"))
    });
}

criterion_group!(benches, admit);
criterion_main!(benches);
