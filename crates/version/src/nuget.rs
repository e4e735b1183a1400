//! NuGet package versions, ordered as `NuGet.Versioning.VersionComparer` orders them.
//!
//! Written from NuGet.Client's `NuGetVersion` parser and `VersionComparer` (there is no Rust
//! port). One to four numeric parts (leading zeros allowed, missing ones are 0), an optional
//! `-` pre-release of `.`-separated labels, optional `+` metadata that the order ignores. A
//! release sorts after its pre-releases; labels compare numerically when both are numbers,
//! numbers sort before words, words compare case-insensitively; fewer labels sort first.
//! Numbers of any size are compared exactly (NuGet itself rejects parts above `int.MaxValue`).

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_digits};
use crate::{VersionError, VersionScheme};

/// A parsed NuGet version, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NuGetVersion<'a> {
    /// The numeric parts (one to four).
    pub parts: Vec<&'a str>,
    /// The pre-release without its `-` (empty for a release).
    pub release: &'a str,
}

fn err(version: &str, reason: &'static str) -> VersionError {
    VersionError::new(VersionScheme::NuGet, version, reason)
}

fn labels_ok(s: &str) -> bool {
    s.split('.').all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}

/// Parses a NuGet version.
///
/// # Errors
/// The string is not a NuGet version.
pub fn parse(version: &str) -> Result<NuGetVersion<'_>, VersionError> {
    let s = version.trim();
    let (rest, metadata) = match s.split_once('+') {
        Some((rest, metadata)) => (rest, Some(metadata)),
        None => (s, None),
    };
    let (numbers, release) = match rest.split_once('-') {
        Some((numbers, release)) => (numbers, release),
        None => (rest, ""),
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    if parts.len() > 4 || !parts.iter().all(|p| is_digits(p.as_bytes())) {
        return Err(err(version, "expected one to four numeric parts"));
    }
    if rest.contains('-') && !labels_ok(release) {
        return Err(err(version, "invalid pre-release label"));
    }
    if metadata.is_some_and(|m| !labels_ok(m)) {
        return Err(err(version, "invalid metadata"));
    }
    Ok(NuGetVersion { parts, release })
}

fn cmp_label(a: &str, b: &str) -> Ordering {
    match (is_digits(a.as_bytes()), is_digits(b.as_bytes())) {
        (true, true) => cmp_digits(a.as_bytes(), b.as_bytes()),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.bytes().map(|c| c.to_ascii_uppercase()).cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

impl Ord for NuGetVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..4 {
            let a = self.parts.get(i).copied().unwrap_or("0");
            let b = other.parts.get(i).copied().unwrap_or("0");
            let ord = cmp_digits(a.as_bytes(), b.as_bytes());
            if ord.is_ne() {
                return ord;
            }
        }
        match (self.release.is_empty(), other.release.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let mut a = self.release.split('.');
                let mut b = other.release.split('.');
                loop {
                    match (a.next(), b.next()) {
                        (None, None) => return Ordering::Equal,
                        (None, Some(_)) => return Ordering::Less,
                        (Some(_), None) => return Ordering::Greater,
                        (Some(x), Some(y)) => {
                            let ord = cmp_label(x, y);
                            if ord.is_ne() {
                                return ord;
                            }
                        }
                    }
                }
            }
        }
    }
}

impl PartialOrd for NuGetVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two NuGet versions.
///
/// # Errors
/// Either version fails [`parse`].
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_nuget() {
        assert_eq!(compare("1.0", "1.0.0.0").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0.0-BETA", "1.0.0-beta").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0.0-beta", "1.0.0").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0.0-2", "1.0.0-10").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0.0-2", "1.0.0-a").unwrap(), Ordering::Less);
        assert!(parse("1.0.0.0.0").is_err());
        assert!(parse("1.0-").is_err());
        assert!(parse("v1.0").is_err());
    }
}
