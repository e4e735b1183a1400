//! Output injection (issue 23, item 5): package names, versions, paths, advisory text and URLs
//! from a hostile image or database carry terminal escapes (clear the screen, retitle the window,
//! CSI, the 8-bit CSI U+009B), bidi overrides, NUL, CR and LF. No text format may write any of
//! them raw, no newline from data may start an output line, and no `javascript:` URL may become a
//! link. The rule lives in `microscanner_report::text`.

#![allow(clippy::unwrap_used)]

use microscanner_model::{Diagnostic, Report, Skipped, Summary};
use microscanner_report::diff::{diff, render_diff_table};
use microscanner_report::text::is_unsafe;
use microscanner_report::{RenderOptions, ReportFormat, render};
use microscanner_testkit::sample_report;

/// Every kind of hostile character, then a forged line: if the newline got through, a line of the
/// output would start with `FORGED`.
fn evil(what: &str) -> String {
    format!(
        "{what}\x1b[2J\x1b]0;pwned\x07\x1b[31m\u{9b}1m\u{202e}gnp.exe\u{2066}\u{200f}\u{61c}\0\x7f\r\nFORGED {what}"
    )
}

/// The sample report with hostile text in every field a text format prints.
fn hostile_report() -> Report {
    let mut r = sample_report();
    r.image.name = evil("image");
    r.image.architecture = Some(evil("arch"));
    r.image.config_digest = Some(evil("sha256:digest"));
    if let Some(os) = &mut r.os {
        os.pretty_name = Some(evil("os"));
        os.family = evil("family");
    }
    if let Some(db) = &mut r.database {
        db.built_at = evil("built");
        db.sources[0].name = evil("feed");
    }
    for layer in &mut r.image.layers {
        layer.created_by = Some(evil("RUN"));
    }
    for (i, f) in r.findings.iter_mut().chain(r.suppressed.iter_mut()).enumerate() {
        f.id = evil(&format!("CVE-{i}"));
        f.package.name = evil("name");
        f.package.version = evil("version");
        f.package.location = evil("/usr/local/bin/app");
        f.title = Some(evil("title"));
        f.description = Some(evil("description"));
        f.aliases = vec![evil("alias")];
        f.fix.versions = vec![evil("fixed")];
        f.primary_url = Some(if i % 2 == 0 { "javascript:alert(1)".into() } else { evil("https://x.invalid/") });
        if let Some(s) = &mut f.suppression {
            s.source = evil("vex.json");
            s.reason = Some(evil("reason"));
        }
    }
    r.findings[0].title = None; // the table and markdown fall back to the description
    for e in &mut r.coverage.ecosystems {
        e.ecosystem = evil("ecosystem");
    }
    r.coverage.skipped = vec![Skipped { what: evil("/skipped"), reason: evil("why") }];
    r.diagnostics = vec![Diagnostic::warning(evil("/etc/passwd"), evil("message"))];
    r.policy.baseline = Some(evil("baseline.json"));
    r.summary = Summary::count(&r.findings, r.suppressed.len());
    r
}

/// No character from data is raw: the only control characters are the format's own line ends
/// (and, with `sgr`, colour sequences `ESC [ digits ; m`); no line starts with a forged text.
fn assert_safe(format: &str, out: &str, sgr: bool) {
    assert_no_raw_controls(format, out, sgr);
    assert_no_forged_line(format, out);
}

/// The only control characters are the format's own line ends (and, with `sgr`, colour
/// sequences `ESC [ digits ; m`).
fn assert_no_raw_controls(format: &str, out: &str, sgr: bool) {
    let chars: Vec<char> = out.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if sgr && c == '\x1b' && chars.get(i + 1) == Some(&'[') {
            let mut j = i + 2;
            while chars.get(j).is_some_and(|c| c.is_ascii_digit() || *c == ';') {
                j += 1;
            }
            assert_eq!(chars.get(j), Some(&'m'), "{format}: an escape sequence that is not a colour at char {i}");
            i = j + 1;
            continue;
        }
        assert!(c == '\n' || !is_unsafe(c), "{format}: raw {c:?} at char {i}:\n{out}");
        i += 1;
    }
}

/// No line of the output starts with the text that follows a line break in data (in a layout
/// that does not wrap: a wrapped line may legitimately start with any word of folded prose).
fn assert_no_forged_line(format: &str, out: &str) {
    for line in out.lines() {
        // past any indentation, table border or Markdown list/cell marker
        let start = line.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '|' | '-' | '│' | '─'));
        assert!(!start.starts_with("FORGED"), "{format}: forged line {line:?}");
    }
    assert!(out.contains("FORGED"), "{format}: the hostile text is shown, not dropped:\n{out}");
}

fn rendered(report: &Report, format: ReportFormat, options: &RenderOptions) -> String {
    String::from_utf8(render(report, format, options).unwrap()).unwrap()
}

#[test]
fn table_escapes_data() {
    let report = hostile_report();
    for width in [0, 60, 5000] {
        for color in [false, true] {
            let out =
                rendered(&report, ReportFormat::Table, &RenderOptions { width, color, ..RenderOptions::default() });
            assert_no_raw_controls("table", &out, color);
            assert!(out.contains("\\x1b[2J"), "{out}");
            assert_eq!(out.contains("\x1b[1m"), color, "colour only when asked");
            if width == 5000 {
                // nothing wraps this wide
                assert_no_forged_line("table", &out);
            }
        }
    }
}

#[test]
fn markdown_escapes_data_and_links_only_web_urls() {
    let out = rendered(&hostile_report(), ReportFormat::Markdown, &RenderOptions::default());
    assert_safe("markdown", &out, false);
    assert!(!out.to_ascii_lowercase().contains("](javascript:"), "{out}");
    assert!(out.contains("\\\\x1b\\[2J"), "escapes are visible (Markdown-escaped): {out}");
}

#[test]
fn junit_escapes_data() {
    let out = rendered(&hostile_report(), ReportFormat::Junit, &RenderOptions::default());
    assert_safe("junit", &out, false);
    let junit = quick_junit::Report::deserialize_from_str(&out).unwrap();
    assert!(junit.tests > 0);
    assert!(out.contains("\\x1b[2J\\x1b]0;pwned\\x07"), "{out}");
}

#[test]
fn html_escapes_data_and_links_only_web_urls() {
    let out = rendered(&hostile_report(), ReportFormat::Html, &RenderOptions::default());
    assert_safe("html", &out, false);
    let lower = out.to_ascii_lowercase();
    assert!(!lower.contains("javascript:"), "a javascript: URL is neither an href nor anywhere else");
    // every link is to this page or the web (none here: the other URLs carry control characters)
    for (i, _) in lower.match_indices("href=") {
        let target = &lower[i + 5..];
        assert!(target.starts_with("\"#") || target.starts_with("\"https://"), "{}", &out[i..i + 60]);
    }
    assert!(out.contains("\\u{202e}gnp.exe"), "bidi overrides are shown");
}

#[test]
fn template_values_are_escaped() {
    let template = "{% for f in findings %}{{ f.package.name }} {{ f.package.version }} {{ f.title }} \
                    {{ f.package.location }} {{ f.primary_url }} {{ f.title | md }} {{ f.title | csv }}\n{% endfor %}\
                    {{ image }}\n{{ diagnostics[0].location }}: {{ diagnostics[0].message | upper }}\n";
    let options = RenderOptions { template: Some(template.to_owned()), ..RenderOptions::default() };
    let out = rendered(&hostile_report(), ReportFormat::Template, &options);
    assert_safe("template", &out, false);
    // the template's own line breaks are kept
    assert_eq!(out.lines().count(), 4 + 2, "{out}");
}

#[test]
fn diff_table_escapes_data() {
    let old = sample_report();
    let mut new = hostile_report();
    // one finding the same as before (same package, same id) whose fix changed: a "changed" row
    // with detail lines made from data
    let mut changed = old.findings[1].clone();
    changed.fix.versions = vec![evil("1.2.3")];
    changed.title = Some(evil("changed title"));
    new.findings.push(changed);
    let d = diff(&old, &new);
    assert!(!d.new.is_empty() && !d.changed.is_empty(), "{d:?}");
    for color in [false, true] {
        let out = String::from_utf8(render_diff_table(&d, color)).unwrap();
        assert_safe("diff table", &out, color);
    }
}

#[test]
fn machine_formats_keep_serde_escaping() {
    // JSON, SARIF, CycloneDX, SPDX and microscanner: serde_json writes every C0 control and DEL
    // escaped (`\u001b`, `\n`), so a newline from data never splits a line of the document.
    let report = hostile_report();
    for format in [
        ReportFormat::Json,
        ReportFormat::Sarif,
        ReportFormat::Cyclonedx,
        ReportFormat::Spdx,
        ReportFormat::Microscanner,
    ] {
        let out = rendered(&report, format, &RenderOptions::default());
        let c0 = |c: char| c < ' ' && c != '\n';
        assert!(!out.chars().any(c0), "{format}");
        assert!(!out.lines().any(|l| l.trim_start().starts_with("FORGED")), "{format}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap();
    }
}
