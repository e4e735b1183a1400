//! The vulnerability report: the one document every output format is a pure function of.

use serde::{Deserialize, Serialize};

use crate::{Diagnostic, FailOn, Finding, ImageInfo, OsInfo, Package, Severity};

/// The version of the report JSON schema (`docs/report.schema.json`). Bumped on any
/// incompatible change; additions of optional fields keep it.
pub const REPORT_SCHEMA_VERSION: &str = "1.0";

/// The program that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generator {
    /// `microscanner`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The vulnerability database a scan used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// When it was built (RFC 3339).
    pub built_at: String,
    /// Its schema version.
    pub schema_version: u32,
    /// The feeds it was built from, each with the newest record time it holds.
    #[serde(default)]
    pub sources: Vec<DatabaseSource>,
}

/// One feed of the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSource {
    /// The feed's name (`osv:PyPI`, `debian-dsa`).
    pub name: String,
    /// Its newest record or download time, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// All findings shown.
    pub total: usize,
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Negligible.
    pub negligible: usize,
    /// Unknown.
    pub unknown: usize,
    /// Findings with a fixed version available.
    pub fixable: usize,
    /// Findings on CISA's KEV list.
    pub known_exploited: usize,
    /// Findings hidden by the ignore file or VEX.
    pub suppressed: usize,
}

impl Summary {
    /// Counts `findings` (the shown ones); `suppressed` is how many were hidden.
    pub fn count(findings: &[Finding], suppressed: usize) -> Self {
        let mut s = Self { total: findings.len(), suppressed, ..Self::default() };
        for f in findings {
            *s.slot(f.severity) += 1;
            s.fixable += usize::from(f.fix.state == crate::FixState::Fixed);
            s.known_exploited += usize::from(f.kev.is_some());
        }
        s
    }

    /// The count of one severity.
    pub fn of(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Negligible => self.negligible,
            Severity::Unknown => self.unknown,
        }
    }

    fn slot(&mut self, severity: Severity) -> &mut usize {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Negligible => &mut self.negligible,
            Severity::Unknown => &mut self.unknown,
        }
    }
}

/// One ecosystem the matcher looked packages up in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveredEcosystem {
    /// The ecosystem (`Debian:12`, `PyPI`).
    pub ecosystem: String,
    /// How many packages were looked up in it.
    pub packages: usize,
    /// How many advisory entries the database has for it (0: nothing could be found).
    pub database_entries: u64,
}

/// Something that was not (fully) scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// What: a path in the image, an ecosystem, a package.
    pub what: String,
    /// Why, in one line.
    pub reason: String,
}

/// What the scan covered: every report carries it, so "no findings" can be told apart from
/// "nothing was looked at".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Packages in the inventory.
    pub packages: usize,
    /// Packages looked up in the database.
    pub packages_matched: usize,
    /// Ecosystems looked up, with package and database counts.
    #[serde(default)]
    pub ecosystems: Vec<CoveredEcosystem>,
    /// What was skipped and why (unknown OS, binaries without build info, unreadable databases,
    /// ecosystems the database has no data for). Every file an analyzer wanted and did not get
    /// (over its size bound, not a regular file, a broken symlink) is listed here with its path.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// False when part of the image could not be analysed (`--fail-on-incomplete` exits 5).
    pub complete: bool,
}

/// The policy a report was judged by, and its verdict.
///
/// In JSON, `fail_on` is written as two fields, so that readers of schema 1.0 reports before
/// `--fail-on high,unknown` existed keep reading the threshold they know: `fail_on` (the
/// threshold) and `fail_on_unknown` (true when unrated findings fail too; left out when false).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PolicyVerdictJson", into = "PolicyVerdictJson")]
pub struct PolicyVerdict {
    /// Which severities fail the scan (`--fail-on`), if any do.
    pub fail_on: Option<FailOn>,
    /// The severities shown (`--severity`); empty means all.
    pub severities: Vec<Severity>,
    /// Whether findings without a fix were hidden.
    pub ignore_unfixed: bool,
    /// The baseline report, when one was given.
    pub baseline: Option<String>,
    /// How many shown findings `fail_on` fails (and not in the baseline).
    pub failing: usize,
    /// True when `failing > 0`: the scan fails (exit 4) unless `--continue-on-failure`.
    pub failed: bool,
}

/// [`PolicyVerdict`] as JSON writes it.
#[derive(Serialize, Deserialize)]
struct PolicyVerdictJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fail_on: Option<Severity>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    fail_on_unknown: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    severities: Vec<Severity>,
    #[serde(default)]
    ignore_unfixed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    baseline: Option<String>,
    failing: usize,
    failed: bool,
}

impl From<PolicyVerdictJson> for PolicyVerdict {
    fn from(j: PolicyVerdictJson) -> Self {
        // `fail_on_unknown` without a threshold is not something we write; read it as the
        // threshold it can only mean to add to: none.
        let fail_on = j.fail_on.map(|t| {
            let f = FailOn::at_or_above(t);
            if j.fail_on_unknown { f.and_unknown() } else { f }
        });
        Self {
            fail_on,
            severities: j.severities,
            ignore_unfixed: j.ignore_unfixed,
            baseline: j.baseline,
            failing: j.failing,
            failed: j.failed,
        }
    }
}

impl From<PolicyVerdict> for PolicyVerdictJson {
    fn from(v: PolicyVerdict) -> Self {
        Self {
            fail_on: v.fail_on.map(FailOn::threshold),
            fail_on_unknown: v.fail_on.is_some_and(FailOn::adds_unknown),
            severities: v.severities,
            ignore_unfixed: v.ignore_unfixed,
            baseline: v.baseline,
            failing: v.failing,
            failed: v.failed,
        }
    }
}

/// A vulnerability report: the inventory, the findings and what policy made of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: String,
    /// Who wrote it.
    pub generator: Generator,
    /// When the scan started (RFC 3339, UTC).
    pub created_at: String,
    /// How long the scan took, in seconds.
    pub duration_seconds: f64,
    /// What was scanned.
    pub image: ImageInfo,
    /// The operating system, if recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// The database used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseInfo>,
    /// Counts of the shown findings.
    pub summary: Summary,
    /// The policy and its verdict.
    pub policy: PolicyVerdict,
    /// What was covered and what was skipped.
    pub coverage: Coverage,
    /// Findings shown, most severe first.
    pub findings: Vec<Finding>,
    /// Findings hidden by the ignore file or VEX, each with its `suppression`.
    #[serde(default)]
    pub suppressed: Vec<Finding>,
    /// The inventory's packages.
    pub packages: Vec<Package>,
    /// Problems met that did not stop the scan.
    #[serde(default)]
    pub diagnostics: Vec<Diagnostic>,
}
