//! Decompression of compressed GS1 Digital Link URIs ("URI compression").
//!
//! A compressed URI carries its AIs as one path segment: a bit string written
//! in the URI-safe base64 alphabet (`A-Z a-z 0-9 - _`, 6 bits per character,
//! most significant bit first). The bit string is a sequence of entries, each
//! starting with two 4-bit nibbles:
//!
//! * `0-9`, `0-9`: the first two digits of an AI. The AI's total length (2, 3
//!   or 4 digits) follows from its first two digits, and any further digits
//!   follow as 4-bit nibbles. The AI's value follows (see below).
//! * an optimisation code listed in [`OPTIMISATIONS`] (e.g. `0B`): a fixed
//!   sequence of AIs (e.g. (01) then (10)) whose values follow one after the
//!   other, without their AI digits.
//! * `F` then 7 bits (the second nibble plus 3 more bits): a non-GS1 query
//!   parameter (`linkType=...`). The 7 bits are the key length; the key
//!   follows in 6-bit base64url characters, then a 3-bit encoding indicator,
//!   a 7-bit value length and the value.
//!
//! An AI value is encoded component by component, using the AI's format from
//! the GS1 General Specifications (e.g. `N3+N..15`), derived here from the
//! syntax dictionary's components in [`crate::ai_table`] (see
//! [`value_format`]):
//!
//! * fixed-length numeric `Nn`: the number as an unsigned binary integer in
//!   `ceil(n*log2(10) + 0.01)` bits (the formula of the reference
//!   implementation, kept exactly so that bit counts agree);
//! * variable-length numeric `N..m`: the digit count in `bitlen(m)` bits,
//!   then the digits as above;
//! * alphanumeric `Xn` / `X..m`: a 3-bit encoding indicator, the character
//!   count (`bitlen(m)` bits, variable length only), then the characters in
//!   that encoding: `0` decimal integer (as numeric), `1` lower-case hex and
//!   `2` upper-case hex (4 bits per character), `3` base64url (6 bits), `4`
//!   7-bit ASCII. `5`-`7` are unassigned.
//!
//! The bit string is padded with at most 8 zero bits to fill the last
//! character. Everything is bounded: the segment by
//! [`MAX_COMPRESSED_SEGMENT_LEN`], every count by its bit width, and every
//! read is checked, so malformed input yields
//! [`Error::InvalidCompressedUri`], never a panic.
//!
//! Sources: the compression section of the GS1 Digital Link standard 1.1 as
//! implemented by GS1's reference toolkit `gs1/GS1DigitalLinkToolkit.js`
//! (`decompressBinaryToGS1AIarray`, `decodeBinaryValue`, `handleDecodings`),
//! the Java port in `openepcis` (`io.openepcis.digitallink.compression`), and
//! the test vectors of `gs1/digital-link.js`. This is an independent
//! implementation. Deliberate differences from the JavaScript toolkit, which
//! uses floating-point numbers: digits are never lost (numbers longer than 15
//! digits stay exact, leading zeros of integer-encoded alphanumeric values are
//! kept) and a numeric component of zero digits takes zero bits.

use crate::ai::{lookup, AiEntry, Cset};
use crate::ai_table::AI_TABLE;
use crate::error::Error;

/// Longest compressed path segment accepted (characters). At 6 bits per
/// character this is far more than the longest legal set of AIs needs.
pub const MAX_COMPRESSED_SEGMENT_LEN: usize = 2048;

/// Optimisation codes: one code stands for a whole sequence of AIs, whose
/// values follow in this order. Written as data from the `tableOpt` of
/// `gs1/GS1DigitalLinkToolkit.js` (GS1 Digital Link standard 1.1, URI
/// compression); codes `A`-`E` in the first nibble that are not listed are
/// unassigned, `F` is reserved for non-GS1 key=value pairs.
pub const OPTIMISATIONS: &[(u8, &[&str])] = &[
    (0x0A, &["01", "22"]),
    (0x0B, &["01", "10"]),
    (0x0C, &["01", "21"]),
    (0x0D, &["01", "17"]),
    (0x0E, &["01", "7003"]),
    (0x0F, &["01", "30"]),
    (0x1A, &["01", "10", "21", "17"]),
    (0x1B, &["01", "15"]),
    (0x1C, &["01", "11"]),
    (0x1D, &["01", "16"]),
    (0x1E, &["01", "91"]),
    (0x1F, &["01", "10", "15"]),
    (0x2A, &["01", "3100"]),
    (0x2B, &["01", "3101"]),
    (0x2C, &["01", "3102"]),
    (0x2D, &["01", "3103"]),
    (0x2E, &["01", "3104"]),
    (0x2F, &["01", "3105"]),
    (0x3A, &["01", "3200"]),
    (0x3B, &["01", "3201"]),
    (0x3C, &["01", "3202"]),
    (0x3D, &["01", "3203"]),
    (0x3E, &["01", "3204"]),
    (0x3F, &["01", "3205"]),
    (0x9A, &["8010", "8011"]),
    (0x9B, &["8017", "8019"]),
    (0x9C, &["8018", "8019"]),
    (0x9D, &["414", "254"]),
    (0xA0, &["01", "3920"]),
    (0xA1, &["01", "3921"]),
    (0xA2, &["01", "3922"]),
    (0xA3, &["01", "3923"]),
    (0xA4, &["01", "3924"]),
    (0xA5, &["01", "3925"]),
    (0xA6, &["01", "3926"]),
    (0xA7, &["01", "3927"]),
    (0xA8, &["01", "3928"]),
    (0xA9, &["01", "3929"]),
    (0xC0, &["255", "3900"]),
    (0xC1, &["255", "3901"]),
    (0xC2, &["255", "3902"]),
    (0xC3, &["255", "3903"]),
    (0xC4, &["255", "3904"]),
    (0xC5, &["255", "3905"]),
    (0xC6, &["255", "3906"]),
    (0xC7, &["255", "3907"]),
    (0xC8, &["255", "3908"]),
    (0xC9, &["255", "3909"]),
    (0xCA, &["255", "3940"]),
    (0xCB, &["255", "3941"]),
    (0xCC, &["255", "3942"]),
    (0xCD, &["255", "3943"]),
];

/// One component of an AI's value as the compression sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `Nn`: exactly `n` digits.
    NumericFixed(usize),
    /// `N..m`: up to `m` digits.
    NumericVar(usize),
    /// `Xn`: exactly `n` characters (any non-numeric character set).
    AlnumFixed(usize),
    /// `X..m`: up to `m` characters.
    AlnumVar(usize),
}

/// The value format of `entry` in General Specifications form, derived from
/// its dictionary components: consecutive mandatory fixed-length components
/// of the same class (numeric, or any other character set) are joined
/// (`N1 N13` is `N14`), and so are consecutive optional or variable-length
/// ones (`[N2] [N2]` is `N..4`); an optional fixed-length component counts as
/// variable-length (it may be absent).
pub fn value_format(entry: &AiEntry) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for c in entry.components {
        let numeric = c.cset == Cset::N;
        let len = usize::from(c.max);
        let fixed = !c.optional && c.min == c.max;
        let part = match (numeric, fixed, out.last_mut()) {
            (true, true, Some(Part::NumericFixed(n)))
            | (true, false, Some(Part::NumericVar(n)))
            | (false, true, Some(Part::AlnumFixed(n)))
            | (false, false, Some(Part::AlnumVar(n))) => {
                *n += len;
                continue;
            }
            (true, true, _) => Part::NumericFixed(len),
            (true, false, _) => Part::NumericVar(len),
            (false, true, _) => Part::AlnumFixed(len),
            (false, false, _) => Part::AlnumVar(len),
        };
        out.push(part);
    }
    out
}

/// Bits of a length field for a component of at most `max` characters:
/// `ceil(log2(max) + 0.01)` in the reference implementation, which is the bit
/// length of `max` for every length GS1 uses.
pub fn length_bits(max: usize) -> usize {
    (usize::BITS - max.leading_zeros()) as usize
}

/// Bits of `digits` decimal digits written as a binary integer, with the
/// reference implementation's formula `ceil(digits*log2(10) + 0.01)`;
/// zero digits take zero bits.
pub fn value_bits(digits: usize) -> usize {
    if digits == 0 {
        return 0;
    }
    // digits <= 127 (a 7-bit count), so the float is exact enough: no value
    // of digits*log2(10) + 0.01 is within 1e-6 of an integer.
    (digits as f64 * std::f64::consts::LN_10 / std::f64::consts::LN_2 + 0.01).ceil() as usize
}

/// Total length (2, 3 or 4 digits) of the AIs that start with `prefix`, from
/// the AI table: GS1 allocates every two-digit prefix to AIs of one length.
fn ai_length_for_prefix(prefix: &str) -> Option<usize> {
    AI_TABLE
        .iter()
        .find(|e| e.ai.starts_with(prefix))
        .map(|e| e.ai.len())
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// True if `seg` could be a compressed Digital Link: non-empty and only
/// base64url characters.
pub fn is_candidate(seg: &str) -> bool {
    !seg.is_empty()
        && seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// One decoded entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// An AI and its (not yet validated) value.
    Ai(&'static AiEntry, String),
    /// A non-GS1 key=value pair, e.g. `linkType`.
    Other(String, String),
}

fn err(bit: usize, reason: impl std::fmt::Display) -> Error {
    Error::InvalidCompressedUri {
        reason: format!("bit {bit}: {reason}"),
    }
}

struct BitReader {
    bits: Vec<bool>,
    pos: usize,
}

impl BitReader {
    fn remaining(&self) -> usize {
        self.bits.len().saturating_sub(self.pos)
    }

    /// Reads `n <= 32` bits as an unsigned integer.
    fn read(&mut self, n: usize, what: &str) -> Result<u32, Error> {
        debug_assert!(n <= 32);
        let slice = self
            .bits
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or_else(|| err(self.pos, format!("data ends inside {what}")))?;
        let v = slice.iter().fold(0u32, |acc, &b| (acc << 1) | u32::from(b));
        self.pos += n;
        Ok(v)
    }

    /// Reads `digits` decimal digits written as one binary integer.
    fn read_decimal(&mut self, digits: usize, what: &str) -> Result<String, Error> {
        let start = self.pos;
        let n = value_bits(digits);
        let slice = self
            .bits
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or_else(|| err(start, format!("data ends inside {what}")))?;
        // Little-endian decimal digits, doubled and incremented bit by bit.
        let mut dec: Vec<u8> = Vec::new();
        for &bit in slice {
            let mut carry = u8::from(bit);
            for d in dec.iter_mut() {
                let v = *d * 2 + carry;
                *d = v % 10;
                carry = v / 10;
            }
            if carry > 0 {
                dec.push(carry);
            }
        }
        if dec.len() > digits {
            return Err(err(
                start,
                format!("{what} is a number with more than {digits} digits"),
            ));
        }
        self.pos += n;
        let mut s = "0".repeat(digits - dec.len());
        s.extend(dec.iter().rev().map(|d| char::from(b'0' + d)));
        Ok(s)
    }

    /// Reads `count` characters in encoding `enc`.
    fn read_chars(&mut self, enc: u32, count: usize, what: &str) -> Result<String, Error> {
        let start = self.pos;
        let (width, table): (usize, Option<&[u8]>) = match enc {
            0 => return self.read_decimal(count, what),
            1 => (4, Some(HEX_LOWER)),
            2 => (4, Some(HEX_UPPER)),
            3 => (6, Some(BASE64URL)),
            4 => (7, None),
            _ => {
                return Err(err(
                    start.saturating_sub(3),
                    format!("encoding indicator {enc} of {what} is unassigned (0-4 are defined)"),
                ))
            }
        };
        let mut s = String::with_capacity(count);
        for _ in 0..count {
            let v = self.read(width, what)? as usize;
            let c = match table {
                Some(t) => t.get(v).copied(),
                None => u8::try_from(v).ok(),
            }
            .filter(|c| c.is_ascii_graphic() || *c == b' ')
            .ok_or_else(|| {
                err(
                    self.pos - width,
                    format!("{what} contains control character 0x{v:02X}"),
                )
            })?;
            s.push(char::from(c));
        }
        Ok(s)
    }

    fn read_value(&mut self, entry: &AiEntry) -> Result<String, Error> {
        let what = format!("the value of AI ({})", entry.ai);
        let mut value = String::new();
        for part in value_format(entry) {
            match part {
                Part::NumericFixed(n) => value.push_str(&self.read_decimal(n, &what)?),
                Part::NumericVar(max) => {
                    let at = self.pos;
                    let n = self.read(length_bits(max), &what)? as usize;
                    if n > max {
                        return Err(err(
                            at,
                            format!("{what} has {n} digits in a part of at most {max}"),
                        ));
                    }
                    value.push_str(&self.read_decimal(n, &what)?);
                }
                Part::AlnumFixed(n) => {
                    let enc = self.read(3, &what)?;
                    value.push_str(&self.read_chars(enc, n, &what)?);
                }
                Part::AlnumVar(max) => {
                    let enc = self.read(3, &what)?;
                    let at = self.pos;
                    let n = self.read(length_bits(max), &what)? as usize;
                    if n > max {
                        return Err(err(
                            at,
                            format!("{what} has {n} characters in a part of at most {max}"),
                        ));
                    }
                    value.push_str(&self.read_chars(enc, n, &what)?);
                }
            }
        }
        Ok(value)
    }

    fn read_other(&mut self) -> Result<Decoded, Error> {
        let at = self.pos;
        let key_len = self.read(7, "a non-GS1 key length")? as usize;
        if key_len == 0 {
            return Err(err(at, "non-GS1 key=value pair with an empty key"));
        }
        let key = self.read_chars(3, key_len, "a non-GS1 key")?;
        if key.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                at,
                format!("non-GS1 key {key:?} is numeric, which is reserved for AIs"),
            ));
        }
        let what = format!("the value of non-GS1 key {key:?}");
        let enc = self.read(3, &what)?;
        let len = self.read(7, &what)? as usize;
        let value = self.read_chars(enc, len, &what)?;
        Ok(Decoded::Other(key, value))
    }
}

/// Decodes one compressed path segment into its AIs (in encoded order; values
/// not yet validated against the AI table) and non-GS1 key=value pairs.
pub fn decompress(seg: &str) -> Result<Vec<Decoded>, Error> {
    if seg.len() > MAX_COMPRESSED_SEGMENT_LEN {
        return Err(Error::InvalidCompressedUri {
            reason: format!(
                "the compressed segment is {} characters long; at most {MAX_COMPRESSED_SEGMENT_LEN} are accepted",
                seg.len()
            ),
        });
    }
    let mut bits = Vec::with_capacity(seg.len() * 6);
    for (i, b) in seg.bytes().enumerate() {
        let v =
            BASE64URL
                .iter()
                .position(|&c| c == b)
                .ok_or_else(|| Error::InvalidCompressedUri {
                    reason: format!(
                        "character {:?} at position {i} is not base64url",
                        char::from(b)
                    ),
                })?;
        bits.extend((0..6).rev().map(|k| v >> k & 1 == 1));
    }
    let mut r = BitReader { bits, pos: 0 };
    let mut out = Vec::new();
    // Every entry is longer than 8 bits; up to 8 trailing bits are padding.
    while r.remaining() > 8 {
        let at = r.pos;
        let h1 = r.read(4, "an entry header")?;
        if h1 == 0xF {
            out.push(r.read_other()?);
            continue;
        }
        let h2 = r.read(4, "an entry header")?;
        if h1 <= 9 && h2 <= 9 {
            let mut ai = format!("{h1}{h2}");
            let len = ai_length_for_prefix(&ai)
                .ok_or_else(|| err(at, format!("no GS1 AI starts with {ai}")))?;
            while ai.len() < len {
                let d = r.read(4, "an AI")?;
                if d > 9 {
                    return Err(err(r.pos - 4, format!("AI digit after {ai} is 0x{d:X}")));
                }
                ai.push(char::from(b'0' + d as u8));
            }
            let entry =
                lookup(&ai).ok_or_else(|| err(at, format!("({ai}) is not a known GS1 AI")))?;
            let value = r.read_value(entry)?;
            out.push(Decoded::Ai(entry, value));
        } else {
            let code = (h1 << 4 | h2) as u8;
            let (_, seq) = OPTIMISATIONS
                .iter()
                .find(|(c, _)| *c == code)
                .ok_or_else(|| err(at, format!("optimisation code {code:02X} is unassigned")))?;
            for ai in *seq {
                let entry = lookup(ai).ok_or_else(|| {
                    err(
                        at,
                        format!("optimisation code {code:02X} names unknown AI ({ai})"),
                    )
                })?;
                let value = r.read_value(entry)?;
                out.push(Decoded::Ai(entry, value));
            }
        }
    }
    let pad_at = r.pos;
    if r.bits.get(pad_at..).unwrap_or_default().iter().any(|&b| b) {
        return Err(err(pad_at, "trailing padding bits are not zero"));
    }
    if out.is_empty() {
        return Err(Error::InvalidCompressedUri {
            reason: "the segment is too short to contain any AI".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ai: &str) -> Vec<Part> {
        value_format(lookup(ai).unwrap())
    }

    #[test]
    fn formats_match_general_specifications() {
        use Part::*;
        assert_eq!(fmt("01"), [NumericFixed(14)]);
        assert_eq!(fmt("10"), [AlnumVar(20)]);
        assert_eq!(fmt("253"), [NumericFixed(13), AlnumVar(17)]);
        assert_eq!(fmt("255"), [NumericFixed(13), NumericVar(12)]);
        assert_eq!(fmt("3910"), [NumericFixed(3), NumericVar(15)]);
        assert_eq!(fmt("423"), [NumericFixed(3), NumericVar(12)]);
        assert_eq!(fmt("7003"), [NumericFixed(10)]);
        assert_eq!(fmt("7007"), [NumericFixed(6), NumericVar(6)]);
        assert_eq!(fmt("7040"), [NumericFixed(1), AlnumFixed(3)]);
        assert_eq!(fmt("8001"), [NumericFixed(14)]);
        assert_eq!(fmt("8003"), [NumericFixed(14), AlnumVar(16)]);
        assert_eq!(fmt("8008"), [NumericFixed(8), NumericVar(4)]);
        assert_eq!(fmt("8026"), [NumericFixed(18)]);
    }

    #[test]
    fn bit_widths_match_reference_formulas() {
        for max in 1..=127usize {
            let reference = ((max as f64).ln() / 2f64.ln() + 0.01).ceil() as usize;
            assert_eq!(length_bits(max), reference, "max {max}");
        }
        assert_eq!(value_bits(14), 47);
        assert_eq!(value_bits(6), 20);
        assert_eq!(value_bits(59), 197);
    }

    #[test]
    fn two_digit_prefixes_have_one_length() {
        for e in AI_TABLE {
            assert_eq!(
                ai_length_for_prefix(&e.ai[..2]),
                Some(e.ai.len()),
                "{}",
                e.ai
            );
        }
    }

    #[test]
    fn optimisations_name_known_ais_and_do_not_clash_with_ais() {
        for (code, seq) in OPTIMISATIONS {
            assert!(code >> 4 > 9 || code & 0xF > 9, "{code:02X}");
            assert!(code >> 4 != 0xF, "{code:02X}");
            for ai in *seq {
                assert!(lookup(ai).is_some(), "{ai}");
            }
        }
    }
}
