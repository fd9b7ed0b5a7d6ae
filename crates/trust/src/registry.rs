//! Participants: organisations, their certified devices, and revocations — all of them log entries.
//!
//! Governance registers organisations; an organisation certifies its devices for roles (the CBV
//! business steps they may sign) and places (the GLNs where they may sign them), for a period;
//! governance or the organisation revokes keys. Governance may also certify a device of a
//! registered organisation itself: such a device is an *authority* (a regulator's inspector, a
//! food-safety agency), whose events about a product count without it ever holding the product
//! (see `custody`). Because these records live in the same logs as the
//! events, a client checks them the same way (signature, inclusion in k logs) and an auditor can see
//! who was allowed to do what, when.
//!
//! Payloads are JSON, kept as original bytes inside the entry:
//! ```json
//! {"type":"registration","gln":"9506000000005","name":"Waikato Dairy","country":"NZ","key":"<vkey>",
//!  "domains":["dairy.example"]}
//! {"type":"certification","org":"9506000000005","device":"<vkey>","roles":["shipping"],
//!  "places":["9506000000012"],"valid_from":"2026-01-01T00:00:00Z","expires":"2027-01-01T00:00:00Z"}
//! {"type":"revocation","key":"<vkey>","since":"2026-06-01T00:00:00Z","reason":"device lost"}
//! ```
//! `domains` (optional) are the hosts of the organisation's own GS1 Digital Link resolvers: a
//! label whose link points elsewhere is flagged (a copied code behind a look-alike domain).
//!
//! A revocation takes effect twice over. By claimed time: events whose time is at or after
//! `since` are not authorised. By log order, because a stolen key can claim any time: once a
//! revocation is logged, bookkeepers refuse every new entry of that key, and a verifier counts a
//! log's copy of an event only if the log holds it *before* the revocation (logs order entries
//! differently, so this is judged per log; see `verdict`).

use crate::custody::{Actor, Facts};
use crate::entry::{Entry, EntryKind};
use crate::policy::Policy;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tally_confidential::RecipientKey;
use tally_tlog::{Hash, KeyType, VerifierKey};
use time::OffsetDateTime;

/// A registration, certification or revocation payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Record {
    Registration {
        /// The organisation's party GLN (13 digits).
        gln: String,
        name: String,
        /// ISO 3166 alpha-2.
        country: String,
        /// The organisation's signing key (type 0x01 verifier key string).
        key: String,
        /// Hosts of the organisation's Digital Link resolvers (lower case, no scheme).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        domains: Vec<String>,
        /// The GS1 company prefixes licensed to it: the products whose labels its `labelling`
        /// devices may sign (GS1 AI 8030; see `label`). Governance vouches for them, so a member
        /// cannot sign labels of another brand's products.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        prefixes: Vec<String>,
    },
    Certification {
        org: String,
        device: String,
        /// CBV business steps the device may sign (bare words: `shipping`, `receiving`, …).
        roles: Vec<String>,
        /// GLNs where the device may sign them.
        places: Vec<String>,
        #[serde(with = "time::serde::rfc3339")]
        valid_from: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        expires: OffsetDateTime,
    },
    Revocation {
        key: String,
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
        reason: String,
    },
    /// A recipient entitled by governance to read every sealed event in its scope: each such
    /// event's content key must be wrapped for its key (bookkeepers refuse one that is not).
    /// Revoked by a governance revocation of the same key; in force in log order, from when it is
    /// logged until then.
    Entitlement {
        /// Who it is: "Food Safety Authority", "Certification body X".
        recipient: String,
        /// Its X25519 key (`tally-recipient:…`).
        key: String,
        /// GS1 company prefixes of the products, pallets and places whose events it may read;
        /// empty: every event.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        scope: Vec<String>,
    },
}

impl Record {
    /// The entry kind this record is logged as.
    pub fn kind(&self) -> EntryKind {
        match self {
            Record::Registration { .. } => EntryKind::Registration,
            Record::Certification { .. } => EntryKind::Certification,
            Record::Revocation { .. } => EntryKind::Revocation,
            Record::Entitlement { .. } => EntryKind::Entitlement,
        }
    }

    /// The payload bytes to sign.
    pub fn to_payload(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A registered organisation.
#[derive(Debug, Clone)]
pub struct Org {
    pub gln: String,
    pub name: String,
    pub country: String,
    pub key: VerifierKey,
    /// Hosts of its Digital Link resolvers.
    pub domains: Vec<String>,
    /// GS1 company prefixes licensed to it.
    pub prefixes: Vec<String>,
    /// Leaf hash of the registration entry.
    pub entry: Hash,
}

/// A logged revocation.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// The revoked Ed25519 public key.
    pub key: [u8; 32],
    pub since: OffsetDateTime,
    /// Leaf hash of the revocation entry (its position differs per log).
    pub entry: Hash,
}

/// A recipient entitled to read sealed events.
#[derive(Debug, Clone)]
pub struct Entitled {
    pub recipient: String,
    pub key: RecipientKey,
    pub scope: Vec<String>,
    pub entry: Hash,
}

impl Entitled {
    /// Whether an event with custody facts `f` is in its scope: one of the GS1 keys it names
    /// (products, lots, pallets, places) has a company prefix in the scope.
    pub fn covers(&self, f: &Facts) -> bool {
        in_scope(&self.scope, f)
    }
}

/// Whether an event with custody facts `f` is in an entitlement scope of GS1 company prefixes
/// (empty: every event): one of the keys it names has a prefix in it. The one rule devices and
/// bookkeepers both apply.
pub fn in_scope(scope: &[String], f: &Facts) -> bool {
    scope.is_empty()
        || f.keys().any(|id| {
            company_digits(id).is_some_and(|d| scope.iter().any(|p| d.starts_with(p.as_str())))
        })
}

/// Whether `p` has the shape of a GS1 company prefix: 4 to 12 digits.
pub fn is_company_prefix(p: &str) -> bool {
    (4..=12).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit())
}

/// The digits of a GS1 key that begin with its company prefix: a GTIN-14's or an SSCC's after
/// its first digit (indicator, extension), a GLN's whole; for Digital Links and plain GLNs.
pub(crate) fn company_digits(id: &str) -> Option<&str> {
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if digits(id) && id.len() == 13 {
        return Some(id);
    }
    for (ai, len, skip) in [
        ("/01/", 14, 1),
        ("/00/", 18, 1),
        ("/414/", 13, 0),
        ("/417/", 13, 0),
    ] {
        if let Some(rest) = id.split_once(ai).map(|(_, r)| r) {
            let key = rest.get(..len).filter(|k| digits(k))?;
            return Some(&key[skip..]);
        }
    }
    None
}

/// A certified device.
#[derive(Debug, Clone)]
pub struct Device {
    pub key: VerifierKey,
    pub org: String,
    pub roles: Vec<String>,
    pub places: Vec<String>,
    pub valid_from: OffsetDateTime,
    pub expires: OffsetDateTime,
    /// Certified by governance rather than by its organisation: an authority whose statements
    /// about a product count without custody.
    pub authority: bool,
    pub entry: Hash,
}

/// A record that was logged but does not count, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub entry: String,
    pub reason: String,
}

/// Why a signer may not sign an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AuthError {
    SignerUnknown,
    SignerRevoked {
        since: String,
    },
    /// The logs of fewer than k operators hold the event before the signer's revocation: it was
    /// logged after the key (or its organisation's) was revoked, whatever time it claims.
    LoggedAfterRevocation,
    SignerExpired {
        expires: String,
    },
    SignerNotYetValid {
        valid_from: String,
    },
    NotAuthorisedStep {
        step: String,
        roles: Vec<String>,
    },
    NotAuthorisedPlace {
        place: String,
        places: Vec<String>,
    },
}

/// Everyone the logs say may sign, built from verified registry entries.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub orgs: Vec<Org>,
    /// Certifications, in the order applied; [`Registry::certifications`] finds a key's.
    devices: Vec<Device>,
    /// Positions in `devices` of each device key's certifications: a bookkeeper authorises every
    /// event it admits, and a network has thousands of devices.
    by_key: HashMap<[u8; 32], Vec<usize>>,
    /// Revoked public keys, the time from which they are revoked, and the revocation entries.
    pub revoked: Vec<Revoked>,
    /// Entitled recipients, in the order applied (revoked ones included).
    entitlements: Vec<Entitled>,
    /// Recipient keys governance revoked.
    revoked_recipients: Vec<RecipientKey>,
    /// Logged records that do not count (wrong signer, malformed).
    pub rejected: Vec<Rejected>,
}

fn parse_key(s: &str) -> Result<VerifierKey, String> {
    let k = VerifierKey::parse(s).map_err(|e| e.to_string())?;
    if k.kind() != KeyType::Ed25519 {
        return Err("key must be of type 0x01".into());
    }
    Ok(k)
}

impl Registry {
    /// Builds the registry from entries whose signatures and log inclusion were already checked.
    ///
    /// Records are applied kind by kind (registrations, then certifications, then revocations), so
    /// the result does not depend on the order in which logs returned them.
    pub fn build(policy: &Policy, entries: &[&Entry]) -> Registry {
        let mut r = Registry::default();
        let mut sorted: Vec<&Entry> = entries
            .iter()
            .copied()
            .filter(|e| e.kind != EntryKind::Event)
            .collect();
        sorted.sort_by_key(|e| e.kind);
        for e in sorted {
            if let Err(reason) = r.apply(policy, e) {
                r.rejected.push(Rejected {
                    entry: e.leaf_hash().to_string(),
                    reason,
                });
            }
        }
        r
    }

    /// Applies one registry record (registration, certification or revocation) whose signature the
    /// caller already checked, in log order: what a bookkeeper does when it admits a record, so that
    /// it refuses a record a client's [`Registry::build`] would reject.
    pub fn admit(&mut self, policy: &Policy, e: &Entry) -> Result<(), String> {
        self.apply(policy, e)
    }

    fn apply(&mut self, policy: &Policy, e: &Entry) -> Result<(), String> {
        let record: Record =
            serde_json::from_slice(&e.payload).map_err(|err| format!("malformed record: {err}"))?;
        if record.kind() != e.kind {
            return Err("record type does not match the entry kind".into());
        }
        match record {
            Record::Registration {
                gln,
                name,
                country,
                key,
                domains,
                prefixes,
            } => {
                if !policy.is_governance(&e.signer) {
                    return Err("registration not signed by a governance key".into());
                }
                if !prefixes.iter().all(|p| is_company_prefix(p)) {
                    return Err("a GS1 company prefix is 4 to 12 digits".into());
                }
                let key = parse_key(&key)?;
                if self.org(&gln).is_some() {
                    return Err(format!("organisation {gln} is already registered"));
                }
                self.orgs.push(Org {
                    gln,
                    name,
                    country,
                    key,
                    domains: domains.iter().map(|d| d.to_ascii_lowercase()).collect(),
                    prefixes,
                    entry: e.leaf_hash(),
                });
            }
            Record::Certification {
                org,
                device,
                roles,
                places,
                valid_from,
                expires,
            } => {
                let o = self
                    .org(&org)
                    .ok_or_else(|| format!("certification for unregistered organisation {org}"))?;
                let authority = policy.is_governance(&e.signer);
                if o.key.ed25519().as_bytes() != &e.signer && !authority {
                    return Err(format!(
                        "certification signed neither by {org}'s key nor by governance"
                    ));
                }
                if self.revoked_since(&e.signer).is_some() {
                    return Err("certification signed by a revoked key".into());
                }
                let key = parse_key(&device)?;
                self.by_key
                    .entry(*key.ed25519().as_bytes())
                    .or_default()
                    .push(self.devices.len());
                self.devices.push(Device {
                    key,
                    org,
                    roles,
                    places,
                    valid_from,
                    expires,
                    authority,
                    entry: e.leaf_hash(),
                });
            }
            Record::Revocation { key, .. } if key.starts_with("tally-recipient:") => {
                if !policy.is_governance(&e.signer) {
                    return Err("an entitlement is revoked by governance only".into());
                }
                let key = RecipientKey::parse(&key).map_err(|e| e.to_string())?;
                self.revoked_recipients.push(key);
            }
            Record::Entitlement {
                recipient,
                key,
                scope,
            } => {
                if !policy.is_governance(&e.signer) {
                    return Err("entitlement not signed by a governance key".into());
                }
                // Checked on every sealed event in scope: its multiples are worth keeping.
                let key = RecipientKey::parse(&key)
                    .map_err(|e| e.to_string())?
                    .precomputing();
                if scope
                    .iter()
                    .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
                {
                    return Err("an entitlement's scope is GS1 company prefixes (digits)".into());
                }
                self.entitlements.push(Entitled {
                    recipient,
                    key,
                    scope,
                    entry: e.leaf_hash(),
                });
            }
            Record::Revocation { key, since, .. } => {
                let k = parse_key(&key)?;
                let target = *k.ed25519().as_bytes();
                let org_of_target = self
                    .certifications(&target)
                    .next()
                    .map(|d| d.org.clone())
                    .or_else(|| {
                        self.orgs
                            .iter()
                            .find(|o| o.key.ed25519().as_bytes() == &target)
                            .map(|o| o.gln.clone())
                    });
                let by_owner = org_of_target
                    .and_then(|gln| {
                        self.org(&gln)
                            .map(|o| o.key.ed25519().as_bytes() == &e.signer)
                    })
                    .unwrap_or(false);
                if !(by_owner || policy.is_governance(&e.signer)) {
                    return Err(
                        "revocation signed neither by governance nor by the key's organisation"
                            .into(),
                    );
                }
                self.revoked.push(Revoked {
                    key: target,
                    since,
                    entry: e.leaf_hash(),
                });
            }
        }
        Ok(())
    }

    /// Every certification of a device key, in the order applied.
    pub fn certifications<'a>(&'a self, key: &[u8; 32]) -> impl Iterator<Item = &'a Device> {
        self.by_key
            .get(key)
            .into_iter()
            .flatten()
            .map(|&i| &self.devices[i])
    }

    /// Every certification, in the order applied.
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// The entitlements in force (not revoked).
    pub fn entitlements(&self) -> impl Iterator<Item = &Entitled> {
        self.entitlements
            .iter()
            .filter(|e| !self.revoked_recipients.contains(&e.key))
    }

    /// The registry's own copy of an entitled key (in force), which keeps its precomputed
    /// multiples between checks.
    pub fn entitled_key(&self, key: &RecipientKey) -> Option<&RecipientKey> {
        self.entitlements().map(|e| &e.key).find(|k| *k == key)
    }

    /// The recipients a sealed event with custody facts `f` must be wrapped for: every
    /// entitlement in force whose scope covers it, each key once, sorted (the order of the wraps).
    pub fn recipients_for(&self, f: &Facts) -> Vec<RecipientKey> {
        let mut keys: Vec<RecipientKey> = self
            .entitlements()
            .filter(|e| e.covers(f))
            .map(|e| e.key.clone())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The organisation with this GLN.
    pub fn org(&self, gln: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.gln == gln)
    }

    /// The earliest revocation time of a key.
    pub fn revoked_since(&self, key: &[u8; 32]) -> Option<OffsetDateTime> {
        self.revocations_of(key).map(|r| r.since).min()
    }

    /// Every logged revocation of `key`.
    pub fn revocations_of<'a>(&'a self, key: &'a [u8; 32]) -> impl Iterator<Item = &'a Revoked> {
        self.revoked.iter().filter(move |r| &r.key == key)
    }

    /// The revocations that stop `signer` from signing: its own and its organisation's (for
    /// every organisation that certified it).
    pub fn revocations_against<'a>(&'a self, signer: &'a [u8; 32]) -> Vec<&'a Revoked> {
        let mut out: Vec<&Revoked> = self.revocations_of(signer).collect();
        for d in self.certifications(signer) {
            if let Some(o) = self.org(&d.org) {
                out.extend(self.revocations_of(o.key.ed25519().as_bytes()));
            }
        }
        out
    }

    /// Whether any revocation stops `signer` (whatever its `since`): a bookkeeper refuses every
    /// new entry of such a key, since a stolen key can claim any event time.
    pub fn is_revoked(&self, signer: &[u8; 32]) -> bool {
        !self.revocations_against(signer).is_empty()
    }

    /// The organisations whose domains include `host` (lower case).
    pub fn orgs_with_domain<'a>(&'a self, host: &'a str) -> impl Iterator<Item = &'a Org> {
        self.orgs
            .iter()
            .filter(move |o| o.domains.iter().any(|d| d == host))
    }

    /// Who signed an event whose custody facts are `f`, if `signer` may sign it (see
    /// [`Registry::authorise`]): what the custody walk needs to know of the signer.
    pub fn actor(&self, signer: &[u8; 32], f: &Facts) -> Result<Actor, AuthError> {
        let d = self.authorise(signer, f.biz_step.as_deref(), f.place.as_deref(), f.time)?;
        Ok(Actor {
            org: d.org.clone(),
            authority: d.authority,
        })
    }

    /// Checks that `signer` may sign `step` at `place` (a GLN) at `at`, and returns its certification.
    ///
    /// Several certifications of one key (renewals, extra roles) are tried in turn; the most telling
    /// refusal is returned when none fits.
    pub fn authorise(
        &self,
        signer: &[u8; 32],
        step: Option<&str>,
        place: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<&Device, AuthError> {
        let certs: Vec<&Device> = self.certifications(signer).collect();
        if certs.is_empty() {
            return Err(AuthError::SignerUnknown);
        }
        let fmt = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        if let Some(since) = self.revoked_since(signer) {
            if at >= since {
                return Err(AuthError::SignerRevoked { since: fmt(since) });
            }
        }
        let mut refusal = AuthError::SignerUnknown;
        for d in certs {
            if let Some(since) = self
                .org(&d.org)
                .and_then(|o| self.revoked_since(o.key.ed25519().as_bytes()))
            {
                if at >= since {
                    refusal = AuthError::SignerRevoked { since: fmt(since) };
                    continue;
                }
            }
            if at < d.valid_from {
                refusal = AuthError::SignerNotYetValid {
                    valid_from: fmt(d.valid_from),
                };
                continue;
            }
            if at >= d.expires {
                refusal = AuthError::SignerExpired {
                    expires: fmt(d.expires),
                };
                continue;
            }
            let step = step.unwrap_or("");
            if !d.roles.iter().any(|r| r == step) {
                refusal = AuthError::NotAuthorisedStep {
                    step: step.to_owned(),
                    roles: d.roles.clone(),
                };
                continue;
            }
            let place = place.unwrap_or("");
            if !d.places.iter().any(|p| p == place) {
                refusal = AuthError::NotAuthorisedPlace {
                    place: place.to_owned(),
                    places: d.places.clone(),
                };
                continue;
            }
            return Ok(d);
        }
        Err(refusal)
    }
}
