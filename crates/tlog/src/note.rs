//! Signing and opening c2sp.org/signed-note notes, on top of the `signed_note` crate.
//!
//! `signed_note` does the parsing and the Go-compatible verification rules; this module plugs in
//! Tally's keys of both types (0x01 note signatures, 0x04 cosignatures) through its `Signer` and
//! `Verifier` traits and reports which keys signed.

use crate::batch::SignatureBatch;
use crate::cosignature::{self, Cosignature};
use crate::keys::{KeyType, SignerKey, VerifierKey};
use std::cell::RefCell;
use std::rc::Rc;
use thiserror::Error;

/// A note could not be parsed, signed or verified.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("invalid signature from known key {name}+{id:08x}")]
    InvalidSignature { name: String, id: u32 },
    #[error("no signature from a known key")]
    Unverified,
    #[error("{got} of the required {need} signatures from known keys")]
    TooFewSignatures { got: usize, need: usize },
    #[error("two known keys share name and key ID {name}+{id:08x}")]
    AmbiguousKey { name: String, id: u32 },
    #[error("key name {0:?} is not a valid signer name")]
    BadSigner(String),
}

impl From<signed_note::NoteError> for NoteError {
    fn from(e: signed_note::NoteError) -> Self {
        use signed_note::{NoteError as E, VerificationError as V};
        match e {
            E::MalformedNote => NoteError::Malformed(
                "expected UTF-8 text ending in a newline, a blank line, then 1 to 100 lines '— name base64'",
            ),
            E::InvalidSignature { name, id } => NoteError::InvalidSignature { name, id },
            E::UnverifiedNote => NoteError::Unverified,
            E::VerificationError(V::AmbiguousKey { name, id }) => {
                NoteError::AmbiguousKey { name, id }
            }
            E::VerificationError(V::UnknownKey { .. }) => NoteError::Unverified,
            E::InvalidSigner => NoteError::BadSigner(String::new()),
            E::MismatchedVerifier => NoteError::Malformed("verifier does not match signature"),
            E::SignatureError(_) => NoteError::Malformed("signing failed"),
        }
    }
}

/// A signature from a known key on an opened note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownSignature {
    /// The verifier key that checked it.
    pub key: VerifierKey,
    /// For cosignatures (type 0x04): the witness's timestamp.
    pub timestamp: Option<u64>,
}

/// A note whose signatures from known keys all verified.
#[derive(Debug, Clone)]
pub struct VerifiedNote {
    /// The note text (ends with a newline).
    pub text: Vec<u8>,
    /// One entry per distinct known key that signed, in note order.
    pub signatures: Vec<KnownSignature>,
    /// Signature lines from keys we do not know (ignored, as the spec requires).
    pub unknown: usize,
}

/// Adapts a [`VerifierKey`] of either type to `signed_note::Verifier`.
///
/// With `deferred` set, it only checks the signature's shape and records the check for one batch
/// verification afterwards; `signed_note` still applies all of its rules (unknown keys, duplicates,
/// limits) exactly as in the one-by-one path.
struct Adapter {
    key: VerifierKey,
    deferred: Option<Rc<RefCell<SignatureBatch>>>,
}

impl signed_note::Verifier for Adapter {
    fn name(&self) -> &str {
        self.key.name()
    }
    fn key_id(&self) -> u32 {
        self.key.id()
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let (message, sig) = match self.key.kind() {
            KeyType::Ed25519 => (msg.to_vec(), sig),
            KeyType::Cosignature => {
                match Cosignature::from_note_signature(self.key.name(), self.key.id(), sig) {
                    Some(c) => (cosignature::message(c.timestamp, msg), &sig[8..]),
                    None => return false,
                }
            }
        };
        match &self.deferred {
            None => self.key.verify_raw(&message, sig),
            Some(list) => match ed25519_dalek::Signature::from_slice(sig) {
                Ok(s) => {
                    list.borrow_mut().push(*self.key.ed25519(), message, s);
                    true
                }
                Err(_) => false,
            },
        }
    }
}

/// Adapts a [`SignerKey`] to `signed_note::Signer`; cosignature keys sign at `timestamp`.
struct SignAdapter<'a> {
    key: &'a SignerKey,
    timestamp: u64,
}

impl signed_note::Signer for SignAdapter<'_> {
    fn name(&self) -> &str {
        self.key.name()
    }
    fn key_id(&self) -> u32 {
        self.key.id()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        Ok(match self.key.kind() {
            KeyType::Ed25519 => self.key.sign_raw(msg).to_vec(),
            KeyType::Cosignature => {
                let mut out = self.timestamp.to_be_bytes().to_vec();
                out.extend_from_slice(
                    &self
                        .key
                        .sign_raw(&cosignature::message(self.timestamp, msg)),
                );
                out
            }
        })
    }
}

/// Signs `text` (which must end in a newline) with every key; cosignature keys use `timestamp`.
pub fn sign(text: &[u8], keys: &[SignerKey], timestamp: u64) -> Result<Vec<u8>, NoteError> {
    let mut note = signed_note::Note::new(text, &[])?;
    add(&mut note, keys, timestamp)?;
    Ok(note.to_bytes())
}

/// Adds signatures to an existing signed note, replacing earlier ones by the same keys.
pub fn add_signatures(
    note: &[u8],
    keys: &[SignerKey],
    timestamp: u64,
) -> Result<Vec<u8>, NoteError> {
    let mut note = signed_note::Note::from_bytes(note)?;
    add(&mut note, keys, timestamp)?;
    Ok(note.to_bytes())
}

fn add(note: &mut signed_note::Note, keys: &[SignerKey], timestamp: u64) -> Result<(), NoteError> {
    let adapters: Vec<SignAdapter> = keys
        .iter()
        .map(|key| SignAdapter { key, timestamp })
        .collect();
    let dyns: Vec<&dyn signed_note::Signer> = adapters.iter().map(|a| a as _).collect();
    note.add_sigs(&dyns)?;
    Ok(())
}

/// Opens a signed note: every signature from a key in `known` must verify, unknown signatures are
/// ignored, and at least one known key must have signed.
///
/// Signatures are checked one by one with cofactorless verification, exactly as Go does: use this
/// wherever independent parties must agree on a note's validity (witnesses, bookkeepers, auditors).
pub fn open(note: &[u8], known: &[VerifierKey]) -> Result<VerifiedNote, NoteError> {
    open_with(note, known, None)
}

/// Like [`open`], with all signatures checked in one Ed25519 batch; if the batch fails, the note is
/// opened again one signature at a time so that the error names the failing key. For a light client
/// deciding for itself; see [`crate::batch`] for why that is sound.
pub fn open_batched(note: &[u8], known: &[VerifierKey]) -> Result<VerifiedNote, NoteError> {
    let (opened, batch) = open_deferred(note, known)?;
    if batch.verify() {
        Ok(opened)
    } else {
        open(note, known)
    }
}

/// Applies every rule of [`open`] except the signature checks themselves, which are returned as a
/// [`SignatureBatch`]: the result holds only if the batch verifies. Lets a caller verify the
/// signatures of many notes and entries in one batch; on failure it must fall back to [`open`].
pub fn open_deferred(
    note: &[u8],
    known: &[VerifierKey],
) -> Result<(VerifiedNote, SignatureBatch), NoteError> {
    let batch = Rc::new(RefCell::new(SignatureBatch::new()));
    let opened = open_with(note, known, Some(&batch))?;
    let batch = batch.take();
    Ok((opened, batch))
}

fn open_with(
    note: &[u8],
    known: &[VerifierKey],
    deferred: Option<&Rc<RefCell<SignatureBatch>>>,
) -> Result<VerifiedNote, NoteError> {
    let parsed = signed_note::Note::from_bytes(note)?;
    let list = signed_note::VerifierList::new(
        known
            .iter()
            .map(|k| {
                Box::new(Adapter {
                    key: k.clone(),
                    deferred: deferred.cloned(),
                }) as Box<dyn signed_note::Verifier>
            })
            .collect(),
    );
    let (verified, unknown) = parsed.verify(&list)?;
    let signatures = verified
        .iter()
        .filter_map(|sig| {
            let key = known
                .iter()
                .find(|k| k.name() == sig.name() && k.id() == sig.id())?
                .clone();
            let timestamp = (key.kind() == KeyType::Cosignature)
                .then(|| Cosignature::from_note_signature(sig.name(), sig.id(), sig.signature()))
                .flatten()
                .map(|c| c.timestamp);
            Some(KnownSignature { key, timestamp })
        })
        .collect();
    Ok(VerifiedNote {
        text: parsed.text().to_vec(),
        signatures,
        unknown: unknown.len(),
    })
}

/// Opens a note and requires signatures from at least `threshold` distinct known public keys.
///
/// Distinct *keys*, not lines or names: one key listed under two names still counts once.
pub fn open_threshold(
    note: &[u8],
    known: &[VerifierKey],
    threshold: usize,
) -> Result<VerifiedNote, NoteError> {
    let v = open(note, known)?;
    let got = distinct_keys(v.signatures.iter().map(|s| &s.key));
    if got < threshold {
        return Err(NoteError::TooFewSignatures {
            got,
            need: threshold,
        });
    }
    Ok(v)
}

/// Counts distinct Ed25519 public keys.
pub fn distinct_keys<'a>(keys: impl Iterator<Item = &'a VerifierKey>) -> usize {
    let mut seen: Vec<&[u8; 32]> = keys.map(|k| k.ed25519().as_bytes()).collect();
    seen.sort();
    seen.dedup();
    seen.len()
}
