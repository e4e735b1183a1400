//! The vulnerability report: the one document every output format is a pure function of.

use serde::{Deserialize, Serialize};

use crate::{Diagnostic, FailOn, Finding, ImageInfo, Inventory, OsInfo, Package, Severity};

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

/// Counts of findings by severity: a report's summary and each part of a report diff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityCounts {
    /// All of them.
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
}

impl SeverityCounts {
    /// Counts the severities of `findings`.
    pub fn count<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut c = Self::default();
        for f in findings {
            c.total += 1;
            *c.slot(f.severity) += 1;
        }
        c
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

    /// The non-zero counts, most severe first, as words: `1 critical, 2 high` (empty when there
    /// are none). One spelling for every line that summarises findings (`watch`, webhooks).
    pub fn breakdown(&self) -> String {
        Severity::ALL
            .into_iter()
            .rev()
            .filter(|s| self.of(*s) > 0)
            .map(|s| format!("{} {s}", self.of(s)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// How many are at or above `threshold` (what a pipeline alerts on).
    pub fn at_or_above(&self, threshold: Severity) -> usize {
        Severity::ALL.into_iter().filter(|s| *s >= threshold).map(|s| self.of(s)).sum()
    }

    /// How many have a severity `fail_on` names (`diff --fail-on high,unknown`).
    pub fn failing(&self, fail_on: FailOn) -> usize {
        Severity::ALL.into_iter().filter(|s| fail_on.fails(*s)).map(|s| self.of(s)).sum()
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

/// The counts of a report's findings. In JSON the severity counts are fields of the summary
/// itself (`total`, `critical`, ..., `fixable`, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The shown findings by severity (`total`: all findings shown).
    #[serde(flatten)]
    pub counts: SeverityCounts,
    /// Findings with a fixed version available.
    pub fixable: usize,
    /// Findings on CISA's KEV list.
    pub known_exploited: usize,
    /// Findings hidden by the ignore file or VEX.
    pub suppressed: usize,
    /// Shown findings on packages seen only in a lockfile, their installed copy absent (counted
    /// in the totals too); whether they fail the scan is [`PolicyVerdict::declared_only_fails`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub declared_only: usize,
}

/// Whether `n` is 0 (for `skip_serializing_if`).
fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    /// Counts `findings` (the shown ones); `suppressed` is how many were hidden.
    pub fn count(findings: &[Finding], suppressed: usize) -> Self {
        Self {
            counts: SeverityCounts::count(findings),
            fixable: findings.iter().filter(|f| f.fix.state == crate::FixState::Fixed).count(),
            known_exploited: findings.iter().filter(|f| f.kev.is_some()).count(),
            suppressed,
            declared_only: findings.iter().filter(|f| f.package.is_declared_only()).count(),
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Whether findings on declared-only packages (a lockfile names them, nothing installed
    /// does) count toward `failing`: true unless `--declared-only-no-fail`.
    pub declared_only_fails: bool,
}

impl Default for PolicyVerdict {
    /// No threshold, nothing failing; declared-only findings would count, as by default.
    fn default() -> Self {
        Self {
            fail_on: None,
            severities: Vec::new(),
            ignore_unfixed: false,
            baseline: None,
            failing: 0,
            failed: false,
            declared_only_fails: true,
        }
    }
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
    #[serde(default = "yes", skip_serializing_if = "Clone::clone")]
    declared_only_fails: bool,
}

/// `true`, the default of a field a report from before it did not write.
fn yes() -> bool {
    true
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
            declared_only_fails: j.declared_only_fails,
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
            declared_only_fails: v.declared_only_fails,
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
    /// Findings shown, in [`Finding::report_order`] (most severe first).
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

/// Which scan a report is of: who wrote it, when it started, how long it took, and the database
/// it was matched against.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanRun {
    /// Who wrote the report.
    pub generator: Generator,
    /// When the scan started (RFC 3339, UTC).
    pub created_at: String,
    /// How long the scan took, in seconds.
    pub duration_seconds: f64,
    /// The database used.
    pub database: Option<DatabaseInfo>,
}

/// A scan's findings as the policy left them: the part of a report the policy decides.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgedFindings {
    /// The findings shown, in [`Finding::report_order`].
    pub shown: Vec<Finding>,
    /// The findings hidden by VEX or the ignore file, each with its `suppression`, same order.
    pub suppressed: Vec<Finding>,
    /// The verdict, every field filled.
    pub verdict: PolicyVerdict,
    /// Things the user should know about the policy's inputs (a baseline file that does not exist
    /// yet, expired ignore entries, entries without a reason), each naming its file.
    pub notes: Vec<Diagnostic>,
}

/// What a report is built from, less the policy's judgement: a report taken apart to be judged
/// again ([`Report::into_scan`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ScanResult {
    /// Which scan it is.
    pub run: ScanRun,
    /// What was found: image, OS, packages and every diagnostic.
    pub inventory: Inventory,
    /// What was covered.
    pub coverage: Coverage,
    /// Every finding, shown and suppressed.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The report of a scan: `inventory` (whose diagnostics are the scan's, the policy's notes
    /// added after them), what the match covered and the findings as the policy judged them; the
    /// summary is counted from those.
    pub fn new(run: ScanRun, inventory: Inventory, coverage: Coverage, judged: JudgedFindings) -> Self {
        let ScanRun { generator, created_at, duration_seconds, database } = run;
        let Inventory { image, os, packages, mut diagnostics, .. } = inventory;
        diagnostics.extend(judged.notes);
        Self {
            schema_version: REPORT_SCHEMA_VERSION.to_owned(),
            generator,
            created_at,
            duration_seconds,
            image,
            os,
            database,
            summary: Summary::count(&judged.shown, judged.suppressed.len()),
            policy: judged.verdict,
            coverage,
            findings: judged.shown,
            suppressed: judged.suppressed,
            packages,
            diagnostics,
        }
    }

    /// Takes the report apart into what [`Report::new`] builds it from, every finding (shown,
    /// then suppressed) in one list for a policy to judge again.
    pub fn into_scan(self) -> ScanResult {
        let mut findings = self.findings;
        findings.extend(self.suppressed);
        let run = ScanRun {
            generator: self.generator,
            created_at: self.created_at,
            duration_seconds: self.duration_seconds,
            database: self.database,
        };
        let inventory = Inventory {
            image: self.image,
            os: self.os,
            packages: self.packages,
            diagnostics: self.diagnostics,
            dependencies: Vec::new(),
        };
        ScanResult { run, inventory, coverage: self.coverage, findings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_lists_the_non_zero_counts_most_severe_first() {
        let c = SeverityCounts { total: 4, critical: 1, low: 2, unknown: 1, ..SeverityCounts::default() };
        assert_eq!(c.breakdown(), "1 critical, 2 low, 1 unknown");
        assert_eq!(SeverityCounts::default().breakdown(), "");
    }
}
