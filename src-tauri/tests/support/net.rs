//! The bookkeeper network the app is tested against, with its demo data.
//!
//! Preferably `tally demo --keep --dir DIR` (real bookkeeper processes, the demo's journeys and
//! labels, described in `DIR/demo.json`). Where this build's `tally` has no `demo` subcommand yet,
//! the same shape is made here: three real bookkeepers (`tally_bookkeeper::run`, served on free
//! ports of 127.0.0.1 by this test process), the registry, a milk-powder can that verifies, a
//! cloned can sold twice, a can shipped to the warehouse, and the warehouse device's key and
//! certification files.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tally_client::capture::{Handoff, Step};
use tally_testnet::{gln, key, t, unit, Network, Node};
use tally_tlog::{KeyType, SignerKey};
use tally_trust::{Entry, Record};

#[derive(Debug, Clone)]
pub struct Label {
    pub name: String,
    pub uri: String,
    pub png: PathBuf,
    pub expect: String,
    pub warning: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Warehouse {
    pub org: String,
    pub place: String,
    pub counterparty: String,
    pub device_key: PathBuf,
    pub certification: PathBuf,
    pub items: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Bookkeeper {
    pub name: String,
    pub url: String,
    /// Where its key files are (`NAME.log.key`, `NAME.witness.key`).
    pub dir: PathBuf,
}

enum Kind {
    Processes {
        tally: PathBuf,
        net_dir: PathBuf,
    },
    InProcess {
        rt: tokio::runtime::Runtime,
        /// Kept for its directory (keys, configs, databases) while the nodes run.
        _net: Box<Network>,
        nodes: Vec<Option<Node>>,
    },
}

pub struct Demo {
    pub policy: PathBuf,
    pub labels: Vec<Label>,
    pub warehouse: Warehouse,
    pub bookkeepers: Vec<Bookkeeper>,
    pub how: &'static str,
    kind: Kind,
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

impl Demo {
    /// `tally demo --keep` if this build has it, else the in-process equivalent.
    pub fn start(tally: &Path, dir: &Path) -> Demo {
        let has_demo = Command::new(tally)
            .args(["demo", "--help"])
            .output()
            .is_ok_and(|o| o.status.success());
        if has_demo {
            Demo::from_tally_demo(tally, dir)
        } else {
            Demo::in_process(dir)
        }
    }

    fn from_tally_demo(tally: &Path, dir: &Path) -> Demo {
        let out = Command::new(tally)
            .args(["demo", "--keep", "--dir"])
            .arg(dir)
            .output()
            .expect("run tally demo");
        assert!(
            out.status.success(),
            "tally demo failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value =
            serde_json::from_slice(&std::fs::read(dir.join("demo.json")).expect("demo.json"))
                .expect("demo.json is JSON");
        let labels = v["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .map(|l| Label {
                name: s(&l["name"]),
                uri: s(&l["uri"]),
                png: PathBuf::from(s(&l["png"])),
                expect: s(&l["expect"]),
                warning: l["warning"].as_str().map(str::to_owned),
            })
            .collect();
        let w = &v["warehouse"];
        let bookkeepers: Vec<Bookkeeper> = v["bookkeepers"]
            .as_array()
            .expect("bookkeepers")
            .iter()
            .map(|b| Bookkeeper {
                name: s(&b["name"]),
                url: s(&b["url"]),
                dir: PathBuf::from(s(&b["dir"])),
            })
            .collect();
        let net_dir = bookkeepers
            .first()
            .map(|b| b.dir.clone())
            .unwrap_or_else(|| dir.join("net"));
        Demo {
            policy: PathBuf::from(s(&v["policy"])),
            labels,
            warehouse: Warehouse {
                org: s(&w["org"]),
                place: s(&w["place"]),
                counterparty: s(&w["counterparty"]),
                device_key: PathBuf::from(s(&w["device_key"])),
                certification: PathBuf::from(s(&w["certification"])),
                items: w["items"]
                    .as_array()
                    .map(|a| a.iter().map(s).collect())
                    .unwrap_or_default(),
            },
            bookkeepers,
            how: "tally demo --keep",
            kind: Kind::Processes {
                tally: tally.to_owned(),
                net_dir,
            },
        }
    }

    fn in_process(dir: &Path) -> Demo {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let net = Box::new(Network::with_quorums(3, 2, 1));
        let nodes: Vec<Option<Node>> =
            rt.block_on(async { futures(&net).await.into_iter().map(Some).collect() });
        let p = &net.parties;
        // A second organisation (the warehouse, in another country) and a shop till of Org 1.
        let (wh_org, wh_gln, wh_place) = (
            key("harbour-cold-store", KeyType::Ed25519, 40),
            gln(3),
            gln(4),
        );
        let wh_device = key("dock-3", KeyType::Ed25519, 41);
        let till = key("till-1", KeyType::Ed25519, 42);
        let record = |r: Record, signer: &SignerKey| {
            Entry::sign(r.kind(), r.to_payload(), None, signer)
                .unwrap()
                .encode()
        };
        let cert =
            |org: &str, device: &SignerKey, roles: &[&str], place: &str| Record::Certification {
                org: org.to_owned(),
                device: device.verifier().to_string(),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                places: vec![place.to_owned()],
                valid_from: t("2026-01-01T00:00:00Z"),
                expires: t("2028-01-01T00:00:00Z"),
            };
        let wh_cert = record(
            cert(
                &wh_gln,
                &wh_device,
                &["receiving", "shipping", "packing", "unpacking"],
                &wh_place,
            ),
            &wh_org,
        );
        let mut entries = p.registry_entries();
        entries.push(record(
            Record::Registration {
                gln: wh_gln.clone(),
                name: "Harbour Cold Store".into(),
                country: "CN".into(),
                key: wh_org.verifier().to_string(),
            },
            &p.gov,
        ));
        entries.push(wh_cert.clone());
        entries.push(record(
            cert(&p.org_gln, &till, &["retail_selling"], &p.place),
            &p.org,
        ));
        let handoff =
            |step: Step, time: &str, item: &str, place: &str, org: &str, to: Option<&str>| {
                Handoff {
                    step,
                    time: t(time),
                    items: vec![item.to_owned()],
                    quantities: vec![],
                    parent: None,
                    outputs: vec![],
                    output_quantities: vec![],
                    place: place.to_owned(),
                    org: org.to_owned(),
                    counterparty: to.map(str::to_owned),
                    documents: vec![],
                    readings: vec![],
                    ilmd: match step {
                        Step::Commission => json!({"cbvmda:countryOfOrigin": "NZ"})
                            .as_object()
                            .cloned()
                            .unwrap(),
                        _ => Default::default(),
                    },
                }
            };
        let event = |h: Handoff, k: &SignerKey| {
            Entry::sign_event(&h.to_epcis().unwrap(), k)
                .unwrap()
                .encode()
        };
        let (can, clone, inbound) = (unit(1), unit(2), unit(3));
        let (org1, place1) = (p.org_gln.clone(), p.place.clone());
        entries.extend([
            event(
                handoff(
                    Step::Commission,
                    "2026-03-01T08:00:00Z",
                    &can,
                    &place1,
                    &org1,
                    None,
                ),
                &p.device,
            ),
            event(
                handoff(
                    Step::Ship,
                    "2026-03-02T08:00:00Z",
                    &can,
                    &place1,
                    &org1,
                    Some(&wh_gln),
                ),
                &p.device,
            ),
            event(
                handoff(
                    Step::Receive,
                    "2026-03-09T08:00:00Z",
                    &can,
                    &wh_place,
                    &wh_gln,
                    Some(&org1),
                ),
                &wh_device,
            ),
            event(
                handoff(
                    Step::Commission,
                    "2026-03-01T08:00:00Z",
                    &clone,
                    &place1,
                    &org1,
                    None,
                ),
                &p.device,
            ),
            event(
                handoff(
                    Step::Sell,
                    "2026-03-03T10:00:00Z",
                    &clone,
                    &place1,
                    &org1,
                    None,
                ),
                &till,
            ),
            event(
                handoff(
                    Step::Sell,
                    "2026-03-04T10:00:00Z",
                    &clone,
                    &place1,
                    &org1,
                    None,
                ),
                &till,
            ),
            event(
                handoff(
                    Step::Commission,
                    "2026-03-01T08:00:00Z",
                    &inbound,
                    &place1,
                    &org1,
                    None,
                ),
                &p.device,
            ),
            event(
                handoff(
                    Step::Ship,
                    "2026-03-02T09:00:00Z",
                    &inbound,
                    &place1,
                    &org1,
                    Some(&wh_gln),
                ),
                &p.device,
            ),
        ]);
        let size = entries.len() as u64;
        rt.block_on(async {
            for e in &entries {
                let (status, body) = net.submit(0, e).await;
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            }
            for i in 0..3 {
                net.cosigned_checkpoint(i, size, 1).await;
            }
        });
        let files = dir.join("demo");
        std::fs::create_dir_all(files.join("labels")).unwrap();
        let policy = files.join("policy.json");
        std::fs::write(&policy, net.policy_json()).unwrap();
        let device_key = files.join("warehouse.key");
        std::fs::write(&device_key, wh_device.to_secret_string()).unwrap();
        let certification = files.join("warehouse.cert");
        std::fs::write(
            &certification,
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &wh_cert),
        )
        .unwrap();
        let label = |name: &str, uri: &str, expect: &str, warning: Option<&str>| {
            let png = files.join("labels").join(format!("{name}.png"));
            let bytes = tally_label::qr_png(uri, &tally_label::LabelOptions::default()).unwrap();
            std::fs::write(&png, bytes).unwrap();
            Label {
                name: name.into(),
                uri: uri.into(),
                png,
                expect: expect.into(),
                warning: warning.map(str::to_owned),
            }
        };
        let labels = vec![
            label("milk-powder-can", &can, "verified", None),
            label("cloned-can", &clone, "warning", Some("already_sold")),
        ];
        let bookkeepers = (0..3)
            .map(|i| Bookkeeper {
                name: format!("bk{i}"),
                url: net.url(i),
                dir: net.dir.path().to_owned(),
            })
            .collect();
        Demo {
            policy,
            labels,
            warehouse: Warehouse {
                org: wh_gln,
                place: wh_place,
                counterparty: org1,
                device_key,
                certification,
                items: vec![inbound],
            },
            bookkeepers,
            how: "in-process bookkeepers (this build's tally has no demo subcommand)",
            kind: Kind::InProcess {
                rt,
                _net: net,
                nodes,
            },
        }
    }

    pub fn label(&self, name: &str) -> &Label {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("the demo has no label {name}: {:?}", self.labels))
    }

    /// Stops bookkeeper `name` and returns its port once it is free.
    pub fn stop_bookkeeper(&mut self, name: &str) -> u16 {
        let bk = self
            .bookkeepers
            .iter()
            .find(|b| b.name == name)
            .expect("bookkeeper")
            .clone();
        let port: u16 = bk
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .expect("port in the bookkeeper's URL");
        match &mut self.kind {
            Kind::Processes { net_dir, .. } => {
                let pid =
                    std::fs::read_to_string(net_dir.join(format!("{name}.pid"))).expect("pid file");
                let _ = Command::new("kill").args(["-TERM", pid.trim()]).status();
            }
            Kind::InProcess { rt, nodes, .. } => {
                let i = self
                    .bookkeepers
                    .iter()
                    .position(|b| b.name == name)
                    .unwrap();
                if let Some(node) = nodes[i].take() {
                    rt.block_on(node.stop());
                }
            }
        }
        for _ in 0..600 {
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return port;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{name} did not release port {port}");
    }

    /// Makes bookkeeper `name` fork: stops it and serves, on its port, a checkpoint of the same
    /// size as its last one but another root, signed with its own log key and cosigned by every
    /// peer's witness key (what a log whose key and witnesses colluded would show). Returns the
    /// size.
    pub fn fork_bookkeeper(&mut self, name: &str) -> u64 {
        let bk = self
            .bookkeepers
            .iter()
            .find(|b| b.name == name)
            .unwrap()
            .clone();
        let (status, note) = http_get(&format!("{}/checkpoint", bk.url));
        assert_eq!(status, 200);
        let text = String::from_utf8(note).unwrap();
        let mut lines = text.lines();
        let (origin, size) = (
            lines.next().unwrap().to_owned(),
            lines.next().unwrap().parse::<u64>().unwrap(),
        );
        let read_key = |file: PathBuf| {
            SignerKey::parse(std::fs::read_to_string(&file).unwrap().trim())
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        };
        let mut keys = vec![read_key(bk.dir.join(format!("{name}.log.key")))];
        for peer in self.bookkeepers.iter().filter(|b| b.name != name) {
            keys.push(read_key(
                peer.dir.join(format!("{}.witness.key", peer.name)),
            ));
        }
        let root = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [0x66u8; 32]);
        let forged_text = format!("{origin}\n{size}\n{root}\n");
        let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
        let forged = tally_tlog::note::sign(forged_text.as_bytes(), &keys, now).unwrap();
        let port = self.stop_bookkeeper(name);
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        std::thread::spawn(move || serve_fork(listener, forged));
        size
    }
}

async fn futures(net: &Network) -> Vec<Node> {
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(net.start(i).await);
    }
    nodes
}

/// Serves the forged checkpoint (and no witness evidence) until the test process ends.
fn serve_fork(listener: TcpListener, note: Vec<u8>) {
    for stream in listener.incoming().flatten() {
        let mut stream = stream;
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).unwrap_or(0);
        let head = String::from_utf8_lossy(&buf[..n]);
        let path = head.split_whitespace().nth(1).unwrap_or("/");
        let (status, body): (&str, Vec<u8>) = if path.starts_with("/checkpoint") {
            ("200 OK", note.clone())
        } else if path.starts_with("/evidence") {
            ("200 OK", br#"{"evidence":[]}"#.to_vec())
        } else {
            (
                "404 Not Found",
                br#"{"error":"not_found","message":"forked"}"#.to_vec(),
            )
        };
        let _ = stream.write_all(
            format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        let _ = stream.write_all(&body);
    }
}

/// A plain HTTP GET on 127.0.0.1: status and body.
pub fn http_get(url: &str) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host).expect("connect");
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(p) = rest.windows(2).position(|w| w == b"\r\n") {
            let n =
                usize::from_str_radix(String::from_utf8_lossy(&rest[..p]).trim(), 16).unwrap_or(0);
            if n == 0 || rest.len() < p + 2 + n {
                break;
            }
            out.extend_from_slice(&rest[p + 2..p + 2 + n]);
            rest = &rest[(p + 4 + n).min(rest.len())..];
        }
        body = out;
    }
    (status, body)
}

impl Drop for Demo {
    fn drop(&mut self) {
        match &mut self.kind {
            Kind::Processes { tally, net_dir } => {
                let _ = Command::new(&*tally)
                    .args(["network", "down", "--dir"])
                    .arg(&*net_dir)
                    .status();
            }
            Kind::InProcess { rt, nodes, .. } => {
                for node in nodes.iter_mut().filter_map(Option::take) {
                    rt.block_on(node.stop());
                }
            }
        }
    }
}
