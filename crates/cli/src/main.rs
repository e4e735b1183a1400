//! The `microscanner` binary: parses the command line, installs logging, runs one command and
//! turns its outcome into the documented exit code (see `docs/exit-codes.md`).

mod commands;
mod exit;
mod legacy;

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
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Scan an image for known vulnerabilities and report them (exit 4 on findings at or above --fail-on).
    Scan(commands::scan::ScanArgs),
    /// Compare two JSON reports: new, fixed and changed findings.
    Diff(commands::diff::DiffArgs),
    /// Inventory an image and write it as an SBOM (CycloneDX, SPDX or microscanner JSON).
    Sbom(commands::sbom::SbomArgs),
    /// Print the version, the database schema it reads and the database found (path, build time, data dates).
    Version(commands::version::VersionArgs),
    /// Compare two versions the way each ecosystem's own tool does (`<`, `=`, `>`), or pairs from stdin with --batch.
    CompareVersions(commands::version::CompareArgs),
    /// Build, update, inspect, export and import the vulnerability database.
    Db(commands::db::DbArgs),
    /// Inspect or empty the layer cache.
    Cache(commands::cache::CacheArgs),
    /// Run the service: tokens by email, daily quotas, scans of inventories sent by clients.
    Serve(commands::serve::ServeArgs),
    /// Administer the service's store (tokens, quotas).
    Server(commands::serve::ServerArgs),
    /// Ask a microscanner server to mail you a token.
    Register(commands::register::RegisterArgs),
}

fn main() -> ExitCode {
    let cli = parse();
    init_logging(cli.quiet);
    let global = commands::Global { db: cli.db, quiet: cli.quiet };
    let outcome = match cli.command {
        Command::Scan(args) => commands::scan::run(&global, &args),
        Command::Diff(args) => commands::diff::run(&global, &args),
        Command::Sbom(args) => commands::sbom::run(&global, &args),
        Command::Version(args) => commands::version::run(&global, &args),
        Command::CompareVersions(args) => commands::version::run_compare(&args),
        Command::Db(args) => commands::db::run(&global, &args),
        Command::Cache(args) => commands::cache::run(&global, &args),
        Command::Serve(args) => commands::serve::run(&global, &args),
        Command::Server(args) => commands::serve::run_admin(&global, &args),
        Command::Register(args) => commands::register::run(&global, &args),
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
    if !legacy::is_legacy(&args, &subcommands) {
        return Cli::parse();
    }
    match legacy::translate(&args) {
        Ok(modern) => Cli::parse_from(modern),
        Err(e) => e.exit(),
    }
}

/// Whether a command-line word is a token (the old form puts it where a subcommand would go).
pub(crate) fn token_like(word: &str) -> bool {
    microscanner_server::token::looks_like_token(word)
}

/// Logs go to stderr (stdout is for documents), at `warn` unless `RUST_LOG` says otherwise; colour
/// only on a terminal (a build log or CI log gets plain text) and never with `NO_COLOR`.
fn init_logging(quiet: bool) {
    use std::io::IsTerminal as _;
    // An image without a CA store (scratch, distroless/static) is normal for the in-image mode:
    // the bundled roots are used, so the platform verifier's note about the missing system
    // store is not a warning worth a line in every build log.
    let default = if quiet { "error" } else { "warn,rustls_platform_verifier=error" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(color)
        .init();
}
