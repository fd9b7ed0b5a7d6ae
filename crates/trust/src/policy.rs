//! The network policy: the one file that defines a Tally network.
//!
//! A client installs it once (from its operator, out of band) and from then on trusts nothing that is
//! not derived from it: which bookkeepers exist, which keys sign their checkpoints and cosignatures,
//! which governance keys may register organisations, and how many independent logs and witnesses
//! must agree. Counting is by distinct keys and distinct operators, never by lines: two bookkeepers
//! run by one organisation are one vote.
//!
//! Format (JSON):
//! ```json
//! {
//!   "network": "tally.example",
//!   "governance": ["gov+1234abcd+AQ..."],
//!   "bookkeepers": [
//!     {"name": "bk1", "operator": "Org A", "log_key": "bk1.example/log+...+AQ...",
//!      "witness_key": "bk1.example/witness+...+BA...", "urls": ["http://127.0.0.1:7001"],
//!      "tiles": "https://tiles.bk1.example/"}
//!   ],
//!   "log_quorum": 2,
//!   "witness_threshold": 1,
//!   "max_checkpoint_age_seconds": 300,
//!   "cold_chain": [{"gtin_prefix": "0950600", "min_celsius": -1.0, "max_celsius": 4.0}]
//! }
//! ```
//!
//! Two rules protect a client from the network path rather than from the bookkeepers:
//! - **Transport**: a bookkeeper URL must be `https://`, except on a loopback host (a local test
//!   network). Signatures make an answer unforgeable, but not fresh: over plain HTTP anyone on the
//!   path could replay an old one or hold answers back.
//! - **Freshness**: a checkpoint counts only if enough independent witnesses cosigned it within
//!   `max_checkpoint_age_seconds` (default [`DEFAULT_MAX_CHECKPOINT_AGE`]). Cosignature
//!   timestamps are the only clock a C2SP checkpoint carries, so a policy that asks for no
//!   witnesses (`witness_threshold: 0`) gets no freshness either, and must say so with
//!   `"allow_unwitnessed": true`.
//!
//! A network whose members keep their trade data confidential says `"confidential": true`: its
//! bookkeepers then log sealed events only (see `tally-confidential`), and its devices refuse to
//! record a handoff none of whose codes carries a label, so that no careless device puts a plain
//! event into a public log. Its registry records are sealed too (see `sealed_registry`), for a
//! registry secret governance gives its members beside this policy, never in it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::net::IpAddr;
use tally_tlog::{KeyType, TlogPolicy, VerifierKey};
use thiserror::Error;

/// Largest policy file accepted.
pub const MAX_POLICY_BYTES: usize = 1024 * 1024;
/// How old (seconds) the witnesses' cosignatures of a checkpoint may be, unless the policy says:
/// five minutes, as Sigsum's witnesses refresh. An answer older than this may have been replayed
/// from before a sale or a recall was logged.
pub const DEFAULT_MAX_CHECKPOINT_AGE: u64 = 300;

/// A policy file that cannot define a network.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PolicyError {
    #[error("policy is larger than {MAX_POLICY_BYTES} bytes")]
    TooLarge,
    #[error("policy is not valid JSON of the expected shape: {0}")]
    Json(String),
    #[error("{what} key {key:?}: {reason}")]
    Key {
        what: &'static str,
        key: String,
        reason: String,
    },
    #[error("bookkeeper name {0:?} appears twice")]
    DuplicateName(String),
    #[error(
        "bookkeepers {0:?} and {1:?} share a key: each must have its own log and witness keys"
    )]
    SharedKey(String, String),
    #[error("bookkeeper {0:?} has no URL")]
    NoUrl(String),
    #[error(
        "bookkeeper {name:?} URL {url:?} is not https:// (plain http:// only on a loopback host)"
    )]
    BadUrl { name: String, url: String },
    #[error("log quorum {k} is impossible: only {operators} distinct operators run bookkeepers")]
    QuorumTooLarge { k: usize, operators: usize },
    #[error("log quorum must be at least 1")]
    QuorumZero,
    #[error("witness threshold {t} is impossible: a log has at most {peers} witnesses of other operators")]
    WitnessThresholdTooLarge { t: usize, peers: usize },
    #[error("witness threshold 0 means no witness checks a log and no answer can be shown fresh; say \"allow_unwitnessed\": true if that is meant")]
    Unwitnessed,
    #[error("max_checkpoint_age_seconds must be at least 1")]
    ZeroAge,
    #[error("policy has no governance key")]
    NoGovernance,
    #[error("cold-chain rule for {0:?} has min above max")]
    BadColdChain(String),
}

/// One bookkeeper as the policy declares it.
#[derive(Debug, Clone)]
pub struct Bookkeeper {
    /// Short name, unique in the policy.
    pub name: String,
    /// The organisation that runs it; quorums count operators, not machines.
    pub operator: String,
    /// Signs the log's checkpoints (type 0x01); its name is the log's origin.
    pub log_key: VerifierKey,
    /// Cosigns the other logs' checkpoints (type 0x04).
    pub witness_key: VerifierKey,
    /// Base URLs, tried in order.
    pub urls: Vec<String>,
    /// Where the log's reads are published as static files (its `checkpoint` and c2sp.org/tlog-tiles
    /// tiles, e.g. behind a CDN), if they are: a client then reads the checkpoint, entries and
    /// proofs from there, and asks `urls` only which entries concern a product.
    pub tiles: Option<String>,
}

/// A temperature range that a product class must stay within.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColdChainRule {
    /// Applies to GTINs (14 digits) starting with this prefix.
    pub gtin_prefix: String,
    pub min_celsius: f64,
    pub max_celsius: f64,
}

/// A validated network policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub network: String,
    pub governance: Vec<VerifierKey>,
    pub bookkeepers: Vec<Bookkeeper>,
    /// k: an entry must be proven in the logs of at least k distinct operators.
    pub log_quorum: usize,
    /// Each checkpoint needs cosignatures from witnesses of at least this many other operators.
    pub witness_threshold: usize,
    /// The policy explicitly accepts `witness_threshold` 0 (no witnesses, no freshness).
    pub allow_unwitnessed: bool,
    /// Seconds within which `witness_threshold` independent witnesses must have cosigned a
    /// checkpoint for an online verdict to use it.
    pub max_checkpoint_age: u64,
    pub cold_chain: Vec<ColdChainRule>,
    /// Only sealed events are logged.
    pub confidential: bool,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    network: String,
    governance: Vec<String>,
    bookkeepers: Vec<RawBookkeeper>,
    log_quorum: usize,
    witness_threshold: usize,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    allow_unwitnessed: bool,
    #[serde(default = "default_age")]
    max_checkpoint_age_seconds: u64,
    #[serde(default)]
    cold_chain: Vec<ColdChainRule>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    confidential: bool,
}

fn default_age() -> u64 {
    DEFAULT_MAX_CHECKPOINT_AGE
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawBookkeeper {
    name: String,
    operator: String,
    log_key: String,
    witness_key: String,
    urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tiles: Option<String>,
}

fn key(what: &'static str, s: &str, kind: KeyType) -> Result<VerifierKey, PolicyError> {
    let k = VerifierKey::parse(s).map_err(|e| PolicyError::Key {
        what,
        key: s.to_owned(),
        reason: e.to_string(),
    })?;
    if k.kind() != kind {
        return Err(PolicyError::Key {
            what,
            key: s.to_owned(),
            reason: format!("must be of type 0x{:02x}", kind.byte()),
        });
    }
    Ok(k)
}

impl Policy {
    /// Parses and validates a policy file.
    pub fn parse(bytes: &[u8]) -> Result<Self, PolicyError> {
        if bytes.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge);
        }
        let raw: RawPolicy =
            serde_json::from_slice(bytes).map_err(|e| PolicyError::Json(e.to_string()))?;
        let governance = raw
            .governance
            .iter()
            .map(|g| key("governance", g, KeyType::Ed25519))
            .collect::<Result<Vec<_>, _>>()?;
        if governance.is_empty() {
            return Err(PolicyError::NoGovernance);
        }
        let mut bookkeepers: Vec<Bookkeeper> = Vec::new();
        for b in raw.bookkeepers {
            if b.urls.is_empty() {
                return Err(PolicyError::NoUrl(b.name));
            }
            if let Some(url) = b.urls.iter().chain(&b.tiles).find(|u| !acceptable_url(u)) {
                return Err(PolicyError::BadUrl {
                    name: b.name.clone(),
                    url: url.clone(),
                });
            }
            let bk = Bookkeeper {
                log_key: key("log", &b.log_key, KeyType::Ed25519)?,
                witness_key: key("witness", &b.witness_key, KeyType::Cosignature)?,
                name: b.name,
                operator: b.operator,
                urls: b.urls,
                tiles: b.tiles,
            };
            for other in &bookkeepers {
                if other.name == bk.name {
                    return Err(PolicyError::DuplicateName(bk.name));
                }
                let theirs = [other.log_key.ed25519(), other.witness_key.ed25519()];
                if theirs.contains(&bk.log_key.ed25519())
                    || theirs.contains(&bk.witness_key.ed25519())
                {
                    return Err(PolicyError::SharedKey(other.name.clone(), bk.name));
                }
            }
            bookkeepers.push(bk);
        }
        for r in &raw.cold_chain {
            if r.min_celsius > r.max_celsius || r.min_celsius.is_nan() || r.max_celsius.is_nan() {
                return Err(PolicyError::BadColdChain(r.gtin_prefix.clone()));
            }
        }
        let policy = Policy {
            network: raw.network,
            governance,
            bookkeepers,
            log_quorum: raw.log_quorum,
            witness_threshold: raw.witness_threshold,
            allow_unwitnessed: raw.allow_unwitnessed,
            max_checkpoint_age: raw.max_checkpoint_age_seconds,
            cold_chain: raw.cold_chain,
            confidential: raw.confidential,
        };
        if policy.witness_threshold == 0 && !policy.allow_unwitnessed {
            return Err(PolicyError::Unwitnessed);
        }
        if policy.max_checkpoint_age == 0 {
            return Err(PolicyError::ZeroAge);
        }
        if policy.log_quorum == 0 {
            return Err(PolicyError::QuorumZero);
        }
        let operators = policy.operators().len();
        if policy.log_quorum > operators {
            return Err(PolicyError::QuorumTooLarge {
                k: policy.log_quorum,
                operators,
            });
        }
        let peers = operators.saturating_sub(1);
        if policy.witness_threshold > peers {
            return Err(PolicyError::WitnessThresholdTooLarge {
                t: policy.witness_threshold,
                peers,
            });
        }
        Ok(policy)
    }

    /// Serialises the policy back to its JSON form.
    pub fn to_json(&self) -> String {
        let raw = RawPolicy {
            network: self.network.clone(),
            governance: self.governance.iter().map(ToString::to_string).collect(),
            bookkeepers: self
                .bookkeepers
                .iter()
                .map(|b| RawBookkeeper {
                    name: b.name.clone(),
                    operator: b.operator.clone(),
                    log_key: b.log_key.to_string(),
                    witness_key: b.witness_key.to_string(),
                    urls: b.urls.clone(),
                    tiles: b.tiles.clone(),
                })
                .collect(),
            log_quorum: self.log_quorum,
            witness_threshold: self.witness_threshold,
            allow_unwitnessed: self.allow_unwitnessed,
            max_checkpoint_age_seconds: self.max_checkpoint_age,
            cold_chain: self.cold_chain.clone(),
            confidential: self.confidential,
        };
        serde_json::to_string_pretty(&raw).unwrap_or_default()
    }

    /// SHA-256 of the policy's canonical JSON ([`Policy::to_json`]), hex: what a person compares
    /// to know two parties mean the same network.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(self.to_json().as_bytes()))
    }

    /// Distinct operators.
    pub fn operators(&self) -> BTreeSet<&str> {
        self.bookkeepers
            .iter()
            .map(|b| b.operator.as_str())
            .collect()
    }

    /// What this policy says of `log`'s checkpoints as a c2sp.org/tlog-policy, for verifiers
    /// that are not ours: the log; the witnesses of every other operator, one group per operator
    /// (`any`: two witnesses of one operator are one vote); the quorum, `witness_threshold` of
    /// those groups (`none` at 0). The operators, governance and k of n logs are Tally's alone.
    /// An unknown `log` gives a policy with no log, under which nothing checks.
    pub fn tlog_policy(&self, log: &str) -> TlogPolicy {
        use tally_tlog::tlog_policy::{Group, Log, Witness};
        let own = self.bookkeeper(log);
        let word = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join("_")
                .into_bytes()
        };
        let mut p = TlogPolicy {
            logs: own
                .map(|b| Log {
                    key: b.log_key.clone(),
                    url: b.urls.first().map(|u| u.clone().into_bytes()),
                })
                .into_iter()
                .collect(),
            witnesses: vec![],
            groups: vec![],
            quorum: tally_tlog::tlog_policy::NONE.to_vec(),
        };
        let own_operator = own.map(|b| b.operator.as_str());
        for b in self
            .bookkeepers
            .iter()
            .filter(|b| Some(b.operator.as_str()) != own_operator)
        {
            if p.witnesses
                .iter()
                .any(|w| w.key.ed25519() == b.witness_key.ed25519())
            {
                continue;
            }
            let name = [b"witness-".as_slice(), &word(&b.name)].concat();
            let group = [b"operator-".as_slice(), &word(&b.operator)].concat();
            match p.groups.iter_mut().find(|g| g.name == group) {
                Some(g) => g.members.push(name.clone()),
                None => p.groups.push(Group {
                    name: group,
                    k: 1,
                    members: vec![name.clone()],
                }),
            }
            p.witnesses.push(Witness {
                name,
                key: b.witness_key.clone(),
                url: None,
            });
        }
        if self.witness_threshold > 0 {
            let members: Vec<Vec<u8>> = p.groups.iter().map(|g| g.name.clone()).collect();
            // Never lowered to fit: a quorum that cannot be met refuses every checkpoint.
            let k = self.witness_threshold;
            p.groups.push(Group {
                name: b"quorum".to_vec(),
                k,
                members,
            });
            p.quorum = b"quorum".to_vec();
        }
        p
    }

    /// The bookkeeper with this name.
    pub fn bookkeeper(&self, name: &str) -> Option<&Bookkeeper> {
        self.bookkeepers.iter().find(|b| b.name == name)
    }

    /// The witness keys that may cosign `log`'s checkpoints: every *other* bookkeeper's. A log
    /// cosigning itself would add no independent check.
    pub fn witnesses_for(&self, log: &str) -> Vec<VerifierKey> {
        self.bookkeepers
            .iter()
            .filter(|b| b.name != log)
            .map(|b| b.witness_key.clone())
            .collect()
    }

    /// How many distinct operators, other than `log`'s own, cosigned among `cosigners` (witness keys
    /// that already verified). A witness run by the log's operator checks nothing independently, and
    /// two witnesses of one operator are one vote.
    pub fn independent_cosigners<'a>(
        &self,
        log: &str,
        cosigners: impl Iterator<Item = &'a VerifierKey>,
    ) -> usize {
        let own = self.bookkeeper(log).map(|b| b.operator.as_str());
        let mut operators: Vec<&str> = cosigners
            .filter_map(|k| self.witness_operator(k))
            .filter(|op| Some(*op) != own)
            .collect();
        operators.sort_unstable();
        operators.dedup();
        operators.len()
    }

    /// When the checkpoint of `log` was last vouched for: the newest time by which
    /// `witness_threshold` distinct other operators had cosigned it (each operator counted at its
    /// latest cosignature). `None` if fewer than that many did, or the threshold is 0 (nothing
    /// vouches for time then). Cosignature timestamps are the only clock a C2SP checkpoint carries
    /// (c2sp.org/tlog-cosignature): this is what a client compares with its own to refuse a
    /// replayed, stale answer.
    pub fn witnessed_at<'a>(
        &self,
        log: &str,
        cosigners: impl Iterator<Item = (&'a VerifierKey, u64)>,
    ) -> Option<u64> {
        if self.witness_threshold == 0 {
            return None;
        }
        let own = self.bookkeeper(log).map(|b| b.operator.as_str());
        let mut latest: Vec<(&str, u64)> = Vec::new();
        for (key, time) in cosigners {
            let Some(op) = self.witness_operator(key).filter(|op| Some(*op) != own) else {
                continue;
            };
            match latest.iter_mut().find(|(o, _)| *o == op) {
                Some((_, t)) => *t = (*t).max(time),
                None => latest.push((op, time)),
            }
        }
        let mut times: Vec<u64> = latest.into_iter().map(|(_, t)| t).collect();
        times.sort_unstable_by(|a, b| b.cmp(a));
        times.get(self.witness_threshold - 1).copied()
    }

    /// The operator whose bookkeeper has this witness key.
    fn witness_operator(&self, key: &VerifierKey) -> Option<&str> {
        self.bookkeepers
            .iter()
            .find(|b| b.witness_key.ed25519() == key.ed25519())
            .map(|b| b.operator.as_str())
    }

    /// Whether a public key is a governance key.
    pub fn is_governance(&self, key: &[u8; 32]) -> bool {
        self.governance
            .iter()
            .any(|g| g.ed25519().as_bytes() == key)
    }

    /// The cold-chain range for a GTIN, the most specific (longest prefix) rule first.
    pub fn cold_chain_for(&self, gtin: &str) -> Option<&ColdChainRule> {
        self.cold_chain
            .iter()
            .filter(|r| gtin.starts_with(&r.gtin_prefix))
            .max_by_key(|r| r.gtin_prefix.len())
    }
}

/// Whether a bookkeeper URL may be used: `https://`, or `http://` to a loopback host.
fn acceptable_url(url: &str) -> bool {
    if let Some(rest) = url.strip_prefix("https://") {
        return !authority(rest).is_empty();
    }
    url.strip_prefix("http://")
        .map(authority)
        .is_some_and(is_loopback)
}

/// The authority part of a URL after its scheme (up to the first `/`, `?` or `#`).
fn authority(rest: &str) -> &str {
    rest.split(['/', '?', '#']).next().unwrap_or("")
}

/// Whether an authority (`host[:port]`, no user info) names this machine.
fn is_loopback(authority: &str) -> bool {
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::acceptable_url;

    #[test]
    fn plain_http_only_to_this_machine() {
        for ok in [
            "https://bk1.example",
            "https://bk1.example:8443/base",
            "http://127.0.0.1:7001",
            "http://127.9.9.9",
            "http://localhost:80/",
            "http://[::1]:7001",
        ] {
            assert!(acceptable_url(ok), "{ok}");
        }
        for bad in [
            "http://bk1.example",
            "http://10.0.0.1:7001",
            "http://127.0.0.1.evil.example",
            "http://user@127.0.0.1",
            "http://[::2]:7001",
            "ftp://127.0.0.1",
            "https://",
            "127.0.0.1:7001",
        ] {
            assert!(!acceptable_url(bad), "{bad}");
        }
    }
}
