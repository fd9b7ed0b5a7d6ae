//! GS1 Digital Link URI syntax 1.6: parsing, validation and formatting.

use std::collections::BTreeMap;

use crate::ai::{
    dl_key_sequences, is_valid_dl_path_sequence, lookup, validate_associations, AiEntry, AiValue,
};
use crate::compression;
use crate::element_string::{to_bracketed, to_element_string, MAX_INPUT_LEN};
use crate::error::Error;
use crate::json::Gs1Json;

/// The stem used for canonical URIs, as recommended by GS1.
pub const CANONICAL_STEM: &str = "https://id.gs1.org";

/// Every character permitted anywhere in a URI (RFC 3986 plus `%`).
const URI_CHARS: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%";

/// URI characters that cannot occur in a host name.
const BAD_HOST_CHARS: &[u8] = b"_~?#@!$&'()*+,;=%";

/// Deprecated alphabetic path names (`/gtin/`), only honoured when
/// [`DlParseOptions::permit_convenience_alphas`] is set.
const CONVENIENCE_ALPHAS: &[(&str, &str)] = &[
    ("cpid", "8010"),
    ("cpsn", "8011"),
    ("cpv", "22"),
    ("gcn", "255"),
    ("gdti", "253"),
    ("giai", "8004"),
    ("ginc", "401"),
    ("gln", "414"),
    ("glnx", "254"),
    ("gmn", "8013"),
    ("grai", "8003"),
    ("gsin", "402"),
    ("gsrn", "8018"),
    ("gsrnp", "8017"),
    ("gtin", "01"),
    ("itip", "8006"),
    ("lot", "10"),
    ("party", "417"),
    ("refno", "8020"),
    ("ser", "21"),
    ("srin", "8019"),
    ("sscc", "00"),
];

/// Leniencies that the GS1 Syntax Engine also offers, all off by default
/// because the strict form is what GS1 Digital Link 1.6 specifies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DlParseOptions {
    /// Accept GTIN-8/12/13 in AI (01) and pad them to 14 digits.
    pub permit_zero_suppressed_gtin: bool,
    /// Accept deprecated path names such as `/gtin/` and `/ser/`.
    pub permit_convenience_alphas: bool,
}

/// A parsed and fully validated GS1 Digital Link URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitalLink {
    stem: String,
    ais: Vec<AiValue>,
    path_len: usize,
    other_params: Vec<(String, String)>,
}

fn percent_decode(s: &str, query: bool) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |j: usize| b.get(j).and_then(|h| (*h as char).to_digit(16));
        match (c, hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                let v = (h * 16 + l) as u8;
                if v == 0 {
                    return None;
                }
                out.push(v);
                i += 3;
            }
            (b'+', _, _) if query => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Decodes an AI value: NUL and non-ASCII bytes are rejected because no GS1
/// character set contains them.
fn decode_value(ai: &str, raw: &str, query: bool) -> Result<String, Error> {
    percent_decode(raw, query)
        .filter(|v| v.iter().all(|&c| c != 0 && c.is_ascii()))
        .and_then(|v| String::from_utf8(v).ok())
        .ok_or_else(|| Error::IllegalDecodedByte { ai: ai.into() })
}

fn decode_lossy(raw: &str) -> String {
    String::from_utf8_lossy(&percent_decode(raw, true).unwrap_or_default()).into_owned()
}

/// Percent-escapes everything except RFC 3986 unreserved characters. In the
/// query a space becomes `+`; `+` itself is always escaped so that it
/// survives both path and query decoding.
fn escape(v: &str, query: bool) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.bytes() {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                s.push(c as char)
            }
            b' ' if query => s.push('+'),
            _ => s.push_str(&format!("%{c:02X}")),
        }
    }
    s
}

fn resolve_path_ai(seg: &str, opts: DlParseOptions) -> Option<&'static AiEntry> {
    if opts.permit_convenience_alphas
        && (3..=5).contains(&seg.len())
        && !seg.starts_with(|c: char| c.is_ascii_digit())
    {
        if let Some((_, ai)) = CONVENIENCE_ALPHAS.iter().find(|(a, _)| *a == seg) {
            return lookup(ai);
        }
    }
    if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    lookup(seg)
}

fn pad_gtin(entry: &AiEntry, value: String, opts: DlParseOptions) -> String {
    if opts.permit_zero_suppressed_gtin && entry.ai == "01" && matches!(value.len(), 8 | 12 | 13) {
        format!("{value:0>14}")
    } else {
        value
    }
}

/// Parses the query: AI parameters are appended to `ais`, the others to
/// `other_params` (percent-decoded, in received order).
fn parse_query(
    query: &str,
    opts: DlParseOptions,
    ais: &mut Vec<AiValue>,
    other_params: &mut Vec<(String, String)>,
) -> Result<(), Error> {
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let Some((key, raw)) = param.split_once('=') else {
            other_params.push((decode_lossy(param), String::new()));
            continue;
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
            other_params.push((decode_lossy(key), decode_lossy(raw)));
            continue;
        }
        let entry = lookup(key).ok_or_else(|| Error::UnknownAiInQuery { param: key.into() })?;
        if raw.is_empty() {
            return Err(Error::EmptyQueryValue {
                ai: entry.ai.into(),
            });
        }
        let value = pad_gtin(entry, decode_value(entry.ai, raw, true)?, opts);
        ais.push(AiValue::with_entry(entry, &value)?);
    }
    Ok(())
}

impl DigitalLink {
    /// Parses a GS1 Digital Link URI with the strict defaults.
    pub fn parse(uri: &str) -> Result<Self, Error> {
        Self::parse_with(uri, DlParseOptions::default())
    }

    /// Parses a GS1 Digital Link URI.
    ///
    /// The primary key is the right-most `/AI/value` pair in the path whose AI
    /// is a `dlpkey`; anything before it is the stem. Path AIs must form a
    /// valid key/qualifier sequence; query AIs must be permitted attributes,
    /// must not be qualifiers that belong in the path, and must not repeat.
    /// Non-AI query parameters (e.g. `linkType`) are kept aside; the fragment
    /// is ignored.
    ///
    /// If the path holds no primary key and its last segment is base64url, it
    /// is read as a compressed Digital Link ([`crate::compression`]); the rest
    /// of the path is the stem and the query may add non-AI parameters and
    /// attributes. Malformed compressed data gives
    /// [`Error::InvalidCompressedUri`].
    pub fn parse_with(uri: &str, opts: DlParseOptions) -> Result<Self, Error> {
        if uri.len() > MAX_INPUT_LEN {
            return Err(Error::InputTooLong {
                len: uri.len(),
                max: MAX_INPUT_LEN,
            });
        }
        if uri.is_empty() {
            return Err(Error::Empty);
        }
        if let Some((pos, ch)) = uri
            .char_indices()
            .find(|&(_, c)| !c.is_ascii() || !URI_CHARS.contains(&(c as u8)))
        {
            return Err(Error::IllegalUriCharacter { pos, ch });
        }
        let rest = ["https://", "HTTPS://", "http://", "HTTP://"]
            .iter()
            .find_map(|s| uri.strip_prefix(s))
            .ok_or(Error::BadScheme)?;
        let host_end = match rest.find('/') {
            Some(p) if p > 0 => p,
            _ => return Err(Error::MissingHostOrPath),
        };
        let (host, after) = rest.split_at(host_end);
        if let Some(ch) = host.chars().find(|c| BAD_HOST_CHARS.contains(&(*c as u8))) {
            return Err(Error::IllegalHostCharacter { ch });
        }
        let after = after.split('#').next().unwrap_or_default();
        let (path, query) = after.split_once('?').unwrap_or((after, ""));
        let segs: Vec<&str> = path.get(1..).unwrap_or_default().split('/').collect();

        // Walk "/AI/value" pairs from the right until the primary key.
        let mut end = segs.len();
        let mut key_idx = None;
        while end >= 2 {
            let Some(entry) = segs.get(end - 2).and_then(|s| resolve_path_ai(s, opts)) else {
                break;
            };
            if entry.dlpkey.is_some() {
                key_idx = Some(end - 2);
                break;
            }
            end -= 2;
        }
        let scheme_host = uri
            .get(..uri.len() - rest.len() + host_end)
            .unwrap_or_default();
        let make_stem = |stem_segs: &[&str]| {
            if stem_segs.is_empty() {
                scheme_host.to_owned()
            } else {
                format!("{scheme_host}/{}", stem_segs.join("/"))
            }
        };
        let Some(key_idx) = key_idx else {
            // No uncompressed primary key: the last segment may be a
            // compressed Digital Link.
            return match segs.split_last() {
                Some((last, stem_segs)) if compression::is_candidate(last) => {
                    Self::from_compressed(make_stem(stem_segs), last, query, opts)
                }
                _ => Err(Error::NoPrimaryKey),
            };
        };
        let stem = make_stem(segs.get(..key_idx).unwrap_or_default());

        let mut ais = Vec::new();
        for pair in segs.get(key_idx..).unwrap_or_default().chunks(2) {
            let (ai_seg, raw) = match pair {
                [a, v] => (*a, *v),
                _ => return Err(Error::NoPrimaryKey),
            };
            let entry = resolve_path_ai(ai_seg, opts).ok_or(Error::NoPrimaryKey)?;
            if raw.is_empty() {
                return Err(Error::EmptyPathValue {
                    ai: entry.ai.into(),
                });
            }
            let value = pad_gtin(entry, decode_value(entry.ai, raw, false)?, opts);
            ais.push(AiValue::with_entry(entry, &value)?);
        }
        let path_len = ais.len();

        let mut other_params = Vec::new();
        parse_query(query, opts, &mut ais, &mut other_params)?;

        let dl = DigitalLink {
            stem,
            ais,
            path_len,
            other_params,
        };
        dl.check_structure()?;
        validate_associations(&dl.ais)?;
        Ok(dl)
    }

    /// Builds a Digital Link from a compressed path segment (see
    /// [`crate::compression`]). The path is the primary key followed by the
    /// qualifiers present, in `dlpkey` order; the other AIs become query
    /// attributes sorted by AI (the order of the canonical URI), followed by
    /// any AIs of the real query. Non-GS1 pairs from the compressed data come
    /// before the query's own non-AI parameters.
    fn from_compressed(
        stem: String,
        segment: &str,
        query: &str,
        opts: DlParseOptions,
    ) -> Result<Self, Error> {
        let mut decoded: Vec<AiValue> = Vec::new();
        let mut other_params = Vec::new();
        for d in compression::decompress(segment)? {
            match d {
                compression::Decoded::Ai(entry, value) => {
                    if decoded.iter().any(|a| a.ai() == entry.ai) {
                        return Err(Error::DuplicateAi {
                            ai: entry.ai.into(),
                        });
                    }
                    decoded.push(AiValue::with_entry(entry, &value)?);
                }
                compression::Decoded::Other(k, v) => other_params.push((k, v)),
            }
        }
        let mut keys = decoded.iter().filter(|a| a.entry().dlpkey.is_some());
        let key = match (keys.next(), keys.next()) {
            (Some(k), None) => k.entry(),
            (None, _) => {
                return Err(Error::InvalidCompressedUri {
                    reason: "it decodes to AIs without a primary key".into(),
                })
            }
            (Some(a), Some(b)) => {
                return Err(Error::InvalidCompressedUri {
                    reason: format!(
                        "it decodes to more than one primary key: ({}) and ({})",
                        a.ai(),
                        b.ai()
                    ),
                })
            }
        };
        let mut best: Vec<&str> = vec![key.ai];
        let mut best_count = 0;
        for seq in dl_key_sequences(key) {
            let count = seq
                .iter()
                .skip(1)
                .filter(|q| decoded.iter().any(|a| a.ai() == **q))
                .count();
            if count > best_count {
                best_count = count;
                best = seq;
            }
        }
        let mut ais: Vec<AiValue> = best
            .iter()
            .filter_map(|q| decoded.iter().find(|a| a.ai() == *q).cloned())
            .collect();
        let path_len = ais.len();
        let mut attrs: Vec<AiValue> = decoded
            .into_iter()
            .filter(|a| !best.contains(&a.ai()))
            .collect();
        attrs.sort_by_key(|a| a.ai());
        ais.extend(attrs);
        parse_query(query, opts, &mut ais, &mut other_params)?;
        let dl = DigitalLink {
            stem,
            ais,
            path_len,
            other_params,
        };
        dl.check_structure()?;
        validate_associations(&dl.ais)?;
        Ok(dl)
    }

    fn check_structure(&self) -> Result<(), Error> {
        let path: Vec<&str> = self.path().iter().map(AiValue::ai).collect();
        if !is_valid_dl_path_sequence(&path) {
            let key = self.primary().entry();
            let expected = key
                .dlpkey
                .unwrap_or_default()
                .iter()
                .map(|alt| alt.iter().map(|q| format!("/{q}")).collect::<String>())
                .collect::<Vec<_>>()
                .join(" or ");
            return Err(Error::InvalidKeyQualifierSequence {
                key: key.ai.into(),
                sequence: path.join(","),
                expected: if expected.is_empty() {
                    "none".into()
                } else {
                    expected
                },
            });
        }
        for (i, attr) in self.ais.iter().enumerate().skip(self.path_len) {
            if self.ais.iter().take(i).any(|b| b.ai() == attr.ai()) {
                return Err(Error::DuplicateAi {
                    ai: attr.ai().into(),
                });
            }
            if !attr.entry().dl_attribute {
                return Err(Error::NotDlAttribute {
                    ai: attr.ai().into(),
                });
            }
            for j in 1..=path.len() {
                let mut trial = path.clone();
                trial.insert(j, attr.ai());
                if is_valid_dl_path_sequence(&trial) {
                    return Err(Error::QualifierInQuery {
                        ai: attr.ai().into(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Builds a Digital Link from element-string AIs (see
    /// [`crate::ElementString::to_digital_link`]). Attributes are ordered
    /// fixed-length first, then variable-length, each in received order, as
    /// the GS1 Syntax Engine does; repeated AIs are emitted once.
    pub fn from_ais(ais: &[AiValue], stem: Option<&str>) -> Result<Self, Error> {
        let key = ais
            .iter()
            .map(AiValue::entry)
            .find(|e| e.dlpkey.is_some())
            .ok_or(Error::NoPrimaryKeyInData)?;
        let mut best: Vec<&str> = vec![key.ai];
        let mut best_count = 0;
        for seq in dl_key_sequences(key) {
            let count = seq
                .iter()
                .skip(1)
                .map(|q| ais.iter().filter(|a| a.ai() == *q).count())
                .sum::<usize>();
            if count > best_count {
                best_count = count;
                best = seq;
            }
        }
        let mut out: Vec<AiValue> = best
            .iter()
            .filter_map(|q| ais.iter().find(|a| a.ai() == *q).cloned())
            .collect();
        let path_len = out.len();
        for fixed in [true, false] {
            for a in ais {
                if a.entry().fixed_length != fixed
                    || best.contains(&a.ai())
                    || out.iter().any(|b| b.ai() == a.ai())
                {
                    continue;
                }
                if !a.entry().dl_attribute {
                    return Err(Error::NotDlAttribute { ai: a.ai().into() });
                }
                out.push(a.clone());
            }
        }
        let stem = stem.unwrap_or(CANONICAL_STEM);
        let dl = DigitalLink {
            stem: stem.strip_suffix('/').unwrap_or(stem).to_owned(),
            ais: out,
            path_len,
            other_params: Vec::new(),
        };
        validate_associations(&dl.ais)?;
        Ok(dl)
    }

    /// Scheme, host and any path prefix before the primary key, as received.
    pub fn stem(&self) -> &str {
        &self.stem
    }

    /// All AIs: primary key, qualifiers, then query attributes.
    pub fn ais(&self) -> &[AiValue] {
        &self.ais
    }

    /// The primary key AI, e.g. (01) GTIN or (00) SSCC.
    pub fn primary(&self) -> &AiValue {
        // Construction guarantees a primary key; the fallback is unreachable
        // but avoids a panicking index.
        self.ais
            .first()
            .unwrap_or_else(|| unreachable!("a DigitalLink always has a primary key"))
    }

    /// Primary key followed by its qualifiers, in path order.
    pub fn path(&self) -> &[AiValue] {
        self.ais.get(..self.path_len).unwrap_or_default()
    }

    /// Query attribute AIs, in stored order.
    pub fn attributes(&self) -> &[AiValue] {
        self.ais.get(self.path_len..).unwrap_or_default()
    }

    /// Non-AI query parameters such as `linkType`, percent-decoded, in
    /// received order; a parameter without `=` has an empty value.
    pub fn other_params(&self) -> &[(String, String)] {
        &self.other_params
    }

    fn write_path(&self, out: &mut String) {
        for a in self.path() {
            out.push('/');
            out.push_str(a.ai());
            out.push('/');
            out.push_str(&escape(a.value(), false));
        }
    }

    /// The URI with its own stem and attribute order, plus the non-AI
    /// parameters at the end.
    pub fn to_uri(&self) -> String {
        let mut s = self.stem.clone();
        self.write_path(&mut s);
        let mut params: Vec<String> = self
            .attributes()
            .iter()
            .map(|a| format!("{}={}", a.ai(), escape(a.value(), true)))
            .collect();
        params.extend(self.other_params.iter().map(|(k, v)| {
            if v.is_empty() {
                escape(k, true)
            } else {
                format!("{}={}", escape(k, true), escape(v, true))
            }
        }));
        if !params.is_empty() {
            s.push('?');
            s.push_str(&params.join("&"));
        }
        s
    }

    /// The canonical identifier URI: stem `https://id.gs1.org`, path in
    /// key/qualifier order, query attributes sorted by AI (the dictionary's
    /// lexical order), minimal percent-escaping, no non-AI parameters. Two
    /// scans of the same item always give the same string, whatever host or
    /// parameter order the label used.
    pub fn canonical_uri(&self) -> String {
        let mut s = CANONICAL_STEM.to_owned();
        self.write_path(&mut s);
        let mut attrs: Vec<&AiValue> = self.attributes().iter().collect();
        attrs.sort_by_key(|a| a.ai());
        for (i, a) in attrs.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(a.ai());
            s.push('=');
            s.push_str(&escape(a.value(), true));
        }
        s
    }

    /// The equivalent element string with FNC1 (0x1D) separators, path AIs
    /// first then attributes in stored order.
    pub fn element_string(&self) -> String {
        to_element_string(&self.ais)
    }

    /// The equivalent bracketed element string, e.g. `(01)...(10)...`.
    pub fn bracketed(&self) -> String {
        to_bracketed(&self.ais)
    }

    /// The JSON view used by `tally gs1 parse`.
    pub fn to_json(&self) -> Gs1Json {
        Gs1Json::new(
            Some(self.canonical_uri()),
            &self.ais,
            self.other_params
                .iter()
                .cloned()
                .collect::<BTreeMap<_, _>>(),
        )
    }
}
