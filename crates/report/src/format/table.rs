//! The `table` report format: for people at a terminal. A header (image, OS, database), a section
//! per target (OS packages first, then each language ecosystem or binary): a table of its
//! findings, or one line saying how many packages it has and what the database holds for it; a
//! summary line, the suppressed count, coverage notes and the policy verdict. Every line fits
//! `options.width` columns (100 when 0); ANSI colours only when `options.color`.
//!
//! The grouping and wording helpers here are shared with the markdown and JUnit writers. Every
//! string from the report goes through [`crate::text`] first (control and bidi characters shown
//! visibly, prose on one line), so data can neither style the terminal nor start a line.

use std::fmt::Write as _;

use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, LineStyle, Table, TableStyle, Width,
};
use microscanner_model::{DiagnosticLevel, Finding, Fix, FixState, PackageKind, Report, Severity, SuppressionKind};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{RenderError, RenderOptions};
use crate::text::{escape_controls, one_line};

/// The width used when the caller gives 0.
const DEFAULT_WIDTH: usize = 100;
/// The narrowest layout we try to fit.
const MIN_WIDTH: usize = 40;
/// How many diagnostics the table lists before summarising the rest.
const MAX_DIAGNOSTICS: usize = 5;

pub(super) fn render(report: &Report, options: &RenderOptions) -> Result<Vec<u8>, RenderError> {
    let width = match options.width {
        0 => DEFAULT_WIDTH,
        w => w.clamp(MIN_WIDTH, usize::from(u16::MAX)),
    };
    let paint = Paint(options.color);
    let mut out = String::new();
    header(&mut out, report, width);
    out.push('\n');

    if report.findings.is_empty() && report.coverage.packages == 0 {
        let line = "No vulnerabilities found, but no packages were found to scan: nothing was checked.";
        push_line(&mut out, &paint.warn(line));
        out.push('\n');
    } else {
        // A section for every target scanned, also those without findings: an image whose OS
        // section is missing would read as a clean OS.
        let mut legend = Legend::default();
        // Inside a run of one-line sections (targets without findings), which a blank line ends.
        let mut in_run = false;
        for section in sections(report) {
            let target = &section.target;
            let findings = target.findings.len();
            let mut title = format!("{}: ", target.label(report));
            if section.packages > 0 {
                let _ = write!(title, "{} {}, ", section.packages, plural(section.packages, "package", "packages"));
            }
            let _ = write!(title, "{findings} {}", plural(findings, "finding", "findings"));
            if findings == 0 {
                let _ = write!(title, " ({})", database_note(report, target));
            }
            if findings > 0 && in_run {
                out.push('\n');
            }
            for line in wrap(&title, width, 2) {
                push_line(&mut out, &paint.bold(&line));
            }
            in_run = findings == 0;
            if findings > 0 {
                out.push_str(&findings_table(target, paint, width, &mut legend));
                out.push('\n');
            }
        }
        if in_run {
            out.push('\n');
        }
        if report.findings.is_empty() {
            push_line(&mut out, &paint.good("No vulnerabilities found."));
            out.push('\n');
        }
        if legend.kev {
            push_wrapped(&mut out, "(KEV): listed in CISA's Known Exploited Vulnerabilities catalog.", width, 7);
        }
        if legend.baseline {
            let line = "(baseline): already in the baseline report, so it does not fail the scan.";
            push_wrapped(&mut out, line, width, 12);
        }
        if legend.kev || legend.baseline {
            out.push('\n');
        }
    }

    summary(&mut out, report, paint, width);
    Ok(out.into_bytes())
}

/// Which markers the tables used, so the legend explains only those.
#[derive(Default)]
struct Legend {
    kev: bool,
    baseline: bool,
}

fn header(out: &mut String, report: &Report, width: usize) {
    let image = &report.image;
    let mut line = format!("Image:     {}", escape_controls(&image.name));
    // A bare reference: say where it was found (the local engine or the registry).
    let remote = ["registry", "docker", "podman"].contains(&image.source.as_str());
    if remote && !image.name.starts_with(&format!("{}:", image.source)) {
        let _ = write!(line, "  (from {})", image.source);
    }
    if let (Some(os), Some(arch)) = (&image.os, &image.architecture) {
        let _ = write!(line, "  {}/{}", escape_controls(os), escape_controls(arch));
        if let Some(variant) = &image.variant {
            let _ = write!(line, "/{}", escape_controls(variant));
        }
    }
    if let Some(digest) = image.config_digest.as_deref().or(image.manifest_digest.as_deref()) {
        let _ = write!(line, "  {}", escape_controls(&short_digest(digest)));
    }
    push_wrapped(out, &line, width, 11);
    let os = match &report.os {
        Some(os) => match &os.pretty_name {
            Some(pretty) => one_line(pretty),
            None => format!("{} {}", escape_controls(&os.family), escape_controls(&os.version)),
        },
        None => "not recognised (OS packages were not checked)".to_owned(),
    };
    push_wrapped(out, &format!("OS:        {os}"), width, 11);
    let database = match &report.database {
        Some(db) => {
            let built_at = escape_controls(&db.built_at);
            let built = match age(&db.built_at, &report.created_at) {
                Some(age) => format!("built {built_at} ({age} before the scan)"),
                None => format!("built {built_at}"),
            };
            match oldest_data(db) {
                Some((name, day)) => {
                    let old = age(&format!("{day}T00:00:00Z"), &report.created_at)
                        .map_or_else(String::new, |a| format!(", {a} old"));
                    format!("data as of {day}{old} (oldest feed: {}); {built}", escape_controls(name))
                }
                None => built,
            }
        }
        None => "none".to_owned(),
    };
    push_wrapped(out, &format!("Database:  {database}"), width, 11);
}

/// The oldest feed's data date (`YYYY-MM-DD`) and name: how old the data is, which matters more
/// than when the file was built (a rebuild from a stale mirror is still stale).
fn oldest_data(db: &microscanner_model::DatabaseInfo) -> Option<(&str, &str)> {
    db.sources
        .iter()
        .filter_map(|s| {
            let day = s.timestamp.as_deref()?.get(..10)?;
            let is_date =
                day.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
            // A year before any of the feeds existed is a placeholder (the Go vulndb's zero time).
            (is_date && day >= "1995").then_some((s.name.as_str(), day))
        })
        .min_by_key(|(_, day)| *day)
}

fn findings_table(target: &Target<'_>, paint: Paint, width: usize, legend: &mut Legend) -> String {
    let mut rows: Vec<[String; 5]> = Vec::new();
    let mut meta: Vec<(&Finding, bool)> = Vec::new();
    for group in &target.packages {
        for (i, f) in group.iter().enumerate() {
            let first = i == 0;
            let mut id = escape_controls(&f.id).into_owned();
            if f.kev.is_some() {
                id.push_str(" (KEV)");
                legend.kev = true;
            }
            if f.in_baseline {
                id.push_str(" (baseline)");
                legend.baseline = true;
            }
            rows.push([
                if first { escape_controls(&f.package.name).into_owned() } else { String::new() },
                id,
                f.severity.as_str().to_ascii_uppercase(),
                if first { escape_controls(&f.package.version).into_owned() } else { String::new() },
                fix_text(&f.fix),
            ]);
            meta.push((f, first));
        }
    }
    let headers = ["Package", "Vulnerability", "Severity", "Installed", "Fixed", "Title"];
    let layout = Layout::new(&rows, &headers, width);
    let columns = if layout.title.is_some() { 6 } else { 5 };

    let mut table = Table::new();
    table.load_style(STYLE);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    table.set_width(u16::try_from(width).unwrap_or(u16::MAX));
    if paint.0 {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_header(headers.iter().take(columns).map(|h| Cell::new(h).add_attribute(Attribute::Bold)));
    for c in 0..columns {
        if let Some(column) = table.column_mut(c) {
            column.set_padding((0, 1));
            if layout.widths.is_some() && c < 5 {
                column.set_constraint(ColumnConstraint::ContentWidth);
            }
            if let Some(title) = layout.title.filter(|_| c == 5) {
                // The title column spans what is left (its width counts its padding), so every
                // table of the report is as wide as the terminal.
                let title = u16::try_from(title + 1).unwrap_or(u16::MAX);
                column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(title)));
            }
        }
    }
    for (row, (f, first)) in rows.into_iter().zip(meta) {
        let [package, id, severity, installed, fix] = match layout.widths {
            Some(widths) => std::array::from_fn(|c| wrap_cell(&row[c], widths[c], BREAKS[c])),
            None => row,
        };
        let mut id_cell = Cell::new(id);
        if f.kev.is_some() {
            id_cell = id_cell.fg(Color::Red).add_attribute(Attribute::Bold);
        }
        let fix_cell = match f.fix.state {
            FixState::Fixed => Cell::new(fix).fg(Color::Green),
            _ => Cell::new(fix).add_attribute(Attribute::Dim),
        };
        let package_cell = if first { Cell::new(package).add_attribute(Attribute::Bold) } else { Cell::new(package) };
        let mut cells =
            vec![package_cell, id_cell, severity_cell(severity, f.severity), Cell::new(installed), fix_cell];
        if let Some(title_width) = layout.title {
            let title = truncate(f.title.as_deref().or(f.description.as_deref()).unwrap_or(""), title_width);
            cells.push(Cell::new(title).set_alignment(CellAlignment::Left));
        }
        table.add_row(cells);
    }
    let mut text = String::new();
    for line in table.lines() {
        push_line(&mut text, line.trim_end());
    }
    text
}

/// How a findings table fits its width. The title comes last: it takes what the other columns
/// leave and is cut to fit, or is left out when fewer than [`MIN_TITLE`] columns are left. Before
/// it goes, the fixed-version lists wrap onto more lines of their row; without it, the fixed
/// versions, package names, installed versions and ids wrap in turn, each only at its natural
/// break points (after `, `, `/`, `.`, `-`...), so an id or a version is never cut in the
/// middle. Only when even that does not fit (a very narrow terminal) does comfy-table cut cells
/// wherever it must.
struct Layout {
    /// The width of each of the five columns before the title, their cells wrapped to it; `None`:
    /// comfy-table wraps them.
    widths: Option<[usize; 5]>,
    /// The title's width, or `None`: no title column.
    title: Option<usize>,
}

/// The narrowest title column worth showing.
const MIN_TITLE: usize = 16;

/// Where each column's text may break onto another line, preferred break points first: package
/// names after path separators, then after dots and dashes; ids and fixed-version lists at spaces,
/// then inside a version after `-`, `+` and `~`; installed versions after those, then dots.
const BREAKS: [&[&[char]]; 5] = [
    &[&['/', ':', '@'], &['.', '-', '_']],
    &[&[' '], &['-']],
    &[&[' ']],
    &[&['-', '+', '~'], &['.']],
    &[&[' '], &['-', '+', '~']],
];

impl Layout {
    fn new(rows: &[[String; 5]], headers: &[&str; 6], width: usize) -> Self {
        let natural: [usize; 5] = std::array::from_fn(|c| {
            rows.iter().map(|r| text_width(&r[c])).chain([text_width(headers[c])]).max().unwrap_or(0)
        });
        let narrowest: [usize; 5] = std::array::from_fn(|c| {
            rows.iter().map(|r| narrowest(&r[c], BREAKS[c])).chain([text_width(headers[c])]).max().unwrap_or(0)
        });
        let used = |widths: [usize; 5]| -> [usize; 5] {
            std::array::from_fn(|c| {
                let cells = rows.iter().map(|r| max_line_width(&wrap_cell(&r[c], widths[c], BREAKS[c])));
                cells.chain([text_width(headers[c])]).max().unwrap_or(0)
            })
        };
        // With a title: each column but the fixed versions whole, those wrapped if that leaves
        // the title MIN_TITLE columns. Each column has 1 space of padding on the right, and
        // comfy-table writes a (blank) junction between columns: 2 spaces between columns, 11
        // in all for 6 columns, 9 for 5.
        let others: usize = natural[..4].iter().sum();
        let room = width.saturating_sub(11 + MIN_TITLE + others);
        if room >= narrowest[4] {
            let mut widths = natural;
            widths[4] = room.min(natural[4]);
            let widths = used(widths);
            let title = width.saturating_sub(11 + widths.iter().sum::<usize>());
            return Self { widths: Some(widths), title: Some(title) };
        }
        // Without: the fixed versions, the installed versions, the package names and the ids
        // wrap in turn, as far as their break points allow; what wrapping at a break point frees
        // goes back to the package names first.
        let target = width.saturating_sub(9);
        let mut widths = natural;
        for c in [4, 3, 0, 1] {
            let total: usize = widths.iter().sum();
            if total <= target {
                break;
            }
            widths[c] = widths[c].saturating_sub(total - target).max(narrowest[c]);
        }
        let mut widths = used(widths);
        for _ in 0..3 {
            let mut slack = target.saturating_sub(widths.iter().sum());
            if slack == 0 {
                break;
            }
            for c in [0, 3, 4, 1] {
                let more = slack.min(natural[c].saturating_sub(widths[c]));
                widths[c] += more;
                slack -= more;
            }
            widths = used(widths);
        }
        if widths.iter().sum::<usize>() <= target {
            return Self { widths: Some(widths), title: None };
        }
        Self { widths: None, title: None }
    }
}

/// `text` cut after each of `breaks` (the break character ends its piece).
fn pieces<'a>(text: &'a str, breaks: &[char]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if breaks.contains(&c) {
            let end = i + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The narrowest `text` can be wrapped to without cutting between break points.
fn narrowest(text: &str, levels: &[&[char]]) -> usize {
    match levels.split_first() {
        None => text_width(text.trim()),
        Some((breaks, deeper)) => pieces(text, breaks).iter().map(|p| narrowest(p, deeper)).max().unwrap_or(0),
    }
}

/// Wraps a cell onto lines of at most `width` columns (see [`wrap_lines`]).
fn wrap_cell(text: &str, width: usize, levels: &[&[char]]) -> String {
    if text_width(text) <= width || width == 0 {
        return text.to_owned();
    }
    wrap_lines(text, width, levels).join("\n")
}

/// Lines of at most `width` columns: pieces cut at the first level's break points are laid out
/// greedily (a space is dropped where a line ends); a piece wider than a line is wrapped at the
/// next level's, and cut only when no level is left.
fn wrap_lines(text: &str, width: usize, levels: &[&[char]]) -> Vec<String> {
    let Some((breaks, deeper)) = levels.split_first() else {
        let chars: Vec<char> = text.trim().chars().collect();
        return chars.chunks(width.max(1)).map(|c| c.iter().collect()).collect();
    };
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in pieces(text, breaks) {
        let piece = if line.trim().is_empty() { piece.trim_start() } else { piece };
        if text_width(format!("{line}{piece}").trim_end()) <= width {
            line.push_str(piece);
            continue;
        }
        if !line.trim().is_empty() {
            lines.push(line.trim_end().to_owned());
        }
        line = piece.to_owned();
        if text_width(piece.trim()) > width {
            let mut inner = wrap_lines(piece.trim(), width, deeper);
            line = inner.pop().unwrap_or_default();
            lines.extend(inner);
            if piece.ends_with(' ') {
                line.push(' ');
            }
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// The widest line of a multi-line cell.
fn max_line_width(text: &str) -> usize {
    text.lines().map(text_width).max().unwrap_or(0)
}

/// No vertical lines; a rule under the header only.
const STYLE: TableStyle = TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─'));

fn severity_cell(text: String, severity: Severity) -> Cell {
    let cell = Cell::new(text);
    match severity {
        Severity::Critical => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::DarkRed),
        Severity::Medium => cell.fg(Color::DarkYellow),
        Severity::Low => cell.fg(Color::Blue),
        Severity::Negligible | Severity::Unknown => cell.add_attribute(Attribute::Dim),
    }
}

fn summary(out: &mut String, report: &Report, paint: Paint, width: usize) {
    let s = &report.summary;
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|&sev| {
            let count = format!("{}: {}", sev.as_str().to_ascii_uppercase(), s.counts.of(sev));
            if s.counts.of(sev) > 0 { paint.severity(&count, sev) } else { count }
        })
        .collect();
    push_wrapped(out, &format!("Total: {} ({})", s.counts.total, counts.join(", ")), width, 7);
    if s.counts.total > 0 {
        push_line(out, &format!("Fixable: {}, known exploited (KEV): {}", s.fixable, s.known_exploited));
    }
    if s.declared_only > 0 {
        push_wrapped(out, &format!("Declared only: {}", declared_only_text(report)), width, 15);
    }
    if !report.suppressed.is_empty() {
        push_wrapped(out, &format!("Suppressed: {}", suppressed_text(report)), width, 12);
    }
    let filters = filters_text(report);
    if !filters.is_empty() {
        push_wrapped(out, &format!("Filters: {filters}"), width, 9);
    }
    push_wrapped(out, &format!("Scanned: {}", scanned_text(report)), width, 9);
    for skipped in &report.coverage.skipped {
        let line = format!("Skipped: {}: {}", escape_controls(&skipped.what), one_line(&skipped.reason));
        push_wrapped(out, &line, width, 9);
    }
    let warnings: Vec<_> = report.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Warning).collect();
    for d in warnings.iter().take(MAX_DIAGNOSTICS) {
        push_wrapped(out, &format!("Note: {}: {}", escape_controls(&d.location), one_line(&d.message)), width, 6);
    }
    if warnings.len() > MAX_DIAGNOSTICS {
        let more = warnings.len() - MAX_DIAGNOSTICS;
        push_line(out, &format!("Note: {more} more warnings (see the json format)"));
    }
    if !report.coverage.complete {
        let line = "Warning: incomplete scan: part of the image could not be analysed, so findings may be missing.";
        for l in wrap(line, width, 9) {
            push_line(out, &paint.warn(&l));
        }
    }
    let verdict = policy_text(report);
    let verdict = if report.policy.failed { paint.bad(&verdict) } else { paint.good(&verdict) };
    push_wrapped(out, &format!("Policy: {verdict}"), width, 8);
}

// ---- shared with markdown and junit ----------------------------------------------------------

/// The fix as people read it: the fixed versions, or why there is none.
pub(super) fn fix_text(fix: &Fix) -> String {
    match fix.state {
        FixState::Fixed if fix.versions.is_empty() => "fixed".to_owned(),
        FixState::Fixed => escape_controls(&fix.versions.join(", ")).into_owned(),
        FixState::NotFixed => "not fixed".to_owned(),
        FixState::WontFix => "won't fix".to_owned(),
        FixState::Postponed => "postponed".to_owned(),
        FixState::EndOfLife => "end of life".to_owned(),
        FixState::Undetermined => "undetermined".to_owned(),
    }
}

/// The policy verdict in one phrase: `fails: 2 findings at or above high` or `passes ...`.
pub(super) fn policy_text(report: &Report) -> String {
    let policy = &report.policy;
    let baseline = report.findings.iter().filter(|f| f.in_baseline).count();
    let baseline_note = if policy.baseline.is_some() && baseline > 0 {
        format!(" ({baseline} already in the baseline not counted)")
    } else {
        String::new()
    };
    match policy.fail_on {
        Some(sev) if policy.failed => format!(
            "fails: {} {} at or above {sev}{baseline_note}",
            policy.failing,
            plural(policy.failing, "finding", "findings")
        ),
        Some(sev) => format!("passes: no findings at or above {sev}{baseline_note}"),
        None if policy.failed => format!("fails: {} failing findings", policy.failing),
        None => "passes (no severity threshold)".to_owned(),
    }
}

/// The findings on declared-only packages, apart: how many, and whether they fail the scan.
pub(super) fn declared_only_text(report: &Report) -> String {
    let n = report.summary.declared_only;
    let fails = if report.policy.declared_only_fails { "" } else { "; they do not fail the scan" };
    format!(
        "{n} {} on packages a lockfile names but nothing installed holds (counted in the total){fails}",
        plural(n, "finding", "findings")
    )
}

/// How many findings were suppressed, and by what.
pub(super) fn suppressed_text(report: &Report) -> String {
    let count =
        |kind| report.suppressed.iter().filter(|f| f.suppression.as_ref().map(|s| s.kind) == Some(kind)).count();
    let (ignore, vex) = (count(SuppressionKind::IgnoreFile), count(SuppressionKind::Vex));
    let n = report.suppressed.len();
    let mut parts = Vec::new();
    if ignore > 0 {
        parts.push(format!("{ignore} by the ignore file"));
    }
    if vex > 0 {
        parts.push(format!("{vex} by VEX"));
    }
    if parts.is_empty() {
        format!("{n} {}", plural(n, "finding", "findings"))
    } else {
        format!("{n} {} ({})", plural(n, "finding", "findings"), parts.join(", "))
    }
}

/// The policy's filters (`--severity`, `--ignore-unfixed`, `--baseline`), or "" when none.
pub(super) fn filters_text(report: &Report) -> String {
    let policy = &report.policy;
    let mut parts = Vec::new();
    if !policy.severities.is_empty() {
        let names: Vec<&str> = policy.severities.iter().map(|s| s.as_str()).collect();
        parts.push(format!("only {} shown", names.join(", ")));
    }
    if policy.ignore_unfixed {
        parts.push("findings without a fix hidden".to_owned());
    }
    if let Some(baseline) = &policy.baseline {
        parts.push(format!("baseline {}", escape_controls(baseline)));
    }
    parts.join("; ")
}

/// What the scan covered: `4 packages in 3 ecosystems: Debian:11 (2), PyPI (1)`.
pub(super) fn scanned_text(report: &Report) -> String {
    let c = &report.coverage;
    let mut text = format!("{} {}", c.packages, plural(c.packages, "package", "packages"));
    if c.packages_matched != c.packages {
        let _ = write!(text, " ({} looked up)", c.packages_matched);
    }
    if !c.ecosystems.is_empty() {
        let list: Vec<String> = c
            .ecosystems
            .iter()
            .map(|e| {
                let ecosystem = escape_controls(&e.ecosystem);
                if e.database_entries == 0 {
                    format!("{ecosystem} ({}, no advisories in the database)", e.packages)
                } else {
                    format!("{ecosystem} ({})", e.packages)
                }
            })
            .collect();
        let n = c.ecosystems.len();
        let _ = write!(text, " in {n} {}: {}", plural(n, "ecosystem", "ecosystems"), list.join(", "));
    }
    text
}

/// One place findings were found: the OS packages, one language ecosystem, or one binary.
pub(super) struct Target<'a> {
    /// The package kind (the first OS kind for the OS target).
    pub(super) kind: PackageKind,
    /// The binary's path, for targets that are one binary (Go, Rust).
    pub(super) location: Option<&'a str>,
    /// The findings, grouped by package, each group in report order.
    pub(super) packages: Vec<Vec<&'a Finding>>,
    /// All findings of the target, in report order.
    pub(super) findings: Vec<&'a Finding>,
}

impl Target<'_> {
    /// A heading: `OS packages (debian 11)`, `Python (pypi)`, `Rust binary /app (cargo)`; the
    /// report's strings in it are escaped ([`escape_controls`]).
    pub(super) fn label(&self, report: &Report) -> String {
        if self.kind.is_os() {
            return match &report.os {
                Some(os) => format!("OS packages ({} {})", escape_controls(&os.family), escape_controls(&os.version)),
                None => "OS packages".to_owned(),
            };
        }
        let language = language_name(self.kind);
        match self.location {
            Some(location) => {
                format!("{language} binary {} ({})", escape_controls(location), self.kind.purl_type())
            }
            None => format!("{language} ({})", self.kind.purl_type()),
        }
    }

    /// A short machine-friendly name: `os`, `pypi`, `cargo:/usr/local/bin/app`.
    pub(super) fn key(&self) -> String {
        if self.kind.is_os() {
            return "os".to_owned();
        }
        match self.location {
            Some(location) => format!("{}:{location}", self.kind.purl_type()),
            None => self.kind.purl_type().to_owned(),
        }
    }
}

/// The language an ecosystem belongs to.
pub(super) fn language_name(kind: PackageKind) -> &'static str {
    match kind {
        PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm => "OS",
        PackageKind::Pypi => "Python",
        PackageKind::Npm => "Node.js",
        PackageKind::Golang => "Go",
        PackageKind::Cargo => "Rust",
        PackageKind::Maven => "Java",
        PackageKind::Gem => "Ruby",
        PackageKind::Composer => "PHP",
        PackageKind::Nuget => ".NET",
        PackageKind::Pub => "Dart",
        PackageKind::Hex => "Elixir",
        PackageKind::Swift | PackageKind::Cocoapods => "Swift",
        PackageKind::Conan => "C/C++",
        PackageKind::Julia => "Julia",
        PackageKind::Bitnami => "Bitnami",
    }
}

/// Groups findings into targets: OS packages first, then language ecosystems in kind order
/// (Go and Rust split by binary), each grouped by package in order of its first finding.
pub(super) fn targets(findings: &[Finding]) -> Vec<Target<'_>> {
    let mut targets: Vec<Target<'_>> = Vec::new();
    for f in findings {
        let kind = f.package.kind;
        let location = matches!(kind, PackageKind::Golang | PackageKind::Cargo).then_some(f.package.location.as_str());
        let index = targets
            .iter()
            .position(|t| if kind.is_os() { t.kind.is_os() } else { t.kind == kind && t.location == location });
        let index = index.unwrap_or_else(|| {
            targets.push(Target { kind, location, packages: Vec::new(), findings: Vec::new() });
            targets.len() - 1
        });
        let Some(target) = targets.get_mut(index) else { continue };
        target.findings.push(f);
        let same = |g: &&mut Vec<&Finding>| {
            g.first().is_some_and(|p| {
                p.package.kind == f.package.kind
                    && p.package.name == f.package.name
                    && p.package.version == f.package.version
                    && p.package.location == f.package.location
            })
        };
        match target.packages.iter_mut().find(same) {
            Some(group) => group.push(f),
            None => target.packages.push(vec![f]),
        }
    }
    targets.sort_by(|a, b| (!a.kind.is_os(), a.kind, a.location).cmp(&(!b.kind.is_os(), b.kind, b.location)));
    targets
}

/// One section of the table: a target that was scanned, with its package count and its findings
/// (none, for a target that was scanned and found clean).
struct Section<'a> {
    target: Target<'a>,
    /// Packages of the inventory in this target.
    packages: usize,
}

/// A section for every target the inventory has (OS packages, each language ecosystem, each Go
/// or Rust binary), with or without findings, in the order of [`targets`].
fn sections(report: &Report) -> Vec<Section<'_>> {
    let mut sections: Vec<Section<'_>> =
        targets(&report.findings).into_iter().map(|target| Section { target, packages: 0 }).collect();
    for p in &report.packages {
        let kind = p.kind;
        let location = matches!(kind, PackageKind::Golang | PackageKind::Cargo).then_some(p.location());
        let same = |s: &Section<'_>| {
            if kind.is_os() { s.target.kind.is_os() } else { s.target.kind == kind && s.target.location == location }
        };
        match sections.iter_mut().find(|s| same(s)) {
            Some(section) => section.packages += 1,
            None => sections.push(Section {
                target: Target { kind, location, packages: Vec::new(), findings: Vec::new() },
                packages: 1,
            }),
        }
    }
    sections.sort_by(|a, b| {
        let (a, b) = (&a.target, &b.target);
        (!a.kind.is_os(), a.kind, a.location).cmp(&(!b.kind.is_os(), b.kind, b.location))
    });
    sections
}

/// What the database could have found for a target without findings: `the database has 4210
/// advisories for Debian:11`, or why nothing could be found.
fn database_note(report: &Report, target: &Target<'_>) -> String {
    let ecosystem = if target.kind.is_os() {
        report.os.as_ref().and_then(|os| os.ecosystem.clone())
    } else {
        target.kind.osv_ecosystem().map(str::to_owned)
    };
    let covered = ecosystem.as_deref().and_then(|e| report.coverage.ecosystems.iter().find(|c| c.ecosystem == e));
    match (ecosystem, covered) {
        (Some(e), Some(c)) if c.database_entries > 0 => {
            format!("the database has {} advisories for {}", c.database_entries, escape_controls(&e))
        }
        (Some(e), Some(_)) => {
            format!("the database has no advisories for {}: nothing could be found", escape_controls(&e))
        }
        _ => "not looked up: see Skipped below".to_owned(),
    }
}

/// `finding` or `findings`.
pub(super) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

// ---- text helpers --------------------------------------------------------------------------

/// ANSI styling of plain text lines, or none.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, text: &str, code: &str) -> String {
        if self.0 { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    fn bold(self, text: &str) -> String {
        self.wrap(text, "1")
    }

    fn good(self, text: &str) -> String {
        self.wrap(text, "32")
    }

    fn bad(self, text: &str) -> String {
        self.wrap(text, "1;31")
    }

    fn warn(self, text: &str) -> String {
        self.wrap(text, "33")
    }

    fn severity(self, text: &str, severity: Severity) -> String {
        let code = match severity {
            Severity::Critical => "1;91",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "94",
            Severity::Negligible | Severity::Unknown => "2",
        };
        self.wrap(text, code)
    }
}

/// The display width of text: one column per char (titles are mostly ASCII), ANSI colour
/// sequences (`ESC [ ... m`) left out.
fn text_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in text.chars() {
        match c {
            '\x1b' => in_escape = true,
            'm' if in_escape => in_escape = false,
            _ if in_escape => {}
            _ => width += 1,
        }
    }
    width
}

/// Prose cut to `max` columns, ending with `…` when cut: on one line, control and bidi characters
/// shown visibly ([`one_line`]).
pub(super) fn truncate(text: &str, max: usize) -> String {
    let text = one_line(text);
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

/// Writes `line` wrapped at `width` columns (see [`wrap`]).
fn push_wrapped(out: &mut String, line: &str, width: usize, indent: usize) {
    for l in wrap(line, width, indent) {
        push_line(out, &l);
    }
}

/// Splits `line` on spaces into lines of at most `width` columns, continuation lines indented by
/// `indent` spaces; a word longer than a whole line is cut (unless it carries colour codes).
fn wrap(line: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_width = 0;
    let mut fresh = true;
    for word in line.split(' ') {
        let mut word = word;
        let mut w = text_width(word);
        if w > 0 && !fresh && current_width + 1 + w > width {
            lines.push(std::mem::replace(&mut current, " ".repeat(indent)).trim_end().to_owned());
            current_width = indent;
            fresh = true;
        }
        // A word wider than a whole line: cut it, a line at a time.
        while fresh && w > width.saturating_sub(current_width) && current_width < width && !word.contains('\x1b') {
            let head: String = word.chars().take(width - current_width).collect();
            word = &word[head.len()..];
            w = text_width(word);
            current.push_str(&head);
            lines.push(std::mem::replace(&mut current, " ".repeat(indent)).trim_end().to_owned());
            current_width = indent;
        }
        if !fresh {
            current.push(' ');
            current_width += 1;
        }
        current.push_str(word);
        current_width += w;
        fresh = false;
    }
    lines.push(current.trim_end().to_owned());
    lines
}

/// `sha256:bbbbbbbbbbbb` (12 hex digits).
fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algo, hex)) => format!("{algo}:{}", hex.chars().take(12).collect::<String>()),
        None => digest.chars().take(12).collect(),
    }
}

/// How long before `later` `earlier` was: `6 hours`, `3 days`.
fn age(earlier: &str, later: &str) -> Option<String> {
    let earlier = OffsetDateTime::parse(earlier, &Rfc3339).ok()?;
    let later = OffsetDateTime::parse(later, &Rfc3339).ok()?;
    let hours = (later - earlier).whole_hours();
    Some(match hours {
        h if h < 0 => return None,
        h if h < 48 => format!("{h} {}", plural(usize::try_from(h).unwrap_or(0), "hour", "hours")),
        h => format!("{} days", h / 24),
    })
}
