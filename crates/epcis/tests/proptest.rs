//! Parsing, validation and hashing never panic, whatever the input.

use proptest::prelude::*;
use serde_json::{json, Value};
use tally_epcis::{event_hash_id, prehash_string, validate_event, JsonLdContext, RawEvent};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z:./0-9%_-]{0,24}".prop_map(Value::String),
        prop::sample::select(vec![
            "urn:epc:id:sgtin:0614141.112345.400",
            "urn:epc:id:sgln:4012345.00011.0",
            "2020-03-04T11:00:30.9995+01:00",
            "shipping",
            "https://example.com/01/9780345418913/10/x/21/y",
            "1e400",
            "nan",
            "ex:foo",
            "urn:epc:idpat:itip:4012345.011111.01.02.*",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "type",
            "eventTime",
            "epcList",
            "bizTransactionList",
            "sourceList",
            "quantityList",
            "childEPCs",
            "readPoint",
            "id",
            "ex:ext",
            "sensorElementList",
            "sensorReport",
            "value",
            "bizStep",
            "bizTransaction",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn structured_input_never_panics(v in arb_json()) {
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        let ctx = JsonLdContext::default().with_prefix("ex", "https://ns.example.com/");
        let _ = prehash_string(&bytes, &ctx);
        let _ = event_hash_id(&bytes, &ctx);
        let _ = RawEvent::parse(&bytes);
        let _ = validate_event(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let ctx = JsonLdContext::default();
        let _ = prehash_string(&bytes, &ctx);
        let _ = RawEvent::parse(&bytes);
        let _ = tally_epcis::Document::parse(&bytes);
        let _ = tally_epcis::validate_document(&bytes);
    }
}
