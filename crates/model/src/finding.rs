//! Findings: one vulnerability in one package, with every identifier, rating and fix we know.

use std::cmp::Ordering;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{Evidence, LayerRef, Package, PackageKind, Severity, cmp_ids};

/// The package a finding is about (a copy of the inventory's fields that reports show, so a
/// report can be read without the inventory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// Which ecosystem it belongs to.
    pub kind: PackageKind,
    /// The package name (the binary package for OS packages).
    pub name: String,
    /// The installed version.
    pub version: String,
    /// The source package the advisory was matched against, when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The package URL.
    pub purl: String,
    /// Where in the image it was found.
    pub location: String,
    /// The layer that introduced it (shared with the package it came from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Arc<LayerRef>>,
    /// How we know it is there; written only for a package seen only in a lockfile
    /// (`declared`), whose findings are counted apart ([`crate::Summary::declared_only`]).
    #[serde(default = "installed", skip_serializing_if = "is_not_declared_only")]
    pub evidence: Evidence,
}

/// The evidence of a package read without one: installed.
fn installed() -> Evidence {
    Evidence::Installed
}

/// Whether `evidence` says more than "declared only".
fn is_not_declared_only(evidence: &Evidence) -> bool {
    *evidence != Evidence::Declared
}

impl AffectedPackage {
    /// Whether the package was seen only in a lockfile, its installed copy absent.
    pub fn is_declared_only(&self) -> bool {
        self.evidence == Evidence::Declared
    }

    /// The affected package for `package`, matched under the name `matched_name` (its source
    /// package, for distro advisories keyed by source): `source_name` is set when the two differ.
    pub fn new(package: &Package, matched_name: &str) -> Self {
        Self {
            kind: package.kind,
            name: package.name.as_str().to_owned(),
            version: package.version.as_str().to_owned(),
            source_name: (matched_name != package.name).then(|| matched_name.to_owned()),
            purl: package.purl().into_owned(),
            location: package.location().to_owned(),
            layer: package.layer.clone(),
            evidence: package.evidence,
        }
    }
}

/// Whether and how a vulnerability can be fixed in this package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixState {
    /// A fixed version exists (`Fix::versions`).
    Fixed,
    /// Affected and no fix is published yet.
    NotFixed,
    /// The distro decided not to fix it (Debian `ignored`, `no-dsa`).
    WontFix,
    /// The distro postponed the fix to a later point release.
    Postponed,
    /// The release or package is out of support: no fix will come.
    EndOfLife,
    /// The distro has not decided yet.
    Undetermined,
}

impl FixState {
    /// The kebab-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::NotFixed => "not-fixed",
            Self::WontFix => "wont-fix",
            Self::Postponed => "postponed",
            Self::EndOfLife => "end-of-life",
            Self::Undetermined => "undetermined",
        }
    }
}

/// The fix of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// Fixed, not fixed, won't fix...
    pub state: FixState,
    /// Versions that fix it (the lowest first), when `state` is `fixed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// The distro's reason for an unfixed state (Debian `no-dsa: Minor issue`, `postponed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What kind of rating a [`Rating`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingKind {
    /// A CVSS v2 vector.
    CvssV2,
    /// A CVSS v3.0 or v3.1 vector.
    CvssV3,
    /// A CVSS v4.0 vector.
    CvssV4,
    /// A vendor's word (Debian urgency, GHSA severity).
    Vendor,
}

/// One source's rating of a vulnerability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// Who rated it: `debian`, `nvd`, `osv` (the advisory's own), `ghsa`, a CNA.
    pub source: String,
    /// CVSS version or vendor word.
    pub kind: RatingKind,
    /// The CVSS vector, or the vendor's word as written.
    pub value: String,
    /// The CVSS base score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The severity this rating means.
    pub severity: Severity,
}

/// A CISA Known Exploited Vulnerabilities entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kev {
    /// When CISA added it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_added: Option<String>,
    /// The remediation due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Whether it is known to be used in ransomware campaigns (`Known`, `Unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ransomware: Option<String>,
}

/// An EPSS score: the probability of exploitation in the next 30 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// Probability, 0..1.
    pub score: f64,
    /// Percentile, 0..1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
    /// The date of the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// How a finding was matched: which database key and advisories said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchDetail {
    /// The ecosystem looked up (`Debian:12`, `PyPI`, `Go`).
    pub ecosystem: String,
    /// The name looked up (the source package for Debian).
    pub name: String,
    /// The version compared (the source version for Debian binNMUs).
    pub version: String,
    /// The advisories whose affected ranges or fix states matched.
    pub advisories: Vec<String>,
}

/// Why a finding is hidden from the report's findings list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionKind {
    /// An entry of the ignore file.
    IgnoreFile,
    /// A VEX statement (`not_affected` or `fixed`).
    Vex,
}

/// The reason a finding was suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Ignore file or VEX.
    pub kind: SuppressionKind,
    /// The file that said so.
    pub source: String,
    /// The reason written there (ignore file `reason`, VEX `impact_statement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// VEX status (`not_affected`, `fixed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// VEX justification (`vulnerable_code_not_in_execute_path`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The ignore entry's expiry date (`2026-12-31`), after which it stops applying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One vulnerability in one package. Advisories that are aliases of each other (a CVE, its GHSA,
/// PYSEC, DSA...) are merged into one finding carrying every id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The primary id: the CVE when there is one, else the first advisory id.
    pub id: String,
    /// Every other id of the same vulnerability, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The affected package.
    pub package: AffectedPackage,
    /// How it can be fixed.
    pub fix: Fix,
    /// The severity used by policy and reports.
    pub severity: Severity,
    /// Which rating the severity came from (`debian`, `osv`, `nvd`, `ghsa`), or `none`.
    pub severity_source: String,
    /// Every rating known, from every source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    /// A one-line title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The main advisory page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_url: Option<String>,
    /// Other links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Weakness ids (`CWE-79`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
    /// When it was first published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// When it was last modified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// The CISA KEV entry, when it is known to be exploited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<Kev>,
    /// The EPSS score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
    /// How it was matched.
    pub matched: MatchDetail,
    /// Set on findings in the report's `suppressed` list: why they are hidden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
    /// True when a `--baseline` report already had this finding (it then does not fail the scan).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_baseline: bool,
}

impl Finding {
    /// Every id of this finding: the primary id, then the aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// What makes this finding "the same finding" as one in another report (`--baseline`,
    /// `microscanner diff`): see [`FindingIdentity`].
    pub fn identity(&self) -> FindingIdentity {
        let mut ids: Vec<String> = self.ids().map(str::to_ascii_lowercase).collect();
        ids.sort_unstable();
        ids.dedup();
        FindingIdentity { package: PackageIdentity::of(&self.package), ids }
    }

    /// The one order findings are listed in, by the matcher and every report: most severe first,
    /// then by id (CVEs numerically, `CVE-2024-9999` before `CVE-2024-10000`, and before other
    /// ids), package name, version, location, kind and purl (a total order on what a report shows
    /// of a finding's package).
    pub fn report_order(&self, other: &Self) -> Ordering {
        other
            .severity
            .cmp(&self.severity)
            .then_with(|| cmp_ids(&self.id, &other.id))
            .then_with(|| self.package.name.cmp(&other.package.name))
            .then_with(|| self.package.version.cmp(&other.package.version))
            .then_with(|| self.package.location.cmp(&other.package.location))
            .then_with(|| self.package.kind.cmp(&other.package.kind))
            .then_with(|| self.package.purl.cmp(&other.package.purl))
    }
}

/// Sorts findings in [`Finding::report_order`] (stable: equal findings keep their order).
///
/// Each finding's sort key is made once (a CVE id's numbers parsed once, not at every
/// comparison), the positions are sorted by it, and each finding is then moved once: a finding is
/// a large struct, and sorting the findings themselves moved each one about log n times. Both
/// costs together were a sixth of the matching time of 13,000 findings.
pub fn sort_findings(findings: &mut Vec<Finding>) {
    let keys: Vec<_> = findings
        .iter()
        .map(|f| {
            let cve = crate::advisory_id::cve_key(&f.id);
            let p = &f.package;
            let id = (cve.is_none(), cve, f.id.as_str());
            (
                std::cmp::Reverse(f.severity),
                id,
                p.name.as_str(),
                p.version.as_str(),
                p.location.as_str(),
                p.kind,
                &p.purl,
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    drop(keys);
    let mut slots: Vec<Option<Finding>> = std::mem::take(findings).into_iter().map(Some).collect();
    findings.extend(order.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)));
}

/// The package part of a [`FindingIdentity`]: which copy of which package, whatever its version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PackageIdentity {
    /// The ecosystem.
    pub kind: PackageKind,
    /// The package name, lowercased (`Django` and `django` are one PyPI package).
    pub name: String,
    /// Where in the image it is: the location, lowercased, with the package's version replaced
    /// by `*` where it is part of a file or directory name, so that an upgrade in place keeps it
    /// (`.../Django-2.2.dist-info/METADATA` and `.../django-2.2.1.dist-info/METADATA` are both
    /// `.../django-*.dist-info/metadata`; `log4j-core-2.14.1.jar` is `log4j-core-*.jar`).
    pub location: String,
}

impl PackageIdentity {
    /// The identity of `package`.
    pub fn of(package: &AffectedPackage) -> Self {
        Self {
            kind: package.kind,
            name: package.name.to_lowercase(),
            location: location_without_version(&package.location, &package.version).to_lowercase(),
        }
    }
}

/// The one definition of "the same finding" across two reports of an image, which `--baseline`
/// and `microscanner diff` (and anything that tracks findings over time) share: the same
/// vulnerability in the same package.
///
/// - The same vulnerability: the two share their primary id or any alias, ignoring case (a
///   finding known by its GHSA id that a later database calls by its CVE is the same finding).
/// - The same package: the same kind (ecosystem), name (ignoring case) and location, where the
///   location ignores the package's own version ([`PackageIdentity`]).
///
/// The installed version is deliberately not part of it: a package upgraded in place that still
/// has the vulnerability has the same finding (a diff calls it "changed"), because nothing new
/// needs a decision; the user has seen that vulnerability in that package before. The location
/// is part of it: a second copy of a package elsewhere in the image is a new thing to fix.
///
/// Sharing an id is not transitive, so this is a relation ([`FindingIdentity::same_as`]), not
/// one hashable value: index an identity under each of its [`FindingIdentity::keys`] and look
/// any of them up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FindingIdentity {
    /// Which package.
    pub package: PackageIdentity,
    /// Every id of the vulnerability (primary and aliases), lowercased, sorted, no duplicates.
    pub ids: Vec<String>,
}

impl FindingIdentity {
    /// True when both are the same finding: the same package, and at least one id in common.
    pub fn same_as(&self, other: &Self) -> bool {
        self.package == other.package && self.ids.iter().any(|id| other.ids.binary_search(id).is_ok())
    }

    /// One (package, id) key per id: two identities are [`FindingIdentity::same_as`] each other
    /// exactly when they have a key in common.
    pub fn keys(&self) -> impl Iterator<Item = (PackageIdentity, String)> + '_ {
        self.ids.iter().map(|id| (self.package.clone(), id.clone()))
    }
}

/// `location` with each occurrence of `version` that forms a whole part of a file or directory
/// name replaced by `*`: preceded by the start, `/`, `-`, `_`, `@`, `=` or `!`, and followed by the
/// end, `/`, `-`, `_`, `!`, or a `.` not followed by a digit (`Django-2.2.dist-info` matches
/// `2.2`; `Django-2.2.1.dist-info` and `python3.2` do not).
fn location_without_version(location: &str, version: &str) -> String {
    if version.is_empty() {
        return location.to_owned();
    }
    let bytes = location.as_bytes();
    let mut out = String::with_capacity(location.len());
    let mut last = 0;
    for (start, _) in location.match_indices(version) {
        if start < last {
            continue;
        }
        let end = start + version.len();
        let before_ok = start == 0 || matches!(bytes[start - 1], b'/' | b'-' | b'_' | b'@' | b'=' | b'!');
        let after_ok = match bytes.get(end) {
            None => true,
            Some(b'/' | b'-' | b'_' | b'!') => true,
            Some(b'.') => !bytes.get(end + 1).is_some_and(u8::is_ascii_digit),
            Some(_) => false,
        };
        if before_ok && after_ok {
            out.push_str(&location[last..start]);
            out.push('*');
            last = end;
        }
    }
    out.push_str(&location[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, severity: Severity, name: &str) -> Finding {
        let package = Package::new(PackageKind::Deb, name, "1").with_purl(format!("pkg:deb/debian/{name}@1"));
        Finding {
            id: id.into(),
            aliases: vec![],
            package: AffectedPackage::new(&package, name),
            fix: Fix { state: FixState::NotFixed, versions: vec![], note: None },
            severity,
            severity_source: "none".into(),
            ratings: vec![],
            title: None,
            description: None,
            primary_url: None,
            references: vec![],
            cwes: vec![],
            published: None,
            modified: None,
            kev: None,
            epss: None,
            matched: MatchDetail {
                ecosystem: "Debian:12".into(),
                name: name.into(),
                version: "1".into(),
                advisories: vec![],
            },
            suppression: None,
            in_baseline: false,
        }
    }

    #[test]
    fn sorting_positions_gives_the_stable_sort_of_the_findings() {
        let ids = ["CVE-2024-10000", "DSA-5000-1", "CVE-2024-9999", "GHSA-xxxx"];
        let severities = [Severity::Low, Severity::High, Severity::Critical];
        let mut findings: Vec<Finding> = (0..60)
            .map(|i| {
                let mut f = finding(ids[i % 4], severities[i % 3], ["a", "b"][i % 2]);
                f.title = Some(format!("copy {i}")); // not compared: tells equal findings apart
                f
            })
            .collect();
        let mut expected = findings.clone();
        expected.sort_by(Finding::report_order);
        sort_findings(&mut findings);
        assert_eq!(findings, expected);
    }

    #[test]
    fn report_order_is_severity_then_cves_numerically_then_package() {
        let mut findings = vec![
            finding("DSA-5000-1", Severity::High, "a"),
            finding("CVE-2024-10000", Severity::High, "a"),
            finding("CVE-2024-9999", Severity::High, "b"),
            finding("CVE-2024-9999", Severity::High, "a"),
            finding("CVE-2020-1", Severity::Low, "a"),
            finding("GHSA-xxxx", Severity::Critical, "a"),
        ];
        sort_findings(&mut findings);
        let order: Vec<(&str, &str)> = findings.iter().map(|f| (f.id.as_str(), f.package.name.as_str())).collect();
        assert_eq!(
            order,
            [
                ("GHSA-xxxx", "a"),
                ("CVE-2024-9999", "a"),
                ("CVE-2024-9999", "b"),
                ("CVE-2024-10000", "a"),
                ("DSA-5000-1", "a"),
                ("CVE-2020-1", "a"),
            ]
        );
    }

    #[test]
    fn version_leaves_the_location() {
        let cases = [
            (
                "/opt/venv/lib/python3.11/site-packages/Django-2.2.dist-info/METADATA",
                "2.2",
                "/opt/venv/lib/python3.11/site-packages/Django-*.dist-info/METADATA",
            ),
            (
                "/opt/venv/lib/python3.11/site-packages/Django-2.2.1.dist-info/METADATA",
                "2.2",
                "/opt/venv/lib/python3.11/site-packages/Django-2.2.1.dist-info/METADATA",
            ),
            ("/app/lib/log4j-core-2.14.1.jar", "2.14.1", "/app/lib/log4j-core-*.jar"),
            ("/app/app.jar!/BOOT-INF/lib/jackson-2.9.jar", "2.9", "/app/app.jar!/BOOT-INF/lib/jackson-*.jar"),
            (
                "/usr/local/bundle/specifications/rack-2.2.3.gemspec",
                "2.2.3",
                "/usr/local/bundle/specifications/rack-*.gemspec",
            ),
            (
                "/root/.nuget/packages/newtonsoft.json/13.0.1/newtonsoft.json.nuspec",
                "13.0.1",
                "/root/.nuget/packages/newtonsoft.json/*/newtonsoft.json.nuspec",
            ),
            ("/usr/lib/python3.2/x-3.2.egg-info", "3.2", "/usr/lib/python3.2/x-*.egg-info"),
            ("/usr/local/bin/app", "1.0", "/usr/local/bin/app"),
            ("/var/lib/dpkg/status", "", "/var/lib/dpkg/status"),
            ("/a/b-1/c-1", "1", "/a/b-*/c-*"),
        ];
        for (location, version, want) in cases {
            assert_eq!(location_without_version(location, version), want, "{location} {version}");
        }
    }
}
