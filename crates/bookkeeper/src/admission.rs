//! Admission: whether a submitted entry may enter the log, and under which lookup keys.
//!
//! A pure function of the bytes, the network policy and the registry built from the log so far (no
//! I/O, no clock), so every bookkeeper that holds the same log reaches the same decision, and the
//! rules are testable without a server. Signatures are checked one at a time (not batched): peers
//! must agree exactly on which entries are valid.

use crate::error::ApiError;
use axum::http::StatusCode;
use std::borrow::Cow;
use tally_confidential::{lookup_key, Disclosure, LabelSecret, RecipientKey, Submission};
use tally_epcis::RawEvent;
use tally_trust::custody::{self, Facts};
use tally_trust::registry::AuthError;
use tally_trust::{hash_id, Entry, EntryKind, Policy, Record, Registry};

/// An entry that passed every check, with the keys it is to be found under.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// The entry, opened if it came sealed.
    pub entry: Entry,
    /// The bytes to log: the entry's encoding, or the sealed entry.
    pub bytes: Vec<u8>,
    pub keys: Vec<String>,
    /// What makes it unique in the log: an event's CBV 2.0 Event Hash ID ([`identity_key`]), so
    /// one event serialised twice is logged once.
    pub identity: Option<String>,
}

/// What entries are checked against besides the registry: the network policy, and the
/// network's registry secrets, newest first: every new sealed registry record must be sealed for
/// the newest (a confidential network's bookkeepers hold them; see
/// `tally_trust::sealed_registry`), and the older ones open what was sealed before a rotation.
#[derive(Clone, Copy)]
pub struct Network<'a> {
    pub policy: &'a Policy,
    pub registry_secrets: &'a [LabelSecret],
}

/// Checks `bytes` against the network's rules and the registry.
///
/// A registry record is checked against a copy of `registry`; the sequencer checks it again with
/// [`admit_record`] against the registry that includes every record sequenced before it (records
/// depend on earlier ones: a certification on its organisation's registration).
pub fn admit(net: Network, registry: &Registry, bytes: &[u8]) -> Result<Admitted, ApiError> {
    if Submission::is(bytes) {
        return admit_sealed(net, registry, bytes);
    }
    admit_plain(net.policy, registry, bytes, None)
}

/// What a sealed entry adds to the checks of the entry inside.
#[derive(Clone, Copy)]
struct SealedFor<'a> {
    /// The recipients it is wrapped for.
    recipients: &'a [RecipientKey],
    /// The disclosures of the members its event withholds from label holders.
    withheld: &'a [Disclosure],
}

/// A plain entry, or the entry inside a sealed one (`sealed`).
fn admit_plain(
    policy: &Policy,
    registry: &Registry,
    bytes: &[u8],
    sealed: Option<SealedFor>,
) -> Result<Admitted, ApiError> {
    if bytes.len() > tally_trust::entry::MAX_ENTRY_BYTES {
        return Err(too_large());
    }
    if tally_confidential::is_sealed(bytes) {
        return Err(ApiError::bad_request(
            "sealed_without_secrets",
            "a sealed entry is checked before it is logged: submit it as a tally/sealed-submission/v1 body, with its labels' secrets",
        ));
    }
    let entry = Entry::decode(bytes)
        .map_err(|e| ApiError::bad_request("malformed_entry", format!("not a Tally entry: {e}")))?;
    // A certified device's key is already decompressed in the registry.
    let verified = match registry.certifications(&entry.signer).next() {
        Some(device) => entry.verify_signature_with(device.key.ed25519()),
        None => entry.verify_signature(),
    };
    if !verified {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_signature",
            "the entry's signature does not verify with its signer key",
        ));
    }
    let keys = match entry.kind {
        EntryKind::Event if policy.confidential && sealed.is_none() => {
            return Err(unprocessable(
                "plain_event_refused",
                "this network logs sealed events only: record the handoff from labelled codes (their label secret seals the event)".to_owned(),
            ))
        }
        EntryKind::Event => event_keys(registry, &entry, sealed)?,
        _ if policy.confidential && sealed.is_none() => {
            return Err(unprocessable(
                "plain_record_refused",
                "this network seals its registry: seal the record for the registry secret and its subjects (see `tally_trust::sealed_registry`)".to_owned(),
            ))
        }
        EntryKind::Registration
        | EntryKind::Certification
        | EntryKind::Revocation
        | EntryKind::Entitlement => {
            admit_record(policy, &mut registry.clone(), &entry)?
        }
    };
    let identity = entry.hash_id.as_deref().map(identity_key);
    Ok(Admitted {
        bytes: entry.encode(),
        entry,
        keys,
        identity,
    })
}

/// A sealed submission: the entry inside must pass every check a plain one does, a registry
/// record must be sealed exactly as `sealed_registry` says, and it is filed only under keys made
/// with its labels' secrets ([`lookup_key`]), its identity too; the secrets are dropped when this
/// returns.
fn admit_sealed(net: Network, registry: &Registry, body: &[u8]) -> Result<Admitted, ApiError> {
    let policy = net.policy;
    let sub = Submission::decode(body).map_err(|e| {
        ApiError::bad_request(
            "malformed_submission",
            format!("not a sealed submission: {e}"),
        )
    })?;
    if sub.sealed.len() > tally_trust::entry::MAX_ENTRY_BYTES {
        return Err(too_large());
    }
    // Each wrap is checked against the registry's copy of its key, with its multiples at hand.
    let recipients: Vec<_> = (sub.recipients.iter())
        .map(|(k, seed)| (registry.entitled_key(k).unwrap_or(k).clone(), *seed))
        .collect();
    let opened = sub
        .entry()
        .and_then(|sealed| sealed.open_exact(&sub.secrets, &recipients, &sub.withheld_key))
        .map_err(|e| {
            ApiError::bad_request(
                "malformed_sealed",
                format!("the sealed entry does not open: {e}"),
            )
        })?;
    let sealed = SealedFor {
        recipients: &sub.recipient_keys(),
        withheld: opened.withheld.as_deref().unwrap_or_default(),
    };
    // A registry record's sealing is checked before the registry sees it.
    if EntryKind::of(&opened.entry).is_some_and(|k| k != EntryKind::Event) {
        if let Ok(record) = Entry::decode(&opened.entry) {
            check_record_sealing(net, registry, &record, &sub, &opened)?;
        }
    }
    let plain = admit_plain(policy, registry, &opened.entry, Some(sealed))?;
    let mut keys: Vec<String> = plain
        .keys
        .iter()
        .flat_map(|k| sub.secrets.iter().map(move |s| lookup_key(s, k)))
        .collect();
    keys.sort();
    keys.dedup();
    // One secret, whichever order the wraps are in: the same event sealed again is found.
    let first = sub.secrets.iter().min_by_key(|s| *s.as_bytes());
    let identity = plain
        .identity
        .as_ref()
        .zip(first)
        .map(|(id, s)| lookup_key(s, id));
    Ok(Admitted {
        entry: plain.entry,
        bytes: sub.sealed,
        keys,
        identity,
    })
}

/// A sealed registry record must be sealed for exactly the labels, and link exactly the secrets,
/// that `sealed_registry` gives it, with the registry secret this bookkeeper holds: else a member
/// could hide a certification from the holders who must check it, or the registry from the
/// bookkeepers that rebuild it from their logs.
fn check_record_sealing(
    net: Network,
    registry: &Registry,
    entry: &Entry,
    sub: &Submission,
    opened: &tally_confidential::Opened,
) -> Result<(), ApiError> {
    let secret = net.registry_secrets.first().ok_or_else(|| {
        unprocessable(
            "no_registry_secret",
            "this bookkeeper holds no registry secret, so it cannot log a sealed registry record"
                .to_owned(),
        )
    })?;
    let org_key = |gln: &str| registry.org(gln).map(|o| *o.key.ed25519().as_bytes());
    let want = tally_trust::sealed_registry::sealing(entry, secret, org_key);
    let mut given = sub.secrets.clone();
    given.sort_by_key(|s| *s.as_bytes());
    let withheld = opened.withheld.as_deref().unwrap_or_default();
    let ok = want.is_some_and(|w| w.seal_for == given && w.links == opened.links)
        && sub.recipients.is_empty()
        && withheld.is_empty();
    match ok {
        true => Ok(()),
        false => Err(unprocessable(
            "record_sealing",
            "a registry record must be sealed for the registry secret and its subjects' keys, with no recipient and nothing withheld (see `tally_trust::sealed_registry`)".to_owned(),
        )),
    }
}

/// A sealed event must be wrapped for exactly the recipients entitled to it (in the registry's
/// order), so that no company hides its events from its regulator, nor leaks them to a key that
/// is not entitled.
fn check_recipients(
    registry: &Registry,
    facts: &Facts,
    wrapped_for: &[RecipientKey],
) -> Result<(), ApiError> {
    let entitled = registry.recipients_for(facts);
    if wrapped_for == entitled {
        return Ok(());
    }
    let names: Vec<&str> = registry
        .entitlements()
        .filter(|e| entitled.contains(&e.key))
        .map(|e| e.recipient.as_str())
        .collect();
    Err(unprocessable(
        "recipients_mismatch",
        format!(
            "the event must be wrapped for exactly the recipients entitled to it, in key order: {}",
            match names.is_empty() {
                true => "none".to_owned(),
                false => names.join(", "),
            }
        ),
    ))
}

/// The bytes a submission body logs: the sealed entry of a sealed submission, else the body.
pub fn logged_bytes(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match Submission::decode(body) {
        Ok(sub) => std::borrow::Cow::Owned(sub.sealed),
        Err(_) => std::borrow::Cow::Borrowed(body),
    }
}

/// Checks the entries of a bundle in order. A registry record admitted earlier in the bundle counts
/// for the entries after it, so one bundle can carry an organisation's registration, its devices'
/// certifications and their events, in the order they must be logged (how broadcast forwards a
/// log). The sequencer checks the records again against the registry of the log itself.
pub fn admit_bundle<B: AsRef<[u8]>>(
    net: Network,
    registry: &Registry,
    bodies: &[B],
) -> Vec<Result<Admitted, ApiError>> {
    let mut grown: Option<Registry> = None;
    bodies
        .iter()
        .map(|body| {
            let admitted = admit(net, grown.as_ref().unwrap_or(registry), body.as_ref())?;
            if admitted.entry.kind != EntryKind::Event {
                let local = grown.get_or_insert_with(|| registry.clone());
                // `admit` just checked the record against this very registry.
                let _ = local.admit(net.policy, &admitted.entry);
            }
            Ok(admitted)
        })
        .collect()
}

/// The refusal of a body over the entry size limit (the HTTP layer stops reading at the limit, so
/// the actual length is not known).
pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "the body is too large: a log entry holds at most {} bytes",
            tally_trust::entry::MAX_ENTRY_BYTES
        ),
    )
}

fn unprocessable(code: &'static str, message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// Checks an event and returns its lookup keys; a sealed one must also be wrapped for exactly its
/// entitled recipients, and the schema is checked on its whole event, withheld members put back.
fn event_keys(
    registry: &Registry,
    entry: &Entry,
    sealed: Option<SealedFor>,
) -> Result<Vec<String>, ApiError> {
    let whole = match sealed {
        Some(s) => Cow::Owned(whole_event(&entry.payload, s.withheld)?),
        None => Cow::Borrowed(&entry.payload),
    };
    tally_epcis::validate_event(&whole).map_err(|e| {
        unprocessable(
            "schema_invalid",
            format!("the event is not valid EPCIS 2.0: {e}"),
        )
    })?;
    let computed = hash_id::of_event(&entry.payload)
        .map_err(|e| unprocessable("bad_event", format!("cannot hash the event: {e}")))?;
    if entry.hash_id.as_deref() != Some(computed.as_str()) {
        return Err(unprocessable(
            "hash_id_mismatch",
            format!("the entry's event hash ID is not the event's CBV 2.0 hash ID {computed}"),
        ));
    }
    let raw = RawEvent::parse(&entry.payload)
        .map_err(|e| unprocessable("bad_event", format!("cannot read the event: {e}")))?;
    let facts = Facts::from_event(&raw.event)
        .map_err(|e| unprocessable("bad_event", format!("cannot read the event: {e}")))?;
    let signer = registry.actor(&entry.signer, &facts).map_err(auth_error)?;
    if registry.is_revoked(&entry.signer) {
        // A stolen key can claim any event time: once a revocation is logged, nothing new of
        // that key (or of its organisation's devices) is, whatever `since` says.
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "signer_revoked",
            "the signer's key (or its organisation's) has been revoked: no new entry of it is logged, whatever time it claims",
        ));
    }
    if let Some(s) = sealed {
        check_recipients(registry, &facts, s.recipients)?;
    }
    let mut keys = facts_keys(&facts, &signer.org);
    keys.extend(unit_keys(&facts));
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// A sealed event with its withheld members put back: each disclosure must match a digest of the
/// signed event, and every digest must be disclosed — a bookkeeper checks the whole event, so no
/// member is logged that nobody checked.
fn whole_event(payload: &[u8], withheld: &[Disclosure]) -> Result<Vec<u8>, ApiError> {
    let revealed = tally_confidential::reveal(payload, withheld).map_err(|e| {
        unprocessable(
            "bad_disclosure",
            format!("a withheld member does not match the signed event: {e}"),
        )
    })?;
    if revealed.withheld > 0 {
        return Err(unprocessable(
            "undisclosed_field",
            format!(
                "the event withholds {} members this bookkeeper was not given: it checks every field before logging",
                revealed.withheld
            ),
        ));
    }
    Ok(revealed.event)
}

/// The keys that lead from a lot (or GTIN) to its serialised units, which the canonical unit key
/// (GTIN + serial) cannot: [`units_key`] for every lot-qualified unit an event names (an auditor
/// traces a lot forward to its units), and [`serials_key`] for a commissioning of such units (the
/// evidence that the brand serialises the lot, or the GTIN, that a light client needs to call a
/// serial it never commissioned unknown).
fn unit_keys(facts: &Facts) -> Vec<String> {
    let mut keys: Vec<String> = facts.lots.iter().map(|l| units_key(l)).collect();
    let commissions =
        facts.biz_step.as_deref() == Some("commissioning") && facts.action == Some("ADD");
    if commissions {
        keys.extend(facts.lots.iter().map(|l| serials_key(l)));
        keys.extend(
            facts
                .ids
                .iter()
                .filter(|id| custody::serial_of(id).is_some())
                .filter_map(|id| custody::gtin_of(id))
                .map(|g| serials_key(&gtin_uri(&g))),
        );
    }
    keys
}

/// Every identifier and place an event touches, and the signer's organisation.
fn facts_keys(facts: &Facts, org: &str) -> Vec<String> {
    let mut keys: Vec<String> = facts
        .ids
        .iter()
        .chain(&facts.parent)
        .chain(&facts.children)
        .chain(&facts.inputs)
        .chain(&facts.outputs)
        .chain(&facts.place)
        .chain(&facts.ship_to)
        .cloned()
        .chain([org.to_owned()])
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn auth_error(e: AuthError) -> ApiError {
    let (code, message) = match e {
        AuthError::SignerUnknown => (
            "unknown_signer",
            "the signer is not a certified device of a registered organisation".to_owned(),
        ),
        AuthError::SignerRevoked { since } => (
            "signer_revoked",
            format!("the signer's key (or its organisation's) is revoked since {since}"),
        ),
        AuthError::LoggedAfterRevocation => (
            "signer_revoked",
            "the signer's key (or its organisation's) has been revoked".to_owned(),
        ),
        AuthError::SignerExpired { expires } => (
            "signer_expired",
            format!("the signer's certification expired at {expires}"),
        ),
        AuthError::SignerNotYetValid { valid_from } => (
            "signer_not_yet_valid",
            format!("the signer's certification starts at {valid_from}"),
        ),
        AuthError::NotAuthorisedStep { step, roles } => (
            "not_authorised",
            format!(
                "the signer may not sign business step {step:?}; its roles: {}",
                roles.join(", ")
            ),
        ),
        AuthError::NotAuthorisedPlace { place, places } => (
            "not_authorised",
            format!(
                "the signer may not sign at place {place}; its places: {}",
                places.join(", ")
            ),
        ),
    };
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}

/// Applies a registry record (signature already checked) to `registry` and returns its lookup
/// keys, or says why it may not be applied.
pub fn admit_record(
    policy: &Policy,
    registry: &mut Registry,
    entry: &Entry,
) -> Result<Vec<String>, ApiError> {
    let record = serde_json::from_slice::<Record>(&entry.payload)
        .map_err(|e| unprocessable("invalid_record", format!("not a registry record: {e}")))?;
    registry.admit(policy, entry).map_err(|reason| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "record_not_authorised",
            format!("the registry refuses the record: {reason}"),
        )
    })?;
    Ok(record_keys(&record))
}

/// The lookup keys of a registry record: [`REGISTRY_KEY`], and what a client needs to find the
/// records that authorise an event's signer (see [`registration_key`], [`certification_key`],
/// [`revocation_key`]); a certification is also found under its organisation's GLN, with the
/// organisation's events.
pub fn record_keys(record: &Record) -> Vec<String> {
    let raw = |key: &str| {
        tally_tlog::VerifierKey::parse(key)
            .ok()
            .map(|k| *k.ed25519().as_bytes())
    };
    let mut keys = vec![REGISTRY_KEY.to_owned()];
    match record {
        Record::Registration { gln, .. } => keys.push(registration_key(gln)),
        Record::Certification { org, device, .. } => {
            keys.extend(raw(device).map(|k| certification_key(&k)));
            keys.push(org.clone());
        }
        Record::Revocation { key, .. } => keys.extend(raw(key).map(|k| revocation_key(&k))),
        Record::Entitlement { .. } => {}
    }
    keys
}

pub use tally_trust::keys::{
    certification as certification_key, gtin_uri, identity as identity_key,
    registration as registration_key, revocation as revocation_key, serials as serials_key,
    units as units_key, REGISTRY as REGISTRY_KEY,
};

/// The product identifiers a lookup key names: for a Digital Link, its canonical key and lot;
/// otherwise (a GLN, `registry`) the key itself.
pub fn lookup_ids(key: &str) -> Vec<String> {
    if key.starts_with("http://") || key.starts_with("https://") || key.starts_with("urn:") {
        custody::product_ids(key)
    } else {
        vec![key.to_owned()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digital_links_look_up_their_canonical_key_and_lot() {
        let ids = lookup_ids("https://example.com/01/09506000134352/10/LOT1/21/7");
        assert!(ids.len() == 2 && ids[0].contains("/21/7") && ids[1].ends_with("/10/LOT1"));
        assert_eq!(
            lookup_ids("9506000000005"),
            vec!["9506000000005".to_owned()]
        );
        assert_eq!(lookup_ids(REGISTRY_KEY), vec![REGISTRY_KEY.to_owned()]);
    }
}
