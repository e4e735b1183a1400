//! Python lockfiles: `poetry.lock`, `uv.lock` (TOML), `Pipfile.lock` (JSON) and pinned
//! `requirements.txt` lines.

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;

use crate::lang::package::{LockEntry, requires_by_name};
use crate::lang::{GraphResult, ParseResult, dedup, from_json, lang_package, warn};

#[derive(Deserialize)]
struct TomlLock {
    #[serde(default)]
    package: Vec<TomlPackage>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: String,
    #[serde(default)]
    version: Option<String>,
    /// Any TOML value: poetry's `[package.dependencies]` table (names as keys), uv's array of
    /// `{ name = ... }` tables; anything else loses the package's edges, not the lockfile.
    #[serde(default)]
    dependencies: Option<toml::Value>,
}

impl TomlPackage {
    /// The names this package depends on.
    fn dependency_names(&self) -> Vec<&str> {
        match &self.dependencies {
            Some(toml::Value::Table(table)) => table.keys().map(String::as_str).collect(),
            Some(toml::Value::Array(list)) => {
                list.iter().filter_map(|d| d.get("name").and_then(toml::Value::as_str)).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Every `[[package]]` with a version of a TOML lockfile (`what` names it in diagnostics), and
/// the graph: each package's dependencies, resolved by normalised name within the lockfile.
fn parse_toml_lock(bytes: &[u8], what: &str) -> GraphResult {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (Vec::new(), Vec::new(), vec![warn(format!("{what} is not UTF-8"))]);
    };
    let lock: TomlLock = match toml::from_str(text) {
        Ok(lock) => lock,
        Err(e) => return (Vec::new(), Vec::new(), vec![warn(format!("cannot parse {what}: {e}"))]),
    };
    let mut pkgs: Vec<_> = lock
        .package
        .iter()
        .filter_map(|p| Some(lang_package(PackageKind::Pypi, &p.name, p.version.as_deref()?, Evidence::Declared)))
        .collect();
    dedup(&mut pkgs);
    let entries: Vec<LockEntry<'_>> = lock
        .package
        .iter()
        .filter_map(|p| Some((p.name.as_str(), p.version.as_deref()?, p.dependency_names())))
        .collect();
    let requires = requires_by_name(PackageKind::Pypi, &entries, crate::lang::python::normalize_name);
    (pkgs, requires, Vec::new())
}

/// Parses a `poetry.lock`: every `[[package]]` with a version.
pub fn parse_poetry(bytes: &[u8]) -> ParseResult {
    let (packages, _, diagnostics) = parse_poetry_graph(bytes);
    (packages, diagnostics)
}

/// Like [`parse_poetry`], with each package's `[package.dependencies]`.
pub fn parse_poetry_graph(bytes: &[u8]) -> GraphResult {
    parse_toml_lock(bytes, "poetry.lock")
}

/// Parses a `uv.lock`: every `[[package]]` with a version (the project itself included, as in
/// `Cargo.lock`).
pub fn parse_uv(bytes: &[u8]) -> ParseResult {
    let (packages, _, diagnostics) = parse_uv_graph(bytes);
    (packages, diagnostics)
}

/// Like [`parse_uv`], with each package's `dependencies`.
pub fn parse_uv_graph(bytes: &[u8]) -> GraphResult {
    parse_toml_lock(bytes, "uv.lock")
}

#[derive(Deserialize)]
struct Pipfile {
    #[serde(default)]
    default: BTreeMap<String, PipfileEntry>,
    #[serde(default)]
    develop: BTreeMap<String, PipfileEntry>,
}

#[derive(Deserialize)]
struct PipfileEntry {
    #[serde(default)]
    version: Option<String>,
}

/// Parses a `Pipfile.lock`: `default` and `develop` entries with a `==` version.
pub fn parse_pipfile(bytes: &[u8]) -> ParseResult {
    let lock: Pipfile = match from_json(bytes, "Pipfile.lock") {
        Ok(l) => l,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut pkgs: Vec<_> = lock
        .default
        .iter()
        .chain(&lock.develop)
        .filter_map(|(name, e)| {
            let v = e.version.as_deref()?.strip_prefix("==")?;
            Some(lang_package(PackageKind::Pypi, name, v.trim(), Evidence::Declared))
        })
        .collect();
    dedup(&mut pkgs);
    (pkgs, Vec::new())
}

/// One pinned requirement line (`name[extras]==version ; marker  # comment`), or `None`.
pub fn pinned_requirement(line: &str) -> Option<(String, String)> {
    let line = line.split('#').next().unwrap_or(line);
    let line = line.split(';').next().unwrap_or(line).trim();
    if line.is_empty() || line.starts_with(['#', '-']) || line.contains("://") {
        return None;
    }
    // per-requirement options after it (`--hash=...`, `-C key=value`)
    let line = line.split(" -").next().unwrap_or(line).trim();
    let (name, version) = line.split_once("===").or_else(|| line.split_once("=="))?;
    let name = name.split('[').next().unwrap_or(name).trim();
    let version = version.split(',').next().unwrap_or(version).trim().trim_end_matches('\\').trim();
    let valid_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let valid_version =
        !version.is_empty() && version.chars().all(|c| c.is_ascii_alphanumeric() || "._-+!".contains(c));
    (valid_name && valid_version).then(|| (name.to_owned(), version.to_owned()))
}

/// Text of a file that may be UTF-16 (with a byte-order mark, as Windows editors write) or UTF-8.
fn decode_text(bytes: &[u8]) -> String {
    let utf16 = |bytes: &[u8], le: bool| {
        let units = bytes
            .chunks_exact(2)
            .map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) });
        char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
    };
    match bytes {
        [0xff, 0xfe, rest @ ..] => utf16(rest, true),
        [0xfe, 0xff, rest @ ..] => utf16(rest, false),
        [0xef, 0xbb, 0xbf, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Parses a `requirements.txt`: only exactly pinned (`==`, `===`) requirements are packages.
pub fn parse_requirements(bytes: &[u8]) -> ParseResult {
    let text = decode_text(bytes);
    // a line ending in `\` continues on the next one (as pip joins them), unless it is a comment
    let mut lines: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        match line.trim_end().strip_suffix('\\') {
            Some(head) if !line.trim_start().starts_with('#') => {
                pending.push_str(head);
                pending.push(' ');
            }
            _ => {
                pending.push_str(line);
                lines.push(std::mem::take(&mut pending));
            }
        }
    }
    lines.push(pending);
    let mut pkgs: Vec<_> = lines
        .iter()
        .map(String::as_str)
        .filter_map(pinned_requirement)
        .map(|(n, v)| lang_package(PackageKind::Pypi, &n, &v, Evidence::Declared))
        .collect();
    dedup(&mut pkgs);
    (pkgs, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::pinned_requirement;

    #[test]
    fn requirement_lines() {
        assert_eq!(pinned_requirement("Django==2.2.0"), Some(("Django".into(), "2.2.0".into())));
        assert_eq!(pinned_requirement("a[x,y] == 1.0 ; python_version<'3'"), Some(("a".into(), "1.0".into())));
        assert_eq!(pinned_requirement("b>=1.0"), None);
        assert_eq!(pinned_requirement("-r other.txt"), None);
        assert_eq!(pinned_requirement("c==1.*"), None);
    }
}
