//! What an entitled recipient — an auditor, a food-safety regulator — reads: every sealed event
//! in its scope, whatever product, without any label.
//!
//! Nothing is indexed for a recipient (a lookup key for it would tell everyone which entries it
//! may read), so it reads as a monitor does: every bookkeeper's whole log, tile by tile, checked
//! against that log's signed, witnessed checkpoint (the entries must hash to its root), and opens
//! what is wrapped for its key. An entry counts once the logs of k operators hold it, as for a
//! shopper; the registry comes from the same logs.

use crate::audit::{activity_of, checked_checkpoint, Activity, Proven};
use crate::fetch::FetchError;
use crate::{Client, ClientError};
use std::collections::BTreeMap;
use tally_confidential::RecipientSecret;
use tally_tlog::tiles::{decode_entry_bundle, TileKind, TilePath, TILE_WIDTH};
use tally_tlog::{leaf_hash, CompactTree};
use tally_trust::policy::Bookkeeper;
use tally_trust::{Entry, EntryKind, Registry};

/// Most entries read from one log: a recipient's read is bounded like any answer.
const MAX_ENTRIES: u64 = 1_000_000;

impl Client {
    /// The activity of organisation `gln` (the events its devices signed) that recipient `me`
    /// may read in every bookkeeper's log.
    pub async fn activity_as(
        &self,
        me: &RecipientSecret,
        gln: &str,
    ) -> Result<Activity, ClientError> {
        let reads = self.policy.bookkeepers.iter().map(|bk| self.whole_log(bk));
        let mut proven: BTreeMap<[u8; 32], Proven> = BTreeMap::new();
        for (bk, log) in self
            .policy
            .bookkeepers
            .iter()
            .zip(futures_util::future::join_all(reads).await)
        {
            let Ok(entries) = log else { continue };
            for bytes in entries {
                let (plain, disclosures) = match tally_confidential::is_sealed(&bytes) {
                    true => match tally_confidential::open_as(&bytes, me) {
                        Ok(o) => (o.entry, o.withheld.unwrap_or_default()),
                        Err(_) => continue,
                    },
                    false => (bytes.clone(), vec![]),
                };
                let slot = proven.entry(leaf_hash(&bytes).0).or_insert_with(|| Proven {
                    bytes: plain,
                    disclosures,
                    logs: vec![],
                    operators: Default::default(),
                });
                slot.logs.push(bk.name.clone());
                slot.operators.insert(bk.operator.clone());
            }
        }
        let registry = self.registry_of(&proven, &self.sealed_records_of(&proven).await?);
        let by_org = |e: &Entry| {
            e.kind != EntryKind::Event || registry.certifications(&e.signer).any(|d| d.org == gln)
        };
        let mut activity = activity_of(self.policy.log_quorum, gln, proven, &by_org);
        // A sealed registration is not among the entries read: named from the registry.
        if activity.name.is_none() {
            activity.name = registry.org(gln).map(|o| o.name.clone());
        }
        Ok(activity)
    }

    /// The registry the records among `proven` (those k operators' logs hold) and `sealed` build.
    fn registry_of(&self, proven: &BTreeMap<[u8; 32], Proven>, sealed: &[Entry]) -> Registry {
        let mut records: Vec<Entry> = proven
            .values()
            .filter(|p| p.operators.len() >= self.policy.log_quorum)
            .filter_map(|p| Entry::decode(&p.bytes).ok())
            .filter(|e| e.kind != EntryKind::Event && e.verify_signature())
            .collect();
        records.extend(sealed.iter().cloned());
        Registry::build(&self.policy, &records.iter().collect::<Vec<_>>())
    }

    /// On a confidential network, the sealed registry records of the signers of the events in
    /// `proven`: read as a holder reads them, under each signer's secret and what those open
    /// (`tally_trust::sealed_registry`), and under the registry secret if this device has it.
    /// Nothing is indexed for a recipient, but these keys are a signer's, not the recipient's.
    async fn sealed_records_of(
        &self,
        proven: &BTreeMap<[u8; 32], Proven>,
    ) -> Result<Vec<Entry>, ClientError> {
        if !self.policy.confidential {
            return Ok(Vec::new());
        }
        let signers: std::collections::BTreeSet<[u8; 32]> = proven
            .values()
            .filter_map(|p| Entry::decode(&p.bytes).ok())
            .filter(|e| e.kind == EntryKind::Event)
            .map(|e| e.signer)
            .collect();
        let mut secrets = self.registry_secrets()?;
        secrets.extend(signers.iter().map(tally_confidential::subject_secret));
        Ok(self
            .read_registry(secrets, true)
            .await
            .map(|(entries, _)| entries)
            .unwrap_or_default())
    }

    /// Every entry of `bk`'s log under its latest checkpoint, which must carry the log's
    /// signature and enough witnesses, and whose root the entries must hash to; from the log's
    /// published files when it has them, so a whole-log read never reaches its sequencer.
    async fn whole_log(&self, bk: &Bookkeeper) -> Result<Vec<Vec<u8>>, FetchError> {
        let note = self.http.published(bk, "checkpoint").await?;
        let (v, _) = checked_checkpoint(&self.policy, bk, &note)
            .map_err(|e| FetchError::Malformed(format!("checkpoint: {e}")))?;
        let size = v.checkpoint.size();
        if size > MAX_ENTRIES {
            return Err(FetchError::Malformed(format!("a log of {size} entries")));
        }
        let mut entries: Vec<Vec<u8>> = Vec::with_capacity(size as usize);
        let mut tree = CompactTree::new();
        for index in 0..size.div_ceil(u64::from(TILE_WIDTH)) {
            let width = (size - index * u64::from(TILE_WIDTH)).min(u64::from(TILE_WIDTH)) as u32;
            let tile = TilePath {
                kind: TileKind::Entries,
                index,
                width,
            };
            let bundle = self.http.published(bk, &tile.path()).await?;
            let Some(got) = decode_entry_bundle(&bundle).filter(|g| g.len() == width as usize)
            else {
                return Err(FetchError::Malformed(
                    "an entry tile that is not one".into(),
                ));
            };
            for e in got {
                tree.push(leaf_hash(e));
                entries.push(e.to_vec());
            }
        }
        if tree.root() != *v.checkpoint.hash() {
            return Err(FetchError::Malformed(
                "the log's entries do not hash to its checkpoint".into(),
            ));
        }
        Ok(entries)
    }
}
