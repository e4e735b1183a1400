//! Shared types of microscanner: what every other crate passes to the next.
//!
//! This crate holds data only (serde wire types, no I/O), so that the pipeline stages
//! (image → catalog → matcher → report) agree on one vocabulary and the JSON documents
//! built from these types stay stable.

mod advisory_id;
mod diagnostic;
pub mod distro;
mod finding;
mod inventory;
mod os;
mod package;
mod purl;
mod report;
mod severity;

pub use advisory_id::{cmp_ids, cve_key};
/// The string type of [`Package`]'s text fields: up to 24 bytes inline, so the name, version,
/// architecture and location of most packages cost no allocation of their own.
pub use compact_str::CompactString;
pub use diagnostic::{Diagnostic, DiagnosticLevel};
pub use finding::{
    AffectedPackage, Epss, Finding, FindingIdentity, Fix, FixState, Kev, MatchDetail, PackageIdentity, Rating,
    RatingKind, Suppression, SuppressionKind, sort_findings,
};
pub use inventory::{ImageInfo, Inventory, LayerInfo};
pub use os::OsInfo;
pub use package::{Evidence, LayerRef, Package, PackageKind, parse_sha256};
pub use purl::{Purl, pep503_name};
pub use report::{
    Coverage, CoveredEcosystem, DatabaseInfo, DatabaseSource, Generator, JudgedFindings, PolicyVerdict,
    REPORT_SCHEMA_VERSION, Report, ScanResult, ScanRun, SeverityCounts, Skipped, Summary,
};
pub use severity::{FailOn, InvalidFailOn, Severity, UnknownSeverity};
