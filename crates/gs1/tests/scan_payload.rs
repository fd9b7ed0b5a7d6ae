//! Scanner payload classification, typed accessors, canonical form and JSON.

use tally_gs1::{parse_scan_payload, DigitalLink, Error, Gs1Fields, Scan, Symbology};

#[test]
fn qr_digital_link_payload() {
    let scan = parse_scan_payload(
        b"]Q1https://example.com/x/01/09506000134352/10/ABC/21/S%2F1?17=201225&3103=000195&linkType=gs1:pip#frag",
    )
    .unwrap();
    assert_eq!(scan.symbology(), Symbology::QrCode);
    assert_eq!(scan.gtin().unwrap().as_str(), "09506000134352");
    assert_eq!(scan.lot(), Some("ABC"));
    assert_eq!(scan.serial(), Some("S/1"));
    let exp = scan.expiry().unwrap();
    assert_eq!((exp.yy, exp.month, exp.day), (20, 12, Some(25)));
    let Scan::DigitalLink { link, .. } = &scan else {
        panic!("not a DL")
    };
    assert_eq!(link.stem(), "https://example.com/x");
    assert_eq!(link.primary().ai(), "01");
    assert_eq!(
        link.canonical_uri(),
        "https://id.gs1.org/01/09506000134352/10/ABC/21/S%2F1?17=201225&3103=000195"
    );
    assert_eq!(
        link.other_params(),
        &[("linkType".to_string(), "gs1:pip".to_string())]
    );
    let json = serde_json::to_value(scan.to_json()).unwrap();
    assert_eq!(json["uri"], link.canonical_uri());
    assert_eq!(
        json["element_string"],
        "(01)09506000134352(10)ABC(21)S/1(17)201225(3103)000195"
    );
    assert_eq!(json["ais"][0]["title"], "GTIN");
    assert_eq!(json["other_params"]["linkType"], "gs1:pip");
}

#[test]
fn canonical_form_is_order_and_host_independent() {
    let a = DigitalLink::parse("https://a.example/01/09506000134352/10/ABC?3103=000195&17=201225")
        .unwrap();
    let b = DigitalLink::parse(
        "HTTP://b.example/stem/01/09506000134352/10/ABC?17=201225&linkType=x&3103=000195",
    )
    .unwrap();
    assert_eq!(a.canonical_uri(), b.canonical_uri());
    assert_eq!(
        DigitalLink::parse(&a.canonical_uri())
            .unwrap()
            .canonical_uri(),
        a.canonical_uri()
    );
}

#[test]
fn element_string_payloads() {
    for payload in [
        &b"]d201095060001343521724122510ABC\x1d21XYZ"[..],
        b"]C101095060001343521724122510ABC\x1d21XYZ",
        b"]Q3\x1d01095060001343521724122510ABC\x1d21XYZ",
        b"]e001095060001343521724122510ABC\x1d21XYZ",
        b"01095060001343521724122510ABC\x1d21XYZ",
        b"(01)09506000134352(17)241225(10)ABC(21)XYZ",
    ] {
        let scan = parse_scan_payload(payload).unwrap_or_else(|e| panic!("{payload:?}: {e}"));
        assert_eq!(scan.gtin().unwrap().as_str(), "09506000134352");
        assert_eq!(scan.lot(), Some("ABC"));
        assert_eq!(scan.serial(), Some("XYZ"));
        assert_eq!(
            scan.to_digital_link().unwrap().canonical_uri(),
            "https://id.gs1.org/01/09506000134352/10/ABC/21/XYZ?17=241225"
        );
    }
    let scan = parse_scan_payload(b"]C100952012345678912345").unwrap();
    assert_eq!(scan.sscc().unwrap().as_str(), "952012345678912345");
    let scan = parse_scan_payload(b"https://id.gs1.org/414/9520123456788/254/32a%2Fb").unwrap();
    assert_eq!(scan.gln().unwrap().as_str(), "9520123456788");
}

#[test]
fn rejections_are_typed() {
    assert_eq!(parse_scan_payload(b""), Err(Error::Empty));
    assert!(matches!(
        parse_scan_payload(&[b'1'; 9000]),
        Err(Error::InputTooLong { .. })
    ));
    assert!(matches!(
        parse_scan_payload(b"]A0hello"),
        Err(Error::UnrecognisedPayload { .. })
    ));
    assert!(matches!(
        parse_scan_payload(b"]Q1not a uri"),
        Err(Error::UnrecognisedPayload { .. })
    ));
    assert!(matches!(
        parse_scan_payload(b"]d20109506000134353"),
        Err(Error::Lint { ref ai, pos: 13, .. }) if ai == "01"
    ));
    // Pairing rules: (21) needs (01), (03) or (8006).
    assert!(matches!(
        parse_scan_payload(b"21ABC"),
        Err(Error::MissingRequiredAi { .. })
    ));
    // (01) excludes (37).
    assert!(matches!(
        parse_scan_payload(b"(01)09506000134352(37)5"),
        Err(Error::MutuallyExclusiveAis { .. })
    ));
    assert!(matches!(
        DigitalLink::parse("https://a/01/09506000134352?10=X"),
        Err(Error::QualifierInQuery { .. })
    ));
    assert!(matches!(
        DigitalLink::parse("https://a/01/09506000134352/21/1/10/2"),
        Err(Error::InvalidKeyQualifierSequence { .. })
    ));
    let msg = DigitalLink::parse("https://a/01/09506000134353")
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("(01)") && msg.contains("GS1_LINTER_INCORRECT_CHECK_DIGIT"),
        "{msg}"
    );
}
