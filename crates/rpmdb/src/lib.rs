//! Read rpm databases from bytes: the three on-disk formats real images hold and the header
//! blobs inside them.
//!
//! - BerkeleyDB hash databases (`var/lib/rpm/Packages`: CentOS/RHEL 5-8, Amazon Linux 2), read by
//!   our own read-only page walker ([`bdb`]);
//! - NDB (`Packages.db`: SUSE), rpm's own simple format ([`ndb`]);
//! - SQLite (`rpmdb.sqlite`: Fedora 33+, RHEL 9, CBL-Mariner), through rusqlite ([`sqlite`]),
//!   opened as the hostile program a SQLite file can be (`microscanner-sqlite-guard`, which the
//!   vulnerability database uses too).
//!
//! Each format yields header blobs, which [`header`] turns into [`RpmPackage`]s. Every offset and
//! count read from the input is bounded: corrupt input gives [`Error`]s beside the packages that
//! could still be read, never a panic or an out-of-bounds read.
//!
//! Fuzz targets for the three byte-level parsers live in `fuzz/` (a standalone cargo-fuzz crate):
//! `cd crates/rpmdb/fuzz && cargo fuzz run bdb --sanitizer none -- -max_total_time=20` (also
//! `ndb`, `header`). The benchmark: `cargo bench -p microscanner-rpmdb --bench read`.

pub mod bdb;
mod error;
pub mod header;
pub mod ndb;
pub mod sqlite;

pub use error::Error;
pub use header::{RpmPackage, parse_header};

/// The on-disk format of an rpm database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A BerkeleyDB hash database (`Packages`).
    BerkeleyDb,
    /// rpm's NDB format (`Packages.db`).
    Ndb,
    /// SQLite (`rpmdb.sqlite`).
    Sqlite,
}

impl Format {
    /// Recognises the format from the first bytes of the file.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(sqlite::MAGIC) {
            Some(Self::Sqlite)
        } else if bytes.starts_with(ndb::MAGIC) {
            Some(Self::Ndb)
        } else if bdb::is_hash_db(bytes) {
            Some(Self::BerkeleyDb)
        } else {
            None
        }
    }

    /// A short name (`bdb`, `ndb`, `sqlite`).
    pub fn name(self) -> &'static str {
        match self {
            Self::BerkeleyDb => "bdb",
            Self::Ndb => "ndb",
            Self::Sqlite => "sqlite",
        }
    }
}

/// Where a format's reader hands each header blob as it finds it, and each problem it meets:
/// [`read`] parses each blob on the spot, so a database's headers are never all copied out of
/// it at once (its memory is the file's and the packages', not twice the file's); [`Blobs`]
/// collects them, for tests and fuzzing.
pub trait BlobSink {
    /// One header blob.
    fn blob(&mut self, blob: &[u8]);
    /// A part of the database that could not be read.
    fn problem(&mut self, problem: Error);
}

/// Header blobs read from a database, with the problems met on the way.
#[derive(Debug, Default)]
pub struct Blobs {
    /// The raw header blobs, in database order.
    pub blobs: Vec<Vec<u8>>,
    /// Non-fatal problems: parts of the database that could not be read.
    pub problems: Vec<Error>,
}

impl BlobSink for Blobs {
    fn blob(&mut self, blob: &[u8]) {
        self.blobs.push(blob.to_vec());
    }

    fn problem(&mut self, problem: Error) {
        self.problems.push(problem);
    }
}

/// The packages of one database.
#[derive(Debug)]
pub struct Database {
    /// The format the bytes were in.
    pub format: Format,
    /// The packages that could be read, in database order.
    pub packages: Vec<RpmPackage>,
    /// Non-fatal problems: blobs or pages that could not be read. Non-empty means the list may be
    /// incomplete.
    pub problems: Vec<Error>,
}

/// Reads every package of an rpm database in any of the three formats.
///
/// Fails only when the bytes are not a recognisable rpm database at all (unknown format, or a
/// file header too damaged to walk); everything else becomes a problem beside the packages.
pub fn read(bytes: &[u8]) -> Result<Database, Error> {
    let format = Format::detect(bytes).ok_or(Error::UnknownFormat)?;
    let mut parsed = Parsed::default();
    match format {
        Format::BerkeleyDb => bdb::each_blob(bytes, &mut parsed)?,
        Format::Ndb => ndb::each_blob(bytes, &mut parsed)?,
        Format::Sqlite => sqlite::each_blob(bytes, &mut parsed)?,
    }
    Ok(Database { format, packages: parsed.packages, problems: parsed.problems })
}

/// Parses each header blob as a reader finds it.
#[derive(Default)]
struct Parsed {
    packages: Vec<RpmPackage>,
    problems: Vec<Error>,
    /// The position of the next blob, for problems.
    index: usize,
}

impl BlobSink for Parsed {
    fn blob(&mut self, blob: &[u8]) {
        let index = self.index;
        self.index += 1;
        match parse_header(blob) {
            Ok(mut p) => {
                if let Some(e) = p.files_error.take() {
                    self.problems.push(Error::Header { index, reason: Box::new(e) });
                }
                self.packages.push(p);
            }
            Err(e) => self.problems.push(Error::Header { index, reason: Box::new(e) }),
        }
    }

    fn problem(&mut self, problem: Error) {
        self.problems.push(problem);
    }
}

/// Reads a big-endian `u32` at `at`, if in bounds.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads a little-endian `u32` at `at`, if in bounds.
pub(crate) fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
