//! `microscanner compare-versions` (and its old spelling `version compare`): one pair, batches,
//! and how errors exit; `microscanner version`: the tool's version, the database schema it reads,
//! and the database it finds, as text and JSON.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn compare(args: &[&str], stdin: &str) -> std::process::Output {
    let mut cmd = Command::cargo_bin("microscanner").unwrap();
    cmd.arg("compare-versions").args(args).write_stdin(stdin).output().unwrap()
}

/// The old spelling, kept as an alias.
fn version_compare(args: &[&str], stdin: &str) -> std::process::Output {
    let mut cmd = Command::cargo_bin("microscanner").unwrap();
    cmd.args(["version", "compare"]).args(args).write_stdin(stdin).output().unwrap()
}

#[test]
fn one_pair_prints_the_order() {
    for (scheme, a, b, want) in [
        ("dpkg", "1.0", "1.0~rc1", ">"),
        ("dpkg", "1:0.9", "2.0", ">"),
        ("rpm", "1.0^git1", "1.0", ">"),
        ("apk", "1.2.3_rc1", "1.2.3", "<"),
        ("pep440", "1.0.post1", "1.0", ">"),
        ("semver", "1.0.0-alpha", "1.0.0", "<"),
        ("maven", "1.0-SNAPSHOT", "1.0", "<"),
        ("go", "v1.2.3", "1.2.3", "="),
    ] {
        let out = compare(&[scheme, a, b], "");
        assert!(out.status.success(), "{scheme} {a} {b}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{want}\n"), "{scheme} {a} {b}");
    }
}

#[test]
fn batch_keeps_order_and_reports_bad_lines() {
    let out = compare(&["dpkg", "--batch"], "1.0 1.1\n2.0 2.0\nonly-one\n1.0-1 1.0-1~bpo1\n");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(&lines[..2], ["<", "="]);
    assert!(lines[2].starts_with("error: "), "{}", lines[2]);
    assert_eq!(lines[3], ">");
}

#[test]
fn unparsable_pair_exits_1_and_bad_scheme_exits_2() {
    let out = compare(&["dpkg", "a:1", "1"], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1);
    assert!(stderr.contains("a:1"), "{stderr}");
    assert_eq!(compare(&["nosuch", "1", "2"], "").status.code(), Some(2));
    assert_eq!(compare(&["dpkg", "1"], "").status.code(), Some(2));
}

#[test]
fn the_old_spelling_version_compare_still_works() {
    let out = version_compare(&["dpkg", "1.0", "1.0~rc1"], "");
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), ">\n");
    let out = version_compare(&["dpkg", "--batch"], "1.0 1.1\nonly-one\n");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("<\nerror: "), "{text}");
    assert_eq!(version_compare(&["dpkg", "a:1", "1"], "").status.code(), Some(1));
    assert_eq!(version_compare(&["nosuch", "1", "2"], "").status.code(), Some(2));
}

// ---- microscanner version ---------------------------------------------------------------------

fn version(args: &[&str], cache: &Path) -> std::process::Output {
    let mut cmd = Command::cargo_bin("microscanner").unwrap();
    cmd.env_remove("MICROSCANNER_DB").env("XDG_CACHE_HOME", cache);
    cmd.arg("version").args(args).output().unwrap()
}

/// A small database (the CISA KEV catalogue) at `path`.
fn build_db(path: &Path) {
    let kev = microscanner_testkit::fixtures_dir().join("kev-cisa/known_exploited_vulnerabilities.json");
    let mut cmd = Command::cargo_bin("microscanner").unwrap();
    let out = cmd.args(["db", "build", "--db"]).arg(path).arg("--from").arg(kev).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bare_version_prints_the_version_and_says_there_is_no_database() {
    let cache = tempfile::tempdir().unwrap();
    let out = version(&[], cache.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("microscanner {}\n", env!("CARGO_PKG_VERSION"))), "{text}");
    assert!(text.contains(&format!("Database schema: {}", microscanner_vulndb::SCHEMA_VERSION)), "{text}");
    let default_db = cache.path().join("microscanner/db/microscanner.db");
    assert!(text.contains(&format!("none at {}", default_db.display())), "{text}");
    assert!(text.contains("microscanner db update"), "says how to get one: {text}");

    let out = version(&["--format", "json"], cache.path());
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["database_schema_version"], microscanner_vulndb::SCHEMA_VERSION);
    assert_eq!(doc["database"]["found"], false);
    assert_eq!(doc["database"]["path"], default_db.display().to_string());
}

#[test]
fn version_shows_the_database_found_with_its_data_dates() {
    let cache = tempfile::tempdir().unwrap();
    // The default place (the user's cache directory) and --db both count.
    let default_db = cache.path().join("microscanner/db/microscanner.db");
    std::fs::create_dir_all(default_db.parent().unwrap()).unwrap();
    build_db(&default_db);
    let meta = microscanner_vulndb::Database::open(&default_db).unwrap().metadata().unwrap();
    let stamp = meta.sources[0].timestamp.clone().unwrap();

    let out = version(&[], cache.path());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        format!("Database:        {}", default_db.display()),
        format!("Schema version: {}", meta.schema_version),
        format!("Built at:       {}", meta.built_at),
        stamp.clone(),
        "known_exploited_vulnerabilities.json".to_owned(),
    ] {
        assert!(text.contains(&needle), "missing {needle:?} in\n{text}");
    }

    let other = cache.path().join("other.db");
    build_db(&other);
    let out = version(&["--format", "json", "--db", other.to_str().unwrap()], cache.path());
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let db = &doc["database"];
    assert_eq!(db["path"], other.display().to_string());
    assert_eq!(db["found"], true);
    assert_eq!(db["schema_version"], microscanner_vulndb::SCHEMA_VERSION);
    assert!(db["built_at"].as_str().unwrap().starts_with("20"), "{db}");
    assert_eq!(db["sources"][0]["data_date"], stamp.as_str());
    assert_eq!(db["sources"][0]["kind"], "kev");
    assert!(db["sources"][0]["records"].as_u64().unwrap() > 1000, "{db}");
}

#[test]
fn version_names_a_database_it_cannot_read_and_still_exits_0() {
    let cache = tempfile::tempdir().unwrap();
    let junk = cache.path().join("junk.db");
    std::fs::write(&junk, b"not a database, not even close to one.........................").unwrap();
    let out = version(&["--db", junk.to_str().unwrap()], cache.path());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("cannot be read"), "{text}");
    let out = version(&["--db", junk.to_str().unwrap(), "-f", "json"], cache.path());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["database"]["error"].as_str().is_some_and(|e| !e.is_empty()), "{doc}");
}
