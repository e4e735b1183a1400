//! Installed Node packages: `node_modules/**/package.json`.

use microscanner_model::{Evidence, PackageKind};
use serde::Deserialize;
use serde_json::Value;

use super::{ParseResult, from_json, lang_package, warn};

#[derive(Deserialize)]
struct PackageJson {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    version: Option<Value>,
    #[serde(default)]
    license: Option<Value>,
    #[serde(default)]
    licenses: Option<Value>,
}

/// The license strings of a `license` / `licenses` field (string, `{type}` object or array of either).
pub(crate) fn licenses_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Object(o)) => o.get("type").and_then(Value::as_str).map(|s| vec![s.to_owned()]).unwrap_or_default(),
        Some(Value::Array(a)) => a.iter().flat_map(|x| licenses_of(Some(x))).collect(),
        _ => Vec::new(),
    }
}

/// Parses an installed package's `package.json` into one installed npm package. A manifest
/// without a name or version (a workspace root, a private stub) gives nothing.
pub fn parse_package_json(bytes: &[u8]) -> ParseResult {
    let pj: PackageJson = match from_json(bytes, "package.json") {
        Ok(p) => p,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let (Some(Value::String(name)), Some(Value::String(version))) = (&pj.name, &pj.version) else {
        return (Vec::new(), Vec::new());
    };
    if name.is_empty() || version.is_empty() {
        return (Vec::new(), Vec::new());
    }
    if name.len() > 214 {
        return (Vec::new(), vec![warn("package.json name is longer than npm allows")]);
    }
    let mut p = lang_package(PackageKind::Npm, name, version, Evidence::Installed);
    let mut licenses = licenses_of(pj.license.as_ref());
    if licenses.is_empty() {
        licenses = licenses_of(pj.licenses.as_ref());
    }
    p.set_licenses(licenses);
    (vec![p], Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped() {
        let (p, d) = parse_package_json(br#"{"name":"@babel/core","version":"7.0.0","license":"MIT"}"#);
        assert!(d.is_empty());
        assert_eq!(p[0].purl(), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(p[0].licenses(), vec!["MIT".to_owned()]);
    }

    #[test]
    fn broken_is_a_diagnostic() {
        let (p, d) = parse_package_json(b"{\"name\": ");
        assert!(p.is_empty());
        assert_eq!(d.len(), 1);
    }
}
