//! `GET /lookup`: a product's entries, following it onto pallets and back to its inputs.

use super::reads::{params, Params, B64};
use crate::admission::lookup_ids;
use crate::error::ApiError;
use crate::shared::Shared;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tally_epcis::RawEvent;
use tally_logstore::LogStore;
use tally_trust::custody::{self, Facts};
use tally_trust::{Entry, EntryKind};

/// How many rounds of "follow the pallet" a lookup makes: enough for unit → case → pallet →
/// container nesting, and a bound on the work one request can cause.
const MAX_AGGREGATION_DEPTH: usize = 8;

/// `GET /lookup?key=K`: a Digital Link (unit, lot, SSCC), a GLN, or `registry` →
/// `{"indices": [...], "entries": [base64…]}`, ascending.
///
/// For a product this includes the events of every pallet or container it was aggregated into
/// (and the inputs it was made from) while it was there, as `custody::relevant` defines history.
pub(crate) async fn lookup(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let key = q
        .get("key")
        .ok_or_else(|| ApiError::bad_request("missing_parameter", "parameter key is required"))?
        .clone();
    let ids = lookup_ids(&key);
    let found = shared.with_reader(move |s| closure(s, &ids)).await?;
    let (indices, entries): (Vec<u64>, Vec<String>) = found
        .into_iter()
        .map(|(i, bytes)| (i, B64.encode(bytes)))
        .unzip();
    Ok(Json(json!({"indices": indices, "entries": entries})))
}

/// The entries under `ids`, plus those of containers and inputs that belong to the history.
fn closure(
    store: &dyn LogStore,
    ids: &[String],
) -> Result<Vec<(u64, Vec<u8>)>, tally_logstore::StoreError> {
    let mut direct = BTreeSet::new();
    for id in ids {
        direct.extend(store.lookup(id)?);
    }
    let mut seen_keys: BTreeSet<String> = ids.iter().cloned().collect();
    let mut all: BTreeSet<u64> = direct.clone();
    let mut events: HashMap<u64, (Vec<u8>, Option<Facts>)> = HashMap::new();
    for _ in 0..MAX_AGGREGATION_DEPTH {
        let mut next_keys = BTreeSet::new();
        for &i in &all {
            if events.contains_key(&i) {
                continue;
            }
            let Some(bytes) = store.entry(i)? else {
                continue;
            };
            let facts = facts_of(&bytes);
            if let Some(f) = &facts {
                next_keys.extend(f.parent.iter().cloned());
                next_keys.extend(f.inputs.iter().cloned());
            }
            events.insert(i, (bytes, facts));
        }
        next_keys.retain(|k| !seen_keys.contains(k));
        if next_keys.is_empty() {
            break;
        }
        for k in next_keys {
            all.extend(store.lookup(&k)?);
            seen_keys.insert(k);
        }
    }
    // Direct hits always count; what the containers brought in counts when custody says so.
    let extra: Vec<u64> = all.difference(&direct).copied().collect();
    let candidates: Vec<u64> = all
        .iter()
        .copied()
        .filter(|i| events.get(i).is_some_and(|(_, f)| f.is_some()))
        .collect();
    let facts: Vec<Facts> = candidates
        .iter()
        .filter_map(|i| events.get(i).and_then(|(_, f)| f.clone()))
        .collect();
    let relevant: BTreeSet<u64> = custody::relevant(ids, &facts)
        .into_iter()
        .map(|k| candidates[k])
        .collect();
    let mut result: BTreeSet<u64> = direct;
    result.extend(extra.into_iter().filter(|i| relevant.contains(i)));
    Ok(result
        .into_iter()
        .filter_map(|i| events.remove(&i).map(|(bytes, _)| (i, bytes)))
        .collect())
}

/// The custody facts of a logged event entry (`None` for registry records).
fn facts_of(bytes: &[u8]) -> Option<Facts> {
    let entry = Entry::decode(bytes).ok()?;
    if entry.kind != EntryKind::Event {
        return None;
    }
    let raw = RawEvent::parse(&entry.payload).ok()?;
    Facts::from_event(&raw.event).ok()
}
