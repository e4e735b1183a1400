//! Text from data, made safe to print: the one place that decides how a package name, a version,
//! a path, an advisory title or a log message from the scanned image or the database is written
//! into a text output (the `table`, `markdown`, `junit`, `html` and `template` reports, the diff
//! table, and the binary's verdict, error and log lines on stderr).
//!
//! Data is attacker-controlled: an image can name a package `\x1b]0;pwned\x07`, a file
//! `a\nmicroscanner: passed`, or put a right-to-left override in an advisory title. Written raw,
//! these retitle the terminal window, clear the screen, forge output lines or reorder what a
//! reader sees. The rule, applied by every text writer to every string that comes from data:
//!
//! - A character [`is_unsafe`] (C0 controls U+0000–U+001F, DEL U+007F, C1 controls
//!   U+0080–U+009F, the bidirectional controls U+061C, U+200E, U+200F, U+202A–U+202E,
//!   U+2066–U+2069, and the line and paragraph separators U+2028, U+2029) is never written raw:
//!   [`escape_controls`] shows it visibly, as `\n`, `\r`, `\t`, `\xNN` for the other C0
//!   controls and DEL (`\x1b`), and `\u{NN}` for the rest (`\u{9b}`, `\u{202e}`).
//! - Prose (advisory titles and descriptions, reasons, messages) is laid out on one line:
//!   [`one_line`] folds each run of whitespace, line breaks included, into one space first.
//! - Only `http`/`https` URLs become links ([`is_web_url`]); anything else (`javascript:`,
//!   `data:`, `file:`) is shown as text.
//!
//! So a newline from data never starts an output line, and only the writer itself emits escape
//! sequences (colours, when the stream is a terminal). The escaping is for display: it is not
//! meant to be reversible (a backslash in data is written as it is). Machine formats (JSON,
//! SARIF, CycloneDX, SPDX) do not use this module: their serialiser escapes control characters
//! itself, and a consumer gets the exact bytes.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is a bidirectional formatting control: U+061C, U+200E, U+200F, U+202A–U+202E,
/// U+2066–U+2069. These reorder the text around them ("Trojan Source").
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` must not be written raw when it comes from data: a C0 control (line breaks and
/// tabs included), DEL, a C1 control, a bidirectional control, or a line or paragraph separator
/// (U+2028, U+2029).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `text` with every [`is_unsafe`] character shown visibly: `\n`, `\r`, `\t`; `\xNN` for the other
/// C0 controls and DEL; `\u{NN}` for C1 controls, bidirectional controls and separators. Text
/// without any is returned as it is (borrowed). Applying it twice changes nothing more.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Prose on one line: each run of whitespace (line breaks, tabs, U+0085, U+2028... included)
/// becomes one space, the ends are trimmed, and what is left is [`escape_controls`]-escaped.
pub fn one_line(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    escape_controls(&folded).into_owned()
}

/// Whether `url` may be written as a link (an HTML `href`, a Markdown link target): an `http://`
/// or `https://` URL (the scheme in any case) with a host, and no whitespace, control, bidi
/// control or character that would end an attribute or a link (`"`, `<`, `>`, `\`, `^`, `` ` ``,
/// `{`, `|`, `}`). Anything else is shown as text, never linked.
pub fn is_web_url(url: &str) -> bool {
    let strip = |prefix: &str| {
        url.get(..prefix.len()).filter(|p| p.eq_ignore_ascii_case(prefix)).and_then(|_| url.get(prefix.len()..))
    };
    let host_and_path = strip("https://").or_else(|| strip("http://"));
    let bad = |c: char| {
        c.is_whitespace() || is_unsafe(c) || matches!(c, '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}')
    };
    host_and_path.is_some_and(|r| !r.is_empty() && !r.starts_with('/')) && !url.chars().any(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_visibly() {
        assert_eq!(escape_controls("plain/path-1.2"), "plain/path-1.2");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape_controls("\x1b]0;t\x07"), "\\x1b]0;t\\x07");
        assert_eq!(escape_controls("a\nb\rc\td\0e\x7f"), "a\\nb\\rc\\td\\x00e\\x7f");
        assert_eq!(escape_controls("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape_controls("x\u{202e}y\u{2066}\u{200f}\u{61c}"), "x\\u{202e}y\\u{2066}\\u{200f}\\u{61c}");
        assert_eq!(escape_controls("l\u{2028}p\u{2029}"), "l\\u{2028}p\\u{2029}");
        // not controls: kept
        assert_eq!(escape_controls("Café – ✓ \\ 日本"), "Café – ✓ \\ 日本");
        // idempotent
        let once = escape_controls("a\x1b\u{202e}\n").into_owned();
        assert_eq!(escape_controls(&once), once);
        assert!(!once.chars().any(is_unsafe));
    }

    #[test]
    fn prose_is_one_line() {
        assert_eq!(one_line("  a\n\tb\r\n c\u{85}d\u{2028}e "), "a b c d e");
        assert_eq!(one_line("x\x1b[31my\u{202e}"), "x\\x1b[31my\\u{202e}");
    }

    #[test]
    fn only_web_urls_are_links() {
        assert!(is_web_url("https://rustsec.org/advisories/RUSTSEC-2021-0003.html"));
        assert!(is_web_url("HTTP://example.com/x?y=1"));
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "https://",
            "https:///path",
            "https://x.invalid/\"><script>",
            "https://x.invalid/\x1b]8;;",
            "https://x.invalid/\u{202e}",
            "https://x.invalid/a b",
            "ftp://x.invalid/",
        ] {
            assert!(!is_web_url(bad), "{bad:?}");
        }
    }
}
