//! `db export` / `db import`: the whole database as one zstd-compressed tar holding
//! `manifest.json` (sha256, size, schema version) and `microscanner.db`.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::build::{OutputFile, install, temp_path_beside};
use crate::error::{Error, Result};
use crate::read::Database;
use crate::schema::{APPLICATION_ID, SCHEMA_VERSION};

/// Name of the manifest inside an export.
const MANIFEST: &str = "manifest.json";
/// Name of the database inside an export.
const DB_ENTRY: &str = "microscanner.db";
/// Format tag of the manifest.
const FORMAT: &str = "microscanner-db-export/1";
/// Refuse manifests bigger than this (a manifest is a few hundred bytes).
const MAX_MANIFEST: u64 = 64 * 1024;
/// The largest database an import accepts (a full database is around a gigabyte).
const MAX_DB: u64 = 16 << 30;
/// At most this many bytes of database per byte of export (zstd compresses a real database
/// about 5 to 10 times), beyond [`RATIO_FLOOR`]...
const MAX_RATIO: u64 = 64;
/// ... which any export may expand to (small databases are mostly empty pages).
const RATIO_FLOOR: u64 = 64 << 20;

/// The manifest of an export file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `microscanner-db-export/1`.
    pub format: String,
    /// Schema version of the database inside.
    pub schema_version: u32,
    /// When the database was built.
    pub built_at: String,
    /// Size of the database file in bytes.
    pub size: u64,
    /// Lowercase hex sha256 of the database file.
    pub sha256: String,
}

/// Writes `db` (verified first) to `out` as a zstd-compressed export. Returns the manifest.
pub fn export(db: &Path, out: &Path) -> Result<Manifest> {
    let database = Database::open(db)?;
    database.verify()?;
    let built_at = database.metadata()?.built_at;
    drop(database);
    let (sha256, size) = hash_file(db)?;
    let manifest = Manifest { format: FORMAT.into(), schema_version: SCHEMA_VERSION, built_at, size, sha256 };
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;

    // Written beside `out` and renamed over it, or in place when `out` is a device or a FIFO
    // (`db export /dev/stdout`, a pipe to `ssh`): see `OutputFile`.
    let mut file = OutputFile::create(out)?;
    let result = (|| -> std::io::Result<()> {
        let mut zst = zstd::Encoder::new(BufWriter::new(&mut file), 10)?;
        {
            let mut tar = tar::Builder::new(&mut zst);
            let mut header = tar::Header::new_gnu();
            header.set_size(manifest_json.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, MANIFEST, manifest_json.as_slice())?;
            let mut header = tar::Header::new_gnu();
            header.set_size(size);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, DB_ENTRY, BufReader::new(File::open(db)?))?;
            tar.finish()?;
        }
        zst.finish()?.flush()
    })();
    result.map_err(|e| Error::io(out, e))?;
    file.commit()?;
    Ok(manifest)
}

/// Reads an export, checks the database inside against the manifest (size, sha256), checks its
/// integrity and schema version, and only then renames it over `target`. Anything amiss: refused,
/// and `target` is untouched.
///
/// The export is hostile until proven otherwise. Before anything is written, the sizes it
/// declares (the manifest's, the tar entry's, the SQLite header's page count) must agree, stay
/// under 16 GiB and under 64 times the export's own size (beyond a 64 MiB floor); while
/// streaming, the bytes written stay within the declared size and within 64 times the
/// compressed bytes read. The database is then opened as [`Database::open`] opens any file
/// (hardened, our schema exactly: no view, no trigger) before it is installed.
pub fn import(archive: &Path, target: &Path) -> Result<Manifest> {
    let bad = |reason: String| Error::BadExport { path: archive.to_path_buf(), reason };
    let file = File::open(archive).map_err(|e| Error::io(archive, e))?;
    // The export's length, when it is a regular file (not a pipe): bounds the size it may claim.
    let archive_len = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
    let compressed = Rc::new(Cell::new(0u64));
    let counting = Counting { inner: file, count: Rc::clone(&compressed) };
    let mut zst = zstd::Decoder::new(BufReader::new(counting)).map_err(|e| bad(format!("not zstd: {e}")))?;
    // Decoder memory: a window of at most 32 MiB (an export is written at level 10: 4 MiB).
    zst.window_log_max(25).map_err(|e| bad(format!("not zstd: {e}")))?;
    let mut tar = tar::Archive::new(zst);
    let mut entries = tar.entries().map_err(|e| bad(format!("not a tar: {e}")))?;

    let mut first = entries.next().ok_or_else(|| bad("empty export".into()))?.map_err(|e| bad(e.to_string()))?;
    if first.path().map(|p| p.as_os_str() != MANIFEST).unwrap_or(true)
        || first.size() > MAX_MANIFEST
        || !first.header().entry_type().is_file()
    {
        return Err(bad("the first entry is not the manifest".into()));
    }
    let mut raw = Vec::new();
    first.read_to_end(&mut raw).map_err(|e| bad(format!("manifest: {e}")))?;
    let manifest: Manifest = serde_json::from_slice(&raw).map_err(|e| bad(format!("manifest: {e}")))?;
    if manifest.format != FORMAT {
        return Err(bad(format!("unknown export format {:?}", manifest.format)));
    }
    if manifest.schema_version != SCHEMA_VERSION {
        return Err(bad(format!(
            "database schema version {}, this microscanner reads version {SCHEMA_VERSION}",
            manifest.schema_version
        )));
    }

    let mut second =
        entries.next().ok_or_else(|| bad("no database in the export".into()))?.map_err(|e| bad(e.to_string()))?;
    if second.path().map(|p| p.as_os_str() != DB_ENTRY).unwrap_or(true) {
        return Err(bad("the second entry is not the database".into()));
    }
    if !second.header().entry_type().is_file() {
        // A sparse entry expands holes to zeros: more bytes out than its header's size.
        return Err(bad("the database entry is not a plain file".into()));
    }
    // Every size the export declares is checked before anything is written.
    if second.size() != manifest.size {
        return Err(bad(format!("database is {} bytes, the manifest says {}", second.size(), manifest.size)));
    }
    if manifest.size > MAX_DB {
        return Err(bad(format!(
            "the manifest claims a {}-byte database, more than the {MAX_DB} bytes an import accepts",
            manifest.size
        )));
    }
    let bound = |compressed: u64| RATIO_FLOOR.saturating_add(MAX_RATIO.saturating_mul(compressed));
    if let Some(len) = archive_len.filter(|&len| manifest.size > bound(len)) {
        return Err(bad(format!(
            "the manifest claims a {}-byte database in a {len}-byte export, more than {MAX_RATIO} times its \
             size (a decompression bomb?)",
            manifest.size
        )));
    }
    let mut head = [0u8; SQLITE_HEADER];
    second.read_exact(&mut head).map_err(|e| bad(format!("reading the database: {e}")))?;
    check_sqlite_header(&head, manifest.size).map_err(|reason| bad(format!("the database inside: {reason}")))?;

    let tmp = temp_path_beside(target, "import");
    if let Some(dir) = tmp.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let outcome = (|| -> Result<()> {
        let mut out = BufWriter::new(File::create(&tmp).map_err(|e| Error::io(&tmp, e))?);
        let mut hasher = Sha256::new();
        hasher.update(head);
        out.write_all(&head).map_err(|e| Error::io(&tmp, e))?;
        let mut buf = vec![0u8; 1 << 16];
        let mut total = head.len() as u64;
        loop {
            let n = second.read(&mut buf).map_err(|e| bad(format!("reading the database: {e}")))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            // Bounded while streaming too: never more than declared, and never more than
            // `MAX_RATIO` times the compressed bytes read so far (a stream of zeros that does not
            // stop where the end of the file said it would).
            if total > manifest.size {
                return Err(bad(format!("the database is longer than the {} bytes declared", manifest.size)));
            }
            if total > bound(compressed.get()) {
                return Err(bad(format!(
                    "{total} bytes of database from {} compressed bytes, more than {MAX_RATIO} times (a \
                     decompression bomb?)",
                    compressed.get()
                )));
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| Error::io(&tmp, e))?;
        }
        let file = out.into_inner().map_err(|e| Error::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&tmp, e))?;
        let digest = hex::encode(hasher.finalize());
        if total != manifest.size || digest != manifest.sha256 {
            return Err(bad(format!(
                "sha256 {digest} does not match the manifest's {} (tampered or damaged)",
                manifest.sha256
            )));
        }
        // The database is opened as the hostile file it may be (a view, a trigger, a schema
        // other than ours: refused) and checked before it replaces `target`.
        install(&tmp, target).map_err(|e| match e {
            Error::Incompatible { reason, .. } => bad(format!("the database inside: {reason}")),
            Error::Integrity { detail, .. } => bad(format!("the database inside: integrity check failed: {detail}")),
            Error::Budget { ops, .. } => {
                bad(format!("the database inside: a query ran past its budget of {ops} operations"))
            }
            e => e,
        })
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome.map(|()| manifest)
}

/// Size of the SQLite file header.
const SQLITE_HEADER: usize = 100;

/// Checks the header of the database inside an export against what we write and the size the
/// manifest declares: the SQLite magic, rollback-journal mode, our application id and schema
/// version, and `page size × page count` equal to the size.
fn check_sqlite_header(h: &[u8; SQLITE_HEADER], size: u64) -> std::result::Result<(), String> {
    let be32 = |at: usize| u32::from_be_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
    if !h.starts_with(b"SQLite format 3\0") {
        return Err("not a SQLite database".into());
    }
    if h[18] != 1 || h[19] != 1 {
        return Err("not in rollback-journal mode".into());
    }
    if be32(68).to_be_bytes() != APPLICATION_ID.to_be_bytes() {
        return Err("not a microscanner database".into());
    }
    if be32(60) != SCHEMA_VERSION {
        return Err(format!("schema version {}, this microscanner reads version {SCHEMA_VERSION}", be32(60)));
    }
    let page_size = match u16::from_be_bytes([h[16], h[17]]) {
        1 => 65536,
        n => u64::from(n),
    };
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!("impossible page size {page_size}"));
    }
    // The page count in the header is valid when its "version valid for" equals the change
    // counter (always, for files written by SQLite 3.7.0 or later).
    let pages = u64::from(be32(28));
    if be32(92) != be32(24) || pages.saturating_mul(page_size) != size {
        return Err(format!("the file header says {pages} pages of {page_size} bytes, the manifest {size} bytes"));
    }
    Ok(())
}

/// Counts the bytes read through it into a shared cell.
pub(crate) struct Counting<R> {
    pub(crate) inner: R,
    pub(crate) count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get().saturating_add(n as u64));
        Ok(n)
    }
}

/// sha256 (hex) and size of a file.
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut file = BufReader::new(File::open(path).map_err(|e| Error::io(path, e))?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), total))
}
