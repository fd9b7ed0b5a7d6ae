//! Unlocking the device key (Argon2id of the passphrase, XChaCha20-Poly1305, parsing the key): at
//! the default cost of new keys (`identity::KDF_MEMORY_KIB`, `KDF_PASSES`) and at the cost keys
//! were sealed with before (19 MiB, 2 passes), which still open. Sealing costs the same.
//!
//! ```text
//! cargo bench -p tally-client --bench unlock
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;
use tally_client::identity;

fn unlock(c: &mut Criterion) {
    let key = identity::generate("dock-3").expect("key");
    let pass = "plum mosaic ferry quietly";
    let mut g = c.benchmark_group("unlock");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(8));
    let default = format!(
        "default ({} MiB, t={}, p={})",
        identity::KDF_MEMORY_KIB / 1024,
        identity::KDF_PASSES,
        identity::KDF_LANES
    );
    for (name, memory_kib, passes) in [
        (default, identity::KDF_MEMORY_KIB, identity::KDF_PASSES),
        ("old (19 MiB, t=2, p=1)".to_owned(), 19 * 1024, 2),
    ] {
        let sealed = identity::seal_with(&key, pass, memory_kib, passes).expect("seal");
        g.bench_function(&name, |b| {
            b.iter(|| identity::unseal(black_box(&sealed), pass).expect("unseal"))
        });
    }
    g.finish();
}

criterion_group!(benches, unlock);
criterion_main!(benches);
