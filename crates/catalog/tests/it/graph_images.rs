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

/// The edges of a lockfile as a short Python program reads it (`tomllib` for poetry and uv, `json`
/// for composer): each package's dependency names resolved by (normalised) name within the file.
fn lock_edges_by_python(kind: &str, lock: &std::path::Path) -> Option<BTreeSet<(String, String)>> {
    let script = "import sys, json, re, tomllib\n\
                  kind, path = sys.argv[1], sys.argv[2]\n\
                  norm = (lambda n: re.sub(r'[-_.]+', '-', n).lower()) if kind != 'composer' else (lambda n: n)\n\
                  if kind == 'composer':\n\
                  \x20   d = json.load(open(path))\n\
                  \x20   pkgs = [(p['name'], p['version'], list((p.get('require') or {}).keys())) for p in d.get('packages', []) + d.get('packages-dev', [])]\n\
                  else:\n\
                  \x20   d = tomllib.load(open(path, 'rb'))\n\
                  \x20   def names(deps):\n\
                  \x20       return list(deps.keys()) if isinstance(deps, dict) else [x['name'] for x in deps or []]\n\
                  \x20   pkgs = [(p['name'], p['version'], names(p.get('dependencies'))) for p in d.get('package', []) if 'version' in p]\n\
                  first = {}\n\
                  for n, v, _ in pkgs: first.setdefault(norm(n), (n, v))\n\
                  for n, v, deps in pkgs:\n\
                  \x20   for dep in deps:\n\
                  \x20       if norm(dep) in first and first[norm(dep)] != (n, v):\n\
                  \x20           t = first[norm(dep)]\n\
                  \x20           print(f'{n}@{v}\\t{t[0]}@{t[1]}')\n";
    let out = std::process::Command::new("python3").args(["-c", script, kind]).arg(lock).output().ok()?;
    if !microscanner_testkit::require(out.status.success(), "python3 with tomllib") {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.lines().filter_map(|l| l.split_once('\t')).map(|(a, b)| (a.to_owned(), b.to_owned())).collect())
}

/// The poetry, uv and composer graphs of real lockfiles (Trivy's and Syft's test data) equal the
/// lockfiles' own, as Python reads them.
#[test]
fn python_and_composer_lock_graphs_equal_their_lockfiles() {
    let fixtures = microscanner_testkit::fixtures_dir();
    let cases = [
        (
            "poetry",
            "pkgdb-trivy/pkg/fanal/analyzer/language/python/poetry/testdata/happy-v2/poetry.lock",
            PackageKind::Pypi,
        ),
        ("uv", "pkgdb-trivy/pkg/fanal/analyzer/language/python/uv/testdata/happy/uv.lock", PackageKind::Pypi),
        (
            "composer",
            "pkgdb-trivy/pkg/fanal/analyzer/language/php/composer/testdata/composer/happy/composer.lock",
            PackageKind::Composer,
        ),
    ];
    for (kind, rel, package_kind) in cases {
        let lock = fixtures.join(rel);
        if !microscanner_testkit::require(lock.exists(), &lock.display().to_string()) {
            continue;
        }
        let Some(want) = lock_edges_by_python(kind, &lock) else { return };
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("app")).unwrap();
        std::fs::copy(&lock, root.path().join("app").join(lock.file_name().unwrap())).unwrap();
        let image = microscanner_image::open(&format!("dir:{}", root.path().display()), &Limits::default()).unwrap();
        let inventory = build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {}).unwrap();
        let label = |i: usize| format!("{}@{}", inventory.packages[i].name, inventory.packages[i].version);
        let got = edges(&inventory, package_kind, label);
        assert!(!want.is_empty(), "{kind}: no edges in the lockfile");
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{kind}: missing {missing:?}, extra {extra:?}");
    }
}

/// Syft's real Gemfile.lock: the gems under each spec are its edges, within the lockfile.
#[test]
fn gemfile_lock_graph() {
    let lock = microscanner_testkit::fixtures_dir().join("pkgdb-syft/syft/pkg/cataloger/ruby/testdata/Gemfile.lock");
    if !microscanner_testkit::require(lock.exists(), &lock.display().to_string()) {
        return;
    }
    let (packages, requires, _) =
        microscanner_catalog::lang::lockfiles::ruby::parse_graph(&std::fs::read(&lock).unwrap());
    let edges: BTreeSet<(String, String)> = requires
        .iter()
        .flat_map(|r| r.needs.iter().flatten().map(move |n| (r.name.to_string(), n.name.to_string())))
        .collect();
    for edge in [
        ("actionmailer", "actionpack"),
        ("actionmailer", "mail"),
        ("actionview", "erubis"),
        ("turbolinks", "coffee-rails"),
    ] {
        assert!(edges.contains(&(edge.0.to_owned(), edge.1.to_owned())), "{edge:?}");
    }
    // every dependency line that names a gem the lockfile locks is an edge (`bundler` and the
    // fixture's `bad-*` gems are not locked)
    let text = std::fs::read_to_string(&lock).unwrap();
    let locked: BTreeSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    let lines = text
        .lines()
        .filter(|l| l.starts_with("      ") && !l.starts_with("       "))
        .filter(|l| l.split_whitespace().next().is_some_and(|name| locked.contains(name)))
        .count();
    assert!(lines > 60, "{lines} dependency lines");
    let resolved: usize = requires.iter().map(|r| r.needs.len()).sum();
    assert_eq!(resolved, lines, "{} packages", packages.len());
}
