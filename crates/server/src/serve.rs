//! Running the service: the accept loop (plain HTTP/1.1, or TLS with rustls), per-connection
//! timeouts (a client that sends its headers or body slowly is cut off), `SIGHUP` to reload the
//! database, and graceful shutdown on `SIGTERM`/`SIGINT` (stop accepting, let requests in flight
//! finish, up to a bound).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

use crate::api::{AppState, router};
use crate::clock::Clock;
use crate::config::{ServerConfig, TlsFiles};
use crate::database::DatabaseHandle;
use crate::mail::{MailError, Mailer};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// How long shutdown waits for requests in flight.
const DRAIN: Duration = Duration::from_secs(30);

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The mailer could not be set up.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// The listening socket could not be bound.
    #[error("listening on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// `--tls-cert` / `--tls-key` could not be used.
    #[error("TLS: {0}")]
    Tls(String),
}

/// Builds the shared state: opens the store, loads the database (or waits for one), sets up mail.
pub async fn state(config: ServerConfig, clock: Arc<dyn Clock>) -> Result<Arc<AppState>, ServeError> {
    let store = crate::store::open(&config.database_url).await?;
    state_with_store(config, store, clock)
}

/// [`state`] with a store the caller opened (tests share one between servers).
pub fn state_with_store(
    config: ServerConfig,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Arc<AppState>, ServeError> {
    let mailer = config.smtp_url.as_deref().map(|url| Mailer::new(url, &config.mail_from)).transpose()?;
    let database = Arc::new(DatabaseHandle::new(config.db.clone()));
    Ok(Arc::new(AppState { config, store, database, mailer, clock, metrics: Metrics::default() }))
}

/// A name for this replica in the leases it takes: random, so two replicas never share one.
fn replica_id() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    format!("replica-{}", hex::encode(bytes))
}

/// Binds `--listen`.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })
}

/// Serves on `listener` until `shutdown` resolves, then drains requests in flight.
pub async fn run(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let tls = state.config.tls.as_ref().map(tls_acceptor).transpose()?;
    let timeout = state.config.request_timeout;
    let app = router(Arc::clone(&state)).layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        timeout + Duration::from_secs(5),
    ));
    let graceful = GracefulShutdown::new();
    // the re-evaluation of remembered inventories, once per database generation (crate::watch)
    let watcher = tokio::spawn(crate::watch::worker(Arc::clone(&state), replica_id()));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    spawn_connection(stream, peer, app.clone(), tls.clone(), timeout, &graceful);
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    watcher.abort();
    tracing::info!("shutting down: waiting for requests in flight");
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after {} s; stopping anyway", DRAIN.as_secs());
    }
    Ok(())
}

fn spawn_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    timeout: Duration,
    graceful: &GracefulShutdown,
) {
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            Ok::<_, Infallible>(app.oneshot(request.map(axum::body::Body::new)).await.unwrap_or_else(|e| match e {}))
        }
    });
    let builder = {
        let mut b = http1::Builder::new();
        b.timer(TokioTimer::new()).header_read_timeout(Some(timeout)).keep_alive(true);
        b
    };
    match tls {
        None => {
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let watched = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = watched.await {
                    tracing::debug!("connection from {peer}: {e}");
                }
            });
        }
        Some(acceptor) => {
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let stream = match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => return tracing::debug!("TLS handshake with {peer}: {e}"),
                    Err(_) => return tracing::debug!("TLS handshake with {peer} timed out"),
                };
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                if let Err(e) = watcher.watch(conn).await {
                    tracing::debug!("connection from {peer}: {e}");
                }
            });
        }
    }
}

fn tls_acceptor(files: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, ServeError> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let what = |p: &Path, e: &dyn std::fmt::Display| ServeError::Tls(format!("{}: {e}", p.display()));
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| what(&files.cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| what(&files.cert, &e))?;
    if certs.is_empty() {
        return Err(what(&files.cert, &"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| what(&files.key, &e))?;
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ServeError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| what(&files.cert, &e))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Resolves on `SIGTERM` or `SIGINT`; meanwhile `SIGHUP` makes the database handle look at its
/// file again.
pub async fn signals(database: Arc<DatabaseHandle>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
    else {
        tracing::error!("could not install signal handlers; stop with SIGKILL");
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                let db = Arc::clone(&database);
                let _ = tokio::task::spawn_blocking(move || if !db.reload() {
                    tracing::info!("SIGHUP: the database file is unchanged");
                }).await;
            }
        }
    }
}
