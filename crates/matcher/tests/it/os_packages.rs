//! OS packages (Debian tracker states and urgencies, DSA + NVD, Alpine secdb, AlmaLinux OSV),
//! withdrawn advisories, and coverage.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use crate::common;

use common::{db, inventory, os, pkg};
use microscanner_matcher::{MatchOutput, match_inventory};
use microscanner_model::{Diagnostic, Finding, FixState, Inventory, Package, PackageKind, RatingKind, Severity};

fn deb(name: &str, version: &str, source: Option<&str>) -> Package {
    let mut p = pkg(PackageKind::Deb, name, version);
    p.set_source_name(source.map(Into::into));
    p.set_location("/var/lib/dpkg/status");
    p
}

fn debian(number: &str, packages: Vec<Package>) -> MatchOutput {
    let inv = inventory(Some(os("debian", number, &format!("Debian:{number}"))), packages);
    match_inventory(&db(), &inv).unwrap()
}

fn with_id<'a>(out: &'a MatchOutput, id: &str) -> Option<&'a Finding> {
    out.findings.iter().find(|f| f.ids().any(|i| i == id))
}

#[test]
fn debian_tracker_states_are_kept_and_fixed_or_not_affected_are_dropped() {
    // The tracker's 389-ds-base in bullseye (vunnel's debian.json): CVE-2016-5416 ignored
    // ("Minor issue"), CVE-2016-5405 fixed in 1.3.5.15-1, CVE-2012-0833 not affected.
    let out = debian("11", vec![deb("389-ds-base", "1.4.4.11-2", None)]);
    let f = with_id(&out, "CVE-2016-5416").unwrap();
    assert_eq!(f.fix.state, FixState::WontFix);
    assert!(f.fix.versions.is_empty());
    assert_eq!(f.fix.note.as_deref(), Some("ignored: Minor issue"), "the tracker's reason is kept");
    assert_eq!(f.primary_url.as_deref(), Some("https://security-tracker.debian.org/tracker/CVE-2016-5416"));
    // Its urgency is "not yet assigned": that rates nothing.
    assert!(f.ratings.iter().all(|r| r.source != "debian"), "{:?}", f.ratings);
    assert!(with_id(&out, "CVE-2016-5405").is_none(), "fixed at or below the installed version");
    assert!(with_id(&out, "CVE-2012-0833").is_none(), "not affected");
    // Below the fix, CVE-2016-5405 is reported with its fixed version.
    let old = debian("11", vec![deb("389-ds-base", "1.3.5.14-1", None)]);
    let f = with_id(&old, "CVE-2016-5405").unwrap();
    assert_eq!((f.fix.state, f.fix.versions.as_slice()), (FixState::Fixed, &["1.3.5.15-1".to_owned()][..]));
    // chromium in buster: end of life.
    let out = debian("10", vec![deb("chromium", "90.0.4430.212-1~deb10u1", None)]);
    assert_eq!(with_id(&out, "CVE-2022-0456").unwrap().fix.state, FixState::EndOfLife);
}

#[test]
fn debian_urgency_is_the_severity_of_os_findings() {
    // prototypejs in stretch: CVE-2008-7220 urgency "high**", fixed in 1.6.0.2-1;
    // CVE-2007-2383 not affected.
    let out = debian("9", vec![deb("libjs-prototype", "1.6.0-1", Some("prototypejs"))]);
    let f = with_id(&out, "CVE-2008-7220").unwrap();
    assert_eq!((f.severity, f.severity_source.as_str()), (Severity::High, "debian"));
    assert_eq!(f.ratings[0].value, "high**");
    assert_eq!(f.ratings[0].kind, RatingKind::Vendor);
    // Only the rating of this release and package, not those of stretch's neighbours.
    assert_eq!(f.ratings.iter().filter(|r| r.source == "debian").count(), 1);
    assert_eq!(f.fix.versions, ["1.6.0.2-1"]);
    assert_eq!(f.package.name, "libjs-prototype");
    assert_eq!(f.package.source_name.as_deref(), Some("prototypejs"));
    assert_eq!((f.matched.ecosystem.as_str(), f.matched.name.as_str()), ("Debian:9", "prototypejs"));
    assert!(with_id(&out, "CVE-2007-2383").is_none());
}

#[test]
fn a_dsa_joins_its_cves_and_takes_nvd_severity() {
    // DSA-5205-1 (samba, bullseye, fixed in 2:4.13.13+dfsg-1~deb11u5) names five CVEs; NVD rates
    // CVE-2022-32746 5.4 (CVSS 3.1).
    let out = debian("11", vec![deb("samba", "2:4.13.13+dfsg-1~deb11u3", None)]);
    let f = out.findings.iter().find(|f| f.matched.advisories.contains(&"DSA-5205-1".to_owned())).unwrap();
    assert_eq!(f.id, "CVE-2022-2031");
    for id in ["CVE-2022-32742", "CVE-2022-32744", "CVE-2022-32745", "CVE-2022-32746", "DSA-5205-1"] {
        assert!(f.aliases.contains(&id.to_owned()), "{id} in {:?}", f.aliases);
    }
    assert_eq!(f.fix.versions, ["2:4.13.13+dfsg-1~deb11u5"]);
    assert_eq!((f.severity, f.severity_source.as_str()), (Severity::Medium, "nvd"));
    assert_eq!(f.ratings[0].score, Some(5.4));
    assert_eq!(f.title.as_deref(), Some("samba - security update"));
    assert_eq!(f.primary_url.as_deref(), Some("https://security-tracker.debian.org/tracker/CVE-2022-2031"));
    assert!(f.references.iter().any(|r| r.contains("DSA-5205-1")), "{:?}", f.references);
    // Installed at the fixed version: nothing.
    let out = debian("11", vec![deb("samba", "2:4.13.13+dfsg-1~deb11u5", None)]);
    assert!(out.findings.iter().all(|f| !f.matched.advisories.contains(&"DSA-5205-1".to_owned())));
}

#[test]
fn os_packages_never_consult_upstream_ecosystems() {
    // A Debian package named like a PyPI project with PYSEC advisories at this version, beside
    // the PyPI project itself: only the latter gets them.
    let out = debian("10", vec![deb("django", "2.2.0", None), pkg(PackageKind::Pypi, "django", "2.2.0")]);
    assert!(!out.findings.is_empty());
    for f in &out.findings {
        assert_eq!(f.package.kind, PackageKind::Pypi, "{} {}", f.id, f.matched.ecosystem);
        assert_eq!(f.matched.ecosystem, "PyPI");
    }
}

#[test]
fn alpine_origin_keys_the_secdb() {
    // Alpine 3.11 secdb: openssl fixed CVE-2019-1551 in 1.1.1d-r3, CVE-2019-1547/1549/1563 in
    // 1.1.1d-r1. libcrypto1.1 is a subpackage of origin openssl.
    let mut p = pkg(PackageKind::Apk, "libcrypto1.1", "1.1.1d-r2");
    p.set_source_name(Some("openssl".into()));
    let inv = inventory(Some(os("alpine", "3.11", "Alpine:v3.11")), vec![p]);
    let out = match_inventory(&db(), &inv).unwrap();
    let ids: Vec<&str> = out.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2019-1551"]);
    let f = &out.findings[0];
    assert_eq!(f.fix.versions, ["1.1.1d-r3"]);
    assert_eq!(f.package.source_name.as_deref(), Some("openssl"));
    assert_eq!(f.primary_url.as_deref(), Some("https://nvd.nist.gov/vuln/detail/CVE-2019-1551"));
}

#[test]
fn almalinux_binary_rpms_and_the_summary_severity() {
    // ALSA-2021:2363 "Important: gupnp security update": gupnp fixed in 1.0.6-2.el8_4.
    let mut p = pkg(PackageKind::Rpm, "gupnp", "1.0.6-1.el8");
    p.set_source_name(Some("gupnp".into()));
    let inv = inventory(Some(os("almalinux", "8", "AlmaLinux:8")), vec![p]);
    let out = match_inventory(&db(), &inv).unwrap();
    let f = out.findings.iter().find(|f| f.id == "ALSA-2021:2363").unwrap();
    assert_eq!(f.fix.versions, ["1.0.6-2.el8_4"]);
    assert_eq!((f.severity, f.severity_source.as_str()), (Severity::High, "almalinux"));
    assert_eq!(f.primary_url.as_deref(), Some("https://osv.dev/vulnerability/ALSA-2021:2363"));
    // AlmaLinux lists the CVE as `related`, not as an alias: it is not merged in.
    assert!(f.aliases.is_empty(), "{:?}", f.aliases);
}

#[test]
fn withdrawn_advisories_are_dropped() {
    // GO-2024-2442 (teleport) is withdrawn; its range covers every version.
    let inv = inventory(None, vec![pkg(PackageKind::Golang, "github.com/gravitational/teleport", "v1.0.0")]);
    let out = match_inventory(&db(), &inv).unwrap();
    assert!(!out.findings.is_empty(), "teleport 1.0.0 has live advisories too");
    assert!(out.findings.iter().all(|f| f.ids().all(|id| id != "GO-2024-2442")));
}

#[test]
fn coverage_of_unknown_os_and_missing_ecosystems() {
    let db = db();
    // OS packages with no OS: not matched, and the scan is incomplete.
    let inv = inventory(None, vec![deb("bash", "5.0-4", None), deb("openssl", "1.1.1d-0+deb10u3", None)]);
    let out = match_inventory(&db, &inv).unwrap();
    assert!(!out.coverage.complete);
    assert_eq!(out.coverage.packages, 2);
    assert_eq!(out.coverage.packages_matched, 0);
    assert_eq!(out.coverage.skipped.len(), 1);
    assert_eq!(out.coverage.skipped[0].what, "2 deb packages");
    assert!(out.coverage.skipped[0].reason.contains("unknown OS"));
    // A recognised OS without an advisory ecosystem.
    let no_eco = microscanner_model::OsInfo { ecosystem: None, ..os("debian", "sid", "") };
    let out = match_inventory(&db, &inventory(Some(no_eco), vec![deb("bash", "5.0-4", None)])).unwrap();
    assert!(!out.coverage.complete);
    assert!(out.coverage.skipped[0].reason.contains("debian sid"), "{:?}", out.coverage.skipped);
    // An ecosystem the database has nothing for: reported, but the image was fully analysed.
    let inv = inventory(
        Some(os("ubuntu", "22.04", "Ubuntu:22.04:LTS")),
        vec![deb("bash", "5.1-6ubuntu1", None), pkg(PackageKind::Pypi, "requests", "2.19.0")],
    );
    let out = match_inventory(&db, &inv).unwrap();
    assert!(out.coverage.complete);
    assert_eq!(out.coverage.packages_matched, 1);
    let eco: Vec<(&str, usize, bool)> =
        out.coverage.ecosystems.iter().map(|e| (e.ecosystem.as_str(), e.packages, e.database_entries > 0)).collect();
    assert_eq!(eco, [("PyPI", 1, true), ("Ubuntu:22.04:LTS", 1, false)]);
    assert_eq!(out.coverage.skipped.len(), 1);
    assert_eq!(out.coverage.skipped[0].reason, "database has no advisories for Ubuntu:22.04:LTS");
    assert!(!out.findings.is_empty());
}

#[test]
fn inventory_warnings_and_unreadable_versions_make_the_scan_incomplete() {
    let db = db();
    let mut inv: Inventory = inventory(None, vec![pkg(PackageKind::Cargo, "smallvec", "1.13.2")]);
    inv.diagnostics.push(Diagnostic::warning("/usr/bin/app", "Go build info not readable"));
    inv.diagnostics.push(Diagnostic::info("/x", "GIT range skipped"));
    let out = match_inventory(&db, &inv).unwrap();
    assert!(!out.coverage.complete);
    assert_eq!(out.coverage.skipped.len(), 1);
    assert_eq!(out.coverage.skipped[0].what, "/usr/bin/app");
    // A version npm cannot order, for a package with advisories: one diagnostic, no guess.
    let inv = inventory(None, vec![pkg(PackageKind::Npm, "lodash", "not a version")]);
    let out = match_inventory(&db, &inv).unwrap();
    assert!(out.findings.is_empty());
    assert!(!out.coverage.complete);
    assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    assert!(out.diagnostics[0].message.contains("lodash"), "{:?}", out.diagnostics);
    assert!(out.coverage.skipped[0].what.contains("lodash"));
    // The same name without advisories is not a problem.
    let inv = inventory(None, vec![pkg(PackageKind::Npm, "no-such-package-in-the-fixtures", "not a version")]);
    let out = match_inventory(&db, &inv).unwrap();
    assert!(out.coverage.complete && out.diagnostics.is_empty());
}

#[test]
fn duplicate_packages_each_get_their_findings() {
    // The same library in two lockfiles, and two Debian binaries of one source.
    let mut a = pkg(PackageKind::Cargo, "smallvec", "1.6.0");
    a.set_location("/app/a/Cargo.lock");
    let mut b = a.clone();
    b.set_location("/app/b/Cargo.lock");
    let out = match_inventory(&db(), &inventory(None, vec![b, a])).unwrap();
    let locations: Vec<&str> =
        out.findings.iter().filter(|f| f.id == "CVE-2021-25900").map(|f| f.package.location.as_str()).collect();
    assert_eq!(locations, ["/app/a/Cargo.lock", "/app/b/Cargo.lock"]);
    let out = debian(
        "11",
        vec![
            deb("samba", "2:4.13.13+dfsg-1~deb11u3", None),
            deb("samba-libs", "2:4.13.13+dfsg-1~deb11u3", Some("samba")),
        ],
    );
    let names: Vec<&str> =
        out.findings.iter().filter(|f| f.id == "CVE-2022-2031").map(|f| f.package.name.as_str()).collect();
    assert_eq!(names, ["samba", "samba-libs"]);
}
