//! The Key Data Elements of each Critical Tracking Event, from proven EPCIS events.

use crate::cte::Cte;
use crate::event::{Event, Item, Key};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use time::Date;

/// An event as the logs proved it.
#[derive(Debug, Clone, Copy)]
pub struct Logged<'a> {
    /// The event's JSON, as its reader may read it (withheld members put back for an entitled
    /// reader: the reference documents are usually among them).
    pub event: &'a str,
    /// Its CBV 2.0 Event Hash ID.
    pub hash_id: &'a str,
    /// The bookkeepers whose logs prove it.
    pub logs: &'a [String],
    /// Where anyone can fetch its inclusion proof.
    pub proof: &'a str,
}

/// What a GLN (a party or a location) is called: name, country, the GLN itself.
pub type Places = BTreeMap<String, String>;

/// Which records are asked for: a product, a lot, a date range (inclusive), or all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub gtin: Option<String>,
    pub lot: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// One row of the spreadsheet: one CTE of one traceability lot. Empty text is a KDE that does
/// not apply to this CTE, or that the event does not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cte: Cte,
    /// The date where it happened (YYYY-MM-DD), and the exact time (RFC 3339, UTC).
    pub date: String,
    pub time: String,
    /// The traceability lot code: GS1 element string `(01)GTIN(10)LOT`.
    pub tlc: String,
    pub product: String,
    pub quantity: f64,
    pub uom: String,
    /// Where the event took place (shipped from, received at, transformed at, harvested at).
    pub location: String,
    pub previous_source: String,
    pub subsequent_recipient: String,
    /// Where the lot code was assigned.
    pub tlc_source: String,
    /// A transformation's input lots, with quantities.
    pub inputs: String,
    /// Harvest or catch: vessel, area, gear, dates (harvesting, first land-based receiving).
    pub harvest: String,
    pub document_type: String,
    pub document_number: String,
    pub hash_id: String,
    pub logs: String,
    pub proof: String,
}

/// ILMD members that describe a harvest or a catch.
const HARVEST: &[&str] = &[
    "vesselCatchInformationList",
    "catchArea",
    "harvestStartDate",
    "harvestEndDate",
    "farmList",
];

/// ILMD members that describe the product, best first.
const DESCRIPTION: &[&str] = &[
    "itemDescription",
    "speciesForFisheryStatisticsPurposesName",
    "speciesForFisheryStatisticsPurposesCode",
];

/// One lot of an event: how much of it, and where it came from.
struct Lot {
    key: Key,
    quantity: f64,
    uom: String,
    origin: Origin,
}

/// What is known of a lot from the event that created it.
#[derive(Debug, Clone, Default)]
struct Origin {
    place: Option<String>,
    harvest: String,
    at_sea: bool,
    received: bool,
}

/// The rule's records of `events`, as `filter` asks, in time order.
pub fn records(events: &[Logged], places: &Places, filter: &Filter) -> Vec<Row> {
    // Reading is most of the work and each event stands alone: on every core.
    let mut read: Vec<(Event, &Logged)> = events
        .par_iter()
        .filter_map(|l| Some((Event::read(l.event)?, l)))
        .collect();
    read.sort_by_key(|(e, _)| e.time);
    let mut book = Book {
        places,
        origins: BTreeMap::new(),
        products: BTreeMap::new(),
        contents: BTreeMap::new(),
    };
    let mut rows = Vec::new();
    for (event, logged) in &read {
        book.learn(event);
        for row in book.rows(event, logged) {
            if wanted(filter, &row, event) {
                rows.push(row);
            }
        }
    }
    rows
}

/// Whether `row` is asked for: its lot (or, for a transformation, one of its inputs) is the
/// product and lot asked for, on a date in the range.
fn wanted(f: &Filter, row: &Row, e: &Event) -> bool {
    let date = e.time.date();
    let inputs = row.inputs.split("; ").filter_map(|i| i.split(' ').next());
    let about = |tlc: &str| {
        let (gtin, lot) = split_tlc(tlc);
        f.gtin.as_ref().is_none_or(|g| Some(g.as_str()) == gtin)
            && f.lot.as_ref().is_none_or(|l| Some(l.as_str()) == lot)
    };
    (about(&row.tlc) || inputs.into_iter().any(about))
        && f.from.is_none_or(|from| date >= from)
        && f.to.is_none_or(|to| date <= to)
}

/// `(01)GTIN(10)LOT` → (GTIN, LOT).
fn split_tlc(tlc: &str) -> (Option<&str>, Option<&str>) {
    let rest = tlc.strip_prefix("(01)");
    let gtin = rest.map(|r| r.split("(10)").next().unwrap_or(r));
    let lot = rest.and_then(|r| r.split_once("(10)")).map(|(_, l)| l);
    (gtin, lot)
}

/// What the records so far say: lots' origins, products' descriptions, logistic units'
/// contents.
struct Book<'p> {
    places: &'p Places,
    origins: BTreeMap<Key, Origin>,
    products: BTreeMap<String, String>,
    contents: BTreeMap<String, Vec<Item>>,
}

impl Book<'_> {
    /// Records what `e` creates, describes or packs.
    fn learn(&mut self, e: &Event) {
        if let Some(text) = describe(&e.ilmd) {
            for item in &e.items {
                if let Key::Lot(gtin, _) | Key::Unlotted(gtin) = &item.key {
                    self.products
                        .entry(gtin.clone())
                        .or_insert_with(|| text.clone());
                }
            }
        }
        let creates = e.kind == "TransformationEvent"
            || (e.action.as_deref() == Some("ADD") && e.kind == "ObjectEvent");
        if creates {
            let harvest = harvest(&e.ilmd);
            for item in &e.items {
                self.origins
                    .entry(item.key.clone())
                    .or_insert_with(|| Origin {
                        place: e.place.clone(),
                        at_sea: e
                            .ilmd
                            .keys()
                            .any(|k| k.ends_with("vesselCatchInformationList")),
                        harvest: harvest.clone(),
                        received: false,
                    });
            }
        }
        if let Some(Key::Sscc(sscc)) = &e.parent {
            match e.action.as_deref() {
                Some("ADD") => self
                    .contents
                    .entry(sscc.clone())
                    .or_default()
                    .extend(e.items.clone()),
                Some("DELETE") => {
                    self.contents.remove(sscc);
                }
                _ => {}
            }
        }
    }

    /// The rows of `e`: one per lot, if it is a CTE.
    fn rows(&mut self, e: &Event, l: &Logged) -> Vec<Row> {
        let Some(cte) = self.cte(e) else {
            return Vec::new();
        };
        let inputs = if cte == Cte::Transformation {
            let lots = self.lots(&e.inputs);
            lots.iter()
                .map(|((k, uom), q)| format!("{} {q} {uom}", tlc(k)))
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            String::new()
        };
        let lots = self.lots(&e.items);
        let mut rows = Vec::new();
        for ((key, uom), quantity) in lots {
            let mut cte = cte;
            let origin = self.origins.get(&key).cloned().unwrap_or_default();
            if cte == Cte::Receiving && origin.at_sea && !origin.received {
                cte = Cte::FirstLandBasedReceiving;
            }
            if matches!(cte, Cte::Receiving | Cte::FirstLandBasedReceiving) {
                if let Some(o) = self.origins.get_mut(&key) {
                    o.received = true;
                }
            }
            let lot = Lot {
                key,
                quantity,
                uom,
                origin,
            };
            rows.push(self.row(cte, e, l, &lot, &inputs));
        }
        rows
    }

    fn cte(&self, e: &Event) -> Option<Cte> {
        if e.kind == "TransformationEvent" || !e.inputs.is_empty() {
            return Some(Cte::Transformation);
        }
        match e.biz_step.as_deref()? {
            "shipping" => Some(Cte::Shipping),
            "receiving" => Some(Cte::Receiving),
            "commissioning" if HARVEST.iter().any(|h| has(&e.ilmd, h)) => Some(Cte::Harvesting),
            _ => None,
        }
    }

    /// `items` by lot and unit, logistic units opened to the lots packed in them.
    fn lots(&self, items: &[Item]) -> BTreeMap<(Key, String), f64> {
        let mut out = BTreeMap::new();
        self.add(items, &mut out, 0);
        out
    }

    fn add(&self, items: &[Item], out: &mut BTreeMap<(Key, String), f64>, depth: usize) {
        for item in items {
            let inside = match &item.key {
                Key::Sscc(s) if depth < 8 => self.contents.get(s),
                _ => None,
            };
            match inside {
                Some(children) => self.add(children, out, depth + 1),
                None => {
                    *out.entry((item.key.clone(), item.uom.clone())).or_default() += item.quantity
                }
            }
        }
    }

    /// The row of `lot` at event `e`, a `cte`.
    fn row(&self, cte: Cte, e: &Event, l: &Logged, lot: &Lot, inputs: &str) -> Row {
        let place = |g: &Option<String>| g.as_deref().map(|g| self.place(g)).unwrap_or_default();
        let all = |gs: &[String]| {
            gs.iter()
                .map(|g| self.place(g))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let receiving = matches!(cte, Cte::Receiving | Cte::FirstLandBasedReceiving);
        let (types, numbers): (Vec<&str>, Vec<&str>) = e
            .documents
            .iter()
            .map(|(t, n)| (document_type(t), n.as_str()))
            .unzip();
        let origin = &lot.origin;
        Row {
            cte,
            date: e.date.clone(),
            time: crate::sheet::utc(e.time),
            tlc: tlc(&lot.key),
            product: self.product(&lot.key),
            quantity: lot.quantity,
            uom: lot.uom.clone(),
            location: place(&e.place),
            previous_source: if receiving {
                all(&e.sources)
            } else {
                String::new()
            },
            subsequent_recipient: if cte == Cte::Shipping {
                all(&e.destinations)
            } else {
                String::new()
            },
            tlc_source: place(&origin.place),
            inputs: inputs.to_owned(),
            harvest: if matches!(cte, Cte::Harvesting | Cte::FirstLandBasedReceiving) {
                origin.harvest.clone()
            } else {
                String::new()
            },
            document_type: types.join("; "),
            document_number: numbers.join("; "),
            hash_id: l.hash_id.to_owned(),
            logs: l.logs.join(", "),
            proof: l.proof.to_owned(),
        }
    }

    /// What the product is: the ILMD's name for its GTIN, if any event gave one, and the GTIN.
    fn product(&self, key: &Key) -> String {
        let gtin = match key {
            Key::Lot(g, _) | Key::Unlotted(g) => g,
            Key::Sscc(_) | Key::Other(_) => {
                return "not a trade item, or contents not recorded".into()
            }
        };
        match self.products.get(gtin) {
            Some(d) => format!("{d} (GTIN {gtin})"),
            None => format!("GTIN {gtin}"),
        }
    }

    fn place(&self, gln: &str) -> String {
        match self.places.get(gln) {
            Some(d) => format!("{d}, GLN {gln}"),
            None => format!("GLN {gln}"),
        }
    }
}

/// A key as a traceability lot code: its GS1 element string.
fn tlc(k: &Key) -> String {
    match k {
        Key::Lot(g, l) => format!("(01){g}(10){l}"),
        Key::Unlotted(g) => format!("(01){g}"),
        Key::Sscc(s) => format!("(00){s}"),
        Key::Other(id) => id.clone(),
    }
}

/// The CBV business transaction type in words.
fn document_type(t: &str) -> &str {
    match t {
        "po" => "Purchase order",
        "desadv" => "Despatch advice",
        "bol" => "Bill of lading",
        "inv" => "Invoice",
        "recadv" => "Receiving advice",
        "prodorder" => "Production order",
        "poc" => "Purchase order confirmation",
        "rma" => "Return merchandise authorisation",
        "cert" => "Certificate",
        other => other,
    }
}

/// Whether `ilmd` has member `name` under any namespace prefix.
fn has(ilmd: &Map<String, Value>, name: &str) -> bool {
    ilmd.keys().any(|k| k.rsplit(':').next() == Some(name))
}

/// The product as the ILMD describes it.
fn describe(ilmd: &Map<String, Value>) -> Option<String> {
    DESCRIPTION.iter().find_map(|d| {
        ilmd.iter()
            .find(|(k, _)| k.rsplit(':').next() == Some(d))
            .and_then(|(_, v)| v.as_str().map(str::to_owned))
    })
}

/// The harvest or catch the ILMD records, as `name: value` pairs (nested lists flattened).
fn harvest(ilmd: &Map<String, Value>) -> String {
    let mut out = Vec::new();
    for (k, v) in ilmd {
        let name = k.rsplit(':').next().unwrap_or(k);
        if HARVEST.contains(&name) {
            flatten(name, v, &mut out);
        }
    }
    out.join("; ")
}

fn flatten(name: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => o
            .iter()
            .for_each(|(k, v)| flatten(k.rsplit(':').next().unwrap_or(k), v, out)),
        Value::Array(a) => a.iter().for_each(|v| flatten(name, v, out)),
        Value::String(s) => out.push(format!("{name}: {s}")),
        other => out.push(format!("{name}: {other}")),
    }
}
