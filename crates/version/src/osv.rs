//! Evaluation of an OSV `affected` entry against an installed version.
//!
//! Follows the OSV schema's "Evaluation" section: a version is affected if it is listed in
//! `versions`, or if any `ECOSYSTEM` or `SEMVER` range affects it. Within a range the events
//! are sorted by version in the range's scheme (`introduced: "0"` first; equal versions keep
//! the order they were written in) and replayed: `introduced` at or below the version turns
//! "affected" on, `fixed` at or below it and `last_affected` below it turn it off. A range with
//! `limit` events only affects versions below at least one limit. `SEMVER` ranges always use
//! SemVer precedence; `ECOSYSTEM` ranges use the package's scheme. `GIT` ranges cannot be
//! evaluated against a package version: they are skipped with an informational diagnostic.
//!
//! Nothing that cannot be parsed is silently "not affected": an unparsable installed version
//! makes the verdict [`Verdict::Unknown`] (unless `versions` lists it verbatim), and a range
//! with an unparsable event that would otherwise say "not affected" says "unknown" instead;
//! both come with a warning diagnostic.

use std::cmp::Ordering;

use microscanner_model::Diagnostic;
use serde::{Deserialize, Serialize};

use crate::VersionScheme;

/// The `package` object of an OSV `affected` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// The ecosystem (`Debian:12`, `PyPI`, ...).
    #[serde(default)]
    pub ecosystem: String,
    /// The package name in that ecosystem.
    #[serde(default)]
    pub name: String,
    /// The package URL, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// One OSV `affected` entry (the fields version evaluation needs; others are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// The affected package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Package>,
    /// Version ranges.
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
}

/// The `type` of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeType {
    /// Versions in the package ecosystem's own scheme.
    Ecosystem,
    /// SemVer 2.0 versions.
    Semver,
    /// Git commit hashes.
    Git,
    /// A type this crate does not know.
    #[serde(other)]
    Unknown,
}

/// One OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// What the event versions are.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// The repository of a `GIT` range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The events, in any order.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One OSV range event. The schema allows exactly one field per event; this type is lenient and
/// evaluation reports an event with none or several as a diagnostic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The version that introduced the vulnerability (`"0"`: every version before the next event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    /// The first version that is fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// The last version that is affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    /// Versions at or above this are outside the range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

impl Event {
    /// An `introduced` event.
    pub fn introduced(v: &str) -> Self {
        Self { introduced: Some(v.to_owned()), ..Self::default() }
    }

    /// A `fixed` event.
    pub fn fixed(v: &str) -> Self {
        Self { fixed: Some(v.to_owned()), ..Self::default() }
    }

    /// A `last_affected` event.
    pub fn last_affected(v: &str) -> Self {
        Self { last_affected: Some(v.to_owned()), ..Self::default() }
    }

    /// A `limit` event.
    pub fn limit(v: &str) -> Self {
        Self { limit: Some(v.to_owned()), ..Self::default() }
    }
}

/// Whether a version is affected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The version is affected.
    Affected,
    /// The version is not affected.
    NotAffected,
    /// It could not be decided (see the diagnostics).
    Unknown,
}

/// The result of [`is_affected`]: a verdict and what got in the way of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affectedness {
    /// The verdict.
    pub verdict: Verdict,
    /// Ranges skipped, versions that could not be parsed, malformed events.
    pub diagnostics: Vec<Diagnostic>,
}

impl Affectedness {
    /// Whether the verdict is [`Verdict::Affected`].
    pub fn is_affected(&self) -> bool {
        self.verdict == Verdict::Affected
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
}

/// Evaluates `affected` for `version`, with ECOSYSTEM ranges ordered by `scheme`.
pub fn is_affected(scheme: VersionScheme, affected: &Affected, version: &str) -> Affectedness {
    let location = match &affected.package {
        Some(p) if !p.name.is_empty() => format!("osv affected {}/{}", p.ecosystem, p.name),
        _ => "osv affected".to_owned(),
    };
    let mut diagnostics = Vec::new();

    // Explicit versions: listed verbatim, or equal in the scheme.
    let listed =
        affected.versions.iter().any(|v| v == version || matches!(scheme.compare(v, version), Ok(Ordering::Equal)));
    if listed {
        return Affectedness { verdict: Verdict::Affected, diagnostics };
    }

    let mut unknown = false;
    let mut bad_installed = false;
    for range in &affected.ranges {
        let range_scheme = match range.kind {
            RangeType::Ecosystem => scheme,
            RangeType::Semver => VersionScheme::Semver,
            RangeType::Git => {
                diagnostics.push(Diagnostic::info(
                    &location,
                    format!(
                        "GIT range{} skipped: commits cannot be compared with a package version",
                        range.repo.as_deref().map(|r| format!(" of {r}")).unwrap_or_default()
                    ),
                ));
                continue;
            }
            RangeType::Unknown => {
                diagnostics.push(Diagnostic::warning(&location, "range of unknown type skipped"));
                unknown = true;
                continue;
            }
        };
        if let Err(err) = range_scheme.validate(version) {
            if !bad_installed {
                diagnostics
                    .push(Diagnostic::warning(&location, format!("installed version cannot be evaluated: {err}")));
                bad_installed = true;
            }
            unknown = true;
            continue;
        }
        match eval_range(range_scheme, range, version, &location, &mut diagnostics) {
            Some(true) => return Affectedness { verdict: Verdict::Affected, diagnostics },
            Some(false) => {}
            None => unknown = true,
        }
    }
    let verdict = if unknown { Verdict::Unknown } else { Verdict::NotAffected };
    Affectedness { verdict, diagnostics }
}

/// Some(affected) or None when a bad event leaves a "not affected" in doubt.
fn eval_range(
    scheme: VersionScheme,
    range: &Range,
    version: &str,
    location: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<bool> {
    let mut doubtful = false;
    let mut events: Vec<(Kind, &str)> = Vec::with_capacity(range.events.len());
    let mut limits: Vec<&str> = Vec::new();
    for event in &range.events {
        let fields = [
            event.introduced.as_deref().map(|v| (Some(Kind::Introduced), v)),
            event.fixed.as_deref().map(|v| (Some(Kind::Fixed), v)),
            event.last_affected.as_deref().map(|v| (Some(Kind::LastAffected), v)),
            event.limit.as_deref().map(|v| (None, v)),
        ];
        let present: Vec<(Option<Kind>, &str)> = fields.into_iter().flatten().collect();
        if present.len() != 1 {
            diagnostics.push(Diagnostic::warning(
                location,
                format!("range event with {} fields (expected exactly one)", present.len()),
            ));
            doubtful = true;
        }
        for (kind, v) in present {
            let is_zero = kind == Some(Kind::Introduced) && v == "0";
            let unbounded_limit = kind.is_none() && v == "*";
            if !is_zero
                && !unbounded_limit
                && let Err(err) = scheme.validate(v)
            {
                diagnostics.push(Diagnostic::warning(location, format!("range event skipped: {err}")));
                doubtful = true;
                continue;
            }
            match kind {
                Some(kind) => events.push((kind, v)),
                None => limits.push(v),
            }
        }
    }
    let cmp = |a: &str, b: &str| scheme.compare(a, b).unwrap_or(Ordering::Equal);
    let is_zero = |&(kind, v): &(Kind, &str)| kind == Kind::Introduced && v == "0";
    events.sort_by(|a, b| match (is_zero(a), is_zero(b)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => cmp(a.1, b.1),
    });
    let mut affected = false;
    for event in &events {
        let (kind, v) = *event;
        match kind {
            Kind::Introduced => {
                if is_zero(event) || cmp(version, v) != Ordering::Less {
                    affected = true;
                }
            }
            Kind::Fixed => {
                if cmp(version, v) != Ordering::Less {
                    affected = false;
                }
            }
            Kind::LastAffected => {
                if cmp(version, v) == Ordering::Greater {
                    affected = false;
                }
            }
        }
    }
    let bounded = limits.iter().any(|l| *l != "*");
    if affected && bounded && !limits.iter().any(|l| *l == "*" || cmp(version, l) == Ordering::Less) {
        affected = false;
    }
    if !affected && doubtful { None } else { Some(affected) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: RangeType, events: Vec<Event>) -> Range {
        Range { kind, repo: None, events }
    }

    fn eco(events: Vec<Event>) -> Affected {
        Affected { package: None, ranges: vec![range(RangeType::Ecosystem, events)], versions: vec![] }
    }

    #[test]
    fn introduced_fixed() {
        let a = eco(vec![Event::fixed("1.2-1"), Event::introduced("1.0-1")]);
        let v = |s| is_affected(VersionScheme::Dpkg, &a, s).verdict;
        assert_eq!(v("0.9"), Verdict::NotAffected);
        assert_eq!(v("1.0-1"), Verdict::Affected);
        assert_eq!(v("1.1"), Verdict::Affected);
        assert_eq!(v("1.2~rc1"), Verdict::Affected);
        assert_eq!(v("1.2-1"), Verdict::NotAffected);
        assert_eq!(v("1:0.1"), Verdict::NotAffected);
    }

    #[test]
    fn introduced_zero_and_last_affected() {
        let a = eco(vec![Event::introduced("0"), Event::last_affected("2.0.0")]);
        assert!(is_affected(VersionScheme::Npm, &a, "0.0.1").is_affected());
        assert!(is_affected(VersionScheme::Npm, &a, "2.0.0").is_affected());
        assert!(!is_affected(VersionScheme::Npm, &a, "2.0.1").is_affected());
    }

    #[test]
    fn multiple_intervals_and_ranges() {
        let a = eco(vec![Event::introduced("0"), Event::fixed("1.5"), Event::introduced("2.0"), Event::fixed("2.3")]);
        let v = |s| is_affected(VersionScheme::Pep440, &a, s).verdict;
        assert_eq!(v("1.4"), Verdict::Affected);
        assert_eq!(v("1.5"), Verdict::NotAffected);
        assert_eq!(v("2.0"), Verdict::Affected);
        assert_eq!(v("2.3"), Verdict::NotAffected);
    }

    #[test]
    fn limit_bounds_the_range() {
        let a = eco(vec![Event::introduced("1.0.0"), Event::limit("1.5.0")]);
        assert!(is_affected(VersionScheme::Semver, &a, "1.4.9").is_affected());
        assert!(!is_affected(VersionScheme::Semver, &a, "1.5.0").is_affected());
        assert!(!is_affected(VersionScheme::Semver, &a, "0.9.0").is_affected());
    }

    #[test]
    fn git_ranges_are_skipped_with_a_diagnostic() {
        let a = Affected {
            package: None,
            ranges: vec![range(RangeType::Git, vec![Event::introduced("abc"), Event::fixed("def")])],
            versions: vec![],
        };
        let r = is_affected(VersionScheme::Go, &a, "1.0.0");
        assert_eq!(r.verdict, Verdict::NotAffected);
        assert_eq!(r.diagnostics.len(), 1);
        assert!(r.diagnostics[0].message.contains("GIT"));
    }

    #[test]
    fn unparsable_installed_version_is_unknown() {
        let a = eco(vec![Event::introduced("0"), Event::fixed("1.2.3")]);
        let r = is_affected(VersionScheme::Npm, &a, "not a version");
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(r.diagnostics.iter().any(|d| d.message.contains("not a version")), "{:?}", r.diagnostics);
    }

    #[test]
    fn unparsable_event_is_not_silently_not_affected() {
        let a = eco(vec![Event::introduced("garbage"), Event::fixed("1.2.3")]);
        let r = is_affected(VersionScheme::Npm, &a, "1.0.0");
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(!r.diagnostics.is_empty());
    }

    #[test]
    fn explicit_versions() {
        let a = Affected { package: None, ranges: vec![], versions: vec!["1.0".into(), "1.1".into()] };
        assert!(is_affected(VersionScheme::Pep440, &a, "1.0.0").is_affected());
        assert!(is_affected(VersionScheme::Pep440, &a, "1.1").is_affected());
        assert_eq!(is_affected(VersionScheme::Pep440, &a, "1.2").verdict, Verdict::NotAffected);
    }

    #[test]
    fn semver_ranges_use_semver() {
        let a = Affected {
            package: None,
            ranges: vec![range(RangeType::Semver, vec![Event::introduced("0"), Event::fixed("1.10.0")])],
            versions: vec![],
        };
        assert!(is_affected(VersionScheme::Generic, &a, "1.9.0").is_affected());
        assert!(!is_affected(VersionScheme::Generic, &a, "1.10.0").is_affected());
    }

    #[test]
    fn deserializes_osv_json() {
        let json = r#"{
            "package": {"ecosystem": "PyPI", "name": "jinja2", "purl": "pkg:pypi/jinja2"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.11.3"}]},
                {"type": "GIT", "repo": "https://github.com/pallets/jinja", "events": [{"introduced": "0"}, {"limit": "*"}]},
                {"type": "SOMETHING_NEW", "events": []}
            ],
            "versions": ["2.0", "2.11.2"],
            "database_specific": {"x": 1}
        }"#;
        let a: Affected = serde_json::from_str(json).unwrap();
        assert_eq!(a.ranges.len(), 3);
        assert_eq!(a.ranges[1].kind, RangeType::Git);
        assert_eq!(a.ranges[2].kind, RangeType::Unknown);
        assert_eq!(a.ranges[0].events[1], Event::fixed("2.11.3"));
        let r = is_affected(VersionScheme::Pep440, &a, "2.10");
        assert_eq!(r.verdict, Verdict::Affected);
    }
}
