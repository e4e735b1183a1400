//! Reading a database: opened read-only, so any number of scanning processes can share one file.

use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::build::SourceInfo;
use crate::error::{Error, Result};
use crate::record::{
    Advisory, Affected, EpssScore, FixState, FixStatus, KevEntry, Reference, SeverityKind, SeverityRating,
};
use crate::schema::{self, APPLICATION_ID, SCHEMA_VERSION};
use microscanner_sqlite_guard::{self as sqlite_guard, Budget, Limits};

/// The database's metadata table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Schema version of the file.
    pub schema_version: u32,
    /// When it was built (RFC 3339).
    pub built_at: String,
    /// What built it.
    pub generator: Option<String>,
    /// Each input feed.
    pub sources: Vec<SourceInfo>,
}

/// Row counts of the main tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Advisories.
    pub advisories: u64,
    /// Affected entries.
    pub affected: u64,
    /// Severity ratings (the entries of the advisories' `severities` columns).
    pub severities: u64,
    /// Fix-status rows.
    pub fix_statuses: u64,
    /// KEV entries.
    pub kev: u64,
    /// EPSS scores.
    pub epss: u64,
}

/// Everything known about one advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryDetails {
    /// The advisory itself (aliases, references and CWEs filled in).
    pub advisory: Advisory,
    /// Its affected entries.
    pub affected: Vec<Affected>,
    /// Its severity ratings, from every source.
    pub severities: Vec<SeverityRating>,
    /// Per-release fix states.
    pub fix_statuses: Vec<FixStatus>,
    /// The KEV entry of its CVE (the id itself or an alias), if CISA lists it.
    pub kev: Option<KevEntry>,
    /// The EPSS score of its CVE (the id itself or an alias).
    pub epss: Option<EpssScore>,
}

/// The parts of an advisory a finding is built from: the advisory (aliases, references and CWEs
/// filled in) and its severity ratings. [`Database::advisory_brief`] reads only these (one key
/// lookup: the advisory's row holds them all), where [`Database::advisory`] also reads and decodes the affected entries, fix states,
/// KEV and EPSS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdvisoryBrief {
    /// The advisory itself (aliases, references and CWEs filled in).
    pub advisory: Advisory,
    /// Its severity ratings, from every source.
    pub severities: Vec<SeverityRating>,
}

/// One affected entry as stored, borrowed from the database row and not decoded: what matching
/// needs (see [`Database::for_each_affected`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AffectedRef<'a> {
    /// The advisory this belongs to.
    pub advisory_id: &'a str,
    /// The OSV `ranges` array as JSON text.
    pub ranges: &'a str,
    /// The OSV `versions` list as a JSON array of strings.
    pub versions: &'a str,
}

/// An open, read-only database.
#[derive(Debug)]
pub struct Database {
    pub(crate) conn: Connection,
    /// The operation budget of one call (reset at the start of each).
    budget: Budget,
    path: PathBuf,
}

/// The part of a database file a reader maps (`PRAGMA mmap_size`).
const MAP_BYTES: i64 = 256 << 20;
/// SQLite's page cache of a reader, in KiB (`PRAGMA cache_size`, negative for KiB).
const READ_CACHE_KIB: i64 = 64 << 10;
/// The longest string or blob read (`SQLITE_LIMIT_LENGTH`): the longest values written are OSV
/// `versions` lists and advisory texts, well under a megabyte.
const MAX_VALUE: i32 = 64 << 20;
/// VM operations one call may run: this many, plus [`OPS_PER_BYTE`] per byte of the file.
const BASE_OPS: u64 = 200_000_000;
/// VM operations per byte of the file one call may run. The costliest honest calls read the
/// whole file once (`verify`, `ecosystems`): a few operations per row of a hundred bytes or more.
const OPS_PER_BYTE: u64 = 16;

/// Opens a database file we may not have written (`scan --db`, `db status`, an import) as the
/// hostile program a SQLite file can be: read-only, hardened (see
/// [`sqlite_guard`](microscanner_sqlite_guard): defensive mode, `trusted_schema = OFF`,
/// views and triggers off, limits, an operation budget per call in proportion to the file's
/// size), and checked: a microscanner database of this schema version holding exactly our
/// tables and indexes ([`schema::EXPECTED`]).
pub(crate) fn open_read_only(path: &Path) -> Result<(Connection, Budget)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no database file")));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    // `immutable=1`: no file locks and no change checks per query. Safe because a database file
    // is never changed in place: builds and imports write a new file and rename it over the old
    // one, and an open reader keeps reading the file it opened.
    let conn = Connection::open_with_flags(immutable_uri(path), flags)?;
    let budget = sqlite_guard::harden(&conn, Limits::for_file(MAX_VALUE, BASE_OPS, OPS_PER_BYTE, meta.len()))?;
    // 256 MiB mapped: the readers of the whole file (integrity check, dump, delta) keep their
    // resident set at that, since every mapped page they read counts in it. `Database::open`, the
    // scanning handle, maps the whole file ([`map_whole_file`]).
    conn.pragma_update(None, "mmap_size", MAP_BYTES)?;
    // Pages beyond the map are read into SQLite's own cache, by default 2 MiB: fewer pages than the
    // interior pages of a full-size database's trees (a 2 GiB file), which a scan of thousands of
    // packages descends again and again. The cache grows only with the pages read.
    conn.pragma_update(None, "cache_size", -READ_CACHE_KIB)?;
    // The query planner stability guarantee: plan each statement once, when it is prepared.
    // Without it, SQLite (built with STAT4, and `ANALYZE` leaves `sqlite_stat4` in every file)
    // re-prepares a cached statement on the first step after each new binding of a parameter
    // compared with an index prefix (`WHERE advisory_id = ?1` on a composite key), because the
    // value might change the plan. Every lookup here is a key or key-prefix equality whose plan
    // does not depend on the value, and the re-prepare (parse and plan again) was most of the
    // cost of such a query: ~5 µs instead of under 1 µs.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    let incompatible = |reason: String| Error::Incompatible { path: path.to_path_buf(), reason };
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| incompatible(format!("not a database: {e}")))?;
    if app != APPLICATION_ID {
        return Err(incompatible("not a microscanner database".into()));
    }
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version != SCHEMA_VERSION {
        return Err(incompatible(format!(
            "schema version {version}, this microscanner reads version {SCHEMA_VERSION}; run `microscanner db update`"
        )));
    }
    sqlite_guard::check_schema(&conn, &budget, &schema::EXPECTED).map_err(|e| incompatible(e.to_string()))?;
    Ok((conn, budget))
}

/// Maps the whole of the file at `path` (SQLite caps the map at 2 GiB), for a handle that looks
/// keys up: a page read is then a page of the kernel's cache, where a page beyond the map is
/// copied into SQLite's own cache by a `pread` (measured 12% faster for a scan of 10,000 packages
/// against a 2 GiB database). Only the pages a scan touches are resident.
fn map_whole_file(conn: &Connection, path: &Path) -> Result<()> {
    let len = std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
    conn.pragma_update(None, "mmap_size", i64::try_from(len).unwrap_or(i64::MAX).max(MAP_BYTES))?;
    Ok(())
}

/// Turns an interrupted statement (the budget ran out) into [`Error::Budget`] and an over-long
/// value into [`Error::Incompatible`], both naming the file.
pub(crate) fn refine(e: Error, budget: &Budget, path: &Path) -> Error {
    match e {
        Error::Sqlite(s) if sqlite_guard::is_interrupt(&s) && budget.exhausted() => {
            Error::Budget { path: path.to_path_buf(), ops: budget.max_ops() }
        }
        Error::Sqlite(s) if sqlite_guard::is_too_big(&s) => {
            Error::Incompatible { path: path.to_path_buf(), reason: format!("a value is over {MAX_VALUE} bytes") }
        }
        e => e,
    }
}

/// `file:PATH?immutable=1`, with the characters that mean something in a URI escaped.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

impl Database {
    /// Opens `path` read-only and checks that it is a microscanner database of this schema version
    /// with exactly our tables and indexes (no view, trigger or computed column: the file is
    /// treated as hostile, see [`sqlite_guard`](microscanner_sqlite_guard)). Each call on
    /// the database then runs within an operation budget in proportion to the file's size.
    /// (The full integrity check is [`verify`](Self::verify); it reads the whole file.)
    pub fn open(path: &Path) -> Result<Self> {
        let (conn, budget) = open_read_only(path)?;
        map_whole_file(&conn, path)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Self { conn, budget, path: path.to_path_buf() })
    }

    /// Runs one call within a fresh operation budget, naming the file in budget errors.
    fn guarded<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.budget.reset();
        f().map_err(|e| refine(e, &self.budget, &self.path))
    }

    /// The file this was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Full integrity check (SQLite `integrity_check` plus the schema checks). It reads the whole
    /// file, through a 256 MiB map (so that its pages do not all count in
    /// the resident set), then maps the whole file again.
    pub fn verify(&self) -> Result<()> {
        self.guarded(|| {
            self.conn.pragma_update(None, "mmap_size", MAP_BYTES)?;
            let checked = crate::build::check_integrity(&self.conn, &self.path);
            map_whole_file(&self.conn, &self.path)?;
            checked
        })
    }

    /// All affected entries for a package, in advisory-id order. `ecosystem` is compared exactly
    /// (`Debian:12`, `PyPI`); `name` by the ecosystem's rule (PEP 503 for PyPI).
    pub fn affected(&self, ecosystem: &str, name: &str) -> Result<Vec<Affected>> {
        self.guarded(|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT advisory_id, ecosystem, name, purl, ranges, versions, extra FROM affected \
                 WHERE ecosystem = ?1 AND name_key = ?2 ORDER BY advisory_id",
            )?;
            let rows = stmt.query_map(params![ecosystem, schema::name_key(ecosystem, name)], raw_affected)?;
            rows.map(|r| r.map_err(Error::from).and_then(RawAffected::decode)).collect()
        })
    }

    /// Calls `f` with each affected entry of a package, in advisory-id order, undecoded: the
    /// ranges and versions as the JSON text stored, borrowed from the row (no copy, no
    /// `serde_json::Value`; `name`, `purl` and `extra` are not read). Same selection and order as
    /// [`affected`](Self::affected).
    pub fn for_each_affected<F>(&self, ecosystem: &str, name: &str, mut f: F) -> Result<()>
    where
        F: FnMut(AffectedRef<'_>),
    {
        self.guarded(|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT advisory_id, ranges, versions FROM affected \
                 WHERE ecosystem = ?1 AND name_key = ?2 ORDER BY advisory_id",
            )?;
            let mut rows = stmt.query(params![ecosystem, schema::name_key(ecosystem, name)])?;
            while let Some(row) = rows.next()? {
                f(AffectedRef { advisory_id: text(row, 0)?, ranges: text(row, 1)?, versions: text(row, 2)? });
            }
            Ok(())
        })
    }

    /// Fix states of a package in a distro release (`Debian:11`, `openssl`).
    pub fn fix_statuses(&self, ecosystem: &str, name: &str) -> Result<Vec<FixStatus>> {
        self.guarded(|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT advisory_id, ecosystem, name, state, fixed_version, urgency, note FROM fix_status \
                 WHERE ecosystem = ?1 AND name_key = ?2 ORDER BY advisory_id",
            )?;
            let rows = stmt.query_map(params![ecosystem, schema::name_key(ecosystem, name)], fix_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Every distinct ecosystem with affected entries, with how many entries each has (as the
    /// build counted them: the `ecosystems` table, one key read per ecosystem).
    pub fn ecosystems(&self) -> Result<Vec<(String, u64)>> {
        self.guarded(|| {
            let mut stmt = self.conn.prepare_cached("SELECT ecosystem, entries FROM ecosystems ORDER BY ecosystem")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, to_u64(r.get(1)?))))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// How many affected entries `ecosystem` (compared exactly) has: the count
    /// [`ecosystems`](Self::ecosystems) gives it, or 0: one key lookup, whatever the size of the
    /// ecosystem.
    pub fn ecosystem_entries(&self, ecosystem: &str) -> Result<u64> {
        self.guarded(|| {
            let mut stmt = self.conn.prepare_cached("SELECT entries FROM ecosystems WHERE ecosystem = ?1")?;
            Ok(stmt.query_row([ecosystem], |r| r.get(0)).optional()?.map_or(0, to_u64))
        })
    }

    /// Everything about one advisory, or `None` if no feed has it.
    pub fn advisory(&self, id: &str) -> Result<Option<AdvisoryDetails>> {
        self.guarded(|| {
            let Some(AdvisoryBrief { advisory, severities }) = self.advisory_brief(id)? else { return Ok(None) };
            let affected = {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT advisory_id, ecosystem, name, purl, ranges, versions, extra FROM affected \
                     WHERE advisory_id = ?1 ORDER BY rowid",
                )?;
                let rows = stmt.query_map([id], raw_affected)?;
                rows.map(|r| r.map_err(Error::from).and_then(RawAffected::decode)).collect::<Result<Vec<_>>>()?
            };
            let fix_statuses = {
                let mut stmt = self.conn.prepare_cached(
                    "SELECT advisory_id, ecosystem, name, state, fixed_version, urgency, note FROM fix_status \
                     WHERE advisory_id = ?1 ORDER BY ecosystem, name",
                )?;
                stmt.query_map([id], fix_row)?.collect::<Result<Vec<_>, _>>()?
            };
            let cve = std::iter::once(advisory.id.clone())
                .chain(advisory.aliases.iter().cloned())
                .find(|a| a.starts_with("CVE-"));
            let (kev, epss) = match &cve {
                Some(c) => (self.kev(c)?, self.epss(c)?),
                None => (None, None),
            };
            Ok(Some(AdvisoryDetails { advisory, affected, severities, fix_statuses, kev, epss }))
        })
    }

    /// What a finding needs of one advisory (its row, aliases, references, CWEs and severity
    /// ratings), or `None` if no feed has it. The same values as those fields of
    /// [`advisory`](Self::advisory), without its affected entries, fix states, KEV and EPSS.
    pub fn advisory_brief(&self, id: &str) -> Result<Option<AdvisoryBrief>> {
        self.guarded(|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, summary, details, published, modified, withdrawn, source, aliases, related, refs, cwes, \
                 severities FROM advisories WHERE id = ?1",
            )?;
            let mut rows = stmt.query([id])?;
            let Some(r) = rows.next()? else { return Ok(None) };
            let advisory = Advisory {
                id: r.get(0)?,
                summary: r.get(1)?,
                details: r.get(2)?,
                published: r.get(3)?,
                modified: r.get(4)?,
                withdrawn: r.get(5)?,
                source: r.get(6)?,
                aliases: self.column(id, "aliases", text(r, 7)?)?,
                related: self.column(id, "related", text(r, 8)?)?,
                references: self
                    .column::<Vec<(String, String)>>(id, "refs", text(r, 9)?)?
                    .into_iter()
                    .map(|(kind, url)| Reference { kind, url })
                    .collect(),
                cwes: self.column(id, "cwes", text(r, 10)?)?,
            };
            let severities = self
                .column::<Vec<(String, String, Option<f64>, String, String)>>(id, "severities", text(r, 11)?)?
                .into_iter()
                .map(|(kind, value, score, source, scope)| SeverityRating {
                    advisory_id: advisory.id.clone(),
                    kind: SeverityKind::parse(&kind).unwrap_or(SeverityKind::Vendor),
                    value,
                    score,
                    source,
                    scope,
                })
                .collect();
            Ok(Some(AdvisoryBrief { advisory, severities }))
        })
    }

    /// Decodes one JSON column of an `advisories` row, or names the file, the advisory and the
    /// column it cannot.
    fn column<T: serde::de::DeserializeOwned>(&self, id: &str, column: &str, json: &str) -> Result<T> {
        serde_json::from_str(json).map_err(|e| Error::Incompatible {
            path: self.path.clone(),
            reason: format!("advisory {id}: column {column}: {e}"),
        })
    }

    /// The ids of advisories that list `alias` as an alias (a CVE id finds its GHSA, PYSEC, DSA...).
    pub fn advisories_by_alias(&self, alias: &str) -> Result<Vec<String>> {
        self.guarded(|| {
            let mut stmt =
                self.conn.prepare_cached("SELECT DISTINCT advisory_id FROM aliases WHERE alias = ?1 ORDER BY 1")?;
            Ok(stmt.query_map([alias], |r| r.get(0))?.collect::<Result<_, _>>()?)
        })
    }

    /// The KEV entry of a CVE.
    pub fn kev(&self, cve: &str) -> Result<Option<KevEntry>> {
        self.guarded(|| {
            let mut stmt = self.conn.prepare_cached(
                "SELECT cve_id, date_added, due_date, ransomware, vendor, product, name FROM kev WHERE cve_id = ?1",
            )?;
            Ok(stmt
                .query_row([cve], |r| {
                    Ok(KevEntry {
                        cve_id: r.get(0)?,
                        date_added: r.get(1)?,
                        due_date: r.get(2)?,
                        ransomware: r.get(3)?,
                        vendor: r.get(4)?,
                        product: r.get(5)?,
                        name: r.get(6)?,
                    })
                })
                .optional()?)
        })
    }

    /// The EPSS score of a CVE.
    pub fn epss(&self, cve: &str) -> Result<Option<EpssScore>> {
        self.guarded(|| {
            let mut stmt =
                self.conn.prepare_cached("SELECT cve_id, score, percentile, date FROM epss WHERE cve_id = ?1")?;
            Ok(stmt
                .query_row([cve], |r| {
                    Ok(EpssScore { cve_id: r.get(0)?, score: r.get(1)?, percentile: r.get(2)?, date: r.get(3)? })
                })
                .optional()?)
        })
    }

    /// The metadata table.
    pub fn metadata(&self) -> Result<Metadata> {
        self.guarded(|| {
            let get = |key: &str| -> Result<Option<String>> {
                Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
            };
            let schema_version = get("schema_version")?.and_then(|v| v.parse().ok()).unwrap_or(0);
            let built_at = get("built_at")?.unwrap_or_default();
            let generator = get("generator")?;
            let mut stmt = self
                .conn
                .prepare("SELECT name, kind, origin, timestamp, records, diagnostics FROM sources ORDER BY name")?;
            let sources = stmt
                .query_map([], |r| {
                    Ok(SourceInfo {
                        name: r.get(0)?,
                        kind: r.get(1)?,
                        origin: r.get(2)?,
                        timestamp: r.get(3)?,
                        records: to_u64(r.get(4)?),
                        diagnostics: to_u64(r.get(5)?),
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(Metadata { schema_version, built_at, generator, sources })
        })
    }

    /// Row counts of the main tables.
    pub fn counts(&self) -> Result<Counts> {
        self.guarded(|| {
            let count = |table: &str| -> Result<u64> {
                Ok(to_u64(self.conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?))
            };
            Ok(Counts {
                advisories: count("advisories")?,
                affected: count("affected")?,
                severities: to_u64(self.conn.query_row(
                    "SELECT COALESCE(SUM(json_array_length(severities)), 0) FROM advisories",
                    [],
                    |r| r.get(0),
                )?),
                fix_statuses: count("fix_status")?,
                kev: count("kev")?,
                epss: count("epss")?,
            })
        })
    }
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

struct RawAffected {
    advisory_id: String,
    ecosystem: String,
    name: String,
    purl: Option<String>,
    ranges: String,
    versions: String,
    extra: Option<String>,
}

impl RawAffected {
    fn decode(self) -> Result<Affected> {
        Ok(Affected {
            advisory_id: self.advisory_id,
            ecosystem: self.ecosystem,
            name: self.name,
            purl: self.purl,
            ranges: serde_json::from_str(&self.ranges)?,
            versions: serde_json::from_str(&self.versions)?,
            extra: match self.extra {
                Some(e) => serde_json::from_str(&e)?,
                None => serde_json::Value::Null,
            },
        })
    }
}

fn raw_affected(r: &Row<'_>) -> rusqlite::Result<RawAffected> {
    Ok(RawAffected {
        advisory_id: r.get(0)?,
        ecosystem: r.get(1)?,
        name: r.get(2)?,
        purl: r.get(3)?,
        ranges: r.get(4)?,
        versions: r.get(5)?,
        extra: r.get(6)?,
    })
}

/// A text column borrowed from the row (no copy).
fn text<'r>(row: &'r Row<'_>, idx: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(idx)?
        .as_str()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e)))
}

fn fix_row(r: &Row<'_>) -> rusqlite::Result<FixStatus> {
    let state: String = r.get(3)?;
    Ok(FixStatus {
        advisory_id: r.get(0)?,
        ecosystem: r.get(1)?,
        name: r.get(2)?,
        state: FixState::parse(&state).unwrap_or(FixState::Undetermined),
        fixed_version: r.get(4)?,
        urgency: r.get(5)?,
        note: r.get(6)?,
    })
}
