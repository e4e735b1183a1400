//! Swift Package Manager `Package.resolved`, format v1 (`object.pins[]` with `repositoryURL`) and
//! v2/v3 (`pins[]` with `location`). A package is named by its repository URL without scheme and
//! `.git` (`github.com/apple/swift-nio`), the name OSV's `SwiftURL` ecosystem uses. A pin without
//! a `version` is pinned to a branch: its branch name is the version when it reads as one (a
//! release branch `0.0.1`, as Trivy reports it), else it is skipped with a diagnostic.

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;

use crate::lang::{ParseResult, dedup, from_json, lang_package, warn};

#[derive(Deserialize)]
struct Resolved {
    #[serde(default)]
    object: Option<Object>,
    #[serde(default)]
    pins: Vec<Pin>,
}

#[derive(Deserialize)]
struct Object {
    #[serde(default)]
    pins: Vec<Pin>,
}

#[derive(Deserialize)]
struct Pin {
    /// v1
    #[serde(default, rename = "repositoryURL")]
    repository_url: Option<String>,
    /// v2, v3
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    state: Option<State>,
}

#[derive(Deserialize)]
struct State {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    branch: Option<String>,
}

/// The package name of a repository URL: `https://github.com/Quick/Nimble.git` →
/// `github.com/Quick/Nimble`; `git@github.com:a/b.git` → `github.com/a/b`.
pub fn repository_name(url: &str) -> String {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest.rsplit_once('@').filter(|(user, _)| !user.contains('/')).map_or(rest, |(_, r)| r),
        None => match url.split_once('@') {
            Some((_, hostpath)) => return repository_name(&hostpath.replacen(':', "/", 1)),
            None => url,
        },
    };
    let rest = rest.trim_end_matches('/');
    rest.strip_suffix(".git").unwrap_or(rest).to_owned()
}

/// Parses a `Package.resolved`.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let resolved: Resolved = match from_json(bytes, "Package.resolved") {
        Ok(r) => r,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    let v1 = resolved.object.map(|o| o.pins).unwrap_or_default();
    for pin in v1.iter().chain(&resolved.pins) {
        let Some(url) = pin.location.as_deref().or(pin.repository_url.as_deref()).filter(|u| !u.trim().is_empty())
        else {
            diags.push(warn("Package.resolved: a pin has no repository location; skipped"));
            continue;
        };
        let name = repository_name(url);
        let state = pin.state.as_ref();
        let version = state.and_then(|s| s.version.as_deref()).filter(|v| !v.is_empty());
        let branch = state
            .and_then(|s| s.branch.as_deref())
            .filter(|b| b.trim_start_matches('v').starts_with(|c: char| c.is_ascii_digit()));
        match version.or(branch) {
            Some(v) => pkgs.push(lang_package(PackageKind::Swift, &name, v, Evidence::Declared)),
            None => diags.push(warn(format!(
                "Package.resolved: {name} is pinned to no version (a branch or revision); skipped"
            ))),
        }
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

#[cfg(test)]
mod tests {
    use super::repository_name;

    #[test]
    fn names() {
        assert_eq!(repository_name("https://github.com/Quick/Nimble.git"), "github.com/Quick/Nimble");
        assert_eq!(
            repository_name("https://github.com/ReactiveCocoa/ReactiveSwift"),
            "github.com/ReactiveCocoa/ReactiveSwift"
        );
        assert_eq!(repository_name("git@github.com:a/b.git"), "github.com/a/b");
        assert_eq!(repository_name("ssh://git@github.com/a/b.git"), "github.com/a/b");
    }
}
