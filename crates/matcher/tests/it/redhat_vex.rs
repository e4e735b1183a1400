//! RHEL 8 and 9 packages against Red Hat's CSAF VEX data: the real CVE-2024-10041 document
//! (Trivy's sample), Trivy's test documents and Red Hat's CVE-2024-31449 document with its redis
//! module streams (`crates/testkit/redhat/`), built beside osv.dev's `Red Hat` records (vuls-data-update's
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
fn each_rhel_9_stream_is_judged_by_its_own_fixes() {
    let b = built();
    let rhel9 = |packages| rhel(&b, "9", packages);
    // Builds Red Hat shipped for the EUS 9.4 release (named in its CVE-2024-46981 document),
    // installed on a RHEL 9 image: RHEL 9's own redis, below RHSA-2025:0693's 6.2.17-1.el9_5, and
    // the redis:7 stream's 7.0.12, above that but below the stream's own fix (RHSA-2024:10869).
    let redis7_eus = "7.0.12-1.module+el9.4.0+22724+5f7cf862.2";
    let out = rhel9(vec![
        rpm("redis", "6.2.7-1.el9_4.1"),
        module("redis", redis7_eus, "redis:7:9040020250120173627:9"),
        module("redis-doc", redis7_eus, "redis:7:9040020250120173627:9"),
    ]);
    let redis7_fix = "7.2.6-1.module+el9.5.0+22422+63e067d8";
    assert_eq!(
        found(&out),
        [
            (
                "redis".into(),
                "6.2.7-1.el9_4.1".into(),
                "CVE-2024-31449".into(),
                FixState::Fixed,
                vec!["6.2.17-1.el9_5".into()]
            ),
            ("redis".into(), redis7_eus.into(), "CVE-2024-31449".into(), FixState::Fixed, vec![redis7_fix.into()]),
            ("redis-doc".into(), redis7_eus.into(), "CVE-2024-31449".into(), FixState::Fixed, vec![redis7_fix.into()]),
        ]
    );
    let stream = out.findings.iter().find(|f| f.package.version == redis7_eus).unwrap();
    assert_eq!(stream.matched.ecosystem, "Red Hat:enterprise_linux:9:module:redis:7");
    assert_eq!(stream.severity, Severity::Medium, "Moderate");
    let own = out.findings.iter().find(|f| f.package.version == "6.2.7-1.el9_4.1").unwrap();
    assert_eq!(own.matched.ecosystem, "Red Hat:enterprise_linux:9");
    // At the fixes: nothing, though RHEL 9's own 6.2.17 is below the stream's 7.2.6.
    let out = rhel9(vec![
        rpm("redis", "6.2.17-1.el9_5"),
        rpm("redis-devel", "6.2.17-1.el9_5"),
        module("redis", redis7_fix, "redis:7:9050020241104103753:9"),
        module("redis-devel", redis7_fix, "redis:7:9050020241104103753:9"),
    ]);
    assert!(out.findings.is_empty(), "{:?}", found(&out));
    // The same redis:7 build without its module label is RHEL 9's own redis, judged by
    // 6.2.17-1.el9_5 (above it, so clean), never given the stream's fix.
    let out = rhel9(vec![rpm("redis", redis7_eus)]);
    assert!(out.findings.is_empty(), "{:?}", found(&out));
}

#[test]
fn each_rhel_8_stream_is_judged_by_its_own_fixes() {
    let b = built();
    let rhel8 = |packages| rhel(&b, "8", packages);
    // The EUS 8.8 and 8.6 builds of redis:6 (named in Red Hat's CVE-2024-46981 document) are below
    // AppStream 8.10's (RHSA-2025:0595); the 8.10 build itself is clean.
    let eus88 = "6.2.7-1.module+el8.8.0+22725+e1c935f8.1";
    let eus86 = "6.0.9-5.module+el8.6.0+22735+5bedcf81.1";
    let fix = "6.2.17-1.module+el8.10.0+22680+748527fd";
    let out = rhel8(vec![
        module("redis", eus88, "redis:6:8080020250120175236:63b34585"),
        module("redis-devel", eus86, "redis:6:8060020250122114132:ad008a3a"),
        module("redis-doc", fix, "redis:6:8100020250113083959:489197e6"),
    ]);
    assert_eq!(
        found(&out),
        [
            ("redis".into(), eus88.into(), "CVE-2024-31449".into(), FixState::Fixed, vec![fix.into()]),
            ("redis-devel".into(), eus86.into(), "CVE-2024-31449".into(), FixState::Fixed, vec![fix.into()]),
        ]
    );
    assert!(out.findings.iter().all(|f| f.matched.ecosystem == "Red Hat:enterprise_linux:8:module:redis:6"));
    // Without a module label a package is RHEL 8's own, of which the document fixes none (RHEL
    // 9's own fix, 6.2.17-1.el9_5, is above this build, but not RHEL 8's).
    let out = rhel8(vec![rpm("redis", eus88)]);
    assert!(out.findings.is_empty(), "{:?}", found(&out));
}

#[test]
fn osv_red_hat_records_add_no_second_finding() {
    // RHSA-2024:8709 (osv.dev, `Red Hat:rhel_eus:9.2::appstream`) fixes podman in
    // 2:4.4.1-21.el9_2: an EUS stream keyed by repository, never looked up for a RHEL 9 image.
    let b = built();
    assert_eq!(b.db.affected("Red Hat:rhel_eus:9.2::appstream", "podman").unwrap().len(), 1);
    assert!(rhel(&b, "9", vec![rpm("podman", "2:4.4.1-20.el9")]).findings.is_empty());
}

/// An rpm as RHEL builds it from `source` (its `SOURCERPM` name).
fn built_from(name: &str, version: &str, source: &str) -> Package {
    rpm(name, version).with_source_name(Some(source))
}

#[test]
fn a_source_rpms_state_holds_for_every_binary_built_from_it() {
    // Red Hat's documents of CVE-2019-25059 (ghostscript) and CVE-2020-16588 (OpenEXR) name
    // source rpms only. RHEL 9's ghostscript and libgs (both built from ghostscript) are
    // affected, and Red Hat will not fix it: reported with that state, matched as the source.
    let b = built();
    let out = rhel(
        &b,
        "9",
        vec![
            built_from("libgs", "9.54.0-16.el9", "ghostscript"),
            built_from("ghostscript", "9.54.0-16.el9", "ghostscript"),
        ],
    );
    assert_eq!(
        found(&out),
        [
            ("ghostscript".into(), "9.54.0-16.el9".into(), "CVE-2019-25059".into(), FixState::WontFix, vec![]),
            ("libgs".into(), "9.54.0-16.el9".into(), "CVE-2019-25059".into(), FixState::WontFix, vec![]),
        ]
    );
    let libgs = out.findings.iter().find(|f| f.package.name == "libgs").unwrap();
    assert_eq!(libgs.package.source_name.as_deref(), Some("ghostscript"));
    assert_eq!(libgs.matched.ecosystem, "Red Hat:enterprise_linux:9:source");
    assert_eq!(libgs.severity, Severity::Medium, "Red Hat says Moderate");
    // Without its source name, a binary is not judged by a source's state.
    assert!(rhel(&b, "9", vec![rpm("libgs", "9.54.0-16.el9")]).findings.is_empty());
    // RHEL 7's ghostscript is not affected; RHEL 8's OpenEXR-libs neither (CVE-2020-16588),
    // while RHEL 7's is out of support scope.
    assert!(rhel(&b, "7", vec![built_from("ghostscript", "9.25-5.el7", "ghostscript")]).findings.is_empty());
    assert!(rhel(&b, "8", vec![built_from("OpenEXR-libs", "2.2.0-12.el8", "OpenEXR")]).findings.is_empty());
    let out = rhel(&b, "7", vec![built_from("OpenEXR-libs", "1.7.1-8.el7", "OpenEXR")]);
    assert_eq!(
        found(&out),
        [("OpenEXR-libs".into(), "1.7.1-8.el7".into(), "CVE-2020-16588".into(), FixState::EndOfLife, vec![])]
    );
    // The gimp:flatpak stream's deferred fix is the stream's: RHEL 8's own OpenEXR stays clean,
    // a build labelled with the stream is reported.
    let flatpak =
        built_from("OpenEXR-libs", "2.2.0-12.el8", "OpenEXR").with_modularity_label(Some("gimp:flatpak:8040020210108"));
    let out = rhel(&b, "8", vec![flatpak]);
    assert_eq!(out.findings.len(), 1, "{:?}", found(&out));
    assert_eq!(out.findings[0].fix.state, FixState::Postponed);
    assert_eq!(out.findings[0].matched.ecosystem, "Red Hat:enterprise_linux:8:module:gimp:flatpak:source");
}

#[test]
fn a_binarys_own_data_outranks_its_sources_state() {
    // Trivy's CVE-2024-11111 and -22222 documents say the binary affected-package-bin and its
    // source affected-package are both affected: one finding each, from the binary's own key.
    // CVE-2024-9999 names only the source: found through it.
    let b = built();
    let out = rhel(&b, "9", vec![built_from("affected-package-bin", "1.0-1.el9", "affected-package")]);
    let mut ids: Vec<_> = out.findings.iter().map(|f| (f.id.as_str(), f.matched.ecosystem.as_str())).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            ("CVE-2024-11111", "Red Hat:enterprise_linux:9"),
            ("CVE-2024-22222", "Red Hat:enterprise_linux:9"),
            ("CVE-2024-9999", "Red Hat:enterprise_linux:9:source")
        ]
    );
    // CVE-2024-9999, -11111 and -22222 fix test-package in 1:1.0.0-1.el9 and say the source
    // affected-package is affected: a build at the fix, from that source, is clean (the source's
    // "affected" does not undo a binary's fix); below the fix, one finding each, fixed.
    let out = rhel(&b, "9", vec![built_from("test-package", "1:1.0.0-1.el9", "affected-package")]);
    assert!(out.findings.is_empty(), "{:?}", found(&out));
    let out = rhel(&b, "9", vec![built_from("test-package", "1:0.9-1.el9", "affected-package")]);
    let mut states: Vec<_> = out.findings.iter().map(|f| (f.id.as_str(), f.fix.state)).collect();
    states.sort_unstable_by_key(|s| s.0);
    assert_eq!(
        states,
        [("CVE-2024-11111", FixState::Fixed), ("CVE-2024-22222", FixState::Fixed), ("CVE-2024-9999", FixState::Fixed)]
    );
}
