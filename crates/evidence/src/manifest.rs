//! `manifest.json`: the index of a package, for people and for tools that list its files. It is a
//! claim, not evidence: [`crate::check`] recomputes every verdict, step and file it names from the
//! signed bytes and refuses a package whose manifest says otherwise.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`crate::FORMAT`].
    pub format: String,
    /// The product, as a GS1 Digital Link URI without its label secret.
    pub product: String,
    /// When the package was made (RFC 3339, UTC); the verdict is judged as of then.
    pub exported_at: String,
    /// The verdict the evidence gives: verified, warning, unverifiable or failed.
    pub verdict: String,
    /// The verdict's reasons, machine-readable (as `tally history --json` gives them).
    pub reasons: Vec<serde_json::Value>,
    /// `sha256:…` of `policy.json`, as `tally policy show` prints it.
    pub policy_fingerprint: String,
    /// The timeline, oldest first.
    pub steps: Vec<Step>,
    /// Registry records (organisations, devices, revocations, entitlements), by leaf hash.
    pub records: Vec<Record>,
    /// Per log: the checkpoint every proof of this package is under.
    pub logs: Vec<Log>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub time: String,
    pub event_type: String,
    pub biz_step: Option<String>,
    /// GLN of the organisation whose certified device signed it.
    pub org: Option<String>,
    pub org_name: Option<String>,
    /// Signed by an authority (a device the network's governance certified): an attestation.
    #[serde(default)]
    pub authority: bool,
    /// The signing device's key, as the registry names it.
    pub signer: Option<String>,
    /// The CBV 2.0 Event Hash ID.
    pub hash_id: String,
    /// The entry's RFC 6962 leaf hash (hex).
    pub leaf: String,
    /// `events/…`: the event's original bytes.
    pub event: String,
    /// `entries/…`: the entry as logged.
    pub entry: String,
    /// Log name → `proofs/…`.
    pub proofs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// registration, certification, revocation or entitlement.
    pub kind: String,
    pub leaf: String,
    pub entry: String,
    pub proofs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Log {
    pub name: String,
    pub operator: String,
    /// The tree size and root (base64) of its checkpoint.
    pub size: u64,
    pub root: String,
    /// The witnesses whose cosignatures verified (key names).
    pub cosigners: Vec<String>,
    /// `checkpoints/<name>`.
    pub checkpoint: String,
    /// `policy/<name>.tlog-policy`.
    pub tlog_policy: String,
}
