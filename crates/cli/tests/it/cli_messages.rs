//! What a new user meets when a command line is not quite right (issue 18's "should have"): each
//! cause said once, a target of the wrong kind named with the kind that fits, a file that is not
//! an image said in words, the tags a layout has, format names in any case with a suggestion for
//! a typo, `-o json` warned about, a `.trivyignore` read, and `convert` rendering a saved report
//! with the scan's exit code.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report; skip notes

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::{db, image_dir};

use crate::support_fixture_scan as support;

fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB").env_remove("COLUMNS").env("RUST_LOG", "warn").env("NO_COLOR", "1");
    c.env("MICROSCANNER_DB_MAX_AGE", "0");
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache"));
    c.stdin(Stdio::null());
    c
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a one-line error (exit 1) containing every one of `needles`.
fn assert_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap_or_else(|| panic!("no error line: {err}"));
    for needle in needles {
        assert!(line.contains(needle), "{needle:?} not in {line:?}");
    }
}

#[test]
fn each_cause_is_said_once() {
    let out = microscanner().args(["scan", "dir:/", "--db", "/nonexistent/microscanner.db"]).output().unwrap();
    assert_error(&out, &["/nonexistent/microscanner.db"]);
    let err = stderr(&out);
    let line = err.lines().find(|l| l.starts_with("error: ")).unwrap();
    for cause in ["No such file or directory (os error 2)", "no database file"] {
        assert!(line.matches(cause).count() <= 1, "{cause:?} said twice: {line}");
    }
}

#[test]
fn a_target_of_the_wrong_kind_names_the_kind_that_fits() {
    let Some(dir) = image_dir() else { return };
    let archive = dir.join("oci-archive.tar");
    let layout = dir.join("oci");
    let cases = [
        (format!("oci:{}", archive.display()), "oci-archive:"),
        (format!("oci-archive:{}", layout.display()), "use oci:"),
        (format!("docker-archive:{}", layout.display()), "use oci:"),
        (format!("dir:{}", archive.display()), "docker-archive:"),
    ];
    for (target, hint) in cases {
        let out = microscanner().args(["sbom", &target]).output().unwrap();
        assert_error(&out, &[hint]);
    }
}

#[test]
fn a_file_that_is_not_an_image_is_said_in_words() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "hello, not an image\n").unwrap();
    let binary = tmp.path().join("random.bin");
    std::fs::write(&binary, (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<_>>())
        .unwrap();
    let gz = tmp.path().join("image.tar.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]).unwrap();
    for (path, said) in [(&text, "a text file"), (&binary, "binary data"), (&gz, "gzip")] {
        for target in [format!("docker-archive:{}", path.display()), path.display().to_string()] {
            let out = microscanner().args(["sbom", &target]).output().unwrap();
            assert_error(&out, &["not a tar archive", said]);
            assert!(!stderr(&out).contains("cksum"), "no tar internals: {}", stderr(&out));
        }
    }
}

#[test]
fn an_unknown_tag_lists_the_tags_there_are() {
    let Some(dir) = image_dir() else { return };
    let out =
        microscanner().args(["sbom", &format!("oci:{}:no-such-tag", dir.join("oci").display())]).output().unwrap();
    assert_error(&out, &["no-such-tag", "its tags are"]);
}

#[test]
fn a_bare_word_with_a_colon_lists_the_target_kinds() {
    // Read as an image reference (`foo:bar` is image foo, tag bar); no engine holds it and no
    // registry is reachable from the test machine, so it fails, saying how it was read.
    let out =
        microscanner().args(["scan", "foo:bar", "--db", db().to_str().unwrap(), "--timeout", "20s"]).output().unwrap();
    assert_error(&out, &["read as an image reference", "docker-archive:PATH", "oci:DIR"]);
}

#[test]
fn format_names_in_any_case_and_a_suggestion_for_a_typo() {
    let out = microscanner().args(["sbom", "dir:/nonexistent", "--format", "CycloneDX"]).output().unwrap();
    assert!(!stderr(&out).contains("unknown SBOM format"), "CycloneDX is cyclonedx: {}", stderr(&out));
    let Some(dir) = image_dir() else { return };
    let target = format!("oci:{}", dir.join("oci").display());
    let out = microscanner().args(["scan", &target, "--db", "/nonexistent", "--format", "tabel"]).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "a usage error: {err}");
    assert!(err.contains("did you mean table?"), "{err}");
    let out = microscanner()
        .args(["scan", &target, "--db", db().to_str().unwrap(), "--format", "SARIF", "--fail-on", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}

/// `sbom --format` and `diff --format` read names as `scan --format` does: any case, and a typo
/// is a usage error (exit 2) that suggests the nearest name.
#[test]
fn sbom_and_diff_formats_in_any_case_and_a_suggestion_for_a_typo() {
    let out = microscanner().args(["sbom", "dir:/nonexistent", "--format", "cyclonedxx"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error: {}", stderr(&out));
    assert!(stderr(&out).contains("did you mean cyclonedx?"), "{}", stderr(&out));
    let out = microscanner().args(["sbom", "dir:/nonexistent", "--format", "SPDX"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "SPDX is spdx; the missing directory fails: {}", stderr(&out));

    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    std::fs::write(&report, serde_json::to_vec(&microscanner_testkit::sample_report()).unwrap()).unwrap();
    let out = microscanner().arg("diff").args([&report, &report]).args(["--format", "jsno"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error: {}", stderr(&out));
    assert!(stderr(&out).contains("did you mean json?"), "{}", stderr(&out));
    let out = microscanner().arg("diff").args([&report, &report]).args(["--format", "JSON"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let diff: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diff["summary"]["unchanged"], 4, "{diff}");
}

#[test]
fn output_named_like_a_format_is_written_with_a_warning() {
    let Some(dir) = image_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", dir.join("oci").display());
    let out = microscanner()
        .current_dir(tmp.path())
        .args(["scan", &target, "--db", db().to_str().unwrap(), "-o", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(tmp.path().join("json").is_file(), "the file is written as asked");
    assert!(stderr(&out).contains("a file named `json`"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--format json"), "{}", stderr(&out));
}

#[test]
fn a_trivyignore_in_the_working_directory_is_read() {
    let Some(dir) = image_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", dir.join("oci").display());
    let scan = |cwd: &Path| -> Value {
        let out = microscanner()
            .current_dir(cwd)
            .args(["scan", &target, "--db", db().to_str().unwrap(), "--format", "json", "--fail-on", "none"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let before = scan(tmp.path());
    let first = before["findings"][0]["id"].as_str().unwrap().to_owned();
    std::fs::write(tmp.path().join(".trivyignore"), format!("# accepted in review\n{first}\n")).unwrap();
    let after = scan(tmp.path());
    assert!(after["findings"].as_array().unwrap().iter().all(|f| f["id"] != first.as_str()), "{first} is hidden");
    let suppressed = after["suppressed"].as_array().unwrap();
    assert!(suppressed.iter().any(|s| s.to_string().contains("accepted in review")), "the comment is the reason");
}

#[test]
fn convert_renders_a_saved_report_and_judges_it_as_the_scan_would() {
    let Some(dir) = image_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("report.json");
    let target = format!("oci:{}", dir.join("oci").display());
    let scan = microscanner()
        .args(["scan", &target, "--db", db().to_str().unwrap(), "-f", "json", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(4), "the image has high findings: {}", stderr(&scan));
    let convert = |args: &[&str]| microscanner().arg("convert").arg(&report).args(args).output().unwrap();
    let md = convert(&["--format", "markdown"]);
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let saved: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let id = saved["findings"][0]["id"].as_str().unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains(id));
    assert_eq!(convert(&["--format", "junit", "--fail-on", "high"]).status.code(), Some(4));
    assert_eq!(convert(&["--format", "json"]).status.code(), Some(0), "no --fail-on: a converter");
    let roundtrip: Value = serde_json::from_slice(&convert(&["--format", "json"]).stdout).unwrap();
    assert_eq!(roundtrip["findings"], saved["findings"], "json to json keeps every finding");
    let bad = microscanner().args(["convert", "/nonexistent/report.json"]).output().unwrap();
    assert_error(&bad, &["/nonexistent/report.json"]);
}

#[test]
fn every_flag_has_a_variable_and_a_config_file_key_with_the_command_line_first() {
    let help = microscanner().args(["scan", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    for var in ["MICROSCANNER_FAIL_ON", "MICROSCANNER_IGNORE_UNFIXED", "MICROSCANNER_SEVERITY", "MICROSCANNER_TIMEOUT"]
    {
        assert!(help.contains(&format!("[env: {var}")), "{var} in scan --help");
    }
    let Some(dir) = image_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", dir.join("oci").display());
    let scan = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = microscanner();
        c.current_dir(tmp.path()).args(["scan", &target, "--db", db().to_str().unwrap(), "-f", "json", "-o", "r.json"]);
        c.envs(env.iter().copied()).args(args);
        c.output().unwrap().status.code()
    };
    assert_eq!(scan(&[], &[]), Some(4), "the image fails at the default --fail-on high");
    assert_eq!(scan(&[("MICROSCANNER_FAIL_ON", "none")], &[]), Some(0), "the variable");
    assert_eq!(scan(&[("MICROSCANNER_FAIL_ON", "none")], &["--fail-on", "high"]), Some(4), "the flag wins");
    std::fs::write(tmp.path().join("microscanner.yaml"), "scan:\n  fail-on: none\n").unwrap();
    assert_eq!(scan(&[], &[]), Some(0), "./microscanner.yaml");
    assert_eq!(scan(&[("MICROSCANNER_FAIL_ON", "high")], &[]), Some(4), "the variable wins over the file");
    std::fs::write(tmp.path().join("other.yaml"), "fail-on: critical\nseverity: [LOW]\n").unwrap();
    assert_eq!(scan(&[], &["--config", "other.yaml"]), Some(0), "only low findings are shown: none fails");
    std::fs::write(tmp.path().join("microscanner.yaml"), "fail-onn: none\n").unwrap();
    let out = microscanner().current_dir(tmp.path()).args(["scan", &target]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(stderr(&out).contains("unknown setting `fail-onn`"), "{}", stderr(&out));
}

#[test]
fn an_sbom_is_scanned_as_the_image_it_describes() {
    let Some(dir) = image_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", dir.join("oci").display());
    let ids = |target: &str| -> Vec<String> {
        let out = microscanner()
            .args(["scan", target, "--db", db().to_str().unwrap(), "-f", "json", "--fail-on", "none", "--no-cache"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{target}: {}", stderr(&out));
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ids: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["id"].as_str().unwrap(), f["package"]["name"].as_str().unwrap()))
            .collect();
        ids.sort();
        ids
    };
    let direct = ids(&target);
    assert!(!direct.is_empty());
    for format in ["cyclonedx", "spdx", "json"] {
        let sbom = tmp.path().join(format!("sbom.{format}.json"));
        let out = microscanner().args(["sbom", &target, "--format", format, "-o"]).arg(&sbom).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(ids(&format!("sbom:{}", sbom.display())), direct, "sbom:{format} finds what the image scan finds");
    }
    let missing = microscanner().args(["scan", "sbom:/nonexistent/sbom.json", "--db", db().to_str().unwrap()]).output();
    assert_error(&missing.unwrap(), &["/nonexistent/sbom.json"]);
    let not_sbom = tmp.path().join("notes.json");
    std::fs::write(&not_sbom, "{\"hello\": 1}").unwrap();
    let out = microscanner()
        .args(["scan", &format!("sbom:{}", not_sbom.display()), "--db", db().to_str().unwrap()])
        .output()
        .unwrap();
    assert_error(&out, &["notes.json"]);
}

#[test]
fn help_shows_examples() {
    for command in ["scan", "sbom", "diff", "convert"] {
        let out = microscanner().args([command, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Examples:") && help.contains(&format!("microscanner {command} ")), "{command}:\n{help}");
    }
}

#[test]
fn db_update_from_a_server_that_never_answers_fails_at_the_stall_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let source = format!("http://{}", listener.local_addr().unwrap());
    let held = std::thread::spawn(move || listener.incoming().take(16).flatten().collect::<Vec<_>>());
    let tmp = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = microscanner()
        .args(["db", "update", "--source", &source, "--stall-timeout", "1s", "--retries", "0", "--db"])
        .arg(tmp.path().join("microscanner.db"))
        .output()
        .unwrap();
    // a hang guard, not a timing assertion: the download timeout is 30 minutes
    assert!(started.elapsed() < std::time::Duration::from_secs(120), "took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    drop(held);
}

#[test]
fn format_and_output_pairs_give_several_reports_from_one_scan() {
    let Some(dir) = image_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let target = format!("oci:{}", dir.join("oci").display());
    let out = microscanner()
        .current_dir(tmp.path())
        .args(["scan", &target, "--db", db().to_str().unwrap(), "--fail-on", "none"])
        .args(["-f", "json", "-o", "r.json", "-f", "sarif", "-o", "r.sarif", "-f", "junit", "-o", "r.xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "every report went to its file");
    let json: Value = serde_json::from_slice(&std::fs::read(tmp.path().join("r.json")).unwrap()).unwrap();
    let sarif: Value = serde_json::from_slice(&std::fs::read(tmp.path().join("r.sarif")).unwrap()).unwrap();
    let junit = std::fs::read_to_string(tmp.path().join("r.xml")).unwrap();
    let first = json["findings"][0]["id"].as_str().unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(junit.contains(first), "the same scan in each");
    assert!(stderr(&out).contains("r.json, r.sarif, r.xml"), "the verdict names every report: {}", stderr(&out));
    let unpaired = microscanner()
        .current_dir(tmp.path())
        .args(["scan", &target, "--db", db().to_str().unwrap(), "-f", "json", "-f", "sarif", "-o", "r.json"])
        .output()
        .unwrap();
    assert_error(&unpaired, &["come in pairs", "2 formats and 1 outputs"]);
}
