//! The outbox: entries signed on this device wait here until every bookkeeper has receipted them.
//!
//! Recording never needs the network: a handoff is signed and queued in one durable transaction
//! (so it survives a crash, a reboot, a warehouse without signal). [`Client::flush`] then sends
//! what is due to every bookkeeper at once, in bundles, checks each signed receipt against that
//! bookkeeper's log key, and stores it; what failed is retried later with exponential backoff
//! ([`backoff_seconds`]). Submission is idempotent at the bookkeepers, so sending twice is harmless.

use crate::capture::Handoff;
use crate::fetch::BundleAnswer;
use crate::{Client, ClientError};
use serde::Serialize;
use tally_tlog::{note, SignatureBatch, SignerKey, VerifierKey};
use tally_trust::policy::Bookkeeper;
use tally_trust::Entry;

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

/// The receipt text fields that must match what was sent.
fn receipt_matches(text: &[u8], origin: &str, leaf: &str, index: u64) -> bool {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().collect();
    matches!(lines.as_slice(), ["tally/receipt/v1", o, l, i, _, _]
        if *o == origin && *l == leaf && *i == index.to_string())
}

/// Checks the receipts of one bundle answer; `true` per entry whose receipt is genuine. All
/// signatures are checked in one batch; if it fails, one by one, so a bad receipt is named.
fn check_receipts(log: &VerifierKey, leaves: &[String], answers: &[BundleAnswer]) -> Vec<bool> {
    let known = std::slice::from_ref(log);
    let mut batch = SignatureBatch::new();
    let shaped: Vec<bool> = leaves
        .iter()
        .zip(answers)
        .map(|(leaf, a)| match (&a.receipt, a.index) {
            (Some(r), Some(index)) => match note::open_deferred(r.as_bytes(), known) {
                Ok((opened, mut b)) => {
                    batch.append(&mut b);
                    receipt_matches(&opened.text, log.name(), leaf, index)
                }
                Err(_) => false,
            },
            _ => false,
        })
        .collect();
    if batch.verify() {
        return shaped;
    }
    leaves
        .iter()
        .zip(answers)
        .zip(shaped)
        .map(|((leaf, a), ok)| {
            ok && a.receipt.as_ref().is_some_and(|r| {
                note::open(r.as_bytes(), known).is_ok_and(|o| {
                    receipt_matches(&o.text, log.name(), leaf, a.index.unwrap_or(u64::MAX))
                })
            })
        })
        .collect()
}

impl Client {
    /// Signs `handoff`'s event with the device key and queues it for every bookkeeper.
    pub fn record(
        &self,
        device: &SignerKey,
        handoff: &Handoff,
        now: i64,
    ) -> Result<Queued, ClientError> {
        let json = handoff.to_epcis().map_err(ClientError::Event)?;
        let entry = Entry::sign_event(&json, device)?;
        let mut queued = self.queue(vec![(entry, handoff.summary())], now)?;
        Ok(queued.remove(0))
    }

    /// Queues signed entries (events, or registry records an organisation or governance signed)
    /// for every bookkeeper, in one transaction, in order.
    pub fn queue(
        &self,
        entries: Vec<(Entry, String)>,
        now: i64,
    ) -> Result<Vec<Queued>, ClientError> {
        let bookkeepers: Vec<String> = self
            .policy
            .bookkeepers
            .iter()
            .map(|b| b.name.clone())
            .collect();
        let rows: Vec<(String, Vec<u8>, String)> = entries
            .iter()
            .map(|(e, summary)| (e.leaf_hash().to_string(), e.encode(), summary.clone()))
            .collect();
        let mut store = self.store()?;
        let known: Vec<bool> = rows
            .iter()
            .map(|(leaf, _, _)| store.is_queued(leaf))
            .collect::<Result<_, _>>()?;
        store.enqueue(&rows, &bookkeepers, now)?;
        Ok(entries
            .iter()
            .zip(rows)
            .zip(known)
            .map(|(((e, _), (leaf, _, summary)), known)| Queued {
                leaf,
                hash_id: e.hash_id.clone(),
                summary,
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
                        let genuine = check_receipts(&bk.log_key, &leaves, &answers);
                        for ((d, a), ok) in chunk.iter().zip(&answers).zip(genuine) {
                            match (ok, a.index, &a.receipt) {
                                (true, Some(index), Some(receipt)) => {
                                    receipts.push((d.seq, index, receipt.clone()));
                                }
                                _ => {
                                    let why = match (&a.error, &a.message) {
                                        (Some(code), Some(m)) => format!("{code}: {m}"),
                                        (Some(code), None) => code.clone(),
                                        _ => "the receipt does not verify".into(),
                                    };
                                    // Refused for good: no retry will change its mind soon.
                                    let wait = if matches!(a.status, Some(400 | 413 | 422)) {
                                        REFUSED_RETRY_SECONDS
                                    } else {
                                        backoff_seconds(d.attempts + 1)
                                    };
                                    report.error = Some(why.clone());
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

    #[test]
    fn a_receipt_must_name_this_log_this_entry_and_this_index() {
        let text = b"tally/receipt/v1\nbk1/log\nLEAF\n7\n1800000000\n2\n";
        assert!(receipt_matches(text, "bk1/log", "LEAF", 7));
        assert!(!receipt_matches(text, "bk2/log", "LEAF", 7));
        assert!(!receipt_matches(text, "bk1/log", "OTHER", 7));
        assert!(!receipt_matches(text, "bk1/log", "LEAF", 8));
        assert!(!receipt_matches(
            b"tally/receipt/v1\nbk1/log\nLEAF\n7\n",
            "bk1/log",
            "LEAF",
            7
        ));
    }
}
