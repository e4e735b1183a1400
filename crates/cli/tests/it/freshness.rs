//! The age of the vulnerability data is the age of its oldest feed's newest record, not the
//! file's build time: a database built today from the fixture feeds (data of 2023) is stale, and
//! `scan` says so on stderr unless `--db-max-age 0`.

#![allow(clippy::unwrap_used, missing_docs)]

use std::process::{Command, Stdio};

#[test]
fn stale_data_is_warned_about_whatever_the_build_time() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("microscanner.db");
    let f = microscanner_testkit::fixtures_dir();
    let bin = env!("CARGO_BIN_EXE_microscanner");
    let out = Command::new(bin)
        .args(["db", "build", "--db"])
        .arg(&db)
        .arg("--from")
        .arg(f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n").unwrap();
    let scan = |extra: &[&str]| {
        Command::new(bin)
            .arg("--db")
            .arg(&db)
            .args(["scan", &format!("dir:{}", root.display()), "-f", "json", "--no-cache"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .env_remove("MICROSCANNER_DB_MAX_AGE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = scan(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("days old") && stderr.contains("debian"), "a stale-data warning: {stderr}");
    let out = scan(&["--db-max-age", "0"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("days old"), "--db-max-age 0 silences it");
    let out = scan(&["--db-max-age", "100000"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("days old"), "a generous bound passes");
}
