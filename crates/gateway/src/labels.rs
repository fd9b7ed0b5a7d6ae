//! The organisation's label book: the label secret of each lot and pallet it labelled or
//! received. An ERP knows its codes, not the secrets its labels print (the `tk` parameter of a
//! Digital Link), so the gateway remembers every secret a capture's codes carry, puts it back
//! into codes that arrive without one, and, in a network that logs sealed events only, makes
//! a new one for the codes an event creates (commissioning, a pallet packed, a transformation's
//! outputs): the capture job then names the Digital Links to print.
//!
//! Why a book and not a key derivation (say HMAC of the code under one organisation key): a
//! label secret must be random to keep a lot's readers apart from the readers of its
//! neighbours, and the secrets of received goods come from another brand's labels anyway.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};
use tally_client::capture::for_each_code;
use tally_confidential::LabelSecret;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS labels (
    -- The lot (or, for a code without one, the code) in canonical Digital Link form.
    scope TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
-- Every code a capture named, without its label: the products whose stories
-- the query interface reads back from the bookkeepers.
CREATE TABLE IF NOT EXISTS products (
    code TEXT PRIMARY KEY
);
";

/// Which label a code's secret belongs to: every unit of a lot carries the lot's; a pallet, a
/// class without a lot, or a URN-named instance its own. Whatever the host or syntax.
pub fn scope(code: &str) -> String {
    let plain = LabelSecret::remove_from_link(code);
    let bare = plain.split('?').next().unwrap_or(&plain);
    let scope = tally_trust::custody::lot_of(bare).unwrap_or_else(|| bare.to_owned());
    tally_epcis::epc::canonical_gs1_uri(&scope).unwrap_or(scope)
}

/// A code as the product book keeps it: without its label secret, as the canonical Digital
/// Link that keeps its lot (so that the lot's secret can be found for it again).
pub fn product(code: &str) -> String {
    let plain = LabelSecret::remove_from_link(code);
    tally_client::verify::product_key(&plain).unwrap_or(plain)
}

/// The code `code` with the label secret the book holds for it, if any: what opens its story.
pub(crate) fn with_label(db: &Connection, code: &str) -> rusqlite::Result<String> {
    Ok(match secret_of(db, &scope(code))? {
        Some(secret) => secret.add_to_link(code),
        None => code.to_owned(),
    })
}

/// The label secret the book holds for `scope`.
fn secret_of(db: &Connection, scope: &str) -> rusqlite::Result<Option<LabelSecret>> {
    let known: Option<String> = db
        .query_row("SELECT secret FROM labels WHERE scope = ?1", [scope], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(known.and_then(|s| LabelSecret::parse(&s).ok()))
}

/// Every product the book knows, each with its label secret where it has one.
pub(crate) fn products(db: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = db.prepare("SELECT code FROM products ORDER BY code")?;
    let codes = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    codes.iter().map(|c| with_label(db, c)).collect()
}

/// The members of `event` that name codes it brings into being.
fn created(event: &Map<String, Value>) -> &'static [&'static str] {
    let text = |k: &str| event.get(k).and_then(Value::as_str);
    match (text("type"), text("action")) {
        (Some("ObjectEvent"), Some("ADD")) => &["epcList", "quantityList"],
        (Some("AggregationEvent"), Some("ADD")) => &["parentID"],
        (Some("TransformationEvent"), _) => &["outputEPCList", "outputQuantityList"],
        _ => &[],
    }
}

/// Gives every code of `event` its label secret from the book (learning those it carries), and
/// when `mint`, a new one to each code it creates that has none. Returns the Digital Links of
/// the new labels, to print.
pub(crate) fn label_event(
    db: &Connection,
    event: &mut Map<String, Value>,
    mint: bool,
) -> rusqlite::Result<Vec<String>> {
    let created = created(event);
    let mut printed = Vec::new();
    let mut failed = None;
    for_each_code(event, |member, code| {
        if failed.is_none() {
            let new = mint && created.contains(&member);
            match label_code(db, code, new) {
                Ok(Some(link)) => printed.push(link),
                Ok(None) => {}
                Err(e) => failed = Some(e),
            }
        }
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(printed),
    }
}

/// Learns the secret of one code (and the code as a product).
pub(crate) fn learn(db: &Connection, link: &str) -> rusqlite::Result<()> {
    label_code(db, &mut link.to_owned(), false).map(drop)
}

/// One code: its secret learnt, or put back, or (when `new`) made. Returns the link to print
/// for a code the event creates.
fn label_code(db: &Connection, code: &mut String, new: bool) -> rusqlite::Result<Option<String>> {
    let scope = scope(code);
    db.execute(
        "INSERT OR IGNORE INTO products (code) VALUES (?1)",
        [product(code)],
    )?;
    if let Some(secret) = LabelSecret::from_link(code) {
        db.execute(
            "INSERT OR IGNORE INTO labels (scope, secret) VALUES (?1, ?2)",
            params![scope, secret.to_string()],
        )?;
        return Ok(None);
    }
    let secret = match secret_of(db, &scope)? {
        Some(known) => known,
        None if new => {
            let made = LabelSecret::random(&mut rand_core::OsRng);
            db.execute(
                "INSERT INTO labels (scope, secret) VALUES (?1, ?2)",
                params![scope, made.to_string()],
            )?;
            made
        }
        None => return Ok(None),
    };
    // Printed with its lot: a shopper's scan finds a recall of the lot only if the label names it.
    let printable = tally_client::verify::product_key(code)
        .ok()
        .or_else(|| tally_epcis::epc::canonical_gs1_uri(code))
        .unwrap_or_else(|| code.clone());
    *code = secret.add_to_link(code);
    // Every code the event creates gets a label, the lot's secret on each of its units.
    Ok(new.then(|| secret.add_to_link(&printable)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn book() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(SCHEMA).unwrap();
        db
    }

    fn event(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_commissioned_lot_gets_one_secret_that_later_events_reuse() {
        let db = book();
        let mut commission = event(json!({
            "type": "ObjectEvent", "action": "ADD",
            "epcList": [
                "https://id.gs1.org/01/09506000100029/10/B1/21/1",
                "https://id.gs1.org/01/09506000100029/10/B1/21/2",
            ],
        }));
        let printed = label_event(&db, &mut commission, true).unwrap();
        assert_eq!(printed.len(), 2);
        assert!(
            printed[0].starts_with("https://id.gs1.org/01/09506000100029/10/B1/21/1?tk="),
            "a label names its lot: {printed:?}"
        );
        let secret = |c: &str| LabelSecret::from_link(c).unwrap();
        assert_eq!(secret(&printed[0]), secret(&printed[1]));
        let mut ship = event(json!({
            "type": "ObjectEvent", "action": "OBSERVE",
            "epcList": ["urn:epc:id:sgtin:9506000.110002.77", "https://id.gs1.org/01/09506000100029/10/B1/21/2"],
        }));
        assert!(label_event(&db, &mut ship, true).unwrap().is_empty());
        let codes = ship["epcList"].as_array().unwrap();
        // A unit of the lot gets the lot's secret; a code never labelled gets none.
        assert_eq!(codes[0], "urn:epc:id:sgtin:9506000.110002.77");
        assert_eq!(secret(codes[1].as_str().unwrap()), secret(&printed[0]));
    }

    #[test]
    fn a_secret_a_code_carries_is_learnt_and_nothing_is_made_without_mint() {
        let db = book();
        let received = LabelSecret::random(&mut rand_core::OsRng)
            .add_to_link("https://id.gs1.org/00/095060000000000017");
        let mut receive = event(json!({
            "type": "ObjectEvent", "action": "OBSERVE", "epcList": [received.clone()],
        }));
        assert!(label_event(&db, &mut receive, true).unwrap().is_empty());
        let mut unpack = event(json!({
            "type": "AggregationEvent", "action": "DELETE",
            "parentID": "https://example.com/00/095060000000000017",
        }));
        label_event(&db, &mut unpack, true).unwrap();
        assert_eq!(
            LabelSecret::from_link(unpack["parentID"].as_str().unwrap()),
            LabelSecret::from_link(&received)
        );
        let mut commission = event(json!({
            "type": "ObjectEvent", "action": "ADD",
            "epcList": ["https://id.gs1.org/01/09506000100029/21/9"],
        }));
        assert!(label_event(&db, &mut commission, false).unwrap().is_empty());
        assert_eq!(
            commission["epcList"][0],
            "https://id.gs1.org/01/09506000100029/21/9"
        );
    }
}
