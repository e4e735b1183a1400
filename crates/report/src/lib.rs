//! Every output format microscanner writes. Each writer is a pure function of its input
//! document: an [`Inventory`] for SBOMs (vulnerability reports come later).
//!
//! Architecture invariant: this crate never prints and never reads files; the binary decides
//! where the bytes go.

pub mod sbom;

pub use sbom::{INVENTORY_SCHEMA_VERSION, SbomFormat, SbomMeta, write_sbom};
