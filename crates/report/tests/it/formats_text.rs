//! The report formats for people and for scripts: json (validated against
//! `docs/report.schema.json`), table, microscanner (the old tool's JSON, checked key by key against
//! its real output), markdown, junit and template.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use microscanner_model::{FailOn, PolicyVerdict, Report, Severity, Summary};
use microscanner_report::{RenderError, RenderOptions, ReportFormat, render};
use microscanner_testkit::sample_report;
use serde_json::Value;

const SCHEMA: &str = include_str!("../../../../docs/report.schema.json");
const CSV_TEMPLATE: &str = include_str!("../../../../docs/templates/findings.csv.jinja");

fn text(report: &Report, format: ReportFormat, options: &RenderOptions) -> String {
    String::from_utf8(render(report, format, options).unwrap()).unwrap()
}

fn plain(report: &Report, format: ReportFormat) -> String {
    text(report, format, &RenderOptions::default())
}

/// The sample report with nothing found: the same packages and coverage, no findings.
fn empty_report() -> Report {
    let mut r = sample_report();
    r.findings.clear();
    r.suppressed.clear();
    r.summary = Summary::count(&[], 0);
    r.policy = PolicyVerdict {
        fail_on: Some(FailOn::at_or_above(Severity::High)),
        failing: 0,
        failed: false,
        ..PolicyVerdict::default()
    };
    r.coverage.skipped.clear();
    r.coverage.complete = true;
    r
}

/// A report of an image where nothing could be scanned.
fn nothing_scanned() -> Report {
    let mut r = empty_report();
    r.os = None;
    r.packages.clear();
    r.coverage.packages = 0;
    r.coverage.packages_matched = 0;
    r.coverage.ecosystems.clear();
    r
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

// ---- json --------------------------------------------------------------------------------------

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(doc: &Value) {
    let errors: Vec<String> = validator().iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
}

#[test]
fn json_is_the_report_pretty_printed() {
    let report = sample_report();
    let out = plain(&report, ReportFormat::Json);
    assert!(out.ends_with("}\n"));
    assert!(out.starts_with("{\n  \"schema_version\": \"1.0\","));
    let back: Report = serde_json::from_str(&out).unwrap();
    assert_eq!(back, report);
}

#[test]
fn json_validates_against_the_schema() {
    for report in [sample_report(), empty_report(), nothing_scanned()] {
        let doc: Value = serde_json::from_str(&plain(&report, ReportFormat::Json)).unwrap();
        assert_valid(&doc);
    }
}

/// A finding on a declared-only package, under `--declared-only-no-fail`: the JSON says so
/// (and still validates, round trip included), the table counts it apart.
#[test]
fn declared_only_findings_in_json_and_table() {
    let mut report = sample_report();
    for f in report.findings.iter_mut().filter(|f| f.package.name == "smallvec") {
        f.package.evidence = microscanner_model::Evidence::Declared;
    }
    report.summary = Summary::count(&report.findings, report.suppressed.len());
    report.policy.declared_only_fails = false;
    assert_eq!(report.summary.declared_only, 1);
    let out = plain(&report, ReportFormat::Json);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&doc);
    assert_eq!(doc["summary"]["declared_only"], 1);
    assert_eq!(doc["policy"]["declared_only_fails"], false);
    let back: Report = serde_json::from_str(&out).unwrap();
    assert_eq!(back, report);
    let table = plain(&report, ReportFormat::Table);
    assert!(table.contains("Declared only: 1 finding on packages a lockfile names"), "{table}");
    assert!(table.contains("they do not fail the scan"), "{table}");
    assert!(!plain(&sample_report(), ReportFormat::Table).contains("Declared only"), "absent when none");
}

#[test]
fn json_schema_is_not_vacuous() {
    let doc: Value = serde_json::from_str(&plain(&sample_report(), ReportFormat::Json)).unwrap();
    let v = validator();
    assert!(v.is_valid(&doc));

    let broken = |f: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        f(&mut d);
        d
    };
    let cases: Vec<(&str, Value)> = vec![
        ("no summary", broken(&|d| drop(d.as_object_mut().unwrap().remove("summary")))),
        ("no finding id", broken(&|d| drop(d["findings"][0].as_object_mut().unwrap().remove("id")))),
        ("bad severity", broken(&|d| d["findings"][0]["severity"] = "severe".into())),
        ("bad fix state", broken(&|d| d["findings"][0]["fix"]["state"] = "wontfix".into())),
        ("bad package kind", broken(&|d| d["packages"][0]["kind"] = "dpkg".into())),
        ("bad rating kind", broken(&|d| d["findings"][0]["ratings"][0]["kind"] = "cvss3".into())),
        ("bad suppression kind", broken(&|d| d["suppressed"][0]["suppression"]["kind"] = "ignore".into())),
        (
            "suppressed without suppression",
            broken(&|d| drop(d["suppressed"][0].as_object_mut().unwrap().remove("suppression"))),
        ),
        ("other schema version", broken(&|d| d["schema_version"] = "2.0".into())),
        ("unknown key", broken(&|d| d["findings"][0]["cvss"] = 9.8.into())),
        ("negative count", broken(&|d| d["summary"]["total"] = (-1).into())),
        ("coverage without complete", broken(&|d| drop(d["coverage"].as_object_mut().unwrap().remove("complete")))),
    ];
    for (what, d) in cases {
        assert!(!v.is_valid(&d), "{what}: should not validate");
    }
}

// ---- table -------------------------------------------------------------------------------------

#[test]
fn table_snapshot() {
    let out = plain(&sample_report(), ReportFormat::Table);
    assert!(!out.contains('\x1b'), "no colour codes without color");
    insta::assert_snapshot!("table", out);
}

#[test]
fn table_colour_snapshot() {
    let options = RenderOptions { color: true, ..RenderOptions::default() };
    let out = text(&sample_report(), ReportFormat::Table, &options);
    assert!(out.contains('\x1b'));
    // Escape codes made visible so the snapshot can be read.
    insta::assert_snapshot!("table_color", out.replace('\x1b', "␛"));
}

/// Columns a line takes on screen, ANSI escapes left out.
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

#[test]
fn table_fits_the_width() {
    for (width, max) in [(0, 100), (100, 100), (80, 80), (60, 60)] {
        for color in [false, true] {
            let options = RenderOptions { color, width, ..RenderOptions::default() };
            let out = text(&sample_report(), ReportFormat::Table, &options);
            for line in out.lines() {
                assert!(columns(line) <= max, "width {width}: {} columns: {line}", columns(line));
            }
        }
    }
}

#[test]
fn table_shows_what_a_reader_needs() {
    let out = plain(&sample_report(), ReportFormat::Table);
    for needle in [
        "oci:/images/debian11-app/oci:latest",
        "Debian GNU/Linux 11 (bullseye)",
        "built 2026-11-23T06:00:00Z",
        "CVE-2021-25900 (KEV)",
        "CRITICAL",
        "won't fix",
        "1.1.1n-0+deb11u4",
        "Total: 4 (CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 0, NEGLIGIBLE: 1, UNKNOWN: 0)",
        "Suppressed: 1 finding (1 by VEX)",
        "Skipped: /usr/local/bin/stripped-tool: Go binary without build information",
        "incomplete scan",
        "Policy: fails: 2 findings at or above high",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    // OS packages come first, then the language targets.
    let os = out.find("OS packages (debian 11)").unwrap();
    let py = out.find("Python (pypi)").unwrap();
    let rust = out.find("Rust binary /usr/local/bin/rust-app (cargo)").unwrap();
    assert!(os < py && py < rust);
}

#[test]
fn table_empty_reports() {
    let out = plain(&empty_report(), ReportFormat::Table);
    assert!(out.contains("No vulnerabilities found.") && out.contains("Scanned: 4 packages"));
    insta::assert_snapshot!("table_empty", out);
    let out = plain(&nothing_scanned(), ReportFormat::Table);
    assert!(out.contains("no packages were found to scan"), "{out}");
    insta::assert_snapshot!("table_nothing_scanned", out);
}

#[test]
fn table_notes_filters_baseline_and_warnings() {
    use microscanner_model::Diagnostic;
    let mut report = sample_report();
    report.policy.severities = vec![Severity::High, Severity::Critical];
    report.policy.ignore_unfixed = true;
    report.policy.baseline = Some("previous.json".into());
    report.findings[0].in_baseline = true;
    report.policy.failing = 1;
    report.diagnostics = (0..7).map(|i| Diagnostic::warning(format!("/layer/{i}"), "unreadable")).collect();
    report.diagnostics.push(Diagnostic::info("/x", "an informational note"));
    let out = plain(&report, ReportFormat::Table);
    for needle in [
        "CVE-2021-25900 (KEV) (baseline)",
        "(baseline): already in the baseline report",
        "Filters: only high, critical shown; findings without a fix hidden; baseline previous.json",
        "Note: /layer/4: unreadable",
        "Note: 2 more warnings",
        "Policy: fails: 1 finding at or above high (1 already in the baseline not counted)",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    assert!(!out.contains("informational"), "info diagnostics are not shown");
    let md = plain(&report, ReportFormat::Markdown);
    assert!(md.contains("Critical (KEV) (baseline)") && md.contains("- Filters: only high, critical shown"), "{md}");
}

// ---- microscanner ------------------------------------------------------------------------------

/// The old tool's output for alpine:3.3 (2019), as quoted in `../shared/research/anchors.md`,
/// with its one complete vulnerability (the author's "[snip]" cut the rest).
const OLD_SAMPLE: &str = r#"{
  "scan_started": { "seconds": 1564927343, "nanos": 722759087 },
  "scan_duration": 2,
  "digest": "cbaf1026d5a0e866536032b2c5bae5a4ead085f61900b9e976e50030c0b7163e",
  "os": "alpine",
  "version": "3.3.3",
  "resources": [
    {
      "resource": {
        "format": "apk",
        "name": "busybox",
        "version": "1.24.2-r2",
        "arch": "x86_64",
        "cpe": "pkg:/alpine:3.3.3:busybox:1.24.2-r2",
        "license": "GPL2",
        "name_hash": "1a0be787cebd01a5ca5d163e1502c1c6"
      },
      "scanned": true,
      "vulnerabilities": [
        {
          "name": "CVE-2015-9261",
          "description": "huft_build in archival/libarchive/decompress_gunzip.c in BusyBox before 1.27.2 misuses a pointer, causing segfaults and an application crash during an unzip operation on a specially crafted ZIP file.",
          "nvd_score": 4.3,
          "nvd_score_version": "CVSS v2",
          "nvd_vectors": "AV:N/AC:M/Au:N/C:N/I:N/A:P",
          "nvd_severity": "medium",
          "nvd_url": "https://web.nvd.nist.gov/view/vuln/detail?vulnId=CVE-2015-9261",
          "vendor_score": 4.3,
          "vendor_score_version": "CVSS v2",
          "vendor_vectors": "AV:N/AC:M/Au:N/C:N/I:N/A:P",
          "vendor_severity": "medium",
          "publish_date": "2018-07-26",
          "modification_date": "2019-06-13",
          "nvd_score_v3": 5.5,
          "nvd_vectors_v3": "CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
          "nvd_severity_v3": "medium",
          "vendor_score_v3": 5.5,
          "vendor_vectors_v3": "CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
          "vendor_severity_v3": "medium"
        }
      ]
    }
  ],
  "vulnerability_summary": {
    "total": 8, "high": 1, "medium": 7, "low": 0, "negligible": 0, "sensitive": 0, "malware": 0,
    "score_average": 4.9624996, "max_score": 7.5
  },
  "scan_options": {},
  "initiating_user": "token",
  "data_date": 1564873427,
  "changed_result": false,
  "function_metadata": {}
}"#;

/// Keys other real outputs show beside the sample's: `image_assurance_results` and
/// `partial_results` (aquasecurity/microscanner#52), `vendor_url`, `fix_version` and
/// `classification` (aquasecurity/harbor-scanner-microscanner test data).
const OTHER_TOP_KEYS: [&str; 2] = ["image_assurance_results", "partial_results"];
const OTHER_VULNERABILITY_KEYS: [&str; 3] = ["vendor_url", "fix_version", "classification"];

#[test]
fn microscanner_keys_match_the_old_tool() {
    let old: Value = serde_json::from_str(OLD_SAMPLE).unwrap();
    let ours: Value = serde_json::from_str(&plain(&sample_report(), ReportFormat::Microscanner)).unwrap();

    let mut documented_top = keys(&old);
    documented_top.extend(set(&OTHER_TOP_KEYS));
    assert!(keys(&ours).is_subset(&documented_top), "unknown top-level keys: {:?}", keys(&ours));
    assert!(keys(&old).is_subset(&keys(&ours)), "missing top-level keys: {:?}", keys(&ours));
    assert_eq!(keys(&ours["scan_started"]), keys(&old["scan_started"]));
    // the old keys, and `unknown`: unrated findings, so the counts add up to `total`
    let mut summary_keys = keys(&old["vulnerability_summary"]);
    summary_keys.extend(set(&["unknown"]));
    assert_eq!(keys(&ours["vulnerability_summary"]), summary_keys);
    assert!(keys(&ours["scan_options"]).is_empty() && keys(&ours["function_metadata"]).is_empty());

    let old_resource = &old["resources"][0];
    let mut documented_vuln = keys(&old_resource["vulnerabilities"][0]);
    documented_vuln.extend(set(&OTHER_VULNERABILITY_KEYS));
    for resource in ours["resources"].as_array().unwrap() {
        assert_eq!(keys(resource), keys(old_resource));
        assert_eq!(keys(&resource["resource"]), keys(&old_resource["resource"]));
        for v in resource["vulnerabilities"].as_array().unwrap() {
            assert!(keys(v).is_subset(&documented_vuln), "unknown vulnerability keys: {:?}", keys(v));
            assert!(v["name"].is_string());
        }
    }
    // Every value has the old type: no nulls anywhere.
    assert!(!plain(&sample_report(), ReportFormat::Microscanner).contains("null"));
}

#[test]
fn microscanner_values() {
    let doc: Value = serde_json::from_str(&plain(&sample_report(), ReportFormat::Microscanner)).unwrap();
    assert_eq!(doc["scan_started"]["seconds"], 1_795_435_200); // 2026-11-23T12:00:00Z
    assert_eq!(doc["scan_duration"], 1);
    assert_eq!(doc["digest"], "b".repeat(64));
    assert_eq!((doc["os"].as_str(), doc["version"].as_str()), (Some("debian"), Some("11")));
    assert_eq!(doc["data_date"], 1_795_413_600); // 2026-11-23T06:00:00Z
    assert_eq!(doc["partial_results"], true);
    assert_eq!(doc["initiating_user"], "token");
    assert_eq!(doc["changed_result"], false);

    let summary = &doc["vulnerability_summary"];
    // critical (smallvec) counts as high, as the old tool did.
    assert_eq!(
        (&summary["total"], &summary["high"], &summary["medium"], &summary["negligible"]),
        (&Value::from(4), &Value::from(2), &Value::from(1), &Value::from(1))
    );
    assert_eq!(summary["max_score"], 9.8);

    let resources = doc["resources"].as_array().unwrap();
    let names: Vec<&str> = resources.iter().map(|r| r["resource"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["libssl1.1", "Django", "smallvec"], "vulnerable packages, inventory order");
    let ssl = &resources[0];
    assert_eq!(ssl["resource"]["format"], "deb");
    assert_eq!(ssl["resource"]["cpe"], "pkg:/debian:11:libssl1.1:1.1.1n-0+deb11u3");
    assert_eq!(ssl["resource"]["arch"], "amd64");
    assert_eq!(ssl["resource"]["name_hash"], md5_of("libssl1.1"));
    let cve = &ssl["vulnerabilities"][0];
    assert_eq!(cve["name"], "CVE-2023-0286");
    assert_eq!(cve["nvd_score_v3"], 7.4);
    assert_eq!(cve["nvd_severity_v3"], "high");
    assert_eq!(cve["nvd_url"], "https://nvd.nist.gov/vuln/detail/CVE-2023-0286");
    assert_eq!(cve["vendor_url"], "https://security-tracker.debian.org/tracker/CVE-2023-0286");
    assert_eq!(cve["fix_version"], "1.1.1n-0+deb11u4");
    assert_eq!(cve["publish_date"], "2023-02-08");
    let negligible = &ssl["vulnerabilities"][1];
    assert_eq!(negligible["vendor_severity"], "negligible");
    assert!(negligible.get("fix_version").is_none());
    assert!(negligible["classification"].as_str().unwrap().contains("debian will not fix it"));
    let smallvec = &resources[2]["vulnerabilities"][0];
    assert_eq!(smallvec["vendor_severity_v3"], "high", "critical is high on the old scale");
    assert_eq!(resources[2]["resource"]["cpe"], "pkg:/cargo:smallvec:1.6.0");

    let check = &doc["image_assurance_results"]["checks_performed"][0];
    assert_eq!(check["control"], "max_severity");
    assert_eq!(check["maximum_severity_allowed"], "high");
}

fn md5_of(name: &str) -> String {
    // From `printf libssl1.1 | md5sum`; the unit tests check the algorithm itself.
    match name {
        "libssl1.1" => "daff06bb796900446d2090eefdf94fd7".to_owned(),
        _ => unreachable!(),
    }
}

#[test]
fn microscanner_summary_adds_up_with_unrated_findings() {
    let mut report = sample_report();
    let unrated = report.findings.len() - 1;
    report.findings[unrated].severity = Severity::Unknown;
    let doc: Value = serde_json::from_str(&plain(&report, ReportFormat::Microscanner)).unwrap();
    let s = &doc["vulnerability_summary"];
    let count = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(count("unknown"), 1, "{s}");
    assert_eq!(count("high") + count("medium") + count("low") + count("negligible") + count("unknown"), count("total"));
}

#[test]
fn microscanner_snapshot() {
    insta::assert_snapshot!("microscanner", plain(&sample_report(), ReportFormat::Microscanner));
}

#[test]
fn microscanner_empty_report() {
    let out = plain(&empty_report(), ReportFormat::Microscanner);
    let doc: Value = serde_json::from_str(&out).unwrap();
    // As the old tool wrote it with nothing found (aquasecurity/microscanner#52): no
    // `resources`, counts of zero, no scores; `partial_results` only when incomplete.
    assert!(doc.get("resources").is_none());
    assert!(doc.get("partial_results").is_none());
    assert_eq!(doc["vulnerability_summary"]["total"], 0);
    assert!(doc["vulnerability_summary"].get("score_average").is_none());
    insta::assert_snapshot!("microscanner_empty", out);
}

// ---- markdown ----------------------------------------------------------------------------------

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown", plain(&sample_report(), ReportFormat::Markdown));
}

#[test]
fn markdown_empty_report() {
    let out = plain(&empty_report(), ReportFormat::Markdown);
    assert!(out.contains("No vulnerabilities found.") && !out.contains("### Findings"));
    insta::assert_snapshot!("markdown_empty", out);
    assert!(plain(&nothing_scanned(), ReportFormat::Markdown).contains("no packages were found to scan"));
}

#[test]
fn markdown_cells_are_escaped() {
    let mut report = sample_report();
    report.findings[0].title = Some("a | b\nc <img src=x> [link](javascript:alert(1))".into());
    report.findings[0].primary_url = Some("javascript:alert(1)".into());
    let out = plain(&report, ReportFormat::Markdown);
    let row = out.lines().find(|l| l.contains("CVE-2021-25900")).unwrap();
    // 7 unescaped pipes: the row's own cell borders, nothing from the title.
    let unescaped = row.match_indices('|').filter(|(i, _)| *i == 0 || &row[i - 1..*i] != "\\").count();
    assert_eq!(unescaped, 7, "{row}");
    assert!(row.contains("a \\| b c &lt;img src=x&gt; \\[link\\](javascript"), "{row}");
    assert!(row.starts_with("| CVE-2021-25900 |"), "a javascript: URL is not linked: {row}");
}

// ---- junit -------------------------------------------------------------------------------------

#[test]
fn junit_snapshot_and_structure() {
    let out = plain(&sample_report(), ReportFormat::Junit);
    let junit = quick_junit::Report::deserialize_from_str(&out).unwrap();
    assert_eq!((junit.tests, junit.failures, junit.errors, junit.skipped), (5, 2, 0, 1));
    let suites: Vec<&str> = junit.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(suites, ["OS packages (debian 11)", "Python (pypi)", "Rust binary /usr/local/bin/rust-app (cargo)"]);
    let failing: Vec<&str> = junit
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::NonSuccess { .. }))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failing, ["CVE-2023-0286", "CVE-2021-25900"], "high and critical fail, the rest pass");
    insta::assert_snapshot!("junit", out);
}

#[test]
fn junit_baseline_findings_pass() {
    let mut report = sample_report();
    for f in &mut report.findings {
        f.in_baseline = true;
    }
    let junit = quick_junit::Report::deserialize_from_str(&plain(&report, ReportFormat::Junit)).unwrap();
    assert_eq!(junit.failures, 0);
}

#[test]
fn junit_empty_report() {
    let out = plain(&empty_report(), ReportFormat::Junit);
    let junit = quick_junit::Report::deserialize_from_str(&out).unwrap();
    assert_eq!((junit.tests, junit.failures), (1, 0));
    assert_eq!(junit.test_suites[0].test_cases[0].name.as_str(), "no vulnerabilities");
    insta::assert_snapshot!("junit_empty", out);
}

// ---- template ----------------------------------------------------------------------------------

fn with_template(template: &str) -> RenderOptions {
    RenderOptions { template: Some(template.to_owned()), ..RenderOptions::default() }
}

#[test]
fn template_needs_a_template() {
    let err = render(&sample_report(), ReportFormat::Template, &RenderOptions::default()).unwrap_err();
    assert!(matches!(err, RenderError::NoTemplate));
}

#[test]
fn template_errors_name_the_line() {
    let err =
        render(&sample_report(), ReportFormat::Template, &with_template("ok\n\n{% for f in findings %}\n{{ f.id }"))
            .unwrap_err();
    let RenderError::Template(message) = err else { panic!("{err:?}") };
    assert!(message.starts_with("line 4: syntax error"), "{message}");
    let err = render(&sample_report(), ReportFormat::Template, &with_template("{{ summary.total | nosuchfilter }}"))
        .unwrap_err();
    let RenderError::Template(message) = err else { panic!("{err:?}") };
    assert!(message.starts_with("line 1: ") && message.contains("nosuchfilter"), "{message}");
}

#[test]
fn template_sees_the_report_and_the_filters() {
    let out = text(
        &sample_report(),
        ReportFormat::Template,
        &with_template(
            "{{ image.name }} {{ summary.total }}\n{% for f in findings %}{{ f.severity | severity_upper }} {{ f.fix | fix_text }}\n{% endfor %}",
        ),
    );
    assert_eq!(
        out,
        "oci:/images/debian11-app/oci:latest 4\nCRITICAL 1.6.1\nHIGH 1.1.1n-0+deb11u4\nMEDIUM 2.2.3\nNEGLIGIBLE won't fix\n"
    );
}

#[test]
fn template_escaping_filters() {
    let mut report = sample_report();
    report.findings[0].title = Some("say \"hi\", then | go\nhome".into());
    let template =
        "{{ findings[0].title | csv }}\n{{ findings[0].title | md }}\n{{ findings[0].cwes | join(\",\") | csv }}";
    let out = text(&report, ReportFormat::Template, &with_template(template));
    // the quoted field keeps its line break, shown as `\n` so the row stays one line (issue 23)
    assert_eq!(out, "\"say \"\"hi\"\", then | go\\nhome\"\nsay \"hi\", then \\| go home\nCWE-787");
}

#[test]
fn example_csv_template() {
    let out = text(&sample_report(), ReportFormat::Template, &with_template(CSV_TEMPLATE));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 4, "{out}");
    assert_eq!(lines[0], "id,severity,package,kind,installed,fixed,fix_state,known_exploited,location,title,url");
    assert_eq!(
        lines[1],
        "CVE-2021-25900,CRITICAL,smallvec,cargo,1.6.0,1.6.1,fixed,yes,/usr/local/bin/rust-app,\
         Buffer overflow in SmallVec::insert_many,https://rustsec.org/advisories/RUSTSEC-2021-0003.html"
    );
    assert!(lines[4].starts_with("CVE-2007-6755,NEGLIGIBLE,libssl1.1,deb,1.1.1n-0+deb11u3,,wont-fix,no,"));
    let empty = text(&empty_report(), ReportFormat::Template, &with_template(CSV_TEMPLATE));
    assert_eq!(empty.lines().count(), 1, "{empty}");
}

/// Every format renders a report with zero findings.
#[test]
fn every_owned_format_renders_an_empty_report() {
    let options = with_template(CSV_TEMPLATE);
    for format in [
        ReportFormat::Json,
        ReportFormat::Table,
        ReportFormat::Microscanner,
        ReportFormat::Markdown,
        ReportFormat::Junit,
        ReportFormat::Template,
    ] {
        for report in [empty_report(), nothing_scanned()] {
            let out = text(&report, format, &options);
            assert!(out.ends_with('\n'), "{format}");
        }
    }
}

#[test]
fn table_says_where_a_bare_reference_was_found_and_the_platform_variant() {
    let mut report = sample_report();
    report.image.name = "127.0.0.1:5000/demo/app:1".into();
    report.image.source = "registry".into();
    report.image.architecture = Some("arm64".into());
    report.image.variant = Some("v8".into());
    let table = plain(&report, ReportFormat::Table);
    let header = table.lines().find(|l| l.starts_with("Image:")).unwrap();
    assert!(header.contains("127.0.0.1:5000/demo/app:1  (from registry)  linux/arm64/v8"), "{header}");
    // A target that names its transport needs no note.
    report.image.name = "registry:127.0.0.1:5000/demo/app:1".into();
    let table = plain(&report, ReportFormat::Table);
    assert!(!table.contains("(from registry)"));
}
