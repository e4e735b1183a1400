//! SemVer 2.0 precedence (crates.io, and OSV `SEMVER` ranges), with a lenient parser.
//!
//! Precedence is SemVer 2.0's: major, minor, patch numerically; a pre-release sorts before
//! its release; pre-release identifiers compare numerically when both are digits, digits
//! sort before other identifiers, others compare as ASCII; build metadata is ignored.
//!
//! Parsing is deliberately lenient, as OSV tooling (osv-scalibr) is, because advisories and
//! lockfiles carry versions that are not strict SemVer: an optional leading `v`, one to three
//! numeric components (missing ones are 0), numbers of any size and with leading zeros, further
//! `.`-components counted as build metadata, and text glued to the last number (`1.0.0rc1`)
//! read as a pre-release. The `semver` crate is not used because it rejects all of these and
//! because its `Ord` also orders build metadata, which SemVer precedence ignores.

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_digits};
use crate::{VersionError, VersionScheme};

/// A parsed SemVer version, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemverVersion<'a> {
    /// Major, minor and patch digits (`"0"` for a missing component).
    pub core: [&'a str; 3],
    /// The pre-release, without its leading `-` (empty for a release).
    pub pre: &'a str,
}

/// Parses a version leniently (see the module documentation).
///
/// # Errors
/// The version does not start with a digit (after an optional `v`).
pub fn parse(version: &str) -> Result<SemverVersion<'_>, VersionError> {
    let s = version.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut core = ["0"; 3];
    let mut rest = s;
    for (i, slot) in core.iter_mut().enumerate() {
        if i > 0 {
            match rest.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                _ => break,
            }
        }
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(VersionError::new(VersionScheme::Semver, version, "version does not start with a number"));
        }
        *slot = &rest[..n];
        rest = &rest[n..];
    }
    let pre = match rest.as_bytes().first() {
        None | Some(b'+' | b'.') => "",
        Some(b'-') => rest[1..].split('+').next().unwrap_or(""),
        Some(_) => rest.split('+').next().unwrap_or(""),
    };
    Ok(SemverVersion { core, pre })
}

/// SemVer precedence of (major.minor.patch, pre-release) pairs: the numeric core first, then
/// the pre-release. Shared by the SemVer, npm and Go schemes, which differ only in parsing.
pub(crate) fn cmp_precedence(a: (&[&str; 3], &str), b: (&[&str; 3], &str)) -> Ordering {
    a.0.iter()
        .zip(b.0.iter())
        .map(|(x, y)| cmp_digits(x.as_bytes(), y.as_bytes()))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then_with(|| cmp_prerelease(a.1, b.1))
}

/// Compares two pre-release strings (`""` is a release and sorts last).
pub(crate) fn cmp_prerelease(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let mut ia = a.split('.');
    let mut ib = b.split('.');
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = cmp_identifier(x, y);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

fn cmp_identifier(x: &str, y: &str) -> Ordering {
    match (is_digits(x.as_bytes()), is_digits(y.as_bytes())) {
        (true, true) => cmp_digits(x.as_bytes(), y.as_bytes()),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => x.cmp(y),
    }
}

impl Ord for SemverVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_precedence((&self.core, self.pre), (&other.core, other.pre))
    }
}

impl PartialOrd for SemverVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two SemVer versions.
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
    fn follows_semver_precedence() {
        let chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11"];
        for pair in chain.windows(2) {
            assert_eq!(compare(pair[0], pair[1]).unwrap(), Ordering::Less, "{pair:?}");
        }
        assert_eq!(compare("1.0.0+a", "1.0.0+b").unwrap(), Ordering::Equal);
        assert_eq!(compare("v1.2", "1.2.0").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0.0rc1", "1.0.0").unwrap(), Ordering::Less);
        assert!(compare("x1", "1").is_err());
        assert!(compare("", "1").is_err());
    }
}
