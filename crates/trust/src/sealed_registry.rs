//! The sealed registry: which labels a registry record is sealed for in a confidential network,
//! and what an opened entry lets its reader open next.
//!
//! One rule, applied by the device that seals a record, by every bookkeeper before it logs one
//! (a record sealed for anything else is refused), and by every reader that opens them (see
//! `tally_confidential::registry` for why these secrets):
//!
//! | record | sealed for (besides the registry secret) | links |
//! |---|---|---|
//! | registration | its organisation's key; each of its GS1 company prefixes | |
//! | certification | its device's key; its organisation's key when the role is `labelling` | its organisation's key |
//! | revocation | the revoked key | |
//! | entitlement | (members only) | |
//!
//! "Sealed for a key" means for [`subject_secret`] of it; a prefix, [`prefix_secret`]. A
//! certification links its organisation's secret because a governance-signed one (an
//! authority's) does not say that key otherwise: the holder who opened the certification can then
//! open the registration. A reader of an opened entry learns the secrets of its signer, and of
//! the key a registration registers or a certification certifies ([`opens_next`]): event →
//! device certification → organisation registration and revocations; prefix → brand →
//! label printers → their revocations.

use crate::label::LABELLING;
use crate::registry::Record;
use crate::{Entry, EntryKind};
use tally_confidential::{prefix_secret, subject_secret, LabelSecret};
use tally_tlog::VerifierKey;

/// How a registry record is sealed: the labels it is sealed for, and the secrets it links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealing {
    /// Sorted by their bytes, without repeats.
    pub seal_for: Vec<LabelSecret>,
    pub links: Vec<LabelSecret>,
}

/// How `entry`, a registry record, is sealed with the network's registry secret `member`.
/// `org_key` names a registered organisation's key by its GLN (a certification links it).
/// `None` when `entry` is not a well-formed registry record or its organisation is unknown.
pub fn sealing(
    entry: &Entry,
    member: &LabelSecret,
    org_key: impl Fn(&str) -> Option<[u8; 32]>,
) -> Option<Sealing> {
    let record: Record = serde_json::from_slice(&entry.payload).ok()?;
    let mut seal_for = vec![member.clone()];
    let mut links = Vec::new();
    match &record {
        Record::Registration { key, prefixes, .. } => {
            seal_for.push(subject_secret(&raw(key)?));
            seal_for.extend(prefixes.iter().map(|p| prefix_secret(p)));
        }
        Record::Certification {
            org, device, roles, ..
        } => {
            let org = subject_secret(&org_key(org)?);
            seal_for.push(subject_secret(&raw(device)?));
            if roles.iter().any(|r| r == LABELLING) {
                seal_for.push(org.clone());
            }
            links.push(org);
        }
        Record::Revocation { key, .. } => seal_for.extend(raw(key).map(|k| subject_secret(&k))),
        Record::Entitlement { .. } => {}
    }
    seal_for.sort_by_key(|s| *s.as_bytes());
    seal_for.dedup();
    Some(Sealing { seal_for, links })
}

/// The secrets an opened entry hands its reader: its signer's, and the key a registration
/// registers or a certification certifies.
pub fn opens_next(entry: &Entry) -> Vec<LabelSecret> {
    let mut out = vec![subject_secret(&entry.signer)];
    if entry.kind == EntryKind::Registration || entry.kind == EntryKind::Certification {
        let named = match serde_json::from_slice::<Record>(&entry.payload) {
            Ok(Record::Registration { key, .. }) => raw(&key),
            Ok(Record::Certification { device, .. }) => raw(&device),
            _ => None,
        };
        out.extend(named.map(|k| subject_secret(&k)));
    }
    out
}

/// The prefix secrets a reader of a label of GS1 key `id` (a Digital Link or a GLN) tries: one
/// per company prefix length GS1 allocates (4 to 12 digits), since the label does not say which.
pub fn prefix_candidates(id: &str) -> Vec<LabelSecret> {
    let Some(digits) = crate::registry::company_digits(id) else {
        return Vec::new();
    };
    (4..=12.min(digits.len()))
        .map(|n| prefix_secret(&digits[..n]))
        .collect()
}

fn raw(key: &str) -> Option<[u8; 32]> {
    VerifierKey::parse(key)
        .ok()
        .map(|k| *k.ed25519().as_bytes())
}
