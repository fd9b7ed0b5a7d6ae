//! One bookkeeper over real HTTP: bundle submission and the light client's `/history` request.

use base64::Engine as _;
use serde_json::Value;
use tally_testnet::*;
use tally_tlog::{leaf_hash, merkle, Hash, MemoryStore};
use tally_trust::receipt::{self, Promise};
use tally_trust::{Entry, Record};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn hash(s: &Value) -> Hash {
    Hash(B64.decode(s.as_str().unwrap()).unwrap().try_into().unwrap())
}

fn bundle(entries: &[Vec<u8>]) -> Vec<u8> {
    tally_tlog::tiles::encode_entry_bundle(entries.iter().map(Vec::as_slice)).unwrap()
}

async fn post_bundle(net: &Network, body: Vec<u8>) -> (u16, Value) {
    let r = net
        .client
        .post(format!("{}/submit-bundle", net.url(0)))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_is_admitted_in_order_with_one_answer_per_entry() {
    let net = Network::new(1);
    let node = net.start(0).await;
    let p = &net.parties;
    // Registration, certifications and revocation, then events of the devices they certify, all
    // in one bundle: each record counts for the entries after it.
    let mut entries = p.registry_entries();
    let records = entries.len();
    entries.push(p.commission(1));
    entries.push(p.commission(2));
    let mut forged = Entry::decode(&p.commission(3)).unwrap();
    forged.signature[5] ^= 1;
    entries.push(forged.encode());
    entries.push(p.commission(1)); // the same entry again, later in the bundle
    entries.push(b"not an entry".to_vec());
    let (status, answer) = post_bundle(&net, bundle(&entries)).await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results.len(), entries.len());
    for (i, r) in results.iter().enumerate().take(records + 2) {
        assert_eq!(r["index"], i as u64, "entry {i}: {r}");
    }
    // One receipt for the bundle, over the promises of the entries that got an index, in order:
    // the registry records, two commissionings and the repeat of the first (at its first index).
    let mut promised: Vec<(u64, &[u8])> = (0..records + 2)
        .map(|i| (i as u64, entries[i].as_slice()))
        .collect();
    promised.push((records as u64, &entries[records + 3]));
    let promises: Vec<Promise> = promised
        .iter()
        .map(|(index, e)| Promise {
            index: *index,
            leaf: leaf_hash(e),
        })
        .collect();
    let batch = receipt::open_batch(
        &net.logs[0].verifier(),
        answer["receipt"].as_str().unwrap().as_bytes(),
    )
    .unwrap();
    assert_eq!(batch.size, promises.len() as u64);
    let own = batch.receipts_for(&promises).unwrap();
    own[2]
        .verify(&net.logs[0].verifier(), &promises[2])
        .unwrap();
    assert_eq!(
        (
            results[records + 2]["error"].as_str(),
            results[records + 2]["status"].as_u64()
        ),
        (Some("bad_signature"), Some(403))
    );
    assert_eq!(results[records + 3]["index"], records as u64);
    assert_eq!(
        results[records + 4]["error"].as_str(),
        Some("malformed_entry")
    );
    assert_eq!(net.log_size(0).await, records as u64 + 2);

    // Resending the whole bundle changes nothing and answers the same indices.
    let (_, again) = post_bundle(&net, bundle(&entries)).await;
    for i in 0..records + 2 {
        assert_eq!(again["results"][i]["index"], i as u64);
    }
    assert_eq!(net.log_size(0).await, records as u64 + 2);

    // Not a bundle, and too many entries.
    let (status, answer) = post_bundle(&net, vec![0, 9, 1]).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("malformed_bundle"))
    );
    let many: Vec<Vec<u8>> = (0..1025).map(|_| vec![1]).collect();
    let (status, answer) = post_bundle(&net, bundle(&many)).await;
    assert_eq!((status, answer["error"].as_str()), (413, Some("too_large")));
    assert_eq!(net.log_size(0).await, records as u64 + 2);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_brings_the_product_its_authorising_records_and_proofs_in_one_answer() {
    let net = Network::new(1);
    let node = net.start(0).await;
    let p = &net.parties;
    // A second organisation whose records must not appear in unit 1's history.
    let other_org = key("org-2", tally_tlog::KeyType::Ed25519, 11);
    let other_device = key("device-9", tally_tlog::KeyType::Ed25519, 39);
    let reg2 = Record::Registration {
        gln: gln(50),
        name: "Org 2".into(),
        country: "CN".into(),
        key: other_org.verifier().to_string(),
        domains: vec![],
        prefixes: vec![],
    };
    let cert2 = Record::Certification {
        org: gln(50),
        device: other_device.verifier().to_string(),
        roles: vec!["commissioning".into()],
        places: vec![gln(51)],
        valid_from: t("2026-01-01T00:00:00Z"),
        expires: t("2027-01-01T00:00:00Z"),
    };
    let mut entries = p.registry_entries();
    for r in [&reg2, &cert2] {
        let signer = if matches!(r, Record::Registration { .. }) {
            &p.gov
        } else {
            &other_org
        };
        entries.push(
            Entry::sign(r.kind(), r.to_payload(), None, signer)
                .unwrap()
                .encode(),
        );
    }
    let first = entries.len();
    entries.push(p.commission(1));
    entries.push(signed_event(
        &event(
            "2026-03-01T08:00:00Z",
            "commissioning",
            &[unit(2)],
            &gln(51),
            "ADD",
        ),
        &other_device,
    ));
    let (status, answer) = post_bundle(&net, bundle(&entries)).await;
    assert_eq!(status, 200, "{answer}");
    let size = entries.len() as u64;
    net.checkpoint_of_size(0, size).await;
    let mut local = MemoryStore::new();
    for e in &entries {
        local.append(e).unwrap();
    }

    let h = net
        .json(0, &format!("/history?key={}&old=3", unit(1)))
        .await;
    assert_eq!(h["size"], size);
    let cp = tally_tlog::checkpoint::verify(
        h["checkpoint"].as_str().unwrap().as_bytes(),
        &net.logs[0].verifier(),
        &[],
        0,
    )
    .unwrap();
    assert_eq!(cp.checkpoint.size(), size);
    let root = *cp.checkpoint.hash();
    let got: Vec<u64> = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let index = e["index"].as_u64().unwrap();
            let bytes = B64.decode(e["entry"].as_str().unwrap()).unwrap();
            assert_eq!(bytes, entries[index as usize]);
            let proof: Vec<Hash> = e["proof"].as_array().unwrap().iter().map(hash).collect();
            merkle::verify_inclusion(index, size, &leaf_hash(&bytes), &proof, &root).unwrap();
            index
        })
        .collect();
    // Org 1's registration (0) and the signing device's certification (1), the revocations of
    // nothing relevant, and the event; not the other organisation's records or event.
    assert_eq!(got, vec![0, 1, first as u64]);
    let consistency: Vec<Hash> = h["consistency"]
        .as_array()
        .unwrap()
        .iter()
        .map(hash)
        .collect();
    merkle::verify_consistency(3, size, &local.root(3).unwrap(), &root, &consistency).unwrap();

    // The other organisation's event comes with its own registration and certification only.
    let h = net.json(0, &format!("/history?key={}", unit(2))).await;
    assert!(h["consistency"].is_null());
    let got: Vec<u64> = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(got, vec![5, 6, first as u64 + 1]);

    let missing = net.get(0, "/history").await;
    assert_eq!(missing.status(), 400);
    node.stop().await;
}
