//! Amazon Linux (ALAS updateinfo) and Wolfi / Chainguard / MinimOS (secdb) packages against the
//! fixture database: packages named and versioned as the samples' releases ship them get exactly
//! the findings the samples imply, and a fix at or below the installed version is never reported.
#![allow(clippy::unwrap_used, clippy::print_stderr)]
#![allow(clippy::disallowed_methods, reason = "the test writes a feed file to build its database from")]

use crate::common;

use common::{db, inventory, os, pkg};
use microscanner_feeds::build::{BuildOptions, NoProgress, build, collect_inputs};
use microscanner_matcher::{MatchOutput, match_inventory};
use microscanner_model::{FixState, Package, PackageKind, Severity};
use microscanner_vulndb::Database;

fn rpm(name: &str, version: &str) -> Package {
    let mut p = pkg(PackageKind::Rpm, name, version);
    p.set_location("/var/lib/rpm/rpmdb.sqlite");
    p
}

fn apk(name: &str, origin: &str, version: &str) -> Package {
    let mut p = pkg(PackageKind::Apk, name, version);
    p.set_source_name(Some(origin.into()));
    p.set_location("/lib/apk/db/installed");
    p
}

fn amazon(release: &str, packages: Vec<Package>) -> MatchOutput {
    let inv = inventory(Some(os("amzn", release, &format!("Amazon Linux:{release}"))), packages);
    match_inventory(&db(), &inv).unwrap()
}

/// (package, finding id) pairs, sorted.
fn pairs(out: &MatchOutput) -> Vec<(String, String)> {
    let mut v: Vec<_> = out.findings.iter().map(|f| (f.package.name.clone(), f.id.clone())).collect();
    v.sort();
    v
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[test]
fn amazon_linux_2023_rsyslog_gets_the_two_cves_of_alas2023_2023_001() {
    // ALAS2023-2023-001 fixes CVE-2014-3634 and CVE-2022-24903 in rsyslog 8.2204.0-3.amzn2023.0.2
    // (and its subpackages); AL2023 shipped 8.2204.0-2.amzn2023 before it.
    let out =
        amazon("2023", vec![rpm("rsyslog", "8.2204.0-2.amzn2023"), rpm("rsyslog-openssl", "8.2204.0-2.amzn2023")]);
    assert_eq!(
        pairs(&out),
        owned(&[
            ("rsyslog", "CVE-2014-3634"),
            ("rsyslog", "CVE-2022-24903"),
            ("rsyslog-openssl", "CVE-2014-3634"),
            ("rsyslog-openssl", "CVE-2022-24903"),
        ])
    );
    let f = &out.findings[0];
    assert_eq!(
        (f.fix.state, f.fix.versions.as_slice()),
        (FixState::Fixed, &["8.2204.0-3.amzn2023.0.2".to_owned()][..])
    );
    assert_eq!((f.severity, f.severity_source.as_str()), (Severity::High, "amazon"), "ALAS says Important");
    assert_eq!(f.matched.ecosystem, "Amazon Linux:2023");
    assert!(
        f.aliases.is_empty() || !f.aliases.iter().any(|a| a.starts_with("CVE-")),
        "one CVE per finding: {:?}",
        f.aliases
    );
    // At the fixed version, above it, and at a later epoch-less build: nothing.
    for v in ["8.2204.0-3.amzn2023.0.2", "8.2204.0-3.amzn2023.0.3", "8.2210.0-1.amzn2023"] {
        assert!(amazon("2023", vec![rpm("rsyslog", v)]).findings.is_empty(), "{v}");
    }
    // The same package on another release is not judged by AL2023's advisory.
    assert!(amazon("2", vec![rpm("rsyslog", "8.24.0-57.amzn2")]).findings.is_empty());
}

#[test]
fn amazon_linux_2_kernel_gets_core_alas_only_never_the_extras() {
    // ALAS2-2018-939: kernel fixed in 4.9.76-38.79.amzn2, critical; the kernel-5.15 extras
    // topic's ALAS2KERNEL-5.15-2022-001 (13 CVEs, fixed in 5.15.43) is another repository.
    let out = amazon("2", vec![rpm("kernel", "4.9.75-25.55.amzn2")]);
    assert_eq!(pairs(&out), owned(&[("kernel", "CVE-2017-5715"), ("kernel", "CVE-2017-5754")]));
    assert!(out.findings.iter().all(|f| f.severity == Severity::Critical));
    assert!(out.findings.iter().all(|f| f.fix.versions == ["4.9.76-38.79.amzn2"]));
    // A 4.14 core kernel is past the fix: no finding, and none of the 5.15 extras' CVEs.
    assert!(amazon("2", vec![rpm("kernel", "4.14.355-275.582.amzn2")]).findings.is_empty());
    // AL2022's vim at epoch 2: a build below the fix, at epoch 2, is affected; an epoch-less
    // 9.0 (epoch 0) is below any epoch-2 version in rpm's order, so it is affected too.
    let out = amazon("2022", vec![rpm("vim-common-debuginfo", "2:8.2.3500-1.amzn2022")]);
    assert_eq!(out.findings.len(), 4);
    assert!(out.findings.iter().all(|f| f.fix.versions == ["2:8.2.3512-1.amzn2022"]));
    assert!(amazon("2022", vec![rpm("vim-common-debuginfo", "2:8.2.3512-1.amzn2022")]).findings.is_empty());
    // Amazon Linux 1 (any 20xx.yy AMI release).
    let out = amazon("1", vec![rpm("httpd-devel", "2.2.20-1.11.amzn1")]);
    assert_eq!(pairs(&out), owned(&[("httpd-devel", "CVE-2011-3192")]));
}

fn rolling(family: &str, ecosystem: &str, packages: Vec<Package>) -> MatchOutput {
    let inv = inventory(Some(os(family, "20230201", ecosystem)), packages);
    match_inventory(&db(), &inv).unwrap()
}

#[test]
fn wolfi_chainguard_and_minimos_packages_get_the_secdb_fixes() {
    // Wolfi's secdb (vunnel sample): openssl 3.0.7-r0 fixes CVE-2022-3358, -3602, -3786;
    // libcrypto3 is a subpackage of origin openssl. coreutils' CVE-2016-2781 is under `0`.
    let packages = || {
        vec![
            apk("libcrypto3", "openssl", "3.0.6-r1"),
            apk("coreutils", "coreutils", "9.1-r0"),
            apk("expat", "expat", "2.4.9-r0"),
        ]
    };
    let want = owned(&[
        ("expat", "CVE-2022-43680"),
        ("libcrypto3", "CVE-2022-3358"),
        ("libcrypto3", "CVE-2022-3602"),
        ("libcrypto3", "CVE-2022-3786"),
    ]);
    let out = rolling("wolfi", "Wolfi", packages());
    assert_eq!(pairs(&out), want);
    let f = out.findings.iter().find(|f| f.id == "CVE-2022-3602").unwrap();
    assert_eq!(f.fix.versions, ["3.0.7-r0"]);
    // MinimOS publishes the same fixes in its own secdb and ecosystem.
    assert_eq!(pairs(&rolling("minimos", "MinimOS", packages())), want);
    // At or above the fix: nothing (expat 2.5.0-r0 fixes CVE-2022-43680, 2.4.9-r0 the other).
    let fixed =
        rolling("wolfi", "Wolfi", vec![apk("libcrypto3", "openssl", "3.0.7-r0"), apk("expat", "expat", "2.5.0-r1")]);
    assert!(fixed.findings.is_empty(), "{:?}", pairs(&fixed));
    // Chainguard's secdb: grafana 7.5.19-r0 fixes five CVEs.
    let out = rolling("chainguard", "Chainguard", vec![apk("grafana", "grafana", "7.5.18-r2")]);
    assert_eq!(out.findings.len(), 5, "{:?}", pairs(&out));
    assert!(rolling("chainguard", "Chainguard", vec![apk("grafana", "grafana", "7.5.19-r0")]).findings.is_empty());
    // Wolfi's data is not Alpine's: the same openssl in an Alpine image is judged by Alpine.
    assert!(rolling("wolfi", "Alpine:v3.11", vec![apk("libcrypto3", "openssl", "3.0.7-r0")]).findings.is_empty());
}

#[test]
fn a_chainguard_osv_record_and_the_secdb_cve_are_one_finding() {
    // CGA-xcpc-gm23-prj9 (real, vunnel's Chainguard OSV input): syncthing fixed in 2.0.14-r1 in
    // Wolfi, upstream CVE-2025-68121 and GHSA-qgxr-kfqx-v5q9. The secdb lists the same fix under
    // both ids. Together: one finding, not three.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let secdb = dir.path().join("security.json");
    std::fs::write(
        &secdb,
        r#"{"apkurl":"{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk","archs":["x86_64"],"reponame":"os",
           "urlprefix":"https://packages.wolfi.dev",
           "packages":[{"pkg":{"name":"syncthing","secfixes":{"2.0.14-r1":["CVE-2025-68121","GHSA-qgxr-kfqx-v5q9"]}}}]}"#,
    )
    .unwrap();
    let cga = microscanner_testkit::fixtures_dir()
        .join("feeds-vunnel-fixtures/tests/unit/providers/chainguard/test-fixtures/input/osv/CGA-xcpc-gm23-prj9.json");
    let target = dir.path().join("merged.db");
    let inputs = collect_inputs(&[cga, secdb]).unwrap();
    build(&target, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
    let db = Database::open(&target).unwrap();
    let inv = inventory(Some(os("wolfi", "20230201", "Wolfi")), vec![apk("syncthing", "syncthing", "2.0.14-r0")]);
    let out = match_inventory(&db, &inv).unwrap();
    assert_eq!(out.findings.len(), 1, "{:?}", pairs(&out));
    let f = &out.findings[0];
    assert_eq!(f.id, "CVE-2025-68121");
    assert_eq!(f.aliases, ["CGA-xcpc-gm23-prj9", "GHSA-qgxr-kfqx-v5q9"]);
    assert_eq!(f.fix.versions, ["2.0.14-r1"]);
    let inv = inventory(Some(os("wolfi", "20230201", "Wolfi")), vec![apk("syncthing", "syncthing", "2.0.14-r1")]);
    assert!(match_inventory(&db, &inv).unwrap().findings.is_empty());
}

/// Photon OS 4.0 packages against a database of Photon's real CVE metadata: below the fixed
/// version (`.ph4` EVRs, rpm's comparison) a finding with Photon's fix and score; at or above it
/// none; the package Photon says is not affected, none.
#[test]
fn photon_4_packages_get_exactly_the_cve_metadata_findings() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("photon.db");
    let inputs = collect_inputs(&microscanner_testkit::photon_cve_paths()).unwrap();
    build(&target, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
    let db = Database::open(&target).unwrap();
    let photon = |packages| inventory(Some(os("photon", "4.0", "Photon OS:4.0")), packages);
    let inv = photon(vec![
        rpm("curl", "7.88.1-3.ph4"),
        rpm("curl-libs", "7.88.1-4.ph4"),
        rpm("nghttp2", "1.57.0-1.ph4"),
        rpm("httpd", "2.4.57-1.ph4"),
        rpm("krb5-devel", "1.17-14.ph4"),
    ]);
    let out = match_inventory(&db, &inv).unwrap();
    assert_eq!(
        pairs(&out),
        owned(&[("curl", "CVE-2023-38545"), ("curl", "CVE-2023-38546"), ("krb5-devel", "BDSA-2025-0719")])
    );
    let curl = out.findings.iter().find(|f| f.id == "CVE-2023-38545").unwrap();
    assert_eq!(
        (curl.fix.state, curl.fix.versions.as_slice()),
        (FixState::Fixed, ["7.88.1-4.ph4".to_owned()].as_slice())
    );
    assert_eq!(curl.severity, Severity::Critical);
    // Photon 1.0's records are their own release's
    let other = inventory(Some(os("photon", "1.0", "Photon OS:1.0")), vec![rpm("curl", "7.88.1-3.ph4")]);
    assert!(match_inventory(&db, &other).unwrap().findings.is_empty());
}

/// Bitnami components (from a Bitnami image's SPDX document) against Bitnami's real vulndb
/// records: consul in each of the advisory's three branches below its fix gets
/// CVE-2021-37219 with the fixed versions above it (its branch's first, as for every ecosystem)
/// and Bitnami's severity; at the fixes, none; brotli
/// below 1.0.8 gets CVE-2020-8927. A Bitnami record never matches another ecosystem's package of
/// the same name.
#[test]
fn bitnami_components_get_the_bitnami_vulndb_findings() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("bitnami.db");
    let inputs = collect_inputs(&[microscanner_testkit::bitnami_vulndb_dir()]).unwrap();
    build(&target, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
    let db = Database::open(&target).unwrap();
    let bitnami = |name, version| pkg(PackageKind::Bitnami, name, version);
    let inv = inventory(
        None,
        vec![
            bitnami("consul", "1.8.14"),
            bitnami("consul", "1.9.8"),
            bitnami("consul", "1.10.1"),
            bitnami("consul", "1.10.2"),
            bitnami("consul", "1.9.9"),
            bitnami("brotli", "1.0.7"),
            bitnami("brotli", "1.0.9"),
            pkg(PackageKind::Golang, "consul", "1.10.1"),
        ],
    );
    let out = match_inventory(&db, &inv).unwrap();
    let found: Vec<(String, String, String, Vec<String>)> = out
        .findings
        .iter()
        .map(|f| (f.package.name.clone(), f.package.version.clone(), f.id.clone(), f.fix.versions.clone()))
        .collect();
    let mut found = found;
    found.sort();
    let want = |n: &str, v: &str, id: &str, fix: &[&str]| {
        (n.to_owned(), v.to_owned(), id.to_owned(), fix.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>())
    };
    assert_eq!(
        found,
        vec![
            want("brotli", "1.0.7", "CVE-2020-8927", &["1.0.8"]),
            want("consul", "1.10.1", "CVE-2021-37219", &["1.10.2"]),
            want("consul", "1.8.14", "CVE-2021-37219", &["1.8.15", "1.9.9", "1.10.2"]),
            want("consul", "1.9.8", "CVE-2021-37219", &["1.9.9", "1.10.2"]),
        ]
    );
    let consul = out.findings.iter().find(|f| f.package.name == "consul").unwrap();
    assert!(consul.matched.advisories.iter().any(|a| a == "BIT-consul-2021-37219"), "{:?}", consul.matched);
    assert_eq!(consul.severity, Severity::High);
}
