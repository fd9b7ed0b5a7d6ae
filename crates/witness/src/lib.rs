//! The core of a transparency-log witness, sans-I/O: no network, no disk, no clock.
//!
//! Implements the `add-checkpoint` call of [c2sp.org/tlog-witness](https://c2sp.org/tlog-witness),
//! producing [c2sp.org/tlog-cosignature](https://c2sp.org/tlog-cosignature) `cosignature/v1`
//! signatures (key type 0x04) on [c2sp.org/tlog-checkpoint](https://c2sp.org/tlog-checkpoint)
//! checkpoints signed by logs with Ed25519 note keys (type 0x01). Each Tally bookkeeper runs this
//! for the other bookkeepers' logs; its HTTP server reads the body, loads the stored state, calls
//! [`AddCheckpoint::parse`] and [`Witness::add_checkpoint`], stores the result and writes the
//! response.
//!
//! # Status codes
//!
//! | Status | [`Outcome`]                   | When |
//! |--------|-------------------------------|------|
//! | 200    | [`Outcome::Cosigned`]         | checkpoint cosigned; body is the cosignature line (`— name base64\n`) |
//! | 400    | [`Outcome::BadRequest`]       | malformed body ([`RequestError`]), or `old` larger than the checkpoint size |
//! | 403    | [`Outcome::Forbidden`]        | no valid signature from the log's key (or a bad one from it) |
//! | 404    | [`Outcome::UnknownOrigin`]    | the checkpoint's origin is not a configured log |
//! | 409    | [`Outcome::Conflict`]         | `old` is not the size last cosigned (0 if none); body `<size>\n`, `Content-Type: text/x.tlog.size` |
//! | 422    | [`Outcome::Unprocessable`]    | consistency proof fails; non-empty proof with `old 0`; same size, different root; size 0 with a root other than SHA-256("") |
//!
//! A 422 that contradicts what this witness cosigned carries [`Evidence`] (both log-signed notes),
//! which the server should keep for auditors, as the spec recommends.
//!
//! Spec texts differ on one point: some versions answer "same size, different root" with a 409
//! (without the `text/x.tlog.size` body), one folds it into the 422 proof check. Tally's standards
//! notes follow the latter, so 409 here always means "resubmit from the size in the body" and a fork
//! is always a 422 with evidence. Clients written against either version treat both as a refusal.
//!
//! # Why the state is passed in, and the caller's contract
//!
//! The witness keeps one record per origin: the [`Latest`] checkpoint it cosigned. The spec
//! requires checking `old` against that record and storing the new one *atomically*; otherwise two
//! concurrent requests (sizes N and N+K, both checked against the same record) could both succeed
//! and the later write would roll the record back by K leaves, after the witness had already
//! cosigned N+K. Only the storage layer can make that atomic, so this crate takes the state as an
//! argument and returns the state to store, and the caller must:
//!
//! 1. read the record for [`AddCheckpoint::origin`] (`None` if there is none);
//! 2. call [`Witness::add_checkpoint`] with it;
//! 3. on [`Outcome::Cosigned`], store `new_state` **iff the record is still the one it read**
//!    (e.g. `UPDATE latest SET size = :new, root = :root, note = :note WHERE origin = :origin AND
//!    size = :old`, or an `INSERT` that fails if a row exists when it read `None`); if that write
//!    affects no row, another request won the race: answer as for a stale `old`, re-run from step 1,
//!    or fail with a 5xx — but **never send the cosignature of a state that was not stored**;
//! 4. only then write the response from [`Outcome::status`], [`Outcome::content_type`] and
//!    [`Outcome::body`].
//!
//! Passing `now_unix` in keeps the core deterministic and testable; the caller reads the clock.
#![forbid(unsafe_code)]

mod outcome;
mod request;
mod witness;

pub use outcome::{BadRequest, Evidence, Latest, Outcome, ProofFailure};
pub use request::{AddCheckpoint, RequestError, MAX_BODY_SIZE, MAX_PROOF_LINES};
pub use witness::{ConfigError, LogConfig, Witness};
