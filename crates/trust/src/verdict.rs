//! The verdict on a product's history: Verified, Warning or Failed, with every reason.
//!
//! Input is everything the client fetched — per bookkeeper, a signed checkpoint, a consistency proof
//! from the checkpoint the client trusted before, and entries with inclusion proofs — plus the
//! policy, the client's trust state and the time. Nothing in it is trusted: each log's checkpoint
//! must carry its key's signature and enough peer cosignatures, must be consistent with what this
//! client saw before, each entry must be proven under it, and an entry counts only when the logs of
//! at least k distinct operators prove it. Only then are signatures, authorisations and custody
//! rules looked at. One lying or absent bookkeeper can lower confidence (a warning) but can neither
//! forge history nor, alone, make an honest product fail.

use crate::custody::{self, Facts, Finding, Temperature};
use crate::entry::{self, Entry, EntryKind};
use crate::policy::Policy;
use crate::registry::{AuthError, Registry};
use crate::state::{Advance, Inconsistency, TrustState, TrustedCheckpoint};
use serde::Serialize;
use std::collections::BTreeSet;
use tally_epcis::raw::RawEvent;
use tally_tlog::{checkpoint, leaf_hash, merkle, Hash, SignatureBatch};
use time::OffsetDateTime;

/// An entry as one log served it, with its inclusion proof.
#[derive(Debug, Clone)]
pub struct ProvenEntry {
    pub index: u64,
    pub bytes: Vec<u8>,
    pub proof: Vec<Hash>,
}

/// What one bookkeeper answered.
#[derive(Debug, Clone)]
pub struct LogEvidence {
    /// The bookkeeper's name in the policy.
    pub bookkeeper: String,
    /// Its signed, cosigned checkpoint.
    pub checkpoint: Vec<u8>,
    /// Consistency proof from the size in the client's trust state to this checkpoint, if any.
    pub consistency: Option<Vec<Hash>>,
    pub entries: Vec<ProvenEntry>,
}

/// Everything the verdict is computed from.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub policy: &'a Policy,
    /// The scanned product, as a GS1 Digital Link URI.
    pub product: &'a str,
    pub logs: &'a [LogEvidence],
    /// Bookkeepers the client could not reach.
    pub unreachable: &'a [String],
    pub state: &'a TrustState,
    pub now: OffsetDateTime,
}

/// The overall answer, in the words a shopper needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Verified,
    Warning,
    Failed,
}

/// How much a reason weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth showing, does not change the verdict.
    Info,
    Warning,
    Failed,
}

/// One machine-readable reason. `entry` fields are leaf hashes (base64).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    LogUnreachable {
        log: String,
    },
    UnknownLog {
        log: String,
    },
    /// The checkpoint is unsigned, badly signed, malformed or under-cosigned: the log is not used.
    CheckpointInvalid {
        log: String,
        detail: String,
    },
    /// Fork or rollback, with both signed notes.
    LogInconsistent {
        log: String,
        evidence: Inconsistency,
    },
    /// A newer checkpoint came without a valid consistency proof; the trust state was not advanced.
    ConsistencyUnproven {
        log: String,
    },
    /// The log served an entry that its own signed checkpoint does not include.
    BadInclusionProof {
        log: String,
        index: u64,
        entry: String,
    },
    MalformedEntry {
        entry: String,
        detail: String,
    },
    /// Proven in the logs of fewer than k operators: not counted.
    EntryBelowQuorum {
        entry: String,
        logs: Vec<String>,
        need: usize,
    },
    BadSignature {
        entry: String,
    },
    HashIdMismatch {
        entry: String,
    },
    MalformedEvent {
        entry: String,
        detail: String,
    },
    Unauthorised {
        entry: String,
        error: AuthError,
    },
    RegistryRecordRejected {
        entry: String,
        detail: String,
    },
    Custody {
        entry: String,
        finding: Finding,
    },
    /// No confirmed or unconfirmed event names this product.
    NoHistory,
}

impl Reason {
    /// The weight of this reason; the verdict is the heaviest.
    pub fn severity(&self) -> Severity {
        use Reason::*;
        match self {
            LogUnreachable { .. } | UnknownLog { .. } | RegistryRecordRejected { .. } => {
                Severity::Info
            }
            CheckpointInvalid { .. }
            | ConsistencyUnproven { .. }
            | BadInclusionProof { .. }
            | MalformedEntry { .. }
            | EntryBelowQuorum { .. } => Severity::Warning,
            Custody { finding, .. } => match finding {
                Finding::Recalled { .. }
                | Finding::AlreadySold { .. }
                | Finding::ColdChainExcursion { .. } => Severity::Warning,
                Finding::CustodyBreak { .. }
                | Finding::WrongReceiver { .. }
                | Finding::ImpossibleTimeOrder { .. } => Severity::Failed,
            },
            LogInconsistent { .. }
            | BadSignature { .. }
            | HashIdMismatch { .. }
            | MalformedEvent { .. }
            | Unauthorised { .. }
            | NoHistory => Severity::Failed,
        }
    }
}

/// One step of the verified timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub entry: String,
    pub hash_id: String,
    pub time: String,
    pub event_type: &'static str,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    /// GLN, name and country of the organisation whose device signed it (if authorised).
    pub org: Option<OrgRef>,
    pub place: Option<String>,
    /// The signing device's verifier key (if certified).
    pub signer: Option<String>,
    /// Bookkeepers whose logs prove this entry.
    pub logs: Vec<String>,
    pub temperatures: Vec<Temperature>,
    /// The event's original JSON, for the evidence view.
    pub event: String,
}

/// An organisation as shown on a step.
#[derive(Debug, Clone, Serialize)]
pub struct OrgRef {
    pub gln: String,
    pub name: String,
    pub country: String,
}

/// What was seen of one bookkeeper.
#[derive(Debug, Clone, Serialize)]
pub struct LogReport {
    pub name: String,
    pub reachable: bool,
    /// Checkpoint size, if a valid checkpoint was received.
    pub size: Option<u64>,
    pub cosigners: Vec<String>,
    /// Whether the log's evidence was used.
    pub used: bool,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub status: Status,
    pub product: String,
    pub reasons: Vec<Reason>,
    pub timeline: Vec<Step>,
    pub logs: Vec<LogReport>,
    /// Checkpoints the caller should now trust (origin → checkpoint).
    #[serde(skip)]
    pub trust_updates: Vec<(String, TrustedCheckpoint)>,
}

/// An entry proven in one or more logs.
struct Seen {
    bytes: Vec<u8>,
    logs: Vec<String>,
    operators: BTreeSet<String>,
}

/// How signatures are checked: collected into one batch (the fast path), or one by one (the path
/// that names every bad signature, taken when the batch fails).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Batch,
    OneByOne,
}

/// Checks every log's checkpoint and proofs; returns the entries each usable log proves.
fn check_logs(
    req: &Request,
    mode: Mode,
    batch: &mut SignatureBatch,
    reasons: &mut Vec<Reason>,
    reports: &mut Vec<LogReport>,
    updates: &mut Vec<(String, TrustedCheckpoint)>,
) -> Vec<(Hash, Seen)> {
    let mut seen: Vec<(Hash, Seen)> = Vec::new();
    for ev in req.logs {
        let Some(bk) = req.policy.bookkeeper(&ev.bookkeeper) else {
            reasons.push(Reason::UnknownLog {
                log: ev.bookkeeper.clone(),
            });
            continue;
        };
        let mut report = LogReport {
            name: bk.name.clone(),
            reachable: true,
            size: None,
            cosigners: vec![],
            used: false,
        };
        let witnesses = req.policy.witnesses_for(&bk.name);
        // Signatures first (threshold 0). The log's own signature is enough to hold it to what it
        // signed before: two notes signed by one log key that contradict each other prove the log
        // misbehaved whatever the witnesses did, so the trust state is checked before the witness
        // threshold (which decides whether the log's evidence may be *used*).
        let checked = match mode {
            Mode::Batch => checkpoint::verify_deferred(&ev.checkpoint, &bk.log_key, &witnesses, 0)
                .map(|(v, mut b)| {
                    batch.append(&mut b);
                    v
                }),
            Mode::OneByOne => checkpoint::verify(&ev.checkpoint, &bk.log_key, &witnesses, 0),
        }
        .map_err(|e| e.to_string())
        .and_then(|v| {
            if v.checkpoint.origin() != bk.log_key.name() {
                return Err(format!(
                    "origin {:?} is not {:?}",
                    v.checkpoint.origin(),
                    bk.log_key.name()
                ));
            }
            Ok(v)
        });
        let verified = match checked {
            Ok(v) => v,
            Err(detail) => {
                reasons.push(Reason::CheckpointInvalid {
                    log: bk.name.clone(),
                    detail,
                });
                reports.push(report);
                continue;
            }
        };
        let cp = &verified.checkpoint;
        report.size = Some(cp.size());
        report.cosigners = verified
            .cosigners
            .iter()
            .map(|c| c.key.name().to_owned())
            .collect();
        let advance = req
            .state
            .check(&verified, &ev.checkpoint, ev.consistency.as_deref());
        if let Advance::Inconsistent(evidence) = advance {
            reasons.push(Reason::LogInconsistent {
                log: bk.name.clone(),
                evidence,
            });
            reports.push(report);
            continue;
        }
        let got = req
            .policy
            .independent_cosigners(&bk.name, verified.cosigners.iter().map(|c| &c.key));
        if got < req.policy.witness_threshold {
            reasons.push(Reason::CheckpointInvalid {
                log: bk.name.clone(),
                detail: format!(
                    "{got} cosignatures from independent operators, {} required",
                    req.policy.witness_threshold
                ),
            });
            reports.push(report);
            continue;
        }
        match advance {
            Advance::First(t) | Advance::Newer(t) => updates.push((cp.origin().to_owned(), t)),
            Advance::Unproven => reasons.push(Reason::ConsistencyUnproven {
                log: bk.name.clone(),
            }),
            Advance::Same | Advance::Inconsistent(_) => {}
        }
        report.used = true;
        for pe in &ev.entries {
            let leaf = leaf_hash(&pe.bytes);
            if merkle::verify_inclusion(pe.index, cp.size(), &leaf, &pe.proof, cp.hash()).is_err() {
                reasons.push(Reason::BadInclusionProof {
                    log: bk.name.clone(),
                    index: pe.index,
                    entry: leaf.to_string(),
                });
                continue;
            }
            let slot = match seen.iter_mut().find(|(h, _)| *h == leaf) {
                Some((_, s)) => s,
                None => {
                    seen.push((
                        leaf,
                        Seen {
                            bytes: pe.bytes.clone(),
                            logs: vec![],
                            operators: BTreeSet::new(),
                        },
                    ));
                    &mut seen.last_mut().expect("just pushed").1
                }
            };
            if !slot.logs.contains(&bk.name) {
                slot.logs.push(bk.name.clone());
                slot.operators.insert(bk.operator.clone());
            }
        }
        reports.push(report);
    }
    seen
}

/// An entry proven by at least k operators' logs, decoded.
struct Confirmed {
    leaf: Hash,
    entry: Entry,
    logs: Vec<String>,
}

/// A confirmed, decoded and signature-checked event (its [`Facts`] are kept alongside, by index).
struct EventItem {
    leaf: Hash,
    entry: Entry,
    logs: Vec<String>,
    hash_id: String,
}

/// Keeps the entries proven by at least k operators' logs that decode; reports the others.
fn confirm(policy: &Policy, seen: Vec<(Hash, Seen)>, reasons: &mut Vec<Reason>) -> Vec<Confirmed> {
    let mut confirmed = Vec::new();
    for (leaf, s) in seen {
        if s.operators.len() < policy.log_quorum {
            reasons.push(Reason::EntryBelowQuorum {
                entry: leaf.to_string(),
                logs: s.logs,
                need: policy.log_quorum,
            });
            continue;
        }
        match Entry::decode(&s.bytes) {
            Ok(entry) => confirmed.push(Confirmed {
                leaf,
                entry,
                logs: s.logs,
            }),
            Err(err) => reasons.push(Reason::MalformedEntry {
                entry: leaf.to_string(),
                detail: err.to_string(),
            }),
        }
    }
    confirmed
}

/// Keeps the validly signed entries (in batch mode: if the batch verifies) and reports the others.
fn check_signatures(
    confirmed: Vec<Confirmed>,
    mode: Mode,
    batch: &mut SignatureBatch,
    reasons: &mut Vec<Reason>,
) -> Vec<Confirmed> {
    let ok = match mode {
        Mode::Batch => entry::batch_signatures(
            &confirmed.iter().map(|c| &c.entry).collect::<Vec<_>>(),
            batch,
        ),
        Mode::OneByOne => confirmed
            .iter()
            .map(|c| c.entry.verify_signature())
            .collect(),
    };
    let mut good = Vec::with_capacity(confirmed.len());
    for (c, ok) in confirmed.into_iter().zip(ok) {
        if ok {
            good.push(c);
        } else {
            reasons.push(Reason::BadSignature {
                entry: c.leaf.to_string(),
            });
        }
    }
    good
}

/// Parses the event entries and checks their hash IDs; returns them with their custody facts.
fn read_events(good: Vec<Confirmed>, reasons: &mut Vec<Reason>) -> (Vec<EventItem>, Vec<Facts>) {
    let (mut items, mut facts) = (Vec::new(), Vec::new());
    for Confirmed { leaf, entry, logs } in good
        .into_iter()
        .filter(|c| c.entry.kind == EntryKind::Event)
    {
        let parsed = RawEvent::parse(&entry.payload)
            .map_err(|e| e.to_string())
            .and_then(|raw| Facts::from_event(&raw.event));
        let event_facts = match parsed {
            Ok(f) => f,
            Err(detail) => {
                reasons.push(Reason::MalformedEvent {
                    entry: leaf.to_string(),
                    detail,
                });
                continue;
            }
        };
        let hash_id = crate::hash_id::of_event(&entry.payload).unwrap_or_default();
        if entry.hash_id.as_deref() != Some(hash_id.as_str()) {
            reasons.push(Reason::HashIdMismatch {
                entry: leaf.to_string(),
            });
            continue;
        }
        items.push(EventItem {
            leaf,
            entry,
            logs,
            hash_id,
        });
        facts.push(event_facts);
    }
    (items, facts)
}

/// Computes the verdict. Pure: same input, same output; the caller applies `trust_updates`.
///
/// All signatures (checkpoints, cosignatures, entries) are first checked as one batch; only if that
/// batch fails is the whole evaluation repeated one signature at a time, to name what failed.
pub fn verify(req: &Request) -> Verdict {
    let mut batch = SignatureBatch::new();
    let verdict = evaluate(req, Mode::Batch, &mut batch);
    if batch.verify() {
        verdict
    } else {
        evaluate(req, Mode::OneByOne, &mut SignatureBatch::new())
    }
}

fn evaluate(req: &Request, mode: Mode, batch: &mut SignatureBatch) -> Verdict {
    let product =
        tally_epcis::epc::canonical_gs1_uri(req.product).unwrap_or_else(|| req.product.to_owned());
    let mut reasons: Vec<Reason> = req
        .unreachable
        .iter()
        .map(|l| Reason::LogUnreachable { log: l.clone() })
        .collect();
    let mut reports: Vec<LogReport> = req
        .unreachable
        .iter()
        .map(|l| LogReport {
            name: l.clone(),
            reachable: false,
            size: None,
            cosigners: vec![],
            used: false,
        })
        .collect();
    let mut trust_updates = Vec::new();
    let seen = check_logs(
        req,
        mode,
        batch,
        &mut reasons,
        &mut reports,
        &mut trust_updates,
    );

    let confirmed = confirm(req.policy, seen, &mut reasons);
    let good = check_signatures(confirmed, mode, batch, &mut reasons);
    let registry = Registry::build(
        req.policy,
        &good.iter().map(|c| &c.entry).collect::<Vec<_>>(),
    );
    for r in &registry.rejected {
        reasons.push(Reason::RegistryRecordRejected {
            entry: r.entry.clone(),
            detail: r.reason.clone(),
        });
    }

    let (items, facts) = read_events(good, &mut reasons);

    let order = custody::relevant(&custody::product_ids(req.product), &facts);
    let unconfirmed = reasons
        .iter()
        .any(|r| matches!(r, Reason::EntryBelowQuorum { .. }));
    if order.is_empty() && !unconfirmed {
        reasons.push(Reason::NoHistory);
    }

    let mut actor: Vec<Option<String>> = vec![None; items.len()];
    let mut timeline = Vec::new();
    for &i in &order {
        let (it, f) = (&items[i], &facts[i]);
        let auth = registry.authorise(
            &it.entry.signer,
            f.biz_step.as_deref(),
            f.place.as_deref(),
            f.time,
        );
        let device = match auth {
            Ok(d) => {
                actor[i] = Some(d.org.clone());
                Some(d)
            }
            Err(error) => {
                reasons.push(Reason::Unauthorised {
                    entry: it.leaf.to_string(),
                    error,
                });
                None
            }
        };
        let org = device.and_then(|d| registry.org(&d.org)).map(|o| OrgRef {
            gln: o.gln.clone(),
            name: o.name.clone(),
            country: o.country.clone(),
        });
        timeline.push(Step {
            entry: it.leaf.to_string(),
            hash_id: it.hash_id.clone(),
            time: f
                .time
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            event_type: f.event_type,
            biz_step: f.biz_step.clone(),
            disposition: f.disposition.clone(),
            org,
            place: f.place.clone(),
            signer: device.map(|d| d.key.to_string()),
            logs: it.logs.clone(),
            temperatures: f.temperatures.clone(),
            event: String::from_utf8_lossy(&it.entry.payload).into_owned(),
        });
    }
    let rule = custody::gtin_of(req.product).and_then(|g| req.policy.cold_chain_for(&g));
    for finding in custody::check(&facts, &order, &actor, rule, req.now) {
        reasons.push(Reason::Custody {
            entry: items[finding.event()].leaf.to_string(),
            finding,
        });
    }

    let status = match reasons.iter().map(Reason::severity).max() {
        Some(Severity::Failed) => Status::Failed,
        Some(Severity::Warning) => Status::Warning,
        _ => Status::Verified,
    };
    Verdict {
        status,
        product,
        reasons,
        timeline,
        logs: reports,
        trust_updates,
    }
}
