//! The trust promise under attack, on real (in-memory) logs, signatures and proofs: whatever a
//! minority of bookkeepers (fewer than n − k + 1) does, an honest product is never Failed and a
//! counterfeit is never better than Failed; and what one certified party can and cannot do to
//! someone else's product.

mod common;

use common::*;
use proptest::prelude::*;
use serde_json::json;
use tally_tlog::{Hash, KeyType, SignerKey};
use tally_trust::custody::{Finding, SetAside};
use tally_trust::registry::AuthError;
use tally_trust::verdict::{LogEvidence, ProvenEntry, Reason};
use tally_trust::{verify, Entry, Record, Request, Status, TrustState, Verdict};

fn lot2() -> String {
    format!("https://id.gs1.org/01/{GTIN}/10/LOT2")
}

fn lot2_unit(serial: u32) -> String {
    format!("{}/21/{serial}", lot2())
}

/// A made-up serial of the real, serialised LOT1.
fn counterfeit() -> String {
    unit(9977)
}

/// The world every attack runs on, built in three phases: (A) a milk lot transformed into LOT1
/// and LOT2, LOT1's units commissioned and taken through the journey (unit 1001 to the retailer),
/// LOT2's unit 1 commissioned; (B) unit 1002 sold by the importer — the client verifies here and
/// trusts these trees; (C) LOT2 recalled.
struct World {
    c: Chain,
    /// Every log's answer after phase A: older than what the client trusts.
    old: Vec<LogEvidence>,
    /// Log sizes after phase B, which the client trusts.
    trusted: Vec<usize>,
    state: TrustState,
}

impl World {
    fn new(n: usize, k: usize) -> World {
        let mut c = Chain::new_with(Net::new(n, k, 1));
        let (f, p) = (c.farm.clone(), c.processor.clone());
        let (fd, pd) = (c.farm_dev.clone(), c.proc_dev.clone());
        let milk = format!(
            "https://id.gs1.org/01/{}/10/MILK1",
            with_check("0950600012345")
        );
        let mut com = Event::object("2026-02-01T05:00:00Z", "commissioning", vec![], &f);
        com.action = Some("ADD");
        com.extra = json!({"quantityList": [{"epcClass": milk, "quantity": 100}]});
        c.net.record(&fd, &com);
        let mut ship = Event::object("2026-02-01T08:00:00Z", "shipping", vec![], &f);
        ship.ship_to = Some(p.clone());
        ship.extra = json!({"quantityList": [{"epcClass": milk, "quantity": 100}]});
        c.net.record(&fd, &ship);
        let mut recv = Event::object("2026-02-01T12:00:00Z", "receiving", vec![], &p);
        recv.extra = json!({"quantityList": [{"epcClass": milk, "quantity": 100}]});
        c.net.record(&pd, &recv);
        let mut tr = Event::object(
            "2026-02-20T12:00:00Z",
            "creating_class_instance",
            vec![],
            &p,
        );
        tr.kind = "TransformationEvent";
        tr.action = None;
        tr.extra = json!({"inputQuantityList": [{"epcClass": milk, "quantity": 100}],
            "outputQuantityList": [{"epcClass": lot(), "quantity": 50}, {"epcClass": lot2(), "quantity": 50}]});
        c.net.record(&pd, &tr);
        c.journey(false);
        let mut com2 = Event::object(
            "2026-03-01T09:00:00Z",
            "commissioning",
            vec![lot2_unit(1)],
            &p,
        );
        com2.action = Some("ADD");
        c.net.record(&pd, &com2);
        let old = c.net.all_evidence();
        let i = c.importer.clone();
        let idev = c.imp_dev.clone();
        let mut sale = Event::object(
            "2026-04-02T10:00:00Z",
            "retail_selling",
            vec![unit(1002)],
            &i,
        );
        sale.disposition = Some("retail_sold");
        c.net.record(&idev, &sale);
        let mut state = TrustState::default();
        let mid = c.net.all_evidence();
        for (origin, cp) in judge(&c, &unit(1001), &mid, &[], &[], &state).trust_updates {
            state.trust(&origin, cp);
        }
        let trusted = c.net.bks.iter().map(|b| b.entries.len()).collect();
        let mut recall = Event::object("2026-04-05T10:00:00Z", "recalling", vec![], &p);
        recall.disposition = Some("recalled");
        recall.extra =
            json!({"epcList": [], "quantityList": [{"epcClass": lot2(), "quantity": 50}]});
        c.net.record(&pd, &recall);
        World {
            c,
            old,
            trusted,
            state,
        }
    }

    /// Every log's current answer, with consistency proofs from the sizes the client trusts.
    fn now(&self) -> Vec<LogEvidence> {
        let mut logs = self.c.net.all_evidence();
        for (i, l) in logs.iter_mut().enumerate() {
            let s = &self.c.net.bks[i].store;
            let from = self.trusted[i] as u64;
            l.consistency = Some(s.consistency_proof(from, s.size()).unwrap());
        }
        logs
    }
}

fn judge(
    c: &Chain,
    product: &str,
    logs: &[LogEvidence],
    unreachable: &[String],
    malformed: &[(String, String)],
    state: &TrustState,
) -> Verdict {
    verify(&Request {
        unreachable,
        malformed,
        ..Request::online(&c.net.policy, product, logs, state, t(NOW))
    })
}

/// What a misbehaving bookkeeper does to its own answer.
#[derive(Debug, Clone, Copy)]
enum Attack {
    Down,
    Garbage,
    /// Serves an altered copy of every event, with the genuine proofs.
    Tamper,
    /// Serves its checkpoint but none of the product's entries.
    Omit,
    /// Serves a genuinely signed event about the product (the counterfeit too) that only it holds.
    ExtraEntry,
    /// Serves an answer its witnesses cosigned ten minutes ago.
    Stale,
    /// Serves an older, smaller tree than the client saw, freshly cosigned (restored from a
    /// backup).
    Rollback,
    /// Serves, for the size the client trusts, another root, signed and cosigned.
    Fork,
    /// Serves a consistency proof with one hash flipped.
    BadProof,
}

const ATTACKS: [Attack; 9] = [
    Attack::Down,
    Attack::Garbage,
    Attack::Tamper,
    Attack::Omit,
    Attack::ExtraEntry,
    Attack::Stale,
    Attack::Rollback,
    Attack::Fork,
    Attack::BadProof,
];

/// A device of an organisation certified for everything, that signs an event about `product`
/// nobody else logged.
fn extra_event(c: &Chain, product: &str) -> Vec<u8> {
    let mut e = Event::object(
        "2026-04-03T10:00:00Z",
        "commissioning",
        vec![product.to_owned()],
        &c.processor,
    );
    e.action = Some("ADD");
    Entry::sign_event(&e.json(), &c.proc_dev).unwrap().encode()
}

/// Applies `attack` by bookkeeper `i` to the answers.
fn apply(
    w: &World,
    i: usize,
    attack: Attack,
    product: &str,
    logs: &mut Vec<LogEvidence>,
    unreachable: &mut Vec<String>,
    malformed: &mut Vec<(String, String)>,
) {
    let name = format!("bk{i}");
    let pos = logs.iter().position(|l| l.bookkeeper == name).unwrap();
    let l = &mut logs[pos];
    match attack {
        Attack::Down => {
            logs.remove(pos);
            unreachable.push(name);
        }
        Attack::Garbage => {
            logs.remove(pos);
            malformed.push((name, "expected value at line 1 column 1".into()));
        }
        Attack::Tamper => {
            for e in &mut l.entries {
                if let Some(b) = e.bytes.get_mut(40) {
                    *b ^= 1;
                }
            }
        }
        Attack::Omit => l.entries.clear(),
        Attack::ExtraEntry => {
            // The entry is in this log's tree: rebuild it with the extra entry appended.
            let mut net_bk = tally_tlog::MemoryStore::new();
            let mut entries = w.c.net.bks[i].entries.clone();
            entries.push(extra_event(&w.c, product));
            for e in &entries {
                net_bk.append(e).unwrap();
            }
            *l = evidence_of(&w.c, i, &entries, &net_bk, w.trusted[i] as u64);
        }
        Attack::Stale => *l = w.c.net.evidence_cosigned_at(i, cosigned_at() - 600),
        Attack::Rollback => *l = w.old[i].clone(),
        Attack::Fork => {
            let mut entries = w.c.net.bks[i].entries[..w.trusted[i]].to_vec();
            let last = entries.len() - 1;
            entries[last][30] ^= 1;
            let mut store = tally_tlog::MemoryStore::new();
            for e in &entries {
                store.append(e).unwrap();
            }
            *l = evidence_of(&w.c, i, &entries, &store, 0);
        }
        Attack::BadProof => {
            if let Some(p) = l.consistency.as_mut().and_then(|p| p.first_mut()) {
                *p = Hash([7; 32]);
            }
        }
    }
}

/// Bookkeeper `i`'s answer for an arbitrary tree of `entries`, signed with its key, cosigned by
/// every peer, with a consistency proof from size `from` (none for 0).
fn evidence_of(
    c: &Chain,
    i: usize,
    entries: &[Vec<u8>],
    store: &tally_tlog::MemoryStore,
    from: u64,
) -> LogEvidence {
    let b = &c.net.bks[i];
    let size = store.size();
    let cp =
        tally_tlog::Checkpoint::new(b.log.name(), size, store.root(size).unwrap(), "").unwrap();
    let signed = tally_tlog::note::sign(&cp.to_bytes(), std::slice::from_ref(&b.log), 0).unwrap();
    let peers: Vec<SignerKey> = c
        .net
        .bks
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, p)| p.witness.clone())
        .collect();
    LogEvidence {
        bookkeeper: format!("bk{i}"),
        checkpoint: tally_tlog::note::add_signatures(&signed, &peers, cosigned_at()).unwrap(),
        consistency: (from > 0 && from < size)
            .then(|| store.consistency_proof(from, size).unwrap()),
        entries: entries
            .iter()
            .enumerate()
            .map(|(idx, bytes)| ProvenEntry {
                index: idx as u64,
                bytes: bytes.clone(),
                proof: store.inclusion_proof(idx as u64, size).unwrap(),
            })
            .collect(),
    }
}

/// The verdict on `product` when bookkeepers `liars` each mount their attack.
fn under_attack(w: &World, product: &str, liars: &[(usize, Attack)]) -> Verdict {
    let (mut logs, mut unreachable, mut malformed) = (w.now(), vec![], vec![]);
    for &(i, a) in liars {
        apply(
            w,
            i,
            a,
            product,
            &mut logs,
            &mut unreachable,
            &mut malformed,
        );
    }
    judge(&w.c, product, &logs, &unreachable, &malformed, &w.state)
}

fn has_finding(v: &Verdict, f: impl Fn(&Finding) -> bool) -> bool {
    v.reasons
        .iter()
        .any(|r| matches!(r, Reason::Custody { finding, .. } if f(finding)))
}

/// The promise, checked on one verdict per product.
fn check_promise(w: &World, liars: &[(usize, Attack)]) {
    let honest = under_attack(w, &unit(1001), liars);
    assert!(
        honest.status <= Status::Warning,
        "honest product {:?} under {liars:?}: {:?}",
        honest.status,
        honest.reasons
    );
    assert_eq!(honest.timeline.len(), 11, "{liars:?}: {:?}", honest.reasons);
    let fake = under_attack(w, &counterfeit(), liars);
    assert_eq!(
        fake.status,
        Status::Failed,
        "counterfeit under {liars:?}: {:?}",
        fake.reasons
    );
    assert!(fake
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::UnknownSerial { .. })));
    let recalled = under_attack(w, &lot2_unit(1), liars);
    assert_eq!(
        recalled.status,
        Status::Warning,
        "recalled under {liars:?}: {:?}",
        recalled.reasons
    );
    assert!(has_finding(&recalled, |f| matches!(
        f,
        Finding::Recalled { .. }
    )));
    let sold = under_attack(w, &unit(1002), liars);
    assert_eq!(
        sold.status,
        Status::Warning,
        "sold under {liars:?}: {:?}",
        sold.reasons
    );
    assert!(has_finding(&sold, |f| matches!(
        f,
        Finding::AlreadySold { .. }
    )));
}

#[test]
fn with_every_log_honest_each_product_gets_its_verdict() {
    let w = World::new(3, 2);
    check_promise(&w, &[]);
    let honest = under_attack(&w, &unit(1001), &[]);
    assert_eq!(honest.status, Status::Verified, "{:?}", honest.reasons);
}

#[test]
fn each_single_bookkeeper_attack_names_its_reason() {
    let w = World::new(3, 2);
    let expect: [(Attack, &str); 9] = [
        (Attack::Down, "log_unreachable"),
        (Attack::Garbage, "log_malformed"),
        (Attack::Tamper, "bad_inclusion_proof"),
        (Attack::Omit, "log_omitted"),
        (Attack::ExtraEntry, "entry_below_quorum"),
        (Attack::Stale, "stale_checkpoint"),
        (Attack::Rollback, "log_inconsistent"),
        (Attack::Fork, "log_inconsistent"),
        (Attack::BadProof, "consistency_unproven"),
    ];
    for (attack, code) in expect {
        check_promise(&w, &[(1, attack)]);
        let v = under_attack(&w, &unit(1001), &[(1, attack)]);
        let named = v.reasons.iter().any(|r| {
            serde_json::to_value(r).unwrap()["code"] == code && r.log().is_none_or(|l| l == "bk1")
        });
        assert!(named, "{attack:?} should name {code}: {:?}", v.reasons);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any subset of at most n − k logs, each mounting any attack, keeps the promise.
    #[test]
    fn a_minority_of_misbehaving_logs_never_decides(
        n in 3usize..=5,
        picks in proptest::collection::vec((0usize..5, 0usize..ATTACKS.len()), 0..3),
    ) {
        let k = n / 2 + 1;
        let w = World::new(n, k);
        let mut liars: Vec<(usize, Attack)> = Vec::new();
        for (i, a) in picks {
            let i = i % n;
            if liars.len() < n - k && !liars.iter().any(|(j, _)| *j == i) {
                liars.push((i, ATTACKS[a]));
            }
        }
        check_promise(&w, &liars);
    }
}

#[test]
fn too_many_logs_down_is_unverifiable_for_every_product() {
    let w = World::new(3, 2);
    let down = [(0, Attack::Down), (1, Attack::Garbage)];
    for p in [unit(1001), counterfeit(), lot2_unit(1), unit(1002)] {
        let v = under_attack(&w, &p, &down);
        assert_eq!(v.status, Status::Unverifiable, "{p}: {:?}", v.reasons);
    }
}

#[test]
fn a_lot_that_is_not_serialised_says_so() {
    let mut w = World::new(3, 2);
    // LOT2's only unit commissioned is 1, so LOT2 counts as serialised; a third lot is not.
    let p = w.c.processor.clone();
    let pd = w.c.proc_dev.clone();
    let lot3 = format!("https://id.gs1.org/01/{GTIN}/10/LOT3");
    let mut tr = Event::object(
        "2026-02-21T12:00:00Z",
        "creating_class_instance",
        vec![],
        &p,
    );
    tr.kind = "TransformationEvent";
    tr.action = None;
    tr.extra = json!({"inputQuantityList": [{"epcClass": lot2(), "quantity": 5}],
        "outputQuantityList": [{"epcClass": lot3, "quantity": 5}]});
    w.c.net.record(&pd, &tr);
    let v = under_attack(&w, &format!("{lot3}/21/42"), &[]);
    assert!(
        v.reasons
            .iter()
            .any(|r| matches!(r, Reason::LotOnly { serial } if serial == "42")),
        "{:?}",
        v.reasons
    );
    assert!(v.status <= Status::Warning);
    // An outsider commissioning "units" of LOT3 does not make it serialised.
    let stranger_org = w.c.net.register(&gln(40), "Stranger", 90);
    let stranger =
        w.c.net
            .certify(&stranger_org, &gln(40), &["commissioning"], &[&gln(40)], 91);
    let mut com = Event::object(
        "2026-04-01T08:00:00Z",
        "commissioning",
        vec![format!("{lot3}/21/7")],
        &gln(40),
    );
    com.action = Some("ADD");
    w.c.net.record(&stranger, &com);
    let v = under_attack(&w, &format!("{lot3}/21/42"), &[]);
    assert!(
        v.reasons
            .iter()
            .any(|r| matches!(r, Reason::LotOnly { .. })),
        "{:?}",
        v.reasons
    );
}

#[test]
fn a_flood_by_a_party_that_never_held_the_product_is_one_set_aside_reason() {
    let mut w = World::new(3, 2);
    let org = w.c.net.register(&gln(41), "Flooder", 92);
    let dev =
        w.c.net
            .certify(&org, &gln(41), &["storing"], &[&gln(41)], 93);
    for h in 0..200 {
        let time = format!(
            "2026-04-0{}T{:02}:{:02}:00Z",
            1 + h / 60 % 5,
            h / 60 % 24,
            h % 60
        );
        let e = Event::object(&time, "storing", vec![unit(1001)], &gln(41));
        w.c.net.record(&dev, &e);
    }
    let v = under_attack(&w, &unit(1001), &[]);
    assert_eq!(v.status, Status::Warning, "{:?}", v.reasons);
    let aside: Vec<_> = v
        .reasons
        .iter()
        .filter_map(|r| match r {
            Reason::SetAside {
                org, why, entries, ..
            } => Some((org.clone(), *why, entries.len())),
            _ => None,
        })
        .collect();
    assert_eq!(aside, [(gln(41), SetAside::NeverHeld, 200)]);
    assert_eq!(v.timeline.len(), 11, "the history is the holders'");
}

#[test]
fn an_authority_speaks_of_a_product_it_never_held_and_others_cannot() {
    let mut w = World::new(3, 2);
    let regulator = gln(42);
    w.c.net.register(&regulator, "Food Safety Agency", 94);
    // Governance itself certifies the regulator's device: an authority.
    let gov = w.c.net.gov.clone();
    let inspector =
        w.c.net
            .certify(&gov, &regulator, &["recalling"], &[&regulator], 95);
    let mut recall = Event::object("2026-04-06T10:00:00Z", "recalling", vec![], &regulator);
    recall.disposition = Some("recalled");
    recall.extra = json!({"epcList": [], "quantityList": [{"epcClass": lot(), "quantity": 50}]});
    w.c.net.record(&inspector, &recall);
    let v = under_attack(&w, &unit(1001), &[]);
    assert!(
        has_finding(&v, |f| matches!(f, Finding::Recalled { .. })),
        "{:?}",
        v.reasons
    );
    // The same recall by an ordinary organisation outside the chain is set aside.
    let mut w = World::new(3, 2);
    let org = w.c.net.register(&regulator, "Not an agency", 94);
    let dev =
        w.c.net
            .certify(&org, &regulator, &["recalling"], &[&regulator], 95);
    w.c.net.record(&dev, &recall);
    let v = under_attack(&w, &unit(1001), &[]);
    assert!(!has_finding(&v, |f| matches!(f, Finding::Recalled { .. })));
    assert!(v
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::SetAside { .. })));
}

#[test]
fn an_authoritys_inspection_is_on_the_timeline_as_an_attestation_and_a_strangers_is_not() {
    let inspection = |who: &str| {
        let mut e = Event::object("2026-03-20T10:00:00Z", "inspecting", vec![], who);
        e.disposition = Some("conformant");
        e.extra = json!({"epcList": [], "quantityList": [{"epcClass": lot(), "quantity": 50}]});
        e
    };
    // Customs, whose device governance itself certified: its clearance of the lot is a step.
    let mut w = World::new(3, 2);
    let customs = gln(43);
    w.c.net.register(&customs, "Customs District", 96);
    let gov = w.c.net.gov.clone();
    let officer =
        w.c.net
            .certify(&gov, &customs, &["inspecting"], &[&customs], 97);
    w.c.net.record(&officer, &inspection(&customs));
    let v = under_attack(&w, &unit(1001), &[]);
    let step = v
        .timeline
        .iter()
        .find(|s| s.biz_step.as_deref() == Some("inspecting"));
    let step = step.unwrap_or_else(|| panic!("no inspection in {:?}", v.reasons));
    assert!(step.authority, "signed by an authority");
    assert_eq!(step.org.as_ref().unwrap().name, "Customs District");
    assert!(v
        .timeline
        .iter()
        .filter(|s| s.biz_step.as_deref() != Some("inspecting"))
        .all(|s| !s.authority));
    // The same clearance by an organisation certified only by itself claims nothing.
    let mut w = World::new(3, 2);
    let org = w.c.net.register(&customs, "Self-styled customs", 96);
    let dev =
        w.c.net
            .certify(&org, &customs, &["inspecting"], &[&customs], 97);
    w.c.net.record(&dev, &inspection(&customs));
    let v = under_attack(&w, &unit(1001), &[]);
    assert!(v
        .timeline
        .iter()
        .all(|s| s.biz_step.as_deref() != Some("inspecting")));
    assert!(v
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::SetAside { .. })));
}

fn revoke(w: &mut World, device: &SignerKey, org_gln: &str, since: &str) {
    let org =
        w.c.net
            .orgs
            .iter()
            .find(|(g, _)| g == org_gln)
            .unwrap()
            .1
            .clone();
    let rev = Record::Revocation {
        key: device.verifier().to_string(),
        since: t(since),
        reason: "key stolen".into(),
    };
    w.c.net.append_all(
        &Entry::sign(rev.kind(), rev.to_payload(), None, &org)
            .unwrap()
            .encode(),
    );
}

#[test]
fn a_backdated_event_logged_after_the_revocation_does_not_count() {
    let mut w = World::new(3, 2);
    let (r, rdev) = (w.c.retailer.clone(), w.c.ret_dev.clone());
    revoke(&mut w, &rdev, &r, "2026-05-01T00:00:00Z");
    // The thief signs a sale dated before the revocation's `since`.
    let mut s = Event::object(
        "2026-04-20T10:00:00Z",
        "retail_selling",
        vec![unit(1001)],
        &r,
    );
    s.disposition = Some("retail_sold");
    let e = Entry::sign_event(&s.json(), &rdev).unwrap().encode();
    // Logged after the revocation in two logs; one (bk0) holds it before: not k = 2.
    w.c.net.append(&[1, 2], &e);
    w.c.net.bks[0].entries.insert(3, e.clone());
    let mut store = tally_tlog::MemoryStore::new();
    for x in &w.c.net.bks[0].entries {
        store.append(x).unwrap();
    }
    w.c.net.bks[0].store = store;
    let v = judge(
        &w.c,
        &unit(1001),
        &w.c.net.all_evidence(),
        &[],
        &[],
        &TrustState::default(),
    );
    assert!(
        v.reasons.iter().any(|r| matches!(
            r,
            Reason::Unauthorised {
                error: AuthError::LoggedAfterRevocation,
                ..
            }
        )),
        "{:?}",
        v.reasons
    );
    assert!(
        !has_finding(&v, |f| matches!(f, Finding::AlreadySold { .. })),
        "the sale is not counted"
    );
    // The retailer's receipt, logged long before, still counts.
    assert!(v
        .timeline
        .iter()
        .any(|s| s.biz_step.as_deref() == Some("receiving") && s.org.is_some()));
}

#[test]
fn a_label_on_a_host_no_party_registered_is_flagged() {
    let w = World::new(3, 2);
    let run = |host: Option<&str>| {
        let logs = w.now();
        verify(&Request {
            host,
            ..Request::online(&w.c.net.policy, &unit(1001), &logs, &w.state, t(NOW))
        })
    };
    let v = run(Some("paypa1-secure-login.example"));
    assert_eq!(v.status, Status::Warning);
    assert!(v.reasons.iter().any(|r| matches!(r, Reason::UnregisteredResolver { host } if host == "paypa1-secure-login.example")));
    assert_eq!(run(Some("id.gs1.org")).status, Status::Verified);
    assert_eq!(run(None).status, Status::Verified);
    // A brand that registered its resolver.
    let mut w = World::new(3, 2);
    let brand = gln(43);
    let k = key("org-brand", KeyType::Ed25519, 96);
    let reg = Record::Registration {
        gln: brand.clone(),
        name: "Brand".into(),
        country: "NZ".into(),
        key: k.verifier().to_string(),
        domains: vec!["Brand.Example".into()],
        prefixes: vec![],
    };
    let gov = w.c.net.gov.clone();
    w.c.net.append_all(
        &Entry::sign(reg.kind(), reg.to_payload(), None, &gov)
            .unwrap()
            .encode(),
    );
    let dev =
        w.c.net
            .certify(&k, &brand, &["commissioning"], &[&brand], 97);
    let brand_unit = format!("https://id.gs1.org/01/{GTIN}/10/BRAND1/21/5000");
    let mut com = Event::object(
        "2026-03-01T08:00:00Z",
        "commissioning",
        vec![brand_unit.clone()],
        &brand,
    );
    com.action = Some("ADD");
    w.c.net.record(&dev, &com);
    let logs = w.c.net.all_evidence();
    let v = verify(&Request {
        host: Some("brand.example"),
        ..Request::online(
            &w.c.net.policy,
            &brand_unit,
            &logs,
            &TrustState::default(),
            t(NOW),
        )
    });
    assert!(
        !v.reasons
            .iter()
            .any(|r| matches!(r, Reason::UnregisteredResolver { .. })),
        "{:?}",
        v.reasons
    );
}

#[test]
fn a_counterfeit_stays_failed_when_one_log_vouches_for_it_alone() {
    let w = World::new(3, 2);
    let fake = "https://id.gs1.org/01/09506000134352/10/NOLOT/21/555";
    let v = under_attack(&w, fake, &[(0, Attack::ExtraEntry)]);
    assert_eq!(v.status, Status::Failed, "{:?}", v.reasons);
    assert!(v.reasons.contains(&Reason::NoHistory));
    // With the two other logs unusable, that lone record could be genuine: no verdict either way.
    let v = under_attack(
        &w,
        fake,
        &[
            (0, Attack::ExtraEntry),
            (1, Attack::Down),
            (2, Attack::Stale),
        ],
    );
    assert_eq!(v.status, Status::Unverifiable, "{:?}", v.reasons);
}

#[test]
fn only_records_about_the_product_can_change_its_verdict() {
    let w = World::new(3, 2);
    let fake = "https://id.gs1.org/01/09506000134352/10/NOLOT/21/555";
    // bk0 serves an extra record about another product: the counterfeit stays Failed.
    let v = under_attack(&w, fake, &[(0, Attack::ExtraEntry)]);
    let other = under_attack(&w, &unit(1001), &[(0, Attack::ExtraEntry)]);
    assert_eq!(v.status, Status::Failed);
    assert!(other.status <= Status::Warning);
}

#[test]
fn two_serialisations_of_one_event_are_one_step_in_every_log() {
    let mut c = Chain::new();
    c.journey(false);
    let r = c.retailer.clone();
    let e = Event::object("2026-04-01T10:00:00Z", "storing", vec![unit(1001)], &r);
    let compact = e.json();
    let spaced =
        serde_json::to_vec_pretty(&serde_json::from_slice::<serde_json::Value>(&compact).unwrap())
            .unwrap();
    let dev = c.ret_dev.clone();
    c.net
        .append(&[0], &Entry::sign_event(&compact, &dev).unwrap().encode());
    c.net
        .append(&[1, 2], &Entry::sign_event(&spaced, &dev).unwrap().encode());
    let v = judge(
        &c,
        &unit(1001),
        &c.net.all_evidence(),
        &[],
        &[],
        &TrustState::default(),
    );
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
    let storing: Vec<_> = v
        .timeline
        .iter()
        .filter(|s| s.biz_step.as_deref() == Some("storing"))
        .collect();
    assert_eq!(storing.len(), 1);
    assert_eq!(storing[0].logs.len(), 3);
}

#[test]
fn an_unwitnessed_policy_must_say_so_and_is_named_in_every_verdict() {
    let net = Net::new(3, 2, 1);
    let mut v: serde_json::Value = serde_json::from_str(&net.policy.to_json()).unwrap();
    v["witness_threshold"] = json!(0);
    assert_eq!(
        tally_trust::Policy::parse(v.to_string().as_bytes()).unwrap_err(),
        tally_trust::PolicyError::Unwitnessed
    );
    v["allow_unwitnessed"] = json!(true);
    let policy = tally_trust::Policy::parse(v.to_string().as_bytes()).unwrap();
    let mut c = Chain::new();
    c.journey(false);
    let logs = c.net.all_evidence();
    let verdict = verify(&Request::online(
        &policy,
        &unit(1001),
        &logs,
        &TrustState::default(),
        t(NOW),
    ));
    assert_eq!(verdict.status, Status::Verified);
    assert_eq!(
        verdict
            .reasons
            .iter()
            .filter(|r| matches!(r, Reason::Unwitnessed { .. }))
            .count(),
        3
    );
}

#[test]
fn a_strangers_flood_that_only_one_log_serves_adds_nothing_to_the_verdict() {
    let mut w = World::new(3, 2);
    let org = w.c.net.register(&gln(44), "Flooder", 98);
    let dev =
        w.c.net
            .certify(&org, &gln(44), &["storing"], &[&gln(44)], 99);
    for m in 0..50 {
        let time = format!("2026-04-01T10:{m:02}:00Z");
        let e = Entry::sign_event(
            &Event::object(&time, "storing", vec![unit(1001)], &gln(44)).json(),
            &dev,
        )
        .unwrap();
        w.c.net.append(&[0], &e.encode());
    }
    let logs = w.c.net.all_evidence();
    let v = judge(&w.c, &unit(1001), &logs, &[], &[], &TrustState::default());
    assert_eq!(v.status, Status::Verified, "{:?}", v.reasons);
    assert!(!v
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::EntryBelowQuorum { .. })));
}
