//! Hand-built hostile databases: the readers stay bounded in time and memory.

#![allow(clippy::unwrap_used)]

use microscanner_rpmdb::{Error, bdb, ndb, parse_header};

/// Builds a header blob from `(tag, type, data, count)` entries.
fn header(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, ty, bytes, count) in entries {
        for v in [*tag, *ty, data.len() as u32, *count] {
            index.extend_from_slice(&v.to_be_bytes());
        }
        data.extend_from_slice(bytes);
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    blob.extend(index);
    blob.extend(data);
    blob
}

fn s(v: &str) -> Vec<u8> {
    let mut b = v.as_bytes().to_vec();
    b.push(0);
    b
}

fn nvr(name: &str) -> Vec<(u32, u32, Vec<u8>, u32)> {
    vec![(1000, 6, s(name), 1), (1001, 6, s("1.0"), 1), (1002, 6, s("1"), 1)]
}

#[test]
fn minimal_header_reads() {
    let mut e = nvr("tiny");
    e.push((1003, 4, 7u32.to_be_bytes().to_vec(), 1));
    e.push((1118, 8, [s("/usr/bin/"), s("/etc/")].concat(), 2));
    e.push((1117, 8, [s("tiny"), s("tiny.conf")].concat(), 2));
    e.push((1116, 4, [0u32.to_be_bytes(), 1u32.to_be_bytes()].concat(), 2));
    let p = parse_header(&header(&e)).unwrap();
    assert_eq!(p.evr(), "7:1.0-1");
    assert_eq!(p.files, ["/usr/bin/tiny", "/etc/tiny.conf"]);
    assert!(p.files_error.is_none());
}

#[test]
fn header_missing_name_or_with_wrong_types() {
    assert!(matches!(parse_header(&header(&[(1001, 6, s("1"), 1)])), Err(Error::Corrupt(_))));
    // NAME typed as int32.
    assert!(parse_header(&header(&[(1000, 4, vec![0; 4], 1), (1001, 6, s("1"), 1), (1002, 6, s("1"), 1)])).is_err());
    // Basenames count far larger than the data.
    let mut e = nvr("x");
    e.push((1117, 8, s("a"), 1_000_000));
    let p = parse_header(&header(&e)).unwrap();
    assert!(p.files.is_empty() && p.files_error.is_some());
}

#[test]
fn repeated_huge_directory_is_bounded() {
    let mut e = nvr("bomb");
    let dir = format!("/{}/", "d".repeat(4000));
    e.push((1118, 8, s(&dir), 1));
    e.push((1117, 8, vec![0; 2000], 2000));
    e.push((1116, 4, vec![0; 8000], 2000));
    let p = parse_header(&header(&e)).unwrap();
    // 2000 paths of 4 KB = 8 MB from a 14 KB header: refused, the package itself kept.
    assert!(p.files.is_empty());
    assert!(p.files_error.is_some());
}

/// A little-endian BerkeleyDB hash file with 512-byte pages: meta, one hash page with `pairs`
/// key/data pairs whose data all point at the same overflow page, and that overflow page.
fn bdb_shared_chain(pairs: usize) -> Vec<u8> {
    const PS: usize = 512;
    let mut f = vec![0u8; 3 * PS];
    f[12..16].copy_from_slice(&0x0006_1561u32.to_le_bytes());
    f[16..20].copy_from_slice(&9u32.to_le_bytes());
    f[20..24].copy_from_slice(&(PS as u32).to_le_bytes());
    f[32..36].copy_from_slice(&2u32.to_le_bytes());
    f[25] = 8;
    // Hash page.
    let page = PS;
    f[page + 25] = 13;
    f[page + 20..page + 22].copy_from_slice(&((2 * pairs) as u16).to_le_bytes());
    let mut top = PS;
    for i in 0..pairs {
        // Key: H_KEYDATA + 4-byte instance number (i + 1).
        top -= 5;
        f[page + top] = 1;
        f[page + top + 1..page + top + 5].copy_from_slice(&(i as u32 + 1).to_le_bytes());
        f[page + 26 + 4 * i..page + 28 + 4 * i].copy_from_slice(&(top as u16).to_le_bytes());
        // Data: H_OFFPAGE to page 2, 400 bytes.
        top -= 12;
        f[page + top] = 3;
        f[page + top + 4..page + top + 8].copy_from_slice(&2u32.to_le_bytes());
        f[page + top + 8..page + top + 12].copy_from_slice(&400u32.to_le_bytes());
        f[page + 28 + 4 * i..page + 30 + 4 * i].copy_from_slice(&(top as u16).to_le_bytes());
    }
    // Overflow page holding 400 bytes, end of chain.
    let ov = 2 * PS;
    f[ov + 25] = 7;
    f[ov + 22..ov + 24].copy_from_slice(&400u16.to_le_bytes());
    f
}

#[test]
fn bdb_items_sharing_one_chain_are_bounded() {
    let blobs = bdb::read_blobs(&bdb_shared_chain(20)).unwrap();
    // 1536 bytes of file can hold at most three 400-byte values.
    assert_eq!(blobs.blobs.len(), 3);
    assert_eq!(blobs.problems.len(), 17, "{:?}", blobs.problems);
    assert!(blobs.blobs.iter().all(|b| b.len() == 400));
}

#[test]
fn bdb_chain_loop_is_detected() {
    let mut f = bdb_shared_chain(1);
    // Overflow page points at itself and claims 4000 bytes total.
    f[2 * 512 + 16..2 * 512 + 20].copy_from_slice(&2u32.to_le_bytes());
    let item = 512 - 5 - 12;
    f[512 + item + 8..512 + item + 12].copy_from_slice(&1200u32.to_le_bytes());
    let blobs = bdb::read_blobs(&f).unwrap();
    assert!(blobs.blobs.is_empty());
    assert_eq!(blobs.problems.len(), 1, "{:?}", blobs.problems);
}

#[test]
fn ndb_slots_sharing_one_blob_are_bounded() {
    let blob = header(&nvr("shared"));
    let mut f = vec![0u8; 4096];
    f[0..4].copy_from_slice(b"RpmP");
    f[12..16].copy_from_slice(&1u32.to_le_bytes());
    // 200 slots, all for package 1, all pointing at block 256 (offset 4096).
    for i in 0..200 {
        let at = 32 + 16 * i;
        f[at..at + 4].copy_from_slice(b"Slot");
        f[at + 4..at + 8].copy_from_slice(&1u32.to_le_bytes());
        f[at + 8..at + 12].copy_from_slice(&256u32.to_le_bytes());
        f[at + 12..at + 16].copy_from_slice(&(blob.len() as u32 / 16 + 2).to_le_bytes());
    }
    f.extend_from_slice(b"BlbS");
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    f.extend_from_slice(&blob);
    let out = ndb::read_blobs(&f).unwrap();
    assert!(out.blobs.len() * blob.len() <= f.len());
    assert!(out.problems.len() >= 200 - out.blobs.len());
    assert_eq!(parse_header(&out.blobs[0]).unwrap().name, "shared");
}

/// An `rpmdb.sqlite` built by running `ddl` (which may use `?1`, a valid header blob, as
/// `INSERT ... VALUES (?1)` parameter through `insert`), as bytes.
fn sqlite_db(ddl: &str, insert: Option<&str>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpmdb.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(ddl).unwrap();
        if let Some(sql) = insert {
            conn.execute(sql, [header(&nvr("bash"))]).unwrap();
        }
    }
    std::fs::read(&path).unwrap()
}

/// Reads `bytes` on another thread; a read still running after a minute fails the test (the
/// guarded reads take milliseconds; the guard only stops a hang from hanging the suite).
fn read_guarded(bytes: Vec<u8>) -> Result<microscanner_rpmdb::Database, Error> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(microscanner_rpmdb::read(&bytes));
    });
    rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the read did not finish within a minute")
}

/// Asserts the read is refused with a one-line error containing `want`.
fn assert_refused(bytes: Vec<u8>, want: &str) {
    let err = match read_guarded(bytes) {
        Ok(db) => panic!("read {} packages, expected a refusal ({want})", db.packages.len()),
        Err(e) => e.to_string(),
    };
    assert!(err.starts_with("rpmdb.sqlite: ") && err.contains(want), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

const RPM_PACKAGES: &str = "CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL);";
const INSERT: &str = "INSERT INTO Packages (blob) VALUES (?1)";

#[test]
fn sqlite_with_rpms_own_schema_reads() {
    let ddl = format!(
        "{RPM_PACKAGES} CREATE TABLE 'Name' (key 'TEXT' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, \
         FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum)); CREATE INDEX 'Name_key_idx' ON 'Name'(key ASC);"
    );
    let db = read_guarded(sqlite_db(&ddl, Some(INSERT))).unwrap();
    assert_eq!(db.packages.len(), 1);
    assert_eq!(db.packages[0].name, "bash");
    assert!(db.problems.is_empty(), "{:?}", db.problems);
}

#[test]
fn sqlite_packages_as_a_recursive_view_is_refused() {
    // Never yields a row and never ends: `SELECT blob FROM Packages ORDER BY hnum` would spin.
    let ddl = "CREATE VIEW Packages (hnum, blob) AS \
               WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n, x'00' FROM r WHERE n < 0;";
    assert_refused(sqlite_db(ddl, None), "Packages is a view, not a table");
}

#[test]
fn sqlite_packages_as_a_zeroblob_view_is_refused() {
    // An 8 KiB file that would hand over a 200 MB blob.
    let ddl = "CREATE VIEW Packages (hnum, blob) AS SELECT 1, zeroblob(200000000);";
    assert_refused(sqlite_db(ddl, None), "Packages is a view, not a table");
}

#[test]
fn sqlite_views_elsewhere_are_refused() {
    let ddl = format!("{RPM_PACKAGES} CREATE VIEW Name AS SELECT 1;");
    assert_refused(sqlite_db(&ddl, Some(INSERT)), "the schema has a view (Name)");
}

#[test]
fn sqlite_with_a_trigger_is_refused() {
    let ddl = format!(
        "{RPM_PACKAGES} CREATE TRIGGER grow AFTER DELETE ON Packages BEGIN \
         INSERT INTO Packages (blob) VALUES (zeroblob(1000)); END;"
    );
    assert_refused(sqlite_db(&ddl, Some(INSERT)), "the schema has a trigger (grow on Packages)");
}

#[test]
fn sqlite_packages_with_other_columns_is_refused() {
    let ddl = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB, note TEXT);";
    assert_refused(
        sqlite_db(ddl, Some(INSERT)),
        "Packages has columns (hnum INTEGER, blob BLOB, note TEXT), expected (hnum INTEGER, blob BLOB)",
    );
    let ddl = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob TEXT);";
    assert_refused(sqlite_db(ddl, Some(INSERT)), "Packages has columns (hnum INTEGER, blob TEXT)");
}

#[test]
fn sqlite_blob_computed_on_read_is_refused() {
    // A generated column runs its expression on every read: 100 MB per row out of nothing.
    let ddl = "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, \
               blob BLOB GENERATED ALWAYS AS (zeroblob(100000000)) VIRTUAL); INSERT INTO Packages (hnum) VALUES (1);";
    assert_refused(sqlite_db(ddl, None), "Packages.blob has a default or generated value");
}
