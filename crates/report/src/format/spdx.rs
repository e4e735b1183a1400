//! The `spdx` report format: SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>).
//!
//! SPDX 2.3 has no vulnerability section, so the document is the SBOM of the report's packages,
//! exactly as `microscanner sbom --format spdx` writes it (same packages, same `SPDXID`s), with
//! each finding added to its package as an external reference of category `SECURITY`, type
//! `advisory` (spec §7.21 and Annex F): the locator is the advisory's page (`primary_url`, else
//! the id's page at NVD, GitHub or OSV) and the comment names the id, and for a suppressed finding
//! the suppression. The document namespace is derived from the SBOM's and the findings, so it
//! differs from the plain SBOM of the same scan.

use std::collections::HashMap;

use microscanner_model::{Finding, Report, SuppressionKind};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::RenderError;
use super::cyclonedx::{PackageLookup, advisory_source, sbom_inventory, sbom_meta};
use crate::sbom::{SbomFormat, SbomWithRefs, sbom_with_refs, uuid_from_hash};
use crate::text::is_web_url;

/// Renders `report` as SPDX 2.3 JSON with advisory references.
pub(super) fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let inventory = sbom_inventory(report);
    let mut meta = sbom_meta(report);
    meta.created = spdx_timestamp(&meta.created);
    let SbomWithRefs { document: mut doc, package_refs } = sbom_with_refs(&inventory, SbomFormat::Spdx, &meta);
    let positions = positions_by_id(&doc);
    let lookup = PackageLookup::new(&inventory.packages);
    let mut hasher = Sha256::new();
    hasher.update(doc["documentNamespace"].as_str().unwrap_or_default().as_bytes());
    hasher.update(b"\0advisories");
    for f in report.findings.iter().chain(&report.suppressed) {
        let position = lookup
            .find(&f.package)
            .and_then(|i| package_refs.get(i))
            .and_then(|id| positions.get(id.as_str()))
            .copied()
            .ok_or_else(|| internal("a finding's package is not in the document"))?;
        let reference = advisory_ref(f);
        hasher.update(reference.to_string().as_bytes());
        add_reference(&mut doc, position, reference)?;
    }
    let object = doc.as_object_mut().ok_or_else(|| internal("the SBOM is not an object"))?;
    // the SBOM's namespace with our own UUID in place of its last segment
    let sbom_namespace = object.get("documentNamespace").and_then(Value::as_str).unwrap_or_default();
    let base = sbom_namespace.rsplit_once('/').map_or("https://microscanner.invalid/spdx", |(base, _)| base);
    let namespace = format!("{base}/{}", uuid_from_hash(&hasher.finalize()));
    object.insert("documentNamespace".to_owned(), json!(namespace));
    object.insert("comment".to_owned(), json!(comment(report)));
    let mut bytes = serde_json::to_vec_pretty(&doc)
        .map_err(|e| RenderError::Serialize { format: "spdx", message: e.to_string() })?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn internal(message: &str) -> RenderError {
    RenderError::Serialize { format: "spdx", message: format!("internal: {message}") }
}

/// The position in `doc["packages"]` of each `SPDXID`.
fn positions_by_id(doc: &Value) -> HashMap<String, usize> {
    let packages = doc["packages"].as_array().map_or(&[][..], Vec::as_slice);
    packages.iter().enumerate().filter_map(|(i, p)| Some((p["SPDXID"].as_str()?.to_owned(), i))).collect()
}

/// Adds `reference` to the external references of the package at `position`, once.
fn add_reference(doc: &mut Value, position: usize, reference: Value) -> Result<(), RenderError> {
    let refs = doc
        .get_mut("packages")
        .and_then(Value::as_array_mut)
        .and_then(|packages| packages.get_mut(position))
        .and_then(|package| package.get_mut("externalRefs"))
        .and_then(Value::as_array_mut)
        .ok_or_else(|| internal("a package has no externalRefs"))?;
    if !refs.contains(&reference) {
        refs.push(reference);
    }
    Ok(())
}

/// The `SECURITY`/`advisory` external reference of a finding.
fn advisory_ref(f: &Finding) -> Value {
    let locator = f.primary_url.clone().filter(|u| is_web_url(u)).unwrap_or_else(|| advisory_source(&f.id).1);
    let mut comment = f.id.clone();
    if !f.aliases.is_empty() {
        comment.push_str(&format!(" (aliases: {})", f.aliases.join(", ")));
    }
    comment.push_str(&format!("; severity {}", f.severity));
    if let Some(s) = &f.suppression {
        let what = match (s.kind, &s.status) {
            (SuppressionKind::Vex, Some(status)) => format!("VEX {status}"),
            (SuppressionKind::Vex, None) => "VEX".to_owned(),
            (SuppressionKind::IgnoreFile, _) => "ignore file".to_owned(),
        };
        comment.push_str(&format!("; suppressed by {what} ({})", s.source));
        if let Some(justification) = &s.justification {
            comment.push_str(&format!(", {justification}"));
        }
        if let Some(reason) = &s.reason {
            comment.push_str(&format!(": {reason}"));
        }
    }
    json!({
        "referenceCategory": "SECURITY",
        "referenceType": "advisory",
        "referenceLocator": locator,
        "comment": comment,
    })
}

/// The document comment: what the advisory references are.
fn comment(report: &Report) -> String {
    let s = &report.summary;
    let c = &s.counts;
    format!(
        "microscanner vulnerability report: {} findings ({} critical, {} high, {} medium, {} low, {} negligible, {} \
         unknown), {} suppressed. Each finding is a SECURITY advisory reference on its package.",
        c.total, c.critical, c.high, c.medium, c.low, c.negligible, c.unknown, s.suppressed
    )
}

/// SPDX wants `YYYY-MM-DDThh:mm:ssZ`: a report time with fractions or an offset is brought to
/// that; anything unparsable is left for the validator to reject.
fn spdx_timestamp(created: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    let Ok(t) = time::OffsetDateTime::parse(created, &Rfc3339) else { return created.to_owned() };
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_lose_fractions_and_offsets() {
        assert_eq!(spdx_timestamp("2026-11-23T12:00:00Z"), "2026-11-23T12:00:00Z");
        assert_eq!(spdx_timestamp("2026-11-23T12:00:00.123+01:00"), "2026-11-23T11:00:00Z");
        assert_eq!(spdx_timestamp("garbage"), "garbage");
    }
}
