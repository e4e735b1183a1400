//! Watch: remembered inventories, re-evaluated when the vulnerability database changes.
//!
//! A scan at build time cannot know about an advisory published next week. `scan --remember
//! NAME` keeps the image's inventory (never its files) with its name, digest and the findings it
//! had; [`run`] matches every remembered inventory again against the current database (without
//! reading the image) and compares the result with the last one by the one definition of "the
//! same finding" that `microscanner diff` and `--baseline` use
//! ([`microscanner_report::diff::diff_findings`], over
//! [`Finding::identity`](microscanner_model::Finding::identity)). What is new is returned, and the
//! new result becomes the last one, so a second run reports nothing new. [`notify`] tells the
//! entry's webhook about what is new (signed, retried with backoff).
//!
//! The store is one SQLite file ([`WatchStore`]); the CLI keeps it under the user's data
//! directory.

pub mod evaluate;
pub mod notify;
pub mod store;

pub use evaluate::{EntryOutcome, evaluate, outcome, run};
pub use store::{
    Delivery, DeliveryState, NewEntry, Remembered, StoredDocuments, WatchStore, Webhook, WebhookFormat, compact,
    decode_document, encode_document, validate_name,
};

/// Why a watch operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The store could not be opened, read or written.
    #[error("watch store {path}: {source}")]
    Store {
        /// The store's file.
        path: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The store's directory or file could not be created.
    #[error("watch store {path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A stored value could not be decoded (a damaged or foreign store).
    #[error("watch store {path}: entry {name:?}: {field}: {message}")]
    Corrupt {
        /// The store's file.
        path: String,
        /// The remembered entry.
        name: String,
        /// Which column.
        field: &'static str,
        /// What was wrong with it.
        message: String,
    },
    /// A name given by the user is not a valid entry name.
    #[error("invalid watch name {0:?}: 1 to 128 characters of letters, digits and . _ - : / @ +")]
    InvalidName(String),
    /// No entry of that name.
    #[error("nothing remembered under the name {0:?} (see `microscanner watch list`)")]
    NotFound(String),
    /// Matching a remembered inventory failed.
    #[error("matching {name:?}: {source}")]
    Match {
        /// The remembered entry.
        name: String,
        /// The matcher's error.
        #[source]
        source: microscanner_matcher::MatchError,
    },
    /// The database could not be opened by a matching thread.
    #[error("opening the vulnerability database: {0}")]
    Open(String),
    /// The database's metadata could not be read.
    #[error("reading the vulnerability database: {0}")]
    Database(#[from] microscanner_vulndb::Error),
}

/// Now, as RFC 3339 in whole seconds, UTC.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
