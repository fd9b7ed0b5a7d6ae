//! The log entry: what a bookkeeper appends to its Merkle log, byte for byte.
//!
//! Encoding, version 1 (all integers big-endian):
//! ```text
//! magic      "tally/entry/v1\n"                 15 bytes: version and domain in one
//! kind       u8                                 1 event, 2 registration, 3 certification, 4 revocation,
//!                                               5 entitlement
//! payload    u32 length ‖ bytes                 the original bytes: an EPCIS event's JSON text exactly
//!                                               as captured, or a registry record's JSON (see registry)
//! hash_id    u16 length ‖ ASCII                 events: the CBV 2.0 Event Hash ID (ni:///sha-256;…);
//!                                               empty for the other kinds
//! signer     32 bytes                           Ed25519 public key of the signer
//! signature  64 bytes                           Ed25519 over "tally/entry-signature/v1\n" ‖ every
//!                                               byte above (magic through signer)
//! ```
//! Why this shape: the payload is never re-serialised, so the signature covers exactly what the
//! capturing device produced; the magic makes the bytes unmistakable for any other signed object
//! (notes are control-character-free text, cosignatures start `cosignature/v1`), and the signature
//! context string keeps Tally entry signatures from being replayed as anything else. An entry must fit
//! in a C2SP entry bundle (2-byte length), hence [`MAX_ENTRY_BYTES`].

use crate::hash_id;
use ed25519_dalek::{Signature, VerifyingKey};
use tally_tlog::{leaf_hash, Hash, SignatureBatch, SignerKey};
use thiserror::Error;

const MAGIC: &[u8] = b"tally/entry/v1\n";
const SIGNATURE_CONTEXT: &[u8] = b"tally/entry-signature/v1\n";
/// Largest encoded entry: what a tlog-tiles entry bundle can carry.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A custody event (EPCIS 2.0), signed by a certified device.
    Event,
    /// An organisation registered by governance.
    Registration,
    /// A device certified by its organisation for roles and places.
    Certification,
    /// A key revoked by its organisation or by governance.
    Revocation,
    /// A recipient (an auditor, a regulator) entitled by governance to read sealed events.
    Entitlement,
}

impl EntryKind {
    fn byte(self) -> u8 {
        match self {
            EntryKind::Event => 1,
            EntryKind::Registration => 2,
            EntryKind::Certification => 3,
            EntryKind::Revocation => 4,
            EntryKind::Entitlement => 5,
        }
    }

    /// The kind of the encoded entry `bytes`, read without decoding the rest.
    pub fn of(bytes: &[u8]) -> Option<Self> {
        Self::from_byte(*bytes.strip_prefix(MAGIC)?.first()?)
    }

    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            1 => EntryKind::Event,
            2 => EntryKind::Registration,
            3 => EntryKind::Certification,
            4 => EntryKind::Revocation,
            5 => EntryKind::Entitlement,
            _ => return None,
        })
    }
}

/// Why bytes are not a valid entry, or an entry could not be made.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EntryError {
    #[error("entry is {0} bytes; at most {MAX_ENTRY_BYTES} fit in a log entry")]
    TooLarge(usize),
    #[error("not a Tally v1 entry (bad magic)")]
    BadMagic,
    #[error("unknown entry kind {0}")]
    UnknownKind(u8),
    #[error("entry is truncated in {0}")]
    Truncated(&'static str),
    #[error("entry has {0} trailing bytes")]
    Trailing(usize),
    #[error("event hash ID is not ASCII")]
    BadHashId,
    #[error("an event entry needs its hash ID, other kinds must have none")]
    HashIdPresence,
    #[error("signer key is not a valid Ed25519 point")]
    BadSignerKey,
    #[error("event: {0}")]
    Event(String),
}

/// A decoded log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    /// The original payload bytes.
    pub payload: Vec<u8>,
    /// CBV 2.0 Event Hash ID, for events.
    pub hash_id: Option<String>,
    /// The signer's Ed25519 public key.
    pub signer: [u8; 32],
    pub signature: [u8; 64],
}

impl Entry {
    /// Signs an EPCIS event (its exact JSON text), computing its CBV 2.0 hash ID.
    pub fn sign_event(event_json: &[u8], key: &SignerKey) -> Result<Self, EntryError> {
        let id = hash_id::of_event(event_json).map_err(EntryError::Event)?;
        Self::sign(EntryKind::Event, event_json.to_vec(), Some(id), key)
    }

    /// Signs a payload of any kind. Events need their hash ID; see [`Entry::sign_event`].
    pub fn sign(
        kind: EntryKind,
        payload: Vec<u8>,
        hash_id: Option<String>,
        key: &SignerKey,
    ) -> Result<Self, EntryError> {
        let mut e = Entry {
            kind,
            payload,
            hash_id,
            signer: *key.verifier().ed25519().as_bytes(),
            signature: [0; 64],
        };
        e.check_shape()?;
        let unsigned = e.unsigned_bytes();
        if unsigned.len() + 64 > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(unsigned.len() + 64));
        }
        e.signature = key.sign_raw(&signed_message(&unsigned));
        Ok(e)
    }

    fn check_shape(&self) -> Result<(), EntryError> {
        if (self.kind == EntryKind::Event) != self.hash_id.is_some() {
            return Err(EntryError::HashIdPresence);
        }
        if self
            .hash_id
            .as_ref()
            .is_some_and(|h| !h.is_ascii() || h.len() > 255)
        {
            return Err(EntryError::BadHashId);
        }
        Ok(())
    }

    fn unsigned_bytes(&self) -> Vec<u8> {
        let id = self.hash_id.as_deref().unwrap_or("").as_bytes();
        let mut b = Vec::with_capacity(MAGIC.len() + 7 + self.payload.len() + id.len() + 32 + 64);
        b.extend_from_slice(MAGIC);
        b.push(self.kind.byte());
        b.extend_from_slice(&(self.payload.len() as u32).to_be_bytes());
        b.extend_from_slice(&self.payload);
        b.extend_from_slice(&(id.len() as u16).to_be_bytes());
        b.extend_from_slice(id);
        b.extend_from_slice(&self.signer);
        b
    }

    /// The entry's bytes as logged.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = self.unsigned_bytes();
        b.extend_from_slice(&self.signature);
        b
    }

    /// The Merkle leaf hash of the encoded entry: the entry's identity in every log.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }

    /// The message the signature covers.
    pub fn signed_message(&self) -> Vec<u8> {
        signed_message(&self.unsigned_bytes())
    }

    /// Checks the signature alone (cofactorless, as for notes). Batch checks: [`batch_signatures`].
    pub fn verify_signature(&self) -> bool {
        VerifyingKey::from_bytes(&self.signer).is_ok_and(|vk| self.verify_signature_with(&vk))
    }

    /// Checks the signature with `key`, the signer's key already decompressed (a registry holds
    /// its devices' keys so: decompressing a point costs a fifth of a verification). False if
    /// `key` is not this entry's signer.
    pub fn verify_signature_with(&self, key: &VerifyingKey) -> bool {
        use ed25519_dalek::Verifier as _;
        key.as_bytes() == &self.signer
            && key
                .verify(
                    &self.signed_message(),
                    &Signature::from_bytes(&self.signature),
                )
                .is_ok()
    }

    /// Decodes an entry, rejecting anything but the exact v1 encoding.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        let rest = bytes.strip_prefix(MAGIC).ok_or(EntryError::BadMagic)?;
        let (&kind, rest) = rest.split_first().ok_or(EntryError::Truncated("kind"))?;
        let kind = EntryKind::from_byte(kind).ok_or(EntryError::UnknownKind(kind))?;
        let (len, rest) = rest
            .split_first_chunk::<4>()
            .ok_or(EntryError::Truncated("payload length"))?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return Err(EntryError::Truncated("payload"));
        }
        let (payload, rest) = rest.split_at(len);
        let (id_len, rest) = rest
            .split_first_chunk::<2>()
            .ok_or(EntryError::Truncated("hash ID length"))?;
        let id_len = usize::from(u16::from_be_bytes(*id_len));
        if rest.len() < id_len {
            return Err(EntryError::Truncated("hash ID"));
        }
        let (id, rest) = rest.split_at(id_len);
        let (signer, rest) = rest
            .split_first_chunk::<32>()
            .ok_or(EntryError::Truncated("signer"))?;
        let (signature, rest) = rest
            .split_first_chunk::<64>()
            .ok_or(EntryError::Truncated("signature"))?;
        if !rest.is_empty() {
            return Err(EntryError::Trailing(rest.len()));
        }
        let hash_id = if id.is_empty() {
            None
        } else {
            Some(
                std::str::from_utf8(id)
                    .ok()
                    .filter(|s| s.is_ascii())
                    .ok_or(EntryError::BadHashId)?
                    .to_owned(),
            )
        };
        let e = Entry {
            kind,
            payload: payload.to_vec(),
            hash_id,
            signer: *signer,
            signature: *signature,
        };
        e.check_shape()?;
        Ok(e)
    }
}

fn signed_message(unsigned: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNATURE_CONTEXT.len() + unsigned.len());
    m.extend_from_slice(SIGNATURE_CONTEXT);
    m.extend_from_slice(unsigned);
    m
}

/// Adds every entry's signature check to `batch`; `result[i]` is false where entry `i`'s signer key
/// is not a valid point (that entry is invalid whatever the batch says).
///
/// Batching is how a light client checks entries it fetched from logs; see `tally_tlog::batch` for
/// why that is sound. Bookkeepers admit entries with [`Entry::verify_signature`], one by one.
pub fn batch_signatures(entries: &[&Entry], batch: &mut SignatureBatch) -> Vec<bool> {
    // A history has many entries but few signers: decompress each key once.
    let mut decoded: Vec<([u8; 32], VerifyingKey)> = Vec::new();
    let mut ok = Vec::with_capacity(entries.len());
    for e in entries {
        let key = match decoded.iter().find(|(raw, _)| *raw == e.signer) {
            Some((_, k)) => Some(*k),
            None => VerifyingKey::from_bytes(&e.signer)
                .ok()
                .inspect(|k| decoded.push((e.signer, *k))),
        };
        if let Some(k) = key {
            batch.push(k, e.signed_message(), Signature::from_bytes(&e.signature));
        }
        ok.push(key.is_some());
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::KeyType;

    fn key() -> SignerKey {
        SignerKey::from_seed("device", KeyType::Ed25519, &[3; 32]).unwrap()
    }

    #[test]
    fn round_trip_and_tamper() {
        let e = Entry::sign(EntryKind::Registration, b"{\"a\":1}".to_vec(), None, &key()).unwrap();
        let bytes = e.encode();
        assert!(bytes.starts_with(MAGIC));
        let d = Entry::decode(&bytes).unwrap();
        assert_eq!(d, e);
        assert!(d.verify_signature());
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            if let Ok(t) = Entry::decode(&b) {
                assert!(
                    !t.verify_signature(),
                    "flip at byte {i} kept a valid signature"
                );
            }
        }
        assert_eq!(
            Entry::decode(&bytes[..bytes.len() - 1]),
            Err(EntryError::Truncated("signature"))
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(Entry::decode(&long), Err(EntryError::Trailing(1)));
    }

    #[test]
    fn batch_fails_and_single_checks_name_the_bad_signature() {
        let k = key();
        let mut es: Vec<Entry> = (0..5)
            .map(|i| Entry::sign(EntryKind::Revocation, vec![b'a' + i], None, &k).unwrap())
            .collect();
        let mut batch = SignatureBatch::new();
        assert_eq!(
            batch_signatures(&es.iter().collect::<Vec<_>>(), &mut batch),
            vec![true; 5]
        );
        assert!(batch.verify());
        es[3].payload[0] = b'z';
        let mut batch = SignatureBatch::new();
        assert_eq!(
            batch_signatures(&es.iter().collect::<Vec<_>>(), &mut batch),
            vec![true; 5]
        );
        assert!(!batch.verify(), "one bad signature fails the batch");
        let single: Vec<bool> = es.iter().map(Entry::verify_signature).collect();
        assert_eq!(single, vec![true, true, true, false, true]);
    }

    #[test]
    fn hash_id_only_on_events() {
        assert_eq!(
            Entry::sign(EntryKind::Registration, vec![], Some("x".into()), &key()),
            Err(EntryError::HashIdPresence)
        );
        assert_eq!(
            Entry::sign(EntryKind::Event, vec![], None, &key()),
            Err(EntryError::HashIdPresence)
        );
    }
}
