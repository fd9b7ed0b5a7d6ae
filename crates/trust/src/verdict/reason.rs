//! The verdict's vocabulary: every machine-readable reason and what it weighs.
//!
//! Four verdicts, because a shopper must tell *evidence of a fake* from *could not check*:
//! **Verified**; **Warning** (genuine history, but something needs attention: a recall, a
//! sale already logged, a bookkeeper that misbehaved and was set aside); **Unverifiable** (too
//! few bookkeepers could be used to reach the policy's quorum: nothing was shown either way); and
//! **Failed** (evidence against the product: no authorised history at all, a serial the brand
//! never commissioned, forged or contradictory records that k independent logs hold).
//!
//! What one bookkeeper can do — be down, slow, lie, fork, roll back, omit, add, replay — only ever
//! produces reasons about *that log* (Info or Warning) and the log's answer is set aside; the
//! reasons that fail a product are about entries that k distinct operators' logs prove.

use crate::custody::{Finding, SetAside};
use crate::registry::AuthError;
use crate::state::Inconsistency;
use serde::Serialize;

/// The overall answer, in the words a shopper needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Verified,
    Warning,
    /// Not enough of the network could be checked to say anything (offline, bookkeepers down or
    /// set aside): neither verified nor evidence of a fake.
    Unverifiable,
    Failed,
}

/// How much a reason weighs; the verdict is the heaviest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth showing, does not change the verdict.
    Info,
    Warning,
    Unverifiable,
    Failed,
}

impl Severity {
    /// The verdict a reason of this weight gives, at most.
    pub fn status(self) -> Status {
        match self {
            Severity::Info => Status::Verified,
            Severity::Warning => Status::Warning,
            Severity::Unverifiable => Status::Unverifiable,
            Severity::Failed => Status::Failed,
        }
    }
}

/// One machine-readable reason. `entry` fields are leaf hashes (base64).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// The bookkeeper did not answer (down, refused, timed out).
    LogUnreachable {
        log: String,
    },
    /// The bookkeeper answered something that is not the protocol (garbage, an answer too large).
    LogMalformed {
        log: String,
        detail: String,
    },
    UnknownLog {
        log: String,
    },
    /// The checkpoint is unsigned, badly signed, malformed or under-cosigned: the log is not used.
    CheckpointInvalid {
        log: String,
        detail: String,
    },
    /// The witnesses last vouched for the checkpoint longer ago than the policy allows: an old
    /// answer (replayed, or a stuck log); not used.
    StaleCheckpoint {
        log: String,
        age_seconds: u64,
        max_seconds: u64,
    },
    /// The policy asks for no witnesses, so nothing shows this answer is fresh.
    Unwitnessed {
        log: String,
    },
    /// Fork or rollback, with both signed notes: the log is set aside, the evidence kept.
    LogInconsistent {
        log: String,
        evidence: Inconsistency,
    },
    /// A newer checkpoint came without a valid consistency proof: not used, nothing trusted.
    ConsistencyUnproven {
        log: String,
    },
    /// The log served an entry that its own signed checkpoint does not include.
    BadInclusionProof {
        log: String,
        index: u64,
        entry: String,
    },
    /// A usable log did not serve records of this product that other logs prove (omitted, or
    /// not received yet).
    LogOmitted {
        log: String,
        entries: Vec<String>,
    },
    /// A log served records that are not about this product; they were ignored.
    ForeignEntries {
        log: String,
        count: usize,
    },
    MalformedEntry {
        entry: String,
        detail: String,
    },
    /// A record of this product proven in the logs of fewer than k operators: not counted.
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
    /// A step signed by a device not allowed to sign it: not counted.
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
    /// Events about the product by parties outside its custody chain, set aside (one reason per
    /// organisation and cause, however many events: a flood is one line).
    SetAside {
        /// The signer's organisation: GLN, and its registered name.
        org: String,
        name: Option<String>,
        why: SetAside,
        entries: Vec<String>,
    },
    /// The brand serialises this lot (or GTIN) but never commissioned this serial: a label with
    /// a made-up serial number.
    UnknownSerial {
        serial: String,
        /// An entry that commissions other serials of the lot: the evidence of serialisation.
        evidence: String,
    },
    /// The lot's units are not serialised in the logs: the serial on the label was not checked.
    LotOnly {
        serial: String,
    },
    /// The scanned link points to a host that no organisation of this product registered as its
    /// resolver.
    UnregisteredResolver {
        host: String,
    },
    /// The label carries a signature (GS1 AI 8030) that no labelling key of the product's brand
    /// made, or one that is not a signature: its data were changed, or someone else printed it.
    LabelForged {
        /// The brand's party GLN and name, when its keys are known.
        org: Option<String>,
        name: Option<String>,
    },
    /// The label was signed with a labelling key revoked since: it may have been printed with a
    /// stolen key.
    LabelSignerRevoked {
        org: String,
        name: String,
        since: String,
    },
    /// Fewer than k distinct operators' logs could be used.
    TooFewLogs {
        usable: usize,
        need: usize,
    },
    /// Records of this product exist in some logs but not in k of them, and the logs that could
    /// not be used might hold them.
    NoConfirmedHistory {
        entries: Vec<String>,
    },
    /// No authorised event of this product is proven in the logs of k operators, and no
    /// unusable log could change that.
    NoHistory,
}

impl Reason {
    /// The weight of this reason.
    pub fn severity(&self) -> Severity {
        use Reason::*;
        match self {
            LogUnreachable { .. }
            | UnknownLog { .. }
            | RegistryRecordRejected { .. }
            | Unwitnessed { .. }
            | LogOmitted { .. }
            | ForeignEntries { .. }
            | LotOnly { .. } => Severity::Info,
            LogMalformed { .. }
            | CheckpointInvalid { .. }
            | StaleCheckpoint { .. }
            | LogInconsistent { .. }
            | ConsistencyUnproven { .. }
            | BadInclusionProof { .. }
            | MalformedEntry { .. }
            | EntryBelowQuorum { .. }
            | Unauthorised { .. }
            | SetAside { .. }
            | LabelSignerRevoked { .. }
            | UnregisteredResolver { .. } => Severity::Warning,
            Custody { finding, .. } => finding_severity(finding),
            TooFewLogs { .. } | NoConfirmedHistory { .. } => Severity::Unverifiable,
            BadSignature { .. }
            | HashIdMismatch { .. }
            | MalformedEvent { .. }
            | UnknownSerial { .. }
            | LabelForged { .. }
            | NoHistory => Severity::Failed,
        }
    }

    /// The bookkeeper this reason is about, if it is about one.
    pub fn log(&self) -> Option<&str> {
        use Reason::*;
        match self {
            LogUnreachable { log }
            | LogMalformed { log, .. }
            | UnknownLog { log }
            | CheckpointInvalid { log, .. }
            | StaleCheckpoint { log, .. }
            | Unwitnessed { log }
            | LogInconsistent { log, .. }
            | ConsistencyUnproven { log }
            | BadInclusionProof { log, .. }
            | LogOmitted { log, .. }
            | ForeignEntries { log, .. } => Some(log),
            _ => None,
        }
    }
}

/// Custody findings: contradictions within the chain fail a product; what a shopper must know
/// about a genuine one (recall, sale, temperature) warns.
fn finding_severity(finding: &Finding) -> Severity {
    match finding {
        Finding::Recalled { .. }
        | Finding::AlreadySold { .. }
        | Finding::ColdChainExcursion { .. } => Severity::Warning,
        Finding::CustodyBreak { .. }
        | Finding::WrongReceiver { .. }
        | Finding::ImpossibleTimeOrder { .. } => Severity::Failed,
    }
}
