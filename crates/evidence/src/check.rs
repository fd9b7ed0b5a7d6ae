//! Checking a package offline: its files are intact, every proof is a log's, and the verdict
//! recomputed from the signed bytes under the reader's policy is the one the package states.

use crate::archive::{Archive, ArchiveError};
use crate::manifest::Manifest;
use crate::{sums, FORMAT};
use std::collections::BTreeMap;
use tally_confidential::LabelSecret;
use tally_tlog::{leaf_hash, TlogProof};
use tally_trust::policy_history::{History, Link};
use tally_trust::{LogEvidence, Policy, ProvenEntry, Request, Status, TrustState, Verdict};
use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Why a package does not check. Each names the file at fault.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PackageError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{0} is missing")]
    Missing(String),
    #[error("SHA256SUMS: {0}")]
    Sums(String),
    #[error("{0} was altered: its SHA-256 is not the one SHA256SUMS lists")]
    Altered(String),
    #[error("{file}: {detail}")]
    Malformed { file: String, detail: String },
    #[error("{file}: its checkpoint is not one of a log in the policy ({origin:?})")]
    UnknownLog { file: String, origin: String },
    #[error("{0}: the package holds two different checkpoints of this log")]
    TwoCheckpoints(String),
    #[error("the manifest says {claim}, the evidence says {found}")]
    Mismatch { claim: String, found: String },
}

/// What a package that checks holds.
#[derive(Debug)]
pub struct Checked {
    pub manifest: Manifest,
    /// The verdict recomputed from the signed bytes, as of the export time.
    pub verdict: Verdict,
    /// `sha256:…` of the policy it was judged under.
    pub policy_fingerprint: String,
    pub files: usize,
    pub proofs: usize,
}

/// Checks the package `tar` under `anchor`, the policy its reader trusts, or under the policy
/// inside it when `None` (which proves something only to a reader who knows that policy's
/// fingerprint to be the network's).
///
/// The anchor is followed forward through the policy history (`policy/history/` in the package
/// and the reader's own `links`, see [`tally_trust::policy_history`]), and the evidence is judged
/// under the version that was in force when its checkpoints were cosigned: a package made before
/// keys were rotated checks under the keys of its time, one made after under the new ones.
pub fn check(tar: &[u8], anchor: Option<&Policy>, links: &[Link]) -> Result<Checked, PackageError> {
    let archive = Archive::from_tar(tar)?;
    let files = &archive.files;
    sums::check(files)?;
    let manifest: Manifest = serde_json::from_slice(file(files, "manifest.json")?)
        .map_err(|e| malformed("manifest.json", e))?;
    if manifest.format != FORMAT {
        return Err(malformed("manifest.json", format!("not {FORMAT}")));
    }
    let anchor = match anchor {
        Some(p) => p.clone(),
        None => {
            Policy::parse(file(files, "policy.json")?).map_err(|e| malformed("policy.json", e))?
        }
    };
    let mut all = history_links(files)?;
    all.extend_from_slice(links);
    let history = History::walk(anchor, &all).map_err(|e| malformed("policy/history", e))?;
    let at = OffsetDateTime::parse(&manifest.exported_at, &Rfc3339)
        .map_err(|e| malformed("manifest.json", format!("exported_at: {e}")))?;
    let proven = proofs(files)?;
    let policy = in_force(&history, &proven);
    let (logs, proofs) = logs(proven, policy)?;
    let secrets = labels(files)?;
    let verdict = judge(policy, &manifest.product, &logs, &secrets, at);
    agrees(files, &manifest, &verdict)?;
    Ok(Checked {
        policy_fingerprint: format!("sha256:{}", policy.fingerprint()),
        files: files.len(),
        proofs,
        manifest,
        verdict,
    })
}

/// The verdict on `logs` as of `at`, as a device reaches it with no trust state of its own and
/// no freshness bound (the checkpoints were fresh when exported and are old by design now).
pub(crate) fn judge(
    policy: &Policy,
    product: &str,
    logs: &[LogEvidence],
    secrets: &[LabelSecret],
    at: OffsetDateTime,
) -> Verdict {
    let unreachable: Vec<String> = policy
        .bookkeepers
        .iter()
        .filter(|b| !logs.iter().any(|l| l.bookkeeper == b.name))
        .map(|b| b.name.clone())
        .collect();
    let state = TrustState::default();
    tally_trust::verify(&Request {
        unreachable: &unreachable,
        max_age: None,
        secrets,
        ..Request::online(policy, product, logs, &state, at)
    })
}

/// The `proofs/` files by the log their names give: its checkpoint (one per log) and each
/// entry with its proof.
type Proofs = BTreeMap<String, (Vec<u8>, Vec<(String, TlogProof, Vec<u8>)>)>;

/// Reads every proof and its entry, checking the entry's name is its leaf hash.
fn proofs(files: &BTreeMap<String, Vec<u8>>) -> Result<Proofs, PackageError> {
    let mut out: Proofs = BTreeMap::new();
    let in_dir = files
        .range("proofs/".to_owned()..)
        .take_while(|(p, _)| p.starts_with("proofs/"));
    for (path, bytes) in in_dir {
        let (leaf, name) = proof_name(path)?;
        let proof = TlogProof::parse(bytes).map_err(|e| malformed(path, e))?;
        let entry_path = format!("entries/{leaf}.entry");
        let entry = file(files, &entry_path)?;
        if hex::encode(leaf_hash(entry).0) != leaf {
            return Err(malformed(&entry_path, "its leaf hash is not its name"));
        }
        let log = out
            .entry(name.to_owned())
            .or_insert_with(|| (proof.checkpoint.clone(), Vec::new()));
        if log.0 != proof.checkpoint {
            return Err(PackageError::TwoCheckpoints(name.to_owned()));
        }
        log.1.push((path.clone(), proof, entry.to_vec()));
    }
    for (name, (checkpoint, _)) in &out {
        if file(files, &format!("checkpoints/{name}"))? != checkpoint.as_slice() {
            return Err(PackageError::TwoCheckpoints(name.clone()));
        }
    }
    Ok(out)
}

/// The version of the policy in force when the package's checkpoints were cosigned: the newest
/// under which they verify with witness times inside its own term. The newest version if none
/// does (the verdict then says what fails).
fn in_force<'a>(history: &'a History, proofs: &Proofs) -> &'a Policy {
    let versions = history.versions();
    for (i, v) in versions.iter().enumerate().rev() {
        let times: Vec<u64> = proofs
            .iter()
            .filter_map(|(name, (checkpoint, _))| witnessed(&v.policy, name, checkpoint))
            .collect();
        let next = versions.get(i + 1).map(|n| n.valid_from);
        let inside = |t: &u64| *t >= v.valid_from && next.is_none_or(|n| *t < n);
        if !times.is_empty() && times.iter().all(inside) {
            return &v.policy;
        }
    }
    &history.latest().policy
}

/// When `policy`'s threshold of witnesses vouched for `log`'s checkpoint, if it verifies under
/// `policy` at all.
fn witnessed(policy: &Policy, log: &str, checkpoint: &[u8]) -> Option<u64> {
    let bk = policy.bookkeeper(log)?;
    let witnesses = policy.witnesses_for(log);
    let v = tally_tlog::checkpoint::verify(checkpoint, &bk.log_key, &witnesses, 0).ok()?;
    policy.witnessed_at(log, v.cosigners.iter().map(|c| (&c.key, c.timestamp)))
}

/// Every log's evidence under `policy`, and how many proofs there were.
fn logs(proofs: Proofs, policy: &Policy) -> Result<(Vec<LogEvidence>, usize), PackageError> {
    let (mut logs, mut count) = (Vec::new(), 0);
    for (name, (checkpoint, entries)) in proofs {
        let mut log = LogEvidence {
            bookkeeper: name.clone(),
            checkpoint,
            consistency: None,
            entries: Vec::new(),
        };
        for (path, proof, bytes) in entries {
            let origin = proof.origin();
            let known = policy
                .bookkeeper(&name)
                .is_some_and(|b| b.log_key.name() == origin);
            if !known {
                return Err(PackageError::UnknownLog { file: path, origin });
            }
            log.entries.push(ProvenEntry {
                index: proof.index,
                bytes,
                proof: proof.proof,
            });
            count += 1;
        }
        logs.push(log);
    }
    Ok((logs, count))
}

/// The policy history the package carries: `policy/history/<n>.json` and `<n>.note`.
fn history_links(files: &BTreeMap<String, Vec<u8>>) -> Result<Vec<Link>, PackageError> {
    let notes = files
        .range("policy/history/".to_owned()..)
        .take_while(|(p, _)| p.starts_with("policy/history/"));
    notes
        .filter_map(|(p, note)| Some((p.strip_suffix(".note")?, note)))
        .map(|(stem, note)| {
            let json = file(files, &format!("{stem}.json"))?;
            Ok(Link {
                json: json.to_vec(),
                note: note.clone(),
            })
        })
        .collect()
}

/// `proofs/<leaf>.<log>.tlog-proof` → (leaf, log).
fn proof_name(path: &str) -> Result<(&str, &str), PackageError> {
    let stem = path
        .strip_prefix("proofs/")
        .and_then(|p| p.strip_suffix(".tlog-proof"))
        .and_then(|p| p.split_once('.'))
        .filter(|(leaf, _)| leaf.len() == 64 && leaf.bytes().all(|b| b.is_ascii_hexdigit()));
    stem.ok_or_else(|| malformed(path, "not named <leaf hash in hex>.<log>.tlog-proof"))
}

/// The label secrets of `labels.txt`, if the package has one.
fn labels(files: &BTreeMap<String, Vec<u8>>) -> Result<Vec<LabelSecret>, PackageError> {
    let Some(text) = files.get("labels.txt") else {
        return Ok(Vec::new());
    };
    String::from_utf8_lossy(text)
        .lines()
        .map(|l| LabelSecret::parse(l).map_err(|e| malformed("labels.txt", e)))
        .collect()
}

/// Whether the manifest states what the evidence gives: the verdict, and each step's entry and
/// event bytes, in order; and whether `events/` holds exactly those events.
fn agrees(
    files: &BTreeMap<String, Vec<u8>>,
    manifest: &Manifest,
    verdict: &Verdict,
) -> Result<(), PackageError> {
    let found = status_name(verdict.status);
    if manifest.verdict != found {
        return Err(PackageError::Mismatch {
            claim: format!("the verdict is {}", manifest.verdict),
            found,
        });
    }
    let leaves = |v: &mut dyn Iterator<Item = String>| v.collect::<Vec<_>>().join(", ");
    let claimed = leaves(&mut manifest.steps.iter().map(|s| s.leaf.clone()));
    let proven = leaves(
        &mut verdict
            .timeline
            .iter()
            .map(|s| crate::build::hex_of_b64(&s.entry)),
    );
    if claimed != proven {
        return Err(PackageError::Mismatch {
            claim: format!("the steps are [{claimed}]"),
            found: format!("[{proven}]"),
        });
    }
    for (claim, step) in manifest.steps.iter().zip(&verdict.timeline) {
        if file(files, &claim.event)? != step.event.as_bytes() {
            return Err(PackageError::Mismatch {
                claim: format!("{} is the event of entry {}", claim.event, claim.leaf),
                found: "other bytes".into(),
            });
        }
    }
    let events = files.keys().filter(|p| p.starts_with("events/")).count();
    if events != manifest.steps.len() {
        return Err(PackageError::Mismatch {
            claim: format!("{} steps", manifest.steps.len()),
            found: format!("{events} files in events/"),
        });
    }
    Ok(())
}

fn file<'a>(files: &'a BTreeMap<String, Vec<u8>>, path: &str) -> Result<&'a [u8], PackageError> {
    files
        .get(path)
        .map(Vec::as_slice)
        .ok_or_else(|| PackageError::Missing(path.into()))
}

fn malformed(file: &str, detail: impl ToString) -> PackageError {
    PackageError::Malformed {
        file: file.into(),
        detail: detail.to_string(),
    }
}

/// A serialisable value's name as JSON spells it (`verified`, `certification`).
pub(crate) fn status_name(v: impl serde::Serialize) -> String {
    let value = serde_json::to_value(v).expect("an enum serialises");
    value.as_str().unwrap_or_default().to_owned()
}

/// `at` as RFC 3339, UTC.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .expect("a time formats")
}

/// The status of a recomputed verdict, for callers that exit by it.
pub fn exit_code(status: Status) -> u8 {
    match status {
        Status::Verified => 0,
        Status::Failed => 1,
        Status::Warning => 3,
        Status::Unverifiable => 4,
    }
}
