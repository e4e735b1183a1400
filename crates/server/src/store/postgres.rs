//! The PostgreSQL store: a pool of connections shared by every replica's requests; each counter
//! moves in one statement, so replicas on one database never grant more than the limit together.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::{FromSql, ToSql, Type};

use super::{
    QuotaDecision, RememberDecision, RememberedRecord, Store, StoreError, TokenRecord, TokenSelector, TokenSummary,
    UnixSeconds, UtcDay, migrations,
};

/// Connections per store (per replica).
const POOL_SIZE: usize = 16;

/// How long a new connection may take when the URL does not say (`connect_timeout=`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The class (first key) of the advisory locks serialising registrations of one address
/// (`"mscn"` in ASCII); the two-key lock space is apart from the migration lock's.
const EMAIL_LOCK_CLASS: i32 = 0x6d73_636e;

/// Counts one scan if fewer than `$3` were counted and then marks the token used, in one
/// statement: a row comes back only when the scan was counted. `WHERE $3 > 0` keeps a limit of
/// 0 from granting the first scan of a day.
const COUNT_SCAN: &str = "WITH counted AS (
        INSERT INTO usage (token_id, day, count) SELECT $1::TEXT, $2::BIGINT, 1 WHERE $3::BIGINT > 0
        ON CONFLICT (token_id, day) DO UPDATE SET count = usage.count + 1 WHERE usage.count < $3::BIGINT
        RETURNING count
    ), touched AS (
        UPDATE tokens SET last_used_at = $4::BIGINT WHERE id = $1::TEXT AND EXISTS (SELECT 1 FROM counted)
    )
    SELECT count FROM counted";

/// [`COUNT_SCAN`] for registration attempts (no token to mark).
const COUNT_ATTEMPT: &str = "INSERT INTO attempts (key, win, count) SELECT $1::TEXT, $2::BIGINT, 1 WHERE $3::BIGINT > 0
    ON CONFLICT (key, win) DO UPDATE SET count = attempts.count + 1 WHERE attempts.count < $3::BIGINT
    RETURNING count";

const SCANS_ON: &str = "SELECT count FROM usage WHERE token_id = $1 AND day = $2";

const FIND_TOKEN: &str = "SELECT id, email, secret_hash, created_at, last_used_at, revoked_at, daily_quota
    FROM tokens WHERE id = $1";

const INSERT_TOKEN: &str = "INSERT INTO tokens
    (id, email, secret_hash, created_at, last_used_at, revoked_at, daily_quota)
    VALUES ($1, $2, $3, $4, $5, $6, $7)";

const LIST_TOKENS: &str = "SELECT t.id, t.email, t.created_at, t.last_used_at, t.revoked_at, t.daily_quota,
    COALESCE(u.count, 0)
    FROM tokens t LEFT JOIN usage u ON u.token_id = t.id AND u.day = $1
    ORDER BY t.created_at, t.id";

/// The class (first key) of the advisory locks serialising remembers of one token (`"mscw"`), so
/// two at once cannot both pass the per-token bound.
const REMEMBER_LOCK_CLASS: i32 = 0x6d73_6377;

/// Stores a remembered entry unless the token has `$9` other entries: a row comes back only when
/// it was stored.
const REMEMBER: &str = "INSERT INTO remembered
    (token_id, name, image, digest, remembered_at, inventory, findings, generation)
    SELECT $1::TEXT, $2::TEXT, $3::TEXT, $4::TEXT, $5::BIGINT, $6::BYTEA, $7::BYTEA, $8::TEXT
    WHERE (SELECT COUNT(*) FROM remembered WHERE token_id = $1::TEXT AND name <> $2::TEXT) < $9::BIGINT
    ON CONFLICT (token_id, name) DO UPDATE SET image = excluded.image, digest = excluded.digest,
        remembered_at = excluded.remembered_at, inventory = excluded.inventory, findings = excluded.findings,
        generation = excluded.generation, evaluated_at = NULL, lease_owner = NULL, lease_until = NULL
    RETURNING 1";

/// Claims the first entry not of generation `$1` and not leased at `$3`, for `$2` until
/// `$3 + $4`; `SKIP LOCKED`: a replica never waits on, nor takes, a row another is claiming.
const CLAIM: &str = "UPDATE remembered r SET lease_owner = $2::TEXT, lease_until = $3::BIGINT + $4::BIGINT
    FROM (SELECT token_id, name FROM remembered
        WHERE generation IS DISTINCT FROM $1::TEXT AND (lease_until IS NULL OR lease_until < $3::BIGINT)
        ORDER BY token_id, name LIMIT 1 FOR UPDATE SKIP LOCKED) c
    WHERE r.token_id = c.token_id AND r.name = c.name
    RETURNING r.token_id, r.name, r.image, r.digest, r.remembered_at, r.inventory, r.findings, r.generation";

const FINISH: &str = "UPDATE remembered SET findings = $5, generation = $4, evaluated_at = $6,
    lease_owner = NULL, lease_until = NULL
    WHERE token_id = $1 AND name = $2 AND lease_owner = $3";

const PROGRESS: &str = "SELECT COUNT(*) FILTER (WHERE generation IS DISTINCT FROM $1::TEXT), COUNT(*) FROM remembered";

fn remembered_from_row(r: &tokio_postgres::Row) -> Result<RememberedRecord, tokio_postgres::Error> {
    Ok(RememberedRecord {
        token_id: r.try_get(0)?,
        name: r.try_get(1)?,
        image: r.try_get(2)?,
        digest: r.try_get(3)?,
        remembered_at: r.try_get(4)?,
        inventory: r.try_get(5)?,
        findings: r.try_get(6)?,
        generation: r.try_get(7)?,
    })
}

/// The PostgreSQL store (several replicas behind a load balancer), over a pool of 16
/// connections.
///
/// Connections are made without TLS (`NoTls`): reach PostgreSQL over a local Unix socket
/// (`postgres://user@%2Frun%2Fpostgresql/db`), a private network, or a TLS-terminating sidecar
/// (e.g. pgbouncer) on the same host. A URL asking for `sslmode=require` fails to connect.
#[derive(Debug)]
pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to the database `url` names (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, or the
    /// `key=value` form) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url.parse()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager).max_size(POOL_SIZE).build().map_err(|e| StoreError::Pool(e.to_string()))?;
        let store = Self { pool };
        migrations::migrate_postgres(&mut store.client().await?).await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => StoreError::Postgres(e),
            other => StoreError::Pool(other.to_string()),
        })
    }

    async fn update(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        Ok(self.client().await?.execute(sql, params).await?)
    }
}

/// `secret_hash`: exactly 32 bytes, or a conversion error.
struct Hash32([u8; 32]);

impl<'a> FromSql<'a> for Hash32 {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let bytes = <&[u8] as FromSql>::from_sql(ty, raw)?;
        Ok(Self(bytes.try_into()?))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::BYTEA
    }
}

/// A stored count as a `u32` (counts never exceed a `u32` limit; out of range saturates).
fn to_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

fn token_from_row(r: &tokio_postgres::Row) -> Result<TokenRecord, tokio_postgres::Error> {
    Ok(TokenRecord {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        secret_hash: r.try_get::<_, Hash32>(2)?.0,
        created_at: r.try_get(3)?,
        last_used_at: r.try_get(4)?,
        revoked_at: r.try_get(5)?,
        daily_quota: r.try_get::<_, Option<i64>>(6)?.map(to_u32),
    })
}

fn summary_from_row(r: &tokio_postgres::Row) -> Result<TokenSummary, tokio_postgres::Error> {
    Ok(TokenSummary {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        created_at: r.try_get(2)?,
        last_used_at: r.try_get(3)?,
        revoked_at: r.try_get(4)?,
        daily_quota: r.try_get::<_, Option<i64>>(5)?.map(to_u32),
        used_today: to_u32(r.try_get(6)?),
    })
}

/// The statement and its parameter for an update of the tokens a selector picks: `$1` is the
/// selector's value, `$2` the new value of `column`.
fn selected(selector: &TokenSelector, set: &str) -> (String, String) {
    let (column, value) = match selector {
        TokenSelector::Id(id) => ("id", id),
        TokenSelector::Email(email) => ("email", email),
    };
    (format!("UPDATE tokens SET {set} WHERE {column} = $1"), value.clone())
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn create_token(&self, token: &TokenRecord, now: UnixSeconds) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", &[&EMAIL_LOCK_CLASS, &token.email]).await?;
        tx.execute("UPDATE tokens SET revoked_at = $2 WHERE email = $1 AND revoked_at IS NULL", &[&token.email, &now])
            .await?;
        let hash: &[u8] = &token.secret_hash;
        let quota = token.daily_quota.map(i64::from);
        let t = token;
        let params: [&(dyn ToSql + Sync); 7] =
            [&t.id, &t.email, &hash, &t.created_at, &t.last_used_at, &t.revoked_at, &quota];
        tx.execute(INSERT_TOKEN, &params).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(FIND_TOKEN).await?;
        let row = client.query_opt(&stmt, &[&id]).await?;
        Ok(row.as_ref().map(token_from_row).transpose()?)
    }

    async fn count_scan(
        &self,
        id: &str,
        day: UtcDay,
        limit: u32,
        now: UnixSeconds,
    ) -> Result<QuotaDecision, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(COUNT_SCAN).await?;
        let counted = client.query_opt(&stmt, &[&id, &day, &i64::from(limit), &now]).await?;
        if let Some(row) = counted {
            return Ok(QuotaDecision::Granted { used: to_u32(row.try_get(0)?) });
        }
        let stmt = client.prepare_cached(SCANS_ON).await?;
        let used = client.query_opt(&stmt, &[&id, &day]).await?.map(|r| r.try_get(0)).transpose()?;
        Ok(QuotaDecision::Exceeded { used: used.map_or(0, to_u32) })
    }

    async fn scans_on(&self, id: &str, day: UtcDay) -> Result<u32, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(SCANS_ON).await?;
        let used = client.query_opt(&stmt, &[&id, &day]).await?.map(|r| r.try_get(0)).transpose()?;
        Ok(used.map_or(0, to_u32))
    }

    async fn count_attempt(&self, key: &str, window: i64, limit: u32) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(COUNT_ATTEMPT).await?;
        let key = migrations::stored_attempt_key(key);
        Ok(client.query_opt(&stmt, &[&key.as_ref(), &window, &i64::from(limit)]).await?.is_some())
    }

    async fn list_tokens(&self, day: UtcDay) -> Result<Vec<TokenSummary>, StoreError> {
        let rows = self.client().await?.query(LIST_TOKENS, &[&day]).await?;
        Ok(rows.iter().map(summary_from_row).collect::<Result<_, _>>()?)
    }

    async fn revoke(&self, selector: &TokenSelector, now: UnixSeconds) -> Result<u64, StoreError> {
        let (sql, value) = selected(selector, "revoked_at = $2");
        self.update(&format!("{sql} AND revoked_at IS NULL"), &[&value, &now]).await
    }

    async fn set_quota(&self, selector: &TokenSelector, quota: Option<u32>) -> Result<u64, StoreError> {
        let (sql, value) = selected(selector, "daily_quota = $2");
        self.update(&sql, &[&value, &quota.map(i64::from)]).await
    }

    async fn prune(&self, before_day: UtcDay, before_window: i64) -> Result<u64, StoreError> {
        let usage = self.update("DELETE FROM usage WHERE day < $1", &[&before_day]).await?;
        let attempts = self.update("DELETE FROM attempts WHERE win < $1", &[&before_window]).await?;
        Ok(usage + attempts)
    }

    async fn remember(&self, e: &RememberedRecord, limit: u32) -> Result<RememberDecision, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", &[&REMEMBER_LOCK_CLASS, &e.token_id]).await?;
        let limit = i64::from(limit);
        let params: [&(dyn ToSql + Sync); 9] = [
            &e.token_id,
            &e.name,
            &e.image,
            &e.digest,
            &e.remembered_at,
            &e.inventory,
            &e.findings,
            &e.generation,
            &limit,
        ];
        let stored = tx.query_opt(REMEMBER, &params).await?;
        tx.commit().await?;
        Ok(if stored.is_some() { RememberDecision::Stored } else { RememberDecision::Full })
    }

    async fn claim_remembered(
        &self,
        generation: &str,
        owner: &str,
        now: UnixSeconds,
        lease: i64,
    ) -> Result<Option<RememberedRecord>, StoreError> {
        let client = self.client().await?;
        let row = client.query_opt(CLAIM, &[&generation, &owner, &now, &lease]).await?;
        Ok(row.as_ref().map(remembered_from_row).transpose()?)
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
        Ok(self.update(FINISH, &[&token_id, &name, &owner, &generation, &findings, &now]).await? > 0)
    }

    async fn remembered_progress(&self, generation: &str) -> Result<(u64, u64), StoreError> {
        let client = self.client().await?;
        let row = client.query_one(PROGRESS, &[&generation]).await?;
        let (pending, all): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        Ok((pending.max(0) as u64, all.max(0) as u64))
    }
}
