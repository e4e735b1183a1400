//! Building one [`Finding`] from a group of matched advisories.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use microscanner_model::{AffectedPackage, Epss, Finding, Fix, FixState, Kev, MatchDetail, PackageKind};
use microscanner_vulndb::AdvisoryBrief;

use crate::MatchError;
use crate::cache::Cache;
use crate::evaluate::Candidate;
use crate::fix;
use crate::group::{Group, cve_key};
use crate::rating::{self, Context, Rated};
use crate::target::Target;

/// One advisory of the group that the database holds.
struct Doc<'a> {
    id: &'a str,
    details: Rc<AdvisoryBrief>,
    matched: bool,
}

/// The distro family of an OS ecosystem (`Debian:12` → `debian`, `Rocky Linux:9` → `rocky-linux`).
fn distro(ecosystem: &str) -> String {
    ecosystem.split(':').next().unwrap_or(ecosystem).trim().to_ascii_lowercase().replace(' ', "-")
}

/// When no member gives a fix version: the most hopeful distro state among the members
/// (a fix is expected, postponed, undecided, will not come, out of support), else `not-fixed`.
fn unfixed_state(members: &[&Candidate<'_>]) -> FixState {
    const ORDER: [FixState; 5] =
        [FixState::NotFixed, FixState::Postponed, FixState::Undetermined, FixState::WontFix, FixState::EndOfLife];
    ORDER.into_iter().find(|s| members.iter().any(|m| m.state == Some(*s))).unwrap_or(FixState::NotFixed)
}

/// The main advisory page of a finding.
pub(crate) fn primary_url(os_family: Option<&str>, cves: &[&str], matched: &[&str]) -> Option<String> {
    let cve = cves.first();
    match (os_family, cve) {
        (Some("debian"), Some(cve)) => return Some(format!("https://security-tracker.debian.org/tracker/{cve}")),
        (Some("debian"), None) => {
            return matched.first().map(|id| format!("https://security-tracker.debian.org/tracker/{id}"));
        }
        (Some("ubuntu"), Some(cve)) => return Some(format!("https://ubuntu.com/security/{cve}")),
        _ => {}
    }
    let pick = |prefix: &str| matched.iter().find(|id| id.starts_with(prefix));
    if let Some(id) = pick("RUSTSEC-") {
        return Some(format!("https://rustsec.org/advisories/{id}.html"));
    }
    if let Some(id) = pick("GHSA-") {
        return Some(format!("https://github.com/advisories/{id}"));
    }
    if let Some(id) = matched.iter().find(|id| cve_key(id).is_none()) {
        return Some(format!("https://osv.dev/vulnerability/{id}"));
    }
    cve.map(|c| format!("https://nvd.nist.gov/vuln/detail/{c}"))
}

/// The finding of one group, with a placeholder `package` (its kind only) that the caller fills in.
pub(crate) fn finding(
    cache: &mut Cache<'_>,
    kind: PackageKind,
    t: &Target<'_>,
    group: &Group<'_>,
    members: &[&Candidate<'_>],
) -> Result<Finding, MatchError> {
    let os = kind.is_os();
    let mut matched_ids: Vec<&str> = members.iter().map(|m| m.id).collect();
    matched_ids.sort_unstable();
    matched_ids.dedup();
    let cves = group.cves();

    // The group's advisories the database holds: CVE records first, then the matched
    // advisories, then the other aliases (each once; withdrawn aliases are left out).
    let member_by_id: HashMap<&str, &Candidate<'_>> = members.iter().rev().map(|m| (m.id, *m)).collect();
    let mut docs: Vec<Doc<'_>> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut others: Vec<&str> =
        group.ids().filter(|id| matched_ids.binary_search(id).is_err() && cve_key(id).is_none()).collect();
    others.sort_unstable();
    for id in cves.iter().copied().chain(matched_ids.iter().copied()).chain(others) {
        if !seen.insert(id) {
            continue;
        }
        let matched = matched_ids.binary_search(&id).is_ok();
        let details = match member_by_id.get(id).and_then(|m| m.details.clone()) {
            Some(d) => Some(d),
            None => cache.advisory(id)?,
        };
        if let Some(details) = details
            && (matched || details.advisory.withdrawn.is_none())
        {
            docs.push(Doc { id, details, matched });
        }
    }

    let family = distro(t.ecosystem);
    let rpm_distro = os && t.scheme == microscanner_version::VersionScheme::Rpm;
    let rated: Vec<Rated<'_>> = docs
        .iter()
        .map(|d| Rated {
            id: d.id,
            matched: d.matched,
            severities: &d.details.severities,
            distro_word: if rpm_distro && d.matched {
                d.details.advisory.summary.as_deref().and_then(rating::summary_word).map(|w| (family.as_str(), w))
            } else {
                None
            },
        })
        .collect();
    let choice = rating::choose(Context { os, ecosystem: t.ecosystem, name: t.name }, &rated);

    let summary_doc = docs.iter().find(|d| d.details.advisory.summary.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let title = summary_doc.and_then(|d| d.details.advisory.summary.clone());
    let description = summary_doc
        .and_then(|d| d.details.advisory.details.clone().filter(|s| !s.trim().is_empty()))
        .or_else(|| docs.iter().find_map(|d| d.details.advisory.details.clone().filter(|s| !s.trim().is_empty())));

    let primary_url = primary_url(os.then_some(family.as_str()), &cves, &matched_ids);
    let mut urls: HashSet<&str> = HashSet::new();
    if let Some(p) = &primary_url {
        urls.insert(p.as_str());
    }
    let mut references = Vec::new();
    for d in &docs {
        for r in &d.details.advisory.references {
            if urls.insert(r.url.as_str()) {
                references.push(r.url.clone());
            }
        }
    }
    let mut cwes: Vec<String> = docs.iter().flat_map(|d| d.details.advisory.cwes.iter().cloned()).collect();
    cwes.sort_unstable();
    cwes.dedup();

    let cve_published =
        docs.iter().filter(|d| cve_key(d.id).is_some()).find_map(|d| d.details.advisory.published.clone());
    let published = cve_published
        .or_else(|| docs.iter().filter(|d| d.matched).filter_map(|d| d.details.advisory.published.clone()).min());
    let modified = docs.iter().filter_map(|d| d.details.advisory.modified.clone()).max();

    let mut kev = None;
    let mut epss: Option<Epss> = None;
    for cve in &cves {
        if kev.is_none()
            && let Some(k) = cache.kev(cve)?
        {
            kev = Some(Kev { date_added: k.date_added, due_date: k.due_date, ransomware: k.ransomware });
        }
        if let Some(e) = cache.epss(cve)?
            && epss.as_ref().is_none_or(|cur| e.score > cur.score)
        {
            epss = Some(Epss { score: e.score, percentile: e.percentile, date: e.date });
        }
    }

    let mut versions: Vec<String> = members.iter().flat_map(|m| m.fixed.iter().cloned()).collect();
    fix::sort_versions(t.scheme, &mut versions);
    let fix = if versions.is_empty() {
        let state = unfixed_state(members);
        let note = members.iter().filter(|m| m.state == Some(state)).find_map(|m| m.note.clone());
        Fix { state, versions, note }
    } else {
        Fix { state: FixState::Fixed, versions, note: None }
    };

    Ok(Finding {
        id: group.id.to_owned(),
        aliases: group.aliases.iter().map(|s| (*s).to_owned()).collect(),
        package: AffectedPackage {
            kind,
            name: String::new(),
            version: String::new(),
            source_name: None,
            purl: String::new(),
            location: String::new(),
            layer: None,
        },
        fix,
        severity: choice.severity,
        severity_source: choice.source,
        ratings: choice.ratings,
        title,
        description,
        primary_url,
        references,
        cwes,
        published,
        modified,
        kev,
        epss,
        matched: MatchDetail {
            ecosystem: t.ecosystem.to_owned(),
            name: t.name.to_owned(),
            version: t.version.clone().into_owned(),
            advisories: matched_ids.iter().map(|s| (*s).to_owned()).collect(),
        },
        suppression: None,
        in_baseline: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_urls() {
        let d = primary_url(Some("debian"), &["CVE-2023-1393"], &["DSA-5380-1"]);
        assert_eq!(d.as_deref(), Some("https://security-tracker.debian.org/tracker/CVE-2023-1393"));
        let d = primary_url(Some("debian"), &[], &["DSA-5356-2"]);
        assert_eq!(d.as_deref(), Some("https://security-tracker.debian.org/tracker/DSA-5356-2"));
        let u = primary_url(Some("ubuntu"), &["CVE-2023-1"], &["UBUNTU-CVE-2023-1"]);
        assert_eq!(u.as_deref(), Some("https://ubuntu.com/security/CVE-2023-1"));
        let r = primary_url(None, &["CVE-2021-25900"], &["RUSTSEC-2021-0003"]);
        assert_eq!(r.as_deref(), Some("https://rustsec.org/advisories/RUSTSEC-2021-0003.html"));
        let g = primary_url(None, &["CVE-2021-44228"], &["GHSA-jfh8-c2jp-5v3q"]);
        assert_eq!(g.as_deref(), Some("https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"));
        let p = primary_url(None, &["CVE-2019-6975"], &["PYSEC-2019-13"]);
        assert_eq!(p.as_deref(), Some("https://osv.dev/vulnerability/PYSEC-2019-13"));
        let a = primary_url(Some("alpine"), &["CVE-2019-14904"], &["CVE-2019-14904"]);
        assert_eq!(a.as_deref(), Some("https://nvd.nist.gov/vuln/detail/CVE-2019-14904"));
        assert_eq!(primary_url(None, &[], &[]), None);
    }

    #[test]
    fn distro_names() {
        assert_eq!(distro("Debian:12"), "debian");
        assert_eq!(distro("Rocky Linux:9"), "rocky-linux");
        assert_eq!(distro("AlmaLinux:8"), "almalinux");
    }
}
