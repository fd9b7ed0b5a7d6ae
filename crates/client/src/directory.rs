//! The registry as a warehouse screen needs it: which organisations are registered, and at which
//! places their devices are certified, to pick a place and a counterparty from; and the keys that
//! may sign labels (GS1 AI 8030), which a phone keeps to check a label offline.
//!
//! It is read from the logs like anything else: every bookkeeper's `/history?key=registry`
//! answer (or the same entries from its published files), each entry counted only with a valid
//! inclusion proof under a checkpoint that carries the log's signature and enough independent
//! cosignatures, in the logs of k distinct operators, with a valid signature; then
//! `tally_trust::Registry::build` applies the records as the verdict does (a registration only
//! from governance, a certification only from its organisation, revocations). The last directory
//! read is kept, so the screen works offline.

use crate::audit::checked_checkpoint;
use crate::evidence::parse_history;
use crate::{Client, ClientError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tally_confidential::{LabelSecret, RecipientKey};
use tally_tlog::{leaf_hash, merkle};
use tally_trust::{Entry, LabelSigner, Registry};

/// The lookup key under which bookkeepers index every registry record.
pub use tally_trust::keys::REGISTRY as REGISTRY_KEY;

/// The setting under which the last directory is kept.
const CACHE_SETTING: &str = "directory";
/// The setting under which the network's registry secret is kept.
const SECRET_SETTING: &str = "registry_secret";

/// A registered organisation and its places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryOrg {
    /// Party GLN.
    pub gln: String,
    pub name: String,
    /// ISO 3166 alpha-2.
    pub country: String,
    /// Its verifier key: a certification a member seals links to its organisation's.
    #[serde(default)]
    pub key: String,
    /// GLNs where its devices are certified (now valid, not revoked), sorted.
    pub places: Vec<String>,
    /// Its devices with a certification valid now.
    pub devices: usize,
}

/// A recipient entitled to read sealed events, as a device needs it to wrap them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryRecipient {
    pub recipient: String,
    /// `tally-recipient:…`
    pub key: String,
    /// GS1 company prefixes; empty: every event.
    pub scope: Vec<String>,
}

/// The registry, read from the logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// When it was read (Unix seconds).
    pub checked_at: i64,
    /// Whether it was read just now (false: the last one read, kept on this device).
    pub live: bool,
    /// Sorted by name.
    pub orgs: Vec<DirectoryOrg>,
    /// Registry entries some log served that are not proven in k logs.
    pub below_quorum: usize,
    /// The entitlements in force: every sealed event in a recipient's scope is wrapped for it.
    #[serde(default)]
    pub recipients: Vec<DirectoryRecipient>,
    /// The keys that may sign labels (GS1 AI 8030), kept so that a label is checked offline.
    #[serde(default)]
    pub label_signers: Vec<LabelSigner>,
}

/// The directory of `registry`'s organisations at `now` (sans-I/O).
pub fn directory(registry: &Registry, now: i64, below_quorum: usize) -> Directory {
    let at =
        time::OffsetDateTime::from_unix_timestamp(now).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let revoked = |key: &[u8; 32]| registry.revoked_since(key).is_some_and(|since| since <= at);
    let mut orgs: Vec<DirectoryOrg> = registry
        .orgs
        .iter()
        .filter(|o| !revoked(o.key.ed25519().as_bytes()))
        .map(|o| {
            let valid: Vec<_> = registry
                .devices()
                .iter()
                .filter(|d| d.org == o.gln)
                .filter(|d| d.valid_from <= at && at < d.expires)
                .filter(|d| !revoked(d.key.ed25519().as_bytes()))
                .collect();
            let places: BTreeSet<String> = valid
                .iter()
                .flat_map(|d| d.places.iter().cloned())
                .collect();
            let devices: BTreeSet<String> = valid.iter().map(|d| d.key.to_string()).collect();
            DirectoryOrg {
                gln: o.gln.clone(),
                name: o.name.clone(),
                country: o.country.clone(),
                key: o.key.to_string(),
                places: places.into_iter().collect(),
                devices: devices.len(),
            }
        })
        .collect();
    orgs.sort_by(|a, b| a.name.cmp(&b.name).then(a.gln.cmp(&b.gln)));
    orgs.dedup_by(|a, b| a.gln == b.gln);
    let recipients = registry
        .entitlements()
        .map(|e| DirectoryRecipient {
            recipient: e.recipient.clone(),
            key: e.key.to_string(),
            scope: e.scope.clone(),
        })
        .collect();
    Directory {
        checked_at: now,
        live: true,
        orgs,
        below_quorum,
        recipients,
        label_signers: registry.label_signers(),
    }
}

impl Directory {
    /// The recipients an event with custody facts `f` must be wrapped for, sorted (the order
    /// bookkeepers check them in; see `Registry::recipients_for`).
    pub fn recipients_for(&self, f: &tally_trust::custody::Facts) -> Vec<RecipientKey> {
        let mut keys: Vec<RecipientKey> = self
            .recipients
            .iter()
            .filter(|r| tally_trust::registry::in_scope(&r.scope, f))
            .filter_map(|r| RecipientKey::parse(&r.key).ok())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

impl Client {
    /// Reads the registry from every bookkeeper at once and keeps it; when the bookkeepers of
    /// fewer than k operators answer, returns the one read last (`live: false`), or an empty one.
    /// A confidential network's registry is sealed: a member reads it with the registry secret it
    /// installed ([`Client::install_registry_secret`]); without it, this reads nothing.
    pub async fn directory(&self, now: i64) -> Result<Directory, ClientError> {
        let secrets = self.registry_secrets()?;
        let Some((entries, below_quorum)) = self.read_registry(secrets, false).await else {
            // The logs of fewer than k operators prove nothing: such a read would lose every
            // record (entitlements too, and a device would then seal for nobody), so the last
            // one stands.
            return self.last_directory(now);
        };
        let refs: Vec<&Entry> = entries.iter().collect();
        let dir = directory(&Registry::build(&self.policy, &refs), now, below_quorum);
        if let Ok(json) = serde_json::to_string(&dir) {
            self.store()?.set_setting(CACHE_SETTING, &json)?;
        }
        Ok(dir)
    }

    /// The registry records filed under `secrets` (none: the plain registry), each counted only
    /// with a valid inclusion proof under a checkpoint that carries the log's signature and
    /// enough cosignatures, in the logs of k operators, with a valid signature; sealed ones
    /// opened. With `follow`, the secrets the records opened hand on are read in turn (a brand's
    /// registration leads to its label printers, see `tally_trust::sealed_registry`), a few
    /// rounds at most. `None` when the logs of fewer than k operators answered; else the entries
    /// and how many served entries fell short of k logs.
    pub(crate) async fn read_registry(
        &self,
        secrets: Vec<LabelSecret>,
        follow: bool,
    ) -> Option<(Vec<Entry>, usize)> {
        /// Rounds of following: prefix → brand → label printers → their revocations.
        const ROUNDS: usize = 4;
        let mut known = secrets.clone();
        let mut asking = secrets;
        // Per leaf: its bytes and the operators whose logs prove it.
        let mut proven: BTreeMap<[u8; 32], (Vec<u8>, BTreeSet<String>)> = BTreeMap::new();
        let mut usable: BTreeSet<String> = BTreeSet::new();
        for round in 0..ROUNDS {
            for chunk in chunks(&asking, round) {
                self.read_under(chunk, &mut proven, &mut usable).await;
            }
            if !follow {
                break;
            }
            let opened = open_records(proven.values().map(|(b, _)| b.as_slice()), &known);
            let next: Vec<LabelSecret> = opened
                .iter()
                .flat_map(tally_trust::sealed_registry::opens_next)
                .filter(|s| !known.contains(s))
                .collect();
            if next.is_empty() {
                break;
            }
            known.extend(next.iter().cloned());
            asking = next;
            asking.dedup();
        }
        if usable.len() < self.policy.log_quorum {
            return None;
        }
        let below_quorum = proven
            .values()
            .filter(|(_, ops)| ops.len() < self.policy.log_quorum)
            .count();
        let counted = proven
            .values()
            .filter(|(_, ops)| ops.len() >= self.policy.log_quorum)
            .map(|(b, _)| b.as_slice());
        let entries = open_records(counted, &known)
            .into_iter()
            .filter(|e| e.kind != tally_trust::EntryKind::Event && e.verify_signature())
            .collect();
        Some((entries, below_quorum))
    }

    /// One read of the registry filed under `secrets` from every bookkeeper, from the published
    /// files where the policy names them: the proven entries added to `proven`, the operators
    /// whose checkpoints checked to `usable`.
    async fn read_under(
        &self,
        secrets: &[LabelSecret],
        proven: &mut BTreeMap<[u8; 32], (Vec<u8>, BTreeSet<String>)>,
        usable: &mut BTreeSet<String>,
    ) {
        let fetches = self.policy.bookkeepers.iter().map(|bk| async move {
            match &bk.tiles {
                Some(tiles) => (self.http)
                    .tiled_history(bk, tiles, REGISTRY_KEY, 0, secrets)
                    .await
                    .ok(),
                None => {
                    let body = self.http.history(bk, REGISTRY_KEY, 0, secrets).await.ok()?;
                    parse_history(&bk.name, &body, 0).ok()
                }
            }
        });
        let answers: Vec<_> = futures_util::future::join_all(fetches)
            .await
            .into_iter()
            .flatten()
            .collect();
        for ev in &answers {
            let Some(bk) = self.policy.bookkeeper(&ev.bookkeeper) else {
                continue;
            };
            let Ok((v, _)) = checked_checkpoint(&self.policy, bk, &ev.checkpoint) else {
                continue;
            };
            usable.insert(bk.operator.clone());
            let cp = &v.checkpoint;
            for pe in &ev.entries {
                let leaf = leaf_hash(&pe.bytes);
                if merkle::verify_inclusion(pe.index, cp.size(), &leaf, &pe.proof, cp.hash())
                    .is_ok()
                {
                    proven
                        .entry(leaf.0)
                        .or_insert_with(|| (pe.bytes.clone(), BTreeSet::new()))
                        .1
                        .insert(bk.operator.clone());
                }
            }
        }
    }

    /// The network's registry secret, if this device was given it: the newest, which it seals
    /// the registry records it sends for.
    pub fn registry_secret(&self) -> Result<Option<LabelSecret>, ClientError> {
        Ok(self.registry_secrets()?.into_iter().next())
    }

    /// Every registry secret this device was given, the newest first: the older ones open what
    /// was logged before governance rotated the secret.
    pub fn registry_secrets(&self) -> Result<Vec<LabelSecret>, ClientError> {
        let text = self.store()?.setting(SECRET_SETTING)?.unwrap_or_default();
        Ok(tally_confidential::registry_secrets(&text).unwrap_or_default())
    }

    /// Keeps the network's registry secret, which governance gives its members with the policy:
    /// what opens a confidential network's sealed registry (see `tally_trust::sealed_registry`).
    /// It becomes the newest; the ones installed before are kept after it.
    pub fn install_registry_secret(&self, secret: &LabelSecret) -> Result<(), ClientError> {
        let mut all = vec![secret.clone()];
        all.extend(self.registry_secrets()?.into_iter().filter(|s| s != secret));
        let text: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        self.store()?.set_setting(SECRET_SETTING, &text.join("\n"))
    }

    /// The directory read last (`live: false`), or an empty one.
    fn last_directory(&self, now: i64) -> Result<Directory, ClientError> {
        Ok(self.cached_directory()?.unwrap_or(Directory {
            checked_at: now,
            live: false,
            orgs: vec![],
            below_quorum: 0,
            recipients: vec![],
            label_signers: vec![],
        }))
    }

    /// The directory read last, if any (`live: false`).
    pub fn cached_directory(&self) -> Result<Option<Directory>, ClientError> {
        Ok(self
            .store()?
            .setting(CACHE_SETTING)?
            .and_then(|s| serde_json::from_str::<Directory>(&s).ok())
            .map(|d| Directory { live: false, ..d }))
    }
}

/// The secrets of one round, in requests a bookkeeper accepts (at most 16 secrets each); the
/// first round asks once even with none (the plain registry).
fn chunks(secrets: &[LabelSecret], round: usize) -> Vec<&[LabelSecret]> {
    match (secrets.is_empty(), round) {
        (true, 0) => vec![&[]],
        _ => secrets.chunks(16).collect(),
    }
}

/// The entries among `logged` that are plain, or open with `secrets`, decoded.
fn open_records<'a>(logged: impl Iterator<Item = &'a [u8]>, secrets: &[LabelSecret]) -> Vec<Entry> {
    logged
        .filter_map(|bytes| match tally_confidential::is_sealed(bytes) {
            true => tally_confidential::open(bytes, secrets)
                .ok()
                .map(|o| o.entry),
            false => Some(bytes.to_vec()),
        })
        .filter_map(|plain| Entry::decode(&plain).ok())
        .collect()
}
