//! GS1 element strings: the concatenated AI data carried by GS1-128, GS1
//! DataMatrix, GS1 QR Code and GS1 DataBar, and its human-readable bracketed
//! form `(01)09506000134352(10)ABC`.

use crate::ai::{lookup, lookup_prefix, validate_associations, AiValue};
use crate::digital_link::DigitalLink;
use crate::error::Error;

/// FNC1 as transmitted by scanners (ASCII GS, 0x1D).
pub const FNC1: char = '\u{1d}';

/// Upper bound on any single input, so hostile payloads cannot make us
/// allocate or loop without limit. Real symbols carry far less.
pub const MAX_INPUT_LEN: usize = 8 * 1024;

fn check_len(len: usize) -> Result<(), Error> {
    if len > MAX_INPUT_LEN {
        return Err(Error::InputTooLong {
            len,
            max: MAX_INPUT_LEN,
        });
    }
    if len == 0 {
        return Err(Error::Empty);
    }
    Ok(())
}

/// Parses unbracketed element string data with FNC1 (0x1D) separators into a
/// list of AIs, validating each value's length, character set and linters.
///
/// A leading FNC1 (the symbology's FNC1-in-first-position) is accepted, as is
/// a redundant FNC1 after a fixed-length AI. Pairing rules are not checked
/// here; see [`ElementString::parse`].
pub fn parse_element_string(data: &str) -> Result<Vec<AiValue>, Error> {
    check_len(data.len())?;
    if !data.is_ascii() {
        return Err(Error::UnrecognisedPayload {
            reason: "element strings contain only ASCII characters",
        });
    }
    let bytes = data.as_bytes();
    let mut pos = usize::from(bytes.first() == Some(&0x1d));
    let mut out = Vec::new();
    if pos >= bytes.len() {
        return Err(Error::Empty);
    }
    while pos < bytes.len() {
        let rest = bytes.get(pos..).unwrap_or_default();
        let entry = lookup_prefix(rest).ok_or_else(|| Error::UnknownAi {
            pos,
            found: String::from_utf8_lossy(rest.get(..rest.len().min(4)).unwrap_or_default())
                .into_owned(),
        })?;
        let vstart = pos + entry.ai.len();
        let vrest = bytes.get(vstart..).unwrap_or_default();
        let vlen = if entry.fixed_length {
            entry.max_length().min(vrest.len())
        } else {
            vrest.iter().position(|&b| b == 0x1d).unwrap_or(vrest.len())
        };
        let value = data.get(vstart..vstart + vlen).ok_or(Error::UnknownAi {
            pos: vstart,
            found: String::new(),
        })?;
        out.push(AiValue::with_entry(entry, value)?);
        pos = vstart + vlen;
        if bytes.get(pos) == Some(&0x1d) {
            pos += 1;
            if pos == bytes.len() {
                return Err(Error::UnknownAi {
                    pos,
                    found: String::new(),
                });
            }
        }
    }
    Ok(out)
}

/// Parses the bracketed form `(01)09506000134352(10)ABC`. A literal `(` inside
/// a value is written `\(`.
pub fn parse_bracketed(data: &str) -> Result<Vec<AiValue>, Error> {
    check_len(data.len())?;
    let bytes = data.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        if bytes.get(pos) != Some(&b'(') {
            return Err(Error::MalformedBracketed {
                pos,
                reason: "expected '(' to start an AI",
            });
        }
        let close = bytes
            .iter()
            .skip(pos + 1)
            .position(|&b| b == b')')
            .map(|p| p + pos + 1)
            .ok_or(Error::MalformedBracketed {
                pos,
                reason: "missing ')' after the AI",
            })?;
        let ai = data.get(pos + 1..close).unwrap_or_default();
        if ai.len() < 2 || ai.len() > 4 || !ai.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::MalformedBracketed {
                pos: pos + 1,
                reason: "an AI is 2 to 4 digits",
            });
        }
        let entry = lookup(ai).ok_or_else(|| Error::UnknownAi {
            pos: pos + 1,
            found: ai.into(),
        })?;
        let mut value = String::new();
        let mut i = close + 1;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'\\' if bytes.get(i + 1) == Some(&b'(') => {
                    value.push('(');
                    i += 2;
                }
                b'(' => break,
                _ => {
                    // Copy one whole UTF-8 character; validation rejects non-ASCII later.
                    let ch = data
                        .get(i..)
                        .and_then(|s| s.chars().next())
                        .unwrap_or('\u{fffd}');
                    value.push(ch);
                    i += ch.len_utf8().max(1);
                }
            }
        }
        out.push(AiValue::with_entry(entry, &value)?);
        pos = i;
    }
    Ok(out)
}

/// Formats AIs as an unbracketed element string, inserting FNC1 (0x1D) only
/// after variable-length AIs that are followed by more data. No leading FNC1.
pub fn to_element_string(ais: &[AiValue]) -> String {
    let mut s = String::new();
    for (i, a) in ais.iter().enumerate() {
        s.push_str(a.ai());
        s.push_str(a.value());
        if !a.entry().fixed_length && i + 1 < ais.len() {
            s.push(FNC1);
        }
    }
    s
}

/// Formats AIs in the bracketed human-readable form, escaping `(` as `\(`.
pub fn to_bracketed(ais: &[AiValue]) -> String {
    let mut s = String::new();
    for a in ais {
        s.push('(');
        s.push_str(a.ai());
        s.push(')');
        s.push_str(&a.value().replace('(', "\\("));
    }
    s
}

/// A fully validated element string: every value is valid, no AI has two
/// different values, and the `req=`/`ex=` pairing rules hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementString {
    ais: Vec<AiValue>,
}

impl ElementString {
    /// Parses FNC1-separated data (see [`parse_element_string`]) and checks
    /// pairing rules.
    pub fn parse(data: &str) -> Result<Self, Error> {
        Self::from_ais(parse_element_string(data)?)
    }

    /// Parses the bracketed form and checks pairing rules.
    pub fn parse_bracketed(data: &str) -> Result<Self, Error> {
        Self::from_ais(parse_bracketed(data)?)
    }

    /// Checks pairing rules over already-validated AIs.
    pub fn from_ais(ais: Vec<AiValue>) -> Result<Self, Error> {
        validate_associations(&ais)?;
        Ok(ElementString { ais })
    }

    /// The AIs in the order they were received.
    pub fn ais(&self) -> &[AiValue] {
        &self.ais
    }

    /// FNC1 (0x1D) separated form, without a leading FNC1.
    pub fn to_fnc1_string(&self) -> String {
        to_element_string(&self.ais)
    }

    /// Bracketed human-readable form.
    pub fn to_bracketed(&self) -> String {
        to_bracketed(&self.ais)
    }

    /// Converts to a GS1 Digital Link, following the GS1 Syntax Engine: the
    /// first AI that is a primary key becomes the key, the qualifier sequence
    /// matching most of the data is put in the path, and every other AI must
    /// be a permitted query attribute. `stem` defaults to
    /// `https://id.gs1.org`.
    pub fn to_digital_link(&self, stem: Option<&str>) -> Result<DigitalLink, Error> {
        DigitalLink::from_ais(&self.ais, stem)
    }
}
