//! The light client against real bookkeepers served on 127.0.0.1: verification with k of n,
//! trust state, offline cache, the outbox with a bookkeeper down, a device's own key and
//! certification, monitoring, tracing and evidence export.

use std::time::Duration;
use tally_client::capture::{Handoff, Reading, Step};
use tally_client::identity::{self, EnrolmentRequest};
use tally_client::view::Source;
use tally_client::{Client, Limits};
use tally_testnet::*;
use tally_tlog::Hash;
use tally_trust::receipt::{EntryReceipt, Promise};
use tally_trust::Status;
use tempfile::TempDir;
use time::OffsetDateTime;

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        max_body: 16 * 1024 * 1024,
    }
}

/// A 3-bookkeeper network (quorum 2, one independent cosignature), all started, with the
/// parties registered; and a client with its policy installed.
async fn setup() -> (Network, Vec<Node>, Client, TempDir) {
    let net = Network::with_quorums(3, 2, 1);
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(net.start(i).await);
    }
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("client.db");
    Client::install_policy(&db, &net.policy_json()).unwrap();
    let client = Client::open(&db, limits()).unwrap();
    let records: Vec<(tally_trust::Entry, String)> = net
        .parties
        .registry_entries()
        .iter()
        .map(|e| (tally_trust::Entry::decode(e).unwrap(), "record".to_owned()))
        .collect();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    client.queue(records, now).unwrap();
    let report = client.flush(now).await.unwrap();
    assert_eq!(report.pending_deliveries, 0, "{report:?}");
    (net, nodes, client, home)
}

async fn settle(net: &Network, size: u64) {
    for i in 0..3 {
        net.cosigned_checkpoint(i, size, 1).await;
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_in_every_log_is_verified_trusted_and_kept_for_offline_viewing() {
    let (net, nodes, client, _home) = setup().await;
    let p = &net.parties;
    let shipped = signed_event(
        &event(
            "2026-03-02T08:00:00Z",
            "packing",
            &[unit(1)],
            &p.place,
            "OBSERVE",
        ),
        &p.device,
    );
    for e in [p.commission(1), shipped] {
        assert_eq!(net.submit(0, &e).await.0, 200);
    }
    let size = p.registry_entries().len() as u64 + 2;
    settle(&net, size).await;

    let h = client.verify(&unit(1), now()).await.unwrap();
    assert_eq!(h.status, Status::Verified, "{:?}", h.warnings);
    assert_eq!(h.source, Source::Live);
    assert_eq!(h.steps.len(), 2);
    assert_eq!(h.steps[0].org.as_deref(), Some("Org 1"));
    assert_eq!(h.steps[0].evidence.bookkeepers.len(), 3);
    assert!(h
        .bookkeepers
        .iter()
        .all(|b| b.used && b.checkpoint_size == Some(size)));
    let trusted = client.store().unwrap().trust_state().unwrap();
    assert_eq!(trusted.logs.len(), 3);
    assert!(trusted.logs.values().all(|t| t.size == size));

    // A product nobody logged: failed, with the reason.
    let unknown = client.verify(&unit(999), now()).await.unwrap();
    assert_eq!(unknown.status, Status::Failed);
    assert_eq!(unknown.warnings.last().unwrap().code, "no_history");

    // Every bookkeeper gone: the history verified before, marked cached with its age.
    for n in nodes {
        n.stop().await;
    }
    let offline = client.verify(&unit(1), now()).await.unwrap();
    assert_eq!(offline.source, Source::Cached);
    assert_eq!(offline.status, Status::Verified);
    assert_eq!(offline.checked_at, h.checked_at);
    assert_eq!(offline.steps, h.steps);
    let never = client.verify(&unit(2), now()).await.unwrap();
    assert_eq!(never.source, Source::Offline);
    let scans = client.store().unwrap().scans(10).unwrap();
    assert_eq!(
        scans.len(),
        2,
        "offline answers are not new scans: {scans:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_survives_a_restart_and_reaches_a_bookkeeper_that_was_down() {
    let (net, mut nodes, client, home) = setup().await;
    let p = &net.parties;
    // bk2 goes down before anything is recorded.
    nodes.pop().unwrap().stop().await;
    let t0 = now().unix_timestamp();
    let handoffs: Vec<Handoff> = (10..15)
        .map(|serial| Handoff {
            step: Step::Commission,
            time: tally_testkit::t("2026-03-01T08:00:00Z"),
            items: vec![unit(serial)],
            quantities: vec![],
            parent: None,
            outputs: vec![],
            output_quantities: vec![],
            place: p.place.clone(),
            org: p.org_gln.clone(),
            counterparty: None,
            documents: vec![],
            readings: vec![],
            ilmd: Default::default(),
            withhold: Handoff::default_withheld(),
        })
        .collect();
    for h in &handoffs {
        let q = client.record(&p.device, h, t0).unwrap();
        assert!(q.new && q.hash_id.as_deref().unwrap().starts_with("ni:///sha-256;"));
    }
    // The same handoff again is not queued twice.
    assert!(!client.record(&p.device, &handoffs[0], t0).unwrap().new);
    drop(client);
    // Reopened (an app restart): the outbox is still there.
    let client = Client::open(home.path().join("client.db"), limits()).unwrap();
    let report = client.flush(t0).await.unwrap();
    let by = |name: &str| {
        report
            .bookkeepers
            .iter()
            .find(|b| b.bookkeeper == name)
            .unwrap()
    };
    assert_eq!((by("bk0").receipted, by("bk1").receipted), (5, 5));
    assert_eq!(by("bk2").receipted, 0);
    assert!(by("bk2").error.is_some());
    assert_eq!((report.pending_entries, report.pending_deliveries), (5, 5));
    // Not due again until its backoff has passed.
    assert_eq!(client.flush(t0).await.unwrap().bookkeepers[2].sent, 0);

    nodes.push(net.start(2).await);
    let later = t0 + 3600;
    let report = client.flush(later).await.unwrap();
    assert_eq!(report.pending_deliveries, 0, "{report:?}");
    let outbox = client.store().unwrap().outbox(10).unwrap();
    // Five registry records (queued by `setup`) and the five commissionings.
    assert_eq!(outbox.len(), 10);
    for item in outbox
        .iter()
        .filter(|i| i.summary.starts_with("commissioning"))
    {
        assert_eq!(item.deliveries.len(), 3);
        for d in &item.deliveries {
            // Each entry's receipt proves, on its own, the index this bookkeeper promised.
            let own = EntryReceipt::from_json(d.receipt.as_deref().unwrap()).unwrap();
            let i: usize = d.bookkeeper.strip_prefix("bk").unwrap().parse().unwrap();
            let promise = Promise {
                index: d.index.unwrap(),
                leaf: Hash::parse_hash(&item.leaf).unwrap(),
            };
            own.verify(&net.logs[i].verifier(), &promise).unwrap();
        }
    }
    for n in nodes {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_device_enrols_records_and_its_event_verifies() {
    let (net, nodes, client, _home) = setup().await;
    let p = &net.parties;
    let t = now();
    // The device makes and seals its key, and asks to be certified.
    let key = identity::generate("dock-7").unwrap();
    let sealed = identity::seal_with(&key, "pass phrase", 64, 1).unwrap();
    client
        .store()
        .unwrap()
        .create_device(
            "dock-7",
            &key.verifier().to_string(),
            &sealed,
            t.unix_timestamp(),
        )
        .unwrap();
    let request = EnrolmentRequest {
        device: key.verifier().to_string(),
        label: "Dock 7".into(),
        org: p.org_gln.clone(),
        roles: vec!["commissioning".into(), "shipping".into()],
        places: vec![p.place.clone()],
    };
    let signed = identity::enrolment_request(&key, &request).unwrap();
    // The organisation checks the request and certifies the device.
    let opened = identity::open_enrolment_request(&signed).unwrap();
    let cert = identity::certify(
        &p.org,
        &opened,
        t - time::Duration::days(1),
        t + time::Duration::days(365),
    )
    .unwrap();
    client
        .queue(
            vec![(cert.clone(), "certification".into())],
            t.unix_timestamp(),
        )
        .unwrap();
    // The device imports its certification, unlocks its key and records a commissioning.
    identity::check_certification(&cert.encode(), &key.verifier()).unwrap();
    client
        .store()
        .unwrap()
        .set_certification(&cert.encode())
        .unwrap();
    let row = client.store().unwrap().device().unwrap().unwrap();
    let unlocked = identity::unseal(&row.sealed_key, "pass phrase").unwrap();
    let handoff = Handoff {
        step: Step::Commission,
        time: t - time::Duration::hours(1),
        items: vec![unit(77)],
        quantities: vec![],
        parent: None,
        outputs: vec![],
        output_quantities: vec![],
        place: p.place.clone(),
        org: p.org_gln.clone(),
        counterparty: None,
        documents: vec![],
        readings: vec![Reading {
            time: t - time::Duration::hours(1),
            celsius: 2.5,
        }],
        ilmd: serde_json::from_str(r#"{"cbvmda:countryOfOrigin": "NZ"}"#).unwrap(),
        withhold: Handoff::default_withheld(),
    };
    client
        .record(&unlocked, &handoff, t.unix_timestamp())
        .unwrap();
    let report = client.flush(t.unix_timestamp()).await.unwrap();
    assert_eq!(report.pending_deliveries, 0, "{report:?}");
    let size = p.registry_entries().len() as u64 + 2;
    settle(&net, size).await;
    let h = client.verify(&unit(77), now()).await.unwrap();
    assert_eq!(h.status, Status::Verified, "{:?}", h.warnings);
    assert_eq!(
        h.steps[0].evidence.signer.as_deref(),
        Some(request.device.as_str())
    );
    assert!(h.steps[0]
        .details
        .contains(&("countryOfOrigin".to_owned(), "NZ".to_owned())));
    assert_eq!(h.steps[0].temperatures[0].celsius, 2.5);

    // An unenrolled key's event is refused by every bookkeeper, and stays in the outbox.
    let stranger = identity::generate("stranger").unwrap();
    let mut h2 = handoff.clone();
    h2.items = vec![unit(78)];
    client.record(&stranger, &h2, t.unix_timestamp()).unwrap();
    let report = client.flush(t.unix_timestamp()).await.unwrap();
    assert_eq!(report.pending_entries, 1);
    assert!(report.bookkeepers.iter().all(|b| b
        .error
        .as_deref()
        .is_some_and(|e| e.starts_with("unknown_signer"))));
    for n in nodes {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_trace_activity_and_evidence_export() {
    let (net, nodes, client, _home) = setup().await;
    let p = &net.parties;
    let pallet = sscc(5);
    let pack = signed_event(
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
    for e in [p.commission(1), p.commission(2), pack] {
        assert_eq!(net.submit(1, &e).await.0, 200);
    }
    let size = p.registry_entries().len() as u64 + 3;
    settle(&net, size).await;

    let m = client.monitor(now().unix_timestamp()).await.unwrap();
    assert_eq!(m.logs.len(), 3);
    for l in &m.logs {
        assert!(l.reachable && l.problem.is_none(), "{l:?}");
        assert_eq!((l.size, l.lag), (Some(size), Some(0)));
        assert!(l.independent_cosigners >= 1);
    }
    assert!(m.alerts.is_empty() && m.witness_evidence.is_empty());
    let trusted = client.store().unwrap().trust_state().unwrap();
    assert!(trusted.logs.values().all(|t| t.size == size));

    // Unit 1 forward: onto the pallet.
    let trace = client.trace(&unit(1), now()).await.unwrap();
    assert_eq!(trace.edges.len(), 1, "{:?}", trace.edges);
    assert_eq!(trace.edges[0].to, pallet);
    assert_eq!(trace.edges[0].how, "packed");
    assert_eq!(trace.downstream.len(), 1);

    let activity = client.activity(&p.org_gln).await.unwrap();
    assert_eq!(activity.events.len(), 3);
    assert_eq!(activity.by_step.get("commissioning"), Some(&2));
    assert_eq!(activity.name.as_deref(), Some("Org 1"));

    // Evidence: checked again offline it gives the same verdict; altered, it does not.
    let file = client.export(&unit(2), now()).await.unwrap();
    assert_eq!(file.answers.len(), 3);
    let again = tally_client::audit::check_evidence(&file, client.policy(), now()).unwrap();
    assert_eq!(again.status, Status::Verified, "{:?}", again.warnings);
    assert_eq!(again.steps.len(), 2);
    let text = serde_json::to_string(&file).unwrap();
    let entry = file.answers["bk0"]["entries"][0]["entry"].as_str().unwrap();
    // The first copy of that entry in the file is bk0's.
    let tampered: tally_client::audit::EvidenceFile =
        serde_json::from_str(&text.replacen(entry, &base64_flip(entry), 1)).unwrap();
    let checked = tally_client::audit::check_evidence(&tampered, client.policy(), now()).unwrap();
    // A file carrying a policy of someone else's keys verifies under that policy only.
    let mut forged = file.clone();
    forged.policy["log_quorum"] = serde_json::json!(1);
    assert_ne!(
        forged.embedded_policy().unwrap().fingerprint(),
        client.policy().fingerprint()
    );
    assert!(
        checked.warnings.iter().any(|w| w.code == "tampered_entry"),
        "{:?}",
        checked.warnings
    );
    for n in nodes {
        n.stop().await;
    }
}

/// The base64 of the same bytes with one bit flipped in the last byte.
fn base64_flip(b64: &str) -> String {
    use base64::Engine as _;
    let e = base64::engine::general_purpose::STANDARD;
    let mut bytes = e.decode(b64).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    e.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_lists_registered_organisations_and_their_places_and_works_offline_or_short_of_k(
) {
    let (net, nodes, client, _home) = setup().await;
    let p = &net.parties;
    settle(&net, p.registry_entries().len() as u64).await;
    let dir = client.directory(now().unix_timestamp()).await.unwrap();
    assert!(dir.live);
    assert_eq!(dir.below_quorum, 0);
    assert_eq!(dir.orgs.len(), 1, "{dir:?}");
    let org = &dir.orgs[0];
    assert_eq!(
        (org.gln.as_str(), org.name.as_str()),
        (p.org_gln.as_str(), "Org 1")
    );
    assert_eq!(org.places, vec![p.place.clone()]);
    // device-1 and device-2 are valid; device-3 is revoked.
    assert_eq!(org.devices, 2);
    let mut nodes = nodes.into_iter();
    // One log of two needed proves nothing: the last directory stands, not an empty one.
    for n in nodes.by_ref().take(2) {
        n.stop().await;
    }
    let partial = client.directory(now().unix_timestamp()).await.unwrap();
    assert!(!partial.live);
    assert_eq!(partial.orgs, dir.orgs);
    for n in nodes {
        n.stop().await;
    }
    let offline = client.directory(now().unix_timestamp()).await.unwrap();
    assert!(!offline.live);
    assert_eq!(offline.orgs, dir.orgs);
}

/// Serves, on `port`, a "bookkeeper" that accepts connections and then either never answers or
/// answers with an endless body.
fn impostor(port: u16, endless: bool) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                if endless {
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 999999999\r\n\r\n");
                    let chunk = vec![b'x'; 64 * 1024];
                    while s.write_all(&chunk).is_ok() {}
                } else {
                    std::thread::sleep(Duration::from_secs(30));
                }
            });
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_bookkeeper_and_one_that_floods_are_named_and_the_others_still_verify() {
    let net = Network::with_quorums(3, 2, 1);
    let n0 = net.start(0).await;
    let n1 = net.start(1).await;
    let p = &net.parties;
    for e in p.registry_entries().iter().chain([&p.commission(1)]) {
        assert_eq!(net.submit(0, e).await.0, 200);
    }
    let size = p.registry_entries().len() as u64 + 1;
    for i in 0..2 {
        // Only one peer is up: each checkpoint carries the other's cosignature.
        net.cosigned_checkpoint(i, size, 1).await;
    }
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("client.db");
    Client::install_policy(&db, &net.policy_json()).unwrap();
    let tight = Limits {
        timeout: Duration::from_secs(1),
        connect_timeout: Duration::from_secs(1),
        max_body: 1024 * 1024,
    };
    let client = Client::open(&db, tight).unwrap();

    impostor(net.ports[2], false);
    let h = client.verify(&unit(1), now()).await.unwrap();
    assert_eq!(h.status, Status::Verified, "{:?}", h.warnings);
    let bk2 = h.bookkeepers.iter().find(|b| b.name == "bk2").unwrap();
    assert_eq!(bk2.problem.as_deref(), Some("timed out"));
    assert!(!bk2.used && h.bookkeepers.iter().filter(|b| b.used).count() == 2);
    assert!(h.warnings.iter().any(|w| w.code == "partly_reachable"));
    n1.stop().await;

    // Now bk1 is gone and bk2's port floods: bk0 alone is below the quorum of 2.
    impostor(net.ports[1], true);
    let h = client.verify(&unit(1), now()).await.unwrap();
    let bk1 = h.bookkeepers.iter().find(|b| b.name == "bk1").unwrap();
    assert_eq!(
        bk1.problem.as_deref(),
        Some("answer larger than 1048576 bytes")
    );
    // Too little of the network to say anything: not evidence against the product.
    assert_eq!(h.status, Status::Unverifiable, "{:?}", h.warnings);
    assert!(h.warnings.iter().any(|w| w.code == "too_few_bookkeepers"));
    assert!(h
        .warnings
        .iter()
        .any(|w| w.code == "log_malformed" && w.bookkeeper.as_deref() == Some("bk1")));
    n0.stop().await;
}

/// A policy whose `tiles` sends every read of bk0's log to published files: the auditor's
/// monitoring (checkpoints, and consistency between them computed from the tiles) and a
/// whole-log read (activity) never ask bk0 itself. Here bk0's own tile API serves the files (its
/// bytes are the published files', `crates/bookkeeper/tests/publish.rs`), and the policy's
/// address for bk0 leads nowhere, so any read that went there would fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_and_activity_read_a_log_from_its_published_tiles() {
    let (net, nodes, _client, _home) = setup().await;
    let mut policy: serde_json::Value = serde_json::from_slice(&net.policy_json()).unwrap();
    let bk0 = &mut policy["bookkeepers"][0];
    bk0["tiles"] = format!("{}/", net.url(0)).into();
    bk0["urls"] = serde_json::json!([format!("http://127.0.0.1:{}", free_port())]);
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("client.db");
    Client::install_policy(&db, policy.to_string().as_bytes()).unwrap();
    let client = Client::open(&db, limits()).unwrap();
    let p = &net.parties;
    let mut size = p.registry_entries().len() as u64;
    watch_bk0(&net, &client, size).await;
    for serial in 1..=3 {
        assert_eq!(net.submit(0, &p.commission(serial)).await.0, 200);
    }
    // The log grew: the monitor proves the new checkpoint consistent with the one it trusted.
    size += 3;
    watch_bk0(&net, &client, size).await;
    let trusted = client.store().unwrap().trust_state().unwrap();
    assert_eq!(trusted.logs.values().map(|t| t.size).min(), Some(size));
    let activity = client.activity(&p.org_gln).await.unwrap();
    assert_eq!(activity.events.len(), 3);
    for n in nodes {
        n.stop().await;
    }
}

/// Monitors once the logs hold `size` entries, freshly cosigned: bk0 is watched without a problem
/// at that size.
async fn watch_bk0(net: &Network, client: &Client, size: u64) {
    settle(net, size).await;
    let m = client.monitor(now().unix_timestamp()).await.unwrap();
    let bk0 = m.logs.iter().find(|l| l.name == "bk0").unwrap();
    assert!(bk0.reachable && bk0.problem.is_none(), "{bk0:?}");
    assert_eq!(bk0.size, Some(size));
}
