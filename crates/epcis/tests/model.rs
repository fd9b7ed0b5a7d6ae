//! Typed model, raw bytes and custody accessors.

use tally_epcis::{Action, Document, Event, RawEvent};

const EPCIS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/gs1/epcis");

#[test]
fn every_example_parses_and_keeps_bytes() {
    let mut n = 0;
    for dir in ["examples", "hash-vectors"] {
        for e in std::fs::read_dir(format!("{EPCIS}/{dir}")).expect("dir") {
            let p = e.expect("entry").path();
            if p.extension().and_then(|x| x.to_str()) != Some("jsonld") {
                continue;
            }
            let bytes = std::fs::read(&p).expect("read");
            let doc = Document::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let text = String::from_utf8(bytes).expect("utf8");
            for ev in &doc.events {
                // The raw bytes are a verbatim slice of the document.
                let raw = std::str::from_utf8(&ev.bytes).expect("utf8");
                assert!(text.contains(raw), "{}", p.display());
                assert_eq!(RawEvent::parse(&ev.bytes).expect("reparse").event, ev.event);
                n += 1;
            }
        }
    }
    assert!(n > 50, "{n}");
}

#[test]
fn milk_powder_accessors() {
    let bytes =
        std::fs::read(format!("{EPCIS}/example-milk-powder-shipping.jsonld")).expect("read");
    let doc = Document::parse(&bytes).expect("parse");
    let ev = &doc.events[0].event;
    assert_eq!(ev.type_name(), "ObjectEvent");
    assert_eq!(ev.action(), Some(Action::Observe));
    assert!(ev.biz_step().is_some());
    assert!(ev
        .identifiers()
        .contains(&"https://id.gs1.org/00/095060001234567893"));
    let t = ev.event_time_utc().expect("time");
    assert_eq!(t.offset(), time::UtcOffset::UTC);
    assert_eq!(t.hour(), 0);
}

#[test]
fn sensor_temperatures_and_parties() {
    let json = br#"{"type":"ObjectEvent","action":"OBSERVE","eventTime":"2024-01-01T10:00:00+01:00",
      "eventTimeZoneOffset":"+01:00","epcList":["urn:epc:id:sscc:4012345.0000000333"],
      "bizStep":"urn:epcglobal:cbv:bizstep:shipping","disposition":"https://ref.gs1.org/cbv/Disp-in_transit",
      "sourceList":[{"type":"possessing_party","source":"https://id.gs1.org/417/4012345000009"}],
      "destinationList":[{"type":"urn:epcglobal:cbv:sdt:owning_party","destination":"https://id.gs1.org/417/0614141000005"}],
      "sensorElementList":[{"sensorMetadata":{"time":"2024-01-01T09:00:00Z"},
        "sensorReport":[{"type":"Temperature","value":35.6,"uom":"FAR","exception":"ALARM_CONDITION"},
                        {"type":"gs1:Temperature","minValue":273.15,"maxValue":275.15,"uom":"KEL"},
                        {"type":"Humidity","value":50}]}],
      "example:foo":{"example:bar":1}}"#;
    let ev = RawEvent::parse(json).expect("parse").event;
    assert_eq!(ev.biz_step(), Some("shipping"));
    assert_eq!(ev.disposition(), Some("in_transit"));
    assert_eq!(
        ev.sources_of_type("possessing_party"),
        vec!["https://id.gs1.org/417/4012345000009"]
    );
    assert_eq!(
        ev.destinations_of_type("owning_party"),
        vec!["https://id.gs1.org/417/0614141000005"]
    );
    let temps = ev.temperatures();
    assert_eq!(temps.len(), 2);
    assert!((temps[0].value.expect("v") - 2.0).abs() < 1e-9);
    assert!(temps[0].alarm && !temps[0].error);
    assert!((temps[1].min.expect("min")).abs() < 1e-9);
    assert_eq!(temps[1].time.as_deref(), Some("2024-01-01T09:00:00Z"));
    assert!(ev.extensions().contains_key("example:foo"));
    assert!(!ev.extensions().contains_key("eventTime"));
    let Event::Object(o) = &ev else {
        panic!("object")
    };
    assert_eq!(o.common.event_time_zone_offset, "+01:00");
}

#[test]
fn errors_not_panics() {
    assert!(RawEvent::parse(b"[]").is_err());
    assert!(RawEvent::parse(br#"{"type":"Nope"}"#).is_err());
    assert!(RawEvent::parse(br#"{"type":"ObjectEvent"}"#).is_err());
    assert!(Document::parse(br#"{"type":"EPCISDocument"}"#).is_err());
    let big = vec![b' '; tally_epcis::MAX_DOCUMENT_BYTES + 1];
    assert!(Document::parse(&big).is_err());
}
