//! The outbox: entries signed on this device wait here until every bookkeeper has receipted them.
//!
//! Recording never needs the network: a handoff is signed and queued in one durable transaction
//! (so it survives a crash, a reboot, a warehouse without signal). [`Client::flush`] then sends
//! what is due to every bookkeeper at once, in bundles, checks each bundle's signed receipt against
//! that bookkeeper's log key, and stores every entry's own receipt; what failed is retried later with exponential backoff
//! ([`backoff_seconds`]). Submission is idempotent at the bookkeepers, so sending twice is harmless.

use crate::capture::{Handoff, Labels};
use crate::fetch::BundleAnswers;
use crate::{Client, ClientError};
use serde::Serialize;
use std::collections::BTreeMap;
use tally_confidential::Submission;
use tally_tlog::{Hash, SignerKey, VerifierKey};
use tally_trust::policy::Bookkeeper;
use tally_trust::receipt::{self, Promise};
use tally_trust::{Entry, EntryKind, Record};

/// What the outbox sends: the body a bookkeeper takes (a plain entry, or a sealed submission),
/// and the leaf hash of what it logs.
struct Outgoing {
    leaf: String,
    body: Vec<u8>,
    summary: String,
    hash_id: Option<String>,
}

/// How one event is signed: the labels it is sealed for, what is withheld from their holders, and
/// the line the outbox shows for it.
struct Signing<'a> {
    labels: &'a Labels,
    withhold: &'a [String],
    summary: String,
}

/// An event an enterprise system captured, ready for [`Client::record_events`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedEvent {
    /// The event's exact JSON text, its codes without label secrets.
    pub json: Vec<u8>,
    /// The labels its codes carried (see [`crate::capture::take_event_labels`]).
    pub labels: Labels,
    /// What is withheld from the labels' holders (see [`Handoff::withhold`]).
    pub withhold: Vec<String>,
    /// One line for the outbox.
    pub summary: String,
}

/// Entries per bundle sent to a bookkeeper (at most its bundle limit, 1024).
pub const BUNDLE: usize = 256;
/// Bundles in flight to one bookkeeper at once.
const IN_FLIGHT: usize = 4;

/// Seconds to wait before attempt number `attempts` + 1: 2, 4, 8, … up to 512 (8½ minutes).
pub fn backoff_seconds(attempts: u32) -> i64 {
    1i64 << attempts.clamp(1, 9)
}

/// How long a bookkeeper that refused an entry for good (malformed, invalid) is left alone with
/// it: a day, so the refusal stays visible in the outbox without being hammered.
const REFUSED_RETRY_SECONDS: i64 = 24 * 3600;

/// An entry just queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queued {
    /// Leaf hash (base64).
    pub leaf: String,
    /// The event's CBV 2.0 hash ID (events only).
    pub hash_id: Option<String>,
    pub summary: String,
    /// False if the same entry was already queued.
    pub new: bool,
}

/// What one flush achieved with one bookkeeper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub bookkeeper: String,
    /// Entries sent (including resends).
    pub sent: usize,
    /// Receipts received and checked.
    pub receipted: usize,
    /// Entries it refused or could not take.
    pub failed: usize,
    /// Leaf hashes (base64) of the entries it answered with a refusal (not a failure to reach
    /// it): a retry will not change its mind.
    pub refused: Vec<String>,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
}

/// What a flush achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlushReport {
    pub bookkeepers: Vec<Delivered>,
    /// Entries still missing a receipt from some bookkeeper.
    pub pending_entries: u64,
    /// (entry, bookkeeper) deliveries still missing.
    pub pending_deliveries: u64,
}

/// Checks a bundle's receipt against what was sent: per answer, the entry's own receipt (JSON,
/// see [`receipt::EntryReceipt`]) if the bookkeeper gave it an index and signed for it, else why not.
///
/// One signature covers the bundle, so a bad one fails every entry of it; the root is recomputed
/// here from the leaves sent and the indices answered, so the answer cannot promise anything else
/// — except, for an event the log already holds in another serialisation, the leaf it holds
/// (`duplicate_of`): the receipt then promises that entry, which is the same event.
fn check_receipts(
    log: &VerifierKey,
    leaves: &[String],
    answers: &BundleAnswers,
) -> Vec<Result<(u64, String), String>> {
    let promises: Result<Vec<Promise>, String> = leaves
        .iter()
        .zip(&answers.results)
        .filter_map(|(leaf, a)| Some((a.duplicate_of.as_ref().unwrap_or(leaf), a.index?)))
        .map(|(leaf, index)| {
            Ok(Promise {
                index,
                leaf: Hash::parse_hash(leaf).map_err(|_| format!("bad leaf hash {leaf}"))?,
            })
        })
        .collect();
    let receipts = promises.and_then(|promises| {
        if promises.is_empty() {
            return Ok(Vec::new());
        }
        let note = answers
            .receipt
            .as_deref()
            .ok_or("the answer has no receipt")?;
        receipt::open_batch(log, note.as_bytes())
            .and_then(|batch| batch.receipts_for(&promises))
            .map_err(|e| e.to_string())
    });
    let mut receipts = match receipts {
        Ok(r) => r.into_iter(),
        Err(why) => return answers.results.iter().map(|_| Err(why.clone())).collect(),
    };
    answers
        .results
        .iter()
        .map(|a| match (a.index, &a.error, &a.message) {
            (Some(index), _, _) => receipts
                .next()
                .map(|r| (index, r.to_json()))
                .ok_or_else(|| "missing receipt".to_owned()),
            (None, Some(code), Some(m)) => Err(format!("{code}: {m}")),
            (None, Some(code), None) => Err(code.clone()),
            (None, None, _) => Err("no index and no reason".to_owned()),
        })
        .collect()
}

impl FlushReport {
    /// Whether every bookkeeper refused the entry with this leaf hash (none can log it).
    pub fn refused_by_all(&self, leaf: &str) -> bool {
        !self.bookkeepers.is_empty()
            && self
                .bookkeepers
                .iter()
                .all(|b| b.refused.iter().any(|l| l == leaf))
    }
}

impl Client {
    /// Signs `handoff`'s event with the device key and queues it for every bookkeeper.
    ///
    /// When the handoff's codes carry label secrets, the event is sealed for those labels
    /// ([`Handoff::take_labels`]) and sent to each bookkeeper with them, so that it can check the
    /// event before logging it; what it serves then reveals nothing to a reader without a label.
    pub fn record(
        &self,
        device: &SignerKey,
        handoff: &Handoff,
        now: i64,
    ) -> Result<Queued, ClientError> {
        let (handoff, labels) = handoff.take_labels();
        let json = handoff.to_epcis().map_err(ClientError::Event)?;
        let signing = Signing {
            labels: &labels,
            withhold: &handoff.withhold,
            summary: handoff.summary(),
        };
        Ok(self.sign_and_queue(device, &json, signing, now)?.remove(0))
    }

    /// Signs the EPCIS 2.0 events `events` (each its exact JSON text, its codes already without
    /// label secrets) with the device key and queues them for every bookkeeper, all in one
    /// transaction: how a gateway records the events an enterprise system captured. Each is
    /// sealed for the labels beside it, as [`Client::record`] seals a handoff's. None is queued
    /// if one cannot be signed or sealed: the error says which (its position in `events`).
    pub fn record_events(
        &self,
        device: &SignerKey,
        events: &[CapturedEvent],
        now: i64,
    ) -> Result<Vec<Queued>, (Option<usize>, ClientError)> {
        let mut out = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let signing = Signing {
                labels: &e.labels,
                withhold: &e.withhold,
                summary: e.summary.clone(),
            };
            out.push(
                self.outgoing(device, &e.json, signing)
                    .map_err(|e| (Some(i), e))?,
            );
        }
        self.queue_outgoing(out, now).map_err(|e| (None, e))
    }

    fn sign_and_queue(
        &self,
        device: &SignerKey,
        json: &[u8],
        signing: Signing,
        now: i64,
    ) -> Result<Vec<Queued>, ClientError> {
        let out = self.outgoing(device, json, signing)?;
        self.queue_outgoing(vec![out], now)
    }

    /// The event `json` signed, and sealed for its labels when there are any.
    fn outgoing(
        &self,
        device: &SignerKey,
        json: &[u8],
        signing: Signing,
    ) -> Result<Outgoing, ClientError> {
        let Signing {
            labels,
            withhold,
            summary,
        } = signing;
        if labels.seal_for.is_empty() {
            let entry = Entry::sign_event(json, device)?;
            if self.policy.confidential {
                return Err(ClientError::Event(
                    "this network logs sealed events only: scan the labels of the goods (their codes carry the label secret that seals the event)".into(),
                ));
            }
            return Ok(Outgoing {
                leaf: entry.leaf_hash().to_string(),
                body: entry.encode(),
                summary,
                hash_id: entry.hash_id,
            });
        }
        let recipients = self.recipients_for(json)?;
        // What the brand keeps from the labels' holders is signed as commitments only.
        let (signed, withheld) =
            tally_confidential::withhold(json, withhold, &mut rand_core::OsRng)
                .map_err(|e| ClientError::Event(e.to_string()))?;
        let entry = Entry::sign_event(&signed, device)?;
        let contents = tally_confidential::Contents {
            entry: &entry.encode(),
            links: &labels.links,
            withheld: &withheld,
        };
        let sub = Submission::seal(
            &contents,
            &labels.seal_for,
            &recipients,
            &mut rand_core::OsRng,
        )
        .map_err(|e| ClientError::Event(format!("cannot seal the event: {e}")))?;
        Ok(Outgoing {
            leaf: tally_tlog::leaf_hash(&sub.sealed).to_string(),
            body: sub.encode(),
            summary,
            hash_id: entry.hash_id,
        })
    }

    /// The recipients entitled to the event `json`, from the directory read last (refresh it with
    /// [`Client::directory`]; a bookkeeper refuses an event not wrapped for every one).
    fn recipients_for(
        &self,
        json: &[u8],
    ) -> Result<Vec<tally_confidential::RecipientKey>, ClientError> {
        if self.policy.confidential && self.registry_secret()?.is_none() {
            return Err(ClientError::Event(
                "this network seals its registry: install the registry secret governance gave its members (tally policy install --registry-secret FILE), so that the event is wrapped for every entitled recipient".into(),
            ));
        }
        let Some(dir) = self.cached_directory()? else {
            return Ok(Vec::new());
        };
        let raw =
            tally_epcis::RawEvent::parse(json).map_err(|e| ClientError::Event(e.to_string()))?;
        let facts =
            tally_trust::custody::Facts::from_event(&raw.event).map_err(ClientError::Event)?;
        Ok(dir.recipients_for(&facts))
    }

    /// Queues signed entries (events, or registry records an organisation or governance signed)
    /// for every bookkeeper, in one transaction, in order. On a confidential network each
    /// registry record is sealed as `tally_trust::sealed_registry` says, with the registry secret
    /// this device installed.
    pub fn queue(
        &self,
        entries: Vec<(Entry, String)>,
        now: i64,
    ) -> Result<Vec<Queued>, ClientError> {
        let orgs = self.org_keys(&entries)?;
        let out = entries
            .into_iter()
            .map(|(e, summary)| match e.kind {
                EntryKind::Event => Ok(plain_outgoing(e, summary)),
                _ if !self.policy.confidential => Ok(plain_outgoing(e, summary)),
                _ => self.sealed_record(e, summary, &orgs),
            })
            .collect::<Result<_, ClientError>>()?;
        self.queue_outgoing(out, now)
    }

    /// Organisations' keys by GLN, from the registrations among `entries` and the directory read
    /// last: a certification is sealed with a link to its organisation's.
    fn org_keys(
        &self,
        entries: &[(Entry, String)],
    ) -> Result<BTreeMap<String, [u8; 32]>, ClientError> {
        let mut orgs: BTreeMap<String, [u8; 32]> = BTreeMap::new();
        if let Some(dir) = self.cached_directory()? {
            for o in dir.orgs {
                if let Ok(k) = VerifierKey::parse(&o.key) {
                    orgs.insert(o.gln, *k.ed25519().as_bytes());
                }
            }
        }
        for (e, _) in entries {
            if let Ok(Record::Registration { gln, key, .. }) = serde_json::from_slice(&e.payload) {
                if let Ok(k) = VerifierKey::parse(&key) {
                    orgs.insert(gln, *k.ed25519().as_bytes());
                }
            }
        }
        Ok(orgs)
    }

    /// Registry record `e` sealed for the registry secret and its subjects.
    fn sealed_record(
        &self,
        e: Entry,
        summary: String,
        orgs: &BTreeMap<String, [u8; 32]>,
    ) -> Result<Outgoing, ClientError> {
        let secret = self.registry_secret()?.ok_or_else(|| {
            ClientError::Event(
                "this network seals its registry: install the registry secret governance gave its members (tally policy install --registry-secret FILE)".into(),
            )
        })?;
        let sealing = tally_trust::sealed_registry::sealing(&e, &secret, |gln| {
            orgs.get(gln).copied()
        })
        .ok_or_else(|| {
            ClientError::Event(
                "cannot seal the record: its organisation is in no registry read yet (read the directory first)".into(),
            )
        })?;
        let contents = tally_confidential::Contents {
            entry: &e.encode(),
            links: &sealing.links,
            withheld: &[],
        };
        let sub = Submission::seal(&contents, &sealing.seal_for, &[], &mut rand_core::OsRng)
            .map_err(|err| ClientError::Event(format!("cannot seal the record: {err}")))?;
        Ok(Outgoing {
            leaf: tally_tlog::leaf_hash(&sub.sealed).to_string(),
            body: sub.encode(),
            summary,
            hash_id: None,
        })
    }

    fn queue_outgoing(&self, out: Vec<Outgoing>, now: i64) -> Result<Vec<Queued>, ClientError> {
        let bookkeepers: Vec<String> = self
            .policy
            .bookkeepers
            .iter()
            .map(|b| b.name.clone())
            .collect();
        let rows: Vec<(String, Vec<u8>, String)> = out
            .iter()
            .map(|o| (o.leaf.clone(), o.body.clone(), o.summary.clone()))
            .collect();
        let mut store = self.store()?;
        let known: Vec<bool> = rows
            .iter()
            .map(|(leaf, _, _)| store.is_queued(leaf))
            .collect::<Result<_, _>>()?;
        store.enqueue(&rows, &bookkeepers, now)?;
        Ok(out
            .into_iter()
            .zip(known)
            .map(|(o, known)| Queued {
                leaf: o.leaf,
                hash_id: o.hash_id,
                summary: o.summary,
                new: !known,
            })
            .collect())
    }

    /// Sends every entry due at `now` to every bookkeeper, concurrently, until nothing is due or
    /// a bookkeeper fails; stores each checked receipt. Returns what happened per bookkeeper.
    pub async fn flush(&self, now: i64) -> Result<FlushReport, ClientError> {
        self.flush_with_progress(now, &|_| {}).await
    }

    /// [`flush`](Self::flush), calling `progress` after every round of bundles with what that
    /// bookkeeper has taken so far (a long flush shows its progress).
    pub async fn flush_with_progress(
        &self,
        now: i64,
        progress: &(dyn Fn(&Delivered) + Sync),
    ) -> Result<FlushReport, ClientError> {
        let runs = self
            .policy
            .bookkeepers
            .iter()
            .map(|bk| self.flush_one(bk, now, progress));
        let bookkeepers = futures_util::future::join_all(runs)
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        let (pending_entries, pending_deliveries) = self.store()?.pending_counts()?;
        Ok(FlushReport {
            bookkeepers,
            pending_entries,
            pending_deliveries,
        })
    }

    async fn flush_one(
        &self,
        bk: &Bookkeeper,
        now: i64,
        progress: &(dyn Fn(&Delivered) + Sync),
    ) -> Result<Delivered, ClientError> {
        let mut report = Delivered {
            bookkeeper: bk.name.clone(),
            sent: 0,
            receipted: 0,
            failed: 0,
            refused: Vec::new(),
            error: None,
        };
        loop {
            let due = self.store()?.due(&bk.name, now, BUNDLE * IN_FLIGHT)?;
            if due.is_empty() {
                return Ok(report);
            }
            report.sent += due.len();
            // Several bundles in flight: the bookkeeper admits one while the next travels.
            let sends = due.chunks(BUNDLE).map(|chunk| async move {
                let entries: Vec<&[u8]> = chunk.iter().map(|d| d.entry.as_slice()).collect();
                (chunk, self.http.submit_bundle(bk, &entries).await)
            });
            let answered = futures_util::future::join_all(sends).await;
            let (mut receipts, mut failures) = (Vec::new(), Vec::new());
            for (chunk, answers) in answered {
                match answers {
                    Ok(answers) => {
                        let leaves: Vec<String> = chunk.iter().map(|d| d.leaf.clone()).collect();
                        let checked = check_receipts(&bk.log_key, &leaves, &answers);
                        for ((d, a), c) in chunk.iter().zip(&answers.results).zip(checked) {
                            match c {
                                Ok((index, receipt)) => receipts.push((d.seq, index, receipt)),
                                Err(why) => {
                                    // Refused for good: no retry will change its mind soon.
                                    let wait = if matches!(a.status, Some(400 | 413 | 422)) {
                                        REFUSED_RETRY_SECONDS
                                    } else {
                                        backoff_seconds(d.attempts + 1)
                                    };
                                    report.error = Some(why.clone());
                                    if a.status.is_some() {
                                        report.refused.push(d.leaf.clone());
                                    }
                                    failures.push((d.seq, why, now + wait));
                                }
                            }
                        }
                    }
                    Err(e) => {
                        let why = e.to_string();
                        report.error = Some(why.clone());
                        for d in chunk {
                            failures.push((
                                d.seq,
                                why.clone(),
                                now + backoff_seconds(d.attempts + 1),
                            ));
                        }
                    }
                }
            }
            report.receipted += receipts.len();
            report.failed += failures.len();
            // Nothing got through: stop rather than loop on the same refusals.
            let stop = receipts.is_empty();
            self.store()?
                .record_deliveries(&bk.name, &receipts, &failures)?;
            progress(&report);
            if stop {
                return Ok(report);
            }
        }
    }
}

/// An entry sent as it is.
fn plain_outgoing(e: Entry, summary: String) -> Outgoing {
    Outgoing {
        leaf: e.leaf_hash().to_string(),
        body: e.encode(),
        summary,
        hash_id: e.hash_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let waits: Vec<i64> = (0..12).map(backoff_seconds).collect();
        assert_eq!(waits[..4], [2, 2, 4, 8]);
        assert_eq!(waits[9], 512);
        assert_eq!(waits[11], 512);
    }

    fn answers(leaves: &[Hash], indices: &[Option<u64>], log: &SignerKey) -> BundleAnswers {
        let promises: Vec<Promise> = leaves
            .iter()
            .zip(indices)
            .filter_map(|(leaf, i)| {
                Some(Promise {
                    index: (*i)?,
                    leaf: *leaf,
                })
            })
            .collect();
        let note = receipt::sign_batch(log, &promises, 1_800_000_000, 2).unwrap();
        BundleAnswers {
            receipt: Some(String::from_utf8(note).unwrap()),
            results: indices
                .iter()
                .map(|i| crate::fetch::BundleAnswer {
                    index: *i,
                    duplicate_of: None,
                    error: i.is_none().then(|| "bad_signature".to_owned()),
                    message: None,
                    status: i.is_none().then_some(403),
                })
                .collect(),
        }
    }

    #[test]
    fn every_receipted_entry_gets_its_own_receipt_and_a_lie_fails_the_bundle() {
        let log = SignerKey::from_seed("bk1/log", tally_tlog::KeyType::Ed25519, &[1; 32]).unwrap();
        let leaves: Vec<Hash> = (0..4u8).map(|i| tally_tlog::leaf_hash(&[i])).collect();
        let sent: Vec<String> = leaves.iter().map(Hash::to_string).collect();
        let indices = [Some(10), None, Some(11), Some(3)];
        let good = answers(&leaves, &indices, &log);
        let checked = check_receipts(&log.verifier(), &sent, &good);
        assert_eq!(checked[1], Err("bad_signature".to_owned()));
        for (i, c) in checked.iter().enumerate().filter(|(i, _)| *i != 1) {
            let (index, json) = c.as_ref().unwrap();
            assert_eq!(Some(*index), indices[i]);
            let promise = Promise {
                index: *index,
                leaf: leaves[i],
            };
            receipt::EntryReceipt::from_json(json)
                .unwrap()
                .verify(&log.verifier(), &promise)
                .unwrap();
        }
        // An index the receipt does not sign, another log's signature, no receipt at all.
        let mut moved = good.clone();
        moved.results[3].index = Some(4);
        let other =
            SignerKey::from_seed("bk1/log", tally_tlog::KeyType::Ed25519, &[2; 32]).unwrap();
        let mut unsigned = good.clone();
        unsigned.receipt = None;
        for bad in [moved, answers(&leaves, &indices, &other), unsigned] {
            let checked = check_receipts(&log.verifier(), &sent, &bad);
            assert!(checked.iter().all(Result::is_err), "{checked:?}");
        }
    }

    #[test]
    fn an_event_logged_before_in_another_serialisation_is_receipted_as_that_entry() {
        let log = SignerKey::from_seed("bk1/log", tally_tlog::KeyType::Ed25519, &[1; 32]).unwrap();
        let sent = tally_tlog::leaf_hash(b"this serialisation");
        let logged = tally_tlog::leaf_hash(b"the one logged first");
        // The bookkeeper signs for the entry it holds, and says which it is.
        let mut answer = answers(&[logged], &[Some(7)], &log);
        answer.results[0].duplicate_of = Some(logged.to_string());
        let checked = check_receipts(&log.verifier(), &[sent.to_string()], &answer);
        let (index, json) = checked[0].as_ref().unwrap();
        assert_eq!(*index, 7);
        let promise = Promise {
            index: 7,
            leaf: logged,
        };
        receipt::EntryReceipt::from_json(json)
            .unwrap()
            .verify(&log.verifier(), &promise)
            .unwrap();
        // Without saying so, the receipt does not cover what was sent.
        answer.results[0].duplicate_of = None;
        assert!(check_receipts(&log.verifier(), &[sent.to_string()], &answer)[0].is_err());
    }
}
