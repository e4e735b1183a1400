//! `package-lock.json` / `npm-shrinkwrap.json`, lockfile versions 1 (nested `dependencies`) and
//! 2-3 (flat `packages` keyed by `node_modules/...` paths).

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;

use crate::lang::{ParseResult, dedup, from_json, lang_package, warn};

/// Deepest v1 `dependencies` nesting we follow.
const MAX_DEPTH: usize = 64;

#[derive(Deserialize)]
struct Lock {
    #[serde(default, rename = "lockfileVersion")]
    lockfile_version: Option<serde_json::Value>,
    #[serde(default)]
    packages: Option<BTreeMap<String, V2Package>>,
    #[serde(default)]
    dependencies: Option<BTreeMap<String, V1Dependency>>,
}

#[derive(Deserialize)]
struct V2Package {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    resolved: Option<String>,
}

#[derive(Deserialize)]
struct V1Dependency {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    dependencies: Option<BTreeMap<String, Self>>,
}

/// The package name of a v2 `packages` key: what follows the last `node_modules/`.
fn name_from_key(key: &str) -> Option<&str> {
    key.rfind("node_modules/").map(|i| &key[i + "node_modules/".len()..])
}

/// True for versions that are not a registry version (links, git, file, tarball URLs).
fn is_non_registry(version: &str) -> bool {
    ["file:", "link:", "git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:", "http:", "https:"]
        .iter()
        .any(|p| version.starts_with(p))
}

fn walk_v1(deps: &BTreeMap<String, V1Dependency>, depth: usize, out: &mut ParseResult) {
    if depth > MAX_DEPTH {
        out.1.push(warn("package-lock.json dependencies nest deeper than the limit; the rest is skipped"));
        return;
    }
    for (name, dep) in deps {
        if let Some(v) = &dep.version
            && !is_non_registry(v)
        {
            // an alias (`"x": {"version": "npm:@scope/real@1.0.0"}`) installs the real package
            let (name, v) = match v.strip_prefix("npm:").and_then(|real| {
                let at = real.get(1..)?.rfind('@')? + 1;
                Some((&real[..at], &real[at + 1..]))
            }) {
                Some((n, ver)) => (n, ver),
                None => (name.as_str(), v.as_str()),
            };
            out.0.push(lang_package(PackageKind::Npm, name, v, Evidence::Declared));
        }
        if let Some(children) = &dep.dependencies {
            walk_v1(children, depth + 1, out);
        }
    }
}

/// Parses a package-lock: the `packages` map when present (v2, v3), else the v1 tree.
/// The root project (`""` key) and workspace links are not reported.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let lock: Lock = match from_json(bytes, "package-lock.json") {
        Ok(l) => l,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut out: ParseResult = (Vec::new(), Vec::new());
    if let Some(packages) = &lock.packages {
        for (key, p) in packages {
            if key.is_empty() {
                continue;
            }
            // A workspace member: `node_modules/NAME` links to the member's directory, whose
            // own entry holds the version.
            if p.link {
                let member = p.resolved.as_deref().and_then(|r| packages.get(r));
                if let (Some(name), Some(v)) = (name_from_key(key), member.and_then(|m| m.version.as_deref())) {
                    out.0.push(lang_package(PackageKind::Npm, name, v, Evidence::Declared));
                }
                continue;
            }
            // member directories themselves are reported through their link
            let Some(name) = name_from_key(key).map(|n| p.name.as_deref().unwrap_or(n)) else { continue };
            if let Some(v) = &p.version
                && !is_non_registry(v)
                && !name.is_empty()
            {
                out.0.push(lang_package(PackageKind::Npm, name, v, Evidence::Declared));
            }
        }
    } else if let Some(deps) = &lock.dependencies {
        walk_v1(deps, 0, &mut out);
    } else if lock.lockfile_version.is_none() {
        out.1.push(warn("package-lock.json has neither lockfileVersion nor packages"));
    }
    dedup(&mut out.0);
    out
}
