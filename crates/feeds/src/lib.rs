//! Importers for public vulnerability feeds (OSV, Debian, Alpine and the apk vendors' secdb, Amazon
//! Linux ALAS, Oracle and Azure Linux OVAL, Photon OS, Red Hat CSAF VEX, NVD, KEV, EPSS) and the
//! database updater.
//!
//! Each importer is a pure function from the bytes of one feed file to [`Import`]: records for
//! [`microscanner_vulndb::Builder`] plus diagnostics. A bad record becomes a diagnostic and the rest
//! of the file is still imported; only an input that is unreadable as a whole (not JSON, a corrupt
//! zip) is an error.
//!
//! * [`detect`] recognises a feed file by name and content; [`build`] builds a database from local
//!   files and directories (`db build --from`).
//! * [`update`] downloads feeds (conditional GET, retries) and rebuilds (`db update`).
//!
//! # Memory
//!
//! Memory follows the bounds below, not the size of a feed file. Big inputs are streamed: an
//! `all.zip` one member at a time (each read with an inflated-size bound), a JSON list of records
//! (`[...]`, `{"vulns": [...]}`, an NVD page, the KEV catalog) one element at a time and the Debian
//! tracker export one CVE entry at a time through a serde visitor, never as one
//! `serde_json::Value`, an EPSS CSV one line at a time. While a file is read its records go to a
//! [`Sink`] in chunks of at most [`CHUNK_RECORDS`] records ([`build`] hands each chunk to the
//! database builder), so a whole file's records never exist at once. Text fields have length
//! bounds ([`MAX_SUMMARY`], [`MAX_DETAILS`], ...); anything cut is reported as a diagnostic.

pub mod alpine;
pub mod amazon;
pub mod build;
pub mod debian;
pub mod detect;
pub mod epss;
pub mod kev;
mod loose;
pub mod mariner;
pub mod nvd;
pub mod oracle;
pub mod osv;
pub mod oval;
pub mod photon;
pub mod redhat;
pub mod repo_metadata;
mod stream;
pub use stream::{MAX_RECORD, MAX_VALUE};
pub mod update;
mod xml;

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Advisory, Records, Reference};

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

/// Longest advisory summary stored, in bytes. OSV asks for a one-line summary; the longest in the
/// real feeds under `shared/fixtures` is 270 bytes.
pub const MAX_SUMMARY: usize = 1024;
/// Longest advisory details (OSV `details`, an NVD or Debian description) stored, in bytes. The
/// longest in the real feeds is an AlmaLinux errata text of 10 KiB.
pub const MAX_DETAILS: usize = 64 * 1024;
/// Most references kept per advisory (the most in the real feeds: 322).
pub const MAX_REFERENCES: usize = 1024;
/// Longest reference URL kept; a longer one is dropped, not cut (a cut URL points elsewhere).
pub const MAX_URL: usize = 4096;
/// Most aliases, and most related ids, kept per advisory (the most in the real feeds: 16 and 187).
pub const MAX_IDS: usize = 1024;
/// Longest advisory id, alias, related id or CWE id kept. A record whose own id is longer is
/// skipped; a longer alias, related id or CWE is dropped.
pub const MAX_ID: usize = 256;
/// Most CWE ids kept per advisory.
pub const MAX_CWES: usize = 256;
/// Longest severity value (a CVSS vector, a vendor word) kept; a longer one is dropped.
pub const MAX_SEVERITY: usize = 1024;
/// Records (advisories, KEV entries, EPSS scores) per chunk handed to a [`Sink`].
pub const CHUNK_RECORDS: usize = 2048;
/// Parts (affected entries, severities, fix states) per chunk handed to a [`Sink`]: a chunk ends
/// at whichever bound is reached first, always between two records.
pub const CHUNK_PARTS: usize = 16 * 1024;
/// What is appended to a cut text (it counts towards the bound).
const CUT_MARK: &str = "…";

/// Receives an importer's records in bounded chunks while a big file is read (see the crate
/// documentation). [`build`] implements it over the database builder.
pub trait Sink {
    /// Takes one chunk: at most about [`CHUNK_RECORDS`] records or [`CHUNK_PARTS`] parts. A record
    /// and all its parts (affected entries, severities) are always in the same chunk.
    fn chunk(&mut self, records: Records) -> Result<(), FeedError>;
}

/// An import in progress: what was read so far, and where full chunks go (`None`: keep
/// everything, for small files imported whole).
pub(crate) struct Out<'a> {
    pub(crate) import: Import,
    sink: Option<&'a mut dyn Sink>,
    /// Puts a chunk's records in a fixed order before it is handed on (and the rest at the end).
    order: Option<fn(&mut Records)>,
    /// The sink's error, when it failed under a serde visitor (whose errors cannot carry it).
    pub(crate) failed: Option<FeedError>,
}

impl<'a> Out<'a> {
    pub(crate) fn new(sink: Option<&'a mut dyn Sink>) -> Self {
        Self { import: Import::default(), sink, order: None, failed: None }
    }

    /// Sets the order each chunk's records are put in (see [`Out::finish`]).
    pub(crate) fn set_order(&mut self, order: fn(&mut Records)) {
        self.order = Some(order);
    }

    /// Call between two records: hands the records read so far to the sink when they fill a chunk.
    pub(crate) fn record_done(&mut self) -> Result<(), FeedError> {
        let Some(sink) = self.sink.as_deref_mut() else { return Ok(()) };
        let r = &self.import.records;
        if r.record_count() >= CHUNK_RECORDS
            || r.affected.len() + r.severities.len() + r.fix_statuses.len() >= CHUNK_PARTS
        {
            let complete = r.complete;
            let mut chunk = std::mem::replace(&mut self.import.records, Records { complete, ..Records::default() });
            if let Some(order) = self.order {
                order(&mut chunk);
            }
            sink.chunk(chunk)?;
        }
        Ok(())
    }

    /// [`Out::record_done`] under a serde visitor: a failing sink is kept in [`Out::failed`] and
    /// the parse stopped with a generic error.
    pub(crate) fn record_done_de<E: serde::de::Error>(&mut self) -> Result<(), E> {
        self.record_done().map_err(|e| {
            self.failed = Some(e);
            E::custom("writing the records failed")
        })
    }

    /// What is left (the last, partial chunk, in order), diagnostics and timestamp.
    pub(crate) fn finish(mut self) -> Import {
        if let Some(order) = self.order {
            order(&mut self.import.records);
        }
        self.import
    }
}

/// Cuts `text` to at most `max` bytes (on a character boundary, ending in `…`). Returns the
/// original length when it was cut.
pub(crate) fn cut_text(text: &mut String, max: usize) -> Option<usize> {
    if text.len() <= max {
        return None;
    }
    let original = text.len();
    let mut at = max.saturating_sub(CUT_MARK.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
    text.push_str(CUT_MARK);
    Some(original)
}

/// Applies the text bounds to one advisory; what was cut or dropped becomes one diagnostic.
pub(crate) fn bound_advisory(adv: &mut Advisory, location: &str, diagnostics: &mut Vec<Diagnostic>) {
    if !needs_bounds(adv) {
        return;
    }
    let mut notes: Vec<String> = Vec::new();
    for (name, field, max) in [("summary", &mut adv.summary, MAX_SUMMARY), ("details", &mut adv.details, MAX_DETAILS)] {
        if let Some(text) = field
            && let Some(n) = cut_text(text, max)
        {
            notes.push(format!("{name} of {n} bytes cut to {max}"));
        }
    }
    let mut drop_long = |name: &str, list: &mut Vec<String>, max_items: usize| {
        let before = list.len();
        list.retain(|s| s.len() <= MAX_ID);
        if list.len() < before {
            notes.push(format!("{} {name} longer than {MAX_ID} bytes dropped", before - list.len()));
        }
        if list.len() > max_items {
            notes.push(format!("{} {name} cut to {max_items}", list.len()));
            list.truncate(max_items);
        }
    };
    drop_long("aliases", &mut adv.aliases, MAX_IDS);
    drop_long("related ids", &mut adv.related, MAX_IDS);
    drop_long("CWE ids", &mut adv.cwes, MAX_CWES);
    let before = adv.references.len();
    adv.references.retain(|r| r.url.len() <= MAX_URL && r.kind.len() <= MAX_ID);
    if adv.references.len() < before {
        notes.push(format!("{} references longer than {MAX_URL} bytes dropped", before - adv.references.len()));
    }
    if adv.references.len() > MAX_REFERENCES {
        notes.push(format!("{} references cut to {MAX_REFERENCES}", adv.references.len()));
        adv.references.truncate(MAX_REFERENCES);
    }
    if !notes.is_empty() {
        diagnostics.push(Diagnostic::warning(location, format!("{}: {}", adv.id, notes.join("; "))));
    }
}

/// True when an advisory goes past a text bound (a cheap test before [`bound_advisory`]).
pub(crate) fn needs_bounds(a: &Advisory) -> bool {
    a.summary.as_ref().is_some_and(|s| s.len() > MAX_SUMMARY)
        || a.details.as_ref().is_some_and(|s| s.len() > MAX_DETAILS)
        || a.references.len() > MAX_REFERENCES
        || a.aliases.len() > MAX_IDS
        || a.related.len() > MAX_IDS
        || a.cwes.len() > MAX_CWES
        || a.references.iter().any(|r| r.url.len() > MAX_URL || r.kind.len() > MAX_ID)
        || a.aliases.iter().chain(&a.related).chain(&a.cwes).any(|s| s.len() > MAX_ID)
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

/// Parses a whole JSON document (small inputs, and the whole-document API).
pub(crate) fn parse_value(bytes: &[u8], location: &str) -> Result<serde_json::Value, FeedError> {
    serde_json::from_slice(bytes).map_err(|e| FeedError::malformed(location, e))
}

/// A new advisory of `source` whose one reference is its page upstream.
pub(crate) fn linked_advisory(id: &str, source: &str, url: String) -> Advisory {
    Advisory {
        id: id.to_owned(),
        source: source.to_owned(),
        references: vec![Reference { kind: "ADVISORY".into(), url }],
        ..Advisory::default()
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
