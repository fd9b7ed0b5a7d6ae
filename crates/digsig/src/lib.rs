//! GS1 AI (8030) "DIGSIG": the brand's signature carried in the label's own code, so that a
//! scanner can tell offline, from the label alone, whether its data were issued by the brand.
//!
//! # What is signed, and how (provisional)
//!
//! The GS1 General Specifications define AI (8030), *Digital Signature (DigSig)*: format
//! `N4+Z..90` (up to 90 characters of GS1 character set 64, which is base64url), only together
//! with a serialised key — `(01)+(21)`, `(00)`, `(253)`, `(8003)`, … (the `req=` rule of GS1's
//! syntax dictionary, which `tally_gs1` enforces). GS1's *Digital Signatures Technical
//! Implementation Guideline* (release 1.0, September 2024) describes the signing of a GS1
//! element string and builds on ISO/IEC 20248 (DigSig). Neither text could be read here (only
//! its table of contents and the AI's dictionary entry were reachable), so the encoding below is
//! **Tally's own, and provisional**, chosen to fit the AI's format and to follow the guideline's
//! title-level description:
//!
//! * **Input**: the label's GS1 element string without (8030), as a GS1 scanner transmits it
//!   (no symbology identifier): the primary key and its qualifiers in Digital Link path order,
//!   then the data attributes in ascending AI order, FNC1 (0x1D) after every variable-length
//!   value that is followed by more data ([`signed_data`]). So the same data signed once verify
//!   whether the code is a Digital Link on any host, with its query parameters in any order,
//!   or a GS1 element string. Parameters that are not GS1 AIs (the label secret `tk`) are not
//!   covered: they are not label data.
//! * **Algorithm**: Ed25519 (RFC 8032), the key type of every Tally device, so that a labelling
//!   key is certified like any other (a `labelling` role in the registry). Its 64-byte signature
//!   is 86 characters of unpadded base64url, inside the AI's 90. ISO/IEC 20248's DigSig envelope
//!   (certificate identifier, timestamp, fields) does not fit in 90 characters with a 64-byte
//!   signature; the signer is found from the registry instead (`tally_trust::label`).
//! * **No domain prefix**: every other message a Tally key signs starts with a fixed ASCII tag
//!   (`tally/entry-signature/v1`, a signed note's origin line, `cosignature/v1`), and an element
//!   string starts with the digits of an AI, so a label signature cannot be taken for another.
//!
//! Verification uses `verify_strict` (no small-order keys, canonical `S`): labels are checked only
//! by devices, never agreed on by bookkeepers, so there is no other implementation to agree with.
#![forbid(unsafe_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use tally_gs1::{AiValue, DigitalLink};
use tally_tlog::SignerKey;

/// The DIGSIG application identifier.
pub const AI: &str = "8030";

/// Length of an encoded signature: 64 bytes, unpadded base64url.
pub const ENCODED_LEN: usize = 86;

/// Why a label cannot be signed or its signature read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigsigError {
    /// Not GS1 data, or data GS1's rules refuse (check digits, AI associations).
    #[error("not a valid GS1 code: {0}")]
    NotGs1(String),
    /// Signing a label that already carries (8030).
    #[error("the label already carries a signature (AI 8030)")]
    AlreadySigned,
    /// (8030) present but not one Ed25519 signature in unpadded base64url.
    #[error("the label's signature (AI 8030) is malformed: {0}")]
    Malformed(String),
}

/// A label's signature as read from its code, with the data it claims to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    data: String,
    signature: [u8; 64],
    canonical: String,
}

impl Signed {
    /// The label's canonical GS1 Digital Link (whose company prefix names the brand).
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// The bytes the signature covers ([`signed_data`] of the label).
    pub fn data(&self) -> &str {
        &self.data
    }

    /// Whether `key` made this signature over this label's data.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        let sig = Signature::from_bytes(&self.signature);
        key.verify_strict(self.data.as_bytes(), &sig).is_ok()
    }
}

/// The element string a label's signature covers: every AI but (8030), path first, then the
/// data attributes in ascending AI order (see the crate docs).
pub fn signed_data(link: &DigitalLink) -> String {
    let mut attrs: Vec<&AiValue> = link.attributes().iter().filter(|a| a.ai() != AI).collect();
    attrs.sort_by_key(|a| a.ai());
    let ais: Vec<AiValue> = link.path().iter().chain(attrs).cloned().collect();
    tally_gs1::to_element_string(&ais)
}

/// The label's code as a Digital Link: a URI, a GS1 element string, or a scanner payload with
/// its symbology identifier.
fn link_of(code: &str) -> Result<DigitalLink, DigsigError> {
    let scan = tally_gs1::parse_scan_payload(code.trim().as_bytes())
        .map_err(|e| DigsigError::NotGs1(e.to_string()))?;
    scan.to_digital_link()
        .map_err(|e| DigsigError::NotGs1(e.to_string()))
}

/// `uri` (a GS1 Digital Link) with its data signed by `key` as `8030=…`, appended after its
/// other parameters. Refused when the link is not valid GS1 data, already signed, or has no key
/// that (8030) may go with (a unit needs its serial).
pub fn sign(uri: &str, key: &SignerKey) -> Result<String, DigsigError> {
    let link = DigitalLink::parse(uri.trim()).map_err(|e| DigsigError::NotGs1(e.to_string()))?;
    if link.attributes().iter().any(|a| a.ai() == AI) {
        return Err(DigsigError::AlreadySigned);
    }
    let signature = key.sign_raw(signed_data(&link).as_bytes());
    let signed = with_param(
        uri.trim(),
        &format!("{AI}={}", URL_SAFE_NO_PAD.encode(signature)),
    );
    DigitalLink::parse(&signed).map_err(|e| DigsigError::NotGs1(e.to_string()))?;
    Ok(signed)
}

/// `uri` with `param` added after its GS1 attributes and before any other parameter (a label
/// secret, a `linkType`), as Digital Links order them; a fragment stays last.
fn with_param(uri: &str, param: &str) -> String {
    let (uri, fragment) = match uri.split_once('#') {
        Some((u, f)) => (u, format!("#{f}")),
        None => (uri, String::new()),
    };
    let (base, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let is_ai = |p: &&str| {
        p.split('=')
            .next()
            .is_some_and(|k| k.bytes().all(|b| b.is_ascii_digit()))
    };
    let at = params
        .iter()
        .position(|p| !is_ai(p))
        .unwrap_or(params.len());
    params.insert(at, param);
    format!("{base}?{}{fragment}", params.join("&"))
}

/// The signature a label's code carries: `None` when it has no (8030).
pub fn read(code: &str) -> Result<Option<Signed>, DigsigError> {
    let link = link_of(code)?;
    let Some(value) = link.attributes().iter().find(|a| a.ai() == AI) else {
        return Ok(None);
    };
    let text = value.value();
    if text.len() != ENCODED_LEN {
        return Err(DigsigError::Malformed(format!(
            "{} characters, an Ed25519 signature is {ENCODED_LEN}",
            text.len()
        )));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| DigsigError::Malformed(e.to_string()))?;
    let signature: [u8; 64] = bytes
        .try_into()
        .map_err(|_| DigsigError::Malformed("not 64 bytes".into()))?;
    Ok(Some(Signed {
        data: signed_data(&link),
        signature,
        canonical: link.canonical_uri(),
    }))
}
