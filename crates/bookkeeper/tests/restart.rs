//! Durability across a restart: the registry is rebuilt from the log, and entries queued for a
//! peer that was down reach it once it is up.

use tally_testnet::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_and_registry_survive_a_restart() {
    let net = Network::new(2);
    let node = net.start(0).await;
    let records = net.parties.registry_entries();
    for e in &records {
        assert_eq!(net.submit(0, e).await.0, 200);
    }
    let metrics = net.get(0, "/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(&format!(
            "tally_outbox_backlog{{peer=\"bk1\"}} {}",
            records.len()
        )),
        "{metrics}"
    );
    node.stop().await;

    let node = net.start(0).await;
    // Admission after the restart needs the certifications read back from the log.
    let (status, body) = net.submit(0, &net.parties.commission(1)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let peer = net.start(1).await;
    let total = records.len() as u64 + 1;
    let mut size = 0;
    for _ in 0..ATTEMPTS {
        size = net.log_size(1).await;
        if size == total {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(size, total, "the peer did not receive the queued entries");
    peer.stop().await;
    node.stop().await;
}
