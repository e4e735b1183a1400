//! `GET /api/v1/db` (what the loaded database is) and `GET /api/v1/db/download` (its compressed
//! export, as `microscanner db export` writes it), so `microscanner db update --source
//! https://SERVER` takes a ready database in one download. The ETag is the database file's
//! sha256: a client that sends it back in `If-None-Match` gets `304` and downloads nothing.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};
use crate::database::{ExportFile, Generation};

async fn loaded(state: &AppState) -> Result<(Arc<Generation>, ExportFile), ApiError> {
    let generation =
        state.database.current().ok_or_else(|| ApiError::unavailable("no vulnerability database loaded yet"))?;
    let export = generation.export().await.map_err(|e| ApiError::internal(&e))?.clone();
    Ok((generation, export))
}

fn etag(export: &ExportFile) -> String {
    format!("\"{}\"", export.manifest.sha256)
}

/// `GET /api/v1/db`.
pub(super) async fn metadata(State(state): State<Arc<AppState>>) -> Response {
    match loaded(&state).await {
        Ok((generation, export)) => {
            let mut doc = generation.metadata.clone();
            doc["format"] = export.manifest.format.clone().into();
            doc["sha256"] = export.manifest.sha256.clone().into();
            doc["size"] = export.manifest.size.into();
            doc["download"] =
                serde_json::json!({ "path": "/api/v1/db/download", "size": export.size, "etag": etag(&export) });
            match generation.version().await {
                Ok(version) => doc["version"] = version.clone().into(),
                Err(e) => tracing::warn!("the database's version: {e}"),
            }
            axum::Json(doc).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `GET /api/v1/db/download`.
///
/// With `?since=VERSION`, where VERSION is the previous generation's version, the delta from it
/// (`db export --since`; media type `application/vnd.microscanner.db.delta.v1+zstd`) when it is
/// smaller than the export; otherwise the export.
pub(super) async fn download(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    let (generation, export) = match loaded(&state).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let tag = etag(&export);
    let Ok(tag_value) = HeaderValue::from_str(&tag) else {
        return ApiError::internal(&"unrepresentable etag").into_response();
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if matches {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, tag_value);
        return response;
    }
    let since = uri.query().into_iter().flat_map(|q| q.split('&')).find_map(|kv| kv.strip_prefix("since="));
    if let Some(since) = since.map(|v| v.replace("%3A", ":").replace("%3a", ":")) {
        match generation.delta().await {
            Ok(Some(delta)) if delta.header.base == since && delta.size < export.size => {
                return match tokio::fs::File::open(&delta.path).await {
                    Ok(file) => {
                        let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
                        let h = response.headers_mut();
                        h.insert(header::ETAG, tag_value);
                        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(microscanner_vulndb::DELTA_MEDIA_TYPE));
                        h.insert(header::CONTENT_LENGTH, HeaderValue::from(delta.size));
                        response
                    }
                    Err(e) => ApiError::internal(&e).into_response(),
                };
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("no delta from the previous database: {e}"),
        }
    }
    let file = match tokio::fs::File::open(&export.path).await {
        Ok(f) => f,
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let h = response.headers_mut();
    h.insert(header::ETAG, tag_value);
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zstd"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(export.size));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"microscanner-db.tar.zst\""));
    response
}
