//! `microscanner scan TARGET`: inventory an image, match it against the database, apply the
//! policy and write the report. The report goes to stdout or `--output`; logs and progress go to
//! stderr. The exit code says whether the policy failed (see `docs/exit-codes.md`).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use microscanner_model::{Diagnostic, DiagnosticLevel, Inventory, REPORT_SCHEMA_VERSION, Report, Severity};
use microscanner_report::policy::{Baseline, IgnoreFile, Policy, VexDocument};
use microscanner_report::text::{escape_controls, one_line};
use microscanner_report::{RenderOptions, ReportFormat, render, render_to};
use microscanner_vulndb::Database;

use microscanner_server::client::Client;
use microscanner_server::report::{apply_local_policy, build_report, database_info};
use microscanner_server::token::Token;

use crate::commands::inventory::{SourceArgs, inventories};
use crate::commands::{Global, db_path, parse_severity, write_bytes, write_with};
use crate::exit::Outcome;

/// The ignore file read from the working directory when `--ignore-file` is not given.
const DEFAULT_IGNORE_FILE: &str = ".microscanner-ignore.yaml";

/// Arguments of `microscanner scan`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    microscanner scan registry:ghcr.io/acme/app:1.4              # exit 4 on high or critical findings\n  \
    microscanner scan app.tar --fail-on critical --ignore-unfixed\n  \
    microscanner scan docker:app:latest -f sarif -o app.sarif --fail-on none\n  \
    microscanner scan oci:build/oci --baseline previous.json -f json -o report.json\n  \
    microscanner scan sbom:app.cdx.json                          # the packages an SBOM lists\n\n\
    Without --format the report is a table on a terminal and JSON when stdout is a pipe or a file.\n\
    Every flag is also MICROSCANNER_<FLAG> and a key of microscanner.yaml (docs/configuration.md).")]
pub(crate) struct ScanArgs {
    /// What to scan: `docker-archive:PATH`, `oci:DIR[:TAG]`, `oci-archive:PATH`, `dir:PATH`,
    /// `registry:REF`, `docker:REF`, `podman:REF`, `sbom:FILE` (the packages a CycloneDX or SPDX
    /// JSON lists), a bare path (detected) or a bare reference (the local engine first, then the
    /// registry).
    target: String,
    /// Report format: table, json, microscanner, sarif, cyclonedx, spdx, html, junit, markdown,
    /// template [default: table on a terminal, else json]. Repeated with --output, one report
    /// per pair from one scan: `-f json -o r.json -f sarif -o r.sarif`.
    #[arg(long, short, value_parser = parse_format, value_name = "FORMAT", action = clap::ArgAction::Append)]
    format: Vec<ReportFormat>,
    /// Write the report to FILE instead of stdout (repeated: the report of the matching --format).
    #[arg(long, short, value_name = "FILE", action = clap::ArgAction::Append)]
    output: Vec<PathBuf>,
    /// With --output, write the report to stdout as well (the in-image mode does: the build log
    /// shows it, and a later stage can COPY the file).
    #[arg(long, requires = "output")]
    tee: bool,
    /// The `microscanner` format lists every package, not only the vulnerable ones (the old
    /// tool's --full-output).
    #[arg(long)]
    full_output: bool,
    /// The minijinja template for `--format template`.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// Show only findings of these severities: a comma list in any case, as Trivy's
    /// (critical,high,medium,low,negligible,unknown; `HIGH,CRITICAL`), or the flag repeated.
    #[arg(long, value_delimiter = ',', value_parser = parse_severity, value_name = "LIST")]
    severity: Vec<Severity>,
    /// Fail (exit 4) when a shown finding is at or above this severity; a comma list adds
    /// `unknown` (unrated findings): `high,unknown`; `none` never fails.
    #[arg(long, default_value = "high", value_parser = parse_threshold, value_name = "SEVERITY")]
    fail_on: Threshold,
    /// Hide findings that have no fixed version.
    #[arg(long)]
    ignore_unfixed: bool,
    /// Report, but exit 0 even when findings are at or above the threshold.
    #[arg(long, short = 'c')]
    continue_on_failure: bool,
    /// Exit 5 when part of the image could not be analysed (after the policy check).
    #[arg(long)]
    fail_on_incomplete: bool,
    /// Findings on declared-only packages (a lockfile names them, nothing installed does) do
    /// not fail the scan; they are still shown, and counted apart.
    #[arg(long)]
    declared_only_no_fail: bool,
    /// Ignore file: YAML entries with reasons and expiry, or a plain list of ids as Trivy's
    /// `.trivyignore` [default: ./.microscanner-ignore.yaml, else ./.trivyignore, when it exists].
    #[arg(long, value_name = "FILE")]
    ignore_file: Option<PathBuf>,
    /// OpenVEX document whose `not_affected` / `fixed` statements hide findings (repeatable).
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
    /// An earlier JSON report: the findings it had (the same vulnerability in the same package,
    /// whatever the version) are shown but do not fail the scan. A file that does not exist yet
    /// (the first build) is a warning: every finding is new.
    #[arg(long, value_name = "OLD.json")]
    baseline: Option<PathBuf>,
    /// Layer cache flags.
    #[command(flatten)]
    cache: super::LayerCacheArgs,
    /// Platform and registry flags.
    #[command(flatten)]
    source: SourceArgs,
    /// Give up pulling the image from a registry after DURATION in all (`90s`, `5m`, `1h`, `1m30s`;
    /// a bare number is seconds; `0`: no limit). Every registry read is bounded besides: a
    /// registry that sends nothing for 30 s, or a document over its size bound, fails the scan.
    #[arg(long, default_value = "5m", value_parser = parse_timeout, value_name = "DURATION")]
    timeout: RegistryTimeout,
    /// Service flags (scan through a microscanner server).
    #[command(flatten)]
    pub(crate) remote: RemoteArgs,
    /// Warn when the vulnerability data (its oldest feed's newest record, not the file's build
    /// time) is older than this many days; 0 never warns.
    #[arg(long, default_value_t = super::freshness::DEFAULT_MAX_AGE_DAYS, env = "MICROSCANNER_DB_MAX_AGE", value_name = "DAYS")]
    db_max_age: u64,
    /// Print the inventory that would be sent to the server (microscanner inventory JSON), and
    /// send nothing: what leaves the machine is this document, never a file of the image.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Watch flags (remember the image for `microscanner watch`).
    #[command(flatten)]
    pub(crate) watch: super::watch::RememberArgs,
}

/// Scanning through a microscanner server: only the inventory is sent; the local policy flags
/// judge the answer.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct RemoteArgs {
    /// The token a server mailed (it names its server); with it the scan goes through the server
    /// instead of the local database.
    #[arg(long, env = "MICROSCANNER_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub(crate) token: Option<String>,
    /// Read the token from a file (a BuildKit secret: /run/secrets/NAME).
    #[arg(long, env = "MICROSCANNER_TOKEN_FILE", value_name = "FILE", conflicts_with = "token")]
    pub(crate) token_file: Option<PathBuf>,
    /// The server's URL, overriding the one in the token.
    #[arg(long, env = "MICROSCANNER_SERVER", value_name = "URL")]
    pub(crate) server: Option<String>,
    /// Do not verify the server's TLS certificate (a warning is printed).
    #[arg(long, short = 'n')]
    pub(crate) no_verify: bool,
}

impl RemoteArgs {
    /// The token, from `--token`, `--token-file` or the environment; `None`: scan locally.
    pub(crate) fn token(&self) -> anyhow::Result<Option<Token>> {
        let text = match (&self.token, &self.token_file) {
            (Some(t), _) => t.clone(),
            (None, Some(path)) => {
                std::fs::read_to_string(path).with_context(|| format!("reading --token-file {}", path.display()))?
            }
            (None, None) => return Ok(None),
        };
        if text.trim().is_empty() {
            return Ok(None);
        }
        Ok(Some(Token::parse(&text).context("the token")?))
    }
}

/// `--timeout`: the overall deadline of a registry pull, or none (`0`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RegistryTimeout(Option<Duration>);

/// Parses `--timeout`: a duration ([`parse_duration`]); zero means no deadline.
fn parse_timeout(s: &str) -> Result<RegistryTimeout, String> {
    let total = parse_duration(s)?;
    Ok(RegistryTimeout((!total.is_zero()).then_some(total)))
}

/// Parses a duration: number-unit pairs (`ms`, `s`, `m`, `h`; `1m30s`), a bare number being
/// seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let invalid = || format!("`{s}` is not a duration: write it as 90s, 5m, 1h or 1m30s (0 for no limit)");
    let text = s.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        let unit_len = rest[digits..].find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len() - digits);
        let part = match &rest[digits..digits + unit_len] {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.saturating_mul(60)),
            "h" => Duration::from_secs(number.saturating_mul(3600)),
            _ => return Err(invalid()),
        };
        total = total.saturating_add(part);
        rest = &rest[digits + unit_len..];
    }
    if text.is_empty() {
        return Err(invalid());
    }
    Ok(total)
}

/// The source flags with `--timeout` for the registry.
fn source_args(args: &ScanArgs) -> SourceArgs {
    SourceArgs { timeout: args.timeout.0, ..args.source.clone() }
}

/// `--fail-on`: a severity threshold, plus `unknown` when listed (`high,unknown`), or never.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Threshold(pub(crate) Option<microscanner_model::FailOn>);

pub(crate) fn parse_format(s: &str) -> Result<ReportFormat, String> {
    s.parse()
}

/// Parses `--fail-on` (of `scan` and `diff`): `none`, a severity, or a comma list of severities
/// in any case (`high,unknown`, `HIGH, UNKNOWN`).
pub(crate) fn parse_threshold(s: &str) -> Result<Threshold, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        Ok(Threshold(None))
    } else {
        s.parse().map(|f| Threshold(Some(f))).map_err(|e: microscanner_model::InvalidFailOn| e.to_string())
    }
}

/// Runs `microscanner scan`.
pub(crate) fn run(global: &Global, args: &ScanArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let created_at = now_rfc3339();
    let destinations = destinations(args)?;
    // Read every input before the (slow) image walk, so a typo fails at once.
    let needs_template = destinations.iter().any(|(f, _)| *f == ReportFormat::Template);
    let template = read_template(
        if needs_template { ReportFormat::Template } else { ReportFormat::Json },
        args.template.as_deref(),
    )?;
    let policy = policy(args)?;
    let token = args.remote.token()?;
    args.watch.check()?;
    anyhow::ensure!(
        args.watch.remember.is_none() || !(args.source.all_platforms || args.dry_run),
        "--remember keeps one image: scan one --platform at a time, without --dry-run"
    );
    for (format, _) in &destinations {
        anyhow::ensure!(
            !args.source.all_platforms || matches!(format, ReportFormat::Table | ReportFormat::Json),
            "--all-platforms writes table or json (one report per platform); for {format}, scan one --platform at a time"
        );
    }
    let remote = token.is_some();
    anyhow::ensure!(
        !remote || args.watch.webhook.is_none(),
        "--webhook is for images remembered here; with --token the server remembers the image and \
         notifies its operator's webhook (serve --watch-webhook)"
    );
    let reports = if args.dry_run {
        return dry_run(args, global);
    } else if let Some(token) = token {
        remote_reports(global, args, &token, &policy, started)?
    } else {
        local_reports(global, args, &policy, &created_at, started)?
    };
    // with a token the server remembers the inventory (sent with it above) and re-evaluates it
    match (&args.watch.remember, reports.first()) {
        (Some(name), Some(_)) if remote => super::note(
            global,
            &format!("the server remembered the image as {name:?}: it re-evaluates it after each database reload"),
        ),
        (_, Some(report)) => super::watch::remember(global, &args.watch, report)?,
        _ => {}
    }
    for report in &reports {
        warn_all(&report.diagnostics);
    }
    if let Some(database) = reports.first().and_then(|r| r.database.as_ref()) {
        super::freshness::warn_if_stale(database, args.db_max_age, time::OffsetDateTime::now_utc());
    }
    for (i, (format, output)) in destinations.iter().enumerate() {
        let options = RenderOptions {
            color: *format == ReportFormat::Table
                && output.is_none()
                && crate::logging::use_color(std::io::stdout().is_terminal()),
            width: terminal_width(),
            template: template.clone(),
            full_output: args.full_output,
        };
        let tee = i == 0 && args.tee && output.is_some();
        if args.source.all_platforms {
            let bytes = render_platforms(&reports, &args.target, *format, &options)?;
            write_bytes(output.as_deref(), &bytes)?;
            if tee {
                write_bytes(None, &bytes)?;
            }
            continue;
        }
        let report = reports.first().context("the target named no image")?;
        let mut write = |out: &mut dyn std::io::Write| {
            render_to(report, *format, &options, out).with_context(|| format!("writing the {format} report"))
        };
        write_with(output.as_deref(), &mut write)?;
        // --tee: the first report on stdout as well
        if tee {
            write_with(None, &mut write)?;
        }
    }
    let outcome = reports.iter().map(|r| outcome(r, args)).max_by_key(|o| severity_of(*o)).unwrap_or(Outcome::Success);
    verdict(global, args, &reports, outcome);
    Ok(outcome)
}

/// Where each report goes: `--format` and `--output` paired in order when either is repeated, else
/// the one report (to `--output` or stdout) in the one format (default: table on a terminal, else
/// json).
fn destinations(args: &ScanArgs) -> anyhow::Result<Vec<(ReportFormat, Option<PathBuf>)>> {
    match (args.format.as_slice(), args.output.as_slice()) {
        ([], []) | ([_], []) | ([], [_]) | ([_], [_]) => {
            let output = args.output.first().cloned();
            let to_terminal = output.is_none() && std::io::stdout().is_terminal();
            let default = if to_terminal { ReportFormat::Table } else { ReportFormat::Json };
            Ok(vec![(args.format.first().copied().unwrap_or(default), output)])
        }
        (formats, outputs) if formats.len() == outputs.len() => {
            Ok(formats.iter().copied().zip(outputs.iter().cloned().map(Some)).collect())
        }
        (formats, outputs) => anyhow::bail!(
            "--format and --output come in pairs when repeated (-f json -o r.json -f sarif -o r.sarif): \
             got {} formats and {} outputs",
            formats.len(),
            outputs.len()
        ),
    }
}

/// Whether the outputs asked for want licences matched from licence texts (the SBOM formats).
fn wants_licenses(args: &ScanArgs) -> bool {
    args.format.iter().any(|f| matches!(f, ReportFormat::Cyclonedx | ReportFormat::Spdx))
}

/// Inventories the target and matches it against the local database; the scan started at
/// `created_at` (the report's time), `started` (its clock).
fn local_reports(
    global: &Global,
    args: &ScanArgs,
    policy: &Policy,
    created_at: &str,
    started: Instant,
) -> anyhow::Result<Vec<Report>> {
    let db_file = db_path(global)?;
    let db = Database::open(&db_file).with_context(|| {
        format!("opening the vulnerability database {} (run `microscanner db update`)", db_file.display())
    })?;
    let inventories = inventories(&args.target, global.quiet, &args.cache, &source_args(args), wants_licenses(args))?;
    let database = database_info(&db).with_context(|| format!("reading {}", db_file.display()))?;
    inventories
        .into_iter()
        .map(|inventory| {
            build_report(&db, &database, policy, inventory, created_at, started)
                .with_context(|| format!("matching against {}", db_file.display()))
        })
        .collect()
}

/// Inventories the target, sends only the inventory to the server, and judges its answer by the
/// local policy; the scan started at `started`.
fn remote_reports(
    global: &Global,
    args: &ScanArgs,
    token: &Token,
    policy: &Policy,
    started: Instant,
) -> anyhow::Result<Vec<Report>> {
    let server = args.remote.server.clone().unwrap_or_else(|| token.server_url.clone());
    if args.remote.no_verify {
        tracing::warn!("--no-verify: the server's TLS certificate is not checked");
    }
    let client = Client::new(&server, args.remote.no_verify, Duration::from_secs(300))?;
    let inventories = inventories(&args.target, global.quiet, &args.cache, &source_args(args), wants_licenses(args))?;
    inventories
        .into_iter()
        .map(|inventory| {
            let bytes = serde_json::to_vec(&microscanner_report::sbom(
                &inventory,
                microscanner_report::SbomFormat::Json,
                &inventory_meta(),
            ))
            .context("serialising the inventory")?;
            let report = client.scan(&token.reveal(), bytes, args.watch.remember.as_deref())?;
            Ok(apply_local_policy(report, policy, started.elapsed().as_secs_f64()))
        })
        .collect()
}

/// The facts of the inventory document the server is sent (microscanner inventory JSON).
fn inventory_meta() -> microscanner_report::SbomMeta {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse().ok());
    microscanner_report::SbomMeta::now(env!("CARGO_PKG_VERSION"), epoch)
}

/// The inventory document the server is sent, as a value (`--dry-run` shows it).
fn inventory_document(inventory: &Inventory) -> serde_json::Value {
    microscanner_report::sbom_document(inventory, microscanner_report::SbomFormat::Json, &inventory_meta())
}

/// `--dry-run`: writes what would be sent, sends nothing.
fn dry_run(args: &ScanArgs, global: &Global) -> anyhow::Result<Outcome> {
    let inventories = inventories(&args.target, global.quiet, &args.cache, &source_args(args), wants_licenses(args))?;
    let documents: Vec<_> = inventories.iter().map(inventory_document).collect();
    let document = match documents.as_slice() {
        [one] => one.clone(),
        many => serde_json::Value::Array(many.to_vec()),
    };
    crate::commands::write_output(args.output.first().map(PathBuf::as_path), &document)?;
    Ok(Outcome::Success)
}

/// One line on stderr saying what the exit code means (unless --quiet): what failed, how many
/// findings at or above what, where the report went.
#[allow(clippy::print_stderr)] // the binary owns stderr
fn verdict(global: &Global, args: &ScanArgs, reports: &[Report], outcome: Outcome) {
    if global.quiet {
        return;
    }
    let failing: usize = reports.iter().map(|r| r.policy.failing).sum();
    let threshold = args.fail_on.0.map_or_else(|| "none".to_owned(), |s| s.to_string());
    let place = match args.output.as_slice() {
        [] => String::new(),
        [one] => format!("; report in {}", one.display()),
        many => format!("; reports in {}", many.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")),
    };
    let incomplete = reports.iter().any(|r| !r.coverage.complete);
    match outcome {
        Outcome::PolicyFailure => {
            eprintln!("microscanner: FAILED: {failing} finding(s) at or above {threshold} (exit 4){place}");
        }
        Outcome::Incomplete => {
            let why = reports
                .iter()
                .flat_map(|r| r.coverage.skipped.first())
                .map(|s| format!("{}: {}", escape_controls(&s.what), one_line(&s.reason)))
                .next()
                .unwrap_or_else(|| "see the report's coverage".into());
            eprintln!("microscanner: INCOMPLETE: part of the image could not be inventoried ({why}; exit 5){place}");
        }
        Outcome::Success if failing > 0 && args.continue_on_failure => eprintln!(
            "microscanner: {failing} finding(s) at or above {threshold}; exit 0 because of --continue-on-failure{place}"
        ),
        Outcome::Success if incomplete => {
            eprintln!(
                "microscanner: passed, but the scan is incomplete (--fail-on-incomplete makes that exit 5){place}"
            );
        }
        Outcome::Success if !args.output.is_empty() => eprintln!("microscanner: passed{place}"),
        Outcome::Success => {}
    }
}

/// Which outcome wins when platforms disagree: a policy failure, then an incomplete scan.
fn severity_of(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Success => 0,
        Outcome::Incomplete => 1,
        Outcome::PolicyFailure => 2,
    }
}

/// `--all-platforms`: json as `{"schema_version", "target", "reports": [...]}` (each report as
/// `--format json` writes it), table as one table per platform under a heading.
fn render_platforms(
    reports: &[Report],
    target: &str,
    format: ReportFormat,
    options: &RenderOptions,
) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    if format == ReportFormat::Json {
        let document = serde_json::json!({
            "schema_version": REPORT_SCHEMA_VERSION,
            "target": target,
            "reports": reports,
        });
        out = serde_json::to_vec_pretty(&document).context("serialising the reports")?;
        out.push(b'\n');
        return Ok(out);
    }
    for report in reports {
        let platform =
            [report.image.os.as_deref(), report.image.architecture.as_deref(), report.image.variant.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/");
        out.extend_from_slice(format!("== {target} ({})\n", escape_controls(&platform)).as_bytes());
        out.extend(render(report, format, options).with_context(|| format!("writing the {format} report"))?);
        out.push(b'\n');
    }
    Ok(out)
}

/// The exit outcome: a policy failure (4) wins over an incomplete scan (5); `--continue-on-failure`
/// turns only the policy failure into success.
fn outcome(report: &Report, args: &ScanArgs) -> Outcome {
    if report.policy.failed && !args.continue_on_failure {
        Outcome::PolicyFailure
    } else if args.fail_on_incomplete && !report.coverage.complete {
        Outcome::Incomplete
    } else {
        Outcome::Success
    }
}

/// Builds the policy from the flags and the files they name (each read and checked here).
fn policy(args: &ScanArgs) -> anyhow::Result<Policy> {
    let ignore_path = match &args.ignore_file {
        Some(p) => Some(p.clone()),
        // ours, else a Trivy user's `.trivyignore` (a plain list of ids, read as such)
        None => [DEFAULT_IGNORE_FILE, ".trivyignore"].into_iter().map(PathBuf::from).find(|p| p.is_file()),
    };
    let ignore = match ignore_path {
        Some(path) => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            Some(IgnoreFile::parse(&text, &path.display().to_string())?)
        }
        None => None,
    };
    let vex = args
        .vex
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Ok(VexDocument::parse(&bytes, &path.display().to_string())?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let baseline = match &args.baseline {
        // The first build has no earlier report: a warning in the report (`apply` adds it), not an error.
        Some(path) if matches!(std::fs::metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound) => {
            Some(Baseline::missing(&path.display().to_string()))
        }
        Some(path) => {
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Some(Baseline::parse(&bytes, &path.display().to_string())?)
        }
        None => None,
    };
    Ok(Policy {
        severities: args.severity.clone(),
        fail_on: args.fail_on.0,
        ignore_unfixed: args.ignore_unfixed,
        ignore,
        vex,
        baseline,
        today: time::OffsetDateTime::now_utc().date(),
        declared_only_fails: !args.declared_only_no_fail,
    })
}

pub(crate) fn read_template(format: ReportFormat, path: Option<&Path>) -> anyhow::Result<Option<String>> {
    match path {
        Some(path) => {
            Ok(Some(std::fs::read_to_string(path).with_context(|| format!("reading template {}", path.display()))?))
        }
        None if format == ReportFormat::Template => anyhow::bail!("--format template needs --template FILE"),
        None => Ok(None),
    }
}

/// Warnings go to the log (stderr); informational notes only with `RUST_LOG=info`.
fn warn_all(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        match d.level {
            DiagnosticLevel::Warning => tracing::warn!("{d}"),
            DiagnosticLevel::Info => tracing::info!("{d}"),
        }
    }
}

/// The width the table is laid out for: `COLUMNS` when set to a number, else the terminal's (asked
/// of stdout, then stderr, then stdin, so `scan -f table | less` still fits the screen), else 0
/// (the renderer's default, 100 columns).
pub(crate) fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|&w| w > 0);
    columns
        .or_else(|| terminal_size::terminal_size().map(|(terminal_size::Width(w), _)| usize::from(w)))
        .filter(|&w| w > 0)
        .unwrap_or(0)
}

/// Now (or `SOURCE_DATE_EPOCH`, for reproducible reports) as RFC 3339, whole seconds, UTC.
fn now_rfc3339() -> String {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse().ok());
    microscanner_report::SbomMeta::now(env!("CARGO_PKG_VERSION"), epoch).created
}

#[cfg(test)]
mod timeout_tests {
    use super::*;

    #[test]
    fn timeouts_parse() {
        let parsed = |s: &str| parse_timeout(s).map(|t| t.0);
        assert_eq!(parsed("5m"), Ok(Some(Duration::from_secs(300))));
        assert_eq!(parsed("90s"), Ok(Some(Duration::from_secs(90))));
        assert_eq!(parsed("90"), Ok(Some(Duration::from_secs(90))));
        assert_eq!(parsed("1m30s"), Ok(Some(Duration::from_secs(90))));
        assert_eq!(parsed("1h"), Ok(Some(Duration::from_secs(3600))));
        assert_eq!(parsed("250ms"), Ok(Some(Duration::from_millis(250))));
        assert_eq!(parsed("0"), Ok(None));
        for bad in ["", "m", "5x", "-5m", "5 m", "1.5m"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
