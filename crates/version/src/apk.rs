//! Alpine (apk-tools) versions: `digits{.digits}{letter}{_suffix{digits}}{~hash}{-rN}`.
//!
//! Written from apk-tools 3's `src/version.c` (no Rust crate implements apk-tools 3, with its
//! commit-hash token and string-sorted leading-zero components; `apk-version` has a single
//! release). The order is apk's, including for strings apk calls invalid: the comparison walks
//! both strings token by token and stops at the first token that differs in kind or value, so an
//! invalid tail only matters when everything before it is equal (an invalid token then sorts
//! below every valid one). This scheme therefore orders every string and never fails;
//! [`is_valid`] is `apk version --check`.

use std::cmp::Ordering;

/// Token kinds, in apk's order (a larger kind at the same position sorts lower).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix values: pre-release suffixes below `None`, post-release ones above.
const SUFFIXES: [(&[u8], i8); 9] = [
    (b"alpha", -4),
    (b"beta", -3),
    (b"pre", -2),
    (b"rc", -1),
    (b"cvs", 1),
    (b"svn", 2),
    (b"git", 3),
    (b"hg", 4),
    (b"p", 5),
];

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    value: &'a [u8],
    number: u64,
    suffix: i8,
}

struct Tokens<'a> {
    rest: &'a [u8],
    token: Token<'a>,
    /// Read the way apk-tools 2 did where apk-tools 3 gives up (see [`compare`]).
    lenient: bool,
    /// Whether the number being read followed a `.`.
    after_dot: bool,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a [u8], lenient: bool) -> Self {
        let mut t = Self {
            rest: s,
            token: Token { kind: Kind::InitialDigit, value: b"", number: 0, suffix: 0 },
            lenient,
            after_dot: false,
        };
        t.digits();
        t
    }

    /// apk's `apk_blob_pull_uint`: the leading digits, as C unsigned arithmetic computes them.
    fn digits(&mut self) {
        let n = self.rest.iter().take_while(|c| c.is_ascii_digit()).count();
        let (value, rest) = self.rest.split_at(n);
        self.token.value = value;
        self.token.number = value.iter().fold(0u64, |acc, &c| acc.wrapping_mul(10).wrapping_add(u64::from(c - b'0')));
        self.rest = rest;
        if n == 0 && !self.lenient_empty_number() {
            self.invalid();
            if self.lenient && !rest.is_empty() && self.after_dot {
                // `0.8.21.r2`: the tail after a `.` that has no number is string-sorted.
                self.token.value = rest;
                self.rest = b"";
            }
        }
    }

    /// apk-tools 2 read a missing number as 0: at the start (`.1`, `a`), after a `.` (`0..1`),
    /// and after `-r` at the end of the string (`1-r`).
    fn lenient_empty_number(&self) -> bool {
        self.lenient
            && match self.token.kind {
                Kind::InitialDigit => true,
                Kind::Digit => self.rest.is_empty() || self.rest.starts_with(b"."),
                Kind::RevisionNo => self.rest.is_empty(),
                _ => false,
            }
    }

    fn span(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let n = self.rest.iter().take_while(|&&c| pred(c)).count();
        let (value, rest) = self.rest.split_at(n);
        self.rest = rest;
        value
    }

    fn advance(&mut self) {
        let Some(&c) = self.rest.first() else {
            self.token.kind = Kind::End;
            return;
        };
        let kind = self.token.kind;
        match c {
            b'a'..=b'z' if kind <= Kind::Digit => {
                self.token.value = &self.rest[..1];
                self.token.kind = Kind::Letter;
                self.rest = &self.rest[1..];
            }
            b'.' | b'0'..=b'9'
                if kind <= Kind::Digit
                    || (c != b'.' && kind == Kind::Suffix)
                    || (self.lenient && c != b'.' && kind == Kind::Letter) =>
            {
                self.after_dot = c == b'.';
                if c == b'.' {
                    self.rest = &self.rest[1..];
                }
                self.token.kind = if kind == Kind::Suffix { Kind::SuffixNo } else { Kind::Digit };
                self.digits();
            }
            b'_' if kind <= Kind::SuffixNo => {
                self.rest = &self.rest[1..];
                let value = self.span(|c| c.is_ascii_lowercase());
                match SUFFIXES.iter().find(|(name, _)| *name == value) {
                    Some(&(_, suffix)) => {
                        self.token = Token { kind: Kind::Suffix, value, number: 0, suffix };
                    }
                    None => self.invalid(),
                }
            }
            b'~' if kind < Kind::CommitHash => {
                self.rest = &self.rest[1..];
                let value = self.span(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
                self.token.value = value;
                self.token.kind = Kind::CommitHash;
                if value.is_empty() {
                    self.invalid();
                }
            }
            b'-' if kind < Kind::RevisionNo && self.rest.starts_with(b"-r") => {
                self.rest = &self.rest[2..];
                self.token.kind = Kind::RevisionNo;
                self.digits();
            }
            _ => self.invalid(),
        }
    }

    /// Marks the token invalid; an invalid token has no value, so two compare equal.
    fn invalid(&mut self) {
        self.token.kind = Kind::Invalid;
        self.token.value = b"";
    }
}

/// Compares two tokens of the same kind.
fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        Kind::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => a.value.cmp(b.value),
        Kind::Digit | Kind::InitialDigit | Kind::SuffixNo | Kind::RevisionNo => a.number.cmp(&b.number),
        Kind::Letter => a.value.first().cmp(&b.value.first()),
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// Whether `version` is a valid apk version (`apk version --check`).
pub fn is_valid(version: &str) -> bool {
    let mut t = Tokens::new(version.as_bytes(), false);
    while t.token.kind < Kind::End {
        t.advance();
    }
    t.token.kind == Kind::End
}

fn compare_fuzzy(a: &str, b: &str, fuzzy: bool) -> Ordering {
    let mut ta = Tokens::new(a.as_bytes(), true);
    let mut tb = Tokens::new(b.as_bytes(), true);
    while ta.token.kind == tb.token.kind && ta.token.kind < Kind::End {
        let ord = token_cmp(&ta.token, &tb.token);
        if ord != Ordering::Equal {
            return ord;
        }
        ta.advance();
        tb.advance();
    }
    let (ka, kb) = (ta.token.kind, tb.token.kind);
    if ka == Kind::Invalid && kb == Kind::Invalid {
        // Only the lenient reading gives an invalid token a value: a string-sorted tail.
        return ta.token.value.cmp(tb.token.value);
    }
    if ka == kb || (kb == Kind::End && fuzzy) {
        return Ordering::Equal;
    }
    if ka == Kind::Suffix && ta.token.suffix < 0 {
        return Ordering::Less;
    }
    if kb == Kind::Suffix && tb.token.suffix < 0 {
        return Ordering::Greater;
    }
    // The version that goes on with a token of a later kind is the older one.
    kb.cmp(&ka)
}

/// Compares two apk versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    compare_fuzzy(a, b, false)
}

/// apk's fuzzy match (`~`): whether `version` equals `prefix` on all of `prefix`'s tokens.
pub fn fuzzy_matches(version: &str, prefix: &str) -> bool {
    compare_fuzzy(version, prefix, true) == Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_suffixes_and_revisions() {
        assert_eq!(compare("1.0_alpha1", "1.0"), Ordering::Less);
        assert_eq!(compare("1.0_p1", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0-r1", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0a", "1.0.1"), Ordering::Less);
        assert_eq!(compare("8.2.0015", "8.2.002"), Ordering::Less);
        assert_eq!(compare("1.0~1234-r1", "1.0~2345-r0"), Ordering::Less);
    }

    #[test]
    fn validates_like_apk() {
        assert!(is_valid("1.2.3_rc1_p2~abc123-r4"));
        assert!(!is_valid("1.0-foo"));
        assert!(!is_valid("0.1_pre2~1234xbcd"));
        assert!(!is_valid(""));
        assert!(fuzzy_matches("3.6.9", "3.6"));
        assert!(!fuzzy_matches("3.8", "3.8.1"));
    }
}
