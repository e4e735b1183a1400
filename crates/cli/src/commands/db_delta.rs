//! `db export --since BASE`, `db import DELTA` and `db dump`: deltas between database versions
//! (see `microscanner_vulndb::export_delta`).

use std::io::{Read as _, Write as _};
use std::path::Path;

use anyhow::{Context, bail};
use microscanner_vulndb::{canonical_dump, content_version, export_delta, import, import_delta, read_delta_header};

use crate::commands::{Global, TempFile, note};
use crate::exit::Outcome;

/// The first bytes of a SQLite file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// The first bytes of a zstd frame.
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Whether `file` is a delta (`db export --since`) rather than a full export. A file that cannot
/// be read or is not zstd is not a delta: the full import names what is wrong with it.
pub(crate) fn is_delta(file: &Path) -> anyhow::Result<bool> {
    if !starts_with(file, ZSTD_MAGIC) {
        return Ok(false);
    }
    Ok(read_delta_header(file).with_context(|| format!("importing {}", file.display()))?.is_some())
}

/// `db export --since BASE FILE`: the delta from BASE (a database file or a full export) to `db`.
pub(crate) fn export_since(global: &Global, db: &Path, base: &Path, out: &Path) -> anyhow::Result<Outcome> {
    let scratch;
    let base_db = if starts_with(base, SQLITE_MAGIC) {
        base
    } else if starts_with(base, ZSTD_MAGIC) {
        // A full export: installed at a scratch path beside the database (verified as any import)
        // and removed after.
        scratch = TempFile(microscanner_vulndb::temp_path_beside(db, "since"));
        import(base, &scratch.0).with_context(|| format!("reading --since {}", base.display()))?;
        &scratch.0
    } else if base.to_string_lossy().starts_with("sha256:") {
        bail!(
            "--since {}: a version names a database but does not hold its rows; give the database file or its \
             export",
            base.display()
        );
    } else {
        bail!("--since {}: not a microscanner database or export", base.display());
    };
    let (header, stats) = export_delta(base_db, db, out)
        .with_context(|| format!("exporting the delta from {} to {}", base.display(), db.display()))?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    note(
        global,
        &format!(
            "exported the delta from version {} (built {}) to {} (built {}): {} keys changed ({} withdrawn), {} rows, \
             {size} bytes, to {}",
            header.base,
            header.base_built_at,
            header.target,
            header.built_at,
            stats.entries,
            stats.removed,
            stats.rows,
            out.display()
        ),
    );
    Ok(Outcome::Success)
}

/// `db import DELTA`.
pub(crate) fn apply(global: &Global, db: &Path, delta: &Path) -> anyhow::Result<Outcome> {
    let (header, stats) = import_delta(delta, db).with_context(|| {
        format!("applying the delta {} to {} (the database is unchanged)", delta.display(), db.display())
    })?;
    note(
        global,
        &format!(
            "applied the delta {} to {}: version {} (built {}), {} keys changed, {} rows",
            delta.display(),
            db.display(),
            header.target,
            header.built_at,
            stats.entries,
            stats.rows
        ),
    );
    Ok(Outcome::Success)
}

/// `db dump [--version]` to stdout.
pub(crate) fn dump(db: &Path, version_only: bool) -> anyhow::Result<Outcome> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if version_only {
        let version = content_version(db).with_context(|| format!("reading {}", db.display()))?;
        writeln!(out, "{version}")?;
    } else {
        canonical_dump(db, &mut out).with_context(|| format!("dumping {}", db.display()))?;
    }
    out.flush()?;
    Ok(Outcome::Success)
}

/// Whether the file begins with `magic` (false when it cannot be read).
fn starts_with(file: &Path, magic: &[u8]) -> bool {
    let mut head = vec![0u8; magic.len()];
    std::fs::File::open(file).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head == magic
}
