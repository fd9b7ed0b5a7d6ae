//! `GET /lookup` and `GET /history`: a product's entries, following it onto pallets and back to
//! its inputs; `/history` adds the registry records that authorise their signers and everything a
//! light client needs to verify them in one round trip.

use super::reads::{param, params, required, write_hashes, Params, B64};
use crate::admission::{
    certification_key, gtin_uri, lookup_ids, registration_key, revocation_key, serials_key,
};
use crate::error::ApiError;
use crate::facts::FactsCache;
use crate::shared::Shared;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use tally_confidential::{is_sealed, lookup_key, subject_secret, LabelSecret, LABEL_SECRET_HEADER};
use tally_logstore::{LogStore, Store};
use tally_trust::custody::{self, Actor, Facts};
use tally_trust::{Entry, EntryKind, Record, Registry};

/// How many rounds of "follow the pallet" a lookup makes: enough for unit → case → pallet →
/// container nesting, and a bound on the work one request can cause.
const MAX_AGGREGATION_DEPTH: usize = 8;

/// Most entries in one page of `/lookup` or `/history`, and most entry bytes: a page is a few
/// MB whatever the product, and a client asks for the next with `after`.
pub(crate) const PAGE_ENTRIES: usize = 1000;
pub(crate) const PAGE_BYTES: usize = 4 * 1024 * 1024;

/// Most label secrets one request presents ([`LABEL_SECRET_HEADER`]). The bookkeeper saw the
/// entries they open when it admitted them; a label tells it nothing more than that someone
/// scanned the product, and it is dropped with the request.
const MAX_SECRETS: usize = 16;

/// The label secrets of one request, and those the sealed entries it opened link to (a pallet
/// the product was packed onto, a batch's inputs): the keys under which its entries are filed,
/// and how to read them.
#[derive(Default)]
pub(crate) struct Opener {
    secrets: Vec<LabelSecret>,
}

impl Opener {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let mut secrets = Vec::new();
        for value in headers.get_all(LABEL_SECRET_HEADER) {
            let text = value.to_str().map_err(|_| bad_secret())?;
            for part in text.split(',').filter(|p| !p.trim().is_empty()) {
                secrets.push(LabelSecret::parse(part).map_err(|_| bad_secret())?);
            }
        }
        if secrets.len() > MAX_SECRETS {
            return Err(bad_secret());
        }
        Ok(Opener { secrets })
    }

    /// Where entries about plain key `plain` are filed: under it (plain entries), and under its
    /// keyed form for each secret known (sealed ones).
    fn keys(&self, plain: &str) -> Vec<String> {
        self.keys_from(plain, None)
    }

    /// [`keys`](Self::keys), or only those of the secrets learned after the first `applied`.
    fn keys_from(&self, plain: &str, applied: Option<usize>) -> Vec<String> {
        let from = applied.unwrap_or(0);
        let plain_key = applied.is_none().then(|| plain.to_owned());
        plain_key
            .into_iter()
            .chain(
                self.secrets[from.min(self.secrets.len())..]
                    .iter()
                    .map(|s| lookup_key(s, plain)),
            )
            .collect()
    }

    /// How many secrets it holds.
    fn known(&self) -> usize {
        self.secrets.len()
    }

    /// The plain entry of logged `bytes`: themselves, or the sealed entry opened (learning the
    /// secrets it links to). `None` when sealed for no label this reader holds.
    fn open(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        if !is_sealed(bytes) {
            return Some(bytes.to_vec());
        }
        let opened = tally_confidential::open(bytes, &self.secrets).ok()?;
        for link in opened.links {
            if !self.secrets.contains(&link) && self.secrets.len() < MAX_SECRETS * 8 {
                self.secrets.push(link);
            }
        }
        Some(opened.entry)
    }
}

fn bad_secret() -> ApiError {
    ApiError::bad_request(
        "bad_label_secret",
        format!("{LABEL_SECRET_HEADER} carries at most {MAX_SECRETS} label secrets, each 22 base64url characters"),
    )
}

/// `GET /lookup?key=K[&after=I]`: a Digital Link (unit, lot, SSCC), a GLN, `registry`, or one of
/// admission's derived keys (`units:<lot>`, …) → `{"indices": [...], "entries": [base64…],
/// "next": I | null}`, ascending, one page after index `after`; `next` is the `after` of the
/// following page.
///
/// For a product this includes the events of every pallet or container it was aggregated into
/// (and the inputs it was made from) while it was there, as `custody::relevant` defines history.
pub(crate) async fn lookup(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let key: String = required(&q, "key")?;
    let after: Option<u64> = param(&q, "after")?;
    let mut opener = Opener::from_headers(&headers)?;
    let ids = lookup_ids(&key);
    let cache = Arc::clone(&shared);
    let found = shared
        .with_reader(move |s| {
            s.snapshot(|s| {
                Ok(closure(s, &cache.facts, &mut opener, &ids)?
                    .into_iter()
                    .map(|e| (e.index, e.bytes)))
            })
        })
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
    headers: HeaderMap,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = params(q)?;
    let mut opener = Opener::from_headers(&headers)?;
    let key: String = required(&q, "key")?;
    let old: u64 = param(&q, "old")?.unwrap_or(0);
    let after: Option<u64> = param(&q, "after")?;
    let pinned: Option<u64> = param(&q, "size")?;
    let latest = shared
        .latest()
        .ok_or_else(|| ApiError::not_found("no checkpoint signed yet"))?;
    let registry = shared.registry_now()?;
    let cache = Arc::clone(&shared);
    let answer = shared
        .with_reader(move |s| {
            s.snapshot(|s| {
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
                let found = history_entries(s, &cache.facts, &mut opener, &registry, &key, size)?;
                let (page, next) = page(found, after);
                Ok(Ok((
                    size,
                    note,
                    old_proof(s, old, size),
                    prove(s, page, size),
                    next,
                )))
            })
        })
        .await??;
    let (size, note, consistency, entries, next) = answer;
    let consistency = consistency.map_err(ApiError::internal)?;
    let entries = entries.map_err(ApiError::internal)?;
    let body = history_body(&note, size, consistency.as_deref(), &entries, next);
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /history/indices?key=K&size=S[&after=I]`: which entries `/history` would serve for `K`
/// in the tree of size `S`, without their bytes or proofs: `{"size": S, "indices": [...],
/// "next": I | null}`, one page after index `after`.
///
/// This is the per-product index that stays a service when the log's reads are static files
/// (`publish`): the client takes `S` from the published checkpoint, then reads the entries and
/// computes their proofs from the published tiles. It learns no more than `/history` tells it.
pub(crate) async fn history_indices(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    q: Result<Query<Params>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = params(q)?;
    let mut opener = Opener::from_headers(&headers)?;
    let key: String = required(&q, "key")?;
    let size: u64 = required(&q, "size")?;
    let after: Option<u64> = param(&q, "after")?;
    super::reads::provable_within(shared.signed_size(), size)?;
    let registry = shared.registry_now()?;
    let cache = Arc::clone(&shared);
    let found = shared
        .with_reader(move |s| {
            s.snapshot(|s| history_entries(s, &cache.facts, &mut opener, &registry, &key, size))
        })
        .await?;
    let (page, next) = page(found, after);
    let indices: Vec<u64> = page.into_iter().map(|(i, _)| i).collect();
    Ok(Json(
        json!({"size": size, "indices": indices, "next": next}),
    ))
}

/// The `/history` answer, written straight into one buffer: a lot's history is a thousand
/// entries of a dozen proof hashes each, and a `serde_json::Value` tree of them cost an
/// allocation per hash and a tenth of the answer's time. Numbers and base64 need no escaping;
/// the checkpoint note (with its newlines) is escaped by serde_json.
fn history_body(
    note: &[u8],
    size: u64,
    consistency: Option<&[tally_tlog::Hash]>,
    entries: &[Proven],
    next: Option<u64>,
) -> String {
    let per_entry: usize = entries
        .iter()
        .map(|(_, bytes, proof)| bytes.len() * 4 / 3 + proof.len() * 47 + 48)
        .sum();
    let mut body = String::with_capacity(note.len() + 256 + per_entry);
    let checkpoint = serde_json::to_string(&String::from_utf8_lossy(note)).unwrap_or_default();
    // Writing to a String cannot fail.
    let _ = write!(
        body,
        "{{\"checkpoint\":{checkpoint},\"size\":{size},\"consistency\":"
    );
    match consistency {
        Some(proof) => write_hashes(&mut body, proof),
        None => body.push_str("null"),
    }
    body.push_str(",\"entries\":[");
    for (k, (index, bytes, proof)) in entries.iter().enumerate() {
        if k > 0 {
            body.push(',');
        }
        let _ = write!(body, "{{\"index\":{index},\"entry\":\"");
        B64.encode_string(bytes, &mut body);
        body.push_str("\",\"proof\":");
        write_hashes(&mut body, proof);
        body.push('}');
    }
    let _ = match next {
        Some(n) => write!(body, "],\"next\":{n}}}"),
        None => write!(body, "],\"next\":null}}"),
    };
    body
}

/// The consistency proof from `old` to `size`, when 0 < old < size.
fn old_proof(
    s: &Store,
    old: u64,
    size: u64,
) -> Result<Option<Vec<tally_tlog::Hash>>, tally_tlog::store::StoreError> {
    (old > 0 && old < size)
        .then(|| tally_tlog::store::consistency_proof(s, old, size))
        .transpose()
}

/// An entry served by `/history`: its index, its bytes and its inclusion proof.
type Proven = (u64, Vec<u8>, Vec<tally_tlog::Hash>);

/// Each entry with its inclusion proof in the tree of size `size`.
fn prove(
    s: &Store,
    entries: Vec<(u64, Vec<u8>)>,
    size: u64,
) -> Result<Vec<Proven>, tally_tlog::store::StoreError> {
    entries
        .into_iter()
        .map(|(index, bytes)| {
            Ok((
                index,
                bytes,
                tally_tlog::store::inclusion_proof(s, index, size)?,
            ))
        })
        .collect()
}

/// The entries `/history` serves for `key` in the tree of size `size`, ascending.
fn history_entries(
    s: &dyn LogStore,
    cache: &FactsCache,
    opener: &mut Opener,
    registry: &Registry,
    key: &str,
    size: u64,
) -> Result<Vec<(u64, Vec<u8>)>, tally_logstore::StoreError> {
    let ids = lookup_ids(key);
    let all: Vec<Found> = closure(s, cache, opener, &ids)?
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
        found.extend(serial_evidence(
            s, cache, opener, registry, key, &members, size,
        )?);
    }
    let records = authorising_records(s, registry, &found, size)?;
    let mut out: Vec<(u64, Vec<u8>)> = found.into_iter().map(|e| (e.index, e.bytes)).collect();
    out.extend(records);
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
        .map(|(e, f)| actor(registry, &e.plain, f))
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
    cache: &FactsCache,
    opener: &mut Opener,
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
    let mut candidates = Vec::new();
    for key in opener.keys(&serials_key(&scope)) {
        candidates.extend(s.lookup_by_leaf(&key, CANDIDATES)?);
    }
    for index in candidates {
        let Some(bytes) = s.entry(index)?.filter(|_| index < size) else {
            continue;
        };
        let Some(plain) = opener.open(&bytes) else {
            continue;
        };
        let by_member = Entry::decode(&plain).ok().is_some_and(|e| {
            registry
                .certifications(&e.signer)
                .any(|d| members.contains(&d.org))
        });
        if by_member {
            return Ok(Some(Found {
                index,
                facts: cache.of(index, &bytes, &plain),
                bytes,
                plain,
            }));
        }
    }
    Ok(None)
}

/// The registry records, within the first `size` entries, that decide whether the signers of the
/// events in `found` were allowed to sign them: each signer's certifications and revocations, and
/// its organisation's registration and revocations. Each is looked up under its plain key and,
/// sealed, under the key made with its subject's secret (`tally_trust::sealed_registry`), which
/// also opens it to follow a certification to its organisation.
fn authorising_records(
    store: &dyn LogStore,
    registry: &Registry,
    found: &[Found],
    size: u64,
) -> Result<Vec<(u64, Vec<u8>)>, tally_logstore::StoreError> {
    // (plain key, the key of the participant it is about)
    let mut keys: BTreeSet<(String, [u8; 32])> = BTreeSet::new();
    for f in found {
        if let Ok(e) = Entry::decode(&f.plain) {
            if e.kind == EntryKind::Event {
                keys.insert((certification_key(&e.signer), e.signer));
                keys.insert((revocation_key(&e.signer), e.signer));
            }
        }
    }
    let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut asked: BTreeSet<(String, [u8; 32])> = BTreeSet::new();
    while let Some((key, subject)) = keys.pop_first() {
        if !asked.insert((key.clone(), subject)) {
            continue;
        }
        let secret = subject_secret(&subject);
        for lookup in [key.clone(), lookup_key(&secret, &key)] {
            for index in store.lookup(&lookup)?.into_iter().filter(|&i| i < size) {
                let Some(bytes) = store.entry(index)? else {
                    continue;
                };
                let plain = match is_sealed(&bytes) {
                    true => tally_confidential::open(&bytes, std::slice::from_ref(&secret))
                        .ok()
                        .map(|o| o.entry),
                    false => Some(bytes.clone()),
                };
                let record = plain
                    .and_then(|p| Entry::decode(&p).ok())
                    .and_then(|e| serde_json::from_slice::<Record>(&e.payload).ok());
                // A certification names its organisation: its registration and revocations.
                if let Some(Record::Certification { org, .. }) = record {
                    if let Some(o) = registry.org(&org) {
                        let k = *o.key.ed25519().as_bytes();
                        keys.insert((registration_key(&org), k));
                        keys.insert((revocation_key(&k), k));
                    }
                }
                out.push((index, bytes));
            }
        }
    }
    Ok(out)
}

/// An entry found for a key, with its custody facts if it is an event.
struct Found {
    index: u64,
    /// As logged.
    bytes: Vec<u8>,
    /// The plain entry: `bytes`, or the sealed entry opened.
    plain: Vec<u8>,
    facts: Option<Facts>,
}

/// The entries under `ids`, plus those of containers and inputs that belong to the history.
fn closure(
    store: &dyn LogStore,
    cache: &FactsCache,
    opener: &mut Opener,
    ids: &[String],
) -> Result<Vec<Found>, tally_logstore::StoreError> {
    // How many of the opener's secrets each key was looked up with: one learned later (a
    // pallet's, from its packing) is applied to the keys already seen.
    let mut applied: HashMap<String, usize> = HashMap::new();
    let look = |key: &str, opener: &Opener, applied: &mut HashMap<String, usize>| {
        let keys = opener.keys_from(key, applied.get(key).copied());
        applied.insert(key.to_owned(), opener.known());
        keys.iter()
            .map(|k| store.lookup(k))
            .collect::<Result<Vec<_>, _>>()
            .map(|found| found.into_iter().flatten().collect::<Vec<u64>>())
    };
    let mut direct = BTreeSet::new();
    let mut seen_keys: BTreeSet<String> = BTreeSet::new();
    let mut all: BTreeSet<u64> = BTreeSet::new();
    let mut events: HashMap<u64, Found> = HashMap::new();
    for _ in 0..MAX_AGGREGATION_DEPTH {
        for id in ids {
            direct.extend(look(id, opener, &mut applied)?);
        }
        all.extend(direct.iter().copied());
        for k in &seen_keys {
            all.extend(look(k, opener, &mut applied)?);
        }
        let mut next_keys = BTreeSet::new();
        for &i in &all {
            if events.contains_key(&i) {
                continue;
            }
            let Some(bytes) = store.entry(i)? else {
                continue;
            };
            // Sealed for a label this reader does not hold: not its product's.
            let Some(plain) = opener.open(&bytes) else {
                continue;
            };
            let facts = cache.of(i, &bytes, &plain);
            if let Some(f) = &facts {
                next_keys.extend(f.parent.iter().cloned());
                next_keys.extend(f.inputs.iter().cloned());
            }
            events.insert(
                i,
                Found {
                    index: i,
                    bytes,
                    plain,
                    facts,
                },
            );
        }
        next_keys.retain(|k| !seen_keys.contains(k) && !ids.contains(k));
        let learned = applied.values().any(|&n| n < opener.known());
        if next_keys.is_empty() && !learned {
            break;
        }
        for k in next_keys {
            all.extend(look(&k, opener, &mut applied)?);
            seen_keys.insert(k);
        }
    }
    // Direct hits always count; what the containers brought in counts when custody says so.
    let extra: Vec<u64> = all.difference(&direct).copied().collect();
    let candidates: Vec<u64> = all
        .iter()
        .copied()
        .filter(|i| events.get(i).is_some_and(|e| e.facts.is_some()))
        .collect();
    let facts: Vec<Facts> = candidates
        .iter()
        .filter_map(|i| events.get(i).and_then(|e| e.facts.clone()))
        .collect();
    let relevant: BTreeSet<u64> = custody::relevant(ids, &facts)
        .into_iter()
        .map(|k| candidates[k])
        .collect();
    let mut result: BTreeSet<u64> = direct;
    result.extend(extra.into_iter().filter(|i| relevant.contains(i)));
    Ok(result
        .into_iter()
        .filter_map(|index| events.remove(&index))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::Hash;

    #[test]
    fn the_history_answer_is_the_json_it_says() {
        let note = b"log.example/log\n2\nq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=\n\n\xe2\x80\x94 log \"x\"\n";
        let entries = vec![
            (0, b"entry \x00\xff".to_vec(), vec![Hash([1; 32])]),
            (1, vec![], vec![]),
        ];
        let body = history_body(note, 2, Some(&[Hash([2; 32])]), &entries, Some(1));
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["checkpoint"].as_str().unwrap().as_bytes(), note);
        assert_eq!(v["size"], 2);
        assert_eq!(v["consistency"], json!([B64.encode([2; 32])]));
        assert_eq!(
            v["entries"],
            json!([
                {"index": 0, "entry": B64.encode(b"entry \x00\xff"), "proof": [B64.encode([1; 32])]},
                {"index": 1, "entry": "", "proof": []},
            ])
        );
        assert_eq!(v["next"], 1);
        let v: Value = serde_json::from_str(&history_body(note, 2, None, &[], None)).unwrap();
        assert_eq!(
            (&v["consistency"], &v["entries"], &v["next"]),
            (&Value::Null, &json!([]), &Value::Null)
        );
    }
}
