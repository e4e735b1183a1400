//! The service end to end, as processes: `microscanner serve` on loopback with the real database
//! built from `../shared/fixtures`, a real SMTP sink (Debian's aiosmtpd), a real PostgreSQL, and
//! the real debian12-app image. Register → mail → scan with the mailed token gives the local
//! scan's findings; two replicas on one PostgreSQL never grant more than the quota together; a
//! server killed mid-load loses no counted scan; the registration page works in headless
//! Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, missing_docs)]

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use microscanner_testkit::postgres::PgServer;
use microscanner_testkit::smtp::{SmtpSink, mail_text};
use serde_json::Value;

fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB")
        .env_remove("MICROSCANNER_TOKEN")
        .env_remove("MICROSCANNER_SERVER")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/service-tests-layer-cache"));
    c
}

/// The test database: the in-image tests' (`support/in_image.rs`), built once for the whole test
/// binary from the same fixture feeds.
fn db() -> &'static Path {
    crate::support_in_image::db()
}

/// `oci:` of debian12-app; `None` (skip) without the images, a failure under CI.
fn image() -> Option<String> {
    let dir = microscanner_testkit::images_dir()?;
    Some(format!("oci:{}", dir.join("debian12-app/oci").display()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `microscanner serve` process; killed when dropped.
struct Serve {
    child: Child,
    url: String,
    addr: SocketAddr,
}

impl Serve {
    fn start(args: &[&str]) -> Self {
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = microscanner()
            .arg("--db")
            .arg(db())
            .args(["serve", "--listen", &addr.to_string()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let serve = Self { child, url: format!("http://{addr}"), addr };
        serve.wait_ready();
        serve
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::blocking::Client::new();
        while Instant::now() < deadline {
            if client.get(format!("{}/readyz", self.url)).send().is_ok_and(|r| r.status() == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("serve on {} did not become ready", self.addr);
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Findings as (id, package, version, location), the identity a report reader compares by.
fn findings(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["package"];
            let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (s(&f["id"]), s(&p["name"]), s(&p["version"]), s(&p["location"]))
        })
        .collect()
}

fn token_in(mail: &str) -> Option<String> {
    mail_text(mail).split_whitespace().find(|w| w.starts_with("msk_")).map(str::to_owned)
}

fn wait_for_mail_to(smtp: &SmtpSink, address: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(m) = smtp.messages().into_iter().rev().find(|m| m.to_ascii_lowercase().contains(address)) {
            return m;
        }
        assert!(Instant::now() < deadline, "no mail to {address} arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn register_mail_scan_gives_the_local_findings() {
    let Some(image) = image() else { return };
    let Some(smtp) = SmtpSink::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("server.db");
    let serve = Serve::start(&[
        "--database-url",
        &format!("sqlite://{}", store.display()),
        "--smtp-url",
        &format!("smtp://127.0.0.1:{}", smtp.port),
    ]);

    // register (the old spelling too), read the token out of the mail
    let out = microscanner()
        .args(["register", "dev@example.com", "--accept-terms", "--server", &serve.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "register: {}", stderr(&out));
    let mail = wait_for_mail_to(&smtp, "dev@example.com");
    let token = token_in(&mail).expect("a token in the mail");
    assert!(token.starts_with("msk_"));

    // scan through the server (the token names it: no --server) and locally
    let remote = microscanner()
        .args(["scan", &image, "--format", "json", "--fail-on", "none", "--token", &token])
        .output()
        .unwrap();
    assert!(remote.status.success(), "remote scan: {}", stderr(&remote));
    // remembered through the token: the server keeps it for that token, and the client's own
    // watch store stays empty (a webhook of its own is refused: the server's operator notifies)
    let data = tempfile::tempdir().unwrap();
    let remembered = microscanner()
        .env("MICROSCANNER_DATA_DIR", data.path())
        .args(["scan", &image, "--format", "json", "--fail-on", "none", "--token", &token, "--remember", "app-1"])
        .output()
        .unwrap();
    assert!(remembered.status.success(), "remote scan --remember: {}", stderr(&remembered));
    assert!(stderr(&remembered).contains("the server remembered the image as \"app-1\""), "{}", stderr(&remembered));
    assert!(!data.path().join("watch.db").exists(), "a remote --remember keeps nothing locally");
    let refused = microscanner()
        .args(["scan", &image, "--token", &token, "--remember", "app-2", "--webhook", "http://127.0.0.1:9/hook"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--webhook is for images remembered here"), "{}", stderr(&refused));
    let local = microscanner()
        .arg("--db")
        .arg(db())
        .args(["scan", &image, "--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    assert!(local.status.success(), "local scan: {}", stderr(&local));
    let (remote, local): (Value, Value) =
        (serde_json::from_slice(&remote.stdout).unwrap(), serde_json::from_slice(&local.stdout).unwrap());
    assert!(!findings(&local).is_empty(), "the image has findings");
    assert_eq!(findings(&remote), findings(&local), "the service finds what the local scan finds");
    assert_eq!(remote["summary"], local["summary"]);
    assert_eq!(remote["packages"].as_array().unwrap().len(), local["packages"].as_array().unwrap().len());

    // the store holds the hash of the secret, never the token
    let conn = rusqlite::Connection::open(&store).unwrap();
    let secret = &token[token.len() - 32..];
    let mut stmt = conn.prepare("SELECT * FROM tokens").unwrap();
    let columns = stmt.column_count();
    let mut rows = stmt.query([]).unwrap();
    let mut seen = 0;
    while let Some(row) = rows.next().unwrap() {
        seen += 1;
        for i in 0..columns {
            let text = match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                    String::from_utf8_lossy(t).into_owned()
                }
                other => format!("{other:?}"),
            };
            assert!(!text.contains(secret), "column {i} holds the secret");
            assert!(!text.contains(&token), "column {i} holds the token");
        }
    }
    assert_eq!(seen, 1);
    let names: Vec<String> = conn
        .prepare("SELECT name FROM remembered")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, ["app-1"], "the server remembered the image under the token");
    let hash: Vec<u8> = conn.query_row("SELECT secret_hash FROM tokens", [], |r| r.get(0)).unwrap();
    assert_eq!(hash, sha256(secret.as_bytes()), "the stored hash is the secret's SHA-256");

    // the admin list shows the address and today's count, never the token
    let out = microscanner()
        .args(["server", "token", "list", "--database-url", &format!("sqlite://{}", store.display())])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(list.contains("dev@example.com"), "{list}");
    assert!(!list.contains(secret));
    assert!(list.lines().nth(1).unwrap().split_whitespace().any(|w| w == "2"), "two scans today: {list}");

    // registering again revokes the old token: the scan is refused, exit 1 with the reason
    let out = microscanner()
        .args(["register", "dev@example.com", "--accept-terms", "--server", &serve.url])
        .output()
        .unwrap();
    assert!(out.status.success());
    let refused = microscanner().args(["scan", &image, "--format", "json", "--token", &token]).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("refused the token"), "{}", stderr(&refused));
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).to_vec()
}

/// A token made with the admin command against `database_url`.
fn admin_token(database_url: &str, public_url: &str, quota: Option<u32>) -> String {
    let mut cmd = microscanner();
    cmd.args([
        "server",
        "token",
        "create",
        "--email",
        "ci@example.com",
        "--database-url",
        database_url,
        "--public-url",
        public_url,
    ]);
    if let Some(q) = quota {
        cmd.args(["--quota", &q.to_string()]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "token create: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The inventory of the image as the client sends it.
fn inventory_body(image: &str) -> Vec<u8> {
    let out = microscanner().args(["sbom", image, "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "sbom: {}", stderr(&out));
    out.stdout
}

#[test]
fn two_replicas_on_one_postgres_grant_exactly_the_quota() {
    let Some(image) = image() else { return };
    let Some(pg) = PgServer::start() else { return };
    let url = pg.create_database("quota");
    let a = Serve::start(&["--database-url", &url, "--daily-quota", "100"]);
    let b = Serve::start(&["--database-url", &url, "--daily-quota", "100"]);
    let token = admin_token(&url, &a.url, None);
    let body = inventory_body(&image);
    let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(120)).build().unwrap();
    let codes: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..150)
            .map(|i| {
                let (client, token, body) = (&client, &token, body.clone());
                let server = if i % 2 == 0 { &a.url } else { &b.url };
                s.spawn(move || {
                    client
                        .post(format!("{server}/api/v1/scan"))
                        .bearer_auth(token)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 100, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 429).count(), 50, "{codes:?}");
    // the admin view agrees
    let out = microscanner().args(["server", "token", "list", "--json", "--database-url", &url]).output().unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["scans_today"], 100);

    // the client's view of a refusal: exit 1, and when the quota resets
    let out = microscanner().args(["scan", &image, "--token", &token, "--server", &b.url]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("quota is used up") && stderr(&out).contains("resets in"), "{}", stderr(&out));
}

#[test]
fn a_server_killed_mid_load_loses_no_counted_scan() {
    let Some(image) = image() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("server.db").display());
    let mut serve = Serve::start(&["--database-url", &url, "--daily-quota", "100000"]);
    let token = admin_token(&url, &serve.url, None);
    let body = inventory_body(&image);
    let scan_url = format!("{}/api/v1/scan", serve.url);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let answered = std::sync::atomic::AtomicU32::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let (token, body, scan_url, stop, answered) = (&token, body.clone(), &scan_url, &stop, &answered);
            s.spawn(move || {
                let client = reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let r = client
                        .post(scan_url)
                        .bearer_auth(token)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send();
                    if r.is_ok_and(|r| r.status() == 200) {
                        answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(1500));
        serve.kill(); // SIGKILL, mid-load
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let answered = answered.load(std::sync::atomic::Ordering::SeqCst);
    assert!(answered > 0, "some scans were answered before the kill");
    let out = microscanner().args(["server", "token", "list", "--json", "--database-url", &url]).output().unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let counted = list[0]["scans_today"].as_u64().unwrap();
    assert!(counted >= u64::from(answered), "every answered scan was counted: {counted} counted, {answered} answered");
    // at most the scans in flight at the kill were counted without an answer
    assert!(counted <= u64::from(answered) + 4, "{counted} counted, {answered} answered");
    // and it starts again on the same store
    let restarted = Serve::start(&["--database-url", &url]);
    let out = microscanner()
        .args(["scan", &image, "--token", &token, "--server", &restarted.url, "--fail-on", "none", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_registration_page_works_in_headless_chromium() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists())
    else {
        microscanner_testkit::require(false, "chromium");
        return;
    };
    let Some(smtp) = SmtpSink::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let serve = Serve::start(&[
        "--database-url",
        &format!("sqlite://{}", tmp.path().join("server.db").display()),
        "--smtp-url",
        &format!("smtp://127.0.0.1:{}", smtp.port),
    ]);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/register_page.py");
    let out = Command::new("/usr/bin/python3")
        .arg(&script)
        .args([chromium, &serve.url, "browser@example.com"])
        .arg(&shots)
        .output()
        .unwrap();
    assert!(out.status.success(), "browser: {}\n{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(result["after"].as_str().unwrap().contains("Check your mail"), "{result}");
    assert_eq!(result["csp_violations"], 0, "{result}");
    let mail = wait_for_mail_to(&smtp, "browser@example.com");
    assert!(token_in(&mail).is_some(), "the mail holds a token");
    for shot in ["register-form.png", "register-done.png"] {
        assert!(shots.join(shot).metadata().unwrap().len() > 1000, "screenshot {shot}");
    }
}

#[test]
fn db_update_takes_the_servers_database_in_one_download() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = Serve::start(&["--database-url", &format!("sqlite://{}", tmp.path().join("server.db").display())]);
    let local = tmp.path().join("cache").join("microscanner.db");
    let update =
        || microscanner().arg("--db").arg(&local).args(["db", "update", "--source", &serve.url]).output().unwrap();
    let out = update();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("bytes downloaded"), "{}", stderr(&out));
    let digest = |p: &Path| sha256(&std::fs::read(p).unwrap());
    assert_eq!(digest(&local), digest(db()), "the served database, byte for byte");
    let out = update();
    assert!(out.status.success());
    assert!(stderr(&out).contains("up to date"), "nothing downloaded the second time: {}", stderr(&out));
    // the downloaded database scans
    let status = microscanner().arg("--db").arg(&local).args(["db", "status"]).output().unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
}

/// A self-signed certificate for 127.0.0.1, made by openssl.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl: {}", stderr(&out));
    (cert, key)
}

#[test]
fn tls_with_and_without_verification() {
    let Some(image) = image() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(tmp.path());
    let url = format!("sqlite://{}", tmp.path().join("server.db").display());
    let port = free_port();
    let public = format!("https://127.0.0.1:{port}");
    let mut child = microscanner()
        .arg("--db")
        .arg(db())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &url, "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let insecure = reqwest::blocking::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !insecure.get(format!("{public}/readyz")).send().is_ok_and(|r| r.status() == 200) {
        assert!(Instant::now() < deadline, "https serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let token = admin_token(&url, &public, None);
    // an unknown certificate is refused, naming the server
    let out = microscanner().args(["scan", &image, "--token", &token, "-f", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot reach the microscanner server"), "{}", stderr(&out));
    // -n/--no-verify goes through, with a warning
    let out = microscanner()
        .args(["scan", &image, "--token", &token, "-f", "json", "--fail-on", "none", "-n"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("--no-verify"), "a warning: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!findings(&report).is_empty());
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn sigterm_drains_requests_in_flight() {
    use std::io::{Read as _, Write as _};
    let Some(image) = image() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("server.db").display());
    let mut serve = Serve::start(&["--database-url", &url]);
    let token = admin_token(&url, &serve.url, None);
    let body = inventory_body(&image);
    // half a request, then SIGTERM, then the rest: the answer still comes
    let mut s = std::net::TcpStream::connect(serve.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /api/v1/scan HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let half = body.len() / 2;
    s.write_all(&body[..half]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let kill = Command::new("kill").args(["-TERM", &serve.child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    std::thread::sleep(Duration::from_millis(300));
    // no new connection is accepted once shutdown began
    assert!(
        reqwest::blocking::Client::new()
            .get(format!("{}/healthz", serve.url))
            .timeout(Duration::from_secs(2))
            .send()
            .is_err(),
        "a server shutting down accepts no new connection"
    );
    s.write_all(&body[half..]).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the request in flight was answered: {}",
        &answer[..answer.len().min(200)]
    );
    let status = serve.child.wait().unwrap();
    assert!(status.success(), "serve exits 0 after draining: {status:?}");
}

#[test]
fn register_on_a_terminal_asks_for_the_address_and_the_terms() {
    use std::io::Write as _;
    let Some(smtp) = SmtpSink::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let serve = Serve::start(&[
        "--database-url",
        &format!("sqlite://{}", tmp.path().join("server.db").display()),
        "--smtp-url",
        &format!("smtp://127.0.0.1:{}", smtp.port),
    ]);
    // `script` gives the command a real pseudo-terminal, as a person's shell would.
    let command = format!("{} register --server {}", env!("CARGO_BIN_EXE_microscanner"), serve.url);
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"tty@example.com\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    stdin.write_all(b"y\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("E-mail address:"), "asked for the address: {screen}");
    assert!(screen.contains("By registering you agree"), "showed the terms: {screen}");
    assert!(screen.contains("Do you accept these terms?"), "asked to accept: {screen}");
    let mail = wait_for_mail_to(&smtp, "tty@example.com");
    assert!(token_in(&mail).is_some());
}
