//! OSV: one record, a list of records (`[...]`, `{"vulns": [...]}`), or osv.dev's per-ecosystem
//! `all.zip`. Every ecosystem is kept as published, known or not.

use std::io::{Cursor, Read, Seek};

use microscanner_model::Diagnostic;
use microscanner_vulndb::{
    Advisory, Affected, Records, Reference, SeverityKind, SeverityRating, cvss_base_score, cvss_kind,
};
use serde::Deserialize;
use serde_json::Value;

use crate::{FeedError, Import, MAX_ID, MAX_SEVERITY, Out, Sink, bound_advisory, needs_bounds, newest, parse_value};

/// The source name OSV advisories are stored under.
pub const SOURCE: &str = "osv";

/// Largest zip member read, inflated: a member declaring more is skipped, and one that inflates
/// past it (whatever it declares) is skipped when the bound is reached, both with a diagnostic.
/// A record is a few KiB; the largest in the real feeds is under 1 MiB.
pub const MAX_ENTRY: u64 = 16 * 1024 * 1024;
/// Zip members inflated before their records are parsed (in parallel) and handed on...
const ZIP_GROUP_FILES: usize = 512;
/// ...or fewer, once they hold this many inflated bytes.
const ZIP_GROUP_BYTES: usize = 16 * 1024 * 1024;

/// One OSV record (an absent `Option` field is `None`).
#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    modified: Option<String>,
    published: Option<String>,
    withdrawn: Option<String>,
    aliases: Option<Vec<String>>,
    related: Option<Vec<String>>,
    upstream: Option<Vec<String>>,
    summary: Option<String>,
    details: Option<String>,
    severity: Option<Vec<OsvSeverity>>,
    affected: Option<Vec<OsvAffected>>,
    references: Option<Vec<OsvReference>>,
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
    package: Option<OsvPackage>,
    severity: Option<Vec<OsvSeverity>>,
    ranges: Option<Value>,
    versions: Option<Vec<String>>,
    ecosystem_specific: Option<Value>,
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
    let value = parse_value(bytes, location)?;
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
        add_item(i, item, location, &mut import);
    }
    import
}

/// Imports the `i`th element of a list of OSV records (the whole document when `i` is 0 and it
/// is one record).
pub(crate) fn add_item(i: usize, item: Value, location: &str, import: &mut Import) {
    let loc = || if i == 0 { location.to_owned() } else { format!("{location}[{i}]") };
    if !looks_like_record(&item) {
        import.diagnostics.push(Diagnostic::info(loc(), "not an OSV record (no id or no content); skipped"));
        return;
    }
    match serde_json::from_value::<OsvRecord>(item) {
        Ok(rec) => add_record(rec, import, &loc),
        Err(e) => import.diagnostics.push(Diagnostic::warning(loc(), format!("bad OSV record: {e}"))),
    }
}

/// Imports osv.dev's `all.zip` (one JSON record per entry). A zip that cannot be opened or has an
/// entry that does not decompress (CRC error) is an error; an entry that is not a valid record,
/// or is larger than [`MAX_ENTRY`] inflated, is a diagnostic.
pub fn parse_zip(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    import_zip(Cursor::new(bytes), location, None)
}

/// Reads an `all.zip` member by member (see [`parse_zip`]). Members are inflated in order, in
/// groups of at most [`ZIP_GROUP_FILES`] members or [`ZIP_GROUP_BYTES`] bytes whose records are
/// parsed in parallel and then go to `sink` in chunks (`None`: everything is returned).
///
/// With a sink, every member is first inflated once without keeping it, to check every CRC:
/// records already handed to the sink cannot be taken back, and a damaged archive must not be
/// imported in part.
pub(crate) fn import_zip<R: Read + Seek>(
    reader: R,
    location: &str,
    sink: Option<&mut dyn Sink>,
) -> Result<Import, FeedError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| FeedError::malformed(location, e))?;
    let streaming = sink.is_some();
    let mut out = Out::new(sink);
    out.import.records.complete = true;
    if streaming {
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| corrupt(location, &e))?;
            if entry.is_dir() || !entry.name().ends_with(".json") || entry.size() > MAX_ENTRY {
                continue;
            }
            let name = entry.name().to_owned();
            std::io::copy(&mut entry.by_ref().take(MAX_ENTRY + 1), &mut std::io::sink())
                .map_err(|e| FeedError::malformed(location, format!("corrupt zip entry {name}: {e}")))?;
        }
    }
    let mut group: Vec<(String, Vec<u8>)> = Vec::new();
    let mut group_bytes = 0usize;
    for i in 0..zip.len() {
        // A damaged entry means a damaged download: refuse the whole archive rather than
        // silently import part of it.
        let mut entry = zip.by_index(i).map_err(|e| corrupt(location, &e))?;
        if entry.is_dir() || !entry.name().ends_with(".json") {
            continue;
        }
        let loc = format!("{location}!{}", entry.name());
        let declared = entry.size();
        if declared > MAX_ENTRY {
            let message = format!("entry declares {declared} bytes, over the bound of {MAX_ENTRY}; skipped");
            out.import.diagnostics.push(Diagnostic::warning(loc, message));
            continue;
        }
        let mut buf = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
        if let Err(e) = entry.by_ref().take(MAX_ENTRY + 1).read_to_end(&mut buf) {
            return Err(FeedError::malformed(location, format!("corrupt zip entry {}: {e}", entry.name())));
        }
        if buf.len() as u64 > MAX_ENTRY {
            let message =
                format!("entry inflates past the bound of {MAX_ENTRY} bytes (it declares {declared}); skipped");
            out.import.diagnostics.push(Diagnostic::warning(loc, message));
            continue;
        }
        group_bytes += buf.len();
        group.push((loc, buf));
        if group.len() >= ZIP_GROUP_FILES || group_bytes >= ZIP_GROUP_BYTES {
            parse_group(std::mem::take(&mut group), &mut out)?;
            group_bytes = 0;
        }
    }
    parse_group(group, &mut out)?;
    let mut import = out.import;
    import.records.complete = true;
    Ok(import)
}

fn corrupt(location: &str, e: &zip::result::ZipError) -> FeedError {
    FeedError::malformed(location, format!("corrupt zip: {e}"))
}

/// Parses inflated zip members in parallel and adds their records in member order.
fn parse_group(group: Vec<(String, Vec<u8>)>, out: &mut Out<'_>) -> Result<(), FeedError> {
    use rayon::prelude::*;
    let parsed: Vec<(String, Result<Import, FeedError>)> = group
        .into_par_iter()
        .map(|(loc, buf)| {
            let r = parse_json(&buf, &loc);
            (loc, r)
        })
        .collect();
    for (loc, result) in parsed {
        match result {
            Ok(one) => out.import.extend(one),
            Err(e) => out.import.diagnostics.push(Diagnostic::warning(loc, e.to_string())),
        }
        out.record_done()?;
    }
    Ok(())
}

fn severity_of(advisory_id: &str, s: &OsvSeverity, scope: &str) -> SeverityRating {
    let vector = s.score.trim().to_owned();
    let (kind, score) = match s.kind.as_str() {
        "CVSS_V2" | "CVSS_V3" | "CVSS_V4" => {
            let kind = SeverityKind::parse(&s.kind).unwrap_or_else(|| cvss_kind(&vector));
            (kind, cvss_base_score(&vector))
        }
        _ => (SeverityKind::Vendor, None),
    };
    let source = if kind == SeverityKind::Vendor { format!("osv:{}", s.kind) } else { SOURCE.to_owned() };
    SeverityRating { advisory_id: advisory_id.to_owned(), kind, value: vector, score, source, scope: scope.to_owned() }
}

fn add_record(rec: OsvRecord, import: &mut Import, loc: &dyn Fn() -> String) {
    let id = rec.id.trim().to_owned();
    if id.len() > MAX_ID {
        let message = format!("record id of {} bytes, over the bound of {MAX_ID}; skipped", id.len());
        import.diagnostics.push(Diagnostic::warning(loc(), message));
        return;
    }
    import.timestamp = newest(import.timestamp.take(), rec.modified.clone());
    let out = &mut import.records;
    let first_severity = out.severities.len();
    for s in rec.severity.iter().flatten() {
        out.severities.push(severity_of(&id, s, ""));
    }
    let mut cwes = Vec::new();
    if let Some(db) = &rec.database_specific {
        if let Some(Value::Array(ids)) = db.get("cwe_ids") {
            cwes.extend(ids.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        if let Some(word) = db.get("severity").and_then(Value::as_str).filter(|w| !w.is_empty()) {
            out.severities.push(SeverityRating {
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
    let mut aliases = rec.aliases.unwrap_or_default();
    // Chainguard's `CGA-…` records (ecosystems Wolfi and Chainguard) restate one upstream issue
    // (its CVE and GHSA) for the vendor's packages: the same vulnerability, so `upstream` ids are
    // aliases there. That joins a CGA record and the vendor secdb's record of the CVE that match
    // one package into one finding (see `alpine`'s module documentation). Elsewhere `upstream`
    // may list several issues an update fixes, kept apart as related ids.
    if id.starts_with("CGA-") {
        aliases.extend(rec.upstream.unwrap_or_default());
    } else {
        related.extend(rec.upstream.unwrap_or_default());
    }
    let dropped = drop_long_severities(&mut out.severities, first_severity);
    let mut advisory = Advisory {
        id,
        aliases,
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
    };
    if dropped > 0 || needs_bounds(&advisory) {
        let location = loc();
        if dropped > 0 {
            let message = format!("{}: {dropped} severities longer than {MAX_SEVERITY} bytes dropped", advisory.id);
            import.diagnostics.push(Diagnostic::warning(&location, message));
        }
        bound_advisory(&mut advisory, &location, &mut import.diagnostics);
    }
    import.records.advisories.push(advisory);
}

/// Drops the severities from index `from` on whose value is longer than [`MAX_SEVERITY`];
/// returns how many.
pub(crate) fn drop_long_severities(list: &mut Vec<SeverityRating>, from: usize) -> usize {
    let before = list.len();
    let mut i = 0usize;
    list.retain(|s| {
        i += 1;
        i <= from || s.value.len() <= MAX_SEVERITY
    });
    before - list.len()
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
