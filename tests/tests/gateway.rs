//! `tally gateway serve` as a real process against the kept demo network: the config the demo
//! writes starts it, an ERP's document is captured through the EPCIS 2.0 REST binding and read
//! back verified, a gateway killed with SIGKILL in the middle of a 10,000-event capture loses
//! nothing and logs nothing twice once it is started again, and its traffic conforms to the
//! binding's own OpenAPI document as an independent implementation (openapi-core) reads it.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use tally_e2e::{path_str, poll, shared, tally, tally_bin, Guard};

/// A running `tally gateway serve`, killed when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    /// Starts the gateway and reads its URL from the first line it prints.
    fn start(config: &str) -> Served {
        let mut child = Command::new(tally_bin())
            .args(["gateway", "serve", "--config", config])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first.trim().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
        Served { child, url }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Erp {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    token: String,
}

impl Erp {
    fn send(&self, r: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
        self.rt.block_on(async {
            let r = r.bearer_auth(&self.token).send().await.unwrap();
            let (status, headers) = (r.status().as_u16(), r.headers().clone());
            let body = r.bytes().await.unwrap();
            (
                status,
                headers,
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        })
    }

    fn get(&self, url: &str) -> (u16, Value) {
        let (status, _, body) = self.send(self.http.get(url));
        (status, body)
    }

    /// Posts a capture; returns the job's URL.
    fn capture(&self, g: &Served, doc: &Value) -> String {
        let r = (self.http.post(format!("{}/capture", g.url)))
            .header("content-type", "application/ld+json")
            .body(doc.to_string());
        let (status, headers, body) = self.send(r);
        assert_eq!(status, 202, "{body:#}");
        headers["location"].to_str().unwrap().to_owned()
    }
}

fn document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-12-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    })
}

/// Commissioning of serials `serials` of a new lot of the demo can's GTIN at `place`.
fn commissioning(gtin: &str, lot: &str, serials: std::ops::Range<u32>, place: &str) -> Value {
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let epcs: Vec<String> = serials
        .map(|s| format!("https://id.gs1.org/01/{gtin}/10/{lot}/21/{s}"))
        .collect();
    json!({
        "type": "ObjectEvent", "action": "ADD", "eventTime": at, "eventTimeZoneOffset": "+00:00",
        "epcList": epcs, "bizStep": "commissioning", "disposition": "active",
        "readPoint": {"id": format!("https://id.gs1.org/414/{place}")},
        "bizLocation": {"id": format!("https://id.gs1.org/414/{place}")},
    })
}

fn log_sizes(erp: &Erp, summary: &Value) -> Vec<u64> {
    summary["bookkeepers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let url = format!("{}/checkpoint", b["url"].as_str().unwrap());
            let text = erp
                .rt
                .block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() });
            text.lines().nth(1).unwrap().parse().unwrap()
        })
        .collect()
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn events_of(doc: &Value) -> &Vec<Value> {
    doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        .as_array()
        .unwrap()
}

#[test]
fn the_demo_gateway_captures_reads_back_verified_and_survives_a_kill_mid_capture() {
    let guard = Guard::at("demo/net");
    let dir = guard.0.path().join("demo");
    tally(&["demo", "--dir", &path_str(&dir), "--keep"], b"").expect(0);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo.json")).unwrap()).unwrap();
    let gw = &summary["gateway"];
    let config = gw["config"].as_str().unwrap();
    let place = gw["place"].as_str().unwrap();
    let erp = Erp {
        rt: tokio::runtime::Runtime::new().unwrap(),
        http: reqwest::Client::new(),
        token: gw["token"].as_str().unwrap().to_owned(),
    };
    let mut g = Served::start(config);

    // The label book knows the demo's labels: the can's story is read from the bookkeepers.
    let can = summary["labels"][0]["uri"].as_str().unwrap();
    let (status, story) = erp.get(&format!("{}/epcs/{}/events", g.url, percent(can)));
    assert_eq!(status, 200, "{story:#}");
    assert!(!events_of(&story).is_empty());
    for e in events_of(&story) {
        assert_eq!(e["tally:proof"]["verdict"], "verified", "{e:#}");
    }

    // The binding's own OpenAPI document: every request and response of a scripted session
    // checked by openapi-core.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join("target/openapi-venv/bin/python");
    assert!(
        python.exists(),
        "scripts/setup.sh installs openapi-core in {}",
        python.display()
    );
    let out = Command::new(python)
        .arg(root.join("tests/openapi/conformance.py"))
        .args([&path_str(&shared("")), &g.url, &erp.token, can])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("exchanges conform"), "{report}");

    // 10,000 units commissioned in one capture (acknowledged once stored), the gateway killed
    // while it signs and sends them, then started again.
    let gtin = can.split("/01/").nth(1).unwrap()[..14].to_owned();
    let before = log_sizes(&erp, &summary);
    let events: Vec<Value> = (0..10_000)
        .map(|i| commissioning(&gtin, "GW1", i..i + 1, place))
        .collect();
    let job = erp.capture(&g, &document(events));
    let mut logged_at_kill = 0;
    poll("the gateway to start sending", || {
        let (_, j) = erp.get(&format!("{}{job}", g.url));
        let events = j["tally:events"].as_array().unwrap();
        logged_at_kill = events.iter().filter(|e| e["status"] == "logged").count();
        events.iter().any(|e| e["status"] != "pending")
    });
    g.kill();
    eprintln!("killed with {logged_at_kill} of 10,000 events logged by every bookkeeper");
    let g = Served::start(config);
    let mut done = Value::Null;
    poll("the capture to finish after the restart", || {
        done = erp.get(&format!("{}{job}", g.url)).1;
        done["running"] == false
    });
    assert_eq!(done["success"], true, "{}", done["errors"]);
    let logged = done["tally:events"].as_array().unwrap();
    assert_eq!(logged.len(), 10_000);
    let mut ids: Vec<&str> = logged
        .iter()
        .map(|e| {
            assert_eq!(e["status"], "logged", "{e:#}");
            e["eventHashID"].as_str().unwrap()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10_000, "every event signed once");
    // Each new unit got a label to print, every unit of the lot the lot's secret.
    let labels: Vec<&str> = logged
        .iter()
        .map(|e| e["labels"][0].as_str().unwrap())
        .collect();
    assert!(labels.iter().all(|l| l.contains("tk=")));
    // Every bookkeeper logged each exactly once: its log grew by 10,000.
    poll("every bookkeeper to log the capture", || {
        log_sizes(&erp, &summary)
            .iter()
            .zip(&before)
            .all(|(after, before)| *after >= before + 10_000)
    });
    let after = log_sizes(&erp, &summary);
    for (a, b) in after.iter().zip(&before) {
        assert_eq!(a - b, 10_000, "no event lost or logged twice");
    }

    // Read back through the standard query, verified: one unit's commissioning.
    let unit = format!("https://id.gs1.org/01/{gtin}/10/GW1/21/7");
    let query = format!(
        "{}/events?MATCH_epc={}&EQ_bizStep=commissioning",
        g.url,
        percent(&unit)
    );
    let mut found = Value::Null;
    poll("the unit's commissioning to be proven", || {
        found = erp.get(&query).1;
        events_of(&found).len() == 1
    });
    let e = &events_of(&found)[0];
    assert!(ids.contains(&e["tally:proof"]["eventHashID"].as_str().unwrap()));
    assert_ne!(e["tally:proof"]["verdict"], "failed", "{e:#}");
    assert_eq!(e["tally:proof"]["bookkeepers"].as_array().unwrap().len(), 3);
}

/// What a demo run concluded, scenario by scenario: verdict, warning codes, steps.
fn verdicts(dir: &std::path::Path) -> Vec<Value> {
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo.json")).unwrap()).unwrap();
    summary["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r["scenario"],
                r["status"],
                r["warnings"],
                r["steps"],
                r["ok"]
            ])
        })
        .collect()
}

#[test]
fn the_demo_journeys_captured_through_each_organisations_gateway_read_back_with_the_same_verdicts()
{
    let root = tempfile::tempdir().unwrap();
    let by_device = root.path().join("device");
    let by_gateway = root.path().join("gateway");
    tally(&["demo", "--dir", &path_str(&by_device)], b"").expect(0);
    let run = tally(
        &["demo", "--dir", &path_str(&by_gateway), "--via-gateway"],
        b"",
    )
    .expect(0);
    let out = run.out();
    let captured = out.matches("captured via its EPCIS gateway").count();
    assert!(
        captured >= 30,
        "every journey event went through a gateway: {captured}"
    );
    // And each was read back through its gateway's EPCIS query, verified.
    let read_back = format!("{captured} events read back through the gateways' EPCIS queries");
    assert!(out.contains(&read_back), "{out}");
    let (device, gateway) = (verdicts(&by_device), verdicts(&by_gateway));
    assert_eq!(device.len(), 13, "every scenario of the demo");
    assert_eq!(device, gateway, "the same verdicts, warnings and steps");
}
