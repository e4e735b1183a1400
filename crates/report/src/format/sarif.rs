//! The `sarif` report format: SARIF 2.1.0 (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/>), shaped
//! for GitHub code scanning.
//!
//! Written with `serde-sarif`'s types, which are generated from the official schema, so a field
//! name or a required property cannot be wrong; enumerated strings (levels, suppression kinds)
//! are `serde_json::Value`s there and come from the crate's enums where it has them.
//!
//! One run. Each vulnerability id is a rule (title, description, a markdown help table of the
//! packages it affects, `security-severity` for GitHub); each finding is a result at the path of
//! the file that says the package is installed, with a fingerprint of the finding's key (id,
//! package kind, name, location), so the same finding keeps its alert across scans. Suppressed
//! findings are results too, with an `external` suppression carrying the reason.

use std::collections::{BTreeMap, HashMap};

use microscanner_model::{Finding, FixState, Report, Severity, SuppressionKind};
use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult,
    ResultLevel, Run, Sarif, Suppression, SupressionKind, SupressionStatus, Tool, ToolComponent,
};
use sha2::{Digest as _, Sha256};

use super::RenderError;

/// The schema URI written as `$schema`: the OASIS TC's 2.1.0 schema, as GitHub documents it.
const SCHEMA_URI: &str =
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json";

/// The key of the fingerprint in `partialFingerprints`.
const FINGERPRINT_KEY: &str = "microscannerFindingKey/v1";

/// Renders `report` as a SARIF 2.1.0 log.
pub(super) fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let sarif = log(report)?;
    let mut bytes = serde_json::to_vec_pretty(&sarif)
        .map_err(|e| RenderError::Serialize { format: "sarif", message: e.to_string() })?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn to_value<T: serde::Serialize>(v: T) -> Result<Value, RenderError> {
    serde_json::to_value(v).map_err(|e| RenderError::Serialize { format: "sarif", message: e.to_string() })
}

fn log(report: &Report) -> Result<Sarif, RenderError> {
    let all: Vec<&Finding> = report.findings.iter().chain(&report.suppressed).collect();
    // rules in order of first appearance: most severe first, as the findings are
    let mut rule_ids: Vec<&str> = Vec::new();
    let mut by_id: HashMap<&str, Vec<&Finding>> = HashMap::new();
    for f in &all {
        by_id.entry(&f.id).or_insert_with(|| {
            rule_ids.push(&f.id);
            Vec::new()
        });
        if let Some(group) = by_id.get_mut(f.id.as_str()) {
            group.push(f);
        }
    }
    let mut rules = Vec::with_capacity(rule_ids.len());
    let mut rule_index = HashMap::with_capacity(rule_ids.len());
    for (i, id) in rule_ids.iter().enumerate() {
        let group = by_id.get(id).map(Vec::as_slice).unwrap_or_default();
        rules.push(rule(id, group)?);
        rule_index.insert(*id, i);
    }
    let mut results = Vec::with_capacity(all.len());
    for f in &all {
        let index = rule_index.get(f.id.as_str()).copied().unwrap_or_default();
        results.push(result(f, index)?);
    }
    let mut driver = ToolComponent::builder()
        .name(report.generator.name.clone())
        .version(report.generator.version.clone())
        .semantic_version(report.generator.version.clone())
        .rules(rules)
        .build();
    let repository = env!("CARGO_PKG_REPOSITORY");
    if crate::text::is_web_url(repository) {
        driver.information_uri = Some(repository.to_owned());
    }
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation(report)?])
        .results(results)
        .properties(run_properties(report))
        .build();
    Ok(Sarif::builder().schema(SCHEMA_URI).version(json!("2.1.0")).runs(vec![run]).build())
}

/// The invocation: when the scan ran, and what it skipped, as warnings.
fn invocation(report: &Report) -> Result<Invocation, RenderError> {
    let mut notifications = Vec::new();
    for skipped in &report.coverage.skipped {
        notifications.push(
            Notification::builder()
                .level(to_value(ResultLevel::Warning)?)
                .message(text(format!("not scanned: {}: {}", skipped.what, skipped.reason)))
                .build(),
        );
    }
    if !report.coverage.complete && notifications.is_empty() {
        notifications.push(
            Notification::builder()
                .level(to_value(ResultLevel::Warning)?)
                .message(text("the scan is incomplete: part of the image could not be analysed"))
                .build(),
        );
    }
    let mut invocation = Invocation::builder().execution_successful(true).build();
    if is_date_time(&report.created_at) {
        invocation.start_time_utc = Some(report.created_at.clone());
    }
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    Ok(invocation)
}

/// What was scanned, as run properties.
fn run_properties(report: &Report) -> PropertyBag {
    let mut props = BTreeMap::new();
    props.insert("imageName".to_owned(), json!(report.image.name));
    if let Some(digest) = &report.image.config_digest {
        props.insert("imageConfigDigest".to_owned(), json!(digest));
    }
    if let Some(digest) = &report.image.manifest_digest {
        props.insert("imageManifestDigest".to_owned(), json!(digest));
    }
    if let Some(os) = &report.os {
        props.insert("os".to_owned(), json!(format!("{} {}", os.family, os.version)));
    }
    if let Some(db) = &report.database {
        props.insert("databaseBuiltAt".to_owned(), json!(db.built_at));
    }
    props.insert("scanComplete".to_owned(), json!(report.coverage.complete));
    props.insert("policyFailed".to_owned(), json!(report.policy.failed));
    PropertyBag::builder().additional_properties(props).build()
}

/// A plain-text message.
fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s).build()
}

/// The SARIF level of a severity: `error` for critical and high, `warning` for medium, `note`
/// for the rest.
fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Negligible | Severity::Unknown => ResultLevel::Note,
    }
}

/// The rule of one vulnerability id, from the findings that carry it (one per affected package).
fn rule(id: &str, group: &[&Finding]) -> Result<ReportingDescriptor, RenderError> {
    let severity = group.iter().map(|f| f.severity).max().unwrap_or(Severity::Unknown);
    let title = group.iter().find_map(|f| f.title.as_deref());
    let description = group.iter().find_map(|f| f.description.as_deref());
    let primary_url = group.iter().find_map(|f| f.primary_url.as_deref().filter(|u| crate::text::is_web_url(u)));
    let short = title.map_or_else(|| id.to_owned(), |t| first_line(t, 200));
    let full = description.or(title).map_or_else(|| id.to_owned(), str::to_owned);
    let mut props = BTreeMap::new();
    if let Some(score) = group.iter().filter_map(|f| security_severity(f)).reduce(f64::max) {
        props.insert("security-severity".to_owned(), json!(format!("{score:.1}")));
    }
    let bag = PropertyBag::builder()
        .tags(vec!["vulnerability".to_owned(), "security".to_owned(), severity.as_str().to_owned()])
        .additional_properties(props)
        .build();
    let (help_text, help_markdown) = help(id, group, title, primary_url);
    let mut rule = ReportingDescriptor::builder()
        .id(id)
        .short_description(MultiformatMessageString::builder().text(short).build())
        .full_description(MultiformatMessageString::builder().text(full).build())
        .help(MultiformatMessageString::builder().text(help_text).markdown(help_markdown).build())
        .default_configuration(ReportingConfiguration::builder().level(to_value(level(severity))?).build())
        .properties(bag)
        .build();
    rule.help_uri = primary_url.map(str::to_owned);
    Ok(rule)
}

/// The rule's help, as text and as markdown: the packages affected, installed and fixed
/// versions and severities.
fn help(id: &str, group: &[&Finding], title: Option<&str>, url: Option<&str>) -> (String, String) {
    let mut text = match title {
        Some(t) => format!("{id}: {t}\n"),
        None => format!("{id}\n"),
    };
    let mut md = match title {
        Some(t) => format!("**{}**: {}\n\n", md_escape(id), md_escape(t)),
        None => format!("**{}**\n\n", md_escape(id)),
    };
    md.push_str("| Package | Installed | Fixed | Severity | Location |\n| --- | --- | --- | --- | --- |\n");
    for f in group {
        let fixed = fixed_label(f);
        text.push_str(&format!(
            "Package: {} {}; fixed: {fixed}; severity: {}; location: {}\n",
            f.package.name, f.package.version, f.severity, f.package.location
        ));
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            md_escape(&f.package.name),
            md_escape(&f.package.version),
            md_escape(&fixed),
            f.severity,
            md_escape(&f.package.location)
        ));
    }
    let aliases: Vec<&str> = {
        let mut a: Vec<&str> = group.iter().flat_map(|f| f.aliases.iter().map(String::as_str)).collect();
        a.sort_unstable();
        a.dedup();
        a
    };
    if !aliases.is_empty() {
        text.push_str(&format!("Also known as: {}\n", aliases.join(", ")));
        let escaped: Vec<String> = aliases.iter().map(|a| md_escape(a)).collect();
        md.push_str(&format!("\nAlso known as: {}\n", escaped.join(", ")));
    }
    if let Some(url) = url {
        text.push_str(&format!("More: {url}\n"));
        md.push_str(&format!("\n[{}]({})\n", md_escape(id), url.replace('(', "%28").replace(')', "%29")));
    }
    (text, md)
}

/// The fixed version(s), or what the fix state says.
pub(super) fn fixed_label(f: &Finding) -> String {
    match f.fix.state {
        FixState::Fixed if !f.fix.versions.is_empty() => f.fix.versions.join(", "),
        FixState::Fixed => "fixed (version unknown)".to_owned(),
        FixState::NotFixed => "not fixed yet".to_owned(),
        FixState::WontFix => "won't fix".to_owned(),
        FixState::Postponed => "postponed".to_owned(),
        FixState::EndOfLife => "end of life".to_owned(),
        FixState::Undetermined => "undetermined".to_owned(),
    }
}

/// The score GitHub should file the finding under (its bands: critical above 9.0, high from 7.0,
/// medium from 4.0, low above 0): the CVSS score of the rating our severity came from, else of a
/// rating that agrees with it, else a score in the middle of our severity's band. `None` for
/// negligible and unknown, which GitHub then shows by level (note).
fn security_severity(f: &Finding) -> Option<f64> {
    let agrees = |score: f64| score.is_finite() && Severity::from_cvss_score(score, 3) == f.severity;
    let scored = |source_matches: bool| {
        f.ratings
            .iter()
            .filter(|r| !source_matches || r.source == f.severity_source)
            .filter_map(|r| r.score.filter(|s| agrees(*s)))
            .reduce(f64::max)
    };
    scored(true).or_else(|| scored(false)).or(match f.severity {
        Severity::Critical => Some(9.5),
        Severity::High => Some(8.0),
        Severity::Medium => Some(5.5),
        Severity::Low => Some(2.0),
        Severity::Negligible | Severity::Unknown => None,
    })
}

/// One finding as a result of rule `rule_index`.
fn result(f: &Finding, rule_index: usize) -> Result<SarifResult, RenderError> {
    let title = f.title.as_deref().map(|t| format!(": {}", first_line(t, 200))).unwrap_or_default();
    let fix = match f.fix.state {
        FixState::Fixed if !f.fix.versions.is_empty() => format!("Fixed in {}.", f.fix.versions.join(", ")),
        FixState::Fixed => "A fixed version exists.".to_owned(),
        FixState::NotFixed => "No fixed version yet.".to_owned(),
        FixState::WontFix => "The distribution will not fix it.".to_owned(),
        FixState::Postponed => "The fix is postponed to a later release.".to_owned(),
        FixState::EndOfLife => "Out of support: no fix will come.".to_owned(),
        FixState::Undetermined => "Whether it will be fixed is undetermined.".to_owned(),
    };
    let message =
        format!("{} {} is affected by {} ({}){title}. {fix}", f.package.name, f.package.version, f.id, f.severity);
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(
                    ArtifactLocation::builder().uri(artifact_uri(&f.package.location, &f.package.name)).build(),
                )
                .region(Region::builder().start_line(1).start_column(1).end_line(1).end_column(1).build())
                .build(),
        )
        .logical_locations(vec![
            LogicalLocation::builder()
                .name(f.package.name.clone())
                .fully_qualified_name(f.package.purl.clone())
                .kind("package")
                .build(),
        ])
        .build();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_owned(), fingerprint(f));
    let mut result = SarifResult::builder()
        .rule_id(f.id.clone())
        .rule_index(i64::try_from(rule_index).unwrap_or(i64::MAX))
        .level(level(f.severity))
        .message(text(message))
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(result_properties(f))
        .build();
    if let Some(s) = &f.suppression {
        let what = match s.kind {
            SuppressionKind::Vex => {
                let mut w = format!("VEX {}", s.status.as_deref().unwrap_or("statement"));
                if let Some(j) = &s.justification {
                    w.push_str(&format!(", {j}"));
                }
                w
            }
            SuppressionKind::IgnoreFile => "ignore file".to_owned(),
        };
        let mut justification = match &s.reason {
            Some(reason) => format!("{reason} ({what}, {})", s.source),
            None => format!("suppressed by {what} ({})", s.source),
        };
        if let Some(expires) = &s.expires {
            justification.push_str(&format!("; expires {expires}"));
        }
        let mut props = BTreeMap::new();
        props.insert("source".to_owned(), json!(s.source));
        props.insert("kind".to_owned(), json!(if s.kind == SuppressionKind::Vex { "vex" } else { "ignore-file" }));
        for (key, value) in [("vexStatus", &s.status), ("vexJustification", &s.justification), ("expires", &s.expires)]
        {
            if let Some(value) = value {
                props.insert(key.to_owned(), json!(value));
            }
        }
        result.suppressions = Some(vec![
            Suppression::builder()
                .kind(to_value(SupressionKind::External)?)
                .status(to_value(SupressionStatus::Accepted)?)
                .justification(justification)
                .properties(PropertyBag::builder().additional_properties(props).build())
                .build(),
        ]);
    }
    Ok(result)
}

/// The finding's facts that SARIF has no field for.
fn result_properties(f: &Finding) -> PropertyBag {
    let mut props = BTreeMap::new();
    props.insert("severity".to_owned(), json!(f.severity.as_str()));
    props.insert("packageName".to_owned(), json!(f.package.name));
    props.insert("installedVersion".to_owned(), json!(f.package.version));
    props.insert("purl".to_owned(), json!(f.package.purl));
    props.insert("fixState".to_owned(), json!(f.fix.state.as_str()));
    if !f.fix.versions.is_empty() {
        props.insert("fixedVersions".to_owned(), json!(f.fix.versions));
    }
    if !f.aliases.is_empty() {
        props.insert("aliases".to_owned(), json!(f.aliases));
    }
    if let Some(layer) = &f.package.layer {
        props.insert("layerIndex".to_owned(), json!(layer.index));
        props.insert("layerDiffId".to_owned(), json!(layer.diff_id));
        if let Some(created_by) = &layer.created_by {
            props.insert("layerCreatedBy".to_owned(), json!(created_by));
        }
    }
    if f.kev.is_some() {
        props.insert("knownExploited".to_owned(), json!(true));
    }
    if let Some(epss) = f.epss.as_ref().filter(|e| e.score.is_finite()) {
        props.insert("epss".to_owned(), json!(epss.score));
    }
    PropertyBag::builder().additional_properties(props).build()
}

/// The stable fingerprint of a finding: the SHA-256 of its primary id, package kind, name and
/// location. SARIF wants one value per result, so it cannot carry aliases as
/// [`Finding::identity`] (what `microscanner diff` and `--baseline` compare) does; it is kept as it
/// was so that code-scanning alerts keep their history.
fn fingerprint(f: &Finding) -> String {
    let p = &f.package;
    let mut hasher = Sha256::new();
    for part in [f.id.as_str(), p.kind.purl_type(), p.name.as_str(), p.location.as_str()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

/// The artifact URI of a location in the image: the path without its leading `/`,
/// percent-encoded where a URI reference needs it; the package name when there is no path.
fn artifact_uri(location: &str, fallback: &str) -> String {
    let path = location.trim_start_matches('/');
    let path = if path.is_empty() { fallback } else { path };
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            )
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The first line of `s`, cut to `max` characters.
fn first_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or_default().trim();
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// Escapes text from the report for markdown (GitHub renders rule help): characters that start
/// markup are backslash-escaped and line breaks become spaces, so a package name cannot add a
/// link, an image or a table cell.
fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '!' | '(' | ')' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn is_date_time(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_markdown_are_escaped() {
        assert_eq!(artifact_uri("/var/lib/dpkg/status", "x"), "var/lib/dpkg/status");
        assert_eq!(artifact_uri("/opt/my app/é:x", "x"), "opt/my%20app/%C3%A9%3Ax");
        assert_eq!(artifact_uri("", "pkg"), "pkg");
        assert_eq!(md_escape("a|b [x](y)\n<b>"), "a\\|b \\[x\\]\\(y\\) \\<b\\>");
        assert_eq!(first_line("one\ntwo", 10), "one");
        assert_eq!(first_line("abcdef", 3), "abc…");
    }
}
