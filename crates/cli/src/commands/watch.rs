//! `microscanner watch`: the images remembered by `scan --remember NAME`, re-evaluated against the
//! current database (`watch run`, and after every `db update` that changed the database).
//! See `docs/watch.md`.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use microscanner_model::{Finding, Report, Severity};
use microscanner_report::text::escape_controls;
use microscanner_vulndb::Database;
use microscanner_watch::notify::{Notifier, notify_all};
use microscanner_watch::{DeliveryState, EntryOutcome, NewEntry, Remembered, WatchStore, Webhook, WebhookFormat};

use crate::commands::scan::{Threshold, parse_threshold};
use crate::commands::{Global, db_path, note, parse_severity, write_bytes};
use crate::exit::Outcome;

/// The version of the `watch run --format json` document.
const WATCH_RUN_SCHEMA_VERSION: &str = "1.0";

/// Arguments of `microscanner watch`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    microscanner scan registry:ghcr.io/acme/app:1.4 --remember app   # remember its inventory\n  \
    microscanner watch list\n  \
    microscanner watch run --fail-on high                       # exit 4 when something new is high\n\n\
    The store is $MICROSCANNER_DATA_DIR/watch.db, else $XDG_DATA_HOME/microscanner/watch.db \
    (~/.local/share/microscanner/watch.db). See docs/watch.md.")]
pub(crate) struct WatchArgs {
    /// What to do.
    #[command(subcommand)]
    command: WatchCommand,
}

/// The `watch` subcommands.
#[derive(Debug, clap::Subcommand)]
enum WatchCommand {
    /// List the remembered images: name, image, digest, findings, last evaluation and notification.
    List(ListArgs),
    /// Show one remembered image and the findings of its last evaluation.
    Show(ShowArgs),
    /// Forget a remembered image.
    Forget(ForgetArgs),
    /// Re-evaluate every remembered image against the current database and report what is new.
    Run(RunArgs),
}

/// `watch list`.
#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `watch show`.
#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The name given to `scan --remember`.
    name: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// `watch forget`.
#[derive(Debug, clap::Args)]
struct ForgetArgs {
    /// The name given to `scan --remember`.
    name: String,
}

/// `watch run`.
#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Exit 4 when a NEW finding is at or above this severity; a comma list adds `unknown`
    /// (`high,unknown`); `none` (the default) never fails.
    #[arg(long, value_parser = parse_threshold, value_name = "SEVERITY")]
    fail_on: Option<Threshold>,
    /// `table` or `json`, in any case [default: table on a terminal, else json].
    #[arg(long, short, value_parser = parse_run_format, value_name = "FORMAT")]
    format: Option<RunFormat>,
    /// Write the result to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Notification flags.
    #[command(flatten)]
    notify: NotifyArgs,
}

/// How `watch run` (and `db update`) notify webhooks.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct NotifyArgs {
    /// Re-evaluate and report, but notify no webhook.
    #[arg(long)]
    no_notify: bool,
    /// Attempts per notification, the first included; the delay between them doubles.
    #[arg(long, default_value_t = 5, value_name = "N")]
    webhook_attempts: u32,
    /// The delay after the first failed attempt (`500ms`, `2s`), doubled after each further one
    /// (at most 60 s).
    #[arg(long, default_value = "1s", value_parser = super::scan::parse_duration, value_name = "DURATION")]
    webhook_backoff: Duration,
}

impl Default for NotifyArgs {
    fn default() -> Self {
        Self { no_notify: false, webhook_attempts: 5, webhook_backoff: Duration::from_secs(1) }
    }
}

/// The secret webhooks are signed with (HMAC-SHA256).
const SECRET_VARIABLE: &str = "MICROSCANNER_WEBHOOK_SECRET";

/// One attempt of a notification gives up after this long.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The forms `watch run` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunFormat {
    Table,
    Json,
}

fn parse_run_format(s: &str) -> Result<RunFormat, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "table" => Ok(RunFormat::Table),
        "json" => Ok(RunFormat::Json),
        _ => Err(format!("unknown format {s:?} (expected table or json)")),
    }
}

/// The `scan` flags that remember the scanned image.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RememberArgs {
    /// Remember the image's inventory (never its files), name, digest and findings under NAME,
    /// for `microscanner watch` to re-evaluate against later databases (docs/watch.md).
    #[arg(long, value_name = "NAME")]
    pub(crate) remember: Option<String>,
    /// With --remember: POST new findings of each re-evaluation to this URL (HMAC-SHA256 signed
    /// with MICROSCANNER_WEBHOOK_SECRET).
    #[arg(long, requires = "remember", value_name = "URL")]
    pub(crate) webhook: Option<String>,
    /// With --webhook: `json` (microscanner's document) or `slack` (an incoming-webhook message).
    #[arg(long, requires = "webhook", default_value = "json", value_parser = parse_webhook_format, value_name = "FORMAT")]
    pub(crate) webhook_format: WebhookFormat,
    /// With --webhook: notify new findings at or above this severity (`unknown`: every one).
    #[arg(long, requires = "webhook", default_value = "high", value_parser = parse_severity, value_name = "SEVERITY")]
    pub(crate) notify_on: Severity,
}

fn parse_webhook_format(s: &str) -> Result<WebhookFormat, String> {
    s.parse()
}

impl RememberArgs {
    /// Checks the flags before the (slow) scan: a bad name or URL fails at once.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        if let Some(name) = &self.remember {
            microscanner_watch::validate_name(name)?;
        }
        if let Some(url) = &self.webhook {
            anyhow::ensure!(
                url.starts_with("https://") || url.starts_with("http://"),
                "--webhook {url:?}: expected an http:// or https:// URL"
            );
        }
        Ok(())
    }
}

/// The watch store: `MICROSCANNER_DATA_DIR/watch.db`, else `microscanner/watch.db` under the
/// user's data directory (`XDG_DATA_HOME`, else `~/.local/share`).
pub(crate) fn store_path() -> anyhow::Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = var("MICROSCANNER_DATA_DIR")
        .or_else(|| var("XDG_DATA_HOME").map(|d| d.join("microscanner")))
        .or_else(|| var("HOME").map(|h| h.join(".local/share/microscanner")))
        .context("neither MICROSCANNER_DATA_DIR, XDG_DATA_HOME nor HOME is set: nowhere to keep the watch store")?;
    Ok(dir.join("watch.db"))
}

fn open_store(create: bool) -> anyhow::Result<Option<WatchStore>> {
    let path = store_path()?;
    Ok(WatchStore::open(&path, create)?)
}

/// `scan --remember NAME` without a token: stores `report`'s inventory and its findings, matched
/// again from the inventory before any policy, exactly as `watch run` will match them. (With a
/// token the server remembers the inventory: `Client::scan`.)
pub(crate) fn remember(global: &Global, args: &RememberArgs, report: &Report) -> anyhow::Result<()> {
    let Some(name) = &args.remember else {
        return Ok(());
    };
    let scan = report.clone().into_scan();
    let mut inventory = scan.inventory;
    inventory.diagnostics.clear();
    let database_built_at = scan.run.database.as_ref().map(|d| d.built_at.clone());
    let db_file = db_path(global)?;
    let db = Database::open(&db_file).with_context(|| format!("opening {}", db_file.display()))?;
    let findings = microscanner_watch::evaluate(&db, name, &inventory)?;
    let webhook =
        args.webhook.clone().map(|url| Webhook { url, format: args.webhook_format, notify_on: args.notify_on });
    let store = open_store(true)?.context("creating the watch store")?;
    let now = microscanner_watch::now_rfc3339();
    store.remember(&NewEntry {
        name,
        inventory: &inventory,
        findings: &findings,
        database_built_at: database_built_at.as_deref(),
        webhook,
        now: &now,
    })?;
    note(
        global,
        &format!(
            "remembered {} as {name:?} ({} packages, {} findings) in {}",
            inventory.image.name,
            inventory.packages.len(),
            findings.len(),
            store.path().display()
        ),
    );
    Ok(())
}

/// Runs `microscanner watch`.
pub(crate) fn run(global: &Global, args: &WatchArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        WatchCommand::List(a) => list(a),
        WatchCommand::Show(a) => show(a),
        WatchCommand::Forget(a) => forget(global, a),
        WatchCommand::Run(a) => run_all(global, a),
    }
}

fn list(args: &ListArgs) -> anyhow::Result<Outcome> {
    let entries = match open_store(false)? {
        Some(store) => store.list()?,
        None => Vec::new(),
    };
    if args.json {
        crate::commands::write_output(None, &serde_json::json!({ "remembered": entries }))?;
        return Ok(Outcome::Success);
    }
    let mut text = String::new();
    if entries.is_empty() {
        text.push_str("nothing remembered (scan with --remember NAME)\n");
    }
    for e in &entries {
        text.push_str(&entry_line(e));
    }
    write_bytes(None, text.as_bytes())?;
    Ok(Outcome::Success)
}

/// One entry of `watch list`: name, image, digest, counts, last evaluation, then its webhook and
/// how the last notification went.
fn entry_line(e: &Remembered) -> String {
    let mut line = format!(
        "{}  {}{}  {} packages, {} findings, evaluated {}\n",
        e.name,
        escape_controls(&e.image),
        e.digest.as_deref().map(|d| format!("@{}", escape_controls(d))).unwrap_or_default(),
        e.packages,
        e.findings,
        e.evaluated_at
    );
    if let Some(w) = e.webhook() {
        line.push_str(&format!(
            "    webhook {} ({}, at or above {})",
            escape_controls(&w.url),
            w.format.name(),
            w.notify_on
        ));
        match &e.last_delivery {
            Some(d) => line.push_str(&format!(
                ": last notification {} at {} after {} attempt(s){}\n",
                d.state.name(),
                d.at,
                d.attempts,
                d.error.as_deref().map(|m| format!(": {}", escape_controls(m))).unwrap_or_default()
            )),
            None => line.push_str(": nothing notified yet\n"),
        }
    }
    line
}

fn show(args: &ShowArgs) -> anyhow::Result<Outcome> {
    let store = open_store(false)?.ok_or_else(|| microscanner_watch::WatchError::NotFound(args.name.clone()))?;
    let entry = store.get(&args.name)?.ok_or_else(|| microscanner_watch::WatchError::NotFound(args.name.clone()))?;
    let (_, findings) = store.documents(&args.name)?;
    if args.json {
        crate::commands::write_output(None, &serde_json::json!({ "entry": entry, "findings": findings }))?;
        return Ok(Outcome::Success);
    }
    let mut text = entry_line(&entry);
    for f in &findings {
        text.push_str(&finding_line(f));
    }
    write_bytes(None, text.as_bytes())?;
    Ok(Outcome::Success)
}

fn forget(global: &Global, args: &ForgetArgs) -> anyhow::Result<Outcome> {
    let forgotten = match open_store(false)? {
        Some(store) => store.forget(&args.name)?,
        None => false,
    };
    anyhow::ensure!(forgotten, microscanner_watch::WatchError::NotFound(args.name.clone()));
    note(global, &format!("forgot {:?}", args.name));
    Ok(Outcome::Success)
}

fn run_all(global: &Global, args: &RunArgs) -> anyhow::Result<Outcome> {
    let db_file = db_path(global)?;
    let outcomes = match open_store(false)? {
        Some(store) => reevaluate(&store, &db_file, &args.notify)?,
        None => Vec::new(),
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let bytes = match args.format {
        Some(RunFormat::Table) => render_table(&outcomes),
        Some(RunFormat::Json) => render_json(&outcomes)?,
        None if to_terminal => render_table(&outcomes),
        None => render_json(&outcomes)?,
    };
    write_bytes(args.output.as_deref(), &bytes)?;
    let fail_on = args.fail_on.and_then(|t| t.0);
    let failing: usize = fail_on.map_or(0, |f| outcomes.iter().map(|o| o.new_summary.failing(f)).sum());
    if failing > 0 {
        if let Some(f) = fail_on {
            note(global, &format!("microscanner: FAILED: {failing} new finding(s) at or above {f} (exit 4)"));
        }
        return Ok(Outcome::PolicyFailure);
    }
    Ok(Outcome::Success)
}

/// Re-evaluates every remembered image against the database at `db_file`, then notifies the
/// webhooks of those with new findings (unless `--no-notify`).
fn reevaluate(store: &WatchStore, db_file: &Path, notify: &NotifyArgs) -> anyhow::Result<Vec<EntryOutcome>> {
    // opened here first, for the one-line error that names the file
    Database::open(db_file).with_context(|| {
        format!("opening the vulnerability database {} (run `microscanner db update`)", db_file.display())
    })?;
    let now = microscanner_watch::now_rfc3339();
    let outcomes = microscanner_watch::run(store, db_file, &now)?;
    if !notify.no_notify {
        let secret = std::env::var_os(SECRET_VARIABLE).map(|s| s.into_encoded_bytes());
        let notifier = Notifier::new(secret, notify.webhook_attempts, notify.webhook_backoff, WEBHOOK_TIMEOUT);
        for (name, delivery) in notify_all(store, &notifier, &outcomes, &microscanner_watch::now_rfc3339)? {
            match (delivery.state, &delivery.error) {
                (DeliveryState::Failed, Some(error)) => tracing::warn!(
                    "watch: notifying {name:?} failed after {} attempt(s): {}",
                    delivery.attempts,
                    escape_controls(error)
                ),
                _ => tracing::info!("watch: notified {name:?} ({} attempt(s))", delivery.attempts),
            }
        }
    }
    Ok(outcomes)
}

/// After a `db update` that changed the database: re-evaluates what is remembered (if anything)
/// and says on stderr what is new. A failure here is a warning: the update itself succeeded.
pub(crate) fn after_update(global: &Global, db_file: &Path) {
    let result = open_store(false).and_then(|store| match store {
        Some(store) => reevaluate(&store, db_file, &NotifyArgs::default()),
        None => Ok(Vec::new()),
    });
    match result {
        Ok(outcomes) => {
            for o in outcomes.iter().filter(|o| !o.new.is_empty()) {
                note(global, &format!("watch: {}", outcome_line(o).trim_end()));
            }
        }
        Err(e) => tracing::warn!("re-evaluating the remembered images: {}", crate::exit::error_line(&e)),
    }
}

fn outcome_line(o: &EntryOutcome) -> String {
    let c = &o.new_summary;
    let by_severity = c.breakdown();
    format!(
        "{} ({}): {} new{}, {} fixed, {} findings\n",
        o.name,
        escape_controls(&o.image),
        c.total,
        if by_severity.is_empty() { String::new() } else { format!(" ({by_severity})") },
        o.fixed,
        o.findings
    )
}

fn finding_line(f: &Finding) -> String {
    let fix =
        if f.fix.versions.is_empty() { String::new() } else { format!("  fixed in {}", f.fix.versions.join(", ")) };
    escape_controls(&format!(
        "    {:<10} {:<20} {} {}{}\n",
        f.severity.as_str().to_ascii_uppercase(),
        f.id,
        f.package.name,
        f.package.version,
        fix
    ))
    .into_owned()
}

fn render_table(outcomes: &[EntryOutcome]) -> Vec<u8> {
    let mut text = String::new();
    if outcomes.is_empty() {
        text.push_str("nothing remembered (scan with --remember NAME)\n");
    }
    for o in outcomes {
        text.push_str(&outcome_line(o));
        for f in &o.new {
            text.push_str(&finding_line(f));
        }
    }
    text.into_bytes()
}

fn render_json(outcomes: &[EntryOutcome]) -> anyhow::Result<Vec<u8>> {
    let doc = serde_json::json!({
        "schema_version": WATCH_RUN_SCHEMA_VERSION,
        "results": outcomes,
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).context("serialising the result")?;
    bytes.push(b'\n');
    Ok(bytes)
}
