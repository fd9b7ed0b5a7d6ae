//! How fast the static publisher's stores take a log's objects: a directory (each file written
//! whole, flushed and renamed) and an S3-compatible bucket (SeaweedFS, started on loopback as the
//! tests start it; `TALLY_WEED` or `weed` on `PATH`), side by side.
//!
//! `cargo bench -p tally-bookkeeper --bench publish` writes the objects of a log of
//! `TALLY_PUBLISH_ENTRIES` entries (default 51,200) of 1,000 bytes, as the publisher does when it
//! catches up: per 256 entries one full entry bundle (~256 KB) and one level-0 hash tile (8 KB).
//! It prints the time per object (median, p99) and the throughput, and projects one million
//! entries. A checkpoint of a growing log writes only the few objects that changed, so the
//! per-object latency is what delays each publication.

use std::time::Instant;
use tally_bookkeeper::publish::{Directory, S3Bucket, Sink};
use tally_testkit::s3::S3Server;

const ENTRY_BYTES: usize = 1000;
const WIDTH: usize = 256;

/// The objects of `tiles` full tiles: each a bundle and a hash tile, with their paths.
fn objects(tiles: usize) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::with_capacity(tiles * 2);
    for n in 0..tiles as u64 {
        let bundle = tally_testkit::noise(2 * n, WIDTH * (ENTRY_BYTES + 2));
        let hashes = tally_testkit::noise(2 * n + 1, WIDTH * 32);
        out.push((format!("tile/entries/x{n:03}"), bundle));
        out.push((format!("tile/0/x{n:03}"), hashes));
    }
    out
}

/// Puts every object; prints the latencies of the bundles and of the hash tiles, and throughput.
fn run(name: &str, sink: &dyn Sink, objects: &[(String, Vec<u8>)], entries: usize) {
    let (mut bundles, mut tiles) = (Vec::new(), Vec::new());
    let start = Instant::now();
    for (path, data) in objects {
        let t = Instant::now();
        sink.put(path, data).expect("put");
        let ms = t.elapsed().as_secs_f64() * 1e3;
        match path.starts_with("tile/entries/") {
            true => bundles.push(ms),
            false => tiles.push(ms),
        }
    }
    let total = start.elapsed().as_secs_f64();
    let bytes: usize = objects.iter().map(|(_, d)| d.len()).sum();
    let quantiles = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[v.len() * 99 / 100])
    };
    let (b50, b99) = quantiles(&mut bundles);
    let (t50, t99) = quantiles(&mut tiles);
    println!(
        "{name:<10} bundle {b50:>6.2} ms (p99 {b99:>6.2})  hash tile {t50:>6.2} ms (p99 {t99:>6.2})  \
         {:>6.0} objects/s {:>6.1} MB/s  1M entries: {:>5.1} s",
        objects.len() as f64 / total,
        bytes as f64 / total / 1e6,
        total * 1_000_000.0 / entries as f64
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let entries = tally_testkit::env_or("TALLY_PUBLISH_ENTRIES", 51_200);
    let objects = objects(entries / WIDTH);
    println!(
        "publish: {} objects for {entries} entries ({} MB)",
        objects.len(),
        objects.iter().map(|(_, d)| d.len()).sum::<usize>() / 1_000_000
    );
    let dir = tempfile::tempdir().expect("tempdir");
    run(
        "directory",
        &Directory::new(&dir.path().join("pub")),
        &objects,
        entries,
    );
    let s3 = S3Server::start();
    s3.create_bucket("tiles");
    let bucket = S3Bucket::new(
        "tiles/bench",
        Some(&s3.endpoint()),
        S3Server::REGION,
        (S3Server::ACCESS_KEY, S3Server::SECRET_KEY),
    )
    .expect("bucket");
    run("s3", &bucket, &objects, entries);
}
