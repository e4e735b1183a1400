//! What a match covered and skipped.
//!
//! `complete` is false when part of the *image* could not be analysed: nothing inventoried at all
//! (no OS recognised and no package found), a warning diagnostic of
//! the inventory (an unreadable package database, a binary without build info), OS packages that
//! could not be matched because the OS is unknown or has no advisory ecosystem, or a package
//! whose version cannot be ordered in its ecosystem's scheme while advisories exist for it.
//!
//! An ecosystem with no entries in the database is listed in `skipped` (and with
//! `database_entries: 0` in `ecosystems`) but does **not** make the scan incomplete: it is a gap
//! of the database, not of the image, and is fixed by `db update` rather than by rescanning. A
//! database built on purpose with `--ecosystems debian` would otherwise make every scan with a
//! lockfile "incomplete" (exit 5 under `--fail-on-incomplete`). Reports show the gap per
//! ecosystem, so "no findings" is never silent.

use std::collections::{BTreeMap, HashMap};

use microscanner_model::{Coverage, CoveredEcosystem, DiagnosticLevel, Inventory, Package, PackageKind, Skipped};

use crate::MatchError;
use crate::lookup::Unmatched;

pub(crate) struct CoverageBuilder {
    /// The database's entry count of each ecosystem looked up (counted when first met: counting
    /// every ecosystem of the database would read its whole `affected` index on every scan).
    db_ecosystems: HashMap<String, u64>,
    packages: usize,
    looked_up: usize,
    ecosystems: BTreeMap<String, usize>,
    /// (reason, kind) → count of OS packages not matched.
    unmatched: BTreeMap<(String, PackageKind), usize>,
    /// kind → count of language packages no advisory ecosystem covers (CocoaPods).
    no_ecosystem: BTreeMap<PackageKind, usize>,
    skipped: Vec<Skipped>,
    complete: bool,
}

impl CoverageBuilder {
    pub(crate) fn new(inventory: &Inventory) -> Self {
        let mut skipped = Vec::new();
        let mut complete = true;
        for d in inventory.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Warning) {
            complete = false;
            let what = if d.location.is_empty() { "image".to_owned() } else { d.location.clone() };
            skipped.push(Skipped { what, reason: d.message.clone() });
        }
        if inventory.os.is_none() && inventory.packages.is_empty() {
            // Nothing recognised at all is not a clean image: it is an image we could not read
            // (the old tool passed these: its issue #10).
            complete = false;
            skipped.push(Skipped {
                what: "image".into(),
                reason: "nothing inventoried: no operating system recognised and no package found".into(),
            });
        }
        Self {
            db_ecosystems: HashMap::new(),
            packages: inventory.packages.len(),
            looked_up: 0,
            ecosystems: BTreeMap::new(),
            unmatched: BTreeMap::new(),
            no_ecosystem: BTreeMap::new(),
            skipped,
            complete,
        }
    }

    /// The number of database entries of `ecosystem` (`count` asks the database, once per
    /// ecosystem), counting the package as covered by it.
    pub(crate) fn ecosystem(
        &mut self,
        ecosystem: &str,
        count: impl FnOnce() -> Result<u64, microscanner_vulndb::Error>,
    ) -> Result<u64, MatchError> {
        match self.ecosystems.get_mut(ecosystem) {
            Some(n) => *n += 1,
            None => {
                self.ecosystems.insert(ecosystem.to_owned(), 1);
            }
        }
        self.entries(ecosystem, count)
    }

    /// The number of database entries of `ecosystem`, without counting a package as covered by
    /// it (a second key of a package covered by its first: a Red Hat rpm's source ecosystem).
    pub(crate) fn entries(
        &mut self,
        ecosystem: &str,
        count: impl FnOnce() -> Result<u64, microscanner_vulndb::Error>,
    ) -> Result<u64, MatchError> {
        if let Some(n) = self.db_ecosystems.get(ecosystem) {
            return Ok(*n);
        }
        let n = count().map_err(MatchError::db("ecosystems"))?;
        self.db_ecosystems.insert(ecosystem.to_owned(), n);
        Ok(n)
    }

    /// A package was looked up in the database.
    pub(crate) fn looked_up(&mut self) {
        self.looked_up += 1;
    }

    /// A package could not be looked up.
    pub(crate) fn unmatched(&mut self, package: &Package, why: &Unmatched) {
        let reason = match why {
            Unmatched::NoAdvisoryEcosystem => {
                // a gap of the advisory data, not of the image: listed, but the scan is complete
                *self.no_ecosystem.entry(package.kind).or_default() += 1;
                return;
            }
            Unmatched::UnknownOs => {
                "unknown OS: the image's distribution was not recognised, so its OS packages were not matched"
                    .to_owned()
            }
            Unmatched::NoOsEcosystem { os } => {
                format!("unknown OS: {os} has no advisory ecosystem, so its OS packages were not matched")
            }
            Unmatched::WrongOs { ecosystem } => format!(
                "{} packages do not belong to the image's OS ({ecosystem}), whose advisories cover another package format",
                package.kind.purl_type()
            ),
        };
        *self.unmatched.entry((reason, package.kind)).or_default() += 1;
    }

    /// A package with advisories whose version cannot be ordered.
    pub(crate) fn bad_version(&mut self, package: &Package, why: &str) {
        self.complete = false;
        self.skipped.push(Skipped {
            what: format!("{} {} {} ({})", package.kind.purl_type(), package.name, package.version, package.location()),
            reason: format!("version cannot be compared, advisories for it were not evaluated: {why}"),
        });
    }

    pub(crate) fn finish(mut self) -> Coverage {
        for ((reason, kind), count) in std::mem::take(&mut self.unmatched) {
            self.complete = false;
            let plural = if count == 1 { "" } else { "s" };
            self.skipped.push(Skipped { what: format!("{count} {} package{plural}", kind.purl_type()), reason });
        }
        for (kind, count) in std::mem::take(&mut self.no_ecosystem) {
            let plural = if count == 1 { "" } else { "s" };
            self.skipped.push(Skipped {
                what: format!("{count} {} package{plural}", kind.purl_type()),
                reason: format!("no advisory database covers {} packages: listed, not matched", kind.purl_type()),
            });
        }
        let mut ecosystems = Vec::with_capacity(self.ecosystems.len());
        for (ecosystem, packages) in self.ecosystems {
            let database_entries = self.db_ecosystems.get(&ecosystem).copied().unwrap_or(0);
            if database_entries == 0 {
                self.skipped.push(Skipped {
                    what: ecosystem.clone(),
                    reason: format!("database has no advisories for {ecosystem}"),
                });
            }
            ecosystems.push(CoveredEcosystem { ecosystem, packages, database_entries });
        }
        Coverage {
            packages: self.packages,
            packages_matched: self.looked_up,
            ecosystems,
            skipped: self.skipped,
            complete: self.complete,
        }
    }
}
