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

/// The entries, split into those proven by at least `k` operators' logs and the others.
pub(super) fn count(copies: Vec<Copy>, k: usize) -> (Vec<Counted>, Vec<Counted>) {
    let mut groups: BTreeMap<Identity, Vec<Decoded>> = BTreeMap::new();
    for c in copies {
        let entry = Entry::decode(&c.bytes).map_err(|e| e.to_string());
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
        let counted = choose(copies);
        if counted.operators().len() >= k {
            confirmed.push(counted);
        } else {
            unconfirmed.push(counted);
        }
    }
    (confirmed, unconfirmed)
}

/// Picks the copy most operators hold (smallest leaf on a tie) and gathers every position.
fn choose(copies: Vec<Decoded>) -> Counted {
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
    Counted {
        leaf: copy.leaf,
        entry,
        positions,
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
        let (confirmed, unconfirmed) = count(
            vec![copy("bk1", &ea), copy("bk2", &eb), copy("bk3", &eb)],
            2,
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
        let (confirmed, unconfirmed) = count(vec![copy("bk1", b"x"), copy("bk2", b"y")], 2);
        assert!(confirmed.is_empty());
        assert_eq!(unconfirmed.len(), 2);
    }
}
