//! A verdict as people read it: the timeline a shopper sees and the warnings in plain words,
//! sans-I/O.
//!
//! The core's verdict is machine-readable (reason codes, leaf hashes); this turns it into a
//! [`History`] that the CLI prints and the app renders: each step classified (origin,
//! processing, cold chain, import, retail, …) with who did it and where, the lot's master data
//! (vessel, catch area, harvest date, country of origin), its temperature readings with
//! excursions marked, and the evidence behind it (signer, bookkeepers, checkpoints). Every warning
//! keeps its code and parameters, so the app can word it in the shopper's language; the English
//! text here is the CLI's. A [`History`] is also what is cached for offline viewing.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tally_trust::custody::Finding;
use tally_trust::verdict::{Step as CoreStep, Verdict};
use tally_trust::{LabelCheck, Policy, Reason, Severity, Status};

/// Where a history came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Verified just now against the bookkeepers.
    Live,
    /// No bookkeeper answered: the last history verified on this device, as it was then.
    Cached,
    /// No bookkeeper answered and nothing was cached.
    Offline,
}

/// A product's verified history, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The product as scanned, in canonical Digital Link form.
    pub product: String,
    pub status: Status,
    pub source: Source,
    /// When the verdict was reached (Unix seconds): for a cached history, its age.
    pub checked_at: i64,
    pub warnings: Vec<Warning>,
    pub steps: Vec<StepView>,
    /// The cold-chain range the policy sets for this product, if any.
    pub cold_chain: Option<Range>,
    pub bookkeepers: Vec<BookkeeperView>,
    /// Bookkeepers whose logs must agree (k) and how many the policy names (n).
    pub quorum: (usize, usize),
    /// The core's reasons, machine-readable, for the evidence view and exports.
    pub reasons: Vec<Value>,
    /// What the label's own signature says (GS1 AI 8030): unsigned, signed by the brand, forged.
    #[serde(default)]
    pub label: LabelCheck,
}

/// An allowed temperature range, °C.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// One warning in plain words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code (`recalled`, `already_sold`, `cold_chain_excursion`, `log_unreachable`, …).
    pub code: String,
    pub severity: Severity,
    /// English text, for the CLI.
    pub text: String,
    /// The bookkeeper it is about, if any.
    pub bookkeeper: Option<String>,
    /// The timeline step it is about (index into `steps`), if any.
    pub step: Option<usize>,
    /// Values the text mentions, for translations (`count`, `celsius`, `min`, `max`, …).
    pub params: serde_json::Map<String, Value>,
}

/// What a step is, for a shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Origin,
    Processing,
    Packing,
    /// Taken out of a case or pallet (at a shop, the unit reaching its shelf).
    Unpacking,
    Shipping,
    Receiving,
    Import,
    ColdChain,
    Retail,
    Recall,
    /// An inspection: a customs clearance, a laboratory's test.
    Inspection,
    Other,
}

/// One temperature reading on a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemperatureView {
    pub time: Option<String>,
    pub celsius: f64,
    pub excursion: bool,
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub stage: Stage,
    /// CBV business step word (`shipping`, …), if the event has one.
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub event_type: String,
    /// RFC 3339 UTC.
    pub time: String,
    /// The organisation whose certified device signed it.
    pub org: Option<String>,
    /// Its device was certified by the network's governance itself: an authority's attestation
    /// (customs, a laboratory, a regulator).
    #[serde(default)]
    pub authority: bool,
    pub org_country: Option<String>,
    pub org_gln: Option<String>,
    /// GLN of where it happened.
    pub place: Option<String>,
    /// Lot master data and similar attributes, as (name, value) with the CBV prefix dropped
    /// (`vesselName`, `catchArea`, `countryOfOrigin`, `harvestStartDate`, …).
    pub details: Vec<(String, String)>,
    /// How many fields the brand keeps from label holders (entitled recipients read them).
    #[serde(default)]
    pub withheld: usize,
    pub temperatures: Vec<TemperatureView>,
    /// Whether a warning points at this step.
    pub flagged: bool,
    pub evidence: StepEvidence,
}

/// Why a step is believed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepEvidence {
    /// The entry's leaf hash (base64).
    pub entry: String,
    /// CBV 2.0 Event Hash ID.
    pub hash_id: String,
    /// The signing device's key.
    pub signer: Option<String>,
    /// Bookkeepers whose logs include it.
    pub bookkeepers: Vec<String>,
    /// The event as signed.
    pub event: String,
}

/// What was seen of one bookkeeper in this verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookkeeperView {
    pub name: String,
    pub operator: String,
    pub reachable: bool,
    /// Why it could not be used, if it could not.
    pub problem: Option<String>,
    pub checkpoint_size: Option<u64>,
    pub cosigners: Vec<String>,
    pub used: bool,
    /// Milliseconds its answer took.
    pub ms: Option<u64>,
}

/// How one bookkeeper's request went (from the fetch edge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    pub bookkeeper: String,
    pub error: Option<String>,
    pub ms: u64,
}

fn local_name(key: &str) -> &str {
    key.rsplit([':', '#', '/']).next().unwrap_or(key)
}

/// Scalar attributes of an ILMD tree, flattened, nested lists included.
fn flatten(v: &Value, key: Option<&str>, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            // `_sd`: digests of what the brand withheld, counted in `withheld` instead.
            for (k, v) in m.iter().filter(|(k, _)| *k != tally_confidential::DIGESTS) {
                flatten(v, Some(local_name(k)), out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| flatten(v, key, out)),
        Value::String(s) => out.extend(key.map(|k| (k.to_owned(), s.clone()))),
        Value::Number(n) => out.extend(key.map(|k| (k.to_owned(), n.to_string()))),
        Value::Bool(b) => out.extend(key.map(|k| (k.to_owned(), b.to_string()))),
        Value::Null => {}
    }
}

fn details(event_json: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<Value>(event_json) {
        if let Some(ilmd) = v.get("ilmd") {
            flatten(ilmd, None, &mut out);
        }
        // Business documents the brand shows holders: an import clearance, a certificate.
        let documents = v.get("bizTransactionList").and_then(Value::as_array);
        for d in documents.into_iter().flatten() {
            if let Some(id) = d.get("bizTransaction").and_then(Value::as_str) {
                let kind = d.get("type").and_then(Value::as_str).map(local_name);
                out.push((
                    "document".into(),
                    [kind.unwrap_or(""), id].join(" ").trim().into(),
                ));
            }
        }
    }
    out
}

fn stage(step: &CoreStep, index: usize, previous_country: Option<&str>) -> Stage {
    let country = step.org.as_ref().map(|o| o.country.as_str());
    match step.biz_step.as_deref() {
        _ if step.disposition.as_deref() == Some("recalled") => Stage::Recall,
        _ if step.event_type == "TransformationEvent" => Stage::Processing,
        Some("commissioning") if index == 0 => Stage::Origin,
        Some("commissioning" | "creating_class_instance" | "repackaging") => Stage::Processing,
        Some("packing") => Stage::Packing,
        Some("unpacking") => Stage::Unpacking,
        Some("shipping" | "departing") => Stage::Shipping,
        Some("receiving" | "arriving" | "accepting") => match (previous_country, country) {
            (Some(a), Some(b)) if a != b => Stage::Import,
            _ => Stage::Receiving,
        },
        Some("storing" | "transporting" | "sensor_reporting" | "holding") => Stage::ColdChain,
        Some("retail_selling" | "stocking") => Stage::Retail,
        Some("inspecting") => Stage::Inspection,
        _ => Stage::Other,
    }
}

/// Builds the history shown for `verdict`.
pub fn history(
    verdict: &Verdict,
    policy: &Policy,
    fetches: &[FetchReport],
    source: Source,
    checked_at: i64,
) -> History {
    let mut warnings = Vec::new();
    let step_of = |entry: &str| verdict.timeline.iter().position(|s| s.entry == entry);
    for r in &verdict.reasons {
        if let Some(w) = warning(r, &step_of) {
            warnings.push(w);
        }
    }
    let reachable = verdict.logs.iter().filter(|l| l.reachable).count();
    if reachable < policy.bookkeepers.len() && reachable > 0 {
        let mut params = serde_json::Map::new();
        params.insert("reachable".into(), reachable.into());
        params.insert("total".into(), policy.bookkeepers.len().into());
        warnings.insert(
            0,
            Warning {
                code: "partly_reachable".into(),
                severity: Severity::Info,
                text: format!(
                    "Only {reachable} of {} bookkeepers could be reached",
                    policy.bookkeepers.len()
                ),
                bookkeeper: None,
                step: None,
                params,
            },
        );
    }
    let excursions: Vec<&str> = verdict
        .reasons
        .iter()
        .filter_map(|r| match r {
            Reason::Custody {
                entry,
                finding: Finding::ColdChainExcursion { .. },
            } => Some(entry.as_str()),
            _ => None,
        })
        .collect();
    let range = tally_trust::custody::gtin_of(&verdict.product)
        .and_then(|g| policy.cold_chain_for(&g))
        .map(|r| Range {
            min: r.min_celsius,
            max: r.max_celsius,
        });
    let mut previous_country: Option<String> = None;
    let mut steps = Vec::with_capacity(verdict.timeline.len());
    for (i, s) in verdict.timeline.iter().enumerate() {
        let flagged = warnings.iter().any(|w| w.step == Some(i));
        let excursion_step = excursions.contains(&s.entry.as_str());
        steps.push(StepView {
            stage: stage(s, i, previous_country.as_deref()),
            biz_step: s.biz_step.clone(),
            disposition: s.disposition.clone(),
            event_type: s.event_type.to_owned(),
            time: s.time.clone(),
            org: s.org.as_ref().map(|o| o.name.clone()),
            authority: s.authority,
            org_country: s.org.as_ref().map(|o| o.country.clone()),
            org_gln: s.org.as_ref().map(|o| o.gln.clone()),
            place: s.place.clone(),
            details: details(s.revealed.as_deref().unwrap_or(&s.event)),
            withheld: s.withheld,
            temperatures: s
                .temperatures
                .iter()
                .map(|t| TemperatureView {
                    time: t.time.clone(),
                    celsius: t.celsius,
                    excursion: excursion_step
                        && (t.alarm || range.is_some_and(|r| t.min < r.min || t.max > r.max)),
                })
                .collect(),
            flagged,
            evidence: StepEvidence {
                entry: s.entry.clone(),
                hash_id: s.hash_id.clone(),
                signer: s.signer.clone(),
                bookkeepers: s.logs.clone(),
                event: s.event.clone(),
            },
        });
        if let Some(o) = &s.org {
            previous_country = Some(o.country.clone());
        }
    }
    let bookkeepers = policy
        .bookkeepers
        .iter()
        .map(|b| {
            let seen = verdict.logs.iter().find(|l| l.name == b.name);
            let fetch = fetches.iter().find(|f| f.bookkeeper == b.name);
            let problem = fetch.and_then(|f| f.error.clone()).or_else(|| {
                verdict.reasons.iter().find_map(|r| match r {
                    Reason::CheckpointInvalid { log, detail } if *log == b.name => {
                        Some(format!("checkpoint: {detail}"))
                    }
                    Reason::LogInconsistent { log, evidence } if *log == b.name => {
                        Some(format!("{} detected", evidence.kind))
                    }
                    Reason::BadInclusionProof { log, .. } if *log == b.name => {
                        Some("served an entry its checkpoint does not include".into())
                    }
                    Reason::LogMalformed { log, detail } if *log == b.name => {
                        Some(format!("unusable answer: {detail}"))
                    }
                    Reason::StaleCheckpoint {
                        log, age_seconds, ..
                    } if *log == b.name => Some(format!(
                        "stale: its witnesses last vouched for it {} ago",
                        crate::view::age(*age_seconds)
                    )),
                    Reason::ConsistencyUnproven { log } if *log == b.name => {
                        Some("could not prove its log only grew".into())
                    }
                    _ => None,
                })
            });
            BookkeeperView {
                name: b.name.clone(),
                operator: b.operator.clone(),
                reachable: seen.is_some_and(|l| l.reachable),
                problem,
                checkpoint_size: seen.and_then(|l| l.size),
                cosigners: seen.map(|l| l.cosigners.clone()).unwrap_or_default(),
                used: seen.is_some_and(|l| l.used),
                ms: fetch.map(|f| f.ms),
            }
        })
        .collect();
    History {
        product: verdict.product.clone(),
        status: verdict.status,
        source,
        checked_at,
        warnings,
        steps,
        cold_chain: range,
        bookkeepers,
        quorum: (policy.log_quorum, policy.bookkeepers.len()),
        reasons: verdict
            .reasons
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect(),
        label: verdict.label.clone(),
    }
}

/// A duration in seconds as people read it (`45 s`, `12 min`, `3 h`, `2 days`).
pub fn age(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

/// A history kept from an earlier scan, shown for the label scanned now: this label's own
/// signature check, and its warning, replace the kept label's (the kept history may come from
/// another label of the same unit, and a forged label must not borrow its verdict).
pub(crate) fn with_label(mut h: History, label: &LabelCheck) -> History {
    h.warnings
        .retain(|w| !matches!(w.code.as_str(), "label_forged" | "label_signer_revoked"));
    if let Some(r) = tally_trust::label::reason(label) {
        h.status = h.status.max(r.severity().status());
        h.warnings.extend(warning(&r, &|_| None));
    }
    h.label = label.clone();
    h
}

/// A warning for a reason worth showing (registry records that do not count are not).
fn warning(r: &Reason, step_of: &dyn Fn(&str) -> Option<usize>) -> Option<Warning> {
    let mut params = serde_json::Map::new();
    let mut p = |k: &str, v: Value| {
        params.insert(k.to_owned(), v);
    };
    let (code, text, bookkeeper, step): (&str, String, Option<&str>, Option<usize>) = match r {
        Reason::LogUnreachable { log } => (
            "log_unreachable",
            format!("Bookkeeper {log} could not be reached"),
            Some(log),
            None,
        ),
        Reason::UnknownLog { .. }
        | Reason::RegistryRecordRejected { .. }
        | Reason::ForeignEntries { .. } => return None,
        Reason::LogMalformed { log, detail } => (
            "log_malformed",
            format!("Bookkeeper {log} answered something unusable ({detail}); it was not used"),
            Some(log),
            None,
        ),
        Reason::StaleCheckpoint {
            log,
            age_seconds,
            max_seconds,
        } => {
            p("age_seconds", (*age_seconds).into());
            p("max_seconds", (*max_seconds).into());
            (
                "stale_checkpoint",
                format!(
                    "Bookkeeper {log} served an answer its witnesses last vouched for {} ago (at most {} allowed): it may be an old answer replayed, and was not used",
                    age(*age_seconds),
                    age(*max_seconds)
                ),
                Some(log),
                None,
            )
        }
        Reason::Unwitnessed { log } => (
            "unwitnessed",
            format!("No witness checks bookkeeper {log} in this network: its answer cannot be shown to be recent"),
            Some(log),
            None,
        ),
        Reason::LogOmitted { log, entries } => {
            p("count", entries.len().into());
            (
                "log_omitted",
                format!(
                    "Bookkeeper {log} did not serve {} record(s) that the others prove",
                    entries.len()
                ),
                Some(log),
                None,
            )
        }
        Reason::SetAside {
            org,
            name,
            why,
            entries,
        } => {
            let who = name.clone().unwrap_or_else(|| org.clone());
            p("count", entries.len().into());
            p("org", who.clone().into());
            p("why", serde_json::to_value(why).unwrap_or_default());
            let because = match why {
                tally_trust::custody::SetAside::NeverHeld => "it never held this product",
                tally_trust::custody::SetAside::BeforeCommissioning => {
                    "they are dated before the product was made"
                }
            };
            (
                "set_aside",
                format!(
                    "{} record(s) signed by {who} were set aside: {because}",
                    entries.len()
                ),
                None,
                None,
            )
        }
        Reason::UnknownSerial { serial, .. } => {
            p("serial", serial.clone().into());
            (
                "unknown_serial",
                format!("Serial number {serial} was never registered by the maker, which registers every unit of this lot: this label is likely counterfeit"),
                None,
                None,
            )
        }
        Reason::LotOnly { serial } => {
            p("serial", serial.clone().into());
            (
                "lot_only",
                format!("This product is traced by lot: its serial number {serial} could not be checked"),
                None,
                None,
            )
        }
        Reason::LabelForged { name, .. } => {
            let by = name.clone().unwrap_or_default();
            p("name", by.clone().into());
            let text = match name {
                Some(_) => format!("This label carries a signature that {by}, the brand, did not make: its data were changed or it was printed by someone else"),
                None => "This label carries a broken signature: it was not printed by the brand".to_owned(),
            };
            ("label_forged", text, None, None)
        }
        Reason::LabelSignerRevoked { name, since, .. } => {
            p("name", name.clone().into());
            p("since", since.clone().into());
            (
                "label_signer_revoked",
                format!("This label was signed with a key of {name} that was revoked on {since}: it may have been printed with a stolen key"),
                None,
                None,
            )
        }
        Reason::UnregisteredResolver { host } => {
            p("host", host.clone().into());
            (
                "unregistered_resolver",
                format!("This label's link points to {host}, which no company in this product's history registered: the label may not be genuine"),
                None,
                None,
            )
        }
        Reason::TooFewLogs { usable, need } => {
            p("usable", (*usable).into());
            p("need", (*need).into());
            (
                "too_few_bookkeepers",
                format!("Only {usable} of the {need} independent bookkeepers needed could be checked: this product cannot be verified now"),
                None,
                None,
            )
        }
        Reason::NoConfirmedHistory { entries } => {
            p("count", entries.len().into());
            (
                "no_confirmed_history",
                "Some bookkeepers hold records of this product, but too few could be checked to confirm them".into(),
                None,
                None,
            )
        }
        Reason::CheckpointInvalid { log, detail } => (
            "checkpoint_invalid",
            format!("Bookkeeper {log} served a checkpoint that does not verify ({detail}); it was not used"),
            Some(log),
            None,
        ),
        Reason::LogInconsistent { log, evidence } => {
            p("kind", evidence.kind.into());
            p("old_size", evidence.old_size.into());
            p("new_size", evidence.new_size.into());
            (
                "log_inconsistent",
                format!(
                    "Bookkeeper {log} contradicts what it showed this device before ({}: size {} then {}); the evidence is kept",
                    evidence.kind, evidence.old_size, evidence.new_size
                ),
                Some(log),
                None,
            )
        }
        Reason::ConsistencyUnproven { log } => (
            "consistency_unproven",
            format!("Bookkeeper {log} could not prove that its log only grew since this device last looked"),
            Some(log),
            None,
        ),
        Reason::BadInclusionProof { log, entry, .. } => (
            "tampered_entry",
            format!("Bookkeeper {log} served a record that its own signed checkpoint does not contain: it was altered, and ignored"),
            Some(log),
            step_of(entry),
        ),
        Reason::MalformedEntry { entry, .. } | Reason::MalformedEvent { entry, .. } => (
            "malformed_record",
            "A record in the logs cannot be read".into(),
            None,
            step_of(entry),
        ),
        Reason::EntryBelowQuorum { entry, logs, need } => {
            p("found", logs.len().into());
            p("need", (*need).into());
            (
                "below_quorum",
                format!(
                    "A record is held by {} bookkeeper(s) but {need} must agree: it is not counted",
                    logs.len()
                ),
                None,
                step_of(entry),
            )
        }
        Reason::BadSignature { entry } | Reason::HashIdMismatch { entry } => (
            "bad_signature",
            "A record's signature does not match its content: it is forged or altered".into(),
            None,
            step_of(entry),
        ),
        Reason::Unauthorised { entry, error } => (
            "unauthorised",
            format!(
                "A step was signed by a device not allowed to sign it ({})",
                serde_json::to_value(error)
                    .ok()
                    .and_then(|v| v["code"].as_str().map(str::to_owned))
                    .unwrap_or_default()
                    .replace('_', " ")
            ),
            None,
            step_of(entry),
        ),
        Reason::Custody { entry, finding } => {
            let step = step_of(entry);
            match finding {
                Finding::CustodyBreak { detail, .. } => (
                    "chain_broken",
                    format!("The chain of custody is broken: {detail}"),
                    None,
                    step,
                ),
                Finding::WrongReceiver { .. } => (
                    "chain_broken",
                    "Received by a party it was not shipped to".into(),
                    None,
                    step,
                ),
                Finding::ImpossibleTimeOrder { detail, .. } => (
                    "impossible_order",
                    format!("The records cannot all be true: {detail}"),
                    None,
                    step,
                ),
                Finding::Recalled { .. } => (
                    "recalled",
                    "This product's lot has been recalled: do not use it".into(),
                    None,
                    step,
                ),
                Finding::AlreadySold { count, .. } => {
                    p("count", (*count).into());
                    (
                        "already_sold",
                        if *count > 1 {
                            format!("This unit has been sold {count} times: the label is likely a copy")
                        } else {
                            "This unit was already sold to a shopper: if it is on a shelf, its label may be a copy".into()
                        },
                        None,
                        step,
                    )
                }
                Finding::ColdChainExcursion {
                    celsius, min, max, ..
                } => {
                    p("celsius", (*celsius).into());
                    if let (Some(min), Some(max)) = (min, max) {
                        p("min", (*min).into());
                        p("max", (*max).into());
                    }
                    (
                        "cold_chain_excursion",
                        match (min, max) {
                            (Some(min), Some(max)) => format!(
                                "The temperature left the safe range: {celsius} °C (allowed {min} to {max} °C)"
                            ),
                            _ => format!("A sensor raised an alarm at {celsius} °C"),
                        },
                        None,
                        step,
                    )
                }
            }
        }
        Reason::NoHistory => (
            "no_history",
            "No authorised record of this product is held by enough independent bookkeepers: it may be counterfeit".into(),
            None,
            None,
        ),
    };
    Some(Warning {
        code: code.to_owned(),
        severity: r.severity(),
        text,
        bookkeeper: bookkeeper.map(str::to_owned),
        step,
        params,
    })
}
