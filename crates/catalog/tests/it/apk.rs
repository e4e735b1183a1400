//! apk `installed` databases: every real fixture gives its expected package list with origins.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use microscanner_catalog::apk::{ApkAnalyzer, parse};
use microscanner_catalog::os::{os_info, package_purl};
use microscanner_catalog::{Analyzer, CatalogOptions, LayerFiles, Record, build_inventory, default_analyzers};
use microscanner_image::Limits;
use microscanner_model::{DiagnosticLevel, PackageKind};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{rel}")).unwrap()
}

/// `name version origin` triples, `;`-separated, in database order.
fn triples(rel: &str) -> Vec<String> {
    let (pkgs, _) = parse(&read(rel));
    pkgs.iter().map(|p| format!("{} {} {}", p.name, p.version, p.source_name().unwrap_or("-"))).collect()
}

fn expect(list: &str) -> Vec<String> {
    list.split(';').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The complete Alpine 3.21 database from apk-tools' own tests (pkgdb-misc MANIFEST: 39 packages).
const ALPINE_321: &str = "alpine-base 3.21.3-r0 alpine-base;alpine-baselayout 3.6.8-r1 alpine-baselayout;alpine-baselayout-data 3.6.8-r1 alpine-baselayout;alpine-conf 3.19.2-r0 alpine-conf;alpine-keys 2.5-r0 alpine-keys;alpine-release 3.21.3-r0 alpine-base;apk-tools 2.14.6-r3 apk-tools;apk-tools-doc 2.14.6-r3 apk-tools;bash 5.2.37-r0 bash;bash-doc 5.2.37-r0 bash;busybox 1.37.0-r12 busybox;busybox-binsh 1.37.0-r12 busybox;busybox-doc 1.37.0-r12 busybox;busybox-mdev-openrc 1.37.0-r12 busybox;busybox-openrc 1.37.0-r12 busybox;busybox-suid 1.37.0-r12 busybox;ca-certificates-bundle 20241121-r1 ca-certificates;docs 0.2-r6 docs;ifupdown-ng 0.12.1-r6 ifupdown-ng;ifupdown-ng-doc 0.12.1-r6 ifupdown-ng;libcap2 2.71-r0 libcap;libcrypto3 3.3.3-r0 openssl;libncursesw 6.5_p20241006-r3 ncurses;libssl3 3.3.3-r0 openssl;man-pages 6.9.1-r0 man-pages;mandoc 1.14.6-r13 mandoc;mandoc-doc 1.14.6-r13 mandoc;mdev-conf 4.7-r0 mdev-conf;musl 1.2.5-r9 musl;musl-utils 1.2.5-r9 musl;ncurses-terminfo-base 6.5_p20241006-r3 ncurses;openrc 0.55.1-r2 openrc;openrc-doc 0.55.1-r2 openrc;readline 8.2.13-r0 readline;readline-doc 8.2.13-r0 readline;scanelf 1.3.8-r1 pax-utils;ssl_client 1.37.0-r12 busybox;zlib 1.3.1-r2 zlib;zlib-doc 1.3.1-r2 zlib";

#[test]
fn alpine_321_complete_database() {
    let rel = "pkgdb-misc/apk-tools/query-installed.data";
    assert_eq!(triples(rel), expect(ALPINE_321));
    let (pkgs, diags) = parse(&read(rel));
    assert_eq!(pkgs.len(), 39);
    assert!(diags.is_empty(), "{diags:?}");
    let musl = pkgs.iter().find(|p| p.name == "musl").unwrap();
    assert_eq!(musl.arch(), Some("x86_64"));
    assert_eq!(musl.licenses(), ["MIT"]);
    assert_eq!(musl.files(), ["/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"]);
    assert_eq!(musl.kind, PackageKind::Apk);
    assert_eq!(musl.purl(), "pkg:apk/musl@1.2.5-r9", "the distro is the inventory step's to add");
    assert_eq!(package_purl(musl, None), "pkg:apk/alpine/musl@1.2.5-r9?arch=x86_64");
    let os = os_info("alpine", "3.21.3", "etc/os-release");
    assert_eq!(package_purl(musl, Some(&os)), "pkg:apk/alpine/musl@1.2.5-r9?arch=x86_64&distro=alpine-3.21");
    // Every `R:` line is an owned file of some package.
    let text = String::from_utf8(read(rel)).unwrap();
    let r_lines = text.lines().filter(|l| l.starts_with("R:")).count();
    assert_eq!(pkgs.iter().map(|p| p.files().len()).sum::<usize>(), r_lines);
    assert!(pkgs.iter().all(|p| p.files().iter().all(|f| f.starts_with('/') && !f.starts_with("//"))));
}

#[test]
fn trivy_database_skips_package_without_version() {
    let rel = "pkgdb-trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk";
    let want = "musl 1.1.14-r10 musl;busybox 1.24.2-r9 busybox;alpine-baselayout 3.0.3-r0 alpine-baselayout;alpine-keys 1.1-r0 alpine-keys;zlib 1.2.8-r2 zlib;libcrypto1.0 1.0.2h-r1 openssl;libssl1.0 1.0.2h-r1 openssl;apk-tools 2.6.7-r0 apk-tools;scanelf 1.1.6-r0 pax-utils;musl-utils 1.1.14-r10 musl;libc-utils 0.7-r0 libc-dev;pkgconf 1.6.0-r0 pkgconf;sqlite-libs 3.26.0-r3 sqlite;test 2.9.11_pre20061021-r2 test-parent;ada-libs 2.7.4-r0 ada";
    assert_eq!(triples(rel), expect(want));
    let (_, diags) = parse(&read(rel));
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.contains("invalidPackageWithoutAVersion"), "{diags:?}");
}

#[test]
fn scalibr_databases() {
    let dir = "pkgdb-osv-scalibr/extractor/filesystem/os/apk/testdata";
    let want = "alpine-baselayout 3.4.3-r1 alpine-baselayout;alpine-baselayout-data 3.4.3-r1 alpine-baselayout;alpine-keys 2.4-r1 alpine-keys;apk-tools 2.14.0-r0 apk-tools;busybox 1.36.0-r9 busybox;busybox-binsh 1.36.0-r9 busybox;ca-certificates-bundle 20230506-r0 ca-certificates;libc-utils 0.7.2-r5 libc-dev;libcrypto3 3.1.0-r4 openssl;libssl3 3.1.0-r4 openssl;musl 1.2.4-r0 musl;musl-utils 1.2.4-r0 musl;scanelf 1.3.7-r1 pax-utils;ssl_client 1.36.0-r9 busybox;zlib 1.2.13-r1 zlib";
    assert_eq!(triples(&format!("{dir}/installed")), expect(want));
    assert_eq!(triples(&format!("{dir}/no-origin")), ["pkgname 1.2.3 -"]);
    assert_eq!(triples(&format!("{dir}/single")).len(), 1);
    let (p, d) = parse(&read(&format!("{dir}/empty")));
    assert!(p.is_empty() && d.is_empty());
    let (p, d) = parse(&read(&format!("{dir}/invalid")));
    assert!(p.is_empty());
    assert!(!d.is_empty() && d.iter().all(|d| d.level == DiagnosticLevel::Warning));
}

#[test]
fn syft_databases() {
    let dir = "pkgdb-syft/syft/pkg/cataloger/alpine/testdata";
    assert_eq!(triples(&format!("{dir}/single")), ["musl-utils 1.1.24-r2 musl"]);
    assert_eq!(
        triples(&format!("{dir}/empty-deps-and-provides")),
        ["alpine-baselayout-data 3.4.0-r0 alpine-baselayout"]
    );
    assert_eq!(triples(&format!("{dir}/extra-file-attributes")), ["openjdk8-jre 8.212.04-r0 openjdk8"]);
    assert_eq!(triples(&format!("{dir}/base")), ["alpine-baselayout 3.2.0-r6 alpine-baselayout"]);
    // The corrupt database has a junk first stanza; the real package after it is still read.
    let (pkgs, diags) = parse(&read(&format!("{dir}/corrupt/lib/apk/db/installed")));
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0].name, "alpine-baselayout-data");
    assert_eq!(pkgs[0].source_name(), Some("alpine-baselayout"));
    assert!(pkgs[0].files().contains(&"/etc/fstab".to_owned()));
    assert!(!diags.is_empty());
    let m1 = "bash 5.2.21-r0 bash;busybox-binsh 1.36.1-r15 busybox;musl 1.2.4_git20230717-r4 musl;readline 8.2.1-r2 readline";
    assert_eq!(triples(&format!("{dir}/multiple-1/lib/apk/db/installed")), expect(m1));
    let m2 = "alpine-baselayout-data 3.2.0-r22 alpine-baselayout;musl 1.2.3-r0 musl;busybox 1.35.0-r17 busybox;alpine-baselayout 3.2.0-r22 alpine-baselayout;alpine-keys 2.4-r1 alpine-keys;ca-certificates-bundle 20220614-r0 ca-certificates;libcrypto1.1 1.1.1q-r0 openssl;libssl1.1 1.1.1q-r0 openssl;ssl_client 1.35.0-r17 busybox;zlib 1.2.12-r3 zlib;apk-tools 2.12.9-r3 apk-tools;scanelf 1.3.4-r0 pax-utils;musl-utils 1.2.3-r0 musl;libc-utils 0.7.2-r3 libc-dev";
    assert_eq!(triples(&format!("{dir}/multiple-2/lib/apk/db/installed")), expect(m2));
}

#[test]
fn analyzer_keys_records_by_path() {
    let a = ApkAnalyzer;
    assert!(a.wants("lib/apk/db/installed", 1000));
    assert!(a.wants("usr/lib/apk/db/installed", 1000));
    assert!(!a.wants("lib/apk/db/installed.bak", 10));
    assert!(!a.wants("lib/apk/db/installed", u64::MAX));
    let mut files = LayerFiles::new();
    files.insert("lib/apk/db/installed".into(), read("pkgdb-misc/apk-tools/query-installed.data"));
    let out = a.analyze(&files);
    let [Record::Packages { path, packages }, Record::Dependencies { path: graph_path, requires }] =
        out.records.as_slice()
    else {
        panic!("{:?}", out.records)
    };
    assert_eq!(path, "lib/apk/db/installed");
    assert_eq!(graph_path, path, "the graph is keyed by the same file");
    assert!(requires.len() > 20, "{} packages declare dependencies", requires.len());
    assert_eq!(packages.len(), 39);
    assert!(packages.iter().all(|p| p.location() == "lib/apk/db/installed"));
}

#[test]
fn hostile_inputs_never_panic() {
    let base = read("pkgdb-misc/apk-tools/query-installed.data");
    for cut in (0..base.len()).step_by(997) {
        let (pkgs, _) = parse(&base[..cut]);
        assert!(pkgs.len() <= 39);
    }
    let mut flipped = base.clone();
    for i in (0..flipped.len()).step_by(101) {
        flipped[i] ^= 0x5a;
    }
    let _ = parse(&flipped);
    let _ = parse(b"P:\nV:\nF:\nR:\n\n\n:::\nR:x");
}

/// The graph of the complete Alpine 3.21 database: every `D:` requirement of an installed
/// database resolves (apk keeps it consistent), through package names and `p:` provides
/// (`so:`, `cmd:`), to an edge.
#[test]
fn alpine_321_dependency_graph() {
    let rel = "pkgdb-misc/apk-tools/query-installed.data";
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("lib/apk/db")).unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("lib/apk/db/installed"), read(rel)).unwrap();
    std::fs::write(root.path().join("etc/os-release"), "ID=alpine\nVERSION_ID=3.21.3\n").unwrap();
    let image = microscanner_image::open(&format!("dir:{}", root.path().display()), &Limits::default()).unwrap();
    let inventory = build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {}).unwrap();
    let name = |i: u32| inventory.packages[i as usize].name.as_str();
    let edges: Vec<(&str, &str)> = inventory.dependencies.iter().map(|&[a, b]| (name(a), name(b))).collect();
    for edge in [("bash", "readline"), ("bash", "musl"), ("busybox-binsh", "busybox"), ("libssl3", "libcrypto3")] {
        assert!(edges.contains(&edge), "{edge:?} in {edges:?}");
    }
    // each D: token is one requirement; a requirement twice over the same target is one edge
    let text = String::from_utf8(read(rel)).unwrap();
    let requirements: usize = text
        .lines()
        .filter_map(|l| l.strip_prefix("D:"))
        .map(|d| d.split_whitespace().filter(|t| !t.starts_with('!')).count())
        .sum();
    assert!(
        edges.len() <= requirements && edges.len() * 10 >= requirements * 8,
        "{} edges of {requirements} requirements",
        edges.len()
    );
}
