//! Shared by the integration tests: the fixture database (built once per test binary) and
//! inventory builders.
#![allow(dead_code, clippy::unwrap_used, clippy::print_stderr, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use microscanner_feeds::build::{BuildOptions, NoProgress, build, collect_inputs};
use microscanner_model::{Inventory, OsInfo, Package, PackageKind};
use microscanner_vulndb::Database;

struct Built {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

/// The path of the fixture database, built on first use.
pub fn db_path() -> &'static Path {
    static BUILT: OnceLock<Built> = OnceLock::new();
    &BUILT
        .get_or_init(|| {
            let dir =
                tempfile::Builder::new().prefix("matcher-fixtures").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
            let path = dir.path().join("microscanner.db");
            let inputs = collect_inputs(&microscanner_testkit::fixture_feed_paths()).unwrap();
            build(&path, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
            Built { _dir: dir, path }
        })
        .path
}

/// The fixture database, opened read-only.
pub fn db() -> Database {
    Database::open(db_path()).unwrap()
}

/// A package as the catalog would record it.
pub fn pkg(kind: PackageKind, name: &str, version: &str) -> Package {
    microscanner_testkit::installed_package(kind, name, version, &format!("/fixture/{}", kind.purl_type()))
}

/// An OS identity with its advisory ecosystem.
pub fn os(family: &str, version: &str, ecosystem: &str) -> OsInfo {
    OsInfo {
        family: family.to_owned(),
        version: version.to_owned(),
        ecosystem: Some(ecosystem.to_owned()),
        evidence: "/etc/os-release".to_owned(),
        ..OsInfo::default()
    }
}

/// An inventory of `packages` on `os`.
pub fn inventory(os: Option<OsInfo>, packages: Vec<Package>) -> Inventory {
    Inventory { os, packages, ..Inventory::default() }
}

/// True under CI, where a missing tool must fail a test instead of skipping it.
pub fn ci() -> bool {
    microscanner_testkit::under_ci()
}
