//! Named queries and webhook subscriptions against a real network (see `common`): a stream tells
//! of the events that come to match, signed, and at least once: an event its webhook did not
//! acknowledge is delivered after the gateway restarts, and an acknowledged one is not again.

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tally_testnet::{event, unit};

/// A webhook: what it was sent, and whether it refuses for now.
#[derive(Default)]
struct Hook {
    received: Mutex<Vec<(HeaderMap, String)>>,
    refusing: AtomicBool,
    refused: AtomicUsize,
}

async fn hook(State(h): State<Arc<Hook>>, headers: HeaderMap, body: String) -> StatusCode {
    if h.refusing.load(Ordering::SeqCst) {
        h.refused.fetch_add(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    h.received.lock().unwrap().push((headers, body));
    StatusCode::NO_CONTENT
}

async fn serve_hook() -> (String, Arc<Hook>) {
    let h = Arc::new(Hook::default());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(h.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, h)
}

impl Running {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = (self.http.request(method, format!("{}{path}", self.url))).bearer_auth(TOKEN);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// `POST /queries/{name}/subscriptions` of `sub`: status and answer.
    async fn subscribe(&self, name: &str, sub: &Value) -> (u16, Value) {
        let path = format!("/queries/{name}/subscriptions");
        self.send(reqwest::Method::POST, &path, Some(sub.clone()))
            .await
    }

    /// Captures `events` and waits until the gateway serves them as proven.
    async fn proven(&self, events: Vec<Vec<u8>>, total: usize) {
        let job = self.capture(document(&events), None).await;
        assert_eq!(job["success"], true, "{job:#}");
        for _ in 0..tally_testnet::ATTEMPTS {
            let (_, doc) = self.send(reqwest::Method::GET, "/events", None).await;
            let list = &doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"];
            if list.as_array().map_or(0, Vec::len) == total {
                return;
            }
            tokio::time::sleep(tally_testnet::POLL).await;
        }
        panic!("the events were never proven");
    }
}

fn shipping(serial: u32, place: &str) -> Vec<u8> {
    event(
        "2026-03-02T08:00:00Z",
        "shipping",
        &[unit(serial)],
        place,
        "OBSERVE",
    )
}

/// The Event Hash IDs of every document the hook received, in order.
fn delivered(h: &Hook) -> Vec<String> {
    let received = h.received.lock().unwrap();
    received
        .iter()
        .flat_map(|(_, body)| {
            let doc: Value = serde_json::from_str(body).unwrap();
            let list = doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"].clone();
            list.as_array()
                .unwrap()
                .iter()
                .map(|e| e["tally:proof"]["eventHashID"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..tally_testnet::ATTEMPTS {
        if done() {
            return;
        }
        tokio::time::sleep(tally_testnet::POLL).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_hears_of_each_new_match_at_least_once_across_a_restart() {
    use reqwest::Method;
    let mut g = start().await;
    let place = g.net.parties.place.clone();
    let (dest, h) = serve_hook().await;
    // Shipped before anyone subscribed: not news.
    g.proven(vec![commissioning(1, &place), shipping(1, &place)], 2)
        .await;

    let query = json!({"name": "shipped", "query": {"EQ_bizStep": ["shipping"], "eventType": "ObjectEvent"}});
    let (status, _) = g.send(Method::POST, "/queries", Some(query.clone())).await;
    assert_eq!(status, 201);
    assert_eq!(g.send(Method::POST, "/queries", Some(query)).await.0, 409);
    let bad = json!({"name": "bad", "query": {"colour": "red"}});
    let (status, p) = g.send(Method::POST, "/queries", Some(bad)).await;
    assert_eq!(
        (status, p["type"].as_str()),
        (400, Some("epcisException:QueryParameterException"))
    );
    for refused in [
        json!({"dest": dest, "schedule": {"minute": "61"}}),
        json!({"dest": dest, "schedule": {"hour": "1"}, "stream": true}),
        json!({"dest": dest, "stream": true, "reportIfEmpty": true}),
        json!({"dest": dest}),
        json!({"dest": "http://example.com/hook", "stream": true}),
    ] {
        assert_eq!(g.subscribe("shipped", &refused).await.0, 400, "{refused}");
    }
    let sub = json!({"dest": dest, "signatureToken": "s3cret-token", "stream": true});
    let (status, created) = g
        .send(Method::POST, "/queries/shipped/subscriptions", Some(sub))
        .await;
    assert_eq!(status, 201, "{created:#}");
    let id = created["subscriptionID"].as_str().unwrap().to_owned();
    assert!(
        created.get("signatureToken").is_none(),
        "the secret is never shown"
    );

    // A new shipment is told, signed with the token.
    g.proven(vec![commissioning(2, &place), shipping(2, &place)], 4)
        .await;
    until("the shipment to be told", || !delivered(&h).is_empty()).await;
    let first = delivered(&h);
    assert_eq!(first.len(), 1, "only the new shipment: {first:?}");
    {
        let received = h.received.lock().unwrap();
        let (headers, body) = &received[0];
        let doc: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            doc["epcisBody"]["queryResults"]["subscriptionID"],
            id.as_str()
        );
        assert_eq!(doc["epcisBody"]["queryResults"]["queryName"], "shipped");
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(b"s3cret-token").unwrap();
        mac.update(body.as_bytes());
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(headers["GS1-Signature"].to_str().unwrap(), expected);
    }

    // The webhook is down while a third shipment is logged; the gateway restarts meanwhile.
    h.refusing.store(true, Ordering::SeqCst);
    g.proven(vec![commissioning(3, &place), shipping(3, &place)], 6)
        .await;
    until("a refused delivery", || {
        h.refused.load(Ordering::SeqCst) > 0
    })
    .await;
    g.restart().await;
    h.refusing.store(false, Ordering::SeqCst);
    until("the third shipment to be told", || delivered(&h).len() >= 2).await;
    tokio::time::sleep(subscriptions_round() * 3).await;
    let all = delivered(&h);
    assert_eq!(all.len(), 2, "each acknowledged event told once: {all:?}");
    assert_ne!(all[0], all[1]);

    let (_, subs) = g
        .send(Method::GET, "/queries/shipped/subscriptions", None)
        .await;
    assert_eq!(subs[0]["subscriptionID"], id.as_str());
    assert!(subs[0]["lastNotifiedAt"].is_string());
    let (_, answer) = g.send(Method::GET, "/queries/shipped/events", None).await;
    let list = &answer["epcisBody"]["queryResults"];
    assert_eq!(list["queryName"], "shipped");
    assert_eq!(
        list["resultsBody"]["eventList"].as_array().unwrap().len(),
        3
    );
    let path = format!("/queries/shipped/subscriptions/{id}");
    assert_eq!(g.send(Method::DELETE, &path, None).await.0, 204);
    assert_eq!(g.send(Method::DELETE, &path, None).await.0, 404);
    assert_eq!(
        g.send(Method::DELETE, "/queries/shipped", None).await.0,
        204
    );
    assert_eq!(g.send(Method::GET, "/queries/shipped", None).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_subscription_is_told_when_its_schedule_comes_round() {
    use reqwest::Method;
    let g = start().await;
    let place = g.net.parties.place.clone();
    let query = json!({"name": "shipped", "query": {"EQ_bizStep": ["shipping"]}});
    assert_eq!(g.send(Method::POST, "/queries", Some(query)).await.0, 201);
    // One runs every second and reports empty runs too; the other runs on a day half a year
    // away, so within this test it never runs.
    let (every_second, h) = serve_hook().await;
    let (later, quiet) = serve_hook().await;
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(180);
    let subscribe = |dest: &str, schedule: Value| json!({"dest": dest, "schedule": schedule, "reportIfEmpty": true});
    let mut ids = Vec::new();
    for sub in [
        subscribe(&every_second, json!({"second": "[0-59]"})),
        subscribe(
            &later,
            json!({"month": u8::from(far.month()).to_string(), "dayOfMonth": far.day().to_string()}),
        ),
    ] {
        let (status, created) = g.subscribe("shipped", &sub).await;
        assert_eq!(status, 201, "{created:#}");
        assert_eq!(created["schedule"], sub["schedule"]);
        assert_eq!(created["reportIfEmpty"], true);
        assert!(created.get("stream").is_none(), "{created:#}");
        ids.push(created["subscriptionID"].as_str().unwrap().to_owned());
    }
    // Nothing new yet: the schedule that came round reports an empty run, as asked.
    until("an empty run to be reported", || {
        !h.received.lock().unwrap().is_empty()
    })
    .await;
    assert!(delivered(&h).is_empty());
    {
        let received = h.received.lock().unwrap();
        let doc: Value = serde_json::from_str(&received[0].1).unwrap();
        assert_eq!(
            doc["epcisBody"]["queryResults"]["subscriptionID"],
            ids[0].as_str()
        );
    }
    // A shipment is told at the next run.
    g.proven(vec![commissioning(1, &place), shipping(1, &place)], 2)
        .await;
    until("the shipment to be told", || delivered(&h).len() == 1).await;
    // The other's day has not come: it was told nothing, not even an empty run.
    tokio::time::sleep(subscriptions_round() * 3).await;
    assert!(quiet.received.lock().unwrap().is_empty());
    assert_eq!(delivered(&h).len(), 1, "told once");
}

fn subscriptions_round() -> std::time::Duration {
    tally_gateway::subscriptions::NOTIFY_EVERY
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_hears_of_each_new_match_while_it_is_connected() {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
    use tokio_tungstenite::tungstenite::Message;
    let g = start().await;
    let place = g.net.parties.place.clone();
    g.proven(vec![commissioning(1, &place), shipping(1, &place)], 2)
        .await;
    let query = json!({"name": "shipped", "query": {"EQ_bizStep": "shipping"}});
    assert_eq!(
        g.send(reqwest::Method::POST, "/queries", Some(query))
            .await
            .0,
        201
    );
    let ws = |query: &str| {
        let url = format!(
            "{}/queries/shipped/events?{query}",
            g.url.replace("http://", "ws://")
        );
        let mut request = url.into_client_request().unwrap();
        let bearer = format!("Bearer {TOKEN}").parse().unwrap();
        request.headers_mut().insert("authorization", bearer);
        tokio_tungstenite::connect_async(request)
    };
    // Scheduled or unstated: refused before the handshake.
    for refused in ["hour=1&minute=5", "perPage=3"] {
        assert!(ws(refused).await.is_err(), "{refused}");
    }
    let (mut socket, answer) = ws("stream=true").await.unwrap();
    assert_eq!(answer.status(), 101);
    g.proven(vec![commissioning(2, &place), shipping(2, &place)], 4)
        .await;
    let message = tokio::time::timeout(std::time::Duration::from_secs(60), socket.next())
        .await
        .expect("a message within a minute")
        .unwrap()
        .unwrap();
    let Message::Text(text) = message else {
        panic!("{message:?}")
    };
    let doc: Value = serde_json::from_str(&text).unwrap();
    let results = &doc["epcisBody"]["queryResults"];
    assert_eq!(results["queryName"], "shipped");
    assert!(results["subscriptionID"].is_string());
    let events = results["resultsBody"]["eventList"].as_array().unwrap();
    assert_eq!(events.len(), 1, "only the new shipment: {events:#?}");
    assert_eq!(events[0]["epcList"][0], unit(2));
}
