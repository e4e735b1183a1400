//! Arbitrary-precision comparison of ASCII digit strings.

use std::cmp::Ordering;

/// Strips leading `0`s (keeping nothing for an all-zero string).
pub(crate) fn strip_zeros(digits: &[u8]) -> &[u8] {
    let start = digits.iter().position(|&c| c != b'0').unwrap_or(digits.len());
    &digits[start..]
}

/// Compares two runs of ASCII digits as unbounded non-negative integers.
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_zeros(a);
    let b = strip_zeros(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether `s` is non-empty and all ASCII digits.
pub(crate) fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_unbounded_numbers() {
        assert_eq!(cmp_digits(b"10", b"9"), Ordering::Greater);
        assert_eq!(cmp_digits(b"0010", b"10"), Ordering::Equal);
        assert_eq!(cmp_digits(b"", b"0"), Ordering::Equal);
        assert_eq!(cmp_digits(b"999999999999999999999999999991", b"999999999999999999999999999999"), Ordering::Less);
        assert!(is_digits(b"012"));
        assert!(!is_digits(b""));
        assert!(!is_digits(b"1a"));
    }
}
