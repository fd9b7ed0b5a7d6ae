//! [c2sp.org/tlog-policy](https://c2sp.org/tlog-policy): which logs and witnesses a verifier
//! trusts, and the quorum of witnesses a checkpoint needs, in the line format Sigsum's tools and
//! other offline verifiers read. Tally's own policy says more (operators, governance, k of n logs,
//! freshness); `tally_trust::Policy::tlog_policy` writes what this format can say, one file per
//! log, so that a proof of that log checks with tools that are not ours.
//!
//! Read strictly: every rule of the specification is enforced (names defined before use, one
//! quorum line, no duplicate keys, each name a member at most once, 1 ≤ k ≤ n, the allowed
//! octets). Names and URLs are opaque octets, as the specification says; keys are vkeys, Ed25519
//! (0x01) for logs and `cosignature/v1` (0x04) for witnesses. No maintained Rust crate implements
//! the format, so this is our own.

use crate::keys::{KeyType, VerifierKey};
use thiserror::Error;

/// The predefined name of the empty quorum.
pub const NONE: &[u8] = b"none";

/// Names, groups and logs beyond these are refused: the specification asks for at least 32 of
/// each, and a verifier's policy is small.
const LIMIT: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    pub key: VerifierKey,
    pub url: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Witness {
    pub name: Vec<u8>,
    pub key: VerifierKey,
    pub url: Option<Vec<u8>>,
}

/// A group witnesses a checkpoint when at least `k` of its members do.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: Vec<u8>,
    pub k: usize,
    pub members: Vec<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TlogPolicy {
    pub logs: Vec<Log>,
    pub witnesses: Vec<Witness>,
    pub groups: Vec<Group>,
    /// A witness, a group, or [`NONE`].
    pub quorum: Vec<u8>,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("line {line}: {why}")]
pub struct TlogPolicyError {
    pub line: usize,
    pub why: String,
}

impl TlogPolicy {
    /// Parses a policy file.
    pub fn parse(text: &[u8]) -> Result<TlogPolicy, TlogPolicyError> {
        let mut p = Builder::default();
        let mut lines = text.split(|&b| b == b'\n').enumerate().peekable();
        while let Some((i, line)) = lines.next() {
            let err = |why: String| TlogPolicyError { line: i + 1, why };
            if lines.peek().is_none() && !line.is_empty() {
                return Err(err("the last line does not end in a newline".into()));
            }
            if let Some(b) = line.iter().find(|&&b| b != b'\t' && b < 0x20 || b == 0x7f) {
                return Err(err(format!("control character 0x{b:02x}")));
            }
            let words: Vec<&[u8]> = line
                .split(|&b| b == b' ' || b == b'\t')
                .filter(|w| !w.is_empty())
                .collect();
            if words.first().is_none_or(|w| w.starts_with(b"#")) {
                continue;
            }
            p.line(&words).map_err(err)?;
        }
        let quorum = p.quorum.ok_or(TlogPolicyError {
            line: 0,
            why: "no quorum line".into(),
        })?;
        Ok(TlogPolicy {
            logs: p.logs,
            witnesses: p.witnesses,
            groups: p.groups,
            quorum,
        })
    }

    /// The policy file's bytes: logs, witnesses, groups in order, then the quorum.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut line = |words: &[&[u8]]| {
            out.extend_from_slice(&words.join(&b' '));
            out.push(b'\n');
        };
        for l in &self.logs {
            let key = l.key.to_string();
            let mut words: Vec<&[u8]> = vec![b"log", key.as_bytes()];
            words.extend(l.url.as_deref());
            line(&words);
        }
        for w in &self.witnesses {
            let key = w.key.to_string();
            let mut words: Vec<&[u8]> = vec![b"witness", &w.name, key.as_bytes()];
            words.extend(w.url.as_deref());
            line(&words);
        }
        for g in &self.groups {
            let k = g.k.to_string();
            let mut words: Vec<&[u8]> = vec![b"group", &g.name, k.as_bytes()];
            words.extend(g.members.iter().map(Vec::as_slice));
            line(&words);
        }
        line(&[b"quorum", &self.quorum]);
        out
    }

    /// The log whose key name is `origin`.
    pub fn log(&self, origin: &str) -> Option<&VerifierKey> {
        self.logs
            .iter()
            .map(|l| &l.key)
            .find(|k| k.name() == origin)
    }

    /// Every witness key, to verify a checkpoint's cosignatures with.
    pub fn witness_keys(&self) -> Vec<VerifierKey> {
        self.witnesses.iter().map(|w| w.key.clone()).collect()
    }

    /// Whether the witnesses whose cosignatures verified, `cosigned`, meet the quorum.
    pub fn quorum_met(&self, cosigned: &[VerifierKey]) -> bool {
        self.witnessed(&self.quorum, cosigned)
    }

    fn witnessed(&self, name: &[u8], cosigned: &[VerifierKey]) -> bool {
        if name == NONE {
            return true;
        }
        if let Some(w) = self.witnesses.iter().find(|w| w.name == name) {
            return cosigned.iter().any(|k| same_key(k, &w.key));
        }
        self.groups
            .iter()
            .find(|g| g.name == name)
            .is_some_and(|g| {
                let n = g
                    .members
                    .iter()
                    .filter(|m| self.witnessed(m, cosigned))
                    .count();
                n >= g.k
            })
    }
}

/// Two vkeys are the same key when they wrap the same public key, whatever their names.
fn same_key(a: &VerifierKey, b: &VerifierKey) -> bool {
    a.kind() == b.kind() && a.ed25519() == b.ed25519()
}

/// The policy as its lines are read.
#[derive(Default)]
struct Builder {
    logs: Vec<Log>,
    witnesses: Vec<Witness>,
    groups: Vec<Group>,
    quorum: Option<Vec<u8>>,
    /// Names already used as a group member: each may be one only once.
    members: Vec<Vec<u8>>,
}

impl Builder {
    fn line(&mut self, words: &[&[u8]]) -> Result<(), String> {
        if self.quorum.is_some() {
            return Err("nothing may follow the quorum line".into());
        }
        if self.logs.len() + self.witnesses.len() + self.groups.len() >= LIMIT {
            return Err(format!("more than {LIMIT} logs, witnesses and groups"));
        }
        match words {
            [b"log", key, url @ ..] if url.len() <= 1 => self.log(key, url.first()),
            [b"witness", name, key, url @ ..] if url.len() <= 1 => {
                self.witness(name, key, url.first())
            }
            [b"group", name, k, members @ ..] if !members.is_empty() => {
                self.group(name, k, members)
            }
            [b"quorum", name] => self.quorum(name),
            _ => Err(format!(
                "not a policy line: {:?}",
                String::from_utf8_lossy(&words.join(&b' '))
            )),
        }
    }

    fn log(&mut self, key: &[u8], url: Option<&&[u8]>) -> Result<(), String> {
        let key = vkey(key, KeyType::Ed25519)?;
        if self.logs.iter().any(|l| same_key(&l.key, &key)) {
            return Err(format!("log {} is listed twice", key.name()));
        }
        let url = url.map(|u| u.to_vec());
        self.logs.push(Log { key, url });
        Ok(())
    }

    fn witness(&mut self, name: &[u8], key: &[u8], url: Option<&&[u8]>) -> Result<(), String> {
        self.fresh(name)?;
        let key = vkey(key, KeyType::Cosignature)?;
        if self.witnesses.iter().any(|w| same_key(&w.key, &key)) {
            return Err(format!("witness key {} is listed twice", key.name()));
        }
        let (name, url) = (name.to_vec(), url.map(|u| u.to_vec()));
        self.witnesses.push(Witness { name, key, url });
        Ok(())
    }

    fn group(&mut self, name: &[u8], k: &[u8], members: &[&[u8]]) -> Result<(), String> {
        self.fresh(name)?;
        for m in members {
            if *m == NONE || !self.defined(m) {
                return Err(format!("{:?} is not a defined witness or group", show(m)));
            }
            if self.members.iter().any(|x| x == m) {
                return Err(format!("{:?} is already a group member", show(m)));
            }
            self.members.push(m.to_vec());
        }
        let n = members.len();
        let k = match k {
            b"all" => n,
            b"any" => 1,
            k => decimal(k)
                .filter(|k| (1..=n).contains(k))
                .ok_or_else(|| format!("threshold {:?}: all, any, or 1 to {n}", show(k)))?,
        };
        let members = members.iter().map(|m| m.to_vec()).collect();
        self.groups.push(Group {
            name: name.to_vec(),
            k,
            members,
        });
        Ok(())
    }

    fn quorum(&mut self, name: &[u8]) -> Result<(), String> {
        if name != NONE && !self.defined(name) {
            return Err(format!("quorum {:?} is not defined above", show(name)));
        }
        self.quorum = Some(name.to_vec());
        Ok(())
    }

    fn defined(&self, name: &[u8]) -> bool {
        self.witnesses.iter().any(|w| w.name == name) || self.groups.iter().any(|g| g.name == name)
    }

    /// A new name: not `none`, not already a witness or group.
    fn fresh(&self, name: &[u8]) -> Result<(), String> {
        if name == NONE || self.defined(name) {
            return Err(format!("the name {:?} is already taken", show(name)));
        }
        Ok(())
    }
}

fn vkey(word: &[u8], kind: KeyType) -> Result<VerifierKey, String> {
    let text = std::str::from_utf8(word).map_err(|_| "a vkey is UTF-8".to_owned())?;
    let key = VerifierKey::parse(text).map_err(|e| format!("vkey {text:?}: {e}"))?;
    if key.kind() != kind {
        return Err(format!("{} is not a key of type {kind:?}", key.name()));
    }
    Ok(key)
}

/// A decimal without leading zeros.
fn decimal(s: &[u8]) -> Option<usize> {
    let ok = !s.is_empty() && s.iter().all(u8::is_ascii_digit) && s[0] != b'0';
    ok.then(|| std::str::from_utf8(s).ok()?.parse().ok())?
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SignerKey;

    fn key(name: &str, kind: KeyType, seed: u8) -> VerifierKey {
        SignerKey::from_seed(name, kind, &[seed; 32])
            .unwrap()
            .verifier()
    }

    /// The specification's example, with real keys where it elides them.
    fn example() -> (String, Vec<VerifierKey>) {
        let w: Vec<VerifierKey> = (1..=6)
            .map(|i| key(&format!("w{i}.example"), KeyType::Cosignature, i))
            .collect();
        let log = key("example.com/log", KeyType::Ed25519, 9);
        let text = format!(
            "log {log}\n\n# X\nwitness X1 {}\nwitness X2 {}\n  witness\tX3 {}  \ngroup X-witnesses 2 X1 X2 X3\n\n\
             witness Y1 {}\nwitness Y2 {}\nwitness Y3 {}\ngroup Y-witnesses any Y1 Y2 Y3\n\n\
             group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
            w[0], w[1], w[2], w[3], w[4], w[5]
        );
        (text, w)
    }

    #[test]
    fn the_specifications_example_means_two_xs_and_one_y() {
        let (text, w) = example();
        let p = TlogPolicy::parse(text.as_bytes()).unwrap();
        assert_eq!(p.logs.len(), 1);
        assert_eq!(p.log("example.com/log").unwrap().name(), "example.com/log");
        assert_eq!(p.groups[0].k, 2);
        assert_eq!((p.groups[1].k, p.groups[2].k), (1, 2));
        let met =
            |ix: &[usize]| p.quorum_met(&ix.iter().map(|&i| w[i].clone()).collect::<Vec<_>>());
        assert!(met(&[0, 1, 3]) && met(&[0, 2, 5]) && met(&[0, 1, 2, 3, 4, 5]));
        assert!(!met(&[0, 3, 4, 5]) && !met(&[0, 1, 2]) && !met(&[]));
        // Written out and read back, it means the same.
        let again = TlogPolicy::parse(&p.to_bytes()).unwrap();
        assert_eq!(again, p);
    }

    #[test]
    fn every_rule_of_the_format_is_enforced() {
        let (good, w) = example();
        let wit = |i: usize| format!("witness Z {}\n", w[i]);
        let log2 = key("other.example/log", KeyType::Ed25519, 9);
        let cases = [
            good.replacen("quorum X-and-Y", "quorum Z", 1),
            good.replacen("quorum X-and-Y\n", "", 1),
            good.clone() + "quorum X-and-Y\n",
            good.replacen("group X-witnesses 2", "group X-witnesses 4", 1),
            good.replacen("group X-witnesses 2", "group X-witnesses 0", 1),
            good.replacen("group X-witnesses 2", "group X-witnesses 02", 1),
            good.replacen("group Y-witnesses any Y1", "group Y-witnesses any X1", 1),
            good.replacen("group X-and-Y all X-witnesses", "group X-and-Y all none", 1),
            good.replacen(
                "group X-and-Y all X-witnesses",
                "group X-and-Y all Later",
                1,
            ),
            good.replacen("witness Y1", "witness X1", 1),
            good.replacen("witness Y1", "witness none", 1),
            good.replacen("# X\n", &wit(0), 1),
            good.replacen("# X\n", &format!("log {log2}\n"), 1),
            good.replacen("# X\n", &format!("log {}\n", w[0]), 1),
            good.replacen("# X\n", "logs everything\n", 1),
            good.replacen("# X\n", "# X\r\n", 1),
            good.trim_end().to_owned(),
            good.replacen("group Y-witnesses any Y1 Y2 Y3", "group Y-witnesses any", 1),
        ];
        for text in cases {
            assert!(
                TlogPolicy::parse(text.as_bytes()).is_err(),
                "accepted:\n{text}"
            );
        }
        assert!(TlogPolicy::parse(b"quorum none\n").unwrap().quorum_met(&[]));
    }
}
