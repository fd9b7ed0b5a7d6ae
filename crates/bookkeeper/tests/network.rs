//! Three bookkeepers in one process: broadcast makes the logs converge, and each serves a
//! checkpoint cosigned by the other two as witnesses.

use std::collections::BTreeSet;
use tally_testnet::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_bookkeepers_converge_and_cosign_each_other() {
    let net = Network::new(3);
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(net.start(i).await);
    }
    let records = net.parties.registry_entries();
    for e in &records {
        assert_eq!(net.submit(0, e).await.0, 200);
    }
    // Events need the registry: wait until every peer has it.
    for i in 0..3 {
        wait_for_size(&net, i, records.len() as u64).await;
    }
    let events: Vec<Vec<u8>> = (1..=30)
        .map(|serial| net.parties.commission(serial))
        .collect();
    for (n, e) in events.iter().enumerate() {
        let (status, body) = net.submit(n % 3, e).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    let all: BTreeSet<Vec<u8>> = records.iter().chain(&events).cloned().collect();
    let total = all.len() as u64;
    for i in 0..3 {
        wait_for_size(&net, i, total).await;
        let witnesses: Vec<_> = (0..3)
            .filter(|&j| j != i)
            .map(|j| net.witnesses[j].verifier())
            .collect();
        let log = net.logs[i].verifier();
        let note = net
            .checkpoint_where(i, |n| {
                tally_tlog::checkpoint::verify(n, &log, &witnesses, 2)
                    .is_ok_and(|v| v.checkpoint.size() == total)
            })
            .await;
        let verified = tally_tlog::checkpoint::verify(&note, &log, &witnesses, 2).unwrap();
        assert_eq!(verified.cosigners.len(), 2);
        let bundle = net
            .get(i, &format!("/tile/entries/000.p/{total}"))
            .await
            .bytes()
            .await
            .unwrap();
        let logged: BTreeSet<Vec<u8>> = tally_tlog::tiles::decode_entry_bundle(&bundle)
            .unwrap()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(logged, all, "bookkeeper {i} holds a different entry set");
        let metrics = net.get(i, "/metrics").await.text().await.unwrap();
        assert!(metrics.contains("tally_outbox_backlog{peer="), "{metrics}");
    }
    // As witnesses, each has seen both peers reach the full size: no lag behind either.
    for i in 0..3 {
        let want: Vec<String> = (0..3)
            .filter(|&j| j != i)
            .flat_map(|j| {
                [
                    format!("tally_peer_checkpoint_size{{peer=\"bk{j}\"}} {total}"),
                    format!("tally_lag_behind_peer{{peer=\"bk{j}\"}} 0"),
                ]
            })
            .collect();
        let mut metrics = String::new();
        for _ in 0..ATTEMPTS {
            metrics = net.get(i, "/metrics").await.text().await.unwrap();
            if want.iter().all(|w| metrics.contains(w.as_str())) {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        for w in &want {
            assert!(metrics.contains(w.as_str()), "bk{i} lacks {w}: {metrics}");
        }
    }
    for node in nodes {
        node.stop().await;
    }
}

/// A log restarted with no memory of what its peer cosigned: the peer answers 409 with its size,
/// and the retry with a consistency proof from there is cosigned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_log_is_cosigned_again_from_the_size_its_witness_holds() {
    let net = Network::new(2);
    let node = net.start(0).await;
    let peer = net.start(1).await;
    let records = net.parties.registry_entries();
    for e in &records {
        assert_eq!(net.submit(0, e).await.0, 200);
    }
    let log = net.logs[0].verifier();
    let witness = [net.witnesses[1].verifier()];
    let cosigned_at = |size: u64| {
        let log = log.clone();
        let witness = witness.clone();
        move |n: &[u8]| {
            tally_tlog::checkpoint::verify(n, &log, &witness, 1)
                .is_ok_and(|v| v.checkpoint.size() == size)
        }
    };
    net.checkpoint_where(0, cosigned_at(records.len() as u64))
        .await;
    node.stop().await;
    let node = net.start(0).await;
    assert_eq!(net.submit(0, &net.parties.commission(1)).await.0, 200);
    net.checkpoint_where(0, cosigned_at(records.len() as u64 + 1))
        .await;
    peer.stop().await;
    node.stop().await;
}

async fn wait_for_size(net: &Network, i: usize, size: u64) {
    for _ in 0..ATTEMPTS {
        if net.log_size(i).await >= size {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
    panic!("bookkeeper {i} never reached size {size}");
}
