//! Content checks ("linters") from the GS1 Barcode Syntax Tests.
//!
//! Each check works on one component's bytes and returns the failure kind plus
//! the offset of the offending data within the component. They are written
//! from the published descriptions of the GS1 Syntax Tests; code lists (ISO
//! 3166, ISO 4217, package types, media types) are the ones used by the GS1
//! Syntax Engine release that produced the test vectors in `shared/`.

use crate::ai::{Cset, Linter};
use crate::error::LintError;

/// Failure kind and offset within the component.
pub(crate) type LintResult = Result<(), (LintError, usize)>;

const CSET82: &[u8] =
    b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
const CSET39: &[u8] = b"#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const CSET64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CSET32: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

const ISO3166: &[&str] = &[
    "004", "008", "010", "012", "016", "020", "024", "028", "031", "032", "036", "040", "044",
    "048", "050", "051", "052", "056", "060", "064", "068", "070", "072", "074", "076", "084",
    "086", "090", "092", "096", "100", "104", "108", "112", "116", "120", "124", "132", "136",
    "140", "144", "148", "152", "156", "158", "162", "166", "170", "174", "175", "178", "180",
    "184", "188", "191", "192", "196", "203", "204", "208", "212", "214", "218", "222", "226",
    "231", "232", "233", "234", "238", "239", "242", "246", "248", "250", "254", "258", "260",
    "262", "266", "268", "270", "275", "276", "288", "292", "296", "300", "304", "308", "312",
    "316", "320", "324", "328", "332", "334", "336", "340", "344", "348", "352", "356", "360",
    "364", "368", "372", "376", "380", "384", "388", "392", "398", "400", "404", "408", "410",
    "414", "417", "418", "422", "426", "428", "430", "434", "438", "440", "442", "446", "450",
    "454", "458", "462", "466", "470", "474", "478", "480", "484", "492", "496", "498", "499",
    "500", "504", "508", "512", "516", "520", "524", "528", "531", "533", "534", "535", "540",
    "548", "554", "558", "562", "566", "570", "574", "578", "580", "581", "583", "584", "585",
    "586", "591", "598", "600", "604", "608", "612", "616", "620", "624", "626", "630", "634",
    "638", "642", "643", "646", "652", "654", "659", "660", "662", "663", "666", "670", "674",
    "678", "682", "686", "688", "690", "694", "702", "703", "704", "705", "706", "710", "716",
    "724", "728", "729", "732", "740", "744", "748", "752", "756", "760", "762", "764", "768",
    "772", "776", "780", "784", "788", "792", "795", "796", "798", "800", "804", "807", "818",
    "826", "831", "832", "833", "834", "840", "850", "854", "858", "860", "862", "876", "882",
    "887", "894",
];

const ISO3166_ALPHA2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

const ISO4217: &[&str] = &[
    "008", "012", "032", "036", "044", "048", "050", "051", "052", "060", "064", "068", "072",
    "084", "090", "096", "104", "108", "116", "124", "132", "136", "144", "152", "156", "170",
    "174", "188", "191", "192", "203", "208", "214", "222", "230", "232", "238", "242", "262",
    "270", "292", "320", "324", "328", "332", "340", "344", "348", "352", "356", "360", "364",
    "368", "376", "388", "392", "398", "400", "404", "408", "410", "414", "417", "418", "422",
    "426", "430", "434", "446", "454", "458", "462", "480", "484", "496", "498", "504", "512",
    "516", "524", "532", "533", "548", "554", "558", "566", "578", "586", "590", "598", "600",
    "604", "608", "634", "643", "646", "654", "682", "690", "694", "702", "704", "706", "710",
    "728", "748", "752", "756", "760", "764", "776", "780", "784", "788", "800", "807", "818",
    "826", "834", "840", "858", "860", "882", "886", "901", "925", "927", "928", "929", "930",
    "931", "932", "933", "934", "936", "938", "940", "941", "943", "944", "946", "947", "948",
    "949", "950", "951", "952", "953", "955", "956", "957", "958", "959", "960", "961", "962",
    "963", "964", "965", "967", "968", "969", "970", "971", "972", "973", "975", "976", "977",
    "978", "979", "980", "981", "984", "985", "986", "990", "994", "997", "999",
];

/// UN/ECE Recommendation 21 package type codes as used by GS1 (AI 7041).
const PACKAGE_TYPES: &[&str] = &[
    "1A", "1B", "1D", "1F", "1G", "1W", "200", "201", "202", "203", "204", "205", "206", "210",
    "211", "212", "2C", "3A", "3H", "43", "44", "4A", "4B", "4C", "4D", "4F", "4G", "4H", "5H",
    "5L", "5M", "6H", "6P", "7A", "7B", "8", "8A", "8B", "8C", "9", "AA", "AB", "AC", "AD", "AF",
    "AG", "AH", "AI", "AJ", "AL", "AM", "AP", "APE", "AT", "AV", "B4", "BB", "BC", "BD", "BE",
    "BF", "BG", "BGE", "BH", "BI", "BJ", "BK", "BL", "BM", "BME", "BN", "BO", "BP", "BQ", "BR",
    "BRI", "BS", "BT", "BU", "BV", "BW", "BX", "BY", "BZ", "CA", "CB", "CBL", "CC", "CCE", "CD",
    "CE", "CF", "CG", "CH", "CI", "CJ", "CK", "CL", "CM", "CN", "CO", "CP", "CQ", "CR", "CS", "CT",
    "CU", "CV", "CW", "CX", "CY", "CZ", "DA", "DB", "DC", "DG", "DH", "DI", "DJ", "DK", "DL", "DM",
    "DN", "DP", "DPE", "DR", "DS", "DT", "DU", "DV", "DW", "DX", "DY", "E1", "E2", "E3", "EC",
    "ED", "EE", "EF", "EG", "EH", "EI", "EN", "FB", "FC", "FD", "FE", "FI", "FL", "FO", "FOB",
    "FP", "FPE", "FR", "FT", "FW", "FX", "GB", "GI", "GL", "GR", "GU", "GY", "GZ", "HA", "HB",
    "HC", "HG", "HN", "HR", "IA", "IB", "IC", "ID", "IE", "IF", "IG", "IH", "IK", "IL", "IN", "IZ",
    "JB", "JC", "JG", "JR", "JT", "JY", "KG", "KI", "LAB", "LE", "LG", "LT", "LU", "LV", "LZ",
    "MA", "MB", "MC", "ME", "MPE", "MR", "MS", "MT", "MW", "MX", "NA", "NE", "NF", "NG", "NS",
    "NT", "NU", "NV", "OA", "OB", "OC", "OD", "OE", "OF", "OK", "OPE", "OT", "OU", "P2", "PA",
    "PAE", "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PI", "PJ", "PK", "PL", "PLP", "PN", "PO",
    "POP", "PP", "PPE", "PR", "PT", "PU", "PUE", "PV", "PX", "PY", "PZ", "QA", "QB", "QC", "QD",
    "QF", "QG", "QH", "QJ", "QK", "QL", "QM", "QN", "QP", "QQ", "QR", "QS", "RB1", "RB2", "RB3",
    "RCB", "RD", "RG", "RJ", "RK", "RL", "RO", "RT", "RZ", "S1", "SA", "SB", "SC", "SD", "SE",
    "SEC", "SH", "SI", "SK", "SL", "SM", "SO", "SP", "SS", "ST", "STL", "SU", "SV", "SW", "SX",
    "SY", "SZ", "T1", "TB", "TC", "TD", "TE", "TEV", "TG", "THE", "TI", "TK", "TL", "TN", "TO",
    "TR", "TRE", "TS", "TT", "TTE", "TU", "TV", "TW", "TWE", "TY", "TZ", "UC", "UN", "UUE", "VA",
    "VG", "VI", "VK", "VL", "VN", "VO", "VP", "VQ", "VR", "VS", "VY", "WA", "WB", "WC", "WD", "WF",
    "WG", "WH", "WJ", "WK", "WL", "WM", "WN", "WP", "WQ", "WR", "WRP", "WS", "WT", "WU", "WV",
    "WW", "WX", "WY", "WZ", "X11", "X12", "X15", "X16", "X17", "X18", "X19", "X20", "X3", "XA",
    "XB", "XC", "XD", "XF", "XG", "XH", "XJ", "XK", "YA", "YB", "YC", "YD", "YF", "YG", "YH", "YJ",
    "YK", "YL", "YM", "YN", "YP", "YQ", "YR", "YS", "YT", "YV", "YW", "YX", "YY", "YZ", "ZA", "ZB",
    "ZC", "ZD", "ZF", "ZG", "ZH", "ZJ", "ZK", "ZL", "ZM", "ZN", "ZP", "ZQ", "ZR", "ZS", "ZT", "ZU",
    "ZV", "ZW", "ZX", "ZY", "ZZ",
];

/// Minimum number of leading digits that any GS1 Company Prefix has.
const GCP_MIN_LENGTH: usize = 4;

fn in_list(list: &[&str], d: &[u8]) -> bool {
    list.iter().any(|s| s.as_bytes() == d)
}

fn first_not_in(set: &[u8], d: &[u8]) -> Option<usize> {
    d.iter().position(|c| !set.contains(c))
}

fn num(d: &[u8]) -> u64 {
    d.iter().fold(0u64, |acc, c| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(c.wrapping_sub(b'0') % 10))
    })
}

fn two(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 2)
        .filter(|p| p.iter().all(u8::is_ascii_digit))
        .map(num)
}

fn fail(kind: LintError, pos: usize) -> LintResult {
    Err((kind, pos))
}

/// Character-set check for one component.
pub(crate) fn check_cset(cset: Cset, d: &[u8]) -> LintResult {
    match cset {
        Cset::N => match d.iter().position(|c| !c.is_ascii_digit()) {
            Some(p) => fail(LintError::NonDigitCharacter, p),
            None => Ok(()),
        },
        Cset::X => match first_not_in(CSET82, d) {
            Some(p) => fail(LintError::InvalidCset82Character, p),
            None => Ok(()),
        },
        Cset::Y => match first_not_in(CSET39, d) {
            Some(p) => fail(LintError::InvalidCset39Character, p),
            None => Ok(()),
        },
        Cset::Z => {
            let pads = d.iter().rev().take_while(|&&c| c == b'=').count();
            let len = d.len() - pads;
            if pads > 2 || (pads > 0 && d.len() % 3 != 0) {
                return fail(LintError::InvalidCset64Padding, len);
            }
            match first_not_in(CSET64, d.get(..len).unwrap_or_default()) {
                Some(p) => fail(LintError::InvalidCset64Character, p),
                None => Ok(()),
            }
        }
    }
}

/// Runs one named linter over a component.
pub(crate) fn run(linter: Linter, d: &[u8]) -> LintResult {
    use LintError as E;
    match linter {
        Linter::Csum => csum(d),
        Linter::Csumalpha => csumalpha(d),
        Linter::Gcppos1 => gcppos1(d),
        Linter::Gcppos2 => match d.get(1..) {
            Some(rest) => gcppos1(rest).map_err(|(k, p)| (k, p + 1)),
            None => fail(E::TooShortForGcp, 0),
        },
        Linter::Yymmd0 => yymmdd(d, true),
        Linter::Yymmdd => yymmdd(d, false),
        Linter::Yyyymmdd => yyyymmdd(d),
        Linter::Hhmi => hh(d, 0).and_then(|()| mi(d, 2)),
        Linter::Hh => hh(d, 0),
        Linter::Mi => mi(d, 0),
        Linter::Ss => match two(d, 0) {
            Some(s) if s <= 59 && d.len() == 2 => Ok(()),
            _ => fail(E::IllegalSecond, 0),
        },
        Linter::Iso3166 => check(in_list(ISO3166, d), E::NotIso3166),
        Linter::Iso3166999 => check(d == b"999" || in_list(ISO3166, d), E::NotIso3166Or999),
        Linter::Iso3166alpha2 => check(in_list(ISO3166_ALPHA2, d), E::NotIso3166Alpha2),
        Linter::Iso4217 => check(in_list(ISO4217, d), E::NotIso4217),
        Linter::Iso5218 => check(
            matches!(d, b"0" | b"1" | b"2" | b"9"),
            E::InvalidBiologicalSexCode,
        ),
        Linter::Yesno => check(matches!(d, b"0" | b"1"), E::NotZeroOrOne),
        Linter::Winding => check(matches!(d, b"0" | b"1" | b"9"), E::InvalidWindingDirection),
        Linter::Zero => check(d == b"0", E::NotZero),
        Linter::Nonzero => check(d.iter().any(|&c| c != b'0'), E::IllegalZeroValue),
        Linter::Nozeroprefix => check(
            !(d.len() > 1 && d.first() == Some(&b'0')),
            E::IllegalZeroPrefix,
        ),
        Linter::Hasnondigit => check(
            !d.iter().all(u8::is_ascii_digit),
            E::RequiresNonDigitCharacter,
        ),
        Linter::Hyphen => match d.iter().position(|&c| c != b'-') {
            Some(p) => fail(E::NotHyphen, p),
            None => Ok(()),
        },
        Linter::Importeridx => importeridx(d),
        Linter::Packagetype => check(in_list(PACKAGE_TYPES, d), E::InvalidPackageType),
        Linter::Mediatype => {
            let ok = d.len() == 2 && matches!(two(d, 0), Some(1..=10 | 80..=99));
            check(ok, E::InvalidMediaType)
        }
        Linter::Pcenc => pcenc(d),
        Linter::Latitude => check(d.len() == 10 && num(d) <= 1_800_000_000, E::InvalidLatitude),
        Linter::Longitude => check(
            d.len() == 10 && num(d) <= 3_600_000_000,
            E::InvalidLongitude,
        ),
        Linter::Pieceoftotal => pieceoftotal(d),
        Linter::Posinseqslash => posinseqslash(d),
        Linter::Iban => iban(d),
        Linter::Couponcode => couponcode(d),
        Linter::Couponposoffer => couponposoffer(d),
    }
}

fn check(ok: bool, kind: LintError) -> LintResult {
    if ok {
        Ok(())
    } else {
        fail(kind, 0)
    }
}

fn csum(d: &[u8]) -> LintResult {
    let Some((&last, body)) = d.split_last() else {
        return fail(LintError::IncorrectCheckDigit, 0);
    };
    let expected = std::str::from_utf8(body)
        .ok()
        .and_then(crate::check_digit::gs1_check_digit);
    match expected {
        Some(c) if last == b'0' + c => Ok(()),
        _ => fail(LintError::IncorrectCheckDigit, d.len() - 1),
    }
}

fn csumalpha(d: &[u8]) -> LintResult {
    const PRIMES: [u32; 97] = [
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181,
        191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281,
        283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397,
        401, 409, 419, 421, 431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503,
        509,
    ];
    let len = d.len();
    if len < 2 {
        return fail(LintError::TooShortForCheckPair, 0);
    }
    let body_len = len - 2;
    if body_len > PRIMES.len() {
        return fail(LintError::TooLongForCheckPairImplementation, 0);
    }
    let (body, pair) = d.split_at(body_len);
    let mut sum: u32 = 0;
    for (i, c) in body.iter().enumerate() {
        let Some(v) = CSET82.iter().position(|x| x == c) else {
            return fail(LintError::InvalidCset82Character, i);
        };
        // Weights are the primes taken from the right-hand end of the data.
        let w = PRIMES.get(body_len - 1 - i).copied().unwrap_or(0);
        sum += v as u32 * w;
    }
    sum %= 1021;
    for (i, c) in pair.iter().enumerate() {
        if !CSET32.contains(c) {
            return fail(LintError::InvalidCset32Character, body_len + i);
        }
    }
    let hi = CSET32.get((sum >> 5) as usize);
    let lo = CSET32.get((sum & 31) as usize);
    if pair.first() == hi && pair.get(1) == lo {
        Ok(())
    } else {
        fail(LintError::IncorrectCheckPair, body_len)
    }
}

fn gcppos1(d: &[u8]) -> LintResult {
    if d.len() < GCP_MIN_LENGTH {
        return fail(LintError::TooShortForGcp, 0);
    }
    match d
        .iter()
        .take(GCP_MIN_LENGTH)
        .position(|c| !c.is_ascii_digit())
    {
        Some(p) => fail(LintError::InvalidGcpPrefix, p),
        None => Ok(()),
    }
}

fn days_in_month(year_is_leap: bool, month: u64) -> u64 {
    match month {
        2 if year_is_leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn month_day(d: &[u8], at: usize, leap: bool, allow_zero_day: bool) -> LintResult {
    let month = two(d, at).unwrap_or(0);
    if !(1..=12).contains(&month) {
        return fail(LintError::IllegalMonth, at);
    }
    let day = two(d, at + 2).unwrap_or(99);
    if (day == 0 && !allow_zero_day) || day > days_in_month(leap, month) {
        return fail(LintError::IllegalDay, at + 2);
    }
    Ok(())
}

/// YYMMDD; the century is unknown here, so every year divisible by four is
/// treated as a leap year (correct for 2001-2099).
fn yymmdd(d: &[u8], allow_zero_day: bool) -> LintResult {
    let yy = two(d, 0).unwrap_or(1);
    month_day(d, 2, yy % 4 == 0, allow_zero_day)
}

fn yyyymmdd(d: &[u8]) -> LintResult {
    let year = d.get(..4).map(num).unwrap_or(1);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    month_day(d, 4, leap, false)
}

fn hh(d: &[u8], at: usize) -> LintResult {
    match two(d, at) {
        Some(h) if h <= 23 => Ok(()),
        _ => fail(LintError::IllegalHour, at),
    }
}

fn mi(d: &[u8], at: usize) -> LintResult {
    match two(d, at) {
        Some(m) if m <= 59 => Ok(()),
        _ => fail(LintError::IllegalMinute, at),
    }
}

fn importeridx(d: &[u8]) -> LintResult {
    match d {
        [c] if c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_' => Ok(()),
        [_] => fail(LintError::InvalidImportIdxCharacter, 0),
        _ => fail(LintError::ImporterIdxMustBeOneCharacter, 0),
    }
}

fn pcenc(d: &[u8]) -> LintResult {
    for (i, &c) in d.iter().enumerate() {
        if c == b'%' {
            let ok = d
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !ok {
                return fail(LintError::InvalidPercentSequence, i);
            }
        }
    }
    Ok(())
}

fn pieceoftotal(d: &[u8]) -> LintResult {
    let half = d.len() / 2;
    let (piece, total) = d.split_at(half);
    if num(piece) == 0 {
        return fail(LintError::ZeroPieceNumber, 0);
    }
    if num(total) == 0 {
        return fail(LintError::ZeroTotalPieces, half);
    }
    if num(piece) > num(total) {
        return fail(LintError::PieceNumberExceedsTotal, 0);
    }
    Ok(())
}

fn posinseqslash(d: &[u8]) -> LintResult {
    let Some(slash) = d.iter().position(|&c| c == b'/') else {
        return fail(LintError::PositionInSequenceMalformed, 0);
    };
    let (pos, end) = (
        d.get(..slash).unwrap_or_default(),
        d.get(slash + 1..).unwrap_or_default(),
    );
    let numeric = |p: &[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_digit);
    if !numeric(pos) || !numeric(end) {
        return fail(LintError::PositionInSequenceMalformed, 0);
    }
    if pos.first() == Some(&b'0') {
        return fail(LintError::IllegalZeroPrefix, 0);
    }
    if end.first() == Some(&b'0') {
        return fail(LintError::IllegalZeroPrefix, slash + 1);
    }
    if num(pos) > num(end) {
        return fail(LintError::PositionExceedsEnd, 0);
    }
    Ok(())
}

fn iban(d: &[u8]) -> LintResult {
    const MIN: usize = 10;
    const MAX: usize = 34;
    if d.len() < 4 {
        return fail(LintError::IbanTooShort, 0);
    }
    if !in_list(ISO3166_ALPHA2, d.get(..2).unwrap_or_default()) {
        return fail(LintError::IllegalIbanCountryCode, 0);
    }
    if d.len() > MAX {
        return fail(LintError::IbanTooLong, 0);
    }
    if d.len() <= MIN {
        return fail(LintError::IbanTooShort, 0);
    }
    // ISO 13616: move the first four characters to the end, map letters to
    // 10..35 and require the number modulo 97 to be 1.
    let mut sum: u32 = 0;
    for i in (4..d.len()).chain(0..4) {
        let c = d.get(i).copied().unwrap_or(b' ');
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return fail(LintError::InvalidIbanCharacter, i),
        };
        sum = (sum * if v < 10 { 10 } else { 100 } + v) % 97;
    }
    check(sum == 1, LintError::IncorrectIbanChecksum).map_err(|(k, _)| (k, 2))
}

/// A cursor over coupon data, so that each field read is bounds-checked.
struct Cursor<'a> {
    d: &'a [u8],
    p: usize,
}

impl Cursor<'_> {
    fn remaining(&self) -> usize {
        self.d.len().saturating_sub(self.p)
    }
    fn peek(&self) -> Option<u8> {
        self.d.get(self.p).copied()
    }
    /// Reads one digit or fails with `missing`.
    fn digit(&mut self, missing: LintError) -> Result<u8, (LintError, usize)> {
        let c = self.peek().ok_or((missing, 0))?;
        self.p += 1;
        Ok(c.wrapping_sub(b'0'))
    }
    /// Skips `n` characters or fails with `truncated`.
    fn skip(&mut self, n: usize, truncated: LintError) -> LintResult {
        if self.remaining() < n {
            return fail(truncated, self.p);
        }
        self.p += n;
        Ok(())
    }
    /// Reads a VLI digit within `valid` and skips the field it announces
    /// (`vli + offset` long).
    fn vli_field(
        &mut self,
        codes: (LintError, LintError, LintError),
        valid: std::ops::RangeInclusive<u8>,
        offset: usize,
    ) -> LintResult {
        let (missing, invalid, truncated) = codes;
        let at = self.p;
        let v = self.digit(missing)?;
        if !valid.contains(&v) {
            return fail(invalid, at);
        }
        self.skip(usize::from(v) + offset, truncated)
    }
}

fn all_digits(d: &[u8]) -> LintResult {
    match d.iter().position(|c| !c.is_ascii_digit()) {
        Some(p) => fail(LintError::NonDigitCharacter, p),
        None => Ok(()),
    }
}

/// AI (8112): modernised positive offer file coupon.
fn couponposoffer(d: &[u8]) -> LintResult {
    use LintError as E;
    all_digits(d)?;
    let mut c = Cursor { d, p: 0 };
    let at = c.p;
    if c.digit(E::CouponMissingFormatCode)? > 1 {
        return fail(E::CouponInvalidFormatCode, at);
    }
    c.vli_field(
        (
            E::CouponMissingFunderVli,
            E::CouponInvalidFunderLength,
            E::CouponTruncatedFunder,
        ),
        0..=6,
        6,
    )?;
    c.skip(6, E::CouponTruncatedOfferCode)?;
    c.vli_field(
        (
            E::CouponMissingSerialNumberVli,
            E::CouponMissingSerialNumberVli,
            E::CouponTruncatedSerialNumber,
        ),
        0..=9,
        6,
    )?;
    check(c.remaining() == 0, E::CouponExcessData).map_err(|(k, _)| (k, c.p))
}

/// The codes for one "purchase requirement" block of AI (8110), which occurs
/// up to three times with the same layout.
struct PurchaseCodes {
    req: (LintError, LintError, LintError),
    missing_code: LintError,
    invalid_code: LintError,
    family: LintError,
    gcp: (LintError, LintError, LintError),
}

fn purchase_block(c: &mut Cursor<'_>, codes: &PurchaseCodes, with_gcp: bool) -> LintResult {
    c.vli_field(codes.req, 1..=5, 0)?;
    let at = c.p;
    let code = c.digit(codes.missing_code)?;
    if code > 4 && code != 9 {
        return fail(codes.invalid_code, at);
    }
    c.skip(3, codes.family)?;
    if with_gcp {
        let at = c.p;
        let v = c.digit(codes.gcp.0)?;
        if v > 6 && v != 9 {
            return fail(codes.gcp.1, at);
        }
        if v != 9 {
            c.skip(usize::from(v) + 6, codes.gcp.2)?;
        }
    }
    Ok(())
}

/// AI (8110): North American coupon code.
fn couponcode(d: &[u8]) -> LintResult {
    use LintError as E;
    all_digits(d)?;
    let mut c = Cursor { d, p: 0 };
    c.vli_field(
        (
            E::CouponMissingGcpVli,
            E::CouponInvalidGcpLength,
            E::CouponTruncatedGcp,
        ),
        0..=6,
        6,
    )?;
    c.skip(6, E::CouponTruncatedOfferCode)?;
    c.vli_field(
        (
            E::CouponMissingSaveValueVli,
            E::CouponInvalidSaveValueLength,
            E::CouponTruncatedSaveValue,
        ),
        1..=5,
        0,
    )?;
    purchase_block(
        &mut c,
        &PurchaseCodes {
            req: (
                E::CouponMissing1stPurchaseRequirementVli,
                E::CouponInvalid1stPurchaseRequirementLength,
                E::CouponTruncated1stPurchaseRequirement,
            ),
            missing_code: E::CouponMissing1stPurchaseRequirementCode,
            invalid_code: E::CouponInvalid1stPurchaseRequirementCode,
            family: E::CouponTruncated1stPurchaseFamilyCode,
            gcp: (
                E::CouponMissingGcpVli,
                E::CouponInvalidGcpLength,
                E::CouponTruncatedGcp,
            ),
        },
        false,
    )?;
    if c.peek() == Some(b'1') {
        c.p += 1;
        let at = c.p;
        if c.digit(E::CouponMissingAdditionalPurchaseRulesCode)? > 3 {
            return fail(E::CouponInvalidAdditionalPurchaseRulesCode, at);
        }
        purchase_block(
            &mut c,
            &PurchaseCodes {
                req: (
                    E::CouponMissing2ndPurchaseRequirementVli,
                    E::CouponInvalid2ndPurchaseRequirementLength,
                    E::CouponTruncated2ndPurchaseRequirement,
                ),
                missing_code: E::CouponMissing2ndPurchaseRequirementCode,
                invalid_code: E::CouponInvalid2ndPurchaseRequirementCode,
                family: E::CouponTruncated2ndPurchaseFamilyCode,
                gcp: (
                    E::CouponMissing2ndPurchaseGcpVli,
                    E::CouponInvalid2ndPurchaseGcpLength,
                    E::CouponTruncated2ndPurchaseGcp,
                ),
            },
            true,
        )?;
    }
    if c.peek() == Some(b'2') {
        c.p += 1;
        purchase_block(
            &mut c,
            &PurchaseCodes {
                req: (
                    E::CouponMissing3rdPurchaseRequirementVli,
                    E::CouponInvalid3rdPurchaseRequirementLength,
                    E::CouponTruncated3rdPurchaseRequirement,
                ),
                missing_code: E::CouponMissing3rdPurchaseRequirementCode,
                invalid_code: E::CouponInvalid3rdPurchaseRequirementCode,
                family: E::CouponTruncated3rdPurchaseFamilyCode,
                gcp: (
                    E::CouponMissing3rdPurchaseGcpVli,
                    E::CouponInvalid3rdPurchaseGcpLength,
                    E::CouponTruncated3rdPurchaseGcp,
                ),
            },
            true,
        )?;
    }
    let mut expiry: Option<&[u8]> = None;
    if c.peek() == Some(b'3') {
        c.p += 1;
        let at = c.p;
        c.skip(6, E::CouponTooShortForExpirationDate)?;
        let date = d.get(at..at + 6).unwrap_or_default();
        yymmdd(date, false).map_err(|_| (E::CouponInvalidExpirationDate, at))?;
        expiry = Some(date);
    }
    if c.peek() == Some(b'4') {
        c.p += 1;
        let at = c.p;
        c.skip(6, E::CouponTooShortForStartDate)?;
        let date = d.get(at..at + 6).unwrap_or_default();
        yymmdd(date, false).map_err(|_| (E::CouponInvalidStartDate, at))?;
        if expiry.is_some_and(|e| date > e) {
            return fail(E::CouponExpirationBeforeStart, at);
        }
    }
    if c.peek() == Some(b'5') {
        c.p += 1;
        c.vli_field(
            (
                E::CouponMissingSerialNumberVli,
                E::CouponMissingSerialNumberVli,
                E::CouponTruncatedSerialNumber,
            ),
            0..=9,
            6,
        )?;
    }
    if c.peek() == Some(b'6') {
        c.p += 1;
        c.vli_field(
            (
                E::CouponMissingRetailerGcpOrGlnVli,
                E::CouponInvalidRetailerGcpOrGlnLength,
                E::CouponTruncatedRetailerGcpOrGln,
            ),
            1..=7,
            6,
        )?;
    }
    if c.peek() == Some(b'9') {
        c.p += 1;
        let at = c.p;
        if !matches!(c.digit(E::CouponMissingSaveValueCode)?, 0 | 1 | 2 | 5 | 6) {
            return fail(E::CouponInvalidSaveValueCode, at);
        }
        let at = c.p;
        if c.digit(E::CouponMissingSaveValueAppliesToItem)? > 2 {
            return fail(E::CouponInvalidSaveValueAppliesToItem, at);
        }
        c.digit(E::CouponMissingStoreCouponFlag)?;
        let at = c.p;
        if c.digit(E::CouponMissingDontMultiplyFlag)? > 1 {
            return fail(E::CouponInvalidDontMultiplyFlag, at);
        }
    }
    check(c.remaining() == 0, E::CouponExcessData).map_err(|(k, _)| (k, c.p))
}
