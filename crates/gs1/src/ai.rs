//! Application Identifier model: the table entry types, value validation
//! (length, character set, linters) and the `req=`/`ex=` pairing rules.

use crate::ai_table::AI_TABLE;
use crate::error::{Error, LintError};
use crate::lint;

/// Character set of one component, as in the syntax dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cset {
    /// Digits only.
    N,
    /// GS1 character set 82 (printable ASCII subset).
    X,
    /// GS1 character set 39 (`A-Z 0-9 # - /`).
    Y,
    /// GS1 character set 64 (base64url, optional `=` padding).
    Z,
}

/// Content checks ("linters") referenced by the syntax dictionary. All of them
/// are implemented in [`crate::lint`]; the variant names follow the
/// dictionary's lower-case names (see [`Linter::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Linter {
    Couponcode,
    Couponposoffer,
    Csum,
    Csumalpha,
    Gcppos1,
    Gcppos2,
    Hasnondigit,
    Hh,
    Hhmi,
    Hyphen,
    Iban,
    Importeridx,
    Iso3166,
    Iso3166999,
    Iso3166alpha2,
    Iso4217,
    Iso5218,
    Latitude,
    Longitude,
    Mediatype,
    Mi,
    Nonzero,
    Nozeroprefix,
    Packagetype,
    Pcenc,
    Pieceoftotal,
    Posinseqslash,
    Ss,
    Winding,
    Yesno,
    Yymmd0,
    Yymmdd,
    Yyyymmdd,
    Zero,
}

impl Linter {
    /// The linter's name as written in the syntax dictionary.
    pub fn name(self) -> &'static str {
        match self {
            Linter::Couponcode => "couponcode",
            Linter::Couponposoffer => "couponposoffer",
            Linter::Csum => "csum",
            Linter::Csumalpha => "csumalpha",
            Linter::Gcppos1 => "gcppos1",
            Linter::Gcppos2 => "gcppos2",
            Linter::Hasnondigit => "hasnondigit",
            Linter::Hh => "hh",
            Linter::Hhmi => "hhmi",
            Linter::Hyphen => "hyphen",
            Linter::Iban => "iban",
            Linter::Importeridx => "importeridx",
            Linter::Iso3166 => "iso3166",
            Linter::Iso3166999 => "iso3166999",
            Linter::Iso3166alpha2 => "iso3166alpha2",
            Linter::Iso4217 => "iso4217",
            Linter::Iso5218 => "iso5218",
            Linter::Latitude => "latitude",
            Linter::Longitude => "longitude",
            Linter::Mediatype => "mediatype",
            Linter::Mi => "mi",
            Linter::Nonzero => "nonzero",
            Linter::Nozeroprefix => "nozeroprefix",
            Linter::Packagetype => "packagetype",
            Linter::Pcenc => "pcenc",
            Linter::Pieceoftotal => "pieceoftotal",
            Linter::Posinseqslash => "posinseqslash",
            Linter::Ss => "ss",
            Linter::Winding => "winding",
            Linter::Yesno => "yesno",
            Linter::Yymmd0 => "yymmd0",
            Linter::Yymmdd => "yymmdd",
            Linter::Yyyymmdd => "yyyymmdd",
            Linter::Zero => "zero",
        }
    }
}

/// One component of an AI's data field, e.g. `N6,yymmd0` or `[X..17]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Character set.
    pub cset: Cset,
    /// Minimum length (equal to `max` for fixed-length components).
    pub min: u8,
    /// Maximum length.
    pub max: u8,
    /// `[...]` in the dictionary: may be absent once the data is exhausted.
    pub optional: bool,
    /// Content checks applied to this component, in order.
    pub linters: &'static [Linter],
}

/// One AI as described by the GS1 Barcode Syntax Dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiEntry {
    /// The AI digits, e.g. `"01"`, `"3103"`.
    pub ai: &'static str,
    /// `*`: pre-defined length, no FNC1 separator needed after it.
    pub fixed_length: bool,
    /// `?`: permitted as a GS1 Digital Link query attribute.
    pub dl_attribute: bool,
    /// The data field, component by component.
    pub components: &'static [Component],
    /// `req=` rules: every rule must be met; a rule is met when all AIs of any
    /// one of its `+`-groups are present (`n` is a digit wildcard).
    pub req: &'static [&'static [&'static [&'static str]]],
    /// `ex=`: AIs/patterns that must not appear together with this AI.
    pub ex: &'static [&'static str],
    /// `dlpkey`: `Some` if this AI is a Digital Link primary key; each inner
    /// slice is one ordered alternative qualifier sequence (`22,10,21|235`).
    pub dlpkey: Option<&'static [&'static [&'static str]]>,
    /// Short title, e.g. `"GTIN"`.
    pub title: &'static str,
}

impl AiEntry {
    /// Shortest valid value length.
    pub fn min_length(&self) -> usize {
        self.components
            .iter()
            .filter(|c| !c.optional)
            .map(|c| usize::from(c.min))
            .sum()
    }

    /// Longest valid value length.
    pub fn max_length(&self) -> usize {
        self.components.iter().map(|c| usize::from(c.max)).sum()
    }

    /// Validates `value` against the length, character set and linters of
    /// this AI. Pairing rules need the other AIs and live in
    /// [`validate_associations`].
    pub fn validate(&self, value: &str) -> Result<(), Error> {
        let data = value.as_bytes();
        if data.is_empty() {
            return Err(Error::EmptyValue { ai: self.ai.into() });
        }
        let (min, max) = (self.min_length(), self.max_length());
        if data.len() > max {
            return Err(self.too_long(value, max));
        }
        if data.len() < min {
            return Err(self.too_short(value, min));
        }
        let mut pos = 0;
        for comp in self.components {
            let rest = data.get(pos..).unwrap_or_default();
            if rest.is_empty() && comp.optional {
                break;
            }
            let take = rest.len().min(usize::from(comp.max));
            if take < usize::from(comp.min) {
                return Err(self.too_short(value, pos + usize::from(comp.min)));
            }
            let part = rest.get(..take).unwrap_or_default();
            let lint = |kind: LintError, off: usize| Error::Lint {
                ai: self.ai.into(),
                value: value.into(),
                pos: pos + off,
                kind,
            };
            lint::check_cset(comp.cset, part).map_err(|(k, o)| lint(k, o))?;
            for &l in comp.linters {
                lint::run(l, part).map_err(|(k, o)| lint(k, o))?;
            }
            pos += take;
        }
        if pos < data.len() {
            return Err(self.too_long(value, pos));
        }
        Ok(())
    }

    fn too_long(&self, value: &str, max: usize) -> Error {
        Error::ValueTooLong {
            ai: self.ai.into(),
            value: value.into(),
            len: value.len(),
            max,
        }
    }

    fn too_short(&self, value: &str, min: usize) -> Error {
        Error::ValueTooShort {
            ai: self.ai.into(),
            value: value.into(),
            len: value.len(),
            min,
        }
    }
}

/// Looks up an AI by its exact digits, e.g. `lookup("3103")`.
pub fn lookup(ai: &str) -> Option<&'static AiEntry> {
    AI_TABLE
        .binary_search_by(|e| e.ai.cmp(ai))
        .ok()
        .and_then(|i| AI_TABLE.get(i))
}

/// Finds the AI that prefixes `data`. GS1 allocates AIs so that no AI is a
/// prefix of another, hence at most one length (2, 3 or 4) can match.
pub(crate) fn lookup_prefix(data: &[u8]) -> Option<&'static AiEntry> {
    (2..=4).find_map(|n| {
        let p = data.get(..n)?;
        if !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        lookup(std::str::from_utf8(p).ok()?)
    })
}

/// A validated AI together with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiValue {
    entry: &'static AiEntry,
    value: String,
}

impl AiValue {
    /// Looks up `ai` and validates `value` against it.
    pub fn new(ai: &str, value: &str) -> Result<Self, Error> {
        let entry = lookup(ai).ok_or_else(|| Error::UnknownAi {
            pos: 0,
            found: ai.chars().take(8).collect(),
        })?;
        Self::with_entry(entry, value)
    }

    pub(crate) fn with_entry(entry: &'static AiEntry, value: &str) -> Result<Self, Error> {
        entry.validate(value)?;
        Ok(AiValue {
            entry,
            value: value.to_owned(),
        })
    }

    /// The AI digits, e.g. `"10"`.
    pub fn ai(&self) -> &'static str {
        self.entry.ai
    }

    /// The value (already validated).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The dictionary title, e.g. `"BATCH/LOT"`.
    pub fn title(&self) -> &'static str {
        self.entry.title
    }

    /// The table entry for this AI.
    pub fn entry(&self) -> &'static AiEntry {
        self.entry
    }
}

/// `n` in dictionary patterns (e.g. `31nn`) matches any digit.
fn pattern_matches(pattern: &str, ai: &str) -> bool {
    pattern.len() == ai.len()
        && pattern
            .bytes()
            .zip(ai.bytes())
            .all(|(p, a)| p == a || (p == b'n' && a.is_ascii_digit()))
}

/// Checks the pairing rules over a complete set of AIs: the same AI must not
/// carry two different values, every `req=` rule must be met and no `ex=`
/// pair may be present.
///
/// The dictionary says pairings should be judged over all carriers on an item;
/// Tally judges each scan on its own, which is what the syntax engine does by
/// default.
pub fn validate_associations(ais: &[AiValue]) -> Result<(), Error> {
    for (i, a) in ais.iter().enumerate() {
        if ais
            .iter()
            .take(i)
            .any(|b| b.ai() == a.ai() && b.value != a.value)
        {
            return Err(Error::ConflictingDuplicate { ai: a.ai().into() });
        }
    }
    for a in ais {
        for pat in a.entry.ex {
            if let Some(other) = ais
                .iter()
                .find(|b| b.ai() != a.ai() && pattern_matches(pat, b.ai()))
            {
                return Err(Error::MutuallyExclusiveAis {
                    ai: a.ai().into(),
                    other: other.ai().into(),
                });
            }
        }
        for rule in a.entry.req {
            let met = rule.iter().any(|group| {
                group
                    .iter()
                    .all(|pat| ais.iter().any(|b| pattern_matches(pat, b.ai())))
            });
            if !met {
                let expected = rule
                    .iter()
                    .map(|g| {
                        g.iter()
                            .map(|p| format!("({p})"))
                            .collect::<Vec<_>>()
                            .join("+")
                    })
                    .collect::<Vec<_>>()
                    .join(" or ");
                return Err(Error::MissingRequiredAi {
                    ai: a.ai().into(),
                    expected,
                });
            }
        }
    }
    Ok(())
}

/// All valid Digital Link path sequences (primary key then qualifiers) for a
/// primary key, sorted as the syntax engine sorts them so that ties in
/// qualifier matching are broken the same way.
pub(crate) fn dl_key_sequences(key: &'static AiEntry) -> Vec<Vec<&'static str>> {
    let mut out: Vec<Vec<&'static str>> = vec![vec![key.ai]];
    for alt in key.dlpkey.unwrap_or_default() {
        let n = alt.len().min(16);
        for mask in 1u32..(1 << n) {
            let mut seq = vec![key.ai];
            seq.extend(
                alt.iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, q)| *q),
            );
            if !out.contains(&seq) {
                out.push(seq);
            }
        }
    }
    out.sort_by_key(|s| s.join(" "));
    out
}

/// True if `seq` (AI strings, primary key first) is a valid Digital Link path
/// sequence: the key is a `dlpkey` and the qualifiers appear in the order of
/// one of its alternatives, each at most once.
pub fn is_valid_dl_path_sequence(seq: &[&str]) -> bool {
    let Some((first, quals)) = seq.split_first() else {
        return false;
    };
    let Some(alts) = lookup(first).and_then(|e| e.dlpkey) else {
        return false;
    };
    if quals.is_empty() {
        return true;
    }
    alts.iter().any(|alt| {
        let mut it = alt.iter();
        quals.iter().all(|q| it.any(|a| a == q))
    })
}
