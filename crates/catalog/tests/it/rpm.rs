//! The rpm analyzer glue: database paths, package fields, purls and diagnostics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use microscanner_catalog::os::{os_info, package_purl};
use microscanner_catalog::rpm::RpmAnalyzer;
use microscanner_catalog::{Analyzer, LayerFiles, Record};
use microscanner_model::{Package, PackageKind};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

fn analyze(path: &str, bytes: Vec<u8>) -> (Vec<Package>, Vec<String>) {
    let a = RpmAnalyzer;
    assert!(a.wants(path, bytes.len() as u64), "{path}");
    let mut files = LayerFiles::new();
    files.insert(path.to_owned(), bytes);
    let out = a.analyze(&files);
    let diags = out.diagnostics.iter().map(ToString::to_string).collect();
    let pkgs = out
        .records
        .into_iter()
        .flat_map(|r| match r {
            Record::Packages { path: p, packages } => {
                assert_eq!(p, path);
                packages
            }
            // what the packages require: the graph test below checks it
            Record::Dependencies { path: p, .. } => {
                assert_eq!(p, path);
                Vec::new()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    (pkgs, diags)
}

#[test]
fn wants_every_rpm_database_location() {
    let a = RpmAnalyzer;
    for dir in ["var/lib/rpm", "usr/lib/sysimage/rpm", "usr/share/rpm"] {
        for file in ["Packages", "Packages.db", "rpmdb.sqlite"] {
            assert!(a.wants(&format!("{dir}/{file}"), 1 << 20), "{dir}/{file}");
        }
        assert!(!a.wants(&format!("{dir}/Name"), 10));
        assert!(a.wants(&format!("{dir}/rpmdb.sqlite-wal"), 10));
        assert!(!a.wants(&format!("{dir}/rpmdb.sqlite-wal"), 0));
        assert!(!a.wants(&format!("{dir}/rpmdb.sqlite-shm"), 10));
    }
    assert!(!a.wants("var/lib/rpm/Packages", u64::MAX));
    assert!(!a.wants("home/x/var/lib/rpm/Packages", 10));
}

#[test]
fn sqlite_mariner_packages() {
    let (pkgs, diags) =
        analyze("var/lib/rpm/rpmdb.sqlite", read("pkgdb-go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(pkgs.len(), 129, "no gpg-pubkey in this database");
    let curl = pkgs.iter().find(|p| p.name == "curl").unwrap();
    assert_eq!(curl.kind, PackageKind::Rpm);
    assert_eq!(curl.version, "7.76.0-6.cm2");
    assert_eq!(curl.source_name(), Some("curl"));
    assert_eq!(curl.source_version(), Some("7.76.0-6.cm2"));
    assert_eq!(curl.licenses(), ["MIT"]);
    assert_eq!(curl.location(), "var/lib/rpm/rpmdb.sqlite");
    assert!(curl.files().contains(&"/usr/bin/curl".to_owned()));
    assert_eq!(curl.purl(), "pkg:rpm/curl@7.76.0-6.cm2", "the distro is the inventory step's to add");
    assert_eq!(package_purl(curl, None), "pkg:rpm/curl@7.76.0-6.cm2?arch=x86_64");
    let os = os_info("mariner", "2.0", "etc/os-release");
    assert_eq!(package_purl(curl, Some(&os)), "pkg:rpm/mariner/curl@7.76.0-6.cm2?arch=x86_64&distro=mariner-2.0");
}

#[test]
fn bdb_with_epoch_and_source() {
    let (pkgs, diags) =
        analyze("var/lib/rpm/Packages", read("pkgdb-osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch"));
    assert!(diags.is_empty(), "{diags:?}");
    let [hello] = pkgs.as_slice() else { panic!("{pkgs:?}") };
    assert_eq!(hello.version, "1:0.0.1-rls");
    assert_eq!(hello.source_version(), Some("1:0.0.1-rls"));
    let rocky = os_info("rocky", "9.3", "etc/os-release");
    assert_eq!(package_purl(hello, Some(&rocky)), "pkg:rpm/rocky/hello@0.0.1-rls?arch=x86_64&distro=rocky-9&epoch=1");
    let (pkgs, _) = analyze("var/lib/rpm/Packages", read("pkgdb-go-rpmdb/pkg/testdata/libuuid/Packages"));
    assert_eq!(pkgs[0].source_name(), Some("util-linux"));
    assert_eq!(pkgs[0].source_version(), Some("2.32.1-42.el8_8"));
}

#[test]
fn ndb_suse_packages() {
    let (pkgs, diags) =
        analyze("usr/lib/sysimage/rpm/Packages.db", read("pkgdb-go-rpmdb/pkg/testdata/sle15-bci/Packages.db"));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(pkgs.len(), 35);
    assert!(pkgs.iter().all(|p| p.location() == "usr/lib/sysimage/rpm/Packages.db" && p.arch().is_some()));
}

#[test]
fn junk_files_give_diagnostics_not_panics() {
    let (pkgs, diags) = analyze(
        "var/lib/rpm/Packages",
        read("pkgdb-syft/syft/pkg/cataloger/redhat/testdata/glob-paths/var/lib/rpm/Packages"),
    );
    assert!(pkgs.is_empty());
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].starts_with("var/lib/rpm/Packages: rpm database not read"), "{diags:?}");
    // An empty file is no database and no news.
    let (pkgs, diags) = analyze("var/lib/rpm/rpmdb.sqlite", Vec::new());
    assert!(pkgs.is_empty() && diags.is_empty());
    // A truncated NDB keeps what it can and says so.
    let full = read("pkgdb-go-rpmdb/pkg/testdata/sle15-bci/Packages.db");
    let (pkgs, diags) = analyze("var/lib/rpm/Packages.db", full[..full.len() / 2].to_vec());
    assert!(!pkgs.is_empty() && pkgs.len() < 35);
    assert!(!diags.is_empty());
}

#[test]
fn non_empty_wal_is_reported() {
    let mut files = LayerFiles::new();
    files.insert("var/lib/rpm/rpmdb.sqlite".into(), read("pkgdb-go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"));
    files.insert("var/lib/rpm/rpmdb.sqlite-wal".into(), vec![0x37, 0x7f, 0x06, 0x82]);
    let out = RpmAnalyzer.analyze(&files);
    // the packages, and what they require
    assert!(
        matches!(&out.records[..], [Record::Packages { .. }, Record::Dependencies { .. }]),
        "{:?}",
        out.records.len()
    );
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].location, "var/lib/rpm/rpmdb.sqlite-wal");
}

/// Issue 22, item 3: the rpm dependency graph of CBL-Mariner 2.0's database (129 packages) as the
/// real rpm resolves it. `tests/data/rpm-requires/cbl-mariner-2.0.tsv` is what rpm 4.18 says
/// (`generate.sh` beside it: every `REQUIRENAME` of every package, without `rpmlib(...)`, and
/// the packages `rpm --whatprovides` names for it, file paths like `/bin/sh` included). Every
/// requirement some other package provides is an edge to one of its providers, and every edge
/// is such a requirement's.
#[test]
fn mariner_requires_resolve_as_rpm_whatprovides() {
    use std::collections::{BTreeMap, BTreeSet};

    use microscanner_catalog::{CatalogOptions, build_inventory, default_analyzers};
    use microscanner_image::Limits;

    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/rpm")).unwrap();
    std::fs::write(
        root.path().join("var/lib/rpm/rpmdb.sqlite"),
        read("pkgdb-go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"),
    )
    .unwrap();
    let image = microscanner_image::open(&format!("dir:{}", root.path().display()), &Limits::default()).unwrap();
    let inventory = build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {}).unwrap();
    assert_eq!(inventory.packages.len(), 129);
    let name = |i: u32| inventory.packages[i as usize].name.as_str();
    let ours: BTreeSet<(&str, &str)> = inventory.dependencies.iter().map(|&[a, b]| (name(a), name(b))).collect();

    let truth =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rpm-requires/cbl-mariner-2.0.tsv"))
            .unwrap();
    // package → its requirements, each as the set of packages providing it (itself left out)
    let mut needs: BTreeMap<&str, Vec<BTreeSet<&str>>> = BTreeMap::new();
    // every (package, provider) some requirement allows, the package itself left out
    let mut allowed: BTreeSet<(&str, &str)> = BTreeSet::new();
    for line in truth.lines() {
        let [package, _requirement, providers] = line.split('\t').collect::<Vec<_>>()[..] else { panic!("{line}") };
        let providers: BTreeSet<&str> = providers.split(',').filter(|p| !p.is_empty()).collect();
        allowed.extend(providers.iter().filter(|p| **p != package).map(|p| (package, *p)));
        if !providers.is_empty() && !providers.contains(package) {
            needs.entry(package).or_default().push(providers);
        }
    }
    let requirements: usize = needs.values().map(Vec::len).sum();
    assert!(requirements > 500, "{requirements} requirements in the ground truth");
    for (package, requirements) in &needs {
        for providers in requirements {
            assert!(
                providers.iter().any(|p| ours.contains(&(*package, *p))),
                "{package} requires something {providers:?} provide: no edge"
            );
        }
    }
    for edge in &ours {
        assert!(allowed.contains(edge), "edge {edge:?} is no requirement rpm resolves so");
    }
    for edge in [("bash", "coreutils"), ("bash", "glibc"), ("bash", "readline")] {
        assert!(ours.contains(&edge), "{edge:?}");
    }
}
