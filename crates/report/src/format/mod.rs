//! Vulnerability report formats. Each is a pure function of a [`Report`]: same report, same bytes
//! (the timestamp is the report's own `created_at`).

mod cyclonedx;
mod html;
mod json;
mod junit;
mod legacy;
mod markdown;
mod sarif;
mod spdx;
mod table;
mod template;

use std::fmt;
use std::str::FromStr;

use microscanner_model::Report;

/// The formats `scan --format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// Grouped, coloured table for people (the default on a terminal).
    Table,
    /// microscanner's own JSON (`docs/report.schema.json`).
    Json,
    /// The old Aqua MicroScanner's JSON, field for field.
    Microscanner,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// CycloneDX 1.6 with `vulnerabilities`.
    Cyclonedx,
    /// SPDX 2.3 (the inventory; SPDX has no vulnerability section).
    Spdx,
    /// One self-contained HTML page.
    Html,
    /// JUnit XML, one test case per finding.
    Junit,
    /// Markdown, for pull-request comments.
    Markdown,
    /// A user's minijinja template (`--template FILE`).
    Template,
}

impl ReportFormat {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Self; 10] = [
        Self::Table,
        Self::Json,
        Self::Microscanner,
        Self::Sarif,
        Self::Cyclonedx,
        Self::Spdx,
        Self::Html,
        Self::Junit,
        Self::Markdown,
        Self::Template,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::Json => "json",
            Self::Microscanner => "microscanner",
            Self::Sarif => "sarif",
            Self::Cyclonedx => "cyclonedx",
            Self::Spdx => "spdx",
            Self::Html => "html",
            Self::Junit => "junit",
            Self::Markdown => "markdown",
            Self::Template => "template",
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReportFormat {
    type Err = String;

    /// Any case (`JSON`, `Sarif`); an unknown name is an error that suggests the nearest one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("report format", s, &Self::ALL, Self::name)
    }
}

/// The one of `all` that `name` calls `given`, in any case. Every `--format` of the command line
/// is read this way: an unknown name is an error that suggests the nearest name when one is close
/// (`tabel`: did you mean table?) and lists them all.
pub(crate) fn parse_name<T: Copy>(
    what: &str,
    given: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, String> {
    let word = given.trim();
    all.iter().copied().find(|f| name(*f).eq_ignore_ascii_case(word)).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|f| name(*f)).collect();
        unknown_name(what, given, &names)
    })
}

/// The error for a name that is none of `names`.
fn unknown_name(what: &str, given: &str, names: &[&str]) -> String {
    let lower = given.trim().to_ascii_lowercase();
    let nearest = names
        .iter()
        .map(|n| (strsim::damerau_levenshtein(&lower, n), *n))
        .filter(|(d, n)| *d <= 2 && *d < n.len())
        .min();
    let hint = nearest.map(|(_, n)| format!("; did you mean {n}?")).unwrap_or_default();
    format!("unknown {what} {given:?}{hint} (expected one of {})", names.join(", "))
}

/// How to render.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Use ANSI colours (table only; the binary sets it for terminals without `NO_COLOR`).
    pub color: bool,
    /// Terminal width in columns for the table (0: 100).
    pub width: usize,
    /// The template text, for [`ReportFormat::Template`].
    pub template: Option<String>,
    /// The old tool's `--full-output`: the `microscanner` format lists every package, not only
    /// the vulnerable ones.
    pub full_output: bool,
}

/// A report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The user's template does not parse or fails to render.
    #[error("template: {0}")]
    Template(String),
    /// `--format template` without `--template FILE`.
    #[error("--format template needs --template FILE")]
    NoTemplate,
    /// Serialisation failed (should not happen for a valid report).
    #[error("{format}: {message}")]
    Serialize {
        /// The format being written.
        format: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The destination refused the bytes (a full disk, a closed pipe).
    #[error("{0}")]
    Write(#[from] std::io::Error),
}

/// Renders `report` in `format` into `out`. The `json`, `cyclonedx` and `spdx` formats stream:
/// the document is never held whole (a package is made as it is written), so a report of
/// 250,000 packages costs the report, not the report and its text too. The other formats are
/// rendered, then written.
pub fn render_to(
    report: &Report,
    format: ReportFormat,
    options: &RenderOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), RenderError> {
    match format {
        ReportFormat::Json => return json::write(report, out),
        ReportFormat::Cyclonedx => return cyclonedx::write(report, out),
        ReportFormat::Spdx => return spdx::write(report, out),
        _ => {}
    }
    out.write_all(&render(report, format, options)?)?;
    Ok(())
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: ReportFormat, options: &RenderOptions) -> Result<Vec<u8>, RenderError> {
    match format {
        ReportFormat::Table => table::render(report, options),
        ReportFormat::Json => {
            let mut bytes = Vec::new();
            json::write(report, &mut bytes)?;
            Ok(bytes)
        }
        ReportFormat::Microscanner => legacy::render(report, options.full_output),
        ReportFormat::Sarif => sarif::render(report),
        ReportFormat::Cyclonedx | ReportFormat::Spdx => {
            let mut bytes = Vec::new();
            render_to(report, format, options, &mut bytes)?;
            Ok(bytes)
        }
        ReportFormat::Html => html::render(report),
        ReportFormat::Junit => junit::render(report),
        ReportFormat::Markdown => markdown::render(report),
        ReportFormat::Template => template::render(report, options),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_in_any_case_and_typos_get_a_suggestion() {
        assert_eq!("JSON".parse::<ReportFormat>(), Ok(ReportFormat::Json));
        assert_eq!("Sarif".parse::<ReportFormat>(), Ok(ReportFormat::Sarif));
        let err = "tabel".parse::<ReportFormat>().unwrap_err();
        assert!(err.contains("did you mean table?"), "{err}");
        let err = "jsno".parse::<ReportFormat>().unwrap_err();
        assert!(err.contains("did you mean json?"), "{err}");
        let err = "csv".parse::<ReportFormat>().unwrap_err();
        assert!(!err.contains("did you mean"), "nothing is near: {err}");
    }
}
