//! The capture interface against a real network (see `common`).

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_document_is_signed_and_receipted_by_every_bookkeeper() {
    let g = start().await;
    let place = g.net.parties.place.clone();
    let events: Vec<Vec<u8>> = (1..=3).map(|s| commissioning(s, &place)).collect();
    let doc = document(&events);
    let job = g.capture(doc.clone(), None).await;
    assert_eq!(job["success"], true, "{job:#}");
    assert_eq!(job["captureErrorBehaviour"], "rollback");
    assert!(job["finishedAt"].is_string());
    assert_eq!(job["errors"], json!([]));
    let expected = tally_epcis::document_hash_ids(&doc).unwrap();
    let logged = job["tally:events"].as_array().unwrap();
    assert_eq!(logged.len(), 3);
    for (e, id) in logged.iter().zip(&expected) {
        assert_eq!(e["status"], "logged");
        assert_eq!(
            &e["eventHashID"], id,
            "the event signed is the event captured"
        );
        let deliveries = e["deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 3);
        for d in deliveries {
            assert!(d["receipt"].is_object() && d["logIndex"].is_u64(), "{d}");
        }
    }
    // Each bookkeeper serves them: 5 registry entries, then the three events.
    for i in 0..3 {
        assert_eq!(g.net.log_size(i).await, 8);
    }
    // Captured again, nothing is logged twice.
    let again = g.capture(doc, None).await;
    assert_eq!(again["success"], true, "{again:#}");
    for i in 0..3 {
        assert_eq!(g.net.log_size(i).await, 8);
    }
    let listed = g.get("/capture?perPage=1").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["captureID"], job["captureID"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_gs1_document_is_refused_with_its_field_named_and_nothing_kept() {
    let g = start().await;
    let before = g.outbox_len();
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/gs1/epcis/invalid");
    let mut seen = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        let r = g.post(std::fs::read(&path).unwrap(), None).await;
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(r.status(), 400, "{name}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: Value = r.json().await.unwrap();
        assert_eq!(p["type"], "epcisException:ValidationException", "{name}");
        assert!(p["title"].is_string() && p["detail"].is_string());
        let named = p["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["pointer"].as_str().is_some_and(|s| s.starts_with('/')));
        assert!(
            named || p["detail"].as_str().unwrap().contains("at "),
            "{name}: {p:#}"
        );
        seen += 1;
    }
    assert!(seen >= 10, "the GS1 invalid documents are beside the clone");
    assert_eq!(g.get("/capture").await, json!([]), "no job was created");
    assert_eq!(g.outbox_len(), before, "nothing was queued");
    // Not a JSON media type, no token, a wrong token.
    let url = format!("{}/capture", g.url);
    let r = (g.http.post(&url))
        .bearer_auth(TOKEN)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = g.http.post(&url).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = (g.http.get(&url))
        .bearer_auth("x".repeat(40))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = g.post(document(&[]), Some("sometimes")).await;
    assert_eq!(r.status(), 400);
    // What to withhold from label holders is a list of member names, or nothing.
    let mut e: Value = serde_json::from_slice(&commissioning(1, &g.net.parties.place)).unwrap();
    e["tally:withhold"] = json!("bizTransactionList");
    let r = g
        .post(document(&[serde_json::to_vec(&e).unwrap()]), None)
        .await;
    assert_eq!(r.status(), 400);
    let p: Value = r.json().await.unwrap();
    assert_eq!(
        p["violations"][0]["pointer"],
        "/epcisBody/eventList/0/tally:withhold"
    );
    assert_eq!(g.get("/capture").await, json!([]), "still no job");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_every_bookkeeper_refuses_is_named_and_the_others_are_logged() {
    let g = start().await;
    let place = g.net.parties.place.clone();
    // The device is certified at `place` only.
    let elsewhere = tally_testnet::gln(9);
    let events = vec![commissioning(11, &place), commissioning(12, &elsewhere)];
    let job = g.capture(document(&events), Some("proceed")).await;
    assert_eq!(job["success"], false, "{job:#}");
    assert_eq!(job["captureErrorBehaviour"], "proceed");
    let e = job["tally:events"].as_array().unwrap();
    assert_eq!(e[0]["status"], "logged");
    assert_eq!(e[1]["status"], "refused");
    let errors = job["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["instance"], "/epcisBody/eventList/1");
    assert!(
        errors[0]["detail"].as_str().unwrap().contains("bk"),
        "{errors:?}"
    );
}
