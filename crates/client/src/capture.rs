//! Building the EPCIS 2.0 event of a handoff a person records, sans-I/O.
//!
//! A warehouse worker picks a step, scans the items and names the place and the counterparty;
//! this turns that into the event GS1 EPCIS 2.0 and CBV 2.0 expect for it (event type, action,
//! bizStep, disposition, where, source and destination parties, sensor readings, lot master data),
//! as JSON text whose exact bytes the device then signs. The bookkeepers validate it against the
//! EPCIS schema and the signer's certification, so a step the device is not certified for is
//! refused there, not here.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tally_confidential::LabelSecret;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// What a handoff records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Brought into being here: a catch landed on a vessel, milk collected, a can filled.
    Commission,
    /// Sent to a counterparty.
    Ship,
    /// Taken in from a counterparty.
    Receive,
    /// Put into a case or onto a pallet.
    Pack,
    /// Taken out of a case or off a pallet.
    Unpack,
    /// Inputs made into outputs (milk into powder, whole fish into fillets).
    Transform,
    /// Kept in a store (a cold store's readings).
    Store,
    /// Carried between places (a carrier's readings on the way).
    Transport,
    /// Sold to a consumer.
    Sell,
    /// Recalled: every unit of the lot is to be taken back.
    Recall,
    /// Inspected, and found conformant: a customs clearance, a laboratory's test. Signed by an
    /// authority (a device governance itself certified), it counts without custody.
    Inspect,
}

impl Step {
    /// Every step, in the order a screen lists them.
    pub const ALL: [Step; 11] = [
        Step::Commission,
        Step::Ship,
        Step::Receive,
        Step::Pack,
        Step::Unpack,
        Step::Transform,
        Step::Store,
        Step::Transport,
        Step::Sell,
        Step::Recall,
        Step::Inspect,
    ];

    /// The step's name, as a person types it (`ship`, `receive`, …).
    pub fn name(self) -> &'static str {
        match self {
            Step::Commission => "commission",
            Step::Ship => "ship",
            Step::Receive => "receive",
            Step::Pack => "pack",
            Step::Unpack => "unpack",
            Step::Transform => "transform",
            Step::Store => "store",
            Step::Transport => "transport",
            Step::Sell => "sell",
            Step::Recall => "recall",
            Step::Inspect => "inspect",
        }
    }

    /// The step named `name` (see [`Step::name`]).
    pub fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The CBV 2.0 business step, which is also the role a device must be certified for.
    pub fn biz_step(self) -> &'static str {
        match self {
            Step::Commission => "commissioning",
            Step::Ship => "shipping",
            Step::Receive => "receiving",
            Step::Pack => "packing",
            Step::Unpack => "unpacking",
            Step::Transform => "creating_class_instance",
            Step::Store => "storing",
            Step::Transport => "transporting",
            Step::Sell => "retail_selling",
            Step::Recall => "holding",
            Step::Inspect => "inspecting",
        }
    }

    fn disposition(self) -> &'static str {
        match self {
            Step::Commission | Step::Transform => "active",
            Step::Ship | Step::Transport => "in_transit",
            Step::Receive | Step::Pack | Step::Unpack | Step::Store => "in_progress",
            Step::Sell => "retail_sold",
            Step::Recall => "recalled",
            Step::Inspect => "conformant",
        }
    }
}

/// A quantity of a class (a lot, a GTIN) rather than serialised items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// The class's Digital Link (`…/01/{gtin}/10/{lot}`).
    pub class: String,
    pub quantity: f64,
    /// UN/CEFACT unit (`KGM`, `LTR`); a count when absent.
    #[serde(default)]
    pub uom: Option<String>,
}

/// One temperature reading, in degrees Celsius.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub time: OffsetDateTime,
    pub celsius: f64,
}

/// A handoff as a person describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    pub step: Step,
    /// When it happened, with the local offset it is shown in.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// Serialised items, cases or pallets (Digital Links).
    #[serde(default)]
    pub items: Vec<String>,
    /// Quantities of lots or classes.
    #[serde(default)]
    pub quantities: Vec<Quantity>,
    /// Pack / unpack: the case or pallet (an SSCC Digital Link).
    #[serde(default)]
    pub parent: Option<String>,
    /// Transform: what went in (items go in `items`, classes in `quantities`, as inputs).
    /// Outputs, serialised and by quantity:
    #[serde(default)]
    pub outputs: Vec<String>,
    #[serde(default)]
    pub output_quantities: Vec<Quantity>,
    /// Where it happened (GLN of the place).
    pub place: String,
    /// The recording organisation's party GLN.
    pub org: String,
    /// Ship: the receiving party; receive: the sending party (GLNs).
    #[serde(default)]
    pub counterparty: Option<String>,
    /// Business documents: (CBV type such as `po`, `desadv`, `bol`; identifier).
    #[serde(default)]
    pub documents: Vec<(String, String)>,
    #[serde(default)]
    pub readings: Vec<Reading>,
    /// Lot master data for commissioning and transformation outputs (CBV `cbvmda:` attributes such
    /// as `cbvmda:countryOfOrigin`, `cbvmda:catchArea`, or a nested `cbvmda:vesselCatchInformationList`).
    #[serde(default)]
    pub ilmd: Map<String, Value>,
    /// What the brand keeps from the holders of the labels when the event is sealed (see
    /// `tally_confidential::withhold`): `bizTransactionList`, `ilmd`, one `ilmd` member such as
    /// `cbvmda:harvestStartDate`, or a namespaced extension. Entitled recipients and the
    /// bookkeepers that check the event still read it. Absent: [`Handoff::default_withheld`].
    #[serde(default = "Handoff::default_withheld")]
    pub withhold: Vec<String>,
}

fn party(gln: &str) -> String {
    format!("https://id.gs1.org/417/{gln}")
}

fn location(gln: &str) -> String {
    format!("https://id.gs1.org/414/{gln}")
}

fn quantities(q: &[Quantity]) -> Value {
    Value::Array(
        q.iter()
            .map(|q| {
                let mut m = Map::new();
                m.insert("epcClass".into(), json!(q.class));
                m.insert("quantity".into(), json!(q.quantity));
                if let Some(u) = &q.uom {
                    m.insert("uom".into(), json!(u));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

fn time_text(t: OffsetDateTime) -> Result<String, String> {
    t.format(&Rfc3339).map_err(|e| e.to_string())
}

fn offset_text(o: UtcOffset) -> String {
    let (h, m, _) = o.as_hms();
    let sign = if o.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// Whom a handoff's event is sealed for, from the label secrets its codes carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    /// Every label named: each holder reads the event.
    pub seal_for: Vec<LabelSecret>,
    /// What a holder may follow next: the case or pallet of a pack or unpack, the inputs of a
    /// transformation (the holder of a can reads the pallet it travelled on and the milk it was
    /// made from; a carrier holding the pallet does not read the cans' own story).
    pub links: Vec<LabelSecret>,
}

/// Takes the label secrets (the `tk` parameter) out of the codes of an EPCIS 2.0 event, as
/// [`Handoff::take_labels`] does for a handoff: every code's label reads the event, and the
/// parent of an aggregation (its case or pallet) and a transformation's inputs are what a holder
/// may follow next. How a gateway seals the events an enterprise system sends it, whose
/// scanners read the whole Digital Link.
pub fn take_event_labels(event: &mut Map<String, Value>) -> Labels {
    let transform = event.get("type").and_then(Value::as_str) == Some("TransformationEvent");
    let mut labels = Labels::default();
    for_each_code(event, |list, code| {
        let link = list == "parentID" || (transform && list.starts_with("input"));
        take_label(code, link, &mut labels);
    });
    labels
}

/// The members of an EPCIS 2.0 event that name products, instances or classes: its EPC lists,
/// the classes of its quantity lists, and an aggregation's parent.
pub const CODE_MEMBERS: [&str; 9] = [
    "epcList",
    "childEPCs",
    "inputEPCList",
    "outputEPCList",
    "quantityList",
    "childQuantityList",
    "inputQuantityList",
    "outputQuantityList",
    "parentID",
];

/// Calls `f` with the member's name and each code of an EPCIS 2.0 event ([`CODE_MEMBERS`]),
/// which it may rewrite.
pub fn for_each_code(event: &mut Map<String, Value>, mut f: impl FnMut(&str, &mut String)) {
    for name in CODE_MEMBERS {
        let quantities = name == "quantityList" || name.ends_with("QuantityList");
        let codes: Vec<&mut Value> = match event.get_mut(name) {
            Some(Value::Array(items)) => items
                .iter_mut()
                .filter_map(|i| match quantities {
                    true => i.get_mut("epcClass"),
                    false => Some(i),
                })
                .collect(),
            Some(v) => vec![v],
            None => continue,
        };
        for code in codes {
            if let Value::String(code) = code {
                f(name, code);
            }
        }
    }
}

/// Moves the label secret of `code`, if it carries one, into `labels`.
fn take_label(code: &mut String, link: bool, labels: &mut Labels) {
    if let Some(secret) = LabelSecret::from_link(code) {
        *code = LabelSecret::remove_from_link(code);
        if link && !labels.links.contains(&secret) {
            labels.links.push(secret.clone());
        }
        if !labels.seal_for.contains(&secret) {
            labels.seal_for.push(secret);
        }
    }
}

impl Handoff {
    /// What is withheld from label holders unless a handoff says otherwise: its business
    /// documents (purchase orders, despatch advices, bills of lading say who buys how much at
    /// what terms); a brand that wants shoppers to see a document, an import clearance say,
    /// records the handoff with an empty list.
    pub fn default_withheld() -> Vec<String> {
        vec!["bizTransactionList".to_owned()]
    }

    /// The handoff with the label secrets (the `tk` parameter) taken out of its codes, and the
    /// secrets: an event names products, never the capability to read about them. Without any,
    /// the event is logged unsealed.
    pub fn take_labels(&self) -> (Handoff, Labels) {
        let mut h = self.clone();
        let mut labels = Labels::default();
        let transform = h.step == Step::Transform;
        let mut take = |code: &mut String, link: bool| take_label(code, link, &mut labels);
        h.items.iter_mut().for_each(|c| take(c, transform));
        h.quantities
            .iter_mut()
            .for_each(|q| take(&mut q.class, transform));
        if let Some(p) = h.parent.as_mut() {
            take(p, true);
        }
        h.outputs.iter_mut().for_each(|c| take(c, false));
        h.output_quantities
            .iter_mut()
            .for_each(|q| take(&mut q.class, false));
        (h, labels)
    }

    /// The EPCIS 2.0 event as JSON text (the bytes to sign), or why the handoff is incomplete.
    pub fn to_epcis(&self) -> Result<Vec<u8>, String> {
        let mut e = Map::new();
        let kind = match self.step {
            Step::Pack | Step::Unpack => "AggregationEvent",
            Step::Transform => "TransformationEvent",
            _ => "ObjectEvent",
        };
        e.insert("type".into(), json!(kind));
        e.insert("eventTime".into(), json!(time_text(self.time)?));
        e.insert(
            "eventTimeZoneOffset".into(),
            json!(offset_text(self.time.offset())),
        );
        match self.step {
            Step::Pack | Step::Unpack => {
                let parent = self
                    .parent
                    .as_ref()
                    .ok_or("packing and unpacking need the case or pallet (parent)")?;
                if self.items.is_empty() && self.quantities.is_empty() {
                    return Err("packing and unpacking need the items put in or taken out".into());
                }
                let action = if self.step == Step::Pack {
                    "ADD"
                } else {
                    "DELETE"
                };
                e.insert("action".into(), json!(action));
                e.insert("parentID".into(), json!(parent));
                if !self.items.is_empty() {
                    e.insert("childEPCs".into(), json!(self.items));
                }
                if !self.quantities.is_empty() {
                    e.insert("childQuantityList".into(), quantities(&self.quantities));
                }
            }
            Step::Transform => {
                if self.items.is_empty() && self.quantities.is_empty() {
                    return Err("a transformation needs its inputs".into());
                }
                if self.outputs.is_empty() && self.output_quantities.is_empty() {
                    return Err("a transformation needs its outputs".into());
                }
                if !self.items.is_empty() {
                    e.insert("inputEPCList".into(), json!(self.items));
                }
                if !self.quantities.is_empty() {
                    e.insert("inputQuantityList".into(), quantities(&self.quantities));
                }
                if !self.outputs.is_empty() {
                    e.insert("outputEPCList".into(), json!(self.outputs));
                }
                if !self.output_quantities.is_empty() {
                    e.insert(
                        "outputQuantityList".into(),
                        quantities(&self.output_quantities),
                    );
                }
            }
            _ => {
                if self.items.is_empty() && self.quantities.is_empty() {
                    return Err("name the items, cases, pallets or lots".into());
                }
                let action = if self.step == Step::Commission {
                    "ADD"
                } else {
                    "OBSERVE"
                };
                e.insert("action".into(), json!(action));
                if !self.items.is_empty() {
                    e.insert("epcList".into(), json!(self.items));
                }
                if !self.quantities.is_empty() {
                    e.insert("quantityList".into(), quantities(&self.quantities));
                }
            }
        }
        e.insert("bizStep".into(), json!(self.step.biz_step()));
        e.insert("disposition".into(), json!(self.step.disposition()));
        if self.step == Step::Recall {
            e.insert("persistentDisposition".into(), json!({"set": ["recalled"]}));
        }
        e.insert("readPoint".into(), json!({"id": location(&self.place)}));
        // In transit, the goods are at no business location.
        if !matches!(self.step, Step::Ship | Step::Transport) {
            e.insert("bizLocation".into(), json!({"id": location(&self.place)}));
        }
        if !self.documents.is_empty() {
            e.insert(
                "bizTransactionList".into(),
                Value::Array(
                    self.documents
                        .iter()
                        .map(|(kind, id)| json!({"type": kind, "bizTransaction": id}))
                        .collect(),
                ),
            );
        }
        let me = json!({"type": "possessing_party", "source": party(&self.org)});
        match (self.step, &self.counterparty) {
            (Step::Ship, Some(to)) => {
                e.insert("sourceList".into(), json!([me]));
                e.insert(
                    "destinationList".into(),
                    json!([{"type": "possessing_party", "destination": party(to)}]),
                );
            }
            (Step::Ship, None) => return Err("shipping needs the receiving party".into()),
            (Step::Receive, from) => {
                if let Some(from) = from {
                    e.insert(
                        "sourceList".into(),
                        json!([{"type": "possessing_party", "source": party(from)}]),
                    );
                }
                e.insert(
                    "destinationList".into(),
                    json!([{"type": "possessing_party", "destination": party(&self.org)}]),
                );
            }
            _ => {}
        }
        if !self.readings.is_empty() {
            let reports = self
                .readings
                .iter()
                .map(|r| {
                    Ok(
                        json!({"type": "Temperature", "value": r.celsius, "uom": "CEL",
                              "time": time_text(r.time)?}),
                    )
                })
                .collect::<Result<Vec<Value>, String>>()?;
            e.insert(
                "sensorElementList".into(),
                json!([{"sensorReport": reports}]),
            );
        }
        if !self.ilmd.is_empty() {
            if !matches!(self.step, Step::Commission | Step::Transform) {
                return Err(
                    "lot master data (ilmd) belongs to commissioning or transformation".into(),
                );
            }
            e.insert("ilmd".into(), Value::Object(self.ilmd.clone()));
            // The cbvmda prefix is the CBV master-data vocabulary.
            e.insert(
                "@context".into(),
                json!([{"cbvmda": "urn:epcglobal:cbv:mda:"}]),
            );
        }
        serde_json::to_vec(&Value::Object(e)).map_err(|e| e.to_string())
    }

    /// One line saying what the handoff records, for the outbox list.
    pub fn summary(&self) -> String {
        let n = self.items.len() + self.quantities.len();
        let what = if n == 1 {
            self.items
                .first()
                .or(self.quantities.first().map(|q| &q.class))
                .cloned()
                .unwrap_or_default()
        } else {
            format!("{n} items")
        };
        let mut s = format!("{} {what} at {}", self.step.biz_step(), self.place);
        if let Some(c) = &self.counterparty {
            s.push_str(&match self.step {
                Step::Ship => format!(" to {c}"),
                _ => format!(" from {c}"),
            });
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoff(step: Step) -> Handoff {
        Handoff {
            step,
            time: OffsetDateTime::from_unix_timestamp(1_780_000_000)
                .unwrap()
                .to_offset(UtcOffset::from_hms(13, 0, 0).unwrap()),
            items: vec!["https://id.gs1.org/00/095060000000000011".into()],
            quantities: vec![],
            parent: None,
            outputs: vec![],
            output_quantities: vec![],
            place: "9506000000012".into(),
            org: "9506000000005".into(),
            counterparty: Some("9506000000029".into()),
            documents: vec![("desadv".into(), "urn:example:desadv:1".into())],
            readings: vec![Reading {
                time: OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap(),
                celsius: 3.5,
            }],
            ilmd: Map::new(),
            withhold: Handoff::default_withheld(),
        }
    }

    #[test]
    fn every_step_makes_a_schema_valid_event_that_hashes() {
        for step in Step::ALL {
            let mut h = handoff(step);
            match step {
                Step::Pack | Step::Unpack => {
                    h.parent = Some("https://id.gs1.org/00/095060000000000028".into());
                }
                Step::Transform => {
                    h.outputs = vec!["https://id.gs1.org/01/09506000134352/10/LOT1".into()];
                    h.ilmd.insert("cbvmda:countryOfOrigin".into(), json!("NZ"));
                }
                Step::Commission => {
                    h.ilmd.insert("cbvmda:catchArea".into(), json!("81"));
                }
                _ => {}
            }
            let json = h.to_epcis().unwrap();
            tally_epcis::validate_event(&json)
                .unwrap_or_else(|e| panic!("{step:?}: {e}: {}", String::from_utf8_lossy(&json)));
            tally_trust::hash_id::of_event(&json).unwrap();
            let v: Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(v["bizStep"], step.biz_step());
            assert_eq!(v["eventTimeZoneOffset"], "+13:00");
        }
    }

    #[test]
    fn custody_facts_name_the_parties_and_places() {
        let json = handoff(Step::Ship).to_epcis().unwrap();
        let raw = tally_epcis::RawEvent::parse(&json).unwrap();
        let facts = tally_trust::custody::Facts::from_event(&raw.event).unwrap();
        assert_eq!(facts.ship_to, vec!["9506000000029".to_owned()]);
        assert_eq!(facts.place.as_deref(), Some("9506000000012"));
        assert_eq!(facts.temperatures[0].celsius, 3.5);
        let recall = handoff(Step::Recall).to_epcis().unwrap();
        let raw = tally_epcis::RawEvent::parse(&recall).unwrap();
        let facts = tally_trust::custody::Facts::from_event(&raw.event).unwrap();
        assert_eq!(facts.persistent_set, vec!["recalled".to_owned()]);
    }

    #[test]
    fn incomplete_handoffs_say_what_is_missing() {
        let mut h = handoff(Step::Pack);
        assert!(h.to_epcis().unwrap_err().contains("parent"));
        h = handoff(Step::Ship);
        h.counterparty = None;
        assert!(h.to_epcis().unwrap_err().contains("receiving party"));
        h = handoff(Step::Sell);
        h.items.clear();
        assert!(h.to_epcis().is_err());
        h = handoff(Step::Ship);
        h.ilmd.insert("cbvmda:lotNumber".into(), json!("x"));
        assert!(h.to_epcis().unwrap_err().contains("ilmd"));
    }

    #[test]
    fn every_code_list_of_an_event_gives_up_its_labels() {
        let secret = |n: u8| LabelSecret::from_bytes([n; 16]);
        let code = |path: &str, n: u8| secret(n).add_to_link(&format!("https://id.gs1.org{path}"));
        let mut event: Map<String, Value> = serde_json::from_value(json!({
            "type": "TransformationEvent",
            "inputQuantityList": [{"epcClass": code("/01/09506000100012/10/M1", 1), "quantity": 5}],
            "outputEPCList": [code("/01/09506000100029/21/1", 2)],
        }))
        .unwrap();
        let labels = take_event_labels(&mut event);
        assert_eq!(
            labels.seal_for,
            vec![secret(2), secret(1)],
            "in the members' order"
        );
        assert_eq!(
            labels.links,
            vec![secret(1)],
            "a transformation's inputs are followed"
        );
        assert!(!serde_json::to_string(&event).unwrap().contains("tk="));
        let mut object: Map<String, Value> = serde_json::from_value(json!({
            "type": "ObjectEvent",
            "quantityList": [{"epcClass": code("/01/09506000100012/10/M1", 3), "quantity": 5}],
            "epcList": [code("/01/09506000100029/21/1", 4)],
        }))
        .unwrap();
        let labels = take_event_labels(&mut object);
        assert_eq!(labels.seal_for, vec![secret(4), secret(3)]);
        assert_eq!(
            object["quantityList"][0]["epcClass"],
            "https://id.gs1.org/01/09506000100012/10/M1"
        );
    }
}
