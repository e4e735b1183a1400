//! Reconciliation of language packages after whiteouts are applied: installed and declared
//! evidence of the same package become one package with [`Evidence::Both`]; declared-only
//! packages stay [`Evidence::Declared`] (reported once even when several lockfiles name them);
//! and, optionally, language packages whose evidence file an OS package owns are dropped, since
//! the OS package already stands for them (Debian's `python3-pip` owns
//! `/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/`).

use std::borrow::Cow;
use std::collections::HashSet;

use microscanner_model::{Evidence, Package, PackageKind};

use super::python::normalize_name;

/// What [`reconcile_with`] does beyond merging evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileOptions {
    /// Drop language packages whose evidence file (or its directory) an OS package owns.
    pub drop_os_owned: bool,
}

impl Default for ReconcileOptions {
    fn default() -> Self {
        Self { drop_os_owned: true }
    }
}

/// [`reconcile_with`] with the default options (OS-owned language packages are dropped).
pub fn reconcile(packages: Vec<Package>) -> Vec<Package> {
    reconcile_with(packages, ReconcileOptions::default())
}

/// The key two pieces of evidence must share to be the same package: kind, the name as the
/// ecosystem compares it (PEP 503 for PyPI, case-insensitive for NuGet and Composer) and the
/// version (PyPI trailing `.0` release segments ignored: `2.2.0` == `2.2`).
fn key(p: &Package) -> (PackageKind, Cow<'_, str>, Cow<'_, str>) {
    match p.kind {
        PackageKind::Pypi => (p.kind, Cow::Owned(normalize_name(&p.name)), Cow::Owned(pep440_trim(&p.version))),
        PackageKind::Nuget | PackageKind::Composer => (
            p.kind,
            Cow::Owned(p.name.as_str().to_ascii_lowercase()),
            Cow::Owned(p.version.as_str().to_ascii_lowercase()),
        ),
        PackageKind::Golang => {
            (p.kind, Cow::Borrowed(p.name.as_str()), Cow::Borrowed(p.version.trim_start_matches('v')))
        }
        _ => (p.kind, Cow::Borrowed(p.name.as_str()), Cow::Borrowed(p.version.as_str())),
    }
}

/// A PEP 440 version with trailing zero release segments removed, lowercased.
fn pep440_trim(v: &str) -> String {
    let v = v.trim().to_ascii_lowercase();
    let v = v.strip_prefix('v').unwrap_or(&v);
    let end = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (release, rest) = v.split_at(end);
    let mut parts: Vec<&str> = release.split('.').collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.chars().all(|c| c == '0') && !p.is_empty()) {
        parts.pop();
    }
    format!("{}{rest}", parts.join("."))
}

/// The file path of a location, without a nested-archive suffix (`/a.war!WEB-INF/lib/b.jar`).
fn file_of(location: &str) -> &str {
    location.split('!').next().unwrap_or(location)
}

/// True when the file at `location` is in `owned`, or one of its parent directories is and that
/// directory lies inside a package tree (below `site-packages`, `dist-packages` or
/// `node_modules`: a `*.dist-info` directory a deb ships). Shared directories such as
/// `/usr/local/bin`, which OS packages list too, never make the files in them OS-owned.
fn owned_by_os(location: &str, owned: &HashSet<&str>) -> bool {
    let file = file_of(location).trim_end_matches('/');
    if owned.contains(file) {
        return true;
    }
    let is_tree_root =
        |p: &str| p.ends_with("site-packages") || p.ends_with("dist-packages") || p.ends_with("node_modules");
    let mut parents = Vec::new();
    let mut path = file;
    while let Some(i) = path.rfind('/').filter(|&i| i > 0) {
        path = &path[..i];
        if is_tree_root(path) {
            return parents.iter().any(|p| owned.contains(p));
        }
        parents.push(path);
    }
    false
}

/// Reconciles the packages of one image (OS packages pass through unchanged).
pub fn reconcile_with(mut packages: Vec<Package>, options: ReconcileOptions) -> Vec<Package> {
    // In place: no second list of every package, and no copied names (the keys borrow).
    if options.drop_os_owned {
        let keep: Vec<bool> = {
            let owned: HashSet<&str> = packages
                .iter()
                .filter(|p| p.kind.is_os())
                .flat_map(|p| p.files().iter().map(|f| f.trim_end_matches('/')))
                .collect();
            let dropped =
                |p: &Package| !p.kind.is_os() && p.evidence != Evidence::Declared && owned_by_os(p.location(), &owned);
            packages.iter().map(|p| !dropped(p)).collect()
        };
        let mut keep = keep.into_iter();
        packages.retain(|_| keep.next().unwrap_or(true));
    }
    let mut decisions = evidence_decisions(&packages).into_iter();
    packages.retain_mut(|p| match decisions.next() {
        Some(Some(evidence)) => {
            p.evidence = evidence;
            true
        }
        Some(None) => false,
        None => true,
    });
    packages
}

/// For each package, its evidence once the lockfiles and the installed metadata are put
/// together, or `None` when it is dropped (a declaration folded into the installed package, or
/// one already reported). OS packages keep theirs.
///
/// The language packages are sorted by [`key`] (as indices: 4 bytes each, and the keys borrow
/// the names), so each group of equal keys is decided on its own, with no set of every key:
/// a lockfile of a million entries costs a million indices, not a million hashed keys.
fn evidence_decisions(packages: &[Package]) -> Vec<Option<Evidence>> {
    let mut decisions: Vec<Option<Evidence>> = packages.iter().map(|p| Some(p.evidence)).collect();
    let at = |i: u32| packages.get(i as usize);
    let mut order: Vec<u32> = (0..packages.len())
        .filter(|&i| packages.get(i).is_some_and(|p| !p.kind.is_os()))
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    // by key, then by position: within a group the first declaration is the first in the image
    order.sort_unstable_by(|&a, &b| at(a).map(key).cmp(&at(b).map(key)).then(a.cmp(&b)));
    for group in order.chunk_by(|&a, &b| at(a).map(key) == at(b).map(key)) {
        let members = || group.iter().filter_map(|&i| at(i));
        let installed = members().any(|p| p.evidence != Evidence::Declared);
        let declared = members().any(|p| p.evidence != Evidence::Installed);
        let mut declaration_kept = false;
        for (&i, p) in group.iter().zip(members()) {
            let decision = if p.evidence == Evidence::Declared {
                // folded into the installed package, or already reported
                let dropped = installed || declaration_kept;
                declaration_kept = true;
                (!dropped).then_some(Evidence::Declared)
            } else if declared {
                Some(Evidence::Both)
            } else {
                Some(p.evidence)
            };
            if let Some(slot) = decisions.get_mut(i as usize) {
                *slot = decision;
            }
        }
    }
    decisions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::lang_package;

    #[test]
    fn shared_directories_do_not_make_binaries_os_owned() {
        let deb = lang_package(PackageKind::Deb, "base-files", "12.4", Evidence::Installed)
            .with_files(vec!["/usr/local/bin/".into(), "/usr/bin/docker".into()]);
        let app = lang_package(PackageKind::Cargo, "smallvec", "1.6.0", Evidence::Installed)
            .with_location("/usr/local/bin/demo-rust-app");
        let owned = lang_package(PackageKind::Golang, "stdlib", "go1.24.3", Evidence::Installed)
            .with_location("/usr/bin/docker");
        let kept = reconcile(vec![deb, app, owned]);
        assert!(kept.iter().any(|p| p.name == "smallvec"), "{kept:?}");
        assert!(!kept.iter().any(|p| p.name == "stdlib"), "the deb's own file: {kept:?}");
    }

    #[test]
    fn both_declared_and_os_owned() {
        let deb = lang_package(PackageKind::Deb, "python3-pip", "23.0.1+dfsg-1", Evidence::Installed)
            .with_files(vec!["/usr/lib/python3/dist-packages/pip-23.0.1.dist-info".into()]);
        let pkgs = vec![
            deb,
            lang_package(PackageKind::Pypi, "pip", "23.0.1", Evidence::Installed)
                .with_location("/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA"),
            lang_package(PackageKind::Pypi, "pip", "23.0.1", Evidence::Installed)
                .with_location("/opt/venv/lib/python3.11/site-packages/pip-23.0.1.dist-info/METADATA"),
            lang_package(PackageKind::Pypi, "Django", "2.2", Evidence::Installed)
                .with_location("/opt/venv/x/Django-2.2.dist-info/METADATA"),
            lang_package(PackageKind::Pypi, "django", "2.2.0", Evidence::Declared)
                .with_location("/app/requirements.txt"),
            lang_package(PackageKind::Pypi, "flask", "1.0", Evidence::Declared).with_location("/app/requirements.txt"),
            lang_package(PackageKind::Pypi, "flask", "1.0", Evidence::Declared)
                .with_location("/app/other/requirements.txt"),
        ];
        let out = reconcile(pkgs.clone());
        let lang: Vec<_> = out.iter().filter(|p| !p.kind.is_os()).collect();
        assert_eq!(lang.len(), 3, "{lang:#?}");
        assert!(lang.iter().all(|p| !p.location().starts_with("/usr/lib/python3")));
        let django = lang.iter().find(|p| p.name == "Django").unwrap();
        assert_eq!(django.evidence, Evidence::Both);
        let flask = lang.iter().find(|p| p.name == "flask").unwrap();
        assert_eq!(flask.evidence, Evidence::Declared);

        let kept = reconcile_with(pkgs, ReconcileOptions { drop_os_owned: false });
        assert_eq!(kept.iter().filter(|p| p.name == "pip").count(), 2);
    }

    #[test]
    fn pep440_trailing_zeros() {
        assert_eq!(pep440_trim("2.2.0"), "2.2");
        assert_eq!(pep440_trim("1.0.0rc1"), "1rc1");
        assert_eq!(pep440_trim("0"), "0");
    }
}
