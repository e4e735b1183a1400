//! `GET /healthz` (the process answers), `GET /readyz` (503 until a database is loaded),
//! `GET /metrics` (Prometheus text), and the JSON 404.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};

/// `GET /healthz`.
pub(super) async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// `GET /readyz`.
pub(super) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    match state.database.current() {
        Some(g) => {
            axum::Json(serde_json::json!({"status": "ready", "database_built_at": g.info.built_at})).into_response()
        }
        None => ApiError::unavailable(format!("no vulnerability database at {} yet", state.database.path().display()))
            .into_response(),
    }
}

/// `GET /metrics`.
pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let now = state.clock.now();
    let age = state.database.loaded().and_then(|g| {
        let built =
            time::OffsetDateTime::parse(&g.info.built_at, &time::format_description::well_known::Rfc3339).ok()?;
        Some((now - built.unix_timestamp()) as f64)
    });
    let mut response = state.metrics.render(age).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    response
}

/// Any other path.
pub(super) async fn not_found() -> Response {
    let mut e = ApiError::bad_request("no such endpoint (see docs/openapi.yaml)", None);
    e.status = StatusCode::NOT_FOUND;
    e.error = "not_found";
    e.into_response()
}

/// `GET /api/v1/terms`: the terms a registrant accepts, as plain text (`microscanner register`
/// shows them before asking).
pub(super) async fn terms(State(state): State<Arc<AppState>>) -> Response {
    let mut response = state.config.terms.clone().into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
