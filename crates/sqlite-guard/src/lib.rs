//! Opening SQLite files we did not write: a SQLite file is a program as much as data.
//!
//! A view runs a query (a `WITH RECURSIVE` that never ends, a `zeroblob(900000000)` per row), a
//! trigger runs on writes, a generated column or a column default runs an expression on every
//! read, a virtual table calls into an extension. Every SQLite file that comes from outside
//! (an image's `rpmdb.sqlite`, a vulnerability database given to `scan --db` or `db import`) is
//! opened through this crate:
//!
//! 1. [`harden`] the connection before its first query: `SQLITE_DBCONFIG_DEFENSIVE`,
//!    `trusted_schema = OFF`, views and triggers disabled, tight [`Limit`]s (string/blob length,
//!    statement length, columns, expression depth, program size, no attached databases), and a
//!    progress handler that interrupts any statement once the connection has spent its
//!    [`Budget`] of virtual-machine operations;
//! 2. [`check_schema`]: `sqlite_schema` holds only real tables (no view, trigger or virtual
//!    table), and the tables we read have exactly the columns we expect, none computed (no
//!    default, no generated column).
//!
//! Both `microscanner-rpmdb` (an image's `rpmdb.sqlite`) and `microscanner-vulndb` (the
//! vulnerability database) open their files through this crate: one home for the rule.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::{Connection, ErrorCode};

/// Virtual-machine operations between two calls of the progress handler.
const OPS_PER_TICK: u64 = 1000;

/// The bounds a hardened connection works within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest string or blob a statement may produce or read (`SQLITE_LIMIT_LENGTH`), in bytes.
    pub max_length: i32,
    /// Virtual-machine operations allowed between two [`Budget::reset`]s.
    pub max_ops: u64,
}

impl Limits {
    /// Limits for a file of `file_len` bytes: blobs up to `max_length`, and `base_ops` plus
    /// `ops_per_byte` operations per byte of the file (honest queries over real tables cost work
    /// in proportion to the data; a hostile one makes work out of nothing).
    pub fn for_file(max_length: i32, base_ops: u64, ops_per_byte: u64, file_len: u64) -> Self {
        Self { max_length, max_ops: base_ops.saturating_add(ops_per_byte.saturating_mul(file_len)) }
    }
}

/// The operation budget of a hardened connection. Cloning gives another handle on the same
/// budget.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Progress-handler ticks since the last reset.
    ticks: Arc<AtomicU64>,
    /// Ticks allowed.
    max_ticks: u64,
}

impl Budget {
    /// Starts a new budget period (before each query of a long-lived connection).
    pub fn reset(&self) {
        self.ticks.store(0, Ordering::Relaxed);
    }

    /// Whether the current period ran out (a statement was or will be interrupted).
    pub fn exhausted(&self) -> bool {
        self.ticks.load(Ordering::Relaxed) > self.max_ticks
    }

    /// The operations allowed per period.
    pub fn max_ops(&self) -> u64 {
        self.max_ticks.saturating_mul(OPS_PER_TICK)
    }
}

/// Whether `e` is a statement interrupted by the progress handler (an exhausted [`Budget`]).
pub fn is_interrupt(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::OperationInterrupted)
}

/// Whether `e` is a string or blob over [`Limits::max_length`].
pub fn is_too_big(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::TooBig)
}

/// Hardens a freshly opened connection to a file we did not write; call it before any query.
///
/// # Errors
/// SQLite refusing a setting (only with a SQLite older than 3.31).
pub fn harden(conn: &Connection, limits: Limits) -> rusqlite::Result<Budget> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, false)?;
    for (limit, value) in [
        (Limit::SQLITE_LIMIT_LENGTH, limits.max_length),
        // Our statements and the schema's CREATE statements are short.
        (Limit::SQLITE_LIMIT_SQL_LENGTH, 1 << 20),
        (Limit::SQLITE_LIMIT_COLUMN, 100),
        (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
        (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 8),
        (Limit::SQLITE_LIMIT_VDBE_OP, 100_000),
        (Limit::SQLITE_LIMIT_FUNCTION_ARG, 16),
        (Limit::SQLITE_LIMIT_ATTACHED, 0),
        (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000),
        (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 64),
        (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1),
        (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
    ] {
        conn.set_limit(limit, value)?;
    }
    // The page cache of this connection: 8 MiB at most (the default is 2 MiB).
    conn.pragma_update(None, "cache_size", -8192)?;
    let budget = Budget { ticks: Arc::new(AtomicU64::new(0)), max_ticks: limits.max_ops.div_ceil(OPS_PER_TICK) };
    let ticks = Arc::clone(&budget.ticks);
    let max_ticks = budget.max_ticks;
    // `OPS_PER_TICK` is a small constant; the conversion cannot fail.
    let every = i32::try_from(OPS_PER_TICK).unwrap_or(i32::MAX);
    conn.progress_handler(
        every,
        Some(move || {
            let used = ticks.fetch_add(1, Ordering::Relaxed).saturating_add(1);
            used > max_ticks
        }),
    )?;
    Ok(budget)
}

/// One table we read: its name and its columns, in order, as `(name, declared type)`.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The table's name.
    pub name: &'static str,
    /// Its columns in order: name and declared type (compared without regard to ASCII case).
    pub columns: &'static [(&'static str, &'static str)],
}

/// One index we expect: its name, its table and the columns it covers, in order.
#[derive(Debug, Clone, Copy)]
pub struct Index {
    /// The index's name.
    pub name: &'static str,
    /// The table it indexes.
    pub table: &'static str,
    /// The columns it covers, in order.
    pub columns: &'static [&'static str],
}

/// What a file's schema must look like.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// The tables we read, which must be exactly as described.
    pub tables: &'static [Table],
    /// Whether other real tables may be present (not read, so harmless: rpm's index tables).
    pub other_tables: bool,
    /// `Some`: the only indexes allowed (besides SQLite's own `sqlite_autoindex_*`), each as
    /// described. `None`: indexes are not checked.
    pub indexes: Option<&'static [Index]>,
}

/// Why a file's schema was refused. Displayed as one line, without the file's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A table we read is a view.
    #[error("{0} is a view, not a table")]
    ExpectedView(String),
    /// The file defines a view.
    #[error("the schema has a view ({0}); only tables are accepted")]
    View(String),
    /// The file defines a trigger.
    #[error("the schema has a trigger ({name} on {table}); only tables are accepted")]
    Trigger {
        /// The trigger.
        name: String,
        /// Its table.
        table: String,
    },
    /// A virtual table (an extension module's code behind a table name).
    #[error("{0} is a virtual table, not a table")]
    Virtual(String),
    /// A table we read is absent.
    #[error("no {0} table")]
    Missing(String),
    /// A table that is not part of the schema.
    #[error("unexpected table {0}")]
    UnexpectedTable(String),
    /// A table we read has other columns.
    #[error("{table} has columns ({found}), expected ({expected})")]
    Columns {
        /// The table.
        table: String,
        /// Its columns as found.
        found: String,
        /// The columns expected.
        expected: String,
    },
    /// A column whose value is computed when read (a default or a generated column).
    #[error("{table}.{column} has a default or generated value")]
    Computed {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// An index that is not part of the schema, or not as expected.
    #[error("index {name}: {reason}")]
    Index {
        /// The index.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The operation budget ran out while reading the schema.
    #[error("reading the schema ran past its budget of {0} operations")]
    Budget(u64),
    /// SQLite could not read the schema.
    #[error("unreadable schema: {0}")]
    Sqlite(String),
}

/// Checks the schema of a [`harden`]ed connection against `expected`: real tables only (no view,
/// trigger or virtual table anywhere), the tables we read with exactly their columns, and no
/// column computed when read.
///
/// # Errors
/// The first problem found.
pub fn check_schema(conn: &Connection, budget: &Budget, expected: &Schema) -> Result<(), SchemaError> {
    budget.reset();
    let sql = |e: rusqlite::Error| {
        if is_interrupt(&e) && budget.exhausted() {
            SchemaError::Budget(budget.max_ops())
        } else {
            SchemaError::Sqlite(e.to_string())
        }
    };
    let entries: Vec<(String, String, String)> = {
        let mut stmt =
            conn.prepare("SELECT type, name, tbl_name FROM main.sqlite_schema ORDER BY rowid").map_err(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)?
    };
    let expected_table = |name: &str| expected.tables.iter().find(|t| t.name.eq_ignore_ascii_case(name));
    for (kind, name, table) in &entries {
        match kind.as_str() {
            "view" if expected_table(name).is_some() => return Err(SchemaError::ExpectedView(name.clone())),
            "view" => return Err(SchemaError::View(name.clone())),
            "trigger" => return Err(SchemaError::Trigger { name: name.clone(), table: table.clone() }),
            _ => {}
        }
    }
    // What SQLite made of each table once parsed: `table`, `virtual` or `shadow`.
    let tables: Vec<(String, String)> = {
        let mut stmt = conn.prepare("SELECT name, type FROM pragma_table_list WHERE schema = 'main'").map_err(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)?
    };
    for (name, kind) in &tables {
        match kind.as_str() {
            "view" if expected_table(name).is_some() => return Err(SchemaError::ExpectedView(name.clone())),
            "view" => return Err(SchemaError::View(name.clone())),
            "table" => {}
            _ => return Err(SchemaError::Virtual(name.clone())),
        }
        let internal = name.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("sqlite_"));
        if !internal && !expected.other_tables && expected_table(name).is_none() {
            return Err(SchemaError::UnexpectedTable(name.clone()));
        }
    }
    for want in expected.tables {
        if !tables.iter().any(|(name, _)| name.eq_ignore_ascii_case(want.name)) {
            return Err(SchemaError::Missing(want.name.into()));
        }
        check_columns(conn, want).map_err(|e| match e {
            ColumnsError::Schema(s) => s,
            ColumnsError::Sqlite(e) => sql(e),
        })?;
    }
    if let Some(indexes) = expected.indexes {
        for (kind, name, table) in &entries {
            if kind == "index" {
                check_index(conn, indexes, expected, name, table).map_err(|e| match e {
                    ColumnsError::Schema(s) => s,
                    ColumnsError::Sqlite(e) => sql(e),
                })?;
            }
        }
    }
    Ok(())
}

enum ColumnsError {
    Schema(SchemaError),
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for ColumnsError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

fn check_columns(conn: &Connection, want: &Table) -> Result<(), ColumnsError> {
    struct Column {
        name: String,
        ty: String,
        default: bool,
        hidden: i64,
    }
    let mut stmt = conn.prepare("SELECT name, type, dflt_value IS NOT NULL, hidden FROM pragma_table_xinfo(?1)")?;
    let found: Vec<Column> = stmt
        .query_map([want.name], |r| {
            Ok(Column { name: r.get(0)?, ty: r.get(1)?, default: r.get(2)?, hidden: r.get(3)? })
        })?
        .collect::<Result<_, _>>()?;
    let same = found.len() == want.columns.len()
        && found
            .iter()
            .zip(want.columns)
            .all(|(c, (name, ty))| c.name.eq_ignore_ascii_case(name) && c.ty.eq_ignore_ascii_case(ty));
    if !same {
        let list = |cols: &mut dyn Iterator<Item = (&str, &str)>| {
            cols.map(|(n, t)| if t.is_empty() { n.to_owned() } else { format!("{n} {t}") })
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(ColumnsError::Schema(SchemaError::Columns {
            table: want.name.into(),
            found: list(&mut found.iter().map(|c| (c.name.as_str(), c.ty.as_str()))),
            expected: list(&mut want.columns.iter().copied()),
        }));
    }
    if let Some(c) = found.iter().find(|c| c.default || c.hidden != 0) {
        return Err(ColumnsError::Schema(SchemaError::Computed { table: want.name.into(), column: c.name.clone() }));
    }
    Ok(())
}

fn check_index(
    conn: &Connection,
    indexes: &[Index],
    expected: &Schema,
    name: &str,
    table: &str,
) -> Result<(), ColumnsError> {
    let bad = |reason: &str| ColumnsError::Schema(SchemaError::Index { name: name.into(), reason: reason.into() });
    let known_table = expected.tables.iter().any(|t| t.name.eq_ignore_ascii_case(table));
    let automatic = name.get(..17).is_some_and(|p| p.eq_ignore_ascii_case("sqlite_autoindex_"));
    if automatic {
        return if known_table { Ok(()) } else { Err(bad("on an unexpected table")) };
    }
    let Some(want) = indexes.iter().find(|i| i.name.eq_ignore_ascii_case(name)) else {
        return Err(bad("not part of the schema"));
    };
    if !want.table.eq_ignore_ascii_case(table) {
        return Err(bad(&format!("on {table}, expected on {}", want.table)));
    }
    let partial: bool = conn.query_row(
        "SELECT COALESCE(MAX(partial), 0) FROM pragma_index_list(?1) WHERE name = ?2",
        [table, name],
        |r| r.get(0),
    )?;
    if partial {
        return Err(bad("partial"));
    }
    let mut stmt = conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?;
    let columns: Vec<Option<String>> = stmt.query_map([name], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let same = columns.len() == want.columns.len()
        && columns.iter().zip(want.columns).all(|(c, w)| c.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(w)));
    if !same {
        return Err(bad(&format!("covers other columns, expected ({})", want.columns.join(", "))));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn hardened(max_ops: u64) -> (Connection, Budget) {
        let conn = Connection::open_in_memory().unwrap();
        let budget = harden(&conn, Limits { max_length: 1 << 20, max_ops }).unwrap();
        (conn, budget)
    }

    #[test]
    fn a_runaway_query_is_interrupted_and_a_reset_restores_the_budget() {
        let (conn, budget) = hardened(1_000_000);
        let e = conn
            .query_row(
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT COUNT(*) FROM r",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap_err();
        assert!(is_interrupt(&e) && budget.exhausted(), "{e}");
        budget.reset();
        assert_eq!(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)).unwrap(), 1);
    }

    #[test]
    fn a_huge_blob_is_refused() {
        let (conn, _) = hardened(1_000_000);
        let e = conn.query_row("SELECT zeroblob(900000000)", [], |r| r.get::<_, Vec<u8>>(0)).unwrap_err();
        assert!(is_too_big(&e), "{e}");
    }

    const T: Schema = Schema {
        tables: &[Table { name: "t", columns: &[("a", "INTEGER"), ("b", "BLOB")] }],
        other_tables: false,
        indexes: Some(&[Index { name: "t_b", table: "t", columns: &["b"] }]),
    };

    fn schema_of(ddl: &str) -> Result<(), SchemaError> {
        let setup = Connection::open_in_memory().unwrap();
        setup.execute_batch(ddl).unwrap();
        let bytes = setup.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
        let mut conn = Connection::open_in_memory().unwrap();
        let budget = harden(&conn, Limits { max_length: 1 << 20, max_ops: 10_000_000 }).unwrap();
        conn.deserialize_read_exact(rusqlite::MAIN_DB, bytes.as_slice(), bytes.len(), true).unwrap();
        check_schema(&conn, &budget, &T)
    }

    #[test]
    fn schemas_are_checked() {
        assert_eq!(schema_of("CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB); CREATE INDEX t_b ON t (b);"), Ok(()));
        let cases = [
            ("CREATE VIEW t (a, b) AS SELECT 1, 2;", "t is a view, not a table"),
            ("CREATE TABLE t (a INTEGER, b BLOB); CREATE VIEW v AS SELECT 1;", "the schema has a view (v)"),
            (
                "CREATE TABLE t (a INTEGER, b BLOB); CREATE TRIGGER g AFTER INSERT ON t BEGIN SELECT 1; END;",
                "the schema has a trigger (g on t)",
            ),
            ("PRAGMA user_version = 1;", "no t table"),
            ("CREATE TABLE t (a INTEGER, b BLOB); CREATE TABLE u (a);", "unexpected table u"),
            ("CREATE TABLE t (a INTEGER, b TEXT);", "t has columns (a INTEGER, b TEXT), expected (a INTEGER, b BLOB)"),
            ("CREATE TABLE t (a INTEGER, b BLOB DEFAULT (zeroblob(10)));", "t.b has a default or generated value"),
            (
                "CREATE TABLE t (a INTEGER, b BLOB GENERATED ALWAYS AS (zeroblob(a)));",
                "t.b has a default or generated value",
            ),
            ("CREATE TABLE t (a INTEGER, b BLOB); CREATE INDEX x ON t (a);", "index x: not part of the schema"),
            ("CREATE TABLE t (a INTEGER, b BLOB); CREATE INDEX t_b ON t (b) WHERE a > 0;", "index t_b: partial"),
            (
                "CREATE TABLE t (a INTEGER, b BLOB); CREATE INDEX t_b ON t (length(b));",
                "index t_b: covers other columns, expected (b)",
            ),
        ];
        for (ddl, want) in cases {
            let got = schema_of(ddl).map_err(|e| e.to_string());
            assert!(got.as_ref().is_err_and(|e| e.starts_with(want)), "{ddl}: {got:?}");
        }
    }
}
