//! Static reads: a bookkeeper with `publish` in its config writes its checkpoint, tiles and entry
//! bundles as files. Every file is byte for byte what `GET /tile/…` serves, every tile a client
//! of the published checkpoint may need is there, a restart carries on where the files left off,
//! and `/history/indices` names exactly the entries `/history` serves.

use serde_json::json;
use std::path::{Path, PathBuf};
use tally_testnet::*;
use tally_tlog::tiles::{TileKind, TilePath, TILE_WIDTH};

/// Every file under `dir`, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![PathBuf::new()];
    while let Some(rel) = todo.pop() {
        for e in std::fs::read_dir(dir.join(&rel)).unwrap() {
            let e = e.unwrap();
            let path = rel.join(e.file_name());
            match e.file_type().unwrap().is_dir() {
                true => todo.push(path),
                false => out.push(path.to_string_lossy().into_owned()),
            }
        }
    }
    out.sort();
    out
}

/// The size of the published checkpoint (0 before there is one).
fn published_size(dir: &Path) -> u64 {
    std::fs::read(dir.join("checkpoint"))
        .ok()
        .and_then(|n| tally_tlog::checkpoint::parse_unverified(&n).ok())
        .map_or(0, |c| c.size())
}

/// Waits until the published checkpoint covers `size` entries, then checks every file against
/// what the bookkeeper serves, and that the tiles a client needs for that size are all there.
async fn check_published(net: &Network, dir: &Path, size: u64) {
    for _ in 0..ATTEMPTS {
        if published_size(dir) == size {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(
        published_size(dir),
        size,
        "the checkpoint was not published"
    );
    let all = files(dir);
    assert!(
        all.iter().all(|f| !f.contains(".tmp")),
        "a temporary file was left: {all:?}"
    );
    for f in all.iter().filter(|f| f.starts_with("tile/")) {
        let served = net.get(0, &format!("/{f}")).await;
        assert_eq!(served.status(), 200, "{f}");
        let bytes = served.bytes().await.unwrap();
        assert_eq!(std::fs::read(dir.join(f)).unwrap(), bytes, "{f}");
    }
    for tile in needed(size) {
        assert!(
            all.contains(&tile.path()),
            "{} missing: {all:?}",
            tile.path()
        );
    }
}

/// The tiles a client of a checkpoint of `size` leaves reads: the right edge of level 0, its
/// entries, every full entry bundle, and the level-1 tile over them.
fn needed(size: u64) -> Vec<TilePath> {
    let width = u64::from(TILE_WIDTH);
    let last = |n: u64| u32::try_from((n - 1) % width + 1).unwrap();
    let mut needed = vec![
        TilePath {
            kind: TileKind::Hashes(0),
            index: (size - 1) / width,
            width: last(size),
        },
        TilePath {
            kind: TileKind::Entries,
            index: (size - 1) / width,
            width: last(size),
        },
    ];
    needed.extend((0..size / width).map(|n| TilePath {
        kind: TileKind::Entries,
        index: n,
        width: TILE_WIDTH,
    }));
    if size >= width {
        needed.push(TilePath {
            kind: TileKind::Hashes(1),
            index: 0,
            width: u32::try_from(size / width).unwrap(),
        });
    }
    needed
}

/// Registers the parties and logs 300 events at bookkeeper 0: past one full tile of 256, so that
/// a level-1 tile and a full bundle are published. Returns the log's size.
async fn past_one_tile(net: &Network) -> u64 {
    let records = net.parties.registry_entries();
    for e in &records {
        assert_eq!(net.submit(0, e).await.0, 200);
    }
    for serial in 1..=300 {
        assert_eq!(net.submit(0, &net.parties.commission(serial)).await.0, 200);
    }
    records.len() as u64 + 300
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_files_are_the_logs_own_tiles_and_follow_it_across_a_restart() {
    let net = Network::with_quorums(1, 1, 0);
    let dir = net.dir.path().join("published");
    net.configure(0, json!({ "publish": dir }));
    let node = net.start(0).await;
    let size = past_one_tile(&net).await;
    check_published(&net, &dir, size).await;

    // `/history/indices` names what `/history` serves, in the same tree.
    let history = net.json(0, &format!("/history?key={}", unit(7))).await;
    let served: Vec<u64> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert!(!served.is_empty());
    let indices = net
        .json(0, &format!("/history/indices?key={}&size={size}", unit(7)))
        .await;
    assert_eq!(indices["size"], size);
    assert_eq!(indices["indices"], json!(served));
    // Within an older tree, only what it held.
    let older = net
        .json(0, &format!("/history/indices?key={}&size=2", unit(7)))
        .await;
    assert!(older["indices"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i.as_u64() < Some(2)));
    for bad in ["size=0", &format!("size={}", size + 1), "size=x"] {
        let r = net
            .get(0, &format!("/history/indices?key={}&{bad}", unit(7)))
            .await;
        assert_eq!(r.status(), 400, "{bad}");
    }

    // After a restart the files carry on from the published checkpoint.
    node.stop().await;
    let node = net.start(0).await;
    for serial in 301..=320 {
        assert_eq!(net.submit(0, &net.parties.commission(serial)).await.0, 200);
    }
    check_published(&net, &dir, size + 20).await;
    node.stop().await;
}

/// A bookkeeper that publishes to a real S3-compatible store (SeaweedFS): what an anonymous reader
/// gets from the bucket is what the bookkeeper serves, and bad credentials are a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_of_a_real_s3_store_serves_the_logs_own_tiles() {
    use tally_bookkeeper::publish::{S3Bucket, Sink};
    use tally_testkit::s3::S3Server;
    let s3 = tokio::task::spawn_blocking(|| {
        let s3 = S3Server::start();
        s3.create_bucket("tiles");
        s3
    })
    .await
    .unwrap();
    let endpoint = s3.endpoint();
    // The publisher reads its settings as the AWS tools do, from the environment.
    std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
    std::env::set_var("AWS_ACCESS_KEY_ID", S3Server::ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", S3Server::SECRET_KEY);
    let net = Network::with_quorums(1, 1, 0);
    net.configure(0, json!({ "publish": "s3://tiles/logs/bk1" }));
    let node = net.start(0).await;
    let size = past_one_tile(&net).await;
    let public = reqwest::Client::new();
    let read = |path: String| {
        let (public, url) = (public.clone(), format!("{endpoint}/tiles/logs/bk1/{path}"));
        async move {
            let r = public.get(url).send().await.unwrap();
            (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
        }
    };
    let mut published = 0;
    for _ in 0..ATTEMPTS {
        let (status, note) = read("checkpoint".into()).await;
        published = match status {
            200 => tally_tlog::checkpoint::parse_unverified(&note).map_or(0, |c| c.size()),
            _ => 0,
        };
        if published == size {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert_eq!(published, size, "the checkpoint was not published");
    let served = net.get(0, "/checkpoint").await.bytes().await.unwrap();
    assert_eq!(read("checkpoint".into()).await.1, served);
    for tile in needed(size) {
        let (status, bytes) = read(tile.path()).await;
        assert_eq!(status, 200, "{} is not in the bucket", tile.path());
        let served = net.get(0, &format!("/{}", tile.path())).await;
        assert_eq!(bytes, served.bytes().await.unwrap(), "{}", tile.path());
    }
    // Anonymous readers cannot write; the publisher's own errors name the object and the cause.
    let put = public
        .put(format!("{endpoint}/tiles/logs/bk1/checkpoint"))
        .body("forged")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 403);
    let at = endpoint.clone();
    let wrong = tokio::task::spawn_blocking(move || {
        let bucket = S3Bucket::new(
            "tiles/logs/bk1",
            Some(&at),
            S3Server::REGION,
            (S3Server::ACCESS_KEY, "not-the-secret"),
        )
        .unwrap();
        (
            bucket.put("checkpoint", b"forged"),
            bucket.get("checkpoint"),
        )
    })
    .await
    .unwrap();
    for e in [wrong.0.err(), wrong.1.err()] {
        let e = e.expect("a request with a wrong secret was accepted");
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied, "{e}");
        assert!(e.to_string().contains("logs/bk1/checkpoint"), "{e}");
    }
    assert_eq!(read("checkpoint".into()).await.1, served);
    node.stop().await;
}
