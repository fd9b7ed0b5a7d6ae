//! HTTPS and mutual TLS for the gateway (the binding's "authentication: bearer tokens or mTLS").
//!
//! With `"tls": {"cert", "key"}` in its config the gateway serves HTTPS with that certificate
//! chain and key (PEM). With `"client_ca"` as well, every client must present a certificate that
//! chains to that CA (PEM, one or more roots) in the TLS handshake: a connection without one, or
//! with one from another CA, never reaches HTTP. Such a certificate is the client's credential,
//! as a bearer token is otherwise: requests on a verified connection need no token (a token is
//! still accepted on them).
//!
//! Built on rustls (through `tokio-rustls`, with the *ring* provider that the workspace's HTTP
//! client already links, so no second crypto library is built) and hyper's HTTP/1.1 connection
//! with upgrades, so the WebSocket subscriptions work over TLS too. `axum::serve` has no TLS.

use crate::config::ConfigError;
use axum::extract::Request;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use serde::Deserialize;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

/// How long a client has to complete the TLS handshake, and to send its request's headers.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// How long requests in flight may take to finish once a stop is asked for.
const DRAIN: Duration = Duration::from_secs(10);

/// The gateway's TLS settings (paths relative to the config file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The server's certificate chain, PEM, leaf first.
    pub cert: PathBuf,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Client CA roots, PEM: when given, every client must present a certificate chaining to one.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

impl TlsConfig {
    /// Makes its relative paths relative to `base`.
    pub(crate) fn rebase(&mut self, base: &Path) {
        for p in [
            Some(&mut self.cert),
            Some(&mut self.key),
            self.client_ca.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }

    /// The acceptor for these settings; a file that cannot be read or parsed is named.
    pub fn acceptor(&self) -> Result<TlsAcceptor, ConfigError> {
        let bad =
            |p: &Path, e: &dyn std::fmt::Display| ConfigError::Tls(format!("{}: {e}", p.display()));
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|it| it.collect())
            .map_err(|e| bad(&self.cert, &e))?;
        if chain.is_empty() {
            return Err(bad(&self.cert, &"no certificate in the file"));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(|e| bad(&self.key, &e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ConfigError::Tls(e.to_string()))?;
        let builder = match &self.client_ca {
            None => builder.with_no_client_auth(),
            Some(path) => {
                let mut roots = RootCertStore::empty();
                for ca in CertificateDer::pem_file_iter(path).map_err(|e| bad(path, &e))? {
                    roots
                        .add(ca.map_err(|e| bad(path, &e))?)
                        .map_err(|e| bad(path, &e))?;
                }
                if roots.is_empty() {
                    return Err(bad(path, &"no CA certificate in the file"));
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| bad(path, &e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| ConfigError::Tls(format!("certificate and key: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// Marks a request that came over a connection whose client certificate was verified.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientCertificate;

/// Serves `router` over TLS on `listener` until `shutdown` completes, then asks every connection
/// to close once its request in flight is answered (for at most [`DRAIN`]).
pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    router: Router,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HANDSHAKE);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            () = &mut shutdown => break,
        };
        let (acceptor, router, http) = (acceptor.clone(), router.clone(), http.clone());
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return tracing::debug!(%peer, error = %e, "TLS handshake refused"),
                Err(_) => return tracing::debug!(%peer, "TLS handshake timed out"),
            };
            let verified = tls
                .get_ref()
                .1
                .peer_certificates()
                .is_some_and(|c| !c.is_empty());
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                if verified {
                    req.extensions_mut().insert(ClientCertificate);
                }
                router.clone().oneshot(req)
            });
            let conn = http
                .serve_connection(TokioIo::new(tls), service)
                .with_upgrades();
            tokio::pin!(conn);
            // When the server stops, the request in flight is answered, then the connection
            // closes.
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = async { stopping.wait_for(|s| *s).await.is_ok() } => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
    let _ = stop.send(true);
    let _ = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}
