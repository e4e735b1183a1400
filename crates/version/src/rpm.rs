//! RPM versions: `rpmvercmp` over `[epoch:]version[-release]`.
//!
//! Written from rpm's `rpmio/rpmvercmp.c` and `lib/rpmver.c` rather than taken from the
//! `rpm-version` crate: `rpmvercmp` is short, this version allocates nothing, and the way a
//! whole EVR string is split and combined has to be pinned down here anyway:
//!
//! * the epoch is the leading run of digits when a `:` follows it (rpm's `parseEVR`); a
//!   missing epoch is `0`;
//! * the release is what follows the last `-` after the epoch;
//! * components compare with `rpmvercmp`, epoch, then version, then release; a missing
//!   release sorts before any release, as rpm's Python `labelCompare` does (rpm's own
//!   `rpmverCmp` skips the release when one side lacks it, which is not a total order).
//!
//! Every string has an order, so this scheme never fails.

use std::cmp::Ordering;

/// A parsed `[epoch:]version[-release]`, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Evr<'a> {
    /// The epoch digits, if the string had an epoch.
    pub epoch: Option<&'a str>,
    /// The version.
    pub version: &'a str,
    /// The release, if the string had a `-`.
    pub release: Option<&'a str>,
}

/// Splits an EVR string the way rpm's `parseEVR` does.
pub fn parse(evr: &str) -> Evr<'_> {
    let digits = evr.bytes().take_while(u8::is_ascii_digit).count();
    let (epoch, rest) = if evr.as_bytes().get(digits) == Some(&b':') {
        (Some(&evr[..digits]), &evr[digits + 1..])
    } else {
        (None, evr)
    };
    let (version, release) = match rest.rfind('-') {
        Some(hyphen) => (&rest[..hyphen], Some(&rest[hyphen + 1..])),
        None => (rest, None),
    };
    Evr { epoch, version, release }
}

/// The epoch to compare: a missing (or empty) epoch is `0`.
fn epoch_bytes(epoch: Option<&str>) -> &[u8] {
    match epoch {
        Some("") | None => b"0",
        Some(e) => e.as_bytes(),
    }
}

impl Ord for Evr<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        rpmvercmp(epoch_bytes(self.epoch), epoch_bytes(other.epoch))
            .then_with(|| rpmvercmp(self.version.as_bytes(), other.version.as_bytes()))
            .then_with(|| match (self.release, other.release) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => rpmvercmp(a.as_bytes(), b.as_bytes()),
            })
    }
}

impl PartialOrd for Evr<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two EVR strings.
pub fn compare(a: &str, b: &str) -> Ordering {
    parse(a).cmp(&parse(b))
}

fn is_sep(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && c != b'~' && c != b'^'
}

/// rpm's `rpmvercmp`: compares one version or release component.
pub fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while i < a.len() && is_sep(a[i]) {
            i += 1;
        }
        while j < b.len() && is_sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        // `~` sorts before everything, even the end of the string.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // `^` sorts after the end of the string but before anything else.
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if i >= a.len() || j >= b.len() {
            break;
        }
        let numeric = a[i].is_ascii_digit();
        let class = |c: &u8| if numeric { c.is_ascii_digit() } else { c.is_ascii_alphabetic() };
        let end_a = i + a[i..].iter().take_while(|c| class(c)).count();
        let end_b = j + b[j..].iter().take_while(|c| class(c)).count();
        let (seg_a, seg_b) = (&a[i..end_a], &b[j..end_b]);
        if seg_b.is_empty() {
            // Different kinds of segment: a number is newer than letters.
            return if numeric { Ordering::Greater } else { Ordering::Less };
        }
        let ord = if numeric { crate::num::cmp_digits(seg_a, seg_b) } else { seg_a.cmp(seg_b) };
        if ord != Ordering::Equal {
            return ord;
        }
        i = end_a;
        j = end_b;
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_rpm() {
        assert_eq!(parse("1:2.0-3"), Evr { epoch: Some("1"), version: "2.0", release: Some("3") });
        assert_eq!(parse("a:2.0"), Evr { epoch: None, version: "a:2.0", release: None });
        assert_eq!(parse("2.0-3-4"), Evr { epoch: None, version: "2.0-3", release: Some("4") });
    }

    #[test]
    fn orders_tilde_and_caret() {
        assert_eq!(rpmvercmp(b"1.0~rc1", b"1.0"), Ordering::Less);
        assert_eq!(rpmvercmp(b"1.0^git1", b"1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp(b"1.0^git1", b"1.0.1"), Ordering::Less);
        assert_eq!(rpmvercmp(b"1.0a", b"1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp(b"1.a", b"1.1"), Ordering::Less);
        assert_eq!(compare("1:1.0", "2.0"), Ordering::Greater);
        assert_eq!(compare("1.0", "1.0-1"), Ordering::Less);
        assert_eq!(compare("0:1.0-1", "1.0-1"), Ordering::Equal);
    }
}
