//! Oracle Linux (ELSA OVAL) and CBL-Mariner / Azure Linux (Microsoft's OVAL) packages against the
//! fixture database: packages named and versioned as the samples' releases ship them get exactly
//! the findings the samples imply, a fix at or below the installed version is never reported, and
//! Oracle's Ksplice stream is never compared with ordinary packages (nor the other way round).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{db, inventory, os, pkg};
use microscanner_matcher::{MatchOutput, match_inventory};
use microscanner_model::{FixState, Package, PackageKind, Severity};

fn rpm(name: &str, version: &str) -> Package {
    let mut p = pkg(PackageKind::Rpm, name, version);
    p.set_location("/var/lib/rpm/rpmdb.sqlite");
    p
}

fn scan(family: &str, release: &str, ecosystem: &str, packages: Vec<Package>) -> MatchOutput {
    let inv = inventory(Some(os(family, release, ecosystem)), packages);
    match_inventory(&db(), &inv).unwrap()
}

fn oracle(release: &str, packages: Vec<Package>) -> MatchOutput {
    scan("ol", release, &format!("Oracle Linux:{release}"), packages)
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
fn oracle_linux_5_bind_gets_the_two_cves_of_elsa_2007_0057() {
    // ELSA-2007-0057 fixes CVE-2007-0493 and CVE-2007-0494 in bind 30:9.3.3-8.el5; OL5 shipped
    // 30:9.3.3-7.el5 before it.
    let out = oracle("5", vec![rpm("bind", "30:9.3.3-7.el5"), rpm("bind-libs", "30:9.3.3-7.el5")]);
    assert_eq!(
        pairs(&out),
        owned(&[
            ("bind", "CVE-2007-0493"),
            ("bind", "CVE-2007-0494"),
            ("bind-libs", "CVE-2007-0493"),
            ("bind-libs", "CVE-2007-0494"),
        ])
    );
    let f = &out.findings[0];
    assert_eq!((f.fix.state, f.fix.versions.as_slice()), (FixState::Fixed, &["30:9.3.3-8.el5".to_owned()][..]));
    assert_eq!((f.severity, f.severity_source.as_str()), (Severity::Medium, "oracle"), "ELSA says MODERATE");
    assert_eq!(f.matched.ecosystem, "Oracle Linux:5");
    // At the fix and above it: nothing; without the epoch the version is far lower.
    for v in ["30:9.3.3-8.el5", "30:9.3.4-10.P1.el5", "30:9.3.3-8.el5_0.1"] {
        assert!(oracle("5", vec![rpm("bind", v)]).findings.is_empty(), "{v}");
    }
    assert_eq!(oracle("5", vec![rpm("bind", "9.9.9-1.el5")]).findings.len(), 2, "epoch 0 < 30");
    // Another release is not judged by OL5's advisory.
    assert!(oracle("6", vec![rpm("bind", "30:9.3.3-7.el5")]).findings.is_empty());
}

#[test]
fn oracle_linux_6_uek_kernel_gets_elsa_2018_4250() {
    let out = oracle("6", vec![rpm("kernel-uek", "2.6.39-400.302.1.el6uek"), rpm("kernel", "2.6.32-754.el6")]);
    assert_eq!(
        pairs(&out),
        owned(&[
            ("kernel-uek", "CVE-2017-13695"),
            ("kernel-uek", "CVE-2018-16658"),
            ("kernel-uek", "CVE-2018-7492"),
            ("kernel-uek", "CVE-2018-7566"),
        ]),
        "the UEK fix is not the RHCK kernel's"
    );
    assert!(oracle("6", vec![rpm("kernel-uek", "2.6.39-400.302.2.el6uek")]).findings.is_empty());
}

#[test]
fn oracle_ksplice_fixes_are_compared_only_with_ksplice_packages() {
    // ELSA-2021-9151 fixes openssl in the Ksplice stream at 2:1.1.1g-15.ksplice1.el8_3.
    let ksplice = oracle("8", vec![rpm("openssl-libs", "2:1.1.1g-12.ksplice1.el8_3")]);
    assert_eq!(pairs(&ksplice), owned(&[("openssl-libs", "CVE-2021-3449"), ("openssl-libs", "CVE-2021-3450")]));
    assert_eq!(ksplice.findings[0].matched.ecosystem, "Oracle Linux:8:ksplice1");
    assert!(oracle("8", vec![rpm("openssl-libs", "2:1.1.1g-15.ksplice1.el8_3")]).findings.is_empty());
    // An ordinary OL8 openssl (epoch 1, below the Ksplice epoch 2) is never judged by it.
    assert!(oracle("8", vec![rpm("openssl-libs", "1:1.1.1g-12.el8_3")]).findings.is_empty());
}

#[test]
fn oracle_per_architecture_fixes_keep_the_lowest_build() {
    // ELSA-2022-4803: rsyslog fixed at 8.24.0-57.0.1.el7_9.3 (x86_64) and …57.0.4… (aarch64).
    let out = oracle("7", vec![rpm("rsyslog", "8.24.0-57.el7_9.1")]);
    assert_eq!(pairs(&out), owned(&[("rsyslog", "CVE-2022-24903")]));
    assert_eq!(out.findings[0].fix.versions, ["8.24.0-57.0.1.el7_9.3"]);
    assert!(oracle("7", vec![rpm("rsyslog", "8.24.0-57.0.1.el7_9.3")]).findings.is_empty());
    // OL8 osbuild: Oracle's rebuild 110-1.0.1.el8 beside upstream 110-1.el8; the lowest counts.
    assert_eq!(pairs(&oracle("8", vec![rpm("osbuild", "106-1.el8")])), owned(&[("osbuild", "CVE-2024-2307")]));
    assert!(oracle("8", vec![rpm("osbuild", "110-1.el8")]).findings.is_empty());
}

#[test]
fn cbl_mariner_2_packages_get_exactly_the_oval_findings() {
    let mariner = |packages| scan("mariner", "2.0", "CBL-Mariner:2.0", packages);
    let out = mariner(vec![
        rpm("golang", "1.20.6-1.cm2"),
        rpm("mysql", "8.0.32-1.cm2"),
        rpm("glibc", "2.35-4.cm2"),
        rpm("bind", "9.16.33-1.cm2"),
    ]);
    assert_eq!(
        pairs(&out),
        owned(&[
            ("bind", "CVE-2022-3736"),
            ("golang", "CVE-2023-29404"),
            ("mysql", "CVE-2023-21977"),
            ("mysql", "CVE-2023-21980"),
        ]),
        "glibc's CVE is Not Applicable"
    );
    let golang = out.findings.iter().find(|f| f.package.name == "golang").unwrap();
    assert_eq!((golang.fix.state, golang.fix.versions.as_slice()), (FixState::Fixed, &["1.20.7-1.cm2".to_owned()][..]));
    assert_eq!((golang.severity, golang.severity_source.as_str()), (Severity::Critical, "azurelinux"));
    let bind = out.findings.iter().find(|f| f.package.name == "bind").unwrap();
    assert_eq!(bind.fix.state, FixState::NotFixed);
    // At or above the fixes, above the last affected bind, below golang's lower bound: nothing.
    let clean = mariner(vec![
        rpm("golang", "1.20.7-1.cm2"),
        rpm("mysql", "8.0.33-1.cm2"),
        rpm("bind", "9.16.37-1.cm2"),
        rpm("golang-bin", "1.20.6-1.cm2"),
    ]);
    assert!(clean.findings.is_empty(), "{:?}", pairs(&clean));
    assert!(mariner(vec![rpm("golang", "1.18.8-1.cm2")]).findings.is_empty(), "below 'greater than 1.19.0'");
}

#[test]
fn azure_linux_3_freeglut_and_ceph() {
    let azl = |packages| scan("azurelinux", "3.0", "Azure Linux:3.0", packages);
    let out = azl(vec![rpm("freeglut", "3.2.2-1.azl3"), rpm("ceph", "18.2.1-1.azl3")]);
    assert_eq!(pairs(&out), owned(&[("freeglut", "CVE-2024-24258"), ("freeglut", "CVE-2024-24259")]));
    assert!(azl(vec![rpm("freeglut", "3.4.0-1.azl3")]).findings.is_empty());
    // CBL-Mariner 2.0's advisories do not judge Azure Linux 3.0, nor the other way round.
    assert!(azl(vec![rpm("mysql", "8.0.32-1.azl3")]).findings.is_empty());
    assert!(scan("mariner", "2.0", "CBL-Mariner:2.0", vec![rpm("freeglut", "3.2.2-1.cm2")]).findings.is_empty());
}
