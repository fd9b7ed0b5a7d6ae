//! Policy lifetime: the versions of a network's policy, each made by the governance of the one
//! before, so that evidence signed under keys since rotated or retired is judged, years later,
//! under the policy that was in force when its checkpoints were cosigned.
//!
//! A new version is the policy file and a **link**: a C2SP signed note whose text is
//! ```text
//! tally.policy/v1
//! network <network name>
//! version <n>
//! valid-from <Unix seconds>
//! previous <fingerprint of version n-1>
//! policy <fingerprint of version n>
//! ```
//! signed by a governance key of version n-1 (any one of them, as for the registry records that
//! governance signs). Fingerprints are [`Policy::fingerprint`]. A reader starts from a policy it
//! trusts (its *anchor*: installed out of band) and follows links forward only: a version can
//! be reached only through the governance of the one before, never backwards, and two different
//! versions signed as the successor of one are refused (a governance fork is evidence, not a
//! choice to make).
//!
//! Why a signed note: the format every other signed statement here has (checkpoints,
//! cosignatures), verifiable with any C2SP note verifier given the governance keys.

use crate::policy::Policy;
use tally_tlog::{note, SignerKey};
use thiserror::Error;

const HEADER: &str = "tally.policy/v1";

/// A version's policy file and the note that links it to the version before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub json: Vec<u8>,
    pub note: Vec<u8>,
}

/// One version of the policy.
#[derive(Debug, Clone)]
pub struct Version {
    /// `None` for the anchor (its number is one less than its successor's, if it has one).
    pub number: Option<u64>,
    /// In force from (Unix seconds); the anchor from the beginning.
    pub valid_from: u64,
    pub policy: Policy,
}

/// The versions reachable from an anchor, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    versions: Vec<Version>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HistoryError {
    #[error("policy link: {0}")]
    Note(String),
    #[error("policy link: not a {HEADER} statement ({0})")]
    Statement(String),
    #[error("policy link: its policy file is not the one it names")]
    Digest,
    #[error("policy link: the policy file is invalid: {0}")]
    Policy(String),
    #[error("policy version {0} names another network")]
    Network(u64),
    #[error("policy version {got} follows version {before}: versions go up one at a time")]
    Number { got: u64, before: u64 },
    #[error("policy version {0} comes into force before the version it replaces")]
    Order(u64),
    #[error("two different policies were signed as version {0}: a governance fork")]
    Fork(u64),
    #[error("policy version {0} is the same policy as the version before")]
    Unchanged(u64),
}

/// What a link's note says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    network: String,
    number: u64,
    valid_from: u64,
    previous: String,
    policy: String,
}

impl Statement {
    fn text(&self) -> String {
        format!(
            "{HEADER}\nnetwork {}\nversion {}\nvalid-from {}\nprevious {}\npolicy {}\n",
            self.network, self.number, self.valid_from, self.previous, self.policy
        )
    }

    fn parse(text: &[u8]) -> Result<Statement, HistoryError> {
        let bad = |why: &str| HistoryError::Statement(why.into());
        let text = std::str::from_utf8(text).map_err(|_| bad("not UTF-8"))?;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(bad("first line"));
        }
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .map(str::to_owned)
                .ok_or_else(|| bad(name))
        };
        let number = |s: String| s.parse::<u64>().map_err(|_| bad("a number"));
        let s = Statement {
            network: field("network")?,
            number: number(field("version")?)?,
            valid_from: number(field("valid-from")?)?,
            previous: field("previous")?,
            policy: field("policy")?,
        };
        match lines.next() {
            None if s.text() == text => Ok(s),
            _ => Err(bad("extra or malformed lines")),
        }
    }
}

/// The link that makes `next` version `number` of `previous`'s network, in force from
/// `valid_from`, signed by `governance` (a governance key of `previous`).
pub fn sign(
    previous: &Policy,
    next: &Policy,
    number: u64,
    valid_from: u64,
    governance: &SignerKey,
) -> Result<Link, HistoryError> {
    let statement = Statement {
        network: next.network.clone(),
        number,
        valid_from,
        previous: previous.fingerprint(),
        policy: next.fingerprint(),
    };
    let note = note::sign(
        statement.text().as_bytes(),
        std::slice::from_ref(governance),
        0,
    )
    .map_err(|e| HistoryError::Note(e.to_string()))?;
    Ok(Link {
        json: next.to_json().into_bytes(),
        note,
    })
}

impl History {
    /// Every version reachable from `anchor` through `links` (in any order; links that lead
    /// nowhere from the anchor are ignored).
    pub fn walk(anchor: Policy, links: &[Link]) -> Result<History, HistoryError> {
        let mut versions = vec![Version {
            number: None,
            valid_from: 0,
            policy: anchor,
        }];
        loop {
            let last = versions.last().expect("the anchor");
            let next = successors(last, links)?;
            let Some((statement, policy)) = next else {
                return Ok(History { versions });
            };
            check_step(last, &statement, &policy)?;
            versions.push(Version {
                number: Some(statement.number),
                valid_from: statement.valid_from,
                policy,
            });
        }
    }

    /// The versions, oldest first.
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// The version in force at `t` (Unix seconds).
    pub fn in_force(&self, t: u64) -> &Version {
        let mut current = &self.versions[0];
        for v in &self.versions[1..] {
            if v.valid_from <= t {
                current = v;
            }
        }
        current
    }

    /// The newest version.
    pub fn latest(&self) -> &Version {
        self.versions.last().expect("the anchor")
    }
}

/// The one version `links` make the successor of `last`, if any.
fn successors(last: &Version, links: &[Link]) -> Result<Option<(Statement, Policy)>, HistoryError> {
    let fingerprint = last.policy.fingerprint();
    let mut found: Option<(Statement, Policy)> = None;
    for link in links {
        let Ok(opened) = note::open(&link.note, &last.policy.governance) else {
            continue;
        };
        let statement = Statement::parse(&opened.text)?;
        if statement.previous != fingerprint {
            continue;
        }
        let policy = Policy::parse(&link.json).map_err(|e| HistoryError::Policy(e.to_string()))?;
        if policy.fingerprint() != statement.policy {
            return Err(HistoryError::Digest);
        }
        match &found {
            Some((s, _)) if s.policy != statement.policy => {
                return Err(HistoryError::Fork(statement.number))
            }
            _ => found = Some((statement, policy)),
        }
    }
    Ok(found)
}

fn check_step(last: &Version, s: &Statement, policy: &Policy) -> Result<(), HistoryError> {
    if s.policy == s.previous {
        return Err(HistoryError::Unchanged(s.number));
    }
    if policy.network != last.policy.network || s.network != policy.network {
        return Err(HistoryError::Network(s.number));
    }
    if let Some(before) = last.number {
        if s.number != before + 1 {
            return Err(HistoryError::Number {
                got: s.number,
                before,
            });
        }
    }
    if s.valid_from <= last.valid_from {
        return Err(HistoryError::Order(s.number));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_reads_back_only_in_its_one_spelling() {
        let s = Statement {
            network: "tally.example".into(),
            number: 2,
            valid_from: 1_800_000_000,
            previous: "ab".repeat(32),
            policy: "cd".repeat(32),
        };
        assert_eq!(Statement::parse(s.text().as_bytes()), Ok(s.clone()));
        let extra = s.text() + "more\n";
        assert!(Statement::parse(extra.as_bytes()).is_err());
        let spaced = s.text().replace("version 2", "version  2");
        assert!(Statement::parse(spaced.as_bytes()).is_err());
    }
}
