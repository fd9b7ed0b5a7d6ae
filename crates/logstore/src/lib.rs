//! Durable storage of one bookkeeper's log.
//!
//! A bookkeeper runs an append-only Merkle log (RFC 6962 hashing, C2SP tlog-tiles). Everything it must
//! not forget across restarts lives behind the narrow [`LogStore`] trait: the entries and every stored
//! tree hash (Go's `sumdb/tlog` layout, so any tree size can be proven), a secondary index from
//! caller-chosen lookup keys to entries, its signed checkpoints, what it last cosigned for each peer log
//! (plus evidence of misbehaviour), and an outbox of entries still to broadcast to peers.
//!
//! The trait keeps the rest of the system independent of the database: [`SqliteStore`] is the embedded
//! default (one file, WAL, `synchronous=FULL`), and [`PgStore`] keeps the same log in PostgreSQL,
//! for a bookkeeper that outgrows one machine. Proofs come from `tally_tlog::store::{inclusion_proof, consistency_proof}` over the store's
//! [`tlog_tiles::HashReader`] implementation, so every backend shares one proof algorithm.
#![forbid(unsafe_code)]

mod any;
mod cache;
mod error;
mod hashes;
mod lease;
pub mod postgres;
pub mod schema;
mod sqlite;
mod store;
mod tiles;

pub use any::{Location, Store};
pub use cache::{HashCache, CACHED_LEVEL};
pub use error::StoreError;
pub use lease::SequencerLease;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use store::{Evidence, LogStore, WitnessState};
pub use tiles::{changed_tiles, read_tile};

/// The largest entry a log accepts, in bytes.
///
/// C2SP entry bundles prefix each entry with a 2-byte length, so a longer entry could be logged but
/// never served as a tile; the store refuses it up front (the same limit as `tally_trust::entry`).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;
