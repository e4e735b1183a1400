//! Dart / Flutter `pubspec.lock` (YAML, read through serde-saphyr): every entry of `packages`,
//! named by its key, at its `version`. SDK packages (`source: sdk`, `flutter_test`) are listed
//! with the version the lockfile gives them, as `dart pub` writes it (Trivy's default too).

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;

use crate::lang::{ParseResult, dedup, lang_package, warn};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Option<BTreeMap<String, Entry>>,
    #[serde(default)]
    sdks: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    version: Option<String>,
}

/// Parses a `pubspec.lock`.
pub fn parse(bytes: &[u8]) -> ParseResult {
    if is_blank(bytes) {
        return (Vec::new(), Vec::new());
    }
    let lock: Lock = match serde_saphyr::from_slice(bytes) {
        Ok(l) => l,
        Err(e) => return (Vec::new(), vec![warn(format!("cannot parse pubspec.lock: {e}"))]),
    };
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    if lock.packages.is_none() && lock.sdks.is_none() {
        diags.push(warn("pubspec.lock has neither `packages` nor `sdks`: not a pub lockfile"));
    }
    for (name, entry) in lock.packages.unwrap_or_default() {
        match entry.version.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => pkgs.push(lang_package(PackageKind::Pub, &name, v, Evidence::Declared)),
            None => diags.push(warn(format!("pubspec.lock: {name} has no version; skipped"))),
        }
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

/// Whether a YAML file holds nothing but blank lines and comments (an empty lockfile).
pub(crate) fn is_blank(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}
