//! `POST /api/v1/register {email, accept_terms}`: issue a token and mail it.
//!
//! The answer is `202` whatever the address (known, new, or past its own limit), so it tells
//! nobody whether an address is registered. Registering again revokes the old token and mails a
//! new one (spam filters ate the old tool's mails: a re-send must be possible). Two throttles,
//! both counted in the store (so replicas share them): per client IP (past it, `429`) and per
//! address (past it, `202` and no mail: a stranger cannot flood someone's inbox).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ApiError, AppState, is_json, read_body};
use crate::mail::is_address;
use crate::store::TokenRecord;
use crate::token::Token;

/// Seconds in one throttle window.
const WINDOW: i64 = 3600;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    /// Where to send the token.
    pub(crate) email: String,
    /// Must be `true`: the registrant accepts the terms (`GET /` shows them).
    pub(crate) accept_terms: bool,
}

/// The handler.
pub(super) async fn register(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let outcome = async {
        is_json(&headers)?;
        let bytes = read_body(&state, &headers, body).await?;
        let request: RegisterRequest = parse_json(&bytes)?;
        accept(&state, peer, &request.email, request.accept_terms).await
    }
    .await;
    match outcome {
        Ok(()) => (
            StatusCode::ACCEPTED,
            axum::Json(serde_json::json!({
                "status": "accepted",
                "detail": "if the address can receive mail, a token is on its way; registering again revokes the old token",
            })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Parses a JSON body, naming the field at fault.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != ".").then_some(path);
        ApiError::bad_request(format!("malformed JSON body: {}", e.inner()), field)
    })
}

/// Validates, throttles, issues and mails: what the JSON and the HTML form share.
pub(crate) async fn accept(
    state: &Arc<AppState>,
    peer: SocketAddr,
    email: &str,
    accepted: bool,
) -> Result<(), ApiError> {
    if !is_address(email) {
        return Err(ApiError::bad_request("not an e-mail address", Some("email".into())));
    }
    if !accepted {
        return Err(ApiError::bad_request(
            "the terms must be accepted (accept_terms: true)",
            Some("accept_terms".into()),
        ));
    }
    let Some(mailer) = state.mailer.clone() else {
        return Err(ApiError::unavailable("registration by mail is not configured on this server (no --smtp-url)"));
    };
    let now = state.clock.now();
    let window = now.div_euclid(WINDOW);
    let limits = state.config.registration;
    if !state.store.count_attempt(&format!("ip:{}", peer.ip()), window, limits.per_client).await? {
        state.metrics.registrations_throttled.fetch_add(1, Ordering::Relaxed);
        let wait = WINDOW - now.rem_euclid(WINDOW);
        return Err(ApiError::too_many(
            "registration_throttled",
            "too many registrations from this client; try later",
            wait,
        ));
    }
    let address = email.trim().to_ascii_lowercase();
    if !state.store.count_attempt(&format!("email:{address}"), window, limits.per_address).await? {
        state.metrics.registrations_throttled.fetch_add(1, Ordering::Relaxed);
        tracing::info!("registration throttled for one address");
        return Ok(());
    }
    let token = Token::generate(&state.config.public_url).map_err(|e| ApiError::internal(&e))?;
    let record = TokenRecord {
        id: token.id.clone(),
        email: address.clone(),
        secret_hash: token.secret_hash(),
        created_at: now,
        last_used_at: None,
        revoked_at: None,
        daily_quota: None,
    };
    state.store.create_token(&record, now).await?;
    state.metrics.registrations.fetch_add(1, Ordering::Relaxed);
    // Mailed in the background: the answer neither waits for nor reveals the SMTP outcome.
    let state = Arc::clone(state);
    tokio::spawn(async move {
        if let Err(e) = mailer.send_token(&address, &token.reveal(), &state.config.public_url).await {
            state.metrics.mail_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("token {} not mailed: {e}", token.id);
        }
    });
    Ok(())
}
