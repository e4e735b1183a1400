//! Policy: severity filter, unfixed, fail-on thresholds, the ignore file, VEX and baselines.
#![allow(clippy::unwrap_used)]

use microscanner_model::{
    DiagnosticLevel, Evidence, FailOn, Finding, FixState, JudgedFindings, Report, Severity, Summary, SuppressionKind,
    sort_findings,
};
use microscanner_report::diff::parse_report;
use microscanner_report::policy::{Baseline, IgnoreFile, Policy, PolicyError, VexDocument, VexStatus, apply};
use microscanner_testkit::sample_report;
use time::macros::date;

const TODAY: time::Date = date!(2026 - 11 - 23);

/// The sample report's findings as the matcher hands them over: none suppressed yet.
/// Severities: CVE-2021-25900 critical (smallvec), CVE-2023-0286 high (libssl1.1),
/// CVE-2019-12781 and CVE-2019-19118 medium (Django), CVE-2007-6755 negligible (libssl1.1, won't fix).
fn fresh() -> Vec<Finding> {
    let r = sample_report();
    r.findings
        .into_iter()
        .chain(r.suppressed)
        .map(|mut f| {
            f.suppression = None;
            f
        })
        .collect()
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.id.as_str()).collect()
}

fn policy() -> Policy {
    Policy::new(TODAY)
}

/// `report` built again with `judged` in place of its own judgement.
fn judged_again(report: Report, judged: JudgedFindings) -> Report {
    let scan = report.into_scan();
    Report::new(scan.run, scan.inventory, scan.coverage, judged)
}

fn ignore(yaml: &str) -> IgnoreFile {
    IgnoreFile::parse(yaml, ".microscanner-ignore.yaml").unwrap()
}

#[test]
fn no_policy_shows_everything_sorted_and_never_fails() {
    let applied = apply(&policy(), fresh());
    assert_eq!(
        ids(&applied.shown),
        ["CVE-2021-25900", "CVE-2023-0286", "CVE-2019-12781", "CVE-2019-19118", "CVE-2007-6755"]
    );
    assert!(applied.suppressed.is_empty() && applied.notes.is_empty());
    let v = &applied.verdict;
    assert_eq!((v.fail_on, v.failing, v.failed, v.ignore_unfixed), (None, 0, false, false));
    assert!(v.severities.is_empty() && v.baseline.is_none());
}

#[test]
fn severity_filter_drops_other_severities() {
    let p = Policy { severities: vec![Severity::High, Severity::Critical, Severity::High], ..policy() };
    let applied = apply(&p, fresh());
    assert_eq!(ids(&applied.shown), ["CVE-2021-25900", "CVE-2023-0286"]);
    assert!(applied.suppressed.is_empty(), "dropped, not suppressed");
    assert_eq!(applied.verdict.severities, [Severity::Critical, Severity::High]);

    let p = Policy { severities: vec![Severity::Negligible], ..policy() };
    assert_eq!(ids(&apply(&p, fresh()).shown), ["CVE-2007-6755"]);
}

#[test]
fn ignore_unfixed_drops_findings_without_a_fix() {
    let mut findings = fresh();
    findings[1].fix.state = FixState::NotFixed; // openssl: pretend no fix yet
    let p = Policy { ignore_unfixed: true, ..policy() };
    let applied = apply(&p, findings);
    assert_eq!(ids(&applied.shown), ["CVE-2021-25900", "CVE-2019-12781", "CVE-2019-19118"]);
    assert!(applied.shown.iter().all(|f| f.fix.state == FixState::Fixed));
    assert!(applied.suppressed.is_empty());
    assert!(applied.verdict.ignore_unfixed);
}

#[test]
fn fail_on_each_severity_boundary() {
    // critical 1, high 1, medium 2, low 0, negligible 1, unknown 0
    let expected = [
        (Severity::Critical, 1),
        (Severity::High, 2),
        (Severity::Medium, 4),
        (Severity::Low, 4),
        (Severity::Negligible, 5),
        (Severity::Unknown, 5),
    ];
    for (threshold, failing) in expected {
        let fail_on = FailOn::at_or_above(threshold);
        let p = Policy { fail_on: Some(fail_on), ..policy() };
        let v = apply(&p, fresh()).verdict;
        assert_eq!((v.failing, v.failed, v.fail_on), (failing, true, Some(fail_on)), "fail-on {threshold}");
    }
    // exactly at the threshold fails, just below does not
    let only_medium: Vec<Finding> = fresh().into_iter().filter(|f| f.severity == Severity::Medium).collect();
    let at = Policy { fail_on: Some(FailOn::at_or_above(Severity::Medium)), ..policy() };
    assert!(apply(&at, only_medium.clone()).verdict.failed);
    let above = Policy { fail_on: Some(FailOn::at_or_above(Severity::High)), ..policy() };
    let v = apply(&above, only_medium).verdict;
    assert_eq!((v.failing, v.failed), (0, false));
    // no threshold never fails
    assert!(!apply(&policy(), fresh()).verdict.failed);
}

/// Findings on a declared-only package (its lockfile entry left, its installed copy removed)
/// are shown and counted apart either way; `--declared-only-no-fail` keeps them from failing.
#[test]
fn declared_only_findings_are_counted_apart_and_fail_only_when_asked() {
    let findings: Vec<Finding> = fresh()
        .into_iter()
        .map(|mut f| {
            if f.package.name == "smallvec" {
                f.package.evidence = Evidence::Declared;
            }
            f
        })
        .collect();
    let critical = Policy { fail_on: Some(FailOn::at_or_above(Severity::Critical)), ..policy() };
    let judged = apply(&critical, findings.clone());
    assert_eq!((judged.verdict.failing, judged.verdict.failed), (1, true), "by default they count");
    let lenient = Policy { declared_only_fails: false, ..critical };
    let judged = apply(&lenient, findings);
    assert_eq!((judged.verdict.failing, judged.verdict.failed), (0, false), "the critical one is declared only");
    assert!(!judged.verdict.declared_only_fails);
    assert!(judged.shown.iter().any(|f| f.package.name == "smallvec"), "still shown");
    let summary = Summary::count(&judged.shown, 0);
    assert_eq!(summary.declared_only, 1);
    let json =
        serde_json::to_value(&judged.shown.iter().find(|f| f.package.name == "smallvec").unwrap().package).unwrap();
    assert_eq!(json["evidence"], "declared");
    let installed = judged.shown.iter().find(|f| f.package.name != "smallvec").unwrap();
    assert!(serde_json::to_value(&installed.package).unwrap().get("evidence").is_none(), "written only when declared");
}

#[test]
fn ignore_entry_matches_an_alias_case_insensitively() {
    let file = ignore(
        "- id: dsa-5343-1\n  reason: openssl is only used for local sockets\n  expires: 2027-01-31\n\
         - id: CVE-2019-12781\n  package: flask\n  reason: wrong package, hides nothing\n",
    );
    let p = Policy { ignore: Some(file), fail_on: Some(FailOn::at_or_above(Severity::High)), ..policy() };
    let applied = apply(&p, fresh());
    assert_eq!(ids(&applied.suppressed), ["CVE-2023-0286"]);
    assert!(ids(&applied.shown).contains(&"CVE-2019-12781"), "package condition not met");
    let s = applied.suppressed[0].suppression.as_ref().unwrap();
    assert_eq!(s.kind, SuppressionKind::IgnoreFile);
    assert_eq!(s.source, ".microscanner-ignore.yaml");
    assert_eq!(s.reason.as_deref(), Some("openssl is only used for local sockets"));
    assert_eq!(s.expires.as_deref(), Some("2027-01-31"));
    // the suppressed high finding no longer fails the scan
    assert_eq!(applied.verdict.failing, 1);
    assert!(applied.notes.is_empty(), "{:?}", applied.notes);
}

#[test]
fn ignore_entry_conditions_package_purl_and_paths() {
    let hidden = |yaml: &str| {
        let p = Policy { ignore: Some(ignore(yaml)), ..policy() };
        let applied = apply(&p, fresh());
        let mut ids: Vec<String> = applied.suppressed.iter().map(|f| f.id.clone()).collect();
        ids.sort();
        ids
    };
    // package: the source package name covers the binary package
    assert_eq!(hidden("- {id: CVE-2023-0286, package: openssl, reason: r}"), ["CVE-2023-0286"]);
    assert_eq!(hidden("- {id: CVE-2023-0286, package: 'libssl*', reason: r}"), ["CVE-2023-0286"]);
    assert!(hidden("- {id: CVE-2023-0286, package: bash, reason: r}").is_empty());
    // purl: parts given must match, version only when given, `*` globs
    assert_eq!(hidden("- {id: CVE-2023-0286, purl: 'pkg:deb/debian/libssl1.1', reason: r}"), ["CVE-2023-0286"]);
    assert_eq!(
        hidden("- {id: CVE-2023-0286, purl: 'pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u3?arch=amd64', reason: r}"),
        ["CVE-2023-0286"]
    );
    assert!(hidden("- {id: CVE-2023-0286, purl: 'pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u4', reason: r}").is_empty());
    assert!(hidden("- {id: CVE-2023-0286, purl: 'pkg:deb/debian/libssl', reason: r}").is_empty());
    assert_eq!(hidden("- {id: CVE-2023-0286, purl: 'pkg:deb/debian/*', reason: r}"), ["CVE-2023-0286"]);
    // a glob over the purl as written (`%2B`, the canonical form) or decoded (`+`)
    for glob in ["pkg:deb/debian/libssl1.1@*+deb11u3*", "pkg:deb/debian/libssl1.1@*%2Bdeb11u3*"] {
        assert_eq!(hidden(&format!("- {{id: CVE-2023-0286, purl: '{glob}', reason: r}}")), ["CVE-2023-0286"], "{glob}");
    }
    assert!(hidden("- {id: CVE-2023-0286, purl: 'pkg:deb/debian/libssl1.1@*+deb11u4*', reason: r}").is_empty());
    // paths: a parent directory or a glob
    assert_eq!(hidden("- {id: CVE-2019-12781, paths: [/opt/venv], reason: r}"), ["CVE-2019-12781"]);
    assert_eq!(hidden("- {id: CVE-2019-12781, paths: ['**/Django-*.dist-info'], reason: r}"), ["CVE-2019-12781"]);
    assert!(hidden("- {id: CVE-2019-12781, paths: [/usr/lib], reason: r}").is_empty());
    // the mapping form
    assert_eq!(hidden("ignore:\n  - id: CVE-2021-25900\n    reason: r\n"), ["CVE-2021-25900"]);
}

#[test]
fn expired_entry_stops_hiding_and_says_so_while_unexpired_one_hides() {
    let file = ignore(
        "ignore:\n\
         - id: CVE-2023-0286\n  reason: waiting for the base image\n  expires: 2026-11-22\n\
         - id: CVE-2021-25900\n  reason: not reachable\n  expires: 2026-11-23\n",
    );
    let p = Policy { ignore: Some(file), fail_on: Some(FailOn::at_or_above(Severity::High)), ..policy() };
    let applied = apply(&p, fresh());
    // expires today: still applies; expired yesterday: no longer applies
    assert_eq!(ids(&applied.suppressed), ["CVE-2021-25900"]);
    assert!(ids(&applied.shown).contains(&"CVE-2023-0286"));
    assert_eq!(applied.verdict.failing, 1, "the expired entry's high finding fails the scan again");
    assert_eq!(applied.notes.len(), 1, "{:?}", applied.notes);
    let note = &applied.notes[0];
    assert_eq!(note.level, DiagnosticLevel::Warning);
    assert_eq!(note.location, ".microscanner-ignore.yaml");
    assert_eq!(
        note.message,
        "entry 1 (CVE-2023-0286) expired on 2026-11-22: it no longer applies, so the finding it matches is shown \
         again; renew or remove it"
    );
    // a day earlier, both entries hide their findings and nothing is said
    let p = Policy { today: date!(2026 - 11 - 22), ..p };
    let applied = apply(&p, fresh());
    assert_eq!(ids(&applied.suppressed), ["CVE-2021-25900", "CVE-2023-0286"]);
    assert!(applied.notes.is_empty());
}

#[test]
fn entry_without_reason_gets_an_info_note() {
    let p = Policy { ignore: Some(ignore("- id: CVE-2007-6755\n")), ..policy() };
    let applied = apply(&p, fresh());
    assert_eq!(ids(&applied.suppressed), ["CVE-2007-6755"]);
    assert_eq!(applied.notes.len(), 1);
    assert_eq!(applied.notes[0].level, DiagnosticLevel::Info);
    assert!(applied.notes[0].message.starts_with("entry 1 (CVE-2007-6755) hides 1 finding without a `reason`"));
}

#[test]
fn empty_ignore_file_is_fine() {
    assert!(IgnoreFile::parse("", "x.yaml").unwrap().entries.is_empty());
    assert!(IgnoreFile::parse("# nothing yet\n", "x.yaml").unwrap().entries.is_empty());
    assert!(IgnoreFile::parse("ignore: []\n", "x.yaml").unwrap().entries.is_empty());
}

fn ignore_error(yaml: &str) -> String {
    let e = IgnoreFile::parse(yaml, "ci/.microscanner-ignore.yaml").unwrap_err();
    assert!(matches!(e, PolicyError::IgnoreFile { .. }));
    assert_eq!(e.file(), "ci/.microscanner-ignore.yaml");
    e.to_string()
}

#[test]
fn bad_ignore_files_name_the_file_and_the_field() {
    let e = ignore_error("- id: CVE-2023-0286\n  reson: typo\n");
    assert!(e.starts_with("ci/.microscanner-ignore.yaml: "), "{e}");
    assert!(e.contains("reson"), "{e}");
    let e = ignore_error("- id: CVE-2023-0286\n  expires: 2026-13-01\n");
    assert!(e.starts_with("ci/.microscanner-ignore.yaml: entry 1 (CVE-2023-0286): `expires` \"2026-13-01\""), "{e}");
    let e = ignore_error("- id: CVE-1\n- id: CVE-2023-0286\n  expires: next week\n");
    assert!(e.contains("entry 2 (CVE-2023-0286)") && e.contains("YYYY-MM-DD"), "{e}");
    let e = ignore_error("- reason: no id\n");
    assert!(e.contains("id"), "{e}");
    let e = ignore_error("- id: CVE-1\n  purl: debian/libssl\n");
    assert!(e.contains("entry 1 (CVE-1): `purl`"), "{e}");
    let e = ignore_error("vulnerabilities:\n  - id: CVE-1\n");
    assert!(e.contains("vulnerabilities"), "{e}");
    let e = ignore_error("- id: [unclosed\n");
    assert!(e.starts_with("ci/.microscanner-ignore.yaml: invalid ignore file"), "{e}");
}

/// An OpenVEX document about the image `pkg:oci/app` and its Django package.
fn vex_doc(statements: &str) -> String {
    format!(
        r#"{{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/app-1",
  "author": "App Team <app@example.com>",
  "timestamp": "2026-10-01T10:00:00Z",
  "version": 1,
  "statements": [{statements}]
}}"#
    )
}

const DJANGO_NOT_AFFECTED: &str = r#"{
  "vulnerability": {"@id": "https://nvd.nist.gov/vuln/detail/CVE-2019-19118", "name": "CVE-2019-19118"},
  "products": [{
    "@id": "pkg:oci/app@sha256%3Aaaaa?repository_url=registry.example.com/app",
    "subcomponents": [{"@id": "pkg:pypi/Django@2.2"}]
  }],
  "status": "not_affected",
  "justification": "vulnerable_code_not_in_execute_path",
  "impact_statement": "the admin site is disabled"
}"#;

#[test]
fn vex_not_affected_hides_with_justification_in_json() {
    let doc = VexDocument::parse(vex_doc(DJANGO_NOT_AFFECTED).as_bytes(), "app.openvex.json").unwrap();
    assert_eq!(doc.statements.len(), 1);
    assert_eq!(doc.statements[0].status, VexStatus::NotAffected);
    let p = Policy { vex: vec![doc], ..policy() };
    let applied = apply(&p, fresh());
    assert_eq!(ids(&applied.suppressed), ["CVE-2019-19118"]);
    let json = serde_json::to_value(&applied.suppressed[0]).unwrap();
    assert_eq!(
        json["suppression"],
        serde_json::json!({
            "kind": "vex",
            "source": "app.openvex.json",
            "reason": "the admin site is disabled",
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path"
        })
    );
    // the other Django finding is another vulnerability: still shown
    assert!(ids(&applied.shown).contains(&"CVE-2019-12781"));
}

#[test]
fn later_affected_statement_shows_the_finding_again() {
    let affected_later = r#"{
      "vulnerability": {"name": "GHSA-hvmf-r92r-27hr"},
      "products": [{"@id": "pkg:pypi/django"}],
      "status": "affected",
      "action_statement": "upgrade Django to 2.2.8",
      "timestamp": "2026-11-01T00:00:00Z"
    }"#;
    // in one document, before or after the not_affected statement: the timestamp decides
    for statements in
        [format!("{DJANGO_NOT_AFFECTED},{affected_later}"), format!("{affected_later},{DJANGO_NOT_AFFECTED}")]
    {
        let doc = VexDocument::parse(vex_doc(&statements).as_bytes(), "app.openvex.json").unwrap();
        let applied = apply(&Policy { vex: vec![doc], ..policy() }, fresh());
        assert!(applied.suppressed.is_empty());
        assert!(ids(&applied.shown).contains(&"CVE-2019-19118"));
    }
    // an even later not_affected in a second document hides it again
    let newer = DJANGO_NOT_AFFECTED.replace("\"status\"", "\"timestamp\": \"2026-11-20T00:00:00+01:00\", \"status\"");
    let docs = vec![
        VexDocument::parse(vex_doc(&format!("{DJANGO_NOT_AFFECTED},{affected_later}")).as_bytes(), "a.json").unwrap(),
        VexDocument::parse(vex_doc(&newer).as_bytes(), "b.json").unwrap(),
    ];
    let applied = apply(&Policy { vex: docs, ..policy() }, fresh());
    assert_eq!(ids(&applied.suppressed), ["CVE-2019-19118"]);
    assert_eq!(applied.suppressed[0].suppression.as_ref().unwrap().source, "b.json");
}

#[test]
fn vex_product_matching_rules() {
    let hidden = |statement: &str| {
        let doc = VexDocument::parse(vex_doc(statement).as_bytes(), "v.json").unwrap();
        let applied = apply(&Policy { vex: vec![doc], ..policy() }, fresh());
        applied.suppressed.iter().map(|f| f.id.clone()).collect::<Vec<_>>()
    };
    let st = |vuln: &str, product: &str| {
        format!(r#"{{"vulnerability": {{"name": "{vuln}"}}, "products": [{product}], "status": "fixed"}}"#)
    };
    // the package itself, with and without version; an encoded `+` equals a literal one
    assert_eq!(hidden(&st("CVE-2023-0286", r#"{"@id": "pkg:deb/debian/libssl1.1"}"#)), ["CVE-2023-0286"]);
    assert_eq!(
        hidden(&st("CVE-2023-0286", r#"{"@id": "pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u3?arch=amd64"}"#)),
        ["CVE-2023-0286"]
    );
    assert!(hidden(&st("CVE-2023-0286", r#"{"@id": "pkg:deb/debian/libssl1.1@1.1.1w-0+deb11u1"}"#)).is_empty());
    assert!(hidden(&st("CVE-2023-0286", r#"{"@id": "pkg:deb/debian/libssl1.1?arch=arm64"}"#)).is_empty());
    // by alias, via identifiers.purl
    assert_eq!(
        hidden(&st("RUSTSEC-2021-0003", r#"{"@id": "urn:x", "identifiers": {"purl": "pkg:cargo/smallvec@1.6.0"}}"#)),
        ["CVE-2021-25900"]
    );
    // an image without subcomponents: every package of the image
    assert_eq!(hidden(&st("CVE-2023-0286", r#"{"@id": "pkg:oci/app@sha256%3Aaaaa"}"#)), ["CVE-2023-0286"]);
    // an image with subcomponents: only those
    assert!(
        hidden(&st("CVE-2023-0286", r#"{"@id": "pkg:oci/app", "subcomponents": [{"@id": "pkg:deb/debian/bash"}]}"#))
            .is_empty()
    );
    // another product without subcomponents: only itself
    assert!(hidden(&st("CVE-2021-25900", r#"{"@id": "pkg:cargo/rust-app@1.0.0"}"#)).is_empty());
    // the 0.0.x form: strings
    assert_eq!(
        hidden(r#"{"vulnerability": "CVE-2021-25900", "products": ["pkg:cargo/smallvec"], "status": "fixed"}"#),
        ["CVE-2021-25900"]
    );
    // under_investigation alone changes nothing
    let investigating =
        st("CVE-2023-0286", r#"{"@id": "pkg:deb/debian/libssl1.1"}"#).replace("fixed", "under_investigation");
    assert!(hidden(&investigating).is_empty());
}

fn vex_error(json: &str) -> String {
    let e = VexDocument::parse(json.as_bytes(), "vex/app.openvex.json").unwrap_err();
    assert!(matches!(e, PolicyError::Vex { .. }));
    let text = e.to_string();
    assert!(text.starts_with("vex/app.openvex.json: "), "{text}");
    text
}

#[test]
fn bad_vex_documents_name_the_file_and_field() {
    let e = vex_error("{not json");
    assert!(e.contains("not valid JSON"), "{e}");
    let e = vex_error(r#"{"statements": []}"#);
    assert!(e.contains("@context: missing"), "{e}");
    let e = vex_error(r#"{"@context": "https://cyclonedx.org/schema", "statements": []}"#);
    assert!(e.contains("@context"), "{e}");
    let e = vex_error(r#"{"@context": "https://openvex.dev/ns/v0.2.0"}"#);
    assert!(e.contains("statements: missing"), "{e}");
    let bad_status = r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "fine"}"#;
    let e = vex_error(&vex_doc(&format!("{DJANGO_NOT_AFFECTED},{bad_status}")));
    assert!(e.contains("statements[1].status: unknown status \"fine\""), "{e}");
    let no_reason =
        r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "not_affected"}"#;
    assert!(vex_error(&vex_doc(no_reason)).contains("statements[0].justification: missing"));
    let bad_justification = r#"{"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}],
        "status": "not_affected", "justification": "trust_me"}"#;
    assert!(vex_error(&vex_doc(bad_justification)).contains("statements[0].justification: unknown justification"));
    let no_products = r#"{"vulnerability": {"name": "CVE-1"}, "status": "fixed"}"#;
    assert!(vex_error(&vex_doc(no_products)).contains("statements[0].products: missing"));
    let bad_sub = r#"{"vulnerability": {"name": "CVE-1"}, "status": "fixed",
        "products": [{"@id": "pkg:oci/app", "subcomponents": [{"@id": 7}]}]}"#;
    assert!(vex_error(&vex_doc(bad_sub)).contains("statements[0].products[0].subcomponents[0].@id: expected a string"));
    let bad_time = r#"{"vulnerability": {"name": "CVE-1"}, "products": ["pkg:npm/a"], "status": "fixed",
        "timestamp": "yesterday"}"#;
    assert!(vex_error(&vex_doc(bad_time)).contains("statements[0].timestamp: \"yesterday\" is not an RFC 3339"));
    let no_vuln = r#"{"vulnerability": {"description": "?"}, "products": ["pkg:npm/a"], "status": "fixed"}"#;
    assert!(vex_error(&vex_doc(no_vuln)).contains("statements[0].vulnerability: names no vulnerability"));
}

#[test]
fn baseline_marks_old_findings_and_they_do_not_fail() {
    let old = sample_report();
    let baseline = Baseline::from_report(&old, "baseline.json");
    // the same findings again, but smallvec's primary id is now its GHSA (a database update)
    let mut findings = fresh();
    let small = findings.iter_mut().find(|f| f.id == "CVE-2021-25900").unwrap();
    small.id = "GHSA-43w2-9j62-hq99".into();
    small.aliases = vec!["CVE-2021-25900".into(), "RUSTSEC-2021-0003".into()];
    let p = Policy { baseline: Some(baseline.clone()), fail_on: Some(FailOn::at_or_above(Severity::High)), ..policy() };
    let applied = apply(&p, findings.clone());
    assert!(applied.shown.iter().all(|f| f.in_baseline), "every finding was known");
    assert_eq!(applied.shown.len(), 5, "baseline findings are shown");
    assert_eq!((applied.verdict.failing, applied.verdict.failed), (0, false));
    assert_eq!(applied.verdict.baseline.as_deref(), Some("baseline.json"));
    let json = serde_json::to_value(&applied.shown[0]).unwrap();
    assert_eq!(json["in_baseline"], true);

    // a new high finding fails; the old ones still do not
    let mut new = findings[1].clone(); // openssl CVE-2023-0286 (high)
    new.id = "CVE-2024-0727".into();
    new.aliases = vec![];
    findings.push(new);
    let applied = apply(&p, findings);
    assert_eq!((applied.verdict.failing, applied.verdict.failed), (1, true));
    let fresh_one = applied.shown.iter().find(|f| f.id == "CVE-2024-0727").unwrap();
    assert!(!fresh_one.in_baseline);

    // the same id on another package is not in the baseline
    let mut other = fresh()[1].clone();
    other.package.name = "libssl3".into();
    assert!(!baseline.contains(&other));
}

#[test]
fn baseline_parses_our_json_and_refuses_other_documents() {
    let bytes = serde_json::to_vec_pretty(&sample_report()).unwrap();
    let b = Baseline::parse(&bytes, "old.json").unwrap();
    assert_eq!(b.source, "old.json");
    assert!(!b.is_empty());
    assert_eq!(parse_report(&bytes, "old.json").unwrap(), sample_report());

    let mut v = serde_json::to_value(sample_report()).unwrap();
    v["schema_version"] = "2.0".into();
    let e = Baseline::parse(&serde_json::to_vec(&v).unwrap(), "old.json").unwrap_err();
    assert!(matches!(e, PolicyError::Report { .. }));
    assert!(e.to_string().starts_with("old.json: report schema_version \"2.0\" is not supported"), "{e}");

    let e = Baseline::parse(br#"{"Vulnerabilities": []}"#, "trivy.json").unwrap_err();
    assert!(e.to_string().starts_with("trivy.json: not a microscanner JSON report: no `schema_version`"), "{e}");
    let e = Baseline::parse(b"\xff", "bin.json").unwrap_err();
    assert!(e.to_string().starts_with("bin.json: not valid JSON"), "{e}");
    let e = Baseline::parse(br#"{"schema_version": "1.0"}"#, "short.json").unwrap_err();
    assert!(e.to_string().contains("missing field"), "{e}");
}

#[test]
fn applied_builds_a_report() {
    let mut report = sample_report();
    report.diagnostics.clear();
    let file = ignore("- id: CVE-2007-6755\n  reason: unimportant\n- id: CVE-1999-0001\n  expires: 2020-01-01\n");
    let doc = VexDocument::parse(vex_doc(DJANGO_NOT_AFFECTED).as_bytes(), "app.openvex.json").unwrap();
    let p = Policy {
        ignore: Some(file),
        vex: vec![doc],
        fail_on: Some(FailOn::at_or_above(Severity::Critical)),
        ..policy()
    };
    let report = judged_again(report, apply(&p, fresh()));
    assert_eq!(report.summary.counts.total, 3);
    assert_eq!(report.summary.suppressed, 2);
    assert_eq!(report.policy.failing, 1);
    assert_eq!(ids(&report.suppressed), ["CVE-2019-19118", "CVE-2007-6755"]);
    assert_eq!(report.diagnostics.len(), 1, "the expired entry");
    assert_eq!(
        report.diagnostics[0].to_string(),
        ".microscanner-ignore.yaml: entry 2 (CVE-1999-0001) expired on 2020-01-01: it no longer applies; remove or \
         renew it"
    );
}

#[test]
fn already_suppressed_findings_stay_suppressed() {
    let r = sample_report();
    let applied = apply(&policy(), r.findings.into_iter().chain(r.suppressed).collect());
    assert_eq!(ids(&applied.suppressed), ["CVE-2019-19118"]);
}

#[test]
fn sort_is_most_severe_first_then_id() {
    let mut f = fresh();
    f.reverse();
    sort_findings(&mut f);
    assert_eq!(ids(&f), ["CVE-2021-25900", "CVE-2023-0286", "CVE-2019-12781", "CVE-2019-19118", "CVE-2007-6755"]);
}

/// The ids of the shown findings a baseline does not know, with their locations (what
/// `--baseline` counts as new).
fn new_by_baseline(old: &Report, new: &Report) -> Vec<(String, String)> {
    let p = Policy { baseline: Some(Baseline::from_report(old, "old.json")), ..policy() };
    let all: Vec<Finding> = new.findings.iter().chain(&new.suppressed).cloned().collect();
    let mut out: Vec<(String, String)> =
        apply(&p, all).shown.into_iter().filter(|f| !f.in_baseline).map(|f| (f.id, f.package.location)).collect();
    out.sort();
    out
}

/// `--baseline` and `microscanner diff` share one definition of "the same finding"
/// (`Finding::identity`), so they count the same findings as new: a database that now names a
/// finding by another of its ids, a package upgraded in place (its `dist-info` directory renamed),
/// a database that no longer merges two aliases, and a finding no longer suppressed are not new; a
/// second copy of a package at another location and a new CVE are.
#[test]
fn baseline_and_diff_agree_on_what_is_new() {
    let old = sample_report();
    let mut new = sample_report();
    // the database now calls the openssl finding by its DSA
    let ssl = new.findings.iter_mut().find(|f| f.id == "CVE-2023-0286").unwrap();
    ssl.id = "DSA-5343-1".into();
    ssl.aliases = vec!["CVE-2023-0286".into()];
    // Django upgraded in place to 2.2.1, still vulnerable
    for f in new.findings.iter_mut().chain(&mut new.suppressed).filter(|f| f.package.name == "Django") {
        f.package.version = "2.2.1".into();
        f.package.location = f.package.location.replace("Django-2.2.dist-info", "Django-2.2.1.dist-info");
    }
    // the VEX statement on CVE-2019-19118 was withdrawn: shown again
    let mut withdrawn = new.suppressed.remove(0);
    withdrawn.suppression = None;
    new.findings.push(withdrawn);
    // the database no longer merges PYSEC-2019-10 into CVE-2019-12781: two findings now
    let django = new.findings.iter_mut().find(|f| f.id == "CVE-2019-12781").unwrap();
    django.aliases = vec!["GHSA-6c7v-2f49-8h26".into()];
    let mut pysec = django.clone();
    pysec.id = "PYSEC-2019-10".into();
    pysec.aliases = vec![];
    new.findings.push(pysec);
    // new: a second copy of smallvec in another binary, and a new openssl CVE
    let mut copy = new.findings.iter().find(|f| f.id == "CVE-2021-25900").unwrap().clone();
    copy.package.location = "/usr/local/bin/other-app".into();
    new.findings.push(copy);
    let mut fresh_cve = new.findings.iter().find(|f| f.id == "DSA-5343-1").unwrap().clone();
    fresh_cve.id = "CVE-2024-0727".into();
    fresh_cve.aliases = vec![];
    new.findings.push(fresh_cve);
    sort_findings(&mut new.findings);

    let by_baseline = new_by_baseline(&old, &new);
    let d = microscanner_report::diff::diff(&old, &new);
    let mut by_diff: Vec<(String, String)> = d.new.iter().map(|f| (f.id.clone(), f.package.location.clone())).collect();
    by_diff.sort();
    let want = [
        ("CVE-2021-25900".to_owned(), "/usr/local/bin/other-app".to_owned()),
        ("CVE-2024-0727".to_owned(), "/var/lib/dpkg/status".to_owned()),
    ];
    assert_eq!(by_baseline, want, "--baseline");
    assert_eq!(by_diff, want, "diff");
    assert_eq!(d.summary.new.total, by_baseline.len());
    assert!(d.fixed.is_empty(), "nothing was fixed: {:?}", ids(&d.fixed));

    // and the other way round: what the old report had that the new one lacks is fixed, and a
    // baseline of the new report knows every old finding
    let back = microscanner_report::diff::diff(&new, &old);
    assert!(back.new.is_empty(), "{:?}", ids(&back.new));
    assert!(new_by_baseline(&new, &old).is_empty());
    let fixed: Vec<(&str, &str)> = back.fixed.iter().map(|f| (f.id.as_str(), f.package.location.as_str())).collect();
    assert_eq!(fixed, [("CVE-2021-25900", "/usr/local/bin/other-app"), ("CVE-2024-0727", "/var/lib/dpkg/status")]);
}

/// The identity the two share: id or alias (any case), kind, name (any case) and location up to
/// the version in it; not the version.
#[test]
fn finding_identity_is_vulnerability_and_package_copy() {
    let f = fresh().into_iter().find(|f| f.id == "CVE-2019-12781").unwrap();
    let same = |g: &Finding| f.identity().same_as(&g.identity());

    let mut g = f.clone();
    g.id = "pysec-2019-10".into();
    g.aliases = vec![];
    g.package.name = "django".into();
    g.package.version = "2.2.1".into();
    g.package.location = g.package.location.replace("Django-2.2.dist-info", "django-2.2.1.dist-info");
    assert!(same(&g), "an alias, another case, an upgrade in place");

    let mut other_vuln = f.clone();
    other_vuln.id = "CVE-2019-14232".into();
    other_vuln.aliases = vec!["PYSEC-2019-11".into()];
    assert!(!same(&other_vuln));
    let mut other_place = f.clone();
    other_place.package.location = "/srv/app/venv/lib/python3.9/site-packages/Django-2.2.dist-info/METADATA".into();
    assert!(!same(&other_place), "another copy");
    let mut other_kind = f.clone();
    other_kind.package.kind = microscanner_model::PackageKind::Npm;
    assert!(!same(&other_kind));

    let id = f.identity();
    assert_eq!(id.ids, ["cve-2019-12781", "ghsa-6c7v-2f49-8h26", "pysec-2019-10"]);
    assert_eq!(id.package.location, "/opt/venv/lib/python3.9/site-packages/django-*.dist-info/metadata");
    assert_eq!(id.keys().count(), 3);
}

/// The first build has no baseline file yet: every finding is new, and a warning says so.
#[test]
fn missing_baseline_is_a_warning_and_every_finding_is_new() {
    let baseline = Baseline::missing("reports/baseline.json");
    assert!(baseline.is_missing() && baseline.is_empty());
    let p = Policy { baseline: Some(baseline), fail_on: Some(FailOn::at_or_above(Severity::High)), ..policy() };
    let applied = apply(&p, fresh());
    assert!(applied.shown.iter().all(|f| !f.in_baseline));
    assert_eq!((applied.verdict.failing, applied.verdict.failed), (2, true));
    assert_eq!(applied.verdict.baseline.as_deref(), Some("reports/baseline.json"));
    let warnings: Vec<String> =
        applied.notes.iter().filter(|d| d.level == DiagnosticLevel::Warning).map(ToString::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("reports/baseline.json: no baseline yet: every finding is new"), "{warnings:?}");
    // a baseline that exists says nothing
    let p = Policy { baseline: Some(Baseline::from_report(&sample_report(), "old.json")), ..policy() };
    assert!(apply(&p, fresh()).notes.is_empty());
}

/// The sample findings plus one no source rated.
fn with_unknown() -> Vec<Finding> {
    let mut findings = fresh();
    let mut unrated = findings.iter().find(|f| f.id == "CVE-2019-12781").unwrap().clone();
    unrated.id = "PYSEC-2021-9".into();
    unrated.aliases = vec![];
    unrated.severity = Severity::Unknown;
    unrated.severity_source = "none".into();
    unrated.ratings.clear();
    findings.push(unrated);
    findings
}

/// `--fail-on high,unknown`: high and above, plus unknown; `high` alone never sees unknown, and
/// `unknown` alone is still the lowest threshold (every finding).
#[test]
fn fail_on_a_threshold_plus_unknown() {
    let fail = |spec: &str| {
        let fail_on: FailOn = spec.parse().unwrap();
        let v = apply(&Policy { fail_on: Some(fail_on), ..policy() }, with_unknown()).verdict;
        assert_eq!(v.fail_on, Some(fail_on));
        v.failing
    };
    // critical 1, high 1, medium 2, negligible 1, unknown 1
    assert_eq!(fail("high"), 2, "high never sees unknown");
    assert_eq!(fail("high,unknown"), 3);
    assert_eq!(fail("HIGH, UNKNOWN"), 3);
    assert_eq!(fail("critical,unknown"), 2);
    assert_eq!(fail("unknown,medium"), 5);
    assert_eq!(fail("unknown"), 6, "the lowest threshold: everything, as before");
    // only the unrated finding, which high,unknown fails
    let only_unknown: Vec<Finding> = with_unknown().into_iter().filter(|f| f.severity == Severity::Unknown).collect();
    let p = Policy { fail_on: Some("high,unknown".parse().unwrap()), ..policy() };
    assert!(apply(&p, only_unknown.clone()).verdict.failed);
    let p = Policy { fail_on: Some(FailOn::at_or_above(Severity::High)), ..policy() };
    assert!(!apply(&p, only_unknown).verdict.failed);
}

/// The report records `--fail-on high,unknown` so that readers of 1.0 reports still read the
/// threshold (`fail_on`), with `fail_on_unknown` added: the JSON validates against the schema, a
/// plain threshold is written exactly as before, and the old microscanner format keeps
/// `maximum_severity_allowed` at the threshold while failing on the unrated finding; JUnit fails it.
#[test]
fn fail_on_unknown_in_the_report_formats() {
    let report = sample_report();
    let only_unknown: Vec<Finding> = with_unknown().into_iter().filter(|f| f.severity == Severity::Unknown).collect();
    let p = Policy { fail_on: Some("high,unknown".parse().unwrap()), ..policy() };
    let report = judged_again(report, apply(&p, only_unknown));
    assert!(report.policy.failed);

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["policy"]["fail_on"], "high");
    assert_eq!(json["policy"]["fail_on_unknown"], true);
    let schema: serde_json::Value = serde_json::from_str(include_str!("../../../../docs/report.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{}: {e}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let back: Report = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back.policy, report.policy, "round trip");
    // a reader that knows only `fail_on` (this version reading it without the new field) sees the threshold
    let mut old_reader = json["policy"].clone();
    old_reader.as_object_mut().unwrap().remove("fail_on_unknown");
    let v: microscanner_model::PolicyVerdict = serde_json::from_value(old_reader).unwrap();
    assert_eq!(v.fail_on, Some(FailOn::at_or_above(Severity::High)));
    // a plain threshold writes no new field
    let plain = serde_json::to_string(&sample_report().policy).unwrap();
    assert_eq!(plain, r#"{"fail_on":"high","ignore_unfixed":false,"failing":2,"failed":true}"#);

    let render = |format| {
        let options = microscanner_report::RenderOptions::default();
        String::from_utf8(microscanner_report::render(&report, format, &options).unwrap()).unwrap()
    };
    let legacy: serde_json::Value =
        serde_json::from_str(&render(microscanner_report::ReportFormat::Microscanner)).unwrap();
    let check = &legacy["image_assurance_results"]["checks_performed"][0];
    assert_eq!(check["maximum_severity_allowed"], "high");
    assert_eq!(
        (check["failed"].clone(), legacy["image_assurance_results"]["disallowed"].clone()),
        (true.into(), true.into())
    );
    let junit = render(microscanner_report::ReportFormat::Junit);
    assert_eq!(junit.matches("<failure").count(), 1, "{junit}");
}
