//! The court-ready evidence package: everything that proves one product's history, in one file
//! that a court, a regulator or an auditor can check years later, offline, with [`check`] (the
//! `tally-verify` binary) or with standard tools alone.
//!
//! A package is a POSIX tar archive (ustar; every `tar` reads it) of one directory,
//! `tally-evidence/`:
//!
//! ```text
//! README.txt                        how to check it, step by step, in English and Chinese
//! manifest.json                     what the package holds and the verdict it was made with
//! policy.json                       the network policy the exporter held (Tally's JSON)
//! policy/<log>.tlog-policy          the same per log, as c2sp.org/tlog-policy
//! checkpoints/<log>                 each log's signed, cosigned checkpoint, verbatim
//! entries/<leaf>.entry              every log entry, byte for byte as logged (events and the
//!                                   registry records that authorised their signers)
//! proofs/<leaf>.<log>.tlog-proof    its c2sp.org/tlog-proof@v1 in each log that holds it
//! events/<nn>-<leaf>.jsonld         each step's EPCIS 2.0 event, the original bytes its device signed
//! labels.txt                        the label secrets that open the sealed entries (if any)
//! report.pdf                        the human-readable report, in English and Chinese
//! SHA256SUMS                        the SHA-256 of every other file (`sha256sum -c`)
//! ```
//! `<leaf>` is the entry's RFC 6962 leaf hash, SHA-256(0x00 ‖ entry), in hex: anyone can
//! recompute it with `sha256sum`.
//!
//! Why these choices:
//! - tar, not zip: one format every Unix ships a reader for, and which needs no compression
//!   library to read. Archives are written deterministically (sorted names, the export time as
//!   every file's time), so the same evidence gives the same bytes.
//! - The proofs are C2SP's, so a verifier that is not ours (Go's `golang.org/x/mod/sumdb`) checks
//!   them; the checks here reuse the verdict core ([`tally_trust::verify`]) rather than a second
//!   reading of the rules.
//! - The PDF is a rendering for people. Only the signed bytes are evidence: the checker
//!   recomputes the verdict from them and never reads the report or the manifest's claims as
//!   proof.
//!
//! Sans-I/O: the builder takes what was fetched and returns bytes; the checker takes bytes and
//! returns a verdict. Reading and writing files is the binaries' job.
#![forbid(unsafe_code)]

mod archive;
mod build;
mod check;
pub mod files;
mod manifest;
pub mod report;
mod sums;

pub use archive::{Archive, ArchiveError};
pub use build::{build, Export};
pub use check::{check, exit_code, Checked, PackageError};
pub use manifest::Manifest;

/// The directory every file of a package is under.
pub const ROOT: &str = "tally-evidence";
/// The format name a manifest carries.
pub const FORMAT: &str = "tally-package/v1";
