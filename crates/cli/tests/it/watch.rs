//! `scan --remember` and `watch`: the debian12-app image remembered with a database built from
//! part of the fixture feeds; after the database is rebuilt with the rest, `watch run` reports
//! exactly the findings a `diff` of two full scans calls new, and a second run reports nothing.

#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support_fixture_scan::image_dir;

/// The feeds of the first database: every fixture feed of `scripts/fixture-db.sh` but the Go
/// vulndb and the GHSA subset.
fn first_part() -> Vec<PathBuf> {
    let f = microscanner_testkit::fixtures_dir();
    let v = f.join("feeds-vuls-data-update-fixtures/pkg/fetch");
    let u = f.join("feeds-vunnel-fixtures/tests/unit/providers");
    vec![
        f.join("osv-rustsec"),
        f.join("osv-pypi-pypa/json"),
        f.join("osv-almalinux"),
        f.join("osv-samples"),
        f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"),
        f.join("debian-security-tracker/CVEDB-mirror/data/DLA/list"),
        f.join("alpine-secdb"),
        u.join("debian/test-fixtures/input/debian.json"),
        u.join("nvd/test-fixtures/full-page.json"),
        f.join("feeds-osv-dev-testdata/vulnfeeds/test_data/nvdcve-2.0"),
        f.join("kev-cisa/known_exploited_vulnerabilities.json"),
        v.join("epss/testdata/fixtures"),
    ]
}

/// The rest: what the second database adds.
fn second_part() -> Vec<PathBuf> {
    let f = microscanner_testkit::fixtures_dir();
    vec![f.join("osv-go-vulndb"), f.join("osv-ghsa-subset")]
}

/// The binary with the test's own data and cache directories.
fn microscanner(tmp: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    cmd.env("MICROSCANNER_DATA_DIR", tmp.join("data"))
        .env("MICROSCANNER_CACHE_DIR", tmp.join("cache"))
        .env_remove("MICROSCANNER_DB")
        .env_remove("MICROSCANNER_WEBHOOK_SECRET")
        .stdin(Stdio::null());
    cmd
}

fn build_db(tmp: &Path, db: &Path, feeds: &[PathBuf]) {
    let mut cmd = microscanner(tmp);
    cmd.args(["--quiet", "db", "build", "--db"]).arg(db);
    for feed in feeds {
        cmd.arg("--from").arg(feed);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "db build: {}", String::from_utf8_lossy(&out.stderr));
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

/// (id, package, location) of each finding of a JSON list.
fn keys(findings: &serde_json::Value) -> BTreeSet<(String, String, String)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["package"];
            (
                f["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
                p["location"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn watch_reports_exactly_what_the_rest_of_the_feeds_adds_once() {
    let Some(image) = image_dir() else { return };
    let target = format!("oci:{}", image.join("oci").display());
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let db = t.join("microscanner.db");
    build_db(t, &db, &first_part());

    let scan = |report: &Path, extra: &[&str]| {
        let out = run(microscanner(t)
            .arg("--db")
            .arg(&db)
            .args(["scan", &target, "-f", "json", "--fail-on", "none", "-o"])
            .arg(report)
            .args(extra));
        assert!(out.status.success(), "scan: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let remembered = scan(&t.join("r1.json"), &["--remember", "debian12-app"]);
    assert!(String::from_utf8_lossy(&remembered.stderr).contains("remembered"), "a note says so");

    let list = run(microscanner(t).args(["watch", "list", "--json"]));
    let list = json(&list);
    let entry = &list["remembered"][0];
    assert_eq!(entry["name"], "debian12-app");
    assert!(entry["packages"].as_u64().unwrap() > 100, "the inventory is kept: {entry}");
    assert!(entry["digest"].as_str().unwrap().starts_with("sha256:"), "{entry}");

    // the rest of the feeds: the database rebuilt with every part
    let mut all = first_part();
    all.extend(second_part());
    build_db(t, &db, &all);

    // what a diff of two full scans calls new
    scan(&t.join("r2.json"), &[]);
    let d = run(microscanner(t).args(["diff", "-f", "json"]).arg(t.join("r1.json")).arg(t.join("r2.json")));
    assert!(d.status.success());
    let expected = keys(&json(&d)["new"]);
    assert!(!expected.is_empty(), "the second part adds advisories for this image");

    let first = run(microscanner(t).arg("--db").arg(&db).args(["watch", "run", "-f", "json", "--fail-on", "high"]));
    assert_eq!(first.status.code(), Some(4), "new high findings fail: {}", String::from_utf8_lossy(&first.stderr));
    let doc = json(&first);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(keys(&results[0]["new"]), expected, "watch and diff agree on what is new");
    assert!(results[0]["new_summary"]["high"].as_u64().unwrap() > 0);

    let second = run(microscanner(t).arg("--db").arg(&db).args(["watch", "run", "-f", "json", "--fail-on", "high"]));
    assert_eq!(second.status.code(), Some(0), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(json(&second)["results"][0]["new"].as_array().unwrap().is_empty(), "nothing new the second time");

    let show = run(microscanner(t).args(["watch", "show", "debian12-app", "--json"]));
    assert!(show.status.success());
    let shown = json(&show);
    let r2: serde_json::Value = serde_json::from_slice(&std::fs::read(t.join("r2.json")).unwrap()).unwrap();
    assert_eq!(keys(&shown["findings"]), keys(&r2["findings"]), "the last result is the full scan's findings");

    let forget = run(microscanner(t).args(["watch", "forget", "debian12-app"]));
    assert!(forget.status.success());
    let again = run(microscanner(t).args(["watch", "forget", "debian12-app"]));
    assert_eq!(again.status.code(), Some(1), "forgetting twice is an error");
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing remembered under the name"));
    let list = json(&run(microscanner(t).args(["watch", "list", "--json"])));
    assert!(list["remembered"].as_array().unwrap().is_empty());
}

#[test]
fn remember_refuses_a_bad_name_before_scanning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(microscanner(tmp.path()).args(["scan", "dir:/nonexistent", "--remember", "bad name\u{1b}[31m"]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid watch name"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "escaped: {stderr}");
}

/// An SBOM of three packages: lodash and minimist have GHSA advisories (high, critical) that
/// only the second part of the feeds brings.
const SBOM: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
 "metadata":{"component":{"type":"container","name":"acme/app:1.0"}},
 "components":[
  {"type":"library","name":"lodash","version":"4.17.15","purl":"pkg:npm/lodash@4.17.15"},
  {"type":"library","name":"minimist","version":"1.2.5","purl":"pkg:npm/minimist@1.2.5"},
  {"type":"library","name":"django","version":"2.2","purl":"pkg:pypi/django@2.2"}]}"#;

/// A loopback receiver that answers 503 twice, then 200: (its URL, the requests it got as
/// (status, signature header, body)).
type Log = std::sync::Arc<std::sync::Mutex<Vec<(u16, Option<String>, Vec<u8>)>>>;

fn flaky_receiver() -> (String, Log) {
    use std::io::{BufRead as _, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let log: Log = Default::default();
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
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
            let status = if log.len() < 2 { 503 } else { 200 };
            log.push((status, signature, body));
            drop(log);
            let mut stream = stream;
            let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, log)
}

#[test]
fn watch_run_notifies_a_signed_webhook_once_through_two_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let sbom = t.join("app.cdx.json");
    std::fs::write(&sbom, SBOM).unwrap();
    let db = t.join("microscanner.db");
    build_db(t, &db, &first_part());
    let (url, log) = flaky_receiver();
    let out = run(microscanner(t).arg("--db").arg(&db).args([
        "scan",
        &format!("sbom:{}", sbom.display()),
        "-f",
        "json",
        "--fail-on",
        "none",
        "--remember",
        "app",
        "--webhook",
        &url,
        "--notify-on",
        "high",
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut all = first_part();
    all.extend(second_part());
    build_db(t, &db, &all);

    let secret = "the-shared-secret";
    let watch_run = || {
        run(microscanner(t)
            .arg("--db")
            .arg(&db)
            .args(["watch", "run", "-f", "json", "--webhook-backoff", "10ms"])
            .env("MICROSCANNER_WEBHOOK_SECRET", secret))
    };
    let first = watch_run();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let got = log.lock().unwrap().clone();
    assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), [503, 503, 200], "retried, delivered once");
    let (_, signature, body) = &got[2];
    let signature = signature.as_deref().expect("signed");
    assert!(microscanner_watch::notify::verify(secret.as_bytes(), body, signature), "the receiver's check passes");
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert!(!microscanner_watch::notify::verify(secret.as_bytes(), &tampered, signature), "tampering is detected");
    let doc: serde_json::Value = serde_json::from_slice(body).unwrap();
    let packages: BTreeSet<&str> =
        doc["findings"].as_array().unwrap().iter().map(|f| f["package"].as_str().unwrap()).collect();
    assert_eq!(packages, BTreeSet::from(["lodash", "minimist"]), "{doc}");
    assert_eq!(doc["image"], "acme/app:1.0");

    let list = String::from_utf8(run(microscanner(t).args(["watch", "list"])).stdout).unwrap();
    assert!(list.contains("last notification delivered") && list.contains("after 3 attempt(s)"), "{list}");

    let second = watch_run();
    assert!(second.status.success());
    assert_eq!(log.lock().unwrap().len(), 3, "nothing new, nothing sent");
}

#[test]
fn db_update_re_evaluates_what_is_remembered() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let f = microscanner_testkit::fixtures_dir();
    let sbom = t.join("app.cdx.json");
    // jsrsasign before 8.0.18: GHSA-xxxq-chmp-67g4 (critical), in the npm OSV sample only
    std::fs::write(
        &sbom,
        SBOM.replace(
            "\"name\":\"django\",\"version\":\"2.2\",\"purl\":\"pkg:pypi/django@2.2\"",
            "\"name\":\"jsrsasign\",\"version\":\"8.0.0\",\"purl\":\"pkg:npm/jsrsasign@8.0.0\"",
        ),
    )
    .unwrap();
    assert!(std::fs::read_to_string(&sbom).unwrap().contains("jsrsasign"));
    let db = t.join("microscanner.db");
    build_db(t, &db, &[f.join("kev-cisa/known_exploited_vulnerabilities.json")]);
    let out = run(microscanner(t).arg("--db").arg(&db).args([
        "scan",
        &format!("sbom:{}", sbom.display()),
        "-f",
        "json",
        "--fail-on",
        "none",
        "--remember",
        "app",
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // a local mirror holding the upstream path of npm's OSV export
    let mirror = t.join("mirror");
    std::fs::create_dir_all(mirror.join("npm")).unwrap();
    std::fs::copy(
        f.join("feeds-vuls-data-update-fixtures/pkg/fetch/npm/osv/testdata/fixtures/all.zip"),
        mirror.join("npm/all.zip"),
    )
    .unwrap();
    let update = run(microscanner(t)
        .args(["db", "update", "--feeds", "osv", "--ecosystems", "npm", "--retries", "0", "--db"])
        .arg(&db)
        .arg("--source")
        .arg(&mirror));
    let stderr = String::from_utf8_lossy(&update.stderr);
    assert!(update.status.success(), "{stderr}");
    assert!(stderr.contains("watch: app (acme/app:1.0): 1 new (1 critical)"), "the update re-evaluated: {stderr}");

    let again = run(microscanner(t).arg("--db").arg(&db).args(["watch", "run", "-f", "json", "--fail-on", "critical"]));
    assert_eq!(again.status.code(), Some(0), "the update stored the result: nothing new now");
    assert!(json(&again)["results"][0]["new"].as_array().unwrap().is_empty());
}
