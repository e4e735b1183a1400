//! `microscanner serve`: the service (tokens by email, daily quotas, inventory-only scans), and
//! `microscanner server token ...`: its admin commands, run against the same store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use microscanner_server::clock::{SystemClock, day_of};
use microscanner_server::config::{DEFAULT_DAILY_QUOTA, RegistrationLimits, ServerConfig, TlsFiles};
use microscanner_server::store::{TokenRecord, TokenSelector};
use microscanner_server::token::Token;

use crate::commands::{Global, db_path, parse_size};
use crate::exit::Outcome;

/// Where the service keeps its tokens and counters.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StoreArgs {
    /// The store: `sqlite://PATH` (one process) or `postgres://USER@HOST/DB` (several replicas)
    /// [default: sqlite:// under the user data dir, `$XDG_DATA_HOME/microscanner/server.db`].
    #[arg(long, env = "MICROSCANNER_DATABASE_URL", value_name = "URL")]
    pub(crate) database_url: Option<String>,
}

impl StoreArgs {
    fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".local/share"))
            })
            .context("no --database-url given and neither XDG_DATA_HOME nor HOME is set")?;
        Ok(format!("sqlite://{}", data.join("microscanner").join("server.db").display()))
    }
}

/// Arguments of `microscanner serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "MICROSCANNER_LISTEN", value_name = "ADDR")]
    listen: SocketAddr,
    /// The store of tokens and counts.
    #[command(flatten)]
    store: StoreArgs,
    /// SMTP server for registration mail: `smtp://[USER:PASS@]HOST[:PORT][?tls=required]` or
    /// `smtps://...`; without it, registration answers 503 (tokens come from `server token create`).
    #[arg(long, env = "MICROSCANNER_SMTP_URL", hide_env_values = true, value_name = "URL")]
    smtp_url: Option<String>,
    /// The sender of registration mail.
    #[arg(long, default_value = "microscanner <microscanner@localhost>", value_name = "ADDRESS")]
    mail_from: String,
    /// Scans a token may run per UTC day (a token's own quota, `server token set-quota`, wins).
    #[arg(long, default_value_t = DEFAULT_DAILY_QUOTA, value_name = "N")]
    daily_quota: u32,
    /// The address clients reach this server at (tokens and mails name it) [default:
    /// http(s)://LISTEN].
    #[arg(long, env = "MICROSCANNER_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// The terms a registrant accepts (text) [default: built in].
    #[arg(long, value_name = "FILE")]
    terms_file: Option<PathBuf>,
    /// TLS certificate chain (PEM); with --tls-key, serve HTTPS (else plain HTTP, for use behind
    /// a proxy).
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Largest request body (bytes, or 16M, 1G).
    #[arg(long, default_value = "16M", value_parser = parse_size, value_name = "SIZE")]
    max_body: u64,
    /// Seconds a request may take to arrive and be answered (a client that sends slowly is cut
    /// off).
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    request_timeout: u64,
    /// Tokens one address may be sent per hour.
    #[arg(long, default_value_t = RegistrationLimits::default().per_address, value_name = "N")]
    register_per_address: u32,
    /// Registrations one client IP may post per hour.
    #[arg(long, default_value_t = RegistrationLimits::default().per_client, value_name = "N")]
    register_per_client: u32,
    /// POST new findings of remembered inventories (`/api/v1/scan?remember=NAME`) to this URL
    /// after each database reload, signed with MICROSCANNER_WEBHOOK_SECRET (docs/watch.md).
    #[arg(long, env = "MICROSCANNER_WATCH_WEBHOOK", value_name = "URL")]
    watch_webhook: Option<String>,
    /// With --watch-webhook: `json` or `slack`.
    #[arg(long, default_value = "json", value_parser = parse_webhook_format, value_name = "FORMAT")]
    watch_webhook_format: microscanner_watch::WebhookFormat,
    /// With --watch-webhook: notify new findings at or above this severity.
    #[arg(long, default_value = "high", value_parser = super::parse_severity, value_name = "SEVERITY")]
    watch_notify_on: microscanner_model::Severity,
    /// The most inventories one token may remember.
    #[arg(long, default_value_t = 100, value_name = "N")]
    watch_max_per_token: u32,
}

fn parse_webhook_format(s: &str) -> Result<microscanner_watch::WebhookFormat, String> {
    s.parse()
}

/// Runs `microscanner serve` until SIGTERM or SIGINT.
#[allow(clippy::print_stderr)] // the binary owns stderr: one line saying where it listens
pub(crate) fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<Outcome> {
    let config = config(global, args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    let quiet = global.quiet;
    runtime.block_on(async move {
        let state = microscanner_server::serve::state(config, Arc::new(SystemClock)).await?;
        let listener = microscanner_server::serve::bind(state.config.listen).await?;
        let addr = listener.local_addr().context("reading the bound address")?;
        if !quiet {
            eprintln!("microscanner serve: listening on {addr}, public URL {}", state.config.public_url);
        }
        if state.database.loaded().is_none() {
            tracing::warn!("no database at {} yet: /readyz answers 503 until one appears", state.config.db.display());
        }
        let signals = microscanner_server::serve::signals(Arc::clone(&state.database));
        microscanner_server::serve::run(listener, state, signals).await?;
        anyhow::Ok(())
    })?;
    Ok(Outcome::Success)
}

fn config(global: &Global, args: &ServeArgs) -> anyhow::Result<ServerConfig> {
    let mut config = ServerConfig::new(db_path(global)?, args.store.url()?);
    config.listen = args.listen;
    config.smtp_url.clone_from(&args.smtp_url);
    config.mail_from.clone_from(&args.mail_from);
    config.daily_quota = args.daily_quota;
    let scheme = if args.tls_cert.is_some() { "https" } else { "http" };
    config.public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{}", args.listen))
        .trim_end_matches('/')
        .to_owned();
    if let Some(path) = &args.terms_file {
        config.terms =
            std::fs::read_to_string(path).with_context(|| format!("reading --terms-file {}", path.display()))?;
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(TlsFiles { cert: cert.clone(), key: key.clone() });
    }
    config.max_body = args.max_body;
    config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
    config.registration =
        RegistrationLimits { per_address: args.register_per_address, per_client: args.register_per_client };
    config.watch.webhook = args.watch_webhook.clone().map(|url| microscanner_watch::Webhook {
        url,
        format: args.watch_webhook_format,
        notify_on: args.watch_notify_on,
    });
    config.watch.secret = std::env::var_os("MICROSCANNER_WEBHOOK_SECRET").map(|s| s.into_encoded_bytes());
    config.watch.max_per_token = args.watch_max_per_token;
    Ok(config)
}

/// Arguments of `microscanner server`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServerArgs {
    /// What to do.
    #[command(subcommand)]
    command: ServerCommand,
}

/// `microscanner server ...`.
#[derive(Debug, clap::Subcommand)]
enum ServerCommand {
    /// Manage tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// `microscanner server token ...`.
#[derive(Debug, clap::Subcommand)]
enum TokenCommand {
    /// Create a token for an address and print it (once: only its hash is stored).
    Create {
        /// The address the token belongs to.
        #[arg(long)]
        email: String,
        /// Its own daily quota (default: the server's --daily-quota).
        #[arg(long, value_name = "N")]
        quota: Option<u32>,
        /// The server's public URL, embedded in the token.
        #[arg(long, env = "MICROSCANNER_PUBLIC_URL", default_value = "http://127.0.0.1:8080", value_name = "URL")]
        public_url: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List tokens: id, address, created, last used, scans today, quota (never the token).
    List {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke the token with this id, or every token of this address.
    Revoke {
        /// A token id (as `list` shows it) or an address.
        which: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set the daily quota of the token with this id, or of every token of this address.
    SetQuota {
        /// A token id or an address.
        which: String,
        /// Scans per UTC day, or `default` for the server's --daily-quota.
        quota: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn selector(which: &str) -> TokenSelector {
    if which.contains('@') {
        TokenSelector::Email(which.trim().to_ascii_lowercase())
    } else {
        TokenSelector::Id(which.trim().to_owned())
    }
}

/// Runs `microscanner server token ...`.
#[allow(clippy::print_stdout)] // the binary owns stdout
pub(crate) fn run_admin(_global: &Global, args: &ServerArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let ServerCommand::Token(command) = &args.command;
    runtime.block_on(async {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match command {
            TokenCommand::Create { email, quota, public_url, store } => {
                anyhow::ensure!(
                    microscanner_server::mail::is_address(email),
                    "--email {email:?} is not an e-mail address"
                );
                let store = microscanner_server::store::open(&store.url()?).await?;
                let token = Token::generate(public_url.trim_end_matches('/'))?;
                let record = TokenRecord {
                    id: token.id.clone(),
                    email: email.trim().to_ascii_lowercase(),
                    secret_hash: token.secret_hash(),
                    created_at: now,
                    last_used_at: None,
                    revoked_at: None,
                    daily_quota: *quota,
                };
                store.create_token(&record, now).await?;
                println!("{}", token.reveal());
            }
            TokenCommand::List { json, store } => {
                let store = microscanner_server::store::open(&store.url()?).await?;
                print!("{}", list(&store.list_tokens(day_of(now)).await?, *json)?);
            }
            TokenCommand::Revoke { which, store } => {
                let store = microscanner_server::store::open(&store.url()?).await?;
                let n = store.revoke(&selector(which), now).await?;
                anyhow::ensure!(n > 0, "no live token matches {which:?}");
                println!("revoked {n} token(s)");
            }
            TokenCommand::SetQuota { which, quota, store } => {
                let quota = if quota == "default" {
                    None
                } else {
                    Some(
                        quota
                            .parse::<u32>()
                            .map_err(|_| anyhow::anyhow!("quota {quota:?}: a whole number or `default`"))?,
                    )
                };
                let store = microscanner_server::store::open(&store.url()?).await?;
                let n = store.set_quota(&selector(which), quota).await?;
                anyhow::ensure!(n > 0, "no token matches {which:?}");
                println!("set the quota of {n} token(s)");
            }
        }
        anyhow::Ok(())
    })?;
    Ok(Outcome::Success)
}

fn list(tokens: &[microscanner_server::store::TokenSummary], json: bool) -> anyhow::Result<String> {
    let when = |t: Option<i64>| t.map(microscanner_server::api::rfc3339);
    if json {
        let rows: Vec<_> = tokens
            .iter()
            .map(|t| {
                serde_json::json!({
                    "id": t.id, "email": t.email, "created_at": when(Some(t.created_at)),
                    "last_used_at": when(t.last_used_at), "revoked_at": when(t.revoked_at),
                    "daily_quota": t.daily_quota, "scans_today": t.used_today,
                })
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&rows)? + "\n");
    }
    let mut out = format!(
        "{:<16}  {:<32}  {:<20}  {:<20}  {:>5}  {:>7}  {}\n",
        "ID", "EMAIL", "CREATED", "LAST USED", "TODAY", "QUOTA", "STATE"
    );
    for t in tokens {
        out.push_str(&format!(
            "{:<16}  {:<32}  {:<20}  {:<20}  {:>5}  {:>7}  {}\n",
            t.id,
            t.email.chars().filter(|c| !c.is_control()).take(32).collect::<String>(),
            when(Some(t.created_at)).unwrap_or_default(),
            when(t.last_used_at).unwrap_or_else(|| "-".into()),
            t.used_today,
            t.daily_quota.map_or_else(|| "default".into(), |q| q.to_string()),
            if t.revoked_at.is_some() { "revoked" } else { "live" },
        ));
    }
    Ok(out)
}
