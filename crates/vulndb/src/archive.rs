//! `db export` / `db import`: the whole database as one zstd-compressed tar holding
//! `manifest.json` (sha256, size, schema version) and `microscanner.db`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::build::{OutputFile, install, temp_path_beside};
use crate::error::{Error, Result};
use crate::read::Database;
use crate::schema::SCHEMA_VERSION;

/// Name of the manifest inside an export.
const MANIFEST: &str = "manifest.json";
/// Name of the database inside an export.
const DB_ENTRY: &str = "microscanner.db";
/// Format tag of the manifest.
const FORMAT: &str = "microscanner-db-export/1";
/// Refuse manifests bigger than this (a manifest is a few hundred bytes).
const MAX_MANIFEST: u64 = 64 * 1024;

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
pub fn import(archive: &Path, target: &Path) -> Result<Manifest> {
    let bad = |reason: String| Error::BadExport { path: archive.to_path_buf(), reason };
    let file = File::open(archive).map_err(|e| Error::io(archive, e))?;
    let zst = zstd::Decoder::new(BufReader::new(file)).map_err(|e| bad(format!("not zstd: {e}")))?;
    let mut tar = tar::Archive::new(zst);
    let mut entries = tar.entries().map_err(|e| bad(format!("not a tar: {e}")))?;

    let mut first = entries.next().ok_or_else(|| bad("empty export".into()))?.map_err(|e| bad(e.to_string()))?;
    if first.path().map(|p| p.as_os_str() != MANIFEST).unwrap_or(true) || first.size() > MAX_MANIFEST {
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
    if second.size() != manifest.size {
        return Err(bad(format!("database is {} bytes, the manifest says {}", second.size(), manifest.size)));
    }
    let tmp = temp_path_beside(target, "import");
    if let Some(dir) = tmp.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let outcome = (|| -> Result<()> {
        let mut out = BufWriter::new(File::create(&tmp).map_err(|e| Error::io(&tmp, e))?);
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            let n = second.read(&mut buf).map_err(|e| bad(format!("reading the database: {e}")))?;
            if n == 0 {
                break;
            }
            total += n as u64;
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
        install(&tmp, target)
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome.map(|()| manifest)
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
