//! The gateway against a real network: three bookkeepers on loopback, the gateway served
//! in-process over real HTTP, its device key sealed at rest as the app seals one.

use serde_json::{json, Value};
use tally_client::{Client, Limits};
use tally_gateway::{Config, Gateway};
use tally_testnet::{event, unit, Network, Node};
use tempfile::TempDir;

const TOKEN: &str = "a-bearer-token-of-at-least-32-characters";
const PASSPHRASE: &str = "correct horse battery staple 7";

struct Running {
    url: String,
    net: Network,
    _nodes: Vec<Node>,
    home: TempDir,
    http: reqwest::Client,
}

/// A network with the parties registered, and a gateway whose client holds the certified device.
async fn start() -> Running {
    let net = Network::with_quorums(3, 2, 1);
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(net.start(i).await);
    }
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("client.db");
    Client::install_policy(&db, &net.policy_json()).unwrap();
    let client = Client::open(&db, Limits::default()).unwrap();
    let records: Vec<_> = (net.parties.registry_entries().iter())
        .map(|e| (tally_trust::Entry::decode(e).unwrap(), "record".to_owned()))
        .collect();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    client.queue(records, now).unwrap();
    assert_eq!(client.flush(now).await.unwrap().pending_deliveries, 0);
    let device = &net.parties.device;
    let sealed = tally_client::identity::seal(device, PASSPHRASE).unwrap();
    let public = device.verifier().to_string();
    (client.store().unwrap())
        .create_device("gateway", &public, &sealed, now)
        .unwrap();
    drop(client);
    std::fs::write(home.path().join("passphrase"), PASSPHRASE).unwrap();
    let config = json!({
        "home": "client.db", "passphrase_file": "passphrase", "database": "gateway.db",
        "tokens": [TOKEN],
    });
    let path = home.path().join("gateway.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let gateway = Gateway::bind(&Config::load(&path).unwrap()).await.unwrap();
    let url = gateway.url();
    tokio::spawn(gateway.serve(std::future::pending()));
    Running {
        url,
        net,
        _nodes: nodes,
        home,
        http: reqwest::Client::new(),
    }
}

fn document(events: &[Vec<u8>]) -> Vec<u8> {
    let events: Vec<Value> = events
        .iter()
        .map(|e| serde_json::from_slice(e).unwrap())
        .collect();
    serde_json::to_vec(&json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-03-01T09:00:00Z",
        "epcisBody": {"eventList": events},
    }))
    .unwrap()
}

impl Running {
    async fn post(&self, body: Vec<u8>, behaviour: Option<&str>) -> reqwest::Response {
        let mut r = (self.http.post(format!("{}/capture", self.url)))
            .bearer_auth(TOKEN)
            .header("content-type", "application/ld+json")
            .body(body);
        if let Some(b) = behaviour {
            r = r.header("GS1-Capture-Error-Behaviour", b);
        }
        r.send().await.unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        let r = (self.http.get(format!("{}{path}", self.url)))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// Captures `body` and waits for its job to finish.
    async fn capture(&self, body: Vec<u8>, behaviour: Option<&str>) -> Value {
        let r = self.post(body, behaviour).await;
        assert_eq!(r.status(), 202);
        assert_eq!(r.headers()["GS1-EPCIS-Version"], "2.0.0");
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/capture/"));
        for _ in 0..tally_testnet::ATTEMPTS {
            let job = self.get(&location).await;
            if job["running"] == false {
                return job;
            }
            tokio::time::sleep(tally_testnet::POLL).await;
        }
        panic!("the capture job did not finish");
    }

    fn outbox_len(&self) -> usize {
        let client = Client::open(self.home.path().join("client.db"), Limits::default()).unwrap();
        let n = client.store().unwrap().outbox(10_000).unwrap().len();
        n
    }
}

fn commissioning(serial: u32, place: &str) -> Vec<u8> {
    event(
        "2026-03-01T08:00:00Z",
        "commissioning",
        &[unit(serial)],
        place,
        "ADD",
    )
}

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
