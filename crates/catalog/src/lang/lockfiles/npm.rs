//! `package-lock.json` / `npm-shrinkwrap.json`, lockfile versions 1 (nested `dependencies`) and
//! 2-3 (flat `packages` keyed by `node_modules/...` paths).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;
use serde::de::{MapAccess, Visitor};

use crate::lang::{GraphResult, ParseResult, dedup, from_json, lang_package, warn};
use crate::{Needed, Requires};

/// Deepest v1 `dependencies` nesting we follow.
const MAX_DEPTH: usize = 64;

#[derive(Deserialize)]
struct Lock {
    #[serde(default, rename = "lockfileVersion")]
    lockfile_version: Option<serde_json::Value>,
    #[serde(default)]
    packages: Option<V2Packages>,
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
    /// Any JSON value: only an object's keys are read, and anything else loses the entry's
    /// edges, not the lockfile.
    #[serde(default)]
    dependencies: Option<serde_json::Value>,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: Option<serde_json::Value>,
    #[serde(default, rename = "peerDependencies")]
    peer_dependencies: Option<serde_json::Value>,
}

impl V2Package {
    /// The names this entry depends on (`dependencies`, `optionalDependencies`,
    /// `peerDependencies`), in order, each once.
    fn dependency_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for map in [&self.dependencies, &self.optional_dependencies, &self.peer_dependencies] {
            if let Some(serde_json::Value::Object(map)) = map {
                names.extend(map.keys().filter(|k| !names.contains(k)).cloned().collect::<Vec<_>>());
            }
        }
        names
    }
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

/// The v2/v3 `packages` map, read entry by entry (never held as a map: a lock of a million
/// entries costs its packages, not the packages and a parsed copy of the file).
#[derive(Default)]
struct V2Packages {
    /// The registry packages, in file order.
    found: Vec<microscanner_model::Package>,
    /// Workspace links: (the name installed under `node_modules`, the key the link resolves to).
    links: Vec<(String, String)>,
    /// The version of each entry outside `node_modules` (workspace members, `file:` folders):
    /// what a link resolves to. npm writes links only to such folders.
    folders: HashMap<String, String>,
    /// Each registry entry's key → its name and version, for resolving the graph.
    installed: HashMap<String, (String, String)>,
    /// Each registry entry that depends on something: its key and the names it needs.
    needs: Vec<(String, Vec<String>)>,
}

impl V2Packages {
    /// Takes in one entry of the map.
    fn add(&mut self, key: &str, p: V2Package) {
        if key.is_empty() {
            return; // the root project
        }
        let Some(name) = name_from_key(key) else {
            // a member directory: reported through its link
            if let Some(version) = p.version {
                self.folders.insert(key.to_owned(), version);
            }
            return;
        };
        if p.link {
            if let Some(resolved) = p.resolved {
                self.links.push((name.to_owned(), resolved));
            }
            return;
        }
        let name = p.name.as_deref().unwrap_or(name);
        if let Some(v) = &p.version
            && !is_non_registry(v)
            && !name.is_empty()
        {
            self.found.push(lang_package(PackageKind::Npm, name, v, Evidence::Declared));
            let needs = p.dependency_names();
            if !needs.is_empty() {
                self.needs.push((key.to_owned(), needs));
            }
            self.installed.insert(key.to_owned(), (name.to_owned(), v.clone()));
        }
    }

    /// What each registry entry requires, resolved as Node does: `KEY/node_modules/NAME`, then
    /// the same in each enclosing `node_modules` folder, up to the top-level `node_modules/NAME`.
    fn requires(&self) -> Vec<Requires> {
        let resolve = |key: &str, name: &str| -> Option<&(String, String)> {
            let mut base = key;
            for _ in 0..MAX_DEPTH {
                let candidate = if base.is_empty() {
                    format!("node_modules/{name}")
                } else {
                    format!("{base}/node_modules/{name}")
                };
                if let Some(found) = self.installed.get(&candidate) {
                    return Some(found);
                }
                if base.is_empty() {
                    return None;
                }
                // the package folder enclosing this one (`node_modules/a` for
                // `node_modules/a/node_modules/b`), then the root
                base = base.rfind("/node_modules/").map_or("", |at| &base[..at]);
            }
            // nested deeper than any real tree: the top level only
            self.installed.get(&format!("node_modules/{name}"))
        };
        self.needs
            .iter()
            .filter_map(|(key, names)| {
                let (name, version) = self.installed.get(key)?;
                let needs = names
                    .iter()
                    .filter_map(|n| resolve(key, n))
                    .map(|(n, v)| vec![Needed::exact(n.as_str(), v.as_str())])
                    .collect();
                Some(Requires {
                    kind: PackageKind::Npm,
                    name: name.as_str().into(),
                    version: version.as_str().into(),
                    needs,
                    provides: Vec::new(),
                })
            })
            .collect()
    }

    /// The packages: the registry ones, then each link with its member's version.
    fn into_packages(self) -> Vec<microscanner_model::Package> {
        let Self { mut found, links, folders, .. } = self;
        for (name, resolved) in links {
            if let Some(v) = folders.get(&resolved) {
                found.push(lang_package(PackageKind::Npm, &name, v, Evidence::Declared));
            }
        }
        found
    }
}

impl<'de> Deserialize<'de> for V2Packages {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(V2PackagesVisitor)
    }
}

/// Reads the `packages` map one entry at a time into [`V2Packages`].
struct V2PackagesVisitor;

impl<'de> Visitor<'de> for V2PackagesVisitor {
    type Value = V2Packages;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map of package paths to package entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V2Packages, A::Error> {
        let mut packages = V2Packages::default();
        while let Some((key, entry)) = map.next_entry::<String, V2Package>()? {
            packages.add(&key, entry);
        }
        Ok(packages)
    }
}

/// Parses a package-lock: the `packages` map when present (v2, v3), else the v1 tree.
/// The root project (`""` key) and workspace links are not reported.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let (packages, _, diagnostics) = parse_graph(bytes);
    (packages, diagnostics)
}

/// Like [`parse`], with the graph of a v2/v3 lock (each entry's dependencies, resolved to the
/// entries Node would load); a v1 lock gives none.
pub fn parse_graph(bytes: &[u8]) -> GraphResult {
    match from_json(bytes, "package-lock.json") {
        Ok(lock) => packages(lock),
        Err(d) => (Vec::new(), Vec::new(), vec![d]),
    }
}

/// [`parse_graph`] of a package-lock as it streams: its bytes are never held whole (a lock of a
/// million entries is about 45 MiB of JSON).
pub fn parse_reader(content: &mut dyn Read) -> GraphResult {
    match serde_json::from_reader(io::BufReader::with_capacity(64 * 1024, content)) {
        Ok(lock) => packages(lock),
        Err(e) => (Vec::new(), Vec::new(), vec![warn(format!("cannot parse package-lock.json: {e}"))]),
    }
}

/// The packages and graph of a parsed lock.
fn packages(lock: Lock) -> GraphResult {
    let mut out: ParseResult = (Vec::new(), Vec::new());
    let mut requires = Vec::new();
    if let Some(packages) = lock.packages {
        requires = packages.requires();
        out.0 = packages.into_packages();
    } else if let Some(deps) = &lock.dependencies {
        walk_v1(deps, 0, &mut out);
    } else if lock.lockfile_version.is_none() {
        out.1.push(warn("package-lock.json has neither lockfileVersion nor packages"));
    }
    dedup(&mut out.0);
    (out.0, requires, out.1)
}
