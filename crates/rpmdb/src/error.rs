//! Errors of the rpm database readers.

/// What went wrong reading an rpm database or a header blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The bytes are not an rpm database in a format we know.
    #[error("not an rpm database (BerkeleyDB hash, NDB or SQLite)")]
    UnknownFormat,
    /// The input ends before a structure it announces.
    #[error("truncated: {0}")]
    Truncated(String),
    /// A structure holds impossible values.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// A feature of the format we do not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// SQLite could not read the database.
    #[error("sqlite: {0}")]
    Sqlite(String),
    /// An `rpmdb.sqlite` refused as hostile: a schema other than rpm's (a view, a trigger, other
    /// columns), or a query past its bounds.
    #[error("rpmdb.sqlite: {0}")]
    Refused(String),
    /// One header blob could not be parsed (the others still were).
    #[error("package header #{index}: {reason}")]
    Header {
        /// Position of the blob in database order.
        index: usize,
        /// Why it could not be parsed.
        reason: Box<Self>,
    },
}
