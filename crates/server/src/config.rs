//! What `microscanner serve` is told on its command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The default daily quota of a token.
pub const DEFAULT_DAILY_QUOTA: u32 = 100;
/// The default bound of a request body (`--max-body`).
pub const DEFAULT_MAX_BODY: u64 = 16 << 20;

/// The terms a registrant accepts when no `--terms-file` is given.
pub const DEFAULT_TERMS: &str = "By registering you agree that:

1. The token is for your own use; keep it secret. Registering again revokes it and sends a new one.

2. Each token may run a limited number of scans a day.

3. A scan sends this service the list of packages in an image (names, versions, package URLs), never the image's files. The list is matched and not kept; the service records how many scans each token ran each day, and the address the token was mailed to.

4. Results are given as they are, without warranty: a scan that finds nothing does not prove an image free of vulnerabilities.
";

/// How registrations are throttled (both windows are one hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationLimits {
    /// Tokens one address may be sent per hour (beyond it: 202, but no mail).
    pub per_address: u32,
    /// Registrations one client IP may post per hour (beyond it: 429).
    pub per_client: u32,
}

impl Default for RegistrationLimits {
    fn default() -> Self {
        Self { per_address: 3, per_client: 30 }
    }
}

/// TLS material for `--tls-cert` / `--tls-key`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `--listen`.
    pub listen: SocketAddr,
    /// `--db`: the vulnerability database file.
    pub db: PathBuf,
    /// `--database-url`: where tokens and counts live.
    pub database_url: String,
    /// `--smtp-url`; without it registration by mail answers 503.
    pub smtp_url: Option<String>,
    /// `--mail-from`.
    pub mail_from: String,
    /// `--daily-quota`.
    pub daily_quota: u32,
    /// `--public-url`: the address tokens and mails name.
    pub public_url: String,
    /// The terms text (`--terms-file`, else [`DEFAULT_TERMS`]).
    pub terms: String,
    /// `--tls-cert` / `--tls-key`.
    pub tls: Option<TlsFiles>,
    /// `--max-body`.
    pub max_body: u64,
    /// `--request-timeout`: the most a request may take to arrive (headers and body) and be
    /// answered; a client sending one byte a second is cut off by it.
    pub request_timeout: Duration,
    /// Registration throttles.
    pub registration: RegistrationLimits,
}

impl ServerConfig {
    /// Defaults for everything but the database file and the store.
    pub fn new(db: PathBuf, database_url: String) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db,
            database_url,
            smtp_url: None,
            mail_from: "microscanner <microscanner@localhost>".into(),
            daily_quota: DEFAULT_DAILY_QUOTA,
            public_url: "http://127.0.0.1:8080".into(),
            terms: DEFAULT_TERMS.into(),
            tls: None,
            max_body: DEFAULT_MAX_BODY,
            request_timeout: Duration::from_secs(30),
            registration: RegistrationLimits::default(),
        }
    }
}
