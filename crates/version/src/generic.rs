//! A fallback order for ecosystems without a scheme of their own.
//!
//! The version is split into runs of digits and runs of letters (everything else separates
//! them; a leading `v` is dropped). Runs compare left to right: numbers numerically at any
//! size, words case-insensitively (then by case), and a word sorts before a number. When one
//! version runs out first, it is older if the other goes on with a number (`1.0 < 1.0.1`) and
//! newer if the other goes on with a word (`1.0rc1 < 1.0`). Trailing `.0`s are not ignored
//! (`1.0 > 1`), which keeps this a total order. Only a string without letters or digits fails.

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::{VersionError, VersionScheme};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a [u8]),
    Number(&'a [u8]),
}

fn tokens(s: &[u8]) -> impl Iterator<Item = Token<'_>> {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < s.len() && !s[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i >= s.len() {
            return None;
        }
        let digit = s[i].is_ascii_digit();
        let n = s[i..].iter().take_while(|c| if digit { c.is_ascii_digit() } else { c.is_ascii_alphabetic() }).count();
        let run = &s[i..i + n];
        i += n;
        Some(if digit { Token::Number(run) } else { Token::Word(run) })
    })
}

fn strip_v(s: &str) -> &[u8] {
    let b = s.trim().as_bytes();
    match b {
        [b'v' | b'V', next, ..] if next.is_ascii_digit() => &b[1..],
        _ => b,
    }
}

fn cmp_words(a: &[u8], b: &[u8]) -> Ordering {
    a.iter().map(u8::to_ascii_lowercase).cmp(b.iter().map(u8::to_ascii_lowercase)).then_with(|| a.cmp(b))
}

/// Checks that `version` has at least one letter or digit.
///
/// # Errors
/// It has none.
pub fn validate(version: &str) -> Result<(), VersionError> {
    if tokens(strip_v(version)).next().is_none() {
        return Err(VersionError::new(VersionScheme::Generic, version, "no digits or letters"));
    }
    Ok(())
}

/// Compares two versions of an unknown scheme.
///
/// # Errors
/// Either version fails [`validate`].
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    validate(a)?;
    validate(b)?;
    let mut ta = tokens(strip_v(a));
    let mut tb = tokens(strip_v(b));
    loop {
        let ord = match (ta.next(), tb.next()) {
            (None, None) => return Ok(Ordering::Equal),
            (None, Some(Token::Number(_))) | (Some(Token::Word(_)), None) => Ordering::Less,
            (None, Some(Token::Word(_))) | (Some(Token::Number(_)), None) => Ordering::Greater,
            (Some(Token::Number(x)), Some(Token::Number(y))) => cmp_digits(x, y),
            (Some(Token::Word(x)), Some(Token::Word(y))) => cmp_words(x, y),
            (Some(Token::Word(_)), Some(Token::Number(_))) => Ordering::Less,
            (Some(Token::Number(_)), Some(Token::Word(_))) => Ordering::Greater,
        };
        if ord.is_ne() {
            return Ok(ord);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_sanely() {
        assert_eq!(compare("1.10", "1.9").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0rc1", "1.0").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0", "1.0.1").unwrap(), Ordering::Less);
        assert_eq!(compare("v1.2", "1.2").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0-Beta", "1.0-beta").unwrap(), Ordering::Less);
        assert!(compare("...", "1").is_err());
    }
}
