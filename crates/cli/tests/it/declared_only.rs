//! Findings on declared-only packages, end to end: on the real podman-app image `lodash` and
//! `requests` were removed after their lockfiles were written, so their findings (from the
//! fixture database of `scripts/fixture-db.sh`) are on declared-only packages: counted apart in
//! the JSON report, and kept from failing the scan by `--declared-only-no-fail`.

use assert_cmd::Command;
use serde_json::Value;

use crate::support_fixture_scan as support;

/// `scan` of podman-app as JSON, with `extra` flags; `None` when the images are not built.
fn scan(extra: &[&str]) -> Option<Value> {
    let dir = support::image_dir()?.parent()?.join("podman-app");
    let tar = dir.join("oci-archive.tar");
    if !microscanner_testkit::require(tar.exists(), &tar.display().to_string()) {
        return None;
    }
    let out = Command::cargo_bin("microscanner")
        .unwrap()
        .arg("--db")
        .arg(support::db())
        .args(["scan", &format!("oci-archive:{}", tar.display()), "--format", "json", "--no-cache"])
        .args(["--fail-on", "medium", "--continue-on-failure"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn declared_only_findings_are_counted_apart_and_may_not_fail() {
    let Some(default) = scan(&[]) else { return };
    let findings = default["findings"].as_array().unwrap();
    let declared: Vec<&Value> = findings.iter().filter(|f| f["package"]["evidence"] == "declared").collect();
    assert!(!declared.is_empty(), "lodash and requests have findings in the fixture database");
    assert!(declared.iter().all(|f| ["lodash", "requests"].contains(&f["package"]["name"].as_str().unwrap())));
    assert_eq!(default["summary"]["declared_only"], declared.len());
    let failing_declared =
        declared.iter().filter(|f| ["critical", "high", "medium"].contains(&f["severity"].as_str().unwrap())).count();
    assert!(failing_declared > 0, "some are medium or above");

    let lenient = scan(&["--declared-only-no-fail"]).unwrap();
    assert_eq!(lenient["policy"]["declared_only_fails"], false);
    assert_eq!(lenient["summary"]["declared_only"], declared.len(), "still shown and counted");
    let failing = |doc: &Value| doc["policy"]["failing"].as_u64().unwrap() as usize;
    assert_eq!(failing(&default) - failing(&lenient), failing_declared);
}
