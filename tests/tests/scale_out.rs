//! The demo on the scale-out stores: static reads, and logs in PostgreSQL.
//!
//! Static reads: each bookkeeper publishes its checkpoint, tiles and entry bundles as files, a
//! real nginx serves them, and a light client verifies every demo product from those files. The
//! bookkeepers answer it one question only: which entries concern a product
//! (`/history/indices`, proxied by the same nginx, which refuses every other path). A mirror that
//! alters the files turns no verdict.

use serde_json::Value;
use std::path::Path;
use tally_e2e::nginx::{Nginx, Proxy};
use tally_e2e::{path_str, tally, warning_codes, Guard};
use tally_tlog::tiles::{TileKind, TilePath, TILE_WIDTH};

/// `tally history URI --json` on the phone at `home`.
fn history(uri: &str, home: &str) -> Value {
    let run = tally(&["history", uri, "--json", "--home", home], b"");
    serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|_| panic!("no history for {uri}: {}", run.out()))
}

/// The warnings' codes but the note that some bookkeeper's answer was not used.
fn problems(h: &Value) -> Vec<String> {
    let mut c = warning_codes(h);
    c.retain(|c| c != "partly_reachable");
    c
}

/// The level-0 hash tile that holds the last leaf of `bk`'s published checkpoint.
fn last_leaf_tile(published: &Path, bk: &str) -> std::path::PathBuf {
    let note = std::fs::read(published.join(bk).join("checkpoint")).unwrap();
    published.join(bk).join(last_leaf_tile_of(&note))
}

/// The path of the level-0 hash tile that holds the last leaf of checkpoint `note`.
fn last_leaf_tile_of(note: &[u8]) -> String {
    let size = tally_tlog::checkpoint::parse_unverified(note)
        .unwrap()
        .size();
    let width = u64::from(TILE_WIDTH);
    TilePath {
        kind: TileKind::Hashes(0),
        index: (size - 1) / width,
        width: u32::try_from((size - 1) % width + 1).unwrap(),
    }
    .path()
}

/// The summary of the demo kept in `dir`, once every scenario of it is checked to have had its
/// verdict.
fn every_scenario_ok(dir: &Path) -> Value {
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo.json")).unwrap()).unwrap();
    let results = summary["results"].as_array().unwrap();
    assert!(
        results.len() >= 12 && results.iter().all(|r| r["ok"] == true),
        "{results:?}"
    );
    summary
}

/// Held by each test here for its whole run: each runs a whole demo (three bookkeepers, eleven
/// organisations, every scenario) and then checks verdicts that a client's timeouts would turn
/// if three demos shared this machine's cores at once.
fn one_demo_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static DEMO: std::sync::Mutex<()> = std::sync::Mutex::new(());
    DEMO.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Flips one bit of `file`'s last byte; returns its bytes as they were.
fn corrupt(file: &Path) -> Vec<u8> {
    let original = std::fs::read(file).unwrap();
    let mut altered = original.clone();
    *altered.last_mut().unwrap() ^= 1;
    std::fs::write(file, altered).unwrap();
    original
}

#[test]
fn every_demo_product_verifies_from_files_a_web_server_serves() {
    let _one = one_demo_at_a_time();
    let guard = Guard::at("demo/net");
    let root = guard.0.path();
    let published = root.join("published");
    std::fs::create_dir_all(&published).unwrap();
    let mut nginx = Nginx::serve(&published, &root.join("nginx"));
    let tiles_url = format!("http://127.0.0.1:{}", nginx.port);

    // The whole demo, every one of its verifications reading the published files; it exits 1 if
    // a scenario does not get its verdict (a database the operator rewrote is here a bundle the
    // operator rewrote: the client reads the files).
    let dir = root.join("demo");
    let d = path_str(&dir);
    let p = path_str(&published);
    tally(
        &[
            "demo",
            "--dir",
            &d,
            "--keep",
            "--publish",
            &p,
            "--tiles-url",
            &tiles_url,
        ],
        b"",
    )
    .expect(0);
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("demo.json")).unwrap()).unwrap();
    let served = nginx.requests();
    for bk in ["bk1", "bk2", "bk3"] {
        for what in ["checkpoint 200", "tile/0/", "tile/entries/"] {
            let wanted = format!("GET /{bk}/{what}");
            assert!(
                served
                    .iter()
                    .any(|r| r.starts_with(&wanted) && r.ends_with(" 200")),
                "no {wanted} in {served:?}"
            );
        }
    }

    // A fresh phone whose policy sends everything but the product index to the files: nginx
    // passes /bkN-index/history/indices to bookkeeper bkN and refuses all else there.
    let mut policy: Value =
        serde_json::from_slice(&std::fs::read(summary["policy"].as_str().unwrap()).unwrap())
            .unwrap();
    let mut proxies = Vec::new();
    for (bk, listed) in summary["bookkeepers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(policy["bookkeepers"].as_array_mut().unwrap())
    {
        let name = bk["name"].as_str().unwrap();
        assert_eq!(listed["name"], name);
        assert_eq!(listed["tiles"], format!("{tiles_url}/{name}/"));
        let prefix = format!("/{name}-index");
        listed["urls"] = serde_json::json!([format!("{tiles_url}{prefix}")]);
        proxies.push(Proxy {
            prefix,
            path: "/history/indices".into(),
            upstream: bk["url"].as_str().unwrap().to_owned(),
        });
    }
    nginx.reload_with(&proxies);
    let policy_file = root.join("static-policy.json");
    std::fs::write(&policy_file, policy.to_string()).unwrap();
    let home = path_str(&root.join("phone"));
    tally(
        &[
            "policy",
            "install",
            &path_str(&policy_file),
            "--home",
            &home,
        ],
        b"",
    )
    .expect(0);
    let before = nginx.requests().len();
    for label in summary["labels"].as_array().unwrap() {
        let uri = label["uri"].as_str().unwrap();
        let h = history(uri, &home);
        let (name, warnings) = (&label["name"], &h["warnings"]);
        assert_eq!(h["status"], label["expect"], "{name}: {warnings}");
        if let Some(w) = label["warning"].as_str() {
            assert!(
                warning_codes(&h).iter().any(|c| c == w),
                "{name}: {warnings}"
            );
        }
    }
    let asked: Vec<String> = nginx.requests().split_off(before);
    assert!(asked
        .iter()
        .any(|r| r.contains("-index/history/indices 200")));
    let refused: Vec<&String> = asked.iter().filter(|r| r.ends_with(" 403")).collect();
    assert!(
        refused.is_empty(),
        "asked a bookkeeper for more: {refused:?}"
    );

    // The mirror alters a hash tile of one log: that log's answer is unusable and named (a
    // warning, as for a bookkeeper answering nonsense); the two others still prove every step.
    // Of two logs: too few left to tell, never a fake.
    let can = summary["labels"][0]["uri"].as_str().unwrap();
    let tile1 = last_leaf_tile(&published, "bk1");
    let original1 = corrupt(&tile1);
    let h = history(can, &home);
    assert_eq!(h["status"], "warning", "{}", h["warnings"]);
    assert_eq!(problems(&h), ["log_malformed"], "{}", h["warnings"]);
    assert_eq!(h["steps"].as_array().unwrap().len(), 18);
    let named: Vec<&Value> = h["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "log_malformed")
        .map(|w| &w["bookkeeper"])
        .collect();
    assert_eq!(named, [&Value::from("bk1")], "{}", h["warnings"]);
    let tile2 = last_leaf_tile(&published, "bk2");
    let original2 = corrupt(&tile2);
    let h = history(can, &home);
    assert_eq!(h["status"], "unverifiable", "{}", h["warnings"]);
    std::fs::write(&tile1, original1).unwrap();
    std::fs::write(&tile2, original2).unwrap();
    let h = history(can, &home);
    assert_eq!(h["status"], "verified", "{}", h["warnings"]);

    // A mirror that loses a log's checkpoint: that log is unusable and named, every step still
    // proven (unless the log published its checkpoint again meanwhile, as it does to keep it
    // fresh).
    let checkpoint3 = published.join("bk3").join("checkpoint");
    std::fs::rename(&checkpoint3, published.join("bk3").join("moved")).unwrap();
    let h = history(can, &home);
    let lost = problems(&h) == ["log_malformed"] && h["status"] == "warning";
    assert!(
        lost || (checkpoint3.exists() && h["status"] == "verified"),
        "{}",
        h["warnings"]
    );
}

#[test]
fn the_whole_demo_runs_with_every_log_in_postgresql() {
    let _one = one_demo_at_a_time();
    let server = tally_testkit::postgres::Postgres::start();
    let guard = Guard::at("demo/net");
    let dir = guard.0.path().join("demo");
    // Every scenario, the dishonest operator's rewritten record and the careless one's restore
    // from an old backup among them, gets its verdict (the demo exits 1 otherwise).
    let run = tally(
        &[
            "demo",
            "--dir",
            &path_str(&dir),
            "--keep",
            "--storage",
            &server.url(""),
        ],
        b"",
    )
    .expect(0);
    assert!(run.out().contains("rewrites a record"), "{}", run.out());
    let config: Value =
        serde_json::from_slice(&std::fs::read(dir.join("net/bk2.json")).unwrap()).unwrap();
    assert_eq!(config["storage"], server.url("bk2"));
    assert!(!dir.join("net/bk2.db").exists());
    every_scenario_ok(&dir);
    // The network stops before its server.
    drop(guard);
}

/// The demo with every bookkeeper publishing to a bucket of a real S3-compatible store
/// (SeaweedFS), every verification reading the bucket anonymously: every scenario gets its
/// verdict, the dishonest operator's rewritten record is a rewritten object there, and a fresh
/// phone that reads the bucket verifies a product, and names the log whose tile was altered in it.
#[test]
fn the_whole_demo_runs_with_its_reads_published_to_an_s3_bucket() {
    let _one = one_demo_at_a_time();
    use tally_bookkeeper::publish::{S3Bucket, Sink};
    use tally_testkit::s3::S3Server;
    let s3 = S3Server::start();
    s3.create_bucket("tiles");
    // `tally` and the bookkeepers it starts read the store's settings as the AWS tools do.
    std::env::set_var("AWS_ENDPOINT_URL", s3.endpoint());
    std::env::set_var("AWS_ACCESS_KEY_ID", S3Server::ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", S3Server::SECRET_KEY);
    let guard = Guard::at("demo/net");
    let root = guard.0.path();
    let dir = root.join("demo");
    let tiles_url = format!("{}/tiles/demo", s3.endpoint());
    let run = tally(
        &[
            "demo",
            "--dir",
            &path_str(&dir),
            "--keep",
            "--publish",
            "s3://tiles/demo",
            "--tiles-url",
            &tiles_url,
        ],
        b"",
    )
    .expect(0);
    assert!(run.out().contains("rewrites a record"), "{}", run.out());
    let summary = every_scenario_ok(&dir);
    let home = path_str(&root.join("phone"));
    let policy = summary["policy"].as_str().unwrap();
    tally(&["policy", "install", policy, "--home", &home], b"").expect(0);
    let can = summary["labels"][0]["uri"].as_str().unwrap();
    let h = history(can, &home);
    assert_eq!(h["status"], "verified", "{}", h["warnings"]);

    // What the phone read came from the bucket: one hash tile of bk1 altered there is named.
    let bucket = S3Bucket::new(
        "tiles/demo/bk1",
        Some(&s3.endpoint()),
        S3Server::REGION,
        (S3Server::ACCESS_KEY, S3Server::SECRET_KEY),
    )
    .unwrap();
    let note = bucket.get("checkpoint").unwrap().expect("bk1's checkpoint");
    let tile = last_leaf_tile_of(&note);
    let original = bucket.get(&tile).unwrap().expect("bk1's last tile");
    let mut altered = original.clone();
    *altered.last_mut().unwrap() ^= 1;
    bucket.put(&tile, &altered).unwrap();
    let h = history(can, &home);
    assert_eq!(h["status"], "warning", "{}", h["warnings"]);
    assert_eq!(problems(&h), ["log_malformed"], "{}", h["warnings"]);
    bucket.put(&tile, &original).unwrap();
    let h = history(can, &home);
    assert_eq!(h["status"], "verified", "{}", h["warnings"]);
    // The network stops before the store.
    drop(guard);
}
