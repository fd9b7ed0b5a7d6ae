//! Property tests: generated proofs verify, every single-bit change fails, and three independent
//! implementations (ours, `tlog_tiles`, `ct-merkle`) agree on roots and proofs.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use proptest::prelude::*;
use tally_tlog::{leaf_hash, merkle, CompactTree, Hash, MemoryStore};

type CtTree = MemoryBackedTree<sha2_011::Sha256, Vec<u8>>;

fn build(n: u64) -> (MemoryStore, CompactTree, CtTree) {
    let (mut s, mut c, mut ct) = (MemoryStore::new(), CompactTree::new(), CtTree::new());
    for i in 0..n {
        let e = format!("entry {i}").into_bytes();
        s.append(&e).unwrap();
        c.push(leaf_hash(&e));
        ct.push(e);
    }
    (s, c, ct)
}

fn flat(p: &[Hash]) -> Vec<u8> {
    p.iter().flat_map(|h| h.0).collect()
}

fn flip(proof: &[Hash], bit: usize) -> Vec<Hash> {
    let mut p = proof.to_vec();
    p[bit / 256].0[(bit % 256) / 8] ^= 1 << (bit % 8);
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn inclusion_proofs_verify_and_agree(n in 1u64..300, pick in any::<u64>()) {
        let (s, c, ct) = build(n);
        let root = s.root(n).unwrap();
        prop_assert_eq!(root, c.root());
        let ct_root = ct.root();
        prop_assert_eq!(&root.0[..], &ct_root.as_bytes()[..]);
        let idx = pick % n;
        let leaf = leaf_hash(format!("entry {idx}").as_bytes());
        let proof = s.inclusion_proof(idx, n).unwrap();
        merkle::verify_inclusion(idx, n, &leaf, &proof, &root).unwrap();
        prop_assert!(tlog_tiles::check_record(&proof, n, root, idx, leaf).is_ok());
        let ct_proof = ct.prove_inclusion(idx as usize);
        prop_assert_eq!(ct_proof.as_bytes(), &flat(&proof)[..]);
        // A wrong index never verifies. (A wrong *size* can: one audit path fits several sizes,
        // which is why a checkpoint signs the size together with the root.)
        if n > 1 {
            prop_assert!(merkle::verify_inclusion((idx + 1) % n, n, &leaf, &proof, &root).is_err());
        }
    }

    #[test]
    fn every_single_bit_flip_in_an_inclusion_proof_fails(n in 2u64..80, pick in any::<u64>()) {
        let (s, _, _) = build(n);
        let root = s.root(n).unwrap();
        let idx = pick % n;
        let leaf = leaf_hash(format!("entry {idx}").as_bytes());
        let proof = s.inclusion_proof(idx, n).unwrap();
        for bit in 0..proof.len() * 256 {
            prop_assert!(merkle::verify_inclusion(idx, n, &leaf, &flip(&proof, bit), &root).is_err());
        }
        for bit in 0..256 {
            prop_assert!(merkle::verify_inclusion(idx, n, &leaf, &proof, &flip(&[root], bit)[0]).is_err());
            prop_assert!(merkle::verify_inclusion(idx, n, &flip(&[leaf], bit)[0], &proof, &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_verify_and_agree(n in 1u64..300, pick in any::<u64>()) {
        let (s, _, ct) = build(n);
        let old = 1 + pick % n;
        let (old_root, root) = (s.root(old).unwrap(), s.root(n).unwrap());
        let proof = s.consistency_proof(old, n).unwrap();
        merkle::verify_consistency(old, n, &old_root, &root, &proof).unwrap();
        prop_assert!(tlog_tiles::check_tree(&proof, n, root, old, old_root).is_ok());
        if old < n {
            let ct_proof = ct.prove_consistency((n - old) as usize);
            prop_assert_eq!(ct_proof.as_bytes(), &flat(&proof)[..]);
            for bit in 0..proof.len() * 256 {
                prop_assert!(merkle::verify_consistency(old, n, &old_root, &root, &flip(&proof, bit)).is_err());
            }
            for bit in 0..256 {
                let bad = flip(&[old_root], bit)[0];
                prop_assert!(merkle::verify_consistency(old, n, &bad, &root, &proof).is_err());
            }
        }
    }

    #[test]
    fn verifiers_never_panic(index in any::<u64>(), size in any::<u64>(), old in any::<u64>(),
                             len in 0usize..70, seed in any::<u8>()) {
        let proof: Vec<Hash> = (0..len).map(|i| Hash([seed.wrapping_add(i as u8); 32])).collect();
        let h = Hash([seed; 32]);
        let _ = merkle::verify_inclusion(index, size, &h, &proof, &h);
        let _ = merkle::verify_consistency(old, size, &h, &h, &proof);
    }
}
