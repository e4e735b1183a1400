//! `--output PATH` (and `db export PATH`) writes where the path points without replacing what is
//! there when it is not a plain file: every command that writes a file (`scan`, `sbom`, `diff`,
//! `db export`), to each kind of path: a regular file (replaced atomically, its mode kept), a
//! path that does not exist yet, a symbolic link to a file (the link stays, its target gets the
//! document), a dangling link, a FIFO (its reader gets the document) and a character device
//! (`/dev/null`'s numbers, made with `mknod` in a temporary directory: never the real
//! `/dev/null`, which a bug here would break for the whole machine). No temporary file is left
//! behind, and none is ever created beside a device or a FIFO.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report; skip notes

use std::collections::BTreeSet;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB").env("RUST_LOG", "warn").env("NO_COLOR", "1").stdin(Stdio::null());
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache")); // never the user's cache
    c.current_dir(env!("CARGO_TARGET_TMPDIR")); // no stray ignore file
    c
}

/// Fixtures shared by every test of this binary: a small database (the CISA KEV catalogue is
/// enough for `scan` to run and for `db export` to have something to export), a root filesystem
/// with one Debian package, and two JSON reports for `diff`.
struct Fixtures {
    db: PathBuf,
    root: PathBuf,
    old_report: PathBuf,
    new_report: PathBuf,
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("output-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("microscanner.db");
        let kev = microscanner_testkit::fixtures_dir().join("kev-cisa/known_exploited_vulnerabilities.json");
        let out = microscanner().args(["db", "build", "--db"]).arg(&db).arg("--from").arg(kev).output().unwrap();
        assert!(out.status.success(), "db build: {}", String::from_utf8_lossy(&out.stderr));

        let root = dir.join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
        std::fs::write(root.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian 12\"\n")
            .unwrap();
        let status = "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\n";
        std::fs::write(root.join("var/lib/dpkg/status"), status).unwrap();

        let report = microscanner_testkit::sample_report();
        let old_report = dir.join("old.json");
        std::fs::write(&old_report, serde_json::to_vec(&report).unwrap()).unwrap();
        let mut newer = report;
        newer.findings.truncate(2);
        let new_report = dir.join("new.json");
        std::fs::write(&new_report, serde_json::to_vec(&newer).unwrap()).unwrap();
        Fixtures { db, root, old_report, new_report }
    })
}

/// A command that writes one document to the path it is given.
struct Writer {
    name: &'static str,
    run: fn(&Path) -> Output,
    /// Checks the bytes written.
    check: fn(&[u8]),
}

fn scan_to(path: &Path) -> Output {
    let f = fixtures();
    let target = format!("dir:{}", f.root.display());
    microscanner()
        .args(["scan", &target, "--db"])
        .arg(&f.db)
        .args(["--db-max-age", "0", "--format", "json", "--output"])
        .arg(path)
        .output()
        .unwrap()
}

fn sbom_to(path: &Path) -> Output {
    let target = format!("dir:{}", fixtures().root.display());
    microscanner().args(["sbom", &target, "--format", "cyclonedx", "--output"]).arg(path).output().unwrap()
}

fn diff_to(path: &Path) -> Output {
    let f = fixtures();
    microscanner()
        .arg("diff")
        .arg(&f.old_report)
        .arg(&f.new_report)
        .args(["--format", "json", "--output"])
        .arg(path)
        .output()
        .unwrap()
}

fn export_to(path: &Path) -> Output {
    microscanner().args(["db", "export", "--db"]).arg(&fixtures().db).arg(path).output().unwrap()
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes[..bytes.len().min(200)])))
}

fn check_scan(bytes: &[u8]) {
    let report = json(bytes);
    assert_eq!(report["os"]["ecosystem"], "Debian:12", "{report}");
    assert!(report["packages"].as_array().unwrap().iter().any(|p| p["name"] == "zlib1g"));
}

fn check_sbom(bytes: &[u8]) {
    let bom = json(bytes);
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert!(bom["components"].as_array().unwrap().iter().any(|c| c["name"] == "zlib1g"), "{bom}");
}

fn check_diff(bytes: &[u8]) {
    let diff = json(bytes);
    assert!(!diff["fixed"].as_array().unwrap().is_empty(), "two findings were dropped: {diff}");
}

/// An export is checked by importing it.
fn check_export(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.tar.zst");
    std::fs::write(&file, bytes).unwrap();
    let db = dir.path().join("imported.db");
    let out = microscanner().args(["db", "import", "--db"]).arg(&db).arg(&file).output().unwrap();
    assert!(out.status.success(), "db import of what was written: {}", String::from_utf8_lossy(&out.stderr));
}

const WRITERS: [Writer; 4] = [
    Writer { name: "scan", run: scan_to, check: check_scan },
    Writer { name: "sbom", run: sbom_to, check: check_sbom },
    Writer { name: "diff", run: diff_to, check: check_diff },
    Writer { name: "db export", run: export_to, check: check_export },
];

fn assert_ok(writer: &Writer, what: &str, out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{} to {what}: stderr: {}",
        writer.name,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The names in a directory.
fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn an_existing_file_is_replaced_whole_and_keeps_its_mode() {
    for writer in &WRITERS {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, b"the previous document").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let out = (writer.run)(&path);
        assert_ok(writer, "an existing file", &out);
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file(), "{}", writer.name);
        assert_eq!(meta.permissions().mode() & 0o777, 0o640, "{}: the mode of the file replaced", writer.name);
        (writer.check)(&std::fs::read(&path).unwrap());
        assert_eq!(entries(dir.path()), names(&["out"]), "{}: nothing left beside it", writer.name);
    }
}

#[test]
fn a_missing_file_is_created() {
    for writer in &WRITERS {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.out");
        let out = (writer.run)(&path);
        assert_ok(writer, "a new file", &out);
        assert!(std::fs::symlink_metadata(&path).unwrap().file_type().is_file());
        (writer.check)(&std::fs::read(&path).unwrap());
        assert_eq!(entries(dir.path()), names(&["new.out"]), "{}: nothing left beside it", writer.name);
    }
}

#[test]
fn a_symlink_stays_and_its_target_gets_the_document() {
    for writer in &WRITERS {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/report");
        std::fs::write(&target, b"the previous document").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real/report", &link).unwrap();
        let out = (writer.run)(&link);
        assert_ok(writer, "a symlink", &out);
        assert!(
            std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
            "{}: the link was replaced",
            writer.name
        );
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("real/report"));
        (writer.check)(&std::fs::read(&target).unwrap());
        assert_eq!(entries(dir.path()), names(&["link", "real"]), "{}", writer.name);
        assert_eq!(entries(&dir.path().join("real")), names(&["report"]), "{}", writer.name);

        // A link to a file that does not exist yet: the file is created where the link points.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("real/later", &dangling).unwrap();
        let out = (writer.run)(&dangling);
        assert_ok(writer, "a dangling symlink", &out);
        assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink(), "{}", writer.name);
        (writer.check)(&std::fs::read(dir.path().join("real/later")).unwrap());
        assert_eq!(entries(&dir.path().join("real")), names(&["later", "report"]), "{}", writer.name);
    }
}

#[test]
fn a_fifo_is_written_to_its_reader() {
    for writer in &WRITERS {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success(), "mkfifo");
        // The reader, as `scan -o >(gzip > r.gz)` or a named pipe to another process would be.
        let (tx, rx) = std::sync::mpsc::channel();
        let reader_path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(std::fs::read(&reader_path));
        });
        let out = (writer.run)(&fifo);
        assert_ok(writer, "a FIFO", &out);
        // The writer has exited: had it renamed a file over the FIFO, the reader would still be
        // waiting for a writer that never comes.
        let bytes = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{}: the FIFO's reader got nothing (the FIFO was replaced?)", writer.name))
            .unwrap();
        (writer.check)(&bytes);
        assert!(
            std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(),
            "{}: the FIFO was replaced",
            writer.name
        );
        assert_eq!(entries(dir.path()), names(&["pipe"]), "{}: a file was created beside the FIFO", writer.name);
    }
}

/// A character device with `/dev/null`'s numbers (1, 3), made in a temporary directory; `None`
/// (with a note) when `mknod` is not allowed here (not root), except under CI.
fn null_device(dir: &Path) -> Option<PathBuf> {
    let path = dir.join("null");
    let made = Command::new("mknod").arg(&path).args(["c", "1", "3"]).stderr(Stdio::null()).status();
    if made.is_ok_and(|s| s.success()) {
        return Some(path);
    }
    microscanner_testkit::require(false, "permission to mknod a device (the tests run as root under CI)");
    None
}

#[test]
fn a_device_is_written_in_place_and_never_replaced() {
    for writer in &WRITERS {
        let dir = tempfile::tempdir().unwrap();
        let Some(device) = null_device(dir.path()) else { return };
        let before = std::fs::symlink_metadata(&device).unwrap();
        let out = (writer.run)(&device);
        assert_ok(writer, "a character device", &out);
        let after = std::fs::symlink_metadata(&device).unwrap();
        assert!(after.file_type().is_char_device(), "{}: the device was replaced by a file", writer.name);
        assert_eq!((after.rdev(), after.ino()), (before.rdev(), before.ino()), "{}", writer.name);
        assert_eq!(entries(dir.path()), names(&["null"]), "{}: a file was created beside the device", writer.name);
    }
}

#[test]
fn a_directory_or_a_missing_parent_is_a_one_line_error() {
    for writer in &WRITERS {
        let dir = tempfile::tempdir().unwrap();
        for (path, what) in [(dir.path().to_path_buf(), "directory"), (dir.path().join("no/such/file"), "No such file")]
        {
            let out = (writer.run)(&path);
            assert_eq!(out.status.code(), Some(1), "{}", writer.name);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{}: {stderr}", writer.name);
            assert!(
                errors[0].contains(&path.display().to_string()) && errors[0].contains(what),
                "{}: {stderr}",
                writer.name
            );
        }
        assert!(entries(dir.path()).is_empty(), "{}: {:?}", writer.name, entries(dir.path()));
    }
}
