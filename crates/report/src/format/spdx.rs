//! The `spdx` report format: SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>).
//!
//! SPDX 2.3 has no vulnerability section, so the document is the SBOM of the report's packages,
//! exactly as `microscanner sbom --format spdx` writes it (same packages, same `SPDXID`s), with
//! each finding added to its package as an external reference of category `SECURITY`, type
//! `advisory` (spec §7.21 and Annex F): the locator is the advisory's page (`primary_url`, else
//! the id's page at NVD, GitHub or OSV) and the comment names the id, and for a suppressed finding
//! the suppression. The document namespace is derived from the SBOM's and the findings, so it
//! differs from the plain SBOM of the same scan.

use microscanner_model::{Finding, Report, SuppressionKind};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::RenderError;
use super::cyclonedx::{ReportPackages, advisory_source, sbom_meta, write_pretty};
use crate::sbom::spdx::Document;
use crate::sbom::uuid_from_hash;
use crate::text::is_web_url;

/// Writes `report` as SPDX 2.3 JSON with advisory references to `out`, one package at a time.
pub(super) fn write(report: &Report, out: &mut dyn std::io::Write) -> Result<(), RenderError> {
    let packages = ReportPackages::new(report);
    let mut meta = sbom_meta(report);
    meta.created = spdx_timestamp(&meta.created);
    let mut doc = Document::new(packages.subject(report), &meta);
    let mut hasher = Sha256::new();
    hasher.update(doc.document_namespace.as_bytes());
    hasher.update(b"\0advisories");
    for (f, index) in packages.findings(report) {
        let reference = advisory_ref(f);
        hasher.update(reference.to_string().as_bytes());
        doc.add_reference(index, reference);
    }
    // the SBOM's namespace with our own UUID in place of its last segment
    let base = doc.document_namespace.rsplit_once('/').map_or("https://microscanner.invalid/spdx", |(base, _)| base);
    let namespace = format!("{base}/{}", uuid_from_hash(&hasher.finalize()));
    doc.document_namespace = namespace;
    doc.comment = Some(comment(report));
    write_pretty(out, &doc, "spdx")
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
