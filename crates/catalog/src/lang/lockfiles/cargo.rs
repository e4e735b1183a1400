//! `Cargo.lock`, read with the `cargo-lock` crate.

use microscanner_model::{Evidence, PackageKind};

use std::collections::HashMap;

use crate::lang::{GraphResult, ParseResult, lang_package, warn};
use crate::{Needed, Requires};

/// Parses a `Cargo.lock` (v1-v4): every `[[package]]` table.
///
/// Read as plain TOML rather than with the `cargo-lock` crate: cargo-lock 11.1 panics on a
/// malformed `checksum` (found by our fuzzer; the input is kept in `tests/data/`), and a scanner
/// only needs each package's name and version, not the resolved graph.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let (packages, _, diagnostics) = parse_graph(bytes);
    (packages, diagnostics)
}

/// Like [`parse`], with the graph: each package's `dependencies` (`"name"`, `"name version"`
/// or `"name version (source)"`), resolved to the package of that name (and version, when
/// given) in the same lockfile.
pub fn parse_graph(bytes: &[u8]) -> GraphResult {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (Vec::new(), Vec::new(), vec![warn("Cargo.lock is not UTF-8")]);
    };
    match toml::from_str::<Plain>(text) {
        Ok(plain) => {
            let diags = plain
                .package
                .iter()
                .filter(|p| semver::Version::parse(&p.version).is_err())
                .map(|p| warn(format!("Cargo.lock: {} has version {:?}, which is not SemVer", p.name, p.version)))
                .collect();
            let pkgs = plain
                .package
                .iter()
                .map(|p| lang_package(PackageKind::Cargo, &p.name, &p.version, Evidence::Declared))
                .collect();
            (pkgs, requires(&plain.package), diags)
        }
        Err(e) => {
            (Vec::new(), Vec::new(), vec![warn(format!("cannot parse Cargo.lock: {}", one_line(&e.to_string())))])
        }
    }
}

/// What each package requires, resolved within the lockfile: a bare name is the one package of
/// that name (Cargo writes the version only when the name is ambiguous).
fn requires(packages: &[PlainPackage]) -> Vec<Requires> {
    let mut versions: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in packages {
        versions.entry(p.name.as_str()).or_default().push(&p.version);
    }
    packages
        .iter()
        .filter(|p| p.dependencies().next().is_some())
        .map(|p| Requires {
            kind: PackageKind::Cargo,
            name: p.name.as_str().into(),
            version: p.version.as_str().into(),
            needs: p
                .dependencies()
                .filter_map(|d| {
                    let mut words = d.split_whitespace();
                    let name = words.next()?;
                    let version = words.next().or_else(|| match versions.get(name)?.as_slice() {
                        [one] => Some(*one),
                        _ => None,
                    })?;
                    Some(vec![Needed::exact(name, version)])
                })
                .collect(),
            provides: Vec::new(),
        })
        .collect()
}

/// The first line of a multi-line parser message.
fn one_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

#[derive(serde::Deserialize)]
struct Plain {
    #[serde(default)]
    package: Vec<PlainPackage>,
}

#[derive(serde::Deserialize)]
struct PlainPackage {
    name: String,
    version: String,
    /// Any TOML value: a malformed `dependencies` loses the package's edges, not the lockfile.
    #[serde(default)]
    dependencies: Option<toml::Value>,
}

impl PlainPackage {
    /// The `dependencies` strings.
    fn dependencies(&self) -> impl Iterator<Item = &str> {
        let list = match &self.dependencies {
            Some(toml::Value::Array(list)) => list.as_slice(),
            _ => &[],
        };
        list.iter().filter_map(toml::Value::as_str)
    }
}
