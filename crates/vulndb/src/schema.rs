//! The SQLite schema, its version, and how package names are keyed for lookup.

use microscanner_sqlite_guard::{Index, Schema, Table};

/// The schema version this code writes and reads. A database with another version is refused.
///
/// Version 2 keeps each advisory in one row: its aliases, references, CWEs and severity ratings
/// are JSON columns of `advisories` instead of four tables of their own, so that what a finding
/// needs is one row (issue 20: at full size, reading an advisory from five tables was a third of
/// the matching time).
pub const SCHEMA_VERSION: u32 = 2;

/// The `application_id` pragma value that marks a microscanner database ("MSDB").
pub const APPLICATION_ID: i32 = 0x4d53_4442;

/// Tables and indexes, created in a fresh file.
///
/// `ecosystems` holds each ecosystem's number of `affected` rows, counted by the build (the
/// coverage of a scan reports it; counting a large ecosystem's rows at every scan was linear in the
/// database).
///
/// `advisories` is an ordinary rowid table (its id index gives the row), not `WITHOUT ROWID`: its
/// rows average over a kilobyte and many are several, and a `WITHOUT ROWID` table keeps at most
/// about a quarter of a page of a row in the tree, spilling the rest to overflow pages it leaves
/// mostly empty (measured at full size: 1.56 GiB for this table, 634 MiB of it unused, against
/// 0.9 GiB as a rowid table). The build writes it in id order, so the index and the rows agree.
///
/// The JSON columns of `advisories` (written by the build's fold, read by
/// [`Database::advisory_brief`](crate::Database::advisory_brief)), each an array in a fixed order:
/// `aliases` and `related` the identifiers sorted; `refs` `[kind, url]` pairs sorted by url then
/// kind; `cwes` sorted; `severities` `[kind, value, score, source, scope]` sorted by kind, source,
/// scope and value (`score` a number or `null`). The `aliases` table repeats the identifiers of
/// `aliases` and `related`, for the lookup by alias.
pub(crate) const DDL: &str = r"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sources (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    origin      TEXT NOT NULL,
    timestamp   TEXT,
    records     INTEGER NOT NULL,
    diagnostics INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE advisories (
    id         TEXT PRIMARY KEY,
    summary    TEXT,
    details    TEXT,
    published  TEXT,
    modified   TEXT,
    withdrawn  TEXT,
    source     TEXT NOT NULL,
    aliases    TEXT NOT NULL,
    related    TEXT NOT NULL,
    refs       TEXT NOT NULL,
    cwes       TEXT NOT NULL,
    severities TEXT NOT NULL
);

CREATE TABLE aliases (
    advisory_id TEXT NOT NULL,
    alias       TEXT NOT NULL,
    relation    TEXT NOT NULL,
    PRIMARY KEY (advisory_id, alias, relation)
) WITHOUT ROWID;

CREATE TABLE affected (
    advisory_id TEXT NOT NULL,
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    purl        TEXT,
    ranges      TEXT NOT NULL,
    versions    TEXT NOT NULL,
    extra       TEXT
);

CREATE TABLE fix_status (
    advisory_id   TEXT NOT NULL,
    ecosystem     TEXT NOT NULL,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    state         TEXT NOT NULL,
    fixed_version TEXT,
    urgency       TEXT,
    note          TEXT,
    PRIMARY KEY (ecosystem, name_key, advisory_id)
) WITHOUT ROWID;

CREATE TABLE ecosystems (
    ecosystem TEXT PRIMARY KEY,
    entries   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE kev (
    cve_id     TEXT PRIMARY KEY,
    date_added TEXT,
    due_date   TEXT,
    ransomware TEXT,
    vendor     TEXT,
    product    TEXT,
    name       TEXT
) WITHOUT ROWID;

CREATE TABLE epss (
    cve_id     TEXT PRIMARY KEY,
    score      REAL NOT NULL,
    percentile REAL,
    date       TEXT
) WITHOUT ROWID;
";

/// The tables a build merges its sources in (a separate file attached as `staging`), folded into
/// one `advisories` row per id when the build finishes: each source adds references, CWEs and
/// ratings to an advisory another source may already have given (`INSERT OR IGNORE` and
/// `INSERT OR REPLACE` do the merging), which a JSON column cannot do in place. The affected
/// entries are staged too, and copied in (ecosystem, name) order: the rows of one package are then
/// neighbours in the file, which a lookup by package reads together, where rows in feed order are
/// scattered over the whole table.
pub(crate) const STAGING_DDL: &str = r"
CREATE TABLE staging.staged_advisories (
    id        TEXT PRIMARY KEY,
    summary   TEXT,
    details   TEXT,
    published TEXT,
    modified  TEXT,
    withdrawn TEXT,
    source    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE staging.staged_affected (
    advisory_id TEXT NOT NULL,
    ecosystem   TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    purl        TEXT,
    ranges      TEXT NOT NULL,
    versions    TEXT NOT NULL,
    extra       TEXT
);

CREATE TABLE staging.staged_references (
    advisory_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    url         TEXT NOT NULL,
    PRIMARY KEY (advisory_id, url, kind)
) WITHOUT ROWID;

CREATE TABLE staging.staged_cwes (
    advisory_id TEXT NOT NULL,
    cwe         TEXT NOT NULL,
    PRIMARY KEY (advisory_id, cwe)
) WITHOUT ROWID;

CREATE TABLE staging.staged_severities (
    advisory_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    score       REAL,
    source      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    PRIMARY KEY (advisory_id, kind, source, scope, value)
) WITHOUT ROWID;
";

/// Indexes, created after the bulk load (faster than maintaining them row by row).
pub(crate) const INDEXES: &str = r"
CREATE INDEX affected_by_package ON affected (ecosystem, name_key, advisory_id);
CREATE INDEX fix_status_by_advisory ON fix_status (advisory_id);
CREATE INDEX affected_by_advisory ON affected (advisory_id);
CREATE INDEX aliases_by_alias ON aliases (alias);
";

/// What a database file must hold, checked at every open
/// ([`microscanner_sqlite_guard::check_schema`]): the tables of [`DDL`] with exactly their
/// columns, the indexes of [`INDEXES`] and SQLite's own (`sqlite_autoindex_*`, `sqlite_stat*`),
/// and nothing else: no view, trigger, virtual table or other table or index. A test keeps it
/// equal to what [`DDL`] and [`INDEXES`] create.
pub(crate) const EXPECTED: Schema = Schema {
    tables: &[
        Table { name: "meta", columns: &[("key", "TEXT"), ("value", "TEXT")] },
        Table {
            name: "sources",
            columns: &[
                ("name", "TEXT"),
                ("kind", "TEXT"),
                ("origin", "TEXT"),
                ("timestamp", "TEXT"),
                ("records", "INTEGER"),
                ("diagnostics", "INTEGER"),
            ],
        },
        Table {
            name: "advisories",
            columns: &[
                ("id", "TEXT"),
                ("summary", "TEXT"),
                ("details", "TEXT"),
                ("published", "TEXT"),
                ("modified", "TEXT"),
                ("withdrawn", "TEXT"),
                ("source", "TEXT"),
                ("aliases", "TEXT"),
                ("related", "TEXT"),
                ("refs", "TEXT"),
                ("cwes", "TEXT"),
                ("severities", "TEXT"),
            ],
        },
        Table { name: "aliases", columns: &[("advisory_id", "TEXT"), ("alias", "TEXT"), ("relation", "TEXT")] },
        Table {
            name: "affected",
            columns: &[
                ("advisory_id", "TEXT"),
                ("ecosystem", "TEXT"),
                ("name", "TEXT"),
                ("name_key", "TEXT"),
                ("purl", "TEXT"),
                ("ranges", "TEXT"),
                ("versions", "TEXT"),
                ("extra", "TEXT"),
            ],
        },
        Table {
            name: "fix_status",
            columns: &[
                ("advisory_id", "TEXT"),
                ("ecosystem", "TEXT"),
                ("name", "TEXT"),
                ("name_key", "TEXT"),
                ("state", "TEXT"),
                ("fixed_version", "TEXT"),
                ("urgency", "TEXT"),
                ("note", "TEXT"),
            ],
        },
        Table { name: "ecosystems", columns: &[("ecosystem", "TEXT"), ("entries", "INTEGER")] },
        Table {
            name: "kev",
            columns: &[
                ("cve_id", "TEXT"),
                ("date_added", "TEXT"),
                ("due_date", "TEXT"),
                ("ransomware", "TEXT"),
                ("vendor", "TEXT"),
                ("product", "TEXT"),
                ("name", "TEXT"),
            ],
        },
        Table {
            name: "epss",
            columns: &[("cve_id", "TEXT"), ("score", "REAL"), ("percentile", "REAL"), ("date", "TEXT")],
        },
    ],
    other_tables: false,
    indexes: Some(&[
        Index { name: "affected_by_package", table: "affected", columns: &["ecosystem", "name_key", "advisory_id"] },
        Index { name: "fix_status_by_advisory", table: "fix_status", columns: &["advisory_id"] },
        Index { name: "affected_by_advisory", table: "affected", columns: &["advisory_id"] },
        Index { name: "aliases_by_alias", table: "aliases", columns: &["alias"] },
    ]),
};

/// The key a package name is looked up by: PyPI names are normalised as PEP 503 says
/// (case-insensitive, runs of `-`, `_`, `.` are one `-`); other ecosystems compare names exactly.
pub fn name_key(ecosystem: &str, name: &str) -> String {
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    if base.eq_ignore_ascii_case("pypi") {
        let mut out = String::with_capacity(name.len());
        let mut in_sep = false;
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !in_sep {
                    out.push('-');
                }
                in_sep = true;
            } else {
                out.extend(c.to_lowercase());
                in_sep = false;
            }
        }
        out
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn the_expected_schema_is_what_ddl_creates() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(DDL).unwrap();
        conn.execute_batch(INDEXES).unwrap();
        conn.execute_batch("ANALYZE").unwrap();
        let limits = microscanner_sqlite_guard::Limits { max_length: 1 << 20, max_ops: 10_000_000 };
        let budget = microscanner_sqlite_guard::harden(&conn, limits).unwrap();
        assert_eq!(microscanner_sqlite_guard::check_schema(&conn, &budget, &EXPECTED), Ok(()));
    }

    #[test]
    fn pypi_names_are_normalised_others_are_not() {
        assert_eq!(name_key("PyPI", "Zope.Interface__x"), "zope-interface-x");
        assert_eq!(name_key("PyPI", "django"), name_key("PyPI", "Django"));
        assert_eq!(name_key("npm", "Foo_Bar"), "Foo_Bar");
        assert_eq!(name_key("Debian:12", "OpenSSL"), "OpenSSL");
    }
}
