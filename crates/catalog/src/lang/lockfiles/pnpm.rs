//! `pnpm-lock.yaml`, lockfile versions 5 to 9, read through serde-saphyr. Package keys are
//! `/name/1.0.0_peer` (v5), `/name@1.0.0(peer)` (v6-v8) or `name@1.0.0` (v9); an entry's own
//! `name`/`version` fields win when present (tarball and git dependencies).

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;

use crate::lang::{ParseResult, dedup, lang_package, warn};

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Num(f64),
    Str(String),
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default, rename = "lockfileVersion")]
    lockfile_version: Option<Scalar>,
    #[serde(default)]
    packages: Option<BTreeMap<String, Entry>>,
}

#[derive(Deserialize, Default)]
struct Entry {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    dev: Option<bool>,
}

/// The major lockfile version (5 for `5.4`, 9 for `'9.0'`).
fn major(v: Option<&Scalar>) -> Option<u32> {
    let s = match v? {
        Scalar::Num(n) => return (n.is_finite() && *n >= 0.0 && *n < 1000.0).then_some(n.trunc() as u32),
        Scalar::Str(s) => s,
    };
    s.split('.').next()?.trim().parse().ok()
}

/// Name and version from a `packages` key.
pub fn split_key(key: &str, major: u32) -> Option<(String, String)> {
    // a local directory or tarball (`file:../pkg`, `link:../pkg`): the key holds a path, not a
    // name; such an entry is named only by its own `name` field
    if key.starts_with("file:") || key.starts_with("link:") {
        return None;
    }
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = k.split('(').next().unwrap_or(k);
    let (name, version) = if major < 6 {
        let i = k.rfind('/')?;
        let v = &k[i + 1..];
        (&k[..i], v.split('_').next().unwrap_or(v))
    } else {
        let i = k.get(1..)?.rfind('@')? + 1;
        (&k[..i], &k[i + 1..])
    };
    if name.is_empty() || version.is_empty() {
        return None;
    }
    Some((name.to_owned(), version.to_owned()))
}

/// Parses a pnpm lockfile. pnpm 10+ may put an environment lockfile (pnpm's own toolchain) as a
/// first YAML document; the project's lockfile is the last document. Development-only packages
/// (`dev: true`, v5-v8) are left out, as pnpm does for production installs.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let docs: Vec<Lock> = match serde_saphyr::from_slice_multiple(bytes) {
        Ok(d) => d,
        Err(e) => return (Vec::new(), vec![warn(format!("cannot parse pnpm-lock.yaml: {e}"))]),
    };
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    if let Some(lock) = docs.into_iter().last()
        && lock.packages.is_some()
    {
        match major(lock.lockfile_version.as_ref()) {
            Some(major) => read_packages(lock, major, &mut pkgs, &mut diags),
            None => diags.push(warn("pnpm-lock.yaml has no usable lockfileVersion")),
        }
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

fn read_packages(
    lock: Lock,
    major: u32,
    pkgs: &mut Vec<microscanner_model::Package>,
    diags: &mut Vec<microscanner_model::Diagnostic>,
) {
    for (key, entry) in lock.packages.unwrap_or_default() {
        if entry.dev == Some(true) {
            continue;
        }
        let parsed = split_key(&key, major);
        let name = entry.name.clone().or_else(|| parsed.as_ref().map(|p| p.0.clone()));
        let version = entry.version.clone().or_else(|| parsed.as_ref().map(|p| p.1.clone()));
        match (name, version) {
            (Some(n), Some(v)) => pkgs.push(lang_package(PackageKind::Npm, &n, &v, Evidence::Declared)),
            _ => diags.push(warn(format!("pnpm-lock.yaml: cannot read package key {key:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_key;

    #[test]
    fn keys() {
        assert_eq!(split_key("/@babel/core/7.0.0_abc", 5), Some(("@babel/core".into(), "7.0.0".into())));
        assert_eq!(split_key("/@babel/core@7.0.0(x@1)", 6), Some(("@babel/core".into(), "7.0.0".into())));
        assert_eq!(split_key("lodash@4.17.21", 9), Some(("lodash".into(), "4.17.21".into())));
    }
}
