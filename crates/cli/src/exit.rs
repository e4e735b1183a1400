//! Exit codes, as documented in `docs/exit-codes.md`; never changed silently.

use std::process::ExitCode;

/// Scanned; nothing at or above the threshold.
pub(crate) const OK: u8 = 0;
/// The command could not run (bad input, missing database).
pub(crate) const ERROR: u8 = 1;

/// What a command ended with, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done; exit 0.
    Success,
}

/// Prints an error as one line on stderr and maps the outcome to its exit code.
#[allow(clippy::print_stderr)] // the binary owns stderr
pub(crate) fn report(outcome: anyhow::Result<Outcome>) -> ExitCode {
    match outcome {
        Ok(Outcome::Success) => ExitCode::from(OK),
        Err(err) => {
            let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::from(ERROR)
        }
    }
}
