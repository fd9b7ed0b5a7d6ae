//! The network policy: distinct operators and keys are what count, and bad files say why.

mod common;

use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use tally_tlog::KeyType;
use tally_trust::{Entry, Policy, PolicyError};

fn base() -> Value {
    let net = Net::new(3, 2, 1);
    serde_json::from_str(&net.policy.to_json()).unwrap()
}

fn parse(v: &Value) -> Result<Policy, PolicyError> {
    Policy::parse(v.to_string().as_bytes())
}

#[test]
fn round_trips() {
    let p = parse(&base()).unwrap();
    assert_eq!(p.bookkeepers.len(), 3);
    assert_eq!(
        p.witnesses_for("bk1").len(),
        2,
        "a log's own witness key does not count for it"
    );
    assert_eq!(
        Policy::parse(p.to_json().as_bytes()).unwrap().to_json(),
        p.to_json()
    );
}

#[test]
fn quorum_counts_operators_not_lines() {
    let mut v = base();
    v["bookkeepers"][2]["operator"] = json!("Operator 0");
    v["log_quorum"] = json!(3);
    assert_eq!(
        parse(&v).unwrap_err(),
        PolicyError::QuorumTooLarge { k: 3, operators: 2 }
    );
    v["log_quorum"] = json!(2);
    assert_eq!(parse(&v).unwrap().operators().len(), 2);
}

#[test]
fn a_key_shared_between_bookkeepers_is_refused() {
    let mut v = base();
    v["bookkeepers"][1]["log_key"] = v["bookkeepers"][0]["log_key"].clone();
    assert!(matches!(parse(&v), Err(PolicyError::SharedKey(..))));
    // The same Ed25519 key as a witness key elsewhere (other type byte, other key ID) is the same key.
    let mut v = base();
    let log0 = key("bk0.tally.example/log", KeyType::Ed25519, 100);
    let as_witness =
        tally_tlog::SignerKey::from_seed("x", KeyType::Cosignature, &[100; 32]).unwrap();
    assert_eq!(log0.verifier().ed25519(), as_witness.verifier().ed25519());
    v["bookkeepers"][1]["witness_key"] = json!(as_witness.verifier().to_string());
    assert!(matches!(parse(&v), Err(PolicyError::SharedKey(..))));
}

/// A change to a valid policy, and what its error must look like.
type Mutation = fn(&mut Value);
type Expectation = fn(&PolicyError) -> bool;

#[test]
fn each_mistake_has_its_own_error() {
    let cases: Vec<(Mutation, Expectation)> = vec![
        (
            |v| v["log_quorum"] = json!(0),
            |e| *e == PolicyError::QuorumZero,
        ),
        (
            |v| v["witness_threshold"] = json!(3),
            |e| matches!(e, PolicyError::WitnessThresholdTooLarge { t: 3, peers: 2 }),
        ),
        (
            |v| v["governance"] = json!([]),
            |e| *e == PolicyError::NoGovernance,
        ),
        (
            |v| v["bookkeepers"][1]["name"] = json!("bk0"),
            |e| matches!(e, PolicyError::DuplicateName(_)),
        ),
        (
            |v| v["bookkeepers"][0]["urls"] = json!([]),
            |e| matches!(e, PolicyError::NoUrl(_)),
        ),
        (
            |v| v["bookkeepers"][0]["urls"] = json!(["file:///etc/passwd"]),
            |e| matches!(e, PolicyError::BadUrl { .. }),
        ),
        (
            |v| v["bookkeepers"][0]["witness_key"] = v["bookkeepers"][0]["log_key"].clone(),
            |e| {
                matches!(
                    e,
                    PolicyError::Key {
                        what: "witness",
                        ..
                    }
                )
            },
        ),
        (
            |v| v["bookkeepers"][0]["log_key"] = json!("nonsense"),
            |e| matches!(e, PolicyError::Key { what: "log", .. }),
        ),
        (
            |v| v["surprise"] = json!(1),
            |e| matches!(e, PolicyError::Json(_)),
        ),
        (
            |v| {
                v["cold_chain"] =
                    json!([{"gtin_prefix": "0", "min_celsius": 5.0, "max_celsius": 1.0}])
            },
            |e| matches!(e, PolicyError::BadColdChain(_)),
        ),
    ];
    for (i, (mutate, expect)) in cases.into_iter().enumerate() {
        let mut v = base();
        mutate(&mut v);
        let err = parse(&v).unwrap_err();
        assert!(expect(&err), "case {i}: {err}");
    }
    assert_eq!(
        Policy::parse(&vec![b' '; 2 * 1024 * 1024]).unwrap_err(),
        PolicyError::TooLarge
    );
}

#[test]
fn cold_chain_rule_is_the_most_specific() {
    let mut v = base();
    v["cold_chain"] = json!([
        {"gtin_prefix": "09", "min_celsius": -25.0, "max_celsius": -18.0},
        {"gtin_prefix": "0950600013", "min_celsius": 0.0, "max_celsius": 25.0}
    ]);
    let p = parse(&v).unwrap();
    assert_eq!(p.cold_chain_for(GTIN).unwrap().max_celsius, 25.0);
    assert_eq!(
        p.cold_chain_for("09999999999999").unwrap().max_celsius,
        -18.0
    );
    assert!(p.cold_chain_for("19999999999999").is_none());
}

proptest! {
    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Policy::parse(&data);
        let _ = Entry::decode(&data);
    }

    #[test]
    fn entries_with_a_valid_prefix_never_panic(kind in 0u8..6, tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut data = b"tally/entry/v1\n".to_vec();
        data.push(kind);
        data.extend(tail);
        if let Ok(e) = Entry::decode(&data) {
            prop_assert_eq!(e.encode(), data);
        }
    }
}

mod history {
    use tally_tlog::{KeyType, SignerKey};
    use tally_trust::policy_history::{sign, History, HistoryError, Link};
    use tally_trust::Policy;

    fn gov() -> SignerKey {
        SignerKey::from_seed("gov.example", KeyType::Ed25519, &[7; 32]).unwrap()
    }

    /// A policy of `gov()` with quorum `k` (the version's distinguishing mark here).
    fn policy(k: usize) -> Policy {
        let log = |i: u8| {
            SignerKey::from_seed(&format!("bk{i}/log"), KeyType::Ed25519, &[i; 32]).unwrap()
        };
        let wit = |i: u8| {
            SignerKey::from_seed(&format!("bk{i}/w"), KeyType::Cosignature, &[i + 9; 32]).unwrap()
        };
        let json = serde_json::json!({
            "network": "tally.example",
            "governance": [gov().verifier().to_string()],
            "bookkeepers": (1..=3u8).map(|i| serde_json::json!({
                "name": format!("bk{i}"), "operator": format!("Op {i}"),
                "log_key": log(i).verifier().to_string(), "witness_key": wit(i).verifier().to_string(),
                "urls": [format!("http://127.0.0.1:{}", 7000 + i as u16)]})).collect::<Vec<_>>(),
            "log_quorum": k,
            "witness_threshold": 1,
        });
        Policy::parse(json.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn versions_follow_governance_links_forward_and_each_has_its_term() {
        let (v1, v2, v3) = (policy(1), policy(2), policy(3));
        let l2 = sign(&v1, &v2, 2, 1_000, &gov()).unwrap();
        let l3 = sign(&v2, &v3, 3, 2_000, &gov()).unwrap();
        // In any order, and links from elsewhere ignored.
        let h = History::walk(v1.clone(), &[l3.clone(), l2.clone()]).unwrap();
        let quorums: Vec<usize> = h.versions().iter().map(|v| v.policy.log_quorum).collect();
        assert_eq!(quorums, [1, 2, 3]);
        assert_eq!(h.in_force(999).policy.log_quorum, 1);
        assert_eq!(h.in_force(1_000).policy.log_quorum, 2);
        assert_eq!(h.in_force(5_000).policy.log_quorum, 3);
        // From version 2 on, version 1 is out of reach: links lead forward only.
        let from2 = History::walk(v2.clone(), &[l2, l3]).unwrap();
        assert_eq!(from2.versions().len(), 2);
        assert_eq!(from2.in_force(0).policy.log_quorum, 2);
    }

    #[test]
    fn forged_forked_and_disordered_links_are_refused() {
        let (v1, v2) = (policy(1), policy(2));
        let other = SignerKey::from_seed("gov.example", KeyType::Ed25519, &[8; 32]).unwrap();
        // Signed by a key that is not governance's: no successor.
        let forged = sign(&v1, &v2, 2, 1_000, &other).unwrap();
        assert_eq!(
            History::walk(v1.clone(), &[forged])
                .unwrap()
                .versions()
                .len(),
            1
        );
        // Two different successors of one version.
        let a = sign(&v1, &v2, 2, 1_000, &gov()).unwrap();
        let b = sign(&v1, &policy(3), 2, 1_000, &gov()).unwrap();
        assert_eq!(
            History::walk(v1.clone(), &[a.clone(), b]).unwrap_err(),
            HistoryError::Fork(2)
        );
        // A policy file swapped under a genuine note.
        let swapped = Link {
            json: policy(3).to_json().into_bytes(),
            note: a.note.clone(),
        };
        assert_eq!(
            History::walk(v1.clone(), &[swapped]).unwrap_err(),
            HistoryError::Digest
        );
        // A version in force before the one it replaces, and a skipped number.
        let l2 = sign(&v1, &v2, 2, 1_000, &gov()).unwrap();
        let early = sign(&v2, &policy(3), 3, 500, &gov()).unwrap();
        assert_eq!(
            History::walk(v1.clone(), &[l2.clone(), early]).unwrap_err(),
            HistoryError::Order(3)
        );
        let same = sign(&v1, &v1, 2, 1_000, &gov()).unwrap();
        assert_eq!(
            History::walk(v1.clone(), &[same]).unwrap_err(),
            HistoryError::Unchanged(2)
        );
        let skip = sign(&v2, &policy(3), 5, 2_000, &gov()).unwrap();
        assert_eq!(
            History::walk(v1, &[l2, skip]).unwrap_err(),
            HistoryError::Number { got: 5, before: 2 }
        );
    }
}
