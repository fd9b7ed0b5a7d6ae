//! # tally-epcis — GS1 EPCIS 2.0 events for Tally
//!
//! Sans-I/O (pure functions over bytes: no network, disk or clock) support for
//! the event data Tally records in its transparency logs.
//!
//! Specifications:
//! - **GS1 EPCIS 2.0** (JSON / JSON-LD binding): typed model ([`model`]),
//!   document splitting that keeps each event's original bytes ([`raw`]), and
//!   validation against the official EPCIS 2.0 JSON schema with `format`
//!   checks on ([`schema`]).
//! - **GS1 CBV 2.0 §8.9 Event Hash ID** ([`hash`]): `ni:///sha-256;…?ver=CBV2.0`,
//!   computed like the reference implementation whose published vectors it
//!   reproduces (the vectors' field order differs from the CBV prose table).
//! - **GS1 EPC Tag Data Standard URN forms** (`urn:epc:id:*`, `urn:epc:class:lgtin`,
//!   `urn:epc:idpat:*`) and **GS1 Digital Link** canonicalisation ([`epc`]), as
//!   the hash needs every identifier spelt one way.
//!
//! Why keep raw bytes: hashing or signing a re-serialised event would not be
//! reproducible by anyone holding the producer's bytes, so the typed model is
//! for reading only and [`RawEvent::bytes`] is what gets hashed and logged.
//!
//! ## Supported
//! - All five event types parse; Object-, Aggregation- and TransformationEvent
//!   are fully typed, Association- and TransactionEvent typed enough to read
//!   and hash. Unknown/extension members are preserved in `extensions`.
//! - Accessors for custody rules: bare CBV bizStep/disposition words, every
//!   identifier an event touches, parties by type, temperatures in °C.
//! - Input bounds: documents ≤ 16 MiB, events ≤ 1 MiB; no input panics.
//!
//! ## Not supported (and why)
//! - XML binding: Tally ingests JSON only.
//! - Full JSON-LD processing: remote contexts cannot be fetched sans-I/O; the
//!   EPCIS 2.0 context's term tables are built in, and prefixes declared inline
//!   in `@context` are honoured. Contexts that redefine EPCIS terms are not.
//! - Event Hash ID corner cases where the reference implementation fails or
//!   depends on its environment (a time without offset uses the machine's
//!   zone there; UTC here; infinite numbers abort the reference; they are kept
//!   as written here). Bare vocabulary words are resolved per event, whereas
//!   the reference looks across the whole document.
//! - Digital Link *validation* (check digits, AI syntax) belongs to `tally-gs1`;
//!   [`epc`] only canonicalises what the hash needs.

pub mod context;
pub mod epc;
pub mod error;
pub mod hash;
pub mod model;
pub mod query;
pub mod raw;
pub mod schema;
mod vocab;

pub use context::JsonLdContext;
pub use error::{HashError, ParseError, SchemaViolation, ValidationError};
pub use hash::{event_hash_id, hash_id_of_prehash, prehash_string};
pub use model::{Action, Event};
pub use raw::{Document, RawEvent, MAX_DOCUMENT_BYTES, MAX_EVENT_BYTES};
pub use schema::{validate_document, validate_event};

/// Event Hash IDs of every event of a document, in document order.
pub fn document_hash_ids(bytes: &[u8]) -> Result<Vec<String>, HashError> {
    let doc = Document::parse(bytes)?;
    doc.events
        .iter()
        .map(|e| event_hash_id(&e.bytes, &doc.context))
        .collect()
}
