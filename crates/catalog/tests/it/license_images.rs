//! Licences of the Debian packages of the real debian12-app image (built by
//! `shared/tools/make-images.sh`), through the layer walk, the merge and the inventory step,
//! against `expected-dpkg-copyright.txt`, which says which packages' copyright files are
//! machine-readable (DEP-5) and which are free-form. A missing image skips with a note, except
//! under CI (`microscanner_testkit::require`).

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::collections::BTreeMap;

use microscanner_catalog::{CatalogOptions, build_inventory, default_analyzers};
use microscanner_image::Limits;
use microscanner_model::{Package, PackageKind};

/// The deb packages of debian12-app by name, and the ground truth (name → `dep5`/`freeform`).
fn debian12_app() -> Option<(BTreeMap<String, Package>, BTreeMap<String, String>)> {
    let dir = microscanner_testkit::images_dir()?.join("debian12-app");
    let tar = dir.join("docker-archive.tar");
    if !microscanner_testkit::require(tar.exists(), &format!("the test image {}", tar.display())) {
        return None;
    }
    let image = microscanner_image::open(&format!("docker-archive:{}", tar.display()), &Limits::default()).unwrap();
    let inventory = build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {}).unwrap();
    let debs = inventory
        .packages
        .into_iter()
        .filter(|p| p.kind == PackageKind::Deb)
        .map(|p| (p.name.to_string(), p))
        .collect();
    let truth = std::fs::read_to_string(dir.join("expected-dpkg-copyright.txt")).unwrap();
    let truth = truth
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(name, kind)| (name.to_owned(), kind.trim().to_owned()))
        .collect();
    Some((debs, truth))
}

fn is_spdx(expression: &str) -> bool {
    spdx::Expression::parse(expression).is_ok()
}

/// Every package whose copyright file is DEP-5 gets its licences, the first of them an SPDX
/// expression; the matcher's findings on free-form files are SPDX ids; at least 85% of all the
/// deb packages get a licence.
#[test]
fn debian12_app_packages_get_their_licences() {
    let Some((debs, truth)) = debian12_app() else { return };
    assert_eq!(truth.len(), 126, "ground truth size");
    assert_eq!(truth.values().filter(|k| *k == "dep5").count(), 98);
    let mut without = Vec::new();
    for (name, kind) in &truth {
        let package = debs.get(name).unwrap_or_else(|| panic!("{name} is not in the inventory"));
        match (kind.as_str(), package.licenses().first()) {
            ("dep5", None) => without.push(name.clone()),
            ("dep5", Some(first)) => {
                assert!(is_spdx(first) || package.licenses().len() == 1, "{name}: {:?}", package.licenses());
            }
            (_, _) => assert!(package.licenses().iter().all(|l| is_spdx(l)), "{name}: {:?}", package.licenses()),
        }
    }
    assert!(without.is_empty(), "DEP-5 packages without a licence: {without:?}");
    let with = debs.values().filter(|p| !p.licenses().is_empty()).count();
    eprintln!("{with} of {} deb packages have a licence", debs.len());
    assert!(with * 100 >= debs.len() * 85, "{with} of {} deb packages have a licence", debs.len());
    // spot checks, read by hand in the image's copyright files
    assert_eq!(
        debs["bash"].licenses(),
        [
            "GPL-3.0-or-later AND GPL-3.0-or-later WITH Bison-exception-2.2 AND GPL-2.0-or-later AND \
          GFDL-1.3-no-invariants-only AND Latex2e",
            "BSD-4-clause-UC and MIT-like",
            "permissive"
        ],
        "names SPDX has no id for are kept verbatim"
    );
    for (name, p) in &debs {
        eprintln!("{name}\t{}\t{:?}", truth.get(name).map_or("-", String::as_str), p.licenses());
    }
    let setuptools = &debs["python3-setuptools"].licenses();
    assert!(setuptools.contains(&"MIT".to_owned()), "free-form, MIT text inside: {setuptools:?}");
    // gcc-12-base's free-form file carries the texts of bundled code's licences: LLVM's (the
    // University of Illinois/NCSA licence, line 162) and zlib's (line 497), each found.
    let gcc = debs["gcc-12-base"].licenses();
    assert!(gcc.contains(&"NCSA".to_owned()) && gcc.contains(&"Zlib".to_owned()), "{gcc:?}");
    assert!(debs["base-files"].licenses().is_empty(), "no licence text in it: nothing guessed");
}
