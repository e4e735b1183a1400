//! `microscanner db` end to end: build from the fixture feeds, status, export/import, update
//! against a loopback server, and killing a build half way.
#![allow(clippy::unwrap_used)] // tests may unwrap

use crate::support_server as server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use server::{Route, serve_fixtures};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn workdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-db-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB").env_remove("NVD_API_KEY").env("RUST_LOG", "warn");
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache")); // never the user's cache
    c
}

fn run(args: &[&str]) -> Output {
    microscanner().args(args).output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A few small feeds of every kind (the full set is built in the feeds crate's tests).
fn small_feeds() -> Vec<String> {
    let f = fixtures();
    let vuls = f.join("feeds-vuls-data-update-fixtures/pkg/fetch");
    [
        f.join("osv-rustsec"),
        f.join("osv-samples"),
        f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"),
        f.join("feeds-vunnel-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json"),
        f.join("alpine-secdb/v3.11"),
        f.join("feeds-vunnel-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json"),
        f.join("kev-cisa/known_exploited_vulnerabilities.json"),
        vuls.join("epss/testdata/fixtures"),
        vuls.join("pip/osv/testdata/fixtures/all.zip"),
    ]
    .iter()
    .map(|p| p.display().to_string())
    .collect()
}

fn build_small(db: &Path) {
    let mut args = vec!["db".to_owned(), "build".into(), "--db".into(), db.display().to_string()];
    for f in small_feeds() {
        args.push("--from".into());
        args.push(f);
    }
    let out = microscanner().args(&args).output().unwrap();
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("built "), "{stderr}");
}

fn status_json(db: &Path) -> serde_json::Value {
    let out = run(&["db", "status", "--json", "--db", db.to_str().unwrap()]);
    serde_json::from_str(&ok(&out)).unwrap()
}

#[test]
fn build_then_status() {
    let dir = workdir("status");
    let db = dir.join("m.db");
    build_small(&db);
    let s = status_json(&db);
    assert_eq!(s["metadata"]["schema_version"], microscanner_vulndb::SCHEMA_VERSION);
    assert_eq!(s["counts"]["kev"], 1404);
    let sources = s["metadata"]["sources"].as_array().unwrap();
    let rustsec = sources.iter().find(|x| x["name"].as_str().unwrap().ends_with("osv-rustsec")).unwrap();
    assert_eq!(rustsec["records"], 1206);
    assert_eq!(rustsec["kind"], "osv");
    let text = ok(&run(&["db", "status", "--db", db.to_str().unwrap()]));
    assert!(text.contains(&format!("schema version: {}", microscanner_vulndb::SCHEMA_VERSION)), "{text}");
    assert!(text.contains("1404 KEV"), "{text}");
}

#[test]
fn default_path_is_under_xdg_cache_home() {
    let dir = workdir("xdg");
    let f = fixtures().join("kev-cisa/known_exploited_vulnerabilities.json");
    let out = microscanner()
        .env("XDG_CACHE_HOME", &dir)
        .args(["db", "build", "--from", f.to_str().unwrap()])
        .output()
        .unwrap();
    ok(&out);
    assert!(dir.join("microscanner/db/microscanner.db").is_file());
    let missing = run(&["db", "status", "--db", dir.join("nope.db").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.db"));
}

#[test]
fn export_then_import_is_identical_and_tampering_is_refused() {
    let dir = workdir("export");
    let db = dir.join("a.db");
    build_small(&db);
    let file = dir.join("db.tar.zst");
    ok(&run(&["db", "export", file.to_str().unwrap(), "--db", db.to_str().unwrap()]));
    let other = dir.join("elsewhere/b.db");
    ok(&run(&["db", "import", file.to_str().unwrap(), "--db", other.to_str().unwrap()]));
    assert_eq!(std::fs::read(&db).unwrap(), std::fs::read(&other).unwrap(), "identical bytes");
    assert_eq!(status_json(&db)["counts"], status_json(&other)["counts"]);

    // Tamper: flip bytes in the middle of the compressed stream.
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 16] {
        *b ^= 0xa5;
    }
    let bad = dir.join("bad.tar.zst");
    std::fs::write(&bad, &bytes).unwrap();
    let before = std::fs::read(&other).unwrap();
    let out = run(&["db", "import", bad.to_str().unwrap(), "--db", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.tar.zst"));
    assert_eq!(std::fs::read(&other).unwrap(), before, "the installed database is untouched");
}

fn update_args(db: &Path, base: &str) -> Vec<String> {
    [
        "db",
        "update",
        "--db",
        db.to_str().unwrap(),
        "--source",
        base,
        "--ecosystems",
        "pypi,go,rust,debian,alpine",
        "--nvd-delay",
        "0",
        "--retries",
        "1",
        "--backoff-ms",
        "10",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn update_from_a_loopback_mirror() {
    let server = serve_fixtures(&fixtures());
    let dir = workdir("update");
    let db = dir.join("m.db");
    let out = microscanner().args(update_args(&db, &server.base)).output().unwrap();
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("downloaded: "));
    let built_at = status_json(&db)["metadata"]["built_at"].clone();

    let out = microscanner().args(update_args(&db, &server.base)).output().unwrap();
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("up to date"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(server.take_log().iter().filter(|s| s.status == 304).count() > 10);
    assert_eq!(status_json(&db)["metadata"]["built_at"], built_at);

    server.set("/tracker/data/json", Route::Status(500));
    server.file("/Go/all.zip", b"PK\x03\x04 definitely not a zip".to_vec());
    let out = microscanner().args(update_args(&db, &server.base)).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/Go/all.zip") || stderr.contains("/tracker/data/json"), "{stderr}");
    assert!(stderr.contains("previous database"), "{stderr}");
    assert_eq!(status_json(&db)["metadata"]["built_at"], built_at);
}

#[test]
fn killing_a_build_or_an_update_leaves_the_previous_database_intact() {
    let dir = workdir("kill");
    let db = dir.join("m.db");
    build_small(&db);
    let mut built_at = status_json(&db)["metadata"]["built_at"].clone();
    let mut original = std::fs::read(&db).unwrap();
    let mut interrupted = 0;
    let f = fixtures();
    let big: Vec<String> = ["osv-go-vulndb", "osv-pypi-pypa/json", "osv-almalinux"]
        .iter()
        .flat_map(|d| ["--from".to_owned(), f.join(d).display().to_string()])
        .collect();
    let server = serve_fixtures(&fixtures());
    for (i, delay) in [150u64, 600, 1200, 2000].into_iter().enumerate() {
        let mut cmd = microscanner();
        if i % 2 == 0 {
            cmd.args(["db", "build", "--db", db.to_str().unwrap()]).args(&big);
        } else {
            cmd.args(update_args(&db, &server.base));
        }
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        if finished {
            // Too fast to interrupt on this machine: it installed a new database; carry on from it.
            original = std::fs::read(&db).unwrap();
            built_at = status_json(&db)["metadata"]["built_at"].clone();
            continue;
        }
        interrupted += 1;
        assert_eq!(std::fs::read(&db).unwrap(), original, "killed after {delay} ms");
        assert_eq!(status_json(&db)["metadata"]["built_at"], built_at);
    }
    assert!(interrupted >= 2, "only {interrupted} runs were interrupted");
    // A later build cleans up what the killed ones left behind and succeeds.
    build_small(&db);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
