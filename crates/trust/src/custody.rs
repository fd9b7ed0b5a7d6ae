//! Custody facts of an event, which events belong to a product, and the custody rules.
//!
//! A product's history is more than the events that name it: a can on a pallet has the pallet's
//! events for as long as it is on it (AggregationEvent ADD … DELETE), and a powder batch has the
//! history of the milk it was made from (TransformationEvent inputs, up to the transformation).
//! [`relevant`] computes that closure; [`check`] then walks the events in time order and applies the
//! rules a shopper relies on: only the holder ships or sells, only the consignee receives, time runs
//! forward (nothing before its commissioning, nothing in the future), and recalls, sales and cold-chain excursions are surfaced.

use crate::policy::ColdChainRule;
use serde::Serialize;
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
    /// Shipped, sold or transformed by a party that did not hold the goods.
    CustodyBreak {
        event: usize,
        actor: String,
        holder: String,
        detail: String,
    },
    /// Received by a party the goods were not shipped to.
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

/// Applies the custody rules to the product's events (`order` from [`relevant`]); `actor[i]` is the
/// GLN of the organisation whose device signed event `i` (if authorised).
pub fn check(
    events: &[Facts],
    order: &[usize],
    actor: &[Option<String>],
    cold_chain: Option<&ColdChainRule>,
    now: OffsetDateTime,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut holder: Option<String> = None;
    let mut shipment: Option<Vec<String>> = None;
    let mut seen_ids: Vec<&str> = Vec::new();
    let mut recalled: Option<usize> = None;
    let mut sales = Vec::new();
    for &i in order {
        let e = &events[i];
        let Some(org) = actor.get(i).cloned().flatten() else {
            continue;
        };
        if e.time > now + time::Duration::seconds(CLOCK_SKEW_SECONDS) {
            out.push(Finding::ImpossibleTimeOrder {
                event: i,
                detail: "event time is in the future".into(),
            });
        }
        let step = e.biz_step.as_deref().unwrap_or("");
        let not_holder = |h: &Option<String>| h.as_ref().filter(|h| **h != org).cloned();
        match step {
            "shipping" | "departing" => {
                if let Some(h) = not_holder(&holder) {
                    out.push(Finding::CustodyBreak {
                        event: i,
                        actor: org.clone(),
                        holder: h,
                        detail: "shipped by a party that did not hold it".into(),
                    });
                }
                shipment = Some(e.ship_to.clone());
            }
            "receiving" => {
                match &shipment {
                    Some(to) => {
                        if !to.is_empty() && !to.contains(&org) {
                            out.push(Finding::WrongReceiver {
                                event: i,
                                actor: org.clone(),
                                shipped_to: to.join(","),
                            });
                        }
                    }
                    None => {
                        if let Some(h) = not_holder(&holder) {
                            out.push(Finding::CustodyBreak {
                                event: i,
                                actor: org.clone(),
                                holder: h,
                                detail: "received without a shipment from the holder".into(),
                            });
                        }
                    }
                }
                holder = Some(org.clone());
                shipment = None;
            }
            "retail_selling" => {
                if let Some(h) = not_holder(&holder) {
                    out.push(Finding::CustodyBreak {
                        event: i,
                        actor: org.clone(),
                        holder: h,
                        detail: "sold by a party that did not hold it".into(),
                    });
                }
            }
            _ if e.event_type == "TransformationEvent" => {
                if let Some(h) = not_holder(&holder) {
                    out.push(Finding::CustodyBreak {
                        event: i,
                        actor: org.clone(),
                        holder: h,
                        detail: "transformed by a party that did not hold the inputs".into(),
                    });
                }
                holder = Some(org.clone());
            }
            "commissioning" => {
                if e.ids.iter().any(|id| seen_ids.contains(&id.as_str())) {
                    out.push(Finding::ImpossibleTimeOrder {
                        event: i,
                        detail: "commissioned after events that already name it".into(),
                    });
                }
                if holder.is_none() {
                    holder = Some(org.clone());
                }
            }
            _ => {}
        }
        seen_ids.extend(e.ids.iter().map(String::as_str));
        if step == "retail_selling" || e.disposition.as_deref() == Some("retail_sold") {
            sales.push(i);
        }
        if e.disposition.as_deref() == Some("recalled")
            || e.persistent_set.iter().any(|s| s == "recalled")
        {
            recalled = Some(i);
        }
        if e.persistent_unset.iter().any(|s| s == "recalled") {
            recalled = None;
        }
        for t in &e.temperatures {
            let out_of_range =
                cold_chain.is_some_and(|r| t.min < r.min_celsius || t.max > r.max_celsius);
            if t.alarm || out_of_range {
                let worst = match cold_chain {
                    Some(r) if t.max > r.max_celsius => t.max,
                    Some(r) if t.min < r.min_celsius => t.min,
                    _ => t.celsius,
                };
                out.push(Finding::ColdChainExcursion {
                    event: i,
                    celsius: worst,
                    min: cold_chain.map(|r| r.min_celsius),
                    max: cold_chain.map(|r| r.max_celsius),
                    alarm: t.alarm,
                });
            }
        }
    }
    if let Some(i) = recalled {
        out.push(Finding::Recalled { event: i });
    }
    if let Some(&last) = sales.last() {
        out.push(Finding::AlreadySold {
            event: last,
            count: sales.len(),
        });
    }
    out
}
