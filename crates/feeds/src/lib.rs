//! Importers for public vulnerability feeds (OSV, Debian, Alpine, NVD, KEV, EPSS) and the database updater.
//!
//! Each importer is a pure function from the bytes of one feed file to [`Import`]: records for
//! [`microscanner_vulndb::Builder`] plus diagnostics. A bad record becomes a diagnostic and the rest
//! of the file is still imported; only an input that is unreadable as a whole (not JSON, a corrupt
//! zip) is an error.
//!
//! * [`detect`] recognises a feed file by name and content; [`build`] builds a database from local
//!   files and directories (`db build --from`).
//! * [`update`] downloads feeds (conditional GET, retries) and rebuilds (`db update`).

pub mod alpine;
pub mod build;
pub mod debian;
pub mod detect;
pub mod epss;
pub mod kev;
pub mod nvd;
pub mod osv;
pub mod update;

use microscanner_model::Diagnostic;
use microscanner_vulndb::Records;

pub use detect::Format;

/// What one importer produced from one input.
#[derive(Debug, Clone, Default)]
pub struct Import {
    /// The records.
    pub records: Records,
    /// Problems with single records (skipped or partly read), and notes.
    pub diagnostics: Vec<Diagnostic>,
    /// The feed's own timestamp (newest `modified`, catalog date, score date), if it has one.
    pub timestamp: Option<String>,
}

impl Import {
    /// Appends another import (timestamps: the newest wins).
    pub fn extend(&mut self, other: Self) {
        self.records.extend(other.records);
        self.diagnostics.extend(other.diagnostics);
        self.timestamp = newest(self.timestamp.take(), other.timestamp);
    }
}

/// The later of two timestamps in the same textual form (RFC 3339 strings sort by time).
pub(crate) fn newest(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b > a { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// An input that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Not the format it claims or was detected as (bad JSON, corrupt zip, bad gzip).
    #[error("{location}: {message}")]
    Malformed {
        /// The file (or URL).
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read.
    #[error("{location}: {source}")]
    Io {
        /// The file.
        location: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing the database failed.
    #[error(transparent)]
    Db(#[from] microscanner_vulndb::Error),
    /// A download failed.
    #[error("{url}: {message}")]
    Download {
        /// The address.
        url: String,
        /// What failed.
        message: String,
    },
}

impl FeedError {
    pub(crate) fn malformed(location: &str, message: impl std::fmt::Display) -> Self {
        Self::Malformed { location: location.to_owned(), message: message.to_string() }
    }
}

/// A JSON value as a string, if it is one (and not empty).
pub(crate) fn str_of(v: Option<&serde_json::Value>) -> Option<String> {
    v.and_then(serde_json::Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// An OSV range that says "every version before `fixed`" (or every version, without a fix).
pub(crate) fn introduced_zero_range(fixed: Option<&str>) -> serde_json::Value {
    let mut events = vec![serde_json::json!({"introduced": "0"})];
    if let Some(f) = fixed {
        events.push(serde_json::json!({"fixed": f}));
    }
    serde_json::json!([{"type": "ECOSYSTEM", "events": events}])
}
