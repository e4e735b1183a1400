//! `rpmdb.sqlite`: a `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` table of header blobs,
//! read through rusqlite from an in-memory copy of the bytes (nothing touches the disk).

use std::io::Read;

use rusqlite::{Connection, MAIN_DB, OpenFlags};

use crate::{BlobSink, Blobs, Error};
use microscanner_sqlite_guard::{self as sqlite_guard, Limits, Schema, Table};

/// The SQLite file magic.
pub const MAGIC: &[u8] = b"SQLite format 3\0";

fn sql(e: rusqlite::Error) -> Error {
    Error::Sqlite(e.to_string())
}

/// The longest header blob read: rpm itself refuses headers over 256 MiB, real ones are well
/// under 16 MiB. Longer values (a `zeroblob` in a default) are refused by SQLite.
pub const MAX_BLOB: i32 = 64 << 20;

/// VM operations allowed for reading a database: this many, plus [`OPS_PER_BYTE`] per byte.
const BASE_OPS: u64 = 20_000_000;
/// VM operations allowed per byte of the database (reading a row costs a handful per blob).
const OPS_PER_BYTE: u64 = 16;

/// The only table read, as rpm creates it
/// (`hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL`); rpm's index tables (`Name`,
/// `Basenames`, ...) may be there too but are not read.
const SCHEMA: Schema = Schema {
    tables: &[Table { name: "Packages", columns: &[("hnum", "INTEGER"), ("blob", "BLOB")] }],
    other_tables: true,
    indexes: None,
};

/// Reads every header blob of an `rpmdb.sqlite`.
///
/// The file is opened as the hostile program it may be (see [`microscanner_sqlite_guard`]):
/// hardened connection, only a real `Packages(hnum INTEGER, blob BLOB)` table and no view,
/// trigger or virtual table anywhere, blobs up to [`MAX_BLOB`], and an operation budget in
/// proportion to the file's size. A refused schema or an exhausted budget is an
/// [`Error::Refused`].
///
/// rpm keeps the database in WAL mode; an in-memory copy cannot use a WAL, so the copy is switched
/// to rollback-journal mode (file format bytes 18 and 19). A `-wal` file beside the database is not
/// read: rpm checkpoints it when it closes, so in images it is empty.
pub fn read_blobs(bytes: &[u8]) -> Result<Blobs, Error> {
    let mut blobs = Blobs::default();
    each_blob(bytes, &mut blobs)?;
    Ok(blobs)
}

/// [`read_blobs`], each blob handed to `out` as it is read.
pub fn each_blob(bytes: &[u8], out: &mut dyn BlobSink) -> Result<(), Error> {
    if !bytes.starts_with(MAGIC) {
        return Err(Error::UnknownFormat);
    }
    // Bytes 18 and 19 are the write and read format versions: 2 means WAL, 1 rollback journal.
    let (head, rest) = bytes.split_at(bytes.len().min(18));
    let (versions, tail) = rest.split_at(rest.len().min(2));
    let versions: Vec<u8> = versions.iter().map(|&v| if v == 2 { 1 } else { v }).collect();
    let reader = head.chain(versions.as_slice()).chain(tail);
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_MEMORY,
    )
    .map_err(sql)?;
    let file_len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    let budget =
        sqlite_guard::harden(&conn, Limits::for_file(MAX_BLOB, BASE_OPS, OPS_PER_BYTE, file_len)).map_err(sql)?;
    conn.deserialize_read_exact(MAIN_DB, reader, bytes.len(), true).map_err(sql)?;
    conn.pragma_update(None, "query_only", true).map_err(sql)?;
    sqlite_guard::check_schema(&conn, &budget, &SCHEMA).map_err(|e| Error::Refused(e.to_string()))?;
    budget.reset();
    let refused = |e: &rusqlite::Error| {
        if sqlite_guard::is_interrupt(e) && budget.exhausted() {
            Some(Error::Refused(format!("reading Packages ran past its budget of {} operations", budget.max_ops())))
        } else {
            None
        }
    };
    let row_error = |e: rusqlite::Error| {
        if sqlite_guard::is_too_big(&e) {
            Error::Refused(format!("a Packages blob is over {MAX_BLOB} bytes"))
        } else {
            sql(e)
        }
    };
    let mut stmt = conn.prepare("SELECT blob FROM Packages ORDER BY hnum").map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    loop {
        match rows.next() {
            Ok(Some(row)) => match row.get::<_, Vec<u8>>(0) {
                Ok(blob) => out.blob(&blob),
                Err(e) => out.problem(row_error(e)),
            },
            Ok(None) => break,
            Err(e) => {
                if let Some(fatal) = refused(&e) {
                    return Err(fatal);
                }
                out.problem(row_error(e));
                break;
            }
        }
    }
    Ok(())
}
