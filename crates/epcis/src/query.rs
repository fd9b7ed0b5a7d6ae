//! The EPCIS 2.0 query language: the parameters of `SimpleEventQuery` (EPCIS 2.0 §8.2.7.1) as
//! the REST binding carries them in a URI query string (`openapi.yaml`: pipe-delimited lists,
//! `GS1-…` headers apart), parsed into a [`Query`] and matched against events. Pure: the
//! gateway fetches and verifies events, this only says which of them a query selects, in what
//! order and how many.
//!
//! What "matches" means follows §8.2.7.1.1: an identifier parameter matches an event's EPC when
//! both name the same GS1 key whatever the syntax (EPC URN or Digital Link, any host, query
//! attributes such as a label's `tk` ignored: both sides are reduced by
//! [`crate::epc::canonical_gs1_uri`]), and an EPC pattern (`urn:epc:idpat:…:*`) matches every
//! instance and class of its GS1 key. CBV vocabulary is compared as bare words, whichever
//! spelling either side used.
//!
//! Not supported, refused by name (`QueryParameterException`) rather than silently ignored: the
//! parameters that need master data hierarchies beyond the location itself (`WD_*` reads the
//! location alone: Tally keeps no hierarchy), sensor-report and ILMD field parameters
//! (`EQ_type`, `GE_value`, `EQ_INNER_…`, `EQ_ILMD_…`), persistent disposition, and vocabulary
//! queries (`EQ_name`).

use crate::epc::canonical_gs1_uri;
use crate::model::{cbv_word, parse_rfc3339_utc, Action, Event, QuantityElement};
use thiserror::Error;
use time::OffsetDateTime;

/// Why a query cannot run: the binding's exception names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// `QueryParameterException`: an unknown, repeated, malformed or conflicting parameter.
    #[error("{name}: {why}")]
    Parameter { name: String, why: String },
    /// `QueryTooLargeException`: more events match than `maxEventCount` allows.
    #[error("{matched} events match, more than maxEventCount {max}")]
    TooLarge { matched: usize, max: usize },
}

impl QueryError {
    /// The EPCIS exception this error is reported as.
    pub fn exception(&self) -> &'static str {
        match self {
            QueryError::Parameter { .. } => "QueryParameterException",
            QueryError::TooLarge { .. } => "QueryTooLargeException",
        }
    }
}

fn bad(name: &str, why: impl Into<String>) -> QueryError {
    QueryError::Parameter {
        name: name.to_owned(),
        why: why.into(),
    }
}

/// What `orderBy` sorts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    EventTime,
    RecordTime,
}

/// Which members of an event an identifier parameter looks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// `epcList`, `childEPCs`.
    Epc,
    ParentId,
    InputEpc,
    OutputEpc,
    /// All four above.
    AnyEpc,
    /// `quantityList`, `childQuantityList`.
    EpcClass,
    InputEpcClass,
    OutputEpcClass,
    AnyEpcClass,
}

/// An identifier as a query names it: one GS1 key, or every key under a pattern's.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    key: String,
    wildcard: bool,
}

impl Pattern {
    fn parse(value: &str) -> Pattern {
        Pattern {
            key: canonical(value),
            wildcard: value.starts_with("urn:epc:idpat:") && value.ends_with('*'),
        }
    }

    fn matches(&self, code: &str) -> bool {
        let code = canonical(code);
        code == self.key
            || (self.wildcard
                && code
                    .strip_prefix(self.key.as_str())
                    .is_some_and(|rest| rest.starts_with('/')))
    }
}

/// One spelling of an identifier: the canonical Digital Link where it is a GS1 key, else as is
/// (less any query string).
fn canonical(code: &str) -> String {
    canonical_gs1_uri(code).unwrap_or_else(|| code.split('?').next().unwrap_or(code).to_owned())
}

/// Comparisons on a number or a time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound<T> {
    Eq(T),
    Gt(T),
    Ge(T),
    Lt(T),
    Le(T),
}

impl<T: PartialOrd> Bound<T> {
    fn holds(&self, v: &T) -> bool {
        match self {
            Bound::Eq(b) => v == b,
            Bound::Gt(b) => v > b,
            Bound::Ge(b) => v >= b,
            Bound::Lt(b) => v < b,
            Bound::Le(b) => v <= b,
        }
    }
}

/// A parsed `SimpleEventQuery`.
#[derive(Debug, Clone, Default)]
pub struct Query {
    event_types: Option<Vec<String>>,
    event_time: Vec<Bound<OffsetDateTime>>,
    record_time: Vec<Bound<OffsetDateTime>>,
    actions: Option<Vec<Action>>,
    biz_steps: Option<Vec<String>>,
    dispositions: Option<Vec<String>>,
    read_points: Option<Vec<String>>,
    biz_locations: Option<Vec<String>>,
    transformation_ids: Option<Vec<String>>,
    ids: Vec<(Field, Vec<Pattern>)>,
    quantity: Vec<Bound<f64>>,
    event_ids: Option<Vec<String>>,
    error_declaration: Option<bool>,
    error_time: Vec<Bound<OffsetDateTime>>,
    error_reasons: Option<Vec<String>>,
    corrective_ids: Option<Vec<String>>,
    /// `EQ_source_{type}`, `EQ_destination_{type}`: (source?, type word, ids).
    parties: Vec<(bool, String, Vec<String>)>,
    /// `EQ_bizTransaction_{type}`: (type word, ids).
    transactions: Vec<(String, Vec<String>)>,
    order_by: Option<OrderBy>,
    /// `orderDirection`: descending unless `ASC` (the binding's default).
    ascending: bool,
    count_limit: Option<usize>,
    max_count: Option<usize>,
}

/// Parameters the binding names that this implementation refuses by name (see the module doc).
const UNSUPPORTED: [&str; 14] = [
    "EQ_persistentDisposition_set",
    "EQ_persistentDisposition_unset",
    "GE_startTime",
    "LT_startTime",
    "GE_endTime",
    "LT_endTime",
    "EQ_type",
    "EQ_deviceID",
    "EQ_dataProcessingMethod",
    "EQ_microorganism",
    "EQ_chemicalSubstance",
    "EQ_bizRules",
    "EQ_stringValue",
    "EQ_name",
];

fn list(value: &str) -> Vec<String> {
    value
        .split('|')
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn time(name: &str, value: &str) -> Result<OffsetDateTime, QueryError> {
    parse_rfc3339_utc(value).map_err(|e| bad(name, format!("not an RFC 3339 date-time: {e}")))
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, QueryError> {
    value
        .parse()
        .map_err(|_| bad(name, format!("{value:?} is not a number")))
}

fn words(value: &str, urn: &str, web: &str) -> Vec<String> {
    list(value)
        .into_iter()
        .map(|v| cbv_word(&v, urn, web).map(str::to_owned).unwrap_or(v))
        .collect()
}

fn id_field(name: &str) -> Option<Field> {
    Some(match name {
        "MATCH_epc" => Field::Epc,
        "MATCH_parentID" => Field::ParentId,
        "MATCH_inputEPC" => Field::InputEpc,
        "MATCH_outputEPC" => Field::OutputEpc,
        "MATCH_anyEPC" => Field::AnyEpc,
        "MATCH_epcClass" => Field::EpcClass,
        "MATCH_inputEPCClass" => Field::InputEpcClass,
        "MATCH_outputEPCClass" => Field::OutputEpcClass,
        "MATCH_anyEPCClass" => Field::AnyEpcClass,
        _ => return None,
    })
}

fn bound<T>(prefix: &str, v: T) -> Option<Bound<T>> {
    Some(match prefix {
        "EQ" => Bound::Eq(v),
        "GT" => Bound::Gt(v),
        "GE" => Bound::Ge(v),
        "LT" => Bound::Lt(v),
        "LE" => Bound::Le(v),
        _ => return None,
    })
}

impl Query {
    /// Parses the query parameters of a request (URL-decoded name and value pairs). Paging
    /// (`perPage`, `nextPageToken`) is the caller's and must be taken out first.
    pub fn parse<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Query, QueryError> {
        let mut q = Query::default();
        let mut seen = std::collections::HashSet::new();
        for (name, value) in params {
            if !seen.insert(name) {
                return Err(bad(name, "given more than once"));
            }
            q.set(name, value)?;
        }
        q.check()?;
        Ok(q)
    }

    fn set(&mut self, name: &str, value: &str) -> Result<(), QueryError> {
        if let Some(field) = id_field(name) {
            let patterns = list(value).iter().map(|v| Pattern::parse(v)).collect();
            self.ids.push((field, patterns));
            return Ok(());
        }
        if let Some((prefix, what)) = name.split_once('_') {
            if let Some(done) = self.set_bound(name, prefix, what, value)? {
                return Ok(done);
            }
        }
        let slot = match name {
            "eventType" => &mut self.event_types,
            "EQ_bizStep" => {
                self.biz_steps = Some(words(value, "bizstep", "BizStep"));
                return Ok(());
            }
            "EQ_disposition" => {
                self.dispositions = Some(words(value, "disp", "Disp"));
                return Ok(());
            }
            "EQ_readPoint" | "WD_readPoint" => {
                self.read_points = Some(list(value).iter().map(|v| canonical(v)).collect());
                return Ok(());
            }
            "EQ_bizLocation" | "WD_bizLocation" => {
                self.biz_locations = Some(list(value).iter().map(|v| canonical(v)).collect());
                return Ok(());
            }
            "EQ_transformationID" => &mut self.transformation_ids,
            "EQ_eventID" => &mut self.event_ids,
            "EQ_errorReason" => {
                self.error_reasons = Some(words(value, "er", "ER"));
                return Ok(());
            }
            "EQ_correctiveEventID" => &mut self.corrective_ids,
            "EQ_action" => return self.set_actions(value),
            "EXISTS_errorDeclaration" => {
                self.error_declaration = Some(true);
                return Ok(());
            }
            "orderBy" => return self.set_order(value),
            "orderDirection" => return self.set_direction(value),
            "eventCountLimit" => {
                self.count_limit = Some(number(name, value)?);
                return Ok(());
            }
            "maxEventCount" => {
                self.max_count = Some(number(name, value)?);
                return Ok(());
            }
            _ => return self.set_flexible(name, value),
        };
        *slot = Some(list(value));
        Ok(())
    }

    /// `GE_eventTime`, `LT_recordTime`, `GT_quantity`, `GE_errorDeclarationTime` and the like;
    /// `None` when `name` is not one of them.
    fn set_bound(
        &mut self,
        name: &str,
        prefix: &str,
        what: &str,
        value: &str,
    ) -> Result<Option<()>, QueryError> {
        let times = match what {
            "eventTime" if matches!(prefix, "GE" | "LT") => &mut self.event_time,
            "recordTime" if matches!(prefix, "GE" | "LT") => &mut self.record_time,
            "errorDeclarationTime" if matches!(prefix, "GE" | "LT") => &mut self.error_time,
            "quantity" => {
                let Some(b) = bound(prefix, number(name, value)?) else {
                    return Ok(None);
                };
                self.quantity.push(b);
                return Ok(Some(()));
            }
            _ => return Ok(None),
        };
        times.extend(bound(prefix, time(name, value)?));
        Ok(Some(()))
    }

    fn set_actions(&mut self, value: &str) -> Result<(), QueryError> {
        let parse = |a: &str| match a {
            "ADD" => Ok(Action::Add),
            "OBSERVE" => Ok(Action::Observe),
            "DELETE" => Ok(Action::Delete),
            other => Err(bad(
                "EQ_action",
                format!("{other:?} is not ADD, OBSERVE or DELETE"),
            )),
        };
        self.actions = Some(
            list(value)
                .iter()
                .map(|a| parse(a))
                .collect::<Result<_, _>>()?,
        );
        Ok(())
    }

    fn set_order(&mut self, value: &str) -> Result<(), QueryError> {
        self.order_by = Some(match value {
            "eventTime" => OrderBy::EventTime,
            "recordTime" => OrderBy::RecordTime,
            other => {
                return Err(bad(
                    "orderBy",
                    format!("{other:?}: eventTime or recordTime"),
                ))
            }
        });
        Ok(())
    }

    fn set_direction(&mut self, value: &str) -> Result<(), QueryError> {
        self.ascending = match value {
            "ASC" => true,
            "DESC" => false,
            other => return Err(bad("orderDirection", format!("{other:?}: ASC or DESC"))),
        };
        Ok(())
    }

    /// `EQ_source_{type}`, `EQ_destination_{type}`, `EQ_bizTransaction_{type}`; anything else
    /// is an unknown (or unsupported) parameter.
    fn set_flexible(&mut self, name: &str, value: &str) -> Result<(), QueryError> {
        let ids = list(value);
        if let Some(kind) = name.strip_prefix("EQ_source_") {
            self.parties.push((true, sdt(kind), ids));
        } else if let Some(kind) = name.strip_prefix("EQ_destination_") {
            self.parties.push((false, sdt(kind), ids));
        } else if let Some(kind) = name.strip_prefix("EQ_bizTransaction_") {
            self.transactions.push((btt(kind), ids));
        } else if UNSUPPORTED.contains(&name)
            || [
                "EQ_INNER_",
                "EQ_ILMD_",
                "EXISTS_",
                "HASATTR_",
                "EQATTR_",
                "GE_",
                "LT_",
                "GT_",
                "LE_",
                "EQ_",
            ]
            .iter()
            .any(|p| name.starts_with(p))
        {
            return Err(bad(name, "not supported by this repository"));
        } else {
            return Err(bad(name, "not an EPCIS 2.0 query parameter"));
        }
        Ok(())
    }

    /// The rules between parameters (§8.2.7.1).
    fn check(&self) -> Result<(), QueryError> {
        if self.count_limit.is_some() && self.max_count.is_some() {
            return Err(bad(
                "eventCountLimit",
                "eventCountLimit and maxEventCount are mutually exclusive",
            ));
        }
        if self.count_limit.is_some() && self.order_by.is_none() {
            return Err(bad("eventCountLimit", "eventCountLimit needs orderBy"));
        }
        Ok(())
    }

    /// Whether `event` (a parsed EPCIS event, its JSON `eventID` and `recordTime` as it
    /// stands) meets every condition of the query.
    pub fn matches(&self, event: &Event) -> bool {
        let c = event.common();
        let any = |want: &Option<Vec<String>>, have: Option<&str>| match want {
            None => true,
            Some(w) => have.is_some_and(|h| w.iter().any(|x| x == h)),
        };
        let times = |bounds: &[Bound<OffsetDateTime>], t: Option<&str>| {
            bounds.is_empty()
                || t.and_then(|t| parse_rfc3339_utc(t).ok())
                    .is_some_and(|t| bounds.iter().all(|b| b.holds(&t)))
        };
        let location = |l: &Option<crate::model::Location>| l.as_ref().map(|l| canonical(&l.id));
        any(&self.event_types, Some(event.type_name()))
            && times(&self.event_time, Some(&c.event_time))
            && times(&self.record_time, c.record_time.as_deref())
            && self
                .actions
                .as_ref()
                .is_none_or(|a| event.action().is_some_and(|x| a.contains(&x)))
            && any(&self.biz_steps, event.biz_step().or(c.biz_step.as_deref()))
            && any(
                &self.dispositions,
                event.disposition().or(c.disposition.as_deref()),
            )
            && any(&self.read_points, location(&c.read_point).as_deref())
            && any(&self.biz_locations, location(&c.biz_location).as_deref())
            && any(&self.transformation_ids, transformation_id(event))
            && any(&self.event_ids, c.event_id.as_deref())
            && self.ids.iter().all(|(f, p)| ids_match(event, *f, p))
            && self.quantities_match(event)
            && self.errors_match(event)
            && self.parties_match(event)
    }

    /// Whether the story of the product `code` can hold events this query selects by identifier
    /// (every product when it names none): what a repository that reads product by product
    /// needs to read.
    pub fn may_concern(&self, code: &str) -> bool {
        self.ids.is_empty()
            || (self.ids.iter()).any(|(_, patterns)| patterns.iter().any(|p| p.matches(code)))
    }

    fn quantities_match(&self, event: &Event) -> bool {
        self.quantity.is_empty()
            || quantities(event, Field::AnyEpcClass)
                .iter()
                .filter_map(|q| q.quantity)
                .any(|v| self.quantity.iter().all(|b| b.holds(&v)))
    }

    fn errors_match(&self, event: &Event) -> bool {
        let d = event.common().error_declaration.as_ref();
        let wanted = self.error_declaration.is_some()
            || !self.error_time.is_empty()
            || self.error_reasons.is_some()
            || self.corrective_ids.is_some();
        if !wanted {
            return true;
        }
        let Some(d) = d else {
            return false;
        };
        let at = parse_rfc3339_utc(&d.declaration_time).ok();
        let reason = d
            .reason
            .as_deref()
            .map(|r| cbv_word(r, "er", "ER").unwrap_or(r));
        self.error_time
            .iter()
            .all(|b| at.is_some_and(|t| b.holds(&t)))
            && self
                .error_reasons
                .as_ref()
                .is_none_or(|w| reason.is_some_and(|r| w.iter().any(|x| x == r)))
            && self
                .corrective_ids
                .as_ref()
                .is_none_or(|w| d.corrective_event_ids.iter().any(|id| w.contains(id)))
    }

    fn parties_match(&self, event: &Event) -> bool {
        let (sources, destinations) = (event.sources(), event.destinations());
        self.parties.iter().all(|(source, kind, ids)| {
            let list = if *source { &sources } else { &destinations };
            list.iter().any(|p| {
                sdt(p.kind) == *kind && ids.iter().any(|i| canonical(i) == canonical(p.id))
            })
        }) && self.transactions.iter().all(|(kind, ids)| {
            event.common().biz_transaction_list.iter().any(|t| {
                t.kind.as_deref().map(btt).unwrap_or_default() == *kind
                    && ids.contains(&t.biz_transaction)
            })
        })
    }

    /// The events of `events` the query selects, ordered and limited as it asks: `key` reads
    /// each one's parsed event. Fails with `QueryTooLargeException` past `maxEventCount`.
    pub fn select<T>(
        &self,
        events: Vec<T>,
        key: impl Fn(&T) -> &Event,
    ) -> Result<Vec<T>, QueryError> {
        let mut chosen: Vec<T> = events
            .into_iter()
            .filter(|e| self.matches(key(e)))
            .collect();
        if let Some(max) = self.max_count {
            if chosen.len() > max {
                return Err(QueryError::TooLarge {
                    matched: chosen.len(),
                    max,
                });
            }
        }
        if let Some(by) = self.order_by {
            let at = |e: &T| {
                let c = key(e).common();
                let t = match by {
                    OrderBy::EventTime => Some(c.event_time.as_str()),
                    OrderBy::RecordTime => c.record_time.as_deref(),
                };
                t.and_then(|t| parse_rfc3339_utc(t).ok())
            };
            chosen.sort_by(|a, b| {
                let o = at(a).cmp(&at(b));
                if self.ascending {
                    o
                } else {
                    o.reverse()
                }
            });
        }
        if let Some(n) = self.count_limit {
            chosen.truncate(n);
        }
        Ok(chosen)
    }
}

/// A source or destination type as its bare CBV word.
fn sdt(kind: &str) -> String {
    cbv_word(kind, "sdt", "SDT").unwrap_or(kind).to_owned()
}

/// A business transaction type as its bare CBV word.
fn btt(kind: &str) -> String {
    cbv_word(kind, "btt", "BTT").unwrap_or(kind).to_owned()
}

fn transformation_id(event: &Event) -> Option<&str> {
    match event {
        Event::Transformation(t) => t.transformation_id.as_deref(),
        _ => None,
    }
}

/// The EPCs of `event` an identifier parameter on `field` looks at.
fn epcs(event: &Event, field: Field) -> Vec<&str> {
    fn s(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let (list, parent, input, output): (Vec<&str>, Option<&str>, Vec<&str>, Vec<&str>) = match event
    {
        Event::Object(e) => (s(&e.epc_list), None, vec![], vec![]),
        Event::Aggregation(e) => (s(&e.child_epcs), e.parent_id.as_deref(), vec![], vec![]),
        Event::Association(e) => (s(&e.child_epcs), e.parent_id.as_deref(), vec![], vec![]),
        Event::Transaction(e) => (s(&e.epc_list), e.parent_id.as_deref(), vec![], vec![]),
        Event::Transformation(e) => (vec![], None, s(&e.input_epc_list), s(&e.output_epc_list)),
    };
    match field {
        Field::Epc => list,
        Field::ParentId => parent.into_iter().collect(),
        Field::InputEpc => input,
        Field::OutputEpc => output,
        _ => list
            .into_iter()
            .chain(parent)
            .chain(input)
            .chain(output)
            .collect(),
    }
}

/// The quantity elements of `event` a class parameter on `field` looks at.
fn quantities(event: &Event, field: Field) -> Vec<&QuantityElement> {
    let (list, input, output): (&[QuantityElement], &[QuantityElement], &[QuantityElement]) =
        match event {
            Event::Object(e) => (&e.quantity_list, &[], &[]),
            Event::Aggregation(e) => (&e.child_quantity_list, &[], &[]),
            Event::Association(e) => (&e.child_quantity_list, &[], &[]),
            Event::Transaction(e) => (&e.quantity_list, &[], &[]),
            Event::Transformation(e) => (&[], &e.input_quantity_list, &e.output_quantity_list),
        };
    let chosen: Vec<&[QuantityElement]> = match field {
        Field::EpcClass => vec![list],
        Field::InputEpcClass => vec![input],
        Field::OutputEpcClass => vec![output],
        _ => vec![list, input, output],
    };
    chosen.into_iter().flatten().collect()
}

fn ids_match(event: &Event, field: Field, patterns: &[Pattern]) -> bool {
    let codes: Vec<&str> = match field {
        Field::EpcClass | Field::InputEpcClass | Field::OutputEpcClass | Field::AnyEpcClass => {
            quantities(event, field)
                .iter()
                .map(|q| q.epc_class.as_str())
                .collect()
        }
        _ => epcs(event, field),
    };
    codes.iter().any(|c| patterns.iter().any(|p| p.matches(c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(v: serde_json::Value) -> Event {
        Event::from_value(v).unwrap()
    }

    fn query(q: &str) -> Result<Query, QueryError> {
        Query::parse(
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, ""))),
        )
    }

    fn shipping() -> Event {
        event(json!({
            "type": "ObjectEvent", "action": "OBSERVE",
            "eventTime": "2026-03-02T10:00:00+13:00", "eventTimeZoneOffset": "+13:00",
            "epcList": ["https://id.gs1.org/01/09506000100029/10/B1/21/7?tk=abc"],
            "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
            "disposition": "in_transit",
            "readPoint": {"id": "urn:epc:id:sgln:9506000.00001.0"},
            "bizLocation": {"id": "https://id.gs1.org/414/9506000000015"},
            "sourceList": [{"type": "owning_party", "source": "https://id.gs1.org/417/9506000000008"}],
            "destinationList": [{"type": "urn:epcglobal:cbv:sdt:owning_party", "destination": "urn:epc:id:pgln:9506000.00002"}],
            "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000005:PO-1"}],
        }))
    }

    fn transformation() -> Event {
        event(json!({
            "type": "TransformationEvent",
            "eventTime": "2026-03-01T08:00:00Z", "eventTimeZoneOffset": "+00:00",
            "inputQuantityList": [{"epcClass": "urn:epc:class:lgtin:9506000.010003.M7", "quantity": 500.0, "uom": "KGM"}],
            "outputEPCList": ["urn:epc:id:sgtin:9506000.010002.7"],
            "bizStep": "commissioning",
            "transformationID": "urn:uuid:0f4e",
        }))
    }

    #[test]
    fn identifiers_match_whatever_their_syntax_and_patterns_match_every_instance() {
        let s = shipping();
        for q in [
            "MATCH_epc=urn:epc:id:sgtin:9506000.010002.7",
            "MATCH_epc=https://example.com/01/09506000100029/21/7",
            "MATCH_epc=urn:epc:idpat:sgtin:9506000.010002.*",
            "MATCH_anyEPC=urn:epc:id:sgtin:9506000.010002.8|urn:epc:id:sgtin:9506000.010002.7",
        ] {
            assert!(query(q).unwrap().matches(&s), "{q}");
        }
        for q in [
            "MATCH_epc=urn:epc:id:sgtin:9506000.010002.8",
            "MATCH_epc=urn:epc:idpat:sgtin:9506000.010003.*",
            "MATCH_parentID=urn:epc:id:sgtin:9506000.010002.7",
            "MATCH_epcClass=urn:epc:idpat:sgtin:9506000.010002.*",
        ] {
            assert!(!query(q).unwrap().matches(&s), "{q}");
        }
        let t = transformation();
        assert!(
            query("MATCH_inputEPCClass=https://id.gs1.org/01/09506000100036/10/M7")
                .unwrap()
                .matches(&t)
        );
        assert!(
            query("MATCH_anyEPCClass=urn:epc:idpat:sgtin:9506000.010003.*")
                .unwrap()
                .matches(&t)
        );
        assert!(
            !query("MATCH_outputEPCClass=urn:epc:idpat:sgtin:9506000.010003.*")
                .unwrap()
                .matches(&t)
        );
        assert!(
            query("MATCH_outputEPC=https://id.gs1.org/01/09506000100029/21/7")
                .unwrap()
                .matches(&t)
        );
        assert!(
            !query("MATCH_epc=https://id.gs1.org/01/09506000100029/21/7")
                .unwrap()
                .matches(&t)
        );
    }

    #[test]
    fn vocabulary_places_times_and_parties_compare_as_the_standard_says() {
        let s = shipping();
        for q in [
            "EQ_bizStep=shipping",
            "EQ_bizStep=receiving|urn:epcglobal:cbv:bizstep:shipping",
            "EQ_disposition=https://ref.gs1.org/cbv/Disp-in_transit",
            "EQ_readPoint=https://id.gs1.org/414/9506000000015",
            "WD_bizLocation=urn:epc:id:sgln:9506000.00001.0",
            "GE_eventTime=2026-03-01T21:00:00Z&LT_eventTime=2026-03-01T21:00:01Z",
            "EQ_action=OBSERVE|DELETE&eventType=ObjectEvent",
            "EQ_source_owning_party=urn:epc:id:pgln:9506000.00000",
            "EQ_destination_owning_party=https://id.gs1.org/417/9506000000022",
            "EQ_bizTransaction_po=urn:epcglobal:cbv:bt:9506000000005:PO-1",
        ] {
            assert!(query(q).unwrap().matches(&s), "{q}");
        }
        for q in [
            "EQ_bizStep=receiving",
            "GE_eventTime=2026-03-01T21:00:01Z",
            "LT_eventTime=2026-03-01T21:00:00Z",
            "EQ_action=ADD",
            "eventType=TransformationEvent",
            "EQ_source_owning_party=urn:epc:id:pgln:9506000.00002",
            "EQ_bizTransaction_desadv=urn:epcglobal:cbv:bt:9506000000005:PO-1",
            "GE_recordTime=2020-01-01T00:00:00Z",
            "EXISTS_errorDeclaration",
            "EQ_transformationID=urn:uuid:0f4e",
        ] {
            assert!(!query(q).unwrap().matches(&s), "{q}");
        }
        let t = transformation();
        assert!(query("EQ_transformationID=urn:uuid:0f4e&GE_quantity=500")
            .unwrap()
            .matches(&t));
        assert!(!query("GT_quantity=500").unwrap().matches(&t));
    }

    #[test]
    fn order_limits_and_bad_parameters() {
        let all = vec![shipping(), transformation()];
        let q = query("orderBy=eventTime&orderDirection=ASC&eventCountLimit=1").unwrap();
        let first = q.select(all.clone(), |e| e).unwrap();
        assert_eq!(first, vec![transformation()]);
        let q = query("orderBy=eventTime").unwrap();
        assert_eq!(
            q.select(all.clone(), |e| e).unwrap()[0],
            shipping(),
            "DESC by default"
        );
        assert_eq!(
            query("maxEventCount=1").unwrap().select(all.clone(), |e| e),
            Err(QueryError::TooLarge { matched: 2, max: 1 })
        );
        for (q, name) in [
            ("eventCountLimit=1", "eventCountLimit"),
            (
                "orderBy=eventTime&eventCountLimit=1&maxEventCount=3",
                "eventCountLimit",
            ),
            ("EQ_bizStep=shipping&EQ_bizStep=receiving", "EQ_bizStep"),
            ("GE_eventTime=yesterday", "GE_eventTime"),
            ("EQ_action=MOVE", "EQ_action"),
            ("orderDirection=UP", "orderDirection"),
            ("EQ_INNER_ILMD_x=1", "EQ_INNER_ILMD_x"),
            ("EQ_stringValue=a", "EQ_stringValue"),
            ("colour=red", "colour"),
        ] {
            match query(q) {
                Err(QueryError::Parameter { name: n, .. }) => assert_eq!(n, name, "{q}"),
                other => panic!("{q}: {other:?}"),
            }
        }
    }
}
