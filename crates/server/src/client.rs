//! The client side of the service: `microscanner register EMAIL` and `microscanner scan TARGET
//! --server URL --token T` (and the old `microscanner <TOKEN>`). Only the inventory is sent,
//! never a file of the image.

use std::time::Duration;

use microscanner_model::Report;
use serde::Deserialize;

/// Why the service could not be used. Each message is one line a CI log can show as is.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached (DNS, connect, TLS, timeout).
    #[error("cannot reach the microscanner server {url}: {reason}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// Why, as the transport said it.
        reason: String,
    },
    /// The daily quota is used up.
    #[error("the token's daily quota is used up: {detail} (it resets in {})", human_wait(*.retry_after))]
    QuotaExceeded {
        /// The server's sentence.
        detail: String,
        /// Seconds until it resets.
        retry_after: u64,
    },
    /// The token was refused (unknown, revoked, malformed).
    #[error("the server refused the token: {0} (register again with `microscanner register EMAIL`)")]
    Unauthorized(String),
    /// Any other refusal.
    #[error("the server answered {status}: {detail}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The server's sentence (and the field at fault, if it named one).
        detail: String,
    },
    /// The answer was not what the API promises.
    #[error("the server's answer could not be read: {0}")]
    BadAnswer(String),
}

/// The body of an error answer.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    detail: String,
    #[serde(default)]
    field: Option<String>,
}

/// The most a report answer may weigh (a report lists every package: generous, still bounded).
const MAX_ANSWER: u64 = 512 << 20;

/// A client of one server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
}

/// No byte for this long (waiting for an answer, or between two reads of a body) fails a request
/// ([`Client::with_stall_timeout`]): a server that accepts and never answers costs this, not the
/// whole timeout.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);

impl Client {
    /// A client of the server at `base_url`; `no_verify` skips TLS certificate checks (the old
    /// `-n/--no-verify`; the caller warns). `timeout` bounds connecting and each wait for bytes,
    /// with [`STALL_TIMEOUT`] as the longest wait.
    pub fn new(base_url: &str, no_verify: bool, timeout: Duration) -> Result<Self, ClientError> {
        Self::with_stall_timeout(base_url, no_verify, timeout.min(STALL_TIMEOUT))
    }

    /// [`Client::new`] with another stall timeout: the longest wait for an answer or for the
    /// next bytes of a body (reqwest's blocking timeout is per operation, not per request).
    pub fn with_stall_timeout(base_url: &str, no_verify: bool, timeout: Duration) -> Result<Self, ClientError> {
        // The Mozilla roots are built in and merged with the system's (when the image has a CA
        // store), so the client works in scratch and distroless images too.
        let bundled =
            webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().filter_map(|der| reqwest::Certificate::from_der(der).ok());
        let http = reqwest::blocking::Client::builder()
            .tls_certs_merge(bundled)
            .connect_timeout(Duration::from_secs(30).min(timeout))
            .timeout(timeout)
            .tls_danger_accept_invalid_certs(no_verify)
            .user_agent(concat!("microscanner/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Unreachable { url: base_url.to_owned(), reason: e.to_string() })?;
        Ok(Self { http, base: base_url.trim_end_matches('/').to_owned() })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn unreachable(&self, e: &reqwest::Error) -> ClientError {
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        ClientError::Unreachable { url: self.base.clone(), reason }
    }

    /// The terms a registrant accepts, as the server states them.
    pub fn terms(&self) -> Result<String, ClientError> {
        let response = self.http.get(self.url("/api/v1/terms")).send().map_err(|e| self.unreachable(&e))?;
        let bytes = read_bounded(check(response)?)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Asks the server to mail a token to `email`; the terms must have been accepted.
    pub fn register(&self, email: &str) -> Result<(), ClientError> {
        let response = self
            .http
            .post(self.url("/api/v1/register"))
            .json(&serde_json::json!({ "email": email, "accept_terms": true }))
            .send()
            .map_err(|e| self.unreachable(&e))?;
        check(response).map(drop)
    }

    /// Sends an inventory document (JSON bytes) with `token`; the server's report. With
    /// `remember`, the server also keeps the inventory under that name for the token and
    /// re-evaluates it after each database reload (`?remember=NAME`, docs/watch.md).
    pub fn scan(&self, token: &str, inventory_json: Vec<u8>, remember: Option<&str>) -> Result<Report, ClientError> {
        let mut request = self.http.post(self.url("/api/v1/scan"));
        if let Some(name) = remember {
            request = request.query(&[("remember", name)]);
        }
        let response = request
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(inventory_json)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        let response = check(response)?;
        let bytes = read_bounded(response)?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::BadAnswer(format!("report: {e}")))
    }
}

/// What [`Client::fetch_database`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseFetch {
    /// The local file already is the server's database: nothing was downloaded.
    UpToDate {
        /// Its sha256.
        sha256: String,
    },
    /// The server's database was downloaded, checked and installed.
    Updated {
        /// Its sha256.
        sha256: String,
        /// When it was built.
        built_at: String,
        /// Bytes downloaded.
        downloaded: u64,
    },
}

/// `GET /api/v1/db`'s document, as far as the client reads it.
#[derive(Debug, Deserialize)]
struct DatabaseMetadata {
    sha256: String,
    #[serde(default)]
    built_at: String,
    /// The database's version (its content digest), when the server names it.
    #[serde(default)]
    version: Option<String>,
    download: DownloadInfo,
}

#[derive(Debug, Deserialize)]
struct DownloadInfo {
    path: String,
    size: u64,
}

impl Client {
    /// Whether the server is a microscanner server publishing its database (`GET /api/v1/db`
    /// answers our document); `None` when it is something else (a feed mirror).
    pub fn database_published(&self) -> Option<()> {
        let response = self.http.get(self.url("/api/v1/db")).send().ok()?;
        if !response.status().is_success() {
            return None;
        }
        let bytes = read_bounded_to(response, 1 << 20).ok()?;
        serde_json::from_slice::<DatabaseMetadata>(&bytes).ok().map(drop)
    }

    /// Replaces `target` by the server's database in one download, unless it already is that
    /// database (compared by sha256, then `If-None-Match`). The download is bounded by the size
    /// the server announced, written beside `target`, and checked (manifest, sha256, integrity,
    /// schema) by [`microscanner_vulndb::import`] before it is renamed into place: a failure
    /// leaves `target` as it was.
    pub fn fetch_database(&self, target: &std::path::Path) -> Result<DatabaseFetch, ClientError> {
        let response = self.http.get(self.url("/api/v1/db")).send().map_err(|e| self.unreachable(&e))?;
        let bytes = read_bounded_to(check(response)?, 1 << 20)?;
        let meta: DatabaseMetadata =
            serde_json::from_slice(&bytes).map_err(|e| ClientError::BadAnswer(format!("/api/v1/db: {e}")))?;
        let local = microscanner_vulndb::hash_file(target).ok().map(|(sha, _)| sha);
        if local.as_deref() == Some(meta.sha256.as_str()) {
            return Ok(DatabaseFetch::UpToDate { sha256: meta.sha256 });
        }
        // The local database's version: the same contents in another file (a delta applied) is
        // up to date too; another version asks for the delta from it.
        let local_version = match (&meta.version, &local) {
            (Some(_), Some(_)) => microscanner_vulndb::content_version(target).ok(),
            _ => None,
        };
        if local_version.is_some() && local_version == meta.version {
            return Ok(DatabaseFetch::UpToDate { sha256: meta.sha256 });
        }
        let path = match &local_version {
            Some(v) => format!("{}?since={v}", meta.download.path),
            None => meta.download.path.clone(),
        };
        let mut request = self.http.get(self.url(&path));
        if let Some(sha) = &local {
            request = request.header(reqwest::header::IF_NONE_MATCH, format!("\"{sha}\""));
        }
        let response = request.send().map_err(|e| self.unreachable(&e))?;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(DatabaseFetch::UpToDate { sha256: meta.sha256 });
        }
        let response = check(response)?;
        let is_delta = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes() == microscanner_vulndb::DELTA_MEDIA_TYPE.as_bytes());
        if is_delta {
            return self.apply_delta(response, target, &meta);
        }
        let spool = microscanner_vulndb::temp_path_beside(target, "download");
        let result = download_to(response, &spool, meta.download.size).and_then(|downloaded| {
            let manifest = microscanner_vulndb::import(&spool, target)
                .map_err(|e| ClientError::BadAnswer(format!("the downloaded database: {e}")))?;
            if manifest.sha256 != meta.sha256 {
                return Err(ClientError::BadAnswer("the downloaded database is not the one announced".into()));
            }
            Ok(DatabaseFetch::Updated { sha256: manifest.sha256, built_at: meta.built_at, downloaded })
        });
        let _ = std::fs::remove_file(&spool);
        result
    }
}

impl Client {
    /// Applies the delta the server answered (no larger than its export, its length announced)
    /// to `target` (`microscanner_vulndb::import_delta`: base checked, applied to a copy,
    /// renamed into place), which must then be the version the server announced.
    fn apply_delta(
        &self,
        response: reqwest::blocking::Response,
        target: &std::path::Path,
        meta: &DatabaseMetadata,
    ) -> Result<DatabaseFetch, ClientError> {
        let announced = response
            .content_length()
            .filter(|&n| n <= meta.download.size)
            .ok_or_else(|| ClientError::BadAnswer("a delta without a length, or larger than the export".into()))?;
        let spool = microscanner_vulndb::temp_path_beside(target, "download-delta");
        let result = download_to(response, &spool, announced).and_then(|downloaded| {
            let (header, _) = microscanner_vulndb::import_delta(&spool, target)
                .map_err(|e| ClientError::BadAnswer(format!("the downloaded delta: {e}")))?;
            if Some(&header.target) != meta.version.as_ref() {
                return Err(ClientError::BadAnswer("the delta makes another version than the one announced".into()));
            }
            Ok(DatabaseFetch::Updated { sha256: meta.sha256.clone(), built_at: meta.built_at.clone(), downloaded })
        });
        let _ = std::fs::remove_file(&spool);
        result
    }
}

/// Streams an answer into `path`, refusing more than `announced` bytes.
fn download_to(
    response: reqwest::blocking::Response,
    path: &std::path::Path,
    announced: u64,
) -> Result<u64, ClientError> {
    use std::io::Read as _;
    let fail = |e: std::io::Error| ClientError::BadAnswer(format!("writing {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut file = std::fs::File::create(path).map_err(fail)?;
    let copied = std::io::copy(&mut response.take(announced + 1), &mut file).map_err(fail)?;
    if copied != announced {
        return Err(ClientError::BadAnswer(format!(
            "the download was {copied} bytes, the server announced {announced}"
        )));
    }
    file.sync_all().map_err(fail)?;
    Ok(copied)
}

fn read_bounded(response: reqwest::blocking::Response) -> Result<Vec<u8>, ClientError> {
    read_bounded_to(response, MAX_ANSWER)
}

fn read_bounded_to(response: reqwest::blocking::Response, limit: u64) -> Result<Vec<u8>, ClientError> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    response
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ClientError::BadAnswer(format!("reading the answer: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(ClientError::BadAnswer(format!("the answer is over {limit} bytes")));
    }
    Ok(bytes)
}

/// Turns an error answer into a [`ClientError`].
fn check(response: reqwest::blocking::Response) -> Result<reqwest::blocking::Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let bytes = read_bounded(response).unwrap_or_default();
    let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
    let detail = match body {
        Some(ErrorBody { detail, field: Some(field) }) => format!("{field}: {detail}"),
        Some(ErrorBody { detail, field: None }) if !detail.is_empty() => detail,
        _ => status.canonical_reason().unwrap_or("error").to_owned(),
    };
    Err(match status.as_u16() {
        401 => ClientError::Unauthorized(detail),
        429 if retry_after > 0 => ClientError::QuotaExceeded { detail, retry_after },
        code => ClientError::Refused { status: code, detail },
    })
}

/// `3h 12m`, `45 s`.
fn human_wait(seconds: u64) -> String {
    match seconds {
        s if s >= 3600 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m {}s", s / 60, s % 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::human_wait;

    #[test]
    fn waits_read_well() {
        assert_eq!(human_wait(45), "45 s");
        assert_eq!(human_wait(125), "2m 5s");
        assert_eq!(human_wait(3 * 3600 + 12 * 60), "3h 12m");
    }
}
