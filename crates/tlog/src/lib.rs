//! Transparency-log primitives for Tally, sans-I/O.
//!
//! Specs implemented here, byte for byte:
//! - RFC 6962 / RFC 9162 §2.1: Merkle tree hashing, inclusion and consistency proofs ([`merkle`]).
//! - [c2sp.org/signed-note](https://c2sp.org/signed-note): Ed25519 signer and verifier keys, key IDs,
//!   notes with several signatures ([`keys`], [`note`]).
//! - [c2sp.org/tlog-checkpoint](https://c2sp.org/tlog-checkpoint): origin, size, root, extension lines
//!   ([`checkpoint`]).
//! - [c2sp.org/tlog-cosignature](https://c2sp.org/tlog-cosignature): `cosignature/v1`, key type 0x04,
//!   timestamped witness signatures ([`cosignature`]).
//! - [c2sp.org/tlog-tiles](https://c2sp.org/tlog-tiles): tile and entry-bundle paths ([`tiles`]), and
//!   proofs a client computes from a log's static tiles ([`tiled`]).
//! - [c2sp.org/tlog-proof](https://c2sp.org/tlog-proof): offline inclusion proof files
//!   ([`tlog_proof`]).
//! - [c2sp.org/tlog-policy](https://c2sp.org/tlog-policy): trusted logs, witnesses and the
//!   witness quorum ([`tlog_policy`]).
//!
//! # Which crates we build on, and why
//! We evaluated Cloudflare's `signed_note` and `tlog_tiles` 0.2 (the azul project; ports of Go's
//! `golang.org/x/mod/sumdb/{note,tlog}`) and `ct-merkle` 0.3:
//! - **`signed_note`** parses and serialises notes exactly like Go's x/mod (the 100-signature limit,
//!   duplicate and unknown signatures ignored, a bad signature from a known key rejects the note). We use
//!   it for all note parsing, signing and verification. It only knows key type 0x01, so [`keys`] adds
//!   type 0x04 (cosignature/v1) verifiers and signers behind its `Verifier`/`Signer` traits.
//! - **`tlog_tiles`** gives the Go layout of stored hashes (Crosby–Wallach indices), proof generation
//!   from any [`HashReader`], and [`Checkpoint`] parsing. A bookkeeper's database implements
//!   `HashReader`, so proofs come from the same code whatever the storage. Its tile paths are the older
//!   Go `tile/8/L/N` form, so [`tiles`] writes the C2SP paths itself.
//! - **Proof verification is our own** ([`merkle::verify_inclusion`], [`merkle::verify_consistency`]):
//!   the RFC 9162 algorithms, iterative and allocation-free (`tlog_tiles` copies the proof at every level,
//!   which matters on the light client's hot path). Tests check it against `tlog_tiles`' own checker and
//!   against `ct-merkle`, an independent implementation, on random trees.
//! - **Incremental tree**: [`CompactTree`] keeps only the O(log n) right-edge subtree roots (a "compact
//!   range"), so appending is O(log n) and the root of the current size is always available.
//!
//! # Ed25519: `verify`, not `verify_strict`
//! Every note signature is checked with ed25519-dalek's `verify` (cofactorless, canonical `s`), which
//! accepts exactly the same 208 of the 914 CCTV edge-case vectors as Go's `crypto/ed25519`. A log and
//! its witnesses must agree with Go-based verifiers (x/mod, litewitness, Sigsum) on which notes are
//! valid; `verify_strict` would reject some notes Go accepts and split that agreement. Honest signers
//! never produce the edge cases, so nothing valid is lost either way; the test `ed25519_vectors` pins
//! the choice.
#![forbid(unsafe_code)]

pub mod batch;
pub mod checkpoint;
pub mod compact;
pub mod cosignature;
pub mod keys;
pub mod merkle;
pub mod note;
pub mod store;
pub mod tiled;
pub mod tiles;
pub mod tlog_policy;
pub mod tlog_proof;

pub use batch::SignatureBatch;
pub use checkpoint::{Checkpoint, CheckpointError, VerifiedCheckpoint};
pub use compact::CompactTree;
pub use cosignature::Cosignature;
pub use keys::{KeyError, KeyType, SignerKey, VerifierKey};
pub use merkle::{leaf_hash, node_hash, ProofError, EMPTY_ROOT};
pub use note::{NoteError, VerifiedNote};
pub use store::MemoryStore;
pub use tlog_policy::{TlogPolicy, TlogPolicyError};
pub use tlog_proof::{TlogProof, TlogProofError};
pub use tlog_tiles::{Hash, HashReader};
