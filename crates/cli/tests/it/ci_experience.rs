//! Everyday CI use (issue 18): the one-line verdict a failing (or passing) scan prints on stderr,
//! `--quiet` and `--continue-on-failure`; a target where nothing could be inventoried is an
//! incomplete scan, not a pass; and the table fits the terminal it is printed on, asked of the
//! terminal itself (under a real pseudo-terminal, `script`), `COLUMNS` still winning.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report; skip notes

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use microscanner_testkit::fixtures_dir;
use serde_json::Value;

/// The scan database of `tests/scan.rs`: the OSV directories, the Debian DSA/DLA lists and
/// tracker sample, NVD, KEV and EPSS. Built once per test binary.
fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ci-experience-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("microscanner.db");
        let f = fixtures_dir();
        let vunnel = f.join("feeds-vunnel-fixtures/tests/unit/providers");
        let feeds = [
            f.join("osv-pypi-pypa/json"),
            f.join("osv-rustsec"),
            f.join("osv-go-vulndb"),
            f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"),
            f.join("debian-security-tracker/CVEDB-mirror/data/DLA/list"),
            vunnel.join("debian/test-fixtures/input/debian.json"),
            vunnel.join("nvd/test-fixtures/full-page.json"),
            f.join("kev-cisa/known_exploited_vulnerabilities.json"),
            f.join("feeds-vuls-data-update-fixtures/pkg/fetch/epss/testdata/fixtures"),
        ];
        let mut cmd = microscanner();
        cmd.args(["db", "build", "--db"]).arg(&db);
        for feed in &feeds {
            cmd.arg("--from").arg(feed);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "db build: {}", String::from_utf8_lossy(&out.stderr));
        db
    })
}

fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB").env_remove("COLUMNS").env("RUST_LOG", "warn").env("NO_COLOR", "1");
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache")); // never the user's cache
    c.stdin(Stdio::null());
    c
}

/// Runs `microscanner scan TARGET --db DB --db-max-age 0 ARGS...` in `cwd` (the fixture feeds
/// are old: the freshness warning would add a line to stderr).
fn scan_in(cwd: &Path, target: &str, args: &[&str]) -> Output {
    microscanner()
        .current_dir(cwd)
        .args(["scan", target, "--db"])
        .arg(db())
        .args(["--db-max-age", "0"])
        .args(args)
        .output()
        .unwrap()
}

/// The real debian12-app image (Django, requests, urllib3... with high findings), or `None`.
fn app_image() -> Option<String> {
    let images = microscanner_testkit::images_dir()?;
    Some(format!("oci:{}/debian12-app/oci", images.display()))
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr).lines().map(str::to_owned).collect()
}

// ---- the verdict line -----------------------------------------------------------------------

#[test]
fn a_failing_json_scan_to_a_file_says_why_in_one_line() {
    let Some(image) = app_image() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = scan_in(dir.path(), &image, &["-f", "json", "-o", "r.json"]);
    assert_eq!(out.status.code(), Some(4), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "the report went to the file");
    let report: Value = serde_json::from_slice(&std::fs::read(dir.path().join("r.json")).unwrap()).unwrap();
    let failing = report["policy"]["failing"].as_u64().unwrap();
    assert!(failing > 0);
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "one line on stderr: {lines:#?}");
    let line = &lines[0];
    for needle in
        [format!("{failing} finding"), "at or above high".to_owned(), "exit 4".to_owned(), "r.json".to_owned()]
    {
        assert!(line.contains(&needle), "{needle:?} missing from the verdict: {line}");
    }
    assert!(line.starts_with("microscanner: FAILED"), "{line}");

    // Another threshold is named as given.
    let out = scan_in(dir.path(), &image, &["-f", "json", "-o", "r.json", "--fail-on", "medium"]);
    assert_eq!(out.status.code(), Some(4));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("at or above medium"), "{}", lines[0]);
}

#[test]
fn quiet_prints_nothing_but_still_fails_and_writes_the_report() {
    let Some(image) = app_image() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = scan_in(dir.path(), &image, &["-f", "json", "-o", "r.json", "--quiet"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stderr.is_empty(), "--quiet: {}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("r.json").is_file());
}

#[test]
fn continue_on_failure_says_why_it_exits_0() {
    let Some(image) = app_image() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = scan_in(dir.path(), &image, &["-f", "json", "-o", "r.json", "--continue-on-failure"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let line = &lines[0];
    for needle in ["at or above high", "exit 0", "--continue-on-failure", "r.json"] {
        assert!(line.contains(needle), "{needle:?} missing from the verdict: {line}");
    }
}

// ---- nothing inventoried ------------------------------------------------------------------

/// `scan dir:DIR` of a directory that is not an image root: exit 0 but "incomplete" on stderr,
/// exit 5 with `--fail-on-incomplete`.
fn assert_incomplete(root: &Path) {
    let target = format!("dir:{}", root.display());
    let cwd = tempfile::tempdir().unwrap();
    let out = scan_in(cwd.path(), &target, &["-f", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("incomplete"), "stderr says the scan is incomplete: {stderr}");
    assert!(stderr.contains("--fail-on-incomplete"), "and how to fail on it: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["coverage"]["complete"], false, "{report}");
    assert_eq!(report["coverage"]["packages"], 0);

    let out = scan_in(cwd.path(), &target, &["-f", "json", "--fail-on-incomplete"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("INCOMPLETE") && stderr.contains("exit 5"), "{stderr}");

    // The table says so too, instead of "passes".
    let out = scan_in(cwd.path(), &target, &["-f", "table"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("nothing was checked") && table.contains("incomplete scan"), "{table}");
}

#[test]
fn an_empty_directory_is_incomplete() {
    let root = tempfile::tempdir().unwrap();
    assert_incomplete(root.path());
}

#[test]
fn a_directory_of_unrelated_files_is_incomplete() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("notes.txt"), "shopping: milk, eggs\n").unwrap();
    assert_incomplete(root.path());
}

// ---- the table at the terminal's width ------------------------------------------------------

/// Columns a line takes on a terminal (colour sequences take none).
fn columns(line: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for c in line.chars() {
        match c {
            '\x1b' => in_escape = true,
            'm' if in_escape => in_escape = false,
            _ if in_escape => {}
            _ => n += 1,
        }
    }
    n
}

/// Runs `microscanner ARGS` on a pseudo-terminal `cols` wide (`script`, util-linux) and returns
/// what the terminal received; `None` (with a note) when `script` is missing, except under CI.
fn on_terminal(cols: u16, env: &[(&str, &str)], args: &[&str]) -> Option<String> {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let command = format!(
        "stty cols {cols} rows 50; exec {} {}",
        quote(env!("CARGO_BIN_EXE_microscanner")),
        args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
    );
    let mut script = Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    script.env_remove("MICROSCANNER_DB").env_remove("COLUMNS").env("SHELL", "/bin/sh").env("NO_COLOR", "1");
    script.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache"));
    script.envs(env.iter().copied()).stdin(Stdio::null()).current_dir(env!("CARGO_TARGET_TMPDIR"));
    match script.output() {
        Ok(out) => Some(String::from_utf8_lossy(&out.stdout).replace('\r', "")),
        Err(e) => {
            microscanner_testkit::require(false, &format!("`script` from util-linux ({e})"));
            None
        }
    }
}

#[test]
fn the_table_fits_the_terminal_it_is_printed_on() {
    let Some(image) = app_image() else { return };
    let db = db().display().to_string();
    let args = ["scan", &image, "--db", &db, "--db-max-age", "0", "--format", "table", "--quiet"];
    let Some(screen) = on_terminal(80, &[], &args) else { return };
    assert!(screen.contains("Vulnerability") && screen.contains("Policy: fails"), "the table:\n{screen}");
    let widest = screen.lines().map(columns).max().unwrap_or(0);
    assert!(widest <= 80, "a line of {widest} columns wraps on an 80-column terminal:\n{screen}");
    assert!(widest > 70, "the table uses the terminal's width ({widest}):\n{screen}");
    // The Debian packages have no findings in this database: their section is still there.
    assert!(screen.contains("OS packages (debian 12): 132 packages, 0 findings"), "{screen}");

    // COLUMNS still wins over the terminal.
    let Some(screen) = on_terminal(80, &[("COLUMNS", "120")], &args) else { return };
    let widest = screen.lines().map(columns).max().unwrap_or(0);
    assert!((81..=120).contains(&widest), "COLUMNS=120 on an 80-column terminal: {widest} columns:\n{screen}");
}
