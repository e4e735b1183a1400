//! The `cyclonedx` report format: CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).
//!
//! The document is the SBOM of the report's packages, exactly as `microscanner sbom --format
//! cyclonedx` writes it (same components, same `bom-ref`s), plus `vulnerabilities`: one entry per
//! finding (a vulnerability in one component), shown ones first, then the suppressed ones with a
//! VEX `analysis`. Choices, where CycloneDX leaves room:
//!
//! - severity `negligible` (Debian `unimportant`, Ubuntu `negligible`) is CycloneDX `info`: the
//!   vulnerability is real but rated no practical risk, which is `info`'s meaning; `none` is kept
//!   for a CVSS score of 0, which we never emit.
//! - a VEX `not_affected` suppression is `analysis.state: not_affected` with the OpenVEX
//!   justification mapped to CycloneDX's ([`cdx_justification`]); VEX `fixed` is `resolved`. An
//!   ignore-file entry is an accepted risk: `exploitable` with response `will_not_fix`, its reason
//!   as `detail`.
//! - each vulnerability's `bom-ref` is `ID@COMPONENT-BOM-REF` and it `affects` that one component
//!   at its installed version, `affected`; `unaffected` when a VEX statement says `not_affected`
//!   or `fixed`.
//! - the serial number is derived from the SBOM's and the findings, so it differs from the plain
//!   SBOM of the same scan (they are different documents) and is the same for the same report.

use std::collections::{HashMap, HashSet};

use std::io::Write as _;

use microscanner_model::{
    AffectedPackage, Finding, FixState, Package, PackageKind, Rating, RatingKind, Report, Severity, Suppression,
    SuppressionKind,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::RenderError;
use crate::sbom::cyclonedx::{Bom, bom_ref};
use crate::sbom::{PackageList, SbomMeta, Subject, uuid_from_hash};
use crate::text::is_web_url;

/// Property names we add to vulnerabilities, in the `microscanner:` namespace the SBOM uses.
const PROP_FIX_STATE: &str = "microscanner:finding:fix_state";
const PROP_SEVERITY: &str = "microscanner:finding:severity";
const PROP_SEVERITY_SOURCE: &str = "microscanner:finding:severity_source";
const PROP_KEV: &str = "microscanner:finding:kev_date_added";
const PROP_EPSS: &str = "microscanner:finding:epss_score";
const PROP_SUPPRESSION_KIND: &str = "microscanner:suppression:kind";
const PROP_SUPPRESSION_SOURCE: &str = "microscanner:suppression:source";
const PROP_SUPPRESSION_EXPIRES: &str = "microscanner:suppression:expires";

/// Writes `report` as CycloneDX 1.6 JSON with `vulnerabilities` to `out`, one component at a
/// time.
pub(super) fn write(report: &Report, out: &mut dyn std::io::Write) -> Result<(), RenderError> {
    let packages = ReportPackages::new(report);
    let subject = packages.subject(report);
    let mut bom = Bom::new(subject, &sbom_meta(report));
    let mut seen = HashSet::new();
    let mut vulnerabilities = Vec::new();
    let mut hasher = Sha256::new();
    hasher.update(bom.serial_number.as_bytes());
    hasher.update(b"\0vulnerabilities");
    for (finding, index) in packages.findings(report) {
        let package = subject.packages.get(index).ok_or_else(|| internal("a finding's package has no component"))?;
        let component = bom_ref(index, package);
        let bom_ref = unique_ref(&mut seen, &finding.id, &component);
        hasher.update(bom_ref.as_bytes());
        hasher.update([u8::from(finding.suppression.is_some())]);
        vulnerabilities.push(vulnerability(finding, &bom_ref, &component));
    }
    bom.serial_number = format!("urn:uuid:{}", uuid_from_hash(&hasher.finalize()));
    bom.vulnerabilities = Some(vulnerabilities);
    write_pretty(out, &bom, "cyclonedx")
}

/// Writes `document` pretty-printed, with a final newline, without holding it whole.
pub(super) fn write_pretty(
    out: &mut dyn std::io::Write,
    document: &impl serde::Serialize,
    format: &'static str,
) -> Result<(), RenderError> {
    let mut out = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, document).map_err(|e| {
        if e.is_io() { RenderError::Write(e.into()) } else { RenderError::Serialize { format, message: e.to_string() } }
    })?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// The `bom-ref` of a vulnerability: `ID@COMPONENT`, with `~2`, `~3`... on repeats.
fn unique_ref(seen: &mut HashSet<String>, id: &str, component: &str) -> String {
    let mut bom_ref = format!("{id}@{component}");
    let mut n = 1;
    while !seen.insert(bom_ref.clone()) {
        n += 1;
        bom_ref = format!("{id}@{component}~{n}");
    }
    bom_ref
}

fn internal(message: &str) -> RenderError {
    RenderError::Serialize { format: "cyclonedx", message: format!("internal: {message}") }
}

/// The SBOM facts of a report: its generator's version and its own time, so the same report
/// gives the same document.
pub(super) fn sbom_meta(report: &Report) -> SbomMeta {
    SbomMeta { tool_version: report.generator.version.clone(), created: report.created_at.clone() }
}

/// What (kind, name, version, location) a finding's package and an inventory package are
/// matched by.
type PackageKey<'a> = (PackageKind, &'a str, &'a str, &'a str);

/// The packages of the SBOM a vulnerability report carries: the report's packages in their
/// order (so ids and `bom-ref`s are those of `microscanner sbom`), then any package a finding
/// names that the list lacks (a report assembled elsewhere), so every finding has a component;
/// and the position of each finding's package among them. Only the findings' packages are
/// indexed: the report's list is read once and never copied.
pub(super) struct ReportPackages {
    /// Packages that findings name and the report's list lacks, in order of first mention.
    extra: Vec<Package>,
    /// For each finding, then each suppressed finding, the document position of its package.
    positions: Vec<usize>,
}

impl ReportPackages {
    /// The packages of `report`'s SBOM.
    pub(super) fn new(report: &Report) -> Self {
        let findings = || report.findings.iter().chain(&report.suppressed);
        let mut position: HashMap<PackageKey<'_>, Option<usize>> =
            findings().map(|f| (affected_key(&f.package), None)).collect();
        for (i, p) in report.packages.iter().enumerate() {
            let key = (p.kind, p.name.as_str(), p.version.as_str(), p.location());
            if let Some(slot) = position.get_mut(&key)
                && slot.is_none()
            {
                // the first of equal packages wins
                *slot = Some(i);
            }
        }
        let mut extra = Vec::new();
        let positions = findings()
            .map(|f| {
                let slot = position.entry(affected_key(&f.package)).or_default();
                *slot.get_or_insert_with(|| {
                    extra.push(package_of(&f.package));
                    report.packages.len() + extra.len() - 1
                })
            })
            .collect();
        Self { extra, positions }
    }

    /// What the SBOM describes.
    pub(super) fn subject<'a>(&'a self, report: &'a Report) -> Subject<'a> {
        Subject {
            image: &report.image,
            os: report.os.as_ref(),
            packages: PackageList { listed: &report.packages, extra: &self.extra },
            diagnostics: &[],
            dependencies: &[],
        }
    }

    /// Each finding, then each suppressed finding, with the document position of its package.
    pub(super) fn findings<'a>(&'a self, report: &'a Report) -> impl Iterator<Item = (&'a Finding, usize)> {
        report.findings.iter().chain(&report.suppressed).zip(self.positions.iter().copied())
    }
}

/// The key of a finding's package.
fn affected_key(a: &AffectedPackage) -> PackageKey<'_> {
    (a.kind, &a.name, &a.version, &a.location)
}

/// An inventory package for an affected package the report's package list lacks.
fn package_of(a: &AffectedPackage) -> Package {
    Package::new(a.kind, a.name.as_str(), a.version.as_str())
        .with_source_name(a.source_name.clone())
        .with_purl(a.purl.as_str())
        .with_location(a.location.as_str())
        .with_layer(a.layer.clone())
}

/// One finding as a CycloneDX vulnerability affecting `component`.
fn vulnerability(f: &Finding, bom_ref: &str, component: &str) -> Value {
    let (source_name, source_url) = advisory_source(&f.id);
    let mut v = json!({
        "bom-ref": bom_ref,
        "id": f.id,
        "source": { "name": source_name, "url": source_url },
    });
    if !f.aliases.is_empty() {
        v["references"] = f
            .aliases
            .iter()
            .map(|alias| {
                let (name, url) = advisory_source(alias);
                json!({ "id": alias, "source": { "name": name, "url": url } })
            })
            .collect();
    }
    v["ratings"] = Value::Array(ratings(f));
    let cwes: Vec<u32> = f.cwes.iter().filter_map(|c| cwe_number(c)).collect();
    if !cwes.is_empty() {
        v["cwes"] = json!(cwes);
    }
    match (&f.title, &f.description) {
        (Some(title), Some(description)) => {
            v["description"] = json!(title);
            v["detail"] = json!(description);
        }
        (Some(text), None) | (None, Some(text)) => v["description"] = json!(text),
        (None, None) => {}
    }
    v["recommendation"] = json!(recommendation(f));
    let mut urls: Vec<&str> = Vec::new();
    for u in f.primary_url.iter().chain(&f.references) {
        if is_web_url(u) && !urls.contains(&u.as_str()) {
            urls.push(u);
        }
    }
    let advisories: Vec<Value> = urls.into_iter().map(|u| json!({ "url": u })).collect();
    if !advisories.is_empty() {
        v["advisories"] = Value::Array(advisories);
    }
    if let Some(published) = f.published.as_deref().and_then(date_time) {
        v["published"] = json!(published);
    }
    if let Some(updated) = f.modified.as_deref().and_then(date_time) {
        v["updated"] = json!(updated);
    }
    let unaffected = f.suppression.as_ref().is_some_and(|s| {
        s.kind == SuppressionKind::Vex && matches!(s.status.as_deref(), Some("not_affected" | "fixed"))
    });
    let mut affects = json!({ "ref": component });
    if !f.package.version.is_empty() {
        let status = if unaffected { "unaffected" } else { "affected" };
        affects["versions"] = json!([{ "version": f.package.version, "status": status }]);
    }
    v["affects"] = json!([affects]);
    if let Some(s) = &f.suppression {
        v["analysis"] = analysis(s);
    }
    v["properties"] = Value::Array(properties(f));
    v
}

/// Every rating of a finding; when it has none, one saying the severity it was given.
fn ratings(f: &Finding) -> Vec<Value> {
    let mut out: Vec<Value> = f.ratings.iter().map(rating).collect();
    if out.is_empty() {
        out.push(json!({
            "source": { "name": if f.severity_source == "none" { "microscanner" } else { rating_source(&f.severity_source) } },
            "severity": cdx_severity(f.severity),
            "method": "other",
        }));
    }
    out
}

fn rating(r: &Rating) -> Value {
    let method = match r.kind {
        RatingKind::CvssV2 => "CVSSv2",
        RatingKind::CvssV3 if r.value.starts_with("CVSS:3.0/") => "CVSSv3",
        RatingKind::CvssV3 => "CVSSv31",
        RatingKind::CvssV4 => "CVSSv4",
        RatingKind::Vendor => "other",
    };
    let mut v = json!({ "source": { "name": rating_source(&r.source) }, "severity": cdx_severity(r.severity), "method": method });
    if let Some(score) = r.score.filter(|s| s.is_finite()) {
        v["score"] = json!(score);
    }
    if r.kind == RatingKind::Vendor {
        v["justification"] = json!(format!("{} rates it {}", r.source, r.value));
    } else if !r.value.is_empty() {
        v["vector"] = json!(r.value);
    }
    v
}

/// The display name of a rating source (`nvd` → `NVD`); unknown sources (a CNA) as written.
fn rating_source(source: &str) -> &str {
    match source {
        "nvd" => "NVD",
        "osv" => "OSV",
        "ghsa" => "GitHub Advisories",
        "debian" => "Debian",
        "ubuntu" => "Ubuntu",
        "alpine" => "Alpine",
        "redhat" => "Red Hat",
        other => other,
    }
}

/// CycloneDX's severity for ours (`negligible` is `info`: see the module docs).
fn cdx_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Negligible => "info",
        Severity::Unknown => "unknown",
    }
}

/// `CWE-79` → 79.
fn cwe_number(s: &str) -> Option<u32> {
    let s = s.trim();
    let n = s.get(..4).filter(|p| p.eq_ignore_ascii_case("CWE-")).map_or(s, |_| &s[4..]);
    n.parse().ok().filter(|n| *n >= 1)
}

/// What to do about a finding, in one sentence.
fn recommendation(f: &Finding) -> String {
    let name = &f.package.name;
    match f.fix.state {
        FixState::Fixed => match f.fix.versions.as_slice() {
            [] => format!("Upgrade {name}: a fixed version exists."),
            [one] => format!("Upgrade {name} to {one} or later."),
            [first, ..] => format!("Upgrade {name} to {first} or later (fixed in {}).", f.fix.versions.join(", ")),
        },
        FixState::NotFixed => format!("No fixed version of {name} is available yet."),
        FixState::WontFix => format!("The distribution will not fix this in {name}."),
        FixState::Postponed => format!("The distribution postponed the fix for {name} to a later release."),
        FixState::EndOfLife => format!("{name} is out of support and will get no fix: move to a supported release."),
        FixState::Undetermined => format!("The distribution has not decided yet whether to fix {name}."),
    }
}

/// The VEX analysis of a suppressed finding.
fn analysis(s: &Suppression) -> Value {
    let mut a = match (s.kind, s.status.as_deref()) {
        (SuppressionKind::Vex, Some("not_affected")) => json!({ "state": "not_affected" }),
        (SuppressionKind::Vex, Some("fixed")) => json!({ "state": "resolved" }),
        (SuppressionKind::Vex, Some("under_investigation")) => json!({ "state": "in_triage" }),
        (SuppressionKind::Vex, Some("affected")) => json!({ "state": "exploitable" }),
        (SuppressionKind::Vex, _) => json!({}),
        (SuppressionKind::IgnoreFile, _) => json!({ "state": "exploitable", "response": ["will_not_fix"] }),
    };
    if let Some(j) = s.justification.as_deref().and_then(cdx_justification) {
        a["justification"] = json!(j);
    }
    let detail = match (&s.reason, s.kind) {
        (Some(reason), _) => reason.clone(),
        (None, SuppressionKind::Vex) => format!("VEX statement in {}", s.source),
        (None, SuppressionKind::IgnoreFile) => format!("ignored by {}", s.source),
    };
    a["detail"] = json!(detail);
    a
}

/// CycloneDX's justification for an OpenVEX (or CSAF-style) one: the closest term, as the
/// CycloneDX/OpenVEX mappings in common use choose. Already-CycloneDX words pass through.
fn cdx_justification(openvex: &str) -> Option<&'static str> {
    Some(match openvex.trim() {
        "component_not_present" | "vulnerable_code_not_present" | "code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" | "code_not_reachable" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" | "requires_environment" => "requires_environment",
        "inline_mitigations_already_exist" | "protected_by_mitigating_control" => "protected_by_mitigating_control",
        "requires_configuration" => "requires_configuration",
        "requires_dependency" => "requires_dependency",
        "protected_by_compiler" => "protected_by_compiler",
        "protected_at_runtime" => "protected_at_runtime",
        "protected_at_perimeter" => "protected_at_perimeter",
        _ => return None,
    })
}

/// The `microscanner:` properties of a vulnerability.
fn properties(f: &Finding) -> Vec<Value> {
    let mut props = vec![
        json!({ "name": PROP_SEVERITY, "value": f.severity.as_str() }),
        json!({ "name": PROP_SEVERITY_SOURCE, "value": f.severity_source }),
        json!({ "name": PROP_FIX_STATE, "value": f.fix.state.as_str() }),
    ];
    if let Some(kev) = &f.kev {
        props.push(json!({ "name": PROP_KEV, "value": kev.date_added.as_deref().unwrap_or("yes") }));
    }
    if let Some(epss) = f.epss.as_ref().filter(|e| e.score.is_finite()) {
        props.push(json!({ "name": PROP_EPSS, "value": epss.score.to_string() }));
    }
    if let Some(s) = &f.suppression {
        let kind = match s.kind {
            SuppressionKind::Vex => "vex",
            SuppressionKind::IgnoreFile => "ignore-file",
        };
        props.push(json!({ "name": PROP_SUPPRESSION_KIND, "value": kind }));
        props.push(json!({ "name": PROP_SUPPRESSION_SOURCE, "value": s.source }));
        if let Some(expires) = &s.expires {
            props.push(json!({ "name": PROP_SUPPRESSION_EXPIRES, "value": expires }));
        }
    }
    props
}

/// Who publishes an advisory id, and its page: NVD for CVEs, GitHub for GHSAs, OSV (which
/// mirrors PYSEC, RUSTSEC, GO, DSA, DLA, USN, ALSA and the rest) otherwise.
pub(super) fn advisory_source(id: &str) -> (&'static str, String) {
    let encoded = url_path_segment(id);
    let prefix = id.split('-').next().unwrap_or_default();
    if prefix.eq_ignore_ascii_case("CVE") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{encoded}"))
    } else if prefix.eq_ignore_ascii_case("GHSA") {
        ("GitHub Advisories", format!("https://github.com/advisories/{encoded}"))
    } else {
        ("OSV", format!("https://osv.dev/vulnerability/{encoded}"))
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for an id in a URL path.
fn url_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An RFC 3339 date-time for a feed's timestamp: as is when it is one, midnight UTC for a plain
/// date (`2023-02-08`), `None` for anything else (CycloneDX requires `date-time`).
fn date_time(s: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if time::OffsetDateTime::parse(s, &Rfc3339).is_ok() {
        return Some(s.to_owned());
    }
    let date = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(format!("{date}T00:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_mappings() {
        assert_eq!(cwe_number("CWE-787"), Some(787));
        assert_eq!(cwe_number("cwe-79"), Some(79));
        assert_eq!(cwe_number("NVD-CWE-Other"), None);
        assert_eq!(cwe_number("CWE-0"), None);
        assert_eq!(cdx_justification("vulnerable_code_not_in_execute_path"), Some("code_not_reachable"));
        assert_eq!(cdx_justification("something_else"), None);
        assert_eq!(date_time("2023-02-08"), Some("2023-02-08T00:00:00Z".into()));
        assert_eq!(date_time("2023-02-08T20:15:00Z"), Some("2023-02-08T20:15:00Z".into()));
        assert_eq!(date_time("yesterday"), None);
        assert_eq!(advisory_source("CVE-2023-0286").1, "https://nvd.nist.gov/vuln/detail/CVE-2023-0286");
        assert_eq!(advisory_source("PYSEC-2019-10").0, "OSV");
        assert_eq!(advisory_source("a b/c").1, "https://osv.dev/vulnerability/a%20b%2Fc");
        assert!(is_web_url("https://rustsec.org/advisories/RUSTSEC-2021-0003.html"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("https://"));
        assert!(!is_web_url("https://x.invalid/\"><script>"));
    }
}
