//! Custody facts of an event, which events belong to a product, and the custody rules.
//!
//! A product's history is more than the events that name it: a can on a pallet has the pallet's
//! events for as long as it is on it (AggregationEvent ADD … DELETE), and a powder batch has the
//! history of the milk it was made from (TransformationEvent inputs, up to the transformation).
//! [`relevant`] computes that closure; [`check`] then walks the events in time order and applies the
//! rules a shopper relies on: only the holder ships or sells, only the consignee receives, time runs
//! forward (nothing in the future, no second commissioning), and recalls, sales and cold-chain
//! excursions are surfaced.
//!
//! **Who may speak of a product.** Any certified device can sign an event naming any identifier,
//! so an event counts only if its signer's organisation is *in the custody chain*: it made the
//! product (its first counted event), or it held it before, or it is the consignee of the pending
//! shipment receiving it. Statements by a governance-certified *authority* (a regulator's recall or
//! inspection) count without custody and change no custody. Everything else — a stranger's events
//! about someone else's lot, events dated before the product was commissioned — is *set aside*:
//! not in the history, not able to fail it, named in the verdict. This is what keeps a flood of
//! events, or one rogue certified party, from deciding a product's verdict.

use crate::policy::ColdChainRule;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use tally_epcis::epc::canonical_gs1_uri;
use tally_epcis::model::{Event, QuantityElement};
use time::OffsetDateTime;

/// What the custody rules need to know about one event.
#[derive(Debug, Clone)]
pub struct Facts {
    pub time: OffsetDateTime,
    pub event_type: &'static str,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub persistent_set: Vec<String>,
    pub persistent_unset: Vec<String>,
    /// `ADD`/`OBSERVE`/`DELETE`; `None` for transformations.
    pub action: Option<&'static str>,
    /// Every identifier (canonical Digital Link where it is a GS1 key) the event touches.
    pub ids: Vec<String>,
    /// The lots (canonical lot-level Digital Links) of the serialised units it names with their
    /// lot (`…/10/{lot}/21/{serial}`): the canonical unit key drops the lot.
    pub lots: Vec<String>,
    /// Aggregation: parent and children.
    pub parent: Option<String>,
    pub children: Vec<String>,
    /// Transformation: inputs and outputs.
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// Destination possessing parties (GLNs).
    pub ship_to: Vec<String>,
    /// GLN of readPoint, else bizLocation.
    pub place: Option<String>,
    pub temperatures: Vec<Temperature>,
}

/// One temperature reading in °C.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Temperature {
    pub time: Option<String>,
    pub celsius: f64,
    /// The lowest and highest value the report covers (equal for a point value).
    pub min: f64,
    pub max: f64,
    pub alarm: bool,
}

fn canon(s: &str) -> String {
    canonical_gs1_uri(s).unwrap_or_else(|| s.to_owned())
}

fn canon_all<'a>(
    epcs: impl IntoIterator<Item = &'a String>,
    q: &'a [QuantityElement],
) -> Vec<String> {
    epcs.into_iter()
        .map(|s| canon(s))
        .chain(q.iter().map(|q| canon(&q.epc_class)))
        .collect()
}

/// The GLN in a canonical location or party URI (`…/414/{gln}[/254/…]` or `…/417/{gln}`).
pub fn gln_of(uri: &str) -> Option<String> {
    // Only EPC URNs need converting; a Digital Link of any host carries the GLN in its path.
    let c = if uri.starts_with("urn:") {
        canon(uri)
    } else {
        uri.to_owned()
    };
    let rest = c.split_once("/414/").or_else(|| c.split_once("/417/"))?.1;
    let gln: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (gln.len() == 13).then_some(gln)
}

/// The GTIN (14 digits) in a canonical Digital Link, if it has one.
pub fn gtin_of(uri: &str) -> Option<String> {
    let rest = uri.split_once("/01/")?.1;
    let gtin: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (gtin.len() == 14).then_some(gtin)
}

fn bare(s: &str) -> String {
    s.rsplit(['-', ':', '/']).next().unwrap_or(s).to_owned()
}

impl Facts {
    /// Every identifier and place the event names: products, lots, pallets, inputs, outputs,
    /// parties it ships to, its place.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.ids
            .iter()
            .chain(&self.lots)
            .chain(&self.parent)
            .chain(&self.children)
            .chain(&self.inputs)
            .chain(&self.outputs)
            .chain(&self.ship_to)
            .chain(&self.place)
            .map(String::as_str)
    }

    /// Extracts the facts of a parsed event.
    pub fn from_event(event: &Event) -> Result<Facts, String> {
        let c = event.common();
        let time = event.event_time_utc().map_err(|e| e.to_string())?;
        let (mut parent, mut children, mut inputs, mut outputs) = (None, vec![], vec![], vec![]);
        match event {
            Event::Aggregation(a) => {
                parent = a.parent_id.as_deref().map(canon);
                children = canon_all(&a.child_epcs, &a.child_quantity_list);
            }
            Event::Transformation(t) => {
                inputs = canon_all(&t.input_epc_list, &t.input_quantity_list);
                outputs = canon_all(&t.output_epc_list, &t.output_quantity_list);
            }
            _ => {}
        }
        let pd = c.persistent_disposition.clone().unwrap_or_default();
        let temperatures = event
            .temperatures()
            .into_iter()
            .filter(|t| !t.error)
            .filter_map(|t| {
                let v = t.value.or(t.mean).or(t.max).or(t.min)?;
                Some(Temperature {
                    time: t.time,
                    celsius: v,
                    min: [t.value, t.min, t.mean, t.max]
                        .into_iter()
                        .flatten()
                        .fold(v, f64::min),
                    max: [t.value, t.min, t.mean, t.max]
                        .into_iter()
                        .flatten()
                        .fold(v, f64::max),
                    alarm: t.alarm,
                })
            })
            .collect();
        Ok(Facts {
            time,
            event_type: event.type_name(),
            biz_step: event.biz_step().map(str::to_owned),
            disposition: event.disposition().map(str::to_owned),
            persistent_set: pd.set.iter().map(|s| bare(s)).collect(),
            persistent_unset: pd.unset.iter().map(|s| bare(s)).collect(),
            action: event.action().map(|a| match a {
                tally_epcis::model::Action::Add => "ADD",
                tally_epcis::model::Action::Observe => "OBSERVE",
                tally_epcis::model::Action::Delete => "DELETE",
            }),
            ids: event.identifiers().into_iter().map(canon).collect(),
            lots: unit_lots(&event.identifiers()),
            parent,
            children,
            inputs,
            outputs,
            ship_to: event
                .destinations_of_type("possessing_party")
                .into_iter()
                .filter_map(gln_of)
                .collect(),
            place: c
                .read_point
                .as_ref()
                .or(c.biz_location.as_ref())
                .and_then(|l| gln_of(&l.id)),
            temperatures,
        })
    }
}

/// An identifier that belongs to the product during a time window.
#[derive(Debug, Clone, PartialEq)]
struct Member {
    id: String,
    from: Option<OffsetDateTime>,
    until: Option<OffsetDateTime>,
}

impl Member {
    fn covers(&self, id: &str, t: OffsetDateTime) -> bool {
        self.id == id && self.from.is_none_or(|f| t >= f) && self.until.is_none_or(|u| t <= u)
    }
}

/// The canonical lots of the lot-qualified serialised units among `ids`, without repeats.
fn unit_lots(ids: &[&str]) -> Vec<String> {
    let mut lots: Vec<String> = ids
        .iter()
        .filter_map(|id| lot_of(id))
        .map(|l| canon(&l))
        .collect();
    lots.sort();
    lots.dedup();
    lots
}

/// The serial of a serialised Digital Link (`…/21/{serial}`), if it has one.
pub fn serial_of(product: &str) -> Option<&str> {
    let (_, rest) = product.split_once("/21/")?;
    let serial = rest.split(['/', '?', '#']).next().unwrap_or("");
    (!serial.is_empty()).then_some(serial)
}

/// Whether an event is the origin of `id`: its commissioning (an ObjectEvent ADD, bizStep
/// commissioning) or the transformation that output it.
pub fn is_origin_of(f: &Facts, id: &str) -> bool {
    let commissions = f.biz_step.as_deref() == Some("commissioning")
        && f.action == Some("ADD")
        && f.ids.iter().any(|i| i == id);
    commissions || f.outputs.iter().any(|o| o == id)
}

/// Whether an event commissions serialised units (`/21/`) of `lot` (a canonical lot URI), or,
/// when `lot` is `None`, of the GTIN `gtin`: evidence that the brand serialises them.
pub fn commissions_units_of(f: &Facts, gtin: &str, lot: Option<&str>) -> bool {
    if f.biz_step.as_deref() != Some("commissioning") || f.action != Some("ADD") {
        return false;
    }
    match lot {
        Some(lot) => f.lots.iter().any(|l| l == lot),
        None => f
            .ids
            .iter()
            .any(|id| id.contains("/21/") && gtin_of(id).as_deref() == Some(gtin)),
    }
}

/// The lot-level Digital Link of a serialised one (`/01/…/10/…/21/…` → `/01/…/10/…`).
pub fn lot_of(product: &str) -> Option<String> {
    let (head, _) = product.split_once("/21/")?;
    head.contains("/10/").then(|| head.to_owned())
}

/// The identifiers that name a scanned product: its canonical key and, for a serialised unit, its
/// lot (whose events — a recall, a transformation — concern every unit of it). Canonical here means
/// what [`canonical_gs1_uri`] makes of it, the form events are compared in; the lot must be taken
/// from the scanned URI first, because the canonical unit key (GTIN + serial) drops it.
pub fn product_ids(product: &str) -> Vec<String> {
    let mut ids = vec![canon(product)];
    ids.extend(lot_of(product).map(|l| canon(&l)));
    ids
}

/// Indices of the events that belong to the history of a product named by `ids`, in time order.
pub fn relevant(ids: &[String], events: &[Facts]) -> Vec<usize> {
    let mut members: Vec<Member> = ids
        .iter()
        .map(|id| Member {
            id: id.clone(),
            from: None,
            until: None,
        })
        .collect();
    let touches = |members: &[Member], ids: &[String], t| {
        ids.iter().any(|id| members.iter().any(|m| m.covers(id, t)))
    };
    // Each pass can only add members or close windows; bounded by the number of events.
    for _ in 0..=events.len() {
        let before = members.clone();
        for e in events {
            if let Some(parent) = &e.parent {
                if touches(&members, &e.children, e.time) {
                    match e.action {
                        Some("ADD")
                            if !members
                                .iter()
                                .any(|m| &m.id == parent && m.from == Some(e.time)) =>
                        {
                            members.push(Member {
                                id: parent.clone(),
                                from: Some(e.time),
                                until: None,
                            });
                        }
                        Some("DELETE") => {
                            for m in members
                                .iter_mut()
                                .filter(|m| &m.id == parent && m.from.is_some_and(|f| f <= e.time))
                            {
                                if m.until.is_none_or(|u| u > e.time) {
                                    m.until = Some(e.time);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            if touches(&members, &e.outputs, e.time) {
                for input in &e.inputs {
                    if !members
                        .iter()
                        .any(|m| &m.id == input && m.until == Some(e.time))
                    {
                        members.push(Member {
                            id: input.clone(),
                            from: None,
                            until: Some(e.time),
                        });
                    }
                }
            }
        }
        if members == before {
            break;
        }
    }
    let mut idx: Vec<usize> = (0..events.len())
        .filter(|&i| touches(&members, &events[i].ids, events[i].time))
        .collect();
    idx.sort_by_key(|&i| (events[i].time, i));
    idx
}

/// A finding of the custody rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Finding {
    /// Shipped, sold or transformed by a party of the chain that did not hold the goods then.
    CustodyBreak {
        event: usize,
        actor: String,
        holder: String,
        detail: String,
    },
    /// Received by a party of the chain the goods were not shipped to.
    WrongReceiver {
        event: usize,
        actor: String,
        shipped_to: String,
    },
    /// Events that cannot have happened in this order, or in the future.
    ImpossibleTimeOrder { event: usize, detail: String },
    /// The lot or unit is recalled.
    Recalled { event: usize },
    /// The unit was already sold at retail (a second sighting suggests a cloned label).
    AlreadySold { event: usize, count: usize },
    /// A temperature reading outside the allowed range, or flagged by the sensor.
    ColdChainExcursion {
        event: usize,
        celsius: f64,
        min: Option<f64>,
        max: Option<f64>,
        alarm: bool,
    },
}

impl Finding {
    /// Index of the event the finding is about.
    pub fn event(&self) -> usize {
        match self {
            Finding::CustodyBreak { event, .. }
            | Finding::WrongReceiver { event, .. }
            | Finding::ImpossibleTimeOrder { event, .. }
            | Finding::Recalled { event }
            | Finding::AlreadySold { event, .. }
            | Finding::ColdChainExcursion { event, .. } => *event,
        }
    }
}

/// Clock skew allowed for device clocks when checking for events in the future.
pub const CLOCK_SKEW_SECONDS: i64 = 24 * 3600;

/// Who signed an event, as the custody rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// GLN of the organisation whose certified device signed it.
    pub org: String,
    /// The device was certified by governance: its statements count without custody.
    pub authority: bool,
}

/// Why an event was set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetAside {
    /// Signed by an organisation that never held the product.
    NeverHeld,
    /// Dated before the product (or one of its identifiers) was commissioned.
    BeforeCommissioning,
}

/// What the custody walk concluded about a product's events.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    pub findings: Vec<Finding>,
    /// Events (indices into the facts) that were set aside, and why.
    pub set_aside: Vec<(usize, SetAside)>,
    /// Organisations that held the product (or its inputs, or a container of it) at some time.
    pub members: BTreeSet<String>,
}

impl Walk {
    /// Whether event `i` was set aside.
    pub fn is_set_aside(&self, i: usize) -> bool {
        self.set_aside.iter().any(|(j, _)| *j == i)
    }
}

/// The custody state while walking a product's events in time order.
#[derive(Default)]
struct Chain {
    holder: Option<String>,
    /// Consignees of the pending shipment (empty: not named).
    shipment: Option<Vec<String>>,
    members: BTreeSet<String>,
    seen_ids: Vec<String>,
    recalled: Option<usize>,
    sales: Vec<usize>,
}

/// When each identifier was first commissioned, by an authorised device.
fn commissioning_times(
    events: &[Facts],
    order: &[usize],
    actor: &[Option<Actor>],
) -> HashMap<String, OffsetDateTime> {
    let mut born: HashMap<String, OffsetDateTime> = HashMap::new();
    for &i in order
        .iter()
        .filter(|&&i| actor.get(i).is_some_and(Option::is_some))
    {
        let e = &events[i];
        for id in e.ids.iter().filter(|id| is_origin_of(e, id)) {
            let t = born.entry(id.clone()).or_insert(e.time);
            *t = (*t).min(e.time);
        }
    }
    born
}

impl Chain {
    /// Whether `org` may speak of the product at event `e` (before applying it).
    fn admits(&self, org: &str, e: &Facts) -> bool {
        let consignee = e.biz_step.as_deref() == Some("receiving")
            && self
                .shipment
                .as_ref()
                .is_some_and(|to| to.is_empty() || to.iter().any(|g| g == org));
        self.members.is_empty() || self.members.contains(org) || consignee
    }

    fn not_holder(&self, org: &str) -> Option<String> {
        self.holder.as_ref().filter(|h| *h != org).cloned()
    }

    fn custody_break(&self, out: &mut Vec<Finding>, i: usize, org: &str, detail: &str) {
        if let Some(holder) = self.not_holder(org) {
            out.push(Finding::CustodyBreak {
                event: i,
                actor: org.to_owned(),
                holder,
                detail: detail.into(),
            });
        }
    }

    /// Applies a counted event of a party of the chain: custody moves, breaks are found.
    fn apply(&mut self, out: &mut Vec<Finding>, e: &Facts, i: usize, org: &str) {
        self.members.insert(org.to_owned());
        match e.biz_step.as_deref().unwrap_or("") {
            "shipping" | "departing" => {
                self.custody_break(out, i, org, "shipped by a party that did not hold it");
                self.shipment = Some(e.ship_to.clone());
            }
            "receiving" => {
                match &self.shipment {
                    Some(to) if !to.is_empty() && !to.iter().any(|g| g == org) => {
                        out.push(Finding::WrongReceiver {
                            event: i,
                            actor: org.to_owned(),
                            shipped_to: to.join(","),
                        })
                    }
                    Some(_) => {}
                    None => self.custody_break(
                        out,
                        i,
                        org,
                        "received without a shipment from the holder",
                    ),
                }
                self.holder = Some(org.to_owned());
                self.shipment = None;
            }
            "retail_selling" => {
                self.custody_break(out, i, org, "sold by a party that did not hold it")
            }
            _ if e.event_type == "TransformationEvent" => {
                self.custody_break(
                    out,
                    i,
                    org,
                    "transformed by a party that did not hold the inputs",
                );
                self.holder = Some(org.to_owned());
            }
            "commissioning" => {
                if e.ids.iter().any(|id| self.seen_ids.contains(id)) {
                    out.push(Finding::ImpossibleTimeOrder {
                        event: i,
                        detail: "commissioned after events that already name it".into(),
                    });
                }
                if self.holder.is_none() {
                    self.holder = Some(org.to_owned());
                }
            }
            _ => {}
        }
        if self.holder.is_none() {
            self.holder = Some(org.to_owned());
        }
        self.seen_ids.extend(e.ids.iter().cloned());
        if e.biz_step.as_deref() == Some("retail_selling")
            || e.disposition.as_deref() == Some("retail_sold")
        {
            self.sales.push(i);
        }
    }

    /// Recall state and readings: what any counted event (a holder's or an authority's) states.
    fn statements(
        &mut self,
        out: &mut Vec<Finding>,
        e: &Facts,
        i: usize,
        cold_chain: Option<&ColdChainRule>,
    ) {
        if e.disposition.as_deref() == Some("recalled")
            || e.persistent_set.iter().any(|s| s == "recalled")
        {
            self.recalled = Some(i);
        }
        if e.persistent_unset.iter().any(|s| s == "recalled") {
            self.recalled = None;
        }
        out.extend(excursions(e, i, cold_chain));
    }
}

/// The readings of `e` outside the cold-chain range, or flagged by the sensor.
fn excursions(e: &Facts, i: usize, cold_chain: Option<&ColdChainRule>) -> Vec<Finding> {
    e.temperatures
        .iter()
        .filter(|t| {
            t.alarm || cold_chain.is_some_and(|r| t.min < r.min_celsius || t.max > r.max_celsius)
        })
        .map(|t| Finding::ColdChainExcursion {
            event: i,
            celsius: match cold_chain {
                Some(r) if t.max > r.max_celsius => t.max,
                Some(r) if t.min < r.min_celsius => t.min,
                _ => t.celsius,
            },
            min: cold_chain.map(|r| r.min_celsius),
            max: cold_chain.map(|r| r.max_celsius),
            alarm: t.alarm,
        })
        .collect()
}

/// Applies the custody rules to the product's events (`order` from [`relevant`]); `actor[i]` is
/// who signed event `i`, if its signer was authorised (unauthorised events are skipped: the
/// verdict reports them).
pub fn check(
    events: &[Facts],
    order: &[usize],
    actor: &[Option<Actor>],
    cold_chain: Option<&ColdChainRule>,
    now: OffsetDateTime,
) -> Walk {
    let born = commissioning_times(events, order, actor);
    let mut walk = Walk::default();
    let mut chain = Chain::default();
    for &i in order {
        let e = &events[i];
        let Some(a) = actor.get(i).cloned().flatten() else {
            continue;
        };
        let premature = e
            .ids
            .iter()
            .any(|id| !is_origin_of(e, id) && born.get(id).is_some_and(|&t| e.time < t));
        if !a.authority {
            if premature {
                walk.set_aside.push((i, SetAside::BeforeCommissioning));
                continue;
            }
            if !chain.admits(&a.org, e) {
                walk.set_aside.push((i, SetAside::NeverHeld));
                continue;
            }
            chain.apply(&mut walk.findings, e, i, &a.org);
        }
        if e.time > now + time::Duration::seconds(CLOCK_SKEW_SECONDS) {
            walk.findings.push(Finding::ImpossibleTimeOrder {
                event: i,
                detail: "event time is in the future".into(),
            });
        }
        chain.statements(&mut walk.findings, e, i, cold_chain);
    }
    if let Some(i) = chain.recalled {
        walk.findings.push(Finding::Recalled { event: i });
    }
    if let Some(&last) = chain.sales.last() {
        walk.findings.push(Finding::AlreadySold {
            event: last,
            count: chain.sales.len(),
        });
    }
    walk.members = chain.members;
    walk
}
