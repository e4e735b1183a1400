//! The HTTP API (`docs/openapi.yaml`): the registration page, `register`, `scan`, the database
//! download, health and metrics. Every handler answers JSON errors ([`ApiError`]).

mod db;
mod error;
mod ops;
mod page;
mod register;
mod scan;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use http_body_util::BodyExt as _;

pub use error::ApiError;
pub use scan::rfc3339;

use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::database::DatabaseHandle;
use crate::mail::Mailer;
use crate::metrics::Metrics;
use crate::store::Store;

/// Everything a request handler may use.
#[derive(Debug)]
pub struct AppState {
    /// The settings.
    pub config: ServerConfig,
    /// Tokens and counters.
    pub store: Arc<dyn Store>,
    /// The vulnerability database.
    pub database: Arc<DatabaseHandle>,
    /// Registration mail; `None` without `--smtp-url`.
    pub mailer: Option<Mailer>,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
}

/// The routes, with the metrics middleware around them.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(page::form))
        .route("/register", post(page::submit))
        .route("/api/v1/register", post(register::register))
        .route("/api/v1/scan", post(scan::scan))
        .route("/api/v1/db", get(db::metadata))
        .route("/api/v1/db/download", get(db::download))
        .route("/api/v1/terms", get(ops::terms))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), observe))
        .with_state(state)
}

/// Counts every answer by route and status, with its latency.
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let response = next.run(request).await;
    state.metrics.observe(&route, response.status().as_u16(), started.elapsed());
    response
}

/// Reads a request body within `--max-body` and `--request-timeout`: 413 as soon as the declared
/// length or the bytes read pass the bound (the rest is never read), 408 when it does not arrive
/// in time.
pub(crate) async fn read_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.config.max_body;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    let limited = http_body_util::Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    let timeout = state.config.request_timeout;
    match tokio::time::timeout(timeout, limited.collect()).await {
        Err(_) => Err(ApiError::timeout(timeout.as_secs())),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(ApiError::too_large(limit)),
        Ok(Err(e)) => Err(ApiError::bad_request(format!("reading the request body: {e}"), None)),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

/// Whether the request says its body is JSON (`application/json`, or any `+json` type).
pub(crate) fn is_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json")) {
        Ok(())
    } else {
        Err(ApiError::unsupported_media(value))
    }
}
