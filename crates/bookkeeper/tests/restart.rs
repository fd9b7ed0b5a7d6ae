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

/// A confidential network's registry is sealed: a bookkeeper rebuilds it from its log with the
/// registry secret its config names, so a device it certified is still certified after a
/// restart; restarted without the secret, it knows no device, and refuses the same event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_registry_is_rebuilt_with_the_registry_secret() {
    let net = Network::with_quorums(1, 1, 0);
    net.set_policy(serde_json::json!({"confidential": true}));
    let node = net.start(0).await;
    let p = &net.parties;
    let member = net.registry_secret();
    let org = *p.org.verifier().ed25519().as_bytes();
    for bytes in p.registry_entries() {
        let entry = tally_trust::Entry::decode(&bytes).unwrap();
        let rule = tally_trust::sealed_registry::sealing(&entry, &member, |_| Some(org)).unwrap();
        let contents = tally_confidential::Contents {
            entry: &bytes,
            links: &rule.links,
            withheld: &[],
        };
        let sub = tally_confidential::Submission::seal(
            &contents,
            &rule.seal_for,
            &[],
            &mut rand_core::OsRng,
        )
        .unwrap();
        let (status, body) = net.submit(0, &sub.encode()).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    // A plain record is refused on this network.
    let (status, body) = net.submit(0, &p.registry_entries()[1]).await;
    assert_eq!(status, 422);
    assert!(String::from_utf8_lossy(&body).contains("plain_record_refused"));
    node.stop().await;
    let label = tally_confidential::LabelSecret::from_bytes([9; 16]);
    let sealed = |n: u32| {
        let event = p.commission(n);
        let contents = tally_confidential::Contents {
            entry: &event,
            ..Default::default()
        };
        let labels = std::slice::from_ref(&label);
        (tally_confidential::Submission::seal(&contents, labels, &[], &mut rand_core::OsRng))
            .unwrap()
            .encode()
    };
    let node = net.start(0).await;
    let (status, body) = net.submit(0, &sealed(1)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    node.stop().await;
    net.configure(0, serde_json::json!({"registry_secret": null}));
    let node = net.start(0).await;
    let (status, body) = net.submit(0, &sealed(2)).await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    node.stop().await;
}
