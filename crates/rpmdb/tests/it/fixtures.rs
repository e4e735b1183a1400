//! Every real rpm database in the shared fixtures: our package list equals what the real `rpm`
//! prints for the same file (when `rpm` can read the format), or the fixture's EXPECTED list.
//!
//! Tests that need `rpm` skip with a note when it is missing, and fail when `CI` is set.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::path::Path;
use std::process::Command;

use microscanner_rpmdb::{Format, RpmPackage, read};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures");
const MARINER: &str = "pkgdb-go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite";
const LIBUUID: &str = "pkgdb-go-rpmdb/pkg/testdata/libuuid/Packages";
const SLE15: &str = "pkgdb-go-rpmdb/pkg/testdata/sle15-bci/Packages.db";
const SYFT_BDB: &str = "pkgdb-syft/syft/pkg/cataloger/redhat/testdata/Packages";
const SCALIBR_BDB: &str = "pkgdb-osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch";

const QF: &str = "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\n";

fn bytes(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

fn none(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("(none)")
}

/// Our packages as `rpm -qa --queryformat QF` prints them, sorted.
fn ours(pkgs: &[RpmPackage]) -> Vec<String> {
    let mut v: Vec<String> = pkgs
        .iter()
        .map(|p| {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                p.name,
                p.epoch.unwrap_or(0),
                p.version,
                p.release,
                none(&p.arch),
                none(&p.source_rpm),
                none(&p.license)
            )
        })
        .collect();
    v.sort();
    v
}

/// Whether the real `rpm` is here; without it, skip (or fail under CI).
fn have_rpm() -> bool {
    let ok = Command::new("rpm").arg("--version").output().is_ok_and(|o| o.status.success());
    microscanner_testkit::require(ok, "the `rpm` tool (apt-get install rpm)")
}

/// Runs `rpm -qa` with `qf` on a temporary copy of `rel` (rpm may write beside the database).
fn rpm_query(rel: &str, backend: &str, file_name: &str, qf: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file_name), bytes(rel)).unwrap();
    let out = Command::new("rpm")
        .arg("-qa")
        .arg("--dbpath")
        .arg(dir.path())
        .args(["--define", &format!("_db_backend {backend}")])
        .args(["--queryformat", qf])
        .output()
        .unwrap();
    assert!(out.status.success(), "rpm failed on {rel}: {}", String::from_utf8_lossy(&out.stderr));
    let mut lines: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

fn compare_with_rpm(rel: &str, backend: &str, file_name: &str, format: Format) -> Option<usize> {
    let db = read(&bytes(rel)).unwrap();
    assert_eq!(db.format, format);
    assert!(db.problems.is_empty(), "{rel}: {:?}", db.problems);
    if !have_rpm() {
        return None;
    }
    let theirs = rpm_query(rel, backend, file_name, QF);
    assert!(!theirs.is_empty(), "rpm listed nothing for {rel}");
    assert_eq!(ours(&db.packages), theirs, "{rel}");
    // Owned files: the union over all packages equals rpm's FILENAMES.
    let mut their_files = rpm_query(rel, backend, file_name, "[%{FILENAMES}\\n]");
    their_files.retain(|f| !f.is_empty() && f != "(none)");
    let mut our_files: Vec<String> = db.packages.iter().flat_map(|p| p.files.iter().cloned()).collect();
    our_files.sort();
    assert_eq!(our_files, their_files, "{rel}: file lists");
    // Requirements (without rpmlib(...)) and provides: each (package, name) pair, as rpm lists them.
    for (qf, ours_of) in [
        ("[%{=NAME}\\t%{REQUIRENAME}\\n]", (|p: &RpmPackage| &p.requires) as fn(&RpmPackage) -> &Vec<String>),
        ("[%{=NAME}\\t%{PROVIDENAME}\\n]", |p: &RpmPackage| &p.provides),
    ] {
        let mut theirs = rpm_query(rel, backend, file_name, qf);
        theirs.retain(|l| !l.contains("\trpmlib(") && !l.ends_with("\t(none)") && !l.ends_with('\t'));
        theirs.dedup();
        let mut our_pairs: Vec<String> =
            db.packages.iter().flat_map(|p| ours_of(p).iter().map(|n| format!("{}\t{n}", p.name))).collect();
        our_pairs.sort();
        our_pairs.dedup();
        assert_eq!(our_pairs, theirs, "{rel}: {qf}");
    }
    Some(db.packages.len())
}

#[test]
fn sqlite_mariner_equals_rpm() {
    if let Some(n) = compare_with_rpm(MARINER, "sqlite", "rpmdb.sqlite", Format::Sqlite) {
        assert_eq!(n, 129);
    }
    // go-rpmdb's own assertion about this database, checked with or without rpm.
    let db = read(&bytes(MARINER)).unwrap();
    assert_eq!(db.packages.len(), 129);
    let curl = db.packages.iter().find(|p| p.name == "curl").unwrap();
    assert_eq!((curl.version.as_str(), curl.release.as_str()), ("7.76.0", "6.cm2"));
    assert_eq!(curl.arch.as_deref(), Some("x86_64"));
    assert_eq!(curl.source_rpm.as_deref(), Some("curl-7.76.0-6.cm2.src.rpm"));
    assert_eq!(curl.source_nvr(), Some(("curl", "7.76.0", "6.cm2")));
    assert_eq!(curl.license.as_deref(), Some("MIT"));
    assert_eq!(curl.vendor.as_deref(), Some("Microsoft Corporation"));
    assert!(curl.files.contains(&"/usr/bin/curl".to_owned()), "{:?}", curl.files);
    // what rpm -q --requires / --provides bash says (rpmlib() features left out)
    let bash = db.packages.iter().find(|p| p.name == "bash").unwrap();
    assert!(bash.requires.iter().any(|r| r == "/bin/sh") && bash.requires.iter().any(|r| r == "readline"));
    assert!(bash.requires.iter().all(|r| !r.starts_with("rpmlib(")), "{:?}", bash.requires);
    assert!(
        bash.provides.iter().any(|p| p == "bash") && bash.provides.iter().any(|p| p == "/bin/sh"),
        "{:?}",
        bash.provides
    );
}

#[test]
fn bdb_libuuid_equals_rpm() {
    compare_with_rpm(LIBUUID, "bdb_ro", "Packages", Format::BerkeleyDb);
    let db = read(&bytes(LIBUUID)).unwrap();
    let [p] = db.packages.as_slice() else { panic!("{:?}", db.packages) };
    assert_eq!(p.evr(), "2.32.1-42.el8_8");
    assert_eq!(p.source_nvr(), Some(("util-linux", "2.32.1", "42.el8_8")));
    assert_eq!(p.size, Some(35104));
    assert_eq!(p.license.as_deref(), Some("BSD"));
    assert_eq!(p.vendor.as_deref(), Some("Red Hat, Inc."));
}

#[test]
fn bdb_syft_and_scalibr_equal_rpm() {
    compare_with_rpm(SYFT_BDB, "bdb_ro", "Packages", Format::BerkeleyDb);
    compare_with_rpm(SCALIBR_BDB, "bdb_ro", "Packages", Format::BerkeleyDb);
    let db = read(&bytes(SCALIBR_BDB)).unwrap();
    let [p] = db.packages.as_slice() else { panic!("{:?}", db.packages) };
    assert_eq!((p.name.as_str(), p.epoch, p.evr().as_str()), ("hello", Some(1), "1:0.0.1-rls"));
}

/// Debian's rpm is built without NDB, so this one is checked against the fixture's EXPECTED list
/// (go-rpmdb's full expected table, with sizes).
#[test]
fn ndb_sle15_equals_expected_list() {
    let db = read(&bytes(SLE15)).unwrap();
    assert_eq!(db.format, Format::Ndb);
    assert!(db.problems.is_empty(), "{:?}", db.problems);
    let expected = String::from_utf8(bytes("pkgdb-go-rpmdb/EXPECTED-sle15-bci-Packages.db.tsv")).unwrap();
    let want: Vec<&str> = expected.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    assert_eq!(want.len(), 35);
    let got: Vec<String> = db
        .packages
        .iter()
        .map(|p| {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                p.name,
                p.epoch.map_or("(none)".to_owned(), |e| e.to_string()),
                p.version,
                p.release,
                none(&p.arch),
                none(&p.source_rpm),
                p.size.unwrap_or(0),
                none(&p.license)
            )
        })
        .collect();
    assert_eq!(got, want);
    assert!(db.packages.iter().all(|p| p.vendor.as_deref() == Some("SUSE LLC <https://www.suse.com/>")));
    let bash = db.packages.iter().find(|p| p.name == "bash").unwrap();
    assert!(bash.files.contains(&"/usr/bin/bash".to_owned()));
}

#[test]
fn raw_header_blob() {
    let p = microscanner_rpmdb::parse_header(&bytes("pkgdb-go-rpmdb/pkg/testdata/blob.bin")).unwrap();
    assert!(!p.name.is_empty() && !p.version.is_empty() && !p.release.is_empty(), "{p:?}");
    assert_eq!((p.name.as_str(), p.evr().as_str()), ("publicsuffix-list-dafsa", "20210518-2.fc35"));
    assert_eq!(p.arch.as_deref(), Some("noarch"));
    // Its fourth file names directory index 4 of 4 directories: skipped and reported, the rest kept.
    assert_eq!(
        p.files,
        [
            "/usr/share/licenses/publicsuffix-list-dafsa",
            "/usr/share/licenses/publicsuffix-list-dafsa/COPYING",
            "/usr/share/publicsuffix"
        ]
    );
    assert!(p.files_error.is_some());
}

#[test]
fn non_databases_are_errors() {
    for rel in [
        "pkgdb-osv-scalibr/extractor/filesystem/os/rpm/testdata/invalid",
        "pkgdb-osv-scalibr/extractor/filesystem/os/rpm/testdata/empty.sqlite",
        "pkgdb-syft/syft/pkg/cataloger/redhat/testdata/glob-paths/var/lib/rpm/Packages",
    ] {
        assert!(read(&bytes(rel)).is_err(), "{rel}");
    }
    assert!(Path::new(&format!("{FIXTURES}/{MARINER}")).exists());
}

/// Names of the packages in a database that reads cleanly.
fn names(rel: &str) -> Vec<String> {
    read(&bytes(rel)).unwrap().packages.into_iter().map(|p| p.name).collect()
}

/// Cutting a database short gives a problem (or an error) and only packages of the original.
#[test]
fn truncated_copies_give_problems_and_partial_lists() {
    for rel in [MARINER, LIBUUID, SLE15, SYFT_BDB, SCALIBR_BDB] {
        let full = bytes(rel);
        let all = names(rel);
        for pct in [10, 35, 60, 85, 99] {
            let cut = full.len() * pct / 100;
            match read(&full[..cut]) {
                Err(_) => {}
                Ok(db) => {
                    assert!(!db.problems.is_empty(), "{rel} cut at {pct}%: no problem reported");
                    assert!(db.packages.len() < all.len() || all.len() <= 1, "{rel} cut at {pct}%");
                    assert!(db.packages.iter().all(|p| all.contains(&p.name)), "{rel} cut at {pct}%");
                }
            }
        }
    }
    // NDB keeps the packages before the cut: at 60% most of them are still there.
    let full = bytes(SLE15);
    let db = read(&full[..full.len() * 60 / 100]).unwrap();
    assert!(db.packages.len() >= 10, "{}", db.packages.len());
}

/// Bit flips across the whole file never panic; flips in the structures are reported.
#[test]
fn bit_flipped_copies() {
    for rel in [MARINER, LIBUUID, SLE15, SYFT_BDB, SCALIBR_BDB] {
        let full = bytes(rel);
        let all = names(rel);
        for stride in [4093usize, 257, 61] {
            let mut b = full.clone();
            let mut i = 17;
            while i < b.len() {
                b[i] ^= 1 << (i % 8);
                i += stride;
            }
            if let Ok(db) = read(&b) {
                assert!(db.packages.len() <= all.len() + 1, "{rel}");
            }
        }
    }
    // Targeted: break the NDB slot of the 3rd package and the blob magic of the 5th.
    let mut b = bytes(SLE15);
    b[32 + 2 * 16] ^= 0xff;
    let blob5 = 16 * u32::from_le_bytes(b[32 + 4 * 16 + 8..32 + 4 * 16 + 12].try_into().unwrap()) as usize;
    b[blob5] ^= 0xff;
    let db = read(&b).unwrap();
    assert_eq!(db.packages.len(), 33);
    assert_eq!(db.problems.len(), 2, "{:?}", db.problems);
    // Break the header index count of libuuid's blob: the page walk still succeeds.
    let full = bytes(LIBUUID);
    let mut b = full.clone();
    let at = find(&full, b"\x00\x00\x00\x3f\x00\x00\x00\x07").unwrap() - 8;
    b[at] = 0xff;
    let db = read(&b).unwrap();
    assert!(db.packages.is_empty());
    assert!(matches!(db.problems.as_slice(), [microscanner_rpmdb::Error::Header { .. }]), "{:?}", db.problems);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
