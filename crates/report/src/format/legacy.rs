//! The legacy report format (`--format microscanner`): the JSON the old Aqua MicroScanner printed, field for field,
//! so scripts written for it keep working. Field names, nesting and key order follow the old
//! tool's real outputs (`../shared/research/anchors.md`, section (a) "Output"); choices where
//! those outputs are silent are listed in `docs/report-formats.md`. In short:
//!
//! - `resources` lists the packages that have at least one shown finding (the old default; the
//!   old `--full-output` lists every package: [`super::RenderOptions::full_output`]);
//!   it is left out when empty, as the old tool did.
//! - The old scale had no `critical` (it counted critical as high): every `*_severity` field and
//!   `vulnerability_summary.high` fold critical into `high`; unrated findings, which the old
//!   scale had no name for, count in `unknown` (a key the old tool did not write), so the
//!   summary adds up to `total`.
//! - `name_hash` is the MD5 of the package name (checked against the old tool's values).
//! - Fields without a value are left out, never written as `null`.

use md5::{Digest as _, Md5};
use microscanner_model::{Finding, FixState, Package, PackageKind, Rating, RatingKind, Report, Severity};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::RenderError;

pub(super) fn render(report: &Report, full_output: bool) -> Result<Vec<u8>, RenderError> {
    let mut bytes = serde_json::to_vec_pretty(&document(report, full_output))
        .map_err(|e| RenderError::Serialize { format: "microscanner", message: e.to_string() })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The whole document. Field order is the old tool's.
#[derive(Serialize)]
struct Document<'a> {
    scan_started: Timestamp,
    scan_duration: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    os: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resources: Vec<ResourceScan<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_assurance_results: Option<AssuranceResults>,
    vulnerability_summary: VulnerabilitySummary,
    scan_options: Empty,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    partial_results: bool,
    initiating_user: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_date: Option<i64>,
    changed_result: bool,
    function_metadata: Empty,
}

/// `{}`.
#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct Timestamp {
    seconds: i64,
    nanos: u32,
}

#[derive(Serialize)]
struct ResourceScan<'a> {
    resource: Resource<'a>,
    scanned: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vulnerability<'a>>,
}

/// A package. Every key is always written (`""` when unknown), as the old tool did.
#[derive(Serialize)]
struct Resource<'a> {
    format: &'static str,
    name: &'a str,
    version: &'a str,
    arch: &'a str,
    cpe: String,
    license: String,
    name_hash: String,
}

#[derive(Serialize, Default)]
struct Vulnerability<'a> {
    /// The finding's severity, for the summary (not written).
    #[serde(skip)]
    severity: Option<Severity>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nvd_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nvd_score_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nvd_vectors: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nvd_severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nvd_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_score_version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_vectors: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_severity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publish_date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modification_date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nvd_score_v3: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nvd_vectors_v3: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nvd_severity_v3: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_score_v3: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_vectors_v3: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_severity_v3: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    classification: Option<String>,
}

#[derive(Serialize)]
struct AssuranceResults {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    disallowed: bool,
    checks_performed: Vec<Check>,
}

#[derive(Serialize)]
struct Check {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    failed: bool,
    policy_id: u32,
    policy_name: &'static str,
    control: &'static str,
    maximum_severity_allowed: &'static str,
}

#[derive(Serialize, Default)]
struct VulnerabilitySummary {
    total: usize,
    high: usize,
    medium: usize,
    low: usize,
    negligible: usize,
    /// Findings no source rated: `total` is the sum of the five counts.
    unknown: usize,
    sensitive: usize,
    malware: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    score_average: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_score: Option<f64>,
}

/// Builds the document; `full_output` lists every package, not only the vulnerable ones (the old
/// `--full-output`).
fn document(report: &Report, full_output: bool) -> Document<'_> {
    let resources = resources(report, full_output);
    let summary = summary(&resources);
    let fail_on = report.policy.fail_on;
    Document {
        scan_started: timestamp(&report.created_at),
        scan_duration: whole_seconds(report.duration_seconds),
        digest: image_digest(report),
        os: report.os.as_ref().map(|os| os.family.as_str()),
        version: report.os.as_ref().map(|os| os.version.as_str()),
        resources,
        image_assurance_results: fail_on.map(|sev| AssuranceResults {
            disallowed: report.policy.failed,
            checks_performed: vec![Check {
                failed: report.policy.failed,
                policy_id: 1,
                policy_name: "Default",
                control: "max_severity",
                maximum_severity_allowed: sev.threshold().as_str(),
            }],
        }),
        vulnerability_summary: summary,
        scan_options: Empty {},
        partial_results: !report.coverage.complete,
        initiating_user: "token",
        data_date: report.database.as_ref().and_then(|db| parse_time(&db.built_at)).map(OffsetDateTime::unix_timestamp),
        changed_result: false,
        function_metadata: Empty {},
    }
}

/// The resources in inventory order, each with its shown findings in report order; findings
/// whose package is not in the inventory come last.
fn resources(report: &Report, full_output: bool) -> Vec<ResourceScan<'_>> {
    let same = |f: &Finding, p: &Package| {
        f.package.kind == p.kind
            && f.package.name == p.name
            && f.package.version == p.version
            && f.package.location == p.location()
    };
    let mut out = Vec::new();
    for p in &report.packages {
        let vulnerabilities: Vec<Vulnerability<'_>> =
            report.findings.iter().filter(|f| same(f, p)).map(|f| vulnerability(f, report)).collect();
        if full_output || !vulnerabilities.is_empty() {
            let resource = resource(p.kind, &p.name, &p.version, p.arch(), p.licenses(), report);
            out.push(ResourceScan { resource, scanned: true, vulnerabilities });
        }
    }
    let mut orphans: Vec<(&Finding, Vec<Vulnerability<'_>>)> = Vec::new();
    for f in report.findings.iter().filter(|f| !report.packages.iter().any(|p| same(f, p))) {
        match orphans.iter_mut().find(|(first, _)| same_package(first, f)) {
            Some((_, vulns)) => vulns.push(vulnerability(f, report)),
            None => orphans.push((f, vec![vulnerability(f, report)])),
        }
    }
    for (f, vulnerabilities) in orphans {
        let p = &f.package;
        let resource = resource(p.kind, &p.name, &p.version, None, &[], report);
        out.push(ResourceScan { resource, scanned: true, vulnerabilities });
    }
    out
}

fn same_package(a: &Finding, b: &Finding) -> bool {
    a.package.kind == b.package.kind
        && a.package.name == b.package.name
        && a.package.version == b.package.version
        && a.package.location == b.package.location
}

fn resource<'a>(
    kind: PackageKind,
    name: &'a str,
    version: &'a str,
    arch: Option<&'a str>,
    licenses: &[String],
    report: &Report,
) -> Resource<'a> {
    let cpe = match (&report.os, kind.is_os()) {
        (Some(os), true) => format!("pkg:/{}:{}:{name}:{version}", os.family, os.version),
        _ => format!("pkg:/{}:{name}:{version}", kind.purl_type()),
    };
    Resource {
        format: kind.purl_type(),
        name,
        version,
        arch: arch.unwrap_or(""),
        cpe,
        license: licenses.join(","),
        name_hash: md5_hex(name.as_bytes()),
    }
}

fn vulnerability<'a>(f: &'a Finding, report: &Report) -> Vulnerability<'a> {
    let mut v = Vulnerability {
        severity: Some(f.severity),
        name: &f.id,
        description: f.description.as_deref().or(f.title.as_deref()),
        ..Vulnerability::default()
    };
    let (nvd, vendor): (Vec<&Rating>, Vec<&Rating>) =
        f.ratings.iter().partition(|r| r.source.eq_ignore_ascii_case("nvd"));
    for r in nvd {
        match r.kind {
            RatingKind::CvssV2 if v.nvd_score_version.is_none() => {
                v.nvd_score = r.score;
                v.nvd_score_version = Some("CVSS v2");
                v.nvd_vectors = Some(&r.value);
                v.nvd_severity = old_severity(r.severity);
            }
            RatingKind::CvssV3 if v.nvd_vectors_v3.is_none() => {
                v.nvd_score_v3 = r.score;
                v.nvd_vectors_v3 = Some(&r.value);
                v.nvd_severity_v3 = old_severity(r.severity);
            }
            RatingKind::Vendor if v.nvd_severity.is_none() => v.nvd_severity = old_severity(r.severity),
            _ => {}
        }
    }
    // The rating the finding's severity came from first, then the others in order.
    let mut vendor = vendor;
    vendor.sort_by_key(|r| r.source != f.severity_source);
    for r in vendor {
        match r.kind {
            RatingKind::CvssV2 if v.vendor_score_version.is_none() => {
                v.vendor_score = r.score;
                v.vendor_score_version = Some("CVSS v2");
                v.vendor_vectors = Some(&r.value);
                v.vendor_severity = old_severity(r.severity);
            }
            RatingKind::CvssV3 if v.vendor_vectors_v3.is_none() => {
                v.vendor_score_v3 = r.score;
                v.vendor_vectors_v3 = Some(&r.value);
                v.vendor_severity_v3 = old_severity(r.severity);
            }
            RatingKind::Vendor if v.vendor_severity.is_none() => v.vendor_severity = old_severity(r.severity),
            _ => {}
        }
    }
    v.nvd_url = f.ids().find(|id| id.starts_with("CVE-")).map(|cve| format!("https://nvd.nist.gov/vuln/detail/{cve}"));
    v.vendor_url = f.primary_url.as_deref().filter(|url| Some(*url) != v.nvd_url.as_deref());
    v.publish_date = f.published.as_deref().map(date_part);
    v.modification_date = f.modified.as_deref().map(date_part);
    if f.fix.state == FixState::Fixed && !f.fix.versions.is_empty() {
        v.fix_version = Some(f.fix.versions.join(", "));
    }
    v.classification = classification(f, report);
    v
}

/// A sentence on how the vendor classed the issue: a negligible rating, or why there is no fix.
fn classification(f: &Finding, report: &Report) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(r) = f.ratings.iter().find(|r| r.kind == RatingKind::Vendor && r.severity == Severity::Negligible) {
        parts.push(format!(
            "{} rates it \"{}\": a minor issue or not a security problem, so its severity is negligible",
            r.source, r.value
        ));
    }
    let vendor = report.os.as_ref().filter(|_| f.package.kind.is_os()).map_or("the vendor", |os| os.family.as_str());
    match f.fix.state {
        FixState::Fixed => {}
        FixState::NotFixed => parts.push("no fixed version is published yet".to_owned()),
        FixState::WontFix => parts.push(format!("{vendor} will not fix it")),
        FixState::Postponed => parts.push(format!("{vendor} postponed the fix to a later release")),
        FixState::EndOfLife => parts.push("the release or package is out of support: no fix will come".to_owned()),
        FixState::Undetermined => parts.push(format!("{vendor} has not decided yet whether to fix it")),
    }
    if let Some(note) = &f.fix.note {
        parts.push(format!("{vendor}: {note}"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The old four-level scale: critical counts as high; unknown has no name.
fn old_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical | Severity::High => Some("high"),
        Severity::Medium => Some("medium"),
        Severity::Low => Some("low"),
        Severity::Negligible => Some("negligible"),
        Severity::Unknown => None,
    }
}

fn summary(resources: &[ResourceScan<'_>]) -> VulnerabilitySummary {
    let mut s = VulnerabilitySummary::default();
    let mut scores = Vec::new();
    for v in resources.iter().flat_map(|r| &r.vulnerabilities) {
        s.total += 1;
        match v.severity.and_then(old_severity) {
            Some("high") => s.high += 1,
            Some("medium") => s.medium += 1,
            Some("low") => s.low += 1,
            Some("negligible") => s.negligible += 1,
            _ => s.unknown += 1,
        }
        if let Some(score) = v.nvd_score_v3.or(v.nvd_score).or(v.vendor_score_v3).or(v.vendor_score) {
            scores.push(score);
        }
    }
    if !scores.is_empty() {
        #[allow(clippy::cast_precision_loss)] // a count of findings
        let average = scores.iter().sum::<f64>() / scores.len() as f64;
        s.score_average = Some((average * 10_000.0).round() / 10_000.0);
        s.max_score = scores.iter().copied().reduce(f64::max);
    }
    s
}

fn timestamp(rfc3339: &str) -> Timestamp {
    parse_time(rfc3339).map_or(Timestamp { seconds: 0, nanos: 0 }, |t| Timestamp {
        seconds: t.unix_timestamp(),
        nanos: t.nanosecond(),
    })
}

fn parse_time(rfc3339: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(rfc3339, &Rfc3339).ok()
}

/// Whole seconds, rounded (the old tool wrote an integer).
fn whole_seconds(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 {
        // In range: checked above, and no scan takes 2^64 seconds.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let whole = seconds.round() as u64;
        whole
    } else {
        0
    }
}

/// The image id as the old tool wrote it: the config digest (else the manifest digest) as bare hex.
fn image_digest(report: &Report) -> Option<&str> {
    let digest = report.image.config_digest.as_deref().or(report.image.manifest_digest.as_deref())?;
    Some(digest.split_once(':').map_or(digest, |(_, hex)| hex))
}

/// `2023-02-08` from `2023-02-08T20:15:00Z`.
fn date_part(timestamp: &str) -> &str {
    match timestamp.get(..10) {
        Some(date)
            if date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() }) =>
        {
            date
        }
        _ => timestamp,
    }
}

/// MD5 (RFC 1321) of `input`, as lowercase hex. The old tool's `name_hash` was the MD5 of the
/// package name (`busybox` gives `1a0be787cebd01a5ca5d163e1502c1c6` in its output).
fn md5_hex(input: &[u8]) -> String {
    hex::encode(Md5::digest(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_rfc_1321_and_the_old_tool() {
        let vectors = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
            // name_hash values from real MicroScanner outputs
            ("busybox", "1a0be787cebd01a5ca5d163e1502c1c6"),
            ("apt", "583f72a833c7dfd63c03edba3776247a"),
            ("ca-certificates", "7254f6aafc64c401975b544e0163895f"),
        ];
        for (input, want) in vectors {
            assert_eq!(md5_hex(input.as_bytes()), want, "md5({input:?})");
        }
    }

    #[test]
    fn dates_and_durations() {
        assert_eq!(date_part("2023-02-08T20:15:00Z"), "2023-02-08");
        assert_eq!(date_part("2023-02-08"), "2023-02-08");
        assert_eq!(date_part("yesterday"), "yesterday");
        assert_eq!(whole_seconds(0.75), 1);
        assert_eq!(whole_seconds(f64::NAN), 0);
        assert_eq!(whole_seconds(-3.0), 0);
        let t = timestamp("2019-08-04T14:02:23.722759087Z");
        assert_eq!((t.seconds, t.nanos), (1_564_927_343, 722_759_087));
    }

    #[test]
    fn full_output_lists_every_package() {
        let report = microscanner_testkit_free_report();
        assert_eq!(resources(&report, true).len(), 1);
        assert!(resources(&report, false).is_empty());
    }

    fn microscanner_testkit_free_report() -> Report {
        use microscanner_model::{Coverage, Generator, Inventory, JudgedFindings, PolicyVerdict, ScanRun};
        let run = ScanRun {
            generator: Generator { name: "microscanner".into(), version: "0".into() },
            created_at: "2026-01-01T00:00:00Z".into(),
            duration_seconds: 1.0,
            database: None,
        };
        let musl = Package::new(PackageKind::Apk, "musl", "1.1.18-r2")
            .with_arch(Some("x86_64"))
            .with_licenses(vec!["MIT".into(), "BSD".into()])
            .with_purl("pkg:apk/alpine/musl@1.1.18-r2")
            .with_location("/lib/apk/db/installed");
        let inventory = Inventory { packages: vec![musl], ..Inventory::default() };
        let judged =
            JudgedFindings { shown: vec![], suppressed: vec![], verdict: PolicyVerdict::default(), notes: vec![] };
        Report::new(run, inventory, Coverage { complete: true, ..Coverage::default() }, judged)
    }
}
