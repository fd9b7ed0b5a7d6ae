//! Every status code of `Witness::add_checkpoint`, on real logs: a `MemoryStore` tree, checkpoints
//! signed by a real log key, cosignatures checked with `tally_tlog::checkpoint::verify`.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use proptest::prelude::*;
use tally_tlog::{
    checkpoint, note, Checkpoint, CheckpointError, Hash, KeyType, MemoryStore, NoteError,
    ProofError, SignerKey, EMPTY_ROOT,
};
use tally_witness::{
    AddCheckpoint, BadRequest, ConfigError, Evidence, Latest, LogConfig, Outcome, ProofFailure,
    RequestError, Witness,
};

const ORIGIN: &str = "example.com/log";
const NOW: u64 = 1_750_000_000;

fn log_key() -> SignerKey {
    SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[1; 32]).unwrap()
}

fn witness_key() -> SignerKey {
    SignerKey::from_seed("example.com/witness", KeyType::Cosignature, &[2; 32]).unwrap()
}

fn witness() -> Witness {
    Witness::new(
        witness_key(),
        vec![LogConfig {
            origin: ORIGIN.into(),
            key: log_key().verifier(),
        }],
    )
    .unwrap()
}

/// A log: a Merkle tree and the key that signs its checkpoints.
struct Log {
    origin: &'static str,
    key: SignerKey,
    tree: MemoryStore,
    /// Distinguishes the entries of two logs that fork from each other.
    tag: &'static str,
}

impl Log {
    fn new(tag: &'static str) -> Self {
        Self {
            origin: ORIGIN,
            key: log_key(),
            tree: MemoryStore::new(),
            tag,
        }
    }

    fn grow_to(&mut self, size: u64) -> &mut Self {
        while self.tree.size() < size {
            let i = self.tree.size();
            self.tree
                .append(format!("{} entry {i}", self.tag).as_bytes())
                .unwrap();
        }
        self
    }

    fn root(&self, size: u64) -> Hash {
        self.tree.root(size).unwrap()
    }

    /// The signed checkpoint of the first `size` entries.
    fn checkpoint(&self, size: u64) -> Vec<u8> {
        let text = Checkpoint::new(self.origin, size, self.root(size), "")
            .unwrap()
            .to_bytes();
        note::sign(&text, std::slice::from_ref(&self.key), 0).unwrap()
    }

    fn proof(&self, old: u64, new: u64) -> Vec<Hash> {
        self.tree.consistency_proof(old, new).unwrap()
    }

    fn latest(&self, size: u64) -> Latest {
        Latest {
            size,
            root: self.root(size),
            note: self.checkpoint(size),
        }
    }
}

fn body(old: u64, proof: &[Hash], note: &[u8]) -> Vec<u8> {
    let mut b = format!("old {old}\n").into_bytes();
    for h in proof {
        b.extend_from_slice(B64.encode(h.0).as_bytes());
        b.push(b'\n');
    }
    b.push(b'\n');
    b.extend_from_slice(note);
    b
}

fn submit(old: u64, proof: &[Hash], note: &[u8], state: Option<&Latest>) -> Outcome {
    let req = AddCheckpoint::parse(&body(old, proof, note)).unwrap();
    witness().add_checkpoint(&req, state, NOW)
}

/// Asserts a 200, checks that the response cosigns `note` for the witness key at `NOW`, and
/// returns the state to store.
fn cosigned(outcome: Outcome, note: &[u8]) -> Latest {
    assert_eq!(outcome.status(), 200, "{outcome:?}");
    assert_eq!(outcome.content_type(), "text/plain; charset=utf-8");
    let mut with_cosig = note.to_vec();
    with_cosig.extend_from_slice(&outcome.body());
    let v = checkpoint::verify(
        &with_cosig,
        &log_key().verifier(),
        &[witness().verifier()],
        1,
    )
    .expect("the response body is a cosignature on the submitted checkpoint");
    assert_eq!(v.cosigners.len(), 1);
    assert_eq!(v.cosigners[0].timestamp, NOW);
    match outcome {
        Outcome::Cosigned {
            cosignature,
            new_state,
        } => {
            assert_eq!(cosignature.to_line().as_bytes(), &with_cosig[note.len()..]);
            new_state
        }
        other => unreachable!("status 200 is only Cosigned, got {other:?}"),
    }
}

// ---- 200 ----

#[test]
fn first_checkpoint_with_old_zero_and_empty_proof_is_cosigned() {
    let mut log = Log::new("a");
    log.grow_to(5);
    let note = log.checkpoint(5);
    let state = cosigned(submit(0, &[], &note, None), &note);
    assert_eq!(state, log.latest(5));
}

#[test]
fn growth_with_a_valid_proof_is_cosigned_and_the_state_advances() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let stored = log.latest(5);
    let note = log.checkpoint(13);
    let state = cosigned(submit(5, &log.proof(5, 13), &note, Some(&stored)), &note);
    assert_eq!(state, log.latest(13));
}

#[test]
fn a_log_growing_through_many_sizes_is_cosigned_at_each_step() {
    let mut log = Log::new("a");
    let mut state: Option<Latest> = None;
    for size in [
        1u64, 2, 3, 4, 7, 8, 9, 16, 17, 31, 32, 33, 64, 100, 255, 256, 257,
    ] {
        log.grow_to(size);
        let old = state.as_ref().map_or(0, |s| s.size);
        let proof = if old == 0 {
            vec![]
        } else {
            log.proof(old, size)
        };
        let note = log.checkpoint(size);
        state = Some(cosigned(submit(old, &proof, &note, state.as_ref()), &note));
    }
    assert_eq!(state.unwrap().size, 257);
}

#[test]
fn the_same_checkpoint_again_is_cosigned_again_without_state_change() {
    let mut log = Log::new("a");
    log.grow_to(9);
    let stored = log.latest(9);
    let state = cosigned(submit(9, &[], &stored.note, Some(&stored)), &stored.note);
    assert_eq!(state, stored);
}

#[test]
fn an_empty_tree_checkpoint_is_cosigned() {
    let log = Log::new("a");
    let note = log.checkpoint(0);
    let state = cosigned(submit(0, &[], &note, None), &note);
    assert_eq!((state.size, state.root), (0, EMPTY_ROOT));
}

#[test]
fn after_an_empty_tree_the_next_checkpoint_needs_no_proof() {
    let mut log = Log::new("a");
    let stored = log.latest(0);
    log.grow_to(3);
    let note = log.checkpoint(3);
    let state = cosigned(submit(0, &[], &note, Some(&stored)), &note);
    assert_eq!(state.size, 3);
}

#[test]
fn signatures_from_unknown_keys_are_ignored() {
    let mut log = Log::new("a");
    log.grow_to(4);
    let stranger = SignerKey::from_seed("stranger", KeyType::Ed25519, &[9; 32]).unwrap();
    let note = note::add_signatures(&log.checkpoint(4), &[stranger], 0).unwrap();
    cosigned(submit(0, &[], &note, None), &note);
}

// ---- 400 ----

#[test]
fn old_larger_than_the_checkpoint_is_400() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let stored = log.latest(13);
    // A rollback attempt: the client claims the stored size but submits a smaller tree.
    let out = submit(13, &[], &log.checkpoint(5), Some(&stored));
    assert_eq!(
        out,
        Outcome::BadRequest(BadRequest::OldSizeTooLarge { old: 13, size: 5 })
    );
    assert_eq!(out.status(), 400);
    assert_eq!(
        out.body(),
        b"old size 13 is larger than the checkpoint size 5\n"
    );
}

#[test]
fn a_malformed_body_maps_to_400_with_its_reason() {
    let out = Outcome::from(RequestError::BadOldSize);
    assert_eq!(out.status(), 400);
    assert_eq!(
        out.body(),
        b"old size must be a decimal u64 without leading zeros\n"
    );
}

// ---- 403 ----

#[test]
fn a_checkpoint_signed_by_another_key_is_403() {
    let mut log = Log::new("a");
    log.grow_to(3);
    log.key = SignerKey::from_seed(ORIGIN, KeyType::Ed25519, &[7; 32]).unwrap();
    let out = submit(0, &[], &log.checkpoint(3), None);
    assert_eq!(
        out,
        Outcome::Forbidden(CheckpointError::Note(NoteError::Unverified))
    );
    assert_eq!(out.status(), 403);
}

#[test]
fn a_corrupted_log_signature_is_403() {
    let mut log = Log::new("a");
    log.grow_to(3);
    let note = log.checkpoint(3);
    let text = String::from_utf8(note.clone()).unwrap();
    let (head, sig) = text.rsplit_once(' ').unwrap();
    let mut raw = B64.decode(sig.trim_end()).unwrap();
    raw[10] ^= 1;
    let tampered = format!("{head} {}\n", B64.encode(raw));
    let out = submit(0, &[], tampered.as_bytes(), None);
    assert!(
        matches!(
            out,
            Outcome::Forbidden(CheckpointError::Note(NoteError::InvalidSignature { .. }))
        ),
        "{out:?}"
    );
    assert_eq!(out.status(), 403);
}

#[test]
fn a_checkpoint_whose_text_was_changed_after_signing_is_403() {
    let mut log = Log::new("a");
    log.grow_to(3);
    let note = log.checkpoint(3);
    let forged = String::from_utf8(note)
        .unwrap()
        .replacen("\n3\n", "\n4\n", 1);
    assert_eq!(submit(0, &[], forged.as_bytes(), None).status(), 403);
}

// ---- 404 ----

#[test]
fn an_unknown_origin_is_404() {
    let mut log = Log::new("a");
    log.origin = "other.example/log";
    log.key = SignerKey::from_seed("other.example/log", KeyType::Ed25519, &[1; 32]).unwrap();
    log.grow_to(3);
    let out = submit(0, &[], &log.checkpoint(3), None);
    assert_eq!(out, Outcome::UnknownOrigin("other.example/log".into()));
    assert_eq!(out.status(), 404);
}

// ---- 409 ----

#[test]
fn a_stale_old_size_is_409_with_the_latest_size() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let stored = log.latest(9);
    let out = submit(5, &log.proof(5, 13), &log.checkpoint(13), Some(&stored));
    assert_eq!(out, Outcome::Conflict { latest_size: 9 });
    assert_eq!(out.status(), 409);
    assert_eq!(out.content_type(), "text/x.tlog.size");
    assert_eq!(out.body(), b"9\n");
}

#[test]
fn a_nonzero_old_size_for_a_log_never_cosigned_is_409_with_zero() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let out = submit(5, &log.proof(5, 13), &log.checkpoint(13), None);
    assert_eq!(out, Outcome::Conflict { latest_size: 0 });
    assert_eq!(out.body(), b"0\n");
}

#[test]
fn a_smaller_tree_than_the_one_cosigned_is_never_cosigned() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let stored = log.latest(13);
    // Honest-looking request for an older tree: old 0, no proof.
    assert_eq!(
        submit(0, &[], &log.checkpoint(5), Some(&stored)),
        Outcome::Conflict { latest_size: 13 }
    );
    // Or an old size that matches an earlier checkpoint.
    assert_eq!(
        submit(3, &log.proof(3, 5), &log.checkpoint(5), Some(&stored)),
        Outcome::Conflict { latest_size: 13 }
    );
}

#[test]
fn old_zero_after_a_cosigned_checkpoint_is_409() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let stored = log.latest(5);
    assert_eq!(
        submit(0, &[], &log.checkpoint(13), Some(&stored)),
        Outcome::Conflict { latest_size: 5 }
    );
}

// ---- 422 ----

#[test]
fn a_tampered_proof_is_422_with_evidence() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let stored = log.latest(5);
    let note = log.checkpoint(13);
    let mut proof = log.proof(5, 13);
    proof[1].0[0] ^= 1;
    let out = submit(5, &proof, &note, Some(&stored));
    assert_eq!(
        out,
        Outcome::Unprocessable {
            reason: ProofFailure::Proof(ProofError::RootMismatch),
            evidence: Some(Evidence {
                cosigned: stored.note.clone(),
                submitted: note,
            }),
        }
    );
    assert_eq!(out.status(), 422);
}

#[test]
fn a_proof_of_the_wrong_length_is_422_without_evidence() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let stored = log.latest(5);
    let mut proof = log.proof(5, 13);
    proof.pop();
    assert_eq!(
        submit(5, &proof, &log.checkpoint(13), Some(&stored)),
        Outcome::Unprocessable {
            reason: ProofFailure::Proof(ProofError::WrongLength),
            evidence: None,
        }
    );
    assert_eq!(
        submit(5, &[], &log.checkpoint(13), Some(&stored)).status(),
        422
    );
}

#[test]
fn a_nonempty_proof_with_old_zero_is_422() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let proof = log.proof(5, 13);
    let out = submit(0, &proof, &log.checkpoint(13), None);
    assert_eq!(
        out,
        Outcome::Unprocessable {
            reason: ProofFailure::ProofFromEmptyTree { lines: proof.len() },
            evidence: None,
        }
    );
    assert_eq!(out.status(), 422);
}

#[test]
fn a_nonempty_proof_for_the_same_tree_is_422() {
    let mut log = Log::new("a");
    log.grow_to(13);
    let stored = log.latest(13);
    let out = submit(13, &log.proof(5, 13), &stored.note, Some(&stored));
    assert_eq!(
        out,
        Outcome::Unprocessable {
            reason: ProofFailure::ProofForSameSize,
            evidence: None,
        }
    );
}

#[test]
fn a_rewritten_log_at_the_same_size_is_422_with_both_notes_as_evidence() {
    let mut honest = Log::new("a");
    honest.grow_to(8);
    let stored = honest.latest(8);
    let mut rewritten = Log::new("b");
    rewritten.grow_to(8);
    let note = rewritten.checkpoint(8);
    let out = submit(8, &[], &note, Some(&stored));
    let Outcome::Unprocessable {
        reason,
        evidence: Some(evidence),
    } = &out
    else {
        panic!("expected 422 with evidence, got {out:?}");
    };
    assert_eq!(*reason, ProofFailure::RootChanged { size: 8 });
    assert_eq!(out.status(), 422);
    assert_eq!(evidence.cosigned, stored.note);
    assert_eq!(evidence.submitted, note);
    // Both halves are signed by the log: the fork is provable to anyone with its key.
    let a = checkpoint::verify(&evidence.cosigned, &log_key().verifier(), &[], 0).unwrap();
    let b = checkpoint::verify(&evidence.submitted, &log_key().verifier(), &[], 0).unwrap();
    assert_eq!(a.checkpoint.size(), b.checkpoint.size());
    assert!(a.checkpoint.hash() != b.checkpoint.hash());
}

#[test]
fn a_fork_that_grew_is_422_with_evidence() {
    let mut honest = Log::new("a");
    honest.grow_to(5);
    let stored = honest.latest(5);
    let mut fork = Log::new("b");
    fork.grow_to(13);
    let note = fork.checkpoint(13);
    let out = submit(5, &fork.proof(5, 13), &note, Some(&stored));
    assert_eq!(
        out,
        Outcome::Unprocessable {
            reason: ProofFailure::Proof(ProofError::RootMismatch),
            evidence: Some(Evidence {
                cosigned: stored.note,
                submitted: note,
            }),
        }
    );
}

#[test]
fn an_empty_tree_checkpoint_with_another_root_is_422() {
    let log = Log::new("a");
    let text = Checkpoint::new(ORIGIN, 0, Hash([0; 32]), "")
        .unwrap()
        .to_bytes();
    let note = note::sign(&text, &[log.key], 0).unwrap();
    assert_eq!(
        submit(0, &[], &note, None),
        Outcome::Unprocessable {
            reason: ProofFailure::EmptyTreeRoot,
            evidence: None,
        }
    );
}

// ---- configuration ----

#[test]
fn key_roles_and_duplicate_origins_are_checked_at_construction() {
    let log = LogConfig {
        origin: ORIGIN.into(),
        key: log_key().verifier(),
    };
    assert_eq!(
        Witness::new(log_key(), vec![]).unwrap_err(),
        ConfigError::WitnessKeyType
    );
    assert_eq!(
        Witness::new(
            witness_key(),
            vec![LogConfig {
                origin: ORIGIN.into(),
                key: witness_key().verifier(),
            }]
        )
        .unwrap_err(),
        ConfigError::LogKeyType {
            origin: ORIGIN.into()
        }
    );
    assert_eq!(
        Witness::new(witness_key(), vec![log.clone(), log]).unwrap_err(),
        ConfigError::DuplicateOrigin(ORIGIN.into())
    );
}

// ---- properties ----

fn arb_state() -> impl Strategy<Value = Option<Latest>> {
    proptest::option::of(
        (
            any::<u64>(),
            any::<[u8; 32]>(),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(size, root, note)| Latest {
                size,
                root: Hash(root),
                note,
            }),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes, and arbitrary stored states: never a panic.
    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512),
                                    state in arb_state(), now in any::<u64>()) {
        let w = witness();
        let outcome = match AddCheckpoint::parse(&body) {
            Ok(req) => w.add_checkpoint(&req, state.as_ref(), now),
            Err(e) => e.into(),
        };
        prop_assert!([200, 400, 403, 404, 409, 422].contains(&outcome.status()));
        let _ = (outcome.content_type(), outcome.body());
    }

    /// Well-formed requests with arbitrary sizes and proofs against arbitrary stored states: never
    /// a panic, and a cosignature only ever moves the state forward from exactly `old`.
    #[test]
    fn cosigning_never_rolls_back(stored in 0u64..40, new in 0u64..40, old in 0u64..40,
                                  proof in proptest::collection::vec(any::<[u8; 32]>(), 0..8),
                                  honest_proof in any::<bool>(), now in any::<u64>()) {
        let mut log = Log::new("a");
        log.grow_to(40);
        let state = (stored > 0).then(|| log.latest(stored));
        let proof: Vec<Hash> = if honest_proof && old <= new {
            if old == 0 { vec![] } else { log.proof(old, new) }
        } else {
            proof.into_iter().map(Hash).collect()
        };
        let req = AddCheckpoint::parse(&body(old, &proof, &log.checkpoint(new))).unwrap();
        let outcome = witness().add_checkpoint(&req, state.as_ref(), now);
        if let Outcome::Cosigned { new_state, .. } = &outcome {
            prop_assert_eq!(old, stored);
            prop_assert!(new_state.size >= stored);
            prop_assert_eq!(new_state.size, new);
        }
        if honest_proof && old == stored && old <= new {
            prop_assert_eq!(outcome.status(), 200, "{:?}", outcome);
        }
    }
}
