//! PHP Composer: `composer.lock` (declared) and `vendor/composer/installed.json` (installed;
//! Composer 1 writes a bare array, Composer 2 an object with `packages`).

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;
use serde_json::Value;

use super::npm::licenses_of;
use super::package::{LockEntry, requires_by_name};
use super::{GraphResult, ParseResult, dedup, from_json, lang_package, warn};

#[derive(Deserialize)]
struct ComposerPackage {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    license: Option<Value>,
    /// Any JSON value: only an object's keys (the package names required) are read.
    #[serde(default)]
    require: Option<Value>,
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
    let (packages, _, diagnostics) = parse_lock_graph(bytes);
    (packages, diagnostics)
}

/// Like [`parse_lock`], with each package's `require` resolved within the lockfile (`php` and
/// `ext-*` are platform requirements, no package: no edge).
pub fn parse_lock_graph(bytes: &[u8]) -> GraphResult {
    match from_json::<ComposerLock>(bytes, "composer.lock") {
        Ok(l) => {
            let all: Vec<&ComposerPackage> = l.packages.iter().chain(&l.packages_dev).collect();
            let entries: Vec<LockEntry<'_>> = all
                .iter()
                .filter_map(|p| {
                    let needs = match &p.require {
                        Some(Value::Object(map)) => map.keys().map(String::as_str).collect(),
                        _ => Vec::new(),
                    };
                    Some((p.name.as_str(), p.version.as_deref()?, needs))
                })
                .collect();
            let requires = requires_by_name(PackageKind::Composer, &entries, str::to_owned);
            (to_packages(all.into_iter(), Evidence::Declared), requires, Vec::new())
        }
        Err(d) => (Vec::new(), Vec::new(), vec![d]),
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
