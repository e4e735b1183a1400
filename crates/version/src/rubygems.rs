//! Ruby gem versions, ordered as `Gem::Version#<=>` orders them.
//!
//! Written from RubyGems' `lib/rubygems/version.rb` (the `gem_version` crate was not used: it
//! is a young port and this is short). A version must match `Gem::Version`'s pattern (digits,
//! then `.`-separated alphanumerics, then an optional `-` part); `-` means `.pre.`; it splits
//! into runs of digits and of letters; trailing zeros are dropped from the numeric part and
//! from the part after the first letter run; then items compare pairwise, padded with 0,
//! where letters sort before numbers and numbers have any size. A blank string is `0`.

use std::cmp::Ordering;

use crate::num::{cmp_digits, strip_zeros};
use crate::{VersionError, VersionScheme};

/// One segment of a gem version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A number, without leading zeros (`""` is zero).
    Number(String),
    /// A run of letters (case kept, compared as bytes).
    Text(String),
}

fn is_zero(s: &Segment) -> bool {
    matches!(s, Segment::Number(n) if n.is_empty())
}

/// Whether `version` matches `Gem::Version::ANCHORED_VERSION_PATTERN`.
pub fn is_valid(version: &str) -> bool {
    let s = version.trim_matches(|c: char| c.is_ascii_whitespace());
    if s.is_empty() {
        return true;
    }
    let (main, pre) = match s.split_once('-') {
        Some((main, pre)) => (main, Some(pre)),
        None => (s, None),
    };
    let mut parts = main.split('.');
    // RubyGems wants the first part all digits; `1beta` is accepted (as osv-scalibr does) so
    // that such versions order (`1beta` < `1`) instead of failing.
    let first_ok = parts
        .next()
        .is_some_and(|p| p.starts_with(|c: char| c.is_ascii_digit()) && p.bytes().all(|c| c.is_ascii_alphanumeric()));
    let rest_ok = parts.all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric()));
    let pre_ok = pre.is_none_or(|pre| {
        pre.split('.').all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
    });
    first_ok && rest_ok && pre_ok
}

/// Parses a gem version into its canonical segments.
///
/// # Errors
/// The version does not match `Gem::Version`'s pattern.
pub fn parse(version: &str) -> Result<Vec<Segment>, VersionError> {
    if !is_valid(version) {
        return Err(VersionError::new(VersionScheme::RubyGems, version, "malformed version number string"));
    }
    let s = version.trim_matches(|c: char| c.is_ascii_whitespace());
    let s = if s.is_empty() { "0".to_owned() } else { s.replace('-', ".pre.") };
    let bytes = s.as_bytes();
    let mut segments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() {
            let n = bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            segments.push(Segment::Number(String::from_utf8_lossy(strip_zeros(&bytes[i..i + n])).into_owned()));
            i += n;
        } else if c.is_ascii_alphabetic() {
            let n = bytes[i..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
            segments.push(Segment::Text(s[i..i + n].to_owned()));
            i += n;
        } else {
            i += 1;
        }
    }
    // canonical_segments: drop trailing zeros from the numeric part and from the rest.
    let split = segments.iter().position(|s| matches!(s, Segment::Text(_))).unwrap_or(segments.len());
    let mut rest = segments.split_off(split);
    while segments.last().is_some_and(is_zero) {
        segments.pop();
    }
    while rest.last().is_some_and(is_zero) {
        rest.pop();
    }
    segments.extend(rest);
    Ok(segments)
}

fn cmp_segments(a: &[Segment], b: &[Segment]) -> Ordering {
    let zero = Segment::Number(String::new());
    for i in 0..a.len().max(b.len()) {
        let l = a.get(i).unwrap_or(&zero);
        let r = b.get(i).unwrap_or(&zero);
        let ord = match (l, r) {
            (Segment::Number(x), Segment::Number(y)) => cmp_digits(x.as_bytes(), y.as_bytes()),
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
            (Segment::Text(x), Segment::Text(y)) => x.cmp(y),
        };
        if ord.is_ne() {
            return ord;
        }
    }
    Ordering::Equal
}

/// Compares two gem versions.
///
/// # Errors
/// Either version fails [`parse`].
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_segments(&parse(a)?, &parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_gem_version() {
        assert_eq!(compare("1.0.a10", "1.0.a.9").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0.a2", "1.0.a.2").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.2.4.beta", "1.2.4").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0-1", "1.0.pre.1").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0.0", "1").unwrap(), Ordering::Equal);
        assert_eq!(compare("", "0").unwrap(), Ordering::Equal);
        assert!(parse("1..2").is_err());
        assert!(parse("a1").is_err());
        assert!(parse("1.0 beta").is_err());
    }
}
