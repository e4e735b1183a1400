//! The `microscanner` binary: parses the command line, installs logging, runs one command and
//! turns its outcome into the documented exit code (see `docs/exit-codes.md`).

mod commands;
mod exit;
mod legacy;
mod logging;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A container-image vulnerability scanner.
#[derive(Debug, Parser)]
#[command(
    name = "microscanner",
    version,
    about = "A container-image vulnerability scanner",
    long_about = None,
    after_help = "The old command line works too: microscanner <TOKEN> [-c] [-H] [-n] [-d DIR] [--full-output],\n\
                  microscanner --db PATH (offline, scanning /), microscanner --register EMAIL. See docs/in-image.md."
)]
struct Cli {
    /// The vulnerability database file.
    #[arg(long, global = true, env = "MICROSCANNER_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Print nothing on stderr but errors.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// A config file of flag values (YAML; default: ./microscanner.yaml when it exists). The
    /// command line wins over `MICROSCANNER_<FLAG>` variables, which win over the file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run: boxing the scan's flags would buy nothing
enum Command {
    /// Scan an image for known vulnerabilities and report them (exit 4 on findings at or above --fail-on).
    Scan(commands::scan::ScanArgs),
    /// Compare two JSON reports: new, fixed and changed findings.
    Diff(commands::diff::DiffArgs),
    /// Render a saved JSON report (`scan --format json`) in another format: one scan, many reports.
    Convert(commands::convert::ConvertArgs),
    /// Inventory an image and write it as an SBOM (CycloneDX, SPDX or microscanner JSON).
    Sbom(commands::sbom::SbomArgs),
    /// Print the version, the database schema it reads and the database found (path, build time, data dates).
    Version(commands::version::VersionArgs),
    /// Compare two versions the way each ecosystem's own tool does (`<`, `=`, `>`), or pairs from stdin with --batch.
    CompareVersions(commands::version::CompareArgs),
    /// Build, update, inspect, export and import the vulnerability database.
    Db(commands::db::DbArgs),
    /// Inspect or empty the layer cache.
    Cache(commands::cache::CacheCommandArgs),
    /// Run the service: tokens by email, daily quotas, scans of inventories sent by clients.
    Serve(commands::serve::ServeArgs),
    /// Administer the service's store (tokens, quotas).
    Server(commands::serve::ServerArgs),
    /// Ask a microscanner server to mail you a token.
    Register(commands::register::RegisterArgs),
    /// Images remembered by `scan --remember`: list, show, forget, and re-evaluate against the current database.
    Watch(commands::watch::WatchArgs),
}

fn main() -> ExitCode {
    let cli = parse();
    logging::init(cli.quiet);
    if let Some(path) = &cli.config {
        tracing::debug!("settings from the config file {}", path.display());
    }
    let global = commands::Global { db: cli.db, quiet: cli.quiet };
    let outcome = match cli.command {
        Command::Scan(args) => commands::scan::run(&global, &args),
        Command::Diff(args) => commands::diff::run(&global, &args),
        Command::Convert(args) => commands::convert::run(&global, &args),
        Command::Sbom(args) => commands::sbom::run(&global, &args),
        Command::Version(args) => commands::version::run(&global, &args),
        Command::CompareVersions(args) => commands::version::run_compare(&args),
        Command::Db(args) => commands::db::run(&global, &args),
        Command::Cache(args) => commands::cache::run(&global, &args),
        Command::Serve(args) => commands::serve::run(&global, &args),
        Command::Server(args) => commands::serve::run_admin(&global, &args),
        Command::Register(args) => commands::register::run(&global, &args),
        Command::Watch(args) => commands::watch::run(&global, &args),
    };
    exit::report(outcome)
}

/// Parses the command line: ours, or the old tool's (`microscanner <TOKEN> [-c]`), which
/// [`legacy`] turns into ours.
fn parse() -> Cli {
    use clap::CommandFactory as _;
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let command = Cli::command();
    let mut subcommands: Vec<&str> = command.get_subcommands().map(clap::Command::get_name).collect();
    subcommands.push("help");
    let modern = if legacy::is_legacy(&args, &subcommands) {
        match legacy::translate(&args) {
            Ok(modern) => modern.into_iter().skip(1).collect(),
            Err(e) => e.exit(),
        }
    } else {
        args
    };
    let config = match settings::config_path(&modern).map(|path| settings::read_config(&path)) {
        Some(Ok(config)) => config,
        Some(Err(e)) => Cli::command().error(clap::error::ErrorKind::InvalidValue, e).exit(),
        None => settings::Config::default(),
    };
    let command = match settings::apply(Cli::command(), &config) {
        Ok(command) => command,
        Err(e) => Cli::command().error(clap::error::ErrorKind::InvalidValue, format!("config file: {e}")).exit(),
    };
    let matches = command.get_matches_from(std::iter::once(std::ffi::OsString::from("microscanner")).chain(modern));
    match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

/// Whether a command-line word is a token (the old form puts it where a subcommand would go).
pub(crate) fn token_like(word: &str) -> bool {
    microscanner_server::token::looks_like_token(word)
}
