//! What the gateway's tests share: a real network of three bookkeepers on loopback, the gateway
//! served in-process over real HTTP, its device key sealed at rest as the app seals one.
#![allow(dead_code)]

use serde_json::{json, Value};
use tally_client::{Client, Limits};
use tally_gateway::{Config, Gateway};
use tally_testnet::{event, unit, Network, Node};
use tempfile::TempDir;

pub const TOKEN: &str = "a-bearer-token-of-at-least-32-characters";
pub const PASSPHRASE: &str = "correct horse battery staple 7";

pub struct Running {
    pub url: String,
    pub net: Network,
    pub nodes: Vec<Node>,
    pub home: TempDir,
    pub http: reqwest::Client,
    /// Stops the gateway (its routes, worker and notifier; the network stays).
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Binds and serves the gateway of `home`'s config; its URL and what stops it.
async fn serve(home: &std::path::Path) -> (String, tokio::sync::oneshot::Sender<()>) {
    let gateway = Gateway::bind(&Config::load(&home.join("gateway.json")).unwrap())
        .await
        .unwrap();
    let url = gateway.url();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(gateway.serve(async {
        let _ = stopped.await;
    }));
    (url, stop)
}

/// A network with the parties registered, and a gateway whose client holds the certified device.
pub async fn start() -> Running {
    start_configured(json!({})).await
}

/// [`start`], with `fields` set in every bookkeeper's config.
pub async fn start_configured(fields: Value) -> Running {
    start_full(fields, json!({})).await
}

/// [`start`], with `fields` set in every bookkeeper's config and `gateway` in the gateway's.
pub async fn start_full(fields: Value, gateway: Value) -> Running {
    let net = Network::with_quorums(3, 2, 1);
    let mut nodes = Vec::new();
    for i in 0..3 {
        net.configure(i, fields.clone());
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
    // The outbox retries what a busy bookkeeper did not take at once (after a backoff, which a
    // later `now` passes); the test starts once every bookkeeper has the registry.
    let mut report = client.flush(now).await.unwrap();
    for attempt in 1..20 {
        if report.pending_deliveries == 0 {
            break;
        }
        tokio::time::sleep(tally_testnet::POLL).await;
        report = client.flush(now + attempt * 3600).await.unwrap();
    }
    assert_eq!(report.pending_deliveries, 0, "{report:#?}");
    let device = &net.parties.device;
    let sealed = tally_client::identity::seal(device, PASSPHRASE).unwrap();
    let public = device.verifier().to_string();
    (client.store().unwrap())
        .create_device("gateway", &public, &sealed, now)
        .unwrap();
    drop(client);
    std::fs::write(home.path().join("passphrase"), PASSPHRASE).unwrap();
    let mut config = json!({
        "home": "client.db", "passphrase_file": "passphrase", "database": "gateway.db",
        "tokens": [TOKEN],
    });
    for (k, v) in gateway.as_object().unwrap() {
        config[k] = v.clone();
    }
    let path = home.path().join("gateway.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let (url, stop) = serve(home.path()).await;
    Running {
        url,
        net,
        nodes,
        home,
        http: reqwest::Client::new(),
        stop: Some(stop),
    }
}

pub fn document(events: &[Vec<u8>]) -> Vec<u8> {
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
    /// Stops the gateway and starts it again from its config and databases (a new URL).
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Until the old one has let go of its port and finished its requests.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let (url, stop) = serve(self.home.path()).await;
        self.url = url;
        self.stop = Some(stop);
    }

    pub async fn post(&self, body: Vec<u8>, behaviour: Option<&str>) -> reqwest::Response {
        let mut r = (self.http.post(format!("{}/capture", self.url)))
            .bearer_auth(TOKEN)
            .header("content-type", "application/ld+json")
            .body(body);
        if let Some(b) = behaviour {
            r = r.header("GS1-Capture-Error-Behaviour", b);
        }
        r.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = (self.http.get(format!("{}{path}", self.url)))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// Captures `body` and waits for its job to finish.
    pub async fn capture(&self, body: Vec<u8>, behaviour: Option<&str>) -> Value {
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

    pub fn outbox_len(&self) -> usize {
        let client = Client::open(self.home.path().join("client.db"), Limits::default()).unwrap();
        let n = client.store().unwrap().outbox(10_000).unwrap().len();
        n
    }
}

pub fn commissioning(serial: u32, place: &str) -> Vec<u8> {
    event(
        "2026-03-01T08:00:00Z",
        "commissioning",
        &[unit(serial)],
        place,
        "ADD",
    )
}
