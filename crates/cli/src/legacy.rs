//! The old tool's command line, beside ours: `microscanner <TOKEN> [-c] [-H] [-n] [-d DIR]
//! [--full-output]`, `microscanner --db PATH` (offline, in an image) and `microscanner --register
//! EMAIL`. Each is translated into the equivalent modern command line (`scan dir:/ --format
//! microscanner --token T ...`), so both spellings run the same code.
//!
//! The old bugs are not kept: no token and no database is a usage error (exit 2), never a pass
//! (its issue #5); a root where nothing could be inventoried is an incomplete scan, and the old
//! form fails on it (exit 5, its issue #10).

use std::ffi::OsString;

use clap::Parser;

use crate::token_like;

/// The old command line.
#[derive(Debug, Parser)]
#[command(
    name = "microscanner",
    version,
    about = "Scan the filesystem this runs in (the old microscanner command line)",
    override_usage = "microscanner <TOKEN> [-c] [-H] [-n] [-d DIR] [--full-output] [-o FILE]\n       \
                      microscanner --db PATH [-c] [-H] [-d DIR] [-o FILE]      (offline)\n       \
                      microscanner --register EMAIL --server URL",
    after_help = "The token may also come from MICROSCANNER_TOKEN or --token-file (a BuildKit secret).\n\
                  Exit codes: 0 passed (or -c), 1 error, 2 usage, 4 high-severity findings, 5 nothing could be inventoried.\n\
                  Every other command: microscanner help"
)]
struct LegacyCli {
    /// The token the registration mail gave (it names its server); or a target to scan instead
    /// of the root (`dir:/other`).
    #[arg(value_name = "TOKEN")]
    positionals: Vec<String>,
    /// The vulnerability database file, for an offline scan (no token).
    #[arg(long, env = "MICROSCANNER_DB", value_name = "PATH")]
    db: Option<OsString>,
    /// Exit 0 even when high-severity vulnerabilities are found.
    #[arg(short = 'c', long)]
    continue_on_failure: bool,
    /// The report in HTML instead of the old JSON.
    #[arg(short = 'H', long)]
    html: bool,
    /// Do not verify the server's TLS certificate.
    #[arg(short = 'n', long)]
    no_verify: bool,
    /// Scan from this root directory instead of `/`.
    #[arg(short = 'd', long, value_name = "DIR")]
    root: Option<OsString>,
    /// List every package in the JSON, not only the vulnerable ones.
    #[arg(long)]
    full_output: bool,
    /// Also write the report to FILE (a later build stage can COPY it).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<OsString>,
    /// Read the token from a file.
    #[arg(long, env = "MICROSCANNER_TOKEN_FILE", value_name = "FILE")]
    token_file: Option<OsString>,
    /// The server, overriding the one in the token.
    #[arg(long, env = "MICROSCANNER_SERVER", value_name = "URL")]
    server: Option<String>,
    /// Ask the server for a token by mail.
    #[arg(long, value_name = "EMAIL")]
    register: Option<String>,
    /// Show what would be sent to the server, and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print nothing on stderr but errors.
    #[arg(short, long)]
    quiet: bool,
}

/// Whether `args` (without the program name) are the old command line rather than ours: a token
/// where a subcommand would be, `--register`, or old-only flags with no subcommand.
pub(crate) fn is_legacy(args: &[OsString], subcommands: &[&str]) -> bool {
    let texts: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    if texts.is_empty() || texts.contains(&"--register") {
        return !texts.is_empty();
    }
    // Flags of ours that take a value, before the subcommand.
    let valued = ["--db"];
    let mut i = 0;
    while let Some(arg) = texts.get(i) {
        if valued.contains(arg) {
            i += 2;
            continue;
        }
        if !arg.starts_with('-') {
            return !subcommands.contains(arg);
        }
        if matches!(*arg, "-h" | "--help" | "-V" | "--version") {
            return false;
        }
        if !matches!(*arg, "-q" | "--quiet") && !arg.starts_with("--db=") {
            // a flag only the old command line has (-c, -H, -d, --full-output, ...)
            return true;
        }
        i += 1;
    }
    // Only global flags (`--db PATH`): the offline in-image scan of `/`.
    texts.iter().any(|a| *a == "--db" || a.starts_with("--db="))
}

/// The modern command line for the old one, or the clap error (usage: exit 2).
pub(crate) fn translate(args: &[OsString]) -> Result<Vec<OsString>, clap::Error> {
    let cli = LegacyCli::try_parse_from(std::iter::once(OsString::from("microscanner")).chain(args.iter().cloned()))?;
    let mut out: Vec<OsString> = vec!["microscanner".into()];
    if cli.quiet {
        out.push("--quiet".into());
    }
    if let Some(email) = cli.register {
        out.extend(["register".into(), email.into()]);
        if let Some(server) = cli.server {
            out.extend(["--server".into(), server.into()]);
        }
        return Ok(out);
    }
    let (tokens, targets): (Vec<String>, Vec<String>) = cli.positionals.into_iter().partition(|p| token_like(p));
    if tokens.len() > 1 || targets.len() > 1 {
        return Err(usage("give one token and at most one target"));
    }
    let has_token = !tokens.is_empty()
        || cli.token_file.is_some()
        || std::env::var_os("MICROSCANNER_TOKEN").is_some_and(|v| !v.is_empty());
    if !has_token && cli.db.is_none() && !cli.dry_run {
        return Err(usage(
            "no token: give the token the registration mail sent (microscanner <TOKEN>), or --db PATH to scan offline",
        ));
    }
    if let Some(db) = cli.db {
        out.extend(["--db".into(), db]);
    }
    let target = match (targets.into_iter().next(), cli.root) {
        (Some(t), _) => OsString::from(t),
        (None, Some(root)) => {
            let mut t = OsString::from("dir:");
            t.push(root);
            t
        }
        (None, None) => "dir:/".into(),
    };
    out.extend(["scan".into(), target, "--format".into(), (if cli.html { "html" } else { "microscanner" }).into()]);
    out.push("--fail-on-incomplete".into());
    out.push("--no-cache".into());
    for (on, flag) in [
        (cli.continue_on_failure, "--continue-on-failure"),
        (cli.no_verify, "--no-verify"),
        (cli.full_output, "--full-output"),
        (cli.dry_run, "--dry-run"),
        (cli.output.is_some(), "--tee"),
    ] {
        if on {
            out.push(flag.into());
        }
    }
    if let Some(token) = tokens.into_iter().next() {
        out.extend(["--token".into(), token.into()]);
    }
    if let Some(file) = cli.token_file {
        out.extend(["--token-file".into(), file]);
    }
    if let Some(server) = cli.server {
        out.extend(["--server".into(), server.into()]);
    }
    if let Some(output) = cli.output {
        out.extend(["--output".into(), output]);
    }
    Ok(out)
}

fn usage(message: &str) -> clap::Error {
    use clap::CommandFactory as _;
    LegacyCli::command().error(clap::error::ErrorKind::MissingRequiredArgument, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBCOMMANDS: &[&str] = &["scan", "db", "serve", "register", "help"];

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn tells_the_old_form_from_ours() {
        let token = "msk_aHR0cDovLzEyNy4wLjAuMTo4MDgw_0123456789abcdef0123456789abcdef0123456789abcdef";
        assert!(is_legacy(&os(&[token]), SUBCOMMANDS));
        assert!(is_legacy(&os(&[token, "-c"]), SUBCOMMANDS));
        assert!(is_legacy(&os(&["-c", token]), SUBCOMMANDS));
        assert!(is_legacy(&os(&["--db", "/db"]), SUBCOMMANDS));
        assert!(is_legacy(&os(&["--db", "/db", "-c"]), SUBCOMMANDS));
        assert!(is_legacy(&os(&["--register", "a@b.c"]), SUBCOMMANDS));
        assert!(is_legacy(&os(&["--db", "/db", "dir:/"]), SUBCOMMANDS));
        assert!(!is_legacy(&os(&["--db", "/db", "scan", "dir:/"]), SUBCOMMANDS));
        assert!(!is_legacy(&os(&["scan", "x"]), SUBCOMMANDS));
        assert!(!is_legacy(&os(&["register", "a@b.c"]), SUBCOMMANDS));
        assert!(!is_legacy(&os(&[]), SUBCOMMANDS));
        assert!(!is_legacy(&os(&["--help"]), SUBCOMMANDS));
        assert!(!is_legacy(&os(&["--version"]), SUBCOMMANDS));
    }

    #[test]
    fn translates_to_a_scan_of_the_root() {
        let token = "msk_aHR0cDovLzEyNy4wLjAuMTo4MDgw_0123456789abcdef0123456789abcdef0123456789abcdef";
        let out = translate(&os(&[token, "-c", "-d", "/other", "--full-output"])).unwrap();
        let text: Vec<String> = out.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(&text[1..4], ["scan", "dir:/other", "--format"]);
        assert!(text.contains(&"microscanner".into()));
        assert!(text.contains(&"--continue-on-failure".into()));
        assert!(text.contains(&"--full-output".into()));
        assert!(text.windows(2).any(|w| w[0] == "--token" && w[1] == token));
        let html = translate(&os(&["--db", "/db", "-H"])).unwrap();
        assert!(html.iter().any(|a| a == "html"));
        assert!(html.windows(2).any(|w| w[0] == "--db" && w[1] == "/db"));
    }

    #[test]
    fn no_token_and_no_database_is_a_usage_error() {
        // SAFETY of the assertion: the variable may be set by a developer's shell.
        if std::env::var_os("MICROSCANNER_TOKEN").is_some() || std::env::var_os("MICROSCANNER_DB").is_some() {
            return;
        }
        let e = translate(&os(&["-c"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("no token"));
    }
}
