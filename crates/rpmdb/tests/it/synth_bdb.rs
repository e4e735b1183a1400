//! A 35-package BerkeleyDB `Packages` built from the real SUSE header blobs: our walker and the
//! real `rpm` (bdb_ro backend) must list the same packages.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use crate::support_bdb_writer as bdb_writer;

use std::process::Command;

const SLE15: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/pkgdb-go-rpmdb/pkg/testdata/sle15-bci/Packages.db");

#[test]
fn multi_package_bdb_equals_ndb_and_rpm() {
    let ndb = std::fs::read(SLE15).unwrap();
    let blobs = microscanner_rpmdb::ndb::read_blobs(&ndb).unwrap().blobs;
    assert_eq!(blobs.len(), 35);
    let bdb = bdb_writer::write(&blobs);
    let from_bdb = microscanner_rpmdb::read(&bdb).unwrap();
    assert_eq!(from_bdb.format, microscanner_rpmdb::Format::BerkeleyDb);
    assert!(from_bdb.problems.is_empty(), "{:?}", from_bdb.problems);
    let from_ndb = microscanner_rpmdb::read(&ndb).unwrap();
    assert_eq!(from_bdb.packages, from_ndb.packages);
    // The same database written by a big-endian machine reads the same.
    let be = bdb_writer::write_big_endian(&blobs);
    assert_ne!(be, bdb);
    let from_be = microscanner_rpmdb::read(&be).unwrap();
    assert!(from_be.problems.is_empty(), "{:?}", from_be.problems);
    assert_eq!(from_be.packages, from_ndb.packages);

    if !microscanner_testkit::require(Command::new("rpm").arg("--version").output().is_ok(), "the `rpm` tool") {
        return;
    }
    let mut ours: Vec<String> = from_bdb
        .packages
        .iter()
        .map(|p| format!("{}-{}-{}.{}", p.name, p.version, p.release, p.arch.as_deref().unwrap_or("(none)")))
        .collect();
    ours.sort();
    for (order, file) in [("little-endian", &bdb), ("big-endian", &be)] {
        let (theirs, stderr) = rpm_list(file);
        assert_eq!(ours, theirs, "{order}: rpm stderr: {stderr}");
    }
}

/// `rpm -qa` (bdb_ro backend) on a temporary `Packages` holding `bytes`.
fn rpm_list(bytes: &[u8]) -> (Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Packages"), bytes).unwrap();
    let out = Command::new("rpm")
        .arg("-qa")
        .arg("--dbpath")
        .arg(dir.path())
        .args(["--define", "_db_backend bdb_ro", "--queryformat", "%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n"])
        .output()
        .unwrap();
    let mut theirs: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    theirs.sort();
    (theirs, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A multi-package BerkeleyDB cut short or with a broken overflow chain keeps the packages it
/// can still reach and reports the rest.
#[test]
fn damaged_multi_package_bdb_keeps_what_it_can() {
    let ndb = std::fs::read(SLE15).unwrap();
    let blobs = microscanner_rpmdb::ndb::read_blobs(&ndb).unwrap().blobs;
    let bdb = bdb_writer::write(&blobs);
    for pct in [30, 50, 80, 99] {
        let db = microscanner_rpmdb::read(&bdb[..bdb.len() * pct / 100]).unwrap();
        assert!(!db.problems.is_empty(), "{pct}%");
        assert!(!db.packages.is_empty() && db.packages.len() < 35, "{pct}%: {}", db.packages.len());
    }
    // Point the 2nd package's overflow chain at the hash page itself.
    let mut b = bdb.clone();
    let item = 4096 + 4096 - 2 * 17;
    assert_eq!(b[item], 3, "H_OFFPAGE item expected");
    b[item + 4..item + 8].copy_from_slice(&1u32.to_le_bytes());
    let db = microscanner_rpmdb::read(&b).unwrap();
    assert_eq!(db.packages.len(), 34);
    assert_eq!(db.problems.len(), 1, "{:?}", db.problems);
    assert!(db.problems[0].to_string().contains("overflow chain"), "{}", db.problems[0]);
}
