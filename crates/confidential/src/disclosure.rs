//! Withheld fields: what the brand keeps from the holders of a label while every check still runs.
//!
//! A label holder (a shopper) reads the events of its lot, but a brand need not show it everything
//! an event says: purchase orders and invoices (`bizTransactionList`), lot master data it keeps
//! for its partners (`ilmd` members), its own extension fields. Such a field is taken out of the
//! event before it is signed and replaced by a salted commitment, exactly as SD-JWT does it
//! (RFC 9901 §4.2): the **disclosure** is base64url (no padding) of the JSON array
//! `[salt, name, value]`, its **digest** base64url of SHA-256 over the disclosure's ASCII, and
//! the digests of an object's withheld members sit in its `_sd` array (`_sd_alg: "sha-256"` at
//! the top). The device signs this commitment form; the disclosures travel in the sealed entry's
//! withheld part, which only entitled recipients (the regulator, the trading partner) and the
//! bookkeeper that checks the event can open (see `seal`).
//!
//! What can be withheld is fixed by what the verdict needs: the custody rules read the type,
//! time, bizStep, disposition, identifiers, parent and children, inputs and outputs, parties
//! shipped to, places and sensor readings, so those are never withheld, and every holder checks
//! them on its own device. The rest can be: [`withholdable`].
//!
//! Why not the `sd-jwt-payload` crate (the maintained Rust SD-JWT library): it draws salts from
//! its own thread RNG, where this core takes the caller's (sans-I/O, testable), and it brings a
//! JWT/JWS stack a Tally entry (Ed25519 over the exact event bytes) does not use; the format is
//! the few lines below, checked against RFC 9901's published example.
//!
//! **Decoy digests** (RFC 9901 §4.2.5): an object's `_sd` is padded with decoys to a multiple of
//! [`DECOY_BUCKET`], so a label holder learns that one to four of its members are withheld, not
//! how many. RFC 9901 makes a decoy the digest of a random value nobody can open; here a decoy is
//! the digest of a disclosure of the reserved name [`DECOY`] (salted like any other, value
//! `null`) that travels with the real ones in the withheld part. To a holder the two are the same
//! (a digest of unknown text); the bookkeeper, which refuses a digest nobody disclosed to it (it
//! checks the whole event), and the entitled recipients open the decoys and drop them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::CryptoRngCore;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The member of an object that lists its withheld members' digests (RFC 9901 §4.2.4.1).
pub const DIGESTS: &str = "_sd";
/// The top-level member naming the digest's hash (RFC 9901 §4.1.1).
pub const ALGORITHM: &str = "_sd_alg";
const SHA_256: &str = "sha-256";
/// The one nested object whose members are withheld one by one: lot master data.
const ILMD: &str = "ilmd";
/// An object's digests are padded with decoys to a multiple of this many.
pub const DECOY_BUCKET: usize = 4;
/// The member name a decoy's disclosure carries (value `null`): no EPCIS member starts with `_`,
/// and [`withholdable`] refuses it, so no real member can pass for a decoy.
pub const DECOY: &str = "_decoy";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DisclosureError {
    #[error("not an EPCIS event object: {0}")]
    NotAnEvent(String),
    #[error("\"{0}\" cannot be withheld: every holder checks it (only bizTransactionList, ilmd members and namespaced extension fields can be)")]
    NotWithholdable(String),
    #[error("a disclosure is base64url of a JSON array [salt, name, value]")]
    Malformed,
    #[error("_sd and _sd_alg must be what RFC 9901 says: an array of digests, \"sha-256\"")]
    Commitments,
    #[error("a disclosure of \"{0}\" matches no digest of the event, or one already disclosed")]
    NoSuchDigest(String),
    #[error("a disclosure of \"{0}\" names a member the event already has")]
    Clash(String),
}

/// One withheld member, in its RFC 9901 text form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Disclosure(String);

impl Disclosure {
    /// The disclosure of `name: value` under a fresh 128-bit salt.
    pub fn new(name: &str, value: &Value, rng: &mut impl CryptoRngCore) -> Self {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let array = Value::Array(vec![
            Value::String(URL_SAFE_NO_PAD.encode(salt)),
            Value::String(name.to_owned()),
            value.clone(),
        ]);
        Disclosure(URL_SAFE_NO_PAD.encode(array.to_string()))
    }

    /// Takes the text form, checking it is a disclosure of an object member.
    pub fn parse(text: &str) -> Result<Self, DisclosureError> {
        let d = Disclosure(text.to_owned());
        d.member()?;
        Ok(d)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// base64url(SHA-256(the disclosure's ASCII)): what the commitment form lists.
    pub fn digest(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.as_bytes()))
    }

    /// The member it discloses: its name and value.
    pub fn member(&self) -> Result<(String, Value), DisclosureError> {
        let json = URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| DisclosureError::Malformed)?;
        match serde_json::from_slice::<Value>(&json) {
            Ok(Value::Array(mut a)) if a.len() == 3 && a[0].is_string() => {
                let value = a.pop().expect("three elements");
                match a.pop() {
                    Some(Value::String(name)) if name != DIGESTS && name != "..." => {
                        Ok((name, value))
                    }
                    _ => Err(DisclosureError::Malformed),
                }
            }
            _ => Err(DisclosureError::Malformed),
        }
    }
}

/// Whether a top-level member of an event may be withheld: business documents and namespaced
/// extensions (`prefix:name`), never what a custody rule reads.
pub fn withholdable(name: &str) -> bool {
    name == "bizTransactionList" || (name.contains(':') && !name.starts_with('@'))
}

/// The commitment form of `event` (its JSON text) with the members `names` withheld, and their
/// disclosures. A name is a top-level member ([`withholdable`]), `ilmd` (every member of the lot
/// master data), or one member of `ilmd` (`cbvmda:countryOfOrigin`). Names the event does not
/// have are skipped (a brand's choice applies to every event it records). With nothing
/// withheld, the event's bytes come back unchanged.
pub fn withhold(
    event: &[u8],
    names: &[String],
    rng: &mut impl CryptoRngCore,
) -> Result<(Vec<u8>, Vec<Disclosure>), DisclosureError> {
    let mut e = object(event)?;
    let mut out = Vec::new();
    let ilmd_members: Vec<String> = match e.get(ILMD) {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let (mut top, mut ilmd) = (Vec::new(), Vec::new());
    for name in names {
        if name == ILMD {
            ilmd.extend(ilmd_members.iter().cloned());
        } else if ilmd_members.contains(name) {
            ilmd.push(name.clone());
        } else if withholdable(name) {
            top.push(name.clone());
        } else if !name.contains(':') {
            return Err(DisclosureError::NotWithholdable(name.clone()));
        }
    }
    if let Some(Value::Object(m)) = e.get_mut(ILMD) {
        conceal(m, &ilmd, rng, &mut out);
    }
    conceal(&mut e, &top, rng, &mut out);
    if out.is_empty() {
        return Ok((event.to_vec(), out));
    }
    e.insert(ALGORITHM.into(), Value::String(SHA_256.into()));
    Ok((Value::Object(e).to_string().into_bytes(), out))
}

/// Moves the members `names` of `m` into disclosures, listing their digests in `m`'s `_sd`.
fn conceal(
    m: &mut Map<String, Value>,
    names: &[String],
    rng: &mut impl CryptoRngCore,
    out: &mut Vec<Disclosure>,
) {
    let mut digests = Vec::new();
    for name in names {
        if let Some(value) = m.shift_remove(name) {
            let d = Disclosure::new(name, &value, rng);
            digests.push(d.digest());
            out.push(d);
        }
    }
    if !digests.is_empty() {
        while digests.len() % DECOY_BUCKET != 0 {
            let d = Disclosure::new(DECOY, &Value::Null, rng);
            digests.push(d.digest());
            out.push(d);
        }
        // Sorted, so the order says nothing of which member each is (RFC 9901 §4.2.4.1).
        digests.sort();
        m.insert(
            DIGESTS.into(),
            digests.into_iter().map(Value::String).collect(),
        );
    }
}

/// An event with the disclosures a reader holds put back.
#[derive(Debug, Clone, PartialEq)]
pub struct Revealed {
    /// The event as JSON text: the commitment form's members and every disclosed one, without
    /// `_sd` and `_sd_alg`.
    pub event: Vec<u8>,
    /// How many digests nobody disclosed: the members that stay withheld and, for a holder,
    /// the decoys among them (see the module docs).
    pub withheld: usize,
}

/// Puts `disclosures` back into the commitment form `event` (RFC 9901 §7.1): each must match a
/// digest of the object it belongs to, once, name a member that object does not have, and, at
/// the top, a member that may be withheld. A bookkeeper refuses an event it is not given every
/// disclosure of, so what a holder cannot open is only ever what [`withholdable`] allows (a
/// signer that hid a custody field would be refused; one that leaves it out signs another event).
pub fn reveal(event: &[u8], disclosures: &[Disclosure]) -> Result<Revealed, DisclosureError> {
    let mut e = object(event)?;
    match e.shift_remove(ALGORITHM) {
        None => {}
        Some(Value::String(a)) if a == SHA_256 => {}
        Some(_) => return Err(DisclosureError::Commitments),
    }
    let mut top = digests(&mut e)?;
    let mut ilmd = match e.get_mut(ILMD) {
        Some(Value::Object(m)) => digests(m)?,
        _ => Vec::new(),
    };
    for d in disclosures {
        let (name, value) = d.member()?;
        let digest = d.digest();
        if name == DECOY {
            if value.is_null() && (take(&mut top, &digest) || take(&mut ilmd, &digest)) {
                continue;
            }
            return Err(DisclosureError::NoSuchDigest(name));
        }
        let target = if take(&mut top, &digest) {
            if !withholdable(&name) {
                return Err(DisclosureError::NotWithholdable(name));
            }
            &mut e
        } else if take(&mut ilmd, &digest) {
            match e.get_mut(ILMD) {
                Some(Value::Object(m)) => m,
                _ => return Err(DisclosureError::NoSuchDigest(name)),
            }
        } else {
            return Err(DisclosureError::NoSuchDigest(name));
        };
        if target.contains_key(&name) {
            return Err(DisclosureError::Clash(name));
        }
        target.insert(name, value);
    }
    Ok(Revealed {
        event: Value::Object(e).to_string().into_bytes(),
        withheld: top.len() + ilmd.len(),
    })
}

/// Takes an object's `_sd` out: its digests.
fn digests(m: &mut Map<String, Value>) -> Result<Vec<String>, DisclosureError> {
    match m.shift_remove(DIGESTS) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .into_iter()
            .map(|d| match d {
                Value::String(s) => Ok(s),
                _ => Err(DisclosureError::Commitments),
            })
            .collect(),
        Some(_) => Err(DisclosureError::Commitments),
    }
}

fn take(digests: &mut Vec<String>, digest: &str) -> bool {
    match digests.iter().position(|d| d == digest) {
        Some(i) => {
            digests.swap_remove(i);
            true
        }
        None => false,
    }
}

fn object(event: &[u8]) -> Result<Map<String, Value>, DisclosureError> {
    match serde_json::from_slice(event) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(DisclosureError::NotAnEvent("not a JSON object".into())),
        Err(e) => Err(DisclosureError::NotAnEvent(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;
    use serde_json::json;

    /// RFC 9901 §4.2.1 and §4.2.3: the example disclosure of `family_name` and its digest.
    #[test]
    fn rfc_9901_example_disclosure_and_digest() {
        let d = Disclosure::parse(
            "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0",
        )
        .unwrap();
        assert_eq!(d.digest(), "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0");
        assert_eq!(
            d.member().unwrap(),
            ("family_name".to_owned(), json!("Möbius"))
        );
    }

    fn event() -> Vec<u8> {
        json!({
            "type": "ObjectEvent", "action": "ADD", "eventTime": "2026-03-01T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "epcList": ["https://id.gs1.org/01/09506000100029/21/1"],
            "bizStep": "commissioning",
            "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000009:PO-77"}],
            "ilmd": {"cbvmda:countryOfOrigin": "NZ", "cbvmda:farmList": [{"farmID": "F-12"}]},
            "@context": [{"cbvmda": "urn:epcglobal:cbv:mda:"}]
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn withheld_members_leave_only_digests_and_come_back_whole() {
        let names = [
            "bizTransactionList".to_owned(),
            "cbvmda:farmList".to_owned(),
        ];
        let (commitment, ds) = withhold(&event(), &names, &mut OsRng).unwrap();
        let text = String::from_utf8(commitment.clone()).unwrap();
        assert!(!text.contains("PO-77") && !text.contains("F-12"), "{text}");
        assert!(text.contains("countryOfOrigin"), "not withheld: {text}");
        // One member withheld at the top and one in ilmd: each object shows four digests.
        let c: Value = serde_json::from_slice(&commitment).unwrap();
        assert_eq!(c[DIGESTS].as_array().unwrap().len(), DECOY_BUCKET);
        assert_eq!(c[ILMD][DIGESTS].as_array().unwrap().len(), DECOY_BUCKET);
        assert_eq!(ds.len(), 2 * DECOY_BUCKET);
        let real: Vec<Disclosure> = (ds.iter())
            .filter(|d| d.member().unwrap().0 != DECOY)
            .cloned()
            .collect();
        assert_eq!(real.len(), 2);
        // A holder cannot tell one withheld member from four.
        assert_eq!(reveal(&commitment, &[]).unwrap().withheld, 2 * DECOY_BUCKET);
        let partial = reveal(&commitment, &real[..1]).unwrap();
        assert_eq!(partial.withheld, 2 * DECOY_BUCKET - 1);
        let full = reveal(&commitment, &ds).unwrap();
        assert_eq!(full.withheld, 0);
        assert!(!String::from_utf8(full.event.clone())
            .unwrap()
            .contains(DECOY));
        let (a, b): (Value, Value) = (
            serde_json::from_slice(&full.event).unwrap(),
            serde_json::from_slice(&event()).unwrap(),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn what_a_holder_checks_cannot_be_withheld() {
        for name in ["bizStep", "epcList", "sensorElementList", "destinationList"] {
            assert_eq!(
                withhold(&event(), &[name.to_owned()], &mut OsRng),
                Err(DisclosureError::NotWithholdable(name.to_owned()))
            );
        }
        let (same, none) = withhold(&event(), &["example:absent".into()], &mut OsRng).unwrap();
        assert_eq!((same, none.len()), (event(), 0));
    }

    #[test]
    fn a_forged_or_repeated_disclosure_is_refused() {
        let (commitment, ds) =
            withhold(&event(), &["bizTransactionList".into()], &mut OsRng).unwrap();
        let forged = Disclosure::new(
            "bizTransactionList",
            &json!([{"type": "po", "bizTransaction": "urn:x:other"}]),
            &mut OsRng,
        );
        assert!(matches!(
            reveal(&commitment, &[forged]),
            Err(DisclosureError::NoSuchDigest(_))
        ));
        let twice = [ds[0].clone(), ds[0].clone()];
        assert!(matches!(
            reveal(&commitment, &twice),
            Err(DisclosureError::NoSuchDigest(_))
        ));
        // A disclosure that names a member in the clear must not overwrite it, and a custody
        // field is never behind a digest.
        let mut e: Value = serde_json::from_slice(&commitment).unwrap();
        let clash = Disclosure::new("example:x", &json!("y"), &mut OsRng);
        let hidden = Disclosure::new("bizStep", &json!("recalling"), &mut OsRng);
        e["example:x"] = json!("in the clear");
        for d in [&clash, &hidden] {
            e[DIGESTS].as_array_mut().unwrap().push(json!(d.digest()));
        }
        let e = e.to_string();
        assert_eq!(
            reveal(e.as_bytes(), &[clash]),
            Err(DisclosureError::Clash("example:x".into()))
        );
        assert_eq!(
            reveal(e.as_bytes(), &[hidden]),
            Err(DisclosureError::NotWithholdable("bizStep".into()))
        );
        // A decoy opens only its own digest, and only as a decoy (value null).
        let (commitment, ds) =
            withhold(&event(), &["bizTransactionList".into()], &mut OsRng).unwrap();
        let decoy = (ds.iter())
            .find(|d| d.member().unwrap().0 == DECOY)
            .unwrap();
        assert_eq!(
            reveal(&commitment, std::slice::from_ref(decoy))
                .unwrap()
                .withheld,
            3
        );
        let stray = Disclosure::new(DECOY, &Value::Null, &mut OsRng);
        assert!(matches!(
            reveal(&commitment, &[stray]),
            Err(DisclosureError::NoSuchDigest(_))
        ));
        let mut e: Value = serde_json::from_slice(&commitment).unwrap();
        let valued = Disclosure::new(DECOY, &json!("x"), &mut OsRng);
        e[DIGESTS]
            .as_array_mut()
            .unwrap()
            .push(json!(valued.digest()));
        assert!(matches!(
            reveal(e.to_string().as_bytes(), &[valued]),
            Err(DisclosureError::NoSuchDigest(_))
        ));
        for bad in ["", "bm90IGpzb24", "WyJhIiwiX3NkIiwxXQ"] {
            assert_eq!(Disclosure::parse(bad), Err(DisclosureError::Malformed));
        }
    }
}
