//! CBV 2.0 §8.9 Event Hash ID.
//!
//! The pre-hash string is built the way the reference implementation
//! (`epcis-event-hash-generator` 1.9.3, which produced the published test
//! vectors) builds it, because an Event Hash ID is only useful if every party
//! computes the same one — and the vectors, not the prose table of the
//! standard, are what other implementations agree on. In outline:
//!
//! 1. bare CBV words are expanded to their web-vocabulary IRIs (as JSON-LD
//!    expansion with the EPCIS context would) and prefixed values/keys are
//!    expanded with the document's `@context`;
//! 2. the event becomes a tree of `(name, text, children)` nodes shaped like
//!    the EPCIS XML binding (`epcList` → `epc` children, `quantityElement`, …);
//! 3. the standard fields are emitted in a fixed order as `name=value`, with
//!    times in UTC at millisecond precision, numbers in shortest form, CBV
//!    URNs as web vocabulary and GS1 identifiers as canonical Digital Links;
//!    repeated values are sorted;
//! 4. everything else (extensions, `ilmd`, source/destination and business
//!    transaction lists) follows as `{namespace}localName=value`, sorted.
//!
//! `recordTime`, `eventID` and `errorDeclaration` never take part.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use crate::context::JsonLdContext;
use crate::epc::canonical_gs1_uri;
use crate::error::{HashError, ParseError};
use crate::raw::MAX_EVENT_BYTES;
use crate::vocab;

/// The Event Hash ID of one event: `ni:///sha-256;{hex}?ver=CBV2.0`.
///
/// `raw_event` is the JSON text of the event; `context` is the `@context` of
/// the document it came in (an `@context` inside the event is merged on top).
pub fn event_hash_id(raw_event: &[u8], context: &JsonLdContext) -> Result<String, HashError> {
    let pre = prehash_string(raw_event, context)?;
    Ok(hash_id_of_prehash(&pre))
}

/// `ni:///sha-256;{hex}?ver=CBV2.0` of a pre-hash string.
pub fn hash_id_of_prehash(prehash: &str) -> String {
    format!(
        "ni:///sha-256;{}?ver=CBV2.0",
        hex::encode(Sha256::digest(prehash.as_bytes()))
    )
}

/// The canonical pre-hash string of one event (exposed for tests and debugging).
pub fn prehash_string(raw_event: &[u8], context: &JsonLdContext) -> Result<String, HashError> {
    if raw_event.len() > MAX_EVENT_BYTES {
        return Err(ParseError::TooLarge {
            what: "event",
            actual: raw_event.len(),
            limit: MAX_EVENT_BYTES,
        }
        .into());
    }
    let mut value: Value = serde_json::from_slice(raw_event).map_err(ParseError::from)?;
    let Some(obj) = value.as_object_mut() else {
        return Err(ParseError::Shape {
            what: "event",
            reason: "not a JSON object".into(),
        }
        .into());
    };
    // An event's own @context (single-event capture) declares prefixes; it is
    // not event content, so it must not change the hash.
    let context = match obj.shift_remove("@context") {
        Some(c) => context.merged_with(&c),
        None => context.clone(),
    };
    let expanded = expanded_vocabulary(&value, &context);
    replace_bare_words(&mut value, &expanded);
    let tree = restructure(to_tree(&value, &context))?;
    let mut children = tree.children;
    let ordered = in_order(&mut children, PROP_ORDER);
    children.retain(|n| !matches!(n, Node::Elem(e) if IGNORED.contains(&e.name.as_str())));
    Ok(format!(
        "eventType={}{ordered}{}",
        tree.name,
        generic(&children)
    ))
}

/// Members that never take part in the hash.
const IGNORED: [&str; 4] = ["recordTime", "eventID", "type", "errorDeclaration"];

// ---------------------------------------------------------------- tree model

/// A node of the XML-shaped event tree. Derived ordering compares name, then
/// text, then children, which is how sibling order is canonicalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Elem {
    name: String,
    text: String,
    children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Elem(Elem),
    /// A source/destination/bizTransaction entry: its first two members, kept
    /// in document order (type before identifier), never sorted apart.
    Pair(Box<Elem>, Box<Elem>),
}

fn elem(name: String, text: String, children: Vec<Node>) -> Elem {
    Elem {
        name,
        text,
        children,
    }
}

/// Members whose entries keep document order instead of being sorted.
const UNSORTED_KEYS: [&str; 3] = ["bizTransaction", "source", "destination"];

/// Python-compatible text of a scalar (the reference stringifies with `str()`).
fn scalar_text(v: &Value, ctx: &JsonLdContext) -> String {
    match v {
        Value::String(s) => expand_value_curie(s, ctx),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => String::new(),
    }
}

fn to_tree(v: &Value, ctx: &JsonLdContext) -> Elem {
    match v {
        Value::Array(items) => {
            let mut children: Vec<Node> =
                items.iter().map(|i| Node::Elem(to_tree(i, ctx))).collect();
            let keep = items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| UNSORTED_KEYS.contains(&s)));
            if !keep {
                children.sort();
            }
            elem(String::new(), String::new(), children)
        }
        Value::Object(map) => {
            let name = map
                .get("type")
                .map(|t| scalar_text(t, ctx))
                .unwrap_or_default();
            let text = map
                .get("#text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let mut children = Vec::new();
            for (k, val) in map {
                if matches!(k.as_str(), "#text" | "rdfs:comment" | "comment")
                    || k.starts_with("@xmlns")
                {
                    continue;
                }
                let child = to_tree(val, ctx);
                let key = expand_key_curie(k, ctx);
                if val.is_array() {
                    for c in child.children {
                        if let Node::Elem(c) = c {
                            children.push(Node::Elem(elem(key.clone(), c.text, c.children)));
                        }
                    }
                } else {
                    children.push(Node::Elem(elem(key, child.text, child.children)));
                }
            }
            if !UNSORTED_KEYS.iter().any(|k| map.contains_key(*k)) {
                children.sort();
            }
            elem(name, text, children)
        }
        _ => elem(String::new(), scalar_text(v, ctx), Vec::new()),
    }
}

/// Reshape the JSON tree like the XML binding: `xList` members become `x`
/// children of one `xList` node, `childEPCs` members `epc` children, quantity
/// entries `quantityElement`, input/output EPCs `epc`.
fn restructure(e: Elem) -> Result<Elem, HashError> {
    let mut rest = Vec::new();
    let mut lists: Vec<(String, Vec<Elem>)> = Vec::new();
    let mut child_epcs = Vec::new();
    for n in e.children {
        let Node::Elem(c) = n else { continue };
        if let Some(stem) = c.name.strip_suffix("List") {
            let item = elem(stem.to_string(), c.text, c.children);
            match lists.iter_mut().find(|(n, _)| *n == c.name) {
                Some((_, v)) => v.push(item),
                None => lists.push((c.name.clone(), vec![item])),
            }
        } else {
            rest.push(c);
        }
    }
    let mut out = Vec::new();
    for c in rest {
        if c.name == "childEPCs" {
            child_epcs.push(Node::Elem(elem("epc".into(), c.text, Vec::new())));
        } else {
            out.push(Node::Elem(restructure(c)?));
        }
    }
    for (name, items) in lists {
        if matches!(
            name.as_str(),
            "sourceList" | "destinationList" | "bizTransactionList"
        ) {
            let mut pairs = Vec::new();
            for item in items {
                let mut it = item.children.into_iter();
                match (it.next(), it.next()) {
                    (Some(Node::Elem(a)), Some(Node::Elem(b))) => {
                        pairs.push(Node::Pair(Box::new(a), Box::new(b)))
                    }
                    _ => {
                        return Err(ParseError::Shape {
                            what: "event",
                            reason: format!("{name} entries need a type and an identifier"),
                        }
                        .into())
                    }
                }
            }
            out.push(Node::Elem(elem(name, String::new(), pairs)));
        } else {
            let children = items
                .into_iter()
                .map(|i| restructure(i).map(Node::Elem))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Node::Elem(elem(name, String::new(), children)));
        }
    }
    if !child_epcs.is_empty() {
        out.push(Node::Elem(elem(
            "childEPCs".into(),
            String::new(),
            child_epcs,
        )));
    }
    let name = match e.name.as_str() {
        "inputEPC" | "outputEPC" => "epc".to_string(),
        "inputQuantity" | "outputQuantity" | "childQuantity" => "quantityElement".to_string(),
        "quantity" if !out.is_empty() => "quantityElement".to_string(),
        _ => e.name,
    };
    Ok(elem(name, e.text, out))
}

// ---------------------------------------------------------------- ordering

/// One entry of the canonical field order; `sub` orders the children.
struct Prop {
    name: &'static str,
    sub: Option<&'static [Prop]>,
}

const fn p(name: &'static str) -> Prop {
    Prop { name, sub: None }
}

const fn ps(name: &'static str, sub: &'static [Prop]) -> Prop {
    Prop {
        name,
        sub: Some(sub),
    }
}

const EPC: &[Prop] = &[p("epc")];
const QUANTITY: &[Prop] = &[ps(
    "quantityElement",
    &[p("epcClass"), p("quantity"), p("uom")],
)];
/// Entries of these lists are emitted with the unordered remainder.
const ENTRIES: &[Prop] = &[];

/// The field order of the test vectors (not the CBV prose table).
const PROP_ORDER: &[Prop] = &[
    p("eventTime"),
    p("eventTimeZoneOffset"),
    p("certificationInfo"),
    p("parentID"),
    ps("epcList", EPC),
    ps("inputEPCList", EPC),
    ps("childEPCs", EPC),
    ps("quantityList", QUANTITY),
    ps("childQuantityList", QUANTITY),
    ps("inputQuantityList", QUANTITY),
    ps("outputEPCList", EPC),
    ps("outputQuantityList", QUANTITY),
    p("action"),
    p("transformationID"),
    p("bizStep"),
    p("disposition"),
    ps("persistentDisposition", &[p("set"), p("unset")]),
    ps("readPoint", &[p("id")]),
    ps("bizLocation", &[p("id")]),
    ps("bizTransactionList", ENTRIES),
    ps("sourceList", ENTRIES),
    ps("destinationList", ENTRIES),
    ps(
        "sensorElementList",
        &[ps(
            "sensorElement",
            &[
                ps(
                    "sensorMetadata",
                    &[
                        p("time"),
                        p("startTime"),
                        p("endTime"),
                        p("deviceID"),
                        p("deviceMetadata"),
                        p("rawData"),
                        p("dataProcessingMethod"),
                        p("bizRules"),
                    ],
                ),
                ps(
                    "sensorReport",
                    &[
                        p("type"),
                        p("exception"),
                        p("deviceID"),
                        p("deviceMetadata"),
                        p("rawData"),
                        p("dataProcessingMethod"),
                        p("time"),
                        p("microorganism"),
                        p("chemicalSubstance"),
                        p("value"),
                        p("component"),
                        p("stringValue"),
                        p("booleanValue"),
                        p("hexBinaryValue"),
                        p("uriValue"),
                        p("minValue"),
                        p("maxValue"),
                        p("meanValue"),
                        p("sDev"),
                        p("percRank"),
                        p("percValue"),
                        p("uom"),
                        p("coordinateReferenceSystem"),
                    ],
                ),
            ],
        )],
    ),
];

/// Emit the children named in `order`, consuming fully emitted nodes; nested
/// extensions (`{ns}name` members of e.g. `readPoint`) follow their parent's
/// ordered members.
fn in_order(list: &mut Vec<Node>, order: &[Prop]) -> String {
    let extensions = take_nested_extensions(list);
    let mut out = String::new();
    for prop in order {
        let mut values = Vec::new();
        for n in list.iter_mut() {
            if let Node::Elem(e) = n {
                if e.name == prop.name {
                    let s = emit_ordered(e, prop.sub);
                    if !s.is_empty() {
                        values.push(s);
                    }
                }
            }
        }
        if values.is_empty()
            && !list
                .iter()
                .any(|n| matches!(n, Node::Elem(e) if e.name == prop.name))
        {
            continue;
        }
        list.retain(
            |n| !matches!(n, Node::Elem(e) if e.name == prop.name && e.children.is_empty()),
        );
        values.sort();
        out.extend(values);
    }
    if !extensions.is_empty() {
        out.push_str(&generic(&extensions));
    }
    out
}

/// Extension members inside a standard member (not at event level, which is
/// recognised by its `eventTime`/`action`).
fn take_nested_extensions(list: &mut Vec<Node>) -> Vec<Node> {
    if list.len() <= 1 {
        return Vec::new();
    }
    let top_level = list.iter().any(|n| match n {
        Node::Elem(e) => e.name.contains("eventTime") || e.name.contains("action"),
        Node::Pair(a, _) => ["eventTime", "action"]
            .iter()
            .any(|k| a.name == *k || a.text == *k),
    });
    if top_level {
        return Vec::new();
    }
    let is_ext =
        |n: &Node| matches!(n, Node::Elem(e) if e.name.contains('{') && e.name.contains("/}"));
    let (ext, keep): (Vec<Node>, Vec<Node>) = std::mem::take(list).into_iter().partition(is_ext);
    *list = keep;
    ext
}

fn emit_ordered(e: &mut Elem, sub: Option<&[Prop]>) -> String {
    let grand = match sub {
        Some(order) => in_order(&mut e.children, order),
        None => String::new(),
    };
    let mut text = String::new();
    if !e.text.is_empty() {
        let t = e.text.trim();
        let lname = e.name.to_lowercase();
        let v = if lname.contains("time") && !lname.contains("offset") {
            normalise_time(t)
        } else {
            canonical_value(t)
        };
        if !v.is_empty() {
            text = format!("={v}");
        }
    }
    if text.is_empty() && grand.is_empty() {
        return String::new();
    }
    format!("{}{text}{grand}", e.name)
}

/// Everything not in the fixed order, as `name=value` recursively, sorted
/// (except inside source/destination/bizTransaction entries).
fn generic(list: &[Node]) -> String {
    let mut values: Vec<String> = list
        .iter()
        .map(|n| match n {
            // As `generic` of the two as elements, without cloning them.
            Node::Pair(a, b) => {
                let (a_text, b_text) = (generic_elem(a), generic_elem(b));
                let keep_order = [a, b]
                    .iter()
                    .any(|e| UNSORTED_KEYS.contains(&e.name.as_str()));
                if !keep_order && b_text < a_text {
                    b_text + &a_text
                } else {
                    a_text + &b_text
                }
            }
            Node::Elem(e) => generic_elem(e),
        })
        .collect();
    let keep_order = list
        .iter()
        .any(|n| matches!(n, Node::Elem(e) if UNSORTED_KEYS.contains(&e.name.as_str())));
    if list.len() > 1 && !keep_order {
        values.sort();
    }
    values.concat()
}

/// One element of [`generic`]: `name=value` then its children.
fn generic_elem(e: &Elem) -> String {
    let mut out = e.name.clone();
    let t = e.text.trim();
    if !t.is_empty() {
        out.push('=');
        out.push_str(&canonical_value(t));
    }
    out.push_str(&generic(&e.children));
    out
}

// ---------------------------------------------------------------- vocabulary

/// The vocabulary IRIs JSON-LD expansion yields for this event (only CBV and
/// GS1 web vocabulary is of interest).
fn expanded_vocabulary(event: &Value, ctx: &JsonLdContext) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect_vocab(event, None, ctx, &mut out);
    out.retain(|s| {
        s.starts_with("https://ref.gs1.org/cbv") || s.starts_with("https://gs1.org/voc")
    });
    out
}

/// A vocabulary-typed member: its term table and the IRI base of its terms.
type Vocab = (&'static [&'static str], &'static str);

const CBV: &str = "https://ref.gs1.org/cbv/";
const GS1: &str = "https://gs1.org/voc/";

fn vocab_of(parent: Option<&str>, key: &str) -> Option<Vocab> {
    Some(match (parent, key) {
        (None, "bizStep") => (vocab::BIZ_STEPS, "https://ref.gs1.org/cbv/BizStep-"),
        (None, "disposition") | (Some("persistentDisposition"), "set" | "unset") => {
            (vocab::DISPOSITIONS, "https://ref.gs1.org/cbv/Disp-")
        }
        (Some("bizTransactionList"), "type") => {
            (vocab::BIZ_TRANSACTION_TYPES, "https://ref.gs1.org/cbv/BTT-")
        }
        (Some("sourceList" | "destinationList"), "type") => {
            (vocab::SOURCE_DEST_TYPES, "https://ref.gs1.org/cbv/SDT-")
        }
        (Some("sensorReport"), "type") => (vocab::MEASUREMENT_TYPES, GS1),
        (Some("sensorReport"), "exception") => (vocab::SENSOR_EXCEPTIONS, GS1),
        (Some("sensorReport"), "component") => (vocab::COMPONENTS, "https://ref.gs1.org/cbv/Comp-"),
        (Some("errorDeclaration"), "reason") => {
            (vocab::ERROR_REASONS, "https://ref.gs1.org/cbv/ER-")
        }
        _ => return None,
    })
}

/// JSON-LD prefix resolution for vocabulary values: the EPCIS context's own
/// prefixes, overridable by the document context.
fn jsonld_prefix<'a>(prefix: &str, ctx: &'a JsonLdContext) -> Option<&'a str> {
    ctx.namespace(prefix).or(match prefix {
        "cbv" => Some(CBV),
        "gs1" => Some(GS1),
        "epcis" => Some("https://ref.gs1.org/epcis/"),
        "cbvmda" => Some("urn:epcglobal:cbv:mda:"),
        _ => None,
    })
}

fn collect_vocab(v: &Value, parent: Option<&str>, ctx: &JsonLdContext, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                if let Some((terms, base)) = vocab_of(parent, k) {
                    let items: Vec<&Value> = match val {
                        Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    for s in items.into_iter().filter_map(Value::as_str) {
                        if terms.binary_search(&s).is_ok() {
                            out.insert(format!("{base}{s}"));
                        } else if let Some((pre, local)) = s.split_once(':') {
                            match jsonld_prefix(pre, ctx) {
                                Some(ns) => out.insert(format!("{ns}{local}")),
                                None => out.insert(s.to_string()),
                            };
                        }
                    }
                } else {
                    collect_vocab(val, Some(k.as_str()), ctx, out);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| collect_vocab(i, parent, ctx, out)),
        Value::String(s) => {
            out.insert(s.clone());
        }
        _ => {}
    }
}

/// Replace each string that is the unambiguous tail (`-word` / `/word`) of an
/// expanded vocabulary IRI by that IRI: this is how bare words such as
/// `"shipping"` become `https://ref.gs1.org/cbv/BizStep-shipping`.
fn replace_bare_words(v: &mut Value, expanded: &BTreeSet<String>) {
    match v {
        Value::String(s) => {
            // `x` ends with `-{s}` or `/{s}` (tested without building either string: every
            // string of every event passes here).
            let tail = |x: &&String| {
                x.len() > s.len()
                    && x.ends_with(s.as_str())
                    && matches!(x.as_bytes()[x.len() - s.len() - 1], b'-' | b'/')
            };
            let mut hits = expanded.iter().filter(tail);
            if let (Some(hit), None) = (hits.next(), hits.next()) {
                *s = hit.clone();
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| replace_bare_words(i, expanded)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|i| replace_bare_words(i, expanded)),
        _ => {}
    }
}

/// `prefix:local` key → `{namespace}local` when the prefix is declared.
fn expand_key_curie(k: &str, ctx: &JsonLdContext) -> String {
    match k.split_once(':') {
        Some((pre, local)) => match ctx.namespace(pre) {
            Some(ns) => format!("{{{ns}}}{local}"),
            None => k.to_string(),
        },
        None => k.to_string(),
    }
}

/// `prefix:local` value → `namespacelocal` when the prefix is declared.
fn expand_value_curie(s: &str, ctx: &JsonLdContext) -> String {
    match s.split_once(':') {
        Some((pre, local)) => match ctx.namespace(pre) {
            Some(ns) => format!("{ns}{local}"),
            None => s.to_string(),
        },
        None => s.to_string(),
    }
}

// ---------------------------------------------------------------- values

/// Canonical form of a value: CBV URN → web vocabulary, numbers in shortest
/// form, GS1 identifiers as canonical Digital Links.
fn canonical_value(text: &str) -> String {
    // Every value of every event passes here: skip the five rewrites when none can apply.
    if !text.contains("urn:epcglobal:cbv:") {
        let t = canonical_number(text).unwrap_or_else(|| text.to_owned());
        return canonical_gs1_uri(&t).unwrap_or(t);
    }
    let t = text
        .replace(
            "urn:epcglobal:cbv:bizstep:",
            "https://ref.gs1.org/cbv/BizStep-",
        )
        .replace("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-")
        .replace("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-")
        .replace("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-")
        .replace("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-");
    let t = canonical_number(&t).unwrap_or(t);
    canonical_gs1_uri(&t).unwrap_or(t)
}

/// Numbers as Python's `str(float(x))`, integral values without `.0` —
/// the reference's notion of "no trailing zeros". `None` if not numeric
/// (and for NaN/infinity, which have no canonical spelling).
fn canonical_number(text: &str) -> Option<String> {
    let f = parse_float(text)?;
    if !f.is_finite() {
        return None;
    }
    if f.fract() == 0.0 {
        return Some(exact_integer(f));
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    if (-4..16).contains(&exp) {
        Some(format!("{f}"))
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        Some(format!("{mantissa}e{sign}{:02}", exp.unsigned_abs()))
    }
}

/// Python `float()` syntax: decimal/exponent/inf/nan, `_` allowed between digits.
fn parse_float(text: &str) -> Option<f64> {
    if text.contains('_') {
        let b = text.as_bytes();
        let ok = b.iter().enumerate().all(|(i, &c)| {
            c != b'_'
                || (i > 0
                    && b[i - 1].is_ascii_digit()
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        });
        if !ok {
            return None;
        }
        return text.replace('_', "").parse().ok();
    }
    text.parse().ok()
}

/// Exact decimal digits of an integral float (Python `str(int(f))`).
fn exact_integer(f: f64) -> String {
    if f.abs() < 9.0e15 {
        // Exactly representable in i64; also maps -0.0 to "0".
        return format!("{}", f as i64);
    }
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    // Base-10^9 little-endian limbs of mantissa * 2^exp (exp > 0 here).
    let mut limbs: Vec<u64> = vec![mantissa % 1_000_000_000, mantissa / 1_000_000_000];
    for _ in 0..exp {
        let mut carry = 0;
        for l in limbs.iter_mut() {
            let v = *l * 2 + carry;
            *l = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut s = if f < 0.0 {
        "-".to_string()
    } else {
        String::new()
    };
    let mut it = limbs.iter().rev();
    if let Some(first) = it.next() {
        s.push_str(&first.to_string());
    }
    for l in it {
        s.push_str(&format!("{l:09}"));
    }
    s
}

/// ISO 8601 date-time → UTC with exactly 3 fractional digits (rounded half
/// to even on the microsecond value, as the reference does). Text that is
/// not a date-time is returned unchanged. A time without offset is taken as
/// UTC (the reference would use the machine's local zone).
fn normalise_time(text: &str) -> String {
    parse_iso_datetime(text).unwrap_or_else(|| text.to_string())
}

fn parse_iso_datetime(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
    {
        return None;
    }
    let (month, day) = (num(5..7)?, num(8..10)?);
    let (hour, minute) = (num(11..13)?, num(14..16)?);
    if b.get(13) != Some(&b':') {
        return None;
    }
    let mut i = 16;
    let mut second = 0;
    if b.get(i) == Some(&b':') {
        second = num(17..19)?;
        i = 19;
    }
    let mut micros = 0u32;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        let start = i + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start {
            return None;
        }
        let frac = &s[start..end.min(start + 6)];
        micros = format!("{frac:0<6}").parse().ok()?;
        i = end;
    }
    let offset_secs: i32 = match &s[i..] {
        "" | "Z" | "z" => 0,
        rest => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &rest[1..];
            let (h, m) = match r.len() {
                2 => (r, "00"),
                4 => (r.get(..2)?, r.get(2..)?),
                5 if r.as_bytes()[2] == b':' => (&r[..2], &r[3..]),
                _ => return None,
            };
            let h: i32 = h
                .parse()
                .ok()
                .filter(|_| h.bytes().all(|c| c.is_ascii_digit()))?;
            let m: i32 = m
                .parse()
                .ok()
                .filter(|_| m.bytes().all(|c| c.is_ascii_digit()))?;
            sign * (h * 3600 + m * 60)
        }
    };
    let date = Date::from_calendar_date(
        year,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let t = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    let offset = UtcOffset::from_whole_seconds(offset_secs).ok()?;
    let (mut ms, rem) = (micros / 1000, micros % 1000);
    if rem > 500 || (rem == 500 && ms % 2 == 1) {
        ms += 1;
    }
    let utc = PrimitiveDateTime::new(date, t)
        .assume_offset(offset)
        .to_offset(UtcOffset::UTC)
        .checked_add(time::Duration::milliseconds(i64::from(ms)))?;
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
        utc.millisecond()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_like_python() {
        let n = |s: &str| canonical_number(s);
        assert_eq!(n("26.0").as_deref(), Some("26"));
        assert_eq!(n("+12.10").as_deref(), Some("12.1"));
        assert_eq!(n("1e22").as_deref(), Some("10000000000000000000000"));
        assert_eq!(n("0.00001").as_deref(), Some("1e-05"));
        assert_eq!(n("1.5e-7").as_deref(), Some("1.5e-07"));
        assert_eq!(n("1_000").as_deref(), Some("1000"));
        assert_eq!(n("-0").as_deref(), Some("0"));
        assert_eq!(n("1e300").map(|s| s.len()), Some(301));
        assert_eq!(n("abc"), None);
        assert_eq!(n("nan"), None);
    }

    #[test]
    fn times() {
        assert_eq!(
            normalise_time("2023-02-02T11:04:03.1415Z"),
            "2023-02-02T11:04:03.142Z"
        );
        assert_eq!(
            normalise_time("2023-02-02T11:04:03.1425Z"),
            "2023-02-02T11:04:03.142Z"
        );
        assert_eq!(
            normalise_time("2020-03-04T11:00:30+01:00"),
            "2020-03-04T10:00:30.000Z"
        );
        assert_eq!(
            normalise_time("2020-12-31T23:59:59.9999-00:30"),
            "2021-01-01T00:30:00.000Z"
        );
        assert_eq!(normalise_time("not a time"), "not a time");
        // Multi-byte text where an offset is expected must not split a char.
        assert_eq!(
            normalise_time("2020-03-04T11:00:30+1é1"),
            "2020-03-04T11:00:30+1é1"
        );
    }
}
