//! `rpmdb.sqlite`: a `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` table of header blobs,
//! read through rusqlite from an in-memory copy of the bytes (nothing touches the disk).

use std::io::Read;

use rusqlite::{Connection, MAIN_DB, OpenFlags};

use crate::{Blobs, Error};

/// The SQLite file magic.
pub const MAGIC: &[u8] = b"SQLite format 3\0";

fn sql(e: rusqlite::Error) -> Error {
    Error::Sqlite(e.to_string())
}

/// Reads every header blob of an `rpmdb.sqlite`.
///
/// rpm keeps the database in WAL mode; an in-memory copy cannot use a WAL, so the copy is switched
/// to rollback-journal mode (file format bytes 18 and 19). A `-wal` file beside the database is not
/// read: rpm checkpoints it when it closes, so in images it is empty.
pub fn read_blobs(bytes: &[u8]) -> Result<Blobs, Error> {
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
    conn.deserialize_read_exact(MAIN_DB, reader, bytes.len(), true).map_err(sql)?;
    let mut out = Blobs::default();
    let mut stmt = conn.prepare("SELECT blob FROM Packages ORDER BY hnum").map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    loop {
        match rows.next() {
            Ok(Some(row)) => match row.get::<_, Vec<u8>>(0) {
                Ok(blob) => out.blobs.push(blob),
                Err(e) => out.problems.push(sql(e)),
            },
            Ok(None) => break,
            Err(e) => {
                out.problems.push(sql(e));
                break;
            }
        }
    }
    Ok(out)
}
