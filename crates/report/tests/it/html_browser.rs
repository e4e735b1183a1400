//! The HTML report in a real browser: headless Chromium (Debian's `chromium`) opens a rendered
//! report at 1400 px and at 390 px wide, driven over the DevTools protocol by
//! `tests/support/html_page.py` (Python standard library only), and checks what a reader meets:
//!
//! - no table column is cut off or scrolls sideways, and the page never scrolls sideways;
//! - the database's feed-source list is folded;
//! - every non-zero severity bar is visible and labelled with its count (3 critical beside 260
//!   unknown);
//! - the filters work as a person uses them: typing a package name, pressing "critical", ticking
//!   "fixable only" and "KEV only" leave exactly the rows the report says they should;
//! - without JavaScript every row shows and the filter bar stays hidden; the Content-Security-Policy
//!   blocks nothing the page needs.
//!
//! The page (`report.html`) and PNG screenshots (`html-report-1400-top.png`, `…-summary.png`,
//! `…-critical.png`, the same three at 390 px, and `html-report-1400-nojs.png`) are written to
//! `target/test-artifacts/html-report/`, which the test creates (next to the `tmp` directory Cargo
//! gives integration tests, so it follows `CARGO_TARGET_DIR`), for a person to look at.
//!
//! Without chromium (or python3) the test is skipped with a note, and fails under `CI`.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report; skip notes
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use microscanner_model::{DatabaseSource, Finding, Fix, FixState, Kev, Report, Severity, Summary};
use microscanner_report::{RenderOptions, ReportFormat, render};
use microscanner_testkit::sample_report;
use serde_json::Value;

/// What the test types in the search box.
const SEARCH: &str = "libxml2";

/// Real Debian 12 package names the generated findings are spread over.
const PACKAGES: [&str; 12] = [
    "libc6",
    "libxml2",
    "zlib1g",
    "libsqlite3-0",
    "libtiff6",
    "libcurl4",
    "perl-base",
    "libgnutls30",
    "libexpat1",
    "libkrb5-3",
    "libldap-2.5-0",
    "libxml2-utils",
];

/// The sample report (real advisories for openssl, Django and smallvec) grown to the shape of a
/// big image's scan: 3 critical, a few high, medium and low, 260 of unknown severity (a typical
/// Debian tracker backlog), some fixable and some not, two more on CISA's KEV list, one with a
/// very long "fixed in" list, and a database built from many feeds.
fn big_report() -> Report {
    let mut r = sample_report();
    let template = r.findings.iter().find(|f| f.id == "CVE-2007-6755").unwrap().clone();
    let mut add = |id: String, name: &str, severity: Severity, fix: Fix, kev: bool| {
        let mut f: Finding = template.clone();
        f.id = id.clone();
        f.aliases = vec![];
        f.package.name = name.into();
        f.package.version = "2.9.14+dfsg-1.3~deb12u1".into();
        f.matched.name = name.into();
        f.matched.advisories = vec![id.clone()];
        f.severity = severity;
        f.severity_source = "debian".into();
        f.ratings = vec![];
        f.fix = fix;
        f.title = Some(format!("{name}: issue tracked as {id}"));
        f.primary_url = Some(format!("https://security-tracker.debian.org/tracker/{id}"));
        f.kev = kev.then(|| Kev { date_added: Some("2025-03-04".into()), due_date: None, ransomware: None });
        r.findings.push(f);
    };
    let fixed = |v: &str| Fix { state: FixState::Fixed, versions: vec![v.into()], note: None };
    let unfixed = || Fix { state: FixState::NotFixed, versions: vec![], note: None };
    // a critical with a very long list of fixed versions (every maintained branch)
    let long: Vec<String> =
        (0..40).map(|i| format!("2.{}.{}+dfsg-{}~deb{}u{}", 9 + i / 8, i % 8, i % 3 + 1, 11 + i % 2, i)).collect();
    add(
        "CVE-2024-25062".into(),
        "libxml2",
        Severity::Critical,
        Fix { state: FixState::Fixed, versions: long, note: None },
        true,
    );
    add("CVE-2024-45491".into(), "libexpat1", Severity::Critical, unfixed(), false);
    for i in 0..4 {
        add(format!("CVE-2025-{}", 1000 + i), PACKAGES[i % 12], Severity::High, fixed("1.0-2+deb12u1"), i == 0);
    }
    for i in 0..6 {
        add(format!("CVE-2025-{}", 2000 + i), PACKAGES[(i + 3) % 12], Severity::Medium, unfixed(), false);
    }
    for i in 0..5 {
        add(format!("CVE-2025-{}", 3000 + i), PACKAGES[(i + 5) % 12], Severity::Low, fixed("3.1-1"), false);
    }
    for i in 0..260 {
        let fix = if i % 7 == 0 { fixed("2.9.14+dfsg-1.3~deb12u2") } else { unfixed() };
        add(format!("CVE-2023-{}", 40000 + i), PACKAGES[i % 12], Severity::Unknown, fix, false);
    }
    r.findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    r.summary = Summary::count(&r.findings, r.suppressed.len());
    let mut sources = vec![
        DatabaseSource { name: "nvd".into(), timestamp: Some("2026-11-23T05:40:00Z".into()) },
        DatabaseSource { name: "kev".into(), timestamp: Some("2026-11-22T18:00:00Z".into()) },
        DatabaseSource { name: "epss".into(), timestamp: Some("2026-11-23T00:00:00Z".into()) },
        DatabaseSource { name: "debian-security-tracker".into(), timestamp: Some("2026-11-23T04:00:00Z".into()) },
        DatabaseSource { name: "alpine-secdb".into(), timestamp: None },
        DatabaseSource { name: "ubuntu-cve-tracker".into(), timestamp: Some("2026-11-23T03:12:00Z".into()) },
    ];
    for eco in [
        "PyPI",
        "npm",
        "crates.io",
        "Go",
        "Maven",
        "RubyGems",
        "Packagist",
        "NuGet",
        "Debian",
        "Alpine",
        "Ubuntu",
        "Rocky Linux",
        "AlmaLinux",
        "Wolfi",
        "Chainguard",
        "Hex",
        "Pub",
        "GitHub Actions",
    ] {
        sources.push(DatabaseSource { name: format!("osv:{eco}"), timestamp: Some("2026-11-22T23:10:00Z".into()) });
    }
    if let Some(db) = r.database.as_mut() {
        db.sources = sources;
    }
    r
}

/// Where the page and screenshots are kept: `target/test-artifacts/html-report/`.
fn artifacts() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("test-artifacts").join("html-report");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn count(report: &Report, keep: impl Fn(&Finding) -> bool) -> u64 {
    report.findings.iter().filter(|f| keep(f)).count() as u64
}

/// What the search box matches: the package name, the id or an alias, case-insensitively.
fn matches_search(f: &Finding, term: &str) -> bool {
    let term = term.to_lowercase();
    std::iter::once(&f.package.name)
        .chain(std::iter::once(&f.id))
        .chain(&f.aliases)
        .any(|s| s.to_lowercase().contains(&term))
}

#[test]
fn the_html_report_reads_well_and_filters_in_headless_chromium() {
    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists())
    else {
        assert!(std::env::var_os("CI").is_none(), "CI: chromium is missing");
        eprintln!("skipped: no chromium at /usr/bin/chromium");
        return;
    };
    let python = ["/usr/bin/python3", "/usr/local/bin/python3"].into_iter().find(|p| Path::new(p).exists());
    let Some(python) = python else {
        assert!(std::env::var_os("CI").is_none(), "CI: python3 is missing");
        eprintln!("skipped: no python3");
        return;
    };
    let report = big_report();
    assert_eq!((report.summary.counts.critical, report.summary.counts.unknown), (3, 260));
    let page = render(&report, ReportFormat::Html, &RenderOptions::default()).unwrap();
    let dir = artifacts();
    let file = dir.join("report.html");
    std::fs::write(&file, &page).unwrap();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/html_page.py");
    let out = Command::new(python).arg(&script).arg(chromium).arg(&file).arg(&dir).arg(SEARCH).output().unwrap();
    assert!(
        out.status.success(),
        "browser: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["csp_violations"], serde_json::json!([]), "the CSP blocks nothing the page needs");
    assert_eq!(result["exceptions"], serde_json::json!([]), "no script error");

    let total = report.findings.len() as u64;
    let expected = [
        ("all", total),
        ("search", count(&report, |f| matches_search(f, SEARCH))),
        ("critical", count(&report, |f| f.severity == Severity::Critical)),
        ("critical_fixable", count(&report, |f| f.severity == Severity::Critical && f.fix.state == FixState::Fixed)),
        ("fixable", count(&report, |f| f.fix.state == FixState::Fixed)),
        ("kev", count(&report, |f| f.kev.is_some())),
        ("cleared", total),
    ];
    // the counts must tell the filters apart, or the test would prove little
    assert!(expected.iter().all(|(_, n)| *n > 0) && expected[1].1 < total && expected[3].1 < expected[2].1);

    for width in ["1400", "390"] {
        let w = &result["widths"][width];
        let layout = |key: &str| {
            let l = &w[key];
            assert_eq!(l["problems"], serde_json::json!([]), "{width} px, {key}: clipped cells");
            assert!(l["cells"].as_u64().unwrap() > 9, "{width} px, {key}: cells measured");
            let (doc, client) = (l["doc_scroll_width"].as_f64().unwrap(), l["client_width"].as_f64().unwrap());
            assert!(doc <= client, "{width} px, {key}: the page scrolls sideways ({doc} > {client})");
            assert_eq!(l["inner_width"].as_f64().unwrap(), width.parse::<f64>().unwrap(), "{width} px: not zoomed out");
        };
        layout("layout");
        layout("layout_critical");

        let feeds = &w["feeds"];
        assert_eq!(feeds["open"], false, "{width} px: the feed list is folded");
        assert_eq!(feeds["list_rendered"], false, "{width} px: the feed list is not laid out while folded");
        assert_eq!(feeds["items"], 24, "{width} px: {feeds}");
        assert!(feeds["summary"].as_str().unwrap().contains("24 feed sources"), "{feeds}");
        if width == "1400" {
            let top = feeds["summary_section_top"].as_f64().unwrap();
            assert!(top < feeds["inner_height"].as_f64().unwrap(), "the summary is on the first screen: {top}");
        }

        let bars = w["bars"].as_array().unwrap();
        assert_eq!(bars.len(), 6, "{width} px: a bar per severity");
        for bar in bars {
            let sev: Severity = serde_json::from_value(bar["severity"].clone()).unwrap();
            let n = report.summary.counts.of(sev);
            assert_eq!(bar["count"], n, "{width} px: {bar}");
            assert_eq!(bar["label"], n.to_string(), "{width} px: the bar is labelled with its count: {bar}");
            assert_eq!(bar["label_visible"], true, "{width} px: {bar}");
            if n > 0 {
                assert!(bar["width"].as_f64().unwrap() >= 8.0, "{width} px: {sev} bar visible: {bar}");
                assert!(bar["height"].as_f64().unwrap() >= 8.0, "{width} px: {sev} bar visible: {bar}");
            } else {
                assert_eq!(bar["width"].as_f64().unwrap(), 0.0, "{width} px: {bar}");
            }
        }
        // 3 critical is not a sliver beside 260 unknown
        let width_of = |sev: &str| bars.iter().find(|b| b["severity"] == sev).unwrap()["width"].as_f64().unwrap();
        assert!(width_of("critical") * 5.0 > width_of("unknown"), "{width} px: log scale: {bars:?}");

        assert_eq!(w["filter_bar_visible"], true, "{width} px: the filter bar shows with JavaScript");
        for (step, n) in expected {
            assert_eq!(w["counts"][step], n, "{width} px: rows visible after {step}: {}", w["status"]);
            let status = w["status"][step].as_str().unwrap();
            let says = if n == total {
                format!("Showing all {total} findings")
            } else {
                format!("Showing {n} of {total} findings")
            };
            assert_eq!(status, says, "{width} px: after {step}");
        }
    }

    let nojs = &result["nojs"];
    assert_eq!(nojs["rows"], total, "without JavaScript every row is in the page: {nojs}");
    assert_eq!(nojs["visible_rows"], total, "…and shows: {nojs}");
    assert_eq!(nojs["filter_bar_visible"], false, "…and no dead filter controls: {nojs}");

    for shot in [
        "html-report-1400-top.png",
        "html-report-1400-critical.png",
        "html-report-1400-summary.png",
        "html-report-390-top.png",
        "html-report-390-summary.png",
        "html-report-390-critical.png",
        "html-report-1400-nojs.png",
    ] {
        assert!(dir.join(shot).metadata().unwrap().len() > 1000, "screenshot {shot}");
    }
}
