//! Debian package versions, ordered exactly as `dpkg --compare-versions` orders them.
//!
//! Written from dpkg's `lib/dpkg/parsehelp.c` (`parseversion`) and `lib/dpkg/version.c`
//! (`verrevcmp`) rather than taken from the `debversion` crate: the comparison here works on
//! borrowed bytes without allocating (the batch command compares a million pairs a second),
//! and it reproduces dpkg's handling of odd input byte for byte: `strtol` epochs, the last `-`
//! splitting off the revision, syntax *warnings* (a leading letter, stray punctuation) that
//! `--compare-versions` accepts, and bytes above 0x7f ordering as C's signed `char` does.

use std::cmp::Ordering;

use crate::{VersionError, VersionScheme};

/// A parsed `[epoch:]upstream[-revision]`, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpkgVersion<'a> {
    /// The epoch (0 when absent).
    pub epoch: u32,
    /// The upstream version.
    pub upstream: &'a str,
    /// The Debian revision (empty when absent).
    pub revision: &'a str,
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn err(version: &str, reason: &'static str) -> VersionError {
    VersionError::new(VersionScheme::Dpkg, version, reason)
}

/// Parses a version the way dpkg's `parseversion` does, returning hard errors only; syntax
/// warnings (which `dpkg --compare-versions` prints and ignores) are in
/// [`DpkgVersion::syntax_warning`].
///
/// # Errors
/// The version is empty, has embedded spaces, a bad epoch, or an empty upstream part.
pub fn parse(version: &str) -> Result<DpkgVersion<'_>, VersionError> {
    let bytes = version.as_bytes();
    let start = bytes.iter().position(|&c| !is_blank(c)).ok_or_else(|| err(version, "version string is empty"))?;
    let mut end = start;
    while end < bytes.len() && !is_blank(bytes[end]) {
        end += 1;
    }
    if bytes[end..].iter().any(|&c| !is_blank(c)) {
        return Err(err(version, "version string has embedded spaces"));
    }
    let mut rest = &version[start..end];
    let mut epoch = 0;
    if let Some(colon) = rest.find(':') {
        epoch = parse_epoch(version, &rest.as_bytes()[..colon])?;
        rest = &rest[colon + 1..];
        if rest.is_empty() {
            return Err(err(version, "nothing after colon in version number"));
        }
    }
    let (upstream, revision) = match rest.rfind('-') {
        Some(hyphen) => (&rest[..hyphen], &rest[hyphen + 1..]),
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err(version, "version number is empty"));
    }
    Ok(DpkgVersion { epoch, upstream, revision })
}

/// The epoch as C's `strtol(s, &end, 10)` reads it, with dpkg's checks on the result.
fn parse_epoch(version: &str, s: &[u8]) -> Result<u32, VersionError> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = i < s.len() && s[i] == b'-';
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        i += 1;
    }
    let digits_start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while i < s.len() && s[i].is_ascii_digit() {
        value = value.saturating_mul(10).saturating_add(u64::from(s[i] - b'0'));
        if value > u64::from(u32::MAX) {
            overflow = true;
        }
        i += 1;
    }
    if i == digits_start {
        return Err(err(version, "epoch in version is empty"));
    }
    if i != s.len() {
        return Err(err(version, "epoch in version is not number"));
    }
    if negative && value != 0 {
        return Err(err(version, "epoch in version is negative"));
    }
    if overflow || value > i32::MAX as u64 {
        return Err(err(version, "epoch in version is too big"));
    }
    u32::try_from(value).map_err(|_| err(version, "epoch in version is too big"))
}

impl DpkgVersion<'_> {
    /// The warning dpkg prints for this version, if any (the version is still usable).
    pub fn syntax_warning(&self) -> Option<&'static str> {
        let up = self.upstream.as_bytes();
        if !up.first().is_some_and(u8::is_ascii_digit) {
            return Some("version number does not start with digit");
        }
        if up.iter().any(|&c| !c.is_ascii_alphanumeric() && !b".-+~:".contains(&c)) {
            return Some("invalid character in version number");
        }
        if self.revision.bytes().any(|c| !c.is_ascii_alphanumeric() && !b".+~".contains(&c)) {
            return Some("invalid character in revision number");
        }
        None
    }
}

impl Ord for DpkgVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream.as_bytes(), other.upstream.as_bytes()))
            .then_with(|| verrevcmp(self.revision.as_bytes(), other.revision.as_bytes()))
    }
}

impl PartialOrd for DpkgVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// dpkg's character weight: digits 0 (they are handled apart), letters their ASCII value, `~`
/// below everything (even the end of the string), anything else after all letters. C's `char`
/// is signed, so a byte above 0x7f weighs `byte - 256 + 256`, i.e. less than `+` or `.`.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) if c >= 0x80 => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// Compares two upstream versions or two revisions (dpkg's `verrevcmp`).
pub fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// Compares two Debian versions.
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
    fn splits_epoch_upstream_revision() {
        let v = parse(" 1:2.0-3-4 ").unwrap();
        assert_eq!((v.epoch, v.upstream, v.revision), (1, "2.0-3", "4"));
        let v = parse("0:0-").unwrap();
        assert_eq!((v.epoch, v.upstream, v.revision), (0, "0", ""));
        assert!(parse("1:").is_err());
        assert!(parse("1 2").is_err());
        assert!(parse("2147483648:1").is_err());
        assert_eq!(parse("2147483647:1").unwrap().epoch, 2_147_483_647);
    }

    #[test]
    fn tilde_sorts_first() {
        assert_eq!(compare("1.0~rc1", "1.0").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0~~", "1.0~").unwrap(), Ordering::Less);
        assert_eq!(compare("1.0+a", "1.0a").unwrap(), Ordering::Greater);
        assert_eq!(compare("1:0.1", "2.0").unwrap(), Ordering::Greater);
        assert_eq!(compare("1.0-1", "1.0-01").unwrap(), Ordering::Equal);
    }

    #[test]
    fn warnings_do_not_fail() {
        let v = parse("abc").unwrap();
        assert_eq!(v.syntax_warning(), Some("version number does not start with digit"));
        assert_eq!(parse("1.0_1").unwrap().syntax_warning(), Some("invalid character in version number"));
        assert_eq!(parse("0:1.0-1:1").unwrap().syntax_warning(), Some("invalid character in revision number"));
        assert_eq!(parse("1.0-1").unwrap().syntax_warning(), None);
    }
}
