//! Matching a 10,000-package inventory against the fixture database.
//!
//! The database is built once from every feed under `../shared/fixtures` (as the integration
//! tests do). The inventory is a Debian 10 image with language packages: names drawn from the
//! database's real affected entries (Debian 10 sources as three binaries each, Go, crates.io,
//! PyPI, Maven, npm), the language ones a second time at another location (a monorepo with two
//! lockfiles), and the rest (about a third) names no advisory mentions. Versions are taken from
//! the packages' own advisories: in "mostly current" one package in eight is at its oldest
//! advisory version and the rest at their newest fixed version; in "all old" every package is at
//! a version from one of its advisories (thousands of findings: the worst case).
//!
//! `cargo bench -p microscanner-matcher --bench match`; the target is under 200 ms.
//!
//! With `MATCH_BENCH_DB=PATH` (a database built by `bench/db-scale.sh` from the full-size
//! synthetic feeds), the same inventories are also matched against that database, so the two
//! times compare (the target there: under 300 ms and within 2x of the fixture database).
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stderr)]

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};
use microscanner_feeds::build::{BuildOptions, NoProgress, build, collect_inputs};
use microscanner_model::{Inventory, OsInfo, Package, PackageKind};
use microscanner_version::VersionScheme;
use microscanner_vulndb::Database;

const PACKAGES: usize = 10_000;

fn package(kind: PackageKind, name: &str, version: &str, location: &str) -> Package {
    microscanner_testkit::installed_package(kind, name, version, location)
}

/// Every `fixed`, `introduced` (not `0`) and `last_affected` version of an entry's ranges.
fn event_versions(ranges: &str, out: &mut Vec<String>) {
    let Ok(serde_json::Value::Array(v)) = serde_json::from_str::<serde_json::Value>(ranges) else { return };
    for r in &v {
        for e in r.get("events").and_then(|e| e.as_array()).into_iter().flatten() {
            for key in ["fixed", "introduced", "last_affected"] {
                if let Some(s) = e.get(key).and_then(|x| x.as_str()).filter(|s| *s != "0" && !s.ends_with("-0")) {
                    out.push(s.to_owned());
                }
            }
        }
    }
}

/// How old the packages drawn from the database are.
#[derive(Clone, Copy)]
enum Age {
    /// One in eight at its oldest advisory version, the rest at its newest fixed version: an image
    /// that is kept up to date, mostly.
    Realistic,
    /// Every one at a version taken from one of its advisories: thousands of findings.
    Old,
}

fn inventory(db_path: &std::path::Path, age: Age) -> Inventory {
    let conn = rusqlite::Connection::open_with_flags(db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT ecosystem, name, ranges FROM affected WHERE ecosystem IN \
             ('Debian:10', 'Go', 'crates.io', 'PyPI', 'Maven', 'npm') ORDER BY ecosystem, name, advisory_id",
        )
        .unwrap();
    let rows: Vec<(String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let mut names: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (eco, name, ranges) in rows {
        event_versions(&ranges, names.entry((eco, name)).or_default());
    }
    let mut packages = Vec::with_capacity(PACKAGES);
    for (i, ((eco, name), mut versions)) in names.into_iter().enumerate() {
        let scheme = VersionScheme::from_osv_ecosystem(&eco);
        versions.sort_by(|a, b| scheme.compare(a, b).unwrap_or_else(|_| a.cmp(b)));
        let version = match age {
            Age::Realistic if i % 8 == 0 => versions.first(),
            Age::Realistic => versions.last(),
            Age::Old => versions.get(i % versions.len().max(1)),
        };
        let Some(version) = version.cloned() else { continue };
        let kind = match eco.as_str() {
            "Debian:10" => PackageKind::Deb,
            "Go" => PackageKind::Golang,
            "crates.io" => PackageKind::Cargo,
            "PyPI" => PackageKind::Pypi,
            "Maven" => PackageKind::Maven,
            _ => PackageKind::Npm,
        };
        if kind == PackageKind::Deb {
            for bin in [name.clone(), format!("lib{name}1"), format!("{name}-common")] {
                let mut p = package(kind, &bin, &version, "/var/lib/dpkg/status");
                p.set_source_name(Some(name.as_str().into()));
                packages.push(p);
            }
        } else {
            packages.push(package(kind, &name, &version, "/app/a.lock"));
            packages.push(package(kind, &name, &version, "/app/b.lock"));
        }
    }
    let kinds = [PackageKind::Deb, PackageKind::Pypi, PackageKind::Npm, PackageKind::Golang, PackageKind::Cargo];
    let mut i = 0;
    while packages.len() < PACKAGES {
        let kind = kinds[i % kinds.len()];
        let name = match kind {
            PackageKind::Golang => format!("github.com/example/module{i}"),
            _ => format!("unlisted-package-{i}"),
        };
        let version = match kind {
            PackageKind::Deb => format!("1.{}.{}-{}", i % 20, i % 7, 1 + i % 3),
            PackageKind::Golang => format!("v1.{}.{}", i % 20, i % 7),
            _ => format!("1.{}.{}", i % 20, i % 7),
        };
        packages.push(package(kind, &name, &version, "/app/c.lock"));
        i += 1;
    }
    packages.truncate(PACKAGES);
    let os = OsInfo {
        family: "debian".into(),
        version: "10".into(),
        ecosystem: Some("Debian:10".into()),
        evidence: "/etc/os-release".into(),
        ..OsInfo::default()
    };
    Inventory { os: Some(os), packages, ..Inventory::default() }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("microscanner.db");
    let inputs = collect_inputs(&microscanner_testkit::fixture_feed_paths()).unwrap();
    build(&path, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
    let mut dbs = vec![("", Database::open(&path).unwrap())];
    if let Some(other) = std::env::var_os("MATCH_BENCH_DB") {
        dbs.push((", full-size db", Database::open(std::path::Path::new(&other)).unwrap()));
    }
    let mut group = c.benchmark_group("match");
    group.sample_size(20);
    for (label, age) in [("10k packages, mostly current", Age::Realistic), ("10k packages, all old", Age::Old)] {
        let inv = inventory(&path, age);
        for (which, db) in &dbs {
            let label = format!("{label}{which}");
            let out = microscanner_matcher::match_inventory(db, &inv).unwrap();
            let advisories: std::collections::BTreeSet<&str> =
                out.findings.iter().flat_map(|f| f.matched.advisories.iter().map(String::as_str)).collect();
            eprintln!(
                "{label}: {} packages, {} looked up, {} findings from {} advisories, {} diagnostics",
                inv.packages.len(),
                out.coverage.packages_matched,
                out.findings.len(),
                advisories.len(),
                out.diagnostics.len()
            );
            group.bench_function(&label, |b| b.iter(|| microscanner_matcher::match_inventory(db, &inv).unwrap()));
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
