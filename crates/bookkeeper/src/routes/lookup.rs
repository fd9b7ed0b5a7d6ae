//! `GET /lookup` and `GET /history`: a product's entries, following it onto pallets and back to
//! its inputs; `/history` adds the registry records that authorise their signers and everything a
//! light client needs to verify them in one round trip.

use super::reads::{param, params, required, Params, B64};
use crate::admission::{certification_key, lookup_ids, registration_key, revocation_key};
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
use tally_trust::{Entry, EntryKind, Record};

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
    let key: String = required(&params(q)?, "key")?;
    let ids = lookup_ids(&key);
    let found = shared.with_reader(move |s| closure(s, &ids)).await?;
    let (indices, entries): (Vec<u64>, Vec<String>) = found
        .into_iter()
        .map(|(i, bytes)| (i, B64.encode(bytes)))
        .unzip();
    Ok(Json(json!({"indices": indices, "entries": entries})))
}

/// `GET /history?key=K[&old=N]`: everything a light client needs to verify product `K`'s history
/// against this log, from one request:
///
/// ```json
/// {"checkpoint": "<latest signed checkpoint note, with cosignatures>", "size": S,
///  "consistency": ["<base64>", …] | null,
///  "entries": [{"index": I, "entry": "<base64>", "proof": ["<base64>", …]}, …]}
/// ```
///
/// `entries` are the product's entries (as `/lookup`) and the registry records that say who may
/// have signed them (the signers' certifications and revocations, their organisations'
/// registrations and revocations), each with its inclusion proof in the tree of size S.
/// `consistency` proves the tree of size N (the client's trusted size for this log) is a prefix of
/// it, when 0 < N < S. Entries logged after the checkpoint are left out: they cannot be proven yet.
pub(crate) async fn history(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let key: String = required(&q, "key")?;
    let old: u64 = param(&q, "old")?.unwrap_or(0);
    let latest = shared
        .latest()
        .ok_or_else(|| ApiError::not_found("no checkpoint signed yet"))?;
    let size = latest.size;
    let ids = lookup_ids(&key);
    let (consistency, entries) = shared
        .with_reader(move |s| {
            let mut found: Vec<(u64, Vec<u8>)> = closure(s, &ids)?
                .into_iter()
                .filter(|(i, _)| *i < size)
                .collect();
            found.extend(authorising_records(s, &found, size)?);
            found.sort_by_key(|(i, _)| *i);
            found.dedup_by_key(|(i, _)| *i);
            let proven = found
                .into_iter()
                .map(|(index, bytes)| {
                    let proof = tally_tlog::store::inclusion_proof(s, index, size)?;
                    Ok(json!({
                        "index": index,
                        "entry": B64.encode(bytes),
                        "proof": proof.iter().map(|h| B64.encode(h.0)).collect::<Vec<_>>(),
                    }))
                })
                .collect::<Result<Vec<Value>, tally_tlog::store::StoreError>>();
            let consistency = (old > 0 && old < size)
                .then(|| tally_tlog::store::consistency_proof(s, old, size))
                .transpose();
            Ok((consistency, proven))
        })
        .await?;
    let entries = entries.map_err(ApiError::internal)?;
    let consistency = consistency
        .map_err(ApiError::internal)?
        .map(|p| p.iter().map(|h| B64.encode(h.0)).collect::<Vec<_>>());
    Ok(Json(json!({
        "checkpoint": String::from_utf8_lossy(&latest.note),
        "size": size,
        "consistency": consistency,
        "entries": entries,
    })))
}

/// The registry records, within the first `size` entries, that decide whether the signers of the
/// events in `found` were allowed to sign them.
fn authorising_records(
    store: &dyn LogStore,
    found: &[(u64, Vec<u8>)],
    size: u64,
) -> Result<Vec<(u64, Vec<u8>)>, tally_logstore::StoreError> {
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for (_, bytes) in found {
        if let Ok(e) = Entry::decode(bytes) {
            if e.kind == EntryKind::Event {
                keys.insert(certification_key(&e.signer));
                keys.insert(revocation_key(&e.signer));
            }
        }
    }
    let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
    // Certifications name organisations; registrations name the organisation's key.
    let mut asked: BTreeSet<String> = BTreeSet::new();
    while let Some(key) = keys.pop_first() {
        if !asked.insert(key.clone()) {
            continue;
        }
        for index in store.lookup(&key)?.into_iter().filter(|&i| i < size) {
            let Some(bytes) = store.entry(index)? else {
                continue;
            };
            let record = Entry::decode(&bytes)
                .ok()
                .and_then(|e| serde_json::from_slice::<Record>(&e.payload).ok());
            match record {
                Some(Record::Certification { org, .. }) => {
                    keys.insert(registration_key(&org));
                }
                Some(Record::Registration { key: org_key, .. }) => {
                    if let Ok(k) = tally_tlog::VerifierKey::parse(&org_key) {
                        keys.insert(revocation_key(k.ed25519().as_bytes()));
                    }
                }
                _ => {}
            }
            out.push((index, bytes));
        }
    }
    Ok(out)
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
