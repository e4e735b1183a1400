//! sbt `build.sbt.lock` (sbt-dependency-lock, JSON `lockVersion` 1): every dependency used in a
//! `compile` or `runtime` configuration, named `org:name` as Maven names it. Test-only
//! dependencies are left out, as they are not shipped (Trivy does the same).

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;

use crate::lang::{ParseResult, dedup, from_json, lang_package, warn};

#[derive(Deserialize)]
struct Lock {
    #[serde(default, rename = "lockVersion")]
    lock_version: Option<serde_json::Value>,
    #[serde(default)]
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    #[serde(default)]
    org: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    configurations: Vec<String>,
}

/// Parses a `build.sbt.lock`.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let lock: Lock = match from_json(bytes, "build.sbt.lock") {
        Ok(l) => l,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut diags = Vec::new();
    if lock.lock_version.as_ref().and_then(serde_json::Value::as_u64) != Some(1) {
        diags.push(warn("build.sbt.lock: lockVersion is not 1; read as version 1"));
    }
    let mut pkgs = Vec::new();
    for d in &lock.dependencies {
        if !d.configurations.iter().any(|c| c == "compile" || c == "runtime") {
            continue;
        }
        if d.org.is_empty() || d.name.is_empty() || d.version.is_empty() {
            diags.push(warn(format!("build.sbt.lock: dependency {}:{} lacks a field; skipped", d.org, d.name)));
            continue;
        }
        pkgs.push(lang_package(PackageKind::Maven, &format!("{}:{}", d.org, d.name), &d.version, Evidence::Declared));
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}
