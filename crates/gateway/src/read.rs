//! Reading events back for the query interface: never from the gateway's own copy, always from
//! the bookkeepers' logs through the light client, so that what an ERP reads back is what the
//! network proves and a shopper would see.
//!
//! Each product the label book knows (every code a capture named, with its label secret where
//! it has one) is verified as a scan is ([`tally_client::Client::check`], which keeps no copy): its whole story, this
//! organisation's events and its partners', each step included in the logs of k operators under
//! witnessed checkpoints, the sealed ones opened with the label. The events of those stories are
//! served once each, whatever story they were read through, and only from a story read just now
//! (never one the client kept from an earlier scan), held by at least k logs and signed by a
//! certified device, each with its proof status in the
//! extension member `tally:proof`: the Event Hash ID, the product's verdict, the bookkeepers
//! whose logs hold it and when it was checked. An event no story proves is not served.

use crate::Shared;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tally_client::view::{History, Source, StepEvidence as Evidence};
use tally_epcis::Event;
use time::OffsetDateTime;

/// Stories verified at once: each asks every bookkeeper, so more would only queue there.
const CONCURRENT: usize = 8;

/// An event as served: parsed for the query, and its JSON with `tally:proof` added.
pub(crate) struct Served {
    pub event: Event,
    pub hash_id: String,
    pub json: Map<String, Value>,
}

/// Stories verified once for several readers (the subscriptions of one round), by code.
pub(crate) type Stories = HashMap<String, Arc<History>>;

/// The verified events of the stories of `codes` (each carrying its label secret where the
/// book has one), each once.
pub(crate) async fn read(shared: &Arc<Shared>, codes: Vec<String>) -> Vec<Served> {
    read_in(shared, codes, &mut Stories::new()).await
}

/// [`read`], verifying only the stories `stories` does not hold yet, and keeping them there.
pub(crate) async fn read_in(
    shared: &Arc<Shared>,
    codes: Vec<String>,
    stories: &mut Stories,
) -> Vec<Served> {
    let missing = codes.iter().filter(|c| !stories.contains_key(*c)).cloned();
    verify_all(shared, missing.collect(), stories).await;
    let mut served: HashMap<String, Served> = HashMap::new();
    for history in codes.iter().filter_map(|c| stories.get(c)) {
        take(history, &mut served);
    }
    served.into_values().collect()
}

/// Verifies the story of each of `codes`, [`CONCURRENT`] at a time, into `stories`.
async fn verify_all(shared: &Arc<Shared>, codes: Vec<String>, stories: &mut Stories) {
    let now = OffsetDateTime::now_utc();
    let mut running = tokio::task::JoinSet::new();
    let mut codes = codes.into_iter();
    loop {
        while running.len() < CONCURRENT {
            let Some(code) = codes.next() else { break };
            let s = shared.clone();
            running.spawn(async move {
                let story = s.client.check(&code, now).await;
                (code, story)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        match done {
            Ok((code, Ok(history))) => {
                stories.insert(code, Arc::new(history));
            }
            Ok((_, Err(e))) => tracing::warn!("a product's story could not be read: {e}"),
            Err(e) => tracing::warn!("a story's read stopped: {e}"),
        }
    }
}

/// Adds the proven events of `history` to `served`, keeping for each event the copy that the
/// most bookkeepers hold. A long story's events are parsed on every core: a lot's is a thousand.
fn take(history: &History, served: &mut HashMap<String, Served>) {
    // A story kept from an earlier scan is no proof now.
    if history.source != Source::Live {
        return;
    }
    let status = serde_json::to_value(history.status).unwrap_or(Value::Null);
    let checked = crate::query::rfc3339(history.checked_at);
    let held = |served: &HashMap<String, Served>, id: &str| {
        served.get(id).map_or(0, |s| {
            s.json["tally:proof"]["bookkeepers"]
                .as_array()
                .map_or(0, Vec::len)
        })
    };
    let fresh: Vec<&Evidence> = (history.steps.iter().map(|s| &s.evidence))
        // Proven by k logs, and signed by a device the registry certified: an event no
        // certified device signed is shown on a timeline as a warning, never served as fact.
        .filter(|e| e.bookkeepers.len() >= history.quorum.0 && e.signer.is_some())
        .filter(|e| held(served, &e.hash_id) < e.bookkeepers.len())
        .collect();
    let read: Vec<Option<Served>> = tally_trust::parallel::map(&fresh, |e| {
        let mut json = serde_json::from_str::<Map<String, Value>>(&e.event).ok()?;
        let event = Event::from_value(Value::Object(json.clone())).ok()?;
        json.insert(
            "tally:proof".into(),
            json!({
                "eventHashID": e.hash_id,
                "entry": e.entry,
                "signer": e.signer,
                "bookkeepers": e.bookkeepers,
                "product": history.product,
                "verdict": status,
                "checkedAt": checked,
            }),
        );
        let hash_id = e.hash_id.clone();
        Some(Served {
            event,
            hash_id,
            json,
        })
    });
    for s in read.into_iter().flatten() {
        let count = s.json["tally:proof"]["bookkeepers"]
            .as_array()
            .map_or(0, Vec::len);
        if held(served, &s.hash_id) < count {
            served.insert(s.hash_id.clone(), s);
        }
    }
}
