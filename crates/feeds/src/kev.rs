//! CISA's Known Exploited Vulnerabilities catalog (JSON).

use microscanner_model::Diagnostic;
use microscanner_vulndb::KevEntry;
use serde_json::Value;

use crate::{FeedError, Import, MAX_ID, MAX_SUMMARY, cut_text, parse_value, str_of};

/// Longest KEV text field kept (vendor, product, name, dates), in bytes.
pub const MAX_KEV_TEXT: usize = MAX_SUMMARY;

/// True when a JSON value is the KEV catalog.
pub fn looks_like_kev(v: &Value) -> bool {
    v.get("catalogVersion").is_some()
        || v.get("vulnerabilities")
            .and_then(Value::as_array)
            .is_some_and(|a| a.first().is_some_and(|i| i.get("cveID").is_some()))
}

/// Imports the catalog bytes.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let value = parse_value(bytes, location)?;
    from_value(&value, location)
}

/// Imports an already parsed catalog.
pub fn from_value(value: &Value, location: &str) -> Result<Import, FeedError> {
    let list = value
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| FeedError::malformed(location, "no vulnerabilities array: not the KEV catalog"))?;
    let mut import = Import { timestamp: timestamp_of(value), ..Import::default() };
    for (i, v) in list.iter().enumerate() {
        add_item(i, v, location, &mut import);
    }
    Ok(import)
}

/// The catalog's own timestamp (`dateReleased`, else `catalogVersion`).
pub(crate) fn timestamp_of(catalog: &Value) -> Option<String> {
    str_of(catalog.get("dateReleased")).or_else(|| str_of(catalog.get("catalogVersion")))
}

/// Imports the `i`th entry of the catalog's `vulnerabilities`. Text fields longer than
/// [`MAX_KEV_TEXT`] are cut, with a diagnostic.
pub(crate) fn add_item(i: usize, v: &Value, location: &str, import: &mut Import) {
    let loc = || format!("{location}: vulnerabilities[{i}]");
    let Some(cve) = str_of(v.get("cveID")).filter(|c| c.starts_with("CVE-") && c.len() <= MAX_ID) else {
        import.diagnostics.push(Diagnostic::warning(loc(), "no cveID; skipped"));
        return;
    };
    let mut cut = Vec::new();
    let mut text = |key: &str| {
        let mut s = str_of(v.get(key));
        if let Some(s) = s.as_mut()
            && let Some(n) = cut_text(s, MAX_KEV_TEXT)
        {
            cut.push(format!("{key} of {n} bytes cut to {MAX_KEV_TEXT}"));
        }
        s
    };
    let entry = KevEntry {
        cve_id: cve,
        date_added: text("dateAdded"),
        due_date: text("dueDate"),
        ransomware: text("knownRansomwareCampaignUse"),
        vendor: text("vendorProject"),
        product: text("product"),
        name: text("vulnerabilityName"),
    };
    if !cut.is_empty() {
        import.diagnostics.push(Diagnostic::warning(loc(), format!("{}: {}", entry.cve_id, cut.join("; "))));
    }
    import.records.kev.push(entry);
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
