//! The verdict on real (in-memory) logs: every reason the issue names, each provoked on purpose.

mod common;

use common::*;
use serde_json::json;
use tally_tlog::{Hash, KeyType};
use tally_trust::custody::{Finding, SetAside};
use tally_trust::registry::AuthError;
use tally_trust::verdict::{LogEvidence, Reason};
use tally_trust::{verify, Entry, Record, Request, Status, TrustState, Verdict};

fn run(
    net: &Net,
    product: &str,
    logs: &[LogEvidence],
    unreachable: &[String],
    state: &TrustState,
) -> Verdict {
    verify(&Request {
        unreachable,
        ..Request::online(&net.policy, product, logs, state, t(NOW))
    })
}

fn verdict(net: &Net, product: &str) -> Verdict {
    run(
        net,
        product,
        &net.all_evidence(),
        &[],
        &TrustState::default(),
    )
}

/// The reason codes, but `foreign_entries`: these in-memory logs serve every entry they hold,
/// where a bookkeeper serves only the product's.
fn codes(v: &Verdict) -> Vec<String> {
    v.reasons
        .iter()
        .filter(|r| !matches!(r, Reason::ForeignEntries { .. }))
        .map(|r| {
            serde_json::to_value(r).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn finding(v: &Verdict) -> Vec<&Finding> {
    v.reasons
        .iter()
        .filter_map(|r| {
            if let Reason::Custody { finding, .. } = r {
                Some(finding)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn honest_journey_is_verified_with_pallet_events_in_the_timeline() {
    let mut c = Chain::new();
    c.journey(false);
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
    let steps: Vec<&str> = v
        .timeline
        .iter()
        .map(|s| s.biz_step.as_deref().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "commissioning",
            "packing",
            "shipping",
            "receiving",
            "unpacking",
            "shipping",
            "receiving"
        ]
    );
    assert!(v.timeline.iter().all(|s| s.logs.len() == 3));
    assert_eq!(v.timeline[0].org.as_ref().unwrap().gln, c.processor);
    assert_eq!(v.timeline[2].temperatures[0].celsius, 18.5);
    assert_eq!(
        v.trust_updates.len(),
        3,
        "first use trusts every log's checkpoint"
    );
    // The unit's sibling shares the pallet but not the retail leg.
    let sib = verdict(&c.net, &unit(1002));
    assert_eq!(sib.status, Status::Verified);
    assert_eq!(sib.timeline.len(), 5);
}

#[test]
fn pallet_events_after_unpacking_do_not_belong_to_the_unit() {
    let mut c = Chain::new();
    c.journey(false);
    let dev = c.imp_dev.clone();
    let imp = c.importer.clone();
    c.net.record(
        &dev,
        &Event::object("2026-03-25T10:00:00Z", "storing", vec![sscc(1)], &imp),
    );
    let v = verdict(&c.net, &unit(1001));
    assert!(!v
        .timeline
        .iter()
        .any(|s| s.biz_step.as_deref() == Some("storing")));
}

#[test]
fn unknown_product_has_no_history() {
    let mut c = Chain::new();
    c.journey(false);
    let v = verdict(&c.net, &unit(9999));
    assert_eq!(v.status, Status::Failed);
    assert_eq!(codes(&v), ["no_history"]);
}

#[test]
fn one_bookkeeper_down_still_verifies_two_of_three() {
    let mut c = Chain::new();
    c.journey(false);
    let logs = vec![c.net.evidence(0), c.net.evidence(2)];
    let v = run(
        &c.net,
        &unit(1001),
        &logs,
        &["bk1".into()],
        &TrustState::default(),
    );
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
    assert_eq!(codes(&v), ["log_unreachable"]);
    assert!(v.timeline.iter().all(|s| s.logs == ["bk0", "bk2"]));
    // Two down: nothing can reach the quorum of 2. That is not evidence against the product.
    let v = run(
        &c.net,
        &unit(1001),
        &logs[..1],
        &["bk1".into(), "bk2".into()],
        &TrustState::default(),
    );
    assert_eq!(v.status, Status::Unverifiable, "{:?}", v.reasons);
    assert!(codes(&v).contains(&"too_few_logs".to_owned()));
    assert!(v.timeline.is_empty());
}

#[test]
fn a_bookkeeper_serving_a_tampered_entry_is_caught() {
    let mut c = Chain::new();
    c.journey(false);
    let mut logs = c.net.all_evidence();
    // bk2 serves a rewritten shipping event (to another destination) with its old proof.
    let shipping = |b: &[u8]| String::from_utf8_lossy(b).contains("\"bizStep\":\"shipping\"");
    let pos = logs[2]
        .entries
        .iter()
        .position(|e| shipping(&e.bytes))
        .unwrap();
    let bytes = &mut logs[2].entries[pos].bytes;
    let at = bytes
        .windows(13)
        .position(|w| w == c.importer.as_bytes())
        .unwrap();
    bytes[at..at + 13].copy_from_slice(c.retailer.as_bytes());
    let v = run(&c.net, &unit(1001), &logs, &[], &TrustState::default());
    assert_eq!(v.status, Status::Warning);
    assert!(v
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::BadInclusionProof { log, .. } if log == "bk2")));
    assert_eq!(
        v.timeline.len(),
        7,
        "the genuine entry is still proven by bk0 and bk1"
    );
}

#[test]
fn an_entry_in_one_log_only_is_not_counted() {
    let mut c = Chain::new();
    c.journey(false);
    let r = c.retailer.clone();
    let mut s = Event::object(
        "2026-04-01T10:00:00Z",
        "retail_selling",
        vec![unit(1001)],
        &r,
    );
    s.disposition = Some("retail_sold");
    let e = Entry::sign_event(&s.json(), &c.ret_dev).unwrap();
    c.net.append(&[1], &e.encode());
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Warning);
    assert!(v
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::EntryBelowQuorum { logs, need: 2, .. } if logs == &["bk1"])));
    assert!(
        finding(&v).is_empty(),
        "the unconfirmed sale is not a finding"
    );
}

#[test]
fn forged_signature_fails() {
    let mut c = Chain::new();
    c.journey(false);
    let r = c.retailer.clone();
    let mut e = Entry::sign_event(
        &Event::object("2026-04-01T10:00:00Z", "storing", vec![unit(1001)], &r).json(),
        &c.ret_dev,
    )
    .unwrap();
    e.signature[10] ^= 1;
    c.net.append_all(&e.encode());
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Failed);
    assert!(codes(&v).contains(&"bad_signature".to_owned()));
}

fn auth_error(v: &Verdict) -> Option<&AuthError> {
    v.reasons.iter().find_map(|r| {
        if let Reason::Unauthorised { error, .. } = r {
            Some(error)
        } else {
            None
        }
    })
}

#[test]
fn an_unknown_signer_is_not_counted() {
    let mut c = Chain::new();
    c.journey(false);
    let stranger = key("stranger", KeyType::Ed25519, 99);
    let r = c.retailer.clone();
    c.net.record(
        &stranger,
        &Event::object("2026-04-01T10:00:00Z", "storing", vec![unit(1001)], &r),
    );
    let v = verdict(&c.net, &unit(1001));
    // Not evidence against the product: the step is not counted, and named.
    assert_eq!(v.status, Status::Warning);
    assert_eq!(auth_error(&v), Some(&AuthError::SignerUnknown));
}

#[test]
fn a_revoked_device_is_not_counted_for_events_after_revocation() {
    let mut c = Chain::new();
    c.journey(false);
    let org = c
        .net
        .orgs
        .iter()
        .find(|(g, _)| *g == c.retailer)
        .unwrap()
        .1
        .clone();
    let rev = Record::Revocation {
        key: c.ret_dev.verifier().to_string(),
        since: t("2026-03-30T00:00:00Z"),
        reason: "device lost".into(),
    };
    c.net.append_all(
        &Entry::sign(rev.kind(), rev.to_payload(), None, &org)
            .unwrap()
            .encode(),
    );
    let r = c.retailer.clone();
    let dev = c.ret_dev.clone();
    c.net.record(
        &dev,
        &Event::object("2026-04-01T10:00:00Z", "storing", vec![unit(1001)], &r),
    );
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Warning);
    assert!(matches!(
        auth_error(&v),
        Some(AuthError::SignerRevoked { .. })
    ));
    // Its earlier receiving event (before the revocation) still counts.
    assert_eq!(
        v.reasons
            .iter()
            .filter(|r| matches!(r, Reason::Unauthorised { .. }))
            .count(),
        1
    );
}

#[test]
fn revocation_by_an_unrelated_organisation_does_not_count() {
    let mut c = Chain::new();
    c.journey(false);
    let other_org = c
        .net
        .orgs
        .iter()
        .find(|(g, _)| *g == c.farm)
        .unwrap()
        .1
        .clone();
    let rev = Record::Revocation {
        key: c.ret_dev.verifier().to_string(),
        since: t("2026-01-01T00:00:00Z"),
        reason: "x".into(),
    };
    c.net.append_all(
        &Entry::sign(rev.kind(), rev.to_payload(), None, &other_org)
            .unwrap()
            .encode(),
    );
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
    assert!(codes(&v).contains(&"registry_record_rejected".to_owned()));
}

#[test]
fn expired_certificate_and_wrong_step_and_wrong_place_are_not_counted() {
    let mut c = Chain::new();
    c.journey(false);
    let r = c.retailer.clone();
    let dev = c.ret_dev.clone();
    c.net.record(
        &dev,
        &Event::object("2027-02-01T10:00:00Z", "storing", vec![unit(1001)], &r),
    );
    let v = run(
        &c.net,
        &unit(1001),
        &c.net.all_evidence(),
        &[],
        &TrustState::default(),
    );
    assert!(
        matches!(auth_error(&v), Some(AuthError::SignerExpired { .. })),
        "{:?}",
        v.reasons
    );

    let mut c = Chain::new();
    c.journey(false);
    let r = c.retailer.clone();
    let dev = c.ret_dev.clone();
    c.net.record(
        &dev,
        &Event::object("2026-04-01T10:00:00Z", "destroying", vec![unit(1001)], &r),
    );
    let v = verdict(&c.net, &unit(1001));
    assert!(
        matches!(auth_error(&v), Some(AuthError::NotAuthorisedStep { step, .. }) if step == "destroying")
    );

    let mut c = Chain::new();
    c.journey(false);
    let elsewhere = gln(77);
    let dev = c.ret_dev.clone();
    c.net.record(
        &dev,
        &Event::object(
            "2026-04-01T10:00:00Z",
            "storing",
            vec![unit(1001)],
            &elsewhere,
        ),
    );
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Warning);
    assert!(
        matches!(auth_error(&v), Some(AuthError::NotAuthorisedPlace { place, .. }) if *place == elsewhere)
    );
}

#[test]
fn under_cosigned_checkpoint_is_not_used() {
    let mut c = Chain::new();
    c.journey(false);
    let mut logs = c.net.all_evidence();
    // bk0's checkpoint with only its own log signature.
    let b = &c.net.bks[0];
    let size = b.store.size();
    let cp =
        tally_tlog::Checkpoint::new(b.log.name(), size, b.store.root(size).unwrap(), "").unwrap();
    logs[0].checkpoint =
        tally_tlog::note::sign(&cp.to_bytes(), std::slice::from_ref(&b.log), 0).unwrap();
    let v = run(&c.net, &unit(1001), &logs, &[], &TrustState::default());
    assert_eq!(v.status, Status::Warning);
    assert!(v.reasons.iter().any(|r| matches!(r, Reason::CheckpointInvalid { log, detail } if log == "bk0" && detail.contains("independent operators"))));
    assert!(v.timeline.iter().all(|s| s.logs == ["bk1", "bk2"]));
}

/// The trust state after a first verification of `c`'s logs.
fn trusted_after(c: &Chain) -> TrustState {
    let mut state = TrustState::default();
    for (origin, cp) in verdict(&c.net, &unit(1001)).trust_updates {
        state.trust(&origin, cp);
    }
    state
}

/// `grown`'s evidence with consistency proofs from `old`'s sizes.
fn grown_evidence(old: &Chain, grown: &Chain) -> Vec<LogEvidence> {
    let mut logs = grown.net.all_evidence();
    for (i, l) in logs.iter_mut().enumerate() {
        let s = &grown.net.bks[i].store;
        let from = old.net.bks[i].store.size();
        l.consistency = Some(s.consistency_proof(from, s.size()).unwrap());
    }
    logs
}

fn inconsistency<'a>(v: &'a Verdict, log: &str) -> Option<&'a tally_trust::state::Inconsistency> {
    v.reasons.iter().find_map(|r| match r {
        Reason::LogInconsistent { log: l, evidence } if l == log => Some(evidence),
        _ => None,
    })
}

#[test]
fn a_rollback_sets_the_log_aside_keeps_both_notes_and_judges_on_the_others() {
    let mut c = Chain::new();
    c.journey(false);
    let state = trusted_after(&c);
    let old_note = String::from_utf8(c.net.checkpoint(0)).unwrap();
    // Growth with a valid consistency proof advances the state.
    let mut grown = Chain::new();
    grown.journey(true);
    let v = run(
        &grown.net,
        &unit(1001),
        &grown_evidence(&c, &grown),
        &[],
        &state,
    );
    assert_eq!(v.trust_updates.len(), 3);
    assert_eq!(v.status, Status::Warning, "sold: {:?}", v.reasons);
    let mut later = TrustState::default();
    for (origin, cp) in v.trust_updates {
        later.trust(&origin, cp);
    }
    // bk0 is restored from an old backup and serves its old, smaller tree (freshly cosigned).
    let mut logs = grown.net.all_evidence();
    logs[0] = c.net.evidence(0);
    let v = run(&grown.net, &unit(1001), &logs, &[], &later);
    let ev = inconsistency(&v, "bk0").expect("a rollback");
    assert_eq!(ev.kind, "rollback");
    assert_eq!(ev.new_note, old_note);
    assert_eq!(v.status, Status::Warning, "{:?}", v.reasons);
    assert_eq!(v.timeline.len(), 8, "bk1 and bk2 prove the whole history");
    assert!(v.timeline.iter().all(|s| s.logs == ["bk1", "bk2"]));
    assert!(v.trust_updates.is_empty(), "nothing new to trust");
    // Every log rolled back: nothing can be checked, which is not evidence against the product.
    let v = run(&c.net, &unit(1001), &c.net.all_evidence(), &[], &later);
    assert_eq!(v.status, Status::Unverifiable, "{:?}", v.reasons);
}

#[test]
fn an_old_checkpoint_replayed_is_stale_not_a_rollback() {
    let mut c = Chain::new();
    c.journey(false);
    // The answer bk0 gave before the sale was logged, cosigned then: 10 minutes ago.
    let old = c.net.evidence_cosigned_at(0, cosigned_at() - 600);
    let state = trusted_after(&c);
    c.journey_sale();
    let mut later = TrustState::default();
    for (origin, cp) in verdict(&c.net, &unit(1001)).trust_updates {
        later.trust(&origin, cp);
    }
    let mut logs = c.net.all_evidence();
    logs[0] = old.clone();
    let v = run(&c.net, &unit(1001), &logs, &[], &later);
    assert!(inconsistency(&v, "bk0").is_none(), "{:?}", v.reasons);
    assert!(v.reasons.iter().any(|r| matches!(r, Reason::StaleCheckpoint { log, age_seconds, max_seconds: 300 } if log == "bk0" && *age_seconds == 660)), "{:?}", v.reasons);
    assert!(
        finding(&v)
            .iter()
            .any(|f| matches!(f, Finding::AlreadySold { .. })),
        "the sale still shows"
    );
    // Replayed to every log at once: too few fresh logs to say anything.
    let all: Vec<LogEvidence> = (0..3)
        .map(|i| c.net.evidence_cosigned_at(i, cosigned_at() - 600))
        .collect();
    let v = run(&c.net, &unit(1001), &all, &[], &state);
    assert_eq!(v.status, Status::Unverifiable, "{:?}", v.reasons);
    // A rollback signed by the log alone, with no witness vouching for it, may be an old note
    // stripped of its cosignatures: not used, but not evidence either.
    let b = &c.net.bks[0];
    let size = old_size(&old);
    let cp =
        tally_tlog::Checkpoint::new(b.log.name(), size, b.store.root(size).unwrap(), "").unwrap();
    let mut bare = c.net.all_evidence();
    bare[0].checkpoint =
        tally_tlog::note::sign(&cp.to_bytes(), std::slice::from_ref(&b.log), 0).unwrap();
    let v = run(&c.net, &unit(1001), &bare, &[], &later);
    assert!(inconsistency(&v, "bk0").is_none());
    assert!(v
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::CheckpointInvalid { log, .. } if log == "bk0")));
}

fn old_size(ev: &LogEvidence) -> u64 {
    let text = String::from_utf8_lossy(&ev.checkpoint).into_owned();
    text.lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_fork_signed_by_the_log_alone_is_evidence() {
    let mut c = Chain::new();
    c.journey(false);
    let state = trusted_after(&c);
    // Same size, different root: the log rewrote an entry and re-signed, without any witness.
    let mut forked = Chain::new();
    forked.journey(false);
    let b = &mut forked.net.bks[0];
    let last = b.entries.len() - 1;
    b.entries[last][20] ^= 1;
    let mut store = tally_tlog::MemoryStore::new();
    for e in &b.entries {
        store.append(e).unwrap();
    }
    b.store = store;
    let size = b.store.size();
    let cp =
        tally_tlog::Checkpoint::new(b.log.name(), size, b.store.root(size).unwrap(), "").unwrap();
    let bare = tally_tlog::note::sign(&cp.to_bytes(), std::slice::from_ref(&b.log), 0).unwrap();
    let mut logs = forked.net.all_evidence();
    logs[0].checkpoint = bare;
    let v = run(&forked.net, &unit(1001), &logs, &[], &state);
    assert_eq!(inconsistency(&v, "bk0").map(|e| e.kind), Some("fork"));
    assert_eq!(v.status, Status::Warning, "{:?}", v.reasons);
    assert_eq!(v.timeline.len(), 7, "bk1 and bk2 still prove every step");
}

#[test]
fn a_consistency_proof_missing_or_wrong_leaves_the_log_unproven_never_forked() {
    let mut c = Chain::new();
    c.journey(false);
    let state = trusted_after(&c);
    let mut grown = Chain::new();
    grown.journey(true);
    let v = run(
        &grown.net,
        &unit(1001),
        &grown.net.all_evidence(),
        &[],
        &state,
    );
    assert_eq!(
        codes(&v)
            .iter()
            .filter(|c| *c == "consistency_unproven")
            .count(),
        3
    );
    assert!(v.trust_updates.is_empty());
    assert_eq!(v.status, Status::Unverifiable, "no log could be used");
    // One flipped hash in bk0's proof: bk0's answer is not used this time, no alarm is raised.
    let mut logs = grown_evidence(&c, &grown);
    logs[0].consistency.as_mut().unwrap()[0] = Hash([7; 32]);
    let v = run(&grown.net, &unit(1001), &logs, &[], &state);
    assert!(inconsistency(&v, "bk0").is_none());
    assert!(v
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::ConsistencyUnproven { log } if log == "bk0")));
    assert_eq!(v.trust_updates.len(), 2);
    assert!(v.timeline.iter().all(|s| s.logs == ["bk1", "bk2"]));
}

fn set_aside(v: &Verdict) -> Vec<(&str, SetAside, usize)> {
    v.reasons
        .iter()
        .filter_map(|r| match r {
            Reason::SetAside {
                org, why, entries, ..
            } => Some((org.as_str(), *why, entries.len())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_party_that_never_held_it_cannot_ship_it() {
    let mut c = Chain::new();
    c.journey(false);
    // The farm ships a unit it never held: set aside, the history stands.
    let f = c.farm.clone();
    let dev = c.farm_dev.clone();
    let mut ship = Event::object("2026-04-02T10:00:00Z", "shipping", vec![unit(1001)], &f);
    ship.ship_to = Some(c.importer.clone());
    c.net.record(&dev, &ship);
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Warning, "{:?}", v.reasons);
    assert_eq!(set_aside(&v), [(f.as_str(), SetAside::NeverHeld, 1)]);
    assert_eq!(v.timeline.len(), 7);
}

#[test]
fn a_party_of_the_chain_shipping_what_it_no_longer_holds_breaks_custody() {
    let mut c = Chain::new();
    c.journey(false);
    // The processor held the unit and shipped it; shipping it again later is a contradiction
    // inside the chain.
    let p = c.processor.clone();
    let dev = c.proc_dev.clone();
    let mut ship = Event::object("2026-04-02T10:00:00Z", "shipping", vec![unit(1001)], &p);
    ship.ship_to = Some(c.exporter.clone());
    c.net.record(&dev, &ship);
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Failed);
    assert!(finding(&v)
        .iter()
        .any(|f| matches!(f, Finding::CustodyBreak { holder, .. } if *holder == c.retailer)));
}

/// Commissioning, shipping to the importer, then a receipt by `receiver` at `received`.
fn ship_and_receive(c: &mut Chain, receiver: &str, received: &str) -> Verdict {
    let (p, i) = (c.processor.clone(), c.importer.clone());
    let pd = c.proc_dev.clone();
    let rd = if receiver == c.importer {
        c.imp_dev.clone()
    } else {
        c.ret_dev.clone()
    };
    let mut com = Event::object("2026-03-01T08:00:00Z", "commissioning", vec![unit(1)], &p);
    com.action = Some("ADD");
    c.net.record(&pd, &com);
    let mut ship = Event::object("2026-03-02T10:00:00Z", "shipping", vec![unit(1)], &p);
    ship.ship_to = Some(i);
    c.net.record(&pd, &ship);
    c.net.record(
        &rd,
        &Event::object(received, "receiving", vec![unit(1)], receiver),
    );
    verdict(&c.net, &unit(1))
}

#[test]
fn a_receipt_by_a_party_it_was_not_shipped_to_is_set_aside() {
    let mut c = Chain::new();
    let r = c.retailer.clone();
    let v = ship_and_receive(&mut c, &r, "2026-03-03T10:00:00Z");
    assert_eq!(v.status, Status::Warning);
    assert_eq!(set_aside(&v), [(r.as_str(), SetAside::NeverHeld, 1)]);
    assert_eq!(v.timeline.len(), 2);
    let mut ok = Chain::new();
    let i = ok.importer.clone();
    assert_eq!(
        ship_and_receive(&mut ok, &i, "2026-03-03T10:00:00Z").status,
        Status::Verified
    );
}

#[test]
fn a_receipt_before_the_shipment_is_set_aside() {
    let mut c = Chain::new();
    let i = c.importer.clone();
    let v = ship_and_receive(&mut c, &i, "2026-03-01T10:00:00Z");
    // In time order the receipt precedes the shipment: the importer held nothing yet.
    assert_eq!(v.status, Status::Warning);
    assert_eq!(set_aside(&v), [(i.as_str(), SetAside::NeverHeld, 1)]);
}

#[test]
fn events_dated_before_commissioning_are_set_aside_and_a_second_commissioning_fails() {
    let mut c = Chain::new();
    let p = c.processor.clone();
    let pd = c.proc_dev.clone();
    c.net.record(
        &pd,
        &Event::object("2026-02-01T08:00:00Z", "storing", vec![unit(1)], &p),
    );
    let mut com = Event::object("2026-03-01T08:00:00Z", "commissioning", vec![unit(1)], &p);
    com.action = Some("ADD");
    c.net.record(&pd, &com);
    let v = verdict(&c.net, &unit(1));
    assert_eq!(v.status, Status::Warning);
    assert_eq!(
        set_aside(&v),
        [(p.as_str(), SetAside::BeforeCommissioning, 1)]
    );
    // The maker commissioning the same unit again contradicts its own history.
    let mut again = Event::object("2026-03-05T08:00:00Z", "commissioning", vec![unit(1)], &p);
    again.action = Some("ADD");
    c.net.record(&pd, &again);
    let v = verdict(&c.net, &unit(1));
    assert_eq!(v.status, Status::Failed);
    assert!(finding(&v).iter().any(|f| matches!(f, Finding::ImpossibleTimeOrder { detail, .. } if detail.contains("commission"))));
}

#[test]
fn events_in_the_future_are_impossible() {
    let mut c = Chain::new();
    c.journey(false);
    let r = c.retailer.clone();
    let dev = c.ret_dev.clone();
    c.net.record(
        &dev,
        &Event::object("2026-09-01T10:00:00Z", "storing", vec![unit(1001)], &r),
    );
    let v = verdict(&c.net, &unit(1001));
    assert!(finding(&v)
        .iter()
        .any(|f| matches!(f, Finding::ImpossibleTimeOrder { .. })));
}

#[test]
fn sold_unit_warns_already_sold() {
    let mut c = Chain::new();
    c.journey(true);
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Warning);
    assert!(finding(&v)
        .iter()
        .any(|f| matches!(f, Finding::AlreadySold { count: 1, .. })));
}

#[test]
fn recalled_lot_warns_and_unset_clears_it() {
    let mut c = Chain::new();
    c.journey(false);
    let p = c.processor.clone();
    let dev = c.proc_dev.clone();
    let mut recall = Event::object("2026-04-01T10:00:00Z", "recalling", vec![], &p);
    recall.disposition = Some("recalled");
    recall.extra = json!({"epcList": [], "quantityList": [{"epcClass": lot(), "quantity": 500}],
        "persistentDisposition": {"set": ["recalled"]}});
    c.net.record(&dev, &recall);
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Warning, "{:?}", v.reasons);
    assert!(finding(&v)
        .iter()
        .any(|f| matches!(f, Finding::Recalled { .. })));

    let mut lift = Event::object("2026-04-05T10:00:00Z", "recalling", vec![], &p);
    lift.extra = json!({"epcList": [], "quantityList": [{"epcClass": lot(), "quantity": 500}],
        "persistentDisposition": {"unset": ["recalled"]}});
    c.net.record(&dev, &lift);
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
}

#[test]
fn temperature_excursion_warns() {
    let mut c = Chain::new();
    c.journey(false);
    let i = c.importer.clone();
    let dev = c.imp_dev.clone();
    let mut hot = Event::object(
        "2026-03-21T12:00:00Z",
        "sensor_reporting",
        vec![unit(1001)],
        &i,
    );
    hot.extra = json!({"sensorElementList": [{"sensorMetadata": {"time": "2026-03-21T12:00:00Z"},
        "sensorReport": [{"type": "Temperature", "minValue": 20.0, "maxValue": 31.5, "uom": "CEL"}]}]});
    c.net.record(&dev, &hot);
    let v = verdict(&c.net, &unit(1001));
    assert_eq!(v.status, Status::Warning);
    assert!(finding(&v).iter().any(|f| matches!(f, Finding::ColdChainExcursion { celsius, max: Some(m), .. } if *celsius == 31.5 && *m == 25.0)));
}

#[test]
fn transformation_brings_the_inputs_history() {
    let mut c = Chain::new();
    let (f, p) = (c.farm.clone(), c.processor.clone());
    let (fd, pd) = (c.farm_dev.clone(), c.proc_dev.clone());
    let milk = format!(
        "https://id.gs1.org/01/{}/10/MILK7",
        with_check("0950600012345")
    );
    let mut com = Event::object(
        "2026-02-01T05:00:00Z",
        "commissioning",
        vec![milk.clone()],
        &f,
    );
    com.action = Some("ADD");
    c.net.record(&fd, &com);
    let mut ship = Event::object("2026-02-01T08:00:00Z", "shipping", vec![milk.clone()], &f);
    ship.ship_to = Some(p.clone());
    c.net.record(&fd, &ship);
    c.net.record(
        &pd,
        &Event::object("2026-02-01T12:00:00Z", "receiving", vec![milk.clone()], &p),
    );
    let mut tr = Event::object(
        "2026-02-02T12:00:00Z",
        "commissioning",
        vec![milk.clone(), unit(5)],
        &p,
    );
    tr.kind = "TransformationEvent";
    tr.action = None;
    c.net.record(&pd, &tr);
    let v = verdict(&c.net, &unit(5));
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
    assert_eq!(v.timeline.len(), 4);
    assert_eq!(v.timeline[0].org.as_ref().unwrap().gln, f);
}

#[test]
fn cosignatures_count_by_independent_operator() {
    // bk1 and bk2 are run by one operator: for bk0 their two cosignatures are one vote; for bk1,
    // bk2's cosignature is its own operator's and does not count at all.
    let mut net = Net::new(3, 1, 1);
    let mut v: serde_json::Value = serde_json::from_str(&net.policy.to_json()).unwrap();
    v["bookkeepers"][2]["operator"] = json!("Operator 1");
    net.policy = tally_trust::Policy::parse(v.to_string().as_bytes()).unwrap();
    net.append_all(b"not even an entry");
    let mut bk1 = net.evidence(1);
    // bk1's checkpoint cosigned only by bk2 (same operator).
    let b = &net.bks[1];
    let size = b.store.size();
    let cp =
        tally_tlog::Checkpoint::new(b.log.name(), size, b.store.root(size).unwrap(), "").unwrap();
    let signed = tally_tlog::note::sign(&cp.to_bytes(), std::slice::from_ref(&b.log), 0).unwrap();
    bk1.checkpoint =
        tally_tlog::note::add_signatures(&signed, std::slice::from_ref(&net.bks[2].witness), 5)
            .unwrap();
    let logs = vec![net.evidence(0), bk1];
    let verdict = run(&net, &unit(1), &logs, &[], &TrustState::default());
    assert!(verdict.reasons.iter().any(|r| matches!(r, Reason::CheckpointInvalid { log, detail } if log == "bk1" && detail.contains("0 cosignatures"))), "{:?}", verdict.reasons);
    assert!(!verdict
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::CheckpointInvalid { log, .. } if log == "bk0")));
    let mut v2 = v.clone();
    v2["witness_threshold"] = json!(2);
    assert!(
        tally_trust::Policy::parse(v2.to_string().as_bytes()).is_err(),
        "only 2 operators: at most 1 other"
    );
}

#[test]
fn a_bad_cosignature_is_named_after_the_batch_fails() {
    let mut c = Chain::new();
    c.journey(false);
    let mut logs = c.net.all_evidence();
    let text = String::from_utf8(logs[0].checkpoint.clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("— bk1.tally.example/witness "))
        .unwrap();
    let sig = line.rsplit(' ').next().unwrap();
    // Change one base64 character inside the Ed25519 signature part.
    let mut chars: Vec<char> = sig.chars().collect();
    chars[40] = if chars[40] == 'A' { 'B' } else { 'A' };
    let bad = chars.into_iter().collect::<String>();
    logs[0].checkpoint = text.replace(sig, &bad).into_bytes();
    let v = run(&c.net, &unit(1001), &logs, &[], &TrustState::default());
    assert!(
        v.reasons.iter().any(|r| matches!(r, Reason::CheckpointInvalid { log, detail } if log == "bk0" && detail.contains("bk1.tally.example/witness"))),
        "{:?}",
        v.reasons
    );
    assert_eq!(
        v.status,
        Status::Warning,
        "bk1 and bk2 still prove every entry"
    );
}
