//! PHP Composer: `composer.lock` (declared) and `vendor/composer/installed.json` (installed;
//! Composer 1 writes a bare array, Composer 2 an object with `packages`).

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;
use serde_json::Value;

use super::npm::licenses_of;
use super::{ParseResult, dedup, from_json, lang_package, warn};

#[derive(Deserialize)]
struct ComposerPackage {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    license: Option<Value>,
}

#[derive(Deserialize)]
struct ComposerLock {
    #[serde(default)]
    packages: Vec<ComposerPackage>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Vec<ComposerPackage>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Installed {
    V2 { packages: Vec<ComposerPackage> },
    V1(Vec<ComposerPackage>),
}

fn to_packages<'a>(
    list: impl Iterator<Item = &'a ComposerPackage>,
    evidence: Evidence,
) -> Vec<microscanner_model::Package> {
    let mut pkgs: Vec<_> = list
        .filter_map(|p| {
            let mut pkg = lang_package(PackageKind::Composer, &p.name, p.version.as_deref()?, evidence);
            pkg.set_licenses(licenses_of(p.license.as_ref()));
            Some(pkg)
        })
        .collect();
    dedup(&mut pkgs);
    pkgs
}

/// Parses a `composer.lock`: `packages` and `packages-dev`.
pub fn parse_lock(bytes: &[u8]) -> ParseResult {
    match from_json::<ComposerLock>(bytes, "composer.lock") {
        Ok(l) => (to_packages(l.packages.iter().chain(&l.packages_dev), Evidence::Declared), Vec::new()),
        Err(d) => (Vec::new(), vec![d]),
    }
}

/// Parses `vendor/composer/installed.json` (Composer 1 and 2).
pub fn parse_installed(bytes: &[u8]) -> ParseResult {
    match serde_json::from_slice::<Installed>(bytes) {
        Ok(Installed::V2 { packages } | Installed::V1(packages)) => {
            (to_packages(packages.iter(), Evidence::Installed), Vec::new())
        }
        Err(e) => (Vec::new(), vec![warn(format!("cannot parse installed.json: {e}"))]),
    }
}
