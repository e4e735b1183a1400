//! Matches an [`Inventory`] against the vulnerability database.
//!
//! [`match_inventory`] (or a [`Matcher`], for many inventories) is the whole API: every package is looked up by (ecosystem, name) in the
//! [`Database`], each affected entry is evaluated with the ecosystem's version scheme
//! ([`microscanner_version::osv::is_affected`]), and the advisories that match one package are
//! merged by their aliases into one [`Finding`] per vulnerability, carrying every id, rating and
//! fix. The result also says what was covered ([`Coverage`]) and what could not be decided
//! ([`Diagnostic`]s), so "no findings" can be told apart from "nothing was looked at".
//!
//! The rules, module by module:
//! * [`lookup`]: which key, (ecosystem, name, version), a package is looked up by: OSV ecosystems for
//!   language packages, the distro release for OS packages, the *source* package for Debian and
//!   Ubuntu (binNMU source versions), the origin for apk, Go toolchain versions normalised.
//! * `evaluate` (private): distro data wins for OS packages: a per-release fix status that says
//!   the advisory is fixed at or below the installed version, or not affected, overrides every
//!   other entry of the same advisory id.
//! * [`group`]: union-find over advisory ids and aliases; the CVE (lowest if several) is the id.
//! * [`rating`]: which rating sets the severity (distro vendor word first for OS packages, then
//!   the advisory's own CVSS, its own vendor word, then NVD).
//! * [`fix`]: fixed versions above the installed one, lowest first.
//! * `coverage` (private): packages and ecosystems covered, and everything skipped. `complete`
//!   is false when part of the *image* was not analysed (inventory warnings, OS packages with no
//!   known OS, versions that cannot be ordered); an ecosystem the database has no entries for is
//!   listed in `skipped` but is a database gap and leaves `complete` alone.
//! * `vulnerability` (private): one vulnerability per group, everything a finding says but the
//!   package: title, description, URLs, references, CWEs, dates, KEV and EPSS of the group's
//!   CVEs, fix state (a distro's `wont-fix`, `postponed`, `end-of-life`... when no fixed version
//!   exists); each package matched under the key makes it a finding.
//! * `memo` (private): every database read of one [`Matcher`], decoded once.
//!
//! Speed: each (ecosystem, name) is read once, each advisory once, and each distinct
//! (ecosystem, name, version) is evaluated once, whatever the number of packages sharing it.
//! [`match_inventory`] of a large inventory (over a thousand packages a thread) splits
//! the packages over the cores, each thread with its own connection and memo; a [`Matcher`] runs
//! on the calling thread. SQLite is built without its process-wide page-cache and
//! memory-statistics mutexes (`LIBSQLITE3_FLAGS` in `.cargo/config.toml`), which every page read
//! and allocation of every connection would otherwise take (an earlier try of one connection per
//! thread, with them, measured no gain on 2 cores).

mod coverage;
mod evaluate;
pub mod fix;
pub mod group;
pub mod lookup;
mod memo;
pub mod rating;
mod vulnerability;

use microscanner_model::{Coverage, Diagnostic, Finding, Inventory};
use microscanner_vulndb::Database;

/// What matching an inventory gave.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchOutput {
    /// One finding per (package, vulnerability), in [`Finding::report_order`] (deterministic for
    /// the same inventory and database).
    pub findings: Vec<Finding>,
    /// What was looked up, what was skipped, and whether the scan is complete.
    pub coverage: Coverage,
    /// Problems met while matching that did not stop it (an affected range that could not be
    /// evaluated for a package: a warning naming the package, the advisory and why).
    pub diagnostics: Vec<Diagnostic>,
}

/// Why matching failed as a whole (a bad range or version is a diagnostic, never this).
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// A database query failed (a damaged or incompatible file).
    #[error("vulnerability database query failed ({what}): {source}")]
    Database {
        /// What was being read (`affected Debian:12/openssl`, `advisory CVE-2023-0286`).
        what: String,
        /// The database error.
        #[source]
        source: microscanner_vulndb::Error,
    },
}

impl MatchError {
    pub(crate) fn db(what: impl Into<String>) -> impl FnOnce(microscanner_vulndb::Error) -> Self {
        let what = what.into();
        move |source| Self::Database { what, source }
    }
}

/// Matches every package of `inventory` against `db` (a [`Matcher`] for one inventory).
///
/// # Errors
/// [`MatchError::Database`] when the database cannot be read. Anything wrong with one package or
/// one advisory (an unparsable version, a malformed range) is a diagnostic instead.
pub fn match_inventory(db: &Database, inventory: &Inventory) -> Result<MatchOutput, MatchError> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    match_inventory_on(db, inventory, threads_for(inventory.packages.len(), cores))
}

/// [`match_inventory`] on `threads` threads: the calling one with `db`, the others each with its
/// own connection to `db`'s file ([`Database::open`] of [`Database::path`]) and its own share of
/// the packages. The result is the same whatever the number of threads (the shares' findings
/// and diagnostics are joined in package order); only the time differs.
///
/// # Errors
/// As [`match_inventory`].
pub fn match_inventory_on(db: &Database, inventory: &Inventory, threads: usize) -> Result<MatchOutput, MatchError> {
    if threads <= 1 {
        return Matcher::new(db).match_inventory(inventory);
    }
    evaluate::run_parallel(db, inventory, threads)
}

/// Packages below which a thread more is not worth its connection (opening one and reading what
/// the other thread read again costs a few milliseconds).
const PACKAGES_PER_THREAD: usize = 1000;
/// The most threads one match uses.
const MAX_THREADS: usize = 4;

/// How many threads [`match_inventory`] uses for `packages` on `cores` cores.
fn threads_for(packages: usize, cores: usize) -> usize {
    (packages / PACKAGES_PER_THREAD).clamp(1, cores.clamp(1, MAX_THREADS))
}

/// Matches inventories against one database, one after another, keeping what it read and
/// evaluated: a package, an advisory or an (ecosystem, name, version) that several inventories
/// share is read and evaluated once. Re-evaluating many remembered inventories (`watch`, the
/// service after a reload) matches images built on the same bases, which share most of their
/// packages.
///
/// Each result is exactly [`match_inventory`]'s for that inventory alone (the memo holds only
/// what the database says, never anything of an inventory). Memory grows with what the
/// inventories matched have in the database (bounded by the database) plus their distinct
/// versions of those names, so a matcher lives for one pass over a set of inventories, then is
/// dropped. Not `Send`: one per thread, each with its own connection.
pub struct Matcher<'db> {
    memo: memo::Memo<'db>,
}

impl<'db> Matcher<'db> {
    /// A matcher reading `db`, with nothing read yet.
    pub fn new(db: &'db Database) -> Self {
        Self { memo: memo::Memo::new(db) }
    }

    /// Matches every package of `inventory` ([`match_inventory`]).
    ///
    /// # Errors
    /// As [`match_inventory`].
    pub fn match_inventory(&mut self, inventory: &Inventory) -> Result<MatchOutput, MatchError> {
        evaluate::run(&mut self.memo, inventory)
    }
}
