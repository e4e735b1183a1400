//! End-of-life dates of distribution releases, shipped as data (`data/eol.tsv`), so reports can
//! warn that a base image gets no more security fixes.

use std::sync::OnceLock;

/// The end of security support of one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndOfLife {
    /// The distribution id (`debian`).
    pub family: &'static str,
    /// The release, keyed as [`microscanner_model::OsInfo::version`] (`12`).
    pub release: &'static str,
    /// The last day of security support, `YYYY-MM-DD`. Compare as a string: the format sorts.
    pub date: &'static str,
    /// A codename or note, possibly empty.
    pub note: &'static str,
}

impl EndOfLife {
    /// Whether the release is past its end of life on `today` (`YYYY-MM-DD`).
    pub fn is_past(&self, today: &str) -> bool {
        today > self.date
    }
}

const DATA: &str = include_str!("../../data/eol.tsv");

fn table() -> &'static [EndOfLife] {
    static TABLE: OnceLock<Vec<EndOfLife>> = OnceLock::new();
    TABLE.get_or_init(|| {
        DATA.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut f = l.split('\t');
                Some(EndOfLife { family: f.next()?, release: f.next()?, date: f.next()?, note: f.next().unwrap_or("") })
            })
            .collect()
    })
}

/// The end of life of `family` `release` (as [`microscanner_model::OsInfo`] keys them), if known.
pub fn end_of_life(family: &str, release: &str) -> Option<&'static EndOfLife> {
    table().iter().find(|e| e.family == family && e.release == release)
}

/// Every known end-of-life entry.
pub fn all() -> &'static [EndOfLife] {
    table()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_well_formed() {
        assert!(all().len() > 50);
        for e in all() {
            assert_eq!(e.date.len(), 10, "{e:?}");
            assert!(e.date.as_bytes()[4] == b'-' && e.date.as_bytes()[7] == b'-', "{e:?}");
        }
    }

    #[test]
    fn lookups() {
        let buster = end_of_life("debian", "10").unwrap();
        assert!(buster.is_past("2026-11-23"));
        assert!(!end_of_life("debian", "12").unwrap().is_past("2026-11-23"));
        assert_eq!(end_of_life("alpine", "3.19").unwrap().date, "2025-11-01");
        assert!(end_of_life("debian", "99").is_none());
    }
}
