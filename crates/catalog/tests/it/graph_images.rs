//! The dependency graph of the real debian12-app image (built by `shared/tools/make-images.sh`)
//! against what the image's own tools say: the dpkg graph against `expected-dpkg-depends.txt`
//! (`dpkg-query` in the image: `Pre-Depends`, `Depends`, `Provides` of every installed package),
//! the npm graph against `expected-npm.json` (`npm ls --all --json` in the image). A missing
//! image skips with a note, except under CI (`microscanner_testkit::require`).

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use microscanner_catalog::{CatalogOptions, build_inventory, default_analyzers};
use microscanner_image::Limits;
use microscanner_model::{Inventory, PackageKind};

/// The inventory of debian12-app and its folder, or `None` when the image is not built.
fn debian12_app() -> Option<(PathBuf, Inventory)> {
    let dir = microscanner_testkit::images_dir()?.join("debian12-app");
    let tar = dir.join("docker-archive.tar");
    if !microscanner_testkit::require(tar.exists(), &format!("the test image {}", tar.display())) {
        return None;
    }
    let image = microscanner_image::open(&format!("docker-archive:{}", tar.display()), &Limits::default()).unwrap();
    let inventory = build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {}).unwrap();
    Some((dir, inventory))
}

/// The edges of `kind` as `from → to` labels made by `label`.
fn edges(inventory: &Inventory, kind: PackageKind, label: impl Fn(usize) -> String) -> BTreeSet<(String, String)> {
    inventory
        .dependencies
        .iter()
        .map(|&[from, to]| (from as usize, to as usize))
        .filter(|&(from, to)| inventory.packages[from].kind == kind && inventory.packages[to].kind == kind)
        .map(|(from, to)| (label(from), label(to)))
        .collect()
}

/// The names of a `dpkg-query` relationship field, as alternatives per requirement.
fn relation_names(field: &str) -> Vec<Vec<String>> {
    field
        .split(',')
        .map(|req| {
            req.split('|')
                .filter_map(|alt| alt.split_whitespace().next())
                .map(|name| name.split(':').next().unwrap_or(name).to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|alts| !alts.is_empty())
        .collect()
}

/// The graph `expected-dpkg-depends.txt` implies: each requirement of an installed package is an
/// edge to its first alternative that is installed, or else to the installed package providing it.
fn dpkg_graph_of_ground_truth(text: &str) -> BTreeSet<(String, String)> {
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let installed: BTreeSet<&str> = rows.iter().map(|r| r[0]).collect();
    let mut providers: BTreeMap<String, String> = BTreeMap::new();
    for row in &rows {
        for virtual_name in relation_names(row.get(3).unwrap_or(&"")).into_iter().flatten() {
            providers.entry(virtual_name).or_insert_with(|| row[0].to_owned());
        }
    }
    let mut graph = BTreeSet::new();
    for row in &rows {
        let needs = [row.get(1).unwrap_or(&""), row.get(2).unwrap_or(&"")].map(|f| relation_names(f)).concat();
        for alternatives in needs {
            let to = alternatives
                .iter()
                .find(|a| installed.contains(a.as_str()))
                .cloned()
                .or_else(|| alternatives.iter().find_map(|a| providers.get(a).cloned()));
            if let Some(to) = to.filter(|to| to != row[0]) {
                graph.insert((row[0].to_owned(), to));
            }
        }
    }
    graph
}

/// Every `parent@version → child@version` of an `npm ls --all --json` tree (below the root
/// project, which is no package).
fn npm_ls_edges(node: &serde_json::Value, label: Option<&str>, out: &mut BTreeSet<(String, String)>) {
    let Some(children) = node.get("dependencies").and_then(|d| d.as_object()) else { return };
    for (name, child) in children {
        let Some(version) = child.get("version").and_then(|v| v.as_str()) else { continue };
        let child_label = format!("{name}@{version}");
        if let Some(parent) = label {
            out.insert((parent.to_owned(), child_label.clone()));
        }
        npm_ls_edges(child, Some(&child_label), out);
    }
}

#[test]
fn debian12_app_dependency_graphs_equal_the_image_s_own_tools() {
    let Some((dir, inventory)) = debian12_app() else { return };
    let names = |i: usize| inventory.packages[i].name.to_string();
    let got = edges(&inventory, PackageKind::Deb, names);
    let want = dpkg_graph_of_ground_truth(&std::fs::read_to_string(dir.join("expected-dpkg-depends.txt")).unwrap());
    assert!(want.len() > 300, "{} edges in the ground truth", want.len());
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "dpkg graph: missing {missing:?}, extra {extra:?}");

    let label = |i: usize| format!("{}@{}", inventory.packages[i].name, inventory.packages[i].version);
    let got = edges(&inventory, PackageKind::Npm, label);
    let tree: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected-npm.json")).unwrap()).unwrap();
    let mut want = BTreeSet::new();
    npm_ls_edges(&tree, None, &mut want);
    assert!(want.len() > 80, "{} edges in npm ls", want.len());
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(missing.is_empty() && extra.is_empty(), "npm graph: missing {missing:?}, extra {extra:?}");
}

/// The edges of a `Cargo.lock` as Python's own TOML reader (`tomllib`) reads them: each
/// `dependencies` entry (`name`, `name version`, `name version (source)`) to the package of that
/// name, and version when given. `None` when python3 (3.11+) is missing.
fn cargo_lock_edges_by_python(lock: &std::path::Path) -> Option<BTreeSet<(String, String)>> {
    let script = "import sys, tomllib\n\
                  pkgs = tomllib.load(open(sys.argv[1], 'rb')).get('package', [])\n\
                  versions = {}\n\
                  for p in pkgs: versions.setdefault(p['name'], []).append(p['version'])\n\
                  for p in pkgs:\n\
                  \x20   for d in p.get('dependencies', []):\n\
                  \x20       w = d.split()\n\
                  \x20       v = w[1] if len(w) > 1 else versions[w[0]][0]\n\
                  \x20       print(f\"{p['name']}@{p['version']}\\t{w[0]}@{v}\")\n";
    let out = std::process::Command::new("python3").args(["-c", script]).arg(lock).output().ok()?;
    if !microscanner_testkit::require(out.status.success(), "python3 with tomllib") {
        return None;
    }
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.lines().filter_map(|l| l.split_once('\t')).map(|(a, b)| (a.to_owned(), b.to_owned())).collect())
}

/// The Cargo graph of real lockfiles (this workspace's own, Syft's test lockfile with git
/// dependencies) equals the lockfile's, as another TOML reader sees it.
#[test]
fn cargo_lock_graphs_equal_their_lockfiles() {
    let workspace_lock = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock");
    let syft_lock = microscanner_testkit::fixtures_dir()
        .join("pkgdb-syft/syft/pkg/cataloger/rust/testdata/Cargo.lock-with-git-deps")
        .display()
        .to_string();
    for lock in [workspace_lock, syft_lock.as_str()] {
        let lock = std::path::Path::new(lock);
        if !microscanner_testkit::require(lock.exists(), &lock.display().to_string()) {
            continue;
        }
        let Some(want) = cargo_lock_edges_by_python(lock) else { return };
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("app")).unwrap();
        std::fs::copy(lock, root.path().join("app/Cargo.lock")).unwrap();
        let image = microscanner_image::open(&format!("dir:{}", root.path().display()), &Limits::default()).unwrap();
        let inventory = build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {}).unwrap();
        let label = |i: usize| format!("{}@{}", inventory.packages[i].name, inventory.packages[i].version);
        let got = edges(&inventory, PackageKind::Cargo, label);
        assert!(want.len() > 10, "{}: {} edges", lock.display(), want.len());
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{}: missing {missing:?}, extra {extra:?}", lock.display());
    }
}
