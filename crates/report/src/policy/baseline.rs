//! The baseline (`--baseline OLD.json`): an earlier report of the same image. Findings it
//! already had are still shown but marked `in_baseline`, and they do not fail the scan, so a
//! pipeline can adopt a threshold without first fixing every old finding.

use std::collections::HashSet;

use microscanner_model::{Finding, PackageIdentity, Report};

use super::PolicyError;

/// The findings of an earlier report, indexed by identity.
///
/// A finding is "in the baseline" when the old report had the same finding in the sense of
/// [`Finding::identity`], the definition `microscanner diff` uses too: the same package (kind,
/// name and location, whatever the version) and a shared id or alias (ignoring case), so a
/// package upgraded in place that is still vulnerable stays known, and so does a finding whose
/// primary id changed from a GHSA to a CVE after a database update; a copy of the package at
/// another location is new. Both the old report's shown and suppressed findings count: they were
/// known either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The file it was read from (recorded in the verdict).
    pub source: String,
    known: HashSet<(PackageIdentity, String)>,
    findings: usize,
    missing: bool,
}

impl Baseline {
    /// Parses an old report in microscanner's JSON format (see [`crate::diff::parse_report`]).
    pub fn parse(bytes: &[u8], source: &str) -> Result<Self, PolicyError> {
        Ok(Self::from_report(&crate::diff::parse_report(bytes, source)?, source))
    }

    /// The baseline of `report`, read from `source`.
    pub fn from_report(report: &Report, source: &str) -> Self {
        let all = || report.findings.iter().chain(&report.suppressed);
        let known = all().flat_map(|f| f.identity().keys().collect::<Vec<_>>()).collect();
        Self { source: source.to_owned(), known, findings: all().count(), missing: false }
    }

    /// The baseline of a pipeline's first build: `source` does not exist yet, so every finding is
    /// new. [`super::apply`] says so in a warning (not an error: the first build has no earlier
    /// report to compare with).
    pub fn missing(source: &str) -> Self {
        Self { source: source.to_owned(), known: HashSet::new(), findings: 0, missing: true }
    }

    /// True for [`Baseline::missing`]: the file did not exist.
    pub fn is_missing(&self) -> bool {
        self.missing
    }

    /// True when the baseline already had `finding`.
    pub fn contains(&self, finding: &Finding) -> bool {
        finding.identity().keys().any(|key| self.known.contains(&key))
    }

    /// How many findings (shown and suppressed) the old report had.
    pub fn len(&self) -> usize {
        self.findings
    }

    /// True when the old report had no findings.
    pub fn is_empty(&self) -> bool {
        self.findings == 0
    }
}
