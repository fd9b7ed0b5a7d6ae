//! c2sp.org/tlog-proof files checked against the policy: a proof of a logged entry checks, and
//! each thing the specification's verifier must refuse is refused.

mod common;

use common::*;
use tally_tlog::tlog_proof::ProofCheckError;
use tally_tlog::TlogPolicy;
use tally_tlog::{note, Checkpoint, TlogProof};
use tally_trust::tlog_proof::check;

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
    // It survives the file format, and checks under the c2sp.org/tlog-policy file the policy
    // writes for bk1 as under the policy itself.
    let read = TlogProof::parse(&p.to_bytes()).unwrap();
    assert_eq!(check(&net.policy, &read, b"entry 3\n"), Ok(proven));
    let file = net.policy.tlog_policy("bk1").to_bytes();
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(
        text.contains("group operator-Operator_0 1 witness-bk0\n"),
        "{text}"
    );
    assert!(
        text.ends_with("group quorum 2 operator-Operator_0 operator-Operator_2\nquorum quorum\n"),
        "{text}"
    );
    let c2sp = TlogPolicy::parse(&file).unwrap();
    assert_eq!(c2sp, net.policy.tlog_policy("bk1"));
    assert!(read.check(&c2sp, b"entry 3\n").is_ok());
    assert!(
        read.check(&net.policy.tlog_policy("bk0"), b"entry 3\n")
            .is_err(),
        "another log's file"
    );

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
        Err(ProofCheckError::Signature(_))
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
            Err(ProofCheckError::Quorum(n))
        );
    }
}

/// The tlog-policy a policy writes means what the policy means: for every log, threshold and
/// subset of witnesses (the log's own included), its quorum is met exactly when that many other
/// operators cosigned.
#[test]
fn the_written_tlog_policy_has_the_policys_witness_rule() {
    // (A threshold of 0 needs the policy's explicit consent, which this helper does not give;
    // it writes `quorum none`.)
    for t in 1..=4 {
        let net = Net::new(5, 3, t);
        let witnesses: Vec<_> = net.bks.iter().map(|b| b.witness.verifier()).collect();
        for (i, b) in net.policy.bookkeepers.iter().enumerate() {
            let c2sp = TlogPolicy::parse(&net.policy.tlog_policy(&b.name).to_bytes()).unwrap();
            assert_eq!(c2sp.logs.len(), 1);
            assert_eq!(c2sp.log(b.log_key.name()), Some(&net.bks[i].log.verifier()));
            for subset in 0u32..32 {
                let cosigned: Vec<_> = (0..5)
                    .filter(|j| subset & (1 << j) != 0)
                    .map(|j| witnesses[j].clone())
                    .collect();
                let tally = net.policy.independent_cosigners(&b.name, cosigned.iter()) >= t;
                assert_eq!(
                    c2sp.quorum_met(&cosigned),
                    tally,
                    "t={t} log={} subset={subset:05b}",
                    b.name
                );
            }
        }
    }
}
