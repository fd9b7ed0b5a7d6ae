//! Serving HTTP to an open network: the accept loop, with the bounds a public server needs.
//!
//! `axum::serve` accepts every connection and waits on each forever, so one host holding a few
//! hundred idle sockets, or sending its headers a byte a minute (slowloris), starves everyone
//! else once the process runs out of file descriptors. Here, as in nginx's defaults:
//!
//! - at most [`Limits::max_connections`] connections at once, and at most
//!   [`Limits::max_connections_per_ip`] from one address: a connection beyond either is closed at
//!   once, so one host cannot take every slot;
//! - a request's headers must arrive within [`Limits::header_timeout`] — also while a kept-alive
//!   connection waits for its next request (hyper starts the timer when the connection goes idle),
//!   so an idle connection frees its slot by then;
//! - a whole request (body included) must be served within [`Limits::request_timeout`] (408);
//! - submissions are fair between hosts: at most [`Limits::submissions_per_ip`] at once from one
//!   address, the rest answered 429 with `Retry-After`, so one submitter's flood waits its turn
//!   instead of queueing ahead of everyone's entries.
//!
//! The soft limit on open files is raised to the hard limit at start-up, so the connection limit
//! rather than the process's descriptor table is what bounds connections.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// How long requests in flight may take to finish once a stop is asked for.
const DRAIN: Duration = Duration::from_secs(10);

/// The bounds on what clients may hold of this server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub submissions_per_ip: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            max_connections_per_ip: 256,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            submissions_per_ip: 64,
        }
    }
}

/// Counts what each address holds, and refuses one more beyond `max`.
#[derive(Debug, Default)]
pub(crate) struct PerIp {
    held: Mutex<HashMap<IpAddr, usize>>,
}

/// One slot an address holds; released on drop.
pub(crate) struct Slot {
    owner: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    /// A slot for `ip` if it holds fewer than `max`.
    pub(crate) fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut held = self.held.lock().ok()?;
        let n = held.entry(ip).or_default();
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot {
            owner: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut held) = self.owner.held.lock() {
            if let Some(n) = held.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    held.remove(&self.ip);
                }
            }
        }
    }
}

/// The limiter of concurrent submissions per address, as axum state.
#[derive(Clone)]
pub(crate) struct Submissions {
    per_ip: Arc<PerIp>,
    max: usize,
}

impl Submissions {
    pub(crate) fn new(max: usize) -> Self {
        Submissions {
            per_ip: Arc::default(),
            max,
        }
    }
}

/// Middleware on the submission routes: one address gets at most its share at once.
pub(crate) async fn fair_submissions(
    State(limit): State<Submissions>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let Some(_slot) = limit.per_ip.take(peer.ip(), limit.max) else {
        let body = serde_json::json!({
            "error": "too_many_submissions",
            "message": format!(
                "at most {} submissions at once from one address: retry after the current ones are answered",
                limit.max
            ),
        });
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            axum::Json(body),
        )
            .into_response();
    };
    next.run(request).await
}

/// Raises the soft limit on open files to the hard one (Unix): the connection limits, not the
/// descriptor table, must be what turns connections away.
fn raise_open_files() {
    #[cfg(unix)]
    {
        use nix::sys::resource::{getrlimit, setrlimit, Resource};
        if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
            if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_err() {
                tracing::warn!(soft, hard, "could not raise the open-file limit");
            }
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes, then lets the
/// requests in flight finish (for at most [`DRAIN`]).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    raise_open_files();
    let router = router.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    ));
    // HTTP/1.1 only, as every client of a bookkeeper speaks it: a protocol-sniffing builder would
    // wait for a first byte with no timeout at all.
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let (total, per_ip) = (
        Arc::new(tokio::sync::Semaphore::new(limits.max_connections)),
        Arc::new(PerIp::default()),
    );
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or the like: let connections close, then go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (Ok(permit), Some(slot)) = (
            Arc::clone(&total).try_acquire_owned(),
            per_ip.take(peer.ip(), limits.max_connections_per_ip),
        ) else {
            tracing::debug!(%peer, "connection refused: at the connection limit");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let service = hyper_util::service::TowerToHyperService::new(service);
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            let _held = (permit, slot);
            let _ = watched.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the drain time were cut off");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PerIp;
    use std::net::IpAddr;
    use std::sync::Arc;

    #[test]
    fn an_address_holds_at_most_its_share_and_gets_it_back() {
        let per_ip = Arc::new(PerIp::default());
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.2".parse().unwrap(), "127.0.0.1".parse().unwrap());
        let first = per_ip.take(a, 2).unwrap();
        let _second = per_ip.take(a, 2).unwrap();
        assert!(per_ip.take(a, 2).is_none(), "a third is refused");
        assert!(
            per_ip.take(b, 2).is_some(),
            "another address is not affected"
        );
        drop(first);
        assert!(per_ip.take(a, 2).is_some(), "a released slot is free again");
    }
}
