//! The SQLite store: one file, one connection (WAL mode), each call run on tokio's blocking pool.
//!
//! Every write that must be atomic runs in an `IMMEDIATE` transaction, so several connections to
//! one file (two processes, or two stores in one) take the write lock before reading and never
//! deadlock on a lock upgrade; a busy file is waited on for up to 5 s.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, Row, TransactionBehavior, params};

use super::{
    QuotaDecision, RememberDecision, RememberedRecord, Store, StoreError, TokenRecord, TokenSelector, TokenSummary,
    UnixSeconds, UtcDay, migrations,
};

/// Counts one scan if fewer than `?3` were counted: a row comes back only when it was counted.
/// The `WHERE ?3 > 0` keeps a limit of 0 from granting the first scan of a day.
const COUNT_SCAN: &str = "INSERT INTO usage (token_id, day, count) SELECT ?1, ?2, 1 WHERE ?3 > 0
    ON CONFLICT (token_id, day) DO UPDATE SET count = usage.count + 1 WHERE usage.count < ?3
    RETURNING count";

/// [`COUNT_SCAN`] for registration attempts.
const COUNT_ATTEMPT: &str = "INSERT INTO attempts (key, win, count) SELECT ?1, ?2, 1 WHERE ?3 > 0
    ON CONFLICT (key, win) DO UPDATE SET count = attempts.count + 1 WHERE attempts.count < ?3
    RETURNING count";

const FIND_TOKEN: &str = "SELECT id, email, secret_hash, created_at, last_used_at, revoked_at, daily_quota
    FROM tokens WHERE id = ?1";

const INSERT_TOKEN: &str = "INSERT INTO tokens
    (id, email, secret_hash, created_at, last_used_at, revoked_at, daily_quota)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

const LIST_TOKENS: &str = "SELECT t.id, t.email, t.created_at, t.last_used_at, t.revoked_at, t.daily_quota,
    COALESCE(u.count, 0)
    FROM tokens t LEFT JOIN usage u ON u.token_id = t.id AND u.day = ?1
    ORDER BY t.created_at, t.id";

/// Stores a remembered entry unless the token has `?9` other entries: a row comes back only when
/// it was stored. Its findings are of `?8`, the generation it was matched against.
const REMEMBER: &str = "INSERT INTO remembered
    (token_id, name, image, digest, remembered_at, inventory, findings, generation)
    SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
    WHERE (SELECT COUNT(*) FROM remembered WHERE token_id = ?1 AND name <> ?2) < ?9
    ON CONFLICT (token_id, name) DO UPDATE SET image = excluded.image, digest = excluded.digest,
        remembered_at = excluded.remembered_at, inventory = excluded.inventory, findings = excluded.findings,
        generation = excluded.generation, evaluated_at = NULL, lease_owner = NULL, lease_until = NULL
    RETURNING 1";

/// Claims the first entry not of generation `?1` and not leased at `?3`, for `?2` until `?3 + ?4`.
const CLAIM: &str = "UPDATE remembered SET lease_owner = ?2, lease_until = ?3 + ?4
    WHERE rowid = (SELECT rowid FROM remembered
        WHERE generation IS NOT ?1 AND (lease_until IS NULL OR lease_until < ?3)
        ORDER BY token_id, name LIMIT 1)
    RETURNING token_id, name, image, digest, remembered_at, inventory, findings, generation";

const FINISH: &str = "UPDATE remembered SET findings = ?5, generation = ?4, evaluated_at = ?6,
    lease_owner = NULL, lease_until = NULL
    WHERE token_id = ?1 AND name = ?2 AND lease_owner = ?3";

fn remembered_from_row(r: &Row<'_>) -> rusqlite::Result<RememberedRecord> {
    Ok(RememberedRecord {
        token_id: r.get(0)?,
        name: r.get(1)?,
        image: r.get(2)?,
        digest: r.get(3)?,
        remembered_at: r.get(4)?,
        inventory: r.get(5)?,
        findings: r.get(6)?,
        generation: r.get(7)?,
    })
}

fn remember(conn: &mut Connection, e: &RememberedRecord, limit: u32) -> rusqlite::Result<RememberDecision> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let stored: Option<i64> = tx
        .prepare_cached(REMEMBER)?
        .query_row(
            params![
                e.token_id,
                e.name,
                e.image,
                e.digest,
                e.remembered_at,
                e.inventory,
                e.findings,
                e.generation,
                i64::from(limit)
            ],
            |r| r.get(0),
        )
        .optional()?;
    tx.commit()?;
    Ok(if stored.is_some() { RememberDecision::Stored } else { RememberDecision::Full })
}

fn progress(conn: &Connection, generation: &str) -> rusqlite::Result<(u64, u64)> {
    conn.query_row(
        "SELECT COUNT(*) FILTER (WHERE generation IS NOT ?1), COUNT(*) FROM remembered",
        params![generation],
        |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get::<_, i64>(1)?.max(0) as u64)),
    )
}

/// The SQLite store (the default: one process). Cheap to share behind an `Arc`; calls queue on
/// its one connection.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    /// Opens the database file at `path`, creating it and its parent directories if need be,
    /// in WAL mode (`synchronous=NORMAL`, foreign keys on, a 5 s busy timeout), and brings its
    /// schema up to date.
    pub async fn open(path: PathBuf) -> Result<Self, StoreError> {
        let p = path.clone();
        let conn = tokio::task::spawn_blocking(move || open_blocking(&p)).await.map_err(task_error)??;
        Ok(Self { path, conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `f` on the connection on the blocking pool.
    async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let path = self.path.clone();
        let task = move || {
            // a panic while holding the lock left no open transaction (dropping one rolls back)
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn).map_err(|source| StoreError::Sqlite { path, source })
        };
        tokio::task::spawn_blocking(task).await.map_err(task_error)?
    }
}

fn task_error(e: tokio::task::JoinError) -> StoreError {
    StoreError::Task(e.to_string())
}

fn open_blocking(path: &Path) -> Result<Connection, StoreError> {
    let err = |source| StoreError::Sqlite { path: path.to_owned(), source };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| err(cannot_open(parent, &e)))?;
    }
    let mut conn = Connection::open(path).map_err(err)?;
    configure(&conn).map_err(err)?;
    migrations::migrate_sqlite(&mut conn, path)?;
    Ok(conn)
}

/// An I/O failure before SQLite ran, as the `SQLITE_CANTOPEN` it amounts to.
fn cannot_open(dir: &Path, e: &std::io::Error) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
        Some(format!("creating {}: {e}", dir.display())),
    )
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    let _mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)
}

/// A stored count as a `u32` (counts never exceed a `u32` limit; out of range saturates).
fn to_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn token_from_row(r: &Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        email: r.get(1)?,
        secret_hash: r.get(2)?,
        created_at: r.get(3)?,
        last_used_at: r.get(4)?,
        revoked_at: r.get(5)?,
        daily_quota: r.get::<_, Option<i64>>(6)?.map(to_u32),
    })
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<TokenSummary> {
    Ok(TokenSummary {
        id: r.get(0)?,
        email: r.get(1)?,
        created_at: r.get(2)?,
        last_used_at: r.get(3)?,
        revoked_at: r.get(4)?,
        daily_quota: r.get::<_, Option<i64>>(5)?.map(to_u32),
        used_today: to_u32(r.get(6)?),
    })
}

fn create_token(conn: &mut Connection, t: &TokenRecord, now: UnixSeconds) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute("UPDATE tokens SET revoked_at = ?2 WHERE email = ?1 AND revoked_at IS NULL", params![t.email, now])?;
    let quota = t.daily_quota.map(i64::from);
    tx.execute(INSERT_TOKEN, params![t.id, t.email, t.secret_hash, t.created_at, t.last_used_at, t.revoked_at, quota])?;
    tx.commit()
}

fn scans_on(conn: &Connection, id: &str, day: UtcDay) -> rusqlite::Result<u32> {
    let used: Option<i64> = conn
        .prepare_cached("SELECT count FROM usage WHERE token_id = ?1 AND day = ?2")?
        .query_row(params![id, day], |r| r.get(0))
        .optional()?;
    Ok(used.map_or(0, to_u32))
}

fn count_scan(
    conn: &mut Connection,
    id: &str,
    day: UtcDay,
    limit: u32,
    now: UnixSeconds,
) -> rusqlite::Result<QuotaDecision> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let counted: Option<i64> =
        tx.prepare_cached(COUNT_SCAN)?.query_row(params![id, day, limit], |r| r.get(0)).optional()?;
    let decision = match counted {
        Some(used) => {
            tx.prepare_cached("UPDATE tokens SET last_used_at = ?2 WHERE id = ?1")?.execute(params![id, now])?;
            QuotaDecision::Granted { used: to_u32(used) }
        }
        None => QuotaDecision::Exceeded { used: scans_on(&tx, id, day)? },
    };
    tx.commit()?;
    Ok(decision)
}

fn count_attempt(conn: &Connection, key: &str, window: i64, limit: u32) -> rusqlite::Result<bool> {
    let counted: Option<i64> =
        conn.prepare_cached(COUNT_ATTEMPT)?.query_row(params![key, window, limit], |r| r.get(0)).optional()?;
    Ok(counted.is_some())
}

fn list_tokens(conn: &Connection, day: UtcDay) -> rusqlite::Result<Vec<TokenSummary>> {
    let mut stmt = conn.prepare(LIST_TOKENS)?;
    let rows = stmt.query_map(params![day], summary_from_row)?;
    rows.collect()
}

fn revoke(conn: &Connection, selector: &TokenSelector, now: UnixSeconds) -> rusqlite::Result<u64> {
    let (sql, value) = match selector {
        TokenSelector::Id(id) => ("UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", id),
        TokenSelector::Email(e) => ("UPDATE tokens SET revoked_at = ?2 WHERE email = ?1 AND revoked_at IS NULL", e),
    };
    Ok(conn.execute(sql, params![value, now])? as u64)
}

fn set_quota(conn: &Connection, selector: &TokenSelector, quota: Option<u32>) -> rusqlite::Result<u64> {
    let (sql, value) = match selector {
        TokenSelector::Id(id) => ("UPDATE tokens SET daily_quota = ?2 WHERE id = ?1", id),
        TokenSelector::Email(e) => ("UPDATE tokens SET daily_quota = ?2 WHERE email = ?1", e),
    };
    Ok(conn.execute(sql, params![value, quota.map(i64::from)])? as u64)
}

fn prune(conn: &mut Connection, before_day: UtcDay, before_window: i64) -> rusqlite::Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let usage = tx.execute("DELETE FROM usage WHERE day < ?1", params![before_day])?;
    let attempts = tx.execute("DELETE FROM attempts WHERE win < ?1", params![before_window])?;
    tx.commit()?;
    Ok((usage + attempts) as u64)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn create_token(&self, token: &TokenRecord, now: UnixSeconds) -> Result<(), StoreError> {
        let token = token.clone();
        self.run(move |c| create_token(c, &token, now)).await
    }

    async fn find_token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let id = id.to_owned();
        self.run(move |c| c.prepare_cached(FIND_TOKEN)?.query_row(params![id], token_from_row).optional()).await
    }

    async fn count_scan(
        &self,
        id: &str,
        day: UtcDay,
        limit: u32,
        now: UnixSeconds,
    ) -> Result<QuotaDecision, StoreError> {
        let id = id.to_owned();
        self.run(move |c| count_scan(c, &id, day, limit, now)).await
    }

    async fn scans_on(&self, id: &str, day: UtcDay) -> Result<u32, StoreError> {
        let id = id.to_owned();
        self.run(move |c| scans_on(c, &id, day)).await
    }

    async fn count_attempt(&self, key: &str, window: i64, limit: u32) -> Result<bool, StoreError> {
        let key = migrations::stored_attempt_key(key).into_owned();
        self.run(move |c| count_attempt(c, &key, window, limit)).await
    }

    async fn list_tokens(&self, day: UtcDay) -> Result<Vec<TokenSummary>, StoreError> {
        self.run(move |c| list_tokens(c, day)).await
    }

    async fn revoke(&self, selector: &TokenSelector, now: UnixSeconds) -> Result<u64, StoreError> {
        let selector = selector.clone();
        self.run(move |c| revoke(c, &selector, now)).await
    }

    async fn set_quota(&self, selector: &TokenSelector, quota: Option<u32>) -> Result<u64, StoreError> {
        let selector = selector.clone();
        self.run(move |c| set_quota(c, &selector, quota)).await
    }

    async fn prune(&self, before_day: UtcDay, before_window: i64) -> Result<u64, StoreError> {
        self.run(move |c| prune(c, before_day, before_window)).await
    }

    async fn remember(&self, entry: &RememberedRecord, limit: u32) -> Result<RememberDecision, StoreError> {
        let entry = entry.clone();
        self.run(move |c| remember(c, &entry, limit)).await
    }

    async fn claim_remembered(
        &self,
        generation: &str,
        owner: &str,
        now: UnixSeconds,
        lease: i64,
    ) -> Result<Option<RememberedRecord>, StoreError> {
        let (generation, owner) = (generation.to_owned(), owner.to_owned());
        self.run(move |c| {
            c.prepare_cached(CLAIM)?.query_row(params![generation, owner, now, lease], remembered_from_row).optional()
        })
        .await
    }

    async fn finish_remembered(
        &self,
        token_id: &str,
        name: &str,
        owner: &str,
        generation: &str,
        findings: &[u8],
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        let args = (token_id.to_owned(), name.to_owned(), owner.to_owned(), generation.to_owned(), findings.to_vec());
        self.run(move |c| {
            let (token_id, name, owner, generation, findings) = &args;
            Ok(c.prepare_cached(FINISH)?.execute(params![token_id, name, owner, generation, findings, now])? > 0)
        })
        .await
    }

    async fn remembered_progress(&self, generation: &str) -> Result<(u64, u64), StoreError> {
        let generation = generation.to_owned();
        self.run(move |c| progress(c, &generation)).await
    }
}
