//! GS1 identifier canonicalisation: EPC URNs (GS1 EPC Tag Data Standard, "pure
//! identity" / class / id-pattern URN forms) and GS1 Digital Link URIs with any
//! host are rewritten to the canonical `https://id.gs1.org/…` Digital Link.
//!
//! Why: the CBV 2.0 Event Hash ID must be the same whichever syntax a producer
//! chose for the same object, so every identifier is reduced to one spelling
//! (the most specific key, no query attributes, canonical host) before hashing.
//! The conversion re-derives the GS1 key from the GS1 Company Prefix split that
//! the URN encodes, which needs the GS1 mod-10 check digit.

use regex::Regex;
use std::sync::LazyLock;

/// The GS1 mod-10 check digit (one implementation for all of Tally, in `tally-gs1`).
pub use tally_gs1::gs1_check_digit as check_digit;

/// Canonical GS1 Digital Link for an EPC URN or a (non-canonical) GS1 Digital
/// Link URI; `None` when `value` is neither (it is then not an identifier the
/// hash algorithm rewrites).
pub fn canonical_gs1_uri(value: &str) -> Option<String> {
    // Every convertible form contains a '.' (URN partition or DNS host).
    if !value.contains('.') {
        return None;
    }
    if let Some(rest) = value.strip_prefix("urn:epc:") {
        return urn_to_digital_link(rest);
    }
    canonical_digital_link(value)
}

/// Bytes that TDS lets appear %-escaped in a URN serial (GS1 AI character set 82
/// minus those that may appear literally).
fn escapable(b: u8) -> bool {
    matches!(b, 0x21 | 0x22 | 0x25..=0x3F | 0x41..=0x5A | 0x5F | 0x61..=0x7A)
}

/// Length in characters (a `%xx` escape counting as one) if `s` only uses the URN
/// serial alphabet, else `None`.
fn serial_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(hex, 16).ok()?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) || !escapable(v) {
                return None;
            }
            i += 3;
        } else if c.is_ascii_alphanumeric() || b"!'()*+,-.:;=_".contains(&c) {
            i += 1;
        } else {
            return None;
        }
        n += 1;
    }
    Some(n)
}

fn serial_ok(s: &str, min: usize, max: usize) -> bool {
    serial_len(s).is_some_and(|n| (min..=max).contains(&n))
}

/// Characters that GS1 Digital Link requires to be escaped in a path segment
/// but that a URN may carry literally.
fn dl_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '!' => out.push_str("%21"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '*' => out.push_str("%2A"),
            '+' => out.push_str("%2B"),
            ',' => out.push_str("%2C"),
            ':' => out.push_str("%3A"),
            _ => out.push(c),
        }
    }
    out
}

fn digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// A GS1 Company Prefix (6–12 digits) and a reference completing it to
/// `total` digits: the partition every EPC URN encodes.
fn partition<'a>(cp: &'a str, reference: &'a str, total: usize) -> Option<(&'a str, &'a str)> {
    let ok = (6..=12).contains(&cp.len())
        && digits(cp, cp.len())
        && total >= cp.len()
        && digits(reference, total - cp.len());
    ok.then_some((cp, reference))
}

/// GTIN-14 from company prefix + item reference (whose first digit is the
/// indicator/filter digit that moves to the front).
fn gtin14(cp: &str, item: &str) -> Option<String> {
    let (cp, item) = partition(cp, item, 13)?;
    let body = format!("{}{cp}{}", &item[..1], &item[1..]);
    Some(format!("{body}{}", check_digit(&body)?))
}

/// Key of `total + 1` digits: company prefix, reference, check digit.
fn keyed(cp: &str, reference: &str, total: usize) -> Option<String> {
    let (cp, r) = partition(cp, reference, total)?;
    let body = format!("{cp}{r}");
    Some(format!("{body}{}", check_digit(&body)?))
}

const DL: &str = "https://id.gs1.org";

/// `rest` is the URN after `urn:epc:`.
fn urn_to_digital_link(rest: &str) -> Option<String> {
    let (kind, body) = rest.split_once(':')?;
    let (scheme, body) = match kind {
        "id" | "class" | "idpat" => {
            let (scheme, b) = body.split_once(':')?;
            (format!("{kind}:{scheme}"), b)
        }
        _ => return None,
    };
    let p: Vec<&str> = body.splitn(3, '.').collect();
    let part = |i: usize| p.get(i).copied();
    match scheme.as_str() {
        "id:sgtin" => {
            let serial = part(2)?;
            serial_ok(serial, 1, 20).then(|| {
                Some(format!(
                    "{DL}/01/{}/21/{}",
                    gtin14(part(0)?, part(1)?)?,
                    dl_escape(serial)
                ))
            })?
        }
        "class:lgtin" => {
            let lot = part(2)?;
            serial_ok(lot, 1, 20).then(|| {
                Some(format!(
                    "{DL}/01/{}/10/{}",
                    gtin14(part(0)?, part(1)?)?,
                    dl_escape(lot)
                ))
            })?
        }
        "id:upui" => {
            let tpx = part(2)?;
            serial_ok(tpx, 1, 28).then(|| {
                Some(format!(
                    "{DL}/01/{}/235/{}",
                    gtin14(part(0)?, part(1)?)?,
                    dl_escape(tpx)
                ))
            })?
        }
        "id:sscc" => {
            let (cp, r) = partition(part(0)?, part(1)?, 17)?;
            if p.len() != 2 {
                return None;
            }
            let body = format!("{}{cp}{}", &r[..1], &r[1..]);
            Some(format!("{DL}/00/{body}{}", check_digit(&body)?))
        }
        "id:sgln" => {
            let ext = part(2)?;
            let gln = keyed(part(0)?, part(1)?, 12)?;
            if !serial_ok(ext, 1, 20) {
                return None;
            }
            Some(if ext == "0" {
                format!("{DL}/414/{gln}")
            } else {
                format!("{DL}/414/{gln}/254/{}", dl_escape(ext))
            })
        }
        "id:pgln" if p.len() == 2 => Some(format!("{DL}/417/{}", keyed(part(0)?, part(1)?, 12)?)),
        "id:grai" => {
            let serial = part(2)?;
            let key = keyed(&format!("0{}", part(0)?), part(1)?, 13)?;
            serial_ok(serial, 1, 16).then(|| format!("{DL}/8003/{key}{}", dl_escape(serial)))
        }
        "id:giai" | "id:ginc" => {
            let (cp, r) = body.split_once('.')?;
            partition(cp, "", cp.len())?;
            let ai = if scheme == "id:giai" { "8004" } else { "401" };
            serial_ok(r, 1, 30 - cp.len()).then(|| format!("{DL}/{ai}/{cp}{}", dl_escape(r)))
        }
        "id:gsrn" | "id:gsrnp" if p.len() == 2 => {
            let ai = if scheme == "id:gsrn" { "8018" } else { "8017" };
            Some(format!("{DL}/{ai}/{}", keyed(part(0)?, part(1)?, 17)?))
        }
        "id:gsin" if p.len() == 2 => Some(format!("{DL}/402/{}", keyed(part(0)?, part(1)?, 16)?)),
        "id:gdti" => {
            let serial = part(2)?;
            let key = keyed(part(0)?, part(1)?, 12)?;
            (serial.is_empty() || serial_ok(serial, 1, 17))
                .then(|| format!("{DL}/253/{key}{}", dl_escape(serial)))
        }
        "id:sgcn" => {
            let serial = part(2)?;
            let key = keyed(part(0)?, part(1)?, 12)?;
            let ok = (1..=12).contains(&serial.len()) && digits(serial, serial.len());
            ok.then(|| format!("{DL}/255/{key}{serial}"))
        }
        "id:cpi" => {
            let (cp, cpref, serial) = (part(0)?, part(1)?, part(2)?);
            let ok = partition(cp, "", cp.len()).is_some()
                && cpi_ref_ok(cpref, 30 - cp.len())
                && (1..=12).contains(&serial.len())
                && digits(serial, serial.len());
            ok.then(|| format!("{DL}/8010/{cp}{cpref}/8011/{serial}"))
        }
        "id:itip" => {
            let q: Vec<&str> = body.splitn(5, '.').collect();
            let [cp, item, piece, total, serial] = q.as_slice() else {
                return None;
            };
            let ok = digits(piece, 2) && digits(total, 2) && serial_ok(serial, 1, 20);
            ok.then(|| {
                Some(format!(
                    "{DL}/8006/{}{piece}{total}/21/{}",
                    gtin14(cp, item)?,
                    dl_escape(serial)
                ))
            })?
        }
        "idpat:sgtin" | "idpat:upui" if part(2) == Some("*") => {
            Some(format!("{DL}/01/{}", gtin14(part(0)?, part(1)?)?))
        }
        "idpat:grai" if part(2) == Some("*") => Some(format!(
            "{DL}/8003/{}",
            keyed(&format!("0{}", part(0)?), part(1)?, 13)?
        )),
        "idpat:gdti" if part(2) == Some("*") => {
            Some(format!("{DL}/253/{}", keyed(part(0)?, part(1)?, 12)?))
        }
        "idpat:sgcn" if part(2) == Some("*") => {
            Some(format!("{DL}/255/{}", keyed(part(0)?, part(1)?, 12)?))
        }
        "idpat:cpi" if part(2) == Some("*") => {
            let (cp, cpref) = (part(0)?, part(1)?);
            (partition(cp, "", cp.len()).is_some() && cpi_ref_ok(cpref, 30 - cp.len()))
                .then(|| format!("{DL}/8010/{cp}{cpref}"))
        }
        "idpat:itip" => {
            let q: Vec<&str> = body.splitn(5, '.').collect();
            let [cp, item, piece, total, "*"] = q.as_slice() else {
                return None;
            };
            (digits(piece, 2) && digits(total, 2))
                .then(|| Some(format!("{DL}/8006/{}{piece}{total}", gtin14(cp, item)?)))?
        }
        _ => None,
    }
}

/// CPI component/part reference: `[0-9A-Z-]` or the escapes `%23 %2D %2F`.
fn cpi_ref_ok(s: &str, max: usize) -> bool {
    let b = s.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if b[i] == b'%' {
            match s.get(i + 1..i + 3).map(str::to_ascii_uppercase).as_deref() {
                Some("23" | "2D" | "2F") => i += 3,
                _ => return false,
            }
        } else if b[i].is_ascii_digit() || b[i].is_ascii_uppercase() || b[i] == b'-' {
            i += 1;
        } else {
            return false;
        }
        n += 1;
    }
    (1..=max).contains(&n)
}

/// Primary keys recognised in a Digital Link path, numeric and deprecated alpha.
const DL_KEYS: &str = "01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai";

/// Deprecated alphabetic path names and their numeric AIs.
const ALPHA_AIS: [(&str, &str); 17] = [
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
];

/// Order in which a custom-host link is searched for its primary key.
const REHOST_KEYS: [&str; 14] = [
    "/00/", "/01/", "/253/", "/255/", "/401/", "/402/", "/414/", "/417/", "/8003/", "/8004/",
    "/8006/", "/8010/", "/8017/", "/8018/",
];

/// Digital Link value characters accepted in canonical form (no '%', no '/').
const V: &str = r#"[\x22\x27\x2D\x2E0-9\x3B-\x3FA-Z\x5Fa-z]"#;

#[allow(clippy::expect_used)] // constant patterns, exercised by every test run
static RE: LazyLock<DlRegexes> = LazyLock::new(|| {
    let re = |p: &str| Regex::new(p).expect("constant regex");
    DlRegexes {
        candidate: re(&format!(r"^https?:[^?#]*/({DL_KEYS})/[0-9]{{4}}[^/]")),
        canonical_host: re(
            r"^https://id\.gs1\.org/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/[0-9]{4}[^/]",
        ),
        cpv_plain: re(&format!(
            r"^https://id\.gs1\.org/(8006/[0-9]{{18}}|01/[0-9]{{14}})/22/{V}{{0,20}}$"
        )),
        cpv_more: re(
            r"^https://id\.gs1\.org/(8006/[0-9]{18}|01/[0-9]{14})/22/[/\x22\x27\x2D\x2E0-9\x3B-\x3FA-Z\x5Fa-z]{0,20}$",
        ),
        lot_and_serial: re(&format!(
            r"^https://id\.gs1\.org/(8006/[0-9]{{18}}|01/[0-9]{{14}})/10/{V}{{0,20}}/21/{V}{{0,20}}$"
        )),
        final_form: re(&format!(
            r"^https://id\.gs1\.org/(00/[0-9]{{18}}|01/[0-9]{{14}}(/21/{V}{{0,20}}|/10/{V}{{0,20}}|/235/{V}{{0,28}})?|253/[0-9]{{13}}{V}{{0,17}}|255/[0-9]{{13}}[0-9]{{0,12}}|401/{V}{{0,30}}|402/[0-9]{{17}}|414/[0-9]{{13}}(/254/{V}{{0,20}})?|417/[0-9]{{13}}|8003/[0-9]{{14}}{V}{{0,16}}|8004/{V}{{0,30}}|8006/[0-9]{{18}}(/21/{V}{{0,20}}|/10/{V}{{0,20}})?|8010/[#\-/0-9A-Z]{{0,30}}(/8011/[0-9]{{0,12}})?|8017/[0-9]{{18}}|8018/[0-9]{{18}})$"
        )),
    }
});

struct DlRegexes {
    candidate: Regex,
    canonical_host: Regex,
    cpv_plain: Regex,
    cpv_more: Regex,
    lot_and_serial: Regex,
    final_form: Regex,
}

/// Canonicalise a Digital Link with any host: drop the query, map alpha keys
/// to AIs, move to `id.gs1.org`, zero-pad GTINs to 14 digits, drop the CPV
/// (22) qualifier and a lot (10) that accompanies a serial (21), then accept
/// only the canonical key forms.
fn canonical_digital_link(uri: &str) -> Option<String> {
    if already_canonical(uri) {
        return Some(uri.to_owned());
    }
    canonicalise_digital_link(uri)
}

/// The general path of [`canonical_digital_link`].
fn canonicalise_digital_link(uri: &str) -> Option<String> {
    let re = &*RE;
    if !re.candidate.is_match(uri) {
        return None;
    }
    let mut u = uri.split('?').next().unwrap_or(uri).to_string();
    // Deprecated alphabetic keys are rare: test before rebuilding the string (this runs for every
    // identifier of every hashed event).
    for (alpha, ai) in ALPHA_AIS {
        if u.contains(alpha) {
            u = u.replace(alpha, ai);
        }
    }
    if !re.canonical_host.is_match(&u) {
        if let Some(pos) = REHOST_KEYS.iter().find_map(|k| u.find(k)) {
            u = format!("{DL}{}", &u[pos..]);
        }
    }
    let gtin_digits = u
        .strip_prefix("https://id.gs1.org/01/")
        .map(|r| r.bytes().take_while(u8::is_ascii_digit).count());
    match gtin_digits {
        Some(13) => u = u.replace("/01/", "/01/0"),
        Some(12) => u = u.replace("/01/", "/01/00"),
        Some(8..=11) => u = u.replace("/01/", "/01/000000"),
        _ => {}
    }
    if let Some(pos) = u.find("/22/") {
        let after = u[pos + 4..].to_string();
        if re.cpv_plain.is_match(&u) {
            u.truncate(pos);
        } else if re.cpv_more.is_match(&u) {
            // Without a further '/', the reference keeps only the last character.
            let last = after.char_indices().last().map_or(after.len(), |(i, _)| i);
            let tail = after.find('/').map_or(&after[last..], |i| &after[i..]);
            u = format!("{}{tail}", &u[..pos]);
        }
    }
    if re.lot_and_serial.is_match(&u) {
        if let Some(pos) = u.find("/10/") {
            let after = &u[pos + 4..];
            let tail = after.find('/').map_or("", |i| &after[i..]).to_string();
            u = format!("{}{tail}", &u[..pos]);
        }
    }
    re.final_form.is_match(&u).then_some(u)
}

/// Whether `uri` is already in one of the canonical forms nearly every identifier of an event
/// takes (a unit, a lot, a pallet, a place or a party on `id.gs1.org`), which the general path
/// below would return unchanged: it runs for every identifier of every event a bookkeeper admits,
/// and the general path costs several regular-expression searches and allocations each time.
/// Anything else takes the general path.
fn already_canonical(uri: &str) -> bool {
    // Canonical value characters (the `V` class), without '?' (the general path drops a query).
    let value = |v: &str| {
        (1..=20).contains(&v.len())
            && v.bytes().all(|b| {
                matches!(b, b'"' | b'\'' | b'-' | b'.' | b'0'..=b'9' | b';'..=b'>' | b'A'..=b'Z' | b'_' | b'a'..=b'z')
            })
    };
    let digits = |v: &str, n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_digit());
    let Some(rest) = uri.strip_prefix("https://id.gs1.org/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["01", gtin] => digits(gtin, 14),
        ["01", gtin, "21" | "10", v] => digits(gtin, 14) && value(v),
        ["00", sscc] => digits(sscc, 18),
        ["414" | "417", gln] => digits(gln, 13),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast path never changes an answer: what it accepts, the general path returns
        /// unchanged (identifiers built from canonical-looking pieces, with characters the value
        /// class has and lacks).
        #[test]
        fn the_canonical_fast_path_agrees_with_the_general_path(
            key in proptest::sample::select(vec!["01", "00", "414", "417", "8006", "gtin"]),
            digits in "[0-9]{12,19}",
            qualifier in proptest::sample::select(vec!["", "/21/", "/10/", "/22/", "/235/", "/ser/"]),
            value in r#"[-"'.0-9;<=>?A-Z_a-z%/ +#]{0,22}"#,
            host in proptest::sample::select(vec!["https://id.gs1.org/", "https://example.com/", "http://id.gs1.org/"]),
        ) {
            let uri = format!("{host}{key}/{digits}{qualifier}{value}");
            if already_canonical(&uri) {
                proptest::prop_assert_eq!(canonicalise_digital_link(&uri), Some(uri));
            }
        }
    }

    #[test]
    fn the_fast_path_takes_the_common_forms_and_leaves_the_rest() {
        for (uri, fast) in [
            ("https://id.gs1.org/01/09506000134352/21/SER-1001", true),
            ("https://id.gs1.org/01/09506000134352/10/LOT.2026_11", true),
            ("https://id.gs1.org/01/09506000134352", true),
            ("https://id.gs1.org/00/095060000000000011", true),
            ("https://id.gs1.org/414/9506000000005", true),
            ("https://id.gs1.org/417/9506000000005", true),
            ("https://id.gs1.org/01/09506000134352/21/", false),
            ("https://id.gs1.org/01/09506000134352/21/a?b", false),
            (
                "https://id.gs1.org/01/09506000134352/21/123456789012345678901",
                false,
            ),
            ("https://id.gs1.org/01/09506000134352/10/L/21/S", false),
            ("https://id.gs1.org/01/9506000134352/21/S", false),
            ("https://example.com/01/09506000134352/21/S", false),
            ("https://id.gs1.org/414/9506000000005/254/1", false),
        ] {
            assert_eq!(already_canonical(uri), fast, "{uri}");
            if fast {
                assert_eq!(canonicalise_digital_link(uri).as_deref(), Some(uri));
            }
        }
    }

    #[test]
    fn check_digits() {
        assert_eq!(check_digit("401234500000"), Some(9)); // GLN 4012345000009
        assert_eq!(check_digit("1061414112345"), Some(9));
        assert_eq!(check_digit("12a"), None);
    }

    #[test]
    fn urns() {
        let c = |s: &str| canonical_gs1_uri(s);
        assert_eq!(
            c("urn:epc:id:sgtin:0614141.112345.400").as_deref(),
            Some("https://id.gs1.org/01/10614141123459/21/400")
        );
        assert_eq!(
            c("urn:epc:id:sscc:4012345.0000000333").as_deref(),
            Some("https://id.gs1.org/00/040123450000003338")
        );
        assert_eq!(
            c("urn:epc:id:sgln:4012345.00011.987").as_deref(),
            Some("https://id.gs1.org/414/4012345000115/254/987")
        );
        assert_eq!(c("urn:epc:id:sgtin:0614141.11234.400"), None);
        assert_eq!(c("urn:epc:id:sgtin:0614141.112345."), None);
    }

    #[test]
    fn digital_links() {
        let c = |s: &str| canonical_gs1_uri(s);
        assert_eq!(
            c("https://example.com/gtin/9780345418913/21/765tz?abc=1").as_deref(),
            Some("https://id.gs1.org/01/09780345418913/21/765tz")
        );
        assert_eq!(
            c("https://id.gs1.org/01/04012345111118/10/L1/21/S1").as_deref(),
            Some("https://id.gs1.org/01/04012345111118/21/S1")
        );
        assert_eq!(c("https://example.com/foo"), None);
    }
}
