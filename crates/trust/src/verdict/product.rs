//! What the product itself shows, once its confirmed history is known: a serial number the brand
//! never commissioned, a label linking to a host no party of the product registered, whether
//! enough of the network was checked to say anything, and what individual logs left out or
//! added.

use super::quorum::Counted;
use super::{Item, Reason, Request};
use crate::custody::{self, Actor, Facts};
use crate::entry::EntryKind;
use crate::policy::Policy;
use crate::registry::Registry;
use std::collections::{BTreeMap, BTreeSet};
use tally_epcis::raw::RawEvent;

/// GS1's own global resolver: a Digital Link on it names no brand's server.
pub const GS1_RESOLVER: &str = "id.gs1.org";

/// The product's confirmed events as the custody walk judged them.
pub(super) struct View<'a> {
    pub req: &'a Request<'a>,
    pub items: &'a [Facts],
    pub actors: &'a [Option<Actor>],
    /// Events in the history that count (authorised, not set aside), in time order.
    pub counted: &'a [usize],
    /// Organisations of the custody chain.
    pub members: &'a BTreeSet<String>,
    pub registry: &'a Registry,
}

impl View<'_> {
    /// For a serialised unit: Failed if its lot (or GTIN) is serialised by a party of its chain
    /// but this serial was never commissioned; a note if the lot is not serialised at all.
    pub fn serial(&self, leaf: impl Fn(usize) -> String) -> Option<Reason> {
        let serial = custody::serial_of(self.req.product)?.to_owned();
        if self.counted.is_empty() {
            return None;
        }
        let unit = tally_epcis::epc::canonical_gs1_uri(self.req.product)?;
        if self
            .counted
            .iter()
            .any(|&i| custody::is_origin_of(&self.items[i], &unit))
        {
            return None;
        }
        let gtin = custody::gtin_of(&unit)?;
        let lot = custody::lot_of(self.req.product)
            .map(|l| tally_epcis::epc::canonical_gs1_uri(&l).unwrap_or(l));
        let evidence = (0..self.items.len()).find(|&i| {
            let by_member = self.actors[i]
                .as_ref()
                .is_some_and(|a| self.members.contains(&a.org));
            by_member && custody::commissions_units_of(&self.items[i], &gtin, lot.as_deref())
        });
        Some(match evidence {
            Some(i) => Reason::UnknownSerial {
                serial,
                evidence: leaf(i),
            },
            None => Reason::LotOnly { serial },
        })
    }

    /// A warning when the scanned link's host is neither GS1's resolver nor one that an
    /// organisation of the product's chain registered.
    pub fn resolver(&self) -> Option<Reason> {
        let host = self.req.host?.to_ascii_lowercase();
        if host == GS1_RESOLVER || self.counted.is_empty() {
            return None;
        }
        let registered = self
            .registry
            .orgs_with_domain(&host)
            .any(|o| self.members.contains(&o.gln));
        (!registered).then_some(Reason::UnregisteredResolver { host })
    }
}

/// The unconfirmed events that would count in the product's history: they (or the confirmed
/// events with them) name it, their signer may sign them, and the custody walk over everything
/// would not set them aside. A log that serves a stranger's flood only it holds then adds
/// nothing to a verdict, not even a warning.
pub(super) fn unconfirmed_about<'a>(
    ids: &[String],
    confirmed: (&[Facts], &[Option<Actor>]),
    unconfirmed: &'a [Counted],
    registry: &Registry,
    now: time::OffsetDateTime,
) -> Vec<&'a Counted> {
    let candidates: Vec<(&Counted, Facts, Option<Actor>)> = unconfirmed
        .iter()
        .filter_map(|c| {
            let e = c
                .entry
                .as_ref()
                .ok()
                .filter(|e| e.kind == EntryKind::Event)?;
            let raw = RawEvent::parse(&e.payload).ok()?;
            let f = Facts::from_event(&raw.event).ok()?;
            let actor = registry.actor(&e.signer, &f).ok();
            Some((c, f, actor))
        })
        .collect();
    let n = confirmed.0.len();
    let mut facts = confirmed.0.to_vec();
    facts.extend(candidates.iter().map(|(_, f, _)| f.clone()));
    let mut actors = confirmed.1.to_vec();
    actors.extend(candidates.iter().map(|(_, _, a)| a.clone()));
    let order = custody::relevant(ids, &facts);
    let walk = custody::check(&facts, &order, &actors, None, now);
    order
        .into_iter()
        .filter(|&i| i >= n && actors[i].is_some() && !walk.is_set_aside(i))
        .map(|i| candidates[i - n].0)
        .collect()
}

/// Whether enough of the network was checked, and what the product's unconfirmed records mean.
///
/// Fewer than k usable operators: Unverifiable, whatever else. Otherwise each unconfirmed record
/// of the product is named; and with no counted history, the product fails only if the logs that
/// could not be used could not have confirmed any of those records either — so a single log
/// serving records only it holds cannot turn a counterfeit's Failed into anything softer.
pub(super) fn coverage(
    policy: &Policy,
    usable: &BTreeSet<String>,
    no_history: bool,
    about: &[&Counted],
) -> Vec<Reason> {
    let need = policy.log_quorum;
    if usable.len() < need {
        return vec![Reason::TooFewLogs {
            usable: usable.len(),
            need,
        }];
    }
    let mut out: Vec<Reason> = about
        .iter()
        .map(|c| Reason::EntryBelowQuorum {
            entry: c.leaf.to_string(),
            logs: c.logs(),
            need,
        })
        .collect();
    if no_history {
        let unusable = policy.operators().len().saturating_sub(usable.len());
        let possible: Vec<String> = about
            .iter()
            .filter(|c| c.operators().len() + unusable >= need)
            .map(|c| c.leaf.to_string())
            .collect();
        out.push(if possible.is_empty() {
            Reason::NoHistory
        } else {
            Reason::NoConfirmedHistory { entries: possible }
        });
    }
    out
}

/// Per used log, the confirmed records of the product's timeline it did not serve.
pub(super) fn omissions(used_logs: &[String], shown: &[&Counted]) -> Vec<Reason> {
    used_logs
        .iter()
        .filter_map(|log| {
            let entries: Vec<String> = shown
                .iter()
                .filter(|c| !c.positions.iter().any(|p| &p.log == log))
                .map(|c| c.leaf.to_string())
                .collect();
            (!entries.is_empty()).then(|| Reason::LogOmitted {
                log: log.clone(),
                entries,
            })
        })
        .collect()
}

/// Per used log, how many events it served that are not about the product: neither in its
/// history (`order`), nor unconfirmed records of it (`about`), nor commissioning events (which
/// bookkeepers serve as evidence of serialisation), and the sealed entries no label of this
/// device opens (`unopened`).
pub(super) fn foreign(
    items: &[Item],
    order: &[usize],
    unconfirmed: &[Counted],
    about: &[&Counted],
    unopened: &BTreeMap<String, usize>,
) -> Vec<Reason> {
    let order: BTreeSet<usize> = order.iter().copied().collect();
    let mut count: BTreeMap<String, usize> = unopened.clone();
    let mut add = |c: &Counted| {
        for log in c.logs() {
            *count.entry(log).or_default() += 1;
        }
    };
    for (i, it) in items.iter().enumerate() {
        let evidence = it.facts.biz_step.as_deref() == Some("commissioning");
        if !order.contains(&i) && !evidence {
            add(&it.counted);
        }
    }
    for c in unconfirmed.iter().filter(|c| c.is_event()) {
        if !about.iter().any(|a| a.leaf == c.leaf) {
            add(c);
        }
    }
    count
        .into_iter()
        .map(|(log, count)| Reason::ForeignEntries { log, count })
        .collect()
}
