//! The query interface against a real network (see `common`): what an ERP captured is read
//! back from the bookkeepers, verified, with the standard's parameters, pages and errors.

mod common;

use common::*;
use serde_json::Value;
use tally_gateway::percent_encode as percent;
use tally_testnet::{event, unit};

impl Running {
    /// Status, `Link` header and body of an authorised GET.
    async fn ask(&self, path: &str) -> (u16, Option<String>, Value) {
        let r = (self.http.get(format!("{}{path}", self.url)))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let link = r
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        (status, link, r.json().await.unwrap())
    }

    /// The answer to `path` once it lists `n` events (logged is not yet proven: an event is
    /// served once checkpoints that include it are signed and cosigned), or the last one.
    async fn ask_until(&self, path: &str, n: usize) -> Value {
        let mut doc = Value::Null;
        for _ in 0..tally_testnet::ATTEMPTS {
            doc = self.ask(path).await.2;
            if event_list(&doc).len() == n {
                break;
            }
            tokio::time::sleep(tally_testnet::POLL).await;
        }
        doc
    }
}

fn event_list(doc: &Value) -> &Vec<Value> {
    doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
}

fn hash_ids(doc: &Value) -> Vec<String> {
    event_list(doc)
        .iter()
        .map(|e| e["tally:proof"]["eventHashID"].as_str().unwrap().to_owned())
        .collect()
}

/// Three units commissioned, the second shipped: four events captured and logged.
async fn captured(g: &Running) -> Vec<String> {
    captured_and_served(g).await.0
}

/// [`captured`], with the first `GET /events` answer in which every event was verified.
async fn captured_and_served(g: &Running) -> (Vec<String>, Value) {
    let place = g.net.parties.place.clone();
    let mut events: Vec<Vec<u8>> = (1..=3).map(|s| commissioning(s, &place)).collect();
    events.push(event(
        "2026-03-02T08:00:00Z",
        "shipping",
        &[unit(2)],
        &place,
        "OBSERVE",
    ));
    let doc = document(&events);
    let job = g.capture(doc.clone(), None).await;
    assert_eq!(job["success"], true, "{job:#}");
    // Served once k logs prove them; verified once every log's checkpoint is cosigned too.
    let mut served = Value::Null;
    for _ in 0..tally_testnet::ATTEMPTS {
        served = g.ask("/events").await.2;
        let list = event_list(&served);
        if list.len() == events.len()
            && list
                .iter()
                .all(|e| e["tally:proof"]["verdict"] == "verified")
        {
            return (tally_epcis::document_hash_ids(&doc).unwrap(), served);
        }
        tokio::time::sleep(tally_testnet::POLL).await;
    }
    panic!("never proven and verified: {served:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captured_events_are_read_back_verified_with_the_standard_parameters() {
    let g = start().await;
    // The answer that first showed every event verified: a later read may find a log busy on
    // this loaded machine, which makes a verdict a warning, not the answer malformed.
    let (ids, all) = captured_and_served(&g).await;
    let (status, link, again) = g.ask("/events").await;
    assert_eq!(status, 200, "{again:#}");
    assert!(link.is_none());
    assert_eq!(hash_ids(&again), hash_ids(&all));
    // A valid EPCIS 2.0 query document, every event as captured, each once, in time order.
    tally_epcis::validate_document(&serde_json::to_vec(&all).unwrap()).unwrap();
    assert_eq!(all["type"], "EPCISQueryDocument");
    let mut served = hash_ids(&all);
    assert_eq!(served.len(), 4, "{all:#}");
    assert_eq!(served[3], ids[3], "the shipment is the latest");
    served.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(served, expected);
    for e in event_list(&all) {
        let proof = &e["tally:proof"];
        assert_eq!(proof["verdict"], "verified", "{proof:#}");
        assert!(proof["bookkeepers"].as_array().unwrap().len() >= 2);
        assert!(proof["checkedAt"].is_string() && proof["signer"].is_string());
    }
    // Identifiers in any syntax, vocabulary in any spelling, time bounds, order and limits.
    let sgtin = tally_testnet::GTIN;
    let urn = format!(
        "urn:epc:id:sgtin:{}.{}{}.2",
        &sgtin[1..8],
        &sgtin[0..1],
        &sgtin[8..13]
    );
    for (query, want) in [
        (format!("MATCH_epc={urn}"), vec![&ids[1], &ids[3]]),
        ("EQ_bizStep=shipping".into(), vec![&ids[3]]),
        (
            "EQ_bizStep=urn%3Aepcglobal%3Acbv%3Abizstep%3Acommissioning&EQ_action=ADD".into(),
            vec![&ids[0], &ids[1], &ids[2]],
        ),
        ("GE_eventTime=2026-03-02T00:00:00Z".into(), vec![&ids[3]]),
        ("LT_eventTime=2026-03-01T08:00:00Z".into(), vec![]),
        (
            "orderBy=eventTime&orderDirection=DESC&eventCountLimit=1".into(),
            vec![&ids[3]],
        ),
        (
            format!(
                "EQ_bizLocation={}",
                "urn%3Aepc%3Aid%3Asgln%3A0000000.00000.0"
            ),
            vec![],
        ),
    ] {
        let (status, _, doc) = g.ask(&format!("/events?{query}")).await;
        assert_eq!(status, 200, "{query}: {doc:#}");
        let mut got = hash_ids(&doc);
        got.sort();
        let mut want: Vec<String> = want.into_iter().cloned().collect();
        want.sort();
        assert_eq!(got, want, "{query}");
    }
    // The per-resource lists and collections.
    let (_, _, shipped) = g.ask("/bizSteps/shipping/events").await;
    assert_eq!(hash_ids(&shipped), vec![ids[3].clone()]);
    let unit2 = percent(&unit(2));
    let (_, _, of_unit) = g.ask(&format!("/epcs/{unit2}/events")).await;
    assert_eq!(hash_ids(&of_unit).len(), 2);
    let (_, _, steps) = g.ask("/bizSteps").await;
    assert_eq!(steps["type"], "Collection");
    let mut members: Vec<&str> = (steps["member"].as_array().unwrap().iter())
        .map(|m| m.as_str().unwrap())
        .collect();
    members.sort();
    assert_eq!(members, ["commissioning", "shipping"]);
    // One event by its Event Hash ID; an unknown one is not found.
    let (status, _, one) = g.ask(&format!("/events/{}", percent(&ids[3]))).await;
    assert_eq!(status, 200, "{one:#}");
    assert_eq!(hash_ids(&one), vec![ids[3].clone()]);
    let (status, _, missing) = g.ask("/events/urn%3Auuid%3Anone").await;
    assert_eq!(status, 404);
    assert_eq!(missing["type"], "epcisException:NoSuchNameException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_their_links_and_bad_queries_are_named() {
    let g = start().await;
    let ids = captured(&g).await;
    let mut path = "/events?perPage=3&EQ_action=ADD%7COBSERVE".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (status, link, doc) = g.ask(&path).await;
        assert_eq!(status, 200, "{path}: {doc:#}");
        seen.extend(hash_ids(&doc));
        pages += 1;
        let Some(link) = link else { break };
        assert!(link.ends_with("; rel=\"next\""), "{link}");
        path = link[1..link.find('>').unwrap()].to_owned();
    }
    assert_eq!(pages, 2);
    seen.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected, "every event once across the pages");
    // A token of one query is refused on another; so are unknown, repeated and bad parameters.
    let (_, link, _) = g.ask("/events?perPage=1").await;
    let link = link.unwrap();
    let token = link
        .split("nextPageToken=")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap();
    for (query, status, exception, named) in [
        (
            format!("EQ_bizStep=shipping&nextPageToken={token}"),
            400,
            "QueryParameterException",
            "nextPageToken",
        ),
        (
            "colour=red".into(),
            400,
            "QueryParameterException",
            "colour",
        ),
        (
            "EQ_bizStep=a&EQ_bizStep=b".into(),
            400,
            "QueryParameterException",
            "EQ_bizStep",
        ),
        (
            "GE_eventTime=yesterday".into(),
            400,
            "QueryParameterException",
            "GE_eventTime",
        ),
        (
            "eventCountLimit=1".into(),
            400,
            "QueryParameterException",
            "eventCountLimit",
        ),
        (
            "perPage=0".into(),
            400,
            "QueryParameterException",
            "perPage",
        ),
        (
            "maxEventCount=2".into(),
            413,
            "QueryTooLargeException",
            "maxEventCount",
        ),
    ] {
        let (s, _, p) = g.ask(&format!("/events?{query}")).await;
        assert_eq!(s, status, "{query}: {p:#}");
        assert_eq!(p["type"], format!("epcisException:{exception}"), "{query}");
        assert!(
            p["detail"].as_str().unwrap().contains(named),
            "{query}: {p:#}"
        );
    }
    let r = (g.http.get(format!("{}/events", g.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "queries need a token too");
    // Content negotiation: JSON-LD EPCIS 2.0.0 only.
    for (name, value, status) in [
        ("accept", "application/xml", 406),
        ("accept", "text/html, application/ld+json;q=0.9", 200),
        ("GS1-EPCIS-Min", "2.1.0", 406),
        ("GS1-EPCIS-Max", "1.2", 406),
        ("GS1-EPCIS-Max", "2.0", 200),
        ("GS1-CBV-Min", "2.0.0", 200),
    ] {
        let r = (g.http.get(format!("{}/events?EQ_bizStep=shipping", g.url)))
            .bearer_auth(TOKEN)
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{name}: {value}");
        assert_eq!(r.headers()["GS1-EPCIS-Version"], "2.0.0");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_served_that_k_bookkeepers_do_not_prove() {
    let mut g = start().await;
    captured(&g).await;
    let (_, _, before) = g.ask("/events").await;
    assert_eq!(event_list(&before).len(), 4);
    // Two of three bookkeepers gone: the gateway still holds every event it captured, but no
    // quorum proves them now, so none is served (and no cached story stands in for the logs).
    for node in g.nodes.drain(1..) {
        node.stop().await;
    }
    let (status, _, after) = g.ask("/events").await;
    assert_eq!(status, 200, "{after:#}");
    assert_eq!(event_list(&after), &Vec::<Value>::new(), "{after:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lots_events_are_read_back_by_its_class() {
    let g = start().await;
    let place = g.net.parties.place.clone();
    let lot = format!("https://id.gs1.org/01/{}/10/L7", tally_testnet::GTIN);
    let at = |n: u32| format!("2026-03-0{}T08:00:00Z", n + 1);
    let events: Vec<Vec<u8>> = [
        ("ADD", "commissioning"),
        ("OBSERVE", "shipping"),
        ("OBSERVE", "receiving"),
    ]
    .iter()
    .enumerate()
    .map(|(n, (action, step))| {
        serde_json::to_vec(&serde_json::json!({
            "type": "ObjectEvent", "action": action,
            "eventTime": at(n as u32), "eventTimeZoneOffset": "+00:00",
            "quantityList": [{"epcClass": lot, "quantity": 500, "uom": "KGM"}],
            "bizStep": step,
            "readPoint": {"id": format!("https://id.gs1.org/414/{place}")},
            "bizLocation": {"id": format!("https://id.gs1.org/414/{place}")},
        }))
        .unwrap()
    })
    .collect();
    let job = g.capture(document(&events), None).await;
    assert_eq!(job["success"], true, "{job:#}");
    let path = format!("/events?MATCH_epcClass={}", percent(&lot));
    let doc = g.ask_until(&path, 3).await;
    assert_eq!(event_list(&doc).len(), 3, "{doc:#}");
}

/// Bookkeeper `i` made to lie: stopped, `entry` written into its log (filed under `keys`, as
/// admission files an event), and started again, serving it under its cosigned checkpoints as
/// if it had admitted it.
async fn lie(g: &mut Running, i: usize, entry: &[u8], keys: Vec<String>) {
    let node = g.nodes.remove(i);
    node.stop().await;
    let db = g.net.dir.path().join(format!("bk{i}.db"));
    let mut store = tally_logstore::SqliteStore::open(&db).unwrap();
    use tally_logstore::LogStore as _;
    store.append_with_keys(&[entry.to_vec()], &[keys]).unwrap();
    drop(store);
    g.nodes.insert(i, g.net.start(i).await);
}

/// Whether bookkeeper `i` serves `entry` in the history of `key`, under a checkpoint.
async fn serves(g: &Running, i: usize, key: &str, entry: &[u8]) -> bool {
    use base64::Engine as _;
    let wanted = base64::engine::general_purpose::STANDARD.encode(entry);
    let answer = g
        .net
        .json(i, &format!("/history?key={}", percent(key)))
        .await;
    (answer["entries"].as_array())
        .is_some_and(|all| all.iter().any(|e| e["entry"] == wanted.as_str()))
}

/// The business steps, sorted, of the events `path` answers from a read that used every
/// bookkeeper's log (each served event proven by all three): right after a bookkeeper restarts,
/// its peers may not have cosigned its new checkpoint yet, and a read without its log would not
/// test what it serves.
async fn steps(g: &Running, path: &str) -> Vec<String> {
    let mut steps = Vec::new();
    for _ in 0..tally_testnet::ATTEMPTS {
        let (status, _, doc) = g.ask(path).await;
        assert_eq!(status, 200, "{doc:#}");
        let list = event_list(&doc);
        steps = list
            .iter()
            .map(|e| e["bizStep"].as_str().unwrap_or_default().to_owned())
            .collect();
        steps.sort();
        let every_log =
            |e: &Value| e["tally:proof"]["bookkeepers"].as_array().map(Vec::len) == Some(3);
        if !list.is_empty() && list.iter().all(every_log) {
            break;
        }
        tokio::time::sleep(tally_testnet::POLL).await;
    }
    steps
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_that_lying_bookkeepers_add_to_a_lot_are_not_served() {
    let mut g = start().await;
    let place = g.net.parties.place.clone();
    let lot = format!("https://id.gs1.org/01/{}/10/L9", tally_testnet::GTIN);
    let handled = |step: &str, day: u32| {
        serde_json::to_vec(&serde_json::json!({
            "type": "ObjectEvent", "action": "OBSERVE",
            "eventTime": format!("2026-03-0{day}T08:00:00Z"), "eventTimeZoneOffset": "+00:00",
            "quantityList": [{"epcClass": lot, "quantity": 500, "uom": "KGM"}],
            "bizStep": step,
            "readPoint": {"id": format!("https://id.gs1.org/414/{place}")},
            "bizLocation": {"id": format!("https://id.gs1.org/414/{place}")},
        }))
        .unwrap()
    };
    let genuine = vec![handled("shipping", 1), handled("receiving", 2)];
    let job = g.capture(document(&genuine), None).await;
    assert_eq!(job["success"], true, "{job:#}");
    let path = format!("/events?MATCH_epcClass={}", percent(&lot));
    g.ask_until(&path, 2).await;
    assert_eq!(steps(&g, &path).await, ["receiving", "shipping"]);

    // A destruction of the lot, signed by a key no organisation certified, written into one
    // bookkeeper's log: it serves it with a valid proof under checkpoints its peers cosign.
    let forged = tally_trust::Entry::sign_event(&handled("destroying", 3), &g.net.parties.stranger)
        .unwrap()
        .encode();
    let keys = tally_bookkeeper::admission::lookup_ids(&lot);
    lie(&mut g, 0, &forged, keys.clone()).await;
    assert!(
        serves(&g, 0, &lot, &forged).await,
        "the lying bookkeeper serves the forged event"
    );
    assert_eq!(
        steps(&g, &path).await,
        ["receiving", "shipping"],
        "one log proves it"
    );

    // A second bookkeeper joins the lie: k logs now prove the entry, but no certified device
    // signed it, so it is still not served as an event of the lot.
    lie(&mut g, 1, &forged, keys).await;
    assert!(serves(&g, 1, &lot, &forged).await);
    assert_eq!(
        steps(&g, &path).await,
        ["receiving", "shipping"],
        "unsigned by the chain"
    );
}
