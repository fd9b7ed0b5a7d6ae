//! The parts of an EPCIS 2.0 event the rule's records are made from, read from its JSON. Events
//! here were validated when they were captured and proven in the logs; what does not fit this
//! reading is skipped, never guessed.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A GS1 key an event names: a lot of a trade item, an instance of one (a serial within a lot,
/// or none), or a logistic unit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// GTIN and lot (AI 01 + 10): a traceability lot code.
    Lot(String, String),
    /// A serialised item whose identifier names no lot.
    Unlotted(String),
    /// SSCC (AI 00): what is packed in it.
    Sscc(String),
    /// An identifier that is no GS1 key (kept as written, so that no record is lost).
    Other(String),
}

/// One item of an event, with its quantity: a quantity element's, or 1 for an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: Key,
    pub quantity: f64,
    /// UN/CEFACT code (`KGM`), or `EA` for counted instances.
    pub uom: String,
}

/// An event as the rule reads it.
#[derive(Debug, Clone)]
pub struct Event {
    pub time: OffsetDateTime,
    /// The event's date where it happened (its own offset).
    pub date: String,
    pub kind: String,
    pub biz_step: Option<String>,
    pub action: Option<String>,
    /// The business location, else the read point (GLN).
    pub place: Option<String>,
    /// `sourceList` and `destinationList` parties and locations (GLNs).
    pub sources: Vec<String>,
    pub destinations: Vec<String>,
    /// What the event is about; for a transformation, its outputs.
    pub items: Vec<Item>,
    /// A transformation's inputs.
    pub inputs: Vec<Item>,
    /// An aggregation's parent.
    pub parent: Option<Key>,
    pub ilmd: Map<String, Value>,
    /// `bizTransactionList`: (type, number).
    pub documents: Vec<(String, String)>,
}

impl Event {
    /// Reads `json`; `None` if it is not an event this reading understands.
    pub fn read(json: &str) -> Option<Event> {
        let v: Value = serde_json::from_str(json).ok()?;
        let o = v.as_object()?;
        let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        let time = OffsetDateTime::parse(o.get("eventTime")?.as_str()?, &Rfc3339).ok()?;
        let kind = text("type")?;
        let (items, inputs) = if kind == "TransformationEvent" {
            (
                items(o, "outputEPCList", "outputQuantityList"),
                items(o, "inputEPCList", "inputQuantityList"),
            )
        } else if kind == "AggregationEvent" {
            (items(o, "childEPCs", "childQuantityList"), Vec::new())
        } else {
            (items(o, "epcList", "quantityList"), Vec::new())
        };
        let place = o
            .get("bizLocation")
            .or_else(|| o.get("readPoint"))
            .and_then(|l| l.get("id"))
            .and_then(Value::as_str)
            .and_then(gln);
        Some(Event {
            date: time.date().to_string(),
            time,
            kind,
            biz_step: text("bizStep").map(|s| cbv_word(&s)),
            action: text("action"),
            place,
            sources: parties(o, "sourceList", "source"),
            destinations: parties(o, "destinationList", "destination"),
            items,
            inputs,
            parent: text("parentID").and_then(|p| key(&p)),
            ilmd: o
                .get("ilmd")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            documents: documents(o),
        })
    }
}

/// The items of an EPC list and a quantity list.
fn items(o: &Map<String, Value>, epcs: &str, quantities: &str) -> Vec<Item> {
    let list = |k: &str| {
        o.get(k)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    let mut out: Vec<Item> = list(epcs)
        .iter()
        .filter_map(Value::as_str)
        .filter_map(key)
        .map(|key| Item {
            key,
            quantity: 1.0,
            uom: "EA".into(),
        })
        .collect();
    for q in list(quantities) {
        let Some(key) = q.get("epcClass").and_then(Value::as_str).map(key_or_other) else {
            continue;
        };
        out.push(Item {
            key,
            quantity: q.get("quantity").and_then(Value::as_f64).unwrap_or(1.0),
            uom: q
                .get("uom")
                .and_then(Value::as_str)
                .unwrap_or("EA")
                .to_owned(),
        });
    }
    out
}

fn key_or_other(id: &str) -> Key {
    key(id).unwrap_or_else(|| Key::Other(id.to_owned()))
}

/// The GS1 key of an identifier in any syntax EPCIS allows (Digital Link, EPC URN).
fn key(id: &str) -> Option<Key> {
    let dl = digital_link(id)?;
    let ai = |code: &str| {
        dl.ais()
            .iter()
            .find(|a| a.ai() == code)
            .map(|a| a.value().to_owned())
    };
    if let Some(sscc) = ai("00") {
        return Some(Key::Sscc(sscc));
    }
    let gtin = ai("01")?;
    Some(match ai("10") {
        Some(lot) => Key::Lot(gtin, lot),
        None => Key::Unlotted(gtin),
    })
}

/// A Digital Link as written (a lot beside a serial is kept: the canonical form the Event Hash
/// ID uses drops it), or the one an EPC URN stands for.
fn digital_link(id: &str) -> Option<tally_gs1::DigitalLink> {
    let uri = match id.starts_with("urn:epc:") {
        true => tally_epcis::epc::canonical_gs1_uri(id)?,
        false => id.to_owned(),
    };
    tally_gs1::DigitalLink::parse(&uri).ok()
}

/// The GLN of a party (417) or location (414) identifier.
fn gln(id: &str) -> Option<String> {
    let dl = digital_link(id)?;
    let p = dl.primary();
    matches!(p.ai(), "414" | "417").then(|| p.value().to_owned())
}

fn parties(o: &Map<String, Value>, list: &str, field: &str) -> Vec<String> {
    let all = o
        .get(list)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    all.iter()
        .filter_map(|p| p.get(field).and_then(Value::as_str))
        .filter_map(gln)
        .collect()
}

/// `bizTransactionList` as (type word, document number).
fn documents(o: &Map<String, Value>) -> Vec<(String, String)> {
    let all = o
        .get("bizTransactionList")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    all.iter()
        .filter_map(|t| {
            let id = t.get("bizTransaction")?.as_str()?;
            let kind = t.get("type").and_then(Value::as_str).map(cbv_word);
            Some((kind.unwrap_or_default(), document_number(id)))
        })
        .collect()
}

/// A document's number without the CBV URN's prefix (`urn:epcglobal:cbv:bt:GLN:NUMBER`).
fn document_number(id: &str) -> String {
    match id.strip_prefix("urn:epcglobal:cbv:bt:") {
        Some(rest) => rest.split_once(':').map_or(rest, |(_, n)| n).to_owned(),
        None => id.to_owned(),
    }
}

/// A CBV word in its bare form, whichever spelling the event used (`shipping`,
/// `cbv:BizStep-shipping`, `https://ref.gs1.org/cbv/BizStep-shipping`).
fn cbv_word(s: &str) -> String {
    let tail = s.rsplit(['/', ':']).next().unwrap_or(s);
    tail.rsplit('-').next().unwrap_or(tail).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_in_any_syntax_name_the_same_lot() {
        let lot = Key::Lot("09506000200019".into(), "CATCH-7".into());
        assert_eq!(
            key("https://id.gs1.org/01/09506000200019/10/CATCH-7"),
            Some(lot.clone())
        );
        assert_eq!(
            key("https://example.com/01/09506000200019/10/CATCH-7/21/9"),
            Some(lot.clone())
        );
        assert_eq!(key("urn:epc:class:lgtin:9506000.020001.CATCH-7"), Some(lot));
        assert_eq!(
            key("https://id.gs1.org/00/095060000000000015"),
            Some(Key::Sscc("095060000000000015".into()))
        );
        assert_eq!(key("not an identifier"), None);
    }

    #[test]
    fn documents_and_steps_are_read_in_every_cbv_spelling() {
        assert_eq!(
            cbv_word("https://ref.gs1.org/cbv/BizStep-shipping"),
            "shipping"
        );
        assert_eq!(cbv_word("cbv:BTT-po"), "po");
        assert_eq!(cbv_word("receiving"), "receiving");
        assert_eq!(
            document_number("urn:epcglobal:cbv:bt:9506000000043:BOL-5521"),
            "BOL-5521"
        );
        assert_eq!(
            document_number("https://example.com/po/77"),
            "https://example.com/po/77"
        );
    }
}
