//! Policy lifetime: a package made before the network rotated its keys still checks years later,
//! under the policy that was in force when its checkpoints were cosigned; one made after checks
//! under the new keys, reached from the old policy only through governance's signed link.

#[path = "../../trust/tests/common/mod.rs"]
mod common;

use common::*;
use tally_evidence::report::Font;
use tally_evidence::{build, check, Export, PackageError};
use tally_tlog::KeyType;
use tally_trust::policy_history::{self, Link};
use tally_trust::{LogEvidence, Policy, Status};

const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const DAY: u64 = 86_400;

fn now() -> u64 {
    t(NOW).unix_timestamp() as u64
}

fn package(policy: &Policy, logs: &[LogEvidence], at: u64, history: &[Link]) -> Vec<u8> {
    let font = Font::new(std::fs::read(FONT).unwrap(), 0).unwrap();
    let exported_at = time::OffsetDateTime::from_unix_timestamp(at as i64).unwrap();
    let export = Export {
        product: &unit(1001),
        exported_at,
        policy,
        logs,
        secrets: &[],
        font: &font,
        history,
    };
    build(&export).0
}

/// Every log and witness key of `net` replaced (seeded by `seed`), as operators rotating keys
/// do: the net signs with the new keys from now on; returns the policy that names them.
fn rotate(net: &mut Net, seed: u8) -> Policy {
    let mut v: serde_json::Value = serde_json::from_str(&net.policy.to_json()).unwrap();
    for (i, b) in net.bks.iter_mut().enumerate() {
        b.log = key(
            &format!("bk{i}.tally.example/log"),
            KeyType::Ed25519,
            seed + i as u8,
        );
        b.witness = key(
            &format!("bk{i}.tally.example/witness"),
            KeyType::Cosignature,
            seed + 10 + i as u8,
        );
        v["bookkeepers"][i]["log_key"] = b.log.verifier().to_string().into();
        v["bookkeepers"][i]["witness_key"] = b.witness.verifier().to_string().into();
    }
    net.policy = Policy::parse(v.to_string().as_bytes()).unwrap();
    net.policy.clone()
}

fn evidence_at(net: &Net, when: u64) -> Vec<LogEvidence> {
    (0..net.bks.len())
        .map(|i| net.evidence_cosigned_at(i, when))
        .collect()
}

fn status(r: Result<tally_evidence::Checked, PackageError>) -> String {
    match r {
        Ok(c) => format!("{:?}", c.verdict.status),
        Err(PackageError::Mismatch { found, .. }) => format!("refused: evidence {found}"),
        Err(e) => format!("refused: {e}"),
    }
}

#[test]
fn packages_from_before_and_after_a_key_rotation_each_check_under_their_own_policy() {
    let mut chain = Chain::new();
    chain.journey(false);
    let v1 = chain.net.policy.clone();
    // Made now, cosigned a minute ago, under version 1.
    let before = package(&v1, &chain.net.all_evidence(), now(), &[]);
    // Tomorrow every log and witness key is replaced; governance signs version 2.
    let v2 = rotate(&mut chain.net, 60);
    let gov = chain.net.gov.clone();
    let link = policy_history::sign(&v1, &v2, 2, now() + DAY, &gov).unwrap();
    // Made the day after, cosigned by the new witnesses, under version 2, carrying the link.
    let after = package(
        &v2,
        &evidence_at(&chain.net, now() + 2 * DAY),
        now() + 2 * DAY,
        std::slice::from_ref(&link),
    );

    // A court that trusts version 1 and holds the link: each package under its own version.
    let c = check(&before, Some(&v1), std::slice::from_ref(&link)).unwrap();
    assert_eq!(
        c.verdict.status,
        Status::Verified,
        "{:?}",
        c.verdict.reasons
    );
    assert_eq!(c.policy_fingerprint, format!("sha256:{}", v1.fingerprint()));
    let c = check(&after, Some(&v1), &[]).unwrap();
    assert_eq!(
        c.verdict.status,
        Status::Verified,
        "the package's own link leads to version 2"
    );
    assert_eq!(c.policy_fingerprint, format!("sha256:{}", v2.fingerprint()));
    // Someone who trusts version 2 alone cannot judge the old package: the keys it was signed
    // with are not in their policy, and it says so rather than pass it.
    assert_eq!(
        status(check(&before, Some(&v2), &[])),
        "refused: evidence unverifiable"
    );
    // Without the link, version 1 knows nothing of the new keys.
    let bare = package(
        &v2,
        &evidence_at(&chain.net, now() + 2 * DAY),
        now() + 2 * DAY,
        &[],
    );
    assert_eq!(
        status(check(&bare, Some(&v1), &[])),
        "refused: evidence unverifiable"
    );
}

#[test]
fn a_link_not_signed_by_governance_leads_nowhere() {
    let mut chain = Chain::new();
    chain.journey(false);
    let v1 = chain.net.policy.clone();
    // An attacker's own keys dressed up as version 2, signed by a key that is not governance's.
    let forged = rotate(&mut chain.net, 80);
    let intruder = key("gov.tally.example", KeyType::Ed25519, 201);
    let link = policy_history::sign(&v1, &forged, 2, now() + DAY, &intruder).unwrap();
    let tar = package(
        &forged,
        &evidence_at(&chain.net, now() + 2 * DAY),
        now() + 2 * DAY,
        std::slice::from_ref(&link),
    );
    assert_eq!(
        status(check(&tar, Some(&v1), &[])),
        "refused: evidence unverifiable"
    );
}

#[test]
fn a_device_that_trusted_the_old_keys_reads_no_rollback_after_the_rotation() {
    use tally_trust::{verify, Reason, Request, TrustState};
    let mut chain = Chain::new();
    chain.journey(false);
    let mut state = TrustState::default();
    let first = verify(&Request::online(
        &chain.net.policy,
        &unit(1001),
        &chain.net.all_evidence(),
        &state,
        t(NOW),
    ));
    assert_eq!(first.status, Status::Verified);
    for (origin, cp) in first.trust_updates {
        state.trust(&origin, cp);
    }
    let sizes: Vec<u64> = chain.net.bks.iter().map(|b| b.store.size()).collect();
    // The logs go on (the same trees) under rotated keys, and grow.
    let v2 = rotate(&mut chain.net, 60);
    chain.journey_sale();
    let mut logs = chain.net.all_evidence();
    for (i, l) in logs.iter_mut().enumerate() {
        let s = &chain.net.bks[i].store;
        l.consistency = Some(s.consistency_proof(sizes[i], s.size()).unwrap());
    }
    let v = verify(&Request::online(&v2, &unit(1001), &logs, &state, t(NOW)));
    assert!(
        !v.reasons.iter().any(|r| matches!(
            r,
            Reason::LogInconsistent { .. } | Reason::ConsistencyUnproven { .. }
        )),
        "{:?}",
        v.reasons
    );
    assert!(
        matches!(v.status, Status::Verified | Status::Warning),
        "{:?}",
        v.reasons
    );
    assert_eq!(
        v.trust_updates.len(),
        3,
        "the device moves on to the new checkpoints"
    );
}
