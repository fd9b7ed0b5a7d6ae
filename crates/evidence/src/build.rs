//! Making a package from what a device fetched: every log's answer for the product (entries,
//! proofs, checkpoints) and the policy it judged them by.

use crate::archive::Archive;
use crate::check::{judge, rfc3339, status_name};
use crate::manifest::{self, Manifest};
use crate::report::{self, Font};
use crate::{sums, FORMAT};
use std::collections::BTreeMap;
use tally_confidential::LabelSecret;
use tally_tlog::{leaf_hash, TlogProof};
use tally_trust::policy_history::Link;
use tally_trust::{Entry, EntryKind, LogEvidence, Policy, Verdict};
use time::OffsetDateTime;

/// What a package is made from.
pub struct Export<'a> {
    /// The product, as a GS1 Digital Link URI without its label secret.
    pub product: &'a str,
    pub exported_at: OffsetDateTime,
    pub policy: &'a Policy,
    /// Each log's answer, asked from size 0 so that it depends on no device's trust state.
    pub logs: &'a [LogEvidence],
    /// The label secrets that open the product's sealed entries; they go into the package, so
    /// its reader sees what a holder of the label sees.
    pub secrets: &'a [LabelSecret],
    /// The report's typeface (it must cover Chinese).
    pub font: &'a Font,
    /// The policy's history the exporter holds (each version linked to the one before), so that
    /// a reader who trusts an older version reaches `policy` (see
    /// [`tally_trust::policy_history`]).
    pub history: &'a [Link],
}

/// Makes the package, as tar bytes, and the verdict it records.
pub fn build(x: &Export) -> (Vec<u8>, Verdict) {
    let verdict = judge(x.policy, x.product, x.logs, x.secrets, x.exported_at);
    let mut files = BTreeMap::new();
    let (proofs, records) = logged(x.logs, &mut files);
    for (i, link) in x.history.iter().enumerate() {
        files.insert(
            format!("policy/history/{:04}.json", i + 1),
            link.json.clone(),
        );
        files.insert(
            format!("policy/history/{:04}.note", i + 1),
            link.note.clone(),
        );
    }
    for bk in &x.policy.bookkeepers {
        let tlog_policy = x.policy.tlog_policy(&bk.name).to_bytes();
        files.insert(format!("policy/{}.tlog-policy", bk.name), tlog_policy);
    }
    let mut steps = Vec::new();
    for (n, step) in verdict.timeline.iter().enumerate() {
        let leaf = hex_of_b64(&step.entry);
        let event = format!("events/{:02}-{leaf}.jsonld", n + 1);
        files.insert(event.clone(), step.event.clone().into_bytes());
        steps.push(manifest::Step {
            time: step.time.clone(),
            event_type: step.event_type.into(),
            biz_step: step.biz_step.clone(),
            org: step.org.as_ref().map(|o| o.gln.clone()),
            org_name: step.org.as_ref().map(|o| o.name.clone()),
            authority: step.authority,
            signer: step.signer.clone(),
            hash_id: step.hash_id.clone(),
            entry: format!("entries/{leaf}.entry"),
            proofs: proofs.get(&leaf).cloned().unwrap_or_default(),
            leaf,
            event,
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        product: x.product.into(),
        exported_at: rfc3339(x.exported_at),
        verdict: status_name(verdict.status),
        reasons: verdict
            .reasons
            .iter()
            .map(|r| serde_json::to_value(r).expect("reasons serialise"))
            .collect(),
        policy_fingerprint: format!("sha256:{}", x.policy.fingerprint()),
        steps,
        records: records
            .into_iter()
            .map(|(leaf, kind)| manifest::Record {
                kind,
                entry: format!("entries/{leaf}.entry"),
                proofs: proofs.get(&leaf).cloned().unwrap_or_default(),
                leaf,
            })
            .collect(),
        logs: logs(x, &verdict),
    };
    files.insert("policy.json".into(), x.policy.to_json().into_bytes());
    if !x.secrets.is_empty() {
        let labels: String = x.secrets.iter().map(|s| format!("{s}\n")).collect();
        files.insert("labels.txt".into(), labels.into_bytes());
    }
    files.insert("README.txt".into(), report::readme(&manifest).into_bytes());
    files.insert("report.pdf".into(), report::pdf(&manifest, x.font));
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
    files.insert("manifest.json".into(), json);
    let sums = sums::write(&files);
    files.insert(sums::NAME.into(), sums.into_bytes());
    let mtime = x.exported_at.unix_timestamp().max(0) as u64;
    (Archive { files }.to_tar(mtime), verdict)
}

/// Writes every log's checkpoint, entries and proofs into `files`; returns, per leaf (hex), its
/// proof files by log, and the leaves that are registry records with their kinds.
fn logged(
    logs: &[LogEvidence],
    files: &mut BTreeMap<String, Vec<u8>>,
) -> (
    BTreeMap<String, BTreeMap<String, String>>,
    BTreeMap<String, String>,
) {
    let (mut proofs, mut records) = (BTreeMap::<_, BTreeMap<_, _>>::new(), BTreeMap::new());
    for log in logs {
        let name = &log.bookkeeper;
        files.insert(format!("checkpoints/{name}"), log.checkpoint.clone());
        for e in &log.entries {
            let leaf = hex::encode(leaf_hash(&e.bytes).0);
            let proof = TlogProof {
                extra: None,
                index: e.index,
                proof: e.proof.clone(),
                checkpoint: log.checkpoint.clone(),
            };
            let path = format!("proofs/{leaf}.{name}.tlog-proof");
            files.insert(path.clone(), proof.to_bytes());
            files.insert(format!("entries/{leaf}.entry"), e.bytes.clone());
            proofs
                .entry(leaf.clone())
                .or_default()
                .insert(name.clone(), path);
            if let Some(kind) = record_kind(&e.bytes) {
                records.insert(leaf, kind);
            }
        }
    }
    (proofs, records)
}

/// The kind of a registry record's entry (`None` for events, sealed or not).
fn record_kind(bytes: &[u8]) -> Option<String> {
    let kind = Entry::decode(bytes).ok()?.kind;
    (kind != EntryKind::Event).then(|| status_name(kind))
}

/// The package's view of each log in the policy that answered, with the `policy/` file of each.
fn logs(x: &Export, verdict: &Verdict) -> Vec<manifest::Log> {
    x.logs
        .iter()
        .filter_map(|log| {
            let bk = x.policy.bookkeeper(&log.bookkeeper)?;
            let cp = tally_tlog::checkpoint::parse_unverified(&log.checkpoint).ok()?;
            let seen = verdict.logs.iter().find(|l| l.name == bk.name);
            Some(manifest::Log {
                name: bk.name.clone(),
                operator: bk.operator.clone(),
                size: cp.size(),
                root: cp.hash().to_string(),
                cosigners: seen.map(|l| l.cosigners.clone()).unwrap_or_default(),
                checkpoint: format!("checkpoints/{}", bk.name),
                tlog_policy: format!("policy/{}.tlog-policy", bk.name),
            })
        })
        .collect()
}

/// A verdict's leaf hash (standard base64) in hex, as file names carry it.
pub(crate) fn hex_of_b64(b64: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("the verdict names leaves in base64");
    hex::encode(bytes)
}
