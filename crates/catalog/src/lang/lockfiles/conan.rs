//! C/C++ Conan lockfiles (`conan.lock`, JSON). Conan 1 (`version` 0.4): the nodes of
//! `graph_lock.nodes` with a `ref` (`name/version[@user/channel][#revision]`; the root node, the
//! consumer, has none). Conan 2 (`version` 0.5): the `requires` list (`name/version#rev%time`);
//! `build_requires` and `python_requires` are build tools, not linked in, and left out.

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;

use crate::lang::{ParseResult, dedup, from_json, lang_package, warn};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    graph_lock: Option<GraphLock>,
    #[serde(default)]
    requires: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct GraphLock {
    #[serde(default)]
    nodes: BTreeMap<String, Node>,
}

#[derive(Deserialize)]
struct Node {
    #[serde(default, rename = "ref")]
    reference: Option<String>,
}

/// Name and version of a Conan reference: `zlib/1.2.12`, `pkgc/0.1.1@user/testing`,
/// `openssl/3.2.2#899583c6%1717540517.968`. `None` when it is not `name/version`.
pub fn split_reference(reference: &str) -> Option<(&str, &str)> {
    let r = reference.split(['#', '%']).next().unwrap_or(reference);
    let r = r.split('@').next().unwrap_or(r).trim();
    let (name, version) = r.split_once('/')?;
    let ok = |s: &str| !s.is_empty() && !s.contains('/');
    (ok(name) && ok(version)).then_some((name, version))
}

/// Parses a `conan.lock` (Conan 1 or 2).
pub fn parse(bytes: &[u8]) -> ParseResult {
    let lock: Lock = match from_json(bytes, "conan.lock") {
        Ok(l) => l,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let refs: Vec<String> = match (lock.requires, lock.graph_lock) {
        (Some(requires), _) => requires,
        (None, Some(graph)) => graph.nodes.into_values().filter_map(|n| n.reference).collect(),
        (None, None) => {
            return (Vec::new(), vec![warn("conan.lock has neither `requires` (Conan 2) nor `graph_lock` (Conan 1)")]);
        }
    };
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    for r in &refs {
        match split_reference(r) {
            Some((name, version)) => pkgs.push(lang_package(PackageKind::Conan, name, version, Evidence::Declared)),
            None => diags.push(warn(format!("conan.lock: cannot read reference {r:?}; skipped"))),
        }
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

#[cfg(test)]
mod tests {
    use super::split_reference;

    #[test]
    fn references() {
        assert_eq!(split_reference("zlib/1.2.12"), Some(("zlib", "1.2.12")));
        assert_eq!(split_reference("pkgc/0.1.1@user/testing"), Some(("pkgc", "0.1.1")));
        assert_eq!(split_reference("openssl/3.2.2#8995%1717540517.968"), Some(("openssl", "3.2.2")));
        assert_eq!(split_reference("wrong/ref/format"), None);
        assert_eq!(split_reference("nothing"), None);
    }
}
