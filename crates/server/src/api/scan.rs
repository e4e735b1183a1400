//! `POST /api/v1/scan`: an inventory in, the report out, one scan counted against the token's
//! daily quota.
//!
//! Order matters: the token is checked first (401, nothing read), then the body is read and
//! parsed (400/408/413/415 cost no quota), then the scan is counted by one atomic statement and
//! committed (429 past the quota), and only then matched and answered, so a restart between the
//! count and the answer can lose an answer but never a count.
//!
//! `?remember=NAME` also stores the inventory and its findings under NAME for the token, for the
//! re-evaluation after each database reload ([`crate::watch`], docs/watch.md). The name is
//! checked with the body (400, nothing counted); a token at its bound of remembered inventories
//! gets 409 after its scan was counted and matched (the report is not sent).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState, is_json, read_body};
use crate::clock::{day_of, seconds_to_next_day};
use crate::inventory::parse_inventory;
use crate::report::build_report;
use crate::store::{QuotaDecision, RememberDecision, RememberedRecord, TokenRecord};
use crate::token::Token;

/// The quota state a scan answer reports in its `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy)]
struct RateState {
    limit: u32,
    used: u32,
    reset_at: i64,
}

impl RateState {
    fn apply(self, response: &mut Response) {
        let headers = response.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", i64::from(self.limit)),
            ("x-ratelimit-remaining", i64::from(self.limit.saturating_sub(self.used))),
            ("x-ratelimit-reset", self.reset_at),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
                headers.insert(name, v);
            }
        }
    }
}

/// The query of `POST /api/v1/scan`.
#[derive(Debug, Default, serde::Deserialize)]
struct ScanQuery {
    /// Remember the inventory under this name.
    remember: Option<String>,
}

/// The name of `?remember=NAME`, checked; `None` without one.
fn remember_name(query: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    let parsed: ScanQuery =
        serde_urlencoded::from_str(query).map_err(|e| ApiError::bad_request(format!("the query string: {e}"), None))?;
    if let Some(name) = &parsed.remember {
        microscanner_watch::validate_name(name)
            .map_err(|e| ApiError::bad_request(e.to_string(), Some("remember".to_owned())))?;
    }
    Ok(parsed.remember)
}

/// The handler.
pub(super) async fn scan(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let token = match authenticate(&state, &headers).await {
        Ok(token) => token,
        Err(e) => {
            // Read (and drop) the body, within --max-body and --request-timeout, before
            // answering: a client still sending its inventory would otherwise see a broken pipe
            // instead of the 401 that says why.
            let _ = read_body(&state, &headers, body).await;
            return e.into_response();
        }
    };
    let limit = token.daily_quota.unwrap_or(state.config.daily_quota);
    let now = state.clock.now();
    let reset_at = now + seconds_to_next_day(now);
    let remember = match remember_name(query.as_deref()) {
        Ok(name) => name,
        Err(e) => {
            let _ = read_body(&state, &headers, body).await;
            return e.into_response();
        }
    };
    let (mut response, used) = match counted_scan(&state, &token, &headers, body, limit, remember).await {
        Ok((response, used)) => (response, used),
        Err(e) => {
            let used = state.store.scans_on(&token.id, day_of(now)).await.unwrap_or(0);
            (e.into_response(), used)
        }
    };
    RateState { limit, used, reset_at }.apply(&mut response);
    response
}

/// The bearer token, checked against the store: the same 401 for every way it can be wrong.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<TokenRecord, ApiError> {
    let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(ApiError::unauthorized)?;
    let (scheme, text) = value.trim().split_once(' ').ok_or_else(ApiError::unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized());
    }
    let token = Token::parse(text).map_err(|_| ApiError::unauthorized())?;
    let record = state.store.find_token(&token.id).await?.ok_or_else(ApiError::unauthorized)?;
    if record.revoked_at.is_some() || !token.verify(&record.secret_hash) {
        return Err(ApiError::unauthorized());
    }
    Ok(record)
}

/// Reads, counts, matches: the answer and the day's count after it.
async fn counted_scan(
    state: &Arc<AppState>,
    token: &TokenRecord,
    headers: &HeaderMap,
    body: Body,
    limit: u32,
    remember: Option<String>,
) -> Result<(Response, u32), ApiError> {
    let started = Instant::now();
    is_json(headers)?;
    let bytes = read_body(state, headers, body).await?;
    let inventory =
        tokio::task::spawn_blocking(move || parse_inventory(&bytes)).await.map_err(|e| ApiError::internal(&e))??;
    let generation =
        state.database.current().ok_or_else(|| ApiError::unavailable("no vulnerability database loaded yet"))?;
    let now = state.clock.now();
    let used = match state.store.count_scan(&token.id, day_of(now), limit, now).await? {
        QuotaDecision::Granted { used } => used,
        QuotaDecision::Exceeded { used } => {
            state.metrics.quota_rejections.fetch_add(1, Ordering::Relaxed);
            let wait = seconds_to_next_day(now);
            let detail =
                format!("daily quota of {limit} scans used up ({used} today); it resets at 00:00 UTC, in {wait} s");
            return Err(ApiError::too_many("quota_exceeded", detail, wait));
        }
    };
    let created_at = rfc3339(now);
    let kept = remember.is_some().then(|| inventory.clone());
    let wants_key = kept.is_some();
    let (json, report, key) = tokio::task::spawn_blocking(move || {
        let lease = generation.lease()?;
        let policy = microscanner_report::policy::Policy::new(time::OffsetDateTime::now_utc().date());
        let report = build_report(lease.db(), &lease.generation().info, &policy, inventory, &created_at, started)?;
        let json = serde_json::to_vec(&report).map_err(crate::report::ReportError::from)?;
        let key = wants_key.then(|| lease.generation().watch_key());
        Ok::<_, crate::report::ReportError>((json, report, key))
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&e))?;
    if let (Some(name), Some(inventory)) = (remember, kept) {
        remember_inventory(state, token, name, inventory, report, key, now).await?;
    }
    state.metrics.scans.fetch_add(1, Ordering::Relaxed);
    let mut response = (StatusCode::OK, json).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok((response, used))
}

/// Stores `inventory` and `report`'s findings (every one: the service applies no filter) under
/// `name` for `token`, of the database generation `generation` (its watch key).
async fn remember_inventory(
    state: &AppState,
    token: &TokenRecord,
    name: String,
    inventory: microscanner_model::Inventory,
    report: microscanner_model::Report,
    generation: Option<String>,
    now: i64,
) -> Result<(), ApiError> {
    let findings: Vec<_> = report.findings.into_iter().chain(report.suppressed).collect();
    let record = RememberedRecord {
        token_id: token.id.clone(),
        name,
        image: inventory.image.name.clone(),
        digest: inventory.image.manifest_digest.clone(),
        remembered_at: now,
        inventory: microscanner_watch::encode_document(&inventory).map_err(|e| ApiError::internal(&e))?,
        findings: microscanner_watch::encode_document(&microscanner_watch::compact(&findings))
            .map_err(|e| ApiError::internal(&e))?,
        generation,
    };
    let limit = state.config.watch.max_per_token;
    match state.store.remember(&record, limit).await? {
        RememberDecision::Stored => {
            state.metrics.watch.remembered.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        RememberDecision::Full => Err(ApiError::conflict(
            "remember_limit",
            format!("this token already remembers {limit} inventories (the most allowed); the scan was counted"),
        )),
    }
}

/// `t` as RFC 3339, whole seconds, UTC.
pub fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}
