//! Signing and reading GS1 AI (8030) labels: what a signature covers, and what breaks it.

use tally_digsig::{read, sign, signed_data, DigsigError, ENCODED_LEN};
use tally_gs1::DigitalLink;
use tally_tlog::{KeyType, SignerKey};

const CAN: &str = "https://id.gs1.org/01/09506000100029/10/B1/21/C1?17=281231";

fn key(name: &str) -> SignerKey {
    SignerKey::generate(&mut rand_core::OsRng, name, KeyType::Ed25519).unwrap()
}

#[test]
fn a_signed_label_verifies_with_its_key_only() {
    let brand = key("brand");
    let signed = sign(CAN, &brand).unwrap();
    let sig = signed.split("8030=").nth(1).unwrap();
    assert_eq!(sig.len(), ENCODED_LEN);
    let got = read(&signed).unwrap().expect("signed");
    assert!(got.verify(brand.verifier().ed25519()));
    assert!(!got.verify(key("other").verifier().ed25519()));
}

#[test]
fn the_signature_covers_the_element_string_in_a_fixed_order() {
    let link = DigitalLink::parse(CAN).unwrap();
    assert_eq!(
        signed_data(&link),
        "0109506000100029".to_owned() + "10B1\u{1d}21C1\u{1d}17281231"
    );
    // Another host, the attributes in another order, the label secret: the same data.
    let brand = key("brand");
    let signed = sign(
        "https://brand.example/01/09506000100029/10/B1/21/C1?3103=000500&17=281231&tk=abc",
        &brand,
    )
    .unwrap();
    let sig = signed
        .split("8030=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let moved = format!(
        "https://id.gs1.org/01/09506000100029/10/B1/21/C1?8030={sig}&17=281231&3103=000500"
    );
    assert!(read(&moved)
        .unwrap()
        .unwrap()
        .verify(brand.verifier().ed25519()));
    // As a GS1 element string from a GS1 QR Code or DataMatrix.
    let es = format!("]Q3010950600010002910B1\u{1d}21C1\u{1d}172812313103000500\u{1d}8030{sig}");
    assert!(read(&es)
        .unwrap()
        .unwrap()
        .verify(brand.verifier().ed25519()));
}

#[test]
fn one_changed_character_of_the_data_breaks_it() {
    let brand = key("brand");
    let signed = sign(CAN, &brand).unwrap();
    for (from, to) in [
        ("/C1?", "/C2?"),
        ("/B1/", "/B2/"),
        ("17=281231", "17=291231"),
    ] {
        let forged = signed.replace(from, to);
        assert_ne!(forged, signed);
        let got = read(&forged).unwrap().unwrap();
        assert!(!got.verify(brand.verifier().ed25519()), "{forged}");
    }
    // An attribute added after signing is data the brand did not sign.
    let added = signed.replace("?17=", "?11=261101&17=");
    assert!(!read(&added)
        .unwrap()
        .unwrap()
        .verify(brand.verifier().ed25519()));
}

#[test]
fn a_changed_signature_character_breaks_it_or_is_malformed() {
    let brand = key("brand");
    let signed = sign(CAN, &brand).unwrap();
    let at = signed.find("8030=").unwrap() + 5 + 10;
    let mut bytes = signed.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(bytes).unwrap();
    let got = read(&forged).unwrap().unwrap();
    assert!(!got.verify(brand.verifier().ed25519()));
}

#[test]
fn unsigned_labels_read_as_unsigned() {
    assert_eq!(read(CAN).unwrap(), None);
    assert_eq!(read("]Q3010950600010002910B1").unwrap(), None);
}

#[test]
fn malformed_signatures_and_codes_are_refused_with_a_reason() {
    let short = format!("{CAN}&8030=AAAA");
    assert!(matches!(read(&short), Err(DigsigError::Malformed(_))));
    // Padding and characters outside base64url are refused by GS1's own rules for the AI.
    assert!(matches!(
        read(&format!("{CAN}&8030=AB:C")),
        Err(DigsigError::NotGs1(_))
    ));
    assert!(matches!(
        read("https://example.com/login"),
        Err(DigsigError::NotGs1(_))
    ));
    // (8030) needs a serialised key: a lot alone cannot carry it.
    let lot = "https://id.gs1.org/01/09506000100029/10/B1";
    assert!(matches!(
        sign(lot, &key("brand")),
        Err(DigsigError::NotGs1(_))
    ));
    let brand = key("brand");
    let signed = sign(CAN, &brand).unwrap();
    assert_eq!(sign(&signed, &brand), Err(DigsigError::AlreadySigned));
}

#[test]
fn the_signature_goes_after_the_gs1_attributes_and_before_other_parameters() {
    let brand = key("brand");
    let signed = sign(&format!("{CAN}&tk=secret&linkType=gs1:pip"), &brand).unwrap();
    let (head, tail) = signed.split_once("&8030=").unwrap();
    assert_eq!(head, CAN);
    assert!(tail.ends_with("&tk=secret&linkType=gs1:pip"), "{tail}");
    let bare = sign("https://id.gs1.org/01/09506000100029/21/C1", &brand).unwrap();
    assert!(bare.starts_with("https://id.gs1.org/01/09506000100029/21/C1?8030="));
}

#[test]
fn an_sscc_label_can_be_signed() {
    let brand = key("packer");
    let sscc = tally_gs1::with_check_digit("09506000000000001").unwrap();
    let pallet = sign(&format!("https://id.gs1.org/00/{sscc}"), &brand).unwrap();
    assert!(read(&pallet)
        .unwrap()
        .unwrap()
        .verify(brand.verifier().ed25519()));
}

#[test]
fn the_signed_data_read_back_as_an_element_string_are_a_fixed_point() {
    let brand = key("brand");
    for uri in [
        CAN,
        "https://id.gs1.org/01/09506000100029/10/L%2F1/21/X1?3103=000500&11=261101",
    ] {
        let signed = read(&sign(uri, &brand).unwrap()).unwrap().unwrap();
        let ais = tally_gs1::parse_element_string(signed.data()).unwrap();
        let link = DigitalLink::from_ais(&ais, None).unwrap();
        assert_eq!(signed_data(&link), signed.data());
    }
}
