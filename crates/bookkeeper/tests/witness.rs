//! A bookkeeper as a C2SP tlog-witness for a peer log, driven directly over HTTP with the peer's
//! real log key: cosigning, stale `old` (409), a fork (422 and evidence), unknown origin (404) and a
//! bad log signature (403).

use tally_testnet::*;
use tally_tlog::{note, Checkpoint, KeyType, MemoryStore};

/// A peer log (bk1's key) of `size` entries whose contents are `tag`-specific, signed.
fn signed_checkpoint(net: &Network, tag: &str, size: u64) -> (Vec<u8>, MemoryStore) {
    let mut log = MemoryStore::new();
    for i in 0..size {
        log.append(format!("{tag} {i}").as_bytes()).unwrap();
    }
    let text = Checkpoint::new(net.logs[1].name(), size, log.root(size).unwrap(), "")
        .unwrap()
        .to_bytes();
    let signed = note::sign(&text, std::slice::from_ref(&net.logs[1]), 0).unwrap();
    (signed, log)
}

fn body(old: u64, proof: &[tally_tlog::Hash], signed: &[u8]) -> Vec<u8> {
    let mut b = format!("old {old}\n");
    for h in proof {
        b.push_str(&format!("{h}\n"));
    }
    b.push('\n');
    let mut b = b.into_bytes();
    b.extend_from_slice(signed);
    b
}

async fn add(net: &Network, body: Vec<u8>) -> (u16, String, String) {
    let r = net
        .client
        .post(format!("{}/add-checkpoint", net.url(0)))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ctype = r.headers()["content-type"].to_str().unwrap().to_owned();
    (status, ctype, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witness_endpoint_follows_tlog_witness() {
    let net = Network::new(2);
    let node = net.start(0).await;
    let witness = net.witnesses[0].verifier();
    let log = net.logs[1].verifier();

    let (cp1, _) = signed_checkpoint(&net, "a", 1);
    let (status, _, line) = add(&net, body(0, &[], &cp1)).await;
    assert_eq!(status, 200, "{line}");
    let cosigned = [cp1.as_slice(), line.as_bytes()].concat();
    tally_tlog::checkpoint::verify(&cosigned, &log, std::slice::from_ref(&witness), 1).unwrap();

    let (cp3, store) = signed_checkpoint(&net, "a", 3);
    let (status, ctype, text) = add(&net, body(0, &[], &cp3)).await;
    assert_eq!(
        (status, ctype.as_str(), text.as_str()),
        (409, "text/x.tlog.size", "1\n")
    );
    let proof = store.consistency_proof(1, 3).unwrap();
    assert_eq!(add(&net, body(1, &proof, &cp3)).await.0, 200);

    // The same size with another root is a fork: refused, and both notes kept.
    let (fork, _) = signed_checkpoint(&net, "b", 3);
    let (status, _, reason) = add(&net, body(3, &[], &fork)).await;
    assert_eq!(status, 422, "{reason}");
    let evidence = net.json(0, "/evidence").await;
    let items = evidence["evidence"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["origin"], net.logs[1].name());
    assert_eq!(items[0]["old_note"], String::from_utf8(cp3).unwrap());
    assert_eq!(items[0]["new_note"], String::from_utf8(fork).unwrap());

    let stranger = key("elsewhere.example/log", KeyType::Ed25519, 77);
    let text = Checkpoint::new(stranger.name(), 0, tally_tlog::EMPTY_ROOT, "")
        .unwrap()
        .to_bytes();
    let unknown = note::sign(&text, std::slice::from_ref(&stranger), 0).unwrap();
    assert_eq!(add(&net, body(0, &[], &unknown)).await.0, 404);
    let impostor = key(net.logs[1].name(), KeyType::Ed25519, 78);
    let (cp, _) = signed_checkpoint(&net, "a", 4);
    let text = note::open(&cp, &[log]).unwrap().text;
    let forged = note::sign(&text, std::slice::from_ref(&impostor), 0).unwrap();
    assert_eq!(add(&net, body(3, &[], &forged)).await.0, 403);
    assert_eq!(add(&net, b"not a request".to_vec()).await.0, 400);
    node.stop().await;
}
