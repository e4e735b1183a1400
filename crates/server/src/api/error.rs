//! Error answers: JSON `{error, detail, field?}` with the status code that says what went wrong.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    /// HTTP status.
    #[serde(skip)]
    pub status: StatusCode,
    /// A short machine-readable code (`bad_request`, `unauthorized`, `quota_exceeded`, ...).
    pub error: &'static str,
    /// A sentence for a person.
    pub detail: String,
    /// The request field at fault (`packages[3].version`), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds until it is worth trying again (`Retry-After`).
    #[serde(skip)]
    pub retry_after: Option<i64>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, detail: impl Into<String>) -> Self {
        Self { status, error, detail: detail.into(), field: None, retry_after: None }
    }

    /// 400, naming the field at fault.
    pub fn bad_request(detail: impl Into<String>, field: Option<String>) -> Self {
        Self { field, ..Self::new(StatusCode::BAD_REQUEST, "bad_request", detail) }
    }

    /// 409: the request conflicts with what is stored (`remember_limit`: the token has the most
    /// remembered inventories allowed).
    pub fn conflict(error: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, error, detail)
    }

    /// 401: the same answer for a missing, malformed, unknown or revoked token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing, unknown or revoked token (send Authorization: Bearer TOKEN; register again for a new one)",
        )
    }

    /// 408: the request did not arrive in time.
    pub fn timeout(seconds: u64) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request body did not arrive within {seconds} s"),
        )
    }

    /// 413: the body is over `--max-body`.
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is over the limit of {limit} bytes"),
        )
    }

    /// 415: not a JSON body.
    pub fn unsupported_media(got: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Content-Type {got:?}: send application/json (an inventory, CycloneDX or SPDX JSON)"),
        )
    }

    /// 429 with `Retry-After`.
    pub fn too_many(error: &'static str, detail: impl Into<String>, retry_after: i64) -> Self {
        Self { retry_after: Some(retry_after), ..Self::new(StatusCode::TOO_MANY_REQUESTS, error, detail) }
    }

    /// 503: no database loaded, or a part of the service not configured.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// 500: logged with its cause; the client gets no internals.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!("internal error: {cause}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server failed to answer; try again later")
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::internal(&e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry_after = self.retry_after;
        let mut response = (status, axum::Json(self)).into_response();
        if let Some(seconds) = retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
