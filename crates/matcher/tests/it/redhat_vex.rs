//! RHEL 8 and 9 packages against Red Hat's CSAF VEX data: the real CVE-2024-10041 document
//! (Trivy's sample), Trivy's test documents and the stanza in Red Hat's shape
//! (`crates/testkit/redhat/`), built beside osv.dev's `Red Hat` records (vuls-data-update's
//! sample). Packages named and versioned as RHEL ships them get exactly the findings the data
//! implies; a fix at or below the installed build (a backport, a later `el9_N` rebuild) is never
//! reported, a module build is judged only by its stream's fixes, and OSV's repository-keyed
//! records never add a second finding.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::{inventory, os, pkg};
use microscanner_feeds::build::{BuildOptions, NoProgress, build, collect_inputs};
use microscanner_matcher::{MatchOutput, match_inventory};
use microscanner_model::{FixState, Package, PackageKind, Severity};
use microscanner_vulndb::Database;

fn rpm(name: &str, version: &str) -> Package {
    let mut p = pkg(PackageKind::Rpm, name, version);
    p.set_location("/var/lib/rpm/rpmdb.sqlite");
    p
}

fn module(name: &str, version: &str, label: &str) -> Package {
    rpm(name, version).with_modularity_label(Some(label))
}

struct Built {
    _dir: tempfile::TempDir,
    db: Database,
}

fn built() -> Built {
    let mut paths = microscanner_testkit::redhat_vex_paths();
    paths.push(
        microscanner_testkit::fixtures_dir()
            .join("feeds-vuls-data-update-fixtures/pkg/fetch/redhat/osv/testdata/fixtures/all.zip"),
    );
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let target = dir.path().join("redhat.db");
    build(&target, &collect_inputs(&paths).unwrap(), &BuildOptions::default(), &NoProgress).unwrap();
    Built { db: Database::open(&target).unwrap(), _dir: dir }
}

fn rhel(b: &Built, release: &str, packages: Vec<Package>) -> MatchOutput {
    let inv = inventory(Some(os("rhel", release, &format!("Red Hat:enterprise_linux:{release}"))), packages);
    match_inventory(&b.db, &inv).unwrap()
}

/// (package, version, finding id, fix state, fixed versions) of every finding, sorted.
fn found(out: &MatchOutput) -> Vec<(String, String, String, FixState, Vec<String>)> {
    let mut v: Vec<_> = out
        .findings
        .iter()
        .map(|f| (f.package.name.clone(), f.package.version.clone(), f.id.clone(), f.fix.state, f.fix.versions.clone()))
        .collect();
    v.sort();
    v
}

#[test]
fn rhel_9_pam_gets_cve_2024_10041_below_the_fix_only() {
    let b = built();
    // UBI 9.4 shipped pam 1.5.1-19.el9; RHSA-2024:9941 fixed CVE-2024-10041 in 1.5.1-21.el9_5.
    let out = rhel(&b, "9", vec![rpm("pam", "1.5.1-19.el9")]);
    assert_eq!(
        found(&out),
        [(
            "pam".into(),
            "1.5.1-19.el9".into(),
            "CVE-2024-10041".into(),
            FixState::Fixed,
            vec!["1.5.1-21.el9_5".into()]
        )]
    );
    let f = &out.findings[0];
    assert_eq!((f.severity, f.severity_source.as_str()), (Severity::Medium, "redhat"), "Red Hat says Moderate");
    assert_eq!(f.matched.ecosystem, "Red Hat:enterprise_linux:9");
    assert!(f.ratings.iter().any(|r| r.source == "redhat" && r.value.starts_with("CVSS:3.1/")), "{:?}", f.ratings);
    // At the fix, at a later rebuild (el9_6) and at a higher release: nothing.
    for v in ["1.5.1-21.el9_5", "1.5.1-22.el9_6", "1.5.1-23.el9"] {
        assert!(rhel(&b, "9", vec![rpm("pam", v)]).findings.is_empty(), "{v}");
    }
    // RHEL 8 is not judged by RHEL 9's fix (the document names no RHEL 8 product).
    assert!(rhel(&b, "8", vec![rpm("pam", "1.3.1-34.el8_10")]).findings.is_empty());
}

#[test]
fn each_stream_is_judged_by_its_own_fixes() {
    let b = built();
    let rhel9 = |packages| rhel(&b, "9", packages);
    // RHEL 9's own nodejs 16 (no module) and the nodejs:18 module stream's build.
    let out = rhel9(vec![
        rpm("nodejs", "1:16.20.2-3.el9"),
        module("nodejs", "1:18.18.2-2.module+el9.3.0+20414+ad66b7a1", "nodejs:18:9030020231120082734:rhel9"),
        rpm("libuv", "1:1.42.0-1.el9"),
    ]);
    assert_eq!(
        found(&out),
        [
            ("libuv".into(), "1:1.42.0-1.el9".into(), "CVE-2024-22019".into(), FixState::WontFix, vec![]),
            (
                "nodejs".into(),
                "1:16.20.2-3.el9".into(),
                "CVE-2024-22019".into(),
                FixState::Fixed,
                vec!["1:16.20.2-4.el9_3".into()]
            ),
            (
                "nodejs".into(),
                "1:18.18.2-2.module+el9.3.0+20414+ad66b7a1".into(),
                "CVE-2024-22019".into(),
                FixState::Fixed,
                vec!["1:18.19.1-1.module+el9.3.0+21387+2d3b5ba4".into()]
            ),
        ]
    );
    let nodejs18 = out.findings.iter().find(|f| f.package.version.contains("module")).unwrap();
    assert_eq!(nodejs18.matched.ecosystem, "Red Hat:enterprise_linux:9:module:nodejs:18");
    assert_eq!(nodejs18.severity, Severity::High, "Important");
    assert_eq!(out.findings[0].fix.note.as_deref(), Some("Will not fix"));
    // Fixed builds: nothing. The module build above the non-modular fix is judged by its stream's
    // fix only (compared with `16.20.2-4.el9_3` it would look fixed), and the ordinary build
    // below the module fix is not given it.
    let out = rhel9(vec![
        rpm("nodejs", "1:16.20.2-4.el9_3"),
        module("nodejs", "1:18.19.1-1.module+el9.3.0+21387+2d3b5ba4", "nodejs:18:9030020240226150538:rhel9"),
    ]);
    assert!(out.findings.is_empty(), "{:?}", found(&out));
    // The EUS 9.2 build (1:16.20.2-3.el9_2) is not RHEL 9's fix: a package at it is still affected.
    assert_eq!(found(&rhel9(vec![rpm("nodejs", "1:16.20.2-3.el9_2")])).len(), 1);
}

#[test]
fn rhel_8_modules_not_affected_and_deferred() {
    let b = built();
    let out = rhel(
        &b,
        "8",
        vec![
            module("nodejs", "1:20.10.0-1.module+el8.9.0+20473+c4e3d824", "nodejs:20:8090020231025135330:a75119d5"),
            module("nodejs-nodemon", "3.0.1-1.module+el8.9.0+19519+4ebc3a1c", "nodejs:18:8090020230810123456:a75119d5"),
            rpm("c-ares", "1.13.0-9.el8_9.1"),
            // a nodejs of no stream in RHEL 8: the document fixes only stream builds there
            rpm("nodejs", "1:10.24.0-1.el8"),
        ],
    );
    assert_eq!(
        found(&out),
        [
            (
                "nodejs".into(),
                "1:20.10.0-1.module+el8.9.0+20473+c4e3d824".into(),
                "CVE-2024-22019".into(),
                FixState::Fixed,
                vec!["1:20.11.1-1.module+el8.9.0+21380+12032a21".into()]
            ),
            (
                "nodejs-nodemon".into(),
                "3.0.1-1.module+el8.9.0+19519+4ebc3a1c".into(),
                "CVE-2024-22019".into(),
                FixState::Postponed,
                vec![]
            ),
        ]
    );
}

#[test]
fn osv_red_hat_records_add_no_second_finding() {
    // RHSA-2024:8709 (osv.dev, `Red Hat:rhel_eus:9.2::appstream`) fixes podman in
    // 2:4.4.1-21.el9_2: an EUS stream keyed by repository, never looked up for a RHEL 9 image.
    let b = built();
    assert_eq!(b.db.affected("Red Hat:rhel_eus:9.2::appstream", "podman").unwrap().len(), 1);
    assert!(rhel(&b, "9", vec![rpm("podman", "2:4.4.1-20.el9")]).findings.is_empty());
}
