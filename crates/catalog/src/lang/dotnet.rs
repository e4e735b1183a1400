//! .NET: `*.deps.json` (installed: the `libraries` of type `package`) and NuGet
//! `packages.lock.json` (declared: every target framework's resolved packages).

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;

use super::{ParseResult, dedup, from_json, lang_package};

#[derive(Deserialize)]
struct DepsJson {
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
    #[serde(default, rename = "runtimeTarget")]
    runtime_target: Option<RuntimeTarget>,
    #[serde(default)]
    targets: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct RuntimeTarget {
    #[serde(default)]
    name: Option<String>,
}

/// True when the runtime target lists `key` without any runtime asset (`runtime`, `native`,
/// `runtimeTargets`, `resources`): a reference or meta package that ships no code.
fn without_runtime_assets(deps: &DepsJson, key: &str) -> bool {
    let Some(target) = deps.runtime_target.as_ref().and_then(|t| t.name.as_deref()).and_then(|n| deps.targets.get(n))
    else {
        return false;
    };
    match target.get(key).and_then(serde_json::Value::as_object) {
        Some(entry) => !["runtime", "native", "runtimeTargets", "resources"].iter().any(|k| entry.contains_key(*k)),
        None => false,
    }
}

#[derive(Deserialize)]
struct Library {
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// Parses a `.deps.json`: `libraries` keys `Name/Version` of type `package` (and the `project`
/// entries: the application and its project references), minus those the runtime target lists
/// without any runtime asset.
pub fn parse_deps_json(bytes: &[u8]) -> ParseResult {
    let deps: DepsJson = match from_json(bytes, ".deps.json") {
        Ok(d) => d,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut pkgs: Vec<_> = deps
        .libraries
        .iter()
        .filter(|(_, l)| {
            l.kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("package") || k.eq_ignore_ascii_case("project"))
        })
        .filter(|(key, _)| !without_runtime_assets(&deps, key))
        .filter_map(|(key, _)| {
            let (name, version) = key.split_once('/')?;
            Some(lang_package(PackageKind::Nuget, name, version, Evidence::Installed))
        })
        .collect();
    dedup(&mut pkgs);
    (pkgs, Vec::new())
}

#[derive(Deserialize)]
struct PackagesLock {
    #[serde(default)]
    dependencies: BTreeMap<String, BTreeMap<String, LockEntry>>,
}

#[derive(Deserialize)]
struct LockEntry {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    resolved: Option<String>,
}

/// Parses a NuGet `packages.lock.json`; project references are not packages.
pub fn parse_packages_lock(bytes: &[u8]) -> ParseResult {
    let lock: PackagesLock = match from_json(bytes, "packages.lock.json") {
        Ok(l) => l,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut pkgs: Vec<_> = lock
        .dependencies
        .values()
        .flat_map(|m| m.iter())
        .filter(|(_, e)| !e.kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("project")))
        .filter_map(|(name, e)| {
            Some(lang_package(PackageKind::Nuget, name, e.resolved.as_deref()?, Evidence::Declared))
        })
        .collect();
    dedup(&mut pkgs);
    (pkgs, Vec::new())
}
