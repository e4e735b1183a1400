//! Talking to the registry: the tokio runtime, the `oci-client` client and its transport, and
//! turning `oci-client` errors into one-line [`ImageError`]s.
//!
//! Transport, decided as docker decides it: HTTPS with certificate checks, except for a registry
//! marked insecure (`--insecure`) or on a loopback address (`localhost`, `127.0.0.0/8`, `::1`,
//! which the docker daemon treats as insecure by default): there HTTPS is tried first without
//! certificate checks, and plain HTTP when HTTPS cannot be spoken at all.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{DigestError, OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};

use super::auth::Login;
use crate::{ImageError, Limits, OpenOptions};

/// How long connecting may take before the registry counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a read may stall before the transfer counts as hung.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Longest reason kept from a registry's error body.
const MAX_REASON_CHARS: usize = 300;

/// One registry connection: the runtime its requests run on, the client with its chosen
/// transport, the credentials and the image reference. Shared (`Arc`) by the store and every
/// layer blob, so it lives as long as any image opened from it.
pub(super) struct Remote {
    /// Runs the client's futures; shut down when the last image is dropped.
    runtime: OwnedRuntime,
    /// The client, on the transport that answered.
    pub(super) client: Client,
    /// The credentials every request uses.
    pub(super) auth: RegistryAuth,
    /// The reference the user named (`127.0.0.1:5000/demo/app:latest`).
    pub(super) reference: Reference,
    /// Which credentials are used, for errors (`as user scanner (from --username)`).
    who: String,
    /// Whether the user asked for `--insecure` (for the certificate hint in errors).
    insecure: bool,
    /// The bounds of this open.
    pub(super) limits: Limits,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("reference", &self.reference.whole()).field("who", &self.who).finish()
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

    /// The [`ImageError`] for a failed request about `what` (a reference or digest).
    pub(super) fn error(&self, err: OciDistributionError, what: &str) -> ImageError {
        classify(err, &Context { registry: self.registry(), who: &self.who, insecure: self.insecure }, what)
    }
}

/// Builds the runtime and client for `reference`'s registry and finds the transport that answers
/// (see the module comment), authenticating on the way: a token service that refuses the
/// credentials is an [`ImageError::Auth`] here.
pub(super) fn connect(reference: Reference, login: Login, options: &OpenOptions) -> Result<Remote, ImageError> {
    let registry = reference.registry().to_owned();
    outside_runtime(&registry)?;
    let runtime = OwnedRuntime::new(&registry)?;
    let insecure = options.registry.insecure;
    let relaxed = insecure || is_loopback(&registry);
    let transports: &[Transport] =
        if relaxed { &[Transport::HttpsUnchecked, Transport::Http] } else { &[Transport::Https] };
    let context = Context { registry: &registry, who: &login.who, insecure };
    for (i, transport) in transports.iter().enumerate() {
        let client = build_client(*transport, reference.resolve_registry(), &registry)?;
        let probe = runtime.get().block_on(client.auth(&reference, &login.auth, RegistryOperation::Pull));
        match probe {
            Ok(_) => {
                tracing::debug!("{registry}: using {transport:?}");
                let Login { auth, who } = login;
                return Ok(Remote { runtime, client, auth, reference, who, insecure, limits: options.limits });
            }
            Err(OciDistributionError::RequestError(e)) if i + 1 < transports.len() => {
                tracing::debug!("{registry}: {transport:?} failed ({}); trying the next transport", deepest_cause(&e));
            }
            Err(e) => return Err(classify(e, &context, &registry)),
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

/// A client for one transport, with timeouts and without `oci-client`'s own platform choice
/// (the index walk in `oci.rs` chooses).
fn build_client(transport: Transport, resolved: &str, registry: &str) -> Result<Client, ImageError> {
    let protocol = match transport {
        Transport::Https | Transport::HttpsUnchecked => ClientProtocol::Https,
        Transport::Http => ClientProtocol::HttpsExcept(vec![resolved.to_owned()]),
    };
    let config = ClientConfig {
        protocol,
        accept_invalid_certificates: !matches!(transport, Transport::Https),
        platform_resolver: None,
        connect_timeout: Some(CONNECT_TIMEOUT),
        read_timeout: Some(READ_TIMEOUT),
        user_agent: concat!("microscanner/", env!("CARGO_PKG_VERSION")),
        ..ClientConfig::default()
    };
    Client::try_from(config).map_err(|e| ImageError::Registry {
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

/// What an error message needs to know about the connection.
struct Context<'a> {
    registry: &'a str,
    who: &'a str,
    insecure: bool,
}

/// Sorts an `oci-client` error into auth, digest or registry errors, with a one-line reason.
fn classify(err: OciDistributionError, cx: &Context<'_>, what: &str) -> ImageError {
    let registry = || cx.registry.to_owned();
    let failed = |reason: String| ImageError::Registry { registry: registry(), reason: one_line(&reason) };
    let refused = |detail: String| {
        let hint =
            if cx.who == "anonymously" { "; log in with --username and --password-stdin, or docker login" } else { "" };
        ImageError::Auth { registry: registry(), reason: one_line(&format!("{detail}; tried {}{hint}", cx.who)) }
    };
    match err {
        OciDistributionError::AuthenticationFailure(message) => {
            refused(format!("the token service refused access to {what}: {}", message.trim()))
        }
        OciDistributionError::UnauthorizedError { .. } => {
            refused(format!("the registry answered 401 Unauthorized for {what}"))
        }
        OciDistributionError::ServerError { code: code @ (401 | 403), message, .. } => {
            refused(format!("the registry answered {code} for {what}: {}", message.trim()))
        }
        OciDistributionError::RegistryError { envelope, .. } => {
            let Some(first) = envelope.errors.first() else {
                return failed(format!("an empty error for {what}"));
            };
            let message = if first.message.is_empty() { format!("{:?}", first.code) } else { first.message.clone() };
            match first.code {
                OciErrorCode::Unauthorized | OciErrorCode::Denied => refused(format!("{message} for {what}")),
                _ => failed(format!("{message}: {what}")),
            }
        }
        OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) => {
            ImageError::DigestMismatch { blob: what.to_owned(), expected, actual }
        }
        OciDistributionError::ServerError { code, message, .. } => {
            failed(format!("HTTP {code} for {what}: {}", message.trim()))
        }
        OciDistributionError::RequestError(e) => {
            let cause = deepest_cause(&e);
            let reason = if e.is_timeout() {
                format!("timed out ({cause})")
            } else if e.is_connect() {
                format!("cannot connect: {cause}")
            } else {
                format!("request for {what} failed: {cause}")
            };
            let tls = cause.to_ascii_lowercase().contains("certificate");
            let hint =
                if tls && !cx.insecure { "; pass --insecure for a registry without a trusted certificate" } else { "" };
            failed(format!("{reason}{hint}"))
        }
        other => failed(format!("{what}: {other}")),
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
