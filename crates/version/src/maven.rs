//! Maven versions, ordered as Maven's `ComparableVersion` orders them.
//!
//! Written from `org.apache.maven.artifact.versioning.ComparableVersion` and the POM
//! reference's "Version Order Specification" (no maintained Rust port exists; `mvn_version`
//! dates from 2021). The version is lower-cased and split into items at `.` and `-` and at
//! every switch between digits and letters; a `-` (and a digit/letter switch) opens a nested
//! list. Numbers compare numerically at any size; qualifiers order
//! `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`, and an
//! unknown qualifier sorts after all of them, lexically; `a1`, `b1`, `m1` mean alpha, beta,
//! milestone. Trailing zeros and empty qualifiers are dropped from every list. Every string
//! has an order, so this scheme never fails; like Maven's, the order is not transitive across
//! versions with a qualifier after a `.` (see [`has_dot_qualifier`]).

use std::cmp::Ordering;

use crate::num::{cmp_digits, strip_zeros};

/// One item of a parsed Maven version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A number, without leading zeros (`""` is zero).
    Int(String),
    /// A qualifier, lower-cased and with aliases resolved.
    Str(String),
    /// A nested list (opened by `-` or a digit/letter switch).
    List(Vec<Self>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// `ComparableVersion.StringItem.comparableQualifier`: the index of a known qualifier, or
/// `7-<qualifier>` for an unknown one, compared as strings.
fn comparable_qualifier(q: &str) -> std::borrow::Cow<'_, str> {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => std::borrow::Cow::Owned(i.to_string()),
        None => std::borrow::Cow::Owned(format!("{}-{q}", QUALIFIERS.len())),
    }
}

const RELEASE_INDEX: &str = "5";

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let value = match (followed_by_digit, value) {
        (true, "a") => "alpha",
        (true, "b") => "beta",
        (true, "m") => "milestone",
        _ => value,
    };
    let value = match value {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(value.to_owned())
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit {
        Item::Int(String::from_utf8_lossy(strip_zeros(buf.as_bytes())).into_owned())
    } else {
        string_item(buf, false)
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Self::Int(digits) => digits.is_empty(),
            Self::Str(s) => s.is_empty(),
            Self::List(items) => items.is_empty(),
        }
    }

    /// `Item.compareTo(null)`: how this item compares with nothing (padding).
    fn cmp_null(&self) -> Ordering {
        match self {
            Self::Int(digits) => {
                if digits.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Self::Str(s) => comparable_qualifier(s).as_ref().cmp(RELEASE_INDEX),
            Self::List(items) => items.iter().map(Self::cmp_null).find(|o| o.is_ne()).unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_item(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => cmp_digits(a.as_bytes(), b.as_bytes()),
            (Self::Int(_), _) => Ordering::Greater,
            (Self::Str(_), Self::Int(_) | Self::List(_)) => Ordering::Less,
            (Self::Str(a), Self::Str(b)) => comparable_qualifier(a).cmp(&comparable_qualifier(b)),
            (Self::List(_), Self::Int(_)) => Ordering::Less,
            (Self::List(_), Self::Str(_)) => Ordering::Greater,
            (Self::List(a), Self::List(b)) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let ord = match (a.get(i), b.get(i)) {
            (Some(l), Some(r)) => l.cmp_item(r),
            (Some(l), None) => l.cmp_null(),
            (None, Some(r)) => r.cmp_null().reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord.is_ne() {
            return ord;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items (`0`, `""`, empty lists) up to the last item that is neither
/// null nor a list (`ListItem.normalize`).
fn normalize(items: &mut Vec<Item>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if items[i].is_null() {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
}

/// Parses a Maven version into its item list.
pub fn parse(version: &str) -> Vec<Item> {
    let version = version.to_lowercase();
    let bytes = version.as_bytes();
    // The open lists, outermost first; a new list is always the last item of its parent, and
    // the parent gets no more items once it is open, so it is attached when parsing ends.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0usize;
    let push = |stack: &mut Vec<Vec<Item>>, item: Item| {
        if let Some(list) = stack.last_mut() {
            list.push(item);
        }
    };
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'.' || c == b'-' {
            let item = if i == start { Item::Int(String::new()) } else { parse_item(is_digit, &version[start..i]) };
            push(&mut stack, item);
            if c == b'-' {
                stack.push(Vec::new());
            }
            start = i + 1;
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                push(&mut stack, string_item(&version[start..i], true));
                stack.push(Vec::new());
                start = i;
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut stack, parse_item(true, &version[start..i]));
                stack.push(Vec::new());
                start = i;
            }
            is_digit = false;
        }
    }
    if bytes.len() > start {
        push(&mut stack, parse_item(is_digit, &version[start..]));
    }
    let mut child: Option<Vec<Item>> = None;
    while let Some(mut list) = stack.pop() {
        if let Some(mut inner) = child.take() {
            normalize(&mut inner);
            // A list left holding nothing but the next list (`1-ga-1`: the `ga` was trimmed) is
            // that list: the POM reference trims nulls "at each remaining hyphen", so
            // `1-ga-1` = `1-1`.
            if let [Item::List(_)] = inner.as_slice()
                && let Some(Item::List(only)) = inner.pop()
            {
                inner = only;
            }
            list.push(Item::List(inner));
        }
        child = Some(list);
    }
    let mut root = child.unwrap_or_default();
    normalize(&mut root);
    root
}

/// Whether `version` has a qualifier right after a `.` (`1.foo`, `1.0.RC1`) or starts with one.
/// Maven's order is not transitive across such versions (`1.foo > 1 > 1-alpha`, yet
/// `1.foo < 1-alpha`, because a plain qualifier sorts below a `-` list); this crate keeps
/// Maven's order anyway, since matching Maven matters more than repairing it.
pub fn has_dot_qualifier(version: &str) -> bool {
    let b = version.as_bytes();
    !b.first().is_some_and(u8::is_ascii_digit)
        || b.windows(2).any(|w| w[0] == b'.' && !w[1].is_ascii_digit() && w[1] != b'.' && w[1] != b'-')
}

/// Compares two Maven versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    cmp_lists(&parse(a), &parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_ascending(versions: &[&str]) {
        for (i, a) in versions.iter().enumerate() {
            for b in &versions[i + 1..] {
                assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
                assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
            }
        }
    }

    /// The ascending lists of Maven's own `ComparableVersionTest`.
    #[test]
    fn matches_maven_test_lists() {
        assert_ascending(&[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ]);
        assert_ascending(&[
            "2.0", "2-1", "2.0.a", "2.0.0.a", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b",
            "11c", "11m",
        ]);
    }

    #[test]
    fn orders_qualifiers() {
        let chain = ["1-alpha-1", "1-beta-1", "1-milestone-1", "1-rc-1", "1-SNAPSHOT", "1", "1-sp-1", "1-abc", "1.1"];
        for pair in chain.windows(2) {
            assert_eq!(compare(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(compare("1.0.0", "1"), Ordering::Equal);
        assert_eq!(compare("1ga", "1-final"), Ordering::Equal);
        assert_eq!(compare("1a1", "1-alpha-1"), Ordering::Equal);
        assert_eq!(compare("12345678901234567890", "12345678901234567891"), Ordering::Less);
    }
}
