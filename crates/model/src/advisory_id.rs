//! Advisory ids (`CVE-2024-9999`, `GHSA-...`, `DSA-5380-1`) and the one order reports and the
//! matcher list them in.

use std::cmp::Ordering;

/// The (year, number) of a CVE id, for ordering `CVE-2021-9999` before `CVE-2021-10000`; `None`
/// for any other id.
pub fn cve_key(id: &str) -> Option<(u32, u64)> {
    let rest = id.strip_prefix("CVE-")?;
    let (year, number) = rest.split_once('-')?;
    Some((year.parse().ok()?, number.parse().ok()?))
}

/// Orders advisory ids: CVEs numerically and before other ids, the rest as strings.
pub fn cmp_ids(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    match (cve_key(a), cve_key(b)) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cves_order_numerically_and_first() {
        assert_eq!(cmp_ids("CVE-2024-9999", "CVE-2024-10000"), Ordering::Less);
        assert_eq!(cmp_ids("CVE-2020-99999", "CVE-2021-1"), Ordering::Less);
        assert_eq!(cmp_ids("CVE-2021-1", "ALSA-2021-1"), Ordering::Less);
        assert_eq!(cmp_ids("DSA-1-1", "GHSA-x"), Ordering::Less);
        assert_eq!(cve_key("CVE-2021-0003"), Some((2021, 3)));
        assert_eq!(cve_key("CVE-x-1"), None);
        assert_eq!(cve_key("GHSA-2021-1"), None);
    }
}
