//! Signer and verifier keys in the c2sp.org/signed-note text encodings.
//!
//! - verifier key: `name+hex8(keyID)+base64(type ‖ public key)`
//! - signer key (Go x/mod form): `PRIVATE+KEY+name+hex8(keyID)+base64(type ‖ seed)`
//! - key ID: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key), big-endian.
//!
//! Type 0x01 keys sign notes (logs, governance, organisations); type 0x04 keys make
//! `cosignature/v1` signatures (witnesses). One Ed25519 key has a different key ID in each role, so a
//! note signature can never be mistaken for a cosignature.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;
use std::fmt;
use thiserror::Error;

/// Key types from the signed-note signature type registry that Tally uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// 0x01: Ed25519 over the note text.
    Ed25519,
    /// 0x04: Ed25519 `cosignature/v1` over a timestamped checkpoint (c2sp.org/tlog-cosignature).
    Cosignature,
}

impl KeyType {
    /// The type byte that prefixes the key and enters the key ID.
    pub fn byte(self) -> u8 {
        match self {
            KeyType::Ed25519 => 0x01,
            KeyType::Cosignature => 0x04,
        }
    }

    fn from_byte(b: u8) -> Result<Self, KeyError> {
        match b {
            0x01 => Ok(KeyType::Ed25519),
            0x04 => Ok(KeyType::Cosignature),
            other => Err(KeyError::UnsupportedType(other)),
        }
    }
}

/// A key string could not be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("key is not of the form name+hex8+base64")]
    Format,
    #[error("signer key must start with PRIVATE+KEY+")]
    NotPrivate,
    #[error("key name {0:?} is empty or contains a space or '+'")]
    BadName(String),
    #[error("key ID {given:08x} does not match the key (expected {computed:08x})")]
    IdMismatch { given: u32, computed: u32 },
    #[error("unsupported key type 0x{0:02x} (Tally uses 0x01 Ed25519 and 0x04 cosignature/v1)")]
    UnsupportedType(u8),
    #[error("Ed25519 key has the wrong length or is not a valid curve point")]
    BadKey,
}

/// Reports whether `name` is a valid key name: non-empty, no Unicode spaces, no `+`.
pub fn is_valid_name(name: &str) -> bool {
    signed_note::is_key_name_valid(name)
}

/// Key ID of `name` with the type-prefixed public key.
pub fn key_id(name: &str, kind: KeyType, public: &[u8; 32]) -> u32 {
    let mut typed = [0u8; 33];
    typed[0] = kind.byte();
    typed[1..].copy_from_slice(public);
    signed_note::key_id(name, &typed)
}

/// Splits `name+hex8+base64` and checks the name, the ID and the type byte.
fn parse_parts(s: &str) -> Result<(String, u32, KeyType, [u8; 32]), KeyError> {
    let (name, rest) = s.split_once('+').ok_or(KeyError::Format)?;
    let (id_hex, key_b64) = rest.split_once('+').ok_or(KeyError::Format)?;
    if !is_valid_name(name) {
        return Err(KeyError::BadName(name.to_owned()));
    }
    if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(KeyError::Format);
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|_| KeyError::Format)?;
    let raw = B64.decode(key_b64).map_err(|_| KeyError::Format)?;
    let (&ty, key) = raw.split_first().ok_or(KeyError::Format)?;
    let kind = KeyType::from_byte(ty)?;
    let key: [u8; 32] = key.try_into().map_err(|_| KeyError::BadKey)?;
    Ok((name.to_owned(), id, kind, key))
}

/// A public key that verifies note signatures or cosignatures.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    kind: KeyType,
    key: VerifyingKey,
}

impl VerifierKey {
    /// Parses a verifier key string (`name+hex8+base64(type ‖ key)`).
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let (name, id, kind, key) = parse_parts(s.trim())?;
        let vk = VerifyingKey::from_bytes(&key).map_err(|_| KeyError::BadKey)?;
        let computed = key_id(&name, kind, &key);
        if computed != id {
            return Err(KeyError::IdMismatch {
                given: id,
                computed,
            });
        }
        Ok(Self {
            name,
            id,
            kind,
            key: vk,
        })
    }

    /// The key's name (for a log: its origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Note key (0x01) or cosignature key (0x04).
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// The Ed25519 public key.
    pub fn ed25519(&self) -> &VerifyingKey {
        &self.key
    }

    /// Verifies an Ed25519 signature over `msg` with cofactorless `verify`, as Go does (see the crate
    /// docs for why not `verify_strict`).
    pub fn verify_raw(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        use ed25519_dalek::Verifier as _;
        self.key.verify(msg, &sig).is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut typed = Vec::with_capacity(33);
        typed.push(self.kind.byte());
        typed.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(typed))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

/// A private key with its name and role. Its `Debug` output never shows the secret.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    kind: KeyType,
    key: SigningKey,
}

impl SignerKey {
    /// Generates a new key from `rng` (use `rand_core::OsRng` outside tests).
    pub fn generate<R: CryptoRngCore + ?Sized>(
        rng: &mut R,
        name: &str,
        kind: KeyType,
    ) -> Result<Self, KeyError> {
        if !is_valid_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            kind,
            key: SigningKey::generate(rng),
        })
    }

    /// Builds a key from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, kind: KeyType, seed: &[u8; 32]) -> Result<Self, KeyError> {
        if !is_valid_name(name) {
            return Err(KeyError::BadName(name.to_owned()));
        }
        Ok(Self {
            name: name.to_owned(),
            kind,
            key: SigningKey::from_bytes(seed),
        })
    }

    /// Parses `PRIVATE+KEY+name+hex8+base64(type ‖ seed)`, the form Go's `note.GenerateKey` writes.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        let rest = s
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(KeyError::NotPrivate)?;
        let (name, id, kind, seed) = parse_parts(rest)?;
        let key = Self::from_seed(&name, kind, &seed)?;
        let computed = key.id();
        if computed != id {
            return Err(KeyError::IdMismatch {
                given: id,
                computed,
            });
        }
        Ok(key)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's role.
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// The 4-byte key ID.
    pub fn id(&self) -> u32 {
        key_id(&self.name, self.kind, self.key.verifying_key().as_bytes())
    }

    /// The matching verifier key.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id(),
            kind: self.kind,
            key: self.key.verifying_key(),
        }
    }

    /// Signs raw bytes (Ed25519 is deterministic, so this cannot fail).
    pub fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }

    /// The secret key string. Write it only to files readable by the owner.
    pub fn to_secret_string(&self) -> String {
        let mut typed = Vec::with_capacity(33);
        typed.push(self.kind.byte());
        typed.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id(),
            B64.encode(typed)
        )
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerKey({}, {:?}, <secret>)", self.name, self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_strings_round_trip_in_both_roles() {
        for kind in [KeyType::Ed25519, KeyType::Cosignature] {
            let k = SignerKey::from_seed("example.com/log", kind, &[7u8; 32]).unwrap();
            let back = SignerKey::parse(&k.to_secret_string()).unwrap();
            assert_eq!(back.verifier(), k.verifier());
            assert_eq!(
                VerifierKey::parse(&k.verifier().to_string()).unwrap(),
                k.verifier()
            );
        }
        let a = SignerKey::from_seed("w", KeyType::Ed25519, &[7u8; 32]).unwrap();
        let b = SignerKey::from_seed("w", KeyType::Cosignature, &[7u8; 32]).unwrap();
        assert_ne!(a.id(), b.id(), "the type byte must enter the key ID");
    }

    #[test]
    fn go_generated_key_pair_parses() {
        // From golang.org/x/mod/sumdb/note's documentation and tests (PeterNeumann).
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let s = SignerKey::parse(skey).unwrap();
        assert_eq!(s.verifier().to_string(), vkey);
        assert_eq!(s.to_secret_string(), skey);
    }

    #[test]
    fn bad_keys_are_named() {
        assert_eq!(VerifierKey::parse("nope"), Err(KeyError::Format));
        assert!(matches!(
            VerifierKey::parse(
                "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            ),
            Err(KeyError::IdMismatch { .. })
        ));
        assert_eq!(
            VerifierKey::parse("a b+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
            Err(KeyError::BadName("a b".into()))
        );
    }
}
