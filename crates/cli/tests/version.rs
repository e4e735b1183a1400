//! `microscanner version compare`: one pair, batches, and how errors exit.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use assert_cmd::Command;

fn compare(args: &[&str], stdin: &str) -> std::process::Output {
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
