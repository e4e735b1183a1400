//! Every output format microscanner writes, and the policy that decides what a report shows and
//! whether a scan fails. Each writer is a pure function of its input document: an
//! [`Inventory`](microscanner_model::Inventory) for SBOMs, a [`Report`](microscanner_model::Report)
//! for vulnerability reports.
//!
//! Architecture invariant: this crate never prints and never reads files; the binary reads the
//! ignore file, VEX documents and baselines and hands their bytes in, and decides where output goes.

pub mod diff;
pub mod format;
pub mod policy;
pub mod sbom;
pub mod text;

pub use format::{RenderError, RenderOptions, ReportFormat, render, render_to};
pub use sbom::{
    INVENTORY_SCHEMA_VERSION, MAX_SBOM_PACKAGES, MAX_SBOM_STRING, Sbom, SbomFormat, SbomMeta, SbomReadError,
    canonical_purl, read_sbom, sbom, sbom_document, write_sbom,
};
