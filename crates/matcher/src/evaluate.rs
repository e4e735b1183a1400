//! The match loop: look each package up, evaluate its affected entries, drop what the distro
//! says is fixed or not affected, drop withdrawn advisories, group the rest into findings.
//!
//! Everything but the package itself depends only on the (ecosystem, name, version) matched, so
//! it is computed once per such key and reused by every package that shares it (the binaries of
//! one Debian source, one library in several lockfiles).

use std::cmp::Ordering;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use microscanner_model::{
    AffectedPackage, Diagnostic, DiagnosticLevel, Finding, FixState, Inventory, Package, PackageKind, sort_findings,
};
use microscanner_version::osv::{Affectedness, Verdict};
use microscanner_version::{VersionScheme, pep440};
use microscanner_vulndb::{AdvisoryBrief, Database, FixState as DbFixState, FixStatus};

use crate::coverage::CoverageBuilder;
use crate::group::{self, Matched};
use crate::lookup::{LookupKey, lookup_key, redhat_source_key};
use crate::memo::{Memo, PackageData, undecided};
use crate::vulnerability::{MatchedGroup, Vulnerability, vulnerability};
use crate::{MatchError, MatchOutput, fix};

/// One matched advisory of one (ecosystem, name, version).
pub(crate) struct Candidate<'d> {
    /// The advisory id.
    pub(crate) id: &'d str,
    /// Its details (`None` if only its affected rows are in the database).
    pub(crate) details: Option<Rc<AdvisoryBrief>>,
    /// Fixed versions above the installed one, from every matched entry of this advisory.
    pub(crate) fixed: Vec<String>,
    /// The distro's fix state for it, when the release has one.
    pub(crate) state: Option<FixState>,
    /// The distro's note on that state (`no-dsa: Minor issue`).
    pub(crate) note: Option<String>,
}

/// What matching one (ecosystem, name, version) gave.
#[derive(Debug)]
pub(crate) struct Evaluated {
    /// The vulnerabilities found (each package matched under the key makes them findings).
    vulnerabilities: Vec<Vulnerability>,
    /// Entries that could not be decided: (advisory id, why).
    undecided: Vec<(String, String)>,
    /// Why the version cannot be compared at all, if so.
    bad_version: Option<String>,
}

/// What looking the packages up found (bad versions by package index, for the coverage).
#[derive(Default)]
struct Matches {
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    bad_versions: Vec<(usize, String)>,
}

/// One package to match: its index in the inventory, its key, and its Red Hat source key when
/// the database has that ecosystem.
struct Job<'p> {
    index: usize,
    key: LookupKey<'p>,
    /// Whether the database has entries in the key's own ecosystem.
    own: bool,
    source: Option<LookupKey<'p>>,
}

/// Matches every package of `inventory` ([`crate::Matcher::match_inventory`]) in one pass with
/// one connection and `memo` (kept by the caller across inventories): nothing is held per package
/// but its findings, so the match of a lockfile of a million entries costs what its distinct
/// names cost in the memo.
pub(crate) fn run(memo: &mut Memo<'_>, inventory: &Inventory) -> Result<MatchOutput, MatchError> {
    let mut coverage = CoverageBuilder::new(inventory);
    let mut matches = Matches::default();
    for (index, package) in inventory.packages.iter().enumerate() {
        if let Some(job) = job(memo.db(), inventory, index, package, &mut coverage)? {
            match_job(memo, &mut matches, package, &job)?;
        }
    }
    Ok(finish(inventory, coverage, matches))
}

/// Packages a thread takes at a time in [`run_parallel`]: small enough to spread the costly
/// ones (an OS package with hundreds of advisories against a lockfile entry with none) over the
/// threads, large enough that the binaries of one source package, which follow one another in
/// an inventory and share what they read, mostly land in one thread.
const JOBS_PER_TAKE: usize = 64;

/// [`run`] on `threads` threads, each with its own connection to `db`'s file and its own memo,
/// taking [`JOBS_PER_TAKE`] packages at a time until none are left; the parts are joined in
/// package order, so the output is [`run`]'s exactly. A thread whose connection cannot be opened,
/// or opens another database (a new file renamed over the path since `db` was opened: its
/// metadata differs), takes nothing; a part a thread did not deliver (it panicked) is matched by
/// the calling thread.
pub(crate) fn run_parallel(db: &Database, inventory: &Inventory, threads: usize) -> Result<MatchOutput, MatchError> {
    let mut coverage = CoverageBuilder::new(inventory);
    let jobs = plan(db, inventory, &mut coverage)?;
    let takes: Vec<&[Job<'_>]> = jobs.chunks(JOBS_PER_TAKE).collect();
    let expected = db.metadata().map_err(MatchError::db("metadata"))?;
    let path = db.path();
    let next = AtomicUsize::new(0);
    let work = |memo: &mut Memo<'_>| -> Result<Vec<(usize, Matches)>, MatchError> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, AtomicOrdering::Relaxed);
            let Some(take) = takes.get(i) else { return Ok(done) };
            done.push((i, match_jobs(memo, inventory, take)?));
        }
    };
    let (mine, theirs) = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads)
            .map(|_| {
                scope.spawn(|| match Database::open(path) {
                    Ok(own) if own.metadata().is_ok_and(|m| m == expected) => work(&mut Memo::new(&own)),
                    _ => Ok(Vec::new()),
                })
            })
            .collect();
        // This thread's memo is dropped here, while the others may still match (freeing a memo
        // of thousands of advisories takes a sizeable part of the time).
        let mine = work(&mut Memo::new(db));
        (mine, handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Ok(Vec::new()))).collect::<Vec<_>>())
    });
    let mut memo = Memo::new(db);
    let mut parts: Vec<Option<Matches>> = takes.iter().map(|_| None).collect();
    for done in std::iter::once(mine).chain(theirs) {
        for (i, part) in done? {
            if let Some(slot) = parts.get_mut(i) {
                *slot = Some(part);
            }
        }
    }
    let mut matches = Matches::default();
    for (take, part) in takes.iter().zip(parts) {
        let part = match part {
            Some(part) => part,
            None => match_jobs(&mut memo, inventory, take)?,
        };
        matches.findings.extend(part.findings);
        matches.diagnostics.extend(part.diagnostics);
        matches.bad_versions.extend(part.bad_versions);
    }
    Ok(finish(inventory, coverage, matches))
}

/// Looks every package's key up and counts the coverage: the packages to match, in inventory
/// order.
fn plan<'p>(
    db: &Database,
    inventory: &'p Inventory,
    coverage: &mut CoverageBuilder,
) -> Result<Vec<Job<'p>>, MatchError> {
    let mut jobs = Vec::new();
    for (index, package) in inventory.packages.iter().enumerate() {
        jobs.extend(job(db, inventory, index, package, coverage)?);
    }
    Ok(jobs)
}

/// Looks `package` up and counts it in the coverage: what to match it by, or `None` when the
/// database has nothing to match it with.
fn job<'p>(
    db: &Database,
    inventory: &'p Inventory,
    index: usize,
    package: &'p Package,
    coverage: &mut CoverageBuilder,
) -> Result<Option<Job<'p>>, MatchError> {
    let key = match lookup_key(package, inventory.os.as_ref()) {
        Ok(key) => key,
        Err(why) => {
            coverage.unmatched(package, &why);
            return Ok(None);
        }
    };
    let own = coverage.ecosystem(&key.ecosystem, || db.ecosystem_entries(&key.ecosystem))? > 0;
    let source = match redhat_source_key(package, &key) {
        Some(s) if coverage.entries(&s.ecosystem, || db.ecosystem_entries(&s.ecosystem))? > 0 => Some(s),
        _ => None,
    };
    if !own && source.is_none() {
        return Ok(None);
    }
    coverage.looked_up();
    Ok(Some(Job { index, key, own, source }))
}

/// Matches `jobs` with `memo`, in their order.
fn match_jobs(memo: &mut Memo<'_>, inventory: &Inventory, jobs: &[Job<'_>]) -> Result<Matches, MatchError> {
    let mut matches = Matches::default();
    for job in jobs {
        if let Some(package) = inventory.packages.get(job.index) {
            match_job(memo, &mut matches, package, job)?;
        }
    }
    Ok(matches)
}

/// Matches one package by its own key and its source key, adding to `matches`.
fn match_job(memo: &mut Memo<'_>, matches: &mut Matches, package: &Package, job: &Job<'_>) -> Result<(), MatchError> {
    if job.own
        && let Some(evaluated) = evaluated(memo, package.kind, &job.key)?
    {
        matches.add(job.index, &job.key, package, &evaluated, None);
    }
    if let Some(source) = &job.source {
        match_by_source(memo, matches, job.index, package, &job.key, source)?;
    }
    Ok(())
}

/// The output: the bad versions counted in the coverage, the findings sorted.
fn finish(inventory: &Inventory, mut coverage: CoverageBuilder, matches: Matches) -> MatchOutput {
    for (i, why) in &matches.bad_versions {
        if let Some(package) = inventory.packages.get(*i) {
            coverage.bad_version(package, why);
        }
    }
    let mut findings = matches.findings;
    sort_findings(&mut findings);
    MatchOutput { findings, coverage: coverage.finish(), diagnostics: matches.diagnostics }
}

/// Matches a Red Hat rpm by its source package's states ([`redhat_source_key`]). An advisory the
/// binary's own key has any entry or state for is decided there: a binary build that fixes it
/// outranks "the source is affected" (fixes name builds, the other states name sources).
fn match_by_source(
    memo: &mut Memo<'_>,
    matches: &mut Matches,
    index: usize,
    package: &Package,
    key: &LookupKey<'_>,
    source: &LookupKey<'_>,
) -> Result<(), MatchError> {
    let Some(evaluated) = evaluated(memo, package.kind, source)? else { return Ok(()) };
    let binary = memo.package(&key.ecosystem, key.name, true)?;
    matches.add(index, source, package, &evaluated, Some(&|id: &str| !binary.mentions(id)));
    Ok(())
}

/// What matching `key` gave, from the memo when another package shared the key; `None` when the
/// database has nothing for its (ecosystem, name).
fn evaluated(memo: &mut Memo<'_>, kind: PackageKind, key: &LookupKey<'_>) -> Result<Option<Rc<Evaluated>>, MatchError> {
    let data = memo.package(&key.ecosystem, key.name, kind.is_os())?;
    if data.entries.is_empty() && data.broken.is_empty() {
        return Ok(None);
    }
    let known = data.evaluated.borrow().get(key.version.as_ref()).cloned();
    if let Some(e) = known {
        return Ok(Some(e));
    }
    let e = Rc::new(evaluate(memo, kind, key, &data)?);
    data.evaluated.borrow_mut().insert(key.version.clone().into_owned(), Rc::clone(&e));
    Ok(Some(e))
}

impl Matches {
    /// Adds what matching `package` under its key gave: its diagnostics and its findings (those
    /// of the advisories `keep` accepts, when given).
    fn add(
        &mut self,
        index: usize,
        key: &LookupKey<'_>,
        package: &Package,
        evaluated: &Evaluated,
        keep: Option<&dyn Fn(&str) -> bool>,
    ) {
        let label = || format!("{} {} {}", package.kind.purl_type(), package.name, package.version);
        if let Some(why) = &evaluated.bad_version {
            self.diagnostics.push(Diagnostic::warning(
                package.location(),
                format!("{}: version cannot be compared, its advisories were not evaluated: {why}", label()),
            ));
            self.bad_versions.push((index, why.clone()));
        }
        for (id, why) in &evaluated.undecided {
            self.diagnostics.push(undecided(package.location(), &label(), id, why));
        }
        let affected = AffectedPackage::new(package, key.name);
        let kept = evaluated.vulnerabilities.iter().filter(|v| keep.is_none_or(|keep| keep(v.id())));
        self.findings.extend(kept.map(|v| v.finding(affected.clone())));
    }
}

/// The distro's fix state in the finding's terms.
fn fix_state(state: DbFixState) -> FixState {
    match state {
        DbFixState::Fixed => FixState::Fixed,
        DbFixState::Unfixed | DbFixState::NotAffected => FixState::NotFixed,
        DbFixState::WontFix => FixState::WontFix,
        DbFixState::Postponed => FixState::Postponed,
        DbFixState::EndOfLife => FixState::EndOfLife,
        DbFixState::Undetermined => FixState::Undetermined,
    }
}

/// Matches one (ecosystem, name, version): evaluates every entry, drops withdrawn advisories,
/// groups the rest and builds the findings.
fn evaluate(
    memo: &mut Memo<'_>,
    kind: PackageKind,
    key: &LookupKey<'_>,
    data: &PackageData,
) -> Result<Evaluated, MatchError> {
    let mut out = Evaluated { vulnerabilities: Vec::new(), undecided: data.broken.clone(), bad_version: None };
    let candidates = candidates(kind, key, data, &mut out);
    if candidates.is_empty() {
        return Ok(out);
    }
    let mut live: Vec<Candidate<'_>> = Vec::with_capacity(candidates.len());
    for mut c in candidates {
        c.details = memo.advisory(c.id)?;
        if c.details.as_ref().is_some_and(|d| d.advisory.withdrawn.is_some()) {
            continue;
        }
        live.push(c);
    }
    let matched: Vec<Matched<'_>> = live
        .iter()
        .map(|c| Matched { id: c.id, aliases: c.details.as_ref().map_or(&[][..], |d| &d.advisory.aliases[..]) })
        .collect();
    for g in group::group(&matched) {
        let members: Vec<&Candidate<'_>> = g.members.iter().filter_map(|&i| live.get(i)).collect();
        let matched = MatchedGroup { kind, key, group: &g, members: &members };
        out.vulnerabilities.push(vulnerability(memo, &matched)?);
    }
    Ok(out)
}

/// The advisories whose entries match, in id order.
fn candidates<'d>(
    kind: PackageKind,
    key: &LookupKey<'_>,
    data: &'d PackageData,
    out: &mut Evaluated,
) -> Vec<Candidate<'d>> {
    let version = key.version.as_ref();
    if let Err(err) = key.scheme.validate(version) {
        out.bad_version = Some(err.to_string());
    }
    let python = if key.scheme == VersionScheme::Pep440 { pep440::parse(version).ok() } else { None };
    let mut found: Vec<Candidate<'d>> = Vec::new();
    for entry in &data.entries {
        let status = if kind.is_os() { data.status(&entry.advisory_id) } else { None };
        if status.is_some_and(|st| distro_says_unaffected(st, key)) {
            continue;
        }
        let result = entry.evaluate(key.scheme, version, python.as_ref());
        match result.verdict {
            Verdict::Affected => {
                if let Some(c) = candidate(&mut found, &entry.advisory_id, status) {
                    fix::fixed_above(key.scheme, &entry.ranges, version, &mut c.fixed);
                }
            }
            Verdict::NotAffected => {}
            // One diagnostic for the version says it all.
            Verdict::Unknown if out.bad_version.is_some() => {}
            Verdict::Unknown => out.undecided.push((entry.advisory_id.clone(), undecided_reason(&result))),
        }
    }
    found
}

/// Distro data wins: a fix at or below the installed version, or "not affected", overrides every
/// other entry of the same advisory for this release and package.
fn distro_says_unaffected(status: &FixStatus, key: &LookupKey<'_>) -> bool {
    match status.state {
        DbFixState::NotAffected => true,
        DbFixState::Fixed => status.fixed_version.as_deref().is_some_and(|fixed| {
            matches!(key.scheme.compare(key.version.as_ref(), fixed), Ok(Ordering::Greater | Ordering::Equal))
        }),
        _ => false,
    }
}

/// The candidate of `id`: the last one found when it is the same advisory (entries come in id
/// order), else a new one with the distro's `status`.
fn candidate<'c, 'd>(
    found: &'c mut Vec<Candidate<'d>>,
    id: &'d str,
    status: Option<&FixStatus>,
) -> Option<&'c mut Candidate<'d>> {
    if found.last().is_none_or(|c| c.id != id) {
        found.push(Candidate {
            id,
            details: None,
            fixed: Vec::new(),
            state: status.map(|s| fix_state(s.state)),
            note: status.and_then(|s| s.note.clone()),
        });
    }
    found.last_mut()
}

/// Why an entry could not be decided: its evaluation's warnings.
fn undecided_reason(result: &Affectedness) -> String {
    let why: Vec<&str> =
        result.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Warning).map(|d| d.message.as_str()).collect();
    if why.is_empty() { "undecidable range".to_owned() } else { why.join("; ") }
}
