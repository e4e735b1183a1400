//! The store's schema, as numbered steps written twice (SQLite, PostgreSQL), applied in order
//! when a store is opened.
//!
//! SQLite keeps the applied version in `PRAGMA user_version` and applies each step in its own
//! `IMMEDIATE` transaction (so two processes opening one file at once apply it once).
//! PostgreSQL keeps one row per applied step in `schema_migrations` and applies every missing
//! step in one transaction holding an advisory lock, so replicas starting together queue up
//! instead of racing. A store already at a version this program does not know is refused.
//!
//! Steps are append-only: a released step is never edited, a change is a new step.

use std::borrow::Cow;
use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use sha2::{Digest as _, Sha256};

use super::StoreError;

/// One schema change.
struct Step {
    /// Its number: 1, 2, 3... in order.
    version: i64,
    /// The SQLite statements.
    sqlite: &'static str,
    /// The PostgreSQL statements.
    postgres: &'static str,
}

/// Every step, oldest first.
///
/// `tokens.email` is indexed for `revoke --email` and re-registration; on PostgreSQL with a hash
/// index, because a B-tree refuses entries over ~2.7 kB and the address is not length-checked
/// here. The attempt window column is `win` (`WINDOW` is a keyword in both dialects).
const STEPS: &[Step] = &[
    Step {
        version: 1,
        sqlite: "
        CREATE TABLE tokens (
            id TEXT PRIMARY KEY NOT NULL,
            email TEXT NOT NULL,
            secret_hash BLOB NOT NULL,
            created_at BIGINT NOT NULL,
            last_used_at BIGINT,
            revoked_at BIGINT,
            daily_quota BIGINT
        );
        CREATE INDEX tokens_email ON tokens (email);
        CREATE TABLE usage (
            token_id TEXT NOT NULL,
            day BIGINT NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (token_id, day)
        );
        CREATE TABLE attempts (
            key TEXT NOT NULL,
            win BIGINT NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (key, win)
        );
    ",
        postgres: "
        CREATE TABLE tokens (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            secret_hash BYTEA NOT NULL,
            created_at BIGINT NOT NULL,
            last_used_at BIGINT,
            revoked_at BIGINT,
            daily_quota BIGINT
        );
        CREATE INDEX tokens_email ON tokens USING hash (email);
        CREATE TABLE usage (
            token_id TEXT NOT NULL,
            day BIGINT NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (token_id, day)
        );
        CREATE TABLE attempts (
            key TEXT NOT NULL,
            win BIGINT NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (key, win)
        );
    ",
    },
    Step {
        version: 2,
        // Remembered inventories (`POST /api/v1/scan?remember=NAME`, docs/watch.md): one row per
        // (token, name); `generation` is the database generation `findings` were matched against,
        // `lease_owner` / `lease_until` the replica re-evaluating it now (crate::watch).
        sqlite: "
        CREATE TABLE remembered (
            token_id TEXT NOT NULL,
            name TEXT NOT NULL,
            image TEXT NOT NULL,
            digest TEXT,
            remembered_at BIGINT NOT NULL,
            inventory BLOB NOT NULL,
            findings BLOB NOT NULL,
            generation TEXT,
            evaluated_at BIGINT,
            lease_owner TEXT,
            lease_until BIGINT,
            PRIMARY KEY (token_id, name)
        );
    ",
        postgres: "
        CREATE TABLE remembered (
            token_id TEXT NOT NULL,
            name TEXT NOT NULL,
            image TEXT NOT NULL,
            digest TEXT,
            remembered_at BIGINT NOT NULL,
            inventory BYTEA NOT NULL,
            findings BYTEA NOT NULL,
            generation TEXT,
            evaluated_at BIGINT,
            lease_owner TEXT,
            lease_until BIGINT,
            PRIMARY KEY (token_id, name)
        );
    ",
    },
];

/// Attempt keys longer than this are stored as their hash (see [`stored_attempt_key`]).
const MAX_ATTEMPT_KEY: usize = 512;

/// The form an attempt key is stored in: itself, or when longer than 512 bytes `sha256:HEX` of
/// it, because a PostgreSQL B-tree entry (the primary key of `attempts`) cannot exceed ~2.7 kB
/// and a key holds an address the client chose. Both stores store the same form.
pub(super) fn stored_attempt_key(key: &str) -> Cow<'_, str> {
    if key.len() <= MAX_ATTEMPT_KEY {
        return Cow::Borrowed(key);
    }
    Cow::Owned(format!("sha256:{}", hex::encode(Sha256::digest(key.as_bytes()))))
}

/// The key of the PostgreSQL advisory lock held while migrating (`"mscanmig"` in ASCII).
const PG_MIGRATION_LOCK: i64 = 0x6d73_6361_6e6d_6967;

/// The newest schema version this program applies.
pub(super) fn latest() -> i64 {
    STEPS.last().map_or(0, |s| s.version)
}

/// Refuses a store whose schema is newer than [`latest`].
fn check_not_newer(found: i64) -> Result<(), StoreError> {
    let known = latest();
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    Ok(())
}

/// Brings the SQLite database at `path` (open as `conn`) to [`latest`].
pub(super) fn migrate_sqlite(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Sqlite { path: path.to_owned(), source };
    for step in STEPS {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(err)?;
        check_not_newer(found)?;
        if found < step.version {
            tx.execute_batch(step.sqlite).map_err(err)?;
            tx.pragma_update(None, "user_version", step.version).map_err(err)?;
            tx.commit().map_err(err)?;
        }
    }
    Ok(())
}

/// Brings the PostgreSQL database `client` is connected to to [`latest`], in one transaction
/// under an advisory lock.
pub(super) async fn migrate_postgres(client: &mut deadpool_postgres::Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PG_MIGRATION_LOCK]).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await?;
    let found: i64 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.try_get(0)?;
    check_not_newer(found)?;
    for step in STEPS.iter().filter(|s| s.version > found) {
        tx.batch_execute(step.postgres).await?;
        tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&step.version]).await?;
    }
    tx.commit().await?;
    Ok(())
}
