//! Each log's answer on its own: is its checkpoint signed, cosigned, fresh and consistent with
//! what this client saw before, and which entries does it prove?
//!
//! The order of the checks follows from what each can prove. A log signing two roots for one
//! size is evidence whatever the witnesses did (the log key signed both), so a fork is found from
//! the log's signature alone. Everything else needs the witnesses: a checkpoint without
//! `witness_threshold` independent cosignatures is not used; one they last vouched for longer ago
//! than the policy allows is stale (an old answer replayed looks exactly like it); and only a
//! *fresh* checkpoint smaller than one seen before is called a rollback — the stale case may be
//! a replay by someone on the path, and must not put an alert on an honest log.

use super::{LogReport, Mode, Reason, Request};
use crate::policy::Bookkeeper;
use crate::state::{Advance, TrustedCheckpoint};
use crate::verdict::LogEvidence;
use tally_tlog::{checkpoint, leaf_hash, merkle, Hash, SignatureBatch, VerifiedCheckpoint};

/// One log's copy of an entry, proven under that log's checkpoint.
#[derive(Debug, Clone)]
pub(super) struct Copy {
    pub log: String,
    pub operator: String,
    pub index: u64,
    pub leaf: Hash,
    pub bytes: Vec<u8>,
}

/// What checking every log produced.
#[derive(Default)]
pub(super) struct Checked {
    pub copies: Vec<Copy>,
    pub reports: Vec<LogReport>,
    pub updates: Vec<(String, TrustedCheckpoint)>,
}

impl Checked {
    /// Names of the logs whose answers are used.
    pub fn used(&self) -> impl Iterator<Item = &str> {
        self.reports
            .iter()
            .filter(|r| r.used)
            .map(|r| r.name.as_str())
    }
}

/// Checks every log's answer; reasons about logs go to `reasons`.
pub(super) fn check_all(
    req: &Request,
    mode: Mode,
    batch: &mut SignatureBatch,
    reasons: &mut Vec<Reason>,
) -> Checked {
    let mut out = Checked::default();
    for ev in req.logs {
        let Some(bk) = req.policy.bookkeeper(&ev.bookkeeper) else {
            reasons.push(Reason::UnknownLog {
                log: ev.bookkeeper.clone(),
            });
            continue;
        };
        let mut report = LogReport::reached(&bk.name);
        match check_one(req, bk, ev, mode, batch, &mut report) {
            Ok(used) => {
                out.updates.extend(used.update);
                reasons.extend(used.warning);
                out.copies.extend(prove(bk, ev, &used.checkpoint, reasons));
                report.used = true;
            }
            Err(reason) => reasons.push(reason),
        }
        out.reports.push(report);
    }
    out
}

/// A log whose answer is used: its checkpoint, the trust update it brings, and a reason to show
/// alongside (an unwitnessed policy's note).
struct Used {
    checkpoint: VerifiedCheckpoint,
    update: Option<(String, TrustedCheckpoint)>,
    warning: Option<Reason>,
}

/// Checks one log's checkpoint; the reason it is set aside, if it is.
fn check_one(
    req: &Request,
    bk: &Bookkeeper,
    ev: &LogEvidence,
    mode: Mode,
    batch: &mut SignatureBatch,
    report: &mut LogReport,
) -> Result<Used, Reason> {
    let log = || bk.name.clone();
    let verified = signed(bk, &req.policy.witnesses_for(&bk.name), ev, mode, batch)
        .map_err(|detail| Reason::CheckpointInvalid { log: log(), detail })?;
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
    if let Advance::Inconsistent(evidence) = &advance {
        if evidence.kind == "fork" {
            return Err(Reason::LogInconsistent {
                log: log(),
                evidence: evidence.clone(),
            });
        }
    }
    let got = req
        .policy
        .independent_cosigners(&bk.name, verified.cosigners.iter().map(|c| &c.key));
    if got < req.policy.witness_threshold {
        return Err(Reason::CheckpointInvalid {
            log: log(),
            detail: format!(
                "{got} cosignatures from independent operators, {} required",
                req.policy.witness_threshold
            ),
        });
    }
    let warning = fresh(req, bk, &verified)?;
    let update = match advance {
        Advance::First(t) | Advance::Newer(t) => Some((cp.origin().to_owned(), t)),
        Advance::Same => None,
        Advance::Unproven => return Err(Reason::ConsistencyUnproven { log: log() }),
        Advance::Inconsistent(evidence) => {
            return Err(Reason::LogInconsistent {
                log: log(),
                evidence,
            })
        }
    };
    Ok(Used {
        checkpoint: verified,
        update,
        warning,
    })
}

/// Verifies the checkpoint's log signature and every known cosignature (threshold 0: counting
/// independent operators is the caller's), and its origin.
fn signed(
    bk: &Bookkeeper,
    witnesses: &[tally_tlog::VerifierKey],
    ev: &LogEvidence,
    mode: Mode,
    batch: &mut SignatureBatch,
) -> Result<VerifiedCheckpoint, String> {
    let v = match mode {
        Mode::Batch => checkpoint::verify_deferred(&ev.checkpoint, &bk.log_key, witnesses, 0).map(
            |(v, mut b)| {
                batch.append(&mut b);
                v
            },
        ),
        Mode::OneByOne => checkpoint::verify(&ev.checkpoint, &bk.log_key, witnesses, 0),
    }
    .map_err(|e| e.to_string())?;
    if v.checkpoint.origin() != bk.log_key.name() {
        return Err(format!(
            "origin {:?} is not {:?}",
            v.checkpoint.origin(),
            bk.log_key.name()
        ));
    }
    Ok(v)
}

/// Whether the witnesses vouched for the checkpoint recently enough (when the request asks for
/// freshness); an unwitnessed policy gets a note instead, since nothing can show freshness.
fn fresh(req: &Request, bk: &Bookkeeper, v: &VerifiedCheckpoint) -> Result<Option<Reason>, Reason> {
    let Some(max) = req.max_age else {
        return Ok(None);
    };
    let cosigners = v.cosigners.iter().map(|c| (&c.key, c.timestamp));
    let Some(at) = req.policy.witnessed_at(&bk.name, cosigners) else {
        return Ok(Some(Reason::Unwitnessed {
            log: bk.name.clone(),
        }));
    };
    let now = u64::try_from(req.now.unix_timestamp()).unwrap_or(0);
    let age = now.saturating_sub(at);
    if age > max {
        return Err(Reason::StaleCheckpoint {
            log: bk.name.clone(),
            age_seconds: age,
            max_seconds: max,
        });
    }
    Ok(None)
}

/// The entries the log proves under its checkpoint; the others are reported. The proofs are
/// checked on every core (a lot's history is thousands of them); the order stays the log's.
fn prove(
    bk: &Bookkeeper,
    ev: &LogEvidence,
    v: &VerifiedCheckpoint,
    reasons: &mut Vec<Reason>,
) -> Vec<Copy> {
    let cp = &v.checkpoint;
    let checked: Vec<(Hash, bool)> = crate::parallel::map(&ev.entries, |pe| {
        let leaf = leaf_hash(&pe.bytes);
        let ok = merkle::verify_inclusion(pe.index, cp.size(), &leaf, &pe.proof, cp.hash());
        (leaf, ok.is_ok())
    });
    let mut seen = std::collections::HashSet::with_capacity(ev.entries.len());
    let mut copies = Vec::with_capacity(ev.entries.len());
    for (pe, (leaf, proven)) in ev.entries.iter().zip(checked) {
        if !proven {
            reasons.push(Reason::BadInclusionProof {
                log: bk.name.clone(),
                index: pe.index,
                entry: leaf.to_string(),
            });
            continue;
        }
        if !seen.insert(leaf.0) {
            continue;
        }
        copies.push(Copy {
            log: bk.name.clone(),
            operator: bk.operator.clone(),
            index: pe.index,
            leaf,
            bytes: pe.bytes.clone(),
        });
    }
    copies
}
