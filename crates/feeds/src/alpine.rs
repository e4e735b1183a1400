//! Alpine secdb JSON (`https://secdb.alpinelinux.org/v3.19/main.json`): per release and
//! repository, each package's `secfixes` (fixed version → CVE ids).

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Advisory, Affected, FixState, FixStatus, Reference};
use serde_json::Value;

use crate::{FeedError, Import, introduced_zero_range};

/// Source name of advisories from secdb.
pub const SOURCE: &str = "alpine-secdb";

/// True when a JSON value looks like a secdb file.
pub fn looks_like_secdb(v: &Value) -> bool {
    v.get("distroversion").is_some() && v.get("packages").is_some()
}

/// Imports one secdb JSON file.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| FeedError::malformed(location, e))?;
    from_value(&value, location)
}

/// Imports an already parsed secdb file.
pub fn from_value(value: &Value, location: &str) -> Result<Import, FeedError> {
    let release = value
        .get("distroversion")
        .and_then(Value::as_str)
        .ok_or_else(|| FeedError::malformed(location, "no distroversion: not an Alpine secdb file"))?;
    let release =
        if release.starts_with('v') || release == "edge" { release.to_owned() } else { format!("v{release}") };
    let ecosystem = format!("Alpine:{release}");
    // An empty repository is published as `"packages": ""`.
    let empty = Vec::new();
    let packages = match value.get("packages") {
        Some(Value::Array(list)) => list,
        Some(Value::Null) | None => &empty,
        Some(Value::String(s)) if s.is_empty() => &empty,
        Some(_) => return Err(FeedError::malformed(location, "packages is not an array")),
    };
    let mut import = Import::default();
    let mut seen = std::collections::HashSet::new();
    for (i, p) in packages.iter().enumerate() {
        let pkg = p.get("pkg").unwrap_or(p);
        let Some(name) = pkg.get("name").and_then(Value::as_str) else {
            import.diagnostics.push(Diagnostic::warning(format!("{location}: packages[{i}]"), "no name; skipped"));
            continue;
        };
        let Some(secfixes) = pkg.get("secfixes").and_then(Value::as_object) else {
            continue;
        };
        for (version, ids) in secfixes {
            let ids: Vec<&str> = match ids {
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                Value::String(s) => vec![s.as_str()],
                Value::Null => continue,
                _ => {
                    import.diagnostics.push(Diagnostic::warning(
                        format!("{location}: {name} {version}"),
                        "secfixes entry is not a list; skipped",
                    ));
                    continue;
                }
            };
            // "0" means the package was never affected.
            let state = if version == "0" { FixState::NotAffected } else { FixState::Fixed };
            for id in ids.iter().flat_map(|s| s.split_whitespace()) {
                if !id.contains('-') {
                    continue;
                }
                if seen.insert(id.to_owned()) {
                    import.records.advisories.push(Advisory {
                        id: id.to_owned(),
                        source: SOURCE.into(),
                        references: vec![Reference {
                            kind: "ADVISORY".into(),
                            url: format!("https://security.alpinelinux.org/vuln/{id}"),
                        }],
                        ..Advisory::default()
                    });
                }
                if state == FixState::Fixed {
                    import.records.affected.push(Affected {
                        advisory_id: id.to_owned(),
                        ecosystem: ecosystem.clone(),
                        name: name.to_owned(),
                        purl: Some(format!("pkg:apk/alpine/{name}")),
                        ranges: introduced_zero_range(Some(version)),
                        versions: Vec::new(),
                        extra: Value::Null,
                    });
                }
                import.records.fix_statuses.push(FixStatus {
                    advisory_id: id.to_owned(),
                    ecosystem: ecosystem.clone(),
                    name: name.to_owned(),
                    state,
                    fixed_version: (state == FixState::Fixed).then(|| version.clone()),
                    urgency: None,
                    note: None,
                });
            }
        }
    }
    Ok(import)
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
