//! The diff as a table for people, at most 100 columns wide. Every string from the reports is
//! escaped ([`escape_controls`]) before it is laid out: the colours are the only escape sequences
//! written, and no data starts a line.

use microscanner_model::{Finding, FixState, Severity, SeverityCounts};

use super::{DiffSide, ReportDiff};
use crate::text::escape_controls;

/// The width the table fits in.
const WIDTH: usize = 100;
/// Column widths: severity, id, package, version; the last column takes the rest.
const COLUMNS: [usize; 4] = [10, 20, 24, 20];
/// Where the text under a row (the changes) starts.
const DETAIL_INDENT: usize = 14;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[34m",
        Severity::Negligible | Severity::Unknown => "\x1b[2m",
    }
}

/// Cuts `s` to `width` characters, ending with `…` when it was longer.
fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `s` cut or padded to exactly `width` characters.
fn cell(s: &str, width: usize) -> String {
    let s = fit(s, width);
    let pad = width.saturating_sub(s.chars().count());
    format!("{s}{}", " ".repeat(pad))
}

struct Writer {
    out: String,
    color: bool,
}

impl Writer {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color { format!("{style}{text}{RESET}") } else { text.to_owned() }
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text.trim_end());
        self.out.push('\n');
    }

    fn side(&mut self, label: &str, side: &DiffSide) {
        let head = format!("{label}: ");
        let image = fit(&escape_controls(&side.image), WIDTH - head.len());
        let title = self.paint(BOLD, &head);
        self.line(&format!("{title}{image}"));
        let mut facts = vec![format!("scanned {}", escape_controls(&side.created_at))];
        if let Some(db) = &side.database_built_at {
            facts.push(format!("database {}", escape_controls(db)));
        }
        facts.push(plural(side.summary.counts.total, "finding"));
        if side.summary.suppressed > 0 {
            facts.push(format!("{} suppressed", side.summary.suppressed));
        }
        let indent = " ".repeat(head.len());
        self.line(&format!("{indent}{}", fit(&facts.join(", "), WIDTH - head.len())));
        if let Some(digest) = &side.manifest_digest {
            let digest = format!("manifest {}", escape_controls(digest));
            self.line(&format!("{indent}{}", fit(&digest, WIDTH - head.len())));
        }
    }

    fn header(&mut self, last: &str) {
        let names = ["SEVERITY", "ID", "PACKAGE", "VERSION"];
        let mut text = String::from("  ");
        for (name, width) in names.iter().zip(COLUMNS) {
            text.push_str(&cell(name, width));
            text.push_str("  ");
        }
        text.push_str(last);
        let text = self.paint(BOLD, &text);
        self.line(&text);
    }

    fn row(&mut self, f: &Finding, version: &str, last: &str) {
        let severity = cell(f.severity.as_str(), COLUMNS[0]);
        let mut text = format!("  {}  ", self.paint(severity_color(f.severity), &severity));
        for (value, width) in [f.id.as_str(), f.package.name.as_str(), version].into_iter().zip(&COLUMNS[1..]) {
            text.push_str(&cell(&escape_controls(value), *width));
            text.push_str("  ");
        }
        let used = 2 + COLUMNS.iter().map(|w| w + 2).sum::<usize>();
        text.push_str(&fit(&escape_controls(last), WIDTH - used));
        self.line(&text);
    }

    /// Writes `items` as `- item` lines under a row, wrapped to the width.
    fn details(&mut self, items: &[String]) {
        let indent = " ".repeat(DETAIL_INDENT);
        let room = WIDTH - DETAIL_INDENT - 2;
        for item in items {
            let mut first = true;
            for chunk in wrap(&escape_controls(item), room) {
                let bullet = if first { "- " } else { "  " };
                self.line(&format!("{indent}{bullet}{chunk}"));
                first = false;
            }
        }
    }

    fn section(&mut self, title: &str, count: usize, style: &str) {
        self.line("");
        let title = self.paint(style, &format!("{title} ({count})"));
        self.line(&title);
    }
}

/// Splits `text` into lines of at most `width` characters, at spaces where possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let mut word = word.to_owned();
        while word.chars().count() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let needed = current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// `2 new (1 critical, 1 high)`.
fn counted(counts: &SeverityCounts, what: &str) -> String {
    let by: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter(|s| counts.of(**s) > 0)
        .map(|s| format!("{} {}", counts.of(*s), s.as_str()))
        .collect();
    if by.is_empty() {
        format!("{} {what}", counts.total)
    } else {
        format!("{} {what} ({})", counts.total, by.join(", "))
    }
}

fn fixed_in(f: &Finding) -> String {
    match f.fix.state {
        FixState::Fixed => f.fix.versions.first().cloned().unwrap_or_default(),
        other => format!("({})", other.as_str()),
    }
}

/// The diff as a table for people, readable in 100 columns: both scans, a summary line, then
/// the new, fixed and changed findings (each change on its own line under its finding). With
/// `color`, severities and headings get ANSI colours.
pub fn render_diff_table(d: &ReportDiff, color: bool) -> Vec<u8> {
    let mut w = Writer { out: String::new(), color };
    w.side("Old", &d.old);
    w.side("New", &d.current);
    w.line("");
    let s = &d.summary;
    if d.is_empty() {
        w.line(&format!("No differences: {} unchanged.", plural(s.unchanged, "finding")));
        return w.out.into_bytes();
    }
    let line = format!(
        "{}, {}, {} changed, {} unchanged",
        counted(&s.new, "new"),
        counted(&s.fixed, "fixed"),
        s.changed.total,
        s.unchanged
    );
    w.line(&fit(&line, WIDTH));

    if !d.new.is_empty() {
        w.section("NEW", d.new.len(), "\x1b[1;31m");
        w.header("FIXED IN");
        for f in &d.new {
            w.row(f, &f.package.version, &fixed_in(f));
        }
    }
    if !d.fixed.is_empty() {
        w.section("FIXED", d.fixed.len(), "\x1b[1;32m");
        w.header("FIXED IN");
        for f in &d.fixed {
            w.row(f, &f.package.version, &fixed_in(f));
        }
    }
    if !d.changed.is_empty() {
        w.section("CHANGED", d.changed.len(), "\x1b[1;33m");
        w.header("FIXED IN");
        for c in &d.changed {
            w.row(&c.after, &c.after.package.version, &fixed_in(&c.after));
            w.details(&c.changes);
        }
    }
    w.out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::{fit, wrap};

    #[test]
    fn fit_and_wrap() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), vec![""]);
    }
}
