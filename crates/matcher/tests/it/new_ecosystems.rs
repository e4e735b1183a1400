//! The language ecosystems of issue #19 (Pub, Hex, SwiftURL, ConanCenter, Julia) are imported
//! from OSV and matched, and CocoaPods (no OSV ecosystem) is listed as a gap without making the
//! scan incomplete. SwiftURL uses a real GHSA record (trivy-db's fixture of GHSA-7fj7-39wj-c64f);
//! the others, which have no record in `../shared/fixtures`, use one small OSV record each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(
    clippy::disallowed_methods,
    reason = "the test writes its feed files and database to a temporary directory; the matcher itself does no file I/O"
)]

use std::path::Path;

use microscanner_feeds::build::{BuildOptions, NoProgress, build, collect_inputs};
use microscanner_matcher::match_inventory;
use microscanner_model::{Inventory, PackageKind};
use microscanner_vulndb::Database;

use crate::common::pkg;

const GHSA_SWIFT: &str = "feeds-trivy-db-fixtures/pkg/vulnsrc/ghsa/testdata/happy/ghsa/advisories/github-reviewed/2023/06/GHSA-7fj7-39wj-c64f/GHSA-7fj7-39wj-c64f.json";

/// A minimal OSV record: `name` in `ecosystem` affected from `introduced` until `fixed`.
fn osv(id: &str, ecosystem: &str, name: &str, introduced: &str, fixed: &str) -> String {
    format!(
        r#"{{"schema_version":"1.6.0","id":"{id}","modified":"2025-01-01T00:00:00Z","summary":"test {ecosystem}",
        "affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"{name}"}},
        "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"{introduced}"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
    )
}

fn database(dir: &Path) -> Database {
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    let swift = microscanner_testkit::fixtures_dir().join(GHSA_SWIFT);
    std::fs::copy(&swift, feeds.join("GHSA-7fj7-39wj-c64f.json")).unwrap();
    let records = [
        osv("TEST-PUB-1", "Pub", "http", "0", "0.13.3"),
        osv("TEST-HEX-1", "Hex", "plug", "1.0.0", "1.3.5"),
        osv("TEST-CONAN-1", "ConanCenter", "openssl", "3.0.0", "3.0.7"),
        osv("TEST-JULIA-1", "Julia", "HTTP", "0", "1.10.1"),
    ];
    for (i, r) in records.iter().enumerate() {
        std::fs::write(feeds.join(format!("test-{i}.json")), r).unwrap();
    }
    let path = dir.join("test.db");
    let inputs = collect_inputs(&[feeds]).unwrap();
    build(&path, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
    Database::open(&path).unwrap()
}

#[test]
fn new_language_ecosystems_are_imported_and_matched() {
    let dir = tempfile::Builder::new().prefix("new-ecosystems").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let db = database(dir.path());
    let packages = vec![
        pkg(PackageKind::Swift, "github.com/apple/swift-nio", "2.41.5"),
        pkg(PackageKind::Swift, "github.com/apple/swift-nio", "2.42.0"),
        pkg(PackageKind::Pub, "http", "0.13.0"),
        pkg(PackageKind::Hex, "plug", "1.3.4"),
        pkg(PackageKind::Hex, "plug", "1.3.5"),
        pkg(PackageKind::Conan, "openssl", "3.0.3"),
        pkg(PackageKind::Julia, "HTTP", "1.9.0"),
        pkg(PackageKind::Cocoapods, "AppCenter/Core", "4.2.0"),
    ];
    let out = match_inventory(&db, &Inventory { packages, ..Inventory::default() }).unwrap();
    let mut hits: Vec<(String, String, String)> = out
        .findings
        .iter()
        .map(|f| (f.matched.ecosystem.clone(), f.package.name.clone(), f.package.version.clone()))
        .collect();
    hits.sort();
    hits.dedup();
    let want: Vec<(String, String, String)> = [
        ("ConanCenter", "openssl", "3.0.3"),
        ("Hex", "plug", "1.3.4"),
        ("Julia", "HTTP", "1.9.0"),
        ("Pub", "http", "0.13.0"),
        ("SwiftURL", "github.com/apple/swift-nio", "2.41.5"),
    ]
    .iter()
    .map(|(e, n, v)| ((*e).to_owned(), (*n).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(hits, want);
    let swift = out.findings.iter().find(|f| f.package.kind == PackageKind::Swift).unwrap();
    assert_eq!(swift.id, "CVE-2022-3215");
    assert_eq!(swift.fix.versions, ["2.42.0"]);
    // CocoaPods: listed as a gap of the advisory data, the scan still complete
    assert!(out.coverage.complete, "{:?}", out.coverage.skipped);
    assert!(
        out.coverage
            .skipped
            .iter()
            .any(|s| s.what == "1 cocoapods package" && s.reason.contains("listed, not matched")),
        "{:?}",
        out.coverage.skipped
    );
}
