//! The baseline (`--baseline OLD.json`): an earlier report of the same image. Findings it
//! already had are still shown but marked `in_baseline`, and they do not fail the scan, so a
//! pipeline can adopt a threshold without first fixing every old finding.

use std::collections::{HashMap, HashSet};

use microscanner_model::{Finding, PackageKind, Report};

use super::PolicyError;

/// The findings of an earlier report, indexed by package.
///
/// A finding is "in the baseline" when the old report had a finding on the same package (same
/// kind and name, ignoring case; location and version may differ, so a moved or upgraded but
/// still vulnerable package stays known) sharing one of its ids or aliases (ignoring case), so a
/// finding whose primary id changed from a GHSA to a CVE after a database update is still known.
/// Both the old report's shown and suppressed findings count: they were known either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The file it was read from (recorded in the verdict).
    pub source: String,
    known: HashMap<(PackageKind, String), HashSet<String>>,
}

impl Baseline {
    /// Parses an old report in microscanner's JSON format (see [`crate::diff::parse_report`]).
    pub fn parse(bytes: &[u8], source: &str) -> Result<Self, PolicyError> {
        Ok(Self::from_report(&crate::diff::parse_report(bytes, source)?, source))
    }

    /// The baseline of `report`, read from `source`.
    pub fn from_report(report: &Report, source: &str) -> Self {
        let mut known: HashMap<(PackageKind, String), HashSet<String>> = HashMap::new();
        for f in report.findings.iter().chain(&report.suppressed) {
            known
                .entry((f.package.kind, f.package.name.to_lowercase()))
                .or_default()
                .extend(f.ids().map(str::to_ascii_lowercase));
        }
        Self { source: source.to_owned(), known }
    }

    /// True when the baseline already had `finding`.
    pub fn contains(&self, finding: &Finding) -> bool {
        self.known
            .get(&(finding.package.kind, finding.package.name.to_lowercase()))
            .is_some_and(|ids| finding.ids().any(|id| ids.contains(&id.to_ascii_lowercase())))
    }

    /// How many findings (shown and suppressed) the old report had, counted per distinct id.
    pub fn len(&self) -> usize {
        self.known.values().map(HashSet::len).sum()
    }

    /// True when the old report had no findings.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}
