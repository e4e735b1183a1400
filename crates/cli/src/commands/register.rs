//! `microscanner register [EMAIL]` (and the old spelling `microscanner --register EMAIL`): ask
//! the server to mail a token. With no EMAIL on a terminal it asks for the address, shows the
//! terms and asks to accept them, as the old tool did.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::time::Duration;

use anyhow::Context as _;
use microscanner_server::client::Client;

use crate::commands::Global;
use crate::exit::Outcome;

/// Arguments of `microscanner register`.
#[derive(Debug, clap::Args)]
pub(crate) struct RegisterArgs {
    /// The address to mail the token to (asked for on a terminal when left out).
    pub(crate) email: Option<String>,
    /// The microscanner server.
    #[arg(long, env = "MICROSCANNER_SERVER", value_name = "URL")]
    pub(crate) server: String,
    /// Accept the server's terms without being asked (scripts).
    #[arg(long)]
    pub(crate) accept_terms: bool,
}

/// Runs `microscanner register`.
#[allow(clippy::print_stderr)] // the binary owns stderr; the prompt is a conversation
pub(crate) fn run(global: &Global, args: &RegisterArgs) -> anyhow::Result<Outcome> {
    let client = Client::new(&args.server, false, Duration::from_secs(60))?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let email = match &args.email {
        Some(e) => e.trim().to_owned(),
        None if interactive => prompt("E-mail address: ")?,
        None => anyhow::bail!("register needs an EMAIL (or run it on a terminal to be asked)"),
    };
    if !args.accept_terms {
        let terms = client.terms()?;
        anyhow::ensure!(
            interactive,
            "the server's terms must be accepted: read them at {}/ and pass --accept-terms",
            args.server.trim_end_matches('/')
        );
        // The server's text: its lines as they are, but no control character of its own.
        let terms: Vec<_> = terms.trim_end().lines().map(microscanner_report::text::escape_controls).collect();
        eprintln!("\n{}\n", terms.join("\n"));
        let answer = prompt("Do you accept these terms? [y/N] ")?;
        anyhow::ensure!(matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes"), "the terms were not accepted");
    }
    client.register(&email)?;
    if !global.quiet {
        eprintln!("A token is on its way to {email}. Registering again revokes it and sends a new one.");
    }
    Ok(Outcome::Success)
}

#[allow(clippy::print_stderr)]
fn prompt(question: &str) -> anyhow::Result<String> {
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the answer")?;
    Ok(line.trim().to_owned())
}
