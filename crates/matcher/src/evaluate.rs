//! The match loop: look each package up, evaluate its affected entries, drop what the distro
//! says is fixed or not affected, drop withdrawn advisories, group the rest into findings.
//!
//! Everything but the package itself depends only on the (ecosystem, name, version) matched, so
//! it is computed once per such key and reused by every package that shares it (the binaries of
//! one Debian source, one library in several lockfiles).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use microscanner_model::{AffectedPackage, Diagnostic, DiagnosticLevel, Finding, FixState, Inventory, PackageKind};
use microscanner_version::osv::Verdict;
use microscanner_version::{VersionScheme, pep440};
use microscanner_vulndb::{AdvisoryBrief, Database, FixState as DbFixState};

use crate::cache::{Cache, PackageData, undecided};
use crate::coverage::CoverageBuilder;
use crate::group::{self, Matched};
use crate::target::{Target, target};
use crate::{MatchError, MatchOutput, fix, output};

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
    /// The findings, with a placeholder package (each package fills in its own).
    templates: Vec<Finding>,
    /// Entries that could not be decided: (advisory id, why).
    undecided: Vec<(String, String)>,
    /// Why the version cannot be compared at all, if so.
    bad_version: Option<String>,
}

/// One package to look up: its index in the inventory and its key.
struct Job<'a> {
    index: usize,
    target: Target<'a>,
}

/// What matching the jobs found (bad versions by package index, for the coverage).
#[derive(Default)]
struct Partial {
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    bad_versions: Vec<(usize, String)>,
}

pub(crate) fn run(db: &Database, inventory: &Inventory) -> Result<MatchOutput, MatchError> {
    let targets: Vec<_> = inventory.packages.iter().map(|p| (p, target(p, inventory.os.as_ref()))).collect();
    // Entry counts of the ecosystems looked up only: counting every ecosystem of the database
    // reads its whole `affected` index, on every scan.
    let mut db_ecosystems: HashMap<String, u64> = HashMap::new();
    for (_, t) in &targets {
        if let Ok(t) = t
            && !db_ecosystems.contains_key(t.ecosystem)
        {
            let n = db.ecosystem_entries(t.ecosystem).map_err(MatchError::db("ecosystems"))?;
            db_ecosystems.insert(t.ecosystem.to_owned(), n);
        }
    }
    let mut coverage = CoverageBuilder::new(inventory, &db_ecosystems);
    let mut jobs: Vec<Job<'_>> = Vec::with_capacity(inventory.packages.len());
    for (index, (package, target)) in targets.into_iter().enumerate() {
        match target {
            Ok(target) if coverage.ecosystem(target.ecosystem) > 0 => {
                coverage.looked_up();
                jobs.push(Job { index, target });
            }
            Ok(_) => {}
            Err(why) => coverage.unmatched(package, &why),
        }
    }
    let partial = work(db, inventory, &jobs)?;
    for (i, why) in &partial.bad_versions {
        if let Some(package) = inventory.packages.get(*i) {
            coverage.bad_version(package, why);
        }
    }
    let mut findings = partial.findings;
    findings.sort_by(cmp_findings);
    Ok(MatchOutput { findings, coverage: coverage.finish(), diagnostics: partial.diagnostics })
}

/// Matches `jobs` with one connection and one memo.
fn work(db: &Database, inventory: &Inventory, jobs: &[Job<'_>]) -> Result<Partial, MatchError> {
    let mut cache = Cache::new(db);
    let mut out = Partial::default();
    for job in jobs {
        let Some(package) = inventory.packages.get(job.index) else { continue };
        let t = &job.target;
        let data = cache.package(t.ecosystem, t.name, package.kind.is_os())?;
        if data.entries.is_empty() && data.broken.is_empty() {
            continue;
        }
        let known = data.evaluated.borrow().get(t.version.as_ref()).cloned();
        let evaluated = match known {
            Some(e) => e,
            None => {
                let e = Rc::new(evaluate(&mut cache, package.kind, t, &data)?);
                data.evaluated.borrow_mut().insert(t.version.clone().into_owned(), Rc::clone(&e));
                e
            }
        };
        let label = || format!("{} {} {}", package.kind.purl_type(), package.name, package.version);
        if let Some(why) = &evaluated.bad_version {
            out.diagnostics.push(Diagnostic::warning(
                &package.location,
                format!("{}: version cannot be compared, its advisories were not evaluated: {why}", label()),
            ));
            out.bad_versions.push((job.index, why.clone()));
        }
        for (id, why) in &evaluated.undecided {
            out.diagnostics.push(undecided(&package.location, &label(), id, why));
        }
        for template in &evaluated.templates {
            let mut f = template.clone();
            f.package = AffectedPackage {
                kind: package.kind,
                name: package.name.clone(),
                version: package.version.clone(),
                source_name: (t.name != package.name).then(|| t.name.to_owned()),
                purl: package.purl.clone(),
                location: package.location.clone(),
                layer: package.layer.clone(),
            };
            out.findings.push(f);
        }
    }
    Ok(out)
}

/// Most severe first, then id, package name, version, location (and kind, purl: a total order).
fn cmp_findings(a: &Finding, b: &Finding) -> Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| group::cmp_ids(&a.id, &b.id))
        .then_with(|| a.package.name.cmp(&b.package.name))
        .then_with(|| a.package.version.cmp(&b.package.version))
        .then_with(|| a.package.location.cmp(&b.package.location))
        .then_with(|| a.package.kind.cmp(&b.package.kind))
        .then_with(|| a.package.purl.cmp(&b.package.purl))
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
    cache: &mut Cache<'_>,
    kind: PackageKind,
    t: &Target<'_>,
    data: &PackageData,
) -> Result<Evaluated, MatchError> {
    let mut out = Evaluated { templates: Vec::new(), undecided: data.broken.clone(), bad_version: None };
    let candidates = candidates(kind, t, data, &mut out);
    if candidates.is_empty() {
        return Ok(out);
    }
    let mut live: Vec<Candidate<'_>> = Vec::with_capacity(candidates.len());
    for mut c in candidates {
        c.details = cache.advisory(c.id)?;
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
        out.templates.push(output::finding(cache, kind, t, &g, &members)?);
    }
    Ok(out)
}

/// The advisories whose entries match, in id order.
fn candidates<'d>(kind: PackageKind, t: &Target<'_>, data: &'d PackageData, out: &mut Evaluated) -> Vec<Candidate<'d>> {
    let version = t.version.as_ref();
    if let Err(err) = t.scheme.validate(version) {
        out.bad_version = Some(err.to_string());
    }
    let python = if t.scheme == VersionScheme::Pep440 { pep440::parse(version).ok() } else { None };
    let mut found: Vec<Candidate<'d>> = Vec::new();
    for entry in &data.entries {
        let status = if kind.is_os() { data.status(&entry.advisory_id) } else { None };
        // Distro data wins: fixed at or below the installed version, or not affected, overrides
        // every other entry of the same advisory for this release and package.
        if let Some(st) = status {
            match st.state {
                DbFixState::NotAffected => continue,
                DbFixState::Fixed => {
                    if let Some(fixed) = st.fixed_version.as_deref()
                        && matches!(t.scheme.compare(version, fixed), Ok(Ordering::Greater | Ordering::Equal))
                    {
                        continue;
                    }
                }
                _ => {}
            }
        }
        let result = entry.evaluate(t.scheme, version, python.as_ref());
        match result.verdict {
            Verdict::Affected => {
                let c = match found.last_mut() {
                    Some(c) if c.id == entry.advisory_id => c,
                    _ => {
                        found.push(Candidate {
                            id: &entry.advisory_id,
                            details: None,
                            fixed: Vec::new(),
                            state: status.map(|s| fix_state(s.state)),
                            note: status.and_then(|s| s.note.clone()),
                        });
                        match found.last_mut() {
                            Some(c) => c,
                            None => continue,
                        }
                    }
                };
                fix::fixed_above(t.scheme, &entry.ranges, version, &mut c.fixed);
            }
            Verdict::NotAffected => {}
            // One diagnostic for the version says it all.
            Verdict::Unknown if out.bad_version.is_some() => {}
            Verdict::Unknown => {
                let why: Vec<&str> = result
                    .diagnostics
                    .iter()
                    .filter(|d| d.level == DiagnosticLevel::Warning)
                    .map(|d| d.message.as_str())
                    .collect();
                let why = if why.is_empty() { "undecidable range".to_owned() } else { why.join("; ") };
                out.undecided.push((entry.advisory_id.clone(), why));
            }
        }
    }
    found
}
