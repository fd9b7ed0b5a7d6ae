//! The bookkeeper network the app is tested against: `tally demo --keep --dir DIR` (three real
//! bookkeeper processes on 127.0.0.1, the demo's journeys and labels, described in
//! `DIR/demo.json`), stopped with `tally network down` when dropped.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tally_tlog::SignerKey;

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

pub struct Demo {
    pub policy: PathBuf,
    pub registry_secret: PathBuf,
    /// The entitled regulator's recipient key file.
    pub regulator_key: PathBuf,
    /// The entitled trading partner's (the carrier's) recipient key file.
    pub partner_key: PathBuf,
    pub labels: Vec<Label>,
    /// The registered organisations' party GLNs.
    pub orgs: Vec<String>,
    pub warehouse: Warehouse,
    pub bookkeepers: Vec<Bookkeeper>,
    tally: PathBuf,
    net_dir: PathBuf,
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

impl Demo {
    /// Runs `tally demo --keep --dir DIR` and reads `DIR/demo.json`.
    pub fn start(tally: &Path, dir: &Path) -> Demo {
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
            registry_secret: PathBuf::from(s(&v["registry_secret"])),
            regulator_key: PathBuf::from(s(&v["regulator"]["key"])),
            partner_key: PathBuf::from(s(&v["partner"]["key"])),
            labels,
            orgs: v["orgs"]
                .as_array()
                .map(|a| a.iter().map(|o| s(&o["gln"])).collect())
                .unwrap_or_default(),
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
            tally: tally.to_owned(),
            net_dir,
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
        let pid =
            std::fs::read_to_string(self.net_dir.join(format!("{name}.pid"))).expect("pid file");
        let _ = Command::new("kill").args(["-TERM", pid.trim()]).status();
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
        let _ = Command::new(&self.tally)
            .args(["network", "down", "--dir"])
            .arg(&self.net_dir)
            .status();
    }
}
