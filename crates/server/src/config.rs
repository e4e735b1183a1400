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

3. A scan sends this service the list of packages in an image (names, versions, package URLs), never the image's files. The list is matched and not kept, unless you ask the service to remember it (`remember=NAME`: it is then kept, with its findings, to be matched again against each new database until you replace it); the service records how many scans each token ran each day, and the address the token was mailed to.

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
    /// Re-evaluation of remembered inventories and its webhook.
    pub watch: WatchSettings,
}

/// How the service re-evaluates remembered inventories (`?remember=NAME`) after a database
/// reload, and whom it tells (docs/watch.md).
#[derive(Debug, Clone)]
pub struct WatchSettings {
    /// `--watch-webhook` (with its format and threshold): where new findings are POSTed; the
    /// operator's, never a client's (a client-given URL would let any token make the server
    /// send requests into its network).
    pub webhook: Option<microscanner_watch::Webhook>,
    /// The HMAC-SHA256 secret (`MICROSCANNER_WEBHOOK_SECRET`).
    pub secret: Option<Vec<u8>>,
    /// Attempts per notification, the first included.
    pub attempts: u32,
    /// The delay after the first failed attempt, doubled after each further one.
    pub backoff: Duration,
    /// How often a replica looks for a new database and for entries left to evaluate.
    pub poll: Duration,
    /// How long a replica holds an entry it evaluates before another may take it over.
    pub lease: Duration,
    /// The most inventories one token may remember.
    pub max_per_token: u32,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            webhook: None,
            secret: None,
            attempts: 5,
            backoff: Duration::from_secs(1),
            poll: Duration::from_secs(5),
            lease: Duration::from_secs(300),
            max_per_token: 100,
        }
    }
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
            watch: WatchSettings::default(),
        }
    }
}
