//! Which versions fix a finding: the `fixed` events of the matched ranges that are above the
//! installed version, without duplicates, lowest first in the ecosystem's order.

use std::cmp::Ordering;

use microscanner_version::VersionScheme;
use microscanner_version::osv::{Affected, RangeType};

/// Appends to `out` every `fixed` version of `affected`'s ranges above `installed`. `ECOSYSTEM`
/// ranges compare in `scheme`, `SEMVER` ranges in SemVer; `GIT` ranges hold commits, not
/// versions, and are skipped. A fixed version that cannot be compared with the installed one is
/// kept: nothing says it is not an upgrade. Duplicates are left for [`sort_versions`] to drop, so
/// the cost stays linear in the events however many entries append to one `out`.
pub fn fixed_above(scheme: VersionScheme, affected: &Affected, installed: &str, out: &mut Vec<String>) {
    for range in &affected.ranges {
        let range_scheme = match range.kind {
            RangeType::Ecosystem => scheme,
            RangeType::Semver => VersionScheme::Semver,
            RangeType::Git | RangeType::Unknown => continue,
        };
        for fixed in range.events.iter().filter_map(|e| e.fixed.as_deref()) {
            if !matches!(range_scheme.compare(fixed, installed), Ok(Ordering::Less | Ordering::Equal)) {
                out.push(fixed.to_owned());
            }
        }
    }
}

/// Orders two versions by `scheme`, then SemVer, then as strings (never fails).
pub fn cmp_versions(scheme: VersionScheme, a: &str, b: &str) -> Ordering {
    scheme.compare(a, b).or_else(|_| VersionScheme::Semver.compare(a, b)).unwrap_or_else(|_| a.cmp(b))
}

/// Sorts `versions` lowest first and drops versions equal to an earlier one (`1.0` and `1.0.0`
/// in PEP 440). Versions valid in `scheme` come first in its order, then those valid in SemVer in
/// SemVer's order, then the rest as strings: each group has a total order, so this is one
/// O(n log n) sort however many fixed versions an advisory lists (an insertion sort with a
/// comparator falling back between schemes was quadratic: 25 s for one 20,000-event advisory).
pub fn sort_versions(scheme: VersionScheme, versions: &mut Vec<String>) {
    let group = |v: &str| {
        if scheme.validate(v).is_ok() {
            0u8
        } else if VersionScheme::Semver.validate(v).is_ok() {
            1
        } else {
            2
        }
    };
    let mut keyed: Vec<(u8, String)> = versions.drain(..).map(|v| (group(&v), v)).collect();
    let order = |a: &(u8, String), b: &(u8, String)| {
        a.0.cmp(&b.0).then_with(|| match a.0 {
            0 => scheme.compare(&a.1, &b.1).unwrap_or_else(|_| a.1.cmp(&b.1)),
            1 => VersionScheme::Semver.compare(&a.1, &b.1).unwrap_or_else(|_| a.1.cmp(&b.1)),
            _ => a.1.cmp(&b.1),
        })
    };
    keyed.sort_by(order);
    keyed.dedup_by(|later, earlier| order(earlier, later) == Ordering::Equal);
    versions.extend(keyed.into_iter().map(|(_, v)| v));
}

#[cfg(test)]
mod tests {
    use microscanner_version::osv::{Event, Range};

    use super::*;

    fn affected(kind: RangeType, events: Vec<Event>) -> Affected {
        Affected { package: None, ranges: vec![Range { kind, repo: None, events }], versions: vec![] }
    }

    #[test]
    fn only_fixes_above_the_installed_version() {
        // GO-2022-0515 (stdlib): fixed in 1.17.12 and, on the 1.18 branch, 1.18.4.
        let a = affected(
            RangeType::Semver,
            vec![
                Event::introduced("0"),
                Event::fixed("1.17.12"),
                Event::introduced("1.18.0-0"),
                Event::fixed("1.18.4"),
            ],
        );
        let mut out = Vec::new();
        fixed_above(VersionScheme::Go, &a, "v1.18.1", &mut out);
        assert_eq!(out, ["1.18.4"]);
        let mut out = Vec::new();
        fixed_above(VersionScheme::Go, &a, "1.17.5", &mut out);
        assert_eq!(out, ["1.17.12", "1.18.4"]);
        let mut out = Vec::new();
        fixed_above(VersionScheme::Go, &a, "1.18.4", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn ecosystem_ranges_use_the_scheme_and_git_is_skipped() {
        let mut a = affected(RangeType::Ecosystem, vec![Event::introduced("0"), Event::fixed("1:1.26.0-14.el8_3")]);
        a.ranges.push(Range { kind: RangeType::Git, repo: None, events: vec![Event::fixed("abcdef")] });
        let mut out = Vec::new();
        // rpm: epoch 1 beats any epoch-0 version.
        fixed_above(VersionScheme::Rpm, &a, "1.30.0-1.el8", &mut out);
        assert_eq!(out, ["1:1.26.0-14.el8_3"]);
    }

    #[test]
    fn sorted_lowest_first_without_equal_duplicates() {
        let mut v = vec!["2.2.10".to_owned(), "1.11.27".into(), "2.2.10.0".into(), "2.1.15".into(), "2.2.10".into()];
        sort_versions(VersionScheme::Pep440, &mut v);
        assert_eq!(v, ["1.11.27", "2.1.15", "2.2.10"]);
        let mut d = vec!["1.2-1+deb10u2".to_owned(), "1.2-1+deb10u10".into(), "1.2-1~deb10u1".into()];
        sort_versions(VersionScheme::Dpkg, &mut d);
        assert_eq!(d, ["1.2-1~deb10u1", "1.2-1+deb10u2", "1.2-1+deb10u10"]);
    }

    #[test]
    fn versions_of_other_schemes_sort_after_the_schemes_own() {
        let mut v = vec!["not a version".to_owned(), "1:0.5-1".into(), "2.0.0".into(), "1.0-1".into(), "1.0-1".into()];
        sort_versions(VersionScheme::Dpkg, &mut v);
        assert_eq!(v, ["1.0-1", "2.0.0", "1:0.5-1", "not a version"]);
        let mut again = vec!["1.0-1".to_owned(), "not a version".into(), "2.0.0".into(), "1:0.5-1".into()];
        sort_versions(VersionScheme::Dpkg, &mut again);
        assert_eq!(again, v, "the order does not depend on the input's");
    }

    #[test]
    fn twenty_thousand_fixed_versions_sort_in_n_log_n() {
        // quadratic before: 10,000 x 10,000 / 2 comparisons of parsed versions
        let mut v: Vec<String> = (0..20_000).rev().map(|i| format!("1.{i}.0")).collect();
        v.extend((0..20_000).map(|i| format!("1.{i}")));
        sort_versions(VersionScheme::Pep440, &mut v);
        assert_eq!(v.len(), 20_000);
        assert_eq!(v.first().map(String::as_str), Some("1.0.0"));
        assert_eq!(v.last().map(String::as_str), Some("1.19999.0"));
    }
}
