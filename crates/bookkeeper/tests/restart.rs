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
    for bytes in p.registry_entries() {
        let (status, body) = net.submit(0, &net.sealed_record(&bytes, &member)).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    // A plain record is refused on this network.
    let (status, body) = net.submit(0, &p.registry_entries()[1]).await;
    assert_eq!(status, 422);
    assert!(String::from_utf8_lossy(&body).contains("plain_record_refused"));
    node.stop().await;
    let sealed = |n: u32| sealed_event(&p.commission(n));
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

/// Event `event` sealed for a label, as a device submits it.
fn sealed_event(event: &[u8]) -> Vec<u8> {
    let label = tally_confidential::LabelSecret::from_bytes([9; 16]);
    let contents = tally_confidential::Contents {
        entry: event,
        ..Default::default()
    };
    let labels = std::slice::from_ref(&label);
    (tally_confidential::Submission::seal(&contents, labels, &[], &mut rand_core::OsRng))
        .unwrap()
        .encode()
}

/// Governance rotates the registry secret. The bookkeeper, restarted with the new file, still
/// rebuilds what was sealed for the old secret; it refuses a record sealed for the old secret
/// only, and admits one sealed for the new. A former member, who holds only the old secret,
/// finds none of the records logged after the rotation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_registry_secret_seals_what_comes_after() {
    let net = Network::with_quorums(1, 1, 0);
    net.set_policy(serde_json::json!({"confidential": true}));
    let node = net.start(0).await;
    let (p, old) = (&net.parties, net.registry_secret());
    let records = p.registry_entries();
    for bytes in &records[..2] {
        let (status, body) = net.submit(0, &net.sealed_record(bytes, &old)).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
    node.stop().await;
    let new = tally_confidential::LabelSecret::from_bytes([8; 16]);
    net.set_registry_secrets(&[new.clone(), old.clone()]);
    let node = net.start(0).await;
    // The device certified before the rotation still signs.
    let (status, body) = net.submit(0, &sealed_event(&p.commission(1))).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let (status, body) = net.submit(0, &net.sealed_record(&records[2], &old)).await;
    assert_eq!(status, 422);
    assert!(String::from_utf8_lossy(&body).contains("record_sealing"));
    let (status, body) = net.submit(0, &net.sealed_record(&records[2], &new)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let found = |secrets: &[&tally_confidential::LabelSecret]| {
        let header: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        let url = format!("{}/lookup?key=registry", net.url(0));
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .header("tally-label-secret", header.join(","));
            let v: serde_json::Value = r.send().await.unwrap().json().await.unwrap();
            let indices = v["indices"].as_array().unwrap().iter();
            indices.map(|i| i.as_u64().unwrap()).collect::<Vec<u64>>()
        }
    };
    // Logged: 0 the registration, 1 a certification, 2 an event, 3 the certification sealed
    // after the rotation (whose link to the organisation opens the registration too).
    assert_eq!(
        found(&[&old]).await,
        [0, 1],
        "the former member reads what came before"
    );
    assert_eq!(
        found(&[&new]).await,
        [0, 3],
        "a member reads what came after"
    );
    assert_eq!(found(&[&new, &old]).await, [0, 1, 3]);
    node.stop().await;
}
