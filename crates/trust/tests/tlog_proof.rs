//! c2sp.org/tlog-proof files checked against the policy: a proof of a logged entry checks, and
//! each thing the specification's verifier must refuse is refused.

mod common;

use common::*;
use tally_tlog::{note, Checkpoint, TlogProof};
use tally_trust::tlog_proof::{check, ProofCheckError};

/// Bookkeeper `i`'s proof of its entry `index`, under its cosigned checkpoint.
fn proof(net: &Net, i: usize, index: usize) -> TlogProof {
    let e = &net.evidence(i).entries[index];
    TlogProof {
        extra: None,
        index: e.index,
        proof: e.proof.clone(),
        checkpoint: net.checkpoint(i),
    }
}

#[test]
fn a_logged_entry_checks_and_nothing_else_does() {
    let mut net = Net::new(3, 2, 2);
    for n in 0..5u8 {
        net.append_all(format!("entry {n}\n").as_bytes());
    }
    let p = proof(&net, 1, 3);
    let proven = check(&net.policy, &p, b"entry 3\n").unwrap();
    assert_eq!(
        (proven.bookkeeper.as_str(), proven.index, proven.size),
        ("bk1", 3, 5)
    );
    assert_eq!(proven.independent, 2);
    assert_eq!(proven.cosigners.len(), 2);
    // It survives the file format.
    let read = TlogProof::parse(&p.to_bytes()).unwrap();
    assert_eq!(check(&net.policy, &read, b"entry 3\n"), Ok(proven));

    // Another entry, or the same proof at another index.
    let inclusion = |r| matches!(r, Err(ProofCheckError::Inclusion(_)));
    assert!(inclusion(check(&net.policy, &p, b"entry 2\n")));
    let moved = TlogProof {
        index: 2,
        ..p.clone()
    };
    assert!(inclusion(check(&net.policy, &moved, b"entry 3\n")));
    let beyond = TlogProof {
        index: 9,
        ..p.clone()
    };
    assert!(inclusion(check(&net.policy, &beyond, b"entry 3\n")));

    // A log the policy does not name, however well signed; a key the policy does not give the
    // log's name.
    let b = &net.bks[1];
    let signed_by = |name: &str, seed: u8| {
        let k = key(name, tally_tlog::KeyType::Ed25519, seed);
        let cp = Checkpoint::new(k.name(), 5, b.store.root(5).unwrap(), "").unwrap();
        note::sign(&cp.to_bytes(), std::slice::from_ref(&k), 0).unwrap()
    };
    let foreign = TlogProof {
        checkpoint: signed_by("elsewhere.example/log", 99),
        ..p.clone()
    };
    assert_eq!(
        check(&net.policy, &foreign, b"entry 3\n"),
        Err(ProofCheckError::UnknownLog("elsewhere.example/log".into()))
    );
    let impostor = TlogProof {
        checkpoint: signed_by(b.log.name(), 99),
        ..p.clone()
    };
    assert!(matches!(
        check(&net.policy, &impostor, b"entry 3\n"),
        Err(ProofCheckError::Signature { .. })
    ));

    // The log's signature altered: one flipped character of its signature line.
    let mut forged = p.clone();
    let at = forged.checkpoint.iter().rposition(|&b| b == b'=').unwrap() - 3;
    forged.checkpoint[at] = if forged.checkpoint[at] == b'A' {
        b'B'
    } else {
        b'A'
    };
    assert!(check(&net.policy, &forged, b"entry 3\n").is_err());

    // Signed by the log alone, or with one witness where the policy wants two.
    let cp = Checkpoint::new(b.log.name(), 5, b.store.root(5).unwrap(), "").unwrap();
    let alone = note::sign(&cp.to_bytes(), std::slice::from_ref(&b.log), 0).unwrap();
    let one = note::add_signatures(
        &alone,
        std::slice::from_ref(&net.bks[0].witness),
        cosigned_at(),
    )
    .unwrap();
    for (checkpoint, n) in [(alone, 0), (one, 1)] {
        let weak = TlogProof {
            checkpoint,
            ..p.clone()
        };
        assert_eq!(
            check(&net.policy, &weak, b"entry 3\n"),
            Err(ProofCheckError::UnderCosigned {
                independent: n,
                required: 2
            })
        );
    }
}
