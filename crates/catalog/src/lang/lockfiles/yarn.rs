//! `yarn.lock`: the v1 format (`version "1.2.3"`) and berry (v2+, YAML: `version: 1.2.3`). Both are
//! read line by line: an unindented key line lists the descriptors, an indented `version` gives
//! the resolved version.

use microscanner_model::{Evidence, PackageKind};

use crate::lang::{ParseResult, dedup, lang_package, warn};

/// The package name of a descriptor: `lodash@^4.0.0`, `"@babel/core@npm:^7.0.0"`.
pub fn descriptor_name(desc: &str) -> Option<&str> {
    let d = desc.trim().trim_matches('"');
    let at = d.get(1..)?.find('@')? + 1;
    let name = &d[..at];
    (!name.is_empty()).then_some(name)
}

/// The real package of an `npm:` alias range: `@types/uuid@9.0.7`, `@types/uuid`, `ms`; `None`
/// for a plain range (`^1.0.0`, `latest`).
fn alias_target(range: &str) -> Option<&str> {
    if let Some(name) = descriptor_name(range) {
        return Some(name);
    }
    let tag = ["latest", "next", "x", "*"].contains(&range) || range.starts_with("x.");
    let bare_name = range.starts_with('@') || range.starts_with(|c: char| c.is_ascii_alphabetic()) && !tag;
    (bare_name && !range.contains(char::is_whitespace)).then_some(range)
}

/// Parses a yarn.lock (v1 or berry).
pub fn parse(bytes: &[u8]) -> ParseResult {
    let text = String::from_utf8_lossy(bytes);
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    let mut current: Option<(String, bool)> = None; // (name, skip)
    for (lineno, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let Some(key) = line.strip_suffix(':') else {
                current = None;
                continue;
            };
            if key.starts_with("__metadata") {
                current = None;
                continue;
            }
            let first = key.split(", ").next().unwrap_or(key);
            match descriptor_name(first) {
                Some(name) => {
                    // only registry descriptors (`^1.0.0`, `npm:^1.0.0`): git, file, link, patch,
                    // workspace, portal and unknown protocols are not registry packages, nor is
                    // the GitHub shorthand `owner/repo#ref` (a registry range has no `/`)
                    let range = first.trim().trim_matches('"').get(name.len() + 1..).unwrap_or_default();
                    let skip = (range.contains(':') || range.contains('/')) && !range.starts_with("npm:");
                    // an alias (`foo-json@npm:@types/jsonstream@0.8.33`) installs the real package
                    let real = range.strip_prefix("npm:").and_then(alias_target).unwrap_or(name);
                    current = Some((real.to_owned(), skip));
                }
                None => {
                    diags.push(warn(format!("yarn.lock line {}: cannot read the package name", lineno + 1)));
                    current = None;
                }
            }
            continue;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent != 2 {
            continue;
        }
        let version = trimmed
            .strip_prefix("version ")
            .or_else(|| trimmed.strip_prefix("version: "))
            .or_else(|| trimmed.strip_prefix("\"version\" "))
            .or_else(|| trimmed.strip_prefix("\"version\": "));
        if let (Some(v), Some((name, skip))) = (version, &current) {
            let v = v.trim().trim_matches('"');
            if !*skip && !v.is_empty() && v != "0.0.0-use.local" {
                pkgs.push(lang_package(PackageKind::Npm, name, v, Evidence::Declared));
            }
        }
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(descriptor_name("lodash@^4.0.0"), Some("lodash"));
        assert_eq!(descriptor_name("\"@babel/core@npm:^7.0.0\""), Some("@babel/core"));
        assert_eq!(descriptor_name("@"), None);
        let (p, _) = parse(b"\"foo-json@npm:@types/jsonstream@0.8.33\":\n  version \"0.8.33\"\n");
        assert_eq!(p[0].name, "@types/jsonstream");
        assert_eq!(alias_target("ms"), Some("ms"));
        assert_eq!(alias_target("@types/uuid"), Some("@types/uuid"));
        assert_eq!(alias_target("^1.0.0"), None);
        assert_eq!(alias_target("latest"), None);
    }
}
