//! An organisation's EPCIS 2.0 gateway: the standard REST capture and query interfaces (GS1
//! EPCIS 2.0 §12, `openapi.yaml` of the REST binding) in front of Tally's signing, sealing,
//! outbox and light client, so that an ERP or warehouse system that already speaks EPCIS has its
//! events signed by the organisation's certified device key and logged by every bookkeeper, and
//! reads back only what the bookkeepers prove.
//!
//! - `POST /capture` takes an `EPCISDocument` (JSON or JSON-LD), checks it against the EPCIS 2.0
//!   schema (every violation named by its JSON pointer, in the RFC 7807 problem format the
//!   binding specifies, and nothing kept), stores it durably as a capture job, and answers `202`
//!   with the job's `Location`.
//! - A worker ([`worker`]) signs each event, seals it for the labels its codes carry (the `tk`
//!   parameter of a Digital Link: a scanner reads the whole link), and queues it in the client's
//!   outbox, which sends it to every bookkeeper and keeps their receipts. With
//!   `GS1-Capture-Error-Behaviour: rollback` (the default), an event that cannot be signed or
//!   sealed keeps the whole job out of the outbox; with `proceed`, the others go on. A log is
//!   append-only: once an event is queued, no later refusal rolls the others back, and the job
//!   says which bookkeeper refused which event.
//! - `GET /capture` and `GET /capture/{captureID}` show the jobs: `running`, `success`, `errors`,
//!   and per event (`tally:events`) its status, Event Hash ID and each bookkeeper's receipt.
//! - `GET /events` and the per-resource event lists answer EPCIS 2.0 queries ([`query`]) from
//!   the bookkeepers' logs, every event verified by the light client before it is served and
//!   carrying its proof status (`tally:proof`; see [`read`]).
//! - `GET /01/{gtin}…` (and the other GS1 primary keys) is a Digital Link resolver ([`resolver`]):
//!   the product's RFC 9264 link set, or a page telling a phone's browser to verify in the app.
//! - `/queries` names queries; `/queries/{name}/subscriptions` subscribes a webhook to the
//!   events that come to match one, as they come or when a [`schedule`] comes round, delivered
//!   at least once across restarts, and `/queries/{name}/events?stream=true` over a WebSocket
//!   streams them while connected ([`subscriptions`]).
//!
//! - With `tls` in its config it serves HTTPS, and with a client CA it requires client
//!   certificates (mutual TLS) in place of bearer tokens ([`tls`]).
//!
//! The XML binding is not built.

pub mod config;
mod jobs;
pub mod labels;
mod named;
mod problem;
mod query;
mod read;
mod resolver;
mod routes;
pub mod schedule;
pub mod subscriptions;
pub mod tls;
pub mod worker;

pub use config::{Config, ConfigError};

use std::net::SocketAddr;
use std::sync::Arc;
use tally_client::{Client, Limits};
use tally_tlog::SignerKey;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum GatewayError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the gateway's Tally client: {0}")]
    Client(#[from] tally_client::ClientError),
    #[error("the capture database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the worker: {0}")]
    Worker(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
}

/// Teaches the label book in `database` (created if missing) the label secrets `links` carry:
/// an organisation's labels printed before it ran a gateway, so that its queries read those
/// products' stories.
pub fn learn_labels(database: &std::path::Path, links: &[String]) -> Result<(), GatewayError> {
    Ok(jobs::Jobs::open(database)?.learn(links)?)
}

/// Percent-encodes everything but RFC 3986's unreserved characters: a code or an Event Hash ID
/// as one path segment or query value.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the routes and the worker share.
pub(crate) struct Shared {
    client: Client,
    device: SignerKey,
    jobs: jobs::Jobs,
    tokens: Vec<String>,
    /// Wakes the worker when a job arrives.
    wake: tokio::sync::Notify,
    /// Wakes the worker's sender when a job's events are queued.
    queued: tokio::sync::Notify,
    /// When the registry was last read from the bookkeepers (see `worker::refresh_directory`).
    directory_read: std::sync::Mutex<Option<std::time::Instant>>,
}

/// A gateway bound to its address, ready to serve.
pub struct Gateway {
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl Gateway {
    /// Opens the client and the capture database, unlocks the device key and binds.
    pub async fn bind(config: &Config) -> Result<Self, GatewayError> {
        let client = Client::open(&config.home, Limits::default())?;
        let device = config.device_key(&client)?;
        let shared = Arc::new(Shared {
            client,
            device,
            jobs: jobs::Jobs::open(&config.database)?,
            tokens: config.tokens.clone(),
            wake: tokio::sync::Notify::new(),
            queued: tokio::sync::Notify::new(),
            directory_read: std::sync::Mutex::new(None),
        });
        let tls = config.tls.as_ref().map(|t| t.acceptor()).transpose()?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| GatewayError::Listen(config.listen, e))?;
        Ok(Gateway {
            listener,
            shared,
            tls,
        })
    }

    /// The URL it answers on.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        match self.listener.local_addr() {
            Ok(a) => format!("{scheme}://{a}"),
            Err(_) => format!("{scheme}://(unbound)"),
        }
    }

    /// Serves until `shutdown` completes; the worker runs beside it.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        let worker = tokio::spawn(worker::run(self.shared.clone()));
        let notifier = tokio::spawn(subscriptions::run(self.shared.clone()));
        let app = routes::router(self.shared);
        match self.tls {
            Some(acceptor) => tls::serve(self.listener, acceptor, app, shutdown).await,
            None => {
                let app = app.into_make_service_with_connect_info::<SocketAddr>();
                let served = axum::serve(self.listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await;
                if let Err(e) = served {
                    tracing::error!("gateway stopped: {e}");
                }
            }
        }
        worker.abort();
        notifier.abort();
    }
}
