//! What a decoded payload is, for a shopper's scanner: a GS1 Digital Link, a GS1 element string,
//! some other URL, or other text. All GS1 rules (AI table, check digits, pairing, compression)
//! are `tally_gs1`'s; this module only decides which of its parsers applies and keeps the
//! canonical Digital Link that the light client looks products up by.
//!
//! Tally never opens a scanned URL. A Digital Link is identified by its canonical URI inside the
//! client's own network (whatever host the label names is not contacted); any other URL is
//! [`Payload::PlainUrl`] and is shown to the person as text.

use serde::Serialize;
use tally_gs1::{
    parse_scan_payload, DigitalLink, ElementString, Error, Gs1Fields, Scan, Symbology,
};

/// A classified payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A valid GS1 Digital Link URI (uncompressed or compressed).
    DigitalLink {
        /// The URI as scanned (without any AIM prefix).
        uri: String,
        /// [`DigitalLink::canonical_uri`]: the identifier Tally stores and looks up.
        canonical: String,
        /// The parsed link.
        link: DigitalLink,
        /// From the AIM prefix (`]Q1`), if the scanner sent one.
        symbology: Symbology,
    },
    /// A valid GS1 element string (`]Q3`, `]d2`, `]C1`, `]e0`, bracketed or FNC1-separated).
    ElementString {
        /// The element string as scanned (without any AIM prefix).
        text: String,
        /// The canonical Digital Link of its primary key, if it has one.
        canonical: Option<String>,
        /// The parsed data.
        data: ElementString,
        /// From the AIM prefix, if the scanner sent one.
        symbology: Symbology,
    },
    /// Looks like GS1 data (AIM prefix, `/01/`-style path, element string) but fails a GS1
    /// rule: a wrong check digit, an unknown AI, a malformed value. Shown with the reason, never
    /// treated as a product.
    InvalidGs1 {
        /// The payload as scanned.
        text: String,
        /// Why `tally_gs1` rejected it.
        error: Error,
    },
    /// An http(s) URL that is not a GS1 Digital Link. Shown as text, never opened.
    PlainUrl(String),
    /// Anything else.
    Other(String),
}

/// Short names of the kinds, as `tally decode --json` prints them.
impl Payload {
    /// `digital-link`, `element-string`, `invalid-gs1`, `plain-url` or `other`.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::DigitalLink { .. } => "digital-link",
            Payload::ElementString { .. } => "element-string",
            Payload::InvalidGs1 { .. } => "invalid-gs1",
            Payload::PlainUrl(_) => "plain-url",
            Payload::Other(_) => "other",
        }
    }

    /// The canonical Digital Link URI, for valid GS1 payloads with a primary key.
    pub fn canonical(&self) -> Option<&str> {
        match self {
            Payload::DigitalLink { canonical, .. } => Some(canonical),
            Payload::ElementString { canonical, .. } => canonical.as_deref(),
            _ => None,
        }
    }

    /// Whether this is valid GS1 data (what a scanner session stops on).
    pub fn is_gs1(&self) -> bool {
        matches!(
            self,
            Payload::DigitalLink { .. } | Payload::ElementString { .. }
        )
    }

    /// Typed access to the GS1 fields (GTIN, lot, serial, expiry, SSCC, GLN) of valid GS1 data.
    pub fn gs1(&self) -> Option<&dyn Gs1Fields> {
        match self {
            Payload::DigitalLink { link, .. } => Some(link),
            Payload::ElementString { data, .. } => Some(data),
            _ => None,
        }
    }

    /// The human-readable identifiers, for display and JSON.
    pub fn identifiers(&self) -> Option<Identifiers> {
        let f = self.gs1()?;
        Some(Identifiers {
            gtin: f.gtin().map(|g| g.to_string()),
            sscc: f.sscc().map(|s| s.to_string()),
            gln: f.gln().map(|g| g.to_string()),
            lot: f.lot().map(str::to_owned),
            serial: f.serial().map(str::to_owned),
            expiry: f.get("17").map(str::to_owned),
            best_before: f.get("15").map(str::to_owned),
        })
    }
}

/// The GS1 identifiers Tally's core works with, as validated strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identifiers {
    /// AI (01), 14 digits, check digit verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// AI (00), 18 digits, check digit verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sscc: Option<String>,
    /// AI (414) or (417), 13 digits, check digit verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gln: Option<String>,
    /// AI (10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// AI (21).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// AI (17), YYMMDD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    /// AI (15), YYMMDD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_before: Option<String>,
}

fn strip_aim(text: &str) -> &str {
    match text.get(..3) {
        Some(p) if p.starts_with(']') => text.get(3..).unwrap_or_default(),
        _ => text,
    }
}

fn is_http(text: &str) -> bool {
    let lower = text
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Whether a URL whose Digital Link parse failed should still count as an attempted Digital
/// Link (so the failure is shown as [`Payload::InvalidGs1`]) rather than as an ordinary URL.
fn url_failure_is_gs1(e: &Error) -> bool {
    !matches!(
        e,
        Error::NoPrimaryKey
            | Error::InvalidCompressedUri { .. }
            | Error::BadScheme
            | Error::MissingHostOrPath
            | Error::IllegalUriCharacter { .. }
            | Error::IllegalHostCharacter { .. }
            | Error::InputTooLong { .. }
    )
}

/// Classifies a payload: the decoded text, optionally starting with an AIM symbology identifier
/// (`]Q1`, `]Q3`, …) as scanners and [`crate::Code::aim_text`] give it.
pub fn classify(text: &str) -> Payload {
    let body = strip_aim(text);
    match parse_scan_payload(text.as_bytes()) {
        Ok(Scan::DigitalLink { symbology, link }) => Payload::DigitalLink {
            uri: body.to_owned(),
            canonical: link.canonical_uri(),
            link,
            symbology,
        },
        Ok(Scan::ElementString { symbology, data }) => Payload::ElementString {
            text: body.to_owned(),
            canonical: data.to_digital_link(None).ok().map(|d| d.canonical_uri()),
            data,
            symbology,
        },
        Err(error) => {
            let gs1_prefix = matches!(text.get(..3), Some("]Q3" | "]d2" | "]C1" | "]e0"));
            if is_http(body) {
                if url_failure_is_gs1(&error) {
                    Payload::InvalidGs1 {
                        text: body.to_owned(),
                        error,
                    }
                } else {
                    Payload::PlainUrl(body.to_owned())
                }
            } else if gs1_prefix || looks_like_element_string(body) {
                Payload::InvalidGs1 {
                    text: body.to_owned(),
                    error,
                }
            } else {
                Payload::Other(body.to_owned())
            }
        }
    }
}

/// Bracketed `(01)…`, or FNC1-separated digits starting with a two-digit AI, that GS1 rejected.
fn looks_like_element_string(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b'(') {
        return b
            .get(1..3)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    }
    let starts_digits = b.len() >= 16 && b[..16].iter().all(u8::is_ascii_digit);
    b.first() == Some(&0x1d) || (starts_digits && (b.starts_with(b"01") || b.starts_with(b"00")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DL: &str = "https://id.gs1.org/01/09506000134352/10/LOT-2026-11/21/SER1001?17=281130";

    #[test]
    fn digital_link_with_its_canonical_form() {
        let p = classify(&format!("]Q1{DL}"));
        let Payload::DigitalLink {
            uri,
            canonical,
            symbology,
            ..
        } = &p
        else {
            panic!("{p:?}")
        };
        assert_eq!(uri, DL);
        assert_eq!(canonical, &DigitalLink::parse(DL).unwrap().canonical_uri());
        assert_eq!(*symbology, Symbology::QrCode);
        let ids = p.identifiers().unwrap();
        assert_eq!(ids.gtin.as_deref(), Some("09506000134352"));
        assert_eq!(ids.lot.as_deref(), Some("LOT-2026-11"));
        assert_eq!(ids.serial.as_deref(), Some("SER1001"));
        assert_eq!(ids.expiry.as_deref(), Some("281130"));
    }

    #[test]
    fn brand_resolver_stem_maps_to_the_same_canonical_uri() {
        let p = classify("https://brand.example.com/shop/01/09506000134352/21/SER1001");
        assert_eq!(
            p.canonical(),
            Some("https://id.gs1.org/01/09506000134352/21/SER1001")
        );
    }

    #[test]
    fn q3_element_string_gives_the_canonical_digital_link() {
        let p = classify("]Q301095060001343521721113010LOT-2026-11\u{1d}21SER1001");
        let Payload::ElementString {
            canonical,
            symbology,
            ..
        } = &p
        else {
            panic!("{p:?}")
        };
        assert_eq!(*symbology, Symbology::Gs1QrCode);
        assert_eq!(
            canonical.as_deref(),
            Some("https://id.gs1.org/01/09506000134352/10/LOT-2026-11/21/SER1001?17=211130")
        );
    }

    #[test]
    fn check_digit_errors_are_reported_not_swallowed() {
        // GTIN 09506000134353: the last digit should be 2.
        for text in [
            "https://id.gs1.org/01/09506000134353/21/SER1001",
            "]Q3010950600013435321SER1001",
            "(01)09506000134353(21)SER1001",
        ] {
            let p = classify(text);
            let Payload::InvalidGs1 { error, .. } = &p else {
                panic!("{text}: {p:?}")
            };
            assert!(error.to_string().contains("check digit"), "{text}: {error}");
        }
    }

    #[test]
    fn plain_urls_and_text() {
        assert_eq!(
            classify("https://example.com/promo?x=1"),
            Payload::PlainUrl("https://example.com/promo?x=1".into())
        );
        assert_eq!(
            classify("]Q1http://example.com/"),
            Payload::PlainUrl("http://example.com/".into())
        );
        assert_eq!(
            classify("hello, world"),
            Payload::Other("hello, world".into())
        );
        assert_eq!(classify(""), Payload::Other(String::new()));
        assert!(!classify("https://example.com/").is_gs1());
    }
}
