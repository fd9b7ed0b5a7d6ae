//! The files of a local network on one machine (`tally network up`, demos and end-to-end tests):
//! one policy, and per bookkeeper its two keys and a config, all in one directory.
//!
//! It lives here rather than in the CLI because the layout is the bookkeeper's configuration
//! contract: what a config must point to, and how the policy names each node's keys and URL.

use crate::error::ServeError;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use tally_tlog::{SignerKey, VerifierKey};
use tally_trust::policy::ColdChainRule;
use tally_trust::Policy;

/// The network name written into a local policy.
pub const NETWORK: &str = "tally.local";

/// Checkpoint interval of local nodes: short, so a demo or test sees cosigned checkpoints quickly.
const CHECKPOINT_INTERVAL_MS: u64 = 200;

/// One bookkeeper of a local network.
pub struct LocalNode {
    /// Its name in the policy (also the stem of its files, so keep it file-name safe).
    pub name: String,
    /// Log signing key (type 0x01).
    pub log_key: SignerKey,
    /// Witness cosigning key (type 0x04).
    pub witness_key: SignerKey,
    /// Port it serves on, on 127.0.0.1.
    pub port: u16,
}

/// Static reads of a local network: each node publishes its checkpoint and tiles under
/// `target/<name>/` (a directory or `s3://BUCKET[/PREFIX]`); with `url` (where a web server or
/// the bucket serves `target`), the policy tells clients to read node `<name>`'s at `url/<name>/`.
#[derive(Debug, Clone)]
pub struct Publish {
    pub target: String,
    pub url: Option<String>,
}

/// The policy file of the local network in `dir`.
pub fn policy_path(dir: &Path) -> PathBuf {
    dir.join("policy.json")
}

/// The registry secret of a confidential network in `dir`: governance gives it to the network's
/// members (never in the policy, which is public); every bookkeeper's config names it.
pub fn registry_secret_path(dir: &Path) -> PathBuf {
    dir.join("registry.secret")
}

/// Rotates the registry secret of the confidential network in `dir`: a new random secret becomes
/// the first line of its file, before the older ones (see `tally_confidential::registry_secrets`).
/// The nodes read the file when they start; members are given the new file.
pub fn rotate_registry_secret(dir: &Path) -> Result<tally_confidential::LabelSecret, ServeError> {
    let path = registry_secret_path(dir);
    let err = |reason: String| ServeError::Key {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
    let old = tally_confidential::registry_secrets(&text).map_err(|e| err(e.to_string()))?;
    let new = tally_confidential::LabelSecret::random(&mut rand_core::OsRng);
    let lines: Vec<String> = std::iter::once(&new)
        .chain(&old)
        .map(|s| s.to_string())
        .collect();
    let tmp = path.with_extension("secret.new");
    write_file(&tmp, format!("{}\n", lines.join("\n")).as_bytes(), 0o600)
        .map_err(|e| err(e.to_string()))?;
    std::fs::rename(&tmp, &path).map_err(|e| err(e.to_string()))?;
    Ok(new)
}

/// The config file of bookkeeper `name` in `dir`.
pub fn config_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// Log quorum of a local network of `n` nodes: a majority of operators (each node is its own).
pub fn log_quorum(n: usize) -> usize {
    n / 2 + 1
}

/// Witness threshold of a local network of `n` nodes: a majority of all operators vouches for
/// every checkpoint (the log itself and `n / 2` peers), so a checkpoint cannot be fooled by a
/// minority, and a minority of nodes down still leaves the others' checkpoints cosigned (3 nodes,
/// one down: each of the two still cosigns the other).
pub fn witness_threshold(n: usize) -> usize {
    n / 2
}

/// Writes the policy (each node its own operator, governed by `governance`, with the cold-chain
/// rules given), each node's keys (mode 0600) and config (SQLite database `<name>.db`, or with
/// `storage`, a PostgreSQL server's URL, a database `<name>` there, created if missing) into `dir`,
/// which must exist. Paths in the configs are made absolute so the nodes can run from any working
/// directory.
pub fn write_network(
    dir: &Path,
    governance: &VerifierKey,
    nodes: &[LocalNode],
    cold_chain: &[ColdChainRule],
    confidential: bool,
    publish: Option<&Publish>,
    storage: Option<&str>,
) -> Result<PathBuf, ServeError> {
    let io = |path: &Path, e: std::io::Error| ServeError::Config {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let dir = dir.canonicalize().map_err(|e| io(dir, e))?;
    let tiles = |name: &str| {
        publish
            .and_then(|p| p.url.as_deref())
            .map(|url| format!("{}/{name}/", url.trim_end_matches('/')))
    };
    let policy = json!({
        "network": NETWORK,
        "governance": [governance.to_string()],
        "bookkeepers": nodes.iter().map(|n| json!({
            "name": n.name,
            "operator": format!("{} operator", n.name),
            "log_key": n.log_key.verifier().to_string(),
            "witness_key": n.witness_key.verifier().to_string(),
            "urls": [format!("http://127.0.0.1:{}", n.port)],
            "tiles": tiles(&n.name),
        })).collect::<Vec<_>>(),
        "log_quorum": log_quorum(nodes.len()),
        "witness_threshold": witness_threshold(nodes.len()),
        // A network of one has no peer to witness it: a policy must say that it accepts this.
        "allow_unwitnessed": witness_threshold(nodes.len()) == 0,
        "cold_chain": cold_chain,
        "confidential": confidential,
    })
    .to_string();
    // Refuse to write a policy the nodes would refuse to start with.
    Policy::parse(policy.as_bytes()).map_err(|e| ServeError::Policy(e.to_string()))?;
    let policy_file = policy_path(&dir);
    write_file(&policy_file, policy.as_bytes(), 0o644).map_err(|e| io(&policy_file, e))?;
    let registry_secret = match confidential {
        true => {
            let path = registry_secret_path(&dir);
            let secret = tally_confidential::LabelSecret::random(&mut rand_core::OsRng);
            write_file(&path, format!("{secret}\n").as_bytes(), 0o600).map_err(|e| io(&path, e))?;
            Some(path)
        }
        false => None,
    };
    for n in nodes {
        let log_key = dir.join(format!("{}.log.key", n.name));
        let witness_key = dir.join(format!("{}.witness.key", n.name));
        for (path, key) in [(&log_key, &n.log_key), (&witness_key, &n.witness_key)] {
            write_file(path, key.to_secret_string().as_bytes(), 0o600).map_err(|e| io(path, e))?;
        }
        let (database, storage) = match storage {
            Some(server) => {
                let url = tally_logstore::postgres::database_on(server, &n.name).map_err(|e| {
                    ServeError::Config {
                        path: server.to_owned(),
                        reason: e.to_string(),
                    }
                })?;
                (None, Some(url))
            }
            None => (Some(dir.join(format!("{}.db", n.name))), None),
        };
        let config = json!({
            "name": n.name,
            "listen": format!("127.0.0.1:{}", n.port),
            "database": database,
            "storage": storage,
            "policy": policy_file,
            "log_key": log_key,
            "witness_key": witness_key,
            "checkpoint_interval_ms": CHECKPOINT_INTERVAL_MS,
            "max_batch": 1024,
            "publish": publish.map(|p| crate::publish::under(&p.target, &n.name)),
            "registry_secret": registry_secret,
        });
        let path = config_path(&dir, &n.name);
        write_file(&path, config.to_string().as_bytes(), 0o644).map_err(|e| io(&path, e))?;
    }
    Ok(policy_file)
}

/// Writes `bytes` to `path` with `mode` from the first byte (secret keys are never world-readable,
/// not even briefly), and syncs it.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_tlog::KeyType;

    #[test]
    fn quorum_and_threshold_are_majorities() {
        let got: Vec<_> = (1..=7)
            .map(|n| (log_quorum(n), witness_threshold(n)))
            .collect();
        assert_eq!(
            got,
            [(1, 0), (2, 1), (2, 1), (3, 2), (3, 2), (4, 3), (4, 3)]
        );
    }

    #[test]
    fn written_files_are_a_policy_and_configs_a_bookkeeper_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let key = |name: &str, kind, seed| SignerKey::from_seed(name, kind, &[seed; 32]).unwrap();
        let nodes: Vec<LocalNode> = (1..=3u8)
            .map(|i| LocalNode {
                name: format!("bk{i}"),
                log_key: key(&format!("bk{i}.tally.local/log"), KeyType::Ed25519, i),
                witness_key: key(
                    &format!("bk{i}.tally.local/witness"),
                    KeyType::Cosignature,
                    10 + i,
                ),
                port: 7000 + u16::from(i),
            })
            .collect();
        let gov = key("gov.tally.local", KeyType::Ed25519, 99).verifier();
        let rule = ColdChainRule {
            gtin_prefix: "0950600".into(),
            min_celsius: -1.0,
            max_celsius: 4.0,
        };
        let policy_file = write_network(
            dir.path(),
            &gov,
            &nodes,
            std::slice::from_ref(&rule),
            false,
            None,
            None,
        )
        .unwrap();
        let policy = crate::config::load_policy(&policy_file).unwrap();
        assert_eq!((policy.log_quorum, policy.witness_threshold), (2, 1));
        assert!(
            !registry_secret_path(dir.path()).exists(),
            "a plain network has none"
        );
        assert_eq!(policy.cold_chain, vec![rule]);
        for n in &nodes {
            let config = crate::Config::load(&config_path(dir.path(), &n.name)).unwrap();
            assert_eq!(config.listen.port(), n.port);
            let me = policy.bookkeeper(&n.name).unwrap();
            assert_eq!(
                crate::config::load_key(&config.log_key).unwrap().verifier(),
                me.log_key
            );
            assert_eq!(
                crate::config::load_key(&config.witness_key)
                    .unwrap()
                    .verifier(),
                me.witness_key
            );
            assert_eq!(config.registry_secret, None);
        }
        // A confidential network's registry secret: private to its owner, named by every config.
        let confidential = tempfile::tempdir().unwrap();
        let rules: &[ColdChainRule] = &[];
        write_network(confidential.path(), &gov, &nodes, rules, true, None, None).unwrap();
        let path = registry_secret_path(&confidential.path().canonicalize().unwrap());
        let secrets = crate::config::load_registry_secrets(Some(&path)).unwrap();
        assert_eq!(secrets.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        for n in &nodes {
            let config = crate::Config::load(&config_path(confidential.path(), &n.name)).unwrap();
            assert_eq!(config.registry_secret.as_deref(), Some(path.as_path()));
        }
        // A rotation puts a new secret first and keeps the older one after it.
        let new = rotate_registry_secret(confidential.path()).unwrap();
        let rotated = crate::config::load_registry_secrets(Some(&path)).unwrap();
        assert_eq!(rotated, vec![new, secrets[0].clone()]);
    }
}
