//! Differences between two reports of (usually) the same image: `microscanner diff OLD.json
//! NEW.json` says which findings are new, which are fixed and which changed, so a pipeline can
//! alert on new findings only.
//!
//! Findings are matched across the reports by [`Finding::identity`], the one definition of "the
//! same finding" that `--baseline` uses too (so both count the same findings as new): the same
//! package (kind, name and location, whatever its version) and a shared id or alias, ignoring
//! case. A finding whose primary id changed from a GHSA to a CVE after a database update is
//! "changed", not "new" plus "fixed"; so is a package that was upgraded in place and still has the
//! finding (its version). A copy of a package at another location is another package: its
//! findings are new (and those of a copy that went away are fixed). A finding is new exactly when
//! the old report had no finding the same as it, and fixed exactly when the new report has none.
//!
//! Only shown findings count as new or fixed. A finding that moved between shown and suppressed
//! (a VEX statement or ignore entry was added, removed or expired) is "changed", and findings
//! suppressed in both reports, or only present suppressed, are left out.

mod table;

use std::cmp::Reverse;
use std::collections::HashMap;

use microscanner_model::{
    Finding, FixState, PackageIdentity, REPORT_SCHEMA_VERSION, Report, SeverityCounts, Summary, sort_findings,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::format::parse_name;
use crate::policy::PolicyError;

pub use table::render_diff_table;

/// The formats `diff --format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiffFormat {
    /// For people ([`render_diff_table`]).
    Table,
    /// The [`ReportDiff`] as JSON ([`render_diff_json`]).
    Json,
}

impl DiffFormat {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Self; 2] = [Self::Table, Self::Json];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::Json => "json",
        }
    }
}

impl std::fmt::Display for DiffFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DiffFormat {
    type Err = String;

    /// Any case (`JSON`); an unknown name is an error that suggests the nearest one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("diff format", s, &Self::ALL, Self::name)
    }
}

/// One of the two reports compared: enough to say which scan it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSide {
    /// The image scanned (as the report names it).
    pub image: String,
    /// Its manifest digest, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// When the scan ran.
    pub created_at: String,
    /// When the database it used was built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_built_at: Option<String>,
    /// The report's own summary.
    pub summary: Summary,
}

impl DiffSide {
    fn of(report: &Report) -> Self {
        Self {
            image: report.image.name.clone(),
            manifest_digest: report.image.manifest_digest.clone(),
            created_at: report.created_at.clone(),
            database_built_at: report.database.as_ref().map(|d| d.built_at.clone()),
            summary: report.summary,
        }
    }
}

/// The counts of a diff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    /// New findings by severity.
    pub new: SeverityCounts,
    /// Fixed findings by (old) severity.
    pub fixed: SeverityCounts,
    /// Changed findings by (new) severity.
    pub changed: SeverityCounts,
    /// Findings present and shown in both reports without a difference that matters.
    pub unchanged: usize,
}

/// A finding present in both reports that differs between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangedFinding {
    /// As the old report had it.
    pub before: Finding,
    /// As the new report has it.
    pub after: Finding,
    /// What changed, one short phrase each (`severity medium -> high`, `fix available: 2.2.3`,
    /// `version 2.2 -> 2.2.1`, `id GHSA-... -> CVE-...`, `now suppressed by vex ...`). The
    /// location is the same, up to the version in it (`Django-2.2.dist-info`): it is part of
    /// what makes two findings the same.
    pub changes: Vec<String>,
}

/// The version of the diff JSON document ([`render_diff_json`]). Bumped on any incompatible
/// change; additions of optional fields keep it.
pub const DIFF_SCHEMA_VERSION: &str = "1.0";

/// The difference between two reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDiff {
    /// [`DIFF_SCHEMA_VERSION`].
    pub schema_version: String,
    /// The old report (the first argument).
    pub old: DiffSide,
    /// The new report (the second argument), the one `new`, `fixed` and `changed` lead to.
    pub current: DiffSide,
    /// Counts of new, fixed, changed and unchanged findings.
    pub summary: DiffSummary,
    /// Findings shown in the new report that the old one did not have, in
    /// [`Finding::report_order`] (most severe first).
    pub new: Vec<Finding>,
    /// Findings shown in the old report that the new one no longer has (fixed, or the package
    /// is gone), as the old report had them, in [`Finding::report_order`].
    pub fixed: Vec<Finding>,
    /// Findings in both that changed, in [`Finding::report_order`] of the new report's finding.
    pub changed: Vec<ChangedFinding>,
}

impl ReportDiff {
    /// True when there is nothing new, fixed or changed.
    pub fn is_empty(&self) -> bool {
        self.new.is_empty() && self.fixed.is_empty() && self.changed.is_empty()
    }
}

fn fix_versions(f: &Finding) -> String {
    if f.fix.versions.is_empty() { "(no version given)".to_owned() } else { f.fix.versions.join(", ") }
}

fn describe_suppression(f: &Finding) -> String {
    let Some(s) = &f.suppression else {
        return String::new();
    };
    let mut text = match s.kind {
        microscanner_model::SuppressionKind::Vex => format!("VEX {}", s.status.as_deref().unwrap_or("statement")),
        microscanner_model::SuppressionKind::IgnoreFile => "ignore file".to_owned(),
    };
    if !s.source.is_empty() {
        text.push_str(&format!(" in {}", s.source));
    }
    text
}

/// The phrases describing how `before` became `after`.
fn changes(before: &Finding, after: &Finding) -> Vec<String> {
    let mut out = Vec::new();
    if before.id != after.id {
        out.push(format!("id {} -> {}", before.id, after.id));
    }
    if before.severity != after.severity {
        out.push(format!("severity {} -> {}", before.severity, after.severity));
    }
    if before.package.version != after.package.version {
        out.push(format!("version {} -> {}", before.package.version, after.package.version));
    }
    match (before.fix.state == FixState::Fixed, after.fix.state == FixState::Fixed) {
        (false, true) => out.push(format!("fix available: {}", fix_versions(after))),
        (true, true) if before.fix.versions != after.fix.versions => {
            out.push(format!("fixed in {} -> {}", fix_versions(before), fix_versions(after)));
        }
        _ if before.fix.state != after.fix.state => {
            out.push(format!("fix state {} -> {}", before.fix.state.as_str(), after.fix.state.as_str()));
        }
        _ => {}
    }
    match (before.kev.is_some(), after.kev.is_some()) {
        (false, true) => out.push("now known exploited (CISA KEV)".to_owned()),
        (true, false) => out.push("no longer on CISA KEV".to_owned()),
        _ => {}
    }
    match (before.suppression.is_some(), after.suppression.is_some()) {
        (false, true) => out.push(format!("now suppressed by {}", describe_suppression(after))),
        (true, false) => out.push(format!("no longer suppressed (was {})", describe_suppression(before))),
        _ => {}
    }
    out
}

/// How the findings of two reports correspond, by [`Finding::identity`].
struct Matching {
    /// `pairs[new index]`: the old finding the new one is compared with, when the old report had
    /// the same finding; `None`: the finding is new.
    pairs: Vec<Option<usize>>,
    /// `seen[old index]`: the new report has the same finding (else it was fixed).
    seen: Vec<bool>,
}

/// Matches the findings of the old and new reports: two are the same finding when their
/// identities are ([`microscanner_model::FindingIdentity::same_as`]), exactly as `--baseline`
/// decides. Each new finding is compared with one old finding of the same identity: one at the
/// same location, version and primary id first, then one not compared yet, at the same
/// location, then the same version, then with the same primary id.
fn match_findings(old: &[&Finding], new: &[&Finding]) -> Matching {
    let mut index: HashMap<(PackageIdentity, String), Vec<usize>> = HashMap::new();
    for (o, f) in old.iter().enumerate() {
        for key in f.identity().keys() {
            index.entry(key).or_default().push(o);
        }
    }
    let candidates: Vec<Vec<usize>> = new
        .iter()
        .map(|f| {
            let mut c: Vec<usize> = f.identity().keys().filter_map(|k| index.get(&k)).flatten().copied().collect();
            c.sort_unstable();
            c.dedup();
            c
        })
        .collect();
    let mut seen = vec![false; old.len()];
    for &o in candidates.iter().flatten() {
        seen[o] = true;
    }
    let mut taken = vec![false; old.len()];
    let mut pairs = vec![None; new.len()];
    // pass 1: the very same finding (location, version, primary id)
    for (n, f) in new.iter().enumerate() {
        let exact = candidates[n].iter().copied().find(|&o| {
            let c = old[o];
            !taken[o]
                && c.package.location == f.package.location
                && c.package.version == f.package.version
                && c.id.eq_ignore_ascii_case(&f.id)
        });
        if let Some(o) = exact {
            taken[o] = true;
            pairs[n] = Some(o);
        }
    }
    // pass 2: the closest of the same identity
    for (n, f) in new.iter().enumerate() {
        if pairs[n].is_some() {
            continue;
        }
        let best = candidates[n].iter().copied().max_by_key(|&o| {
            let c = old[o];
            (
                !taken[o],
                c.package.location == f.package.location,
                c.package.version == f.package.version,
                c.id.eq_ignore_ascii_case(&f.id),
                Reverse(o),
            )
        });
        if let Some(o) = best {
            taken[o] = true;
            pairs[n] = Some(o);
        }
    }
    Matching { pairs, seen }
}

/// How two lists of findings differ, by [`Finding::identity`]: what [`diff`] says about two
/// reports, and what `microscanner watch` says about a remembered image's last result and its
/// result against a newer database (one definition of "new" for both).
#[derive(Debug, Clone, PartialEq)]
pub struct FindingsDiff {
    /// Findings shown in the later list that the earlier one did not have, in
    /// [`Finding::report_order`].
    pub new: Vec<Finding>,
    /// Findings shown in the earlier list that the later one no longer has, in
    /// [`Finding::report_order`].
    pub fixed: Vec<Finding>,
    /// Findings in both that changed, in [`Finding::report_order`] of the later finding.
    pub changed: Vec<ChangedFinding>,
    /// Findings shown in both without a difference that matters.
    pub unchanged: usize,
}

/// Compares two lists of findings (shown and suppressed together; a finding is shown when it has
/// no `suppression`): what is new in `new`, fixed since `old`, and changed, exactly as [`diff`]
/// compares the findings of two reports.
pub fn diff_findings(old: &[&Finding], new: &[&Finding]) -> FindingsDiff {
    let is_shown = |f: &Finding| f.suppression.is_none();
    let Matching { pairs, seen } = match_findings(old, new);

    let mut added = Vec::new();
    let mut changed = Vec::new();
    let mut unchanged = 0;
    for (n, pair) in pairs.iter().enumerate() {
        let after = new[n];
        match pair {
            None if is_shown(after) => added.push(after.clone()),
            None => {}
            Some(o) => {
                let before = old[*o];
                if !is_shown(before) && !is_shown(after) {
                    continue;
                }
                let what = changes(before, after);
                if what.is_empty() {
                    unchanged += 1;
                } else {
                    changed.push(ChangedFinding { before: before.clone(), after: after.clone(), changes: what });
                }
            }
        }
    }
    let mut fixed: Vec<Finding> =
        old.iter().zip(&seen).filter(|(f, seen)| !**seen && is_shown(f)).map(|(f, _)| (*f).clone()).collect();
    sort_findings(&mut added);
    sort_findings(&mut fixed);
    changed.sort_by(|a, b| a.after.report_order(&b.after));
    FindingsDiff { new: added, fixed, changed, unchanged }
}

/// Compares two reports: what is new in `new`, fixed since `old`, and changed.
pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let old_all: Vec<&Finding> = old.findings.iter().chain(&old.suppressed).collect();
    let new_all: Vec<&Finding> = new.findings.iter().chain(&new.suppressed).collect();
    let FindingsDiff { new: added, fixed, changed, unchanged } = diff_findings(&old_all, &new_all);
    let summary = DiffSummary {
        new: SeverityCounts::count(&added),
        fixed: SeverityCounts::count(&fixed),
        changed: SeverityCounts::count(changed.iter().map(|c| &c.after)),
        unchanged,
    };
    ReportDiff {
        schema_version: DIFF_SCHEMA_VERSION.to_owned(),
        old: DiffSide::of(old),
        current: DiffSide::of(new),
        summary,
        new: added,
        fixed,
        changed,
    }
}

/// Reads a report in microscanner's JSON format (`scan --format json`) from `bytes`, read from
/// `source` (a file name, for messages). Used by `diff` and by `--baseline`. Refuses documents
/// without a `schema_version` (another tool's JSON, or `--format microscanner`) and documents of
/// another major schema version.
pub fn parse_report(bytes: &[u8], source: &str) -> Result<Report, PolicyError> {
    let invalid = |message: String| PolicyError::Report { file: source.to_owned(), message };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(invalid("not a microscanner JSON report: expected a JSON object".to_owned()));
    };
    let supported_major = REPORT_SCHEMA_VERSION.split('.').next().unwrap_or(REPORT_SCHEMA_VERSION);
    match obj.get("schema_version") {
        Some(Value::String(v)) if v.split('.').next() == Some(supported_major) => {}
        Some(Value::String(v)) => {
            return Err(invalid(format!(
                "report schema_version {v:?} is not supported: this microscanner reads version {supported_major}.x \
                 reports (schema {REPORT_SCHEMA_VERSION})"
            )));
        }
        Some(_) => return Err(invalid("schema_version: expected a string such as \"1.0\"".to_owned())),
        None => {
            return Err(invalid(
                "not a microscanner JSON report: no `schema_version` (write reports with `scan --format json`)"
                    .to_owned(),
            ));
        }
    }
    serde_json::from_slice::<Report>(bytes).map_err(|e| invalid(format!("not a microscanner JSON report: {e}")))
}

/// The diff as pretty JSON (the [`ReportDiff`] as serde writes it, `summary` block included),
/// ending with a newline.
pub fn render_diff_json(d: &ReportDiff) -> Vec<u8> {
    // Serialising these types cannot fail: every map key is a string.
    let mut out = serde_json::to_vec_pretty(d).unwrap_or_default();
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_in_any_case_and_typos_get_a_suggestion() {
        assert_eq!("TABLE".parse::<DiffFormat>(), Ok(DiffFormat::Table));
        assert_eq!("json".parse::<DiffFormat>(), Ok(DiffFormat::Json));
        let err = "jsno".parse::<DiffFormat>().unwrap_err();
        assert!(err.contains("did you mean json?"), "{err}");
        assert!(err.contains("expected one of table, json"), "{err}");
    }
}
