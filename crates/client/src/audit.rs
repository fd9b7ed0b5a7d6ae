//! What an auditor watches: each bookkeeper's state, consistency over time (forks, rollbacks and
//! the witnesses' own evidence), a lot traced forward through transformations and pallets, an
//! organisation's activity, and a product's evidence exported for anyone to check again.
//!
//! Everything is checked here as for a product: a checkpoint counts only with its log's signature
//! and enough independent cosignatures, a larger one only with a consistency proof from the one
//! this device trusts, an entry only with its inclusion proof under a checkpoint, in the logs of
//! k distinct operators.

use crate::evidence::{parse_history, Malformed};
use crate::fetch::FetchError;
use crate::state::StoredInconsistency;
use crate::verify::product_key;
use crate::view::History;
use crate::{Client, ClientError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tally_confidential::LabelSecret;
use tally_tlog::{checkpoint, leaf_hash, merkle};
use tally_trust::custody::Facts;
use tally_trust::policy::Bookkeeper;
use tally_trust::state::Advance;
use tally_trust::{Entry, EntryKind, LogEvidence, Policy, TrustState};
use time::OffsetDateTime;

/// One bookkeeper as the monitor sees it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogStatus {
    pub name: String,
    pub operator: String,
    pub url: String,
    pub reachable: bool,
    /// Why its checkpoint could not be used, if it could not.
    pub problem: Option<String>,
    /// Size of its latest valid checkpoint.
    pub size: Option<u64>,
    /// Root hash (base64).
    pub root: Option<String>,
    /// Witnesses whose cosignatures verified.
    pub cosigners: Vec<String>,
    /// Distinct other operators among them, and the policy's threshold.
    pub independent_cosigners: usize,
    pub witness_threshold: usize,
    /// Seconds since the witnesses last vouched for its checkpoint (the policy's threshold of
    /// them), if they did.
    pub age_seconds: Option<u64>,
    /// The size this device trusted before this check.
    pub trusted_size: Option<u64>,
    /// Entries behind the largest log (logs hold the same entries, so this is what it lacks).
    pub lag: Option<u64>,
    /// The latest checkpoint note as served.
    pub checkpoint: Option<String>,
}

/// Evidence of misbehaviour that a bookkeeper, as a witness, recorded about a peer's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessEvidence {
    /// The bookkeeper that recorded it.
    pub reported_by: String,
    /// The misbehaving log's origin.
    pub origin: String,
    pub reason: String,
    pub old_note: String,
    pub new_note: String,
    pub recorded_at: i64,
}

/// One round of monitoring.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Monitor {
    pub checked_at: i64,
    pub logs: Vec<LogStatus>,
    /// Forks and rollbacks this device detected, ever (newest last), with both notes.
    pub alerts: Vec<StoredInconsistency>,
    /// How many of `alerts` this round found.
    pub new_alerts: usize,
    /// What the bookkeepers' witnesses refused to cosign, with both notes.
    pub witness_evidence: Vec<WitnessEvidence>,
}

#[derive(Deserialize)]
struct EvidenceAnswer {
    evidence: Vec<EvidenceItem>,
}

#[derive(Deserialize)]
struct EvidenceItem {
    origin: String,
    old_note: String,
    new_note: String,
    reason: String,
    recorded_at: i64,
}

/// A lot or item downstream of the traced one, and how it got there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEdge {
    pub from: String,
    pub to: String,
    /// `transformed` (an input of a transformation that made `to`), `packed` (put into `to`) or
    /// `unit` (`to` is a serialised unit of the lot `from`).
    pub how: String,
    pub time: String,
    pub org: Option<String>,
}

/// A lot traced back (its verified history) and forward (what was made from it or packed with
/// it, each with its own verified history).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    pub origin: History,
    /// Lots and items upstream of it (inputs of the transformations that made it).
    pub upstream: Vec<String>,
    pub edges: Vec<TraceEdge>,
    pub downstream: Vec<History>,
    /// Whether the trace stopped at [`MAX_TRACE`] before reaching the end.
    pub truncated: bool,
}

/// Most lots and containers a forward trace visits.
pub const MAX_TRACE: usize = 64;

/// One event of an organisation, proven in k logs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityEvent {
    pub time: String,
    pub biz_step: Option<String>,
    pub event_type: String,
    pub place: Option<String>,
    pub items: usize,
    pub hash_id: String,
    /// Its entry's RFC 6962 leaf hash (base64): what a bookkeeper's inclusion proof is asked by.
    pub leaf: String,
    pub bookkeepers: Vec<String>,
    /// The event's JSON as this reader reads it: with the members the brand withheld from label
    /// holders put back when the reader is entitled to them.
    pub event: String,
    /// How many members stay withheld from this reader.
    pub withheld: usize,
}

/// What the logs hold about one organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    pub gln: String,
    pub name: Option<String>,
    pub events: Vec<ActivityEvent>,
    /// Events per business step.
    pub by_step: BTreeMap<String, usize>,
    /// Entries some log served that are not proven in k logs (possible omissions elsewhere).
    pub below_quorum: usize,
}

/// A product's evidence, exported: everything needed to check its verdict again, offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub format: String,
    pub product: String,
    pub exported_at: i64,
    /// The network policy the evidence is checked against.
    pub policy: serde_json::Value,
    /// Per bookkeeper, its `/history` answer exactly as received (checkpoint, proofs, entries).
    pub answers: BTreeMap<String, serde_json::Value>,
    /// The verdict this device reached.
    pub history: serde_json::Value,
    /// The label secrets that open the product's sealed entries: whoever receives the file reads
    /// its history as a holder of the label does, and nothing more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub label_secrets: Vec<String>,
}

/// The evidence file format.
pub const EVIDENCE_FORMAT: &str = "tally-evidence/v1";

impl EvidenceFile {
    /// Bookkeeper `name`'s answer, read as a fresh client reads it (asked from size 0); `None`
    /// if the file has no answer from it.
    pub fn answer(&self, name: &str) -> Option<Result<LogEvidence, Malformed>> {
        let a = self.answers.get(name)?;
        Some(parse_history(name, a.to_string().as_bytes(), 0))
    }

    /// The label secrets the file carries (what opens the product's sealed entries).
    pub fn secrets(&self) -> Result<Vec<LabelSecret>, ClientError> {
        self.label_secrets
            .iter()
            .map(|s| LabelSecret::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ClientError::NotAProduct(format!("the file's label secret: {e}")))
    }

    /// The policy the file carries. Anyone can write a file with a policy of their own keys, so
    /// this is only for a reader who chose to trust it, knowing its fingerprint
    /// ([`Policy::fingerprint`]); [`check_evidence`] takes the policy to judge by.
    pub fn embedded_policy(&self) -> Result<Policy, ClientError> {
        Ok(Policy::parse(self.policy.to_string().as_bytes())?)
    }
}

/// Checks an exported evidence file again, offline, under `policy` (normally the one installed
/// on this device, never silently the one inside the file): the verdict anyone holding that
/// policy reaches from the same bytes, at `now`. The checkpoints are not required to be fresh:
/// they were fresh when the file was exported, and are old by design now.
pub fn check_evidence(
    file: &EvidenceFile,
    policy: &Policy,
    now: OffsetDateTime,
) -> Result<History, ClientError> {
    if file.format != EVIDENCE_FORMAT {
        return Err(ClientError::NotAProduct(format!(
            "not a {EVIDENCE_FORMAT} file"
        )));
    }
    let (mut logs, mut unreachable, mut malformed) = (Vec::new(), Vec::new(), Vec::new());
    for bk in &policy.bookkeepers {
        match file.answer(&bk.name) {
            Some(Ok(ev)) => logs.push(ev),
            Some(Err(e)) => malformed.push((bk.name.clone(), e.to_string())),
            None => unreachable.push(bk.name.clone()),
        }
    }
    let secrets = file.secrets()?;
    let state = TrustState::default();
    let verdict = tally_trust::verify(&tally_trust::Request {
        unreachable: &unreachable,
        malformed: &malformed,
        max_age: None,
        secrets: &secrets,
        ..tally_trust::Request::online(policy, &file.product, &logs, &state, now)
    });
    Ok(crate::view::history(
        &verdict,
        policy,
        &[],
        crate::view::Source::Live,
        now.unix_timestamp(),
    ))
}

/// The checkpoint of `bk` as served, with its log's signature checked (and every cosignature
/// from a known witness key), and how many independent operators cosigned it. Whether that is
/// enough is the caller's question: a log-signed note is evidence against the log either way.
fn signed_checkpoint(
    policy: &Policy,
    bk: &Bookkeeper,
    note: &[u8],
) -> Result<(checkpoint::VerifiedCheckpoint, usize), String> {
    let witnesses = policy.witnesses_for(&bk.name);
    let v = checkpoint::verify(note, &bk.log_key, &witnesses, 0).map_err(|e| e.to_string())?;
    if v.checkpoint.origin() != bk.log_key.name() {
        return Err(format!(
            "origin {:?} is not the log's",
            v.checkpoint.origin()
        ));
    }
    let independent = policy.independent_cosigners(&bk.name, v.cosigners.iter().map(|c| &c.key));
    Ok((v, independent))
}

/// [`signed_checkpoint`], requiring the policy's witness threshold.
pub(crate) fn checked_checkpoint(
    policy: &Policy,
    bk: &Bookkeeper,
    note: &[u8],
) -> Result<(checkpoint::VerifiedCheckpoint, usize), String> {
    let (v, independent) = signed_checkpoint(policy, bk, note)?;
    if independent < policy.witness_threshold {
        return Err(under_cosigned(independent, policy));
    }
    Ok((v, independent))
}

/// What a monitor reports for a checkpoint that contradicts the one this device trusts, by how the
/// sizes compare (a fork of the same size has two roots; a rollback shrinks; a larger tree that
/// does not extend the old one is a fork too).
fn inconsistency_problem(i: &tally_trust::state::Inconsistency) -> String {
    let (kind, old, new) = (i.kind, i.old_size, i.new_size);
    match new.cmp(&old) {
        std::cmp::Ordering::Equal => format!("{kind}: two different trees of size {new}"),
        std::cmp::Ordering::Less => format!("{kind}: this device saw size {old}, now only {new}"),
        std::cmp::Ordering::Greater => {
            format!("{kind}: size {new} does not extend the size {old} this device saw")
        }
    }
}

fn under_cosigned(independent: usize, policy: &Policy) -> String {
    format!(
        "{independent} independent cosignatures, {} required",
        policy.witness_threshold
    )
}

impl Client {
    /// Checks every bookkeeper's latest checkpoint against what this device trusts: a larger one
    /// must come with a valid consistency proof (then it becomes trusted); a smaller one, or a
    /// different root for the same size, is a rollback or fork, recorded with both notes. Also
    /// gathers what the bookkeepers' witnesses recorded against their peers.
    pub async fn monitor(&self, now: i64) -> Result<Monitor, ClientError> {
        let state = self.store()?.trust_state()?;
        let checks = self
            .policy
            .bookkeepers
            .iter()
            .map(|bk| self.monitor_one(bk, &state, now));
        let results = futures_util::future::join_all(checks).await;
        let mut logs = Vec::new();
        let (mut updates, mut found) = (Vec::new(), Vec::new());
        let mut witness_evidence = Vec::new();
        for o in results {
            updates.extend(o.trust);
            found.extend(o.inconsistency.map(|i| (o.status.name.clone(), i)));
            witness_evidence.extend(o.evidence);
            logs.push(o.status);
        }
        let largest = logs.iter().filter_map(|l| l.size).max();
        for l in &mut logs {
            l.lag = l.size.zip(largest).map(|(s, m)| m - s);
        }
        let mut store = self.store()?;
        let new_alerts = store.record_monitoring(&updates, &found, now)?;
        Ok(Monitor {
            checked_at: now,
            logs,
            alerts: store.inconsistencies()?,
            new_alerts,
            witness_evidence,
        })
    }

    async fn monitor_one(&self, bk: &Bookkeeper, state: &TrustState, now: i64) -> Observed {
        let trusted = state.logs.get(bk.log_key.name());
        let mut status = LogStatus {
            name: bk.name.clone(),
            operator: bk.operator.clone(),
            url: bk.urls.first().cloned().unwrap_or_default(),
            reachable: false,
            problem: None,
            size: None,
            root: None,
            cosigners: vec![],
            independent_cosigners: 0,
            witness_threshold: self.policy.witness_threshold,
            age_seconds: None,
            trusted_size: trusted.map(|t| t.size),
            lag: None,
            checkpoint: None,
        };
        let evidence = self.witness_evidence(bk).await;
        let note = match self.http.checkpoint(bk).await {
            Ok(n) => n,
            Err(e) => {
                status.problem = Some(e.to_string());
                return Observed::only(status, evidence);
            }
        };
        status.reachable = true;
        status.checkpoint = Some(String::from_utf8_lossy(&note).into_owned());
        let (verified, independent) = match signed_checkpoint(&self.policy, bk, &note) {
            Ok(v) => v,
            Err(problem) => {
                status.problem = Some(problem);
                return Observed::only(status, evidence);
            }
        };
        let cp = &verified.checkpoint;
        status.size = Some(cp.size());
        status.root = Some(cp.hash().to_string());
        status.cosigners = verified
            .cosigners
            .iter()
            .map(|c| c.key.name().to_owned())
            .collect();
        status.independent_cosigners = independent;
        let proof = match trusted {
            Some(t) if t.size > 0 && t.size < cp.size() => {
                let proof = match &bk.tiles {
                    Some(tiles) => {
                        let http = &self.http;
                        http.tiled_consistency(tiles, cp.size(), *cp.hash(), t.size)
                            .await
                    }
                    None => self.http.consistency(bk, t.size, cp.size()).await,
                };
                match proof {
                    Ok(p) => Some(p),
                    Err(e) => {
                        status.problem = Some(format!("no consistency proof: {e}"));
                        None
                    }
                }
            }
            _ => None,
        };
        let cosigners = verified.cosigners.iter().map(|c| (&c.key, c.timestamp));
        status.age_seconds = self
            .policy
            .witnessed_at(&bk.name, cosigners)
            .map(|at| u64::try_from(now).unwrap_or(0).saturating_sub(at));
        let fresh = status
            .age_seconds
            .is_none_or(|age| age <= self.policy.max_checkpoint_age);
        let enough = independent >= self.policy.witness_threshold;
        if !enough {
            status.problem = Some(under_cosigned(independent, &self.policy));
        } else if !fresh {
            status.problem = status.age_seconds.map(|a| {
                format!(
                    "stale: witnesses last vouched for it {} ago",
                    crate::view::age(a)
                )
            });
        }
        let mut observed = Observed::only(status, evidence);
        // As for a product's verdict: a fork is evidence on the log's signature alone; anything
        // else only on a checkpoint enough witnesses vouched for recently.
        match state.check(&verified, &note, proof.as_deref()) {
            Advance::Inconsistent(i) if i.kind == "fork" || (enough && fresh) => {
                observed.status.problem = Some(inconsistency_problem(&i));
                observed.inconsistency = Some(i);
            }
            Advance::First(t) | Advance::Newer(t) if enough && fresh => {
                observed.trust = Some((cp.origin().to_owned(), t));
            }
            Advance::Unproven => {
                observed
                    .status
                    .problem
                    .get_or_insert_with(|| "larger checkpoint without a consistency proof".into());
            }
            _ => {}
        }
        observed
    }

    async fn witness_evidence(&self, bk: &Bookkeeper) -> Vec<WitnessEvidence> {
        let Ok(body) = self.http.get(bk, "/evidence").await else {
            return Vec::new();
        };
        serde_json::from_slice::<EvidenceAnswer>(&body)
            .map(|a| {
                a.evidence
                    .into_iter()
                    .map(|e| WitnessEvidence {
                        reported_by: bk.name.clone(),
                        origin: e.origin,
                        reason: e.reason,
                        old_note: e.old_note,
                        new_note: e.new_note,
                        recorded_at: e.recorded_at,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Traces the lot or item `code` names back (its verified history and the inputs it was made
    /// from) and forward: every transformation that used it and every case or pallet it was put
    /// into, transitively (up to [`MAX_TRACE`] nodes), each with its own verified history.
    ///
    /// A labelled code (one carrying its label's secret) follows its lot's sealed events: each
    /// product it leads to is verified with the same label, which opens what that lot's events
    /// hand on (the pallet it travelled on, the batches made from it).
    pub async fn trace(&self, code: &str, now: OffsetDateTime) -> Result<Trace, ClientError> {
        let start = product_key(code)?;
        let label = crate::verify::labels_of(code);
        let labelled = |key: &str| match label.first() {
            Some(s) => s.add_to_link(key),
            None => key.to_owned(),
        };
        let origin = self.verify(&labelled(&start), now).await?;
        let upstream = inputs_of(&origin, &start);
        let mut queue = vec![start.clone()];
        let mut seen: BTreeSet<String> = BTreeSet::from([canon(&start)]);
        let (mut edges, mut downstream) = (Vec::new(), Vec::new());
        let mut truncated = false;
        while let Some(key) = queue.pop() {
            let history = if key == start {
                origin.clone()
            } else {
                let h = self.verify(&labelled(&key), now).await?;
                downstream.push(h.clone());
                h
            };
            let mut next = onward(&history, &canon(&key));
            next.extend(self.units_of(&key, &label).await);
            for edge in next {
                if seen.insert(canon(&edge.to)) {
                    if seen.len() > MAX_TRACE {
                        truncated = true;
                        continue;
                    }
                    queue.push(edge.to.clone());
                }
                if !edges.contains(&edge) {
                    edges.push(edge);
                }
            }
        }
        Ok(Trace {
            origin,
            upstream,
            edges,
            downstream,
            truncated,
        })
    }

    /// The serialised units of a lot (`…/10/{lot}` without a serial), as any bookkeeper indexes
    /// them: leads only — each unit found is then verified like any product.
    async fn units_of(&self, key: &str, label: &[LabelSecret]) -> Vec<TraceEdge> {
        if !key.contains("/10/") || key.contains("/21/") {
            return Vec::new();
        }
        let lot = canon(key);
        let mut found: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        for bk in &self.policy.bookkeepers {
            let units = tally_trust::keys::units(&lot);
            let Ok(entries) = self.http.lookup(bk, &units, label).await else {
                continue;
            };
            for (_, bytes) in entries {
                let plain = match tally_confidential::is_sealed(&bytes) {
                    true => match tally_confidential::open(&bytes, label) {
                        Ok(o) => o.entry,
                        Err(_) => continue,
                    },
                    false => bytes,
                };
                let Some(raw) = Entry::decode(&plain)
                    .ok()
                    .filter(|e| e.kind == EntryKind::Event)
                    .and_then(|e| tally_epcis::RawEvent::parse(&e.payload).ok())
                else {
                    continue;
                };
                let time = raw
                    .event
                    .event_time_utc()
                    .ok()
                    .and_then(|t| {
                        t.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    })
                    .unwrap_or_default();
                for id in raw.event.identifiers() {
                    if tally_trust::custody::lot_of(id)
                        .map(|l| canon(&l))
                        .as_deref()
                        == Some(&lot)
                    {
                        found.entry(id.to_owned()).or_insert((time.clone(), None));
                    }
                }
            }
        }
        found
            .into_iter()
            .map(|(unit, (time, org))| TraceEdge {
                from: key.to_owned(),
                to: unit,
                how: "unit".into(),
                time,
                org,
            })
            .collect()
    }

    /// The events of organisation `gln` that the logs of k operators prove, with the signatures
    /// and inclusion proofs checked.
    pub async fn activity(&self, gln: &str) -> Result<Activity, ClientError> {
        let fetches = self.policy.bookkeepers.iter().map(|bk| async move {
            let body = self.http.history(bk, gln, 0, &[]).await?;
            parse_history(&bk.name, &body, 0).map_err(|e| FetchError::Malformed(e.0))
        });
        let answers: Vec<LogEvidence> = futures_util::future::join_all(fetches)
            .await
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        // Per entry (leaf): its bytes, the bookkeepers that prove it and their operators.
        let mut proven: BTreeMap<[u8; 32], Proven> = BTreeMap::new();
        for ev in &answers {
            let Some(bk) = self.policy.bookkeeper(&ev.bookkeeper) else {
                continue;
            };
            let Ok((v, _)) = checked_checkpoint(&self.policy, bk, &ev.checkpoint) else {
                continue;
            };
            for pe in &ev.entries {
                let leaf = leaf_hash(&pe.bytes);
                let cp = &v.checkpoint;
                if merkle::verify_inclusion(pe.index, cp.size(), &leaf, &pe.proof, cp.hash())
                    .is_ok()
                {
                    let slot = proven.entry(leaf.0).or_insert_with(|| Proven {
                        bytes: pe.bytes.clone(),
                        disclosures: vec![],
                        logs: vec![],
                        operators: BTreeSet::new(),
                    });
                    slot.logs.push(bk.name.clone());
                    slot.operators.insert(bk.operator.clone());
                }
            }
        }
        Ok(activity_of(self.policy.log_quorum, gln, proven, &|_| true))
    }

    /// Verifies `code` and exports everything its verdict rests on: the policy, each
    /// bookkeeper's answer exactly as received, and the verdict.
    pub async fn export(
        &self,
        code: &str,
        now: OffsetDateTime,
    ) -> Result<EvidenceFile, ClientError> {
        let product = product_key(code)?;
        let secrets = crate::verify::labels_of(code);
        let history = self.verify(code, now).await?;
        // Ask again from scratch (old=0): the exported proofs must not depend on this device's
        // trust state to be checked by someone else.
        let fetches = self.policy.bookkeepers.iter().map(|bk| {
            let (product, secrets) = (product.clone(), &secrets);
            async move {
                let answer = self.http.history(bk, &product, 0, secrets).await;
                (bk.name.clone(), answer)
            }
        });
        let mut answers = BTreeMap::new();
        for (name, answer) in futures_util::future::join_all(fetches).await {
            if let Ok(body) = answer {
                if let Ok(v) = serde_json::from_slice(&body) {
                    answers.insert(name, v);
                }
            }
        }
        Ok(EvidenceFile {
            format: EVIDENCE_FORMAT.into(),
            product,
            exported_at: now.unix_timestamp(),
            policy: serde_json::from_str(&self.policy.to_json()).unwrap_or_default(),
            answers,
            history: serde_json::to_value(&history).unwrap_or_default(),
            label_secrets: secrets.iter().map(ToString::to_string).collect(),
        })
    }
}

impl Client {
    /// Verifies `code` and makes its court-ready evidence package (`tally_evidence`): every
    /// log's answer asked afresh, the label secrets of the code, the policy's `history`, the
    /// report set in `font`. Returns the package's bytes and the verdict it records.
    pub async fn package(
        &self,
        code: &str,
        now: OffsetDateTime,
        font: &tally_evidence::report::Font,
        history: &[tally_trust::policy_history::Link],
    ) -> Result<(Vec<u8>, tally_trust::Verdict), ClientError> {
        let file = self.export(code, now).await?;
        let logs: Vec<LogEvidence> = self
            .policy
            .bookkeepers
            .iter()
            .filter_map(|bk| file.answer(&bk.name)?.ok())
            .collect();
        let secrets = file.secrets()?;
        Ok(tally_evidence::build(&tally_evidence::Export {
            product: &file.product,
            exported_at: now,
            policy: &self.policy,
            logs: &logs,
            secrets: &secrets,
            font,
            history,
        }))
    }
}

/// An entry proven under the checkpoints of some logs.
pub(crate) struct Proven {
    pub bytes: Vec<u8>,
    /// The disclosures of its event's withheld members this reader opened.
    pub disclosures: Vec<tally_confidential::Disclosure>,
    pub logs: Vec<String>,
    pub operators: BTreeSet<String>,
}

/// What the entries `proven` (plain, keyed by leaf) say of organisation `gln`: its name, and the
/// events that the logs of `quorum` operators prove and `keep` accepts.
pub(crate) fn activity_of(
    quorum: usize,
    gln: &str,
    proven: BTreeMap<[u8; 32], Proven>,
    keep: &dyn Fn(&Entry) -> bool,
) -> Activity {
    let mut activity = Activity {
        gln: gln.to_owned(),
        name: None,
        events: Vec::new(),
        by_step: BTreeMap::new(),
        below_quorum: 0,
    };
    for (
        leaf,
        Proven {
            bytes,
            disclosures,
            logs,
            operators,
        },
    ) in proven
    {
        if operators.len() < quorum {
            activity.below_quorum += 1;
            continue;
        }
        let Ok(entry) = Entry::decode(&bytes) else {
            continue;
        };
        if !entry.verify_signature() || !keep(&entry) {
            continue;
        }
        match entry.kind {
            EntryKind::Registration => {
                if let Ok(tally_trust::Record::Registration { gln: g, name, .. }) =
                    serde_json::from_slice(&entry.payload)
                {
                    if g == gln {
                        activity.name = Some(name);
                    }
                }
            }
            EntryKind::Event => {
                let Some(facts) = tally_epcis::RawEvent::parse(&entry.payload)
                    .ok()
                    .and_then(|r| Facts::from_event(&r.event).ok())
                else {
                    continue;
                };
                let read = tally_confidential::reveal(&entry.payload, &disclosures).ok();
                let step = facts.biz_step.clone().unwrap_or_else(|| "other".into());
                *activity.by_step.entry(step).or_default() += 1;
                activity.events.push(ActivityEvent {
                    time: facts
                        .time
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    biz_step: facts.biz_step,
                    event_type: facts.event_type.to_owned(),
                    place: facts.place,
                    items: facts.ids.len(),
                    hash_id: entry.hash_id.unwrap_or_default(),
                    leaf: tally_tlog::Hash(leaf).to_string(),
                    bookkeepers: logs,
                    withheld: read.as_ref().map_or(0, |r| r.withheld),
                    event: match read {
                        Some(r) => String::from_utf8_lossy(&r.event).into_owned(),
                        None => String::from_utf8_lossy(&entry.payload).into_owned(),
                    },
                });
            }
            _ => {}
        }
    }
    activity.events.sort_by(|a, b| a.time.cmp(&b.time));
    activity
}

/// What monitoring one bookkeeper found: its status, a checkpoint to trust now, an inconsistency,
/// and its witnesses' evidence against peers.
struct Observed {
    status: LogStatus,
    trust: Option<(String, tally_trust::TrustedCheckpoint)>,
    inconsistency: Option<tally_trust::state::Inconsistency>,
    evidence: Vec<WitnessEvidence>,
}

impl Observed {
    fn only(status: LogStatus, evidence: Vec<WitnessEvidence>) -> Self {
        Observed {
            status,
            trust: None,
            inconsistency: None,
            evidence,
        }
    }
}

fn canon(s: &str) -> String {
    tally_epcis::epc::canonical_gs1_uri(s).unwrap_or_else(|| s.to_owned())
}

/// The facts of a step's event.
fn facts(event_json: &str) -> Option<Facts> {
    let raw = tally_epcis::RawEvent::parse(event_json.as_bytes()).ok()?;
    Facts::from_event(&raw.event).ok()
}

/// Inputs of the transformations in `history` whose outputs include `key` (or its lot).
fn inputs_of(history: &History, key: &str) -> Vec<String> {
    let ids = tally_trust::custody::product_ids(key);
    let mut out: Vec<String> = history
        .steps
        .iter()
        .filter_map(|s| facts(&s.evidence.event))
        .filter(|f| f.outputs.iter().any(|o| ids.contains(o)))
        .flat_map(|f| f.inputs)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Where `key` went next in `history`: transformations that took it as input, containers it was
/// packed into.
fn onward(history: &History, key: &str) -> Vec<TraceEdge> {
    let mut out = Vec::new();
    for s in &history.steps {
        let Some(f) = facts(&s.evidence.event) else {
            continue;
        };
        let mut add = |to: &str, how: &str| {
            out.push(TraceEdge {
                from: key.to_owned(),
                to: to.to_owned(),
                how: how.to_owned(),
                time: s.time.clone(),
                org: s.org.clone(),
            })
        };
        if f.inputs.iter().any(|i| i == key) {
            for o in &f.outputs {
                add(o, "transformed");
            }
        }
        if f.action == Some("ADD") && f.children.iter().any(|c| c == key) {
            if let Some(p) = &f.parent {
                add(p, "packed");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::inconsistency_problem;
    use tally_trust::state::Inconsistency;

    fn seen(kind: &'static str, old_size: u64, new_size: u64) -> String {
        inconsistency_problem(&Inconsistency {
            kind,
            old_size,
            new_size,
            old_note: String::new(),
            new_note: String::new(),
        })
    }

    #[test]
    fn the_problem_says_how_the_two_trees_differ() {
        assert_eq!(seen("fork", 53, 53), "fork: two different trees of size 53");
        assert_eq!(
            seen("rollback", 60, 53),
            "rollback: this device saw size 60, now only 53"
        );
        assert_eq!(
            seen("fork", 53, 70),
            "fork: size 70 does not extend the size 53 this device saw"
        );
    }
}
