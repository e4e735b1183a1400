//! OSV: one record, a list of records (`[...]`, `{"vulns": [...]}`), or osv.dev's per-ecosystem
//! `all.zip`. Every ecosystem is kept as published, known or not.

use std::io::{Cursor, Read};

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Advisory, Affected, Records, Reference, Severity, SeverityKind, cvss_base_score, cvss_kind};
use serde::Deserialize;
use serde_json::Value;

use crate::{FeedError, Import, newest};

/// The source name OSV advisories are stored under.
pub const SOURCE: &str = "osv";

/// Largest single entry read out of a zip (a record is a few KiB; this stops zip bombs).
const MAX_ENTRY: u64 = 64 * 1024 * 1024;

#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    related: Option<Vec<String>>,
    #[serde(default)]
    upstream: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
    #[serde(default)]
    references: Option<Vec<OsvReference>>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    ranges: Option<Value>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    ecosystem_specific: Option<Value>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct OsvPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    purl: Option<String>,
}

#[derive(Deserialize)]
struct OsvReference {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    url: String,
}

/// True when a JSON object looks like an OSV record (an id and some content).
pub fn looks_like_record(v: &Value) -> bool {
    v.get("id").is_some_and(Value::is_string)
        && ["affected", "summary", "details", "severity", "references", "schema_version"]
            .iter()
            .any(|k| v.get(k).is_some())
}

/// Imports OSV JSON bytes: one record, an array of records, or an object with a `vulns` or
/// `vulnerabilities` array.
pub fn parse_json(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| FeedError::malformed(location, e))?;
    Ok(from_value(value, location))
}

/// Imports an already parsed OSV document (see [`parse_json`]).
pub fn from_value(value: Value, location: &str) -> Import {
    let mut import = Import { records: Records { complete: true, ..Records::default() }, ..Import::default() };
    let list = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("vulns").or_else(|| map.remove("vulnerabilities")) {
            Some(Value::Array(items)) => items,
            _ => vec![Value::Object(map)],
        },
        _ => {
            import.diagnostics.push(Diagnostic::warning(location, "not an OSV record or list"));
            return import;
        }
    };
    for (i, item) in list.into_iter().enumerate() {
        let loc = || if i == 0 { location.to_owned() } else { format!("{location}[{i}]") };
        if !looks_like_record(&item) {
            import.diagnostics.push(Diagnostic::info(loc(), "not an OSV record (no id or no content); skipped"));
            continue;
        }
        match serde_json::from_value::<OsvRecord>(item) {
            Ok(rec) => add_record(rec, &mut import),
            Err(e) => import.diagnostics.push(Diagnostic::warning(loc(), format!("bad OSV record: {e}"))),
        }
    }
    import
}

/// Imports osv.dev's `all.zip` (one JSON record per entry). A zip that cannot be opened or has an
/// entry that does not decompress (CRC error) is an error; an entry that is not a valid record is
/// a diagnostic.
pub fn parse_zip(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    use rayon::prelude::*;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| FeedError::malformed(location, e))?;
    let mut import = Import { records: Records { complete: true, ..Records::default() }, ..Import::default() };
    // Decompress in order (checking every CRC), then parse the records in parallel.
    let mut entries: Vec<(String, Vec<u8>)> = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        // A damaged entry means a damaged download: refuse the whole archive rather than
        // silently import part of it.
        let mut entry = zip.by_index(i).map_err(|e| FeedError::malformed(location, format!("corrupt zip: {e}")))?;
        if entry.is_dir() || !entry.name().ends_with(".json") {
            continue;
        }
        let loc = format!("{location}!{}", entry.name());
        if entry.size() > MAX_ENTRY {
            import.diagnostics.push(Diagnostic::warning(loc, "entry too large; skipped"));
            continue;
        }
        let mut buf = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        if let Err(e) = entry.by_ref().take(MAX_ENTRY).read_to_end(&mut buf) {
            return Err(FeedError::malformed(location, format!("corrupt zip entry {}: {e}", entry.name())));
        }
        entries.push((loc, buf));
    }
    let parsed: Vec<(String, Result<Import, FeedError>)> = entries
        .into_par_iter()
        .map(|(loc, buf)| {
            let r = parse_json(&buf, &loc);
            (loc, r)
        })
        .collect();
    for (loc, result) in parsed {
        match result {
            Ok(one) => import.extend(one),
            Err(e) => import.diagnostics.push(Diagnostic::warning(loc, e.to_string())),
        }
    }
    import.records.complete = true;
    Ok(import)
}

fn severity_of(advisory_id: &str, s: &OsvSeverity, scope: &str) -> Severity {
    let vector = s.score.trim().to_owned();
    let (kind, score) = match s.kind.as_str() {
        "CVSS_V2" | "CVSS_V3" | "CVSS_V4" => {
            let kind = SeverityKind::parse(&s.kind).unwrap_or_else(|| cvss_kind(&vector));
            (kind, cvss_base_score(&vector))
        }
        _ => (SeverityKind::Vendor, None),
    };
    let source = if kind == SeverityKind::Vendor { format!("osv:{}", s.kind) } else { SOURCE.to_owned() };
    Severity { advisory_id: advisory_id.to_owned(), kind, value: vector, score, source, scope: scope.to_owned() }
}

fn add_record(rec: OsvRecord, import: &mut Import) {
    let id = rec.id.trim().to_owned();
    import.timestamp = newest(import.timestamp.take(), rec.modified.clone());
    let out = &mut import.records;
    for s in rec.severity.iter().flatten() {
        out.severities.push(severity_of(&id, s, ""));
    }
    let mut cwes = Vec::new();
    if let Some(db) = &rec.database_specific {
        if let Some(Value::Array(ids)) = db.get("cwe_ids") {
            cwes.extend(ids.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        if let Some(word) = db.get("severity").and_then(Value::as_str).filter(|w| !w.is_empty()) {
            out.severities.push(Severity {
                advisory_id: id.clone(),
                kind: SeverityKind::Vendor,
                value: word.to_owned(),
                score: None,
                source: "osv:database_specific".into(),
                scope: String::new(),
            });
        }
    }
    for a in rec.affected.into_iter().flatten() {
        let (ecosystem, name, purl) = match a.package {
            Some(p) => (p.ecosystem, p.name, p.purl),
            None => {
                // GIT-only entries: keyed by the repository.
                let repo = a
                    .ranges
                    .as_ref()
                    .and_then(|r| r.as_array())
                    .and_then(|r| r.iter().find_map(|x| x.get("repo").and_then(Value::as_str)))
                    .unwrap_or_default()
                    .to_owned();
                ("GIT".to_owned(), repo, None)
            }
        };
        for s in a.severity.iter().flatten() {
            out.severities.push(severity_of(&id, s, &ecosystem));
        }
        let extra = match (a.ecosystem_specific, a.database_specific) {
            (None, None) => Value::Null,
            (e, d) => serde_json::json!({"ecosystem_specific": e, "database_specific": d}),
        };
        out.affected.push(Affected {
            advisory_id: id.clone(),
            ecosystem,
            name,
            purl,
            ranges: a.ranges.unwrap_or_else(|| Value::Array(Vec::new())),
            versions: a.versions.unwrap_or_default(),
            extra,
        });
    }
    let mut related = rec.related.unwrap_or_default();
    related.extend(rec.upstream.unwrap_or_default());
    out.advisories.push(Advisory {
        id,
        aliases: rec.aliases.unwrap_or_default(),
        related,
        summary: rec.summary.filter(|s| !s.is_empty()),
        details: rec.details.filter(|s| !s.is_empty()),
        published: rec.published,
        modified: rec.modified,
        withdrawn: rec.withdrawn,
        references: rec
            .references
            .into_iter()
            .flatten()
            .map(|r| Reference { kind: r.kind.unwrap_or_else(|| "WEB".into()), url: r.url })
            .collect(),
        cwes,
        source: SOURCE.into(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bad_record_does_not_stop_the_rest() {
        let json = br#"[{"id":"A-1","summary":"ok","affected":[{"package":{"ecosystem":"Wolfi","name":"x"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2"}]}]}]},
            {"id":"A-2","summary":"bad","affected":"nope"},
            {"id":"A-3","details":"fine","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]}]"#;
        let import = parse_json(json, "t.json").unwrap();
        let ids: Vec<_> = import.records.advisories.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["A-1", "A-3"]);
        assert_eq!(import.diagnostics.len(), 1);
        assert!(import.diagnostics[0].location.contains("[1]"));
        assert_eq!(import.records.affected[0].ecosystem, "Wolfi");
        assert_eq!(import.records.severities[0].score, Some(7.5));
    }

    #[test]
    fn not_json_is_an_error_and_garbage_zip_too() {
        assert!(parse_json(b"{nope", "x").is_err());
        assert!(parse_zip(b"PK\x03\x04garbage", "all.zip").is_err());
    }
}
