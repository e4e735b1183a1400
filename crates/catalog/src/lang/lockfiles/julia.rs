//! Julia `Manifest.toml`: format 1.0 (each package an array of tables at the top level) and 2.0
//! (`manifest_format = "2.0"`, under `[[deps.NAME]]`). A package without a `version` is a
//! standard library (or a local path): it takes the manifest's `julia_version`, which is the
//! version of the stdlib shipped with that Julia, else `unknown` (format 1.0 records no Julia
//! version), as Trivy reports them. Packages of the same name with different UUIDs are distinct
//! and both kept; the purl carries the UUID qualifier the purl spec requires for `julia`.

use microscanner_model::{Evidence, PackageKind, Purl};

use crate::lang::{ParseResult, lang_package, warn};

/// Parses a `Manifest.toml` (or `Manifest-v1.x.toml`).
pub fn parse(bytes: &[u8]) -> ParseResult {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (Vec::new(), vec![warn("Manifest.toml is not UTF-8")]);
    };
    let doc: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => return (Vec::new(), vec![warn(format!("cannot parse Manifest.toml: {e}"))]),
    };
    let julia_version = doc.get("julia_version").and_then(toml::Value::as_str).unwrap_or("unknown").to_owned();
    let v2 = doc.get("manifest_format").and_then(toml::Value::as_str).is_some_and(|f| f.starts_with('2'));
    let deps = if v2 {
        match doc.get("deps") {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return (Vec::new(), vec![warn("Manifest.toml: `deps` is not a table")]),
            None => return (Vec::new(), Vec::new()),
        }
    } else {
        &doc
    };
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    for (name, entries) in deps {
        let Some(entries) = entries.as_array() else {
            continue; // format 1.0: top-level keys that are not packages
        };
        for entry in entries {
            let Some(entry) = entry.as_table() else {
                diags.push(warn(format!("Manifest.toml: an entry of {name} is not a table; skipped")));
                continue;
            };
            let version = entry.get("version").and_then(toml::Value::as_str).unwrap_or(&julia_version);
            let uuid = entry.get("uuid").and_then(toml::Value::as_str).unwrap_or_default();
            let purl = Purl::new("julia", name).with_version(version).with_qualifier("uuid", uuid);
            pkgs.push(lang_package(PackageKind::Julia, name, version, Evidence::Declared).with_purl(purl.to_string()));
        }
    }
    pkgs.sort_by(|a, b| (&a.name, &a.purl()).cmp(&(&b.name, &b.purl())));
    pkgs.dedup_by(|a, b| a.purl() == b.purl());
    (pkgs, diags)
}
