//! The two stores against one suite, each case run on SQLite (a file in a temporary directory)
//! and on PostgreSQL (a server started for the case, a fresh database in it): tokens and their
//! re-registration, quotas to the unit (limit 0, day boundaries, 150 racing requests over two
//! stores on one database), registration throttles, the admin commands, hostile strings kept
//! verbatim, the schema migrations; and the stored rows read directly, to see that the secret
//! is nowhere but as its hash.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use microscanner_server::store::{
    PostgresStore, QuotaDecision, SqliteStore, Store, StoreError, TokenRecord, TokenSelector,
};
use microscanner_testkit::postgres::PgServer;
use sha2::{Digest as _, Sha256};

/// 2026-12-06T12:00:00Z.
const NOW: i64 = 1_796_558_400;
/// Its UTC day.
const DAY: i64 = NOW / 86_400;
/// The schema version this build applies.
const LATEST: i64 = 2;

/// One test's database: a way to open stores on it and to read its tables behind their back.
enum Db {
    Sqlite { _dir: tempfile::TempDir, path: PathBuf },
    Postgres { _server: PgServer, url: String },
}

impl Db {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/server.db");
        Self::Sqlite { _dir: dir, path }
    }

    /// A fresh database on a server of its own; `None` when PostgreSQL is not installed (under
    /// CI, `PgServer::start` fails instead).
    fn postgres() -> Option<Self> {
        let server = PgServer::start()?;
        let url = server.create_database("store_test");
        Some(Self::Postgres { _server: server, url })
    }

    async fn try_open(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Self::Sqlite { path, .. } => Arc::new(SqliteStore::open(path.clone()).await?),
            Self::Postgres { url, .. } => Arc::new(PostgresStore::connect(url).await?),
        })
    }

    async fn open(&self) -> Arc<dyn Store> {
        self.try_open().await.unwrap()
    }

    async fn pg(url: &str) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }

    /// Runs a statement directly.
    async fn execute(&self, sql: &str) {
        match self {
            Self::Sqlite { path, .. } => {
                rusqlite::Connection::open(path).unwrap().execute_batch(sql).unwrap();
            }
            Self::Postgres { url, .. } => Self::pg(url).await.batch_execute(sql).await.unwrap(),
        }
    }

    /// One integer, read directly.
    async fn integer(&self, sql: &str) -> i64 {
        match self {
            Self::Sqlite { path, .. } => {
                rusqlite::Connection::open(path).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
            }
            Self::Postgres { url, .. } => Self::pg(url).await.query_one(sql, &[]).await.unwrap().get(0),
        }
    }

    /// Every row of `tokens`, each as its columns' names and raw contents (text and blobs as
    /// their bytes, integers in decimal, NULL as nothing).
    async fn token_rows(&self) -> Vec<Vec<(String, Vec<u8>)>> {
        match self {
            Self::Sqlite { path, .. } => sqlite_rows(path, "SELECT * FROM tokens"),
            Self::Postgres { url, .. } => {
                let rows = Self::pg(url).await.query("SELECT * FROM tokens", &[]).await.unwrap();
                rows.iter().map(pg_row).collect()
            }
        }
    }
}

fn sqlite_rows(path: &std::path::Path, sql: &str) -> Vec<Vec<(String, Vec<u8>)>> {
    use rusqlite::types::ValueRef;
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let names: Vec<String> = stmt.column_names().iter().map(|n| (*n).to_owned()).collect();
    let mut rows = stmt.query([]).unwrap();
    let mut out = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        let cell = |i: usize| match row.get_ref(i).unwrap() {
            ValueRef::Null => Vec::new(),
            ValueRef::Integer(n) => n.to_string().into_bytes(),
            ValueRef::Real(f) => f.to_string().into_bytes(),
            ValueRef::Text(b) | ValueRef::Blob(b) => b.to_vec(),
        };
        out.push(names.iter().enumerate().map(|(i, n)| (n.clone(), cell(i))).collect());
    }
    out
}

fn pg_row(row: &tokio_postgres::Row) -> Vec<(String, Vec<u8>)> {
    use tokio_postgres::types::Type;
    let cell = |i: usize, ty: &Type| -> Vec<u8> {
        match *ty {
            Type::TEXT => row.get::<_, Option<String>>(i).unwrap_or_default().into_bytes(),
            Type::BYTEA => row.get::<_, Option<Vec<u8>>>(i).unwrap_or_default(),
            Type::INT8 => row.get::<_, Option<i64>>(i).map(|n| n.to_string().into_bytes()).unwrap_or_default(),
            ref other => panic!("unexpected column type {other}"),
        }
    };
    row.columns().iter().enumerate().map(|(i, c)| (c.name().to_owned(), cell(i, c.type_()))).collect()
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn token(id: &str, email: &str, secret: &str, created_at: i64) -> TokenRecord {
    TokenRecord {
        id: id.to_owned(),
        email: email.to_owned(),
        secret_hash: hash(secret),
        created_at,
        last_used_at: None,
        revoked_at: None,
        daily_quota: None,
    }
}

fn granted(used: u32) -> QuotaDecision {
    QuotaDecision::Granted { used }
}

fn exceeded(used: u32) -> QuotaDecision {
    QuotaDecision::Exceeded { used }
}

/// Each case as a test on SQLite (`sqlite::case`) and on PostgreSQL (`postgres::case`).
macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(super::Db::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(db) = super::Db::postgres() else { return };
                    super::$case(db).await;
                }
            )*
        }
    };
}

on_both_stores!(
    create_and_find,
    the_secret_is_stored_only_as_its_hash,
    registering_again_revokes_the_old_token,
    quota_grants_exactly_the_limit,
    a_limit_of_zero_grants_nothing,
    days_are_counted_apart,
    attempts_are_counted_and_pruned,
    admin_commands_by_id_and_by_email,
    hostile_strings_are_kept_verbatim,
    migrations_apply_once,
    a_newer_schema_is_refused,
    racing_scans_over_two_stores_grant_exactly_the_limit,
);

async fn create_and_find(db: Db) {
    let store = db.open().await;
    let mut t = token("a1", "a@example.org", "secret-a", NOW);
    t.daily_quota = Some(7);
    store.create_token(&t, NOW).await.unwrap();
    assert_eq!(store.find_token("a1").await.unwrap(), Some(t));
    assert_eq!(store.find_token("a2").await.unwrap(), None);
    assert_eq!(store.find_token("").await.unwrap(), None);
    // the same id twice is refused, not overwritten
    assert!(store.create_token(&token("a1", "b@example.org", "other", NOW), NOW).await.is_err());
    assert_eq!(store.find_token("a1").await.unwrap().unwrap().email, "a@example.org");
}

async fn the_secret_is_stored_only_as_its_hash(db: Db) {
    let store = db.open().await;
    let secret = "ms_live_0123456789abcdefSECRETPART";
    store.create_token(&token("b7", "b@example.org", secret, NOW), NOW).await.unwrap();
    store.count_scan("b7", DAY, 10, NOW + 5).await.unwrap();
    let rows = db.token_rows().await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    let column = |name: &str| row.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(column("secret_hash"), hash(secret).to_vec());
    assert_eq!(column("id"), b"b7");
    assert_eq!(column("last_used_at"), (NOW + 5).to_string().into_bytes());
    let hex_secret = hex::encode(secret);
    for (name, value) in row {
        for needle in [secret.as_bytes(), b"SECRETPART", hex_secret.as_bytes()] {
            assert!(!value.windows(needle.len()).any(|w| w == needle), "column {name} holds the secret");
        }
    }
}

async fn registering_again_revokes_the_old_token(db: Db) {
    let store = db.open().await;
    store.create_token(&token("old", "r@example.org", "s1", NOW), NOW).await.unwrap();
    store.create_token(&token("other", "someone@example.org", "s2", NOW), NOW).await.unwrap();
    store.create_token(&token("new", "r@example.org", "s3", NOW + 60), NOW + 60).await.unwrap();
    assert_eq!(store.find_token("old").await.unwrap().unwrap().revoked_at, Some(NOW + 60));
    assert_eq!(store.find_token("new").await.unwrap().unwrap().revoked_at, None);
    assert_eq!(store.find_token("other").await.unwrap().unwrap().revoked_at, None);
    // a third registration revokes the second and leaves the first's revocation time alone
    store.create_token(&token("newer", "r@example.org", "s4", NOW + 120), NOW + 120).await.unwrap();
    assert_eq!(store.find_token("old").await.unwrap().unwrap().revoked_at, Some(NOW + 60));
    assert_eq!(store.find_token("new").await.unwrap().unwrap().revoked_at, Some(NOW + 120));
    assert_eq!(store.find_token("newer").await.unwrap().unwrap().revoked_at, None);
    // the address is matched exactly
    store.create_token(&token("upper", "R@example.org", "s5", NOW + 180), NOW + 180).await.unwrap();
    assert_eq!(store.find_token("newer").await.unwrap().unwrap().revoked_at, None);
}

async fn quota_grants_exactly_the_limit(db: Db) {
    let store = db.open().await;
    store.create_token(&token("q", "q@example.org", "s", NOW), NOW).await.unwrap();
    for used in 1..=3 {
        assert_eq!(store.count_scan("q", DAY, 3, NOW + i64::from(used)).await.unwrap(), granted(used));
    }
    assert_eq!(store.count_scan("q", DAY, 3, NOW + 100).await.unwrap(), exceeded(3));
    assert_eq!(store.count_scan("q", DAY, 3, NOW + 101).await.unwrap(), exceeded(3));
    assert_eq!(store.scans_on("q", DAY).await.unwrap(), 3);
    // a refused scan is not a use
    assert_eq!(store.find_token("q").await.unwrap().unwrap().last_used_at, Some(NOW + 3));
    // a higher limit (a quota raised during the day) grants from where the count stands
    assert_eq!(store.count_scan("q", DAY, 4, NOW + 200).await.unwrap(), granted(4));
    assert_eq!(store.count_scan("q", DAY, 2, NOW + 201).await.unwrap(), exceeded(4));
    assert_eq!(store.scans_on("q", DAY).await.unwrap(), 4);
    assert_eq!(store.scans_on("nobody", DAY).await.unwrap(), 0);
}

async fn a_limit_of_zero_grants_nothing(db: Db) {
    let store = db.open().await;
    store.create_token(&token("z", "z@example.org", "s", NOW), NOW).await.unwrap();
    assert_eq!(store.count_scan("z", DAY, 0, NOW).await.unwrap(), exceeded(0));
    assert_eq!(store.count_scan("z", DAY, 0, NOW).await.unwrap(), exceeded(0));
    assert_eq!(store.scans_on("z", DAY).await.unwrap(), 0);
    assert_eq!(store.find_token("z").await.unwrap().unwrap().last_used_at, None);
    assert_eq!(store.count_scan("z", DAY, 1, NOW + 1).await.unwrap(), granted(1));
    assert_eq!(store.count_scan("z", DAY, 0, NOW + 2).await.unwrap(), exceeded(1));
    assert!(!store.count_attempt("ip:192.0.2.1", 100, 0).await.unwrap());
    assert!(!store.count_attempt("ip:192.0.2.1", 100, 0).await.unwrap());
    assert!(store.count_attempt("ip:192.0.2.1", 100, 1).await.unwrap());
    assert!(!store.count_attempt("ip:192.0.2.1", 100, 1).await.unwrap());
}

async fn days_are_counted_apart(db: Db) {
    let store = db.open().await;
    store.create_token(&token("d", "d@example.org", "s", NOW), NOW).await.unwrap();
    assert_eq!(store.count_scan("d", DAY, 2, NOW).await.unwrap(), granted(1));
    assert_eq!(store.count_scan("d", DAY, 2, NOW).await.unwrap(), granted(2));
    assert_eq!(store.count_scan("d", DAY, 2, NOW).await.unwrap(), exceeded(2));
    assert_eq!(store.count_scan("d", DAY + 1, 2, NOW + 86_400).await.unwrap(), granted(1));
    assert_eq!(store.count_scan("d", DAY, 2, NOW).await.unwrap(), exceeded(2));
    assert_eq!((store.scans_on("d", DAY).await.unwrap(), store.scans_on("d", DAY + 1).await.unwrap()), (2, 1));
    let used = |day| {
        let store = Arc::clone(&store);
        async move { store.list_tokens(day).await.unwrap()[0].used_today }
    };
    assert_eq!((used(DAY - 1).await, used(DAY).await, used(DAY + 1).await, used(DAY + 2).await), (0, 2, 1, 0));
}

async fn attempts_are_counted_and_pruned(db: Db) {
    let store = db.open().await;
    let window = NOW - NOW % 3600;
    for _ in 0..3 {
        assert!(store.count_attempt("email:a@example.org", window, 3).await.unwrap());
    }
    assert!(!store.count_attempt("email:a@example.org", window, 3).await.unwrap());
    assert!(store.count_attempt("email:b@example.org", window, 3).await.unwrap());
    assert!(store.count_attempt("email:a@example.org", window + 3600, 3).await.unwrap());
    assert_eq!(
        db.integer(&format!("SELECT count FROM attempts WHERE key = 'email:a@example.org' AND win = {window}")).await,
        3
    );

    store.create_token(&token("p", "p@example.org", "s", NOW), NOW).await.unwrap();
    for day in [DAY - 2, DAY - 1, DAY] {
        store.count_scan("p", day, 5, NOW).await.unwrap();
    }
    // usage before DAY - 1 (one row), attempts before the second window (two rows)
    assert_eq!(store.prune(DAY - 1, window + 3600).await.unwrap(), 3);
    assert_eq!(store.scans_on("p", DAY - 2).await.unwrap(), 0);
    assert_eq!(store.scans_on("p", DAY - 1).await.unwrap(), 1);
    assert!(store.count_attempt("email:a@example.org", window, 1).await.unwrap());
    assert_eq!(store.prune(DAY - 1, window).await.unwrap(), 0);
}

async fn admin_commands_by_id_and_by_email(db: Db) {
    let store = db.open().await;
    store.create_token(&token("t1", "one@example.org", "s1", NOW), NOW).await.unwrap();
    store.create_token(&token("t2", "two@example.org", "s2", NOW + 1), NOW + 1).await.unwrap();
    store.create_token(&token("t3", "two@example.org", "s3", NOW + 2), NOW + 2).await.unwrap();
    store.count_scan("t1", DAY, 10, NOW + 3).await.unwrap();
    let list = store.list_tokens(DAY).await.unwrap();
    let ids: Vec<_> = list.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t1", "t2", "t3"]);
    assert_eq!((list[0].used_today, list[0].last_used_at, list[1].revoked_at), (1, Some(NOW + 3), Some(NOW + 2)));

    let id = |s: &str| TokenSelector::Id(s.to_owned());
    let email = |s: &str| TokenSelector::Email(s.to_owned());
    assert_eq!(store.set_quota(&id("t1"), Some(5)).await.unwrap(), 1);
    assert_eq!(store.find_token("t1").await.unwrap().unwrap().daily_quota, Some(5));
    assert_eq!(store.set_quota(&email("two@example.org"), Some(u32::MAX)).await.unwrap(), 2);
    assert_eq!(store.find_token("t3").await.unwrap().unwrap().daily_quota, Some(u32::MAX));
    assert_eq!(store.set_quota(&id("t1"), None).await.unwrap(), 1);
    assert_eq!(store.find_token("t1").await.unwrap().unwrap().daily_quota, None);
    assert_eq!(store.set_quota(&id("nope"), Some(1)).await.unwrap(), 0);
    assert_eq!(store.set_quota(&email("nobody@example.org"), Some(1)).await.unwrap(), 0);

    assert_eq!(store.revoke(&id("t1"), NOW + 10).await.unwrap(), 1);
    assert_eq!(store.revoke(&id("t1"), NOW + 11).await.unwrap(), 0);
    assert_eq!(store.find_token("t1").await.unwrap().unwrap().revoked_at, Some(NOW + 10));
    // t2 was revoked by t3's registration: only t3 is live
    assert_eq!(store.revoke(&email("two@example.org"), NOW + 12).await.unwrap(), 1);
    assert_eq!(store.find_token("t2").await.unwrap().unwrap().revoked_at, Some(NOW + 2));
    assert_eq!(store.revoke(&email("two@example.org"), NOW + 13).await.unwrap(), 0);
    let revoked: Vec<_> = store.list_tokens(DAY).await.unwrap().iter().map(|t| t.revoked_at).collect();
    assert_eq!(revoked, [Some(NOW + 10), Some(NOW + 2), Some(NOW + 12)]);
}

/// SQL of both dialects, quoting and placeholder characters, non-ASCII, and 1 MiB.
fn hostile_emails() -> Vec<String> {
    let big: String = "a'b\"c\\d%e_f;g$1?2:h\u{e9}\u{1f600}-- ".chars().cycle().take(1 << 20).collect();
    vec![
        "x'); DROP TABLE tokens; --@example.org".to_owned(),
        "\"quoted\" \\back\\slash %like_ 'single' ''doubled''@example.org".to_owned(),
        "$1 ?1 :name @p {} \u{0}-less but \t\r\n whitespace@example.org".replace('\u{0}', ""),
        "unicod\u{e9} \u{1f600} \u{202e}rtl@example.org".to_owned(),
        big,
    ]
}

async fn hostile_strings_are_kept_verbatim(db: Db) {
    let store = db.open().await;
    let emails = hostile_emails();
    for (i, email) in emails.iter().enumerate() {
        let id = format!("h{i}");
        store.create_token(&token(&id, email, "s", NOW + i as i64), NOW).await.unwrap();
        assert_eq!(&store.find_token(&id).await.unwrap().unwrap().email, email);
    }
    let listed: Vec<String> = store.list_tokens(DAY).await.unwrap().into_iter().map(|t| t.email).collect();
    assert_eq!(listed, emails);
    assert_eq!(store.find_token("' OR '1'='1").await.unwrap(), None);
    for (i, email) in emails.iter().enumerate() {
        let key = format!("email:{email}");
        assert!(store.count_attempt(&key, 0, 1).await.unwrap(), "email {i}");
        assert!(!store.count_attempt(&key, 0, 1).await.unwrap(), "email {i}");
        assert!(store.count_attempt(&key[..key.len() - 1], 0, 1).await.unwrap(), "email {i}");
    }
    // the attempt key too long for a PostgreSQL index entry is stored as its hash
    assert_eq!(db.integer("SELECT COUNT(*) FROM attempts WHERE key LIKE 'sha256:%'").await, 2);
    assert_eq!(db.integer("SELECT COUNT(*) FROM attempts").await, 10);
    for (i, email) in emails.iter().enumerate() {
        assert_eq!(store.set_quota(&TokenSelector::Email(email.clone()), Some(3)).await.unwrap(), 1, "email {i}");
        assert_eq!(store.revoke(&TokenSelector::Email(email.clone()), NOW).await.unwrap(), 1, "email {i}");
    }
    assert_eq!(db.integer("SELECT COUNT(*) FROM tokens").await, 5);
}

async fn migrations_apply_once(db: Db) {
    let store = db.open().await;
    store.create_token(&token("m", "m@example.org", "s", NOW), NOW).await.unwrap();
    drop(store);
    let (a, b) = tokio::join!(db.try_open(), db.try_open());
    let (a, _b) = (a.unwrap(), b.unwrap());
    assert!(a.find_token("m").await.unwrap().is_some());
    let version = match db {
        Db::Sqlite { .. } => db.integer("PRAGMA user_version").await,
        Db::Postgres { .. } => {
            assert_eq!(db.integer("SELECT COUNT(*) FROM schema_migrations").await, LATEST);
            db.integer("SELECT MAX(version) FROM schema_migrations").await
        }
    };
    assert_eq!(version, LATEST);
}

async fn a_newer_schema_is_refused(db: Db) {
    drop(db.open().await);
    match db {
        Db::Sqlite { .. } => db.execute("PRAGMA user_version = 99").await,
        Db::Postgres { .. } => db.execute("INSERT INTO schema_migrations (version) VALUES (99)").await,
    }
    match db.try_open().await {
        Err(StoreError::SchemaTooNew { found: 99, known: LATEST }) => {}
        Err(e) => panic!("expected SchemaTooNew, got {e}"),
        Ok(_) => panic!("a store of schema version 99 was opened"),
    }
}

async fn racing_scans_over_two_stores_grant_exactly_the_limit(db: Db) {
    let (a, b) = tokio::join!(db.try_open(), db.try_open());
    let stores = [a.unwrap(), b.unwrap()];
    stores[0].create_token(&token("race", "race@example.org", "s", NOW), NOW).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..150_i64 {
        let store = Arc::clone(&stores[(i % 2) as usize]);
        tasks.spawn(async move {
            let scan = store.count_scan("race", DAY, 100, NOW + i).await.unwrap();
            let attempt = store.count_attempt("ip:198.51.100.7", 42, 100).await.unwrap();
            (scan, attempt)
        });
    }
    let results = tasks.join_all().await;
    let mut used: Vec<u32> = results
        .iter()
        .filter_map(|(d, _)| match d {
            QuotaDecision::Granted { used } => Some(*used),
            QuotaDecision::Exceeded { .. } => None,
        })
        .collect();
    used.sort_unstable();
    assert_eq!(used, (1..=100).collect::<Vec<u32>>(), "each grant saw its own count");
    let refused = results.iter().filter(|(d, _)| *d == exceeded(100)).count();
    assert_eq!(refused, 50);
    assert_eq!(results.iter().filter(|(_, counted)| *counted).count(), 100);
    assert_eq!(db.integer("SELECT count FROM usage WHERE token_id = 'race'").await, 100);
    assert_eq!(db.integer("SELECT count FROM attempts WHERE key = 'ip:198.51.100.7'").await, 100);
    assert_eq!(stores[1].scans_on("race", DAY).await.unwrap(), 100);
}
