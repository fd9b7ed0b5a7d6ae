//! Signing and opening notes and checkpoints with Tally's own keys.

use tally_tlog::checkpoint::{self, CheckpointError};
use tally_tlog::cosignature::Cosignature;
use tally_tlog::note::{self, NoteError};
use tally_tlog::{Checkpoint, KeyType, MemoryStore, SignerKey};

fn key(name: &str, kind: KeyType, seed: u8) -> SignerKey {
    SignerKey::from_seed(name, kind, &[seed; 32]).unwrap()
}

fn checkpoint_text(size: u64) -> Vec<u8> {
    let mut s = MemoryStore::new();
    for i in 0..size {
        s.append(&i.to_be_bytes()).unwrap();
    }
    Checkpoint::new("tally.example/log1", size, s.root(size).unwrap(), "")
        .unwrap()
        .to_bytes()
}

#[test]
fn log_signature_and_witness_threshold() {
    let log = key("tally.example/log1", KeyType::Ed25519, 1);
    let w: Vec<SignerKey> = (2..5)
        .map(|i| key(&format!("w{i}"), KeyType::Cosignature, i))
        .collect();
    let wv: Vec<_> = w.iter().map(|k| k.verifier()).collect();
    let text = checkpoint_text(10);
    let signed = note::sign(&text, std::slice::from_ref(&log), 0).unwrap();
    assert!(matches!(
        checkpoint::verify(&signed, &log.verifier(), &wv, 1),
        Err(CheckpointError::UnderCosigned { got: 0, need: 1 })
    ));
    let cosigned = note::add_signatures(&signed, &w[..2], 1_700_000_000).unwrap();
    let v = checkpoint::verify(&cosigned, &log.verifier(), &wv, 2).unwrap();
    assert_eq!(v.cosigners.len(), 2);
    assert!(v.cosigners.iter().all(|c| c.timestamp == 1_700_000_000));
    assert_eq!(v.checkpoint.size(), 10);
    assert!(checkpoint::verify(&cosigned, &log.verifier(), &wv, 3).is_err());

    // A cosignature made separately (as a witness returns it) verifies and can be appended as a line.
    let c = Cosignature::sign(&w[2], &text, 1_700_000_001).unwrap();
    assert!(c.verify(&w[2].verifier(), &text));
    assert!(!c.verify(&w[1].verifier(), &text));
    let mut all = cosigned.clone();
    all.extend_from_slice(c.to_line().as_bytes());
    assert_eq!(
        checkpoint::verify(&all, &log.verifier(), &wv, 3)
            .unwrap()
            .cosigners
            .len(),
        3
    );
    // Note keys cannot make cosignatures.
    assert!(Cosignature::sign(&log, &text, 1).is_none());
}

#[test]
fn the_same_witness_key_under_two_names_counts_once() {
    let log = key("tally.example/log1", KeyType::Ed25519, 1);
    let a = key("witness-a", KeyType::Cosignature, 9);
    let b = key("witness-b", KeyType::Cosignature, 9); // same secret, other name
    let text = checkpoint_text(3);
    let signed = note::sign(&text, &[log.clone(), a.clone(), b.clone()], 5).unwrap();
    let err =
        checkpoint::verify(&signed, &log.verifier(), &[a.verifier(), b.verifier()], 2).unwrap_err();
    assert_eq!(err, CheckpointError::UnderCosigned { got: 1, need: 2 });
}

#[test]
fn tampering_is_caught() {
    let log = key("tally.example/log1", KeyType::Ed25519, 1);
    let w = key("w", KeyType::Cosignature, 2);
    let signed = note::sign(&checkpoint_text(5), &[log.clone(), w.clone()], 7).unwrap();
    let s = String::from_utf8(signed).unwrap();
    let forged = s.replacen("\n5\n", "\n6\n", 1);
    assert!(matches!(
        checkpoint::verify(forged.as_bytes(), &log.verifier(), &[w.verifier()], 1),
        Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
    ));
    // An unknown signer alone does not make a note valid.
    let other = key("intruder", KeyType::Ed25519, 3);
    let by_other = note::sign(&checkpoint_text(5), &[other], 0).unwrap();
    assert!(matches!(
        checkpoint::verify(&by_other, &log.verifier(), &[], 0),
        Err(CheckpointError::Note(NoteError::Unverified))
    ));
    // A checkpoint body with a leading-zero size is malformed even when validly signed.
    let bad = note::sign(
        b"tally.example/log1\n05\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        std::slice::from_ref(&log),
        0,
    )
    .unwrap();
    assert_eq!(
        checkpoint::verify(&bad, &log.verifier(), &[], 0).unwrap_err(),
        CheckpointError::Malformed
    );
}

#[test]
fn note_without_trailing_newline_is_refused() {
    let k = key("k", KeyType::Ed25519, 1);
    assert!(matches!(
        note::sign(b"no newline", &[k], 0),
        Err(NoteError::Malformed(_))
    ));
}
