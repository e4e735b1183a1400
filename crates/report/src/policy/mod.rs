//! Policy: what a report shows and whether the scan fails (exit code 4, `DESIGN.md` §6).
//!
//! [`apply`] takes the matcher's findings and a [`Policy`] built from the command line:
//! 1. `--severity LIST` keeps only findings of those severities, `--ignore-unfixed` only those
//!    with a fixed version; the others are dropped (not counted as suppressed).
//! 2. `--baseline OLD.json` marks findings the old report already had ([`Baseline`]).
//! 3. VEX statements ([`VexDocument`]) and then the ignore file ([`IgnoreFile`]) move the
//!    findings they cover to `suppressed`, each with its [`Suppression`] saying why.
//! 4. The verdict: the shown findings that `--fail-on` names ([`FailOn`]: a threshold, plus
//!    `unknown` when asked) and that are not in the baseline fail the scan.
//!
//! Nothing here reads files or prints: the binary reads the ignore file, VEX documents and
//! baseline, passes their bytes and names, and prints the notes [`apply`] returns.

mod baseline;
mod glob;
mod ignore;
mod purl;
mod vex;

use std::cmp::Reverse;

use microscanner_model::{
    Diagnostic, FailOn, Finding, FixState, PolicyVerdict, Report, Severity, Summary, Suppression, SuppressionKind,
};
use time::Date;

pub use baseline::Baseline;
pub use ignore::{IgnoreEntry, IgnoreFile};
pub use vex::{JUSTIFICATIONS, VexDocument, VexProduct, VexStatement, VexStatus};

/// An input to the policy (ignore file, VEX document, baseline report) cannot be used. Every
/// message starts with the file's name and names the entry or field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The ignore file is not valid YAML of the expected shape, or an entry is invalid.
    #[error("{file}: {message}")]
    IgnoreFile {
        /// The file, as the user named it.
        file: String,
        /// What is wrong, naming the entry or key.
        message: String,
    },
    /// A VEX document is not valid OpenVEX JSON.
    #[error("{file}: {message}")]
    Vex {
        /// The file, as the user named it.
        file: String,
        /// What is wrong, naming the field (`statements[1].status: ...`).
        message: String,
    },
    /// A baseline or diff input is not a microscanner JSON report this version can read.
    #[error("{file}: {message}")]
    Report {
        /// The file, as the user named it.
        file: String,
        /// What is wrong.
        message: String,
    },
}

impl PolicyError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            Self::IgnoreFile { file, .. } | Self::Vex { file, .. } | Self::Report { file, .. } => file,
        }
    }
}

/// The policy a scan is judged by, as the command line gave it.
#[derive(Debug, Clone)]
pub struct Policy {
    /// `--severity`: the severities shown; empty shows all.
    pub severities: Vec<Severity>,
    /// `--fail-on`: the severities that fail the scan (a threshold, plus `unknown` when asked);
    /// `None` never fails.
    pub fail_on: Option<FailOn>,
    /// `--ignore-unfixed`: drop findings without a fixed version.
    pub ignore_unfixed: bool,
    /// `--ignore-file`.
    pub ignore: Option<IgnoreFile>,
    /// `--vex`, in the order given (on equal timestamps a later document wins).
    pub vex: Vec<VexDocument>,
    /// `--baseline`.
    pub baseline: Option<Baseline>,
    /// Today's date, for ignore-entry expiry (passed in so results are reproducible).
    pub today: Date,
}

impl Policy {
    /// A policy that shows everything and never fails, on `today`.
    pub fn new(today: Date) -> Self {
        Self {
            severities: Vec::new(),
            fail_on: None,
            ignore_unfixed: false,
            ignore: None,
            vex: Vec::new(),
            baseline: None,
            today,
        }
    }
}

/// What [`apply`] made of the findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The findings shown, most severe first (then id, package).
    pub shown: Vec<Finding>,
    /// The findings hidden by VEX or the ignore file, each with its `suppression`, same order.
    pub suppressed: Vec<Finding>,
    /// The verdict, every field filled.
    pub verdict: PolicyVerdict,
    /// Things the user should know: a baseline file that does not exist yet and expired ignore
    /// entries (warnings), entries without a reason (info). Each names the file (and entry).
    pub notes: Vec<Diagnostic>,
}

impl Applied {
    /// Writes the result into `report`: findings, suppressed, summary, policy verdict, and the
    /// notes appended to its diagnostics.
    pub fn write_into(self, report: &mut Report) {
        report.summary = Summary::count(&self.shown, self.suppressed.len());
        report.policy = self.verdict;
        report.findings = self.shown;
        report.suppressed = self.suppressed;
        report.diagnostics.extend(self.notes);
    }
}

/// Sorts findings the way reports list them: most severe first, then by id, package name,
/// version and location.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (Reverse(a.severity), &a.id, &a.package.name, &a.package.version, &a.package.location).cmp(&(
            Reverse(b.severity),
            &b.id,
            &b.package.name,
            &b.package.version,
            &b.package.location,
        ))
    });
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// Applies `policy` to the matcher's `findings`. A finding that already carries a suppression
/// stays suppressed. Never fails: inputs were validated when they were parsed.
pub fn apply(policy: &Policy, findings: Vec<Finding>) -> Applied {
    let entries: &[IgnoreEntry] = policy.ignore.as_ref().map_or(&[], |i| &i.entries);
    let ignore_source = policy.ignore.as_ref().map_or("", |i| i.source.as_str());
    // per entry: findings it hid, and (expired entries) shown findings it would have hidden
    let mut hid = vec![0usize; entries.len()];
    let mut would_hide = vec![0usize; entries.len()];
    let mut shown = Vec::new();
    let mut suppressed = Vec::new();

    for mut f in findings {
        if !policy.severities.is_empty() && !policy.severities.contains(&f.severity) {
            continue;
        }
        if policy.ignore_unfixed && f.fix.state != FixState::Fixed {
            continue;
        }
        f.in_baseline = policy.baseline.as_ref().is_some_and(|b| b.contains(&f));
        if f.suppression.is_some() {
            suppressed.push(f);
            continue;
        }
        if let Some((doc, statement)) = vex::decide(&policy.vex, &f)
            && statement.status.hides()
        {
            f.suppression = Some(Suppression {
                kind: SuppressionKind::Vex,
                source: doc.source.clone(),
                reason: statement.impact_statement.clone().or_else(|| statement.status_notes.clone()),
                status: Some(statement.status.as_str().to_owned()),
                justification: statement.justification.clone(),
                expires: None,
            });
            suppressed.push(f);
            continue;
        }
        let matching: Vec<usize> = (0..entries.len()).filter(|&i| entries[i].matches(&f)).collect();
        if let Some(&i) = matching.iter().find(|&&i| !entries[i].is_expired(policy.today)) {
            hid[i] += 1;
            let entry = &entries[i];
            f.suppression = Some(Suppression {
                kind: SuppressionKind::IgnoreFile,
                source: ignore_source.to_owned(),
                reason: entry.reason.clone(),
                status: None,
                justification: None,
                expires: entry.expires.map(|d| d.to_string()),
            });
            suppressed.push(f);
            continue;
        }
        for i in matching {
            would_hide[i] += 1;
        }
        shown.push(f);
    }

    let mut notes = Vec::new();
    if let Some(baseline) = policy.baseline.as_ref().filter(|b| b.is_missing()) {
        notes.push(Diagnostic::warning(
            &baseline.source,
            "no baseline yet: every finding is new (the file does not exist; keep this scan's `--format json` \
             report there for the next build to compare with)",
        ));
    }
    for (i, entry) in entries.iter().enumerate() {
        if let Some(expires) = entry.expires.filter(|_| entry.is_expired(policy.today)) {
            let effect = match would_hide[i] {
                0 => "it no longer applies; remove or renew it".to_owned(),
                1 => "it no longer applies, so the finding it matches is shown again; renew or remove it".to_owned(),
                n => {
                    format!("it no longer applies, so the {n} findings it matches are shown again; renew or remove it")
                }
            };
            notes.push(Diagnostic::warning(ignore_source, format!("{} expired on {expires}: {effect}", entry.label())));
        } else if hid[i] > 0 && entry.reason.is_none() {
            notes.push(Diagnostic::info(
                ignore_source,
                format!(
                    "{} hides {} without a `reason`; say why it is accepted",
                    entry.label(),
                    plural(hid[i], "finding")
                ),
            ));
        }
    }

    sort_findings(&mut shown);
    sort_findings(&mut suppressed);
    let failing = policy
        .fail_on
        .map_or(0, |fail_on| shown.iter().filter(|f| fail_on.fails(f.severity) && !f.in_baseline).count());
    let mut severities = policy.severities.clone();
    severities.sort_by_key(|s| Reverse(*s));
    severities.dedup();
    let verdict = PolicyVerdict {
        fail_on: policy.fail_on,
        severities,
        ignore_unfixed: policy.ignore_unfixed,
        baseline: policy.baseline.as_ref().map(|b| b.source.clone()),
        failing,
        failed: failing > 0,
    };
    Applied { shown, suppressed, verdict, notes }
}
