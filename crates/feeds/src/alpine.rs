//! Alpine secdb JSON (`https://secdb.alpinelinux.org/v3.19/main.json`): per release and
//! repository, each package's `secfixes` (fixed version → CVE ids).

use std::collections::{BTreeMap, HashSet};

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Affected, FixState, FixStatus};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::loose::{Loose, Shape};
use crate::{FeedError, Import, introduced_zero_range, linked_advisory, parse_value};

/// Source name of advisories from secdb.
pub const SOURCE: &str = "alpine-secdb";

/// One secdb file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Secdb {
    distroversion: Loose,
    packages: Packages,
}

/// `packages`: a list; an empty repository is published as `""` (or without the field).
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum Packages {
    List(Vec<Shape<Entry>>),
    Text(String),
    #[default]
    Nothing,
    Other(IgnoredAny),
}

/// One element of `packages`: `{"pkg": {...}}`, or the package itself.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Entry {
    pkg: Shape<Package>,
    name: Loose,
    secfixes: Shape<BTreeMap<String, Loose>>,
}

/// A package and its fixes.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Package {
    name: Loose,
    /// Fixed version (`0`: never affected) → advisory ids (a list, or one string of them).
    secfixes: Shape<BTreeMap<String, Loose>>,
}

impl Entry {
    /// The package: the `pkg` field when there is one, else the entry itself.
    fn package(self) -> Package {
        match self.pkg {
            Shape::Missing => Package { name: self.name, secfixes: self.secfixes },
            Shape::Object(p) => p,
            Shape::EmptyList | Shape::Other => Package::default(),
        }
    }
}

/// True when a JSON value looks like a secdb file.
pub fn looks_like_secdb(v: &Value) -> bool {
    v.get("distroversion").is_some() && v.get("packages").is_some()
}

/// Imports one secdb JSON file.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    from_value(&parse_value(bytes, location)?, location)
}

/// Imports an already parsed secdb file.
pub fn from_value(value: &Value, location: &str) -> Result<Import, FeedError> {
    let secdb = match Shape::<Secdb>::deserialize(value) {
        Ok(Shape::Object(secdb)) => secdb,
        Ok(_) => Secdb::default(),
        Err(e) => return Err(FeedError::malformed(location, e)),
    };
    let Loose::Text(release) = &secdb.distroversion else {
        return Err(FeedError::malformed(location, "no distroversion: not an Alpine secdb file"));
    };
    let release = if release.starts_with('v') || release == "edge" { release.clone() } else { format!("v{release}") };
    let entries = match secdb.packages {
        Packages::List(list) => list,
        Packages::Nothing => Vec::new(),
        Packages::Text(s) if s.is_empty() => Vec::new(),
        Packages::Text(_) | Packages::Other(_) => {
            return Err(FeedError::malformed(location, "packages is not an array"));
        }
    };
    let mut secdb = Release { ecosystem: format!("Alpine:{release}"), import: Import::default(), seen: HashSet::new() };
    for (i, entry) in entries.into_iter().enumerate() {
        let package = match entry {
            Shape::Object(entry) => entry.package(),
            _ => Package::default(),
        };
        let Loose::Text(name) = package.name else {
            let location = format!("{location}: packages[{i}]");
            secdb.import.diagnostics.push(Diagnostic::warning(location, "no name; skipped"));
            continue;
        };
        if let Shape::Object(secfixes) = package.secfixes {
            secdb.add_package(&name, secfixes, location);
        }
    }
    Ok(secdb.import)
}

/// The import of one release's secdb.
struct Release {
    ecosystem: String,
    import: Import,
    /// Advisory ids already added.
    seen: HashSet<String>,
}

impl Release {
    fn add_package(&mut self, name: &str, secfixes: BTreeMap<String, Loose>, location: &str) {
        for (version, ids) in secfixes {
            let ids = match ids {
                Loose::List(list) => list,
                Loose::Text(s) => vec![s],
                Loose::Null => continue,
                Loose::Missing | Loose::Number(_) | Loose::Other => {
                    let location = format!("{location}: {name} {version}");
                    self.import
                        .diagnostics
                        .push(Diagnostic::warning(location, "secfixes entry is not a list; skipped"));
                    continue;
                }
            };
            for id in ids.iter().flat_map(|s| s.split_whitespace()).filter(|id| id.contains('-')) {
                self.add_fix(id, name, &version);
            }
        }
    }

    /// `id` is fixed in `version` of package `name` (`0`: the package was never affected).
    fn add_fix(&mut self, id: &str, name: &str, version: &str) {
        let state = if version == "0" { FixState::NotAffected } else { FixState::Fixed };
        let records = &mut self.import.records;
        if self.seen.insert(id.to_owned()) {
            let url = format!("https://security.alpinelinux.org/vuln/{id}");
            records.advisories.push(linked_advisory(id, SOURCE, url));
        }
        let fixed = (state == FixState::Fixed).then(|| version.to_owned());
        if fixed.is_some() {
            records.affected.push(Affected {
                advisory_id: id.to_owned(),
                ecosystem: self.ecosystem.clone(),
                name: name.to_owned(),
                purl: Some(format!("pkg:apk/alpine/{name}")),
                ranges: introduced_zero_range(fixed.as_deref()),
                versions: Vec::new(),
                extra: Value::Null,
            });
        }
        records.fix_statuses.push(FixStatus {
            advisory_id: id.to_owned(),
            ecosystem: self.ecosystem.clone(),
            name: name.to_owned(),
            state,
            fixed_version: fixed,
            urgency: None,
            note: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secfixes() {
        let json = br#"{"distroversion":"v3.11","packages":[{"pkg":{"name":"musl","secfixes":{"1.1.24-r2":["CVE-2020-28928"],"0":["CVE-2019-1 XSA-1"]}}},{"nope":1}]}"#;
        let import = parse(json, "main.json").unwrap();
        assert_eq!(import.records.affected.len(), 1);
        assert_eq!(import.records.affected[0].ecosystem, "Alpine:v3.11");
        assert_eq!(import.records.affected[0].ranges[0]["events"][1]["fixed"], "1.1.24-r2");
        assert_eq!(import.records.advisories.len(), 3);
        assert_eq!(import.diagnostics.len(), 1);
        assert!(parse(b"{}", "x").is_err());
        let empty = parse(br#"{"distroversion":"v3.3","packages":""}"#, "community.json").unwrap();
        assert!(empty.records.is_empty() && empty.diagnostics.is_empty());
        assert!(parse(br#"{"distroversion":"v3.3","packages":7}"#, "x").is_err());
    }
}
