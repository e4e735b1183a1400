//! CISA's Known Exploited Vulnerabilities catalog (JSON).

use microscanner_model::Diagnostic;
use microscanner_vulndb::KevEntry;
use serde_json::Value;

use crate::{FeedError, Import, str_of};

/// True when a JSON value is the KEV catalog.
pub fn looks_like_kev(v: &Value) -> bool {
    v.get("catalogVersion").is_some()
        || v.get("vulnerabilities")
            .and_then(Value::as_array)
            .is_some_and(|a| a.first().is_some_and(|i| i.get("cveID").is_some()))
}

/// Imports the catalog bytes.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| FeedError::malformed(location, e))?;
    from_value(&value, location)
}

/// Imports an already parsed catalog.
pub fn from_value(value: &Value, location: &str) -> Result<Import, FeedError> {
    let list = value
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| FeedError::malformed(location, "no vulnerabilities array: not the KEV catalog"))?;
    let mut import = Import {
        timestamp: str_of(value.get("dateReleased")).or_else(|| str_of(value.get("catalogVersion"))),
        ..Import::default()
    };
    for (i, v) in list.iter().enumerate() {
        let Some(cve) = str_of(v.get("cveID")).filter(|c| c.starts_with("CVE-")) else {
            import
                .diagnostics
                .push(Diagnostic::warning(format!("{location}: vulnerabilities[{i}]"), "no cveID; skipped"));
            continue;
        };
        import.records.kev.push(KevEntry {
            cve_id: cve,
            date_added: str_of(v.get("dateAdded")),
            due_date: str_of(v.get("dueDate")),
            ransomware: str_of(v.get("knownRansomwareCampaignUse")),
            vendor: str_of(v.get("vendorProject")),
            product: str_of(v.get("product")),
            name: str_of(v.get("vulnerabilityName")),
        });
    }
    Ok(import)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_a_bad_one() {
        let json = br#"{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19.9796Z","vulnerabilities":[{"cveID":"CVE-1-2","dateAdded":"2025-01-01"},{"x":1}]}"#;
        let import = parse(json, "kev.json").unwrap();
        assert_eq!(import.records.kev.len(), 1);
        assert_eq!(import.records.kev[0].date_added.as_deref(), Some("2025-01-01"));
        assert_eq!(import.diagnostics.len(), 1);
        assert_eq!(import.timestamp.as_deref(), Some("2025-08-25T17:04:19.9796Z"));
        assert!(parse(b"[]", "x").is_err());
    }
}
