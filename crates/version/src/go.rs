//! Go module versions, ordered as `golang.org/x/mod/semver` orders them.
//!
//! The grammar is x/mod/semver's (`vMAJOR[.MINOR[.PATCH[-pre][+build]]]`, no leading zeros,
//! the shorthands `v1` and `v1.2` only without pre-release or build), except that the leading
//! `v` is optional because OSV's Go ecosystem stores versions without it. Pseudo-versions
//! (`v0.0.0-20210101000000-abcdef123456`) are ordinary pre-releases and `+incompatible` is
//! build metadata, so both order correctly by SemVer precedence. x/mod/semver orders invalid
//! strings below valid ones; here they are an error, so the caller sees a diagnostic.

use std::cmp::Ordering;

use crate::semver::cmp_precedence;
use crate::{VersionError, VersionScheme};

/// A parsed Go module version, borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoVersion<'a> {
    /// Major, minor and patch digits (`"0"` for a shorthand's missing component).
    pub core: [&'a str; 3],
    /// The pre-release without its `-` (empty for a release).
    pub pre: &'a str,
    /// The build metadata without its `+` (ignored by the order).
    pub build: &'a str,
}

fn err(version: &str, reason: &'static str) -> VersionError {
    VersionError::new(VersionScheme::Go, version, reason)
}

fn number<'a>(version: &str, s: &'a str) -> Result<(&'a str, &'a str), VersionError> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return Err(err(version, "expected a number"));
    }
    if n > 1 && s.starts_with('0') {
        return Err(err(version, "number has a leading zero"));
    }
    Ok(s.split_at(n))
}

fn identifiers_ok(s: &str, numeric_no_leading_zero: bool) -> bool {
    s.split('.').all(|id| {
        !id.is_empty()
            && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            && !(numeric_no_leading_zero
                && id.len() > 1
                && id.starts_with('0')
                && id.bytes().all(|c| c.is_ascii_digit()))
    })
}

/// Parses a Go module version.
///
/// # Errors
/// The string is not a valid (optionally `v`-less) Go module version.
pub fn parse(version: &str) -> Result<GoVersion<'_>, VersionError> {
    let s = version.strip_prefix('v').unwrap_or(version);
    let (major, rest) = number(version, s)?;
    let mut core = [major, "0", "0"];
    if rest.is_empty() {
        return Ok(GoVersion { core, pre: "", build: "" });
    }
    let rest = rest.strip_prefix('.').ok_or_else(|| err(version, "expected '.' after the major version"))?;
    let (minor, rest) = number(version, rest)?;
    core[1] = minor;
    if rest.is_empty() {
        return Ok(GoVersion { core, pre: "", build: "" });
    }
    let rest = rest.strip_prefix('.').ok_or_else(|| err(version, "expected '.' after the minor version"))?;
    let (patch, mut rest) = number(version, rest)?;
    core[2] = patch;
    let mut pre = "";
    if let Some(r) = rest.strip_prefix('-') {
        let end = r.find('+').unwrap_or(r.len());
        pre = &r[..end];
        if !identifiers_ok(pre, true) {
            return Err(err(version, "invalid pre-release"));
        }
        rest = &r[end..];
    }
    let mut build = "";
    if let Some(r) = rest.strip_prefix('+') {
        if !identifiers_ok(r, false) {
            return Err(err(version, "invalid build metadata"));
        }
        build = r;
        rest = "";
    }
    if !rest.is_empty() {
        return Err(err(version, "unexpected text after the version"));
    }
    Ok(GoVersion { core, pre, build })
}

impl Ord for GoVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_precedence((&self.core, self.pre), (&other.core, other.pre))
    }
}

impl PartialOrd for GoVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two Go module versions.
///
/// # Errors
/// Either version fails [`parse`].
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

/// The SemVer spelling of a Go toolchain version, as the Go vulnerability database writes the
/// `stdlib` and `toolchain` modules: `go1.24.1` → `1.24.1`, `go1.20` → `1.20.0`, `go1.21rc2` →
/// `1.21.0-rc.2`. `None` for anything else (`devel +abc`, `v1.2.3`).
pub fn toolchain_semver(go_version: &str) -> Option<String> {
    let v = go_version.strip_prefix("go")?;
    let (core, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let mut s = parts.join(".");
    for _ in parts.len()..3 {
        s.push_str(".0");
    }
    if !pre.is_empty() {
        let digits = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        s.push('-');
        s.push_str(&pre[..digits]);
        if digits < pre.len() {
            s.push('.');
            s.push_str(&pre[digits..]);
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_versions_in_semver() {
        assert_eq!(toolchain_semver("go1.24.1").as_deref(), Some("1.24.1"));
        assert_eq!(toolchain_semver("go1.20").as_deref(), Some("1.20.0"));
        assert_eq!(toolchain_semver("go1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(toolchain_semver("go1.2.3.4"), None);
        assert_eq!(toolchain_semver("godevel"), None);
        assert_eq!(toolchain_semver("devel +abc"), None);
        assert_eq!(toolchain_semver("v1.21.3"), None);
    }

    #[test]
    fn orders_pseudo_versions_and_incompatible() {
        assert_eq!(compare("v0.0.0-20210101000000-abcdef123456", "v0.0.1").unwrap(), Ordering::Less);
        assert_eq!(compare("v1.2.4-0.20210101000000-abcdef123456", "v1.2.3").unwrap(), Ordering::Greater);
        assert_eq!(compare("v2.0.0+incompatible", "2.0.0").unwrap(), Ordering::Equal);
        assert_eq!(compare("v1", "v1.0.0").unwrap(), Ordering::Equal);
        assert_eq!(compare("v1.2", "v1.2.0").unwrap(), Ordering::Equal);
        assert!(parse("v1.2-pre").is_err());
        assert!(parse("v01.2.3").is_err());
        assert!(parse("v1.2.3-01").is_err());
        assert!(parse("v1.2.3.4").is_err());
        assert!(parse("").is_err());
    }
}
