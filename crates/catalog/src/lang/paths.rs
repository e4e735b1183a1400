//! Path heuristics: whether a file is of a language format from its path alone. The rows of
//! [`super::FORMATS`] test paths with these (or with a one-line file-name test of their own), so
//! the layer walk can decide what to read without opening anything.

/// The last path component.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory part of a path (empty for a bare name).
pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// True when the path lies in a Python `site-packages` or `dist-packages` directory.
pub(crate) fn in_python_lib(path: &str) -> bool {
    path.contains("site-packages/") || path.contains("dist-packages/")
}

/// True when the path lies below a `node_modules` directory (lockfiles there are a dependency's,
/// not the project's).
pub(crate) fn in_node_modules(path: &str) -> bool {
    path.contains("node_modules/")
}

/// Python installed metadata: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` or a `*.egg-info`
/// file, in a Python library directory.
pub(crate) fn is_python_metadata(path: &str) -> bool {
    let name = file_name(path);
    in_python_lib(path)
        && ((name == "METADATA" && parent(path).ends_with(".dist-info"))
            || (name == "PKG-INFO" && parent(path).ends_with(".egg-info"))
            || name.ends_with(".egg-info"))
}

/// A Python `.egg` archive in a Python library directory.
pub(crate) fn is_python_egg(path: &str) -> bool {
    in_python_lib(path) && file_name(path).ends_with(".egg")
}

/// True when a path may be an executable worth opening: any file in a `bin`/`sbin` directory, and
/// extension-less (or `.exe`) files under `usr/local`, `opt`, `app`, outside package trees. Text
/// files with a known extension are never taken.
pub(crate) fn maybe_binary(path: &str) -> bool {
    const TEXT_EXT: &[&str] = &[
        ".py", ".pyc", ".sh", ".js", ".mjs", ".cjs", ".json", ".txt", ".md", ".h", ".c", ".rb", ".pl", ".pm", ".html",
        ".css", ".xml", ".yaml", ".yml", ".toml", ".cfg", ".conf", ".ini", ".gz", ".png", ".svg", ".ts", ".map",
        ".lock", ".jar", ".1", ".gif", ".jpg", ".csh", ".fish", ".ps1", ".bat",
    ];
    let name = file_name(path);
    if name.starts_with('.') || TEXT_EXT.iter().any(|e| name.ends_with(e)) {
        return false;
    }
    let dir = parent(path);
    let in_bin_dir = dir == "bin"
        || dir == "sbin"
        || dir.ends_with("/bin")
        || dir.ends_with("/sbin")
        || dir.starts_with("usr/libexec");
    if in_bin_dir {
        return true;
    }
    let app_tree = ["usr/local/", "opt/", "app/", "srv/", "go/bin/"].iter().any(|p| path.starts_with(p));
    app_tree
        && !in_node_modules(path)
        && !in_python_lib(path)
        && !path.contains("/include/")
        && !path.contains("/share/")
        && (!name.contains('.') || name.ends_with(".exe"))
}

/// True for a `package.json` directly in a package directory below `node_modules`.
pub(crate) fn is_node_module_manifest(path: &str) -> bool {
    if file_name(path) != "package.json" {
        return false;
    }
    let mut parts = parent(path).rsplit('/');
    let Some(name) = parts.next() else { return false };
    match parts.next() {
        Some("node_modules") => !name.starts_with('.') && !name.starts_with('@'),
        Some(scope) if scope.starts_with('@') => parts.next() == Some("node_modules"),
        _ => false,
    }
}

/// True for a path whose file name is a Java archive's.
pub(crate) fn is_java_archive(path: &str) -> bool {
    let lower = file_name(path).to_ascii_lowercase();
    [".jar", ".war", ".ear", ".par", ".sar", ".jpi", ".hpi", ".kar", ".nar", ".rar"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        && !lower.ends_with(".tar.rar")
}

/// Ruby `specifications/*.gemspec` (and `specifications/default/*.gemspec`).
pub(crate) fn is_gemspec(path: &str) -> bool {
    file_name(path).ends_with(".gemspec")
        && (parent(path).ends_with("specifications") || parent(path).ends_with("specifications/default"))
}

/// An npm lockfile (`package-lock.json`, `npm-shrinkwrap.json`) of a project, not of a dependency.
pub(crate) fn is_package_lock(path: &str) -> bool {
    matches!(file_name(path), "package-lock.json" | "npm-shrinkwrap.json") && !in_node_modules(path)
}

/// Pinned `requirements*.txt` of a project (not inside an installed package or `node_modules`).
pub(crate) fn is_requirements(path: &str) -> bool {
    let name = file_name(path);
    name.ends_with(".txt") && name.starts_with("requirements") && !in_python_lib(path) && !in_node_modules(path)
}

/// A Maven `pom.xml` of a project (not one inside a local Maven repository, `.m2/repository/`,
/// whose POMs describe downloaded artifacts, not the project's declared dependencies; nor a
/// dependency's copy under `node_modules`).
pub(crate) fn is_pom_xml(path: &str) -> bool {
    file_name(path) == "pom.xml" && !path.contains("/.m2/repository/") && !in_node_modules(path)
}

/// A Julia `Manifest.toml`, or a version-specific `Manifest-v1.11.toml`.
pub(crate) fn is_julia_manifest(path: &str) -> bool {
    let name = file_name(path);
    name == "Manifest.toml" || (name.starts_with("Manifest-v") && name.ends_with(".toml"))
}

/// A Bitnami component's SPDX document: `opt/bitnami/<component>/.spdx-<component>.spdx`
/// (Trivy's rule: under `opt/bitnami/`, named `.spdx-*.spdx`, at any depth below it).
pub(crate) fn is_bitnami_spdx(path: &str) -> bool {
    let name = file_name(path);
    path.starts_with("opt/bitnami/") && name.starts_with(".spdx-") && name.ends_with(".spdx")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitnami_spdx_documents_are_under_opt_bitnami() {
        assert!(is_bitnami_spdx("opt/bitnami/postgresql/.spdx-postgresql.spdx"));
        assert!(is_bitnami_spdx("opt/bitnami/common/lib/.spdx-libgeos.spdx"));
        assert!(!is_bitnami_spdx("usr/share/.spdx-postgresql.spdx"));
        assert!(!is_bitnami_spdx("opt/bitnami/postgresql/postgresql.spdx"));
        assert!(!is_bitnami_spdx("opt/bitnami/postgresql/.spdx-postgresql.json"));
    }

    #[test]
    fn names_and_parents() {
        assert_eq!(file_name("a/b/c.txt"), "c.txt");
        assert_eq!(file_name("c.txt"), "c.txt");
        assert_eq!(parent("a/b/c.txt"), "a/b");
        assert_eq!(parent("c.txt"), "");
    }

    #[test]
    fn node_module_manifests_and_binaries() {
        assert!(is_node_module_manifest("app/node_modules/left-pad/package.json"));
        assert!(is_node_module_manifest("app/node_modules/@scope/x/package.json"));
        assert!(!is_node_module_manifest("app/package.json"));
        assert!(!is_node_module_manifest("app/node_modules/.bin/package.json"));
        assert!(maybe_binary("usr/local/bin/tool"));
        assert!(maybe_binary("opt/app/server"));
        assert!(!maybe_binary("opt/app/server.py"));
        assert!(!maybe_binary("opt/app/node_modules/x/tool"));
    }
}
