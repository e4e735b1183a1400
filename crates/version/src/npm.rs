//! npm versions, ordered as node-semver orders them.
//!
//! Parsing follows node-semver's *loose* grammar (a superset of its strict one, with the same
//! order on strictly valid versions): leading `v`/`=`/spaces, exactly three numeric
//! components (leading zeros allowed), an optional `-` before the pre-release, and `+build`.
//! Components above `Number.MAX_SAFE_INTEGER` are rejected, as node-semver does. Order is
//! SemVer precedence (build metadata ignored).

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::semver::cmp_precedence;
use crate::{VersionError, VersionScheme};

const MAX_SAFE_INTEGER: &[u8] = b"9007199254740991";

/// A parsed npm version, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmVersion<'a> {
    /// Major, minor and patch digits.
    pub core: [&'a str; 3],
    /// The pre-release identifiers joined by `.` (empty for a release).
    pub pre: &'a str,
    /// The build metadata (ignored by the order).
    pub build: &'a str,
}

fn err(version: &str, reason: &'static str) -> VersionError {
    VersionError::new(VersionScheme::Npm, version, reason)
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

/// Parses an npm version (node-semver's loose grammar).
///
/// # Errors
/// The string does not match the grammar, or a component is too large.
pub fn parse(version: &str) -> Result<NpmVersion<'_>, VersionError> {
    let s = version.trim().trim_start_matches(['v', '=', ' ', '\t']);
    let mut core = ["0"; 3];
    let mut rest = s;
    for (i, slot) in core.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix('.').ok_or_else(|| err(version, "expected MAJOR.MINOR.PATCH"))?;
        }
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(err(version, "expected MAJOR.MINOR.PATCH"));
        }
        if cmp_digits(&rest.as_bytes()[..n], MAX_SAFE_INTEGER).is_gt() {
            return Err(err(version, "version component is larger than Number.MAX_SAFE_INTEGER"));
        }
        *slot = &rest[..n];
        rest = &rest[n..];
    }
    let (main, build) = match rest.split_once('+') {
        Some((main, build)) => (main, build),
        None => (rest, ""),
    };
    let pre = main.strip_prefix('-').unwrap_or(main);
    if !main.is_empty() && !valid_identifiers(pre) {
        return Err(err(version, "invalid pre-release"));
    }
    if rest.contains('+') && !valid_identifiers(build) {
        return Err(err(version, "invalid build metadata"));
    }
    Ok(NpmVersion { core, pre, build })
}

fn valid_identifiers(s: &str) -> bool {
    s.split('.').all(|id| !id.is_empty() && id.bytes().all(is_ident_char))
}

impl Ord for NpmVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_precedence((&self.core, self.pre), (&other.core, other.pre))
    }
}

impl PartialOrd for NpmVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two npm versions.
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
    fn parses_loose_and_orders_prereleases() {
        assert_eq!(compare("v1.2.3", "=1.2.3").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.2.3-beta.2", "1.2.3-beta.10").unwrap(), Ordering::Less);
        assert_eq!(compare("1.2.3beta", "1.2.3").unwrap(), Ordering::Less);
        assert_eq!(compare("1.2.3+b1", "1.2.3+b2").unwrap(), Ordering::Equal);
        assert!(parse("1.2").is_err());
        assert!(parse("1.2.3-").is_err());
        assert!(parse("1.2.3-a..b").is_err());
        assert!(parse("9007199254740992.0.0").is_err());
        assert!(parse("9007199254740991.0.0").is_ok());
    }
}
