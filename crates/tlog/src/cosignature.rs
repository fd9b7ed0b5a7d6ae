//! c2sp.org/tlog-cosignature `cosignature/v1`: a witness's timestamped signature on a checkpoint.
//!
//! The signed message is `cosignature/v1\ntime <decimal UNIX seconds>\n` followed by the whole
//! checkpoint text; the signature bytes in the note line are keyID(4) ‖ u64 big-endian timestamp ‖
//! Ed25519 signature(64), 76 bytes in all, under a key of type 0x04.

use crate::keys::{KeyType, SignerKey, VerifierKey};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};

/// Length of a cosignature after the key ID: timestamp (8) + Ed25519 signature (64).
pub const COSIGNATURE_LEN: usize = 72;

/// The bytes a witness signs for `checkpoint_text` at `timestamp`.
pub fn message(timestamp: u64, checkpoint_text: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(checkpoint_text);
    m
}

/// One witness cosignature, as carried on a note signature line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// The witness key's name.
    pub name: String,
    /// The witness key's ID (type 0x04).
    pub key_id: u32,
    /// When the witness signed, in UNIX seconds (its own clock).
    pub timestamp: u64,
    /// The Ed25519 signature over [`message`].
    pub signature: [u8; 64],
}

impl Cosignature {
    /// Cosigns `checkpoint_text` with a type-0x04 key at `timestamp` (the caller reads the clock).
    ///
    /// Returns `None` if `key` is not a cosignature key: signing with the wrong role would produce a
    /// signature nobody can verify.
    pub fn sign(key: &SignerKey, checkpoint_text: &[u8], timestamp: u64) -> Option<Self> {
        if key.kind() != KeyType::Cosignature {
            return None;
        }
        Some(Self {
            name: key.name().to_owned(),
            key_id: key.id(),
            timestamp,
            signature: key.sign_raw(&message(timestamp, checkpoint_text)),
        })
    }

    /// Decodes the bytes after the key ID of a note signature (timestamp ‖ signature).
    pub fn from_note_signature(name: &str, key_id: u32, sig: &[u8]) -> Option<Self> {
        if sig.len() != COSIGNATURE_LEN {
            return None;
        }
        let (ts, s) = sig.split_at(8);
        Some(Self {
            name: name.to_owned(),
            key_id,
            timestamp: u64::from_be_bytes(ts.try_into().ok()?),
            signature: s.try_into().ok()?,
        })
    }

    /// Checks the cosignature against a witness key and the checkpoint text it claims to sign.
    pub fn verify(&self, key: &VerifierKey, checkpoint_text: &[u8]) -> bool {
        key.kind() == KeyType::Cosignature
            && key.name() == self.name
            && key.id() == self.key_id
            && key.verify_raw(&message(self.timestamp, checkpoint_text), &self.signature)
    }

    /// The note signature line `— name base64(keyID ‖ timestamp ‖ signature)\n`, as a witness's
    /// `add-checkpoint` response carries it.
    pub fn to_line(&self) -> String {
        let mut b = Vec::with_capacity(4 + COSIGNATURE_LEN);
        b.extend_from_slice(&self.key_id.to_be_bytes());
        b.extend_from_slice(&self.timestamp.to_be_bytes());
        b.extend_from_slice(&self.signature);
        format!("— {} {}\n", self.name, B64.encode(b))
    }
}
