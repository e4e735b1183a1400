//! Composer / Packagist versions: PHP's `version_compare` after dropping a leading `v`.
//!
//! Written from php-src's `ext/standard/versioning.c` (`php_canonicalize_version`,
//! `compare_special_version_forms`, `php_version_compare`). The string is canonicalised
//! (`-`, `_`, `+` become `.`, a `.` goes between digits and non-digits), split at `.`, and
//! compared part by part: numbers numerically (here at any size; PHP's `strtol` saturates),
//! words by `dev < alpha = a < beta = b < RC = rc < # < pl = p` with unknown words first, a
//! word against a number as the word against `#`. Composer's normaliser also strips a leading
//! `v`/`V`, which is done here; it pads to four numbers, which is not, because OSV's Packagist
//! data is compared with plain `version_compare` (as osv-scalibr does). A `#` (PHP's "any
//! number" form) is kept by the canonicaliser, as osv-scalibr's Packagist vectors require
//! (`1.2.3.# = 1.2.3.1`). Never fails. Because `#` equals every number, the order is not
//! transitive across versions containing `#` (`1.2.3.# = 1.2.3` and `= 1.2.3.1`); elsewhere it
//! is a total order.

use std::cmp::Ordering;

use crate::num::cmp_digits;

fn is_special(c: u8) -> bool {
    matches!(c, b'-' | b'_' | b'+')
}

/// `php_canonicalize_version`.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 2);
    let Some((&first, rest)) = v.split_first() else {
        return out;
    };
    out.push(first);
    let mut lp = first;
    for &c in rest {
        let lq = out.last().copied().unwrap_or(0);
        let isdig = |x: u8| x.is_ascii_digit();
        let isndig = |x: u8| !x.is_ascii_digit() && x != b'.';
        if is_special(c) {
            if lq != b'.' {
                out.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if lq != b'.' {
                out.push(b'.');
            }
            out.push(c);
        } else if !c.is_ascii_alphanumeric() && c != b'#' {
            if lq != b'.' {
                out.push(b'.');
            }
        } else {
            out.push(c);
        }
        lp = c;
    }
    out
}

const SPECIAL_FORMS: [(&[u8], i8); 10] = [
    (b"dev", 0),
    (b"alpha", 1),
    (b"a", 1),
    (b"beta", 2),
    (b"b", 2),
    (b"RC", 3),
    (b"rc", 3),
    (b"#", 4),
    (b"pl", 5),
    (b"p", 5),
];

fn special_form(form: &[u8]) -> i8 {
    SPECIAL_FORMS.iter().find(|(name, _)| form.starts_with(name)).map_or(-1, |&(_, order)| order)
}

fn is_digit_at(s: &[u8]) -> bool {
    s.first().is_some_and(u8::is_ascii_digit)
}

/// `php_version_compare` on raw bytes (no `v` stripping).
pub fn php_version_compare(a: &[u8], b: &[u8]) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return (!a.is_empty()).cmp(&!b.is_empty());
    }
    let mut va = if a[0] == b'#' { a.to_vec() } else { canonicalize(a) };
    let mut vb = if b[0] == b'#' { b.to_vec() } else { canonicalize(b) };
    // Two departures from PHP keep this a total order. PHP orders a version that ends in a
    // separator below itself, and both `1.0rc1_ < 1.0rc1_j` and `1.0rc1_j < 1.0rc1_`, because
    // the empty last part loses to everything. Here a trailing separator is dropped (`1.0.` =
    // `1.0`), and identical canonical forms are equal.
    if va.len() > 1 && va.last() == Some(&b'.') {
        va.pop();
    }
    if vb.len() > 1 && vb.last() == Some(&b'.') {
        vb.pop();
    }
    if va == vb {
        return Ordering::Equal;
    }
    // Positions: p = start of the current part, n = index of the `.` ending it (None: last part).
    let (mut p1, mut p2) = (0usize, 0usize);
    let (mut n1, mut n2): (Option<usize>, Option<usize>) = (Some(0), Some(0));
    let mut compare = Ordering::Equal;
    while p1 < va.len() && p2 < vb.len() && n1.is_some() && n2.is_some() {
        n1 = va[p1..].iter().position(|&c| c == b'.').map(|i| p1 + i);
        n2 = vb[p2..].iter().position(|&c| c == b'.').map(|i| p2 + i);
        let part1 = &va[p1..n1.unwrap_or(va.len())];
        let part2 = &vb[p2..n2.unwrap_or(vb.len())];
        compare = match (is_digit_at(part1), is_digit_at(part2)) {
            (true, true) => {
                let d1 = part1.iter().take_while(|c| c.is_ascii_digit()).count();
                let d2 = part2.iter().take_while(|c| c.is_ascii_digit()).count();
                cmp_digits(&part1[..d1], &part2[..d2])
            }
            (false, false) => special_form(part1).cmp(&special_form(part2)),
            (true, false) => special_form(b"#N#").cmp(&special_form(part2)),
            (false, true) => special_form(part1).cmp(&special_form(b"#N#")),
        };
        if compare.is_ne() {
            break;
        }
        if let Some(n) = n1 {
            p1 = n + 1;
        }
        if let Some(n) = n2 {
            p2 = n + 1;
        }
    }
    if compare.is_eq() {
        // PHP goes on with the longer version's tail, even when that tail is empty (`1.0.`),
        // and an empty tail loses to anything; here an empty tail counts as no tail.
        let rest1 = &va[p1.min(va.len())..];
        let rest2 = &vb[p2.min(vb.len())..];
        if n1.is_some() && !rest1.is_empty() {
            compare = if is_digit_at(rest1) { Ordering::Greater } else { php_version_compare(rest1, b"#N#") };
        } else if n2.is_some() && !rest2.is_empty() {
            compare = if is_digit_at(rest2) { Ordering::Less } else { php_version_compare(b"#N#", rest2) };
        }
    }
    compare
}

/// Compares two Composer versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    let strip = |s: &str| -> Vec<u8> {
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        s.as_bytes().to_vec()
    };
    php_version_compare(&strip(a), &strip(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_php() {
        assert_eq!(canonicalize(b"1.0rc1"), b"1.0.rc.1");
        assert_eq!(canonicalize(b"1.0-dev"), b"1.0.dev");
        assert_eq!(compare("1.0-dev", "1.0a1"), Ordering::Less);
        assert_eq!(compare("1.0pl1", "1.0"), Ordering::Greater);
        assert_eq!(compare("1.0.0", "1.0"), Ordering::Greater);
        assert_eq!(compare("v1.0", "1.0"), Ordering::Equal);
        assert_eq!(compare("1.2.3.#.beta", "1.2.3"), Ordering::Less);
        assert_eq!(compare("", "1"), Ordering::Less);
    }

    /// Found by the fuzzer: PHP puts both sides below the other when one ends in an empty part.
    #[test]
    fn empty_tail_is_no_tail() {
        assert_eq!(compare(".", ".z.201"), Ordering::Greater);
        assert_eq!(compare(".z.201", "."), Ordering::Less);
        assert_eq!(compare("1.0rc1_", "1.0rc1_j"), Ordering::Greater);
        assert_eq!(compare("1.0rc1_j", "1.0rc1_"), Ordering::Less);
        assert_eq!(compare("1.0.", "1.0."), Ordering::Equal);
        assert_eq!(compare("1.0.", "1.0"), Ordering::Equal);
    }
}
