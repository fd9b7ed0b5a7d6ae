//! Entitlements: governance entitles a recipient (an auditor, a regulator) to read the sealed
//! events of its scope; the registry says which recipients an event must be wrapped for.

mod common;

use common::*;
use tally_confidential::{RecipientKey, RecipientSecret};
use tally_epcis::RawEvent;
use tally_testkit::key;
use tally_tlog::{KeyType, SignerKey};
use tally_trust::custody::Facts;
use tally_trust::{Entry, Record, Registry};

fn record(r: &Record, by: &SignerKey) -> Entry {
    Entry::sign(r.kind(), r.to_payload(), None, by).unwrap()
}

fn entitle(key: &RecipientKey, scope: &[&str]) -> Record {
    Record::Entitlement {
        recipient: "Food Safety Authority".into(),
        key: key.to_string(),
        scope: scope.iter().map(|s| s.to_string()).collect(),
    }
}

fn facts(epcs: Vec<String>, place: &str) -> Facts {
    let json = Event::object("2026-03-01T08:00:00Z", "shipping", epcs, place).json();
    Facts::from_event(&RawEvent::parse(&json).unwrap().event).unwrap()
}

#[test]
fn an_event_is_for_every_entitled_recipient_whose_scope_names_one_of_its_keys() {
    let net = Net::new(3, 2, 1);
    let (all, dairy, other) = (
        RecipientSecret::generate(&mut rand_core::OsRng).public(),
        RecipientSecret::generate(&mut rand_core::OsRng).public(),
        RecipientSecret::generate(&mut rand_core::OsRng).public(),
    );
    let entries = [
        record(&entitle(&all, &[]), &net.gov),
        record(&entitle(&dairy, &["9506000"]), &net.gov),
        record(&entitle(&other, &["1234567"]), &net.gov),
    ];
    let r = Registry::build(&net.policy, &entries.iter().collect::<Vec<_>>());
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let ours = facts(vec![unit(1)], "9506000000005");
    let mut want = vec![all.clone(), dairy.clone()];
    want.sort();
    assert_eq!(r.recipients_for(&ours), want);
    // A place of another company is enough to be in its scope.
    let at_theirs = facts(vec![unit(1)], "1234567000009");
    assert_eq!(r.recipients_for(&at_theirs).len(), 3);

    // Revoked by governance: no longer wrapped for; by anyone else: not a revocation.
    let revoke = |k: &RecipientKey| Record::Revocation {
        key: k.to_string(),
        since: tally_testkit::t("2026-03-02T00:00:00Z"),
        reason: "mandate ended".into(),
    };
    let stranger = key("someone", KeyType::Ed25519, 77);
    let mut with_revocations = entries.to_vec();
    with_revocations.push(record(&revoke(&dairy), &net.gov));
    with_revocations.push(record(&revoke(&all), &stranger));
    let r = Registry::build(&net.policy, &with_revocations.iter().collect::<Vec<_>>());
    assert_eq!(r.recipients_for(&ours), vec![all.clone()]);
    assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
    // Only governance entitles; a scope is company prefixes.
    let r = Registry::build(
        &net.policy,
        &[
            &record(&entitle(&other, &[]), &stranger),
            &record(&entitle(&other, &["95O6"]), &net.gov),
        ],
    );
    assert_eq!(r.rejected.len(), 2);
    assert!(r.recipients_for(&ours).is_empty());
}

/// A unit's commissioning, sealed for `label` and wrapped for `me`, its purchase order withheld;
/// `disclosures` stands in for the real ones when given (a device or server lying about them).
fn sealed_commissioning(
    chain: &mut Chain,
    serial: u32,
    label: &tally_confidential::LabelSecret,
    me: &RecipientKey,
    disclosures: Option<Vec<tally_confidential::Disclosure>>,
) {
    let mut e = Event::object(
        "2026-03-01T08:00:00Z",
        "commissioning",
        vec![unit(serial)],
        &chain.processor,
    );
    e.action = Some("ADD");
    e.extra = serde_json::json!({"bizTransactionList": [
        {"type": "urn:epcglobal:cbv:btt:po", "bizTransaction": format!("urn:epcglobal:cbv:bt:9506000000029:PO-{serial}")}
    ]});
    let names = ["bizTransactionList".to_owned()];
    let (commitment, real) =
        tally_confidential::withhold(&e.json(), &names, &mut rand_core::OsRng).unwrap();
    let entry = Entry::sign_event(&commitment, &chain.proc_dev)
        .unwrap()
        .encode();
    let withheld = disclosures.unwrap_or(real);
    let contents = tally_confidential::Contents {
        entry: &entry,
        withheld: &withheld,
        ..Default::default()
    };
    let (labels, to) = (std::slice::from_ref(label), std::slice::from_ref(me));
    let sealed = tally_confidential::seal_for(&contents, labels, to, &mut rand_core::OsRng);
    chain.net.append_all(&sealed.unwrap().bytes);
}

#[test]
fn a_recipient_reads_what_was_withheld_and_only_what_the_signed_digests_commit_to() {
    use tally_trust::{verify, Request, TrustState};
    let mut chain = Chain::new();
    let label = tally_confidential::LabelSecret::from_bytes([7; 16]);
    let me = RecipientSecret::generate(&mut rand_core::OsRng);
    sealed_commissioning(&mut chain, 1001, &label, &me.public(), None);
    // A forged disclosure: the right name, another order, under a fresh salt.
    let forged = tally_confidential::Disclosure::new(
        "bizTransactionList",
        &serde_json::json!([{"bizTransaction": "urn:epcglobal:cbv:bt:9506000000029:PO-666"}]),
        &mut rand_core::OsRng,
    );
    sealed_commissioning(&mut chain, 1002, &label, &me.public(), Some(vec![forged]));
    let (logs, state) = (chain.net.all_evidence(), TrustState::default());
    let stranger = RecipientSecret::generate(&mut rand_core::OsRng);
    let read = |serial: u32, reader: Option<&RecipientSecret>| {
        let product = unit(serial);
        let v = verify(&Request {
            secrets: std::slice::from_ref(&label),
            reader,
            ..Request::online(&chain.net.policy, &product, &logs, &state, t(NOW))
        });
        let step = v.timeline.first().expect("its commissioning").clone();
        (v.status, step.withheld, step.revealed.unwrap_or_default())
    };
    let holder = read(1001, None);
    // One member withheld, padded with decoys: the holder sees four digests.
    let bucket = tally_confidential::DECOY_BUCKET;
    assert_eq!((holder.1, holder.2.as_str()), (bucket, ""), "the holder");
    let (status, withheld, revealed) = read(1001, Some(&me));
    assert_eq!(status, holder.0, "the same verdict");
    assert_eq!(withheld, 0);
    assert!(
        revealed.contains("PO-1001") && !revealed.contains("_sd"),
        "{revealed}"
    );
    assert_eq!(
        read(1001, Some(&stranger)).1,
        bucket,
        "not wrapped for a stranger"
    );
    // What the signed digest does not commit to is never shown, and changes no verdict.
    let holder = read(1002, None);
    let lied = read(1002, Some(&me));
    assert_eq!((lied.0, lied.1), (holder.0, bucket), "{lied:?}");
    assert!(!lied.2.contains("PO-666"), "{lied:?}");
}
