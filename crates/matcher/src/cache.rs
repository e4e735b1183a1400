//! Memoised database reads: many packages share a (ecosystem, name) key (Debian binaries of one
//! source) and many findings share advisories, so each is read and decoded once per match.

use std::cell::{OnceCell, RefCell};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use microscanner_model::Diagnostic;
use microscanner_version::osv::{self, Affectedness, Verdict};
use microscanner_version::{VersionScheme, pep440};
use microscanner_vulndb::{AdvisoryDetails, Database, EpssScore, FixStatus, KevEntry};

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
    listed: Vec<String>,
    /// `listed` parsed as Python versions, on first use (PyPI lists hundreds per advisory, and
    /// parsing dominates comparing).
    listed_python: OnceCell<Vec<pep440::PythonVersion>>,
}

impl Entry {
    /// [`osv::is_affected`] of this entry, the same verdict computed in a cheaper order: ranges
    /// first, then the `versions` list only when the ranges do not already say "affected", and
    /// PyPI's long lists compared as versions parsed once per entry instead of once per compare.
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
                .listed_python
                .get_or_init(|| self.listed.iter().filter_map(|v| pep440::parse(v).ok()).collect())
                .iter()
                .any(|v| v.cmp(installed) == Ordering::Equal),
            (VersionScheme::Pep440, None) => false,
            _ => self.listed.iter().any(|v| matches!(scheme.compare(v, version), Ok(Ordering::Equal))),
        }
    }
}

/// Everything the database says about one (ecosystem, name).
#[derive(Debug)]
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
    /// The fix status of `advisory_id`, if the release has one.
    pub(crate) fn status(&self, advisory_id: &str) -> Option<&FixStatus> {
        self.statuses
            .binary_search_by(|s| s.advisory_id.as_str().cmp(advisory_id))
            .ok()
            .and_then(|i| self.statuses.get(i))
    }
}

/// The memo.
pub(crate) struct Cache<'db> {
    db: &'db Database,
    packages: HashMap<String, HashMap<String, Rc<PackageData>>>,
    advisories: HashMap<String, Option<Rc<AdvisoryDetails>>>,
    kev: HashMap<String, Option<KevEntry>>,
    epss: HashMap<String, Option<EpssScore>>,
}

impl<'db> Cache<'db> {
    pub(crate) fn new(db: &'db Database) -> Self {
        Self { db, packages: HashMap::new(), advisories: HashMap::new(), kev: HashMap::new(), epss: HashMap::new() }
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
        let rows = self.db.affected(ecosystem, name).map_err(MatchError::db(format!("affected {ecosystem}/{name}")))?;
        let mut data = PackageData {
            entries: Vec::with_capacity(rows.len()),
            statuses: Vec::new(),
            broken: Vec::new(),
            evaluated: RefCell::new(HashMap::new()),
        };
        for row in rows {
            match serde_json::from_value::<Vec<osv::Range>>(row.ranges) {
                Ok(ranges) => data.entries.push(Entry {
                    advisory_id: row.advisory_id,
                    ranges: osv::Affected { package: None, ranges, versions: Vec::new() },
                    listed: row.versions,
                    listed_python: OnceCell::new(),
                }),
                Err(e) => data.broken.push((row.advisory_id, format!("ranges not readable: {e}"))),
            }
        }
        if statuses && !data.entries.is_empty() {
            let mut st = self
                .db
                .fix_statuses(ecosystem, name)
                .map_err(MatchError::db(format!("fix status {ecosystem}/{name}")))?;
            st.sort_by(|a, b| a.advisory_id.cmp(&b.advisory_id));
            data.statuses = st;
        }
        let data = Rc::new(data);
        self.packages.entry(ecosystem.to_owned()).or_default().insert(name.to_owned(), Rc::clone(&data));
        Ok(data)
    }

    /// Everything about one advisory, or `None` if the database does not hold it.
    pub(crate) fn advisory(&mut self, id: &str) -> Result<Option<Rc<AdvisoryDetails>>, MatchError> {
        if let Some(hit) = self.advisories.get(id) {
            return Ok(hit.clone());
        }
        let found = self.db.advisory(id).map_err(MatchError::db(format!("advisory {id}")))?.map(Rc::new);
        self.advisories.insert(id.to_owned(), found.clone());
        Ok(found)
    }

    /// The KEV entry of a CVE.
    pub(crate) fn kev(&mut self, cve: &str) -> Result<Option<KevEntry>, MatchError> {
        if let Some(hit) = self.kev.get(cve) {
            return Ok(hit.clone());
        }
        let found = self.db.kev(cve).map_err(MatchError::db(format!("kev {cve}")))?;
        self.kev.insert(cve.to_owned(), found.clone());
        Ok(found)
    }

    /// The EPSS score of a CVE.
    pub(crate) fn epss(&mut self, cve: &str) -> Result<Option<EpssScore>, MatchError> {
        if let Some(hit) = self.epss.get(cve) {
            return Ok(hit.clone());
        }
        let found = self.db.epss(cve).map_err(MatchError::db(format!("epss {cve}")))?;
        self.epss.insert(cve.to_owned(), found.clone());
        Ok(found)
    }
}

/// A diagnostic for an affected entry that could not be decoded or evaluated.
pub(crate) fn undecided(location: &str, package: &str, advisory: &str, why: &str) -> Diagnostic {
    Diagnostic::warning(location, format!("{package}: advisory {advisory} could not be evaluated: {why}"))
}
