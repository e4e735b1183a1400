//! Database versions, the canonical dump, and deltas between two databases.
//!
//! * The **version** of a database is the sha256 of its [canonical dump](canonical_dump): every
//!   row of every table, grouped by the table's key (the advisory id, the CVE id of KEV and EPSS,
//!   the ecosystem, the key of `meta`, the name of `sources`) in byte order, the rows of one key
//!   sorted. It names the *contents*, not the file: two files holding the same rows have the
//!   same version, whatever order they were written in, their page layout or their free pages.
//!   A database a
//!   delta made from N to N+1 was applied to is therefore exactly version N+1 (the check after
//!   applying proves it), and the next delta, made against the publisher's full build of N+1,
//!   applies to it too. The file's sha256 (the export manifest's) cannot do this: a full build
//!   and a patched copy of the same rows are different files.
//! * A **delta** ([`export_delta`]) holds, per table, the complete new row set of every key whose
//!   rows differ between the base and the new database (added or changed), and an empty row set
//!   for every key the new database no longer has (withdrawn), with the base's and the new
//!   database's versions. [`import_delta`] refuses a database whose version is not the base,
//!   applies the delta to a copy beside it, checks that the copy now has the new version, and
//!   renames it into place.
//!
//! Format (`microscanner-db-delta/1`, media type `application/vnd.microscanner.db.delta.v1+zstd`):
//! zstd-compressed JSON lines. The first line is the [`DeltaHeader`], then one line per key,
//! `{"table":T,"key":K,"rows":[ROW,...]}` in table order then key order (each row a JSON array of
//! its columns in schema order: `null`, an integer, a string, or `{"real":"TEXT"}` for a floating
//! point number, written as Rust writes an `f64` so that it reads back exactly), and last a
//! trailer `{"end":true,"entries":N,"rows":M}` so that a truncated delta is refused.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use microscanner_atomic_file::AtomicPath;
use microscanner_sqlite_guard::Table;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Rows};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::build::{OutputFile, install_built};
use crate::error::{Error, Result};
use crate::read::{open_read_only, refine};
use crate::schema::{EXPECTED, SCHEMA_VERSION};

/// Format tag of a delta's header.
pub const DELTA_FORMAT: &str = "microscanner-db-delta/1";
/// The OCI media type of a delta (a registry layer, a download).
pub const DELTA_MEDIA_TYPE: &str = "application/vnd.microscanner.db.delta.v1+zstd";
/// First line of a canonical dump (part of what the version digests).
const DUMP_HEADER: &str = "microscanner-db-dump/1";
/// The most bytes the rows of one key may take, encoded (the largest real advisory, a Debian CVE
/// with every release's entries, is well under a megabyte).
const MAX_GROUP: usize = 64 << 20;
/// The longest line of a delta: one key's rows and its table and key.
const MAX_LINE: u64 = MAX_GROUP as u64 + (1 << 20);
/// At most this many bytes of delta lines per compressed byte, beyond [`RATIO_FLOOR`].
const MAX_RATIO: u64 = 64;
/// ... which any delta may expand to.
const RATIO_FLOOR: u64 = 64 << 20;

/// The first line of a delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaHeader {
    /// Always [`DELTA_FORMAT`].
    pub format: String,
    /// Schema version of both databases.
    pub schema_version: u32,
    /// Version ([`content_version`]) of the database the delta applies to.
    pub base: String,
    /// Version of the database it makes.
    pub target: String,
    /// When the base was built.
    pub base_built_at: String,
    /// When the new database was built.
    pub built_at: String,
}

/// What a delta holds, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaStats {
    /// Keys whose rows were replaced (added, changed or withdrawn), over all tables.
    pub entries: u64,
    /// Rows written.
    pub rows: u64,
    /// Keys the new database no longer has (their rows deleted), over all tables.
    pub removed: u64,
}

/// The last line of a delta.
#[derive(Debug, Serialize, Deserialize)]
struct Trailer {
    end: bool,
    entries: u64,
    rows: u64,
}

/// One key's new rows in one table.
#[derive(Debug, Deserialize)]
struct Entry {
    table: String,
    key: String,
    rows: Vec<Vec<serde_json::Value>>,
}

/// The version of a database: `sha256:` and the hex sha256 of its [`canonical_dump`]. Reads
/// the whole file (opened as [`Database::open`](crate::Database::open) opens any file).
pub fn content_version(db: &Path) -> Result<String> {
    canonical_dump(db, &mut std::io::sink())
}

/// Writes the canonical dump of `db` to `out` and returns its version (`sha256:HEX` of exactly
/// the bytes written). The dump is a first line `microscanner-db-dump/1 schema N`, then for each
/// table in schema order its rows, one per line as `TABLE<TAB>ROW` (the row a JSON array as in
/// a delta), ordered by the table's key (its first column, in byte order) and within one key by
/// the encoded row. Two databases with the same rows have the same dump, whatever their file
/// layout: what tests compare, and what `db dump` prints. Streamed (memory holds one key's
/// rows, at most 64 MiB), time linear in the rows.
pub fn canonical_dump(db: &Path, out: &mut dyn Write) -> Result<String> {
    let (conn, budget) = open_read_only(db)?;
    let mut hashing = HashingWriter { inner: out, hasher: Sha256::new() };
    let io = |e| Error::io("(dump output)", e);
    writeln!(hashing, "{DUMP_HEADER} schema {SCHEMA_VERSION}").map_err(io)?;
    for table in EXPECTED.tables {
        budget.reset();
        let mut stmt = conn.prepare(&select_sql(table))?;
        let mut rows = stmt.query([])?;
        let mut groups = Groups::new(table, db);
        while let Some((_, lines)) = groups.next(&mut rows).map_err(|e| refine(e, &budget, db))? {
            for line in lines {
                writeln!(hashing, "{}\t{line}", table.name).map_err(io)?;
            }
        }
    }
    Ok(format!("sha256:{}", hex::encode(hashing.hasher.finalize())))
}

/// Writes to `out` a delta that turns `base` into `db`: per table, the rows of every key added,
/// changed or withdrawn. One pass over both files, merged key by key in
/// order: streamed, memory one key's rows per file, time linear in the rows. Both versions are
/// digested during that pass, so the entries are written (compressed) to a scratch file beside
/// `db` first, and `out` gets the header, then them. `out` is written beside and renamed into
/// place ([`OutputFile`]).
pub fn export_delta(base: &Path, db: &Path, out: &Path) -> Result<(DeltaHeader, DeltaStats)> {
    let built_at = |path: &Path| -> Result<String> { crate::Database::open(path)?.metadata().map(|m| m.built_at) };
    let (base_built_at, new_built_at) = (built_at(base)?, built_at(db)?);
    let (old, old_budget) = open_read_only(base)?;
    let (new, new_budget) = open_read_only(db)?;
    let body = Scratch(crate::build::temp_path_beside(db, "delta"));
    let body_io = |e| Error::io(&body.0, e);
    let mut stats = DeltaStats::default();
    let mut old_hash = Sha256::new();
    let mut new_hash = Sha256::new();
    let dump_header = format!("{DUMP_HEADER} schema {SCHEMA_VERSION}\n");
    old_hash.update(&dump_header);
    new_hash.update(&dump_header);
    {
        let file = File::create(&body.0).map_err(body_io)?;
        let mut zst = zstd::Encoder::new(BufWriter::new(file), 19).map_err(body_io)?;
        zst.include_checksum(true).map_err(body_io)?;
        for table in EXPECTED.tables {
            old_budget.reset();
            new_budget.reset();
            let sql = select_sql(table);
            let (mut old_stmt, mut new_stmt) = (old.prepare(&sql)?, new.prepare(&sql)?);
            let (mut old_rows, mut new_rows) = (old_stmt.query([])?, new_stmt.query([])?);
            let (mut old_groups, mut new_groups) = (Groups::new(table, base), Groups::new(table, db));
            let mut next_old = |rows: &mut Rows<'_>| -> Result<Option<(String, Vec<String>)>> {
                let group = old_groups.next(rows).map_err(|e| refine(e, &old_budget, base))?;
                hash_group(&mut old_hash, table.name, group.as_ref());
                Ok(group)
            };
            let mut next_new = |rows: &mut Rows<'_>| -> Result<Option<(String, Vec<String>)>> {
                let group = new_groups.next(rows).map_err(|e| refine(e, &new_budget, db))?;
                hash_group(&mut new_hash, table.name, group.as_ref());
                Ok(group)
            };
            let mut a = next_old(&mut old_rows)?;
            let mut b = next_new(&mut new_rows)?;
            loop {
                let order = match (&a, &b) {
                    (None, None) => break,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
                };
                match order {
                    std::cmp::Ordering::Less => {
                        // Only in the base: withdrawn.
                        if let Some((key, _)) = &a {
                            write_entry(&mut zst, table.name, key, &[]).map_err(body_io)?;
                            stats.entries += 1;
                            stats.removed += 1;
                        }
                        a = next_old(&mut old_rows)?;
                    }
                    std::cmp::Ordering::Greater => {
                        if let Some((key, lines)) = &b {
                            write_entry(&mut zst, table.name, key, lines).map_err(body_io)?;
                            stats.entries += 1;
                            stats.rows += lines.len() as u64;
                        }
                        b = next_new(&mut new_rows)?;
                    }
                    std::cmp::Ordering::Equal => {
                        if let (Some((_, old_lines)), Some((key, lines))) = (&a, &b)
                            && old_lines != lines
                        {
                            write_entry(&mut zst, table.name, key, lines).map_err(body_io)?;
                            stats.entries += 1;
                            stats.rows += lines.len() as u64;
                        }
                        a = next_old(&mut old_rows)?;
                        b = next_new(&mut new_rows)?;
                    }
                }
            }
        }
        serde_json::to_writer(&mut zst, &Trailer { end: true, entries: stats.entries, rows: stats.rows })?;
        zst.write_all(b"\n").map_err(body_io)?;
        let file = zst.finish().map_err(body_io)?.into_inner().map_err(|e| body_io(e.into_error()))?;
        file.sync_all().map_err(body_io)?;
    }
    let header = DeltaHeader {
        format: DELTA_FORMAT.into(),
        schema_version: SCHEMA_VERSION,
        base: format!("sha256:{}", hex::encode(old_hash.finalize())),
        target: format!("sha256:{}", hex::encode(new_hash.finalize())),
        base_built_at,
        built_at: new_built_at,
    };
    // The header as a zstd frame of its own, then the entries' frame: one zstd stream.
    let mut file = OutputFile::create(out)?;
    let io = |e| Error::io(out, e);
    {
        let mut w = BufWriter::new(&mut file);
        let mut line = serde_json::to_vec(&header)?;
        line.push(b'\n');
        w.write_all(&zstd::encode_all(line.as_slice(), 19).map_err(io)?).map_err(io)?;
        let mut entries = File::open(&body.0).map_err(body_io)?;
        std::io::copy(&mut entries, &mut w).map_err(io)?;
        w.flush().map_err(io)?;
    }
    file.commit()?;
    Ok((header, stats))
}

/// Adds a group's dump lines (as [`canonical_dump`] writes them) to a version's digest.
fn hash_group(hasher: &mut Sha256, table: &str, group: Option<&(String, Vec<String>)>) {
    for line in group.map(|(_, lines)| lines.as_slice()).unwrap_or_default() {
        hasher.update(table.as_bytes());
        hasher.update(b"\t");
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
}

/// A scratch file removed when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads the header of a delta, or `None` when `file` is zstd but not a delta (an export).
/// Errors: the file cannot be read, is not zstd, or its header does not parse.
pub fn read_delta_header(file: &Path) -> Result<Option<DeltaHeader>> {
    let bad = |reason: String| Error::BadExport { path: file.to_path_buf(), reason };
    let f = File::open(file).map_err(|e| Error::io(file, e))?;
    let mut zst = zstd::Decoder::new(BufReader::new(f)).map_err(|e| bad(format!("not zstd: {e}")))?;
    zst.window_log_max(27).map_err(|e| bad(format!("not zstd: {e}")))?;
    let mut reader = BufReader::new(zst);
    let first = reader.fill_buf().map_err(|e| bad(format!("not zstd: {e}")))?;
    if first.first() != Some(&b'{') {
        return Ok(None);
    }
    let line = read_line(&mut reader, 1 << 16).map_err(|e| bad(format!("reading the header: {e}")))?;
    let line = line.ok_or_else(|| bad("empty delta".into()))?;
    Ok(Some(parse_header(&line).map_err(bad)?))
}

/// Applies the delta `delta` to the database `target`, which must be its base. `target` is copied
/// to a temporary beside it; the copy's version must be the delta's base (else refused: "made
/// against version X, TARGET is version Y"), the delta is applied to the copy in one
/// transaction, the copy must then have the delta's new version (else refused), and it is
/// verified (integrity, schema) and renamed over `target`. Anything amiss, or the process killed
/// at any point: `target` is untouched (and the temporary removed, or swept later).
///
/// The delta is hostile until proven otherwise: lines are bounded (64 MiB), as is the total
/// decompressed (64 times the compressed size beyond 64 MiB); only our tables and their columns
/// are written, through fixed statements.
pub fn import_delta(delta: &Path, target: &Path) -> Result<(DeltaHeader, DeltaStats)> {
    let bad = |reason: String| Error::BadExport { path: delta.to_path_buf(), reason };
    let file = File::open(delta).map_err(|e| Error::io(delta, e))?;
    let compressed = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let counting = crate::archive::Counting { inner: file, count: std::rc::Rc::clone(&compressed) };
    let mut zst = zstd::Decoder::new(BufReader::new(counting)).map_err(|e| bad(format!("not zstd: {e}")))?;
    zst.window_log_max(27).map_err(|e| bad(format!("not zstd: {e}")))?;
    let mut reader = BufReader::new(zst);
    let mut total = 0u64;
    let mut next_line = |reader: &mut BufReader<_>| -> Result<Option<String>> {
        let line = read_line(reader, MAX_LINE).map_err(|e| bad(format!("reading: {e}")))?;
        if let Some(l) = &line {
            total += l.len() as u64 + 1;
            if total > RATIO_FLOOR.saturating_add(MAX_RATIO.saturating_mul(compressed.get())) {
                return Err(bad(format!(
                    "{total} bytes from {} compressed bytes, more than {MAX_RATIO} times (a decompression bomb?)",
                    compressed.get()
                )));
            }
        }
        Ok(line)
    };
    let header = next_line(&mut reader)?.ok_or_else(|| bad("empty delta".into()))?;
    let header = parse_header(&header).map_err(bad)?;

    if !std::fs::metadata(target).map(|m| m.is_file()).unwrap_or(false) {
        return Err(Error::Incompatible {
            path: target.to_path_buf(),
            reason: "no database to apply the delta to (import a full export first)".into(),
        });
    }
    // The temporaries of imports killed before their rename.
    microscanner_atomic_file::sweep_stale(
        target,
        microscanner_atomic_file::Stale::OwnerGoneOrAfter(std::time::Duration::from_secs(3600)),
    );
    let work = AtomicPath::create(target).map_err(|e| Error::io(e.path, e.source))?;
    std::fs::copy(target, work.path()).map_err(|e| Error::io(work.path(), e))?;
    let version = content_version(work.path())?;
    if version != header.base {
        return Err(bad(format!(
            "made against database version {}, {} is version {version}: import a full export instead",
            header.base,
            target.display()
        )));
    }

    let mut stats = DeltaStats::default();
    {
        let conn = Connection::open(work.path())?;
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN")?;
        let mut previous: Option<(usize, String)> = None;
        let trailer = loop {
            let line = next_line(&mut reader)?.ok_or_else(|| bad("truncated: no end line".into()))?;
            if line.starts_with("{\"end\"") {
                break serde_json::from_str::<Trailer>(&line).map_err(|e| bad(format!("end line: {e}")))?;
            }
            let entry: Entry =
                serde_json::from_str(&line).map_err(|e| bad(format!("entry {}: {e}", stats.entries + 1)))?;
            let at = EXPECTED
                .tables
                .iter()
                .position(|t| t.name == entry.table)
                .ok_or_else(|| bad(format!("entry {}: unknown table {:?}", stats.entries + 1, entry.table)))?;
            // Strictly in (table, key) order, as written: each key once.
            if previous.as_ref().is_some_and(|(t, k)| (*t, k.as_str()) >= (at, entry.key.as_str())) {
                return Err(bad(format!("entry {}: {} {:?} out of order", stats.entries + 1, entry.table, entry.key)));
            }
            apply_entry(&conn, &EXPECTED.tables[at], &entry).map_err(|reason| {
                bad(format!("entry {} ({} {:?}): {reason}", stats.entries + 1, entry.table, entry.key))
            })?;
            stats.entries += 1;
            stats.rows += entry.rows.len() as u64;
            if entry.rows.is_empty() {
                stats.removed += 1;
            }
            previous = Some((at, entry.key));
        };
        if !trailer.end || trailer.entries != stats.entries || trailer.rows != stats.rows {
            return Err(bad(format!(
                "the end line counts {} entries and {} rows, the delta held {} and {}",
                trailer.entries, trailer.rows, stats.entries, stats.rows
            )));
        }
        if next_line(&mut reader)?.is_some() {
            return Err(bad("data after the end line".into()));
        }
        // No ANALYZE: the statistics copied from the base describe a database a delta changed by
        // a fraction; the planner's choices here (key and index lookups) do not depend on them.
        conn.execute_batch("COMMIT; PRAGMA journal_mode = DELETE;")?;
        conn.close().map_err(|(_, e)| Error::Sqlite(e))?;
    }
    let result = content_version(work.path())?;
    if result != header.target {
        return Err(bad(format!(
            "applied, the database is version {result}, not the delta's {}: refused",
            header.target
        )));
    }
    install_built(work)?;
    Ok((header, stats))
}

/// Deletes a key's rows from a table and inserts the entry's. An error says what is wrong.
fn apply_entry(conn: &Connection, table: &Table, entry: &Entry) -> std::result::Result<(), String> {
    let key = table.columns[0].0;
    conn.prepare_cached(&format!("DELETE FROM {} WHERE {key} = ?1", table.name))
        .and_then(|mut s| s.execute([&entry.key]))
        .map_err(|e| e.to_string())?;
    if entry.rows.is_empty() {
        return Ok(());
    }
    let columns: Vec<&str> = table.columns.iter().map(|c| c.0).collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT INTO {} ({}) VALUES ({})", table.name, columns.join(", "), marks.join(", "));
    let mut stmt = conn.prepare_cached(&sql).map_err(|e| e.to_string())?;
    for row in &entry.rows {
        if row.len() != columns.len() {
            return Err(format!("a row of {} values, the table has {} columns", row.len(), columns.len()));
        }
        let values: Vec<Value> = row.iter().map(decode_value).collect::<std::result::Result<_, _>>()?;
        if values.first() != Some(&Value::Text(entry.key.clone())) {
            return Err("a row whose key is not the entry's".into());
        }
        stmt.execute(rusqlite::params_from_iter(values)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A JSON value of a row as the SQLite value it encodes.
fn decode_value(v: &serde_json::Value) -> std::result::Result<Value, String> {
    match v {
        serde_json::Value::Null => Ok(Value::Null),
        serde_json::Value::String(s) => Ok(Value::Text(s.clone())),
        serde_json::Value::Number(n) => n.as_i64().map(Value::Integer).ok_or_else(|| format!("not an integer: {n}")),
        serde_json::Value::Object(o) if o.len() == 1 => match o.get("real") {
            Some(serde_json::Value::String(s)) => {
                s.parse::<f64>().map(Value::Real).map_err(|_| format!("not a number: {s:?}"))
            }
            _ => Err("an object that is not {\"real\": TEXT}".into()),
        },
        other => Err(format!("not a column value: {other}")),
    }
}

fn parse_header(line: &str) -> std::result::Result<DeltaHeader, String> {
    let header: DeltaHeader = serde_json::from_str(line).map_err(|e| format!("header: {e}"))?;
    if header.format != DELTA_FORMAT {
        return Err(format!("unknown delta format {:?}", header.format));
    }
    if header.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "database schema version {}, this microscanner reads version {SCHEMA_VERSION}",
            header.schema_version
        ));
    }
    Ok(header)
}

/// Reads one `\n`-terminated line of at most `max` bytes (without the `\n`); `None` at the end.
fn read_line(reader: &mut impl BufRead, max: u64) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = reader.by_ref().take(max + 1).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n as u64 > max {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a line longer than {max} bytes")));
    } else {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "truncated: the last line has no end"));
    }
    String::from_utf8(buf).map(Some).map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"))
}

fn write_entry(out: &mut impl Write, table: &str, key: &str, lines: &[String]) -> std::io::Result<()> {
    let json = |s: &str| serde_json::to_string(s).map_err(std::io::Error::other);
    write!(out, "{{\"table\":{},\"key\":{},\"rows\":[", json(table)?, json(key)?)?;
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(l.as_bytes())?;
    }
    out.write_all(b"]}\n")
}

/// `SELECT` every column of `table` in schema order, by its key (the first column).
fn select_sql(table: &Table) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|c| c.0).collect();
    format!("SELECT {} FROM {} ORDER BY {}", columns.join(", "), table.name, columns[0])
}

/// Cuts a table's rows, ordered by key, into one group per key: the key and its rows encoded and
/// sorted.
struct Groups<'a> {
    table: &'a Table,
    path: &'a Path,
    /// The first row of the next group (read ahead): its key and encoding.
    pending: Option<(String, String)>,
    /// The last key returned, to check the order.
    last: Option<String>,
}

impl<'a> Groups<'a> {
    fn new(table: &'a Table, path: &'a Path) -> Self {
        Self { table, path, pending: None, last: None }
    }

    fn next(&mut self, rows: &mut Rows<'_>) -> Result<Option<(String, Vec<String>)>> {
        let mut group: Option<(String, Vec<String>)> = self.pending.take().map(|(k, l)| (k, vec![l]));
        let mut bytes = group.as_ref().map_or(0, |(_, l)| l[0].len());
        while let Some(row) = rows.next()? {
            let (key, line) = self.encode(row)?;
            match &mut group {
                Some((k, lines)) if *k == key => {
                    bytes += line.len();
                    if bytes > MAX_GROUP {
                        return Err(self.bad(format!("the rows of {key:?} take more than {MAX_GROUP} bytes")));
                    }
                    lines.push(line);
                }
                Some(_) => {
                    self.pending = Some((key, line));
                    break;
                }
                None => {
                    bytes = line.len();
                    group = Some((key, vec![line]));
                }
            }
        }
        if let Some((key, lines)) = &mut group {
            if self.last.as_deref().is_some_and(|last| last >= key.as_str()) {
                return Err(self.bad(format!("keys out of order at {key:?}")));
            }
            self.last = Some(key.clone());
            lines.sort_unstable();
        }
        Ok(group)
    }

    /// A row's key (its first column, text) and its encoding.
    fn encode(&self, row: &rusqlite::Row<'_>) -> Result<(String, String)> {
        let mut line = String::from("[");
        let mut key = None;
        for i in 0..self.table.columns.len() {
            if i > 0 {
                line.push(',');
            }
            match row.get_ref(i)? {
                ValueRef::Null => line.push_str("null"),
                ValueRef::Integer(n) => line.push_str(&n.to_string()),
                ValueRef::Real(f) => {
                    line.push_str("{\"real\":\"");
                    line.push_str(&f.to_string());
                    line.push_str("\"}");
                }
                ValueRef::Text(t) => {
                    let s = std::str::from_utf8(t).map_err(|_| self.bad("a text value is not UTF-8".into()))?;
                    line.push_str(&serde_json::to_string(s)?);
                    if i == 0 {
                        key = Some(s.to_owned());
                    }
                }
                ValueRef::Blob(_) => return Err(self.bad(format!("a blob in {}", self.table.name))),
            }
        }
        line.push(']');
        let key = key.ok_or_else(|| self.bad(format!("a row of {} whose key is not text", self.table.name)))?;
        Ok((key, line))
    }

    fn bad(&self, reason: String) -> Error {
        Error::Incompatible { path: self.path.to_path_buf(), reason }
    }
}

/// Passes bytes through to `inner`, hashing them.
struct HashingWriter<'a> {
    inner: &'a mut dyn Write,
    hasher: Sha256,
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
