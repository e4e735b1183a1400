//! The dependency graph: what packages declared they need ([`Requires`], from every surviving
//! evidence file), resolved to the inventory's packages once the layers are merged and the list
//! is final, as `[from, to]` index pairs.
//!
//! A requirement is a list of alternatives; the first one present is the edge (dpkg's
//! `gpgv | gpgv2`). An alternative names a package, or a virtual name some package provides
//! (`Provides`); with a version (a lockfile's resolved graph) only that version matches. The
//! dependent package and its dependencies are looked up among the packages of the same kind,
//! preferring those found in the same evidence file (two lockfiles may pin the same package).
//! What resolves to nothing (a dependency not installed) is no edge: the graph shows what is
//! there.

use std::collections::HashMap;

use microscanner_model::{Package, PackageKind};

use crate::{Needed, Requires};

/// The edges `requires` (each with the location of its evidence file) give over `packages`:
/// sorted, each once, no self-loops.
pub(crate) fn resolve(packages: &[Package], requires: &[(String, Requires)]) -> Vec<[u32; 2]> {
    if requires.is_empty() {
        return Vec::new();
    }
    let index = Index::new(packages, requires);
    let mut edges = Vec::new();
    for (location, r) in requires {
        let Some(from) = index.package(r.kind, &r.name, Some(&r.version), location) else { continue };
        for alternatives in &r.needs {
            if let Some(to) = alternatives.iter().find_map(|n| index.needed(r.kind, n, location))
                && to != from
            {
                edges.push([from, to]);
            }
        }
    }
    edges.sort_unstable();
    edges.dedup();
    edges
}

/// The most candidates of one name (and version) searched for one in the same evidence file:
/// a hostile database of 250,000 stanzas of one name costs a bounded search per edge, not a
/// quadratic one.
const MAX_CANDIDATES: usize = 16;

/// The packages by kind and name, by kind, name and version, and the providers of virtual names.
struct Index<'a> {
    packages: &'a [Package],
    by_name: HashMap<(PackageKind, &'a str), Vec<u32>>,
    by_version: HashMap<(PackageKind, &'a str, &'a str), Vec<u32>>,
    providers: HashMap<(PackageKind, &'a str), Vec<u32>>,
}

impl<'a> Index<'a> {
    fn new(packages: &'a [Package], requires: &'a [(String, Requires)]) -> Self {
        let mut by_name: HashMap<(PackageKind, &str), Vec<u32>> = HashMap::new();
        let mut by_version: HashMap<(PackageKind, &str, &str), Vec<u32>> = HashMap::new();
        for (i, p) in packages.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            by_name.entry((p.kind, p.name.as_str())).or_default().push(i);
            by_version.entry((p.kind, p.name.as_str(), p.version.as_str())).or_default().push(i);
        }
        let mut index = Self { packages, by_name, by_version, providers: HashMap::new() };
        let mut providers: HashMap<(PackageKind, &str), Vec<u32>> = HashMap::new();
        for (location, r) in requires.iter().filter(|(_, r)| !r.provides.is_empty()) {
            if let Some(provider) = index.package(r.kind, &r.name, Some(&r.version), location) {
                for name in &r.provides {
                    providers.entry((r.kind, name.as_str())).or_default().push(provider);
                }
            }
        }
        index.providers = providers;
        index
    }

    /// The package of `kind` named `name` (at `version`, when given), preferring one found at
    /// `location` among the first [`MAX_CANDIDATES`].
    fn package(&self, kind: PackageKind, name: &str, version: Option<&str>, location: &str) -> Option<u32> {
        let candidates = match version {
            Some(version) => self.by_version.get(&(kind, name, version))?,
            None => self.by_name.get(&(kind, name))?,
        };
        let here = |i: &&u32| self.packages.get(**i as usize).is_some_and(|p| p.location() == location);
        candidates.iter().take(MAX_CANDIDATES).find(here).or(candidates.first()).copied()
    }

    /// The package that satisfies `needed`: one of that name, else a provider of that name.
    fn needed(&self, kind: PackageKind, needed: &Needed, location: &str) -> Option<u32> {
        self.package(kind, &needed.name, needed.version.as_deref(), location).or_else(|| {
            needed
                .version
                .is_none()
                .then(|| self.providers.get(&(kind, needed.name.as_str()))?.first().copied())
                .flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deb(name: &str) -> Package {
        Package::new(PackageKind::Deb, name, "1").with_location("/var/lib/dpkg/status")
    }

    fn requires(name: &str, needs: &[&[&str]], provides: &[&str]) -> (String, Requires) {
        let needs = needs.iter().map(|alts| alts.iter().map(|n| Needed::any(*n)).collect()).collect();
        let provides = provides.iter().map(|p| (*p).into()).collect();
        (
            "/var/lib/dpkg/status".into(),
            Requires { kind: PackageKind::Deb, name: name.into(), version: "1".into(), needs, provides },
        )
    }

    #[test]
    fn alternatives_virtual_names_and_missing_dependencies() {
        let packages = [deb("apt"), deb("gpgv"), deb("libc6"), deb("mawk")];
        let requires = [
            requires("apt", &[&["gpgv2", "gpgv"], &["libc6"], &["not-installed"]], &[]),
            requires("mawk", &[&["libc6"]], &["awk"]),
            requires("libc6", &[&["awk"], &["libc6"]], &[]),
        ];
        assert_eq!(resolve(&packages, &requires), [[0, 1], [0, 2], [2, 3], [3, 2]]);
    }

    #[test]
    fn many_packages_of_one_name_resolve_in_bounded_time() {
        // quadratic in the worst case would be 4e10 steps: this finishes in well under a second
        let packages: Vec<Package> = (0..200_000).map(|_| deb("a")).collect();
        let requires: Vec<_> = (0..200_000).map(|_| requires("a", &[&["a"], &["b"]], &["b"])).collect();
        assert!(resolve(&packages, &requires).is_empty(), "every edge is a self-loop");
    }

    #[test]
    fn pinned_versions_and_locations() {
        let npm = |name: &str, version: &str, at: &str| Package::new(PackageKind::Npm, name, version).with_location(at);
        let packages = [
            npm("a", "1", "/x/package-lock.json"),
            npm("b", "1", "/y/package-lock.json"),
            npm("b", "2", "/x/package-lock.json"),
            npm("a", "1", "/y/package-lock.json"),
        ];
        let r = Requires {
            kind: PackageKind::Npm,
            name: "a".into(),
            version: "1".into(),
            needs: vec![vec![Needed::exact("b", "1")]],
            provides: vec![],
        };
        assert_eq!(resolve(&packages, &[("/y/package-lock.json".into(), r.clone())]), [[3, 1]]);
        assert_eq!(resolve(&packages, &[("/x/package-lock.json".into(), r)]), [[0, 1]], "b@1 is only in /y");
    }
}
