//! One [`Matcher`] over many inventories gives each exactly what matching it alone gives: what it
//! keeps between inventories is only what the database says.

use crate::common;

use common::{db, inventory, os, pkg};
use microscanner_matcher::{Matcher, match_inventory};
use microscanner_model::{Inventory, Package, PackageKind};

fn deb(name: &str, version: &str) -> Package {
    let mut p = pkg(PackageKind::Deb, name, version);
    p.set_location("/var/lib/dpkg/status");
    p
}

/// Inventories that share names at the same and at other versions, an OS and a language-only
/// one, and one with a version that cannot be compared.
fn inventories() -> Vec<Inventory> {
    let debian = || Some(os("debian", "11", "Debian:11"));
    vec![
        inventory(
            debian(),
            vec![
                deb("389-ds-base", "1.4.4.11-2"),
                pkg(PackageKind::Pypi, "Django", "2.2.0"),
                pkg(PackageKind::Npm, "lodash", "4.17.15"),
            ],
        ),
        inventory(
            None,
            vec![
                pkg(PackageKind::Pypi, "django", "2.2.0"),
                pkg(PackageKind::Pypi, "Django", "3.2.0"),
                pkg(PackageKind::Cargo, "smallvec", "1.6.0"),
                pkg(PackageKind::Npm, "lodash", "not a version"),
            ],
        ),
        inventory(debian(), vec![deb("389-ds-base", "1.3.5.15-1"), pkg(PackageKind::Npm, "lodash", "4.17.21")]),
    ]
}

#[test]
fn a_matcher_reused_across_inventories_gives_each_its_own_result() {
    let db = db();
    let inventories = inventories();
    let alone: Vec<_> = inventories.iter().map(|i| match_inventory(&db, i).unwrap()).collect();
    assert!(alone.iter().all(|o| !o.findings.is_empty()), "every inventory has findings of its own");
    assert_ne!(alone[0].findings, alone[2].findings, "the same names at other versions find other things");
    let mut matcher = Matcher::new(&db);
    // forwards, then backwards: each result is the same whatever was matched before it
    for i in (0..inventories.len()).chain((0..inventories.len()).rev()) {
        assert_eq!(matcher.match_inventory(&inventories[i]).unwrap(), alone[i], "inventory {i}");
    }
}
