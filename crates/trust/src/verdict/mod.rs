//! The verdict on a product's history: Verified, Warning, Unverifiable or Failed, with every
//! reason.
//!
//! Input is everything the client fetched — per bookkeeper, a signed checkpoint, a consistency proof
//! from the checkpoint the client trusted before, and entries with inclusion proofs — plus the
//! policy, the client's trust state and the time. Nothing in it is trusted. In order:
//!
//! 1. [`logs`]: each log's checkpoint must carry its key's signature and `witness_threshold`
//!    independent cosignatures, recent enough, consistent with what this client saw before; a
//!    log that fails any of it is set aside (its fork or rollback kept as evidence), and each
//!    entry must be proven under the checkpoint.
//! 2. [`quorum`]: an entry counts only when the logs of at least k distinct operators prove it.
//! 3. Signatures, the registry, authorisation (by claimed time *and* by log order against
//!    revocations), the custody chain (who may speak of the product), then what the product
//!    itself shows ([`product`]): a serial never commissioned, a link to an unregistered host.
//! 4. Whether the network could be checked at all: with fewer than k usable operators the verdict
//!    is Unverifiable, never Failed.
//!
//! So one lying, forking, stale or absent bookkeeper lowers confidence (a warning, or
//! Unverifiable when too few others remain) but can neither forge history, nor make an honest
//! product fail, nor lift a counterfeit above Failed: a counterfeit fails on what k logs prove
//! (no history, an unknown serial), and a log that adds records only it holds cannot change that.

mod logs;
mod product;
mod quorum;
mod reason;

pub use reason::{Reason, Severity, Status};

use crate::custody::{self, Actor, Facts, Temperature};
use crate::entry;
use crate::label::{LabelCheck, LabelSigner};
use crate::policy::Policy;
use crate::registry::{AuthError, Registry};
use crate::state::{TrustState, TrustedCheckpoint};
use quorum::Counted;
use serde::Serialize;
use std::collections::BTreeSet;
use tally_confidential::{LabelSecret, RecipientSecret};
use tally_epcis::raw::RawEvent;
use tally_tlog::{Hash, SignatureBatch};
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
    /// Bookkeepers that answered something unusable, and what was wrong with it.
    pub malformed: &'a [(String, String)],
    pub state: &'a TrustState,
    pub now: OffsetDateTime,
    /// How old (seconds) the witnesses' vouching for a checkpoint may be: the policy's
    /// `max_checkpoint_age` for a scan now; `None` to re-check evidence exported long ago (its
    /// checkpoints were fresh when it was made, and are old by design now).
    pub max_age: Option<u64>,
    /// The host the scanned Digital Link named (lower case), to flag an unregistered resolver.
    pub host: Option<&'a str>,
    /// The label secrets this device holds for the product (the scanned link's): what opens its
    /// sealed entries.
    pub secrets: &'a [LabelSecret],
    /// An entitled recipient's key, when the reader is one: the entries the labels open are also
    /// opened with it, for the members the brand withheld from label holders. The verdict is the
    /// same either way; only what its steps show differs.
    pub reader: Option<&'a RecipientSecret>,
    /// The code as scanned, when it may carry the brand's signature (GS1 AI 8030).
    pub label: Option<&'a str>,
    /// Labelling keys this device kept from the registry it last read: the label is checked
    /// against them and those the logs' answer holds.
    pub label_signers: &'a [LabelSigner],
}

impl<'a> Request<'a> {
    /// A request for a scan now: every log answered, freshness as the policy says, no host.
    pub fn online(
        policy: &'a Policy,
        product: &'a str,
        logs: &'a [LogEvidence],
        state: &'a TrustState,
        now: OffsetDateTime,
    ) -> Self {
        Request {
            policy,
            product,
            logs,
            unreachable: &[],
            malformed: &[],
            state,
            now,
            max_age: Some(policy.max_checkpoint_age),
            host: None,
            secrets: &[],
            reader: None,
            label: None,
            label_signers: &[],
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
    /// Signed by an authority (a device the network's governance itself certified: customs, a
    /// laboratory, a regulator): an attestation that counts without custody.
    pub authority: bool,
    /// Bookkeepers whose logs prove this entry.
    pub logs: Vec<String>,
    pub temperatures: Vec<Temperature>,
    /// The event's original JSON, for the evidence view.
    pub event: String,
    /// How many of its members the brand withheld from label holders (their salted digests are
    /// in `event`; see `tally_confidential::withhold`).
    pub withheld: usize,
    /// The whole event, with the withheld members the reader opened put back; `None` when it
    /// opened none.
    pub revealed: Option<String>,
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

impl LogReport {
    fn unreached(name: &str) -> Self {
        LogReport {
            name: name.to_owned(),
            reachable: false,
            size: None,
            cosigners: vec![],
            used: false,
        }
    }

    fn reached(name: &str) -> Self {
        LogReport {
            reachable: true,
            ..Self::unreached(name)
        }
    }
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub status: Status,
    pub product: String,
    pub reasons: Vec<Reason>,
    pub timeline: Vec<Step>,
    pub logs: Vec<LogReport>,
    /// What the label's signature says (GS1 AI 8030).
    pub label: LabelCheck,
    /// Checkpoints the caller should now trust (origin → checkpoint).
    #[serde(skip)]
    pub trust_updates: Vec<(String, TrustedCheckpoint)>,
}

/// How signatures are checked: collected into one batch (the fast path), or one by one (the path
/// that names every bad signature, taken when the batch fails).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Batch,
    OneByOne,
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

/// A confirmed event, parsed.
struct Item {
    counted: Counted,
    hash_id: String,
    facts: Facts,
}

/// What k logs prove: the registry records, the events, and the registry they build; and the
/// entries fewer logs prove.
struct Ledger {
    records: Vec<Counted>,
    items: Vec<Item>,
    registry: Registry,
    unconfirmed: Vec<Counted>,
    /// Per log, sealed entries served that this device's labels do not open.
    unopened: quorum::Unopened,
}

impl Ledger {
    fn facts(&self) -> Vec<Facts> {
        self.items.iter().map(|i| i.facts.clone()).collect()
    }

    fn leaf(&self, i: usize) -> String {
        self.items[i].counted.leaf.to_string()
    }
}

/// The product's history as the custody walk judged it.
struct History {
    /// Its events (indices into the ledger's items), in time order.
    order: Vec<usize>,
    actors: Vec<Option<Actor>>,
    walk: custody::Walk,
}

impl History {
    /// Events shown on the timeline: all but those set aside.
    fn shown(&self) -> Vec<usize> {
        let walk = &self.walk;
        self.order
            .iter()
            .copied()
            .filter(|&i| !walk.is_set_aside(i))
            .collect()
    }

    /// Events that count: authorised and not set aside.
    fn counted(&self) -> Vec<usize> {
        self.shown()
            .into_iter()
            .filter(|&i| self.actors[i].is_some())
            .collect()
    }
}

fn evaluate(req: &Request, mode: Mode, batch: &mut SignatureBatch) -> Verdict {
    let mut reasons = edge_reasons(req);
    let checked = logs::check_all(req, mode, batch, &mut reasons);
    let used_logs: Vec<String> = checked.used().map(str::to_owned).collect();
    let usable: BTreeSet<String> = used_logs
        .iter()
        .filter_map(|l| req.policy.bookkeeper(l).map(|b| b.operator.clone()))
        .collect();
    let mut reports: Vec<LogReport> = req
        .unreachable
        .iter()
        .chain(req.malformed.iter().map(|(l, _)| l))
        .map(|l| LogReport::unreached(l))
        .collect();
    reports.extend(checked.reports.iter().cloned());
    let ledger = ledger(req, checked.copies, mode, batch, &mut reasons);
    let ids = custody::product_ids(req.product);
    let history = history(req, &ledger, &ids, &mut reasons);
    let (shown, counted) = (history.shown(), history.counted());
    let facts = ledger.facts();
    let view = product::View {
        req,
        items: &facts,
        actors: &history.actors,
        counted: &counted,
        members: &history.walk.members,
        registry: &ledger.registry,
    };
    reasons.extend(view.serial(|i| ledger.leaf(i)));
    reasons.extend(view.resolver());
    let label = label_check(req, &ledger.registry);
    reasons.extend(crate::label::reason(&label));
    let about = product::unconfirmed_about(
        &ids,
        (&facts, &history.actors),
        &ledger.unconfirmed,
        &ledger.registry,
        req.now,
    );
    reasons.extend(product::coverage(
        req.policy,
        &usable,
        counted.is_empty(),
        &about,
    ));
    let served: Vec<&Counted> = shown.iter().map(|&i| &ledger.items[i].counted).collect();
    reasons.extend(product::omissions(&used_logs, &served));
    reasons.extend(product::foreign(
        &ledger.items,
        &history.order,
        &ledger.unconfirmed,
        &about,
        &ledger.unopened,
    ));
    let timeline = crate::parallel::map(&shown, |&i| {
        step(
            &ledger.items[i],
            history.actors[i].as_ref(),
            &ledger.registry,
        )
    });
    let status = reasons
        .iter()
        .map(Reason::severity)
        .max()
        .map_or(Status::Verified, |s| s.status());
    Verdict {
        status,
        product: tally_epcis::epc::canonical_gs1_uri(req.product)
            .unwrap_or_else(|| req.product.to_owned()),
        reasons,
        timeline,
        logs: reports,
        label,
        trust_updates: checked.updates,
    }
}

/// The label's signature checked against the kept labelling keys and the logs' own.
fn label_check(req: &Request, registry: &Registry) -> LabelCheck {
    let Some(code) = req.label else {
        return LabelCheck::Unsigned;
    };
    let mut signers = req.label_signers.to_vec();
    signers.extend(registry.label_signers());
    crate::label::check(code, &signers)
}

/// Counts the copies, checks the confirmed entries' signatures and events, builds the registry.
fn ledger(
    req: &Request,
    copies: Vec<logs::Copy>,
    mode: Mode,
    batch: &mut SignatureBatch,
    reasons: &mut Vec<Reason>,
) -> Ledger {
    let policy = req.policy;
    let (confirmed, unconfirmed, unopened) =
        quorum::count(copies, policy.log_quorum, req.secrets, req.reader);
    let good = check_signatures(confirmed, mode, batch, reasons);
    let (records, events): (Vec<Counted>, Vec<Counted>) =
        good.into_iter().partition(|c| !c.is_event());
    let registry = registry(policy, &records, reasons);
    let items = read_events(events, reasons);
    Ledger {
        records,
        items,
        registry,
        unconfirmed,
        unopened,
    }
}

/// The product's events, who signed each, and the custody walk over them; the unauthorised,
/// set-aside and custody reasons go to `reasons`.
fn history(req: &Request, ledger: &Ledger, ids: &[String], reasons: &mut Vec<Reason>) -> History {
    let facts = ledger.facts();
    let order = custody::relevant(ids, &facts);
    let actors: Vec<Result<Actor, AuthError>> = ledger
        .items
        .iter()
        .map(|it| authorise(req.policy, &ledger.registry, &ledger.records, it))
        .collect();
    for &i in &order {
        if let Err(error) = &actors[i] {
            reasons.push(Reason::Unauthorised {
                entry: ledger.leaf(i),
                error: error.clone(),
            });
        }
    }
    let actors: Vec<Option<Actor>> = actors.into_iter().map(Result::ok).collect();
    let rule = custody::gtin_of(req.product).and_then(|g| req.policy.cold_chain_for(&g));
    let walk = custody::check(&facts, &order, &actors, rule, req.now);
    reasons.extend(walk.findings.iter().map(|f| Reason::Custody {
        entry: ledger.leaf(f.event()),
        finding: f.clone(),
    }));
    reasons.extend(set_aside_reasons(&walk, &actors, ledger));
    History {
        order,
        actors,
        walk,
    }
}

/// The reasons about logs the edge could not use at all.
fn edge_reasons(req: &Request) -> Vec<Reason> {
    let unreachable = req
        .unreachable
        .iter()
        .map(|l| Reason::LogUnreachable { log: l.clone() });
    let malformed = req.malformed.iter().map(|(l, d)| Reason::LogMalformed {
        log: l.clone(),
        detail: d.clone(),
    });
    unreachable.chain(malformed).collect()
}

/// One reason per organisation and cause for the events the custody walk set aside.
fn set_aside_reasons(
    walk: &custody::Walk,
    actors: &[Option<Actor>],
    ledger: &Ledger,
) -> Vec<Reason> {
    let mut out: Vec<Reason> = Vec::new();
    for &(i, why) in &walk.set_aside {
        let org = actors[i].as_ref().map_or(String::new(), |a| a.org.clone());
        let same = |r: &&mut Reason| matches!(r, Reason::SetAside { org: o, why: w, .. } if *o == org && *w == why);
        match out.iter_mut().find(same) {
            Some(Reason::SetAside { entries, .. }) => entries.push(ledger.leaf(i)),
            _ => out.push(Reason::SetAside {
                name: ledger.registry.org(&org).map(|o| o.name.clone()),
                org,
                why,
                entries: vec![ledger.leaf(i)],
            }),
        }
    }
    out
}

/// Keeps the validly signed entries (in batch mode: if the batch verifies) and reports the
/// others, and those that do not decode.
fn check_signatures(
    confirmed: Vec<Counted>,
    mode: Mode,
    batch: &mut SignatureBatch,
    reasons: &mut Vec<Reason>,
) -> Vec<Counted> {
    let mut decoded = Vec::with_capacity(confirmed.len());
    for c in confirmed {
        match &c.entry {
            Ok(_) => decoded.push(c),
            Err(detail) => reasons.push(Reason::MalformedEntry {
                entry: c.leaf.to_string(),
                detail: detail.clone(),
            }),
        }
    }
    let entries: Vec<&entry::Entry> = decoded
        .iter()
        .filter_map(|c| c.entry.as_ref().ok())
        .collect();
    let ok = match mode {
        Mode::Batch => entry::batch_signatures(&entries, batch),
        Mode::OneByOne => entries.iter().map(|e| e.verify_signature()).collect(),
    };
    let mut good = Vec::with_capacity(decoded.len());
    for (c, ok) in decoded.into_iter().zip(ok) {
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

/// The registry built from the confirmed records, with the records that do not count reported.
fn registry(policy: &Policy, records: &[Counted], reasons: &mut Vec<Reason>) -> Registry {
    let entries: Vec<&entry::Entry> = records
        .iter()
        .filter_map(|c| c.entry.as_ref().ok())
        .collect();
    let registry = Registry::build(policy, &entries);
    reasons.extend(
        registry
            .rejected
            .iter()
            .map(|r| Reason::RegistryRecordRejected {
                entry: r.entry.clone(),
                detail: r.reason.clone(),
            }),
    );
    registry
}

/// Parses the confirmed events and checks their hash IDs (in parallel: parsing and hashing a
/// long history's events is most of the verdict's own work).
fn read_events(events: Vec<Counted>, reasons: &mut Vec<Reason>) -> Vec<Item> {
    let read: Vec<Option<Result<(String, Facts), Reason>>> =
        crate::parallel::map(&events, |c| c.entry.as_ref().ok().map(|e| read_event(c, e)));
    let mut items = Vec::with_capacity(events.len());
    for (counted, read) in events.into_iter().zip(read) {
        match read {
            Some(Ok((hash_id, facts))) => items.push(Item {
                counted,
                hash_id,
                facts,
            }),
            Some(Err(reason)) => reasons.push(reason),
            // Does not decode: reported with the signatures.
            None => {}
        }
    }
    items
}

/// One event's hash ID and custody facts, or why it does not count.
fn read_event(counted: &Counted, entry: &entry::Entry) -> Result<(String, Facts), Reason> {
    let facts = RawEvent::parse(&entry.payload)
        .map_err(|e| e.to_string())
        .and_then(|raw| Facts::from_event(&raw.event))
        .map_err(|detail| Reason::MalformedEvent {
            entry: counted.leaf.to_string(),
            detail,
        })?;
    let hash_id = crate::hash_id::of_event(&entry.payload).unwrap_or_default();
    if entry.hash_id.as_deref() != Some(hash_id.as_str()) {
        return Err(Reason::HashIdMismatch {
            entry: counted.leaf.to_string(),
        });
    }
    Ok((hash_id, facts))
}

/// Who may have signed an event: its certification at the event's claimed time, and, since a
/// stolen key can claim any time, log order — a log's copy counts only if that log holds it
/// before every revocation of the signer (or its organisation) it holds.
fn authorise(
    policy: &Policy,
    registry: &Registry,
    records: &[Counted],
    item: &Item,
) -> Result<Actor, AuthError> {
    let Ok(e) = &item.counted.entry else {
        return Err(AuthError::SignerUnknown);
    };
    let actor = registry.actor(&e.signer, &item.facts)?;
    let revocations = registry.revocations_against(&e.signer);
    let before_every_revocation = |p: &quorum::Position| {
        revocations.iter().all(|r| {
            records
                .iter()
                .find(|c| c.leaf == r.entry)
                .and_then(|c| c.positions.iter().find(|q| q.log == p.log))
                .is_none_or(|q| q.index > p.index)
        })
    };
    let operators: BTreeSet<&str> = item
        .counted
        .positions
        .iter()
        .filter(|p| before_every_revocation(p))
        .map(|p| p.operator.as_str())
        .collect();
    if operators.len() < policy.log_quorum {
        return Err(AuthError::LoggedAfterRevocation);
    }
    Ok(actor)
}

/// A timeline step for a confirmed event.
fn step(it: &Item, actor: Option<&Actor>, registry: &Registry) -> Step {
    let f = &it.facts;
    // A disclosure that matches no digest is never shown: the step then reads as a holder's.
    let read = it.counted.entry.as_ref().ok().and_then(|e| {
        tally_confidential::reveal(&e.payload, &it.counted.disclosures)
            .or_else(|_| tally_confidential::reveal(&e.payload, &[]))
            .ok()
    });
    let org = actor.and_then(|a| registry.org(&a.org)).map(|o| OrgRef {
        gln: o.gln.clone(),
        name: o.name.clone(),
        country: o.country.clone(),
    });
    let signer = it.counted.entry.as_ref().ok().and_then(|e| {
        actor
            .and_then(|_| registry.certifications(&e.signer).next())
            .map(|d| d.key.to_string())
    });
    Step {
        entry: it.counted.leaf.to_string(),
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
        signer,
        authority: actor.is_some_and(|a| a.authority),
        logs: it.counted.logs(),
        temperatures: f.temperatures.clone(),
        event: it
            .counted
            .entry
            .as_ref()
            .map(|e| String::from_utf8_lossy(&e.payload).into_owned())
            .unwrap_or_default(),
        withheld: read.as_ref().map_or(0, |r| r.withheld),
        revealed: read
            .filter(|_| !it.counted.disclosures.is_empty())
            .map(|r| String::from_utf8_lossy(&r.event).into_owned()),
    }
}
