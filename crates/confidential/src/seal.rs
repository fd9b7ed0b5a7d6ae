//! The sealed entry: a log entry encrypted for the holders of one or more labels, and for the
//! recipients entitled to read it.
//!
//! Encoding, version 1:
//! ```text
//! magic    "tally/sealed/v1\n"     16 bytes
//! nonce    24 bytes                random; the body's XChaCha20-Poly1305 nonce and the salt of
//!                                  every wrapping key
//! commit   32 bytes                HMAC-SHA256(content key, "tally/commit/v1\n" ‖ nonce)
//! wraps    u8 n ‖ n × 48 bytes     the 32-byte content key, XChaCha20-Poly1305-sealed under
//!                                  HKDF-SHA256(salt nonce, ikm label secret, info
//!                                  "tally/wrap/v1\n"), zero nonce (the key is new per entry)
//! to       u8 r ‖ r × 112 bytes    the content key and the withheld key, HPKE-sealed for each
//!                                  entitled recipient (see `recipient`): encapsulated key ‖
//!                                  ciphertext
//! body     the rest                XChaCha20-Poly1305(content key, nonce, aad: every byte above)
//!                                  of: u8 m ‖ m × 16-byte linked secrets ‖ u32 length ‖ entry ‖
//!                                  u32 length ‖ withheld ‖ zero bytes up to a multiple of 128
//! withheld                         empty when the event withholds nothing, else
//!                                  XChaCha20-Poly1305(withheld key, zero nonce, aad
//!                                  "tally/withheld/v1\n") of u16 n ‖ n × (u16 length ‖ an
//!                                  RFC 9901 disclosure, see `disclosure`)
//! ```
//! Why: one content key wrapped per label lets one event (a pallet packed from two lots, a batch
//! made from a milk lot) be read by the holders of each, and nobody else. Wraps are unlinkable
//! between entries (each wrapping key is salted by the entry's nonce), so a reader cannot tell
//! which entries belong to one lot. Poly1305 is not key-committing: without `commit`, a crafted
//! entry could open to one event under the secret a bookkeeper checked and to another under a
//! second label's (or a recipient's); with it, everyone opens the same bytes. Linked secrets are
//! what a holder may follow next: an aggregation names its pallet's secret, a transformation its
//! inputs', so the holder of a can reads the pallet it travelled on and the milk it was made
//! from. Padding hides the exact length of the event. The withheld part is what the brand keeps
//! from label holders (purchase orders, master data for its partners): its key is random per
//! entry and reaches only the recipients' wraps and the bookkeeper that checks the event, so a
//! holder reads the event's commitment form and checks it, but not the withheld members.

use crate::recipient::{self, RECIPIENT_WRAP};
use crate::{Disclosure, LabelSecret, RecipientKey, RecipientSecret};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;
use thiserror::Error;
use zeroize::Zeroizing;

pub const MAGIC: &[u8] = b"tally/sealed/v1\n";
/// Largest sealed entry: what a tlog-tiles entry bundle can carry.
pub const MAX_SEALED_BYTES: usize = u16::MAX as usize;
/// Most labels one entry is sealed for, recipients it is wrapped for, and secrets it links to.
pub const MAX_WRAPS: usize = 64;
const NONCE: usize = 24;
const COMMIT: usize = 32;
const WRAP: usize = 48;
const PAD: usize = 128;
const HEADER: usize = MAGIC.len() + NONCE + COMMIT + 1;

/// The seed a recipient wrap's ephemeral key was drawn from.
pub type RecipientSeed = [u8; 32];
/// The key of an entry's withheld part.
pub type WithheldKey = [u8; 32];
const WITHHELD_AAD: &[u8] = b"tally/withheld/v1\n";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SealError {
    #[error("not a sealed Tally entry (bad magic)")]
    BadMagic,
    #[error("the sealed entry is truncated")]
    Truncated,
    #[error("a sealed entry is for 1 to {MAX_WRAPS} labels, at most {MAX_WRAPS} recipients, and links at most {MAX_WRAPS}")]
    Labels,
    #[error("the sealed entry would be {0} bytes; at most {MAX_SEALED_BYTES} fit in a log entry")]
    TooLarge(usize),
    #[error("none of these keys opens the entry")]
    NotForThese,
    #[error("the entry's wraps do not all open to its content key with the secrets given")]
    WrapMismatch,
    #[error(
        "the entry's recipient wraps are not its content key wrapped for the recipients given"
    )]
    RecipientMismatch,
    #[error("the sealed body does not decrypt: tampered with, or not for this key")]
    Body,
    #[error("the sealed body is not padded plaintext of the v1 layout")]
    Layout,
    #[error("the withheld part does not open with the key given, or is not a list of disclosures")]
    Withheld,
}

/// A sealed entry, parsed (nothing decrypted yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed<'a> {
    bytes: &'a [u8],
    nonce: [u8; NONCE],
    commit: [u8; COMMIT],
    wraps: Vec<[u8; WRAP]>,
    recipients: Vec<[u8; RECIPIENT_WRAP]>,
}

/// What a holder reads in a sealed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The plain entry's bytes, as they would have been logged unsealed.
    pub entry: Vec<u8>,
    /// The secrets this entry hands on (a pallet's, a batch's inputs').
    pub links: Vec<LabelSecret>,
    /// The disclosures of the members its event withholds from label holders; `None` when it
    /// withholds some and this reader may not read them.
    pub withheld: Option<Vec<Disclosure>>,
}

/// What a sealed entry carries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Contents<'a> {
    /// The plain entry's bytes.
    pub entry: &'a [u8],
    /// The secrets it hands on.
    pub links: &'a [LabelSecret],
    /// The disclosures of the members its event withholds (see `disclosure::withhold`).
    pub withheld: &'a [Disclosure],
}

/// A sealed entry and what its bookkeeper needs to check it: the seeds of its recipient wraps,
/// in order, and the key of its withheld part.
#[derive(Debug, Clone)]
pub struct SealedEntry {
    pub bytes: Vec<u8>,
    pub seeds: Vec<RecipientSeed>,
    pub withheld_key: WithheldKey,
}

/// Seals `entry` for the holders of `labels`, handing on `links`.
pub fn seal(
    entry: &[u8],
    labels: &[LabelSecret],
    links: &[LabelSecret],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, SealError> {
    let contents = Contents {
        entry,
        links,
        withheld: &[],
    };
    seal_for(&contents, labels, &[], rng).map(|s| s.bytes)
}

/// Seals `contents` for the holders of `labels`, also wrapping its keys for each of
/// `recipients`.
pub fn seal_for(
    contents: &Contents,
    labels: &[LabelSecret],
    recipients: &[RecipientKey],
    rng: &mut impl CryptoRngCore,
) -> Result<SealedEntry, SealError> {
    let too_many = [contents.links.len(), recipients.len()]
        .iter()
        .any(|&n| n > MAX_WRAPS);
    if labels.is_empty() || labels.len() > MAX_WRAPS || too_many {
        return Err(SealError::Labels);
    }
    let mut keys = Zeroizing::new([0u8; 64]);
    rng.fill_bytes(&mut *keys);
    let (key, withheld_key) = split_keys(&keys);
    let withheld = seal_withheld(contents.withheld, &withheld_key)?;
    let plain = Zeroizing::new(plaintext(contents.entry, contents.links, &withheld));
    let size = header_len(labels.len(), recipients.len()) + plain.len() + 16;
    if size > MAX_SEALED_BYTES {
        return Err(SealError::TooLarge(size));
    }
    let mut nonce = [0; NONCE];
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&commitment(&key, &nonce));
    out.push(labels.len() as u8);
    for label in labels {
        let wrapped = wrapper(label, &nonce)
            .encrypt(&XNonce::default(), key.as_slice())
            .map_err(|_| SealError::Body)?;
        out.extend_from_slice(&wrapped);
    }
    out.push(recipients.len() as u8);
    let mut seeds = Vec::with_capacity(recipients.len());
    for to in recipients {
        let mut seed = [0; 32];
        rng.fill_bytes(&mut seed);
        out.extend_from_slice(&recipient::wrap(to, &keys, &nonce, seed));
        seeds.push(seed);
    }
    let body = XChaCha20Poly1305::new(key.as_slice().into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &out,
            },
        )
        .map_err(|_| SealError::Body)?;
    out.extend_from_slice(&body);
    Ok(SealedEntry {
        bytes: out,
        seeds,
        withheld_key: *withheld_key,
    })
}

/// The content key and the withheld key, the halves of what a recipient wrap carries.
fn split_keys(keys: &[u8; 64]) -> (Zeroizing<[u8; 32]>, Zeroizing<[u8; 32]>) {
    let (a, b) = keys.split_at(32);
    (
        Zeroizing::new(a.try_into().expect("32 bytes")),
        Zeroizing::new(b.try_into().expect("32 bytes")),
    )
}

fn seal_withheld(withheld: &[Disclosure], key: &[u8; 32]) -> Result<Vec<u8>, SealError> {
    if withheld.is_empty() {
        return Ok(Vec::new());
    }
    let mut plain = Zeroizing::new(Vec::new());
    plain.extend_from_slice(&(withheld.len() as u16).to_be_bytes());
    for d in withheld {
        let len =
            u16::try_from(d.as_str().len()).map_err(|_| SealError::TooLarge(d.as_str().len()))?;
        plain.extend_from_slice(&len.to_be_bytes());
        plain.extend_from_slice(d.as_str().as_bytes());
    }
    XChaCha20Poly1305::new(key.into())
        .encrypt(
            &XNonce::default(),
            Payload {
                msg: &plain,
                aad: WITHHELD_AAD,
            },
        )
        .map_err(|_| SealError::Body)
}

/// The disclosures in a withheld part, opened with `key`.
fn open_withheld(sealed: &[u8], key: &[u8; 32]) -> Result<Vec<Disclosure>, SealError> {
    if sealed.is_empty() {
        return Ok(Vec::new());
    }
    let plain = Zeroizing::new(
        XChaCha20Poly1305::new(key.into())
            .decrypt(
                &XNonce::default(),
                Payload {
                    msg: sealed,
                    aad: WITHHELD_AAD,
                },
            )
            .map_err(|_| SealError::Withheld)?,
    );
    let (n, mut rest) = plain.split_first_chunk::<2>().ok_or(SealError::Withheld)?;
    let mut out = Vec::new();
    for _ in 0..u16::from_be_bytes(*n) {
        let (len, r) = rest.split_first_chunk::<2>().ok_or(SealError::Withheld)?;
        let len = usize::from(u16::from_be_bytes(*len));
        let text = r.get(..len).ok_or(SealError::Withheld)?;
        let text = std::str::from_utf8(text).map_err(|_| SealError::Withheld)?;
        out.push(Disclosure::parse(text).map_err(|_| SealError::Withheld)?);
        rest = &r[len..];
    }
    match rest.is_empty() {
        true => Ok(out),
        false => Err(SealError::Withheld),
    }
}

fn header_len(labels: usize, recipients: usize) -> usize {
    HEADER + WRAP * labels + 1 + RECIPIENT_WRAP * recipients
}

/// Opens a sealed entry with any of `secrets` (a holder's: its label's and those linked to it).
/// A holder does not read the withheld part.
pub fn open(bytes: &[u8], secrets: &[LabelSecret]) -> Result<Opened, SealError> {
    let sealed = Sealed::parse(bytes)?;
    for wrap in &sealed.wraps {
        for s in secrets {
            if let Some(key) = sealed.unwrap(wrap, s) {
                let (mut opened, withheld) = sealed.body(&key)?;
                opened.withheld = withheld.is_empty().then(Vec::new);
                return Ok(opened);
            }
        }
    }
    Err(SealError::NotForThese)
}

/// Opens a sealed entry as an entitled recipient, withheld part too.
pub fn open_as(bytes: &[u8], me: &RecipientSecret) -> Result<Opened, SealError> {
    let sealed = Sealed::parse(bytes)?;
    for wrap in &sealed.recipients {
        let Some(keys) = recipient::unwrap(me, wrap, &sealed.nonce) else {
            continue;
        };
        let (key, withheld_key) = split_keys(&keys);
        if sealed.commits_to(&key) {
            let (mut opened, withheld) = sealed.body(&key)?;
            opened.withheld = Some(open_withheld(&withheld, &withheld_key)?);
            return Ok(opened);
        }
    }
    Err(SealError::NotForThese)
}

/// `count` fixed-size chunks off the front of `rest`.
fn chunks<const N: usize>(rest: &mut &[u8], count: u8) -> Result<Vec<[u8; N]>, SealError> {
    let mut out = Vec::with_capacity(count.into());
    for _ in 0..count {
        let (c, r) = rest.split_first_chunk::<N>().ok_or(SealError::Truncated)?;
        out.push(*c);
        *rest = r;
    }
    Ok(out)
}

impl<'a> Sealed<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, SealError> {
        if bytes.len() > MAX_SEALED_BYTES {
            return Err(SealError::TooLarge(bytes.len()));
        }
        let rest = bytes.strip_prefix(MAGIC).ok_or(SealError::BadMagic)?;
        let (nonce, rest) = rest
            .split_first_chunk::<NONCE>()
            .ok_or(SealError::Truncated)?;
        let (commit, rest) = rest
            .split_first_chunk::<COMMIT>()
            .ok_or(SealError::Truncated)?;
        let (&n, mut rest) = rest.split_first().ok_or(SealError::Truncated)?;
        if n == 0 || usize::from(n) > MAX_WRAPS {
            return Err(SealError::Labels);
        }
        let wraps = chunks::<WRAP>(&mut rest, n)?;
        let (&r, mut rest) = rest.split_first().ok_or(SealError::Truncated)?;
        if usize::from(r) > MAX_WRAPS {
            return Err(SealError::Labels);
        }
        let recipients = chunks::<RECIPIENT_WRAP>(&mut rest, r)?;
        if rest.len() < 16 {
            return Err(SealError::Truncated);
        }
        Ok(Sealed {
            bytes,
            nonce: *nonce,
            commit: *commit,
            wraps,
            recipients,
        })
    }

    /// How many labels it is sealed for.
    pub fn labels(&self) -> usize {
        self.wraps.len()
    }

    /// How many recipients its content key is wrapped for.
    pub fn recipients(&self) -> usize {
        self.recipients.len()
    }

    /// Opens it with exactly one secret per wrap, in order, checks every recipient wrap against
    /// its recipient and seed, in order, and opens the withheld part with `withheld_key` — a
    /// bookkeeper's check that the entry it admits is the one every holder of these labels and
    /// every one of these recipients will read, that it files the entry under every label it is
    /// sealed for, and that it sees every withheld member.
    pub fn open_exact(
        &self,
        secrets: &[LabelSecret],
        recipients: &[(RecipientKey, RecipientSeed)],
        withheld_key: &WithheldKey,
    ) -> Result<Opened, SealError> {
        if secrets.len() != self.wraps.len() {
            return Err(SealError::WrapMismatch);
        }
        let mut key = None;
        for (wrap, s) in self.wraps.iter().zip(secrets) {
            key = Some(self.unwrap(wrap, s).ok_or(SealError::WrapMismatch)?);
        }
        let key = key.ok_or(SealError::WrapMismatch)?;
        let mut keys = Zeroizing::new([0u8; 64]);
        keys[..32].copy_from_slice(&*key);
        keys[32..].copy_from_slice(withheld_key);
        let wrapped_for_each = recipients.len() == self.recipients.len()
            && self
                .recipients
                .iter()
                .zip(recipients)
                .all(|(w, (to, seed))| recipient::is_wrap(w, to, &keys, &self.nonce, *seed));
        if !wrapped_for_each {
            return Err(SealError::RecipientMismatch);
        }
        let (mut opened, withheld) = self.body(&key)?;
        opened.withheld = Some(open_withheld(&withheld, withheld_key)?);
        Ok(opened)
    }

    /// The content key in `wrap`, if `secret` opens it and the key is the one committed to.
    fn unwrap(&self, wrap: &[u8; WRAP], secret: &LabelSecret) -> Option<Zeroizing<[u8; 32]>> {
        let key = wrapper(secret, &self.nonce)
            .decrypt(&XNonce::default(), wrap.as_slice())
            .ok()?;
        let key: Zeroizing<[u8; 32]> = Zeroizing::new(key.try_into().ok()?);
        self.commits_to(&key).then_some(key)
    }

    fn commits_to(&self, key: &[u8; 32]) -> bool {
        commitment(key, &self.nonce).ct_eq(&self.commit).into()
    }

    /// The opened body, and its withheld part still sealed.
    fn body(&self, key: &[u8; 32]) -> Result<(Opened, Vec<u8>), SealError> {
        let header = header_len(self.wraps.len(), self.recipients.len());
        let (aad, body) = self.bytes.split_at(header);
        let plain = Zeroizing::new(
            XChaCha20Poly1305::new(key.into())
                .decrypt(XNonce::from_slice(&self.nonce), Payload { msg: body, aad })
                .map_err(|_| SealError::Body)?,
        );
        parse_plaintext(&plain)
    }
}

fn wrapper(secret: &LabelSecret, nonce: &[u8; NONCE]) -> XChaCha20Poly1305 {
    let mut key = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(nonce), secret.as_bytes())
        .expand(b"tally/wrap/v1\n", &mut *key)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    XChaCha20Poly1305::new(key.as_slice().into())
}

fn commitment(key: &[u8; 32], nonce: &[u8; NONCE]) -> [u8; COMMIT] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key size");
    mac.update(b"tally/commit/v1\n");
    mac.update(nonce);
    mac.finalize().into_bytes().into()
}

fn plaintext(entry: &[u8], links: &[LabelSecret], withheld: &[u8]) -> Vec<u8> {
    let len = 1 + 16 * links.len() + 4 + entry.len() + 4 + withheld.len();
    let mut p = Vec::with_capacity(len.next_multiple_of(PAD));
    p.push(links.len() as u8);
    for l in links {
        p.extend_from_slice(l.as_bytes());
    }
    p.extend_from_slice(&(entry.len() as u32).to_be_bytes());
    p.extend_from_slice(entry);
    p.extend_from_slice(&(withheld.len() as u32).to_be_bytes());
    p.extend_from_slice(withheld);
    p.resize(len.next_multiple_of(PAD), 0);
    p
}

fn parse_plaintext(p: &[u8]) -> Result<(Opened, Vec<u8>), SealError> {
    let (&m, mut rest) = p.split_first().ok_or(SealError::Layout)?;
    if usize::from(m) > MAX_WRAPS || p.len() % PAD != 0 {
        return Err(SealError::Layout);
    }
    let links = chunks::<16>(&mut rest, m)
        .map_err(|_| SealError::Layout)?
        .into_iter()
        .map(LabelSecret::from_bytes)
        .collect();
    let (entry, rest) = length_prefixed(rest)?;
    let (withheld, rest) = length_prefixed(rest)?;
    if rest.len() >= PAD || rest.iter().any(|&b| b != 0) {
        return Err(SealError::Layout);
    }
    let opened = Opened {
        entry: entry.to_vec(),
        links,
        withheld: None,
    };
    Ok((opened, withheld.to_vec()))
}

/// A u32 length and that many bytes off the front of `rest`.
fn length_prefixed(rest: &[u8]) -> Result<(&[u8], &[u8]), SealError> {
    let (len, rest) = rest.split_first_chunk::<4>().ok_or(SealError::Layout)?;
    let len = u32::from_be_bytes(*len) as usize;
    match rest.len() >= len {
        true => Ok(rest.split_at(len)),
        false => Err(SealError::Layout),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    fn s(b: u8) -> LabelSecret {
        LabelSecret::from_bytes([b; 16])
    }

    #[test]
    fn every_label_opens_the_same_entry_and_no_other_secret_does() {
        let entry = b"tally/entry/v1\n an entry".to_vec();
        let bytes = seal(&entry, &[s(1), s(2)], &[s(9)], &mut OsRng).unwrap();
        assert!(bytes.starts_with(MAGIC));
        assert_eq!((bytes.len() - header_len(2, 0) - 16) % PAD, 0);
        for who in [s(1), s(2)] {
            let o = open(&bytes, &[s(7), who]).unwrap();
            assert_eq!(o.entry, entry);
            assert_eq!(o.links, vec![s(9)]);
        }
        assert_eq!(open(&bytes, &[s(3), s(9)]), Err(SealError::NotForThese));
        let sealed = Sealed::parse(&bytes).unwrap();
        assert_eq!(sealed.labels(), 2);
        assert!(sealed.open_exact(&[s(1), s(2)], &[], &[0; 32]).is_ok());
        assert_eq!(
            sealed.open_exact(&[s(2), s(1)], &[], &[0; 32]),
            Err(SealError::WrapMismatch)
        );
        assert_eq!(
            sealed.open_exact(&[s(1)], &[], &[0; 32]),
            Err(SealError::WrapMismatch)
        );
    }

    #[test]
    fn the_ciphertext_says_nothing_the_same_twice() {
        let a = seal(b"same", &[s(1)], &[], &mut OsRng).unwrap();
        let b = seal(b"same", &[s(1)], &[], &mut OsRng).unwrap();
        assert_eq!(a.len(), b.len());
        assert_ne!(a[MAGIC.len()..], b[MAGIC.len()..]);
        // Lengths within one padding step are indistinguishable.
        let c = seal(&[b'x'; 100], &[s(1)], &[], &mut OsRng).unwrap();
        assert_eq!(a.len(), c.len());
    }

    #[test]
    fn any_flipped_bit_is_refused() {
        let bytes = seal(b"an entry", &[s(1)], &[s(2)], &mut OsRng).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(open(&b, &[s(1)]).is_err(), "flip at byte {i} still opened");
        }
        assert_eq!(open(&bytes[..HEADER], &[s(1)]), Err(SealError::Truncated));
        assert_eq!(open(b"tally/entry/v1\n", &[s(1)]), Err(SealError::BadMagic));
    }

    #[test]
    fn a_wrap_from_another_entry_does_not_open_this_one() {
        let a = seal(b"a", &[s(1)], &[], &mut OsRng).unwrap();
        let mut b = seal(b"b", &[s(1)], &[], &mut OsRng).unwrap();
        let w = HEADER..HEADER + WRAP;
        b[w.clone()].copy_from_slice(&a[w]);
        assert_eq!(open(&b, &[s(1)]), Err(SealError::NotForThese));
    }

    #[test]
    fn an_entitled_recipient_opens_it_and_a_bookkeeper_checks_its_wrap_from_the_seed() {
        let auditor = RecipientSecret::generate(&mut OsRng);
        let other = RecipientSecret::generate(&mut OsRng);
        let to = [auditor.public(), other.public()];
        let contents = Contents {
            entry: b"an entry",
            ..Default::default()
        };
        let sealed = seal_for(&contents, &[s(1)], &to, &mut OsRng).unwrap();
        let (bytes, seeds, wk) = (sealed.bytes, sealed.seeds, sealed.withheld_key);
        assert_eq!(open_as(&bytes, &auditor).unwrap().entry, b"an entry");
        assert_eq!(open_as(&bytes, &other).unwrap().entry, b"an entry");
        let stranger = RecipientSecret::generate(&mut OsRng);
        assert_eq!(open_as(&bytes, &stranger), Err(SealError::NotForThese));
        let sealed = Sealed::parse(&bytes).unwrap();
        assert_eq!(sealed.recipients(), 2);
        let given: Vec<_> = to.iter().cloned().zip(seeds.iter().copied()).collect();
        assert!(sealed.open_exact(&[s(1)], &given, &wk).is_ok());
        // Recipients out of order, a wrong seed, a recipient left out.
        let swapped = [given[1].clone(), given[0].clone()];
        let wrong = [given[0].clone(), (given[1].0.clone(), [0; 32])];
        for bad in [&swapped[..], &wrong[..], &given[..1]] {
            assert_eq!(
                sealed.open_exact(&[s(1)], bad, &wk),
                Err(SealError::RecipientMismatch)
            );
        }
        // Still the label's to open; one flipped bit anywhere is refused.
        assert_eq!(open(&bytes, &[s(1)]).unwrap().entry, b"an entry");
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(
                open_as(&b, &auditor).is_err(),
                "flip at byte {i} still opened"
            );
        }
    }

    #[test]
    fn the_withheld_part_opens_for_recipients_and_the_bookkeeper_not_for_holders() {
        let auditor = RecipientSecret::generate(&mut OsRng);
        let event = br#"{"type":"ObjectEvent","bizTransactionList":[{"type":"po","bizTransaction":"PO-77"}]}"#;
        let (commitment, withheld) =
            crate::withhold(event, &["bizTransactionList".into()], &mut OsRng).unwrap();
        let contents = Contents {
            entry: &commitment,
            links: &[],
            withheld: &withheld,
        };
        let sealed = seal_for(&contents, &[s(1)], &[auditor.public()], &mut OsRng).unwrap();
        let holder = open(&sealed.bytes, &[s(1)]).unwrap();
        assert_eq!(
            (holder.entry.as_slice(), holder.withheld),
            (&commitment[..], None)
        );
        let recipient = open_as(&sealed.bytes, &auditor).unwrap();
        assert_eq!(recipient.withheld.as_deref(), Some(&withheld[..]));
        let parsed = Sealed::parse(&sealed.bytes).unwrap();
        let given = [(auditor.public(), sealed.seeds[0])];
        let checked = parsed.open_exact(&[s(1)], &given, &sealed.withheld_key);
        assert_eq!(checked.unwrap().withheld, Some(withheld.clone()));
        // Another withheld key: the recipient's wrap is not of it, and the part does not open.
        let wrong = [7; 32];
        assert_eq!(
            parsed.open_exact(&[s(1)], &given, &wrong),
            Err(SealError::RecipientMismatch)
        );
        let alone = seal_for(&contents, &[s(1)], &[], &mut OsRng).unwrap();
        let parsed = Sealed::parse(&alone.bytes).unwrap();
        assert_eq!(
            parsed.open_exact(&[s(1)], &[], &wrong),
            Err(SealError::Withheld)
        );
        // Nothing withheld: a holder reads everything there is.
        let plain = seal(event, &[s(1)], &[], &mut OsRng).unwrap();
        assert_eq!(open(&plain, &[s(1)]).unwrap().withheld, Some(vec![]));
    }

    #[test]
    fn limits_are_errors() {
        assert_eq!(seal(b"x", &[], &[], &mut OsRng), Err(SealError::Labels));
        let many: Vec<LabelSecret> = (0..65).map(|i| s(i as u8)).collect();
        assert_eq!(seal(b"x", &many, &[], &mut OsRng), Err(SealError::Labels));
        assert!(matches!(
            seal(&vec![0; MAX_SEALED_BYTES], &[s(1)], &[], &mut OsRng),
            Err(SealError::TooLarge(_))
        ));
    }
}
