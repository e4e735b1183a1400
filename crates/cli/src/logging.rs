//! What the binary writes on stderr besides the report: log lines and one-line notes. Their text
//! often carries data from the image or the database (a diagnostic names a file of the image, a
//! skipped item says why), so every field of a log line goes through
//! [`microscanner_report::text::escape_controls`]: a control or bidi character from data is shown
//! visibly (`\x1b`, `\n`, `\u{202e}`) and never reaches the terminal raw, and a line break in data
//! never starts a line. Colour only when the stream written to is a terminal and `NO_COLOR` is not
//! set (<https://no-color.org>).

use std::fmt::{self, Write as _};

use microscanner_report::text::escape_controls;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

/// Whether to colour a stream: only a terminal, and never with `NO_COLOR` set (to anything but
/// the empty string).
pub(crate) fn use_color(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Logs go to stderr (stdout is for documents), at `warn` unless `RUST_LOG` says otherwise; colour
/// only on a terminal (a build log or CI log gets plain text) and never with `NO_COLOR`; the
/// fields of every line escaped ([`SafeFields`]).
pub(crate) fn init(quiet: bool) {
    use std::io::IsTerminal as _;
    // An image without a CA store (scratch, distroless/static) is normal for the in-image mode:
    // the bundled roots are used, so the platform verifier's note about the missing system
    // store is not a warning worth a line in every build log.
    let default = if quiet { "error" } else { "warn,rustls_platform_verifier=error" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(use_color(std::io::stderr().is_terminal()))
        .fmt_fields(SafeFields)
        .init();
}

/// Formats the fields of a log line (the message, then `name=value` pairs) with every control
/// and bidi character escaped. tracing-subscriber's own escaping leaves line breaks, carriage
/// returns, most C0 controls and bidi overrides raw.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SafeFields;

impl<'writer> FormatFields<'writer> for SafeFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = SafeVisitor::default();
        fields.record(&mut visitor);
        writer.write_str(&visitor.out)
    }
}

/// Collects a line's fields as escaped text.
#[derive(Default)]
struct SafeVisitor {
    out: String,
}

impl Visit for SafeVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        // The `log` crate's bookkeeping (target, file, line), which the default formatter hides too.
        if name.starts_with("log.") {
            return;
        }
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        let text = if name == "message" { format!("{value:?}") } else { format!("{name}={value:?}") };
        let _ = self.out.write_str(&escape_controls(&text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_fields_are_escaped() {
        let (writer, lines) = capture();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false)
            .with_target(false)
            .without_time()
            .fmt_fields(SafeFields)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let path = "/usr/lib/node_modules/a\x1b]0;pwned\x07\nWARN forged\u{202e}/package.json";
            tracing::warn!("{path}: cannot parse package.json");
            tracing::warn!(file = path, "with a field");
        });
        let text = lines();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.chars().any(|c| c != '\n' && microscanner_report::text::is_unsafe(c)), "{text:?}");
        assert!(text.contains("a\\x1b]0;pwned\\x07\\nWARN forged\\u{202e}/package.json: cannot parse"), "{text}");
    }

    type Lines = std::sync::Arc<std::sync::Mutex<Vec<u8>>>;

    /// A writer into memory and a way to read what it got.
    fn capture() -> (impl for<'a> tracing_subscriber::fmt::MakeWriter<'a> + 'static, impl Fn() -> String) {
        #[derive(Clone)]
        struct Buf(Lines);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines: Lines = Lines::default();
        let reader = lines.clone();
        let make = move || Buf(lines.clone());
        (make, move || String::from_utf8_lossy(&reader.lock().map(|b| b.clone()).unwrap_or_default()).into_owned())
    }
}
