//! Alpine secdb JSON (`https://secdb.alpinelinux.org/v3.19/main.json`): per release and
//! repository, each package's `secfixes` (fixed version → CVE ids).
//!
//! The apk-based rolling distributions publish the same document without `distroversion`, one
//! file for the whole distribution, named by `urlprefix` / `reponame` instead ([`Vendor`]):
//! Wolfi (`https://packages.wolfi.dev/os/security.json`), Chainguard
//! (`https://packages.cgr.dev/chainguard/security.json`) and MinimOS
//! (`https://packages.mini.dev/advisories/secdb/security.json`). One parser reads them all; only
//! the ecosystem, the source name, the purl namespace and the advisory link differ.
//!
//! # Wolfi secdb and OSV `Wolfi` records: merged, not preferred
//!
//! The vendor secdb is written into the same ecosystem as OSV's records of that vendor (`Wolfi`,
//! `Chainguard`; OSV has no MinimOS feed), so `db build` may hold both. That gives no double
//! findings: OSV's `CGA-…` records list the CVE and GHSA ids as aliases, and the matcher merges
//! the advisories that matched one package through their aliases into one finding (the CVE
//! reported, the CGA id an alias; OSV spells them `upstream`, which the OSV importer reads as
//! aliases for `CGA-` records). Merging rather than preferring one source keeps what each has
//! alone: the secdb's `0` entries (never affected: a false positive the vendor closed) become fix
//! states that silence every advisory of that id for the package, and OSV adds summaries and the
//! advisories secdb has not caught up with. Either source alone gives the same fixed versions.

use std::collections::{BTreeMap, HashSet};

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Affected, FixState, FixStatus};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::loose::{Loose, Shape};
use crate::{FeedError, Import, MAX_ID, introduced_zero_range, linked_advisory, parse_value};

/// Source name of advisories from secdb.
pub const SOURCE: &str = "alpine-secdb";

/// An apk-based distribution that publishes a secdb without `distroversion` (one file for the
/// whole rolling distribution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    /// Wolfi (`packages.wolfi.dev`), os-release `ID=wolfi`.
    Wolfi,
    /// Chainguard (`packages.cgr.dev`, `libraries.cgr.dev`), os-release `ID=chainguard`.
    Chainguard,
    /// MinimOS by Minimus (`packages.mini.dev`), os-release `ID=minimos`.
    MinimOs,
}

impl Vendor {
    /// The ecosystem its records are keyed by (OSV's name, as `model::distro` maps the
    /// os-release id).
    pub fn ecosystem(self) -> &'static str {
        match self {
            Self::Wolfi => "Wolfi",
            Self::Chainguard => "Chainguard",
            Self::MinimOs => "MinimOS",
        }
    }

    /// The source name of its advisories.
    pub fn source(self) -> &'static str {
        match self {
            Self::Wolfi => "wolfi-secdb",
            Self::Chainguard => "chainguard-secdb",
            Self::MinimOs => "minimos-secdb",
        }
    }

    /// The purl namespace of its packages (the os-release id).
    fn namespace(self) -> &'static str {
        match self {
            Self::Wolfi => "wolfi",
            Self::Chainguard => "chainguard",
            Self::MinimOs => "minimos",
        }
    }

    /// The vendor's page for an advisory id (Chainguard's pages cover Wolfi too; MinimOS
    /// publishes none per id, so its secdb itself).
    fn url(self, id: &str) -> String {
        match self {
            Self::Wolfi | Self::Chainguard => format!("https://images.chainguard.dev/security/{id}"),
            Self::MinimOs => "https://packages.mini.dev/advisories/secdb/security.json".to_owned(),
        }
    }

    /// The vendor a secdb's `urlprefix` names (`https://packages.wolfi.dev`).
    pub fn from_url_prefix(prefix: &str) -> Option<Self> {
        let host = prefix.split("://").nth(1).unwrap_or(prefix).split('/').next().unwrap_or_default();
        let host = host.to_ascii_lowercase();
        let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        if is("wolfi.dev") {
            Some(Self::Wolfi)
        } else if is("cgr.dev") || is("chainguard.dev") {
            Some(Self::Chainguard)
        } else if is("mini.dev") || is("minimus.io") {
            Some(Self::MinimOs)
        } else {
            None
        }
    }
}

/// Whose secdb a file is: Alpine's (one release and repository) or a rolling vendor's.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Publisher {
    /// Alpine, with the release (`v3.19`, `edge`).
    Alpine(String),
    /// Wolfi, Chainguard, MinimOS.
    Vendor(Vendor),
}

/// One secdb file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Secdb {
    distroversion: Loose,
    urlprefix: Loose,
    apkurl: Loose,
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

/// True when a JSON value looks like an Alpine secdb file.
pub fn looks_like_secdb(v: &Value) -> bool {
    v.get("distroversion").is_some() && v.get("packages").is_some()
}

/// True when a JSON value looks like a rolling vendor's secdb (Wolfi, Chainguard, MinimOS): no
/// `distroversion`, an `apkurl` template or `urlprefix` instead.
pub fn looks_like_vendor_secdb(v: &Value) -> bool {
    v.get("distroversion").is_none()
        && v.get("packages").is_some()
        && (v.get("apkurl").is_some() || v.get("urlprefix").is_some())
}

/// Imports one secdb JSON file (Alpine's, or a rolling vendor's).
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    from_value(&parse_value(bytes, location)?, location)
}

/// Imports an already parsed secdb file (Alpine's, or a rolling vendor's: see [`Vendor`]).
pub fn from_value(value: &Value, location: &str) -> Result<Import, FeedError> {
    let secdb = match Shape::<Secdb>::deserialize(value) {
        Ok(Shape::Object(secdb)) => secdb,
        Ok(_) => Secdb::default(),
        Err(e) => return Err(FeedError::malformed(location, e)),
    };
    let publisher = match (&secdb.distroversion, &secdb.urlprefix) {
        (Loose::Text(release), _) => Publisher::Alpine(if release.starts_with('v') || release == "edge" {
            release.clone()
        } else {
            format!("v{release}")
        }),
        (Loose::Missing, Loose::Text(prefix)) => match Vendor::from_url_prefix(prefix) {
            Some(vendor) => Publisher::Vendor(vendor),
            None => {
                let prefix: String = prefix.chars().take(80).collect();
                return Err(FeedError::malformed(location, format!("secdb of an unknown distribution ({prefix:?})")));
            }
        },
        (Loose::Missing, Loose::Missing) if matches!(secdb.apkurl, Loose::Text(_)) => {
            return Err(FeedError::malformed(location, "secdb without urlprefix: its distribution is unknown"));
        }
        _ => return Err(FeedError::malformed(location, "no distroversion: not an Alpine secdb file")),
    };
    let entries = match secdb.packages {
        Packages::List(list) => list,
        Packages::Nothing => Vec::new(),
        Packages::Text(s) if s.is_empty() => Vec::new(),
        Packages::Text(_) | Packages::Other(_) => {
            return Err(FeedError::malformed(location, "packages is not an array"));
        }
    };
    let mut secdb = Release::new(publisher);
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
        if name.len() > MAX_ID {
            let location = format!("{location}: packages[{i}]");
            let message = format!("a name of {} bytes (more than {MAX_ID}); skipped", name.len());
            secdb.import.diagnostics.push(Diagnostic::warning(location, message));
            continue;
        }
        if let Shape::Object(secfixes) = package.secfixes {
            secdb.add_package(&name, secfixes, location);
        }
    }
    Ok(secdb.import)
}

/// The import of one release's secdb.
struct Release {
    publisher: Publisher,
    ecosystem: String,
    import: Import,
    /// Advisory ids already added.
    seen: HashSet<String>,
}

impl Release {
    fn new(publisher: Publisher) -> Self {
        let ecosystem = match &publisher {
            Publisher::Alpine(release) => format!("Alpine:{release}"),
            Publisher::Vendor(vendor) => vendor.ecosystem().to_owned(),
        };
        Self { publisher, ecosystem, import: Import::default(), seen: HashSet::new() }
    }

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
            if version.len() > MAX_ID || version.chars().any(char::is_whitespace) {
                let location = format!("{location}: {name}");
                let message = format!("a fixed version of {} bytes or with spaces; skipped", version.len());
                self.import.diagnostics.push(Diagnostic::warning(location, message));
                continue;
            }
            for id in ids.iter().flat_map(|s| s.split_whitespace()).filter(|id| id.contains('-') && id.len() <= MAX_ID)
            {
                self.add_fix(id, name, &version);
            }
        }
    }

    /// `id` is fixed in `version` of package `name` (`0`: the package was never affected).
    fn add_fix(&mut self, id: &str, name: &str, version: &str) {
        let state = if version == "0" { FixState::NotAffected } else { FixState::Fixed };
        let records = &mut self.import.records;
        if self.seen.insert(id.to_owned()) {
            let advisory = match self.publisher {
                Publisher::Alpine(_) => {
                    linked_advisory(id, SOURCE, format!("https://security.alpinelinux.org/vuln/{id}"))
                }
                Publisher::Vendor(vendor) => linked_advisory(id, vendor.source(), vendor.url(id)),
            };
            records.advisories.push(advisory);
        }
        let namespace = match self.publisher {
            Publisher::Alpine(_) => "alpine",
            Publisher::Vendor(vendor) => vendor.namespace(),
        };
        let fixed = (state == FixState::Fixed).then(|| version.to_owned());
        if fixed.is_some() {
            records.affected.push(Affected {
                advisory_id: id.to_owned(),
                ecosystem: self.ecosystem.clone(),
                name: name.to_owned(),
                purl: Some(format!("pkg:apk/{namespace}/{name}")),
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

    #[test]
    fn vendor_secdb() {
        let json = br#"{"apkurl":"{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk","reponame":"os","urlprefix":"https://packages.wolfi.dev","packages":[{"pkg":{"name":"aactl","secfixes":{"0":["CVE-2023-45283"],"0.4.12-r10":["CVE-2024-29902","GHSA-88jx-383q-w4qc"]}}}]}"#;
        let import = parse(json, "security.json").unwrap();
        let r = &import.records;
        assert_eq!(r.affected.len(), 2);
        assert!(r.affected.iter().all(|a| a.ecosystem == "Wolfi" && a.purl.as_deref() == Some("pkg:apk/wolfi/aactl")));
        assert_eq!(r.fix_statuses.len(), 3);
        assert_eq!(r.advisories[0].source, "wolfi-secdb");
        assert_eq!(Vendor::from_url_prefix("https://libraries.cgr.dev"), Some(Vendor::Chainguard));
        assert_eq!(Vendor::from_url_prefix("https://packages.mini.dev"), Some(Vendor::MinimOs));
        assert_eq!(Vendor::from_url_prefix("https://evilwolfi.dev"), None);
        let unknown = parse(br#"{"apkurl":"x","urlprefix":"https://example.org","packages":[]}"#, "s.json");
        assert!(unknown.unwrap_err().to_string().contains("unknown distribution"));
    }
}
