//! Typed identifiers with validated check digits, and convenient accessors
//! for the AIs Tally cares about most.

use serde::{Serialize, Serializer};

use crate::ai::AiValue;
use crate::check_digit::is_valid_check_digit;
use crate::error::Error;

fn digits_with_check(what: &'static str, value: &str, len: usize) -> Result<String, Error> {
    let bad = |reason| Error::InvalidIdentifier {
        what,
        value: value.chars().take(64).collect(),
        reason,
    };
    if value.len() != len {
        return Err(bad("wrong number of digits"));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("must contain only digits"));
    }
    if !is_valid_check_digit(value) {
        return Err(bad("incorrect check digit"));
    }
    Ok(value.to_owned())
}

macro_rules! digit_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $len:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Parses a ", $what, " of exactly ", stringify!($len), " digits with a valid check digit.")]
            pub fn parse(value: &str) -> Result<Self, Error> {
                digits_with_check($what, value, $len).map($name)
            }

            /// The digits.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

digit_id!(
    /// Global Trade Item Number in its canonical 14-digit form (AI 01).
    Gtin, "GTIN", 14
);
digit_id!(
    /// Global Location Number, 13 digits (AI 414, 417 and others).
    Gln, "GLN", 13
);
digit_id!(
    /// Serial Shipping Container Code, 18 digits (AI 00).
    Sscc, "SSCC", 18
);

impl Gtin {
    /// Accepts GTIN-8, -12, -13 or -14 and left-pads with zeros to the
    /// canonical 14 digits, as GS1 requires for Digital Link and EPCIS.
    pub fn from_any_length(value: &str) -> Result<Self, Error> {
        if !matches!(value.len(), 8 | 12 | 13 | 14) {
            return Err(Error::InvalidIdentifier {
                what: "GTIN",
                value: value.chars().take(64).collect(),
                reason: "a GTIN has 8, 12, 13 or 14 digits",
            });
        }
        Self::parse(&format!("{value:0>14}"))
    }
}

/// A GS1 date (YYMMDD). `day` is `None` when the label uses day `00`,
/// meaning "end of month".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Gs1Date {
    /// Two-digit year as encoded.
    pub yy: u8,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31, or `None` for `00`.
    pub day: Option<u8>,
}

impl Gs1Date {
    /// Parses a validated 6-digit YYMMDD value.
    fn from_yymmdd(v: &str) -> Option<Self> {
        let b = v.as_bytes();
        let two = |i: usize| -> Option<u8> {
            let p = b.get(i..i + 2)?;
            p.iter()
                .all(u8::is_ascii_digit)
                .then(|| (p[0] - b'0') * 10 + (p[1] - b'0'))
        };
        if b.len() != 6 {
            return None;
        }
        let day = two(4)?;
        Some(Gs1Date {
            yy: two(0)?,
            month: two(2)?,
            day: (day != 0).then_some(day),
        })
    }

    /// Resolves the century with the GS1 General Specifications rule
    /// (section 7.12): relative to `current_year`, a difference of 51-99
    /// years ahead means last century, 50 or more years behind means next
    /// century. The current year is a parameter because this crate reads no
    /// clock.
    pub fn full_year(&self, current_year: i32) -> i32 {
        let century = current_year.div_euclid(100) * 100;
        let diff = i32::from(self.yy) - current_year.rem_euclid(100);
        if (51..=99).contains(&diff) {
            century - 100 + i32::from(self.yy)
        } else if (-99..=-50).contains(&diff) {
            century + 100 + i32::from(self.yy)
        } else {
            century + i32::from(self.yy)
        }
    }
}

/// Typed access to the AIs of any parsed GS1 data (Digital Link, element
/// string or scan). Only `ais` must be provided.
pub trait Gs1Fields {
    /// All AIs, in the order of the source.
    fn ais(&self) -> &[AiValue];

    /// The value of the first occurrence of `ai`.
    fn get(&self, ai: &str) -> Option<&str> {
        self.ais().iter().find(|a| a.ai() == ai).map(AiValue::value)
    }

    /// AI (01) GTIN.
    fn gtin(&self) -> Option<Gtin> {
        self.get("01").and_then(|v| Gtin::parse(v).ok())
    }

    /// AI (10) batch/lot number.
    fn lot(&self) -> Option<&str> {
        self.get("10")
    }

    /// AI (21) serial number.
    fn serial(&self) -> Option<&str> {
        self.get("21")
    }

    /// AI (00) SSCC.
    fn sscc(&self) -> Option<Sscc> {
        self.get("00").and_then(|v| Sscc::parse(v).ok())
    }

    /// AI (414) GLN of a physical location, or else AI (417) party GLN.
    fn gln(&self) -> Option<Gln> {
        self.get("414")
            .or_else(|| self.get("417"))
            .and_then(|v| Gln::parse(v).ok())
    }

    /// AI (17) expiration / use-by date.
    fn expiry(&self) -> Option<Gs1Date> {
        self.get("17").and_then(Gs1Date::from_yymmdd)
    }

    /// AI (15) best-before date.
    fn best_before(&self) -> Option<Gs1Date> {
        self.get("15").and_then(Gs1Date::from_yymmdd)
    }
}

impl Gs1Fields for crate::DigitalLink {
    fn ais(&self) -> &[AiValue] {
        crate::DigitalLink::ais(self)
    }
}

impl Gs1Fields for crate::ElementString {
    fn ais(&self) -> &[AiValue] {
        crate::ElementString::ais(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newtypes() {
        assert!(Gtin::parse("09506000134352").is_ok());
        assert!(Gtin::parse("09506000134353").is_err());
        assert_eq!(
            Gtin::from_any_length("9506000134352").map(|g| g.to_string()),
            Ok("09506000134352".into())
        );
        assert!(Sscc::parse("006141411234567890").is_ok());
        assert!(Gln::parse("9520123456788").is_ok());
    }

    #[test]
    fn century() {
        let d = Gs1Date {
            yy: 25,
            month: 12,
            day: Some(20),
        };
        assert_eq!(d.full_year(2026), 2025);
        let d = Gs1Date {
            yy: 99,
            month: 1,
            day: None,
        };
        assert_eq!(d.full_year(2026), 1999);
        let d = Gs1Date {
            yy: 70,
            month: 1,
            day: None,
        };
        assert_eq!(d.full_year(2026), 2070);
    }
}
