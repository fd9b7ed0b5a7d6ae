//! Targets (issue #2): an inclusion proof check in a 2^32-leaf log ≤ 10 µs; incremental append
//! ≥ 1,000,000 leaves/s with roots. Run: `cargo bench -p tally-tlog`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use tally_tlog::{leaf_hash, merkle, CompactTree, Hash, MemoryStore};

/// A valid inclusion proof for a leaf near the right edge of a 2^32-leaf tree. Building the tree is
/// not needed: any 32 sibling hashes define a root, which is what a verifier checks against.
fn proof_in_2_pow_32() -> (u64, u64, Hash, Vec<Hash>, Hash) {
    let size = 1u64 << 32;
    let index = size - 12345;
    let leaf = leaf_hash(b"the entry");
    let proof: Vec<Hash> = (0..32u8).map(|i| leaf_hash(&[i])).collect();
    let root = merkle::root_from_inclusion_proof(index, size, &leaf, &proof).unwrap();
    (index, size, leaf, proof, root)
}

fn inclusion(c: &mut Criterion) {
    let (index, size, leaf, proof, root) = proof_in_2_pow_32();
    c.bench_function("verify_inclusion 2^32", |b| {
        b.iter(|| {
            merkle::verify_inclusion(black_box(index), size, &leaf, black_box(&proof), &root)
                .unwrap()
        })
    });
}

fn append(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let leaves: Vec<Hash> = (0..N).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut g = c.benchmark_group("append 1M");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.bench_function("compact tree, final root", |b| {
        b.iter(|| {
            let mut t = CompactTree::new();
            for l in &leaves {
                t.push(*l);
            }
            black_box(t.root())
        })
    });
    g.bench_function("compact tree, root after every append", |b| {
        b.iter(|| {
            let mut t = CompactTree::new();
            let mut last = Hash::default();
            for l in &leaves {
                t.push(*l);
                last = t.root();
            }
            black_box(last)
        })
    });
    g.bench_function("memory store (all nodes kept, proofs possible)", |b| {
        b.iter_batched(
            MemoryStore::new,
            |mut s| {
                for l in &leaves {
                    s.append_leaf_hash(*l).unwrap();
                }
                black_box(s.root(N).unwrap())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, inclusion, append);
criterion_main!(benches);
