//! The trust promise, attacked with real processes: "one bookkeeper that lies, forks, omits or
//! is down lowers confidence (a warning) but cannot forge history, and cannot alone make an
//! honest product fail" — nor lift a counterfeit above Failed.
//!
//! `tally demo --keep` leaves a network of three real bookkeeper processes with an honest can, a
//! counterfeit (a made-up serial of the real batch), a recalled can and a can already sold. Then
//! bookkeeper bk2 misbehaves, one way per row: its process is stopped, restored from an old
//! backup, or put behind a proxy (this test's own HTTP server, standing for a dishonest operator
//! who also holds bk2's log key) that is slow, forks, alters, omits, adds, replays, corrupts
//! proofs or sends garbage; and one row is a certified party flooding someone else's product. For
//! every row each product is scanned by the real `tally` binary, and:
//! the honest can is never Failed (nor Unverifiable: two honest logs remain), the counterfeit is
//! always Failed, the recalled and the sold can keep their warning, and the row's reason is named.
//! The table is printed at the end (it is the README's).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tally_e2e::{path_str, poll, tally, Guard};
use tally_tlog::{note, SignerKey};
use tally_trust::{Entry, EntryKind};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// Witness freshness for this network: an answer vouched for more than this long ago is stale.
const MAX_AGE: u64 = 12;

/// What the proxy in front of bk2 does to its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Honest,
    /// Answers only after the client has given up.
    Slow,
    /// Serves, for the size the client trusts, a checkpoint with another root, signed with bk2's
    /// log key and cosigned by the other witnesses' keys.
    Fork,
    /// Alters every event it serves (the proofs stay the genuine ones).
    Tamper,
    /// Serves none of the product's events.
    Omit,
    /// Adds genuine, proven entries about another product.
    Foreign,
    /// Remembers every answer (to replay later).
    Record,
    /// Replays the answers it remembered.
    Replay,
    /// Flips a hash of every consistency proof.
    BadProof,
    /// Answers 200 with something that is not JSON.
    Garbage,
}

struct Proxy {
    upstream: String,
    mode: Mutex<Mode>,
    recorded: Mutex<HashMap<String, Vec<u8>>>,
    http: reqwest::Client,
    /// bk2's log key and the other bookkeepers' witness keys, as a dishonest operator has them.
    log_key: SignerKey,
    witnesses: Vec<SignerKey>,
    /// A product whose entries the `Foreign` mode adds.
    foreign: String,
}

impl Proxy {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }
}

/// The header a scan presents its label's secret in: passed on, as a proxy on the path would.
const LABEL: &str = "tally-label-secret";

async fn forward(
    State(p): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let mode = p.mode();
    let path = uri.path_and_query().map_or("/", |x| x.as_str()).to_owned();
    let history = uri.path() == "/history";
    if mode == Mode::Slow {
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
    if history && mode == Mode::Garbage {
        return (StatusCode::OK, "<html>not a bookkeeper answer</html>").into_response();
    }
    let label = headers
        .get(LABEL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // An answer is replayed for the same request: the same URL with the same label secrets.
    let asked = format!("{path}#{label}");
    if history && mode == Mode::Replay {
        if let Some(old) = p.recorded.lock().unwrap().get(&asked) {
            return (StatusCode::OK, old.clone()).into_response();
        }
    }
    let url = format!("{}{path}", p.upstream);
    let sent = match method {
        Method::POST => p.http.post(url).body(body).send().await,
        _ => p.http.get(url).header(LABEL, label).send().await,
    };
    let Ok(answer) = sent else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let bytes = answer.bytes().await.unwrap_or_default().to_vec();
    if !history || status != 200 {
        return (status, bytes).into_response();
    }
    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
    mutate(&p, mode, &mut v).await;
    let out = serde_json::to_vec(&v).unwrap();
    if mode == Mode::Record {
        p.recorded.lock().unwrap().insert(asked, out.clone());
    }
    (StatusCode::OK, out).into_response()
}

fn is_event(e: &Value) -> bool {
    let bytes = B64
        .decode(e["entry"].as_str().unwrap_or(""))
        .unwrap_or_default();
    // Every sealed entry: the demo's events, and its registry records, which a bookkeeper that
    // holds no label cannot tell from them.
    bytes.starts_with(b"tally/sealed/v1\n")
        || Entry::decode(&bytes).is_ok_and(|e| e.kind == EntryKind::Event)
}

/// Changes a `/history` answer as `mode` says.
async fn mutate(p: &Proxy, mode: Mode, v: &mut Value) {
    let entries = v["entries"].as_array_mut().unwrap();
    match mode {
        Mode::Tamper => {
            for e in entries.iter_mut().filter(|e| is_event(e)) {
                let mut bytes = B64.decode(e["entry"].as_str().unwrap()).unwrap();
                bytes[40] ^= 1;
                e["entry"] = json!(B64.encode(bytes));
            }
        }
        Mode::Omit => entries.retain(|e| !is_event(e)),
        Mode::Foreign => {
            // The other product's label, as a dishonest operator kept it from its admission.
            let (key, label) = p.foreign.split_once("?tk=").unwrap();
            let url = format!(
                "{}/history?key={}&size={}",
                p.upstream,
                encode(key),
                v["size"]
            );
            let other = p.http.get(url).header(LABEL, label).send().await.unwrap();
            let other: Value = other.json().await.unwrap();
            let extra = other["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| is_event(e));
            let entries = v["entries"].as_array_mut().unwrap();
            entries.extend(extra.cloned());
            entries.sort_by_key(|e| e["index"].as_u64());
            entries.dedup_by_key(|e| e["index"].as_u64());
        }
        Mode::BadProof => {
            if let Some(first) = v["consistency"].as_array_mut().and_then(|p| p.first_mut()) {
                *first = json!(B64.encode([7u8; 32]));
            }
        }
        Mode::Fork => v["checkpoint"] = json!(fork(p, v["checkpoint"].as_str().unwrap())),
        _ => {}
    }
}

/// A checkpoint of the same size as `genuine` with another root, signed with the log's key and
/// cosigned by colluding witness keys.
fn fork(p: &Proxy, genuine: &str) -> String {
    let body: Vec<&str> = genuine.split("\n\n").next().unwrap().lines().collect();
    let mut root = B64.decode(body[2]).unwrap();
    root[0] ^= 1;
    let text = format!("{}\n{}\n{}\n", body[0], body[1], B64.encode(root));
    let signed = note::sign(text.as_bytes(), std::slice::from_ref(&p.log_key), 0).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    String::from_utf8(note::add_signatures(&signed, &p.witnesses, now).unwrap()).unwrap()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The four products every row scans.
const PRODUCTS: [(&str, &str); 4] = [
    ("honest", "milk-powder-can"),
    ("counterfeit", "fake-serial-can"),
    ("recalled", "recalled-can"),
    ("sold", "cloned-can"),
];

/// The network `tally demo --keep` leaves, with freshness tightened to [`MAX_AGE`].
struct World {
    guard: Guard,
    summary: Value,
    /// The policy the clients install: bk2's URL is the proxy's.
    client_policy: PathBuf,
}

impl World {
    fn net(&self) -> String {
        path_str(&self.guard.dir())
    }

    fn uri(&self, label: &str) -> String {
        self.summary["labels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == label)
            .unwrap()["uri"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A new client home with the proxied policy installed.
    fn home(&self, name: &str) -> String {
        let home = path_str(&self.guard.0.path().join(format!("home-{name}")));
        tally(
            &[
                "policy",
                "install",
                &path_str(&self.client_policy),
                "--home",
                &home,
            ],
            b"",
        )
        .expect(0);
        home
    }

    /// Scans the four products at once from `home`: each verdict as JSON.
    fn scan_all(&self, home: &str) -> Vec<Value> {
        let scans: Vec<_> = PRODUCTS
            .iter()
            .map(|(_, label)| {
                let (uri, home) = (self.uri(label), home.to_owned());
                std::thread::spawn(move || tally(&["scan", &uri, "--json", "--home", &home], b""))
            })
            .collect();
        scans
            .into_iter()
            .map(|s| {
                let run = s.join().unwrap();
                serde_json::from_slice(&run.stdout)
                    .unwrap_or_else(|_| panic!("no verdict: {}", run.stderr))
            })
            .collect()
    }

    fn stop(&self, node: &str) {
        tally(
            &["network", "down", "--dir", &self.net(), "--node", node],
            b"",
        )
        .expect(0);
    }

    fn start(&self) {
        tally(
            &["network", "up", "--nodes", "3", "--dir", &self.net()],
            b"",
        )
        .expect(0);
    }

    /// Waits until every bookkeeper serves a fresh, cosigned checkpoint of `size` entries.
    fn wait_size(&self, size: u64) {
        let home = self.home("monitor");
        poll("every log to hold every entry, freshly cosigned", || {
            let run = tally(&["monitor", "--json", "--home", &home], b"");
            let m: Value = serde_json::from_slice(&run.stdout).unwrap_or_default();
            m["logs"].as_array().is_some_and(|l| {
                l.iter()
                    .all(|l| l["size"].as_u64() == Some(size) && l["problem"].is_null())
            })
        });
    }
}

/// Copies a node's database files between directories.
fn copy_db(from: &Path, to: &Path, node: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let (src, dst) = (
            from.join(format!("{node}.db{suffix}")),
            to.join(format!("{node}.db{suffix}")),
        );
        let _ = std::fs::remove_file(&dst);
        if src.exists() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

fn key(path: &Path) -> SignerKey {
    SignerKey::parse(std::fs::read_to_string(path).unwrap().trim()).unwrap()
}

/// Starts the demo, tightens freshness, and puts the proxy in front of bk2.
fn world(rt: &tokio::runtime::Runtime) -> (World, Arc<Proxy>) {
    let guard = Guard::at("demo/net");
    let demo = guard.0.path().join("demo");
    tally(&["demo", "--dir", &path_str(&demo), "--keep"], b"").expect(0);
    let net = guard.dir();
    tally(&["network", "down", "--dir", &path_str(&net)], b"").expect(0);
    let policy_file = net.join("policy.json");
    let mut policy: Value = serde_json::from_slice(&std::fs::read(&policy_file).unwrap()).unwrap();
    policy["max_checkpoint_age_seconds"] = json!(MAX_AGE);
    std::fs::write(&policy_file, policy.to_string()).unwrap();
    tally(
        &["network", "up", "--nodes", "3", "--dir", &path_str(&net)],
        b"",
    )
    .expect(0);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(demo.join("demo.json")).unwrap()).unwrap();
    let upstream = policy["bookkeepers"][1]["urls"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let proxy = Arc::new(Proxy {
        upstream,
        mode: Mutex::new(Mode::Honest),
        recorded: Mutex::new(HashMap::new()),
        http: reqwest::Client::new(),
        log_key: key(&net.join("bk2.log.key")),
        witnesses: vec![
            key(&net.join("bk1.witness.key")),
            key(&net.join("bk3.witness.key")),
        ],
        foreign: summary["labels"][1]["uri"].as_str().unwrap().to_owned(),
    });
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(Arc::clone(&proxy));
    rt.spawn(async move { axum::serve(listener, app).await });
    policy["bookkeepers"][1]["urls"] = json!([format!("http://{addr}")]);
    let client_policy = guard.0.path().join("client-policy.json");
    std::fs::write(&client_policy, policy.to_string()).unwrap();
    let world = World {
        guard,
        summary,
        client_policy,
    };
    (world, proxy)
}

/// One more entry in every log: the fishmonger's chiller reading of its own pack.
fn grow(w: &World) {
    let device = key(Path::new(
        w.summary["warehouse"]["device_key"].as_str().unwrap(),
    ));
    let place = w.summary["warehouse"]["place"].as_str().unwrap();
    // The demo's network is confidential: the reading is sealed for the pack's label and wrapped
    // for the entitled regulator, as a device would.
    let label = w.summary["labels"][1]["uri"].as_str().unwrap();
    let secret = tally_confidential::LabelSecret::from_link(label).unwrap();
    let pack = tally_confidential::LabelSecret::remove_from_link(label);
    let regulator =
        std::fs::read_to_string(w.summary["regulator"]["key"].as_str().unwrap()).unwrap();
    let regulator = tally_confidential::RecipientSecret::parse(&regulator)
        .unwrap()
        .public();
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let event = json!({
        "type": "ObjectEvent", "action": "OBSERVE", "eventTime": now, "eventTimeZoneOffset": "+00:00",
        "epcList": [pack], "bizStep": "storing",
        "readPoint": {"id": format!("https://id.gs1.org/414/{place}")},
    });
    let entry = Entry::sign_event(event.to_string().as_bytes(), &device).unwrap();
    let contents = tally_confidential::Contents {
        entry: &entry.encode(),
        ..Default::default()
    };
    let to = std::slice::from_ref(&regulator);
    let body = tally_confidential::Submission::seal(
        &contents,
        std::slice::from_ref(&secret),
        to,
        &mut rand_core::OsRng,
    )
    .unwrap()
    .encode();
    for bk in w.summary["bookkeepers"].as_array().unwrap() {
        let url = format!("{}/submit", bk["url"].as_str().unwrap());
        let rt = tokio::runtime::Runtime::new().unwrap();
        let status = rt.block_on(async {
            reqwest::Client::new()
                .post(url)
                .body(body.clone())
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status, 200);
    }
}

/// The product's status, and every reason and warning code it names.
fn codes(v: &Value) -> (String, Vec<String>) {
    let mut codes: Vec<String> = v["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(v["reasons"].as_array().into_iter().flatten())
        .filter_map(|x| x["code"].as_str().map(str::to_owned))
        .collect();
    codes.sort();
    codes.dedup();
    (v["status"].as_str().unwrap_or("").to_owned(), codes)
}

/// Checks the promise on one row's verdicts and returns the row of the table; every product's
/// verdict must name one of `reasons` (none: nothing to name).
fn check_row(row: &str, reasons: &[&str], verdicts: &[Value]) -> String {
    let got: Vec<(String, Vec<String>)> = verdicts.iter().map(codes).collect();
    let (honest, fake, recalled, sold) = (&got[0], &got[1], &got[2], &got[3]);
    assert!(
        honest.0 == "verified" || honest.0 == "warning",
        "{row}: the honest can is {}: {:?}",
        honest.0,
        honest.1
    );
    assert_eq!(
        verdicts[0]["steps"].as_array().map(Vec::len),
        Some(18),
        "{row}"
    );
    assert_eq!(fake.0, "failed", "{row}: the counterfeit: {:?}", fake.1);
    assert!(
        fake.1.contains(&"unknown_serial".to_owned()),
        "{row}: {:?}",
        fake.1
    );
    assert_eq!(recalled.0, "warning", "{row}: {:?}", recalled.1);
    assert!(recalled.1.contains(&"recalled".to_owned()), "{row}");
    assert_eq!(sold.0, "warning", "{row}: {:?}", sold.1);
    assert!(sold.1.contains(&"already_sold".to_owned()), "{row}");
    let mut named: Vec<&str> = Vec::new();
    for (product, (_, c)) in PRODUCTS.iter().zip(&got) {
        let found = reasons.iter().find(|r| c.iter().any(|x| x == *r));
        assert!(
            reasons.is_empty() || found.is_some(),
            "{row}: {} names none of {reasons:?}: {c:?}",
            product.0
        );
        named.extend(found.copied().filter(|f| !named.contains(f)));
    }
    let named = match named.is_empty() {
        true => "—".to_owned(),
        false => named
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!(
        "| {row} | {} | {} | {} | {} | {named} |",
        honest.0, fake.0, recalled.0, sold.0
    )
}

#[test]
fn no_single_bookkeeper_fails_an_honest_product_or_softens_a_counterfeit() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (w, proxy) = world(&rt);
    let set = |m: Mode| *proxy.mode.lock().unwrap() = m;
    let mut table = vec![
        "| bk2 (one of three) | honest can | counterfeit | recalled can | sold can | named |"
            .to_owned(),
        "|---|---|---|---|---|---|".to_owned(),
    ];
    let size = |w: &World| -> u64 {
        let run = tally(&["monitor", "--json", "--home", &w.home("size")], b"");
        let m: Value = serde_json::from_slice(&run.stdout).unwrap();
        m["logs"][0]["size"].as_u64().unwrap()
    };
    let s1 = size(&w);
    w.wait_size(s1);
    table.push(check_row("honest", &[], &w.scan_all(&w.home("honest"))));
    // A phone that saw the logs before they grew, and a backup of bk2 from then.
    let old = w.home("old");
    w.scan_all(&old);
    let backup = w.guard.0.path().join("backup");
    std::fs::create_dir_all(&backup).unwrap();
    w.stop("bk2");
    copy_db(&w.guard.dir(), &backup, "bk2");
    w.start();
    grow(&w);
    w.wait_size(s1 + 1);
    let current = w.home("current");
    w.scan_all(&current);

    w.stop("bk2");
    table.push(check_row(
        "down",
        &["log_unreachable"],
        &w.scan_all(&w.home("down")),
    ));
    w.start();
    set(Mode::Slow);
    table.push(check_row(
        "slow",
        &["log_unreachable"],
        &w.scan_all(&w.home("slow")),
    ));
    set(Mode::Honest);
    // Restored from the backup: smaller than what `current` saw. Its witnesses refuse to cosign
    // a smaller tree, so the phone sees a rollback while the old cosignatures are recent, and a
    // stale checkpoint after; the witnesses record the rollback either way.
    let now_db = w.guard.0.path().join("now");
    std::fs::create_dir_all(&now_db).unwrap();
    w.stop("bk2");
    copy_db(&w.guard.dir(), &now_db, "bk2");
    copy_db(&backup, &w.guard.dir(), "bk2");
    w.start();
    table.push(check_row(
        "rollback from a backup",
        &["log_inconsistent", "stale_checkpoint"],
        &w.scan_all(&current),
    ));
    poll("a witness to record bk2's rollback", || {
        let bk1 = w.summary["bookkeepers"][0]["url"].as_str().unwrap();
        let answer = rt.block_on(async {
            reqwest::get(format!("{bk1}/evidence"))
                .await?
                .json::<Value>()
                .await
        });
        answer.is_ok_and(|a| a["evidence"].to_string().contains("rollback"))
    });
    w.stop("bk2");
    copy_db(&now_db, &w.guard.dir(), "bk2");
    w.start();
    w.wait_size(s1 + 1);
    for (row, mode, reason, home) in [
        (
            "same-size fork",
            Mode::Fork,
            "log_inconsistent",
            current.clone(),
        ),
        (
            "tampered entry",
            Mode::Tamper,
            "bad_inclusion_proof",
            w.home("tamper"),
        ),
        ("omitted entries", Mode::Omit, "log_omitted", w.home("omit")),
        (
            "extra foreign entries",
            Mode::Foreign,
            "foreign_entries",
            w.home("foreign"),
        ),
        (
            "bad consistency proof",
            Mode::BadProof,
            "consistency_unproven",
            old.clone(),
        ),
        ("garbage", Mode::Garbage, "log_malformed", w.home("garbage")),
    ] {
        set(mode);
        table.push(check_row(row, &[reason], &w.scan_all(&home)));
    }
    // An answer recorded now and replayed once the witnesses' vouching for it is too old.
    set(Mode::Record);
    w.scan_all(&w.home("record"));
    std::thread::sleep(Duration::from_secs(MAX_AGE + 3));
    set(Mode::Replay);
    table.push(check_row(
        "replayed old answer",
        &["stale_checkpoint"],
        &w.scan_all(&w.home("replay")),
    ));
    set(Mode::Honest);
    flood(&w);
    let flooded = w.scan_all(&w.home("flood"));
    table.push(check_row(
        "flood by a certified party (every log)",
        &[],
        &flooded,
    ));
    assert_eq!(
        codes(&flooded[0]).0,
        "verified",
        "the flood is left out everywhere: {:?}",
        codes(&flooded[0])
    );
    eprintln!("{}", table.join("\n"));
}

/// A certified party that never held the honest can (the fishmonger) floods the logs with events
/// naming it.
fn flood(w: &World) {
    let device = key(Path::new(
        w.summary["warehouse"]["device_key"].as_str().unwrap(),
    ));
    let place = w.summary["warehouse"]["place"].as_str().unwrap();
    // It copied the can's label off a shelf: on a confidential network its events are sealed for
    // that label (and wrapped for the regulator), so they reach the can's history.
    let labelled = w.uri("milk-powder-can");
    let label = tally_confidential::LabelSecret::from_link(&labelled).unwrap();
    let can = labelled.split('?').next().unwrap();
    let regulator =
        std::fs::read_to_string(w.summary["regulator"]["key"].as_str().unwrap()).unwrap();
    let regulator = tally_confidential::RecipientSecret::parse(&regulator)
        .unwrap()
        .public();
    let entries: Vec<Vec<u8>> = (0..300)
        .map(|k| {
            let event = json!({
                "type": "ObjectEvent", "action": "OBSERVE",
                "eventTime": format!("2026-11-30T{:02}:{:02}:00Z", k / 60, k % 60),
                "eventTimeZoneOffset": "+00:00", "epcList": [can], "bizStep": "storing",
                "readPoint": {"id": format!("https://id.gs1.org/414/{place}")},
                "bizTransactionList": [{"type": "po", "bizTransaction": format!("urn:example:po:{}", "x".repeat(2000))}],
            });
            let entry = Entry::sign_event(event.to_string().as_bytes(), &device)
                .unwrap()
                .encode();
            let contents = tally_confidential::Contents {
                entry: &entry,
                ..Default::default()
            };
            tally_confidential::Submission::seal(
                &contents,
                std::slice::from_ref(&label),
                std::slice::from_ref(&regulator),
                &mut rand_core::OsRng,
            )
            .unwrap()
            .encode()
        })
        .collect();
    let bundle = tally_tlog::tiles::encode_entry_bundle(entries.iter().map(Vec::as_slice)).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    for bk in w.summary["bookkeepers"].as_array().unwrap() {
        let url = format!("{}/submit-bundle", bk["url"].as_str().unwrap());
        let answer: Value = rt.block_on(async {
            reqwest::Client::new()
                .post(url)
                .body(bundle.clone())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        let indices: Vec<u64> = answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["index"].as_u64().expect("every entry logged"))
            .collect();
        // Scanned before its witnesses cosign a checkpoint that includes the flood, a log would
        // be judged on its older checkpoint: wait for the cosigned one (what a real shopper scans).
        let base = bk["url"].as_str().unwrap();
        cosigned_past(&rt, base, indices.into_iter().max().unwrap());
    }
}

/// Waits (at most a minute) until the bookkeeper at `base` serves a checkpoint past `index`
/// that both other bookkeepers' witnesses cosigned.
fn cosigned_past(rt: &tokio::runtime::Runtime, base: &str, index: u64) {
    for _ in 0..300 {
        let note = rt.block_on(async {
            let r = reqwest::get(format!("{base}/checkpoint")).await.ok()?;
            r.text().await.ok()
        });
        let note = note.unwrap_or_default();
        let size: u64 = note
            .lines()
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        if size > index && note.lines().filter(|l| l.starts_with('\u{2014}')).count() >= 3 {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{base}: no cosigned checkpoint past entry {index} within a minute");
}
