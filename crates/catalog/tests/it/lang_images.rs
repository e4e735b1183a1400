//! Language analyzers over the real images that `shared/tools/make-images.sh` builds (at
//! `target/images`, or `$MICROSCANNER_IMAGES`), through the layer walk and the merge, against the
//! ground truth next to each image. A missing image skips its test with a note, except under CI
//! (`CI` set), where it fails (`microscanner_testkit::require`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use microscanner_catalog::lang::python::normalize_name;
use microscanner_catalog::lang::reconcile::reconcile;
use microscanner_catalog::{CatalogOptions, build_inventory};
use microscanner_image::Limits;
use microscanner_model::{Evidence, Package, PackageKind};

/// The archive of a built test image, or `None` when it is not there: a note locally, a failure
/// under CI (`microscanner_testkit::require`).
fn image_archive(image: &str, archive: &str) -> Option<PathBuf> {
    let tar = microscanner_testkit::images_dir()?.join(image).join(archive);
    microscanner_testkit::require(tar.exists(), &format!("the test image {}", tar.display())).then_some(tar)
}

/// Opens a built test image (`None` when it is not built: see [`image_archive`]).
fn open_image(image: &str, archive: &str) -> Option<(PathBuf, microscanner_image::Image)> {
    let tar = image_archive(image, archive)?;
    let kind = if archive.starts_with("oci") { "oci-archive" } else { "docker-archive" };
    let img = microscanner_image::open(&format!("{kind}:{}", tar.display()), &Limits::default()).unwrap();
    Some((tar.parent().unwrap().to_path_buf(), img))
}

/// The language packages of an image (after whiteouts), or `None` if the image is not built.
fn scan(image: &str, archive: &str) -> Option<(PathBuf, Vec<Package>)> {
    let (dir, img) = open_image(image, archive)?;
    let analyzers = microscanner_catalog::lang::analyzers();
    let inv = build_inventory(&img, &analyzers, &CatalogOptions::default(), &|_| {}).unwrap();
    Some((dir, inv.packages.into_iter().filter(|p| !p.kind.is_os()).collect()))
}

fn set(pkgs: &[&Package]) -> BTreeSet<String> {
    pkgs.iter().map(|p| format!("{}=={}", p.name, p.version)).collect()
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

/// Every `name@version` in `npm ls --all --json` output that is not `missing`.
fn npm_tree(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    if let Some(deps) = v.get("dependencies").and_then(|d| d.as_object()) {
        for (name, d) in deps {
            if d.get("missing").is_some() {
                continue;
            }
            if let Some(ver) = d.get("version").and_then(|v| v.as_str()) {
                out.insert(format!("{name}=={ver}"));
            }
            npm_tree(d, out);
        }
    }
}

fn check_image(image: &str, archive: &str) {
    let Some((dir, pkgs)) = scan(image, archive) else { return };
    let installed = |kind: PackageKind, prefix: &str| -> Vec<&Package> {
        pkgs.iter()
            .filter(|p| p.kind == kind && p.evidence != Evidence::Declared && p.location().starts_with(prefix))
            .collect()
    };

    // venv PyPI components = pip list (names compared PEP 503-normalised: bullseye's pip prints
    // `pkg-resources` for the dist-info named `pkg_resources`)
    let norm = |nv: &str| {
        let (n, v) = nv.split_once("==").unwrap();
        format!("{}=={v}", normalize_name(n))
    };
    let want: BTreeSet<String> = read(&dir, "expected-pip.txt").lines().map(norm).collect();
    let got: BTreeSet<String> = set(&installed(PackageKind::Pypi, "/opt/venv/")).iter().map(|s| norm(s)).collect();
    assert_eq!(got, want, "{image}: venv pip");

    // every dist-info / egg-info of the image
    let want: BTreeSet<String> = read(&dir, "expected-python-all.txt")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            format!("{}/ {}=={}", f[0], f[1], f[2])
        })
        .collect();
    let got: BTreeSet<String> = installed(PackageKind::Pypi, "/")
        .iter()
        .map(|p| {
            let dir = p.location().split(".dist-info").next().unwrap().split(".egg-info").next().unwrap();
            let lib = &dir[..dir.rfind('/').unwrap()];
            format!("{lib}/ {}=={}", p.name, p.version)
        })
        .collect();
    assert_eq!(got, want, "{image}: all python dists");

    // npm: the installed tree
    let tree: serde_json::Value = serde_json::from_str(&read(&dir, "expected-npm.json")).unwrap();
    let mut want = BTreeSet::new();
    npm_tree(&tree, &mut want);
    assert_eq!(set(&installed(PackageKind::Npm, "/app/node/node_modules/")), want, "{image}: npm");

    // Rust: the cargo-auditable crates
    let rust: serde_json::Value = serde_json::from_str(&read(&dir, "expected-rust.json")).unwrap();
    let want: BTreeSet<String> = rust["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}=={}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(set(&installed(PackageKind::Cargo, "/usr/local/bin/demo-rust-app")), want, "{image}: rust");

    // Go: per binary, the toolchain as `stdlib` and every dep; versioned main modules too
    let mut want: BTreeSet<String> = BTreeSet::new();
    for l in read(&dir, "expected-go.txt").lines() {
        let f: Vec<&str> = l.split('\t').collect();
        match f[1] {
            "go-version" => {
                let v = microscanner_catalog::lang::gobinary::stdlib_version(f[2]).unwrap();
                want.insert(format!("{} stdlib=={v}", f[0]));
            }
            "dep" | "mod" if f[3] != "(devel)" => {
                want.insert(format!("{} {}=={}", f[0], f[2], f[3]));
            }
            _ => {}
        }
    }
    let got: BTreeSet<String> = pkgs
        .iter()
        .filter(|p| p.kind == PackageKind::Golang && p.evidence == Evidence::Installed)
        .map(|p| format!("{} {}=={}", p.location(), p.name, p.version))
        .collect();
    assert_eq!(got, want, "{image}: go");
    if image == "podman-app" {
        assert!(!got.iter().any(|g| g.starts_with("/usr/local/bin/docker ")), "docker was deleted");
        assert!(!pkgs.iter().any(|p| p.name == "lodash" && p.evidence == Evidence::Installed));
        assert!(!pkgs.iter().any(|p| p.name == "requests" && p.evidence == Evidence::Installed));
    }

    // declared evidence (the package-lock, the pinned requirements) is reconciled by the
    // inventory: installed and declared collapse into one package with `Both`, and reconciling
    // again changes nothing
    let rec = reconcile(pkgs.clone());
    assert_eq!(rec.len(), pkgs.len(), "{image}: the inventory is already reconciled");
    let django: Vec<_> =
        rec.iter().filter(|p| p.kind == PackageKind::Pypi && p.name.eq_ignore_ascii_case("django")).collect();
    assert_eq!(django.len(), 1, "{django:#?}");
    assert_eq!(django[0].evidence, Evidence::Both);
    let express: Vec<_> = rec.iter().filter(|p| p.name == "express").collect();
    assert!(express.iter().all(|p| p.evidence == Evidence::Both), "{express:#?}");
    if image == "podman-app" {
        // lodash is still in the lockfile but no longer installed: declared only
        let lodash: Vec<_> = rec.iter().filter(|p| p.name == "lodash").collect();
        assert_eq!(lodash.len(), 1);
        assert_eq!(lodash[0].evidence, Evidence::Declared);
    }
}

#[test]
fn debian12_app() {
    check_image("debian12-app", "docker-archive.tar");
}

#[test]
fn debian11_app() {
    check_image("debian11-app", "docker-archive.tar");
}

#[test]
fn podman_app() {
    check_image("podman-app", "oci-archive.tar");
}

/// With every default analyzer (dpkg included), reconciliation drops the dist-infos that Debian's
/// `python3-pip`, `python3-setuptools` and `python3-wheel` own, and keeps the venv's own copies.
#[test]
fn debian12_app_os_owned_python_is_attributed_to_dpkg() {
    let Some((_, img)) = open_image("debian12-app", "docker-archive.tar") else { return };
    // Keep OS-owned language packages here, to check reconciliation drops them on its own.
    let options = CatalogOptions { drop_os_owned: false, ..CatalogOptions::default() };
    let inv = build_inventory(&img, &microscanner_catalog::default_analyzers(), &options, &|_| {}).unwrap();
    let in_dist_packages =
        |p: &&Package| p.kind == PackageKind::Pypi && p.location().starts_with("/usr/lib/python3/dist-packages/");
    assert_eq!(inv.packages.iter().filter(in_dist_packages).count(), 3, "pip, setuptools, wheel before reconciling");
    let owners: Vec<_> = inv.packages.iter().filter(|p| p.kind.is_os() && p.name.starts_with("python3-pip")).collect();
    assert!(owners.iter().any(|p| !p.files().is_empty()), "dpkg file lists are attached");

    let rec = reconcile(inv.packages.clone());
    assert_eq!(rec.iter().filter(in_dist_packages).count(), 0);
    assert_eq!(
        rec.iter().filter(|p| p.kind == PackageKind::Pypi && p.location().starts_with("/opt/venv/")).count(),
        10
    );
    assert_eq!(rec.iter().filter(|p| p.kind.is_os()).count(), inv.packages.iter().filter(|p| p.kind.is_os()).count());

    let kept = microscanner_catalog::lang::reconcile::reconcile_with(
        inv.packages.clone(),
        microscanner_catalog::lang::reconcile::ReconcileOptions { drop_os_owned: false },
    );
    assert_eq!(kept.iter().filter(in_dist_packages).count(), 3);

    // The default inventory (what `microscanner sbom` reports) drops them.
    let default =
        build_inventory(&img, &microscanner_catalog::default_analyzers(), &CatalogOptions::default(), &|_| {});
    assert_eq!(default.unwrap().packages.iter().filter(in_dist_packages).count(), 0);
}

/// The sha256 of the file at `path` (absolute) in the image as its runtime sees it (the last
/// layer that has it), computed by Python's `tarfile` and `hashlib` over the docker-archive: an
/// oracle apart from our walk.
fn sha256_in_image(archive: &Path, path: &str) -> String {
    const SCRIPT: &str = r#"
import hashlib, json, sys, tarfile
outer = tarfile.open(sys.argv[1])
member = sys.argv[2].lstrip("/")
found = None
for layer in json.load(outer.extractfile("manifest.json"))[0]["Layers"]:
    inner = tarfile.open(fileobj=outer.extractfile(layer))
    try:
        data = inner.extractfile(member)
    except KeyError:
        continue
    if data is not None:
        found = hashlib.sha256(data.read()).hexdigest()
print(found)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(archive)
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Issue 22, item 4: every package read from a Go or Rust binary carries the sha256 of that
/// binary, computed as the walk streamed it, equal to the file's digest as Python computes it
/// from the image; packages read from metadata files and lockfiles carry none.
#[test]
fn debian12_app_binaries_carry_their_sha256() {
    let Some(tar) = image_archive("debian12-app", "docker-archive.tar") else { return };
    let Some((_, pkgs)) = scan("debian12-app", "docker-archive.tar") else { return };
    let binaries: BTreeSet<&str> = pkgs
        .iter()
        .filter(|p| matches!(p.kind, PackageKind::Golang | PackageKind::Cargo) && p.sha256().is_some())
        .map(Package::location)
        .collect();
    assert!(binaries.len() >= 4, "the Go and Rust binaries of debian12-app: {binaries:?}");
    for location in &binaries {
        let of_file: BTreeSet<String> =
            pkgs.iter().filter(|p| p.location() == *location).map(|p| p.sha256_hex().unwrap_or_default()).collect();
        assert_eq!(of_file, BTreeSet::from([sha256_in_image(&tar, location)]), "{location}");
    }
    for p in pkgs.iter().filter(|p| matches!(p.kind, PackageKind::Pypi | PackageKind::Npm)) {
        assert_eq!(
            p.sha256(),
            None,
            "{} {} at {}: a metadata file is not the package",
            p.name,
            p.version,
            p.location()
        );
    }
}
