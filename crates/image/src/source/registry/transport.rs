//! Talking to the registry: the tokio runtime, the HTTP client and its transport, authorized
//! requests under the bounds of [`super::http`], and turning failures into one-line
//! [`ImageError`]s that name the registry, the document and the bound hit.
//!
//! `oci-client` is not used for requests: it reads manifests, token answers and error bodies
//! whole (`Response::bytes`) before anything can look at their size, and has no overall deadline.
//!
//! Transport, decided as docker decides it: HTTPS with certificate checks, except for a registry
//! marked insecure (`--insecure`) or on a loopback address (`localhost`, `127.0.0.0/8`, `::1`,
//! which the docker daemon treats as insecure by default): there HTTPS is tried first without
//! certificate checks, and plain HTTP when HTTPS cannot be spoken at all.

use std::future::Future;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use oci_client::Reference;
use oci_client::secrets::RegistryAuth;
use reqwest::header::{ACCEPT, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use serde::Deserialize;

use super::auth::{Authorization, Challenge, Login};
use super::http::{self, Doc, Failure, Http, MAX_ERROR_BODY};
use crate::{ImageError, Limits, OpenOptions};

/// How long connecting may take before the registry counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest reason kept from a registry's error body.
const MAX_REASON_CHARS: usize = 300;

/// Most bytes of a token service's answer (a JSON object holding a token of a few KiB).
const MAX_TOKEN_BYTES: u64 = 1 << 20;

/// One registry connection: the runtime its requests run on, the client with its chosen
/// transport and bounds, the credentials and the image reference. Shared (`Arc`) by the store and
/// every layer blob, so it lives as long as any image opened from it.
pub(super) struct Remote {
    /// Runs the requests; shut down when the last image is dropped.
    runtime: OwnedRuntime,
    /// The client on the transport that answered, with the time bounds of this open.
    pub(super) http: Http,
    /// `https://127.0.0.1:5000`: the scheme that answered and the registry's host.
    base: String,
    /// The credentials, and which they are (`as user scanner (from --username)`).
    login: Login,
    /// What requests to the registry carry now (a token once the token service gave one).
    authorization: Mutex<Authorization>,
    /// The reference the user named (`127.0.0.1:5000/demo/app:latest`).
    pub(super) reference: Reference,
    /// Whether the user asked for `--insecure` (for the certificate hint in errors).
    insecure: bool,
    /// The bounds of this open.
    pub(super) limits: Limits,
    /// Whether tokens are asked for push as well as pull (`db publish`).
    push: bool,
}

/// How long sending a request may take before its answer starts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sending {
    /// A request without a large body: its answer must come within the stall timeout.
    Small,
    /// An upload: the body may take until the deadline to go out.
    Upload,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("reference", &self.reference.whole()).field("who", &self.login.who).finish()
    }
}

impl Remote {
    /// The registry host as the reference names it (`docker.io`, `127.0.0.1:5001`).
    pub(super) fn registry(&self) -> &str {
        self.reference.registry()
    }

    /// `repository:tag` or `repository@digest`, for errors.
    pub(super) fn what(&self) -> String {
        match (self.reference.digest(), self.reference.tag()) {
            (Some(digest), _) => format!("{}@{digest}", self.reference.repository()),
            (None, tag) => format!("{}:{}", self.reference.repository(), tag.unwrap_or("latest")),
        }
    }

    /// Runs `future` to completion on the registry runtime, from a thread outside any runtime.
    pub(super) fn block_on<F: Future>(&self, future: F) -> Result<F::Output, ImageError> {
        outside_runtime(self.registry())?;
        Ok(self.runtime.get().block_on(future))
    }

    /// GETs `/v2/{path}` of the registry with the current authorization, and returns the answer
    /// when it is 200 (its body not read yet). A 401 whose challenge the credentials can answer
    /// (a new token from the token service: the first, or one that expired) is answered and the
    /// request sent once more.
    pub(super) async fn get(&self, path: &str, accept: Option<&str>, doc: &Doc) -> Result<Response, ImageError> {
        let url = format!("{}/v2/{path}", self.base);
        let build = |client: &reqwest::Client| {
            let request = client.get(&url);
            match accept {
                Some(accept) => Ok(request.header(ACCEPT, accept)),
                None => Ok(request),
            }
        };
        self.request(build, &[StatusCode::OK], Sending::Small, doc).await
    }

    /// Sends the request `build` makes (once more after answering a 401 challenge the credentials
    /// can answer, so `build` is called again: a body is made anew) with the current
    /// authorization, and returns the answer when its status is one of `expected` (its body not
    /// read yet); any other status is the registry's error about `doc`.
    pub(super) async fn request<F>(
        &self,
        build: F,
        expected: &[StatusCode],
        sending: Sending,
        doc: &Doc,
    ) -> Result<Response, ImageError>
    where
        F: Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, ImageError>,
    {
        let mut retried = false;
        loop {
            let authorization = self.authorization.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let request = authorization.apply(build(&self.http.client)?);
            let sent = match sending {
                Sending::Small => self.http.send(request).await,
                Sending::Upload => self.http.send_upload(request).await,
            };
            let response = sent.map_err(|f| self.error(f, doc))?;
            if expected.contains(&response.status()) {
                return Ok(response);
            }
            if response.status() == StatusCode::UNAUTHORIZED && !retried {
                retried = true;
                let challenge = challenge_of(&response);
                if self.answer(challenge.as_deref()).await? {
                    continue;
                }
            }
            return Err(self.error(self.http.failure(response).await, doc));
        }
    }

    /// `https://127.0.0.1:5000/v2/{path}`.
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}/v2/{path}", self.base)
    }

    /// The repository's URL base (`https://host`), to resolve a relative `Location` against.
    pub(super) fn base(&self) -> &str {
        &self.base
    }

    /// Reads a whole 200 answer to `doc`'s request, bounded by `doc.max`.
    pub(super) async fn read(&self, response: Response, doc: &Doc) -> Result<Vec<u8>, ImageError> {
        self.http.body(response, doc.max).await.map_err(|f| self.error(f, doc))
    }

    /// Answers a `WWW-Authenticate` challenge: a token from the token service for a Bearer
    /// challenge, the credentials for a Basic one. Whether the authorization changed (so a
    /// request refused before may now pass).
    async fn answer(&self, challenge: Option<&str>) -> Result<bool, ImageError> {
        let next = match Challenge::parse(challenge.unwrap_or_default()) {
            Challenge::Bearer { realm, service } => {
                Authorization::Bearer(self.token(&realm, service.as_deref()).await?)
            }
            Challenge::Basic => match &self.login.auth {
                RegistryAuth::Basic(username, password) => Authorization::Basic(username.clone(), password.clone()),
                _ => return Ok(false),
            },
            Challenge::Other => return Ok(false),
        };
        let mut current = self.authorization.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = *current != next || matches!(next, Authorization::Bearer(_));
        *current = next;
        Ok(changed)
    }

    /// Asks the token service at `realm` for a pull (or pull and push) token of the repository, with the
    /// credentials when there are some. Its answer is bounded like any document.
    async fn token(&self, realm: &str, service: Option<&str>) -> Result<String, ImageError> {
        let mut url =
            reqwest::Url::parse(realm).map_err(|e| self.failed(format!("the token service `{realm}`: {e}")))?;
        let shown = format!("{}://{}{}", url.scheme(), url.authority(), url.path());
        let doc = Doc::new(format!("token answer from {shown}"), MAX_TOKEN_BYTES);
        let actions = if self.push { "pull,push" } else { "pull" };
        let scope = format!("repository:{}:{actions}", self.reference.repository());
        url.query_pairs_mut().append_pair("scope", &scope);
        if let Some(service) = service {
            url.query_pairs_mut().append_pair("service", service);
        }
        let mut request = self.http.client.get(url);
        if let RegistryAuth::Basic(username, password) = &self.login.auth {
            request = request.basic_auth(username, Some(password));
        }
        let response = self.http.send(request).await.map_err(|f| self.error(f, &doc))?;
        if response.status() != StatusCode::OK {
            return Err(match self.http.failure(response).await {
                Failure::Status { status, body, cut } => self.refused(format!(
                    "the token service refused access to {}: HTTP {status}{}: {}",
                    self.what(),
                    cut_note(cut),
                    body.trim()
                )),
                other => self.error(other, &doc),
            });
        }
        let body = self.http.body(response, doc.max).await.map_err(|f| self.error(f, &doc))?;
        /// The fields a token answer may carry the token in.
        #[derive(Deserialize)]
        struct TokenAnswer {
            token: Option<String>,
            access_token: Option<String>,
        }
        let answer: TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| self.failed(format!("{}: not a token answer: {e}", doc.name)))?;
        answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| self.failed(format!("{}: no token in it", doc.name)))
    }

    /// The [`ImageError`] for a failed request about `doc`: which bound was hit, or what the
    /// registry answered.
    pub(super) fn error(&self, failure: Failure, doc: &Doc) -> ImageError {
        let what = &doc.name;
        match failure {
            Failure::Declared { length, max } => self.failed(format!(
                "{what} declares {length} bytes (Content-Length), more than its bound of {}; not read",
                http::bytes(max)
            )),
            Failure::TooLong { max } => self.failed(format!("{what} exceeds {} while streaming", http::bytes(max))),
            Failure::Stalled(stall) => {
                self.failed(format!("{what}: nothing received for {} (stall timeout)", http::duration(stall)))
            }
            Failure::Deadline(total) => {
                self.failed(format!("{what}: not done within the overall timeout of {}", http::duration(total)))
            }
            Failure::Status { status, body, cut } => self.status_error(status, &body, cut, what),
            Failure::Transport(e) => {
                let cause = deepest_cause(&e);
                let reason = if e.is_timeout() {
                    format!("timed out ({cause})")
                } else if e.is_connect() {
                    format!("cannot connect: {cause}")
                } else {
                    format!("request for {what} failed: {cause}")
                };
                let tls = cause.to_ascii_lowercase().contains("certificate");
                let hint = if tls && !self.insecure {
                    "; pass --insecure for a registry without a trusted certificate"
                } else {
                    ""
                };
                self.failed(format!("{reason}{hint}"))
            }
        }
    }

    /// An answer other than 200 about `what`, sorted into auth and registry errors.
    fn status_error(&self, status: StatusCode, body: &str, cut: bool, what: &str) -> ImageError {
        let note = cut_note(cut);
        if status == StatusCode::UNAUTHORIZED {
            return self.refused(format!("the registry answered 401 Unauthorized for {what}"));
        }
        if status.is_client_error()
            && let Ok(envelope) = serde_json::from_str::<Envelope>(body)
            && let Some(first) = envelope.errors.first()
        {
            let message = if first.message.is_empty() { first.code.clone() } else { first.message.clone() };
            return match first.code.as_str() {
                "UNAUTHORIZED" | "DENIED" => self.refused(format!("{message} for {what}")),
                _ => self.failed(format!("{message}: {what}")),
            };
        }
        let code = status.as_u16();
        if code == 403 {
            return self.refused(format!("the registry answered 403 for {what}{note}: {}", body.trim()));
        }
        self.failed(format!("HTTP {code} for {what}{note}: {}", body.trim()))
    }

    /// A registry error with a one-line reason.
    fn failed(&self, reason: String) -> ImageError {
        ImageError::Registry { registry: self.registry().to_owned(), reason: one_line(&reason) }
    }

    /// An authentication error naming the credentials tried.
    fn refused(&self, detail: String) -> ImageError {
        let who = &self.login.who;
        let hint =
            if who == "anonymously" { "; log in with --username and --password-stdin, or docker login" } else { "" };
        ImageError::Auth {
            registry: self.registry().to_owned(),
            reason: one_line(&format!("{detail}; tried {who}{hint}")),
        }
    }

    /// `GET /v2/` without credentials: whether the transport works, and the challenge to answer
    /// when the registry wants credentials. The body is not read.
    async fn probe(&self) -> Result<Option<String>, Failure> {
        let response = self.http.send(self.http.client.get(format!("{}/v2/", self.base))).await?;
        Ok(if response.status() == StatusCode::UNAUTHORIZED { challenge_of(&response) } else { None })
    }
}

/// ` (error body over 64 KiB, not read further)` for a cut error body, else nothing.
fn cut_note(cut: bool) -> String {
    if cut { format!(" (error body over {}, not read further)", http::bytes(MAX_ERROR_BODY)) } else { String::new() }
}

/// The `WWW-Authenticate` header of an answer.
fn challenge_of(response: &Response) -> Option<String> {
    response.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The OCI distribution error body: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`.
#[derive(Deserialize)]
struct Envelope {
    errors: Vec<EnvelopeError>,
}

/// One error of an [`Envelope`].
#[derive(Deserialize)]
struct EnvelopeError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Builds the runtime and client for `reference`'s registry and finds the transport that answers
/// (see the module comment), authenticating on the way: a token service that refuses the
/// credentials is an [`ImageError::Auth`] here. The overall deadline starts now.
/// With `push`, tokens are asked for the `pull,push` scope.
pub(super) fn connect(
    reference: Reference,
    login: Login,
    options: &OpenOptions,
    push: bool,
) -> Result<Remote, ImageError> {
    let registry = reference.registry().to_owned();
    outside_runtime(&registry)?;
    let runtime = OwnedRuntime::new(&registry)?;
    let insecure = options.registry.insecure;
    let relaxed = insecure || is_loopback(&registry);
    let transports: &[Transport] =
        if relaxed { &[Transport::HttpsUnchecked, Transport::Http] } else { &[Transport::Https] };
    let resolved = reference.resolve_registry().to_owned();
    let deadline = http::Deadline::after(options.timeout);
    let mut remote = Remote {
        runtime,
        http: Http::new(build_client(transports[0], &registry)?, options.stall_timeout, deadline),
        base: transports[0].base(&resolved),
        login,
        authorization: Mutex::new(Authorization::None),
        reference,
        insecure,
        limits: options.limits,
        push,
    };
    let doc = Doc::new("the API root /v2/", 0);
    for (i, transport) in transports.iter().enumerate() {
        if i > 0 {
            remote.http = Http::new(build_client(*transport, &registry)?, options.stall_timeout, deadline);
            remote.base = transport.base(&resolved);
        }
        match remote.runtime.get().block_on(remote.probe()) {
            Ok(challenge) => {
                tracing::debug!("{registry}: using {transport:?}");
                if challenge.is_some() {
                    remote.runtime.get().block_on(remote.answer(challenge.as_deref()))?;
                }
                return Ok(remote);
            }
            Err(Failure::Transport(e)) if i + 1 < transports.len() => {
                tracing::debug!("{registry}: {transport:?} failed ({}); trying the next transport", deepest_cause(&e));
            }
            Err(Failure::Stalled(_)) if i + 1 < transports.len() => {
                tracing::debug!("{registry}: {transport:?} did not answer; trying the next transport");
            }
            Err(failure) => return Err(remote.error(failure, &doc)),
        }
    }
    Err(ImageError::Registry { registry, reason: "no transport to try".to_owned() })
}

/// How requests reach the registry.
#[derive(Debug, Clone, Copy)]
enum Transport {
    /// HTTPS, certificates checked.
    Https,
    /// HTTPS, any certificate accepted (insecure or loopback registries).
    HttpsUnchecked,
    /// Plain HTTP to the registry (insecure or loopback registries).
    Http,
}

impl Transport {
    /// `https://HOST` or `http://HOST`.
    fn base(self, host: &str) -> String {
        match self {
            Self::Https | Self::HttpsUnchecked => format!("https://{host}"),
            Self::Http => format!("http://{host}"),
        }
    }
}

/// A client for one transport. Its only timeout is the connect timeout: the stall timeout and
/// the deadline are applied to every request and read ([`Http`]).
fn build_client(transport: Transport, registry: &str) -> Result<reqwest::Client, ImageError> {
    reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(!matches!(transport, Transport::Https))
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("microscanner/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ImageError::Registry {
            registry: registry.to_owned(),
            reason: one_line(&format!("cannot set up the HTTP client: {e}")),
        })
}

/// Whether the registry host is this machine (`localhost`, `127.0.0.0/8`, `::1`), with or
/// without a port.
pub(super) fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry.rsplit_once(':').map_or(registry, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses to block inside someone's async runtime (tokio would panic).
fn outside_runtime(registry: &str) -> Result<(), ImageError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(ImageError::Registry {
            registry: registry.to_owned(),
            reason: "registry images cannot be read from inside an async runtime".to_owned(),
        });
    }
    Ok(())
}

/// A multi-thread tokio runtime that shuts down without blocking when dropped, wherever that is.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl OwnedRuntime {
    /// Two workers: they only drive HTTP transfers, the walk runs on the caller's threads.
    fn new(registry: &str) -> Result<Self, ImageError> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("microscanner-registry")
            .enable_all()
            .build()
            .map(|rt| Self(Some(rt)))
            .map_err(|e| ImageError::Registry {
                registry: registry.to_owned(),
                reason: format!("cannot start the network runtime: {e}"),
            })
    }

    /// The runtime (always there until drop).
    fn get(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().unwrap_or_else(|| unreachable!("the runtime is only taken on drop"))
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// The innermost error of a chain (`Connection refused (os error 111)`), or the error itself.
pub(super) fn deepest_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// A reason on one line, bounded in length (registry error bodies can be whole HTML pages).
pub(super) fn one_line(reason: &str) -> String {
    let flat = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "LOCALHOST:1"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["docker.io", "ghcr.io:443", "10.0.0.1:5000", "localhost.example.com", "[fe80::1]:5000"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn reasons_are_one_bounded_line() {
        assert_eq!(one_line("a\n  b\r\nc"), "a b c");
        let long = "x".repeat(1000);
        assert_eq!(one_line(&long).chars().count(), MAX_REASON_CHARS + 1);
    }
}
