//! Re-parses gs1-syntax-dictionary.txt and checks the committed AI table
//! against it, entry by entry: every AI present, no extra AIs, same flags,
//! components, linters, pairing rules, dlpkey sequences and title.

use tally_gs1::ai::{AiEntry, Cset};
use tally_gs1::ai_table::AI_TABLE;

#[derive(Debug, PartialEq)]
struct Comp {
    cset: char,
    min: u8,
    max: u8,
    optional: bool,
    linters: Vec<String>,
}

#[derive(Debug, PartialEq)]
struct Entry {
    ai: String,
    fixed: bool,
    attr: bool,
    comps: Vec<Comp>,
    req: Vec<Vec<Vec<String>>>,
    ex: Vec<String>,
    dlpkey: Option<Vec<Vec<String>>>,
    title: String,
}

fn parse_comp(tok: &str) -> Comp {
    let optional = tok.starts_with('[');
    let (typ, rest) = if optional {
        let end = tok.find(']').expect("closing ]");
        (&tok[1..end], &tok[end + 1..])
    } else {
        match tok.find(',') {
            Some(i) => (&tok[..i], &tok[i..]),
            None => (tok, ""),
        }
    };
    let cset = typ.chars().next().unwrap();
    let len = &typ[1..];
    let (min, max) = match len.strip_prefix("..") {
        Some(m) => (1, m.parse().unwrap()),
        None => (len.parse().unwrap(), len.parse().unwrap()),
    };
    let linters = rest
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    Comp {
        cset,
        min,
        max,
        optional,
        linters,
    }
}

fn dictionary() -> Vec<Entry> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/gs1/digital-link/gs1-syntax-dictionary.txt"
    );
    let text = std::fs::read_to_string(path).expect("read dictionary");
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let (body, title) = line.split_once('#').unwrap_or((line, ""));
        let mut toks = body.split_whitespace().peekable();
        let ais = toks.next().unwrap();
        let flags = match toks.peek() {
            Some(f)
                if f.chars()
                    .all(|c| "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~".contains(c)) =>
            {
                toks.next().unwrap()
            }
            _ => "",
        };
        let (mut comps, mut req, mut ex, mut dlpkey) = (Vec::new(), Vec::new(), Vec::new(), None);
        for tok in toks {
            if tok.starts_with(['N', 'X', 'Y', 'Z', '[']) {
                comps.push(parse_comp(tok));
            } else if let Some(r) = tok.strip_prefix("req=") {
                req.push(
                    r.split(',')
                        .map(|g| g.split('+').map(String::from).collect())
                        .collect(),
                );
            } else if let Some(e) = tok.strip_prefix("ex=") {
                ex.extend(e.split(',').map(String::from));
            } else if tok == "dlpkey" {
                dlpkey = Some(Vec::new());
            } else if let Some(d) = tok.strip_prefix("dlpkey=") {
                dlpkey = Some(
                    d.split('|')
                        .map(|a| a.split(',').map(String::from).collect())
                        .collect(),
                );
            } else {
                panic!("unexpected token {tok:?} in {line:?}");
            }
        }
        let names: Vec<String> = match ais.split_once('-') {
            Some((lo, hi)) => (lo.parse::<u32>().unwrap()..=hi.parse().unwrap())
                .map(|n| format!("{n:0width$}", width = lo.len()))
                .collect(),
            None => vec![ais.to_string()],
        };
        for ai in names {
            out.push(Entry {
                ai,
                fixed: flags.contains('*'),
                attr: flags.contains('?'),
                comps: comps
                    .iter()
                    .map(|c| Comp {
                        linters: c.linters.clone(),
                        ..*c
                    })
                    .collect(),
                req: req.clone(),
                ex: ex.clone(),
                dlpkey: dlpkey.clone(),
                title: title.trim().to_string(),
            });
        }
    }
    out
}

impl Clone for Comp {
    fn clone(&self) -> Self {
        Comp {
            linters: self.linters.clone(),
            ..*self
        }
    }
}

fn from_table(e: &AiEntry) -> Entry {
    Entry {
        ai: e.ai.into(),
        fixed: e.fixed_length,
        attr: e.dl_attribute,
        comps: e
            .components
            .iter()
            .map(|c| Comp {
                cset: match c.cset {
                    Cset::N => 'N',
                    Cset::X => 'X',
                    Cset::Y => 'Y',
                    Cset::Z => 'Z',
                },
                min: c.min,
                max: c.max,
                optional: c.optional,
                linters: c.linters.iter().map(|l| l.name().to_string()).collect(),
            })
            .collect(),
        req: e
            .req
            .iter()
            .map(|r| {
                r.iter()
                    .map(|g| g.iter().map(|s| s.to_string()).collect())
                    .collect()
            })
            .collect(),
        ex: e.ex.iter().map(|s| s.to_string()).collect(),
        dlpkey: e.dlpkey.map(|alts| {
            alts.iter()
                .map(|a| a.iter().map(|s| s.to_string()).collect())
                .collect()
        }),
        title: e.title.into(),
    }
}

#[test]
fn table_matches_dictionary_entry_by_entry() {
    let dict = dictionary();
    assert_eq!(dict.len(), AI_TABLE.len(), "same number of AIs");
    for (d, t) in dict.iter().zip(AI_TABLE) {
        assert_eq!(&from_table(t), d);
    }
    assert!(dict.len() > 500);
}

#[test]
fn table_is_sorted_and_prefix_free() {
    for w in AI_TABLE.windows(2) {
        assert!(w[0].ai < w[1].ai, "{} before {}", w[0].ai, w[1].ai);
    }
    // Element strings rely on no AI being a prefix of another.
    for a in AI_TABLE {
        for b in AI_TABLE {
            assert!(
                a.ai == b.ai || !b.ai.starts_with(a.ai),
                "{} prefixes {}",
                a.ai,
                b.ai
            );
        }
    }
    for e in AI_TABLE {
        assert_eq!(tally_gs1::lookup(e.ai), Some(e));
    }
}
