//! The field workflows through the real `tally` binary against real bookkeeper processes:
//! governance registers an organisation, a warehouse device enrols, records a handoff while every
//! bookkeeper is down, and flushes it when they return; and a bookkeeper restarted from an old
//! copy of its database is caught by the client's trust state as a rollback, set aside, while the
//! other two still prove the history.

use serde_json::Value;
use std::path::{Path, PathBuf};
use tally_e2e::{path_str, poll, tally, Guard, Run};
use tally_testkit::with_check;

const GTIN: &str = "09506000134352";

fn unit(serial: u32) -> String {
    format!("https://id.gs1.org/01/{GTIN}/10/L1/21/{serial}")
}

/// A network of three, a client home with the policy, a registered organisation and an enrolled
/// device certified for commissioning and shipping at its place.
struct Field {
    guard: Guard,
    home: String,
    passphrase: String,
}

impl Field {
    fn dir(&self) -> PathBuf {
        self.guard.0.path().to_path_buf()
    }

    fn net(&self) -> String {
        path_str(&self.guard.dir())
    }

    /// Runs `tally ARGS --home HOME`.
    fn run(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--home", &self.home]);
        tally(&all, b"")
    }

    fn up(&self) {
        tally(
            &["network", "up", "--nodes", "3", "--dir", &self.net()],
            b"",
        )
        .expect(0);
    }

    fn down(&self, node: Option<&str>) {
        let net = self.net();
        let mut args = vec!["network", "down", "--dir", net.as_str()];
        if let Some(n) = node {
            args.extend(["--node", n]);
        }
        tally(&args, b"").expect(0);
    }

    fn new() -> Field {
        let guard = Guard::new();
        let base = guard.0.path().to_path_buf();
        let home = path_str(&base.join("home"));
        let passphrase = path_str(&base.join("passphrase"));
        std::fs::write(&passphrase, "correct horse battery\n").unwrap();
        let f = Field {
            guard,
            home,
            passphrase,
        };
        f.up();
        let net = f.guard.dir();
        f.run(&["policy", "install", &path_str(&net.join("policy.json"))])
            .expect(0);
        let keys = base.join("keys");
        std::fs::create_dir_all(&keys).unwrap();
        tally(
            &["keygen", "--name", "org.test", "--out", &path_str(&keys)],
            b"",
        )
        .expect(0);
        let (org, place) = (with_check("950600000001"), with_check("950600000002"));
        let gov = path_str(&net.join("governance.key"));
        let org_pub = path_str(&keys.join("org.test.pub"));
        f.run(&[
            "org",
            "register",
            "--key",
            &gov,
            "--gln",
            &org,
            "--name",
            "Test Org",
            "--country",
            "NZ",
            "--org-key",
            &org_pub,
        ])
        .expect(0);
        let out = f
            .run(&[
                "device",
                "init",
                "--name",
                "dock-1",
                "--passphrase-file",
                &f.passphrase,
            ])
            .expect(0)
            .out();
        assert!(out.starts_with("dock-1+"), "{out}");
        let request = f
            .run(&[
                "device",
                "request",
                "--org",
                &org,
                "--role",
                "commissioning",
                "--role",
                "shipping",
                "--place",
                &place,
                "--label",
                "Dock 1",
                "--passphrase-file",
                &f.passphrase,
            ])
            .expect(0)
            .stdout;
        let req = base.join("request.note");
        std::fs::write(&req, request).unwrap();
        let cert = path_str(&base.join("dock-1.cert"));
        let org_key = path_str(&keys.join("org.test.key"));
        f.run(&[
            "org",
            "certify",
            "--key",
            &org_key,
            "--request",
            &path_str(&req),
            "--out",
            &cert,
            "--from",
            "2026-01-01T00:00:00Z",
            "--days",
            "730",
        ])
        .expect(0);
        let imported = f.run(&["device", "import", &cert]).expect(0).out();
        assert!(
            imported.contains("\"roles\":[\"commissioning\",\"shipping\"]"),
            "{imported}"
        );
        f
    }

    fn record_commission(&self, serial: u32) -> Run {
        self.run(&[
            "record",
            "commission",
            "--item",
            &unit(serial),
            "--time",
            "2026-03-01T08:00:00+13:00",
            "--passphrase-file",
            &self.passphrase,
        ])
    }

    /// Scans `serial` until its verdict (JSON) satisfies `done`; returns the last answer.
    fn scan_until(&self, serial: u32, done: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        poll(&format!("unit {serial}'s verdict"), || {
            let run = self.run(&["scan", &unit(serial), "--json"]);
            last = serde_json::from_slice(&run.stdout).unwrap_or(Value::Null);
            done(&last)
        });
        last
    }

    /// The sizes of the three logs as `tally monitor` sees them.
    fn sizes(&self) -> Vec<u64> {
        let m: Value =
            serde_json::from_slice(&self.run(&["monitor", "--json"]).stdout).unwrap_or_default();
        m["logs"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x["size"].as_u64()).collect())
            .unwrap_or_default()
    }
}

fn status(v: &Value) -> &str {
    v["status"].as_str().unwrap_or("")
}

#[test]
fn a_handoff_recorded_offline_is_sent_when_the_bookkeepers_return() {
    let f = Field::new();
    f.down(None);
    // Every bookkeeper is down: recording still succeeds, the entry stays queued.
    let out = f.record_commission(1).expect(0).out();
    assert!(
        out.contains("queued ") && out.contains("commissioning"),
        "{out}"
    );
    assert!(
        out.contains("1 entries still waiting for a receipt (3 deliveries)"),
        "{out}"
    );
    let outbox: Value =
        serde_json::from_slice(&f.run(&["outbox", "--json"]).expect(0).stdout).unwrap();
    let mine = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["summary"].as_str().unwrap().starts_with("commissioning"))
        .unwrap();
    let deliveries = mine["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 3);
    assert!(deliveries
        .iter()
        .all(|d| d["receipt"].is_null() && d["last_error"].is_string()));

    f.up();
    let flushed = f.run(&["outbox", "flush"]).expect(0).out();
    assert!(flushed.contains("0 entries still waiting"), "{flushed}");
    let outbox: Value =
        serde_json::from_slice(&f.run(&["outbox", "--json"]).expect(0).stdout).unwrap();
    assert!(outbox.as_array().unwrap().iter().all(|i| i["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["receipt"].as_str().is_some_and(|r| {
            // Each entry's own receipt out of its bundle's (tally_trust::receipt::EntryReceipt).
            serde_json::from_str::<Value>(r).is_ok_and(|r| {
                r["batch"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("tally/receipt-batch/v1\n"))
                    && r["proof"].is_array()
            })
        }))));
    let v = f.scan_until(1, |v| status(v) == "verified");
    assert_eq!(v["steps"][0]["org"], "Test Org");
    assert_eq!(
        v["steps"][0]["evidence"]["bookkeepers"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // A shipment from flags, then an event from an EPCIS file, signed as it is.
    let to = with_check("950600000003");
    f.run(&[
        "record",
        "ship",
        "--item",
        &unit(1),
        "--to",
        &to,
        "--time",
        "2026-03-02T08:00:00Z",
        "--reading",
        "3.5",
        "--doc",
        "desadv:urn:example:desadv:1",
        "--passphrase-file",
        &f.passphrase,
    ])
    .expect(0);
    let file = f.dir().join("event.json");
    let event = serde_json::json!({
        "type": "ObjectEvent", "action": "ADD", "eventTime": "2026-03-03T08:00:00Z",
        "eventTimeZoneOffset": "+00:00", "epcList": [unit(5)], "bizStep": "commissioning",
        "readPoint": {"id": format!("https://id.gs1.org/414/{}", with_check("950600000002"))},
    });
    std::fs::write(&file, event.to_string()).unwrap();
    f.run(&[
        "record",
        "epcis",
        "--epcis",
        &path_str(&file),
        "--passphrase-file",
        &f.passphrase,
    ])
    .expect(0);
    let shipped = f.scan_until(1, |v| v["steps"].as_array().is_some_and(|s| s.len() == 2));
    assert_eq!(shipped["steps"][1]["stage"], "shipping");
    assert_eq!(shipped["steps"][1]["temperatures"][0]["celsius"], 3.5);
    f.scan_until(5, |v| status(v) == "verified");
    // A step the device is not certified for is refused by every bookkeeper: the command says
    // so with exit 1, and the entry stays queued.
    let run = f
        .run(&[
            "record",
            "sell",
            "--item",
            &unit(1),
            "--time",
            "2026-03-04T08:00:00Z",
            "--passphrase-file",
            &f.passphrase,
        ])
        .expect(1);
    let out = run.out();
    assert!(
        out.contains("not_authorised") && out.contains("1 entries still waiting"),
        "{out}"
    );
    assert!(
        run.stderr.contains("every bookkeeper refused"),
        "{}",
        run.stderr
    );
}

/// Copies a stopped bookkeeper's database files (`.db`, and `-wal`/`-shm` if present).
fn copy_db(from: &Path, to: &Path, node: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let src = from.join(format!("{node}.db{suffix}"));
        let dst = to.join(format!("{node}.db{suffix}"));
        let _ = std::fs::remove_file(&dst);
        if src.exists() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

#[test]
fn a_bookkeeper_restarted_from_an_old_database_is_caught_rolling_back() {
    let f = Field::new();
    f.record_commission(1).expect(0);
    f.scan_until(1, |v| status(v) == "verified");
    let before = f.sizes();
    // bk2's database as it is now.
    let snapshot = f.dir().join("snapshot");
    std::fs::create_dir_all(&snapshot).unwrap();
    f.down(Some("bk2"));
    copy_db(&f.guard.dir(), &snapshot, "bk2");
    f.up();
    // The logs grow, and the client sees (and trusts) the larger trees.
    f.record_commission(2).expect(0);
    f.scan_until(2, |v| status(v) == "verified");
    poll("the client to trust the grown logs", || {
        let s = f.sizes();
        s.len() == 3 && s.iter().zip(&before).all(|(now, then)| now > then)
    });
    f.scan_until(2, |v| status(v) == "verified");

    // bk2's operator puts the old database back. bk2 is caught and set aside, with both signed
    // notes kept; bk1 and bk3 still prove the unit's history: verified, with a warning.
    f.down(Some("bk2"));
    copy_db(&snapshot, &f.guard.dir(), "bk2");
    f.up();
    let rolled_back = |v: &Value| {
        v["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w["code"] == "log_inconsistent"))
    };
    let v = f.scan_until(1, |v| status(v) == "warning" && rolled_back(v));
    assert_eq!(v["steps"].as_array().unwrap().len(), 1, "{v}");
    let rollback = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "log_inconsistent")
        .unwrap_or_else(|| panic!("no log_inconsistent warning: {v}"));
    assert_eq!(rollback["bookkeeper"], "bk2");
    assert_eq!(rollback["params"]["kind"], "rollback");
    // The monitor raises the alarm too, with both signed notes kept.
    let run = f.run(&["monitor", "--json"]);
    let m: Value = serde_json::from_slice(&run.stdout).unwrap();
    let alert = m["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["bookkeeper"] == "bk2" && a["kind"] == "rollback")
        .unwrap_or_else(|| panic!("no rollback alert: {m}"));
    assert!(alert["old_size"].as_u64().unwrap() > alert["new_size"].as_u64().unwrap());
    assert!(alert["old_note"]
        .as_str()
        .unwrap()
        .contains("bk2.tally.local/log"));
    assert!(alert["new_note"]
        .as_str()
        .unwrap()
        .contains("bk2.tally.local/log"));
    let text = f.run(&["monitor"]).out();
    assert!(text.contains("ALERT rollback by bk2"), "{text}");
    // However often it is met again, one rollback is one alert.
    f.run(&["scan", &unit(1), "--json"]);
    let again: Value = serde_json::from_slice(&f.run(&["monitor", "--json"]).stdout).unwrap();
    let rollbacks = again["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["bookkeeper"] == "bk2" && a["kind"] == "rollback")
        .count();
    assert_eq!(rollbacks, 1, "{again}");
}

#[test]
fn a_revoked_key_cannot_log_an_event_dated_before_its_revocation() {
    let f = Field::new();
    f.record_commission(1).expect(0);
    let shown = f.run(&["device", "show"]).expect(0).out();
    let device = shown
        .lines()
        .find_map(|l| l.strip_prefix("key "))
        .unwrap()
        .to_owned();
    let org_key = path_str(&f.dir().join("keys").join("org.test.key"));
    // The organisation revokes the device from June; a thief then signs an event dated March.
    f.run(&[
        "org",
        "revoke",
        "--key",
        &org_key,
        "--target",
        &device,
        "--since",
        "2026-06-01T00:00:00Z",
        "--reason",
        "device stolen",
    ])
    .expect(0);
    let run = f.record_commission(2).expect(1);
    assert!(run.out().contains("signer_revoked"), "{}", run.out());
    assert!(
        run.stderr.contains("every bookkeeper refused"),
        "{}",
        run.stderr
    );
    // What the device logged before the revocation still verifies.
    f.scan_until(1, |v| status(v) == "verified");
}
