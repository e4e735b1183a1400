//! Policy: what a report shows and whether the scan fails (exit code 4, `DESIGN.md` §6).
//!
//! [`apply`] takes the matcher's findings and a [`Policy`] built from the command line:
//! 1. `--severity LIST` keeps only findings of those severities, `--ignore-unfixed` only those
//!    with a fixed version; the others are dropped (not counted as suppressed).
//! 2. `--baseline OLD.json` marks findings the old report already had ([`Baseline`]).
//! 3. VEX statements ([`VexDocument`]) and then the ignore file ([`IgnoreFile`]) move the
//!    findings they cover to `suppressed`, each with its [`Suppression`] saying why.
//! 4. The verdict: the shown findings that `--fail-on` names ([`FailOn`]: a threshold, plus
//!    `unknown` when asked) and that are not in the baseline fail the scan; with
//!    `--declared-only-no-fail`, those on declared-only packages (a lockfile names them, nothing
//!    installed does) do not.
//!
//! Nothing here reads files or prints: the binary reads the ignore file, VEX documents and
//! baseline, passes their bytes and names, and prints the notes [`apply`] returns. The findings
//! are listed in [`Finding::report_order`].

mod baseline;
mod glob;
mod ignore;
pub(crate) mod purl;
mod vex;

use std::cmp::Reverse;

use microscanner_model::{
    Diagnostic, FailOn, Finding, FixState, JudgedFindings, PolicyVerdict, Severity, Suppression, SuppressionKind,
    sort_findings,
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
    /// Whether findings on declared-only packages (named by a lockfile, not installed) fail the
    /// scan like the others: true unless `--declared-only-no-fail`. They are shown either way,
    /// and counted apart.
    pub declared_only_fails: bool,
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
            declared_only_fails: true,
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

/// Applies `policy` to the matcher's `findings`: drops what `--severity` and `--ignore-unfixed`
/// leave out, marks the baseline's findings, moves what VEX or the ignore file hides to
/// `suppressed`, and gives the verdict, with notes on the policy's inputs. A finding that already
/// carries a suppression stays suppressed. Never fails: inputs were validated when they were
/// parsed.
pub fn apply(policy: &Policy, findings: Vec<Finding>) -> JudgedFindings {
    let mut judging = Judging::new(policy);
    for f in findings.into_iter().filter(|f| policy.selects(f)) {
        judging.judge(f);
    }
    judging.finish()
}

impl Policy {
    /// Whether `--severity` and `--ignore-unfixed` keep `f` at all.
    fn selects(&self, f: &Finding) -> bool {
        (self.severities.is_empty() || self.severities.contains(&f.severity))
            && (!self.ignore_unfixed || f.fix.state == FixState::Fixed)
    }

    /// The ignore file's entries (none without one).
    fn ignore_entries(&self) -> &[IgnoreEntry] {
        self.ignore.as_ref().map_or(&[], |i| &i.entries)
    }

    /// The ignore file's name, as the user gave it.
    fn ignore_source(&self) -> &str {
        self.ignore.as_ref().map_or("", |i| i.source.as_str())
    }

    /// The verdict on the `shown` findings: those `--fail-on` names that are not in the baseline
    /// fail the scan.
    fn verdict(&self, shown: &[Finding]) -> PolicyVerdict {
        let counts = |f: &&Finding| self.declared_only_fails || !f.package.is_declared_only();
        let failing = self.fail_on.map_or(0, |fail_on| {
            shown.iter().filter(counts).filter(|f| fail_on.fails(f.severity) && !f.in_baseline).count()
        });
        let mut severities = self.severities.clone();
        severities.sort_by_key(|s| Reverse(*s));
        severities.dedup();
        PolicyVerdict {
            fail_on: self.fail_on,
            severities,
            ignore_unfixed: self.ignore_unfixed,
            baseline: self.baseline.as_ref().map(|b| b.source.clone()),
            failing,
            failed: failing > 0,
            declared_only_fails: self.declared_only_fails,
        }
    }
}

/// The policy at work on one list of findings.
struct Judging<'p> {
    policy: &'p Policy,
    /// Per ignore entry: how many findings it hid.
    hid: Vec<usize>,
    /// Per (expired) ignore entry: how many shown findings it would have hidden.
    would_hide: Vec<usize>,
    shown: Vec<Finding>,
    suppressed: Vec<Finding>,
}

impl<'p> Judging<'p> {
    fn new(policy: &'p Policy) -> Self {
        let entries = policy.ignore_entries().len();
        Self { policy, hid: vec![0; entries], would_hide: vec![0; entries], shown: Vec::new(), suppressed: Vec::new() }
    }

    /// Marks `f` when the baseline has it, and shows or suppresses it.
    fn judge(&mut self, mut f: Finding) {
        f.in_baseline = self.policy.baseline.as_ref().is_some_and(|b| b.contains(&f));
        if f.suppression.is_none() {
            f.suppression = vex_suppression(self.policy, &f).or_else(|| self.ignore_suppression(&f));
        }
        if f.suppression.is_some() { self.suppressed.push(f) } else { self.shown.push(f) }
    }

    /// The suppression of the first ignore entry in force that matches `f`; expired entries
    /// that match count the findings they would have hidden.
    fn ignore_suppression(&mut self, f: &Finding) -> Option<Suppression> {
        let entries = self.policy.ignore_entries();
        let today = self.policy.today;
        let matching: Vec<usize> = (0..entries.len()).filter(|&i| entries[i].matches(f)).collect();
        if let Some(&i) = matching.iter().find(|&&i| !entries[i].is_expired(today)) {
            self.hid[i] += 1;
            let entry = &entries[i];
            return Some(Suppression {
                kind: SuppressionKind::IgnoreFile,
                source: self.policy.ignore_source().to_owned(),
                reason: entry.reason.clone(),
                status: None,
                justification: None,
                expires: entry.expires.map(|d| d.to_string()),
            });
        }
        for i in matching {
            self.would_hide[i] += 1;
        }
        None
    }

    /// The findings sorted, the notes and the verdict.
    fn finish(mut self) -> JudgedFindings {
        let notes = self.notes();
        sort_findings(&mut self.shown);
        sort_findings(&mut self.suppressed);
        let verdict = self.policy.verdict(&self.shown);
        JudgedFindings { shown: self.shown, suppressed: self.suppressed, verdict, notes }
    }

    /// A baseline file that does not exist yet, then a note per ignore entry worth one.
    fn notes(&self) -> Vec<Diagnostic> {
        let mut notes = Vec::new();
        if let Some(baseline) = self.policy.baseline.as_ref().filter(|b| b.is_missing()) {
            notes.push(Diagnostic::warning(
                &baseline.source,
                "no baseline yet: every finding is new (the file does not exist; keep this scan's `--format json` \
                 report there for the next build to compare with)",
            ));
        }
        let entries = self.policy.ignore_entries().iter().enumerate();
        notes.extend(entries.filter_map(|(i, entry)| self.entry_note(entry, i)));
        notes
    }

    /// An expired entry (a warning saying what it no longer hides), or an entry that hides
    /// findings without a reason (info).
    fn entry_note(&self, entry: &IgnoreEntry, i: usize) -> Option<Diagnostic> {
        let source = self.policy.ignore_source();
        if let Some(expires) = entry.expires.filter(|_| entry.is_expired(self.policy.today)) {
            let effect = match self.would_hide[i] {
                0 => "it no longer applies; remove or renew it".to_owned(),
                1 => "it no longer applies, so the finding it matches is shown again; renew or remove it".to_owned(),
                n => {
                    format!("it no longer applies, so the {n} findings it matches are shown again; renew or remove it")
                }
            };
            return Some(Diagnostic::warning(source, format!("{} expired on {expires}: {effect}", entry.label())));
        }
        (self.hid[i] > 0 && entry.reason.is_none()).then(|| {
            Diagnostic::info(
                source,
                format!(
                    "{} hides {} without a `reason`; say why it is accepted",
                    entry.label(),
                    plural(self.hid[i], "finding")
                ),
            )
        })
    }
}

/// The suppression of the VEX statement that decides `f`, when it hides it.
fn vex_suppression(policy: &Policy, f: &Finding) -> Option<Suppression> {
    let (doc, statement) = vex::decide(&policy.vex, f)?;
    statement.status.hides().then(|| Suppression {
        kind: SuppressionKind::Vex,
        source: doc.source.clone(),
        reason: statement.impact_statement.clone().or_else(|| statement.status_notes.clone()),
        status: Some(statement.status.as_str().to_owned()),
        justification: statement.justification.clone(),
        expires: None,
    })
}
