//! Scale simulation: a log of many entries built directly in PostgreSQL (Debian's server with its
//! defaults, durable commits, in a temporary cluster this bench starts), its tiles, and what each
//! million entries costs in time, disk and memory, to project what a far larger log needs.
//!
//! `cargo bench -p tally-logstore --bench scale` builds `TALLY_SCALE_ENTRIES` entries (default
//! 1,000,000) of `TALLY_SCALE_ENTRY_BYTES` bytes (default 1,000, the size of a signed EPCIS event
//! with its sealing) with one lookup key each, in batches of 1,024, as a bookkeeper's sequencer
//! appends them. Each million, it prints the rate of that million, the database's size and this
//! process's memory. At the end, the size of each table with its indexes, the time to produce every
//! tile a static publisher writes for the whole tree (and their bytes), and the time of inclusion
//! proofs at full size.
//!
//! Set `TALLY_SCALE_DATA` to a directory to keep the cluster's data on that disk (default: the
//! system's temporary directory).

use std::time::Instant;
use tally_logstore::{changed_tiles, read_tile, HashCache, LogStore, PgStore};
use tally_testkit::postgres::Postgres;

const BATCH: u64 = 1024;
const MILLION: u64 = 1_000_000;

/// Entry `i`: `bytes` long, distinct, with incompressible-looking filler.
fn entry(i: u64, bytes: usize) -> Vec<u8> {
    let mut e = i.to_be_bytes().to_vec();
    e.extend(tally_testkit::noise(i, bytes.saturating_sub(e.len())));
    e
}

/// This process's resident memory, in MiB.
fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let total = tally_testkit::env_or("TALLY_SCALE_ENTRIES", MILLION as usize) as u64;
    let bytes = tally_testkit::env_or("TALLY_SCALE_ENTRY_BYTES", 1000);
    let server = Postgres::start_in(std::env::var_os("TALLY_SCALE_DATA").map(Into::into));
    let url = server.database("scale");
    let mut store = PgStore::open(&url).expect("open");
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let db_size = |admin: &mut postgres::Client| -> i64 {
        admin
            .query_one("SELECT pg_database_size(current_database())", &[])
            .expect("size")
            .get(0)
    };
    let empty = db_size(&mut admin);
    println!("scale: {total} entries of {bytes} bytes, one lookup key each, batches of {BATCH}");
    println!("entries     rate of last million   database   bytes/entry   bench RSS");
    let start = Instant::now();
    let mut mark = (Instant::now(), 0u64);
    let mut appended = 0;
    while appended < total {
        let n = BATCH.min(total - appended);
        let batch: Vec<Vec<u8>> = (appended..appended + n).map(|i| entry(i, bytes)).collect();
        let keys: Vec<Vec<String>> = (appended..appended + n)
            .map(|i| {
                vec![format!(
                    "key-{:016x}",
                    i.wrapping_mul(0x2545_F491_4F6C_DD1D)
                )]
            })
            .collect();
        store
            .append_unique(&batch, &keys, &[], &[])
            .expect("append");
        let crossed = (appended + n) / MILLION > appended / MILLION;
        appended += n;
        if crossed || appended == total {
            let rate = (appended - mark.1) as f64 / mark.0.elapsed().as_secs_f64();
            let size = db_size(&mut admin) - empty;
            println!(
                "{appended:>11}  {rate:>16.0}/s   {:>8.0} MiB   {:>11.0}   {:>5} MiB",
                mib(size),
                size as f64 / appended as f64,
                rss_mib()
            );
            mark = (Instant::now(), appended);
        }
    }
    let build = start.elapsed();
    println!(
        "built in {:.1} s ({:.0} entries/s overall)",
        build.as_secs_f64(),
        total as f64 / build.as_secs_f64()
    );
    for table in ["entries", "hashes", "lookup_keys"] {
        let row = admin
            .query_one(
                "SELECT pg_table_size($1::text::regclass), pg_indexes_size($1::text::regclass)",
                &[&table],
            )
            .expect("table size");
        let (data, index): (i64, i64) = (row.get(0), row.get(1));
        println!(
            "  {table:<12} {:>9.0} MiB data {:>9.0} MiB indexes ({:.0} bytes/entry)",
            mib(data),
            mib(index),
            (data + index) as f64 / total as f64
        );
    }

    // Every tile a static publisher writes for the whole tree, read from a reader with the
    // shared cache, as the bookkeeper's publisher reads them.
    let reader = PgStore::open_reader(&url)
        .expect("reader")
        .with_cache(std::sync::Arc::new(HashCache::new()));
    reader.warm_cache().expect("warm");
    let t = Instant::now();
    let tiles = changed_tiles(0, total);
    let mut tile_bytes = 0u64;
    for tile in &tiles {
        let data = read_tile(&reader, *tile, total)
            .expect("tile")
            .expect("in the tree");
        tile_bytes += data.len() as u64;
    }
    let tiles_time = t.elapsed();
    println!(
        "tiles: {} objects, {:.0} MiB, produced in {:.1} s ({:.0} tiles/s)",
        tiles.len(),
        tile_bytes as f64 / (1024.0 * 1024.0),
        tiles_time.as_secs_f64(),
        tiles.len() as f64 / tiles_time.as_secs_f64()
    );

    // Inclusion proofs for leaves spread over the whole tree.
    let samples = 2000u64;
    let mut times: Vec<f64> = (0..samples)
        .map(|k| {
            let index = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) % total;
            let t = Instant::now();
            tally_tlog::store::inclusion_proof(&reader, index, total).expect("proof");
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "inclusion proofs at {total}: median {:.0} µs, p99 {:.0} µs",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
    println!("bench RSS at the end: {} MiB", rss_mib());
}
