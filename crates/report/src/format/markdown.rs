//! The `markdown` report format, for pull-request comments (GitHub and GitLab flavoured
//! Markdown): a title with the verdict, a summary table by severity, a findings table (the id
//! linked to its advisory), the suppressed findings folded away, and coverage notes.
//!
//! Table cells are escaped: `|`, Markdown punctuation and HTML brackets cannot break the table or
//! inject markup; control and bidi characters are shown visibly and prose is folded onto one line
//! ([`crate::text`]), so no data starts a line. Links are written only for `http(s)` URLs
//! ([`is_web_url`]).

use std::fmt::Write as _;

use microscanner_model::{Finding, Report, Severity};

use super::RenderError;
use super::table::{filters_text, fix_text, plural, policy_text, scanned_text, suppressed_text};
use crate::text::{escape_controls, is_web_url, one_line};

/// At most this many findings are listed: a GitHub comment holds 65,536 characters.
const MAX_ROWS: usize = 300;

pub(super) fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut out = String::new();
    let _ = writeln!(out, "## microscanner: `{}`", code(&report.image.name));
    out.push('\n');

    let mut facts = Vec::new();
    if let Some(os) = &report.os {
        facts.push(match &os.pretty_name {
            Some(pretty) => prose(pretty),
            None => format!("{} {}", escape(&os.family), escape(&os.version)),
        });
    }
    if let Some(db) = &report.database {
        facts.push(format!("database built {}", escape(&db.built_at)));
    }
    facts.push(format!("scanned {}", escape(&report.created_at)));
    let _ = writeln!(out, "{}", facts.join(" · "));
    out.push('\n');

    let verdict = escape(&policy_text(report));
    if report.policy.failed {
        let _ = writeln!(out, "**❌ Policy {verdict}**");
    } else {
        let _ = writeln!(out, "**✅ Policy {verdict}**");
    }
    out.push('\n');

    if report.findings.is_empty() {
        if report.coverage.packages == 0 {
            out.push_str("No vulnerabilities found, but **no packages were found to scan**: nothing was checked.\n\n");
        } else {
            out.push_str("No vulnerabilities found.\n\n");
        }
    } else {
        summary_table(&mut out, report);
        findings_table(&mut out, &report.findings);
    }

    if !report.suppressed.is_empty() {
        suppressed(&mut out, report);
    }
    coverage(&mut out, report);
    Ok(out.into_bytes())
}

fn summary_table(out: &mut String, report: &Report) {
    let s = &report.summary;
    let severities: Vec<Severity> = Severity::ALL.iter().rev().copied().collect();
    let names: Vec<&str> = severities.iter().map(|s| title_case(*s)).collect();
    let counts: Vec<String> = severities.iter().map(|sev| s.counts.of(*sev).to_string()).collect();
    let _ = writeln!(out, "| {} | Total |", names.join(" | "));
    let _ = writeln!(out, "|{}---:|", "---:|".repeat(severities.len()));
    let _ = writeln!(out, "| {} | **{}** |", counts.join(" | "), s.counts.total);
    out.push('\n');
    let _ = writeln!(out, "{} fixable, {} known exploited (CISA KEV).", s.fixable, s.known_exploited);
    out.push('\n');
}

fn findings_table(out: &mut String, findings: &[Finding]) {
    out.push_str("### Findings\n\n");
    out.push_str("| ID | Package | Installed | Fixed | Severity | Title |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for f in findings.iter().take(MAX_ROWS) {
        let id = match f.primary_url.as_deref().filter(|u| is_web_url(u)) {
            Some(url) => format!("[{}]({})", escape(&f.id), link_target(url)),
            None => escape(&f.id),
        };
        let mut severity = title_case(f.severity).to_owned();
        if f.kev.is_some() {
            severity.push_str(" (KEV)");
        }
        if f.in_baseline {
            severity.push_str(" (baseline)");
        }
        let title = f.title.as_deref().or(f.description.as_deref()).unwrap_or("");
        let _ = writeln!(
            out,
            "| {id} | {} ({}) | {} | {} | {severity} | {} |",
            escape(&f.package.name),
            f.package.kind.purl_type(),
            escape(&f.package.version),
            escape(&fix_text(&f.fix)),
            escape(&super::table::truncate(title, 120)),
        );
    }
    if findings.len() > MAX_ROWS {
        let more = findings.len() - MAX_ROWS;
        let _ = writeln!(out, "\n… and {more} more {} (see the JSON report).", plural(more, "finding", "findings"));
    }
    out.push('\n');
}

fn suppressed(out: &mut String, report: &Report) {
    let _ = writeln!(out, "<details><summary>Suppressed: {}</summary>\n", escape(&suppressed_text(report)));
    out.push_str("| ID | Package | Severity | By | Reason |\n|---|---|---|---|---|\n");
    for f in report.suppressed.iter().take(MAX_ROWS) {
        let (by, reason) = match &f.suppression {
            Some(s) => {
                let reason = s.reason.as_deref().or(s.justification.as_deref()).or(s.status.as_deref()).unwrap_or("");
                (escape(&s.source), prose(reason))
            }
            None => (String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {by} | {reason} |",
            escape(&f.id),
            escape(&f.package.name),
            title_case(f.severity)
        );
    }
    out.push_str("\n</details>\n\n");
}

fn coverage(out: &mut String, report: &Report) {
    out.push_str("### Coverage\n\n");
    let _ = writeln!(out, "- Scanned {}", escape(&scanned_text(report)));
    let filters = filters_text(report);
    if !filters.is_empty() {
        let _ = writeln!(out, "- Filters: {}", escape(&filters));
    }
    for s in &report.coverage.skipped {
        let _ = writeln!(out, "- Skipped `{}`: {}", code(&s.what), prose(&s.reason));
    }
    if !report.coverage.complete {
        out.push_str(
            "- ⚠️ **Incomplete scan**: part of the image could not be analysed, so findings may be missing.\n",
        );
    }
}

fn title_case(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Negligible => "Negligible",
        Severity::Unknown => "Unknown",
    }
}

/// Prose made safe for a table cell or a line: folded onto one line ([`one_line`]), then
/// [`escape`]d.
fn prose(text: &str) -> String {
    escape(&one_line(text))
}

/// Text made safe for a table cell or a line: control and bidi characters shown visibly (a line
/// break as `\n`), Markdown punctuation and HTML escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_controls(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text for inside a code span: control and bidi characters shown visibly, no backticks, pipes
/// escaped (GFM splits table cells on `|` even inside code).
fn code(text: &str) -> String {
    escape_controls(text).replace('`', "'").replace('|', "\\|")
}

/// A URL for a Markdown link target: characters that would end the link or split a table cell
/// are percent-encoded.
fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '|' => out.push_str("%7C"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c if crate::text::is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(escape("a|b\nc"), "a\\|b\\\\nc");
        assert_eq!(prose("a|b\nc"), "a\\|b c");
        assert_eq!(escape("\x1b[2J\u{202e}"), "\\\\x1b\\[2J\\\\u{202e}");
        assert_eq!(escape("<script>*x*_y_"), "&lt;script&gt;\\*x\\*\\_y\\_");
        assert_eq!(link_target("https://x/a b(c)|d"), "https://x/a%20b%28c%29%7Cd");
        assert_eq!(code("a`b|c"), "a'b\\|c");
    }
}
