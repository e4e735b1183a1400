//! The table at a terminal's width: no line longer than the width (a longer one wraps on screen
//! and breaks every column below it), whatever the package names, ids and fixed-version lists;
//! and a section for every scanned target, also when it has no findings.

#![allow(clippy::unwrap_used)]

use microscanner_model::{Fix, FixState, Kev, PackageKind, Report, Summary};
use microscanner_report::{RenderOptions, ReportFormat, render};
use microscanner_testkit::sample_report;

fn table(report: &Report, width: usize, color: bool) -> String {
    let options = RenderOptions { color, width, ..RenderOptions::default() };
    String::from_utf8(render(report, ReportFormat::Table, &options).unwrap()).unwrap()
}

/// Columns a line takes on a terminal: ANSI colour sequences take none.
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

fn assert_fits(out: &str, width: usize) {
    for line in out.lines() {
        assert!(columns(line) <= width, "width {width}: a line of {} columns:\n{line}\nin\n{out}", columns(line));
    }
}

/// The sample report with what makes rows long in real images: Maven and Go module names, ids
/// marked KEV and baseline, Go pseudo-versions, and fixed-version lists of a dozen releases.
fn long_rows() -> Report {
    let mut report = sample_report();
    let versions: Vec<String> = (0..12).map(|i| format!("2.{i}.{}", 10 + i)).collect();
    let f = &mut report.findings[0];
    f.package.name = "org.apache.logging.log4j:log4j-core-extras".into();
    f.id = "GHSA-8489-44mv-ggj8".into();
    f.kev = Some(Kev { date_added: None, due_date: None, ransomware: None });
    f.in_baseline = true;
    f.package.version = "v0.0.0-20210220032951-036812b2e83c".into();
    f.fix = Fix { state: FixState::Fixed, versions, note: None };
    f.title = Some("A title long enough that it can never fit beside all of this, however wide the screen".into());
    let f = &mut report.findings[1];
    f.package.name = "golang.org/x/crypto/internal/poly1305-and-more".into();
    f.fix = Fix { state: FixState::Fixed, versions: vec!["0.0.0-20220314234659-1baeb1ce4c0b".into()], note: None };
    report
}

#[test]
fn no_line_is_wider_than_the_terminal() {
    for report in [sample_report(), long_rows()] {
        for width in [40, 60, 80, 100, 132] {
            for color in [false, true] {
                assert_fits(&table(&report, width, color), width);
            }
        }
    }
}

/// The text of one column of the table under `heading`, its lines joined: the column runs from
/// its header's first character to the next header's (`next` absent: to the end of the line).
fn column_text(out: &str, heading: &str, column: &str, next: &str, joiner: &str) -> String {
    let lines: Vec<&str> = out.lines().collect();
    let start = lines.iter().position(|l| l.starts_with(heading)).unwrap();
    let header: Vec<char> = lines[start + 1].chars().collect();
    let header_text: String = header.iter().collect();
    let find = |name: &str| header_text.find(name).map(|byte| header_text[..byte].chars().count());
    // The last column runs to the end of the line.
    let (from, to) = (find(column).unwrap(), find(next).unwrap_or(usize::MAX));
    lines[start + 3..]
        .iter()
        .take_while(|l| !l.is_empty())
        .map(|l| l.chars().skip(from).take(to - from).collect::<String>().trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(joiner)
}

#[test]
fn at_80_columns_long_cells_wrap_at_their_break_points() {
    let out = table(&long_rows(), 80, false);
    assert_fits(&out, 80);
    // Ids are whole; a package name, a version and a fixed-version list too long for their
    // column wrap onto more lines of their row, only after a separator.
    for needle in ["GHSA-8489-44mv-ggj8 (KEV)", "CVE-2023-0286", "CVE-2007-6755"] {
        assert!(out.contains(needle), "{needle:?} is cut or missing in\n{out}");
    }
    let rust = "Rust binary /usr/local/bin/rust-app (cargo)";
    assert_eq!(column_text(&out, rust, "Package", "Vulnerability", ""), "org.apache.logging.log4j:log4j-core-extras");
    assert_eq!(column_text(&out, rust, "Installed", "Fixed", ""), "v0.0.0-20210220032951-036812b2e83c");
    let fixes: Vec<String> = (0..12).map(|i| format!("2.{i}.{}", 10 + i)).collect();
    assert_eq!(column_text(&out, rust, "Fixed", "(none: the last column)", " "), fixes.join(", "), "{out}");
    let os = "OS packages (debian 11)";
    assert_eq!(
        column_text(&out, os, "Package", "Vulnerability", ""),
        "golang.org/x/crypto/internal/poly1305-and-morelibssl1.1"
    );
    // Everyday rows keep a title column at 80.
    let out = table(&sample_report(), 80, false);
    assert!(out.contains("Title") && out.contains("Django HTTP detection"), "{out}");
}

#[test]
fn the_title_takes_the_room_that_is_left() {
    for width in [100, 132] {
        let out = table(&sample_report(), width, false);
        for rule in out.lines().filter(|l| l.starts_with('─')) {
            assert!((width - 2..=width).contains(&columns(rule)), "width {width}:\n{out}");
        }
    }
}

#[test]
fn a_target_without_findings_keeps_its_section() {
    // Findings only in the Python packages: the Debian and Rust targets still have their lines.
    let mut report = sample_report();
    report.findings.retain(|f| f.package.kind == PackageKind::Pypi);
    report.summary = Summary::count(&report.findings, report.suppressed.len());
    let out = table(&report, 132, false);
    for needle in [
        "OS packages (debian 11): 2 packages, 0 findings (the database has 4210 advisories for Debian:11)",
        "Python (pypi): 1 package, 1 finding",
        "Rust binary /usr/local/bin/rust-app (cargo): 1 package, 0 findings (the database has 980 advisories for crates.io)",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in\n{out}");
    }
    let os = out.find("OS packages (debian 11)").unwrap();
    let py = out.find("Python (pypi)").unwrap();
    let rust = out.find("Rust binary").unwrap();
    assert!(os < py && py < rust, "{out}");

    // Nothing found anywhere: every target still says what was scanned, then the verdict.
    report.findings.clear();
    report.suppressed.clear();
    report.summary = Summary::count(&[], 0);
    let out = table(&report, 80, false);
    assert_fits(&out, 80);
    assert!(out.contains("OS packages (debian 11): 2 packages, 0 findings"), "{out}");
    assert!(out.contains("Python (pypi): 1 package, 0 findings"), "{out}");
    assert!(out.contains("No vulnerabilities found."), "{out}");

    // An ecosystem the database has nothing for is not "clean": it says nothing could be found.
    report.coverage.ecosystems.retain(|e| e.ecosystem != "Debian:11");
    report.coverage.ecosystems.push(microscanner_model::CoveredEcosystem {
        ecosystem: "Debian:11".into(),
        packages: 2,
        database_entries: 0,
    });
    let out = table(&report, 132, false);
    assert!(out.contains("the database has no advisories for Debian:11: nothing could be found"), "{out}");
}
