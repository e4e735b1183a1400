//! Lost evidence: the one rule for files an analyzer wanted and did not get.
//!
//! **Every file an analyzer wanted and did not get, for any reason, is a warning [`Diagnostic`]
//! naming the path and the reason**, and a warning makes the scan incomplete (`coverage.complete:
//! false`, listed in `coverage.skipped`, exit 5 under `--fail-on-incomplete`: `docs/exit-codes.md`).
//! Nothing an analyzer wanted is ever dropped in silence, so padding, replacing or re-linking a
//! package database cannot hide packages from a build that fails on incomplete scans.
//!
//! The rule is applied where the layer walk hands files to analyzers (the `Collector` of
//! [`crate::analyze_layer`]), not in each analyzer, so a new analyzer gets it for free. What an
//! analyzer wants is what it says: [`Analyzer::wants`] for a file of a given size,
//! [`Analyzer::max_size`] for its size bound, and `wants(path, 0)` for a path it claims
//! whatever the content. The ways a wanted file is lost:
//!
//! * over the analyzer's size bound ([`Lost::TooLarge`]);
//! * not a regular file: a FIFO, a device, a socket, an unknown tar entry type, a PAX-format
//!   sparse file ([`Lost::NotRegular`]);
//! * a symlink that loops, resolves to the image root, or resolves to no file that was read
//!   (dangling, pointing out of the image, or at a path no analyzer reads) ([`Lost::Link`]),
//!   checked once the layers are merged ([`links`]), since a link may point into another layer.
//!   A link whose target is a file of the same layer is first read through (the analyzers that
//!   claim the link get the target's content, as the runtime would follow it), so
//!   `etc/fedora-release -> ../usr/lib/fedora-release` or `status -> /data/status` lose nothing.
//!
//! Entries the walk could not read at all (a read error, a malformed PAX record, a path that
//! leaves the root) are already warnings of the walk, whoever wanted them.
//!
//! A package database that is missing altogether is not a lost file but is as silent: an
//! identified operating system with no package database at all is a warning too
//! ([`missing_package_database`]).

use std::collections::{BTreeMap, BTreeSet};

use microscanner_model::{Diagnostic, OsInfo};

use crate::Analyzer;

/// Most symlinks followed while resolving one path (Linux's `MAXSYMLINKS` is 40).
const MAX_LINK_HOPS: usize = 40;

/// Why a wanted file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lost {
    /// Larger than the analyzer reads.
    TooLarge {
        /// The file's size.
        size: u64,
        /// The analyzer's bound.
        bound: u64,
    },
    /// Not a regular file; what it is (`a FIFO`).
    NotRegular(String),
    /// A symlink that does not lead to a file that was read; why.
    Link(String),
}

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { size, bound } => write!(f, "{size} bytes, over its bound of {bound} bytes"),
            Self::NotRegular(what) => write!(f, "{what}, not a regular file"),
            Self::Link(why) => f.write_str(why),
        }
    }
}

/// The diagnostic of a wanted file that was not read: at `/path`, naming the analyzers that
/// wanted it and the reason. Every lost file goes through here.
pub(crate) fn diagnostic(path: &str, analyzers: &[&str], reason: &Lost) -> Diagnostic {
    Diagnostic::warning(format!("/{path}"), format!("wanted by {} but not read: {reason}", analyzers.join(", ")))
}

/// The ids of the analyzers that claim `path` whatever its content (`wants(path, 0)`).
pub(crate) fn claimants(analyzers: &[Box<dyn Analyzer>], path: &str) -> Vec<&'static str> {
    analyzers.iter().filter(|a| a.wants(path, 0)).map(|a| a.id()).collect()
}

/// The analyzers that would read `path` but not at `size` bytes, with the smallest bound.
pub(crate) fn too_large(
    analyzers: &[Box<dyn Analyzer>],
    path: &str,
    size: u64,
    wanting: &[usize],
) -> Option<(Vec<&'static str>, Lost)> {
    let mut ids = Vec::new();
    let mut smallest = u64::MAX;
    for (index, analyzer) in analyzers.iter().enumerate() {
        if wanting.contains(&index) {
            continue;
        }
        if let Some(bound) = analyzer.max_size(path).filter(|&bound| size > bound) {
            ids.push(analyzer.id());
            smallest = smallest.min(bound);
        }
    }
    (!ids.is_empty()).then_some((ids, Lost::TooLarge { size, bound: smallest }))
}

/// The surviving symlinks at claimed paths that lead to no file that was read, once the layers
/// are merged: `symlinks` (path → target, verbatim) and `files` (the paths analyzers were
/// offered or told about) are the merged view.
pub(crate) fn links(
    analyzers: &[Box<dyn Analyzer>],
    symlinks: &BTreeMap<String, String>,
    files: &BTreeSet<String>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for path in symlinks.keys() {
        let ids = claimants(analyzers, path);
        if ids.is_empty() {
            continue;
        }
        let why = match resolve(path, symlinks) {
            Resolved::Loop => "a symbolic link that loops (or chains more than 40 links)".to_owned(),
            Resolved::Root => "a symbolic link to the image root, not a file".to_owned(),
            Resolved::Path { path: target, .. } if files.contains(&target) => continue,
            Resolved::Path { path: target, escapes: true } => {
                format!(
                    "a symbolic link whose target leaves the image root (inside the image: /{target}, no file read)"
                )
            }
            Resolved::Path { path: target, escapes: false } => {
                format!("a symbolic link to /{target}, where no file was read (missing, or not a path analysed)")
            }
        };
        out.push(diagnostic(path, &ids, &Lost::Link(why)));
    }
    out
}

/// Where a path leads once every symlink on it is followed.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    /// More than [`MAX_LINK_HOPS`] links: a loop.
    Loop,
    /// The image root itself.
    Root,
    /// A path with no symlink left on it; `escapes` when a `..` tried to climb above the root
    /// (a chroot stops it there, as the runtime does).
    Path { path: String, escapes: bool },
}

/// Follows the symlinks of `path` and of every directory on it, the way a chroot would.
fn resolve(path: &str, symlinks: &BTreeMap<String, String>) -> Resolved {
    let mut pending: std::collections::VecDeque<String> = path.split('/').map(str::to_owned).collect();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    let mut escapes = false;
    while let Some(part) = pending.pop_front() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                escapes |= done.pop().is_none();
                continue;
            }
            _ => done.push(part),
        }
        let here = done.join("/");
        let Some(target) = symlinks.get(&here) else { continue };
        hops += 1;
        if hops > MAX_LINK_HOPS {
            return Resolved::Loop;
        }
        done.pop();
        if target.starts_with('/') {
            done.clear();
        }
        for part in target.split('/').rev() {
            pending.push_front(part.to_owned());
        }
    }
    if done.is_empty() { Resolved::Root } else { Resolved::Path { path: done.join("/"), escapes } }
}

/// A warning when an operating system was identified but no package database of any kind was
/// found (`files` holds the merged paths analyzers were offered or told about). Only checked
/// when the OS package analyzers ran.
pub(crate) fn missing_package_database(
    analyzers: &[Box<dyn Analyzer>],
    os: Option<&OsInfo>,
    files: &BTreeSet<String>,
) -> Option<Diagnostic> {
    let os = os?;
    let looked = analyzers.iter().any(|a| matches!(a.id(), "dpkg" | "apk" | "rpm"));
    let found = files
        .iter()
        .any(|p| crate::dpkg::is_db_path(p) || crate::apk::DB_PATHS.contains(&p.as_str()) || crate::rpm::is_db_path(p));
    if !looked || found {
        return None;
    }
    let name = os.pretty_name.clone().unwrap_or_else(|| format!("{} {}", os.family, os.version));
    Some(Diagnostic::warning(
        format!("/{}", os.evidence.trim_start_matches('/')),
        format!(
            "{name} identified, but no package database (dpkg, apk or rpm) was found: its OS packages cannot be listed"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    fn path(p: &str) -> Resolved {
        Resolved::Path { path: p.to_owned(), escapes: false }
    }

    #[test]
    fn resolves_links_and_directory_links() {
        let l = links(&[("etc/os-release", "../usr/lib/os-release"), ("lib", "usr/lib"), ("a", "/lib/x")]);
        assert_eq!(resolve("etc/os-release", &l), path("usr/lib/os-release"));
        assert_eq!(resolve("a", &l), path("usr/lib/x"));
        assert_eq!(resolve("lib/y", &l), path("usr/lib/y"));
    }

    #[test]
    fn loops_roots_and_escapes() {
        let l = links(&[("a", "b"), ("b", "a"), ("self", "self"), ("r", "/"), ("up", "../../../etc/shadow")]);
        assert_eq!(resolve("a", &l), Resolved::Loop);
        assert_eq!(resolve("self", &l), Resolved::Loop);
        assert_eq!(resolve("r", &l), Resolved::Root);
        assert_eq!(resolve("up", &l), Resolved::Path { path: "etc/shadow".into(), escapes: true });
    }
}
