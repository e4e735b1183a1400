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
            // The chain often names a file of the image: shown escaped, on one line.
            eprintln!("error: {}", microscanner_report::text::escape_controls(&error_line(&err)));
            ExitCode::from(ERROR)
        }
    }
}

/// The error and its causes joined with `: `, each said once: an error whose message already
/// includes its cause's (`thiserror`'s `#[error("...: {0}")]` beside `#[source]`) would otherwise
/// print it twice (`no database file: no database file`).
pub(crate) fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As `thiserror` writes `#[error("cannot read {path}: {source}")]` with `#[source]`.
    #[derive(Debug)]
    struct Wrapped {
        path: String,
        source: std::io::Error,
    }

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "cannot read {}: {}", self.path, self.source)
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no database file");
        let err = anyhow::Error::new(Wrapped { path: "/db".into(), source: io }).context("opening the database");
        assert_eq!(error_line(&err), "opening the database: cannot read /db: no database file");
    }

    #[test]
    fn distinct_causes_are_all_said() {
        let err = anyhow::anyhow!("inner").context("middle").context("outer");
        assert_eq!(error_line(&err), "outer: middle: inner");
    }
}
