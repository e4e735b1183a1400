//! The machine-readable report formats (SARIF, CycloneDX, SPDX) and the HTML page, from the
//! sample report and from a report without findings, checked by the official validators:
//!
//! - SARIF: the OASIS SARIF 2.1.0 JSON schema, as shipped inside the `serde-sarif` crate's source
//!   (`src/schema.json`, a dependency of this crate, so it is in the cargo registry wherever this
//!   test builds), validated with the `jsonschema` crate. `MICROSCANNER_SARIF_SCHEMA=FILE` names
//!   another copy. Also, when installed, Microsoft's SARIF multitool (`npm install -g
//!   @microsoft/sarif-multitool`, or `SARIF_MULTITOOL=PATH`) with its SARIF and GitHub rules.
//! - CycloneDX 1.6: `cyclonedx-python-lib[json-validation]` (PyPI), strict JSON schema.
//! - SPDX 2.3: `pyspdxtools` (PyPI `spdx-tools`).
//!
//! A missing validator is a skip note, and a failure under `CI` (the multitool excepted: it is an
//! extra).

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report; skip notes
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use microscanner_model::{Inventory, Report, Severity, Summary};
use microscanner_report::{RenderOptions, ReportFormat, SbomFormat, SbomMeta, render, sbom_document};
use microscanner_testkit::sample_report;
use serde_json::Value;

fn bytes(report: &Report, format: ReportFormat) -> Vec<u8> {
    render(report, format, &RenderOptions::default()).unwrap()
}

fn doc(report: &Report, format: ReportFormat) -> Value {
    serde_json::from_slice(&bytes(report, format)).unwrap()
}

fn html(report: &Report) -> String {
    String::from_utf8(bytes(report, ReportFormat::Html)).unwrap()
}

/// The sample report with every finding removed: a clean scan.
fn empty_report() -> Report {
    let mut r = sample_report();
    r.findings.clear();
    r.suppressed.clear();
    r.summary = Summary::count(&[], 0);
    r.policy.failing = 0;
    r.policy.failed = false;
    r.coverage.complete = true;
    r.coverage.skipped.clear();
    r
}

/// The sample report with attacker-chosen strings where the image supplies them.
fn hostile_report() -> Report {
    let mut r = sample_report();
    let evil = "<script>alert(1)</script>";
    let f = &mut r.findings[0];
    f.package.name = evil.into();
    f.package.version = "1.0\"><img src=x onerror=alert(2)>".into();
    f.package.location = "/usr/local/bin/<b>x y</b>".into();
    f.primary_url = Some("javascript:alert(3)".into());
    f.title = Some("</td></tr></table><script src=\"https://evil.invalid/x.js\"></script>".into());
    if let Some(layer) = &mut f.package.layer {
        std::sync::Arc::make_mut(layer).created_by = Some("RUN echo '<style>body{display:none}</style>'".into());
    }
    r.packages[3].name = evil.into();
    r.packages[3].version = f.package.version.as_str().into();
    r.packages[3].set_location(f.package.location.as_str());
    r.image.layers[2].created_by = Some("RUN echo '<style>body{display:none}</style>'".into());
    r.image.name = "oci:/x<iframe src=https://evil.invalid>".into();
    r.coverage.skipped[0].reason = "<a href=https://evil.invalid>click</a>".into();
    r
}

/// Every finding, shown then suppressed.
fn all_findings(r: &Report) -> Vec<&microscanner_model::Finding> {
    r.findings.iter().chain(&r.suppressed).collect()
}

/// Writes a document to a file under cargo's per-test temporary directory.
fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("formats_machine-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Whether a validator is there; under `CI` its absence fails the test.
fn present(ok: bool, what: &str) -> bool {
    assert!(ok || std::env::var_os("CI").is_none(), "CI is set but {what} is not available");
    if !ok {
        eprintln!("note: {what} not available; skipping its validation");
    }
    ok
}

// ---------------------------------------------------------------------------------------------
// SARIF

/// The SARIF 2.1.0 schema: `MICROSCANNER_SARIF_SCHEMA`, else `serde-sarif`'s copy in the cargo
/// registry (the version in Cargo.lock).
fn sarif_schema() -> Option<Value> {
    if let Some(path) = std::env::var_os("MICROSCANNER_SARIF_SCHEMA") {
        return Some(serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap());
    }
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock")).ok()?;
    let version = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"serde-sarif\""))?
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))?
        .trim_end_matches('"')
        .to_owned();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    let registries = std::fs::read_dir(cargo_home.join("registry/src")).ok()?;
    let path = registries
        .filter_map(Result::ok)
        .map(|e| e.path().join(format!("serde-sarif-{version}/src/schema.json")))
        .find(|p| p.is_file())?;
    Some(serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
}

fn validate_sarif(sarif: &Value) {
    let schema = sarif_schema();
    if !present(schema.is_some(), "the SARIF 2.1.0 schema (serde-sarif's src/schema.json)") {
        return;
    }
    let schema = schema.unwrap();
    assert!(schema["title"].as_str().unwrap().contains("SARIF") && schema["title"].as_str().unwrap().contains("2.1.0"));
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(sarif).map(|e| format!("{}: {e}", e.instance_path)).collect();
    assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
}

/// Microsoft's SARIF multitool, when installed: `validate` with its SARIF and GitHub rules; any
/// `error` result fails.
fn multitool_validate(name: &str, bytes: &[u8]) {
    let tool = std::env::var("SARIF_MULTITOOL").unwrap_or_else(|_| "sarif-multitool".into());
    if Command::new(&tool).arg("--version").output().is_err() {
        eprintln!("note: {tool} not installed (npm install -g @microsoft/sarif-multitool); skipping it");
        return;
    }
    let input = temp_file(&format!("{name}.sarif"), bytes);
    let output = input.with_extension("validation.sarif");
    // no `;` and the paths last but one: npm's `sarif-multitool` shim runs the tool through a shell
    let out = Command::new(&tool)
        .arg("validate")
        .arg(&input)
        .args(["--log", "ForceOverwrite", "--rule-kind", "Sarif", "Gh", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let log: Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    std::fs::remove_file(&input).unwrap();
    std::fs::remove_file(&output).unwrap();
    let findings: Vec<String> = log["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| format!("{} {} {}", r["level"], r["ruleId"], r["message"]))
        .collect();
    let errors: Vec<&String> = findings.iter().filter(|f| f.starts_with("\"error\"")).collect();
    assert!(errors.is_empty(), "multitool errors: {errors:#?}");
    for f in &findings {
        eprintln!("multitool: {f}");
    }
}

#[test]
fn sarif_has_a_result_per_finding_with_rules_levels_and_suppressions() {
    let report = sample_report();
    let sarif = doc(&report, ReportFormat::Sarif);
    validate_sarif(&sarif);
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"].as_array().unwrap().len(), 1);
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "microscanner");
    assert_eq!(driver["version"], report.generator.version);
    // the crate's `repository`, when its Cargo.toml has one
    assert!(driver.get("informationUri").is_none_or(|u| u.as_str().unwrap().starts_with("http")));
    let rules = driver["rules"].as_array().unwrap();
    let ids: HashSet<&str> = all_findings(&report).iter().map(|f| f.id.as_str()).collect();
    assert_eq!(rules.len(), ids.len(), "one rule per vulnerability id");
    for rule in rules {
        assert!(ids.contains(rule["id"].as_str().unwrap()));
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.contains(&"vulnerability".into()) && tags.contains(&"security".into()));
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("| Package | Installed | Fixed |"));
    }
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    // the CVSS score of the rating the severity came from, as GitHub reads it
    assert_eq!(rule("CVE-2021-25900")["properties"]["security-severity"], "9.8");
    assert_eq!(rule("CVE-2023-0286")["properties"]["security-severity"], "7.4");
    assert_eq!(rule("CVE-2023-0286")["helpUri"], "https://security-tracker.debian.org/tracker/CVE-2023-0286");
    assert_eq!(rule("CVE-2023-0286")["shortDescription"]["text"], "X.400 address type confusion in X.509 GeneralName");
    // a vendor-rated medium gets the middle of GitHub's medium band; negligible gets none
    assert_eq!(rule("CVE-2019-12781")["properties"]["security-severity"], "5.5");
    assert!(rule("CVE-2007-6755")["properties"].get("security-severity").is_none());

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len() + report.suppressed.len());
    let mut fingerprints = HashSet::new();
    for (f, r) in all_findings(&report).iter().zip(results) {
        assert_eq!(r["ruleId"], f.id.as_str());
        assert_eq!(rules[usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap()]["id"], f.id.as_str());
        let want = match f.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], want, "{}", f.id);
        let message = r["message"]["text"].as_str().unwrap();
        assert!(message.contains(&f.package.name) && message.contains(&f.package.version), "{message}");
        for v in &f.fix.versions {
            assert!(message.contains(v.as_str()), "{message}");
        }
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(uri, f.package.location.trim_start_matches('/'));
        assert!(fingerprints.insert(r["partialFingerprints"].to_string()), "fingerprints are distinct");
        assert_eq!(r.get("suppressions").is_some(), f.suppression.is_some(), "{}", f.id);
    }
    let suppressed = results.iter().find(|r| r["ruleId"] == "CVE-2019-19118").unwrap();
    assert_eq!(suppressed["suppressions"][0]["kind"], "external");
    let justification = suppressed["suppressions"][0]["justification"].as_str().unwrap();
    assert!(justification.contains("the admin site is disabled"), "{justification}");
    assert!(justification.contains("vulnerable_code_not_in_execute_path"), "{justification}");

    // fingerprints depend on the finding, not on the run
    let mut later = sample_report();
    later.created_at = "2027-01-01T00:00:00Z".into();
    later.findings[0].package.version = "1.6.0-patched".into();
    let again = doc(&later, ReportFormat::Sarif);
    assert_eq!(again["runs"][0]["results"][0]["partialFingerprints"], results[0]["partialFingerprints"]);

    insta::assert_json_snapshot!("sarif_sample", sarif);
    multitool_validate("sample", &bytes(&report, ReportFormat::Sarif));
}

#[test]
fn sarif_without_findings() {
    let sarif = doc(&empty_report(), ReportFormat::Sarif);
    validate_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"], Value::Array(vec![]));
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["rules"], Value::Array(vec![]));
    insta::assert_json_snapshot!("sarif_empty", sarif);
}

#[test]
fn sarif_of_hostile_strings_is_still_valid() {
    let sarif = doc(&hostile_report(), ReportFormat::Sarif);
    validate_sarif(&sarif);
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str();
    assert_eq!(uri, Some("usr/local/bin/%3Cb%3Ex%20y%3C/b%3E"));
    let rule = &sarif["runs"][0]["tool"]["driver"]["rules"][0];
    assert!(rule.get("helpUri").is_none(), "a javascript: URL is no help link");
    assert!(!rule["help"]["markdown"].as_str().unwrap().contains("<script>"));
    multitool_validate("hostile", &bytes(&hostile_report(), ReportFormat::Sarif));
}

// ---------------------------------------------------------------------------------------------
// CycloneDX and SPDX

/// The inventory `microscanner sbom` would have written for the report's image.
fn inventory_of(r: &Report) -> Inventory {
    Inventory {
        image: r.image.clone(),
        os: r.os.clone(),
        packages: r.packages.clone(),
        diagnostics: vec![],
        dependencies: vec![],
    }
}

fn sbom_of(r: &Report, format: SbomFormat) -> Value {
    let meta = SbomMeta { tool_version: r.generator.version.clone(), created: r.created_at.clone() };
    sbom_document(&inventory_of(r), format, &meta)
}

fn python_validators_present() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import cyclonedx.validation.json, spdx_tools"])
        .status()
        .is_ok_and(|s| s.success());
    present(ok, "cyclonedx-python-lib[json-validation] / spdx-tools (pip)")
}

fn validate_cyclonedx(name: &str, bytes: &[u8]) {
    if !python_validators_present() {
        return;
    }
    let file = temp_file(&format!("{name}.cdx.json"), bytes);
    let script = "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\n\
                  e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
                  sys.exit(f'invalid CycloneDX: {e}' if e else 0)";
    let out = Command::new("python3").args(["-c", script]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(file).unwrap();
}

fn validate_spdx(name: &str, bytes: &[u8]) {
    if !python_validators_present() {
        return;
    }
    let file = temp_file(&format!("{name}.spdx.json"), bytes);
    let out = Command::new("pyspdxtools").arg("-i").arg(&file).output().unwrap();
    std::fs::remove_file(&file).unwrap();
    assert!(
        out.status.success(),
        "{name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cyclonedx_is_the_sbom_plus_a_vulnerability_per_finding() {
    let report = sample_report();
    let bytes = bytes(&report, ReportFormat::Cyclonedx);
    validate_cyclonedx("sample", &bytes);
    let cdx: Value = serde_json::from_slice(&bytes).unwrap();
    let sbom = sbom_of(&report, SbomFormat::CycloneDx);
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["components"], sbom["components"], "the components of `microscanner sbom`");
    assert_eq!(cdx["metadata"], sbom["metadata"]);
    assert_ne!(cdx["serialNumber"], sbom["serialNumber"], "a different document, a different serial");
    let refs: HashSet<&str> =
        cdx["components"].as_array().unwrap().iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();

    let vulns = cdx["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), report.findings.len() + report.suppressed.len());
    let mut bom_refs = HashSet::new();
    for (f, v) in all_findings(&report).iter().zip(vulns) {
        assert_eq!(v["id"], f.id.as_str());
        assert!(bom_refs.insert(v["bom-ref"].as_str().unwrap()), "vulnerability bom-refs are unique");
        let affects = v["affects"].as_array().unwrap();
        assert_eq!(affects.len(), 1);
        let component = affects[0]["ref"].as_str().unwrap();
        assert!(refs.contains(component), "{component} is a component");
        let c = cdx["components"].as_array().unwrap().iter().find(|c| c["bom-ref"] == component).unwrap();
        assert_eq!(c["purl"], f.package.purl.as_str());
        assert_eq!(affects[0]["versions"][0]["version"], f.package.version.as_str());
        let references: Vec<&str> =
            v["references"].as_array().into_iter().flatten().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(references, f.aliases.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(!v["ratings"].as_array().unwrap().is_empty());
        assert_eq!(v.get("analysis").is_some(), f.suppression.is_some());
    }
    let vuln = |id: &str| vulns.iter().find(|v| v["id"] == id).unwrap();
    let openssl = vuln("CVE-2023-0286");
    assert_eq!(openssl["source"]["name"], "NVD");
    assert_eq!(openssl["ratings"][0]["method"], "CVSSv31");
    assert_eq!(openssl["ratings"][0]["score"], 7.4);
    assert_eq!(openssl["ratings"][0]["severity"], "high");
    assert_eq!(openssl["ratings"][0]["vector"], "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H");
    assert_eq!(openssl["recommendation"], "Upgrade libssl1.1 to 1.1.1n-0+deb11u4 or later.");
    assert_eq!(openssl["advisories"][0]["url"], "https://security-tracker.debian.org/tracker/CVE-2023-0286");
    assert_eq!(openssl["published"], "2023-02-08T20:15:00Z");
    assert_eq!(openssl["affects"][0]["versions"][0]["status"], "affected");
    assert_eq!(vuln("CVE-2021-25900")["cwes"], serde_json::json!([787]));
    assert_eq!(vuln("CVE-2007-6755")["ratings"][0]["severity"], "info", "negligible is info");
    assert_eq!(vuln("CVE-2007-6755")["ratings"][0]["method"], "other");

    let vex = vuln("CVE-2019-19118");
    assert_eq!(vex["analysis"]["state"], "not_affected");
    assert_eq!(vex["analysis"]["justification"], "code_not_reachable");
    assert_eq!(vex["analysis"]["detail"], "the admin site is disabled");
    assert_eq!(vex["affects"][0]["versions"][0]["status"], "unaffected");

    insta::assert_json_snapshot!("cyclonedx_sample_vulnerabilities", cdx["vulnerabilities"]);
}

#[test]
fn cyclonedx_without_findings_and_with_hostile_strings() {
    let report = empty_report();
    let bytes = bytes(&report, ReportFormat::Cyclonedx);
    validate_cyclonedx("empty", &bytes);
    let cdx: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(cdx["vulnerabilities"], Value::Array(vec![]));
    assert_eq!(cdx["components"], sbom_of(&report, SbomFormat::CycloneDx)["components"]);
    validate_cyclonedx("hostile", &self::bytes(&hostile_report(), ReportFormat::Cyclonedx));
}

/// An ignore-file entry is an accepted risk: SARIF suppresses it, CycloneDX says exploitable,
/// will not fix, with the reason.
#[test]
fn ignore_file_suppressions() {
    let mut report = sample_report();
    let s = report.suppressed[0].suppression.as_mut().unwrap();
    s.kind = microscanner_model::SuppressionKind::IgnoreFile;
    s.source = ".microscanner-ignore.yaml".into();
    s.reason = Some("tracked in SEC-123".into());
    s.status = None;
    s.justification = None;
    s.expires = Some("2026-12-31".into());
    let sarif = doc(&report, ReportFormat::Sarif);
    validate_sarif(&sarif);
    let suppression = &sarif["runs"][0]["results"][4]["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    let justification = suppression["justification"].as_str().unwrap();
    assert!(justification.contains("tracked in SEC-123") && justification.contains("2026-12-31"), "{justification}");
    let bytes = bytes(&report, ReportFormat::Cyclonedx);
    validate_cyclonedx("ignored", &bytes);
    let cdx: Value = serde_json::from_slice(&bytes).unwrap();
    let analysis = &cdx["vulnerabilities"][4]["analysis"];
    assert_eq!(analysis["state"], "exploitable");
    assert_eq!(analysis["response"], serde_json::json!(["will_not_fix"]));
    assert_eq!(analysis["detail"], "tracked in SEC-123");
    assert!(analysis.get("justification").is_none());
    validate_spdx("ignored", &self::bytes(&report, ReportFormat::Spdx));
}

/// A finding whose package is not in the report's package list still gets a component.
#[test]
fn findings_on_unlisted_packages_get_components() {
    let mut report = sample_report();
    report.packages.retain(|p| p.name != "smallvec");
    let cdx = doc(&report, ReportFormat::Cyclonedx);
    let refs: HashSet<&str> =
        cdx["components"].as_array().unwrap().iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
    for v in cdx["vulnerabilities"].as_array().unwrap() {
        assert!(refs.contains(v["affects"][0]["ref"].as_str().unwrap()));
    }
    let spdx = doc(&report, ReportFormat::Spdx);
    assert!(spdx["packages"].as_array().unwrap().iter().any(|p| p["name"] == "smallvec"));
    validate_cyclonedx("unlisted", &bytes(&report, ReportFormat::Cyclonedx));
}

/// The `SECURITY`/`advisory` references of an SPDX package.
fn advisories(package: &Value) -> Vec<&Value> {
    package["externalRefs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["referenceCategory"] == "SECURITY" && r["referenceType"] == "advisory")
        .collect()
}

#[test]
fn spdx_is_the_sbom_plus_advisory_references() {
    let report = sample_report();
    let bytes = bytes(&report, ReportFormat::Spdx);
    validate_spdx("sample", &bytes);
    let spdx: Value = serde_json::from_slice(&bytes).unwrap();
    let sbom = sbom_of(&report, SbomFormat::Spdx);
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["relationships"], sbom["relationships"]);
    assert_eq!(spdx["creationInfo"], sbom["creationInfo"]);
    let namespace = spdx["documentNamespace"].as_str().unwrap();
    assert_ne!(namespace, sbom["documentNamespace"], "a different document, a different namespace");
    assert!(namespace.starts_with("https://microscanner.invalid/spdx/"), "{namespace}");
    let packages = spdx["packages"].as_array().unwrap();
    let sbom_packages = sbom["packages"].as_array().unwrap();
    assert_eq!(packages.len(), sbom_packages.len());
    for (p, s) in packages.iter().zip(sbom_packages) {
        // the same package once the advisories are taken out
        let mut p = p.clone();
        if let Some(refs) = p.get_mut("externalRefs").and_then(Value::as_array_mut) {
            refs.retain(|r| r["referenceType"] != "advisory");
        }
        assert_eq!(&p, s);
    }
    for f in all_findings(&report) {
        let package = packages
            .iter()
            .find(|p| p["name"] == f.package.name.as_str() && p["versionInfo"] == f.package.version.as_str())
            .unwrap();
        let refs = advisories(package);
        let r = refs.iter().find(|r| r["comment"].as_str().unwrap().starts_with(&f.id)).unwrap();
        let locator = r["referenceLocator"].as_str().unwrap();
        match &f.primary_url {
            Some(url) => assert_eq!(locator, url),
            None => assert!(locator.starts_with("https://") && locator.contains(&f.id), "{locator}"),
        }
    }
    let django = packages.iter().find(|p| p["name"] == "Django").unwrap();
    assert_eq!(advisories(django).len(), 2);
    let vex =
        advisories(django).into_iter().find(|r| r["comment"].as_str().unwrap().starts_with("CVE-2019-19118")).unwrap();
    assert!(vex["comment"].as_str().unwrap().contains("not_affected"), "{vex}");
    let bash = packages.iter().find(|p| p["name"] == "bash").unwrap();
    assert!(advisories(bash).is_empty());
}

#[test]
fn spdx_without_findings_and_with_hostile_strings() {
    let report = empty_report();
    let bytes = bytes(&report, ReportFormat::Spdx);
    validate_spdx("empty", &bytes);
    let spdx: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(spdx["packages"].as_array().unwrap().iter().all(|p| advisories(p).is_empty()));
    validate_spdx("hostile", &self::bytes(&hostile_report(), ReportFormat::Spdx));
}

// ---------------------------------------------------------------------------------------------
// HTML

/// Keeps a page for a person to look at when `MICROSCANNER_HTML_OUT=DIR` is set.
fn keep_page(name: &str, page: &str) {
    if let Some(dir) = std::env::var_os("MICROSCANNER_HTML_OUT") {
        std::fs::write(Path::new(&dir).join(name), page).unwrap();
    }
}

/// Nothing in the page loads from anywhere: no external script, style, image or frame.
fn assert_self_contained(page: &str) {
    let lower = page.to_ascii_lowercase();
    for needle in ["<script src", "<link", "<iframe", "<img", "@import", "url(", "<object", "<embed"] {
        assert!(!lower.contains(needle), "the page contains {needle:?}");
    }
    assert_eq!(lower.matches("<script").count(), 1, "one inline script");
    assert_eq!(lower.matches("<style").count(), 1, "one inline style");
    assert!(lower.contains("content-security-policy") && lower.contains("default-src 'none'"));
}

#[test]
fn html_shows_every_finding_layers_suppressions_and_coverage() {
    let report = sample_report();
    let page = html(&report);
    keep_page("sample.html", &page);
    assert_self_contained(&page);
    assert!(page.starts_with("<!DOCTYPE html>"));
    for f in all_findings(&report) {
        assert!(page.contains(&f.id), "{} is on the page", f.id);
    }
    // header
    assert!(page.contains(&report.image.name));
    assert!(page.contains("Debian GNU/Linux 11 (bullseye)"));
    assert!(page.contains("2026-11-23T06:00:00Z"), "database date");
    assert!(page.contains("Policy: FAILED: 2 findings at or above high"));
    // the chart: a bar per severity
    assert!(page.contains("<svg class=\"chart\""));
    for sev in ["critical", "high", "medium", "low", "negligible", "unknown"] {
        assert!(page.contains(&format!("class=\"fill-{sev}\"")), "{sev} bar");
    }
    // sortable table
    assert!(page.contains("<table class=\"sortable\" id=\"findings-table\">"));
    // layers, with their history lines, each holding its findings
    let layers =
        &page[page.find("<section id=\"layers\">").unwrap()..page.find("<section id=\"suppressed\">").unwrap()];
    for line in ["debootstrap bullseye", "RUN apt-get install -y python3 openssl", "COPY app /app"] {
        assert!(layers.contains(line), "{line}");
    }
    let layer = |i: usize| {
        let start = layers.find(&format!("<li id=\"layer-{i}\">")).unwrap();
        let rest = &layers[start + 1..];
        &rest[..rest.find("<li id=\"layer-").unwrap_or(rest.len())]
    };
    assert!(layer(1).contains("CVE-2023-0286") && layer(1).contains("CVE-2007-6755"));
    assert!(layer(2).contains("CVE-2021-25900") && layer(2).contains("CVE-2019-12781"));
    assert!(layer(0).contains("no findings"));
    // suppressed with their reasons
    let suppressed =
        &page[page.find("<section id=\"suppressed\">").unwrap()..page.find("<section id=\"coverage\">").unwrap()];
    assert!(suppressed.contains("CVE-2019-19118"));
    assert!(suppressed.contains("the admin site is disabled"));
    assert!(suppressed.contains("vulnerable_code_not_in_execute_path"));
    assert!(!layers.contains("CVE-2019-19118"), "suppressed findings are not among the layers' findings");
    // coverage
    let coverage = &page[page.find("<section id=\"coverage\">").unwrap()..];
    assert!(
        coverage.contains("/usr/local/bin/stripped-tool") && coverage.contains("Go binary without build information")
    );
    assert!(page.contains("Incomplete scan"));
    // dark and light
    assert!(page.contains("prefers-color-scheme: dark"));
}

#[test]
fn html_without_findings() {
    let page = html(&empty_report());
    keep_page("empty.html", &page);
    assert_self_contained(&page);
    assert!(page.contains("No vulnerabilities found"));
    assert!(page.contains("Policy: passed"));
    assert!(!page.contains("Incomplete scan"));
    for line in ["debootstrap bullseye", "COPY app /app"] {
        assert!(page.contains(line), "{line}");
    }
}

#[test]
fn html_escapes_every_string_from_the_image() {
    let page = html(&hostile_report());
    keep_page("hostile.html", &page);
    assert_self_contained(&page);
    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("onerror=alert(2)>"));
    assert!(!page.contains("javascript:"), "no link from a javascript: URL");
    assert!(!page.contains("<style>body{display:none}"));
    assert!(page.contains("&lt;style&gt;body{display:none}&lt;/style&gt;"));
    assert!(!page.contains("<iframe") && !page.contains("<a href=https://evil.invalid>"));
    assert!(!page.contains("<b>x y</b>"));
}

#[test]
fn every_format_is_deterministic() {
    for report in [sample_report(), empty_report()] {
        for format in [ReportFormat::Sarif, ReportFormat::Cyclonedx, ReportFormat::Spdx, ReportFormat::Html] {
            assert_eq!(bytes(&report, format), bytes(&report, format), "{format}");
        }
    }
}

/// An SBOM with licences (one SPDX expression, several joined, a name SPDX has no id for) and a
/// dependency graph still validates, and carries both as each format says: CycloneDX `expression`
/// vs `license.name` and `dependencies`; SPDX `licenseDeclared` (NOASSERTION for a name) and
/// `DEPENDS_ON` relationships.
#[test]
fn sboms_with_licences_and_a_dependency_graph_validate() {
    use microscanner_model::{Package, PackageKind};
    let report = sample_report();
    let mut inventory = inventory_of(&report);
    let deb = |name: &str, licenses: &[&str]| {
        Package::new(PackageKind::Deb, name, "1.0-1")
            .with_purl(format!("pkg:deb/debian/{name}@1.0-1?arch=amd64"))
            .with_location("/var/lib/dpkg/status")
            .with_licenses(licenses.iter().map(|l| (*l).to_owned()).collect())
    };
    inventory.packages = vec![
        deb("apt", &["GPL-2.0-or-later AND (BSD-3-Clause OR MIT)"]),
        deb("libc6", &["LGPL-2.1-or-later", "GPL-2.0-or-later"]),
        deb("tzdata", &["public-domain"]),
        deb("zlib1g", &[]),
    ];
    inventory.dependencies = vec![[0, 1], [0, 2], [1, 2]];
    let meta = SbomMeta { tool_version: "0.1.0".into(), created: "2026-12-07T00:00:00Z".into() };
    let cdx = sbom_document(&inventory, SbomFormat::CycloneDx, &meta);
    validate_cyclonedx("graph", serde_json::to_string(&cdx).unwrap().as_bytes());
    let components = cdx["components"].as_array().unwrap();
    let component = |name: &str| components.iter().find(|c| c["name"] == name).unwrap();
    assert_eq!(
        component("apt")["licenses"],
        serde_json::json!([{ "expression": "GPL-2.0-or-later AND (BSD-3-Clause OR MIT)" }])
    );
    assert_eq!(
        component("libc6")["licenses"],
        serde_json::json!([{ "expression": "LGPL-2.1-or-later AND GPL-2.0-or-later" }])
    );
    assert_eq!(component("tzdata")["licenses"], serde_json::json!([{ "license": { "name": "public-domain" } }]));
    assert!(component("zlib1g").get("licenses").is_none());
    let apt_ref = component("apt")["bom-ref"].clone();
    let dependencies = cdx["dependencies"].as_array().unwrap();
    assert_eq!(dependencies.len(), 2, "apt and libc6 depend on something; the others say nothing");
    assert_eq!(dependencies[0]["ref"], apt_ref);
    assert_eq!(
        dependencies[0]["dependsOn"],
        serde_json::json!([component("libc6")["bom-ref"], component("tzdata")["bom-ref"]])
    );

    let spdx = sbom_document(&inventory, SbomFormat::Spdx, &meta);
    validate_spdx("graph", serde_json::to_string(&spdx).unwrap().as_bytes());
    let packages = spdx["packages"].as_array().unwrap();
    let package = |name: &str| packages.iter().find(|p| p["name"] == name).unwrap();
    assert_eq!(package("libc6")["licenseDeclared"], "LGPL-2.1-or-later AND GPL-2.0-or-later");
    assert_eq!(package("tzdata")["licenseDeclared"], "NOASSERTION");
    assert_eq!(package("apt")["licenseConcluded"], "NOASSERTION", "no one reviewed it");
    let depends_on: Vec<(&str, &str)> = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .map(|r| (r["spdxElementId"].as_str().unwrap(), r["relatedSpdxElement"].as_str().unwrap()))
        .collect();
    let id = |name: &str| package(name)["SPDXID"].as_str().unwrap();
    assert_eq!(depends_on, [(id("apt"), id("libc6")), (id("apt"), id("tzdata")), (id("libc6"), id("tzdata"))]);
}

/// Every id of the SPDX licence list our ids come from, alone and as `GPL-2.0-or-later WITH`
/// each exception, gives an SPDX document the official validator accepts: ids it does not know
/// yet are written as defined `LicenseRef-`s (e2fsprogs' `BSD-3-Clause-Tso` made Debian 11's
/// documents invalid before).
#[test]
fn every_licence_of_the_list_gives_a_document_the_validator_accepts() {
    use microscanner_model::{Package, PackageKind};
    let mut inventory = inventory_of(&sample_report());
    let expressions = spdx::identifiers::LICENSES
        .iter()
        .map(|l| l.name.to_owned())
        .chain(spdx::identifiers::EXCEPTIONS.iter().map(|e| format!("GPL-2.0-or-later WITH {}", e.name)));
    inventory.packages = expressions
        .enumerate()
        .map(|(i, expression)| {
            Package::new(PackageKind::Deb, format!("p{i}"), "1.0-1")
                .with_purl(format!("pkg:deb/debian/p{i}@1.0-1?arch=amd64"))
                .with_location("/var/lib/dpkg/status")
                .with_licenses(vec![expression])
        })
        .collect();
    let meta = SbomMeta { tool_version: "0.1.0".into(), created: "2026-12-07T00:00:00Z".into() };
    let spdx = sbom_document(&inventory, SbomFormat::Spdx, &meta);
    validate_spdx("every-licence", serde_json::to_string(&spdx).unwrap().as_bytes());
    let declared = |name: &str| {
        let packages = spdx["packages"].as_array().unwrap();
        let id = spdx::identifiers::LICENSES.iter().position(|l| l.name == name).unwrap();
        packages.iter().find(|p| p["name"] == format!("p{id}")).unwrap()["licenseDeclared"].clone()
    };
    assert_eq!(declared("MIT"), "MIT");
    assert_eq!(declared("BSD-3-Clause-Tso"), "LicenseRef-BSD-3-Clause-Tso");
    let infos = spdx["hasExtractedLicensingInfos"].as_array().unwrap();
    assert!(infos.iter().any(|i| i["licenseId"] == "LicenseRef-BSD-3-Clause-Tso"), "{infos:?}");
    assert_eq!(spdx["creationInfo"]["licenseListVersion"].as_str().unwrap().matches('.').count(), 1);
}

/// The inventory of a built test image (`None`, with a note, when the images are not built;
/// a failure under CI).
fn image_inventory(image: &str, archive: &str) -> Option<Inventory> {
    let tar = microscanner_testkit::images_dir()?.join(image).join(archive);
    if !microscanner_testkit::require(tar.exists(), &tar.display().to_string()) {
        return None;
    }
    let kind = if archive.starts_with("oci") { "oci-archive" } else { "docker-archive" };
    let image = microscanner_image::open(&format!("{kind}:{}", tar.display()), &Default::default()).unwrap();
    let analyzers = microscanner_catalog::default_analyzers();
    Some(microscanner_catalog::build_inventory(&image, &analyzers, &Default::default(), &|_| {}).unwrap())
}

/// The real debian12-app, with its licences and its dependency graph, gives SBOMs that the
/// official validators accept.
#[test]
fn debian12_app_sboms_with_licences_and_graph_validate() {
    let Some(inventory) = image_inventory("debian12-app", "docker-archive.tar") else { return };
    assert!(inventory.dependencies.len() > 300, "{} edges", inventory.dependencies.len());
    let meta = SbomMeta { tool_version: "0.1.0".into(), created: "2026-12-07T00:00:00Z".into() };
    let cdx = sbom_document(&inventory, SbomFormat::CycloneDx, &meta);
    validate_cyclonedx("debian12-app", serde_json::to_string(&cdx).unwrap().as_bytes());
    let with_licences = cdx["components"].as_array().unwrap().iter().filter(|c| c.get("licenses").is_some()).count();
    assert!(with_licences > 150, "{with_licences} components with licences");
    let spdx = sbom_document(&inventory, SbomFormat::Spdx, &meta);
    validate_spdx("debian12-app", serde_json::to_string(&spdx).unwrap().as_bytes());
}

/// The real debian11-app: its free-form copyright files name licences newer than the
/// validators' list (libuuid's `BSD-3-Clause-Tso`), and both documents still validate.
#[test]
fn debian11_app_sboms_validate() {
    let Some(inventory) = image_inventory("debian11-app", "docker-archive.tar") else { return };
    let tso = inventory.packages.iter().filter(|p| p.licenses().iter().any(|l| l.contains("BSD-3-Clause-Tso"))).count();
    assert!(tso > 0, "e2fsprogs' licence text is matched");
    let meta = SbomMeta { tool_version: "0.1.0".into(), created: "2026-12-07T00:00:00Z".into() };
    let cdx = sbom_document(&inventory, SbomFormat::CycloneDx, &meta);
    validate_cyclonedx("debian11-app", serde_json::to_string(&cdx).unwrap().as_bytes());
    let spdx = sbom_document(&inventory, SbomFormat::Spdx, &meta);
    validate_spdx("debian11-app", serde_json::to_string(&spdx).unwrap().as_bytes());
}

/// On podman-app, `requests` and `lodash` were removed after their lockfiles were written:
/// declared only, which CycloneDX says with `scope: excluded` and SPDX with no `CONTAINS`.
#[test]
fn podman_app_declared_only_packages_are_marked_in_both_formats() {
    let Some(inventory) = image_inventory("podman-app", "oci-archive.tar") else { return };
    let meta = SbomMeta { tool_version: "0.1.0".into(), created: "2026-12-07T00:00:00Z".into() };
    let cdx = sbom_document(&inventory, SbomFormat::CycloneDx, &meta);
    validate_cyclonedx("podman-app", serde_json::to_string(&cdx).unwrap().as_bytes());
    let components = cdx["components"].as_array().unwrap();
    for name in ["requests", "lodash"] {
        let found: Vec<_> = components.iter().filter(|c| c["name"] == name).collect();
        assert!(!found.is_empty(), "{name} is listed");
        assert!(found.iter().all(|c| c["scope"] == "excluded"), "{name}: {found:?}");
    }
    let express = components.iter().find(|c| c["name"] == "express").unwrap();
    assert!(express.get("scope").is_none(), "installed packages keep the default scope");

    let spdx = sbom_document(&inventory, SbomFormat::Spdx, &meta);
    validate_spdx("podman-app", serde_json::to_string(&spdx).unwrap().as_bytes());
    let ids: HashSet<&str> = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "lodash" || p["name"] == "requests")
        .map(|p| p["SPDXID"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    for r in spdx["relationships"].as_array().unwrap() {
        let (from, to) = (r["spdxElementId"].as_str().unwrap(), r["relatedSpdxElement"].as_str().unwrap());
        if ids.contains(to) {
            assert_ne!(r["relationshipType"], "CONTAINS", "{r}");
        }
        if ids.contains(from) && to == "SPDXRef-Image" {
            assert_eq!(r["relationshipType"], "OPTIONAL_DEPENDENCY_OF", "{r}");
        }
    }
}

/// Issue 22, item 4: the image's identity (digests, repo digest, labels, base-image annotations),
/// the OS's CPE and a binary's sha256 in both SBOM formats, which still pass the validators.
#[test]
fn sboms_carry_image_identity_os_cpe_and_file_hashes() {
    let report = sample_report();
    let mut inventory = inventory_of(&report);
    let manifest = format!("sha256:{}", "a".repeat(64));
    inventory.image.manifest_digest = Some(manifest.clone());
    inventory.image.repo_digests = vec![format!("ghcr.io/acme/Shop@{manifest}")];
    inventory.image.labels.insert("org.opencontainers.image.source".into(), "https://example.com/shop".into());
    inventory
        .image
        .annotations
        .insert("org.opencontainers.image.base.name".into(), "docker.io/library/debian:12".into());
    inventory
        .image
        .annotations
        .insert("org.opencontainers.image.base.digest".into(), format!("sha256:{}", "c".repeat(64)));
    let binary = microscanner_model::Package::new(microscanner_model::PackageKind::Golang, "stdlib", "go1.24.1")
        .with_location("/usr/local/bin/cbt")
        .with_sha256(Some([0xd0; 32]));
    inventory.packages.push(binary);
    let meta = SbomMeta { tool_version: "0.1.0".into(), created: report.created_at.clone() };

    let cdx = sbom_document(&inventory, SbomFormat::CycloneDx, &meta);
    let image = &cdx["metadata"]["component"];
    assert_eq!(image["hashes"], serde_json::json!([{ "alg": "SHA-256", "content": "a".repeat(64) }]));
    assert_eq!(
        image["purl"],
        format!("pkg:oci/shop@sha256:{}?arch=amd64&repository_url=ghcr.io%2Facme%2FShop", "a".repeat(64))
    );
    let property = |name: &str| {
        image["properties"].as_array().unwrap().iter().find(|p| p["name"] == name).map(|p| p["value"].clone())
    };
    assert_eq!(
        property("microscanner:image:label:org.opencontainers.image.source").unwrap(),
        "https://example.com/shop"
    );
    assert_eq!(property("microscanner:image:repo_digest").unwrap(), format!("ghcr.io/acme/Shop@{manifest}"));
    let base = &image["pedigree"]["ancestors"][0];
    assert_eq!(base["name"], "docker.io/library/debian:12");
    assert_eq!(base["hashes"][0]["content"], "c".repeat(64));
    let os = cdx["components"].as_array().unwrap().iter().find(|c| c["type"] == "operating-system").unwrap();
    assert_eq!(os["cpe"], "cpe:2.3:o:debian:debian_linux:11.0:*:*:*:*:*:*:*");
    let go = cdx["components"].as_array().unwrap().iter().find(|c| c["name"] == "stdlib").unwrap();
    assert_eq!(go["hashes"], serde_json::json!([{ "alg": "SHA-256", "content": "d0".repeat(32) }]));
    let others = cdx["components"].as_array().unwrap().iter().filter(|c| c["name"] != "stdlib");
    assert!(others.clone().all(|c| c.get("hashes").is_none()), "only the binary's package has a hash");
    validate_cyclonedx("identity", &serde_json::to_vec(&cdx).unwrap());

    let spdx = sbom_document(&inventory, SbomFormat::Spdx, &meta);
    let packages = spdx["packages"].as_array().unwrap();
    let root = &packages[0];
    assert_eq!(root["checksums"], serde_json::json!([{ "algorithm": "SHA256", "checksumValue": "a".repeat(64) }]));
    assert_eq!(root["externalRefs"][0]["referenceLocator"], image["purl"]);
    let comments: Vec<&str> =
        root["annotations"].as_array().unwrap().iter().map(|a| a["comment"].as_str().unwrap()).collect();
    assert!(
        comments
            .contains(&"microscanner:image:annotation:org.opencontainers.image.base.name=docker.io/library/debian:12"),
        "{comments:?}"
    );
    let os = packages.iter().find(|p| p["SPDXID"] == "SPDXRef-OperatingSystem").unwrap();
    assert_eq!(os["externalRefs"][0]["referenceType"], "cpe23Type");
    assert_eq!(os["externalRefs"][0]["referenceLocator"], "cpe:2.3:o:debian:debian_linux:11.0:*:*:*:*:*:*:*");
    let go = packages.iter().find(|p| p["name"] == "stdlib").unwrap();
    assert_eq!(go["checksums"], serde_json::json!([{ "algorithm": "SHA256", "checksumValue": "d0".repeat(32) }]));
    validate_spdx("identity", &serde_json::to_vec(&spdx).unwrap());

    // read back, each document gives the binary's package its digest again
    for doc in [&cdx, &spdx] {
        let read = microscanner_report::read_sbom(&serde_json::to_vec(doc).unwrap(), "identity.json").unwrap();
        let go = read.packages.iter().find(|p| p.name == "stdlib").unwrap();
        assert_eq!(go.sha256(), Some(&[0xd0; 32]));
        assert!(read.packages.iter().filter(|p| p.name != "stdlib").all(|p| p.sha256().is_none()));
    }
}
