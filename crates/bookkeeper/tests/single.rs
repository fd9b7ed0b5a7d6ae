//! One bookkeeper over real HTTP: admission, receipts, idempotence, refusals, proofs, tiles, lookup.

use base64::Engine as _;
use serde_json::Value;
use tally_testnet::*;
use tally_tlog::{leaf_hash, merkle, note, Hash, MemoryStore};
use tally_trust::{Entry, EntryKind};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn hash(s: &Value) -> Hash {
    Hash(B64.decode(s.as_str().unwrap()).unwrap().try_into().unwrap())
}

/// Submits the registry records and checks each receipt; returns the entries in log order.
async fn register(net: &Network) -> Vec<Vec<u8>> {
    let entries = net.parties.registry_entries();
    for (i, e) in entries.iter().enumerate() {
        let (status, body) = net.submit(0, e).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        check_receipt(net, &body, e, i as u64);
    }
    entries
}

fn check_receipt(net: &Network, receipt: &[u8], entry: &[u8], index: u64) {
    let opened = note::open(receipt, &[net.logs[0].verifier()]).unwrap();
    let text = String::from_utf8(opened.text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "tally/receipt/v1");
    assert_eq!(lines[1], net.logs[0].name());
    assert_eq!(lines[2], leaf_hash(entry).to_string());
    assert_eq!(lines[3], index.to_string());
    assert!(lines[4].parse::<u64>().unwrap() > 0);
    assert!(lines[5].parse::<u64>().unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_are_signed_and_resubmission_is_idempotent() {
    let net = Network::new(1);
    let node = net.start(0).await;
    // The same registration twice at once: one is logged, both get its index.
    let registration = &net.parties.registry_entries()[0];
    let (a, b) = tokio::join!(net.submit(0, registration), net.submit(0, registration));
    for (status, body) in [a, b] {
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        check_receipt(&net, &body, registration, 0);
    }
    let records = register(&net).await;
    let event = net.parties.commission(1);
    let (status, first) = net.submit(0, &event).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&first));
    check_receipt(&net, &first, &event, records.len() as u64);
    for again in [&records[0], &event] {
        let (status, body) = net.submit(0, again).await;
        assert_eq!(status, 200);
        let index = if again == &event {
            records.len() as u64
        } else {
            0
        };
        check_receipt(&net, &body, again, index);
    }
    assert_eq!(net.log_size(0).await, records.len() as u64 + 1);
    let cp = net.checkpoint_of_size(0, records.len() as u64 + 1).await;
    assert_eq!(cp.checkpoint.origin(), net.logs[0].name());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_refused_with_its_own_error_and_nothing_is_stored() {
    let net = Network::new(1);
    let node = net.start(0).await;
    let records = register(&net).await;
    let p = &net.parties;
    let size = net.log_size(0).await;

    let mut forged = Entry::decode(&p.commission(7)).unwrap();
    forged.signature[0] ^= 1;
    let stranger = signed_event(
        &event(
            "2026-03-01T08:00:00Z",
            "commissioning",
            &[unit(8)],
            &p.place,
            "ADD",
        ),
        &p.stranger,
    );
    let revoked = signed_event(
        &event(
            "2026-03-01T08:00:00Z",
            "commissioning",
            &[unit(9)],
            &p.place,
            "ADD",
        ),
        &p.revoked,
    );
    let wrong_role = signed_event(
        &event(
            "2026-03-01T08:00:00Z",
            "shipping",
            &[unit(10)],
            &p.place,
            "OBSERVE",
        ),
        &p.receiver,
    );
    let wrong_place = signed_event(
        &event(
            "2026-03-01T08:00:00Z",
            "receiving",
            &[unit(10)],
            &gln(99),
            "OBSERVE",
        ),
        &p.receiver,
    );
    let invalid_json = br#"{"type":"ObjectEvent","action":"JUMP","eventTime":"2026-03-01T08:00:00Z","eventTimeZoneOffset":"+00:00","epcList":[]}"#;
    let schema_invalid = Entry::sign(
        EntryKind::Event,
        invalid_json.to_vec(),
        Some("ni:///sha-256;00?ver=CBV2.0".into()),
        &p.device,
    )
    .unwrap()
    .encode();
    let valid_json = event(
        "2026-03-01T08:00:00Z",
        "commissioning",
        &[unit(11)],
        &p.place,
        "ADD",
    );
    let wrong_hash = Entry::sign(
        EntryKind::Event,
        valid_json,
        Some("ni:///sha-256;00?ver=CBV2.0".into()),
        &p.device,
    )
    .unwrap()
    .encode();
    let duplicate_org = {
        // A second registration of the same GLN: the registry refuses it.
        let mut e = Entry::decode(&records[0]).unwrap();
        e.payload = String::from_utf8(e.payload)
            .unwrap()
            .replace("Org 1", "Org One")
            .into_bytes();
        Entry::sign(e.kind, e.payload, None, &p.gov)
            .unwrap()
            .encode()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("forged signature", forged.encode(), 403, "bad_signature"),
        ("unknown signer", stranger, 403, "unknown_signer"),
        ("revoked device", revoked, 403, "signer_revoked"),
        ("step outside roles", wrong_role, 403, "not_authorised"),
        ("place outside places", wrong_place, 403, "not_authorised"),
        ("oversized body", vec![0; 70_000], 413, "too_large"),
        (
            "malformed bytes",
            b"{\"not\": \"an entry\"}".to_vec(),
            400,
            "malformed_entry",
        ),
        (
            "schema-invalid event",
            schema_invalid,
            422,
            "schema_invalid",
        ),
        ("hash ID mismatch", wrong_hash, 422, "hash_id_mismatch"),
        (
            "duplicate registration",
            duplicate_org,
            403,
            "record_not_authorised",
        ),
    ];
    for (what, body, status, code) in cases {
        let (got, answer) = net.submit(0, &body).await;
        let answer: Value = serde_json::from_slice(&answer)
            .unwrap_or_else(|_| panic!("{what}: not JSON: {}", String::from_utf8_lossy(&answer)));
        assert_eq!(
            (got, answer["error"].as_str().unwrap()),
            (status, code),
            "{what}: {answer}"
        );
        assert!(!answer["message"].as_str().unwrap().is_empty(), "{what}");
    }
    assert_eq!(net.log_size(0).await, size, "a refused entry was stored");
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_tiles_and_lookup_agree_with_the_served_checkpoint() {
    let net = Network::new(1);
    let node = net.start(0).await;
    let mut entries = register(&net).await;
    let p = &net.parties;
    let pallet = sscc(1);
    let packed = signed_event(
        &aggregation(
            "2026-03-01T09:00:00Z",
            "packing",
            &pallet,
            &[unit(1), unit(2)],
            &p.place,
            "ADD",
        ),
        &p.device,
    );
    let shipped = signed_event(
        &event(
            "2026-03-02T10:00:00Z",
            "shipping",
            std::slice::from_ref(&pallet),
            &p.place,
            "OBSERVE",
        ),
        &p.device,
    );
    let other_pallet = signed_event(
        &event(
            "2026-03-02T10:00:00Z",
            "shipping",
            &[sscc(2)],
            &p.place,
            "OBSERVE",
        ),
        &p.device,
    );
    entries.extend([p.commission(1), packed, shipped, other_pallet]);
    entries.extend((100..360).map(|serial| p.commission(serial)));
    for e in &entries {
        let (status, body) = net.submit(0, e).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    let size = entries.len() as u64;
    let cp = net.checkpoint_of_size(0, size).await;
    let root = *cp.checkpoint.hash();

    let mut local = MemoryStore::new();
    for e in &entries {
        local.append(e).unwrap();
    }
    assert_eq!(local.root(size).unwrap(), root);

    // Inclusion by index and by hash.
    for index in [0, 5, 255, 256, size - 1] {
        let leaf = leaf_hash(&entries[index as usize]);
        let by_index = net
            .json(0, &format!("/proof/inclusion?index={index}&size={size}"))
            .await;
        let hash_param = B64
            .encode(leaf.0)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let by_hash = net
            .json(
                0,
                &format!("/proof/inclusion?hash={hash_param}&size={size}"),
            )
            .await;
        assert_eq!(by_index, by_hash);
        assert_eq!(by_index["index"], index);
        let proof: Vec<Hash> = by_index["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(hash)
            .collect();
        merkle::verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
    }
    // Consistency from earlier sizes.
    for old in [1, 5, 256, size - 1, size] {
        let c = net
            .json(0, &format!("/proof/consistency?old={old}&size={size}"))
            .await;
        let proof: Vec<Hash> = c["proof"].as_array().unwrap().iter().map(hash).collect();
        merkle::verify_consistency(old, size, &local.root(old).unwrap(), &root, &proof).unwrap();
    }
    for bad in [
        "/proof/inclusion?index=0",
        "/proof/inclusion?index=0&size=99999",
        "/proof/consistency?old=0&size=1",
    ] {
        assert_eq!(net.get(0, bad).await.status(), 400, "{bad}");
    }

    // Entry bundles and hash tiles.
    let full = net.get(0, "/tile/entries/000").await;
    assert_eq!(full.status(), 200);
    assert_eq!(
        full.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bundle = full.bytes().await.unwrap();
    let decoded = tally_tlog::tiles::decode_entry_bundle(&bundle).unwrap();
    assert_eq!(
        decoded,
        entries[..256].iter().map(Vec::as_slice).collect::<Vec<_>>()
    );
    let rest = size - 256;
    let partial = net.get(0, &format!("/tile/entries/001.p/{rest}")).await;
    assert_eq!(partial.status(), 200);
    assert_ne!(
        partial.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let bundle = partial.bytes().await.unwrap();
    assert_eq!(
        tally_tlog::tiles::decode_entry_bundle(&bundle)
            .unwrap()
            .len() as u64,
        rest
    );

    let level0 = net.get(0, "/tile/0/000").await.bytes().await.unwrap();
    let leaves: Vec<u8> = entries[..256].iter().flat_map(|e| leaf_hash(e).0).collect();
    assert_eq!(level0.to_vec(), leaves);
    let level0_partial = net
        .get(0, &format!("/tile/0/001.p/{rest}"))
        .await
        .bytes()
        .await
        .unwrap();
    let leaves: Vec<u8> = entries[256..].iter().flat_map(|e| leaf_hash(e).0).collect();
    assert_eq!(level0_partial.to_vec(), leaves);
    let level1 = net.get(0, "/tile/1/000.p/1").await.bytes().await.unwrap();
    assert_eq!(level1.to_vec(), local.root(256).unwrap().0.to_vec());
    for beyond in [
        format!("/tile/entries/001.p/{}", rest + 1),
        "/tile/0/001".to_owned(),
        "/tile/1/000.p/2".to_owned(),
        "/tile/0/1".to_owned(),
    ] {
        assert_eq!(net.get(0, &beyond).await.status(), 404, "{beyond}");
    }

    // Lookup: unit 1 has its commissioning, the packing, and the pallet's shipping — not the
    // other pallet's.
    let found = net.json(0, &format!("/lookup?key={}", unit(1))).await;
    let indices: Vec<u64> = found["indices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let registry_len = net.parties.registry_entries().len() as u64;
    assert_eq!(
        indices,
        vec![registry_len, registry_len + 1, registry_len + 2]
    );
    let bytes: Vec<Vec<u8>> = found["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| B64.decode(v.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        bytes,
        entries[registry_len as usize..registry_len as usize + 3].to_vec()
    );
    let registry = net.json(0, "/lookup?key=registry").await;
    assert_eq!(
        registry["indices"].as_array().unwrap().len() as u64,
        registry_len
    );

    let metrics = net.get(0, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!("tally_log_size {size}")),
        "{metrics}"
    );
    let evidence = net.json(0, "/evidence").await;
    assert_eq!(evidence["evidence"].as_array().unwrap().len(), 0);
    node.stop().await;
}
