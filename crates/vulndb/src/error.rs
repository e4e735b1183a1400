//! The error type of this crate.

use std::path::PathBuf;

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite said no.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a microscanner database, or has another schema version.
    #[error("{}: {reason}", path.display())]
    Incompatible {
        /// The file.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
    /// `PRAGMA integrity_check` found a problem.
    #[error("{}: integrity check failed: {detail}", path.display())]
    Integrity {
        /// The file.
        path: PathBuf,
        /// SQLite's report.
        detail: String,
    },
    /// An export file is damaged or was tampered with.
    #[error("{}: {reason}", path.display())]
    BadExport {
        /// The export file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A query ran past the operation budget of the file (a hostile or damaged database).
    #[error("{}: a query ran past its budget of {ops} operations", path.display())]
    Budget {
        /// The file.
        path: PathBuf,
        /// The operations allowed per query.
        ops: u64,
    },
    /// A stored JSON column does not parse.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
