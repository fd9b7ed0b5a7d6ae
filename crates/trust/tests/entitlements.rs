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
