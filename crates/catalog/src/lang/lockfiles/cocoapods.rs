//! CocoaPods `Podfile.lock` (YAML, read through serde-saphyr): every entry of `PODS`, a
//! `Name (version)` string or a one-key map from it to the pod's dependencies. Subspecs keep
//! their full name (`AppCenter/Core`); the purl puts the subspec in its subpath. OSV has no
//! CocoaPods ecosystem, so these packages are listed, not matched.

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::lang::{ParseResult, dedup, lang_package, warn};

#[derive(Deserialize)]
struct Lock {
    #[serde(default, rename = "PODS")]
    pods: Option<Vec<Pod>>,
    #[serde(default, rename = "COCOAPODS")]
    cocoapods: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Pod {
    Plain(String),
    WithDependencies(BTreeMap<String, IgnoredAny>),
}

/// Name and version of a `Name (version)` spec.
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let (name, rest) = spec.trim().split_once(" (")?;
    let version = rest.strip_suffix(')')?.trim();
    (!name.is_empty() && !version.is_empty()).then_some((name.trim(), version))
}

/// Parses a `Podfile.lock`.
pub fn parse(bytes: &[u8]) -> ParseResult {
    if super::dart::is_blank(bytes) {
        return (Vec::new(), Vec::new());
    }
    let lock: Lock = match serde_saphyr::from_slice(bytes) {
        Ok(l) => l,
        Err(e) => return (Vec::new(), vec![warn(format!("cannot parse Podfile.lock: {e}"))]),
    };
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    if lock.pods.is_none() && lock.cocoapods.is_none() {
        diags.push(warn("Podfile.lock has neither `PODS` nor `COCOAPODS`: not a CocoaPods lockfile"));
    }
    for pod in lock.pods.unwrap_or_default() {
        let specs: Vec<String> = match pod {
            Pod::Plain(s) => vec![s],
            Pod::WithDependencies(m) => m.into_keys().collect(),
        };
        for spec in specs {
            match split_spec(&spec) {
                Some((name, version)) => pkgs.push(pod_package(name, version)),
                None => diags.push(warn(format!("Podfile.lock: cannot read pod {spec:?}; skipped"))),
            }
        }
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

/// A pod (its subspec, `AppCenter/Core`, goes in the purl's subpath: see `purl_for`).
fn pod_package(name: &str, version: &str) -> microscanner_model::Package {
    lang_package(PackageKind::Cocoapods, name, version, Evidence::Declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_subspec_purls() {
        assert_eq!(split_spec("AppCenter/Core (4.2.0)"), Some(("AppCenter/Core", "4.2.0")));
        assert_eq!(split_spec("AppCenter = 4.2.0"), None);
        assert_eq!(pod_package("AppCenter/Core", "4.2.0").purl(), "pkg:cocoapods/AppCenter@4.2.0#Core");
        assert_eq!(pod_package("KeychainAccess", "4.2.1").purl(), "pkg:cocoapods/KeychainAccess@4.2.1");
    }
}
