//! The vulnerability database: one SQLite file, its schema and the query API the matcher uses.
//!
//! * [`Builder`] writes a new file from importer [`Records`] (one transaction, indexes built last),
//!   and [`install`] verifies it and renames it over the old one, so readers never see a half-built
//!   database.
//! * [`Database`] opens a file read-only (any number of processes at once) and answers the
//!   matcher: [`Database::affected`] for an (ecosystem, name), [`Database::advisory`] by id; the
//!   matcher itself uses the slimmer [`Database::for_each_affected`] (ranges as stored JSON text,
//!   nothing decoded it does not need) and [`Database::advisory_brief`]. Every file opened (and
//!   every import) is treated as hostile: hardened connection, exactly our tables and indexes
//!   (no view, trigger or computed column), an operation budget per call
//!   ([`microscanner_sqlite_guard`]).
//! * [`content_version`] names a database by its contents (the sha256 of its [`canonical_dump`]);
//!   [`export_delta`] / [`import_delta`] move only the rows that changed between two versions,
//!   and refuse to apply onto any other base.
//! * [`export`] / [`import`] move a database as one verifiable zstd file; [`OutputFile`] writes
//!   an export (or any document) where a user's output path points without replacing a device,
//!   a FIFO or a symbolic link.
//!
//! Ranges stay in OSV JSON form; evaluating them is the matcher's job.

mod archive;
mod build;
mod delta;
mod error;
mod read;
mod record;
mod schema;
mod score;

pub use archive::{Manifest, export, hash_file, import};
pub use build::{AddStats, Builder, OutputFile, SourceInfo, install, install_built, now_rfc3339, temp_path_beside};
pub use delta::{
    DELTA_FORMAT, DELTA_MEDIA_TYPE, DeltaHeader, DeltaStats, canonical_dump, content_version, export_delta,
    import_delta, read_delta_header,
};
pub use error::{Error, Result};
pub use read::{AdvisoryBrief, AdvisoryDetails, AffectedRef, Counts, Database, Metadata};
pub use record::{
    Advisory, Affected, EpssScore, FixState, FixStatus, KevEntry, Records, Reference, SeverityKind, SeverityRating,
};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION, name_key};
pub use score::{cvss_base_score, cvss_kind};

#[cfg(test)]
mod tests;
