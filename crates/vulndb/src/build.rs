//! Writing a new database file: bulk load in one transaction, then verify, then rename into place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use microscanner_atomic_file::{AtomicFile, AtomicPath, Stale};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::record::{Advisory, Records};
use crate::schema::{self, APPLICATION_ID, SCHEMA_VERSION};

/// One feed input that went into a database, as recorded in its `sources` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Unique name in this database (`osv:PyPI`, `debian-dsa`, `kev`, or a file path).
    pub name: String,
    /// The format (`osv`, `debian-tracker`, `debian-dsa-list`, `alpine-secdb`, `nvd`, `kev`, `epss`).
    pub kind: String,
    /// Where it was read from (a URL or a path).
    pub origin: String,
    /// The feed's own timestamp (newest `modified`, catalog version, score date), if known.
    pub timestamp: Option<String>,
    /// How many records it gave.
    pub records: u64,
    /// How many diagnostics its import raised.
    pub diagnostics: u64,
}

/// What [`Builder::add`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddStats {
    /// Advisories written (new ids).
    pub advisories: u64,
    /// Advisories merged into an existing id from another source.
    pub merged: u64,
    /// Advisories skipped because the same source already gave that id.
    pub duplicates: u64,
    /// Affected entries written.
    pub affected: u64,
}

/// Writes a new database file. Create it at a temporary path, [`add`](Self::add) records,
/// [`finish`](Self::finish) it, then [`install`] it over the old one.
pub struct Builder {
    conn: Connection,
    path: PathBuf,
    /// The staging file ([`schema::STAGING_DDL`]) beside `path`, removed when the build ends.
    staging: StagingFile,
    /// advisory id → source that first gave it.
    seen: HashMap<String, String>,
    sources: Vec<SourceInfo>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Builder {
    /// Starts a new database at `path`, replacing any file there.
    pub fn create(path: &Path) -> Result<Self> {
        let staging = with_suffix(path, "-staging");
        for p in [path.to_path_buf(), with_suffix(path, "-journal"), staging.clone()] {
            remove_if_present(&p)?;
        }
        let conn = Connection::open(path)?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute_batch(
            "PRAGMA page_size = 8192; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536;",
        )?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        conn.execute_batch(schema::DDL)?;
        let staging = StagingFile(staging);
        conn.execute("ATTACH DATABASE ?1 AS staging", [staging.attach_name()?])?;
        conn.execute_batch(
            "PRAGMA staging.page_size = 8192; PRAGMA staging.journal_mode = OFF; \
             PRAGMA staging.synchronous = OFF; PRAGMA staging.cache_size = -65536;",
        )?;
        conn.execute_batch(schema::STAGING_DDL)?;
        conn.execute_batch("BEGIN")?;
        Ok(Self { conn, path: path.to_path_buf(), staging, seen: HashMap::new(), sources: Vec::new() })
    }

    /// Records a source for the metadata table (same name: the later one wins).
    pub fn add_source(&mut self, source: SourceInfo) {
        self.sources.retain(|s| s.name != source.name);
        self.sources.push(source);
    }

    /// Writes a batch of records. When the batch is [`Records::complete`], an advisory id that an
    /// earlier batch of the *same* source already gave is skipped with everything attached to it
    /// (first one wins); otherwise it is merged (empty fields filled, aliases, references,
    /// severities and affected entries added).
    pub fn add(&mut self, records: &Records) -> Result<AddStats> {
        let mut stats = AddStats::default();
        let mut skip: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut fresh: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for adv in &records.advisories {
            match self.seen.get(&adv.id) {
                _ if fresh.contains(adv.id.as_str()) => {}
                Some(src) if records.complete && *src == adv.source => {
                    stats.duplicates += 1;
                    skip.insert(adv.id.as_str());
                    continue;
                }
                Some(_) => stats.merged += 1,
                None => {
                    stats.advisories += 1;
                    fresh.insert(adv.id.as_str());
                    self.seen.insert(adv.id.clone(), adv.source.clone());
                }
            }
            self.write_advisory(adv)?;
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT INTO staged_affected (advisory_id, ecosystem, name, name_key, purl, ranges, versions, extra) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for a in &records.affected {
                if skip.contains(a.advisory_id.as_str()) {
                    continue;
                }
                let extra = if a.extra.is_null() { None } else { Some(a.extra.to_string()) };
                stmt.execute(params![
                    a.advisory_id,
                    a.ecosystem,
                    a.name,
                    schema::name_key(&a.ecosystem, &a.name),
                    a.purl,
                    a.ranges.to_string(),
                    serde_json::to_string(&a.versions)?,
                    extra,
                ])?;
                stats.affected += 1;
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT OR REPLACE INTO staged_severities (advisory_id, kind, value, score, source, scope) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for s in &records.severities {
                if skip.contains(s.advisory_id.as_str()) {
                    continue;
                }
                stmt.execute(params![s.advisory_id, s.kind.as_str(), s.value, s.score, s.source, s.scope])?;
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT OR REPLACE INTO fix_status (advisory_id, ecosystem, name, name_key, state, fixed_version, \
                 urgency, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for f in &records.fix_statuses {
                if skip.contains(f.advisory_id.as_str()) {
                    continue;
                }
                stmt.execute(params![
                    f.advisory_id,
                    f.ecosystem,
                    f.name,
                    schema::name_key(&f.ecosystem, &f.name),
                    f.state.as_str(),
                    f.fixed_version,
                    f.urgency,
                    f.note,
                ])?;
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT OR REPLACE INTO kev (cve_id, date_added, due_date, ransomware, vendor, product, name) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for k in &records.kev {
                stmt.execute(params![k.cve_id, k.date_added, k.due_date, k.ransomware, k.vendor, k.product, k.name])?;
            }
        }
        {
            let mut stmt = self.conn.prepare_cached(
                "INSERT INTO epss (cve_id, score, percentile, date) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT(cve_id) DO UPDATE SET score = excluded.score, percentile = excluded.percentile, \
                     date = excluded.date WHERE epss.date IS NULL OR excluded.date >= epss.date",
            )?;
            for e in &records.epss {
                stmt.execute(params![e.cve_id, e.score, e.percentile, e.date])?;
            }
        }
        Ok(stats)
    }

    fn write_advisory(&self, adv: &Advisory) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO staged_advisories (id, summary, details, published, modified, withdrawn, source) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT(id) DO UPDATE SET \
               summary = COALESCE(staged_advisories.summary, excluded.summary), \
               details = COALESCE(staged_advisories.details, excluded.details), \
               published = COALESCE(staged_advisories.published, excluded.published), \
               modified = COALESCE(staged_advisories.modified, excluded.modified), \
               withdrawn = COALESCE(staged_advisories.withdrawn, excluded.withdrawn)",
        )?;
        stmt.execute(params![
            adv.id,
            adv.summary,
            adv.details,
            adv.published,
            adv.modified,
            adv.withdrawn,
            adv.source
        ])?;
        let mut alias = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO aliases (advisory_id, alias, relation) VALUES (?1, ?2, ?3)")?;
        for a in &adv.aliases {
            if *a != adv.id {
                alias.execute(params![adv.id, a, "alias"])?;
            }
        }
        for a in &adv.related {
            alias.execute(params![adv.id, a, "related"])?;
        }
        let mut refs = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO staged_references (advisory_id, kind, url) VALUES (?1, ?2, ?3)")?;
        for r in &adv.references {
            refs.execute(params![adv.id, r.kind, r.url])?;
        }
        let mut cwe =
            self.conn.prepare_cached("INSERT OR IGNORE INTO staged_cwes (advisory_id, cwe) VALUES (?1, ?2)")?;
        for c in &adv.cwes {
            cwe.execute(params![adv.id, c])?;
        }
        Ok(())
    }

    /// Commits, writes the metadata, builds the indexes, checks integrity and closes the file.
    /// Returns its path (still the temporary one: [`install`] it).
    pub fn finish(self) -> Result<PathBuf> {
        let built_at = now_rfc3339();
        {
            let mut meta = self.conn.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
            meta.execute(params!["schema_version", SCHEMA_VERSION.to_string()])?;
            meta.execute(params!["built_at", built_at])?;
            meta.execute(params!["generator", concat!("microscanner ", env!("CARGO_PKG_VERSION"))])?;
            let mut src = self.conn.prepare(
                "INSERT OR REPLACE INTO sources (name, kind, origin, timestamp, records, diagnostics) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for s in &self.sources {
                src.execute(params![s.name, s.kind, s.origin, s.timestamp, to_i64(s.records), to_i64(s.diagnostics)])?;
            }
        }
        self.fold_advisories()?;
        self.copy_affected()?;
        self.conn.execute_batch(schema::INDEXES)?;
        self.conn.execute_batch("COMMIT; DETACH DATABASE staging;")?;
        remove_if_present(&self.staging.0)?;
        self.conn.execute_batch("ANALYZE; PRAGMA journal_mode = DELETE;")?;
        check_integrity(&self.conn, &self.path)?;
        let path = self.path.clone();
        self.conn.close().map_err(|(_, e)| Error::Sqlite(e))?;
        Ok(path)
    }

    /// Writes one `advisories` row per staged advisory, in id order, with its aliases,
    /// references, CWEs and ratings as the JSON columns [`schema::DDL`] describes. One pass over
    /// the staged advisories with a key lookup per part: time linear in the rows, memory one
    /// advisory's.
    fn fold_advisories(&self) -> Result<()> {
        let mut staged = self.conn.prepare(
            "SELECT id, summary, details, published, modified, withdrawn, source FROM staged_advisories ORDER BY id",
        )?;
        let mut aliases =
            self.conn.prepare("SELECT alias, relation FROM main.aliases WHERE advisory_id = ?1 ORDER BY alias")?;
        let mut refs =
            self.conn.prepare("SELECT kind, url FROM staged_references WHERE advisory_id = ?1 ORDER BY url, kind")?;
        let mut cwes = self.conn.prepare("SELECT cwe FROM staged_cwes WHERE advisory_id = ?1 ORDER BY cwe")?;
        let mut severities = self.conn.prepare(
            "SELECT kind, value, score, source, scope FROM staged_severities WHERE advisory_id = ?1 \
             ORDER BY kind, source, scope, value",
        )?;
        let mut insert = self.conn.prepare(
            "INSERT INTO main.advisories (id, summary, details, published, modified, withdrawn, source, \
             aliases, related, refs, cwes, severities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut rows = staged.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let (mut alias_list, mut related) = (Vec::<String>::new(), Vec::<String>::new());
            let mut alias_rows = aliases.query([&id])?;
            while let Some(r) = alias_rows.next()? {
                let relation: String = r.get(1)?;
                if relation == "alias" { &mut alias_list } else { &mut related }.push(r.get(0)?);
            }
            let ref_list = refs.query_map([&id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let ref_list = ref_list.collect::<rusqlite::Result<Vec<_>>>()?;
            let cwe_list = cwes.query_map([&id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            let rating_list = severities
                .query_map([&id], |r| {
                    let score: Option<f64> = r.get(2)?;
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        score,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            insert.execute(params![
                id,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, String>(6)?,
                serde_json::to_string(&alias_list)?,
                serde_json::to_string(&related)?,
                serde_json::to_string(&ref_list)?,
                serde_json::to_string(&cwe_list)?,
                serde_json::to_string(&rating_list)?,
            ])?;
        }
        Ok(())
    }
}

impl Builder {
    /// Copies the staged affected entries into `affected` in (ecosystem, name key, advisory id)
    /// order, the entries of one advisory and package in the order they were added, and counts
    /// each ecosystem's into `ecosystems`. The order comes from an index on the staged rows (no
    /// sort of the rows themselves, so memory does not grow with them).
    fn copy_affected(&self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE INDEX staging.staged_affected_by_package ON staged_affected (ecosystem, name_key, advisory_id); \
             INSERT INTO main.affected (advisory_id, ecosystem, name, name_key, purl, ranges, versions, extra) \
               SELECT advisory_id, ecosystem, name, name_key, purl, ranges, versions, extra FROM staged_affected \
               ORDER BY ecosystem, name_key, advisory_id, rowid; \
             INSERT INTO main.ecosystems (ecosystem, entries) \
               SELECT ecosystem, COUNT(*) FROM staged_affected GROUP BY ecosystem;",
        )?;
        Ok(())
    }
}

/// The path of a build's staging file, removed when the build ends, also when it ends in an error
/// before [`Builder::finish`].
struct StagingFile(PathBuf);

impl StagingFile {
    /// The file name `ATTACH` is given: never read as a `file:` URI (the connection allows URIs).
    fn attach_name(&self) -> Result<String> {
        let name = self.0.to_str().ok_or_else(|| {
            Error::io(&self.0, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a UTF-8 path"))
        })?;
        Ok(if name.starts_with("file:") { format!("./{name}") } else { name.to_owned() })
    }
}

impl Drop for StagingFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Removes `path`; nothing there is not an error.
fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Runs SQLite's integrity check and our schema check on an open connection.
pub(crate) fn check_integrity(conn: &Connection, path: &Path) -> Result<()> {
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if app != APPLICATION_ID {
        return Err(Error::Incompatible { path: path.to_path_buf(), reason: "not a microscanner database".into() });
    }
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version != SCHEMA_VERSION {
        return Err(Error::Incompatible {
            path: path.to_path_buf(),
            reason: format!("schema version {version}, this microscanner reads version {SCHEMA_VERSION}"),
        });
    }
    let meta: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).optional()?;
    if meta.as_deref() != Some(SCHEMA_VERSION.to_string().as_str()) {
        return Err(Error::Incompatible {
            path: path.to_path_buf(),
            reason: "metadata lacks the schema version".into(),
        });
    }
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    if rows != ["ok"] {
        return Err(Error::Integrity { path: path.to_path_buf(), detail: rows.join("; ") });
    }
    Ok(())
}

/// Verifies a finished database file (its schema exactly ours, as
/// [`Database::open`](crate::Database::open) checks it, integrity and schema version), syncs it
/// and renames it over `target` ([`microscanner_atomic_file::commit_path`]); `built` must be in
/// `target`'s directory ([`temp_path_beside`]). Until the rename, `target` is untouched; the
/// rename is atomic on one filesystem. On an error the caller removes `built`.
pub fn install(built: &Path, target: &Path) -> Result<()> {
    verify_built(built)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    microscanner_atomic_file::commit_path(built, target).map_err(|e| Error::io(e.path, e.source))
}

/// [`install`] for a database built at a reserved temporary ([`AtomicPath`], whose destination is
/// the target): verified, synced and renamed over its destination. On an error the temporary is
/// removed and the destination is untouched.
pub fn install_built(built: AtomicPath) -> Result<()> {
    verify_built(built.path())?;
    built.commit().map_err(|e| Error::io(e.path, e.source))
}

/// The checks of [`install`]: opened as any file we did not write (an import's database came
/// from outside), then its integrity and schema version.
fn verify_built(built: &Path) -> Result<()> {
    let (conn, budget) = crate::read::open_read_only(built)?;
    budget.reset();
    check_integrity(&conn, built).map_err(|e| crate::read::refine(e, &budget, built))
}

/// A file being written where a user's `--output PATH` points, without replacing what is there
/// when it is not a plain file. Write to it, then [`commit`](Self::commit); dropped without a
/// commit, a temporary file is removed (and what was at the path is untouched).
///
/// * A regular file, or nothing yet: a new file beside it ([`AtomicFile`]: `.NAME.tmp-PID-…`),
///   synced and renamed over it by `commit`, so a reader never sees half a document; the
///   permissions of a file replaced are kept, and the temporaries of runs killed before their
///   commit are swept.
/// * A symbolic link: the same rules at what it points to (followed to the end, also when that
///   does not exist yet); the link itself stays.
/// * Anything else (a character or block device such as `/dev/null`, a FIFO): opened and
///   written in place, and nothing is created beside it.
/// * A directory: an error.
#[derive(Debug)]
pub struct OutputFile {
    target: OutputTarget,
    /// The path written to (after symbolic links), for messages.
    path: PathBuf,
}

/// Where an [`OutputFile`]'s bytes go.
#[derive(Debug)]
enum OutputTarget {
    /// A temporary renamed over the path by `commit` (removed when dropped without one).
    Replace(AtomicFile),
    /// The path itself, opened for writing (a device, a FIFO).
    InPlace(std::fs::File),
}

impl OutputFile {
    /// Opens `path` for writing, as described on [`OutputFile`]. Opening a FIFO waits for its
    /// reader, as a shell redirection does.
    ///
    /// # Errors
    /// [`Error::Io`] naming the path: a directory, a missing parent directory, no permission,
    /// a loop of symbolic links.
    pub fn create(path: &Path) -> Result<Self> {
        let path = resolve_links(path).map_err(|e| Error::io(path, e))?;
        let existing = match std::fs::metadata(&path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(path, e)),
        };
        match existing {
            Some(m) if m.is_dir() => {
                Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory")))
            }
            Some(m) if !m.is_file() => {
                // A device, a FIFO: written in place, never replaced.
                let file = std::fs::OpenOptions::new().write(true).open(&path).map_err(|e| Error::io(&path, e))?;
                Ok(Self { target: OutputTarget::InPlace(file), path })
            }
            _ => {
                microscanner_atomic_file::sweep_stale(&path, STALE_OUTPUT);
                let file = AtomicFile::create(&path).map_err(|e| Error::io(&path, e.source))?;
                if let Some(m) = existing {
                    // Best effort: a file replaced keeps its mode.
                    let _ = file.set_permissions(m.permissions());
                }
                Ok(Self { target: OutputTarget::Replace(file), path })
            }
        }
    }

    /// The path written to (symbolic links followed).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Finishes the file: flushes it and, for a regular file, syncs it and renames it into place.
    ///
    /// # Errors
    /// [`Error::Io`] when the write, the sync or the rename fails (the old file then stays).
    pub fn commit(self) -> Result<()> {
        use std::io::Write as _;
        match self.target {
            OutputTarget::Replace(file) => file.commit().map_err(|e| Error::io(&self.path, e.source)),
            OutputTarget::InPlace(mut file) => file.flush().map_err(|e| Error::io(&self.path, e)),
        }
    }

    /// The open file the bytes go to.
    fn writer(&mut self) -> &mut dyn std::io::Write {
        match &mut self.target {
            OutputTarget::Replace(file) => file,
            OutputTarget::InPlace(file) => file,
        }
    }
}

/// A temporary beside an output path was left by a run killed before its commit when its
/// process is gone, or it has not been written to for an hour.
const STALE_OUTPUT: Stale = Stale::OwnerGoneOrAfter(std::time::Duration::from_secs(3600));

impl std::io::Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.writer().write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

/// Follows `path` through symbolic links (at most 40, as the kernel does) to the path that is not
/// one: an existing file or directory, or a name that does not exist yet.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "too many levels of symbolic links"))
}

/// A fresh temporary path beside `target` for a file written by name and then [`install`]ed
/// (`.<name>.tmp-<pid>-<what>-<n>`, [`microscanner_atomic_file::temp_path`]): not created here;
/// swept like every other temporary of `target` when its process was killed.
pub fn temp_path_beside(target: &Path, what: &str) -> PathBuf {
    microscanner_atomic_file::temp_path(target, what)
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The current time as RFC 3339 (UTC).
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod output_file_tests {
    use std::io::Write as _;

    use super::OutputFile;

    #[test]
    fn a_file_is_replaced_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, b"old").unwrap();
        let mut out = OutputFile::create(&path).unwrap();
        out.write_all(b"half a docu").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"old", "readers see the old file until the commit");
        drop(out);
        assert_eq!(std::fs::read(&path).unwrap(), b"old", "dropped without a commit: untouched");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["report.json"], "the temporary file is removed");

        let mut out = OutputFile::create(&path).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode_and_killed_runs_leave_nothing_behind() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        // What a run killed before its commit, two hours ago, left beside the report.
        let left = dir.path().join(".report.json.tmp-4000000000-abcdef");
        std::fs::write(&left, b"half").unwrap();
        let f = std::fs::OpenOptions::new().append(true).open(&left).unwrap();
        f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200)).unwrap();
        drop(f);
        let mut out = OutputFile::create(&path).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["report.json"], "the stale temporary is swept");
    }

    #[test]
    fn a_symlink_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let err = OutputFile::create(&a).unwrap_err().to_string();
        assert!(err.contains("symbolic links"), "{err}");
    }
}
