//! The `junit` report format: JUnit XML for CI test dashboards. One test suite per target (the
//! OS packages, each language ecosystem, each Go or Rust binary), one test case per finding. A
//! finding fails (a `failure` element giving severity, fix and link) when the policy's `fail_on`
//! names its severity (at or above the threshold, or unknown with `--fail-on high,unknown`) and it
//! is not in the baseline; the others pass. Suppressed findings are skipped
//! test cases carrying the suppression reason. A report without findings has one passing test
//! case, `no vulnerabilities`, whose output says what was scanned.
//!
//! Every string from the report goes through [`crate::text`]: control and bidi characters are
//! shown visibly (quick-junit would silently drop some and keep others), prose is on one line, so
//! a title cannot forge a line of a finding's details.

use std::fmt::Write as _;
use std::time::Duration;

use microscanner_model::{Finding, Report};
use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::RenderError;
use super::table::{fix_text, policy_text, scanned_text, targets};
use crate::text::{escape_controls, one_line};

pub(super) fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut junit = JunitReport::new("microscanner");
    if report.duration_seconds.is_finite() && report.duration_seconds >= 0.0 {
        junit.set_time(Duration::from_secs_f64(report.duration_seconds.min(1e9)));
    }

    let mut suites: Vec<(String, TestSuite)> = Vec::new();
    for target in targets(&report.findings) {
        let mut suite = TestSuite::new(target.label(report));
        for f in &target.findings {
            suite.add_test_case(test_case(f, report));
        }
        suites.push((target.key(), suite));
    }
    for target in targets(&report.suppressed) {
        let key = target.key();
        let index = match suites.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                suites.push((key, TestSuite::new(target.label(report))));
                suites.len() - 1
            }
        };
        if let Some((_, suite)) = suites.get_mut(index) {
            suite.add_test_cases(target.findings.iter().map(|f| suppressed_case(f)));
        }
    }

    if report.findings.is_empty() {
        let mut suite = TestSuite::new("microscanner");
        let mut case = TestCase::new("no vulnerabilities", TestCaseStatus::success());
        case.set_classname(escape_controls(&report.image.name));
        let mut out = format!("Scanned {}.", scanned_text(report));
        if !report.coverage.complete {
            out.push_str(" The scan is incomplete: part of the image could not be analysed.");
        }
        case.set_system_out(out);
        suite.add_test_case(case);
        suites.insert(0, ("microscanner".to_owned(), suite));
    }

    for (_, mut suite) in suites {
        suite.add_property(("image", escape_controls(&report.image.name).as_ref()));
        suite.add_property(("policy", policy_text(report).as_str()));
        junit.add_test_suite(suite);
    }
    let mut xml = junit.to_string().map_err(|e| RenderError::Serialize { format: "junit", message: e.to_string() })?;
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    Ok(xml.into_bytes())
}

/// Whether the finding fails the policy: a severity `fail_on` names, and not in the baseline.
fn fails(f: &Finding, report: &Report) -> bool {
    report.policy.fail_on.is_some_and(|fail_on| fail_on.fails(f.severity)) && !f.in_baseline
}

fn test_case(f: &Finding, report: &Report) -> TestCase {
    let details = details(f);
    let failing = fails(f, report);
    let status = if failing {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let mut message = format!("{} severity; fix: {}", f.severity, fix_text(&f.fix));
        if let Some(url) = &f.primary_url {
            let _ = write!(message, "; {}", escape_controls(url));
        }
        status.set_message(message);
        status.set_type(f.severity.as_str());
        status.set_description(details.as_str());
        status
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(escape_controls(&f.id), status);
    case.set_classname(classname(f));
    if !failing {
        // A failure carries the details in its body already.
        case.set_system_out(details);
    }
    case
}

fn suppressed_case(f: &Finding) -> TestCase {
    let mut status = TestCaseStatus::skipped();
    let message = match &f.suppression {
        Some(s) => {
            let mut m = format!("suppressed by {}", escape_controls(&s.source));
            if let Some(reason) = s.reason.as_deref().or(s.justification.as_deref()).or(s.status.as_deref()) {
                let _ = write!(m, ": {}", one_line(reason));
            }
            m
        }
        None => "suppressed".to_owned(),
    };
    status.set_message(message);
    let mut case = TestCase::new(escape_controls(&f.id), status);
    case.set_classname(classname(f));
    case
}

/// `name@version`, escaped.
fn classname(f: &Finding) -> String {
    format!("{}@{}", escape_controls(&f.package.name), escape_controls(&f.package.version))
}

/// Everything a reader needs about one finding, one fact a line.
fn details(f: &Finding) -> String {
    let mut d = String::new();
    if let Some(title) = &f.title {
        let _ = writeln!(d, "{}", one_line(title));
    }
    let _ = writeln!(d, "Severity: {} (from {})", f.severity, escape_controls(&f.severity_source));
    let _ = writeln!(
        d,
        "Package: {} {} ({})",
        escape_controls(&f.package.name),
        escape_controls(&f.package.version),
        f.package.kind.purl_type()
    );
    let _ = writeln!(d, "Location: {}", escape_controls(&f.package.location));
    let _ = writeln!(d, "Fixed version: {}", fix_text(&f.fix));
    if !f.aliases.is_empty() {
        let _ = writeln!(d, "Aliases: {}", escape_controls(&f.aliases.join(", ")));
    }
    if f.kev.is_some() {
        let _ = writeln!(d, "Known exploited: listed in CISA KEV");
    }
    if f.in_baseline {
        let _ = writeln!(d, "In the baseline: does not fail the scan");
    }
    if let Some(url) = &f.primary_url {
        let _ = writeln!(d, "URL: {}", escape_controls(url));
    }
    d
}
