//! k of n: which entries enough independent logs prove.
//!
//! Entries are counted by *identity*, not by bytes. A registry record's identity is its leaf
//! hash; an event's is its CBV 2.0 Event Hash ID, the identity bookkeepers de-duplicate on. Two
//! serialisations of one event (a device retrying with other whitespace, two bookkeepers
//! admitting different copies in a race) are then one event proven by every log that holds either
//! copy, instead of two events each below quorum. The copy shown is the one most operators hold
//! (the smallest leaf hash on a tie), so every client picks the same.

use super::logs::Copy;
use crate::entry::{Entry, EntryKind};
use std::collections::{BTreeMap, BTreeSet};
use tally_confidential::{is_sealed, Disclosure, LabelSecret, RecipientSecret};
use tally_tlog::Hash;

/// What an entry is counted as.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Identity {
    Event(String),
    Leaf([u8; 32]),
}

/// Where one log holds an entry.
#[derive(Debug, Clone)]
pub(super) struct Position {
    pub log: String,
    pub operator: String,
    pub index: u64,
}

/// An entry with every log's copy of it.
#[derive(Debug, Clone)]
pub(super) struct Counted {
    /// The copy chosen to stand for the entry.
    pub leaf: Hash,
    /// The decoded copy, or why its bytes are not an entry.
    pub entry: Result<Entry, String>,
    /// Every log's copy, of any serialisation.
    pub positions: Vec<Position>,
    /// The withheld members of the chosen copy that the reader opened.
    pub disclosures: Vec<Disclosure>,
}

impl Counted {
    /// Distinct operators whose logs hold it.
    pub fn operators(&self) -> BTreeSet<&str> {
        self.positions.iter().map(|p| p.operator.as_str()).collect()
    }

    /// Logs that hold it, in the order they were checked.
    pub fn logs(&self) -> Vec<String> {
        let mut logs: Vec<String> = Vec::new();
        for p in &self.positions {
            if !logs.contains(&p.log) {
                logs.push(p.log.clone());
            }
        }
        logs
    }

    /// Whether it is an event.
    pub fn is_event(&self) -> bool {
        self.entry
            .as_ref()
            .is_ok_and(|e| e.kind == EntryKind::Event)
    }
}

/// A log's copy of an entry, decoded (or why it does not decode).
type Decoded = (Copy, Result<Entry, String>);

/// Per log, how many sealed entries it served that no secret of this device opens.
pub(super) type Unopened = BTreeMap<String, usize>;

/// The entries, split into those proven by at least `k` operators' logs and the others. Sealed
/// copies are counted as the entry inside, opened with `secrets` (the label's, and those the
/// entries opened link to); one sealed for no label this device holds is not about its product:
/// it is left out, and counted per log. A `reader` key (an entitled recipient's) opens the
/// withheld members of what the labels opened, and nothing else: it changes no count.
pub(super) fn count(
    copies: Vec<Copy>,
    k: usize,
    secrets: &[LabelSecret],
    reader: Option<&RecipientSecret>,
) -> (Vec<Counted>, Vec<Counted>, Unopened) {
    let mut groups: BTreeMap<Identity, Vec<Decoded>> = BTreeMap::new();
    let (opened, unopened) = open_all(copies, secrets);
    for (c, plain) in opened {
        let entry = Entry::decode(&plain).map_err(|e| e.to_string());
        let identity = match &entry {
            Ok(Entry {
                kind: EntryKind::Event,
                hash_id: Some(id),
                ..
            }) => Identity::Event(id.clone()),
            _ => Identity::Leaf(c.leaf.0),
        };
        groups.entry(identity).or_default().push((c, entry));
    }
    let (mut confirmed, mut unconfirmed) = (Vec::new(), Vec::new());
    for copies in groups.into_values() {
        let counted = choose(copies, reader);
        if counted.operators().len() >= k {
            confirmed.push(counted);
        } else {
            unconfirmed.push(counted);
        }
    }
    (confirmed, unconfirmed, unopened)
}

/// Each copy with its plain entry bytes: itself, or opened. Opening can hand on secrets (a pallet
/// the product was packed onto, the signer's sealed registry records), so it is repeated until
/// nothing more opens; each round opens at least one more copy or ends it.
fn open_all(copies: Vec<Copy>, secrets: &[LabelSecret]) -> (Vec<(Copy, Vec<u8>)>, Unopened) {
    let mut keys: Vec<LabelSecret> = secrets.to_vec();
    let mut plain: Vec<Option<Vec<u8>>> = copies
        .iter()
        .map(|c| (!is_sealed(&c.bytes)).then(|| c.bytes.clone()))
        .collect();
    if plain.iter().any(Option::is_none) {
        // Plain events' signers too: their registry records may be sealed.
        let signers: BTreeSet<[u8; 32]> = (plain.iter().flatten())
            .filter_map(|p| Entry::decode(p).ok())
            .map(|e| e.signer)
            .collect();
        for k in signers.iter().map(tally_confidential::subject_secret) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let mut progress = true;
    while progress {
        progress = false;
        for (c, p) in copies
            .iter()
            .zip(plain.iter_mut())
            .filter(|(_, p)| p.is_none())
        {
            if let Ok(opened) = tally_confidential::open(&c.bytes, &keys) {
                // Its links (a pallet's secret), and the registry records it points to (its
                // signer's certification, an organisation's registration: `sealed_registry`).
                let next = Entry::decode(&opened.entry)
                    .map(|e| crate::sealed_registry::opens_next(&e))
                    .unwrap_or_default();
                for link in opened.links.into_iter().chain(next) {
                    if !keys.contains(&link) {
                        keys.push(link);
                    }
                }
                *p = Some(opened.entry);
                progress = true;
            }
        }
    }
    let mut unopened = Unopened::new();
    let mut opened = Vec::with_capacity(copies.len());
    for (c, p) in copies.into_iter().zip(plain) {
        match p {
            Some(p) => opened.push((c, p)),
            None => *unopened.entry(c.log).or_default() += 1,
        }
    }
    (opened, unopened)
}

/// Picks the copy most operators hold (smallest leaf on a tie) and gathers every position.
fn choose(copies: Vec<Decoded>, reader: Option<&RecipientSecret>) -> Counted {
    let operators_of = |leaf: &[u8; 32]| {
        copies
            .iter()
            .filter(|(c, _)| &c.leaf.0 == leaf)
            .map(|(c, _)| c.operator.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    };
    let best = copies
        .iter()
        .map(|(c, _)| c.leaf.0)
        .max_by(|a, b| operators_of(a).cmp(&operators_of(b)).then(b.cmp(a)))
        .unwrap_or_default();
    let positions = copies
        .iter()
        .map(|(c, _)| Position {
            log: c.log.clone(),
            operator: c.operator.clone(),
            index: c.index,
        })
        .collect();
    let (copy, entry) = copies
        .into_iter()
        .find(|(c, _)| c.leaf.0 == best)
        .expect("the best copy is one of the copies");
    // Only the copy shown is opened as the reader: one HPKE open per entry, not one per log.
    let disclosures = reader
        .filter(|_| is_sealed(&copy.bytes))
        .and_then(|me| tally_confidential::open_as(&copy.bytes, me).ok())
        .and_then(|o| o.withheld)
        .unwrap_or_default();
    Counted {
        leaf: copy.leaf,
        entry,
        positions,
        disclosures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::{leaf_hash, KeyType, SignerKey};

    fn copy(log: &str, bytes: &[u8]) -> Copy {
        Copy {
            log: log.into(),
            operator: format!("op-{log}"),
            index: 0,
            leaf: leaf_hash(bytes),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn two_serialisations_of_one_event_count_as_one() {
        let key = SignerKey::from_seed("d", KeyType::Ed25519, &[9; 32]).unwrap();
        let a = br#"{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2026-03-01T08:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:0614141.107346.2017"]}"#;
        let b = br#"{ "type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00", "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"] }"#;
        let (ea, eb) = (
            Entry::sign_event(a, &key).unwrap().encode(),
            Entry::sign_event(b, &key).unwrap().encode(),
        );
        assert_ne!(leaf_hash(&ea).0, leaf_hash(&eb).0);
        let (confirmed, unconfirmed, _) = count(
            vec![copy("bk1", &ea), copy("bk2", &eb), copy("bk3", &eb)],
            2,
            &[],
            None,
        );
        assert!(unconfirmed.is_empty());
        assert_eq!(confirmed.len(), 1);
        assert_eq!(confirmed[0].operators().len(), 3);
        assert_eq!(
            confirmed[0].leaf.0,
            leaf_hash(&eb).0,
            "the copy most logs hold"
        );
        // Records are counted by their bytes.
        let (confirmed, unconfirmed, _) =
            count(vec![copy("bk1", b"x"), copy("bk2", b"y")], 2, &[], None);
        assert!(confirmed.is_empty());
        assert_eq!(unconfirmed.len(), 2);
    }

    #[test]
    fn sealed_copies_count_as_the_event_inside_for_the_holders_of_its_labels() {
        use rand_core::OsRng;
        let key = SignerKey::from_seed("device", KeyType::Ed25519, &[5; 32]).unwrap();
        let event = br#"{"type":"ObjectEvent","eventTime":"2026-01-01T00:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:9506000.134352.1"],"action":"OBSERVE"}"#;
        let plain = Entry::sign_event(event, &key).unwrap().encode();
        let (lot, pallet, other) = (
            LabelSecret::from_bytes([1; 16]),
            LabelSecret::from_bytes([2; 16]),
            LabelSecret::from_bytes([3; 16]),
        );
        // Two logs hold one sealing, a third another: one event, three operators.
        let a = tally_confidential::seal(
            &plain,
            std::slice::from_ref(&lot),
            std::slice::from_ref(&pallet),
            &mut OsRng,
        )
        .unwrap();
        let b =
            tally_confidential::seal(&plain, std::slice::from_ref(&lot), &[], &mut OsRng).unwrap();
        // Sealed for the pallet only: readable once the lot's entry hands on the pallet's secret.
        let c = tally_confidential::seal(&plain, std::slice::from_ref(&pallet), &[], &mut OsRng)
            .unwrap();
        let stranger = tally_confidential::seal(&plain, &[other], &[], &mut OsRng).unwrap();
        let copies = || {
            vec![
                copy("bk1", &a),
                copy("bk2", &a),
                copy("bk3", &b),
                copy("bk1", &stranger),
            ]
        };
        let (confirmed, unconfirmed, unopened) =
            count(copies(), 2, std::slice::from_ref(&lot), None);
        assert_eq!(confirmed.len(), 1);
        assert!(unconfirmed.is_empty(), "the stranger's entry is left out");
        assert_eq!(unopened.get("bk1"), Some(&1), "and counted");
        assert_eq!(confirmed[0].operators().len(), 3);
        assert_eq!(confirmed[0].entry.as_ref().unwrap().payload, event.to_vec());
        // Without the label, nothing opens.
        let (confirmed, unconfirmed, _) = count(copies(), 2, &[], None);
        assert!(confirmed.is_empty() && unconfirmed.is_empty());
        // A linked secret opens entries sealed only for the pallet.
        let mut linked = copies();
        linked.push(copy("bk2", &c));
        let (confirmed, _, _) = count(linked, 2, std::slice::from_ref(&lot), None);
        assert_eq!(confirmed[0].operators().len(), 3);
        assert_eq!(confirmed[0].positions.len(), 4);
    }
}
