//! Remembered inventories on the service (`POST /api/v1/scan?remember=NAME`): after a database
//! reload each affected inventory is notified once, signed, to a receiver on loopback started by
//! the test (that fails twice first); nothing when the database changed but nothing new
//! appeared; the same with two replicas sharing a real PostgreSQL, each inventory evaluated by
//! exactly one of them.

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use microscanner_server::api::AppState;
use microscanner_server::clock::ManualClock;
use microscanner_server::config::ServerConfig;
use microscanner_server::store::{SqliteStore, Store, TokenRecord};
use microscanner_server::token::Token;
use microscanner_testkit::postgres::PgServer;

/// 2026-12-06T12:00:00Z.
const NOON: i64 = 1_796_558_400;
const SECRET: &[u8] = b"operator-secret";

/// Every fixture feed of the first database but the GHSA subset.
fn first_part() -> Vec<PathBuf> {
    let f = microscanner_testkit::fixtures_dir();
    vec![f.join("osv-pypi-pypa/json"), f.join("osv-rustsec"), f.join("kev-cisa/known_exploited_vulnerabilities.json")]
}

fn build(target: &Path, feeds: &[PathBuf]) {
    let inputs = microscanner_feeds::build::collect_inputs(feeds).unwrap();
    let options = microscanner_feeds::build::BuildOptions::default();
    microscanner_feeds::build::build(target, &inputs, &options, &microscanner_feeds::build::NoProgress).unwrap();
}

/// (the first database, the full one, the full one rebuilt): built once per test binary.
fn dbs() -> &'static (PathBuf, PathBuf, PathBuf) {
    static DBS: OnceLock<(PathBuf, PathBuf, PathBuf)> = OnceLock::new();
    DBS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("server-watch-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (part, full, again) = (dir.join("part.db"), dir.join("full.db"), dir.join("again.db"));
        build(&part, &first_part());
        let mut all = first_part();
        all.push(microscanner_testkit::fixtures_dir().join("osv-ghsa-subset"));
        build(&full, &all);
        build(&again, &all);
        (part, full, again)
    })
}

/// A CycloneDX SBOM of npm and PyPI packages: lodash and minimist have GHSA advisories (high,
/// critical) only the full database has; django's are in both.
fn sbom(packages: &[(&str, &str, &str)]) -> Vec<u8> {
    let components: Vec<_> = packages
        .iter()
        .map(|(eco, name, version)| {
            serde_json::json!({"type": "library", "name": name, "version": version,
                               "purl": format!("pkg:{eco}/{name}@{version}")})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "container", "name": "acme/app:1.0"}},
        "components": components,
    }))
    .unwrap()
}

/// The inventories remembered: two are affected by what the full database adds, one is not.
fn inventories() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("affected-a", sbom(&[("npm", "lodash", "4.17.15"), ("npm", "minimist", "1.2.5"), ("pypi", "django", "2.2")])),
        ("affected-b", sbom(&[("npm", "minimist", "1.2.5")])),
        ("unaffected", sbom(&[("pypi", "django", "2.2")])),
    ]
}

type Log = Arc<Mutex<Vec<(u16, Option<String>, Vec<u8>)>>>;

/// A receiver on loopback answering 503 to its first `failures` requests, then 200.
fn receiver(failures: usize) -> (String, Log) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let log: Log = Arc::default();
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let (mut len, mut signature, mut line) = (0usize, None, String::new());
            while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if lower.starts_with("x-microscanner-signature:") {
                    signature = line.split_once(':').map(|(_, v)| v.trim().to_owned());
                }
                line.clear();
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let mut log = seen.lock().unwrap();
            let status = if log.len() < failures { 503 } else { 200 };
            log.push((status, signature, body));
            drop(log);
            let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, log)
}

struct Replica {
    url: String,
    state: Arc<AppState>,
    stop: tokio::sync::oneshot::Sender<()>,
}

async fn replica(store: Arc<dyn Store>, db: &Path, webhook: &str) -> Replica {
    let mut config = ServerConfig::new(db.to_owned(), "unused://".into());
    config.watch.webhook = Some(microscanner_watch::Webhook {
        url: webhook.to_owned(),
        format: microscanner_watch::WebhookFormat::Json,
        notify_on: microscanner_model::Severity::High,
    });
    config.watch.secret = Some(SECRET.to_vec());
    config.watch.poll = Duration::from_millis(100);
    config.watch.backoff = Duration::from_millis(10);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    config.public_url = format!("http://{addr}");
    let clock = Arc::new(ManualClock::new(NOON));
    let state = microscanner_server::serve::state_with_store(config, store, clock).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(microscanner_server::serve::run(listener, Arc::clone(&state), async move {
        let _ = stopped.await;
    }));
    Replica { url: format!("http://{addr}"), state, stop }
}

async fn token(store: &Arc<dyn Store>, server: &str) -> Token {
    let token = Token::generate(server).unwrap();
    let record = TokenRecord {
        id: token.id.clone(),
        email: "watch@example.org".into(),
        secret_hash: token.secret_hash(),
        created_at: NOON,
        last_used_at: None,
        revoked_at: None,
        daily_quota: Some(1000),
    };
    store.create_token(&record, NOON).await.unwrap();
    token
}

async fn scan(r: &Replica, token: &Token, query: &str, body: Vec<u8>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/scan{query}", r.url))
        .bearer_auth(token.reveal())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Installs `source` as the served file by a rename, as `db update` does.
fn install(source: &Path, served: &Path) {
    let incoming = served.with_extension("incoming");
    std::fs::copy(source, &incoming).unwrap();
    std::fs::rename(&incoming, served).unwrap();
}

/// Waits until the replicas together evaluated `n` inventories and none is pending.
async fn evaluated(replicas: &[&Replica], n: u64) {
    let started = Instant::now();
    loop {
        let done: u64 = replicas.iter().map(|r| r.state.metrics.watch.evaluations.load(Ordering::Relaxed)).sum();
        let pending = replicas[0].state.metrics.watch.pending.load(Ordering::Relaxed);
        if done >= n && pending == 0 {
            assert_eq!(done, n, "each inventory evaluated once");
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{done} of {n} evaluated, {pending} pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The delivered notifications' names, each signature checked, and a tampered copy refused.
fn delivered(log: &Log) -> Vec<String> {
    let log = log.lock().unwrap();
    let mut names = Vec::new();
    for (status, signature, body) in log.iter().filter(|r| r.0 == 200) {
        assert_eq!(*status, 200);
        let signature = signature.as_deref().expect("signed");
        assert!(microscanner_watch::notify::verify(SECRET, body, signature), "the signature checks");
        let mut tampered = body.clone();
        tampered[0] = b' ';
        assert!(!microscanner_watch::notify::verify(SECRET, &tampered, signature), "a tampered body does not");
        let doc: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert!(doc["token"].as_str().is_some_and(|t| !t.is_empty()), "names the token: {doc}");
        names.push(doc["name"].as_str().unwrap().to_owned());
    }
    names.sort();
    names
}

/// Remembers the inventories through `r` with the first database, installs the full one, and
/// checks what the receiver got; then a rebuilt full database (new file, same advisories) sends
/// nothing.
async fn remember_reload_notify(replicas: &[&Replica], store: &Arc<dyn Store>, served: &Path, log: &Log) {
    let t = token(store, &replicas[0].url).await;
    let bad = scan(replicas[0], &t, "?remember=bad%20name", inventories()[0].1.clone()).await;
    assert_eq!(bad.status(), 400, "a bad name is refused");
    for (name, body) in inventories() {
        let r = scan(replicas[0], &t, &format!("?remember={name}"), body).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    assert_eq!(store.scans_on(&t.id, NOON.div_euclid(86_400)).await.unwrap(), 3, "the refused one was not counted");
    evaluated(replicas, 0).await;
    assert!(log.lock().unwrap().is_empty(), "nothing new against the same database");

    install(&dbs().1, served);
    evaluated(replicas, 3).await;
    assert_eq!(delivered(log), ["affected-a", "affected-b"], "one notification per affected inventory");
    let statuses: Vec<u16> = log.lock().unwrap().iter().map(|r| r.0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 2, "{statuses:?}");
    assert_eq!(statuses.len(), 4, "retried twice, then each delivered once: {statuses:?}");

    install(&dbs().2, served);
    evaluated(replicas, 6).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(log.lock().unwrap().len(), 4, "a new database with nothing new sends nothing");
    let metrics = reqwest::get(format!("{}/metrics", replicas[0].url)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("microscanner_watch_pending 0"), "{metrics}");
    assert!(metrics.contains("microscanner_watch_inventories 3"), "{metrics}");
}

fn served_copy(dir: &Path) -> PathBuf {
    let served = dir.join("db").join("microscanner.db");
    std::fs::create_dir_all(served.parent().unwrap()).unwrap();
    std::fs::copy(&dbs().0, &served).unwrap();
    served
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_replica_on_sqlite_notifies_each_affected_inventory_once() {
    let tmp = tempfile::tempdir().unwrap();
    let served = served_copy(tmp.path());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tmp.path().join("server.db")).await.unwrap());
    let (url, log) = receiver(2);
    let r = replica(Arc::clone(&store), &served, &url).await;
    remember_reload_notify(&[&r], &store, &served, &log).await;
    let _ = r.stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_postgres_share_the_work_and_notify_once() {
    let Some(pg) = PgServer::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let served = served_copy(tmp.path());
    let a_store = microscanner_server::store::open(&pg.url).await.unwrap();
    let b_store = microscanner_server::store::open(&pg.url).await.unwrap();
    let (url, log) = receiver(2);
    let a = replica(Arc::clone(&a_store), &served, &url).await;
    let b = replica(b_store, &served, &url).await;
    remember_reload_notify(&[&a, &b], &a_store, &served, &log).await;
    let (by_a, by_b) = (
        a.state.metrics.watch.evaluations.load(Ordering::Relaxed),
        b.state.metrics.watch.evaluations.load(Ordering::Relaxed),
    );
    assert_eq!(by_a + by_b, 6, "each inventory evaluated once per database, by one replica");
    let _ = (a.stop.send(()), b.stop.send(()));
}
