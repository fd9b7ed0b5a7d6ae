//! Trust and custody rules for a Tally network, sans-I/O.
//!
//! This crate decides whether a product's history is genuine. It reads no network, disk or clock:
//! the caller (app, CLI, bookkeeper, tests) passes in the policy, the evidence it fetched, its trust
//! state and the current time, and gets back a [`verdict::Verdict`] plus the trust-state updates to
//! store.
//!
//! - [`policy`]: the network policy file (bookkeepers, keys, operators, quorums).
//! - [`entry`]: the versioned, domain-separated log entry encoding and its signatures.
//! - [`registry`]: organisations, certified devices and revocations, themselves log entries.
//! - [`sealed_registry`]: what a registry record is sealed for in a confidential network, and
//!   what an opened entry lets its reader open next.
//! - [`keys`]: the lookup keys bookkeepers index entries under.
//! - [`receipt`]: a bookkeeper's signed promise that entries will be in a checkpoint.
//! - [`state`]: the client's trusted checkpoints; fork and rollback detection.
//! - [`custody`]: which events belong to a product (aggregation, transformation) and the custody rules.
//! - [`verdict`]: puts it together into Verified / Warning / Unverifiable / Failed with
//!   machine-readable reasons.
#![forbid(unsafe_code)]

pub mod custody;
pub mod entry;
pub mod hash_id;
pub mod keys;
pub mod label;
pub mod parallel;
pub mod policy;
pub mod policy_history;
pub mod receipt;
pub mod registry;
pub mod sealed_registry;
pub mod state;
pub mod tlog_proof;
pub mod verdict;

pub use entry::{Entry, EntryError, EntryKind};
pub use label::{LabelCheck, LabelSigner};
pub use policy::{Policy, PolicyError};
pub use registry::{Record, Registry};
pub use state::{TrustState, TrustedCheckpoint};
pub use verdict::{verify, LogEvidence, ProvenEntry, Reason, Request, Severity, Status, Verdict};
