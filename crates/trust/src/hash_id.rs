//! The CBV 2.0 Event Hash ID of a single logged event.
//!
//! An event is logged on its own, so the only JSON-LD context it can rely on is the EPCIS default
//! plus whatever `@context` it carries itself, which `tally_epcis` merges in.

use tally_epcis::context::JsonLdContext;

/// Computes `ni:///sha-256;…?ver=CBV2.0` for one event's exact JSON text.
pub fn of_event(event_json: &[u8]) -> Result<String, String> {
    tally_epcis::hash::event_hash_id(event_json, &JsonLdContext::default())
        .map_err(|e| e.to_string())
}
