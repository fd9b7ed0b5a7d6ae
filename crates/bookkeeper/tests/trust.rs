//! What a bookkeeper does so that no single party decides a verdict: one event logged once
//! however it is serialised, a revoked key refused whatever time it claims, a stranger's flood
//! left out of a product's answer, long answers paged, the evidence that a lot is serialised,
//! a peer's rollback recorded by its witness, and a quiet log's cosignatures kept fresh.

use base64::Engine as _;
use serde_json::{json, Value};
use tally_testnet::*;
use tally_tlog::{leaf_hash, note, KeyType};
use tally_trust::{Entry, Record};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Submits the registry records of the network's parties.
async fn register(net: &Network, i: usize) {
    for e in net.parties.registry_entries() {
        assert_eq!(net.submit(i, &e).await.0, 200);
    }
}

/// The leaf hash a one-entry receipt promises.
fn receipted_leaf(receipt: &[u8], net: &Network) -> String {
    let opened = note::open(receipt, &[net.logs[0].verifier()]).unwrap();
    let text = String::from_utf8(opened.text).unwrap();
    text.lines().nth(2).unwrap().to_owned()
}

/// A query value, percent-encoded.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn indices(answer: &Value) -> Vec<u64> {
    answer["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_serialised_twice_is_logged_once() {
    let net = Network::new(1);
    let node = net.start(0).await;
    register(&net, 0).await;
    let p = &net.parties;
    let json = event(
        "2026-03-01T08:00:00Z",
        "commissioning",
        &[unit(1)],
        &p.place,
        "ADD",
    );
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&json).unwrap()).unwrap();
    let (first, second) = (
        signed_event(&json, &p.device),
        signed_event(&pretty, &p.device),
    );
    assert_ne!(leaf_hash(&first).0, leaf_hash(&second).0);
    let (_, r1) = net.submit(0, &first).await;
    let size = net.log_size(0).await;
    let (status, r2) = net.submit(0, &second).await;
    assert_eq!(status, 200);
    assert_eq!(net.log_size(0).await, size, "not logged again");
    assert_eq!(receipted_leaf(&r2, &net), leaf_hash(&first).to_string());
    assert_eq!(receipted_leaf(&r1, &net), receipted_leaf(&r2, &net));
    // In a bundle: the answer names the entry the event is logged as.
    let compact_other_order = signed_event(&[json.as_slice(), b"\n"].concat(), &p.device);
    let bundle = tally_tlog::tiles::encode_entry_bundle([compact_other_order.as_slice()]).unwrap();
    let r = net
        .client
        .post(format!("{}/submit-bundle", net.url(0)))
        .body(bundle)
        .send()
        .await
        .unwrap();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(
        answer["results"][0]["duplicate_of"],
        json!(B64.encode(leaf_hash(&first).0))
    );
    assert_eq!(net.log_size(0).await, size);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_key_is_refused_whatever_time_it_claims() {
    let net = Network::new(1);
    let node = net.start(0).await;
    register(&net, 0).await;
    let p = &net.parties;
    // Revoked since 2026-02-01; the event claims 2026-01-15, before that.
    let backdated = signed_event(
        &event(
            "2026-01-15T08:00:00Z",
            "commissioning",
            &[unit(3)],
            &p.place,
            "ADD",
        ),
        &p.revoked,
    );
    let (status, body) = net.submit(0, &backdated).await;
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("signer_revoked"));
    node.stop().await;
}

/// Registers a second organisation (governance-signed) with a device certified for `roles` at
/// its own place; returns the device and the place.
async fn stranger(net: &Network, roles: &[&str]) -> (tally_tlog::SignerKey, String) {
    let (org_gln, place) = (gln(60), gln(61));
    let org = key("org-60", KeyType::Ed25519, 60);
    let device = key("device-60", KeyType::Ed25519, 61);
    let reg = Record::Registration {
        gln: org_gln.clone(),
        name: "Stranger Ltd".into(),
        country: "NZ".into(),
        key: org.verifier().to_string(),
        domains: vec![],
        prefixes: vec![],
    };
    let cert = Record::Certification {
        org: org_gln,
        device: device.verifier().to_string(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        places: vec![place.clone()],
        valid_from: t("2026-01-01T00:00:00Z"),
        expires: t("2027-01-01T00:00:00Z"),
    };
    let gov = &net.parties.gov;
    for (r, signer) in [(&reg, gov), (&cert, &org)] {
        let e = Entry::sign(r.kind(), r.to_payload(), None, signer).unwrap();
        assert_eq!(net.submit(0, &e.encode()).await.0, 200);
    }
    (device, place)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_flood_is_left_out_and_long_answers_come_in_pages() {
    let net = Network::new(1);
    let node = net.start(0).await;
    register(&net, 0).await;
    let p = &net.parties;
    assert_eq!(net.submit(0, &p.commission(1)).await.0, 200);
    let (device, place) = stranger(&net, &["storing"]).await;
    let flood: Vec<Vec<u8>> = (0..1100)
        .map(|k| {
            let time = format!(
                "2026-04-01T{:02}:{:02}:{:02}Z",
                k / 3600,
                k / 60 % 60,
                k % 60
            );
            signed_event(
                &event(&time, "storing", &[unit(1)], &place, "OBSERVE"),
                &device,
            )
        })
        .collect();
    for chunk in flood.chunks(500) {
        let bundle =
            tally_tlog::tiles::encode_entry_bundle(chunk.iter().map(Vec::as_slice)).unwrap();
        let r = net
            .client
            .post(format!("{}/submit-bundle", net.url(0)))
            .body(bundle)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let size = net.log_size(0).await;
    net.checkpoint_of_size(0, size).await;
    let key = encode(&unit(1));
    let h = net.json(0, &format!("/history?key={key}")).await;
    assert!(h["next"].is_null());
    let events: Vec<Entry> = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Entry::decode(&B64.decode(e["entry"].as_str().unwrap()).unwrap()).unwrap())
        .filter(|e| e.kind == tally_trust::EntryKind::Event)
        .collect();
    assert_eq!(events.len(), 1, "the holder's commissioning only");
    // The stranger's own place lists every one of its events: in pages, all under one checkpoint.
    let first = net.json(0, &format!("/history?key={place}")).await;
    let after = first["next"].as_u64().expect("more than one page");
    let second = net
        .json(
            0,
            &format!("/history?key={place}&size={}&after={after}", first["size"]),
        )
        .await;
    assert_eq!(first["checkpoint"], second["checkpoint"]);
    let all: Vec<u64> = indices(&first)
        .into_iter()
        .chain(indices(&second))
        .collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");
    assert!(all.len() >= 1100);
    assert_eq!(
        net.get(0, &format!("/history?key={place}&size=3"))
            .await
            .status(),
        404,
        "no checkpoint of that size was signed"
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_made_up_serial_of_a_serialised_lot_brings_the_evidence_of_serialisation() {
    let net = Network::new(1);
    let node = net.start(0).await;
    register(&net, 0).await;
    let p = &net.parties;
    let lot = format!("https://id.gs1.org/01/{GTIN}/10/L7");
    let units: Vec<String> = (1..=3).map(|s| format!("{lot}/21/{s}")).collect();
    let mut made = serde_json::from_slice::<Value>(&event(
        "2026-03-01T07:00:00Z",
        "commissioning",
        &[],
        &p.place,
        "ADD",
    ))
    .unwrap();
    made["quantityList"] = json!([{"epcClass": lot, "quantity": 3}]);
    let made = signed_event(&serde_json::to_vec(&made).unwrap(), &p.device);
    let units_event = signed_event(
        &event(
            "2026-03-01T08:00:00Z",
            "commissioning",
            &units,
            &p.place,
            "ADD",
        ),
        &p.device,
    );
    for e in [&made, &units_event] {
        assert_eq!(net.submit(0, e).await.0, 200);
    }
    let size = net.log_size(0).await;
    net.checkpoint_of_size(0, size).await;
    let key = encode(&format!("{lot}/21/999"));
    let h = net.json(0, &format!("/history?key={key}")).await;
    let served: Vec<Vec<u8>> = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| B64.decode(e["entry"].as_str().unwrap()).unwrap())
        .collect();
    assert!(served.contains(&made), "the lot's own history");
    assert!(
        served.contains(&units_event),
        "the evidence that the lot is serialised"
    );
    node.stop().await;
}

/// Copies a stopped bookkeeper's database files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_restored_from_a_backup_is_recorded_by_its_witness() {
    let net = Network::with_quorums(2, 1, 1);
    let (n0, n1) = (net.start(0).await, net.start(1).await);
    register(&net, 0).await;
    let size = net.log_size(0).await;
    net.cosigned_checkpoint(0, size, 1).await;
    n0.stop().await;
    net.backup(0, "backup");
    let n0 = net.start(0).await;
    assert_eq!(net.submit(0, &net.parties.commission(1)).await.0, 200);
    net.cosigned_checkpoint(0, size + 1, 1).await;
    n0.stop().await;
    net.restore(0, "backup");
    let n0 = net.start(0).await;
    let mut found = Value::Null;
    for _ in 0..ATTEMPTS {
        found = net.json(1, "/evidence").await;
        if !found["evidence"].as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let e = &found["evidence"][0];
    assert!(
        e["reason"].as_str().unwrap().starts_with("rollback"),
        "{found}"
    );
    assert_eq!(e["origin"], json!(net.logs[0].name()));
    assert!(e["new_note"]
        .as_str()
        .unwrap()
        .contains(&format!("\n{size}\n")));
    // Recorded once, however often the restored log asks again.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        net.json(1, "/evidence").await["evidence"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    n0.stop().await;
    n1.stop().await;
}

/// The timestamp of the (only) cosignature on a note.
fn cosigned_at(note: &[u8], net: &Network) -> u64 {
    let v = tally_tlog::checkpoint::verify(
        note,
        &net.logs[0].verifier(),
        &[net.witnesses[1].verifier()],
        1,
    )
    .unwrap();
    v.cosigners[0].timestamp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_log_has_its_checkpoint_cosigned_again() {
    let net = Network::with_quorums(2, 1, 1);
    // Clients refuse checkpoints vouched for more than 4 s ago: cosigned again every second.
    net.set_policy(json!({"max_checkpoint_age_seconds": 4}));
    let (n0, n1) = (net.start(0).await, net.start(1).await);
    register(&net, 0).await;
    let size = net.log_size(0).await;
    net.cosigned_checkpoint(0, size, 1).await;
    let first = net.checkpoint_where(0, |_| true).await;
    let at = cosigned_at(&first, &net);
    let later = net
        .checkpoint_where(0, |n| {
            tally_tlog::checkpoint::verify(
                n,
                &net.logs[0].verifier(),
                &[net.witnesses[1].verifier()],
                1,
            )
            .is_ok_and(|v| v.checkpoint.size() == size && v.cosigners[0].timestamp > at)
        })
        .await;
    assert!(cosigned_at(&later, &net) > at);
    n0.stop().await;
    n1.stop().await;
}
