//! A seafood lot from the boat to the shop, as EPCIS events, read as the rule's records.

use serde_json::{json, Value};
use tally_fsma::{csv, records, xlsx, Cte, Filter, Logged, Places, Row};

const CATCH: &str = "https://id.gs1.org/01/09506000200019/10/CATCH-7";
const FILLET: &str = "https://id.gs1.org/01/09506000200026/10/F-7A";
const PALLET: &str = "https://id.gs1.org/00/095060000000000015";

fn at(party: &str) -> Value {
    json!({"id": format!("https://id.gs1.org/414/{party}")})
}

fn party(list: &str, field: &str, gln: &str) -> Value {
    json!([{"type": "possessing_party", field: format!("https://id.gs1.org/417/{gln}")}])
        .as_array()
        .map(|a| json!({ list: a }))
        .unwrap()
}

fn object(time: &str, step: &str, place: &str, extra: Value) -> Value {
    let mut e = json!({"type": "ObjectEvent", "eventTime": time, "eventTimeZoneOffset": "+13:00",
        "action": "OBSERVE", "bizStep": step, "readPoint": at(place), "bizLocation": at(place)});
    for (k, v) in extra.as_object().unwrap() {
        e[k] = v.clone();
    }
    e
}

fn merged(a: Value, b: Value) -> Value {
    let mut a = a;
    for (k, v) in b.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

fn fillets() -> Vec<String> {
    (1..=3).map(|i| format!("{FILLET}/21/P{i}")).collect()
}

/// The lot's story, in no particular order (the records sort by time).
fn story() -> Vec<Value> {
    let catch = json!([{"epcClass": CATCH, "quantity": 850.0, "uom": "KGM"}]);
    vec![
        object(
            "2026-11-29T02:00:00+13:00",
            "receiving",
            "9506000000626",
            merged(
                json!({"quantityList": catch}),
                party("sourceList", "source", "9506000000114"),
            ),
        ),
        object(
            "2026-11-28T04:00:00+13:00",
            "commissioning",
            "9506000000619",
            json!({
            "action": "ADD", "quantityList": catch,
            "ilmd": {"cbvmda:speciesForFisheryStatisticsPurposesName": "Hoki",
                "cbvmda:vesselCatchInformationList": {"cbvmda:vesselCatchInformation": [
                    {"cbvmda:vesselName": "Southern Star", "cbvmda:catchArea": "81"}]},
                "cbvmda:harvestStartDate": "2026-11-27T22:00:00+13:00"}}),
        ),
        object(
            "2026-11-29T00:00:00+13:00",
            "shipping",
            "9506000000619",
            merged(
                json!({"quantityList": catch}),
                party("destinationList", "destination", "9506000000121"),
            ),
        ),
        json!({"type": "TransformationEvent", "eventTime": "2026-11-29T13:00:00+13:00",
            "eventTimeZoneOffset": "+13:00", "inputQuantityList": catch, "outputEPCList": fillets(),
            "bizStep": "creating_class_instance", "readPoint": at("9506000000633"),
            "bizLocation": at("9506000000633"),
            "ilmd": {"cbvmda:speciesForFisheryStatisticsPurposesName": "Hoki fillets"}}),
        json!({"type": "AggregationEvent", "eventTime": "2026-11-29T14:00:00+13:00",
            "eventTimeZoneOffset": "+13:00", "action": "ADD", "parentID": PALLET,
            "childEPCs": fillets(), "bizStep": "packing", "readPoint": at("9506000000633")}),
        object(
            "2026-11-29T16:00:00+13:00",
            "shipping",
            "9506000000633",
            merged(
                json!({
            "epcList": [PALLET],
            "bizTransactionList": [
                {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000145:PO-88"},
                {"type": "bol", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000145:BOL-9, rev 2"}]}),
                party("destinationList", "destination", "9506000000145"),
            ),
        ),
        object(
            "2026-12-01T09:00:00+13:00",
            "receiving",
            "9506000000640",
            merged(
                json!({"epcList": [PALLET]}),
                party("sourceList", "source", "9506000000138"),
            ),
        ),
        // Not a CTE: an observation in storage.
        object(
            "2026-12-02T09:00:00+13:00",
            "storing",
            "9506000000640",
            json!({"epcList": [PALLET]}),
        ),
    ]
}

fn places() -> Places {
    [
        ("9506000000114", "FV Southern Star (NZ)"),
        ("9506000000619", "FV Southern Star (NZ)"),
        ("9506000000121", "Nelson Fish Landing (NZ)"),
        ("9506000000626", "Nelson Fish Landing (NZ)"),
        ("9506000000633", "Tasman Seafood (NZ)"),
        ("9506000000138", "Tasman Seafood (NZ)"),
        ("9506000000145", "Polar Cold Store (NZ)"),
    ]
    .into_iter()
    .map(|(g, n)| (g.to_owned(), n.to_owned()))
    .collect()
}

fn rows(filter: &Filter) -> Vec<Row> {
    let texts: Vec<String> = story().iter().map(Value::to_string).collect();
    let logs = vec!["bk1".to_owned(), "bk2".to_owned()];
    let ids: Vec<String> = (0..texts.len())
        .map(|i| format!("ni:///sha-256;{i:064x}"))
        .collect();
    let logged: Vec<Logged> = texts
        .iter()
        .zip(&ids)
        .map(|(event, hash_id)| Logged {
            event,
            hash_id,
            logs: &logs,
            proof: "https://bk1.example/proof",
        })
        .collect();
    records(&logged, &places(), filter)
}

#[test]
fn every_cte_of_the_lot_with_its_key_data_elements() {
    let all = rows(&Filter::default());
    let ctes: Vec<Cte> = all.iter().map(|r| r.cte).collect();
    use Cte::*;
    assert_eq!(
        ctes,
        [
            Harvesting,
            Shipping,
            FirstLandBasedReceiving,
            Transformation,
            Shipping,
            Receiving
        ]
    );

    let landed = &all[2];
    assert_eq!(landed.tlc, "(01)09506000200019(10)CATCH-7");
    assert_eq!((landed.quantity, landed.uom.as_str()), (850.0, "KGM"));
    assert_eq!(
        landed.date, "2026-11-29",
        "the date where it happened, not UTC's"
    );
    assert_eq!(
        landed.previous_source,
        "FV Southern Star (NZ), GLN 9506000000114"
    );
    assert_eq!(
        landed.location,
        "Nelson Fish Landing (NZ), GLN 9506000000626"
    );
    assert_eq!(
        landed.tlc_source,
        "FV Southern Star (NZ), GLN 9506000000619"
    );
    assert!(
        landed.harvest.contains("vesselName: Southern Star")
            && landed.harvest.contains("catchArea: 81")
    );
    assert_eq!(landed.product, "Hoki (GTIN 09506000200019)");

    let made = &all[3];
    assert_eq!(made.tlc, "(01)09506000200026(10)F-7A");
    assert_eq!((made.quantity, made.uom.as_str()), (3.0, "EA"));
    assert_eq!(made.inputs, "(01)09506000200019(10)CATCH-7 850 KGM");
    assert_eq!(made.product, "Hoki fillets (GTIN 09506000200026)");

    // The pallet is shipped: its record names the lot packed in it, and the documents.
    let shipped = &all[4];
    assert_eq!(shipped.tlc, made.tlc);
    assert_eq!(shipped.quantity, 3.0);
    assert_eq!(
        shipped.subsequent_recipient,
        "Polar Cold Store (NZ), GLN 9506000000145"
    );
    assert_eq!(shipped.document_type, "Purchase order; Bill of lading");
    assert_eq!(shipped.document_number, "PO-88; BOL-9, rev 2");
    assert_eq!(shipped.tlc_source, "Tasman Seafood (NZ), GLN 9506000000633");
    assert_eq!(shipped.proof, "https://bk1.example/proof");
    assert_eq!(shipped.logs, "bk1, bk2");
    // A second receiving of the lot on land is an ordinary receiving.
    assert_eq!(
        all[5].previous_source,
        "Tasman Seafood (NZ), GLN 9506000000138"
    );
}

#[test]
fn a_request_for_a_lot_product_or_dates_gets_only_those_records() {
    let catch = rows(&Filter {
        lot: Some("CATCH-7".into()),
        ..Filter::default()
    });
    // The lot's own records, and the transformation that used it up.
    assert_eq!(catch.len(), 4);
    assert!(catch[..3].iter().all(|r| r.tlc.ends_with("(10)CATCH-7")));
    assert_eq!(catch[3].cte, Cte::Transformation);
    let fillets = rows(&Filter {
        gtin: Some("09506000200026".into()),
        ..Filter::default()
    });
    assert_eq!(fillets.len(), 3);
    let date = |s: &str| {
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).unwrap()
    };
    let dec = rows(&Filter {
        from: Some(date("2026-12-01")),
        ..Filter::default()
    });
    assert_eq!(
        dec.iter().map(|r| r.cte).collect::<Vec<_>>(),
        [Cte::Receiving]
    );
    let none = rows(&Filter {
        to: Some(date("2026-11-27")),
        ..Filter::default()
    });
    assert!(none.is_empty());
}

#[test]
fn the_spreadsheet_files_carry_every_row() {
    let all = rows(&Filter::default());
    let text = csv(&all);
    assert_eq!(text.matches("\r\n").count(), all.len() + 1);
    assert!(text.starts_with("Critical Tracking Event,Event Date,"));
    assert!(
        text.contains(",\"PO-88; BOL-9, rev 2\","),
        "a comma is quoted"
    );
    let book = xlsx(&all).unwrap();
    assert_eq!(&book[..2], b"PK", "an XLSX file is a zip archive");
}

#[test]
fn what_is_not_an_event_is_skipped() {
    let logs = vec![];
    let junk = [r#"{"type": "ObjectEvent"}"#, "not json", "[]"];
    let logged: Vec<Logged> = junk
        .iter()
        .map(|event| Logged {
            event,
            hash_id: "",
            logs: &logs,
            proof: "",
        })
        .collect();
    assert!(records(&logged, &Places::new(), &Filter::default()).is_empty());
}
