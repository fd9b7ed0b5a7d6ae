//! Typed model of EPCIS 2.0 JSON / JSON-LD documents and events.
//!
//! The model is for *reading* (custody rules, display); it is never serialised
//! back for hashing or signing — see [`crate::raw`]. Fields the standard names
//! are typed; anything else (namespaced extensions such as `"example:foo"`) is
//! kept verbatim in `extensions` so no information is lost.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::ParseError;

/// Unknown members, keyed as written (e.g. `"example:myField"`).
pub type Extensions = Map<String, Value>;

/// `ADD` / `OBSERVE` / `DELETE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    /// Objects created, commissioned or added to a parent.
    Add,
    /// Objects observed without change of existence.
    Observe,
    /// Objects ceased to exist / removed from a parent.
    Delete,
}

/// `{epcClass, quantity, uom}`: a quantity of a class (GTIN, lot, …).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuantityElement {
    /// Class identifier (e.g. `urn:epc:class:lgtin:…` or a Digital Link).
    pub epc_class: String,
    /// Amount; a count when `uom` is absent.
    #[serde(default)]
    pub quantity: Option<f64>,
    /// UN/CEFACT Rec 20 unit code.
    #[serde(default)]
    pub uom: Option<String>,
}

/// `readPoint` / `bizLocation`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Location {
    /// Location identifier (SGLN URN, Digital Link, geo: URI …).
    pub id: String,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Entry of `bizTransactionList`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BizTransaction {
    /// CBV business transaction type (po, desadv, inv, …), optional.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Transaction identifier.
    pub biz_transaction: String,
}

/// Entry of `sourceList`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Source {
    /// CBV source/destination type (owning_party, possessing_party, location).
    #[serde(rename = "type")]
    pub kind: String,
    /// Party or location identifier.
    pub source: String,
}

/// Entry of `destinationList`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Destination {
    /// CBV source/destination type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Party or location identifier.
    pub destination: String,
}

/// `persistentDisposition`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PersistentDisposition {
    /// Dispositions that become (and stay) true.
    #[serde(default)]
    pub set: Vec<String>,
    /// Dispositions that stop being true.
    #[serde(default)]
    pub unset: Vec<String>,
}

/// `sensorMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SensorMetadata {
    /// Time of a single reading.
    pub time: Option<String>,
    /// Start of the interval covered.
    pub start_time: Option<String>,
    /// End of the interval covered.
    pub end_time: Option<String>,
    /// Sensor device.
    #[serde(rename = "deviceID")]
    pub device_id: Option<String>,
    /// Device metadata reference.
    pub device_metadata: Option<String>,
    /// Raw data reference.
    pub raw_data: Option<String>,
    /// Processing method reference.
    pub data_processing_method: Option<String>,
    /// Business rules reference.
    pub biz_rules: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// One `sensorReport` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SensorReport {
    /// Measurement type (`Temperature`, `gs1:Temperature`, full IRI …).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `ALARM_CONDITION` / `ERROR_CONDITION`.
    pub exception: Option<String>,
    /// Device for this report.
    #[serde(rename = "deviceID")]
    pub device_id: Option<String>,
    /// Device metadata reference.
    pub device_metadata: Option<String>,
    /// Raw data reference.
    pub raw_data: Option<String>,
    /// Processing method reference.
    pub data_processing_method: Option<String>,
    /// Time of this reading.
    pub time: Option<String>,
    /// Microorganism IRI.
    pub microorganism: Option<String>,
    /// Chemical substance IRI.
    pub chemical_substance: Option<String>,
    /// Single value.
    pub value: Option<f64>,
    /// Coordinate component (`latitude`, …).
    pub component: Option<String>,
    /// Non-numeric value.
    pub string_value: Option<String>,
    /// Boolean value.
    pub boolean_value: Option<bool>,
    /// Hex binary value.
    pub hex_binary_value: Option<String>,
    /// URI value.
    pub uri_value: Option<String>,
    /// Minimum over the interval.
    pub min_value: Option<f64>,
    /// Maximum over the interval.
    pub max_value: Option<f64>,
    /// Mean over the interval.
    pub mean_value: Option<f64>,
    /// Standard deviation.
    #[serde(rename = "sDev")]
    pub s_dev: Option<f64>,
    /// Percentile rank.
    pub perc_rank: Option<f64>,
    /// Value at `percRank`.
    pub perc_value: Option<f64>,
    /// UN/CEFACT unit (CEL, FAR, KEL …).
    pub uom: Option<String>,
    /// CRS of a coordinate.
    pub coordinate_reference_system: Option<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// One `sensorElementList` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SensorElement {
    /// Metadata shared by the reports.
    #[serde(default)]
    pub sensor_metadata: Option<SensorMetadata>,
    /// The readings.
    #[serde(default)]
    pub sensor_report: Vec<SensorReport>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `errorDeclaration`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDeclaration {
    /// When the error was declared.
    pub declaration_time: String,
    /// CBV error reason.
    pub reason: Option<String>,
    /// Events that correct the erroneous one.
    #[serde(rename = "correctiveEventIDs", default)]
    pub corrective_event_ids: Vec<String>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Members common to all event types (the EPCIS "when, where, why").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Common {
    /// When the event happened, RFC 3339 as written.
    pub event_time: String,
    /// Local offset `±hh:mm` at the place of the event.
    pub event_time_zone_offset: String,
    /// When it was captured (set by the repository).
    pub record_time: Option<String>,
    /// Event identifier (often an Event Hash ID).
    #[serde(rename = "eventID")]
    pub event_id: Option<String>,
    /// Business step (any CBV spelling; see [`Event::biz_step`]).
    pub biz_step: Option<String>,
    /// Disposition (any CBV spelling; see [`Event::disposition`]).
    pub disposition: Option<String>,
    /// Persistent disposition changes.
    pub persistent_disposition: Option<PersistentDisposition>,
    /// Where the event was observed.
    pub read_point: Option<Location>,
    /// Where the objects are afterwards.
    pub biz_location: Option<Location>,
    /// Business transactions.
    #[serde(default)]
    pub biz_transaction_list: Vec<BizTransaction>,
    /// Parties/locations handing over.
    #[serde(default)]
    pub source_list: Vec<Source>,
    /// Parties/locations receiving.
    #[serde(default)]
    pub destination_list: Vec<Destination>,
    /// Sensor data.
    #[serde(default)]
    pub sensor_element_list: Vec<SensorElement>,
    /// Certification reference(s), as written (string or array).
    pub certification_info: Option<Value>,
    /// Error declaration, if this event retracts an earlier one.
    pub error_declaration: Option<ErrorDeclaration>,
}

/// `ObjectEvent`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectEvent {
    /// Common members.
    #[serde(flatten)]
    pub common: Common,
    /// ADD / OBSERVE / DELETE.
    pub action: Action,
    /// Instance identifiers.
    #[serde(default)]
    pub epc_list: Vec<String>,
    /// Class-level quantities.
    #[serde(default)]
    pub quantity_list: Vec<QuantityElement>,
    /// Instance/lot master data (only meaningful with ADD).
    pub ilmd: Option<Extensions>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `AggregationEvent`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregationEvent {
    /// Common members.
    #[serde(flatten)]
    pub common: Common,
    /// ADD / OBSERVE / DELETE.
    pub action: Action,
    /// Container (pallet SSCC …).
    #[serde(rename = "parentID")]
    pub parent_id: Option<String>,
    /// Contained instances.
    #[serde(rename = "childEPCs", default)]
    pub child_epcs: Vec<String>,
    /// Contained quantities.
    #[serde(default)]
    pub child_quantity_list: Vec<QuantityElement>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `TransformationEvent`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransformationEvent {
    /// Common members.
    #[serde(flatten)]
    pub common: Common,
    /// Consumed instances.
    #[serde(rename = "inputEPCList", default)]
    pub input_epc_list: Vec<String>,
    /// Consumed quantities.
    #[serde(default)]
    pub input_quantity_list: Vec<QuantityElement>,
    /// Produced instances.
    #[serde(rename = "outputEPCList", default)]
    pub output_epc_list: Vec<String>,
    /// Produced quantities.
    #[serde(default)]
    pub output_quantity_list: Vec<QuantityElement>,
    /// Links transformation steps that together form one transformation.
    #[serde(rename = "transformationID")]
    pub transformation_id: Option<String>,
    /// Instance/lot master data of the outputs.
    pub ilmd: Option<Extensions>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `AssociationEvent` (same shape as an aggregation, for physical associations).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationEvent {
    /// Common members.
    #[serde(flatten)]
    pub common: Common,
    /// ADD / OBSERVE / DELETE.
    pub action: Action,
    /// Parent asset.
    #[serde(rename = "parentID")]
    pub parent_id: Option<String>,
    /// Associated instances.
    #[serde(rename = "childEPCs", default)]
    pub child_epcs: Vec<String>,
    /// Associated quantities.
    #[serde(default)]
    pub child_quantity_list: Vec<QuantityElement>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `TransactionEvent`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionEvent {
    /// Common members.
    #[serde(flatten)]
    pub common: Common,
    /// ADD / OBSERVE / DELETE.
    pub action: Action,
    /// Optional parent.
    #[serde(rename = "parentID")]
    pub parent_id: Option<String>,
    /// Instances.
    #[serde(default)]
    pub epc_list: Vec<String>,
    /// Quantities.
    #[serde(default)]
    pub quantity_list: Vec<QuantityElement>,
    /// Extension members.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Any EPCIS 2.0 event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `ObjectEvent`.
    Object(ObjectEvent),
    /// `AggregationEvent`.
    Aggregation(AggregationEvent),
    /// `TransformationEvent`.
    Transformation(TransformationEvent),
    /// `AssociationEvent`.
    Association(AssociationEvent),
    /// `TransactionEvent`.
    Transaction(TransactionEvent),
}

/// A temperature reading normalised to degrees Celsius.
#[derive(Debug, Clone, PartialEq)]
pub struct TemperatureReading {
    /// Reading time (report time, else metadata time/startTime), as written.
    pub time: Option<String>,
    /// `value` in °C.
    pub value: Option<f64>,
    /// `minValue` in °C.
    pub min: Option<f64>,
    /// `maxValue` in °C.
    pub max: Option<f64>,
    /// `meanValue` in °C.
    pub mean: Option<f64>,
    /// The report carries `ALARM_CONDITION`.
    pub alarm: bool,
    /// The report carries `ERROR_CONDITION` (sensor fault: value untrustworthy).
    pub error: bool,
}

/// A source or destination entry, with its type reduced to the CBV word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party<'a> {
    /// Bare CBV type (`owning_party`, `possessing_party`, `location`) or the
    /// type as written when not a CBV term.
    pub kind: &'a str,
    /// Party or location identifier.
    pub id: &'a str,
}

impl Event {
    /// Parse one event from a JSON value (dispatching on `type`).
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| ParseError::Shape {
                what: "event",
                reason: "missing string member \"type\"".into(),
            })?
            .to_string();
        let wrap = |source| ParseError::Event {
            event_type: kind.clone(),
            source,
        };
        Ok(match kind.as_str() {
            "ObjectEvent" => Event::Object(serde_json::from_value(value).map_err(wrap)?),
            "AggregationEvent" => Event::Aggregation(serde_json::from_value(value).map_err(wrap)?),
            "TransformationEvent" => {
                Event::Transformation(serde_json::from_value(value).map_err(wrap)?)
            }
            "AssociationEvent" => Event::Association(serde_json::from_value(value).map_err(wrap)?),
            "TransactionEvent" => Event::Transaction(serde_json::from_value(value).map_err(wrap)?),
            _ => return Err(ParseError::UnknownEventType(kind)),
        })
    }

    /// The event's `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::Object(_) => "ObjectEvent",
            Event::Aggregation(_) => "AggregationEvent",
            Event::Transformation(_) => "TransformationEvent",
            Event::Association(_) => "AssociationEvent",
            Event::Transaction(_) => "TransactionEvent",
        }
    }

    /// Members common to every event type.
    pub fn common(&self) -> &Common {
        match self {
            Event::Object(e) => &e.common,
            Event::Aggregation(e) => &e.common,
            Event::Transformation(e) => &e.common,
            Event::Association(e) => &e.common,
            Event::Transaction(e) => &e.common,
        }
    }

    /// `action`; `None` for transformations, which have none.
    pub fn action(&self) -> Option<Action> {
        match self {
            Event::Object(e) => Some(e.action),
            Event::Aggregation(e) => Some(e.action),
            Event::Transformation(_) => None,
            Event::Association(e) => Some(e.action),
            Event::Transaction(e) => Some(e.action),
        }
    }

    /// Extension members of the event itself.
    pub fn extensions(&self) -> &Extensions {
        match self {
            Event::Object(e) => &e.extensions,
            Event::Aggregation(e) => &e.extensions,
            Event::Transformation(e) => &e.extensions,
            Event::Association(e) => &e.extensions,
            Event::Transaction(e) => &e.extensions,
        }
    }

    /// `eventTime` as a UTC instant.
    pub fn event_time_utc(&self) -> Result<OffsetDateTime, ParseError> {
        parse_rfc3339_utc(&self.common().event_time)
    }

    /// Business step as the bare CBV word (`"shipping"`), whichever of the CBV
    /// spellings was used; `None` if absent or a non-CBV (custom) vocabulary.
    pub fn biz_step(&self) -> Option<&str> {
        self.common()
            .biz_step
            .as_deref()
            .and_then(|s| cbv_word(s, "bizstep", "BizStep"))
    }

    /// Disposition as the bare CBV word (`"in_transit"`).
    pub fn disposition(&self) -> Option<&str> {
        self.common()
            .disposition
            .as_deref()
            .and_then(|s| cbv_word(s, "disp", "Disp"))
    }

    /// Every identifier the event touches, in document order: epcList,
    /// parentID, childEPCs, input/output EPCs and the epcClass of every
    /// quantity element. A custody engine needs the full set to follow goods
    /// through aggregation and transformation.
    pub fn identifiers(&self) -> Vec<&str> {
        fn q(list: &[QuantityElement]) -> impl Iterator<Item = &str> {
            list.iter().map(|q| q.epc_class.as_str())
        }
        fn s(v: &[String]) -> impl Iterator<Item = &str> {
            v.iter().map(String::as_str)
        }
        let mut out: Vec<&str> = Vec::new();
        match self {
            Event::Object(e) => {
                out.extend(s(&e.epc_list));
                out.extend(q(&e.quantity_list));
            }
            Event::Aggregation(e) => {
                out.extend(e.parent_id.as_deref());
                out.extend(s(&e.child_epcs));
                out.extend(q(&e.child_quantity_list));
            }
            Event::Association(e) => {
                out.extend(e.parent_id.as_deref());
                out.extend(s(&e.child_epcs));
                out.extend(q(&e.child_quantity_list));
            }
            Event::Transaction(e) => {
                out.extend(e.parent_id.as_deref());
                out.extend(s(&e.epc_list));
                out.extend(q(&e.quantity_list));
            }
            Event::Transformation(e) => {
                out.extend(s(&e.input_epc_list));
                out.extend(q(&e.input_quantity_list));
                out.extend(s(&e.output_epc_list));
                out.extend(q(&e.output_quantity_list));
            }
        }
        out
    }

    /// Sources with their type reduced to the bare CBV word.
    pub fn sources(&self) -> Vec<Party<'_>> {
        let c = self.common();
        c.source_list
            .iter()
            .map(|s| Party {
                kind: sdt_word(&s.kind),
                id: &s.source,
            })
            .collect()
    }

    /// Destinations with their type reduced to the bare CBV word.
    pub fn destinations(&self) -> Vec<Party<'_>> {
        let c = self.common();
        c.destination_list
            .iter()
            .map(|d| Party {
                kind: sdt_word(&d.kind),
                id: &d.destination,
            })
            .collect()
    }

    /// Source identifiers of one CBV type (e.g. `"possessing_party"`).
    pub fn sources_of_type(&self, kind: &str) -> Vec<&str> {
        self.sources()
            .into_iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.id)
            .collect()
    }

    /// Destination identifiers of one CBV type.
    pub fn destinations_of_type(&self, kind: &str) -> Vec<&str> {
        self.destinations()
            .into_iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.id)
            .collect()
    }

    /// Temperature readings in °C (FAR and KEL converted; other or missing
    /// units assumed CEL as the CBV default for temperature). Reports in an
    /// unknown unit are skipped rather than misread.
    pub fn temperatures(&self) -> Vec<TemperatureReading> {
        let mut out = Vec::new();
        for el in &self.common().sensor_element_list {
            let meta_time = el
                .sensor_metadata
                .as_ref()
                .and_then(|m| m.time.clone().or_else(|| m.start_time.clone()));
            for r in &el.sensor_report {
                let is_temp = r.kind.as_deref().is_some_and(|k| {
                    matches!(
                        k,
                        "Temperature" | "gs1:Temperature" | "https://gs1.org/voc/Temperature"
                    )
                });
                if !is_temp {
                    continue;
                }
                let conv: fn(f64) -> f64 = match r.uom.as_deref() {
                    None | Some("CEL") => |v| v,
                    Some("FAR") => |v| (v - 32.0) * 5.0 / 9.0,
                    Some("KEL") => |v| v - 273.15,
                    Some(_) => continue,
                };
                let exc = r.exception.as_deref().unwrap_or("");
                out.push(TemperatureReading {
                    time: r.time.clone().or_else(|| meta_time.clone()),
                    value: r.value.map(conv),
                    min: r.min_value.map(conv),
                    max: r.max_value.map(conv),
                    mean: r.mean_value.map(conv),
                    alarm: exc.ends_with("ALARM_CONDITION"),
                    error: exc.ends_with("ERROR_CONDITION"),
                });
            }
        }
        out
    }
}

/// Parse an RFC 3339 timestamp into a UTC instant.
pub fn parse_rfc3339_utc(s: &str) -> Result<OffsetDateTime, ParseError> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|e| ParseError::Time {
            value: s.to_string(),
            reason: e.to_string(),
        })
}

/// Reduce a CBV value to its bare word: accepts the bare word, the `urn:epcglobal:cbv:{urn}:`
/// URN, the `{urn}:` and `cbv:{Web}-` CURIEs and the `https://ref.gs1.org/cbv/{Web}-` IRI.
pub(crate) fn cbv_word<'a>(s: &'a str, urn: &str, web: &str) -> Option<&'a str> {
    let stripped = s
        .strip_prefix("urn:epcglobal:cbv:")
        .and_then(|r| r.strip_prefix(urn)?.strip_prefix(':'))
        .or_else(|| {
            s.strip_prefix("https://ref.gs1.org/cbv/")
                .and_then(|r| r.strip_prefix(web)?.strip_prefix('-'))
        })
        .or_else(|| {
            s.strip_prefix("cbv:")
                .and_then(|r| r.strip_prefix(web)?.strip_prefix('-'))
        })
        .or_else(|| s.strip_prefix(urn).and_then(|r| r.strip_prefix(':')));
    let word = stripped.unwrap_or(s);
    let bare = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    bare.then_some(word)
}

fn sdt_word(s: &str) -> &str {
    cbv_word(s, "sdt", "SDT").unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::cbv_word;

    #[test]
    fn bizstep_spellings() {
        for s in [
            "shipping",
            "bizstep:shipping",
            "urn:epcglobal:cbv:bizstep:shipping",
            "https://ref.gs1.org/cbv/BizStep-shipping",
            "cbv:BizStep-shipping",
        ] {
            assert_eq!(cbv_word(s, "bizstep", "BizStep"), Some("shipping"), "{s}");
        }
        assert_eq!(
            cbv_word("https://example.com/steps/x", "bizstep", "BizStep"),
            None
        );
    }
}
