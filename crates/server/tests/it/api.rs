//! The service's HTTP API in process, against both stores (SQLite, and a real PostgreSQL started
//! by the test), with the real vulnerability database built from `../shared/fixtures` and the
//! inventory of the real debian12-app image: quotas and their reset at the next UTC day (a
//! manual clock, not a sleep), hostile requests (each answered with its code, nothing counted),
//! registration throttles against a real SMTP sink, the database download and its ETag, the
//! switch to a new database file without a dropped request, and the metrics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, missing_docs)]

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use microscanner_model::Inventory;
use microscanner_server::api::AppState;
use microscanner_server::clock::{DAY, ManualClock};
use microscanner_server::config::ServerConfig;
use microscanner_server::store::{SqliteStore, Store, TokenRecord};
use microscanner_server::token::Token;
use microscanner_testkit::postgres::PgServer;
use microscanner_testkit::smtp::SmtpSink;

/// 2026-12-06T12:00:00Z.
const NOON: i64 = 1_796_558_400;

/// The feeds of the test database (a part of the fixtures: enough to find the image's findings).
fn feed_paths() -> Vec<PathBuf> {
    let f = microscanner_testkit::fixtures_dir();
    let vunnel = f.join("feeds-vunnel-fixtures/tests/unit/providers");
    vec![
        f.join("osv-pypi-pypa/json"),
        f.join("osv-rustsec"),
        f.join("osv-go-vulndb"),
        f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"),
        f.join("debian-security-tracker/CVEDB-mirror/data/DLA/list"),
        vunnel.join("debian/test-fixtures/input/debian.json"),
        vunnel.join("nvd/test-fixtures/full-page.json"),
        f.join("kev-cisa/known_exploited_vulnerabilities.json"),
    ]
}

fn build_db(target: &Path, feeds: &[PathBuf]) {
    let inputs = microscanner_feeds::build::collect_inputs(feeds).unwrap();
    let options = microscanner_feeds::build::BuildOptions::default();
    microscanner_feeds::build::build(target, &inputs, &options, &microscanner_feeds::build::NoProgress).unwrap();
}

/// The full test database, built once per test binary.
fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("server-api-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("microscanner.db");
        build_db(&db, &feed_paths());
        db
    })
}

/// The inventory of the real debian12-app image; `None` (skip) when the images are not built,
/// which under CI fails instead.
fn inventory() -> Option<&'static Inventory> {
    static INVENTORY: OnceLock<Option<Inventory>> = OnceLock::new();
    INVENTORY
        .get_or_init(|| {
            let images = microscanner_testkit::images_dir()?;
            let target = format!("oci:{}", images.join("debian12-app/oci").display());
            let opened = microscanner_image::open_with(&target, &microscanner_image::OpenOptions::default()).unwrap();
            let options = microscanner_catalog::CatalogOptions::default();
            let inventory = microscanner_catalog::build_inventory(
                &opened[0],
                &microscanner_catalog::default_analyzers(),
                &options,
                &|_| {},
            )
            .unwrap();
            assert!(inventory.packages.len() > 100, "debian12-app has its packages");
            Some(inventory)
        })
        .as_ref()
}

fn inventory_body() -> Option<Vec<u8>> {
    let inventory = inventory()?;
    let meta = microscanner_report::SbomMeta::now("test", Some(0));
    Some(
        serde_json::to_vec(&microscanner_report::sbom_document(
            inventory,
            microscanner_report::SbomFormat::Json,
            &meta,
        ))
        .unwrap(),
    )
}

/// Both stores: SQLite in a temporary directory, and PostgreSQL when it is installed (under CI
/// it must be).
async fn stores(tmp: &Path) -> Vec<(String, Arc<dyn Store>, Option<Arc<PgServer>>)> {
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(tmp.join("server.db")).await.unwrap());
    let mut stores = vec![("sqlite".to_owned(), sqlite, None)];
    // PgServer::start fails under CI when PostgreSQL is missing
    if let Some(pg) = PgServer::start() {
        let pg = Arc::new(pg);
        let store = microscanner_server::store::open(&pg.url).await.unwrap();
        stores.push(("postgres".to_owned(), store, Some(pg)));
    }
    stores
}

/// A running server on a loopback port.
struct Running {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

async fn start(store: Arc<dyn Store>, clock: Arc<ManualClock>, configure: impl FnOnce(&mut ServerConfig)) -> Running {
    let mut config = ServerConfig::new(db().to_owned(), "unused://".into());
    config.request_timeout = Duration::from_secs(2);
    configure(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    config.public_url = format!("http://{addr}");
    let state = microscanner_server::serve::state_with_store(config, store, clock).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(microscanner_server::serve::run(listener, Arc::clone(&state), async move {
        let _ = stopped.await;
    }));
    let task = tokio::spawn(async move {
        task.await.unwrap().unwrap();
    });
    Running { addr, state, stop: Some(stop), task }
}

/// Creates a token directly in the store (as `server token create` does).
async fn token(store: &Arc<dyn Store>, server: &str, email: &str, quota: Option<u32>) -> Token {
    let token = Token::generate(server).unwrap();
    let record = TokenRecord {
        id: token.id.clone(),
        email: email.into(),
        secret_hash: token.secret_hash(),
        created_at: NOON,
        last_used_at: None,
        revoked_at: None,
        daily_quota: quota,
    };
    store.create_token(&record, NOON).await.unwrap();
    token
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

async fn scan(c: &reqwest::Client, r: &Running, token: &Token, body: Vec<u8>) -> reqwest::Response {
    c.post(r.url("/api/v1/scan"))
        .bearer_auth(token.reveal())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> i64 {
    r.headers().get(name).unwrap_or_else(|| panic!("no {name}")).to_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quota_is_exact_and_resets_at_the_next_utc_day() {
    let Some(body) = inventory_body() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for (name, store, _pg) in stores(tmp.path()).await {
        let clock = Arc::new(ManualClock::new(NOON));
        let server = start(Arc::clone(&store), Arc::clone(&clock), |c| c.daily_quota = 100).await;
        let t = token(&store, &server.url(""), "quota@example.com", Some(5)).await;
        let c = client();
        for i in 1..=5 {
            let r = scan(&c, &server, &t, body.clone()).await;
            assert_eq!(r.status(), 200, "{name}: scan {i}");
            assert_eq!(header(&r, "x-ratelimit-limit"), 5);
            assert_eq!(header(&r, "x-ratelimit-remaining"), 5 - i);
            assert_eq!(header(&r, "x-ratelimit-reset"), NOON + DAY / 2, "{name}: next midnight");
            let report: serde_json::Value = r.json().await.unwrap();
            assert!(!report["findings"].as_array().unwrap().is_empty(), "{name}: the report has findings");
        }
        let r = scan(&c, &server, &t, body.clone()).await;
        assert_eq!(r.status(), 429, "{name}: over the quota");
        assert_eq!(header(&r, "retry-after"), DAY / 2);
        assert_eq!(header(&r, "x-ratelimit-remaining"), 0);
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["error"], "quota_exceeded");

        // One second before midnight: still refused. At midnight: a new day.
        clock.advance(DAY / 2 - 1);
        assert_eq!(scan(&c, &server, &t, body.clone()).await.status(), 429, "{name}: 23:59:59");
        clock.advance(1);
        let r = scan(&c, &server, &t, body.clone()).await;
        assert_eq!(r.status(), 200, "{name}: the next UTC day");
        assert_eq!(header(&r, "x-ratelimit-remaining"), 4);
        server.stop().await;
    }
}

/// Sends raw bytes and reads the status line of the answer (the body may never be sent whole).
fn raw_status(addr: SocketAddr, head: &str, body: &[u8], per_byte: Option<Duration>) -> (u16, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    match per_byte {
        None => {
            let _ = s.write_all(body);
        }
        Some(pause) => {
            for b in body {
                if s.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(pause);
                if started.elapsed() > Duration::from_secs(20) {
                    break;
                }
            }
        }
    }
    let mut answer = [0u8; 64];
    let n = s.read(&mut answer).unwrap_or(0);
    let text = String::from_utf8_lossy(&answer[..n]).to_string();
    let code = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_requests_get_their_code_and_count_nothing() {
    let Some(body) = inventory_body() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for (name, store, _pg) in stores(tmp.path()).await {
        let clock = Arc::new(ManualClock::new(NOON));
        let server = start(Arc::clone(&store), clock, |_| {}).await;
        let t = token(&store, &server.url(""), "hostile@example.com", None).await;
        let c = client();
        let post = |b: Vec<u8>, ct: &str, auth: Option<String>| {
            let mut rb = c.post(server.url("/api/v1/scan")).header("content-type", ct).body(b);
            if let Some(a) = auth {
                rb = rb.header("authorization", a);
            }
            rb.send()
        };
        let bearer = Some(format!("Bearer {}", t.reveal()));
        // malformed JSON, and a wrong type named by its field
        let r = post(b"{\"packages\": [".to_vec(), "application/json", bearer.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{name}");
        let mut wrong: serde_json::Value = serde_json::from_slice(&body).unwrap();
        wrong["packages"][3]["name"] = 1.into();
        let r = post(serde_json::to_vec(&wrong).unwrap(), "application/json", bearer.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{name}");
        let e: serde_json::Value = r.json().await.unwrap();
        assert!(e["detail"].as_str().unwrap().contains("packages"), "{name}: {e}");
        // tokens: none, unknown, malformed, revoked: one answer
        let unknown = Token::generate(&server.url("")).unwrap();
        // Requests refused before their body is read carry a small body: the server answers and
        // closes without reading the rest, and a client still writing a large one would see a
        // broken pipe instead of the answer.
        let small = br#"{"schema_version":"1.0","packages":[]}"#.to_vec();
        let mut answers = Vec::new();
        for auth in [
            None,
            Some(format!("Bearer {}", unknown.reveal())),
            Some("Bearer msk_'; DROP TABLE tokens; --".into()),
            Some("Basic eDp5".into()),
        ] {
            let r = post(small.clone(), "application/json", auth).await.unwrap();
            assert_eq!(r.status(), 401, "{name}");
            answers.push(r.text().await.unwrap());
        }
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "{name}: one 401 answer for every bad token");
        // not JSON
        assert_eq!(post(small.clone(), "text/plain", bearer.clone()).await.unwrap().status(), 415, "{name}");
        // 1 GB declared: refused before a byte of it is read
        let head = format!(
            "POST /api/v1/scan HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n",
            t.reveal()
        );
        let addr = server.addr;
        let (code, took) = tokio::task::spawn_blocking(move || raw_status(addr, &head, b"{", None)).await.unwrap();
        assert_eq!(code, 413, "{name}: 1 GB declared");
        assert!(took < Duration::from_secs(5), "{name}: refused at once");
        // 10 million packages, streamed without a length: cut off at --max-body
        let image =
            serde_json::to_string(&serde_json::from_slice::<serde_json::Value>(&body).unwrap()["image"]).unwrap();
        let chunks = futures_stream_of_packages(&image, 10_000_000);
        let r = c
            .post(server.url("/api/v1/scan"))
            .header("content-type", "application/json")
            .bearer_auth(t.reveal())
            .body(reqwest::Body::wrap_stream(chunks))
            .send()
            .await;
        if let Ok(r) = r {
            assert_eq!(r.status(), 413, "{name}: 10 million packages");
        } // the server may close the connection while the client still sends: also a refusal
        // one byte a second: cut off by --request-timeout (2 s here)
        let head = format!(
            "POST /api/v1/scan HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
            t.reveal()
        );
        let (code, took) =
            tokio::task::spawn_blocking(move || raw_status(addr, &head, &[b' '; 100], Some(Duration::from_secs(1))))
                .await
                .unwrap();
        assert_eq!(code, 408, "{name}: slow body");
        assert!(took < Duration::from_secs(10), "{name}: cut off in {took:?}");
        // SQL metacharacters and 1 MB strings in every field of a package: matched, no crash
        let big = "x".repeat(1 << 20);
        let mut nasty: serde_json::Value = serde_json::from_slice(&body).unwrap();
        nasty["image"]["name"] = big.clone().into();
        nasty["image"]["digest"] = "'; DROP TABLE usage; --".into();
        nasty["packages"] = serde_json::json!([{
            "kind": "deb", "name": "openssl'; DROP TABLE tokens; --", "version": big,
            "source_name": "\" OR 1=1 --", "purl": big, "location": "%_\\", "evidence": "installed",
            "arch": big
        }]);
        let r = post(serde_json::to_vec(&nasty).unwrap(), "application/json", bearer.clone()).await.unwrap();
        let status = r.status().as_u16();
        assert!(status == 200 || status == 400, "{name}: nasty strings answered {status}");
        let counted_nasty = u32::from(status == 200);
        // Nothing above counted a scan but the nasty one, if it was answered.
        let used = store.scans_on(&t.id, NOON.div_euclid(DAY)).await.unwrap();
        assert_eq!(used, counted_nasty, "{name}: refused requests count nothing");
        assert_eq!(store.list_tokens(NOON.div_euclid(DAY)).await.unwrap().len(), 1, "{name}: no token stored");
        // and the server still answers
        assert_eq!(scan(&c, &server, &t, body.clone()).await.status(), 200, "{name}: still serving");
        server.stop().await;
    }
}

/// An endless-looking inventory: `n` packages, streamed in chunks, never held whole.
fn futures_stream_of_packages(
    image: &str,
    n: usize,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + use<> {
    let head = std::iter::once(format!(r#"{{"schema_version":"1.0","image":{image},"packages":["#).into_bytes());
    let packages = (0..n / 1000).map(|chunk| {
        let mut out = Vec::with_capacity(64 * 1000);
        for i in 0..1000 {
            let sep = if chunk == 0 && i == 0 { "" } else { "," };
            out.extend_from_slice(
                format!(r#"{sep}{{"kind":"npm","name":"p{chunk}-{i}","version":"1.0.0","purl":"pkg:npm/p@1","location":"/x","evidence":"installed"}}"#)
                    .as_bytes(),
            );
        }
        out
    });
    let tail = std::iter::once(b"]}".to_vec());
    futures_util::stream::iter(head.chain(packages).chain(tail).map(Ok))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_are_throttled_and_mailed() {
    let Some(smtp) = SmtpSink::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for (name, store, _pg) in stores(tmp.path()).await {
        let flood = format!("Flood-{name}@Example.com");
        let to_flood = |mails: Vec<String>| -> Vec<String> {
            mails
                .into_iter()
                .filter(|m| m.to_ascii_lowercase().contains(&format!("flood-{name}@example.com")))
                .collect()
        };
        let clock = Arc::new(ManualClock::new(NOON));
        let smtp_url = format!("smtp://127.0.0.1:{}", smtp.port);
        // Per address: 10,000 registrations of one address from one client (client limit lifted).
        let server = start(Arc::clone(&store), Arc::clone(&clock), |c| {
            c.smtp_url = Some(smtp_url.clone());
            c.registration.per_client = u32::MAX;
        })
        .await;
        let c = client();
        let url = server.url("/api/v1/register");
        let mut tasks = tokio::task::JoinSet::new();
        for worker in 0..8 {
            let (c, url, flood) = (c.clone(), url.clone(), flood.clone());
            tasks.spawn(async move {
                let mut codes = Vec::new();
                for _ in 0..(10_000 / 8) {
                    let r = c
                        .post(&url)
                        .json(&serde_json::json!({"email": flood, "accept_terms": true}))
                        .send()
                        .await
                        .unwrap();
                    codes.push(r.status().as_u16());
                }
                let _ = worker;
                codes
            });
        }
        let mut codes = Vec::new();
        while let Some(r) = tasks.join_next().await {
            codes.extend(r.unwrap());
        }
        assert_eq!(codes.len(), 10_000);
        assert!(codes.iter().all(|&c| c == 202), "{name}: every answer is 202, whatever happened");
        let tokens = store.list_tokens(NOON.div_euclid(DAY)).await.unwrap();
        assert_eq!(tokens.len(), 3, "{name}: only per_address tokens were issued");
        assert_eq!(tokens.iter().filter(|t| t.revoked_at.is_none()).count(), 1, "{name}: one live token");
        let deadline = Instant::now() + Duration::from_secs(20);
        while to_flood(smtp.messages()).len() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(300));
        let mails = to_flood(smtp.messages());
        assert_eq!(mails.len(), 3, "{name}: three mails");
        let last = &mails[mails.len() - 1];
        let live = tokens.iter().find(|t| t.revoked_at.is_none()).unwrap();
        let live_now =
            mails.iter().filter_map(|m| regex_token(m)).map(|t| Token::parse(&t).unwrap().id).collect::<Vec<_>>();
        assert!(live_now.contains(&live.id), "{name}: the live token was mailed");
        assert!(
            microscanner_testkit::smtp::mail_text(last).contains("RUN /microscanner"),
            "{name}: the mail says how to use it"
        );
        // bad requests: field named, nothing issued
        for (b, field) in [
            (serde_json::json!({"email": "not an address", "accept_terms": true}), "email"),
            (serde_json::json!({"email": "a@example.com", "accept_terms": false}), "accept_terms"),
            (serde_json::json!({"email": "'; DROP TABLE tokens; --", "accept_terms": true}), "email"),
            (serde_json::json!({"email": "x".repeat(1 << 20), "accept_terms": true}), "email"),
        ] {
            let r = c.post(&url).json(&b).send().await.unwrap();
            assert_eq!(r.status(), 400, "{name}");
            let e: serde_json::Value = r.json().await.unwrap();
            assert_eq!(e["field"], field, "{name}");
        }
        server.stop().await;

        // Per client: past the limit, 429 with Retry-After (an hour later: a new window).
        clock.advance(3600);
        let server = start(Arc::clone(&store), clock, |c| {
            c.smtp_url = Some(smtp_url.clone());
            c.registration.per_client = 5;
        })
        .await;
        let url = server.url("/api/v1/register");
        let mut codes = Vec::new();
        for i in 0..8 {
            let r = c
                .post(&url)
                .json(&serde_json::json!({"email": format!("user{i}-{name}@example.com"), "accept_terms": true}))
                .send()
                .await
                .unwrap();
            codes.push(r.status().as_u16());
            if r.status() == 429 {
                assert!(r.headers().get("retry-after").is_some());
            }
        }
        assert_eq!(codes, [202, 202, 202, 202, 202, 429, 429, 429], "{name}");
        server.stop().await;
    }
}

/// The token in a mail's text.
fn regex_token(mail: &str) -> Option<String> {
    microscanner_testkit::smtp::mail_text(mail).split_whitespace().find(|w| w.starts_with("msk_")).map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn database_download_and_switch() {
    let Some(body) = inventory_body() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // The served file is a copy, so the test can replace it.
    let served = tmp.path().join("db").join("microscanner.db");
    std::fs::create_dir_all(served.parent().unwrap()).unwrap();
    let small = tmp.path().join("small.db");
    build_db(&small, &feed_paths()[..3]);
    std::fs::copy(&small, &served).unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tmp.path().join("server.db")).await.unwrap());
    let clock = Arc::new(ManualClock::new(NOON));
    let served_path = served.clone();
    let server = start(Arc::clone(&store), clock, move |c| c.db = served_path).await;
    let c = client();

    // metadata and download: the export imports to a file equal to the served one
    let meta: serde_json::Value = c.get(server.url("/api/v1/db")).send().await.unwrap().json().await.unwrap();
    let (sha, size) = microscanner_vulndb::hash_file(&served).unwrap();
    assert_eq!(meta["sha256"], sha);
    assert_eq!(meta["size"], size);
    assert!(!meta["sources"].as_array().unwrap().is_empty());
    let r = c.get(server.url("/api/v1/db/download")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{sha}\""));
    let export = tmp.path().join("export.tar.zst");
    std::fs::write(&export, r.bytes().await.unwrap()).unwrap();
    let imported = tmp.path().join("imported.db");
    microscanner_vulndb::import(&export, &imported).unwrap();
    assert_eq!(microscanner_vulndb::hash_file(&imported).unwrap().0, sha);
    let r = c.get(server.url("/api/v1/db/download")).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), 304, "the same database is not downloaded again");

    // Scans run while the file is replaced by a bigger database: none fails, and the new one
    // is served after.
    let t = token(&store, &server.url(""), "switch@example.com", Some(10_000)).await;
    let findings = |v: &serde_json::Value| v["findings"].as_array().unwrap().len();
    let before: serde_json::Value = scan(&c, &server, &t, body.clone()).await.json().await.unwrap();
    let load = {
        let (c, url, token, body) = (c.clone(), server.url("/api/v1/scan"), t.reveal(), body.clone());
        tokio::spawn(async move {
            let mut codes = Vec::new();
            for _ in 0..60 {
                let r = c
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                codes.push(r.status().as_u16());
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            codes
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let full_tmp = tmp.path().join("db").join("incoming.db");
    std::fs::copy(db(), &full_tmp).unwrap();
    std::fs::rename(&full_tmp, &served).unwrap();
    let codes = load.await.unwrap();
    assert!(codes.iter().all(|&c| c == 200), "no request dropped during the switch: {codes:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after: serde_json::Value = scan(&c, &server, &t, body.clone()).await.json().await.unwrap();
    let sources = |v: &serde_json::Value| v["database"]["sources"].as_array().unwrap().len();
    assert!(
        sources(&after) > sources(&before),
        "the new database is served: {} > {}",
        sources(&after),
        sources(&before)
    );
    assert!(findings(&after) >= findings(&before));
    let meta: serde_json::Value = c.get(server.url("/api/v1/db")).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["sha256"], microscanner_vulndb::hash_file(db()).unwrap().0);

    // metrics saw it all
    let metrics = c.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("microscanner_http_requests_total{route=\"/api/v1/scan\",code=\"200\"}"));
    assert!(metrics.contains("microscanner_scans_total "));
    assert!(metrics.contains("microscanner_database_age_seconds "));
    let _ = &server.state;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_waits_for_a_database() {
    let tmp = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tmp.path().join("server.db")).await.unwrap());
    let path = tmp.path().join("later.db");
    let p = path.clone();
    let server = start(store, Arc::new(ManualClock::new(NOON)), move |c| c.db = p).await;
    let c = client();
    assert_eq!(c.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(c.get(server.url("/readyz")).send().await.unwrap().status(), 503);
    std::fs::copy(db(), &path).unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(c.get(server.url("/readyz")).send().await.unwrap().status(), 200);
    let page = c.get(server.url("/")).send().await.unwrap();
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert!(page.text().await.unwrap().contains("I accept the terms"));
    assert_eq!(c.get(server.url("/nope")).send().await.unwrap().status(), 404);
    server.stop().await;
}
