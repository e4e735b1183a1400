//! NVD CVE API 2.0: a result page (`{"vulnerabilities":[{"cve":{...}}]}`), one item
//! (`{"cve":{...}}`) or a bare CVE object. Used for severity enrichment: CVSS v2/v3.x/v4 vectors
//! and scores with their source, CWEs, published date, references.

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Advisory, Records, Reference, SeverityKind, SeverityRating, cvss_base_score};
use serde_json::Value;

use crate::{FeedError, Import, MAX_ID, MAX_SEVERITY, bound_advisory, newest, parse_value, str_of};

/// Source name of NVD advisories.
pub const SOURCE: &str = "nvd";

/// True when a JSON value is an NVD page, item or CVE object.
pub fn looks_like_nvd(v: &Value) -> bool {
    v.get("format").and_then(Value::as_str) == Some("NVD_CVE")
        || v.get("vulnerabilities")
            .and_then(Value::as_array)
            .is_some_and(|a| a.first().is_some_and(|i| i.get("cve").is_some()))
        || v.get("cve").is_some_and(Value::is_object)
        || (v.get("id").and_then(Value::as_str).is_some_and(|id| id.starts_with("CVE-"))
            && v.get("descriptions").is_some())
}

/// Imports NVD JSON bytes.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let value = parse_value(bytes, location)?;
    Ok(from_value(&value, location))
}

/// The paging fields of an API page: (startIndex, resultsPerPage, totalResults).
pub fn page_info(v: &Value) -> Option<(u64, u64, u64)> {
    Some((v.get("startIndex")?.as_u64()?, v.get("resultsPerPage")?.as_u64()?, v.get("totalResults")?.as_u64()?))
}

/// Imports an already parsed NVD document.
pub fn from_value(value: &Value, location: &str) -> Import {
    let mut import = Import { records: Records { complete: true, ..Records::default() }, ..Import::default() };
    import.timestamp = str_of(value.get("timestamp"));
    match value.get("vulnerabilities").and_then(Value::as_array) {
        Some(list) => {
            for (i, item) in list.iter().enumerate() {
                add_item(i, item, location, &mut import);
            }
        }
        None => add_item(0, value, location, &mut import),
    }
    import
}

/// Imports the `i`th item of a page's `vulnerabilities` (`{"cve": {...}}` or a bare CVE object).
/// Without a page timestamp, the import's timestamp is the first CVE's `lastModified`.
pub(crate) fn add_item(i: usize, item: &Value, location: &str, import: &mut Import) {
    let cve = item.get("cve").unwrap_or(item);
    let Some(id) = cve.get("id").and_then(Value::as_str) else {
        import.diagnostics.push(Diagnostic::warning(format!("{location}[{i}]"), "CVE without id; skipped"));
        return;
    };
    if id.len() > MAX_ID {
        let message = format!("CVE id of {} bytes, over the bound of {MAX_ID}; skipped", id.len());
        import.diagnostics.push(Diagnostic::warning(format!("{location}[{i}]"), message));
        return;
    }
    add_cve(id, cve, import, &|| format!("{location}[{i}]"));
}

fn add_cve(id: &str, cve: &Value, import: &mut Import, loc: &dyn Fn() -> String) {
    let modified = str_of(cve.get("lastModified"));
    if import.timestamp.is_none() {
        import.timestamp = newest(import.timestamp.take(), modified.clone());
    }
    let out = &mut import.records;
    let first_severity = out.severities.len();
    let description = cve
        .get("descriptions")
        .and_then(Value::as_array)
        .and_then(|d| d.iter().find(|x| x.get("lang").and_then(Value::as_str) == Some("en")))
        .and_then(|d| str_of(d.get("value")));
    let rejected = cve.get("vulnStatus").and_then(Value::as_str) == Some("Rejected");
    let mut cwes: Vec<String> = Vec::new();
    for w in cve.get("weaknesses").and_then(Value::as_array).into_iter().flatten() {
        for d in w.get("description").and_then(Value::as_array).into_iter().flatten() {
            if let Some(v) = d.get("value").and_then(Value::as_str).filter(|v| v.starts_with("CWE-"))
                && !cwes.iter().any(|c| c == v)
            {
                cwes.push(v.to_owned());
            }
        }
    }
    let references = cve
        .get("references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| str_of(r.get("url")))
        .map(|url| Reference { kind: "WEB".into(), url })
        .collect();
    if let Some(metrics) = cve.get("metrics").and_then(Value::as_object) {
        for (key, kind) in [
            ("cvssMetricV2", SeverityKind::CvssV2),
            ("cvssMetricV30", SeverityKind::CvssV3),
            ("cvssMetricV31", SeverityKind::CvssV3),
            ("cvssMetricV40", SeverityKind::CvssV4),
        ] {
            for m in metrics.get(key).and_then(Value::as_array).into_iter().flatten() {
                let data = m.get("cvssData");
                let Some(vector) = data.and_then(|d| str_of(d.get("vectorString"))) else { continue };
                let score =
                    data.and_then(|d| d.get("baseScore")).and_then(Value::as_f64).or_else(|| cvss_base_score(&vector));
                out.severities.push(SeverityRating {
                    advisory_id: id.to_owned(),
                    kind,
                    value: vector,
                    score,
                    source: str_of(m.get("source")).unwrap_or_else(|| SOURCE.into()),
                    scope: String::new(),
                });
            }
        }
    }
    let dropped = crate::osv::drop_long_severities(&mut out.severities, first_severity);
    let mut advisory = Advisory {
        id: id.to_owned(),
        details: description,
        published: str_of(cve.get("published")),
        withdrawn: if rejected { modified.clone() } else { None },
        modified,
        references,
        cwes,
        source: SOURCE.into(),
        ..Advisory::default()
    };
    if dropped > 0 {
        let message = format!("{id}: {dropped} severities longer than {MAX_SEVERITY} bytes dropped");
        import.diagnostics.push(Diagnostic::warning(loc(), message));
    }
    if crate::needs_bounds(&advisory) {
        bound_advisory(&mut advisory, &loc(), &mut import.diagnostics);
    }
    import.records.advisories.push(advisory);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_with_a_bad_item() {
        let json = br#"{"resultsPerPage":2,"startIndex":0,"totalResults":2,"format":"NVD_CVE","timestamp":"2023-10-18T18:04:18.493",
          "vulnerabilities":[{"cve":{"id":"CVE-1","published":"2020","descriptions":[{"lang":"es","value":"no"},{"lang":"en","value":"yes"}],
          "metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}}]},
          "weaknesses":[{"description":[{"lang":"en","value":"CWE-400"},{"lang":"en","value":"NVD-CWE-noinfo"}]}]}},{"cve":{"noid":1}}]}"#;
        let v: Value = serde_json::from_slice(json).unwrap();
        assert!(looks_like_nvd(&v));
        assert_eq!(page_info(&v), Some((0, 2, 2)));
        let import = from_value(&v, "p");
        assert_eq!(import.records.advisories.len(), 1);
        assert_eq!(import.records.advisories[0].details.as_deref(), Some("yes"));
        assert_eq!(import.records.advisories[0].cwes, ["CWE-400"]);
        assert_eq!(import.records.severities[0].score, Some(7.5), "computed from the vector");
        assert_eq!(import.diagnostics.len(), 1);
    }
}
