//! The recipes of `docs/ci-recipes.md`, run exactly as written: each `sh` block after a
//! `<!-- recipe: NAME -->` marker runs under `sh -e` in a new directory, with the built
//! `microscanner` first on `PATH`, `IMAGE` naming the debian12-app image of
//! `../shared/tools/make-images.sh` and `MICROSCANNER_DB` a database built from the fixture feeds
//! by `scripts/fixture-db.sh`. The tests check the exit code and the files each recipe promises.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report; skip notes

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use support::{db, image_dir, repo_root};

use crate::support_fixture_scan as support;

/// The recipes of the page, by name, in the page's own words.
fn recipes() -> BTreeMap<String, String> {
    let page = std::fs::read_to_string(repo_root().join("docs/ci-recipes.md")).unwrap();
    let mut out = BTreeMap::new();
    let mut rest = page.as_str();
    while let Some(at) = rest.find("<!-- recipe: ") {
        let after = &rest[at + "<!-- recipe: ".len()..];
        let name = after[..after.find(" -->").unwrap()].trim().to_owned();
        let fence = after.find("```sh\n").unwrap() + "```sh\n".len();
        let body = &after[fence..];
        let end = body.find("\n```").unwrap();
        out.insert(name, body[..end + 1].to_owned());
        rest = &body[end..];
    }
    out
}

/// The image the recipes scan, or `None` (a skip note; a failure under CI) when it was not built.
fn image() -> Option<String> {
    image_dir().map(|dir| format!("oci:{}", dir.join("oci").display()))
}

/// A directory holding only `microscanner` (a link to the binary under test), for `PATH`.
fn bin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ci-recipes-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("microscanner");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_microscanner"), &link).unwrap();
        dir
    })
}

/// Runs recipe `name` in `dir` as a CI step would.
fn run(name: &str, dir: &Path, image: &str) -> Output {
    let recipes = recipes();
    let script = recipes.get(name).unwrap_or_else(|| panic!("docs/ci-recipes.md has no recipe {name}"));
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    Command::new("sh")
        .arg("-e")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("IMAGE", image)
        .env("MICROSCANNER_DB", db())
        .env("MICROSCANNER_DB_MAX_AGE", "0") // the fixture feeds are years old
        .env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

#[test]
fn the_page_has_the_three_recipes() {
    let names: Vec<String> = recipes().into_keys().collect();
    assert_eq!(names, ["alert-on-new", "stop-on-high", "three-formats"]);
}

#[test]
fn stop_on_high_fails_the_build_with_a_verdict() {
    let Some(image) = image() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = run("stop-on-high", dir.path(), &image);
    let err = stderr(&out);
    assert_eq!(code(&out), Some(4), "{err}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("CRITICAL") || table.contains("HIGH"), "the table shows what failed:\n{table}");
    assert!(err.lines().any(|l| l.contains("FAILED") && l.contains("exit 4")), "one-line verdict on stderr:\n{err}");
}

#[test]
fn alert_on_new_judges_everything_once_then_only_what_is_new() {
    let Some(image) = image() else { return };
    let dir = tempfile::tempdir().unwrap();
    let previous = dir.path().join("previous.json");

    // the first build: no baseline, every finding is new
    let first = run("alert-on-new", dir.path(), &image);
    assert_eq!(code(&first), Some(4), "{}", stderr(&first));
    assert!(stderr(&first).contains("no baseline yet"), "{}", stderr(&first));
    let kept = json(&previous);
    assert!(!findings(&kept).is_empty(), "the report is kept as the next baseline");

    // the next build of the same image: nothing new
    let second = run("alert-on-new", dir.path(), &image);
    assert_eq!(code(&second), Some(0), "{}", stderr(&second));
    let report = json(&dir.path().join("report.json"));
    assert!(findings(&report).iter().all(|f| f["in_baseline"] == true), "every finding was known");
    assert_eq!(findings(&report).len(), findings(&kept).len());

    // a baseline that lacks the high findings (a build before they were published): they are new
    let mut older = kept.clone();
    let all = findings(&kept).len();
    older["findings"] = Value::Array(
        findings(&kept)
            .iter()
            .filter(|f| !matches!(f["severity"].as_str(), Some("critical" | "high")))
            .cloned()
            .collect(),
    );
    assert!(findings(&older).len() < all, "the image has high findings to remove");
    std::fs::write(&previous, serde_json::to_vec(&older).unwrap()).unwrap();
    let third = run("alert-on-new", dir.path(), &image);
    assert_eq!(code(&third), Some(4), "{}", stderr(&third));
    let report = json(&dir.path().join("report.json"));
    let new: Vec<&Value> = findings(&report).iter().filter(|f| f["in_baseline"] != true).collect();
    assert!(!new.is_empty() && new.iter().all(|f| matches!(f["severity"].as_str(), Some("critical" | "high"))));
}

#[test]
fn three_formats_from_one_scan() {
    let Some(image) = image() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = run("three-formats", dir.path(), &image);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let report = json(&dir.path().join("report.json"));
    let n = findings(&report).len();
    assert!(n > 0, "the image has findings");

    let sarif = json(&dir.path().join("report.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());

    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"), "{}", &html[..80]);
    let first_id = findings(&report)[0]["id"].as_str().unwrap();
    assert!(html.contains(first_id), "the page lists {first_id}");

    let junit = std::fs::read_to_string(dir.path().join("report.xml")).unwrap();
    assert!(junit.contains("<testsuite"), "{junit}");
    assert!(junit.contains(first_id));
}
