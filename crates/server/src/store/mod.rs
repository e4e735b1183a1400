//! The service's state (tokens, daily usage counters, registration throttles) behind one
//! [`Store`] trait, with two implementations: SQLite ([`SqliteStore`], the default, one process)
//! and PostgreSQL ([`PostgresStore`], several replicas behind a load balancer).
//!
//! Every counter is moved by one atomic statement in the database (an upsert whose update is
//! guarded by the limit), so replicas sharing a database never grant more than the limit
//! together, and a count is committed before the caller answers.

mod migrations;
mod postgres;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use std::path::PathBuf;
use std::sync::Arc;

/// Unix seconds, UTC.
pub type UnixSeconds = i64;

/// A UTC day, counted in days since 1970-01-01 (`unix_seconds.div_euclid(86_400)`).
pub type UtcDay = i64;

/// A token as stored: never the secret itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The public identifier embedded in the token (hex), the key of the row.
    pub id: String,
    /// The address the token was mailed to.
    pub email: String,
    /// SHA-256 of the token's secret part.
    pub secret_hash: [u8; 32],
    /// When it was created.
    pub created_at: UnixSeconds,
    /// When it last counted a scan.
    pub last_used_at: Option<UnixSeconds>,
    /// When it was revoked; a revoked token is refused.
    pub revoked_at: Option<UnixSeconds>,
    /// Its own daily quota, overriding the server's `--daily-quota`.
    pub daily_quota: Option<u32>,
}

/// One row of `microscanner server token list`: everything but the secret's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSummary {
    /// The token's public identifier.
    pub id: String,
    /// The address it was mailed to.
    pub email: String,
    /// When it was created.
    pub created_at: UnixSeconds,
    /// When it last counted a scan.
    pub last_used_at: Option<UnixSeconds>,
    /// When it was revoked.
    pub revoked_at: Option<UnixSeconds>,
    /// Its own daily quota, if set.
    pub daily_quota: Option<u32>,
    /// Scans counted on the day asked for.
    pub used_today: u32,
}

/// The answer of [`Store::count_scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaDecision {
    /// The scan was counted; `used` scans (this one included) have been counted that day.
    Granted {
        /// Scans counted that day, this one included.
        used: u32,
    },
    /// The quota was already used up; nothing was counted.
    Exceeded {
        /// Scans counted that day.
        used: u32,
    },
}

/// Which token(s) an admin command acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSelector {
    /// The token with this public identifier.
    Id(String),
    /// Every token of this address.
    Email(String),
}

/// An inventory a token asked the service to remember (`POST /api/v1/scan?remember=NAME`), as
/// stored: the documents are zstd JSON ([`microscanner_watch::encode_document`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RememberedRecord {
    /// The token that asked.
    pub token_id: String,
    /// The name it gave ([`microscanner_watch::validate_name`]).
    pub name: String,
    /// The image's name.
    pub image: String,
    /// The image's manifest digest, when known.
    pub digest: Option<String>,
    /// When it was remembered.
    pub remembered_at: UnixSeconds,
    /// The inventory.
    pub inventory: Vec<u8>,
    /// The last findings.
    pub findings: Vec<u8>,
    /// The database generation the last findings were matched against.
    pub generation: Option<String>,
}

/// The answer of [`Store::remember`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RememberDecision {
    /// Stored (new, or replacing the token's entry of the same name).
    Stored,
    /// The token already has the most entries allowed; nothing was stored.
    Full,
}

/// A store failure, naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("sqlite store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// PostgreSQL failed.
    #[error("postgres store: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    #[error("postgres store: {0}")]
    Pool(String),
    /// The store's schema is newer than this program knows.
    #[error("the store's schema version {found} is newer than this microscanner's {known}: upgrade microscanner")]
    SchemaTooNew {
        /// The version found.
        found: i64,
        /// The newest version this program applies.
        known: i64,
    },
    /// `--database-url` is not `sqlite://PATH` or `postgres://...`.
    #[error("--database-url {0}: expected sqlite://PATH or postgres://USER@HOST/DB")]
    BadUrl(String),
    /// A blocking task failed to run.
    #[error("store task failed: {0}")]
    Task(String),
}

/// The service's state. Implementations apply their migrations when opened.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores a new token for `email` and revokes (at `now`) every live token of the same
    /// address, in one transaction: registering again re-sends, and the old token stops working.
    async fn create_token(&self, token: &TokenRecord, now: UnixSeconds) -> Result<(), StoreError>;

    /// The token with this public identifier, revoked or not.
    async fn find_token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Counts one scan of token `id` on `day` if fewer than `limit` were counted that day, in
    /// one atomic statement (committed before it returns), and records `now` as its last use.
    async fn count_scan(
        &self,
        id: &str,
        day: UtcDay,
        limit: u32,
        now: UnixSeconds,
    ) -> Result<QuotaDecision, StoreError>;

    /// Scans counted for token `id` on `day`.
    async fn scans_on(&self, id: &str, day: UtcDay) -> Result<u32, StoreError>;

    /// Counts one attempt under `key` (`email:ADDR`, `ip:ADDR`) in the time window starting at
    /// `window`, atomically; `true` when it was within `limit` (and so counted).
    async fn count_attempt(&self, key: &str, window: i64, limit: u32) -> Result<bool, StoreError>;

    /// Every token, oldest first, with its count on `day`.
    async fn list_tokens(&self, day: UtcDay) -> Result<Vec<TokenSummary>, StoreError>;

    /// Revokes the selected live tokens at `now`; how many were revoked.
    async fn revoke(&self, selector: &TokenSelector, now: UnixSeconds) -> Result<u64, StoreError>;

    /// Sets (or with `None` clears) the daily quota of the selected tokens; how many changed.
    async fn set_quota(&self, selector: &TokenSelector, quota: Option<u32>) -> Result<u64, StoreError>;

    /// Remembers `entry` (replacing the token's entry of the same name) unless the token already
    /// has `limit` other entries, in one atomic statement.
    async fn remember(&self, entry: &RememberedRecord, limit: u32) -> Result<RememberDecision, StoreError>;

    /// Claims one remembered entry whose findings are not of `generation` and that no live lease
    /// holds, for `owner` until `now + lease`, in one atomic statement: replicas claiming at once
    /// never get the same entry. `None` when there is nothing left to claim.
    async fn claim_remembered(
        &self,
        generation: &str,
        owner: &str,
        now: UnixSeconds,
        lease: i64,
    ) -> Result<Option<RememberedRecord>, StoreError>;

    /// Stores `findings` as the last result of the entry `(token_id, name)`, of `generation`,
    /// and releases `owner`'s lease; false when `owner` no longer held it (it expired and another
    /// replica took the entry), and then nothing is changed.
    async fn finish_remembered(
        &self,
        token_id: &str,
        name: &str,
        owner: &str,
        generation: &str,
        findings: &[u8],
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;

    /// How many remembered entries are not yet evaluated against `generation`, and how many there
    /// are in all.
    async fn remembered_progress(&self, generation: &str) -> Result<(u64, u64), StoreError>;

    /// Deletes usage and attempt rows older than `before_day` / `before_window`, so the tables
    /// stay small; how many rows went.
    async fn prune(&self, before_day: UtcDay, before_window: i64) -> Result<u64, StoreError>;
}

impl std::fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

/// Opens the store a `--database-url` names: `sqlite://PATH` (relative or absolute path) or
/// `postgres://...` / `postgresql://...`, applying migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(StoreError::BadUrl(url.to_owned()));
        }
        return Ok(Arc::new(SqliteStore::open(PathBuf::from(path)).await?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresStore::connect(url).await?));
    }
    Err(StoreError::BadUrl(url.to_owned()))
}
