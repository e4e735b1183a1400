//! `microscanner db`: build, update, inspect, export and import the vulnerability database.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use microscanner_feeds::build::{BuildOptions, BuildReport, Progress, build, collect_inputs};
use microscanner_feeds::update::{FEED_GROUPS, Origin, UpdateOptions, update};
use microscanner_model::{Diagnostic, DiagnosticLevel};
use microscanner_vulndb::{Database, export, import};

use crate::commands::{Global, db_path, note};
use crate::exit::Outcome;

/// How many importer warnings are shown one by one before the rest are only counted.
const SHOWN_WARNINGS: usize = 20;

/// Arguments of `microscanner db`.
#[derive(Debug, clap::Args)]
pub(crate) struct DbArgs {
    /// What to do with the database.
    #[command(subcommand)]
    command: DbCommand,
}

/// The `db` subcommands.
#[derive(Debug, clap::Subcommand)]
enum DbCommand {
    /// Build the database from local feed files and directories (format of each file detected).
    Build(BuildArgs),
    /// Download the feeds (conditional GET, retries) and rebuild the database if any changed.
    Update(UpdateArgs),
    /// Show the database's age, sources and record counts.
    Status(StatusArgs),
    /// Write the database as one zstd-compressed file with a sha256 manifest, or with `--since`
    /// only what changed since an earlier database (a delta).
    Export(ExportArgs),
    /// Install a database from a file written by `db export` (verified first), or apply a delta
    /// written by `db export --since` onto the database it was made against.
    Import(ImportArgs),
    /// Print the database's canonical dump (every table, rows sorted), or with `--version` only
    /// its version (the dump's sha256, which deltas name).
    Dump(DumpArgs),
    /// Push the database (its export) to an OCI registry as an artifact: `registry:HOST/NAME:TAG`.
    Publish(super::db_registry::PublishArgs),
}

/// `db build`.
#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// A feed file or a directory of them (OSV JSON/zip, Debian tracker JSON and DSA/DLA lists,
    /// Alpine secdb, NVD API pages, CISA KEV, EPSS CSV). Repeatable.
    #[arg(long = "from", value_name = "PATH", required = true, num_args = 1..)]
    from: Vec<PathBuf>,
    /// Keep only these ecosystems (comma-separated: debian,alpine,pypi,npm,go,rust,maven,...).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    ecosystems: Option<Vec<String>>,
    /// Fail on any file that cannot be read or is not a feed, instead of warning and going on.
    #[arg(long)]
    strict: bool,
}

/// `db update`.
#[derive(Debug, clap::Args)]
struct UpdateArgs {
    /// Fetch from a mirror (base URL) or a local directory holding the upstream paths, instead of
    /// the upstream addresses; or from a `microscanner serve` URL, whose ready database is taken
    /// in one download; or `registry:HOST/NAME:TAG`, a database published with `db publish`
    /// (downloaded only when its manifest changed).
    #[arg(long, value_name = "URL|DIR|registry:REF")]
    source: Option<String>,
    /// Registry credentials and transport for `--source registry:REF`.
    #[command(flatten)]
    registry: super::db_registry::RegistryArgs,
    /// Only these ecosystems (comma-separated: debian,alpine,pypi,npm,go,rust,maven,...).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    ecosystems: Option<Vec<String>>,
    /// Only these feeds (comma-separated: osv,debian,alpine,wolfi,chainguard,minimos,amazon,
    /// photon,redhat,oracle,azurelinux,nvd,kev,epss).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    feeds: Option<Vec<String>>,
    /// NVD API key (raises NVD's rate limit).
    #[arg(long, env = "NVD_API_KEY", hide_env_values = true, value_name = "KEY")]
    nvd_api_key: Option<String>,
    /// Seconds to wait between NVD pages (default: 6, or 0.6 with an API key).
    #[arg(long, value_name = "SECONDS")]
    nvd_delay: Option<f64>,
    /// Retries per download after the first attempt (exponential backoff).
    #[arg(long, default_value_t = 3, value_name = "N")]
    retries: u32,
    /// First backoff in milliseconds (doubled after each retry).
    #[arg(long, default_value_t = 500, value_name = "MS")]
    backoff_ms: u64,
    /// Timeout of one download in seconds.
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    timeout: u64,
    /// No byte for this long (an answer, or the next bytes of a download) fails the attempt:
    /// `30s`, `2m`.
    #[arg(long, default_value = "30s", value_parser = super::scan::parse_duration, value_name = "DURATION")]
    stall_timeout: Duration,
}

/// `db status`.
#[derive(Debug, clap::Args)]
struct StatusArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `db export`.
#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// The file to write.
    file: PathBuf,
    /// Write a delta: only the records added, changed or withdrawn since BASE, an earlier
    /// database file or its export (`db export`'s file), which the delta can then be applied to.
    #[arg(long, value_name = "BASE")]
    since: Option<PathBuf>,
}

/// `db import`.
#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// A file written by `db export` (a full database or a delta).
    file: PathBuf,
}

/// `db dump`.
#[derive(Debug, clap::Args)]
struct DumpArgs {
    /// Print only the version (`sha256:HEX` of the dump).
    #[arg(long)]
    version: bool,
}

/// Runs `microscanner db`.
pub(crate) fn run(global: &Global, args: &DbArgs) -> anyhow::Result<Outcome> {
    let db = db_path(global)?;
    match &args.command {
        DbCommand::Build(a) => run_build(global, &db, a),
        DbCommand::Publish(a) => super::db_registry::publish(global, &db, a),
        DbCommand::Update(a) => run_update(global, &db, a),
        DbCommand::Status(a) => run_status(&db, a),
        DbCommand::Export(ExportArgs { file, since: Some(base) }) => {
            super::db_delta::export_since(global, &db, base, file)
        }
        DbCommand::Import(a) if super::db_delta::is_delta(&a.file)? => super::db_delta::apply(global, &db, &a.file),
        DbCommand::Dump(a) => super::db_delta::dump(&db, a.version),
        DbCommand::Export(a) => {
            let m = export(&db, &a.file).with_context(|| format!("exporting {}", db.display()))?;
            note(
                global,
                &format!("exported {} ({} bytes, sha256 {}) to {}", db.display(), m.size, m.sha256, a.file.display()),
            );
            Ok(Outcome::Success)
        }
        DbCommand::Import(a) => {
            let m = import(&a.file, &db).with_context(|| format!("importing {}", a.file.display()))?;
            note(
                global,
                &format!(
                    "imported {} (built {}, sha256 {}) to {}",
                    a.file.display(),
                    m.built_at,
                    m.sha256,
                    db.display()
                ),
            );
            Ok(Outcome::Success)
        }
    }
}

/// `--db`, `MICROSCANNER_DB`, or `$XDG_CACHE_HOME/microscanner/db/microscanner.db`.
fn run_build(global: &Global, db: &Path, args: &BuildArgs) -> anyhow::Result<Outcome> {
    let inputs = collect_inputs(&args.from).context("reading --from")?;
    if inputs.is_empty() {
        bail!("no feed files found under {}", join_paths(&args.from));
    }
    let options = BuildOptions { ecosystems: args.ecosystems.clone(), strict: args.strict };
    let progress = Bar::new(global, "importing");
    let report = build(db, &inputs, &options, &progress).with_context(|| format!("building {}", db.display()))?;
    progress.finish();
    summarise(global, &report);
    Ok(Outcome::Success)
}

fn run_update(global: &Global, db: &Path, args: &UpdateArgs) -> anyhow::Result<Outcome> {
    if let Some(source) = args.source.as_deref().filter(|s| super::db_registry::registry_ref(s).is_some()) {
        return super::db_registry::update(global, db, source, &args.registry);
    }
    if let Some(source) = args.source.as_deref().filter(|s| s.starts_with("http://") || s.starts_with("https://"))
        && let Some(outcome) = update_from_server(global, db, source, args)?
    {
        return Ok(outcome);
    }
    if let Some(feeds) = &args.feeds
        && let Some(bad) = feeds.iter().find(|f| !FEED_GROUPS.iter().any(|g| g.eq_ignore_ascii_case(f)))
    {
        bail!("unknown feed {bad:?} (known: {})", FEED_GROUPS.join(", "));
    }
    let options = UpdateOptions {
        origin: args.source.as_deref().map_or(Origin::Upstream, Origin::parse),
        ecosystems: args.ecosystems.clone(),
        feeds: args.feeds.clone(),
        nvd_api_key: args.nvd_api_key.clone().filter(|k| !k.is_empty()),
        nvd_delay: args.nvd_delay.filter(|d| d.is_finite() && *d >= 0.0).map(Duration::from_secs_f64),
        retries: args.retries,
        backoff: Duration::from_millis(args.backoff_ms),
        timeout: Duration::from_secs(args.timeout.max(1)),
        stall_timeout: args.stall_timeout.max(Duration::from_millis(100)),
    };
    let progress = Bar::new(global, "updating");
    let result = update(db, &options, &progress);
    progress.finish();
    let report =
        result.with_context(|| format!("updating {} (the previous database, if any, is unchanged)", db.display()))?;
    if !report.missing.is_empty() {
        tracing::info!("not published by the server (skipped): {}", report.missing.join(", "));
    }
    match &report.build {
        Some(built) => {
            note(global, &format!("downloaded: {}", report.downloaded.join(", ")));
            summarise(global, built);
            super::watch::after_update(global, db);
        }
        None => note(
            global,
            &format!("{} is up to date ({} feeds not modified); nothing rebuilt", db.display(), report.unchanged.len()),
        ),
    }
    Ok(Outcome::Success)
}

/// `db update --source https://SERVER` where SERVER is a `microscanner serve`: its ready database
/// in one download (nothing at all when the local file already is that database), instead of
/// building from the upstream feeds. `None` when the URL is not such a server (a feed mirror).
fn update_from_server(global: &Global, db: &Path, source: &str, args: &UpdateArgs) -> anyhow::Result<Option<Outcome>> {
    use microscanner_server::client::{Client, DatabaseFetch};
    let stall = args.stall_timeout.max(Duration::from_millis(100)).min(Duration::from_secs(args.timeout.max(1)));
    let client = Client::with_stall_timeout(source, false, stall)?;
    if client.database_published().is_none() {
        return Ok(None);
    }
    let fetched = client.fetch_database(db).with_context(|| {
        format!("updating {} from {source} (the previous database, if any, is unchanged)", db.display())
    })?;
    match fetched {
        DatabaseFetch::UpToDate { sha256 } => {
            note(global, &format!("{} is up to date (sha256 {sha256}); nothing downloaded", db.display()));
        }
        DatabaseFetch::Updated { built_at, downloaded, .. } => {
            note(
                global,
                &format!(
                    "{}: the database of {source} (built {built_at}), {downloaded} bytes downloaded",
                    db.display()
                ),
            );
            super::watch::after_update(global, db);
        }
    }
    Ok(Some(Outcome::Success))
}

fn run_status(db: &Path, args: &StatusArgs) -> anyhow::Result<Outcome> {
    let database = Database::open(db)
        .with_context(|| format!("opening {} (build one with `microscanner db update` or `db build`)", db.display()))?;
    let meta = database.metadata()?;
    let counts = database.counts()?;
    let size = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0);
    let age = std::fs::metadata(db).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).map(|d| d.as_secs());
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = serde_json::json!({
            "path": db,
            "size": size,
            "age_seconds": age,
            "metadata": meta,
            "counts": counts,
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(Outcome::Success);
    }
    writeln!(out, "database:       {}", db.display())?;
    writeln!(out, "schema version: {}", meta.schema_version)?;
    writeln!(
        out,
        "built at:       {}{}",
        meta.built_at,
        age.map(|a| format!(" ({} ago)", human_age(a))).unwrap_or_default()
    )?;
    writeln!(out, "size:           {size} bytes")?;
    writeln!(
        out,
        "records:        {} advisories, {} affected entries, {} severities, {} fix states, {} KEV, {} EPSS",
        counts.advisories, counts.affected, counts.severities, counts.fix_statuses, counts.kev, counts.epss
    )?;
    writeln!(out, "sources:")?;
    for s in &meta.sources {
        writeln!(
            out,
            "  {:<40} {:<16} {:>8} records  {:<26} {}",
            s.name,
            s.kind,
            s.records,
            s.timestamp.as_deref().unwrap_or("-"),
            if s.diagnostics > 0 { format!("{} warnings", s.diagnostics) } else { String::new() }
        )?;
    }
    Ok(Outcome::Success)
}

fn human_age(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

fn summarise(global: &Global, report: &BuildReport) {
    let warnings: Vec<&Diagnostic> = report.diagnostics.iter().filter(|d| d.level != DiagnosticLevel::Info).collect();
    for d in warnings.iter().take(SHOWN_WARNINGS) {
        tracing::warn!("{d}");
    }
    if warnings.len() > SHOWN_WARNINGS {
        tracing::warn!("... and {} more warnings", warnings.len() - SHOWN_WARNINGS);
    }
    for d in report.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Info) {
        tracing::info!("{d}");
    }
    let w = report.written;
    note(
        global,
        &format!(
            "built {}: {} files from {} sources, {} advisories ({} merged across feeds, {} duplicates skipped), {} affected entries, {} warnings, {} files skipped",
            report.path.display(),
            report.files,
            report.sources.len(),
            w.advisories,
            w.merged,
            w.duplicates,
            w.affected,
            warnings.len(),
            report.skipped
        ),
    );
}

/// Progress on stderr, only when stderr is a terminal and not `--quiet`.
struct Bar {
    bar: Option<indicatif::ProgressBar>,
}

impl Bar {
    fn new(global: &Global, what: &str) -> Self {
        let bar = (!global.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(what.to_owned());
            bar
        });
        Self { bar }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn files(&self, done: usize, total: usize) {
        if let Some(b) = &self.bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
            b.set_message("files");
        }
    }

    fn fetching(&self, name: &str, index: usize, total: usize) {
        if let Some(b) = &self.bar {
            b.set_length(total as u64);
            b.set_position(index.saturating_sub(1) as u64);
            b.set_message(format!("downloading {name}"));
        }
    }
}
