//! The sealed registry: which labels a registry record is sealed for in a confidential network,
//! and what an opened entry lets its reader open next.
//!
//! One rule, applied by the device that seals a record, by every bookkeeper before it logs one
//! (a record sealed for anything else is refused), and by every reader that opens them (see
//! `tally_confidential::registry` for why these secrets):
//!
//! | record | sealed for (besides the registry secret) | links |
//! |---|---|---|
//! | registration | its organisation's key; each of its GS1 company prefixes | |
//! | certification | its device's key; its organisation's key when the role is `labelling` | its organisation's key |
//! | revocation | the revoked key | |
//! | entitlement | (members only) | |
//!
//! "Sealed for a key" means for [`subject_secret`] of it; a prefix, [`prefix_secret`]. A
//! certification links its organisation's secret because a governance-signed one (an
//! authority's) does not say that key otherwise: the holder who opened the certification can then
//! open the registration. A reader of an opened entry learns the secrets of its signer, and of
//! the key a registration registers or a certification certifies ([`opens_next`]): event →
//! device certification → organisation registration and revocations; prefix → brand →
//! label printers → their revocations.

use crate::label::LABELLING;
use crate::registry::Record;
use crate::{Entry, EntryKind};
use tally_confidential::{prefix_secret, subject_secret, LabelSecret};
use tally_tlog::VerifierKey;

/// How a registry record is sealed: the labels it is sealed for, and the secrets it links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealing {
    /// Sorted by their bytes, without repeats.
    pub seal_for: Vec<LabelSecret>,
    pub links: Vec<LabelSecret>,
}

/// How `entry`, a registry record, is sealed with the network's registry secret `member`.
/// `org_key` names a registered organisation's key by its GLN (a certification links it).
/// `None` when `entry` is not a well-formed registry record or its organisation is unknown.
pub fn sealing(
    entry: &Entry,
    member: &LabelSecret,
    org_key: impl Fn(&str) -> Option<[u8; 32]>,
) -> Option<Sealing> {
    let record: Record = serde_json::from_slice(&entry.payload).ok()?;
    let mut seal_for = vec![member.clone()];
    let mut links = Vec::new();
    match &record {
        Record::Registration { key, prefixes, .. } => {
            seal_for.push(subject_secret(&raw(key)?));
            seal_for.extend(prefixes.iter().map(|p| prefix_secret(p)));
        }
        Record::Certification {
            org, device, roles, ..
        } => {
            let org = subject_secret(&org_key(org)?);
            seal_for.push(subject_secret(&raw(device)?));
            if roles.iter().any(|r| r == LABELLING) {
                seal_for.push(org.clone());
            }
            links.push(org);
        }
        Record::Revocation { key, .. } => seal_for.extend(raw(key).map(|k| subject_secret(&k))),
        Record::Entitlement { .. } => {}
    }
    seal_for.sort_by_key(|s| *s.as_bytes());
    seal_for.dedup();
    Some(Sealing { seal_for, links })
}

/// The secrets an opened entry hands its reader: its signer's, and the key a registration
/// registers or a certification certifies.
pub fn opens_next(entry: &Entry) -> Vec<LabelSecret> {
    let mut out = vec![subject_secret(&entry.signer)];
    if entry.kind == EntryKind::Registration || entry.kind == EntryKind::Certification {
        let named = match serde_json::from_slice::<Record>(&entry.payload) {
            Ok(Record::Registration { key, .. }) => raw(&key),
            Ok(Record::Certification { device, .. }) => raw(&device),
            _ => None,
        };
        out.extend(named.map(|k| subject_secret(&k)));
    }
    out
}

/// The prefix secrets a reader of a label of GS1 key `id` (a Digital Link or a GLN) tries: one
/// per company prefix length GS1 allocates (4 to 12 digits), since the label does not say which.
pub fn prefix_candidates(id: &str) -> Vec<LabelSecret> {
    let Some(digits) = crate::registry::company_digits(id) else {
        return Vec::new();
    };
    (4..=12.min(digits.len()))
        .map(|n| prefix_secret(&digits[..n]))
        .collect()
}

fn raw(key: &str) -> Option<[u8; 32]> {
    VerifierKey::parse(key)
        .ok()
        .map(|k| *k.ed25519().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::{KeyType, SignerKey};
    use time::macros::datetime;

    fn key(name: &str, seed: u8) -> SignerKey {
        SignerKey::from_seed(name, KeyType::Ed25519, &[seed; 32]).unwrap()
    }

    fn signed(record: &Record, by: &SignerKey) -> Entry {
        Entry::sign(record.kind(), record.to_payload(), None, by).unwrap()
    }

    fn certification(device: &SignerKey, roles: &[&str]) -> Record {
        Record::Certification {
            org: "9506000000005".into(),
            device: device.verifier().to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            places: vec!["9506000000012".into()],
            valid_from: datetime!(2026-01-01 0:00 UTC),
            expires: datetime!(2027-01-01 0:00 UTC),
        }
    }

    #[test]
    fn each_record_is_sealed_for_its_subjects_and_the_registry_secret_only() {
        let member = LabelSecret::from_bytes([7; 16]);
        let (gov, org, device) = (key("gov", 1), key("org", 2), key("device", 3));
        let raw = |k: &SignerKey| *k.verifier().ed25519().as_bytes();
        let s = |k: &SignerKey| subject_secret(&raw(k));
        let org_key = |gln: &str| (gln == "9506000000005").then(|| raw(&org));
        let rule = |r: &Record, by: &SignerKey| sealing(&signed(r, by), &member, org_key).unwrap();
        let sorted = |mut v: Vec<LabelSecret>| {
            v.sort_by_key(|s| *s.as_bytes());
            v
        };
        let registration = Record::Registration {
            gln: "9506000000005".into(),
            name: "Waikato Dairy".into(),
            country: "NZ".into(),
            key: org.verifier().to_string(),
            domains: vec![],
            prefixes: vec!["9506000100".into()],
        };
        let r = rule(&registration, &gov);
        let want = vec![member.clone(), s(&org), prefix_secret("9506000100")];
        assert_eq!((r.seal_for, r.links), (sorted(want), vec![]));
        // A label printer's certification opens with its organisation's key too (how a phone
        // reaches it from the brand); a shipping device's does not. Both link the organisation.
        let printer = rule(&certification(&device, &[LABELLING]), &org);
        assert_eq!(
            printer.seal_for,
            sorted(vec![member.clone(), s(&device), s(&org)])
        );
        assert_eq!(printer.links, vec![s(&org)]);
        let shipper = rule(&certification(&device, &["shipping"]), &gov);
        assert_eq!(shipper.seal_for, sorted(vec![member.clone(), s(&device)]));
        assert_eq!(shipper.links, vec![s(&org)]);
        let revocation = Record::Revocation {
            key: device.verifier().to_string(),
            since: datetime!(2026-06-01 0:00 UTC),
            reason: "lost".into(),
        };
        let r = rule(&revocation, &org);
        assert_eq!(r.seal_for, sorted(vec![member.clone(), s(&device)]));
        let entitlement = Record::Entitlement {
            recipient: "Food Safety Authority".into(),
            key: "tally-recipient:AAAA".into(),
            scope: vec![],
        };
        assert_eq!(rule(&entitlement, &gov).seal_for, vec![member.clone()]);
        // A certification of an organisation nobody registered cannot be sealed.
        let mut stranger = certification(&device, &["shipping"]);
        if let Record::Certification { org, .. } = &mut stranger {
            *org = "9506000000999".into();
        }
        assert!(sealing(&signed(&stranger, &gov), &member, org_key).is_none());
    }

    #[test]
    fn an_opened_entry_hands_on_its_signers_and_its_subjects_secrets() {
        let (org, device) = (key("org", 2), key("device", 3));
        let raw = |k: &SignerKey| *k.verifier().ed25519().as_bytes();
        let cert = signed(&certification(&device, &["shipping"]), &org);
        let next = opens_next(&cert);
        assert_eq!(
            next,
            vec![subject_secret(&raw(&org)), subject_secret(&raw(&device))]
        );
        let event = Entry::sign(
            EntryKind::Event,
            b"{}".to_vec(),
            Some("ni:///x".into()),
            &device,
        )
        .unwrap();
        assert_eq!(opens_next(&event), vec![subject_secret(&raw(&device))]);
    }

    #[test]
    fn a_label_is_tried_under_each_company_prefix_length() {
        let c = prefix_candidates("https://id.gs1.org/01/09506000134352/21/7");
        assert_eq!(c.len(), 9);
        assert_eq!(c[0], prefix_secret("9506"));
        assert_eq!(c[8], prefix_secret("950600013435"));
        assert!(prefix_candidates("https://example.com/not-gs1").is_empty());
    }
}
