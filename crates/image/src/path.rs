//! Path normalisation inside an image: every path is relative to the image root, uses `/`,
//! has no `.` or `..` components and never leaves the root.

/// Normalises a tar entry path: strips leading `/` and `./`, folds `.` and `..`. Returns `None`
/// when `..` would leave the image root (such an entry is hostile and skipped) or for the root.
pub fn normalize(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() { None } else { Some(parts.join("/")) }
}

/// Resolves a symlink `target` found at `link` (both inside the image) to a normalised path,
/// the way a chroot would: absolute targets start at the image root, and `..` stops at the root,
/// so no target can point out of the image. Returns `None` if it resolves to the root itself.
pub fn resolve_link(link: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        // Fold the link's own path too: a caller may hand us one with `.` or `..` in it.
        fold_within_root(&mut parts, link);
        parts.pop();
    }
    fold_within_root(&mut parts, target);
    if parts.is_empty() { None } else { Some(parts.join("/")) }
}

/// Appends the components of `path` to `parts`, dropping `.` and empty ones and letting `..`
/// stop at the root.
fn fold_within_root<'a>(parts: &mut Vec<&'a str>, path: &'a str) {
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
}

/// The parent directory of a normalised path (`""` for a top-level entry).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses_escapes() {
        assert_eq!(normalize("./etc/os-release").as_deref(), Some("etc/os-release"));
        assert_eq!(normalize("/usr//lib/./x").as_deref(), Some("usr/lib/x"));
        assert_eq!(normalize("a/b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize("../../etc/passwd"), None);
        assert_eq!(normalize("a/../../etc"), None);
        assert_eq!(normalize("./"), None);
    }

    #[test]
    fn links_resolve_inside_the_root() {
        assert_eq!(resolve_link("etc/os-release", "../usr/lib/os-release").as_deref(), Some("usr/lib/os-release"));
        assert_eq!(resolve_link("a/b", "/../../../etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(resolve_link("a/b", "../../../../x").as_deref(), Some("x"));
        assert_eq!(resolve_link("bin", "usr/bin").as_deref(), Some("usr/bin"));
        assert_eq!(resolve_link("../a", ""), None);
        assert_eq!(resolve_link("./x/a", "b").as_deref(), Some("x/b"));
        assert_eq!(parent("usr/bin/x"), "usr/bin");
        assert_eq!(parent("x"), "");
    }
}
