//! `GET /lookup` and `GET /history`: a product's entries, following it onto pallets and back to
//! its inputs; `/history` adds the registry records that authorise their signers and everything a
//! light client needs to verify them in one round trip.

use super::reads::{param, params, required, Params, B64};
use crate::admission::{
    certification_key, gtin_uri, lookup_ids, registration_key, revocation_key, serials_key,
};
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
use tally_logstore::{LogStore, SqliteStore};
use tally_trust::custody::{self, Actor, Facts};
use tally_trust::{Entry, EntryKind, Record, Registry};

/// How many rounds of "follow the pallet" a lookup makes: enough for unit → case → pallet →
/// container nesting, and a bound on the work one request can cause.
const MAX_AGGREGATION_DEPTH: usize = 8;

/// Most entries in one page of `/lookup` or `/history`, and most entry bytes: a page is a few
/// MB whatever the product, and a client asks for the next with `after`.
pub(crate) const PAGE_ENTRIES: usize = 1000;
pub(crate) const PAGE_BYTES: usize = 4 * 1024 * 1024;

/// `GET /lookup?key=K[&after=I]`: a Digital Link (unit, lot, SSCC), a GLN, `registry`, or one of
/// admission's derived keys (`units:<lot>`, …) → `{"indices": [...], "entries": [base64…],
/// "next": I | null}`, ascending, one page after index `after`; `next` is the `after` of the
/// following page.
///
/// For a product this includes the events of every pallet or container it was aggregated into
/// (and the inputs it was made from) while it was there, as `custody::relevant` defines history.
pub(crate) async fn lookup(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let key: String = required(&q, "key")?;
    let after: Option<u64> = param(&q, "after")?;
    let ids = lookup_ids(&key);
    let found = shared
        .with_reader(move |s| Ok(closure(s, &ids)?.into_iter().map(|e| (e.index, e.bytes))))
        .await?;
    let (page, next) = page(found.collect(), after);
    let (indices, entries): (Vec<u64>, Vec<String>) = page
        .into_iter()
        .map(|(i, bytes)| (i, B64.encode(bytes)))
        .unzip();
    Ok(Json(
        json!({"indices": indices, "entries": entries, "next": next}),
    ))
}

/// The entries after index `after` (all when `None`) that fit in one page, and the `after` of
/// the next page if some are left.
fn page(all: Vec<(u64, Vec<u8>)>, after: Option<u64>) -> (Vec<(u64, Vec<u8>)>, Option<u64>) {
    let mut out = Vec::new();
    let mut bytes = 0;
    let mut rest = all
        .into_iter()
        .filter(|(i, _)| after.is_none_or(|a| *i > a));
    for (i, e) in rest.by_ref() {
        if !out.is_empty() && (out.len() == PAGE_ENTRIES || bytes + e.len() > PAGE_BYTES) {
            let next = out.last().map(|(last, _): &(u64, Vec<u8>)| *last);
            return (out, next);
        }
        bytes += e.len();
        out.push((i, e));
    }
    (out, None)
}

/// `GET /history?key=K[&old=N][&size=S][&after=I]`: everything a light client needs to verify
/// product `K`'s history against this log, from one request (or a few pages):
///
/// ```json
/// {"checkpoint": "<signed checkpoint note, with cosignatures>", "size": S,
///  "consistency": ["<base64>", …] | null,
///  "entries": [{"index": I, "entry": "<base64>", "proof": ["<base64>", …]}, …],
///  "next": I | null}
/// ```
///
/// `entries` are the product's entries (as `/lookup`) that the custody rules count — events by
/// parties outside the product's custody chain are left out, as a light client would set them
/// aside, so a flood of them cannot make an honest product's answer unbounded — plus, for a
/// serialised unit, one commissioning event of its lot by the chain (the evidence that the lot is
/// serialised: the first such entry by leaf hash, the one every honest log picks), and the
/// registry records that say who may have signed them. Each comes with its inclusion proof in
/// the tree of size S: the latest checkpoint's, or the size `size` names (the first page's, so
/// every page proves against one checkpoint). `consistency` proves the tree of size N (the
/// client's trusted size for this log) is a prefix of it, when 0 < N < S. At most one page of
/// entries after index `after` is returned; `next` is the `after` of the next page.
pub(crate) async fn history(
    State(shared): State<Arc<Shared>>,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let key: String = required(&q, "key")?;
    let old: u64 = param(&q, "old")?.unwrap_or(0);
    let after: Option<u64> = param(&q, "after")?;
    let pinned: Option<u64> = param(&q, "size")?;
    let latest = shared
        .latest()
        .ok_or_else(|| ApiError::not_found("no checkpoint signed yet"))?;
    let registry = shared
        .registry
        .read()
        .map(|r| Arc::clone(&r))
        .map_err(|_| ApiError::internal("registry lock poisoned"))?;
    let answer = shared
        .with_reader(move |s| {
            let (size, note) = match pinned {
                Some(size) if size != latest.size => match s.checkpoint_at(size)? {
                    Some(note) => (size, note),
                    None => {
                        return Ok(Err(ApiError::not_found(format!(
                            "this log signed no checkpoint of size {size}"
                        ))))
                    }
                },
                _ => (latest.size, latest.note.to_vec()),
            };
            let found = history_entries(s, &registry, &key, size)?;
            let (page, next) = page(found, after);
            Ok(Ok((
                size,
                note,
                old_proof(s, old, size),
                prove(s, page, size),
                next,
            )))
        })
        .await??;
    let (size, note, consistency, entries, next) = answer;
    let consistency = consistency
        .map_err(ApiError::internal)?
        .map(|p| p.iter().map(|h| B64.encode(h.0)).collect::<Vec<_>>());
    Ok(Json(json!({
        "checkpoint": String::from_utf8_lossy(&note),
        "size": size,
        "consistency": consistency,
        "entries": entries.map_err(ApiError::internal)?,
        "next": next,
    })))
}

/// The consistency proof from `old` to `size`, when 0 < old < size.
fn old_proof(
    s: &SqliteStore,
    old: u64,
    size: u64,
) -> Result<Option<Vec<tally_tlog::Hash>>, tally_tlog::store::StoreError> {
    (old > 0 && old < size)
        .then(|| tally_tlog::store::consistency_proof(s, old, size))
        .transpose()
}

/// Each entry with its inclusion proof in the tree of size `size`, as JSON.
fn prove(
    s: &SqliteStore,
    entries: Vec<(u64, Vec<u8>)>,
    size: u64,
) -> Result<Vec<Value>, tally_tlog::store::StoreError> {
    entries
        .into_iter()
        .map(|(index, bytes)| {
            let proof = tally_tlog::store::inclusion_proof(s, index, size)?;
            Ok(json!({
                "index": index,
                "entry": B64.encode(bytes),
                "proof": proof.iter().map(|h| B64.encode(h.0)).collect::<Vec<_>>(),
            }))
        })
        .collect()
}

/// The entries `/history` serves for `key` in the tree of size `size`, ascending.
fn history_entries(
    s: &dyn LogStore,
    registry: &Registry,
    key: &str,
    size: u64,
) -> Result<Vec<(u64, Vec<u8>)>, tally_logstore::StoreError> {
    let ids = lookup_ids(key);
    let all: Vec<Found> = closure(s, &ids)?
        .into_iter()
        .filter(|e| e.index < size)
        .collect();
    let is_product = key.contains("://") || key.starts_with("urn:");
    let (mut found, members) = if is_product {
        counted(registry, &ids, all)
    } else {
        (all, BTreeSet::new())
    };
    if is_product {
        found.extend(serial_evidence(s, registry, key, &members, size)?);
    }
    let mut out: Vec<(u64, Vec<u8>)> = found.into_iter().map(|e| (e.index, e.bytes)).collect();
    out.extend(authorising_records(s, &out, size)?);
    out.sort_by_key(|(i, _)| *i);
    out.dedup_by_key(|(i, _)| *i);
    Ok(out)
}

/// The events the custody rules count (all but those set aside), and the organisations of the
/// product's chain.
fn counted(registry: &Registry, ids: &[String], all: Vec<Found>) -> (Vec<Found>, BTreeSet<String>) {
    let (events, other): (Vec<Found>, Vec<Found>) =
        all.into_iter().partition(|e| e.facts.is_some());
    let facts: Vec<Facts> = events.iter().filter_map(|e| e.facts.clone()).collect();
    let actors: Vec<Option<Actor>> = events
        .iter()
        .zip(&facts)
        .map(|(e, f)| actor(registry, &e.bytes, f))
        .collect();
    let order = custody::relevant(ids, &facts);
    let now = time::OffsetDateTime::now_utc();
    let walk = custody::check(&facts, &order, &actors, None, now);
    let mut kept: Vec<Found> = events
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !walk.is_set_aside(*i))
        .map(|(_, e)| e)
        .collect();
    kept.extend(other);
    (kept, walk.members)
}

/// Who signed an event, if its signer may sign it.
fn actor(registry: &Registry, bytes: &[u8], f: &Facts) -> Option<Actor> {
    registry.actor(&Entry::decode(bytes).ok()?.signer, f).ok()
}

/// For a serialised unit: the first commissioning event (by leaf hash) of units of its lot (or,
/// without a lot, its GTIN) signed by an organisation of its chain.
fn serial_evidence(
    s: &dyn LogStore,
    registry: &Registry,
    key: &str,
    members: &BTreeSet<String>,
    size: u64,
) -> Result<Option<Found>, tally_logstore::StoreError> {
    /// Candidates looked at: the chain's own commissioning events come first by leaf hash as
    /// often as anyone's, so a handful suffices.
    const CANDIDATES: usize = 16;
    let Some(unit) =
        tally_epcis::epc::canonical_gs1_uri(key).filter(|u| custody::serial_of(u).is_some())
    else {
        return Ok(None);
    };
    let scope = match custody::lot_of(key) {
        Some(lot) => tally_epcis::epc::canonical_gs1_uri(&lot).unwrap_or(lot),
        None => match custody::gtin_of(&unit) {
            Some(g) => gtin_uri(&g),
            None => return Ok(None),
        },
    };
    for index in s.lookup_by_leaf(&serials_key(&scope), CANDIDATES)? {
        let Some(bytes) = s.entry(index)?.filter(|_| index < size) else {
            continue;
        };
        let by_member = Entry::decode(&bytes).ok().is_some_and(|e| {
            registry
                .certifications(&e.signer)
                .any(|d| members.contains(&d.org))
        });
        if by_member {
            return Ok(Some(Found {
                index,
                facts: facts_of(&bytes),
                bytes,
            }));
        }
    }
    Ok(None)
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

/// An entry found for a key, with its custody facts if it is an event.
struct Found {
    index: u64,
    bytes: Vec<u8>,
    facts: Option<Facts>,
}

/// The entries under `ids`, plus those of containers and inputs that belong to the history.
fn closure(store: &dyn LogStore, ids: &[String]) -> Result<Vec<Found>, tally_logstore::StoreError> {
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
        .filter_map(|index| {
            events.remove(&index).map(|(bytes, facts)| Found {
                index,
                bytes,
                facts,
            })
        })
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
