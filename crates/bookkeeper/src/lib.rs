//! A Tally bookkeeper: one organisation's node of the network.
//!
//! It admits signed entries (custody events and registry records) only after checking them fully
//! ([`admission`]), appends them durably in batches and answers with a signed receipt
//! ([`tally_trust::receipt`]), signs a checkpoint whenever the tree grew and has its peers cosign it as C2SP
//! tlog-witnesses, witnesses its peers' logs in turn, forwards every entry to every peer, and serves
//! checkpoints, tiles, proofs and product lookups over HTTP.
//!
//! # Endpoints
//! | Method | Path | Answer |
//! |--------|------|--------|
//! | POST | `/submit` | 200 `tally/receipt/v1` note (for an event already logged in another serialisation, the receipt of that entry); 400 malformed; 403 bad signature / unknown, revoked or unauthorised signer; 413 too large; 422 schema-invalid event, hash-ID mismatch, bad record; 429 too many submissions at once from one address |
//! | POST | `/submit-bundle[?receipts=none]` | a C2SP entry bundle of up to 1024 entries → 200 `{receipt, results: [{index[, duplicate_of]} \| {error, message, status}]}`, one `tally/receipt-batch/v1` note for the bundle; 400, 413, 429 |
//! | POST | `/add-checkpoint` | C2SP tlog-witness: 200, 400, 403, 404, 409, 422 |
//! | GET | `/checkpoint` | latest checkpoint with cosignatures (404 before the first) |
//! | GET | `/tile/<L>/<N>[.p/<W>]`, `/tile/entries/<N>[.p/<W>]` | C2SP tlog-tiles; 404 beyond the checkpoint |
//! | GET | `/proof/inclusion?index=I&size=S` or `?hash=B64&size=S` | `{index,size,proof}` |
//! | GET | `/proof/consistency?old=A&size=B` | `{old,size,proof}` |
//! | GET | `/lookup?key=K[&after=I]` | `{indices,entries,next}`, one page |
//! | GET | `/history?key=K[&old=N][&size=S][&after=I]` | `{checkpoint,size,consistency,entries:[{index,entry,proof}],next}`: a light client's one request per log (a page: follow `next` with the first page's `size`) |
//! | GET | `/history/indices?key=K&size=S[&after=I]` | `{size,indices,next}`: which entries `/history` would serve, for a client that reads them and their proofs from the published tiles |
//! | GET | `/health`, `/metrics`, `/evidence` | status, Prometheus text, witness evidence |
//! | POST | `/sequence` | a sequencer's: entries one of its front ends admitted, signed with the log key ([`front`]) → 200 an outcome each; 403 unsigned |
//!
//! With `publish` set in its config, the log also writes its checkpoint, tiles and entry bundles
//! as files for any web server to serve ([`publish`]).
//!
//! Errors are JSON: `{"error": "<code>", "message": "<what to do>"}`. Connections, headers,
//! requests and submissions per address are bounded ([`serve`]).
#![forbid(unsafe_code)]

pub mod admission;
mod broadcast;
mod checkpointer;
pub mod config;
mod cosign;
pub mod error;
mod facts;
pub mod front;
mod lease;
pub mod local;
pub mod publish;
mod routes;
mod sequencer;
pub mod serve;
mod shared;

pub use config::Config;
pub use error::{ApiError, ServeError};

use admission::Network;
use shared::{Peer, Shared};
use std::future::Future;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tally_logstore::{LogStore, Store};
use tally_trust::{Entry, EntryKind, Registry};
use tally_witness::{LogConfig, Witness};
use tokio::sync::{mpsc, watch};

/// Submissions the sequencer may have waiting before handlers wait to hand theirs over.
const SEQUENCER_QUEUE: usize = 16_384;
/// Read connections to the database, besides the one that writes.
const READERS: usize = 4;
/// Timeout of every request to a peer.
const PEER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves the bookkeeper described by `config` until `shutdown` completes, then stops accepting
/// connections, finishes the requests in flight, and stops the background tasks.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let policy = config::load_policy(&config.policy)?;
    let log_key = config::load_key(&config.log_key)?;
    let witness_key = config::load_key(&config.witness_key)?;
    let me = policy.bookkeeper(&config.name).ok_or_else(|| {
        ServeError::Policy(format!("no bookkeeper {:?} in the policy", config.name))
    })?;
    if me.log_key != log_key.verifier() || me.witness_key != witness_key.verifier() {
        return Err(ServeError::Policy(format!(
            "the keys in the config are not {:?}'s keys in the policy",
            config.name
        )));
    }
    let others: Vec<_> = policy
        .bookkeepers
        .iter()
        .filter(|b| b.name != config.name)
        .collect();
    let witness = Witness::new(
        witness_key,
        others
            .iter()
            .map(|b| LogConfig {
                origin: b.log_key.name().to_owned(),
                key: b.log_key.clone(),
            })
            .collect(),
    )?;
    let peers: Vec<Peer> = others
        .iter()
        .filter_map(|b| {
            b.urls.first().map(|url| Peer {
                name: b.name.clone(),
                url: url.trim_end_matches('/').to_owned(),
                witness_key: b.witness_key.clone(),
            })
        })
        .collect();
    let database = config.location()?;
    let front_end = config.front_end;
    // The registry is rebuilt from the whole log before waiting for the lease: a standby then
    // replays only what its predecessor appended meanwhile when it takes over.
    let at = database.clone();
    let registry_secrets = config::load_registry_secrets(config.registry_secret.as_deref())?;
    let secrets = registry_secrets.clone();
    let (store, registry, policy, replayed) = tokio::task::spawn_blocking(move || {
        let net = Network {
            policy: &policy,
            registry_secrets: &secrets,
        };
        let (store, registry, replayed) = open(&at, net, !front_end)?;
        Ok::<_, ServeError>((store, registry, policy, replayed))
    })
    .await??;
    let mut lease = match front_end {
        true => None,
        false => lease::take(&database, &config.name).await?,
    };
    let fence = lease.as_ref().map(|l| l.epoch);
    let secrets = registry_secrets.clone();
    let (store, readers, warmer, registry, policy, size, latest) =
        tokio::task::spawn_blocking(move || {
            let store = match fence {
                Some(epoch) => store.fenced(epoch),
                None => store,
            };
            let mut registry = registry;
            let size = store.size()?;
            let net = Network {
                policy: &policy,
                registry_secrets: &secrets,
            };
            replay(&store, net, &mut registry, replayed..size)?;
            // One cache of the tree's upper levels for every reader: proofs mostly read it.
            let cache = Arc::new(tally_logstore::HashCache::new());
            let reader = || Store::open_reader(&database).map(|r| r.with_cache(Arc::clone(&cache)));
            let readers = (0..READERS)
                .map(|_| reader().map(Mutex::new))
                .collect::<Result<Vec<_>, _>>()?;
            let warmer = reader()?;
            let latest = store.latest_checkpoint()?;
            Ok::<_, ServeError>((store, readers, warmer, registry, policy, size, latest))
        })
        .await??;
    // Fills the cache in one pass while the server already answers (proofs read what is not
    // cached yet from the database); a failure only leaves the cache to fill as proofs read.
    tokio::task::spawn_blocking(move || match warmer.warm_cache() {
        Ok(hashes) => tracing::info!(hashes, "cached the upper levels of the tree"),
        Err(e) => tracing::warn!(error = %e, "could not warm the tree cache"),
    });
    let latest = latest.map(|(size, note)| shared::Signed {
        size,
        note: note.into(),
    });
    let (jobs_tx, jobs_rx) = mpsc::channel(SEQUENCER_QUEUE);
    let inline_reads = matches!(store, Store::Sqlite(_));
    let shared = Arc::new(Shared {
        inline_reads,
        store: Arc::new(Mutex::new(store)),
        readers,
        next_reader: AtomicUsize::new(0),
        facts: facts::FactsCache::new(),
        policy,
        registry_secrets,
        registry: RwLock::new(Arc::new(registry)),
        log_key,
        witness,
        peers: peers.clone(),
        http: reqwest::Client::builder().timeout(PEER_TIMEOUT).build()?,
        sequencer: jobs_tx,
        queue_len: AtomicUsize::new(0),
        size: watch::Sender::new(size),
        latest: RwLock::new(latest),
        checkpoint_signed: tokio::sync::Notify::new(),
        checkpoint_interval_ms: config.checkpoint_interval_ms,
        max_batch: config.max_batch,
        bundle_work: tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        ),
    });
    let mut tasks = tokio::task::JoinSet::new();
    if front_end {
        tasks.spawn(front::follow(Arc::clone(&shared), size));
        tasks.spawn(front::forward(
            Arc::clone(&shared),
            jobs_rx,
            config.name.clone(),
        ));
    } else {
        tasks.spawn(sequencer::run(Arc::clone(&shared), jobs_rx));
        tasks.spawn(checkpointer::run(Arc::clone(&shared)));
        for peer in peers {
            tasks.spawn(broadcast::run(Arc::clone(&shared), peer));
        }
    }
    if let Some(target) = config.publish.clone().filter(|_| !front_end) {
        let sink = tokio::task::spawn_blocking(move || publish::open(&target))
            .await
            .map_err(|e| ServeError::Io(std::io::Error::other(e)))??;
        tasks.spawn(publish::run(Arc::clone(&shared), sink));
    }
    let listener = bind(config.listen, lease.is_some()).await?;
    tracing::info!(name = %config.name, origin = %shared.origin(), addr = %listener.local_addr()?, size, "bookkeeper serving");
    let limits = config.limits();
    let router = routes::router(shared, limits.submissions_per_ip, front_end);
    // A lost lease stops the server as a shutdown does, and is the error it exits with.
    let lost = lease.as_mut().map(|l| l.lost());
    let lost_reason = Arc::new(std::sync::OnceLock::new());
    let stop = {
        let lost_reason = Arc::clone(&lost_reason);
        async move {
            let Some(lost) = lost else {
                return shutdown.await;
            };
            tokio::select! {
                () = shutdown => {}
                reason = lost => {
                    tracing::error!(%reason, "lost the sequencer lease; stopping");
                    let _ = lost_reason.set(reason);
                }
            }
        }
    };
    let served = serve::serve(listener, router, limits, stop).await;
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    drop(lease);
    tracing::info!(name = %config.name, "bookkeeper stopped");
    if let Some(reason) = lost_reason.get() {
        return Err(ServeError::LeaseLost(reason.clone()));
    }
    Ok(served?)
}

/// Binds `addr`. A sequencer that just took over (`taking_over`) may find its predecessor's
/// address still in use for a moment (a process that lost its lease is still stopping), and
/// retries for a while.
async fn bind(
    addr: std::net::SocketAddr,
    taking_over: bool,
) -> Result<tokio::net::TcpListener, ServeError> {
    const TRIES: u32 = 150;
    let mut tries = 0;
    loop {
        match tokio::net::TcpListener::bind(addr).await {
            Err(e) if taking_over && e.kind() == std::io::ErrorKind::AddrInUse && tries < TRIES => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            bound => return Ok(bound?),
        }
    }
}

/// Opens the store (for writing, or read-only for a front end) and rebuilds the registry from the
/// records logged so far; returns how many entries that read.
fn open(
    at: &tally_logstore::Location,
    net: Network,
    writer: bool,
) -> Result<(Store, Registry, u64), ServeError> {
    let store = match writer {
        true => Store::open(at)?,
        false => Store::open_reader(at)?,
    };
    let size = store.size()?;
    let mut registry = Registry::default();
    replay(&store, net, &mut registry, 0..size)?;
    Ok((store, registry, size))
}

/// Admits into `registry` the registry records among entries `range` of the log, in log order
/// (the order in which they were admitted). Sealed records are found under each registry
/// secret's key for the registry and opened with the secrets; other sealed entries are events.
fn replay(
    store: &Store,
    net: Network,
    registry: &mut Registry,
    range: std::ops::Range<u64>,
) -> Result<(), ServeError> {
    const CHUNK: u64 = 4096;
    let policy = net.policy;
    let mut sealed_records: std::collections::BTreeSet<u64> = Default::default();
    for m in net.registry_secrets {
        let key = tally_confidential::lookup_key(m, admission::REGISTRY_KEY);
        sealed_records.extend(store.lookup(&key)?);
    }
    let (mut start, size) = (range.start, range.end);
    while start < size {
        let end = size.min(start + CHUNK);
        for (index, bytes) in (start..end).zip(store.entries(start..end)?) {
            let corrupt = |reason: String| ServeError::CorruptEntry { index, reason };
            let bytes = match tally_confidential::is_sealed(&bytes) {
                false => bytes,
                true if sealed_records.contains(&index) => {
                    tally_confidential::open(&bytes, net.registry_secrets)
                        .map_err(|e| corrupt(e.to_string()))?
                        .entry
                }
                true => continue,
            };
            let entry = Entry::decode(&bytes).map_err(|e| corrupt(e.to_string()))?;
            if entry.kind != EntryKind::Event {
                // Admitted when it was logged, so a refusal now can only come from a policy change;
                // the record then does not count, as for a client.
                if let Err(reason) = registry.admit(policy, &entry) {
                    tracing::warn!(index, %reason, "logged registry record no longer admissible");
                }
            }
        }
        start = end;
    }
    Ok(())
}
