//! Confidential entries against real bookkeepers on 127.0.0.1: events recorded from codes that
//! carry label secrets are sealed, the holder of a label verifies its product exactly as before
//! (following the pallet it travelled on), and what a bookkeeper serves to anyone else names no
//! product, lot, serial, pallet, quantity or document.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tally_client::capture::{Handoff, Quantity, Step};
use tally_client::{Client, Limits};
use tally_confidential::{LabelSecret, RecipientKey, RecipientSecret, Submission};
use tally_testnet::*;
use tally_trust::Entry;
use tally_trust::Status;
use tempfile::TempDir;
use time::OffsetDateTime;

const LOT: &str = "CONF-LOT-4417";
const DOCUMENT: &str = "urn:epcglobal:cbv:bt:9506000000029:PO-88123";
const KILOS: f64 = 1337.5;

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        max_body: 16 * 1024 * 1024,
    }
}

fn can(serial: u32) -> String {
    format!("https://id.gs1.org/01/{GTIN}/10/{LOT}/21/S{serial:04}")
}

fn lot() -> String {
    format!("https://id.gs1.org/01/{GTIN}/10/{LOT}")
}

fn pallet() -> String {
    sscc(4417)
}

struct World {
    net: Network,
    _nodes: Vec<Node>,
    client: Client,
    _home: TempDir,
    lot_secret: LabelSecret,
    pallet_secret: LabelSecret,
}

/// Three bookkeepers (quorum 2), the parties registered, and one lot's story recorded from
/// labelled codes: three cans commissioned, packed onto a pallet, the pallet shipped.
async fn world() -> World {
    world_with(serde_json::json!({}), &[]).await
}

/// A governance-signed entitlement of `key` to read the events of `scope`.
fn entitlement(gov: &tally_tlog::SignerKey, key: &RecipientKey, scope: &[&str]) -> Entry {
    let r = tally_trust::Record::Entitlement {
        recipient: format!("Auditor {}", &key.to_string()[16..20]),
        key: key.to_string(),
        scope: scope.iter().map(|s| s.to_string()).collect(),
    };
    Entry::sign(r.kind(), r.to_payload(), None, gov).unwrap()
}

/// [`world`] under a policy with `fields` set, governance having also logged `entitlements`
/// (the device reads them from the directory before it records).
async fn world_with(fields: serde_json::Value, entitlements: &[RecipientKey]) -> World {
    let net = Network::with_quorums(3, 2, 1);
    net.set_policy(fields);
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(net.start(i).await);
    }
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("client.db");
    Client::install_policy(&db, &net.policy_json()).unwrap();
    let client = Client::open(&db, limits()).unwrap();
    client
        .install_registry_secret(&net.registry_secret())
        .unwrap();
    let records: Vec<(tally_trust::Entry, String)> = net
        .parties
        .registry_entries()
        .iter()
        .map(|e| (tally_trust::Entry::decode(e).unwrap(), "record".to_owned()))
        .collect();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    client.queue(records, now).unwrap();
    let extra: Vec<(Entry, String)> = entitlements
        .iter()
        .map(|k| {
            (
                entitlement(&net.parties.gov, k, &[]),
                "entitlement".to_owned(),
            )
        })
        .collect();
    let extras = extra.len() as u64;
    client.queue(extra, now).unwrap();
    assert_eq!(client.flush(now).await.unwrap().pending_deliveries, 0);
    for i in 0..3 {
        net.cosigned_checkpoint(i, net.parties.registry_entries().len() as u64 + extras, 1)
            .await;
    }
    let dir = client.directory(now).await.unwrap();
    assert_eq!(dir.recipients.len(), entitlements.len());
    let lot_secret = LabelSecret::random(&mut rand_core::OsRng);
    let pallet_secret = LabelSecret::random(&mut rand_core::OsRng);
    let p = &net.parties;
    let labelled = |code: String, s: &LabelSecret| s.add_to_link(&code);
    let cans: Vec<String> = (1..=3).map(|i| labelled(can(i), &lot_secret)).collect();
    let base = |step, hours: i64| Handoff {
        step,
        time: t("2026-03-01T08:00:00Z") + time::Duration::hours(hours),
        items: vec![],
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
    };
    let commission = Handoff {
        items: cans.clone(),
        ..base(Step::Commission, 0)
    };
    let pack = Handoff {
        items: cans.clone(),
        parent: Some(labelled(pallet(), &pallet_secret)),
        ..base(Step::Pack, 1)
    };
    let ship = Handoff {
        items: vec![labelled(pallet(), &pallet_secret)],
        quantities: vec![Quantity {
            class: labelled(lot(), &lot_secret),
            quantity: KILOS,
            uom: Some("KGM".into()),
        }],
        counterparty: Some(p.org_gln.clone()),
        documents: vec![("po".into(), DOCUMENT.into())],
        ..base(Step::Ship, 2)
    };
    for h in [commission, pack, ship] {
        let q = client.record(&p.device, &h, now).unwrap();
        assert!(q.new);
    }
    let report = client.flush(now).await.unwrap();
    assert_eq!(report.pending_deliveries, 0, "{report:?}");
    let size = p.registry_entries().len() as u64 + extras + 3;
    for i in 0..3 {
        net.cosigned_checkpoint(i, size, 1).await;
    }
    World {
        net,
        _nodes: nodes,
        client,
        _home: home,
        lot_secret,
        pallet_secret,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_of_a_label_verifies_and_nobody_else_finds_anything() {
    let w = world().await;
    let now = OffsetDateTime::now_utc();
    let scanned = w.lot_secret.add_to_link(&can(2));
    let h = w.client.verify(&scanned, now).await.unwrap();
    assert_eq!(h.status, Status::Verified, "{:?}", h.warnings);
    let steps: Vec<String> = h
        .steps
        .iter()
        .map(|s| format!("{:?}", s.biz_step))
        .collect();
    assert_eq!(
        steps.len(),
        3,
        "commission, pack, and the pallet's shipping: {steps:?}"
    );
    assert!(h.steps.iter().all(|s| s.evidence.bookkeepers.len() == 3));
    // The shopper's view: the brand withheld the shipment's purchase order (by default); the
    // holder reads that some field is withheld (one, padded with decoys to four digests) and
    // checks everything else.
    let ship = h.steps.last().unwrap();
    assert_eq!(ship.biz_step.as_deref(), Some("shipping"));
    assert_eq!(ship.withheld, tally_confidential::DECOY_BUCKET, "{ship:?}");
    assert!(!ship.evidence.event.contains("PO-88123"), "{ship:?}");
    assert!(
        ship.evidence.event.contains("\"_sd\""),
        "its digest is signed"
    );
    assert!(h.steps[..2].iter().all(|s| s.withheld == 0));

    // The same code without its label, or with another label's secret: nothing to be found.
    for code in [
        can(2),
        LabelSecret::from_bytes([9; 16]).add_to_link(&can(2)),
    ] {
        let v = w.client.verify(&code, now).await.unwrap();
        assert_eq!(v.status, Status::Failed, "{code}");
        assert_eq!(v.warnings.last().unwrap().code, "no_history");
    }
    // The pallet's own label reads the pallet's events, not the cans' commissioning.
    let on_pallet = w.pallet_secret.add_to_link(&pallet());
    let p = w.client.verify(&on_pallet, now).await.unwrap();
    assert_eq!(p.steps.len(), 2, "pack and ship: {:?}", p.steps);
    // The can's label follows the can onto its pallet: the packing hands on the pallet's secret,
    // which opens the pallet's own shipping (sealed for the pallet's label only).
    let followed = w.lot_secret.add_to_link(&pallet());
    let f = w.client.verify(&followed, now).await.unwrap();
    assert_eq!(f.status, Status::Verified, "{:?}", f.warnings);
    assert_eq!(f.steps.len(), 2, "{:?}", f.steps);
    // A trace from the labelled can reaches the pallet, and from the lot, its units.
    let trace = w.client.trace(&scanned, now).await.unwrap();
    assert!(
        trace.edges.iter().any(|e| e.to.contains("/00/")),
        "{:?}",
        trace.edges
    );
    let from_lot = w
        .client
        .trace(&w.lot_secret.add_to_link(&lot()), now)
        .await
        .unwrap();
    let units = from_lot.edges.iter().filter(|e| e.how == "unit").count();
    assert_eq!(units, 3, "{:?}", from_lot.edges);
    let blind = w.client.trace(&lot(), now).await.unwrap();
    assert!(
        blind.edges.is_empty(),
        "without the label a trace finds nothing"
    );
}

/// Everything a bookkeeper serves to a reader without a label: checkpoints, every entry of the
/// log (its tiles), and `/lookup` and `/history` for every key the events would be filed under.
async fn crawl(net: &Network, i: usize) -> Vec<u8> {
    let size = net.log_size(i).await;
    let mut served = Vec::new();
    let mut get = |body: Vec<u8>| served.extend(body);
    let fetch = |path: String| async move {
        let r = net.get(i, &path).await;
        r.bytes().await.unwrap().to_vec()
    };
    get(fetch("/checkpoint".into()).await);
    get(fetch(format!("/tile/entries/000.p/{size}")).await);
    get(fetch("/metrics".into()).await);
    get(fetch("/evidence".into()).await);
    let p = &net.parties;
    let keys = [
        can(1),
        lot(),
        pallet(),
        format!("units:{}", lot()),
        format!("serials:{}", lot()),
        p.org_gln.clone(),
        p.place.clone(),
        "registry".into(),
    ];
    for k in keys {
        let k = tally_client::fetch::percent_encode(&k);
        get(fetch(format!("/lookup?key={k}")).await);
        get(fetch(format!("/history?key={k}")).await);
    }
    served
}

/// The forms a test can derive a secret string into without a key.
fn forms(s: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let digest = Sha256::digest(s.as_bytes());
    vec![
        s.to_owned(),
        b64.encode(s),
        url.encode(s),
        hex::encode(digest),
        b64.encode(digest),
        url.encode(digest),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_crawl_of_every_bookkeeper_finds_no_trade_data() {
    let w = world().await;
    let secrets: Vec<String> = [
        GTIN.to_owned(),
        LOT.to_owned(),
        pallet()["https://id.gs1.org/00/".len()..].to_owned(),
        "S0001".into(),
        "S0002".into(),
        "PO-88123".into(),
        KILOS.to_string(),
        can(1),
        lot(),
        pallet(),
    ]
    .into_iter()
    .chain([w.lot_secret.to_string(), w.pallet_secret.to_string()])
    .collect();
    for i in 0..3 {
        let served = crawl(&w.net, i).await;
        assert!(served.len() > 1000, "the crawl read the log");
        let text = String::from_utf8_lossy(&served);
        for s in &secrets {
            for form in forms(s) {
                assert!(
                    !text.contains(&form),
                    "bookkeeper {i} serves {s:?} as {form:?}"
                );
            }
        }
        // Every entry of the log is a registry record or sealed: no event in the clear.
        let size = w.net.log_size(i).await;
        let tile = w.net.get(i, &format!("/tile/entries/000.p/{size}")).await;
        let tile = tile.bytes().await.unwrap();
        let entries = tally_tlog::tiles::decode_entry_bundle(&tile).unwrap();
        assert_eq!(entries.len() as u64, size);
        let sealed = entries
            .iter()
            .filter(|e| tally_confidential::is_sealed(e))
            .count();
        assert_eq!(sealed, 3, "the three events are sealed");
        for e in entries.iter().filter(|e| !tally_confidential::is_sealed(e)) {
            let e = tally_trust::Entry::decode(e).unwrap();
            assert_ne!(e.kind, tally_trust::EntryKind::Event);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bookkeeper_checks_a_sealed_entry_before_it_logs_it() {
    let w = world().await;
    let p = &w.net.parties;
    let s = w.lot_secret.clone();
    let seal = |entry: &[u8], secrets: Vec<LabelSecret>| {
        let sealed =
            tally_confidential::seal(entry, std::slice::from_ref(&s), &[], &mut rand_core::OsRng)
                .unwrap();
        Submission {
            secrets,
            recipients: vec![],
            withheld_key: [0; 32],
            sealed,
        }
        .encode()
    };
    let event = event(
        "2026-03-02T08:00:00Z",
        "commissioning",
        &[can(9)],
        &p.place,
        "ADD",
    );
    let by = |key| signed_event(&event, key);
    // A stranger's event is refused sealed as it is plain: the checks run on what is inside.
    let (status, body) = w
        .net
        .submit(0, &seal(&by(&p.stranger), vec![s.clone()]))
        .await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    // Secrets that do not open it, or none at all.
    let other = LabelSecret::from_bytes([7; 16]);
    let (status, body) = w.net.submit(0, &seal(&by(&p.device), vec![other])).await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("malformed_sealed"));
    let bare = tally_confidential::seal(
        &by(&p.device),
        std::slice::from_ref(&s),
        &[],
        &mut rand_core::OsRng,
    )
    .unwrap();
    let (status, body) = w.net.submit(0, &bare).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("sealed_without_secrets"));
    // What is withheld must be handed to the bookkeeper, match the signed digests, and never be
    // a field a holder checks.
    let documented = serde_json::json!({
        "type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2026-03-02T09:00:00Z",
        "eventTimeZoneOffset": "+00:00", "epcList": [can(9)], "bizStep": "shipping",
        "readPoint": {"id": format!("https://id.gs1.org/414/{}", p.place)},
        "bizTransactionList": [{"type": "po", "bizTransaction": "urn:example:po:1"}],
    })
    .to_string();
    let rng = &mut rand_core::OsRng;
    let (commitment, withheld) =
        tally_confidential::withhold(documented.as_bytes(), &["bizTransactionList".into()], rng)
            .unwrap();
    let signed = Entry::sign_event(&commitment, &p.device).unwrap().encode();
    let sealed_with = |withheld: &[tally_confidential::Disclosure]| {
        let contents = tally_confidential::Contents {
            entry: &signed,
            links: &[],
            withheld,
        };
        Submission::seal(
            &contents,
            std::slice::from_ref(&s),
            &[],
            &mut rand_core::OsRng,
        )
        .unwrap()
        .encode()
    };
    let forged = tally_confidential::Disclosure::new(
        "bizTransactionList",
        &serde_json::json!([{"type": "po", "bizTransaction": "urn:example:po:2"}]),
        rng,
    );
    for (given, code) in [
        (vec![], "undisclosed_field"),
        (vec![forged], "bad_disclosure"),
    ] {
        let (status, body) = w.net.submit(0, &sealed_with(&given)).await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 422, "{body}");
        assert!(body.contains(code), "{body}");
    }
    let mut wrong_key = Submission::decode(&sealed_with(&withheld)).unwrap();
    wrong_key.withheld_key = [1; 32];
    let (status, body) = w.net.submit(0, &wrong_key.encode()).await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let (status, body) = w.net.submit(0, &sealed_with(&withheld)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // A registry record sealed for a label, not as the sealed registry says, is refused.
    let record = p.registry_entries()[0].clone();
    let (status, body) = w.net.submit(0, &seal(&record, vec![s.clone()])).await;
    assert_eq!(status, 422);
    assert!(String::from_utf8_lossy(&body).contains("record_sealing"));
    // Sealed as the sealed registry says, a certification is admitted; sealed without the secret
    // of the device it certifies (so that no holder of the device's events could check it), or
    // without the registry secret (so that no bookkeeper could rebuild it), it is refused.
    let cert = Entry::decode(&p.registry_entries()[1]).unwrap();
    let member = w.net.registry_secret();
    let org = *p.org.verifier().ed25519().as_bytes();
    let rule = tally_trust::sealed_registry::sealing(&cert, &member, |_| Some(org)).unwrap();
    let sealed_for = |labels: &[LabelSecret]| {
        let contents = tally_confidential::Contents {
            entry: &cert.encode(),
            links: &rule.links,
            withheld: &[],
        };
        Submission::seal(&contents, labels, &[], &mut rand_core::OsRng)
            .unwrap()
            .encode()
    };
    let device = tally_confidential::subject_secret(p.device.verifier().ed25519().as_bytes());
    for left_out in [device, member] {
        let short: Vec<LabelSecret> = rule
            .seal_for
            .iter()
            .filter(|x| **x != left_out)
            .cloned()
            .collect();
        assert_eq!(short.len() + 1, rule.seal_for.len());
        let (status, body) = w.net.submit(0, &sealed_for(&short)).await;
        let body = String::from_utf8_lossy(&body);
        assert_eq!(status, 422, "{body}");
        assert!(body.contains("record_sealing"), "{body}");
    }
    let (status, body) = w.net.submit(0, &sealed_for(&rule.seal_for)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    // The same event sealed twice (other nonces, other bytes) is logged once.
    let size = w.net.log_size(0).await;
    let good = by(&p.device);
    let (a, _) = w.net.submit(0, &seal(&good, vec![s.clone()])).await;
    let (b, _) = w.net.submit(0, &seal(&good, vec![s.clone()])).await;
    assert_eq!((a, b), (200, 200));
    for _ in 0..ATTEMPTS {
        if w.net.log_size(0).await > size {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(w.net.log_size(0).await, size + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confidential_network_logs_no_plain_event() {
    let w = world_with(serde_json::json!({"confidential": true}), &[]).await;
    let p = &w.net.parties;
    // The labelled story was logged; a plain event is refused by the bookkeeper…
    let (status, body) = w.net.submit(0, &p.commission(4242)).await;
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("plain_event_refused"));
    // …and a device will not record a handoff without a label in the first place.
    let unlabelled = Handoff {
        step: Step::Commission,
        time: t("2026-03-05T08:00:00Z"),
        items: vec![can(77)],
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
    };
    let refused = w.client.record(&p.device, &unlabelled, 0);
    assert!(refused.is_err_and(|e| e.to_string().contains("sealed events only")));
    let h = w
        .client
        .verify(
            &w.lot_secret.add_to_link(&can(1)),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(h.status, Status::Verified, "{:?}", h.warnings);
    // A phone that is no member: the registry is sealed, yet it verifies the can, opening the
    // records of its signers with what it opened; it reads no directory, and records nothing.
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("client.db");
    Client::install_policy(&db, &w.net.policy_json()).unwrap();
    let phone = Client::open(&db, limits()).unwrap();
    let can1 = w.lot_secret.add_to_link(&can(1));
    let h = phone
        .verify(&can1, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(h.status, Status::Verified, "{:?}", h.warnings);
    let now = OffsetDateTime::now_utc().unix_timestamp();
    assert!(phone.directory(now).await.unwrap().orgs.is_empty());
    let labelled = Handoff {
        items: vec![w.lot_secret.add_to_link(&can(77))],
        ..unlabelled
    };
    let refused = phone
        .record(&p.device, &labelled, 0)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("registry secret"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entitled_auditor_reads_every_event_and_no_device_can_leave_it_out() {
    let auditor = RecipientSecret::generate(&mut rand_core::OsRng);
    let w = world_with(serde_json::json!({}), &[auditor.public()]).await;
    let p = &w.net.parties;
    // Every event of the lot's story, read from the whole logs without any label.
    let read = w.client.activity_as(&auditor, &p.org_gln).await.unwrap();
    assert_eq!(read.events.len(), 3, "{read:?}");
    assert!(read.events.iter().all(|e| e.bookkeepers.len() == 3));
    // The auditor's view: what the brand withheld from label holders, put back and checked
    // against the signed digests.
    let shipping = read
        .events
        .iter()
        .find(|e| e.biz_step.as_deref() == Some("shipping"));
    let shipping = shipping.expect("the shipment");
    assert!(shipping.event.contains(DOCUMENT), "{shipping:?}");
    assert!(!shipping.event.contains("\"_sd\""), "{shipping:?}");
    assert!(read.events.iter().all(|e| e.withheld == 0));
    let stranger = RecipientSecret::generate(&mut rand_core::OsRng);
    let blind = w.client.activity_as(&stranger, &p.org_gln).await.unwrap();
    assert!(blind.events.is_empty(), "{blind:?}");
    // The shopper's view is unchanged.
    let h = w
        .client
        .verify(
            &w.lot_secret.add_to_link(&can(1)),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(h.status, Status::Verified, "{:?}", h.warnings);
    let document = |h: &tally_client::view::History| {
        let ship = h.steps.last().expect("a shipment").clone();
        let shown = ship.details.iter().any(|(_, v)| v.contains("PO-88123"));
        (ship.withheld, shown)
    };
    assert_eq!(
        document(&h),
        (tally_confidential::DECOY_BUCKET, false),
        "the holder: {h:?}"
    );
    // The same product read by the auditor: the same verdict and steps, the purchase order shown
    // on its shipment; by a recipient the event is not wrapped for, a holder's view.
    let code = w.lot_secret.add_to_link(&can(1));
    let now = OffsetDateTime::now_utc();
    let audited = w.client.verify_as(&code, &auditor, now).await.unwrap();
    assert_eq!(audited.status, h.status, "{:?}", audited.warnings);
    assert_eq!(audited.steps.len(), h.steps.len());
    assert_eq!(document(&audited), (0, true), "the auditor: {audited:?}");
    let evidence = &audited.steps.last().unwrap().evidence.event;
    assert!(
        evidence.contains("\"_sd\""),
        "the evidence is the signed event"
    );
    let blind = w.client.verify_as(&code, &stranger, now).await.unwrap();
    assert_eq!(
        document(&blind),
        (tally_confidential::DECOY_BUCKET, false),
        "a stranger: {blind:?}"
    );
    let cached = w
        .client
        .cached(&code)
        .unwrap()
        .expect("the holder's scan is kept");
    assert_eq!(
        document(&cached),
        (tally_confidential::DECOY_BUCKET, false),
        "a recipient's read is not cached"
    );

    // A device that leaves the auditor out, or wraps for a key that is not entitled, is refused.
    let event = event(
        "2026-03-09T08:00:00Z",
        "commissioning",
        &[can(9)],
        &p.place,
        "ADD",
    );
    let plain = signed_event(&event, &p.device);
    let submit = |to: Vec<RecipientKey>| {
        let contents = tally_confidential::Contents {
            entry: &plain,
            ..Default::default()
        };
        let s = std::slice::from_ref(&w.lot_secret);
        Submission::seal(&contents, s, &to, &mut rand_core::OsRng)
            .unwrap()
            .encode()
    };
    for to in [
        vec![],
        vec![stranger.public()],
        vec![auditor.public(), stranger.public()],
    ] {
        let (status, body) = w.net.submit(0, &submit(to)).await;
        assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
        assert!(String::from_utf8_lossy(&body).contains("recipients_mismatch"));
    }
    // A wrap that is not the content key for the auditor (a wrong seed) is refused too.
    let mut forged = Submission::decode(&submit(vec![auditor.public()])).unwrap();
    forged.recipients[0].1 = [0; 32];
    let (status, _) = w.net.submit(0, &forged.encode()).await;
    assert_eq!(status, 400);
    let (status, body) = w.net.submit(0, &submit(vec![auditor.public()])).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}
