//! Hostile database files: a SQLite file is a program. Views, triggers and exports whose declared
//! sizes lie are refused quickly, at open or before anything large is written, and an import
//! refused leaves the previous database as it was.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use microscanner_vulndb::{Builder, Database, Manifest, Records, SCHEMA_VERSION, import, install, temp_path_beside};
use sha2::{Digest, Sha256};

/// A valid (empty) database at `dir/name`.
fn build(dir: &Path, name: &str) -> PathBuf {
    let target = dir.join(name);
    let tmp = temp_path_beside(&target, "building");
    let mut b = Builder::create(&tmp).unwrap();
    b.add(&Records { complete: true, ..Records::default() }).unwrap();
    install(&b.finish().unwrap(), &target).unwrap();
    target
}

/// Never yields a row and never ends.
const RECURSIVE_AFFECTED: &str = "DROP INDEX affected_by_package; DROP INDEX affected_by_advisory; DROP TABLE affected; \
     CREATE VIEW affected (advisory_id, ecosystem, name, name_key, purl, ranges, versions, extra) AS \
     WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
     SELECT 'X', 'none', 'x', 'x', NULL, '[]', '[]', NULL FROM r WHERE n < 0;";

const TRIGGER: &str = "CREATE TRIGGER grow AFTER INSERT ON meta BEGIN INSERT INTO meta VALUES (zeroblob(9), ''); END;";

/// A valid database changed by `sql` (written with plain rusqlite: application id and schema
/// version stay ours).
fn hostile(dir: &Path, name: &str, sql: &str) -> PathBuf {
    let path = build(dir, name);
    rusqlite::Connection::open(&path).unwrap().execute_batch(sql).unwrap();
    path
}

/// Runs `f` on another thread; still running after a minute fails the test (the guarded calls
/// take milliseconds; the guard only keeps a hang from hanging the suite).
fn within_a_minute<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("did not finish within a minute")
}

#[test]
fn the_reader_refuses_affected_as_a_recursive_view() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile(dir.path(), "view.db", RECURSIVE_AFFECTED);
    let p = path.clone();
    let got = within_a_minute(move || {
        let db = Database::open(&p)?;
        db.counts()?;
        db.affected("PyPI", "django").map(|_| ())
    });
    let err = got.unwrap_err().to_string();
    assert_eq!(err, format!("{}: affected is a view, not a table", path.display()));
}

#[test]
fn the_reader_refuses_triggers_and_other_columns() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (TRIGGER, "the schema has a trigger (grow on meta)"),
        ("ALTER TABLE kev ADD COLUMN note TEXT", "kev has columns ("),
        ("CREATE TABLE extra (x)", "unexpected table extra"),
        (
            "DROP INDEX aliases_by_alias; CREATE INDEX aliases_by_alias ON aliases (length(alias))",
            "index aliases_by_alias",
        ),
    ];
    for (i, (sql, want)) in cases.into_iter().enumerate() {
        let path = hostile(dir.path(), &format!("h{i}.db"), sql);
        let p = path.clone();
        let err = within_a_minute(move || Database::open(&p).map(drop)).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: ", path.display())) && err.contains(want), "{sql}: {err}");
    }
}

/// An export as `export` writes it, around `db` (whatever it holds), with a correct manifest.
fn export_of(db: &[u8], out: &Path) {
    let manifest = manifest(db.len() as u64, hex::encode(Sha256::digest(db)));
    write_export(out, &manifest, db.len() as u64, &mut &db[..]);
}

/// The manifest of an export of a `size`-byte database with this digest.
fn manifest(size: u64, sha256: String) -> Manifest {
    Manifest {
        format: "microscanner-db-export/1".into(),
        schema_version: SCHEMA_VERSION,
        built_at: "2024-01-01T00:00:00Z".into(),
        size,
        sha256,
    }
}

/// An export at `out` claiming a `claimed`-byte database (manifest, tar entry and SQLite header
/// agree; the digest is never reached): the header of the `real` database, then `zeros` zeros.
fn export_claiming(out: &Path, real: &[u8], claimed: u64, zeros: u64) {
    let mut data = std::io::Cursor::new(header_declaring(real, claimed)).chain(std::io::repeat(0).take(zeros));
    write_export(out, &manifest(claimed, "0".repeat(64)), claimed, &mut data);
}

/// A scratch directory with a valid database in it, and that database's bytes.
fn previous_database() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let target = build(dir.path(), "microscanner.db");
    let before = std::fs::read(&target).unwrap();
    (dir, target, before)
}

/// Imports `export` over `target`: it must fail (within a minute) and leave the previous
/// database as it was. Returns the error.
fn refused_import(dir: &Path, export: &Path, target: &Path, before: &[u8]) -> String {
    let (e, t) = (export.to_path_buf(), target.to_path_buf());
    let err = within_a_minute(move || import(&e, &t)).unwrap_err().to_string();
    assert_untouched(dir, target, before);
    err
}

fn write_export(out: &Path, manifest: &Manifest, entry_size: u64, data: &mut dyn std::io::Read) {
    let json = serde_json::to_vec(manifest).unwrap();
    let mut zst = zstd::Encoder::new(std::fs::File::create(out).unwrap(), 3).unwrap();
    {
        let mut tar = tar::Builder::new(&mut zst);
        let mut h = tar::Header::new_gnu();
        h.set_size(json.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "manifest.json", json.as_slice()).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(entry_size);
        h.set_mode(0o644);
        h.set_cksum();
        // The header, then whatever `data` gives (a tar entry cut short when it gives less).
        h.set_path("microscanner.db").unwrap();
        h.set_cksum();
        tar.get_mut().write_all(h.as_bytes()).unwrap();
        let copied = std::io::copy(data, tar.get_mut()).unwrap();
        // Padding to a whole block and the end-of-archive blocks (after an entry cut short,
        // they read as more of its data).
        let pad = (512 - copied % 512) % 512;
        tar.get_mut().write_all(&vec![0u8; usize::try_from(pad).unwrap() + 1024]).unwrap();
        std::mem::forget(tar); // its own trailer would follow ours
    }
    zst.finish().unwrap().flush().unwrap();
}

/// The previous database, byte for byte, and no temporary file beside it.
fn assert_untouched(dir: &Path, target: &Path, before: &[u8]) {
    assert_eq!(std::fs::read(target).unwrap(), before, "the previous database changed");
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".import-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn import_refuses_views_and_triggers_and_keeps_the_previous_database() {
    let (dir, target, before) = previous_database();
    for (i, (sql, want)) in
        [(RECURSIVE_AFFECTED, "affected is a view, not a table"), (TRIGGER, "the schema has a trigger (grow on meta)")]
            .into_iter()
            .enumerate()
    {
        let bad = hostile(dir.path(), &format!("bad{i}.db"), sql);
        let export = dir.path().join(format!("bad{i}.tar.zst"));
        export_of(&std::fs::read(&bad).unwrap(), &export);
        let err = refused_import(dir.path(), &export, &target, &before);
        assert!(err.starts_with(&format!("{}: the database inside: {want}", export.display())), "{err}");
        // And nothing hangs afterwards: the previous database still answers.
        let t = target.clone();
        within_a_minute(move || Database::open(&t).unwrap().counts().unwrap());
    }
}

/// The first 100 bytes of a real database, its page count patched to declare `size` bytes.
fn header_declaring(real: &[u8], size: u64) -> Vec<u8> {
    let mut head = real[..100].to_vec();
    let page_size = u64::from(u16::from_be_bytes([head[16], head[17]]));
    head[28..32].copy_from_slice(&u32::try_from(size / page_size).unwrap().to_be_bytes());
    head
}

#[test]
fn import_refuses_claimed_sizes_far_larger_than_the_export_before_writing() {
    let (dir, target, before) = previous_database();
    // 4 GiB declared (manifest, tar entry, SQLite header all agree), zeros after the header: a
    // few kilobytes of export. Only 8 MiB of the zeros are even there.
    let claimed: u64 = 4 << 30;
    let export = dir.path().join("bomb.tar.zst");
    export_claiming(&export, &before, claimed, 8 << 20);
    assert!(std::fs::metadata(&export).unwrap().len() < 64 * 1024);
    let err = refused_import(dir.path(), &export, &target, &before);
    assert!(err.starts_with(&format!("{}: the manifest claims a 4294967296-byte database", export.display())), "{err}");
}

#[test]
fn import_bounds_what_it_writes_while_streaming() {
    let (dir, target, before) = previous_database();
    // 256 MiB declared and 4 MiB of (incompressible) padding after the zstd frame, so the export
    // file is large enough for the claim; but the stream itself expands ~10000-fold.
    let claimed: u64 = 256 << 20;
    let export = dir.path().join("padded.tar.zst");
    export_claiming(&export, &before, claimed, claimed - 100);
    let mut padding = vec![0u8; 4 << 20];
    let mut x: u32 = 0x9e37_79b9;
    for b in &mut padding {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    std::fs::OpenOptions::new().append(true).open(&export).unwrap().write_all(&padding).unwrap();
    let err = refused_import(dir.path(), &export, &target, &before);
    assert!(err.contains("more than 64 times (a decompression bomb?)"), "{err}");
}
