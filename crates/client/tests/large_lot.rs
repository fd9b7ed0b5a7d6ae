//! A lot of 50,000 serialised units, against three real bookkeepers on 127.0.0.1: a unit's
//! answer holds its own history and its lot's, not its 49,999 siblings', so it verifies; a serial
//! the brand never commissioned fails; and the producer's activity, far more than one page of
//! answer, comes in pages that the client follows and verifies under one checkpoint per log.

use serde_json::json;
use std::time::Duration;
use tally_client::{Client, Limits};
use tally_testnet::*;
use tally_trust::{Entry, Status};
use time::OffsetDateTime;

const UNITS: u32 = 50_000;
/// Units per commissioning (and per pallet): a line's case or pallet at a time.
const PER_EVENT: u32 = 500;

fn lot() -> String {
    format!("https://id.gs1.org/01/{GTIN}/10/BIG-LOT")
}

fn unit_of_lot(serial: u32) -> String {
    format!("{}/21/{serial}", lot())
}

/// The lot's production and its units' commissioning, packing and shipping, signed by the
/// network's certified device, in log order.
fn lot_history(p: &Parties) -> Vec<Vec<u8>> {
    let place = p.place.clone();
    let sign = |v: serde_json::Value| signed_event(&serde_json::to_vec(&v).unwrap(), &p.device);
    let base = |time: &str, step: &str| {
        json!({"eventTime": time, "eventTimeZoneOffset": "+00:00", "bizStep": step,
               "readPoint": {"id": format!("https://id.gs1.org/414/{place}")}})
    };
    let mut made = base("2026-03-01T06:00:00Z", "commissioning");
    made["type"] = json!("ObjectEvent");
    made["action"] = json!("ADD");
    made["epcList"] = json!([]);
    made["quantityList"] = json!([{"epcClass": lot(), "quantity": UNITS}]);
    let mut out = vec![sign(made)];
    let mut pallets = Vec::new();
    for batch in 0..UNITS / PER_EVENT {
        let units: Vec<String> = (batch * PER_EVENT..(batch + 1) * PER_EVENT)
            .map(unit_of_lot)
            .collect();
        out.push(signed_event(
            &event(
                "2026-03-01T08:00:00Z",
                "commissioning",
                &units,
                &place,
                "ADD",
            ),
            &p.device,
        ));
        let pallet = sscc(1000 + batch);
        out.push(signed_event(
            &aggregation(
                "2026-03-01T09:00:00Z",
                "packing",
                &pallet,
                &units,
                &place,
                "ADD",
            ),
            &p.device,
        ));
        pallets.push(pallet);
    }
    out.push(signed_event(
        &event(
            "2026-03-02T10:00:00Z",
            "shipping",
            &pallets,
            &place,
            "OBSERVE",
        ),
        &p.device,
    ));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lot_of_50000_units_verifies_unit_by_unit() {
    let net = Network::with_quorums(3, 2, 1);
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(net.start(i).await);
    }
    let p = &net.parties;
    let mut entries = p.registry_entries();
    entries.extend(lot_history(p));
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("client.db");
    Client::install_policy(&db, &net.policy_json()).unwrap();
    let limits = Limits {
        timeout: Duration::from_secs(30),
        ..Limits::default()
    };
    let client = Client::open(&db, limits).unwrap();
    let now = OffsetDateTime::now_utc();
    let queued: Vec<(Entry, String)> = entries
        .iter()
        .map(|e| (Entry::decode(e).unwrap(), "lot".to_owned()))
        .collect();
    client.queue(queued, now.unix_timestamp()).unwrap();
    let report = client.flush(now.unix_timestamp()).await.unwrap();
    assert_eq!(report.pending_deliveries, 0, "{report:?}");
    for i in 0..3 {
        net.cosigned_checkpoint(i, entries.len() as u64, 1).await;
    }

    let unit = client.verify(&unit_of_lot(31_337), now).await.unwrap();
    assert_eq!(unit.status, Status::Verified, "{:?}", unit.warnings);
    let steps: Vec<&str> = unit
        .steps
        .iter()
        .filter_map(|s| s.biz_step.as_deref())
        .collect();
    assert_eq!(
        steps,
        ["commissioning", "commissioning", "packing", "shipping"]
    );
    let made_up = client.verify(&unit_of_lot(99_999_999), now).await.unwrap();
    assert_eq!(made_up.status, Status::Failed, "{:?}", made_up.warnings);
    assert!(made_up.warnings.iter().any(|w| w.code == "unknown_serial"));
    let whole = client.verify(&lot(), now).await.unwrap();
    assert_eq!(whole.status, Status::Verified, "{:?}", whole.warnings);
    // Every event of the producer: about 7 MB of entries, several pages per log.
    let activity = client.activity(&p.org_gln).await.unwrap();
    assert_eq!(activity.events.len() as u32, 2 + 2 * UNITS / PER_EVENT);
    assert_eq!(activity.below_quorum, 0);
    for n in nodes {
        n.stop().await;
    }
}
