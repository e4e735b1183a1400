//! Exit codes, as documented in `docs/exit-codes.md`; never changed silently.

use std::process::ExitCode;

/// Done: scanned, nothing at or above the threshold (or `--continue-on-failure`).
pub(crate) const OK: u8 = 0;
/// The command could not run (bad input, missing database).
pub(crate) const ERROR: u8 = 1;
/// Findings at or above the `--fail-on` threshold (the old microscanner's code).
pub(crate) const POLICY_FAILURE: u8 = 4;
/// Part of the image could not be analysed, and `--fail-on-incomplete` was given.
pub(crate) const INCOMPLETE: u8 = 5;

/// What a command ended with, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done; exit 0.
    Success,
    /// Findings at or above the threshold; exit 4.
    PolicyFailure,
    /// Incomplete scan with `--fail-on-incomplete`; exit 5.
    Incomplete,
}

/// Prints an error as one line on stderr and maps the outcome to its exit code.
#[allow(clippy::print_stderr)] // the binary owns stderr
pub(crate) fn report(outcome: anyhow::Result<Outcome>) -> ExitCode {
    match outcome {
        Ok(Outcome::Success) => ExitCode::from(OK),
        Ok(Outcome::PolicyFailure) => ExitCode::from(POLICY_FAILURE),
        Ok(Outcome::Incomplete) => ExitCode::from(INCOMPLETE),
        Err(err) => {
            let chain: Vec<String> = err.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::from(ERROR)
        }
    }
}
