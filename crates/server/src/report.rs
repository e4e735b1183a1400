//! Inventory + database + policy → [`Report`]: the one function both a local `microscanner scan`
//! and the service's `POST /api/v1/scan` build their report with, so a remote scan equals a local
//! one by construction.

use std::time::Instant;

use microscanner_model::{DatabaseInfo, DatabaseSource, Generator, Inventory, Report, ScanRun};
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

/// Matches `inventory` against `db`, applies `policy` and builds the whole report; it took
/// the time since `started`.
pub fn build_report(
    db: &Database,
    database: &DatabaseInfo,
    policy: &Policy,
    mut inventory: Inventory,
    created_at: &str,
    started: Instant,
) -> Result<Report, ReportError> {
    let matched = microscanner_matcher::match_inventory(db, &inventory)?;
    let judged = apply(policy, matched.findings);
    inventory.diagnostics.extend(matched.diagnostics);
    let run = ScanRun {
        generator: Generator { name: "microscanner".into(), version: env!("CARGO_PKG_VERSION").into() },
        created_at: created_at.to_owned(),
        duration_seconds: started.elapsed().as_secs_f64(),
        database: Some(database.clone()),
    };
    Ok(Report::new(run, inventory, matched.coverage, judged))
}

/// Re-judges a report the service sent by the local policy flags: its findings (the service
/// applies no filter) go through `policy` again, so `--fail-on`, `--severity`, the ignore file,
/// VEX and the baseline act on a remote scan exactly as on a local one. The scan took
/// `duration_seconds` from the caller's side (the server's own time is part of it).
pub fn apply_local_policy(report: Report, policy: &Policy, duration_seconds: f64) -> Report {
    let scan = report.into_scan();
    let run = ScanRun { duration_seconds, ..scan.run };
    Report::new(run, scan.inventory, scan.coverage, apply(policy, scan.findings))
}
