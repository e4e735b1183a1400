//! Inventory + database + policy → [`Report`]: the one function both a local `microscanner scan`
//! and the service's `POST /api/v1/scan` build their report with, so a remote scan equals a local
//! one by construction.

use microscanner_model::{
    DatabaseInfo, DatabaseSource, Generator, Inventory, PolicyVerdict, REPORT_SCHEMA_VERSION, Report, Summary,
};
use microscanner_report::policy::{Policy, apply};
use microscanner_vulndb::Database;

/// Why a report could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Matching failed (a damaged database).
    #[error(transparent)]
    Match(#[from] microscanner_matcher::MatchError),
    /// The database's metadata could not be read.
    #[error(transparent)]
    Database(#[from] microscanner_vulndb::Error),
    /// The report could not be serialised.
    #[error("serialising the report: {0}")]
    Json(#[from] serde_json::Error),
}

/// What the report says about the database it was matched against.
pub fn database_info(db: &Database) -> Result<DatabaseInfo, microscanner_vulndb::Error> {
    let meta = db.metadata()?;
    Ok(DatabaseInfo {
        built_at: meta.built_at,
        schema_version: meta.schema_version,
        sources: meta.sources.into_iter().map(|s| DatabaseSource { name: s.name, timestamp: s.timestamp }).collect(),
    })
}

/// Matches `inventory` against `db`, applies `policy` and builds the whole report (duration 0:
/// the caller knows how long its own work took).
pub fn build_report(
    db: &Database,
    database: &DatabaseInfo,
    policy: &Policy,
    inventory: Inventory,
    created_at: &str,
) -> Result<Report, ReportError> {
    let matched = microscanner_matcher::match_inventory(db, &inventory)?;
    let applied = apply(policy, matched.findings);
    let Inventory { image, os, packages, mut diagnostics } = inventory;
    diagnostics.extend(matched.diagnostics);
    let mut report = Report {
        schema_version: REPORT_SCHEMA_VERSION.into(),
        generator: Generator { name: "microscanner".into(), version: env!("CARGO_PKG_VERSION").into() },
        created_at: created_at.to_owned(),
        duration_seconds: 0.0,
        summary: Summary::default(),
        database: Some(database.clone()),
        image,
        os,
        policy: PolicyVerdict::default(),
        coverage: matched.coverage,
        findings: Vec::new(),
        suppressed: Vec::new(),
        packages,
        diagnostics,
    };
    applied.write_into(&mut report);
    Ok(report)
}

/// Re-judges a report the service sent by the local policy flags: its findings (the service
/// applies no filter) go through `policy` again, so `--fail-on`, `--severity`, the ignore file,
/// VEX and the baseline act on a remote scan exactly as on a local one.
pub fn apply_local_policy(mut report: Report, policy: &Policy) -> Report {
    let mut findings = std::mem::take(&mut report.findings);
    findings.append(&mut report.suppressed);
    apply(policy, findings).write_into(&mut report);
    report
}
