//! `match_inventory` on several threads gives exactly what one thread gives, and never reads a
//! database other than the one it was given.

use std::collections::BTreeSet;

use crate::common;

use common::{db_path, inventory, os, pkg};
use microscanner_matcher::match_inventory_on;
use microscanner_model::{Inventory, PackageKind};
use microscanner_vulndb::Database;

/// Every (ecosystem, name) of the fixture database's language ecosystems and of Debian 10, at a
/// version it lists as affected (so most match), and lodash three times at a version semver cannot order;
/// the Debian ones as the packages of a Debian 10 image.
fn inventory_from_the_database() -> Inventory {
    let conn = rusqlite::Connection::open_with_flags(db_path(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT ecosystem, name, MIN(versions ->> 0) FROM affected \
             WHERE ecosystem IN ('PyPI', 'crates.io', 'Go', 'Maven', 'npm', 'RubyGems', 'Debian:10') \
             AND json_array_length(versions) > 0 GROUP BY ecosystem, name ORDER BY ecosystem, name",
        )
        .unwrap();
    let rows: Vec<(String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let mut packages = rows
        .iter()
        .map(|(ecosystem, name, version)| {
            let kind = match ecosystem.as_str() {
                "PyPI" => PackageKind::Pypi,
                "crates.io" => PackageKind::Cargo,
                "Go" => PackageKind::Golang,
                "Maven" => PackageKind::Maven,
                "npm" => PackageKind::Npm,
                "RubyGems" => PackageKind::Gem,
                _ => PackageKind::Deb,
            };
            pkg(kind, name, version)
        })
        .collect::<Vec<_>>();
    // Versions semver cannot order, spread over the shares.
    for (n, at) in [0, packages.len() / 3, packages.len() * 2 / 3].into_iter().enumerate() {
        packages.insert(at + n, pkg(PackageKind::Npm, "lodash", "not a version"));
    }
    inventory(Some(os("debian", "10", "Debian:10")), packages)
}

#[test]
fn any_number_of_threads_gives_the_result_of_one() {
    let db = Database::open(db_path()).unwrap();
    let inventory = inventory_from_the_database();
    assert!(inventory.packages.len() > 800, "{}", inventory.packages.len());
    let one = match_inventory_on(&db, &inventory, 1).unwrap();
    let kinds: BTreeSet<PackageKind> = one.findings.iter().map(|f| f.package.kind).collect();
    assert!(one.findings.len() > 800 && kinds.len() >= 5, "{} findings of {kinds:?}", one.findings.len());
    assert!(!one.diagnostics.is_empty() && !one.coverage.complete, "unorderable versions: {:?}", one.coverage);
    for threads in [2, 3, 7] {
        assert_eq!(match_inventory_on(&db, &inventory, threads).unwrap(), one, "{threads} threads");
    }
}

#[test]
#[allow(clippy::disallowed_methods, reason = "the test replaces the database file; the matcher does no file I/O")]
fn a_database_renamed_over_the_path_is_not_read_by_the_other_threads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("microscanner.db");
    std::fs::copy(db_path(), &path).unwrap();
    let db = Database::open(&path).unwrap();
    let inventory = inventory_from_the_database();
    let one = match_inventory_on(&db, &inventory, 1).unwrap();
    // Another database at the path: this one's rows, no affected entries, built at another time.
    let other = dir.path().join("other.db");
    std::fs::copy(db_path(), &other).unwrap();
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("DELETE FROM affected; UPDATE meta SET value = '2000-01-01T00:00:00Z' WHERE key = 'built_at';")
        .unwrap();
    drop(conn);
    std::fs::rename(&other, &path).unwrap();
    assert!(match_inventory_on(&Database::open(&path).unwrap(), &inventory, 1).unwrap().findings.is_empty());
    assert_eq!(match_inventory_on(&db, &inventory, 3).unwrap(), one, "every share matched against the file opened");
}
