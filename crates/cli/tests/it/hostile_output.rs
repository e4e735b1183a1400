//! Output injection on stderr (issue 23, item 5): a file of the scanned image named with terminal
//! escapes, a bidi override and a line break reaches the log line that warns about it, and an
//! error names the path it could not read. Neither may write the characters raw, start a forged
//! line or colour anything when stderr is not a terminal (here it is a pipe, and `NO_COLOR` is
//! unset). The report formats themselves are tested in `crates/report/tests/hostile_output.rs`.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;
use std::process::{Command, Output, Stdio};

use microscanner_report::text::is_unsafe;

/// A directory name with every kind of hostile character, then a forged line.
const EVIL: &str = "evil\x1b[2J\x1b]0;pwned\x07\x1b[31m\u{9b}1m\u{202e}gnp\r\nFORGED: passed";

fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB").env_remove("NO_COLOR").env_remove("COLUMNS").env("RUST_LOG", "warn");
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache")); // never the user's cache
    c.stdin(Stdio::null());
    c
}

/// stderr holds no escape sequence (no colour: it is not a terminal), no other raw control or bidi
/// character but line ends, and no line starting with the forged text.
fn assert_clean_stderr(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains('\x1b'), "no ANSI sequence on a stderr that is not a terminal: {stderr:?}");
    assert!(!stderr.chars().any(|c| c != '\n' && is_unsafe(c)), "raw control characters: {stderr:?}");
    assert!(!stderr.lines().any(|l| l.trim_start().starts_with("FORGED")), "a forged line: {stderr}");
    stderr
}

/// A root filesystem with one installed npm package whose directory has a hostile name and
/// whose `package.json` does not parse: the inventory warns, naming the file.
fn hostile_rootfs(dir: &Path) -> String {
    let package = dir.join("usr/lib/node_modules").join(EVIL);
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(package.join("package.json"), b"{\"name\": ").unwrap();
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::write(dir.join("etc/os-release"), "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux\"\n").unwrap();
    format!("dir:{}", dir.display())
}

#[test]
fn a_hostile_path_in_a_log_line_is_escaped_and_uncoloured() {
    let tmp = tempfile::tempdir().unwrap();
    let target = hostile_rootfs(tmp.path());
    let out = microscanner().args(["sbom", &target, "--format", "json"]).output().unwrap();
    let stderr = assert_clean_stderr(&out);
    assert!(out.status.success(), "{stderr}");
    // The warning is there, the path shown with its escapes visible, on one line.
    let line = stderr.lines().find(|l| l.contains("package.json")).unwrap_or_else(|| panic!("no warning: {stderr}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(
        line.contains("evil\\x1b[2J\\x1b]0;pwned\\x07\\x1b[31m\\u{9b}1m\\u{202e}gnp\\r\\nFORGED: passed"),
        "{line}"
    );
}

#[test]
fn a_hostile_path_in_an_error_is_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join(EVIL);
    let out = microscanner().args(["sbom", &format!("dir:{}", missing.display())]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = assert_clean_stderr(&out);
    assert_eq!(stderr.lines().count(), 1, "one error line: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains("\\x1b]0;pwned\\x07"), "{stderr}");
}

#[test]
fn the_diff_table_and_its_stderr_are_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let old = microscanner_testkit::sample_report();
    let mut new = old.clone();
    new.findings[0].package.name = EVIL.to_owned();
    new.findings[0].title = Some(EVIL.to_owned());
    let (old_path, new_path) = (tmp.path().join("old.json"), tmp.path().join("new.json"));
    std::fs::write(&old_path, serde_json::to_vec(&old).unwrap()).unwrap();
    std::fs::write(&new_path, serde_json::to_vec(&new).unwrap()).unwrap();
    let out = microscanner().arg("diff").args([&old_path, &new_path]).args(["--format", "table"]).output().unwrap();
    assert_clean_stderr(&out);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.chars().any(|c| c != '\n' && is_unsafe(c)), "{stdout:?}");
    assert!(!stdout.lines().any(|l| l.trim_start().starts_with("FORGED")), "{stdout}");
    assert!(stdout.contains("evil\\x1b[2J"), "{stdout}");
}
