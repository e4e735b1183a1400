//! Memoised database reads: many packages share a (ecosystem, name) key (Debian binaries of one
//! source) and many findings share advisories, so each is read and decoded once per
//! [`Matcher`](crate::Matcher): once per match, or once for all the inventories one matcher
//! matches.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;

use microscanner_model::CompactString;
use std::rc::Rc;

use microscanner_model::Diagnostic;
use microscanner_version::osv::{self, Affectedness, Verdict};
use microscanner_version::{VersionScheme, pep440};
use microscanner_vulndb::{AdvisoryBrief, Database, EpssScore, FixStatus, KevEntry};

use crate::MatchError;
use crate::evaluate::Evaluated;

/// One affected entry, decoded for evaluation.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The advisory it belongs to.
    pub(crate) advisory_id: String,
    /// Its ranges (its `versions` list is kept apart, in `listed`).
    pub(crate) ranges: osv::Affected,
    /// The OSV `versions` list: explicitly affected versions.
    listed: Listed,
}

impl Entry {
    /// [`osv::is_affected`] of this entry, the same verdict computed in a cheaper order: ranges
    /// first, then the `versions` list only when the ranges do not already say "affected", and
    /// only the listed versions that can be equal to `version` parsed (see [`may_equal`]).
    pub(crate) fn evaluate(
        &self,
        scheme: VersionScheme,
        version: &str,
        python: Option<&pep440::PythonVersion>,
    ) -> Affectedness {
        let result = osv::is_affected(scheme, &self.ranges, version);
        if result.verdict == Verdict::Affected || self.listed.is_empty() || !self.is_listed(scheme, version, python) {
            return result;
        }
        Affectedness { verdict: Verdict::Affected, diagnostics: Vec::new() }
    }

    /// Whether `version` is in the `versions` list: verbatim, or equal in the scheme.
    fn is_listed(&self, scheme: VersionScheme, version: &str, python: Option<&pep440::PythonVersion>) -> bool {
        if self.listed.iter().any(|v| v == version) {
            return true;
        }
        match (scheme, python) {
            (VersionScheme::Pep440, Some(installed)) => self
                .listed
                .iter()
                .filter(|v| may_equal(scheme, v, version))
                .filter_map(|v| pep440::parse(v).ok())
                .any(|v| v.cmp(installed) == Ordering::Equal),
            (VersionScheme::Pep440, None) => false,
            _ => self
                .listed
                .iter()
                .filter(|v| may_equal(scheme, v, version))
                .any(|v| matches!(scheme.compare(v, version), Ok(Ordering::Equal))),
        }
    }
}

/// A cheap necessary condition for `a` and `b` to be equal in `scheme`, so that most listed
/// versions are never parsed (PyPI advisories list hundreds each).
///
/// For PEP 440 (and `packaging`'s legacy keys) and Maven, two equal versions have the same
/// non-zero ASCII digits in the same order: equality compares the numbers of the two versions
/// one by one as integers (leading zeros dropped), a missing number counts as zero (trailing
/// release zeros, `1.0a` = `1.0a0`, Maven's null items), and no letter, separator or word that
/// can differ between equal versions (`alpha`/`a`, `-`/`.post`, `ga`/`final`/``) is a digit. Other
/// schemes do not promise this (SemVer ignores build metadata, `1.0.0+5` = `1.0.0`), so for them
/// every listed version is compared.
fn may_equal(scheme: VersionScheme, a: &str, b: &str) -> bool {
    match scheme {
        VersionScheme::Pep440 | VersionScheme::Maven => nonzero_digits(a).eq(nonzero_digits(b)),
        _ => true,
    }
}

/// The non-zero ASCII digits of `s`, in order.
fn nonzero_digits(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.bytes().filter(|c| c.is_ascii_digit() && *c != b'0')
}

/// An OSV `versions` list, in one buffer (one allocation, not one per version).
#[derive(Debug, Default)]
struct Listed {
    /// The versions, one after another.
    text: String,
    /// Where each version ends in `text`.
    ends: Vec<usize>,
}

impl Listed {
    /// Decodes the stored JSON array of strings.
    fn parse(json: &str) -> Result<Self, serde_json::Error> {
        let mut out = Self::default();
        if json == "[]" {
            return Ok(out);
        }
        // Borrowed strings when no version has an escape (always, in practice).
        match serde_json::from_str::<Vec<&str>>(json) {
            Ok(items) => out.extend(items),
            Err(_) => out.extend(serde_json::from_str::<Vec<String>>(json)?.iter().map(String::as_str)),
        }
        Ok(out)
    }

    fn extend<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) {
        for item in items {
            self.text.push_str(item);
            self.ends.push(self.text.len());
        }
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let v = self.text.get(start..end).unwrap_or_default();
            start = end;
            v
        })
    }
}

/// Everything the database says about one (ecosystem, name).
#[derive(Debug, Default)]
pub(crate) struct PackageData {
    /// Affected entries, in advisory-id order.
    pub(crate) entries: Vec<Entry>,
    /// Per-release fix states, in advisory-id order (OS ecosystems only).
    pub(crate) statuses: Vec<FixStatus>,
    /// Entries whose ranges could not be decoded: (advisory id, why).
    pub(crate) broken: Vec<(String, String)>,
    /// What evaluating the entries gave, per compared version (packages often share one: the
    /// binaries of a Debian source, a library in several lockfiles).
    pub(crate) evaluated: RefCell<HashMap<String, Rc<Evaluated>>>,
}

impl PackageData {
    /// Whether the package has an entry, a state or an unreadable entry of `advisory_id`.
    pub(crate) fn mentions(&self, advisory_id: &str) -> bool {
        self.status(advisory_id).is_some()
            || self.entries.iter().any(|e| e.advisory_id == advisory_id)
            || self.broken.iter().any(|(id, _)| id == advisory_id)
    }

    /// The fix status of `advisory_id`, if the release has one.
    pub(crate) fn status(&self, advisory_id: &str) -> Option<&FixStatus> {
        self.statuses
            .binary_search_by(|s| s.advisory_id.as_str().cmp(advisory_id))
            .ok()
            .and_then(|i| self.statuses.get(i))
    }
}

/// How many names with nothing in the database one match remembers (about 3 MiB of map): enough
/// for every repeated name of a real image (Debian binaries of one source, a lockfile's
/// duplicates), while the names an image can bring are unbounded.
const ABSENT_MEMO_BOUND: usize = 65_536;

/// The memo of one [`Matcher`](crate::Matcher): every database read, decoded, kept for the
/// packages and findings (of every inventory it matches) that share it.
pub(crate) struct Memo<'db> {
    db: &'db Database,
    /// By ecosystem, then name. Names are compact (most are stored inline), and every name the
    /// database has nothing for shares [`Memo::nothing`]. Names the database has something for
    /// are bounded by the database; names it has nothing for come from the image, so only the
    /// first [`ABSENT_MEMO_BOUND`] are remembered: a lockfile of a million distinct names costs
    /// a query each, not a map entry each.
    packages: HashMap<String, HashMap<CompactString, Rc<PackageData>>>,
    /// The one answer for every name the database has nothing for.
    nothing: Rc<PackageData>,
    /// How many names the memo remembers as having nothing.
    absent: usize,
    advisories: HashMap<String, Option<Rc<AdvisoryBrief>>>,
    kev: HashMap<String, Option<KevEntry>>,
    epss: HashMap<String, Option<EpssScore>>,
}

impl<'db> Memo<'db> {
    /// An empty memo over `db`.
    pub(crate) fn new(db: &'db Database) -> Self {
        Self {
            db,
            packages: HashMap::new(),
            nothing: Rc::new(PackageData::default()),
            absent: 0,
            advisories: HashMap::new(),
            kev: HashMap::new(),
            epss: HashMap::new(),
        }
    }

    /// The database read.
    pub(crate) fn db(&self) -> &'db Database {
        self.db
    }

    /// The affected entries (and, with `statuses`, the fix states) of a package.
    pub(crate) fn package(
        &mut self,
        ecosystem: &str,
        name: &str,
        statuses: bool,
    ) -> Result<Rc<PackageData>, MatchError> {
        if let Some(hit) = self.packages.get(ecosystem).and_then(|m| m.get(name)) {
            return Ok(Rc::clone(hit));
        }
        let mut data = PackageData::default();
        self.db
            .for_each_affected(ecosystem, name, |row| {
                let ranges = serde_json::from_str::<Vec<osv::Range>>(row.ranges);
                match (ranges, Listed::parse(row.versions)) {
                    (Ok(ranges), Ok(listed)) => data.entries.push(Entry {
                        advisory_id: row.advisory_id.to_owned(),
                        ranges: osv::Affected { package: None, ranges, versions: Vec::new() },
                        listed,
                    }),
                    (Err(e), _) => data.broken.push((row.advisory_id.to_owned(), format!("ranges not readable: {e}"))),
                    (_, Err(e)) => {
                        data.broken.push((row.advisory_id.to_owned(), format!("versions not readable: {e}")));
                    }
                }
            })
            .map_err(|e| MatchError::db(format!("affected {ecosystem}/{name}"))(e))?;
        if statuses && !data.entries.is_empty() {
            let mut st = self
                .db
                .fix_statuses(ecosystem, name)
                .map_err(|e| MatchError::db(format!("fix status {ecosystem}/{name}"))(e))?;
            st.sort_by(|a, b| a.advisory_id.cmp(&b.advisory_id));
            data.statuses = st;
        }
        let data = if data.entries.is_empty() && data.broken.is_empty() {
            if self.absent >= ABSENT_MEMO_BOUND {
                return Ok(Rc::clone(&self.nothing));
            }
            self.absent += 1;
            Rc::clone(&self.nothing)
        } else {
            Rc::new(data)
        };
        self.packages.entry(ecosystem.to_owned()).or_default().insert(name.into(), Rc::clone(&data));
        Ok(data)
    }

    /// Everything about one advisory, or `None` if the database does not hold it.
    pub(crate) fn advisory(&mut self, id: &str) -> Result<Option<Rc<AdvisoryBrief>>, MatchError> {
        if let Some(hit) = self.advisories.get(id) {
            return Ok(hit.clone());
        }
        let found = self.db.advisory_brief(id).map_err(|e| MatchError::db(format!("advisory {id}"))(e))?.map(Rc::new);
        self.advisories.insert(id.to_owned(), found.clone());
        Ok(found)
    }

    /// The KEV entry of a CVE.
    pub(crate) fn kev(&mut self, cve: &str) -> Result<Option<KevEntry>, MatchError> {
        if let Some(hit) = self.kev.get(cve) {
            return Ok(hit.clone());
        }
        let found = self.db.kev(cve).map_err(|e| MatchError::db(format!("kev {cve}"))(e))?;
        self.kev.insert(cve.to_owned(), found.clone());
        Ok(found)
    }

    /// The EPSS score of a CVE.
    pub(crate) fn epss(&mut self, cve: &str) -> Result<Option<EpssScore>, MatchError> {
        if let Some(hit) = self.epss.get(cve) {
            return Ok(hit.clone());
        }
        let found = self.db.epss(cve).map_err(|e| MatchError::db(format!("epss {cve}"))(e))?;
        self.epss.insert(cve.to_owned(), found.clone());
        Ok(found)
    }
}

/// A diagnostic for an affected entry that could not be decoded or evaluated.
pub(crate) fn undecided(location: &str, package: &str, advisory: &str, why: &str) -> Diagnostic {
    Diagnostic::warning(location, format!("{package}: advisory {advisory} could not be evaluated: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_versions_are_never_filtered_out() {
        // Equal in the scheme, spelled differently: `may_equal` must let each pair through.
        let pep440_equal = [
            ("1.0", "1"),
            ("1.0.0", "1"),
            ("01.2", "1.2"),
            ("1.0a", "1.0a0"),
            ("1.0alpha1", "1.0a1"),
            ("1.0-1", "1.0.post1"),
            ("1.0rev2", "1.0.post2"),
            ("1.0c1", "1.0rc1"),
            ("1.0.dev", "1.0.dev0"),
            ("0!1.0", "1.0"),
            ("v1.10", "1.10.0"),
            ("1.0+Ubuntu.01", "1.0+ubuntu.1"),
            ("1.0-SNAPSHOT", "1.0-snapshot"),
        ];
        for (a, b) in pep440_equal {
            assert_eq!(VersionScheme::Pep440.compare(a, b).unwrap(), Ordering::Equal, "{a} {b}");
            assert!(may_equal(VersionScheme::Pep440, a, b), "{a} {b}");
        }
        let maven_equal =
            [("1.0", "1"), ("1-ga-1", "1-1"), ("1.0.RELEASE", "1"), ("1.0-cr1", "1.0-rc-01"), ("1a1", "1-alpha-1")];
        for (a, b) in maven_equal {
            assert_eq!(VersionScheme::Maven.compare(a, b).unwrap(), Ordering::Equal, "{a} {b}");
            assert!(may_equal(VersionScheme::Maven, a, b), "{a} {b}");
        }
        // SemVer ignores build metadata: no filter there.
        assert_eq!(VersionScheme::Semver.compare("1.0.0+5", "1.0.0").unwrap(), Ordering::Equal);
        assert!(may_equal(VersionScheme::Semver, "1.0.0+5", "1.0.0"));
        // Different numbers are filtered out.
        assert!(!may_equal(VersionScheme::Pep440, "1.2", "1.3"));
        assert!(!may_equal(VersionScheme::Maven, "2.0", "1.0"));
    }

    fn entry(versions: &str) -> Entry {
        Entry { advisory_id: "X".into(), ranges: osv::Affected::default(), listed: Listed::parse(versions).unwrap() }
    }

    #[test]
    fn listed_versions_match_verbatim_or_equal() {
        let e = entry(r#"["1.0", "2.0.post1", "3.0\u0061"]"#);
        assert_eq!(e.listed.iter().collect::<Vec<_>>(), ["1.0", "2.0.post1", "3.0a"]);
        let py = |v: &str| pep440::parse(v).ok();
        for (v, listed) in
            [("1.0", true), ("1", true), ("2.0-1", true), ("3.0a0", true), ("1.1", false), ("2.0", false)]
        {
            assert_eq!(e.is_listed(VersionScheme::Pep440, v, py(v).as_ref()), listed, "{v}");
        }
        assert!(entry("[]").listed.is_empty());
        assert!(Listed::parse("[1]").is_err());
        assert!(Listed::parse("{").is_err());
    }
}
