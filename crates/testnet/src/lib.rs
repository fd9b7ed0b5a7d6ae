//! A real Tally network for tests: keys, policy and config files in a tempdir, bookkeepers served
//! in-process by `tally_bookkeeper::run` on free ports of 127.0.0.1, and the parties (governance,
//! an organisation, certified, revoked and unknown devices) that sign entries for them. Shared by
//! the bookkeeper's and the light client's tests; every helper panics on failure, as a test wants.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
pub use tally_testkit::{gln, key, sscc, t, with_check};
use tally_tlog::{KeyType, SignerKey, VerifierKey};
use tally_trust::{Entry, EntryKind, Record};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const GTIN: &str = "09506000134352";
/// Polling bound: attempts × `POLL` is far above any honest delay on a loaded machine.
pub const ATTEMPTS: usize = 600;
pub const POLL: Duration = Duration::from_millis(50);

pub fn unit(serial: u32) -> String {
    format!("https://id.gs1.org/01/{GTIN}/21/{serial}")
}

/// An EPCIS ObjectEvent (or AggregationEvent when `parent` is set) as JSON text.
pub fn event(time: &str, step: &str, epcs: &[String], place: &str, action: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "ObjectEvent",
        "action": action,
        "eventTime": time,
        "eventTimeZoneOffset": "+00:00",
        "epcList": epcs,
        "bizStep": step,
        "readPoint": {"id": format!("https://id.gs1.org/414/{place}")},
    }))
    .unwrap()
}

pub fn aggregation(
    time: &str,
    step: &str,
    parent: &str,
    children: &[String],
    place: &str,
    action: &str,
) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "type": "AggregationEvent",
        "action": action,
        "eventTime": time,
        "eventTimeZoneOffset": "+00:00",
        "parentID": parent,
        "childEPCs": children,
        "bizStep": step,
        "readPoint": {"id": format!("https://id.gs1.org/414/{place}")},
    }))
    .unwrap()
}

pub fn signed_event(json: &[u8], device: &SignerKey) -> Vec<u8> {
    Entry::sign_event(json, device).unwrap().encode()
}

/// Governance, one organisation and its devices.
pub struct Parties {
    pub gov: SignerKey,
    pub org: SignerKey,
    pub org_gln: String,
    /// Certified for every step used here at `place`.
    pub device: SignerKey,
    /// Certified for receiving only.
    pub receiver: SignerKey,
    /// Certified, then revoked.
    pub revoked: SignerKey,
    /// Never certified.
    pub stranger: SignerKey,
    pub place: String,
}

impl Default for Parties {
    fn default() -> Self {
        Self::new()
    }
}

impl Parties {
    pub fn new() -> Self {
        Parties {
            gov: key("gov.tally.example", KeyType::Ed25519, 200),
            org: key("org-1", KeyType::Ed25519, 10),
            org_gln: gln(1),
            device: key("device-1", KeyType::Ed25519, 30),
            receiver: key("device-2", KeyType::Ed25519, 31),
            revoked: key("device-3", KeyType::Ed25519, 32),
            stranger: key("device-4", KeyType::Ed25519, 33),
            place: gln(2),
        }
    }

    fn certify(&self, device: &SignerKey, roles: &[&str]) -> Vec<u8> {
        let r = Record::Certification {
            org: self.org_gln.clone(),
            device: device.verifier().to_string(),
            roles: roles.iter().map(|s| s.to_string()).collect(),
            places: vec![self.place.clone()],
            valid_from: t("2026-01-01T00:00:00Z"),
            expires: t("2027-01-01T00:00:00Z"),
        };
        Entry::sign(r.kind(), r.to_payload(), None, &self.org)
            .unwrap()
            .encode()
    }

    /// Registration, certifications and a revocation, in the order they must be logged.
    pub fn registry_entries(&self) -> Vec<Vec<u8>> {
        let reg = Record::Registration {
            gln: self.org_gln.clone(),
            name: "Org 1".into(),
            country: "NZ".into(),
            key: self.org.verifier().to_string(),
            domains: vec![],
            prefixes: vec![],
        };
        let revoke = Record::Revocation {
            key: self.revoked.verifier().to_string(),
            since: t("2026-02-01T00:00:00Z"),
            reason: "device lost".into(),
        };
        vec![
            Entry::sign(reg.kind(), reg.to_payload(), None, &self.gov)
                .unwrap()
                .encode(),
            self.certify(
                &self.device,
                &["commissioning", "packing", "shipping", "receiving"],
            ),
            self.certify(&self.receiver, &["receiving"]),
            self.certify(&self.revoked, &["commissioning"]),
            Entry::sign(EntryKind::Revocation, revoke.to_payload(), None, &self.org)
                .unwrap()
                .encode(),
        ]
    }

    /// A valid commissioning event of unit `serial`, signed by the certified device.
    pub fn commission(&self, serial: u32) -> Vec<u8> {
        signed_event(
            &event(
                "2026-03-01T08:00:00Z",
                "commissioning",
                &[unit(serial)],
                &self.place,
                "ADD",
            ),
            &self.device,
        )
    }
}

/// A 20-event history of `unit` signed by the parties' device: commissioned, shipped and
/// received nine times, then packed onto pallet `pallet` (the benchmarks' product).
pub fn twenty_events(p: &Parties, unit: &str, pallet: &str) -> Vec<Vec<u8>> {
    let units = [unit.to_owned()];
    let mut out = vec![signed_event(
        &event(
            "2026-03-01T08:00:00Z",
            "commissioning",
            &units,
            &p.place,
            "ADD",
        ),
        &p.device,
    )];
    for k in 0..9u32 {
        for (step, h) in [("shipping", 2 * k), ("receiving", 2 * k + 1)] {
            let time = format!("2026-03-{:02}T{:02}:00:00Z", 2 + k, 8 + h % 12);
            out.push(signed_event(
                &event(&time, step, &units, &p.place, "OBSERVE"),
                &p.device,
            ));
        }
    }
    out.push(signed_event(
        &aggregation(
            "2026-03-20T08:00:00Z",
            "packing",
            pallet,
            &units,
            &p.place,
            "ADD",
        ),
        &p.device,
    ));
    out
}

/// The environment variable that puts every test network's logs in PostgreSQL: with
/// `TALLY_TEST_STORAGE=postgres`, a [`Network`] starts a PostgreSQL server of its own and each
/// bookkeeper keeps its log in a database there; otherwise in SQLite files (the default).
pub const STORAGE: &str = "TALLY_TEST_STORAGE";

/// Whether this run keeps the test networks' logs in PostgreSQL ([`STORAGE`]).
pub fn on_postgres() -> bool {
    std::env::var(STORAGE).is_ok_and(|v| v == "postgres")
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running bookkeeper.
pub struct Node {
    pub url: String,
    pub log: VerifierKey,
    pub config: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), tally_bookkeeper::ServeError>>>,
}

impl Node {
    /// Stops it gracefully and returns what `run` returned.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// A network of `n` bookkeepers: its files live in `dir`.
pub struct Network {
    /// The PostgreSQL server the bookkeepers keep their logs in, when the tests run on it
    /// ([`STORAGE`]); stopped when the network is dropped.
    pub postgres: Option<tally_testkit::postgres::Postgres>,
    pub dir: TempDir,
    pub parties: Parties,
    pub logs: Vec<SignerKey>,
    pub witnesses: Vec<SignerKey>,
    pub ports: Vec<u16>,
    pub client: reqwest::Client,
}

impl Network {
    /// `n` bookkeepers, log quorum 1, every peer's cosignature required.
    pub fn new(n: usize) -> Self {
        Self::with_quorums(n, 1, n.saturating_sub(1))
    }

    /// `n` bookkeepers, each its own operator, with the given log quorum and witness threshold.
    pub fn with_quorums(n: usize, log_quorum: usize, witness_threshold: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let parties = Parties::new();
        let logs: Vec<SignerKey> = (0..n)
            .map(|i| {
                key(
                    &format!("bk{i}.tally.example/log"),
                    KeyType::Ed25519,
                    100 + i as u8,
                )
            })
            .collect();
        let witnesses: Vec<SignerKey> = (0..n)
            .map(|i| {
                key(
                    &format!("bk{i}.tally.example/witness"),
                    KeyType::Cosignature,
                    150 + i as u8,
                )
            })
            .collect();
        let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let policy = json!({
            "network": "tally.example",
            "governance": [parties.gov.verifier().to_string()],
            "bookkeepers": (0..n).map(|i| json!({
                "name": format!("bk{i}"),
                "operator": format!("Operator {i}"),
                "log_key": logs[i].verifier().to_string(),
                "witness_key": witnesses[i].verifier().to_string(),
                "urls": [format!("http://127.0.0.1:{}", ports[i])],
            })).collect::<Vec<_>>(),
            "log_quorum": log_quorum,
            "witness_threshold": witness_threshold,
            // One node alone has no peer to witness it: say so, as a policy must.
            "allow_unwitnessed": witness_threshold == 0,
            "cold_chain": [],
        });
        std::fs::write(dir.path().join("policy.json"), policy.to_string()).unwrap();
        let secret = Self::registry_secret_of();
        std::fs::write(dir.path().join("registry.secret"), secret.to_string()).unwrap();
        let postgres = on_postgres().then(tally_testkit::postgres::Postgres::start);
        for i in 0..n {
            let p = dir.path();
            std::fs::write(p.join(format!("bk{i}.log.key")), logs[i].to_secret_string()).unwrap();
            std::fs::write(
                p.join(format!("bk{i}.witness.key")),
                witnesses[i].to_secret_string(),
            )
            .unwrap();
            let config = json!({
                "name": format!("bk{i}"),
                "listen": format!("127.0.0.1:{}", ports[i]),
                "database": p.join(format!("bk{i}.db")),
                "policy": p.join("policy.json"),
                "log_key": p.join(format!("bk{i}.log.key")),
                "witness_key": p.join(format!("bk{i}.witness.key")),
                "checkpoint_interval_ms": 100,
                "max_batch": 256,
                "registry_secret": p.join("registry.secret"),
            });
            let mut config = config;
            if let Some(server) = &postgres {
                config["database"] = Value::Null;
                config["storage"] = server.database(&format!("bk{i}")).into();
            }
            std::fs::write(p.join(format!("bk{i}.json")), config.to_string()).unwrap();
        }
        Network {
            postgres,
            dir,
            parties,
            logs,
            witnesses,
            ports,
            client: reqwest::Client::new(),
        }
    }

    /// The network's registry secret (every bookkeeper's config names it): what a member
    /// installs to read and seal a confidential network's registry.
    pub fn registry_secret(&self) -> tally_confidential::LabelSecret {
        Self::registry_secret_of()
    }

    fn registry_secret_of() -> tally_confidential::LabelSecret {
        tally_confidential::LabelSecret::from_bytes([7; 16])
    }

    /// Replaces the registry secret file the configs name (newest first): a rotation, which the
    /// bookkeepers read when they start.
    pub fn set_registry_secrets(&self, secrets: &[tally_confidential::LabelSecret]) {
        let lines: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        std::fs::write(self.dir.path().join("registry.secret"), lines.join("\n")).unwrap();
    }

    /// Registry record `bytes` (of [`Parties`]) as a member with registry secret `member` submits
    /// it: sealed as `tally_trust::sealed_registry` says.
    pub fn sealed_record(&self, bytes: &[u8], member: &tally_confidential::LabelSecret) -> Vec<u8> {
        let entry = Entry::decode(bytes).unwrap();
        let org = *self.parties.org.verifier().ed25519().as_bytes();
        let rule = tally_trust::sealed_registry::sealing(&entry, member, |_| Some(org)).unwrap();
        let contents = tally_confidential::Contents {
            entry: bytes,
            links: &rule.links,
            withheld: &[],
        };
        let labels = &rule.seal_for;
        (tally_confidential::Submission::seal(&contents, labels, &[], &mut rand_core::OsRng))
            .unwrap()
            .encode()
    }

    /// Sets fields of the network policy (before the bookkeepers start).
    pub fn set_policy(&self, fields: Value) {
        let path = self.dir.path().join("policy.json");
        let mut policy: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for (k, v) in fields.as_object().expect("an object of policy fields") {
            policy[k] = v.clone();
        }
        std::fs::write(&path, policy.to_string()).unwrap();
    }

    /// Sets fields of bookkeeper `i`'s config file (before it starts).
    pub fn configure(&self, i: usize, fields: Value) {
        let path = self.dir.path().join(format!("bk{i}.json"));
        let mut config: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for (k, v) in fields.as_object().expect("an object of config fields") {
            config[k] = v.clone();
        }
        std::fs::write(&path, config.to_string()).unwrap();
    }

    /// The network's policy file, as a client installs it.
    pub fn policy_json(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("policy.json")).unwrap()
    }

    /// Waits until bookkeeper `i`'s latest checkpoint has exactly `size` entries and carries at
    /// least `cosignatures` cosignatures from its peers.
    pub async fn cosigned_checkpoint(&self, i: usize, size: u64, cosignatures: usize) {
        let log = self.logs[i].verifier();
        let witnesses: Vec<VerifierKey> = (0..self.logs.len())
            .filter(|&j| j != i)
            .map(|j| self.witnesses[j].verifier())
            .collect();
        self.checkpoint_where(i, |n| {
            tally_tlog::checkpoint::verify(n, &log, &witnesses, cosignatures)
                .is_ok_and(|v| v.checkpoint.size() == size)
        })
        .await;
    }

    pub fn url(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[i])
    }

    /// Starts bookkeeper `i` and waits until it answers `/health`.
    pub async fn start(&self, i: usize) -> Node {
        let path = self.dir.path().join(format!("bk{i}.json"));
        let config = tally_bookkeeper::Config::load(&path).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(tally_bookkeeper::run(config, async {
            let _ = stopped.await;
        }));
        let node = Node {
            url: self.url(i),
            log: self.logs[i].verifier(),
            config: path,
            stop: Some(stop),
            task: Some(task),
        };
        for _ in 0..ATTEMPTS {
            if let Ok(r) = self.client.get(format!("{}/health", node.url)).send().await {
                if r.status() == 200 {
                    return node;
                }
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("bookkeeper {i} did not become healthy");
    }

    /// Copies stopped bookkeeper `i`'s log aside (its SQLite files, or its PostgreSQL database)
    /// as backup `name`.
    pub fn backup(&self, i: usize, name: &str) {
        self.copy_log(&format!("bk{i}"), name);
    }

    /// Puts backup `name` back as stopped bookkeeper `i`'s log: a restore from an old backup.
    pub fn restore(&self, i: usize, name: &str) {
        self.copy_log(name, &format!("bk{i}"));
    }

    fn copy_log(&self, from: &str, to: &str) {
        if let Some(server) = &self.postgres {
            return server.copy(from, to);
        }
        for suffix in ["", "-wal", "-shm"] {
            let source = self.dir.path().join(format!("{from}.db{suffix}"));
            let dest = self.dir.path().join(format!("{to}.db{suffix}"));
            let _ = std::fs::remove_file(&dest);
            if source.exists() {
                std::fs::copy(&source, &dest).unwrap();
            }
        }
    }

    /// Starts every bookkeeper, in order.
    pub async fn start_all(&self) -> Vec<Node> {
        let mut nodes = Vec::new();
        for i in 0..self.ports.len() {
            nodes.push(self.start(i).await);
        }
        nodes
    }

    /// Submits each entry to every bookkeeper (not left to broadcast, as a device's outbox
    /// sends), asserting each is accepted.
    pub async fn submit_to_all(&self, entries: &[Vec<u8>]) {
        for e in entries {
            for i in 0..self.ports.len() {
                let (status, body) = self.submit(i, e).await;
                assert_eq!(status, 200, "bk{i}: {}", String::from_utf8_lossy(&body));
            }
        }
    }

    /// POSTs an entry to `/submit`: status and body.
    pub async fn submit(&self, i: usize, entry: &[u8]) -> (u16, Vec<u8>) {
        let r = self
            .client
            .post(format!("{}/submit", self.url(i)))
            .body(entry.to_vec())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    }

    pub async fn get(&self, i: usize, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url(i)))
            .send()
            .await
            .unwrap()
    }

    pub async fn json(&self, i: usize, path: &str) -> Value {
        let r = self.get(i, path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    pub async fn log_size(&self, i: usize) -> u64 {
        self.json(i, "/health").await["size"].as_u64().unwrap()
    }

    /// Polls `/checkpoint` until `accept` holds for it, and returns it.
    pub async fn checkpoint_where(&self, i: usize, accept: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        for _ in 0..ATTEMPTS {
            let r = self.get(i, "/checkpoint").await;
            if r.status() == 200 {
                let note = r.bytes().await.unwrap().to_vec();
                if accept(&note) {
                    return note;
                }
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("bookkeeper {i}'s checkpoint never reached the expected state");
    }

    /// The checkpoint of bookkeeper `i` once its size is `size`, verified with its log key.
    pub async fn checkpoint_of_size(&self, i: usize, size: u64) -> tally_tlog::VerifiedCheckpoint {
        let log = self.logs[i].verifier();
        let note = self
            .checkpoint_where(i, |n| {
                tally_tlog::checkpoint::verify(n, &log, &[], 0)
                    .is_ok_and(|v| v.checkpoint.size() == size)
            })
            .await;
        tally_tlog::checkpoint::verify(&note, &log, &[], 0).unwrap()
    }
}
