//! `microscanner convert REPORT.json --format F`: renders a saved JSON report (`scan --format
//! json`) in any report format, so one scan gives several reports (Trivy's `convert`). It reads
//! only the report: no image, no database.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::Context as _;
use microscanner_report::diff::parse_report;
use microscanner_report::{RenderOptions, ReportFormat, render};

use crate::commands::scan::{Threshold, parse_format, parse_threshold, read_template, terminal_width};
use crate::commands::{Global, write_bytes};
use crate::exit::Outcome;

/// Arguments of `microscanner convert`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    microscanner scan app.tar --format json --output report.json --fail-on none\n  \
    microscanner convert report.json --format sarif --output report.sarif\n  \
    microscanner convert report.json --format junit --fail-on high   # exits 4 as the scan would")]
pub(crate) struct ConvertArgs {
    /// A report written by `microscanner scan --format json`.
    report: PathBuf,
    /// The format to write: table, json, microscanner, sarif, cyclonedx, spdx, html, junit,
    /// markdown, template [default: table on a terminal, else json].
    #[arg(long, short, value_parser = parse_format, value_name = "FORMAT")]
    format: Option<ReportFormat>,
    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The minijinja template for `--format template`.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// The `microscanner` format lists every package, not only the vulnerable ones.
    #[arg(long)]
    full_output: bool,
    /// Exit 4 when a finding not in the scan's baseline is at or above this severity (as `scan
    /// --fail-on` would have); `none` (the default) never fails.
    #[arg(long, value_parser = parse_threshold, value_name = "SEVERITY")]
    fail_on: Option<Threshold>,
}

/// Runs `microscanner convert`.
pub(crate) fn run(_global: &Global, args: &ConvertArgs) -> anyhow::Result<Outcome> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal { ReportFormat::Table } else { ReportFormat::Json });
    let template = read_template(format, args.template.as_deref())?;
    let bytes = std::fs::read(&args.report).with_context(|| format!("reading {}", args.report.display()))?;
    let report = parse_report(&bytes, &args.report.display().to_string())?;
    let options = RenderOptions {
        color: format == ReportFormat::Table && crate::logging::use_color(to_terminal),
        width: terminal_width(),
        template,
        full_output: args.full_output,
    };
    let out = render(&report, format, &options).with_context(|| format!("writing the {format} report"))?;
    write_bytes(args.output.as_deref(), &out)?;
    let failing = args
        .fail_on
        .and_then(|t| t.0)
        .map_or(0, |fail_on| report.findings.iter().filter(|f| !f.in_baseline && fail_on.fails(f.severity)).count());
    Ok(if failing > 0 { Outcome::PolicyFailure } else { Outcome::Success })
}
