//! `microscanner diff OLD.json NEW.json`: what is new, fixed and changed between two JSON reports,
//! so a pipeline can alert on new findings only.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::Context as _;
use microscanner_report::diff::{DiffFormat, diff, parse_report, render_diff_json, render_diff_table};

use crate::commands::scan::{Threshold, parse_threshold};
use crate::commands::{Global, write_bytes};
use crate::exit::Outcome;

/// Arguments of `microscanner diff`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    microscanner diff main.json branch.json                  # new, fixed and changed findings\n  \
    microscanner diff main.json branch.json --fail-on high   # exit 4 when something new is high\n\n\
    A pipeline that alerts on new findings: docs/ci-recipes.md.")]
pub(crate) struct DiffArgs {
    /// The earlier report (`scan --format json`).
    old: PathBuf,
    /// The later report.
    new: PathBuf,
    /// `table` or `json`, in any case [default: table on a terminal, else json].
    #[arg(long, short, value_parser = parse_diff_format, value_name = "FORMAT")]
    format: Option<DiffFormat>,
    /// Write the diff to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 4 when a NEW finding is at or above this severity; a comma list adds `unknown`
    /// (unrated findings): `high,unknown`; `none` (the default) never fails.
    #[arg(long, value_parser = parse_threshold, value_name = "SEVERITY")]
    fail_on: Option<Threshold>,
}

/// Parses `--format` (any case; a typo gets a suggestion).
fn parse_diff_format(s: &str) -> Result<DiffFormat, String> {
    s.parse()
}

/// Runs `microscanner diff`.
pub(crate) fn run(_global: &Global, args: &DiffArgs) -> anyhow::Result<Outcome> {
    let read = |path: &PathBuf| -> anyhow::Result<_> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(parse_report(&bytes, &path.display().to_string())?)
    };
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let d = diff(&old, &new);
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let bytes = match args.format {
        Some(DiffFormat::Table) => render_diff_table(&d, false),
        Some(DiffFormat::Json) => render_diff_json(&d),
        None if to_terminal => render_diff_table(&d, crate::logging::use_color(to_terminal)),
        None => render_diff_json(&d),
    };
    write_bytes(args.output.as_deref(), &bytes)?;
    let failing = args.fail_on.and_then(|t| t.0).is_some_and(|fail_on| d.summary.new.failing(fail_on) > 0);
    Ok(if failing { Outcome::PolicyFailure } else { Outcome::Success })
}
