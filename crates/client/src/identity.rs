//! A warehouse device's identity: its signing key sealed at rest, its enrolment request, and the
//! certification its organisation issues for it.
//!
//! Sealing (format `tally-sealed-key/v1`, one line of text):
//! ```text
//! tally-sealed-key/v1 argon2id m=<KiB> t=<passes> p=<lanes> <salt b64> <nonce b64> <ciphertext b64>
//! ```
//! The key encrypting the signer key's secret string is derived from the passphrase with Argon2id
//! (RFC 9106; memory-hard, so a stolen phone's database resists offline guessing) and the secret
//! is sealed with XChaCha20-Poly1305 (a random 24-byte nonce is safe to pick at random). The
//! header up to the salt is the AEAD's associated data, so the KDF parameters cannot be weakened
//! without the seal failing. Both primitives are RustCrypto's `argon2` and `chacha20poly1305`.
//!
//! Secrets in memory are wiped once used ([`zeroize`], RustCrypto's): the passphrase-derived key,
//! Argon2's working memory (64 MiB derived from the passphrase), the decrypted secret key string
//! and the secret string being sealed are each held in a [`Zeroizing`] wrapper, and the AEAD wipes
//! its copy of the key on drop. The unsealed [`SignerKey`] holds an `ed25519_dalek::SigningKey`,
//! which zeroizes its secret on drop: ed25519-dalek 2's `zeroize` feature is one of its defaults,
//! and this workspace keeps them (`Drop for SigningKey` calls `secret_key.zeroize()`); a clone of
//! a `SignerKey` is wiped on its own drop. Not wiped: the short-lived copies `tally_tlog` makes in
//! `SignerKey::to_secret_string` and `SignerKey::parse` (the seed's base64 and decoded bytes), the
//! copy of a new passphrase `zxcvbn` makes while rating it, and whatever the caller keeps of the
//! passphrase (the CLI holds it in a [`Zeroizing`] string too).
//!
//! New passphrases must pass [`check_passphrase`] (at least [`MIN_PASSPHRASE_CHARS`] characters
//! and a `zxcvbn` strength of at least [`MIN_PASSPHRASE_SCORE`]); [`seal`] applies it, [`unseal`]
//! never does, so a key sealed under an older, laxer rule still opens.
//!
//! Enrolment: the device signs a request (a C2SP signed note, text
//! `tally/enrolment-request/v1\n<JSON>\n`) naming its key, the organisation, and the roles and
//! places asked for; the organisation checks that signature (proof the requester holds the key)
//! and answers with a certification entry signed by its own key ([`certify`]), which it logs and
//! the device imports ([`check_certification`]).

use crate::ClientError;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use tally_tlog::{note, KeyType, SignerKey, VerifierKey};
use tally_trust::{Entry, EntryKind, Record};
use time::OffsetDateTime;

/// The wrapper that wipes a secret when it is dropped (re-exported so callers can hold a passphrase
/// in one without depending on `zeroize` themselves).
pub use zeroize::Zeroizing;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SEALED_HEADER: &str = "tally-sealed-key/v1";
const REQUEST_HEADER: &str = "tally/enrolment-request/v1";

/// Argon2id memory cost of newly sealed keys, in KiB: 64 MiB.
///
/// With [`KDF_PASSES`] = 3 and one lane this is RFC 9106's second recommended option (§4: t = 3,
/// m = 64 MiB, 128-bit salt, 256-bit tag; the RFC names 4 lanes, but `argon2` 0.5 computes lanes
/// one after another, so more lanes would cost defender and attacker alike the same), and more
/// than every OWASP Password Storage option (which start at 19 MiB, t = 2, the cost keys were
/// sealed with before). On the development machine (a 2-core Intel Xeon VM, release build,
/// `cargo bench -p tally-client --bench unlock`) unlocking a key takes about 170 ms (165–180 ms;
/// the old 19 MiB, t = 2 cost took about 24 ms); a phone is a few times slower. Keys sealed with
/// another cost still open: the sealed line records m, t and p.
pub const KDF_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes (time cost) of newly sealed keys; see [`KDF_MEMORY_KIB`].
pub const KDF_PASSES: u32 = 3;
/// Argon2id lanes of newly sealed keys; see [`KDF_MEMORY_KIB`].
pub const KDF_LANES: u32 = 1;
/// Largest KDF cost a sealed key may ask for (a tampered file must not make us allocate 4 GiB).
const KDF_MAX_MEMORY_KIB: u32 = 1024 * 1024;

/// Fewest characters (Unicode scalar values) a new passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// Lowest `zxcvbn` score (0 to 4) a new passphrase may have: 3 is about 10^8 guesses or more,
/// "moderate protection from an offline slow-hash attack" in zxcvbn's words, which is the attack a
/// stolen device's database allows.
pub const MIN_PASSPHRASE_SCORE: u8 = 3;

/// Checks that `passphrase` is strong enough to seal a new device key with: at least
/// [`MIN_PASSPHRASE_CHARS`] characters and a `zxcvbn` (Dropbox's strength estimator) score of at
/// least [`MIN_PASSPHRASE_SCORE`]. The error says why and what to do instead, for a person to
/// read; the app can call this to show it before sealing. [`seal`] applies this check; opening a
/// key never does.
pub fn check_passphrase(passphrase: &str) -> Result<(), ClientError> {
    const ADVICE: &str = "use a few uncommon words, for example four words picked at random";
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(weak(format!(
            "it has {chars} characters and needs at least {MIN_PASSPHRASE_CHARS}; {ADVICE}"
        )));
    }
    let rating = zxcvbn::zxcvbn(passphrase, &[]);
    let score = u8::from(rating.score());
    if score < MIN_PASSPHRASE_SCORE {
        let why = rating
            .feedback()
            .map(|f| f.to_string())
            .filter(|f| !f.trim().is_empty())
            .unwrap_or_else(|| "It is easy to guess.".into());
        return Err(weak(format!(
            "it is too easy to guess (strength {score} of 4, needs {MIN_PASSPHRASE_SCORE}): {} \
             Longer is better: {ADVICE}",
            why.trim()
        )));
    }
    Ok(())
}

/// The error for a passphrase too weak to seal a new key with.
fn weak(why: String) -> ClientError {
    ClientError::BadKeyFile(format!(
        "passphrase too weak to seal a new device key: {why}"
    ))
}

/// Argon2id of `passphrase`: a 32-byte key, wiped on drop.
fn kdf(
    passphrase: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, ClientError> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| ClientError::BadKeyFile(format!("KDF parameters: {e}")))?;
    let mut key = Zeroizing::new([0u8; 32]);
    // Argon2's working memory is derived from the passphrase (its last blocks give the key): it is
    // allocated here so that it is wiped (`hash_password_into` would leave it in freed memory).
    let mut memory = Zeroizing::new(vec![Block::default(); params.block_count()]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(
            passphrase.as_bytes(),
            salt,
            key.as_mut_slice(),
            memory.as_mut_slice(),
        )
        .map_err(|e| ClientError::BadKeyFile(format!("KDF: {e}")))?;
    Ok(key)
}

/// Seals a new key under `passphrase` with the default cost, once the passphrase passes
/// [`check_passphrase`] (a weak one is refused, saying why).
pub fn seal(key: &SignerKey, passphrase: &str) -> Result<String, ClientError> {
    check_passphrase(passphrase)?;
    seal_with(key, passphrase, KDF_MEMORY_KIB, KDF_PASSES)
}

/// Seals `key` with an explicit Argon2id cost (memory in KiB, passes), without judging the
/// passphrase (tests and benchmarks; a new key's passphrase goes through [`seal`]).
pub fn seal_with(
    key: &SignerKey,
    passphrase: &str,
    memory_kib: u32,
    passes: u32,
) -> Result<String, ClientError> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut nonce);
    let header = format!("{SEALED_HEADER} argon2id m={memory_kib} t={passes} p={KDF_LANES}");
    let k = kdf(passphrase, &salt, memory_kib, passes, KDF_LANES)?;
    let cipher = XChaCha20Poly1305::new((&*k).into());
    let secret = Zeroizing::new(key.to_secret_string());
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: secret.as_bytes(),
                aad: header.as_bytes(),
            },
        )
        .map_err(|_| ClientError::BadKeyFile("encryption failed".into()))?;
    Ok(format!(
        "{header} {} {} {}",
        B64.encode(salt),
        B64.encode(nonce),
        B64.encode(sealed)
    ))
}

/// Opens a sealed key with `passphrase`, whatever cost it was sealed with (within bounds) and
/// however weak its passphrase: the strength rule is for new keys only.
pub fn unseal(sealed: &str, passphrase: &str) -> Result<SignerKey, ClientError> {
    let bad = |what: &str| ClientError::BadKeyFile(format!("sealed key: {what}"));
    let parts: Vec<&str> = sealed.trim().split(' ').collect();
    let [header, alg, m, t, p, salt, nonce, ciphertext] = parts.as_slice() else {
        return Err(bad("not a tally-sealed-key/v1 line"));
    };
    if *header != SEALED_HEADER || *alg != "argon2id" {
        return Err(bad("unknown format"));
    }
    let num = |s: &str, prefix: &str| -> Result<u32, ClientError> {
        s.strip_prefix(prefix)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad("bad KDF parameter"))
    };
    let (m, t, p) = (num(m, "m=")?, num(t, "t=")?, num(p, "p=")?);
    if m > KDF_MAX_MEMORY_KIB || t > 64 || p > 16 {
        return Err(bad("KDF cost out of range"));
    }
    let decode = |s: &str| B64.decode(s).map_err(|_| bad("not base64"));
    let (salt, nonce, ciphertext) = (decode(salt)?, decode(nonce)?, decode(ciphertext)?);
    if nonce.len() != 24 {
        return Err(bad("nonce is not 24 bytes"));
    }
    let k = kdf(passphrase, &salt, m, t, p)?;
    let aad = format!("{header} {alg} m={m} t={t} p={p}");
    let secret = Zeroizing::new(
        XChaCha20Poly1305::new((&*k).into())
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| ClientError::WrongPassphrase)?,
    );
    // Read in place: `String::from_utf8` would hand the bytes to an error value on failure.
    let text = std::str::from_utf8(&secret).map_err(|_| bad("secret is not text"))?;
    SignerKey::parse(text).map_err(|e| bad(&e.to_string()))
}

/// Makes a new device key (a note signing key named `name`).
pub fn generate(name: &str) -> Result<SignerKey, ClientError> {
    SignerKey::generate(&mut OsRng, name, KeyType::Ed25519)
        .map_err(|e| ClientError::BadKeyFile(format!("device name {name:?}: {e}")))
}

/// What a device asks its organisation to certify it for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    /// The device's verifier key.
    pub device: String,
    /// A name a person recognises ("Dock 3 scanner").
    pub label: String,
    /// The organisation's party GLN.
    pub org: String,
    /// CBV business steps asked for.
    pub roles: Vec<String>,
    /// GLNs of the places asked for.
    pub places: Vec<String>,
}

/// Signs an enrolment request with the device key.
pub fn enrolment_request(
    key: &SignerKey,
    request: &EnrolmentRequest,
) -> Result<Vec<u8>, ClientError> {
    if request.device != key.verifier().to_string() {
        return Err(ClientError::BadKeyFile(
            "the request names another device key".into(),
        ));
    }
    let json = serde_json::to_string(request).map_err(|e| ClientError::Event(e.to_string()))?;
    note::sign(
        format!("{REQUEST_HEADER}\n{json}\n").as_bytes(),
        std::slice::from_ref(key),
        0,
    )
    .map_err(|e| ClientError::BadKeyFile(e.to_string()))
}

/// Reads an enrolment request and checks that the device key it names signed it.
pub fn open_enrolment_request(signed: &[u8]) -> Result<EnrolmentRequest, ClientError> {
    let bad = |what: String| ClientError::BadKeyFile(format!("enrolment request: {what}"));
    let text = std::str::from_utf8(signed).map_err(|_| bad("not UTF-8".into()))?;
    let json = text
        .strip_prefix(REQUEST_HEADER)
        .and_then(|r| r.strip_prefix('\n'))
        .and_then(|r| r.lines().next())
        .ok_or_else(|| bad("not a tally/enrolment-request/v1 note".into()))?;
    let request: EnrolmentRequest = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let key = VerifierKey::parse(&request.device).map_err(|e| bad(e.to_string()))?;
    note::open(signed, &[key]).map_err(|e| bad(format!("not signed by the device: {e}")))?;
    Ok(request)
}

/// The organisation's answer: a certification entry for the requesting device, signed with the
/// organisation key, valid from `valid_from` until `expires`.
pub fn certify(
    org_key: &SignerKey,
    request: &EnrolmentRequest,
    valid_from: OffsetDateTime,
    expires: OffsetDateTime,
) -> Result<Entry, ClientError> {
    if expires <= valid_from {
        return Err(ClientError::BadCertification(
            "it must expire after it starts".into(),
        ));
    }
    let record = Record::Certification {
        org: request.org.clone(),
        device: request.device.clone(),
        roles: request.roles.clone(),
        places: request.places.clone(),
        valid_from,
        expires,
    };
    Ok(Entry::sign(
        record.kind(),
        record.to_payload(),
        None,
        org_key,
    )?)
}

/// Checks that `entry` is a certification of `device` signed by its issuer, and returns it.
/// Whether the issuer is a registered organisation is the logs' to prove, like any record's.
pub fn check_certification(entry: &[u8], device: &VerifierKey) -> Result<Record, ClientError> {
    let bad = |what: String| ClientError::BadCertification(what);
    let e = Entry::decode(entry).map_err(|e| bad(e.to_string()))?;
    if e.kind != EntryKind::Certification {
        return Err(bad("the entry is not a certification".into()));
    }
    if !e.verify_signature() {
        return Err(bad("its signature does not verify".into()));
    }
    let record: Record = serde_json::from_slice(&e.payload).map_err(|e| bad(e.to_string()))?;
    match &record {
        Record::Certification { device: d, .. } if d == &device.to_string() => Ok(record),
        Record::Certification { device: d, .. } => {
            Err(bad(format!("it certifies {d}, not this device")))
        }
        _ => Err(bad("the payload is not a certification".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cheap KDF cost for tests (the format and checks are the same).
    fn sealed(key: &SignerKey) -> String {
        seal_with(key, "correct horse", 64, 1).unwrap()
    }

    #[test]
    fn a_sealed_key_opens_with_its_passphrase_only() {
        let key = generate("dock-3").unwrap();
        let s = sealed(&key);
        assert!(s.starts_with("tally-sealed-key/v1 argon2id m=64 t=1 p=1 "));
        assert!(!s.contains(&key.to_secret_string()));
        let opened = unseal(&s, "correct horse").unwrap();
        assert_eq!(opened.verifier(), key.verifier());
        assert!(matches!(
            unseal(&s, "wrong"),
            Err(ClientError::WrongPassphrase)
        ));
        // Weakening the KDF in the header breaks the seal (the header is authenticated).
        let weakened = s.replacen("t=1", "t=2", 1);
        assert!(matches!(
            unseal(&weakened, "correct horse"),
            Err(ClientError::WrongPassphrase)
        ));
        let greedy = s.replacen("m=64", "m=4194304", 1);
        assert!(matches!(
            unseal(&greedy, "correct horse"),
            Err(ClientError::BadKeyFile(_))
        ));
        assert!(unseal("garbage", "x").is_err());
    }

    #[test]
    fn enrolment_round_trip_and_forgeries() {
        let device = generate("dock-3").unwrap();
        let org = generate("org-1").unwrap();
        let req = EnrolmentRequest {
            device: device.verifier().to_string(),
            label: "Dock 3 scanner".into(),
            org: "9506000000005".into(),
            roles: vec!["shipping".into()],
            places: vec!["9506000000012".into()],
        };
        let signed = enrolment_request(&device, &req).unwrap();
        assert_eq!(open_enrolment_request(&signed).unwrap(), req);
        // Someone else's key cannot ask for this device.
        let thief = generate("dock-3").unwrap();
        assert!(enrolment_request(&thief, &req).is_err());
        let mut tampered = String::from_utf8(signed.clone()).unwrap();
        tampered = tampered.replace("shipping", "receiving");
        assert!(open_enrolment_request(tampered.as_bytes()).is_err());

        let from = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
        let until = from + time::Duration::days(365);
        let cert = certify(&org, &req, from, until).unwrap();
        let record = check_certification(&cert.encode(), &device.verifier()).unwrap();
        assert!(
            matches!(record, Record::Certification { ref roles, .. } if roles == &["shipping"])
        );
        assert!(check_certification(&cert.encode(), &thief.verifier()).is_err());
        assert!(certify(&org, &req, until, from).is_err());
        let mut forged = cert.clone();
        forged.payload[10] ^= 1;
        assert!(check_certification(&forged.encode(), &device.verifier()).is_err());
    }
}
