//! The custody facts of logged events, kept in memory by log index.
//!
//! A `/history` answer walks the custody of every event of the product, and so parses each one:
//! for a lot's thousand events the parsing was a third of the answer's time, repeated on every
//! scan. A logged entry never changes, so facts read once stay true: the cache needs no
//! invalidation, only a bound (least recently used entries go first).
//!
//! Only plain entries are kept. A sealed entry's plain text is what the secret that opened it
//! unwraps, and a dishonest sealer could wrap different texts for different labels; its facts are
//! computed from what each request opened.

use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Mutex;
use tally_epcis::RawEvent;
use tally_trust::custody::Facts;
use tally_trust::{Entry, EntryKind};

/// Entries whose facts are kept: a few thousand products' histories, some tens of MB.
const CAPACITY: usize = 50_000;

/// Facts of plain entries by index (`None`: the entry is not an event).
pub(crate) struct FactsCache(Mutex<LruCache<u64, Option<Facts>>>);

impl FactsCache {
    pub(crate) fn new() -> Self {
        let capacity = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        FactsCache(Mutex::new(LruCache::new(capacity)))
    }

    /// The facts of the entry logged at `index` as `bytes`, opened as `plain` (the same bytes
    /// when it is not sealed).
    pub(crate) fn of(&self, index: u64, bytes: &[u8], plain: &[u8]) -> Option<Facts> {
        let cacheable = bytes == plain;
        if cacheable {
            if let Some(known) = self.0.lock().ok().and_then(|mut c| c.get(&index).cloned()) {
                return known;
            }
        }
        let facts = facts_of(plain);
        if cacheable {
            if let Ok(mut c) = self.0.lock() {
                c.put(index, facts.clone());
            }
        }
        facts
    }
}

/// The custody facts of a plain event entry (`None` for registry records and anything that does
/// not parse: admission refused those, so a log holds them only if written otherwise).
pub(crate) fn facts_of(bytes: &[u8]) -> Option<Facts> {
    let entry = Entry::decode(bytes).ok()?;
    if entry.kind != EntryKind::Event {
        return None;
    }
    let raw = RawEvent::parse(&entry.payload).ok()?;
    Facts::from_event(&raw.event).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::{KeyType, SignerKey};

    fn event(serial: u32) -> Vec<u8> {
        let key = SignerKey::from_seed("device", KeyType::Ed25519, &[4; 32]).unwrap();
        let json = format!(
            r#"{{"type":"ObjectEvent","action":"ADD","eventTime":"2026-03-01T08:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["https://id.gs1.org/01/09506000134352/21/{serial}"],"bizStep":"commissioning"}}"#
        );
        Entry::sign_event(json.as_bytes(), &key).unwrap().encode()
    }

    #[test]
    fn facts_are_kept_for_plain_entries_only() {
        let cache = FactsCache::new();
        let (a, b) = (event(1), event(2));
        let fa = cache.of(7, &a, &a).expect("an event's facts");
        assert!(
            fa.ids.iter().any(|id| id.ends_with("/21/1")),
            "{:?}",
            fa.ids
        );
        // Kept by index: a second read does not parse again. (Asked with other bytes at the same
        // index, which only a log that rewrote itself could hold, it still answers from memory.)
        assert_eq!(cache.of(7, &b, &b).map(|f| f.ids), Some(fa.ids.clone()));
        assert_eq!(cache.0.lock().unwrap().len(), 1);
        // A sealed entry (logged bytes other than the plain ones) is computed, not kept.
        let fb = cache
            .of(8, b"sealed bytes", &b)
            .expect("the opened event's facts");
        assert!(fb.ids.iter().any(|id| id.ends_with("/21/2")));
        assert_eq!(cache.0.lock().unwrap().len(), 1);
        // A record is no event.
        assert!(cache.of(9, b"not an entry", b"not an entry").is_none());
    }
}
