//! The Debian security tracker: its JSON export (`/tracker/data/json`: per package, per CVE, per
//! release status, urgency, no-dsa/ignored/postponed) and its `data/DSA/list` / `data/DLA/list`
//! text. Releases become OSV ecosystems (`bookworm` → `Debian:12`).

use std::collections::HashMap;

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Advisory, Affected, FixState, FixStatus, Records, Reference, Severity, SeverityKind};
use serde_json::Value;

use crate::{FeedError, Import, introduced_zero_range, newest, str_of};

/// Source name of advisories from the tracker JSON.
pub const SOURCE_TRACKER: &str = "debian-tracker";

/// The OSV ecosystem of a Debian release code name (`bookworm` → `Debian:12`); unknown code names
/// are kept (`Debian:sid`).
pub fn ecosystem_of(codename: &str) -> String {
    let number = match codename {
        "buzz" => "1.1",
        "rex" => "1.2",
        "bo" => "1.3",
        "hamm" => "2.0",
        "slink" => "2.1",
        "potato" => "2.2",
        "woody" => "3.0",
        "sarge" => "3.1",
        "etch" => "4.0",
        "lenny" => "5.0",
        "squeeze" => "6.0",
        "wheezy" => "7",
        "jessie" => "8",
        "stretch" => "9",
        "buster" => "10",
        "bullseye" => "11",
        "bookworm" => "12",
        "trixie" => "13",
        "forky" => "14",
        "duke" => "15",
        other => other,
    };
    format!("Debian:{number}")
}

/// Imports the tracker's JSON export.
pub fn parse_tracker_json(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| FeedError::malformed(location, e))?;
    from_tracker_value(&value, location)
}

/// True when a JSON value looks like the tracker export (`{pkg: {CVE: {releases: ...}}}`).
pub fn looks_like_tracker(v: &Value) -> bool {
    let Some(map) = v.as_object() else { return false };
    map.values()
        .take(3)
        .any(|pkg| pkg.as_object().is_some_and(|cves| cves.values().take(3).any(|c| c.get("releases").is_some())))
}

/// Imports an already parsed tracker export.
pub fn from_tracker_value(value: &Value, location: &str) -> Result<Import, FeedError> {
    let Some(packages) = value.as_object() else {
        return Err(FeedError::malformed(location, "not the Debian tracker JSON (expected an object of packages)"));
    };
    let mut import = Import::default();
    // One advisory per CVE, however many packages list it.
    let mut advisories: HashMap<String, Advisory> = HashMap::new();
    for (package, cves) in packages {
        let Some(cves) = cves.as_object() else {
            import.diagnostics.push(Diagnostic::warning(format!("{location}: {package}"), "not an object; skipped"));
            continue;
        };
        for (cve, info) in cves {
            let loc = || format!("{location}: {package}/{cve}");
            let adv = advisories.entry(cve.clone()).or_insert_with(|| Advisory {
                id: cve.clone(),
                source: SOURCE_TRACKER.into(),
                references: vec![Reference {
                    kind: "ADVISORY".into(),
                    url: format!("https://security-tracker.debian.org/tracker/{cve}"),
                }],
                ..Advisory::default()
            });
            if adv.details.is_none() {
                adv.details = str_of(info.get("description"));
            }
            if let Some(bug) = info.get("debianbug").and_then(Value::as_u64) {
                let url = format!("https://bugs.debian.org/{bug}");
                if !adv.references.iter().any(|r| r.url == url) {
                    adv.references.push(Reference { kind: "REPORT".into(), url });
                }
            }
            let releases = match info.get("releases") {
                Some(Value::Object(r)) => r,
                Some(Value::Array(a)) if a.is_empty() => continue,
                _ => {
                    import.diagnostics.push(Diagnostic::warning(loc(), "no releases object; skipped"));
                    continue;
                }
            };
            for (release, rel) in releases {
                let ecosystem = ecosystem_of(release);
                let status = rel.get("status").and_then(Value::as_str).unwrap_or_default();
                let fixed = str_of(rel.get("fixed_version"));
                let urgency = str_of(rel.get("urgency"));
                let nodsa = rel.get("nodsa").is_some();
                let nodsa_reason = str_of(rel.get("nodsa_reason"));
                let (state, note) = match status {
                    "resolved" if fixed.as_deref() == Some("0") => (FixState::NotAffected, None),
                    "resolved" if fixed.is_some() => (FixState::Fixed, None),
                    "resolved" => (FixState::NotAffected, Some("resolved without a version".to_owned())),
                    "open" | "undetermined" => {
                        if urgency.as_deref() == Some("end-of-life") {
                            (FixState::EndOfLife, None)
                        } else if nodsa {
                            let text = str_of(rel.get("nodsa"));
                            let (state, word) = match nodsa_reason.as_deref() {
                                Some("postponed") => (FixState::Postponed, "postponed"),
                                Some("ignored") => (FixState::WontFix, "ignored"),
                                _ => (FixState::WontFix, "no-dsa"),
                            };
                            (state, Some(text.map_or_else(|| word.to_owned(), |t| format!("{word}: {t}"))))
                        } else if status == "undetermined" {
                            (FixState::Undetermined, None)
                        } else {
                            (FixState::Unfixed, None)
                        }
                    }
                    other => {
                        import
                            .diagnostics
                            .push(Diagnostic::warning(loc(), format!("{release}: unknown status {other:?}; skipped")));
                        continue;
                    }
                };
                if state != FixState::NotAffected {
                    let fixed_in = if state == FixState::Fixed { fixed.as_deref() } else { None };
                    import.records.affected.push(Affected {
                        advisory_id: cve.clone(),
                        ecosystem: ecosystem.clone(),
                        name: package.clone(),
                        purl: Some(format!("pkg:deb/debian/{package}")),
                        ranges: introduced_zero_range(fixed_in),
                        versions: Vec::new(),
                        extra: Value::Null,
                    });
                }
                if let Some(word) = &urgency {
                    import.records.severities.push(Severity {
                        advisory_id: cve.clone(),
                        kind: SeverityKind::Vendor,
                        value: word.clone(),
                        score: None,
                        source: "debian".into(),
                        scope: format!("{ecosystem}/{package}"),
                    });
                }
                import.records.fix_statuses.push(FixStatus {
                    advisory_id: cve.clone(),
                    ecosystem,
                    name: package.clone(),
                    state,
                    fixed_version: if state == FixState::Fixed { fixed } else { None },
                    urgency,
                    note,
                });
            }
        }
    }
    let mut advisories: Vec<Advisory> = advisories.into_values().collect();
    advisories.sort_by(|a, b| a.id.cmp(&b.id));
    import.records.advisories = advisories;
    Ok(import)
}

/// Imports `data/DSA/list`, `data/DLA/list` or `data/DTSA/list` text.
///
/// ```text
/// [29 Mar 2023] DSA-5380-1 xorg-server - security update
///     {CVE-2023-1393}
///     [bullseye] - xorg-server 2:1.20.11-1+deb11u6
/// ```
pub fn parse_list(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FeedError::malformed(location, e))?;
    let mut import = Import::default();
    let mut current: Option<Advisory> = None;
    let source = list_source(text);
    for (n, line) in text.lines().enumerate() {
        let loc = || format!("{location}:{}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('[') {
            if let Some(done) = current.take() {
                import.records.advisories.push(done);
            }
            match parse_header(line) {
                Some((date, id, rest)) => {
                    import.timestamp = newest(import.timestamp.take(), Some(date.clone()));
                    current = Some(Advisory {
                        id: id.to_owned(),
                        summary: Some(rest.to_owned()),
                        published: Some(date),
                        source: source.to_owned(),
                        references: vec![Reference {
                            kind: "ADVISORY".into(),
                            url: format!("https://security-tracker.debian.org/tracker/{id}"),
                        }],
                        ..Advisory::default()
                    });
                }
                None => import.diagnostics.push(Diagnostic::warning(loc(), "unreadable advisory header; skipped")),
            }
            continue;
        }
        let Some(adv) = current.as_mut() else {
            import.diagnostics.push(Diagnostic::warning(loc(), "line before the first advisory; skipped"));
            continue;
        };
        let body = line.trim();
        if let Some(ids) = body.strip_prefix('{') {
            let ids = ids.trim_end_matches('}');
            adv.aliases.extend(ids.split_whitespace().map(str::to_owned));
        } else if body.starts_with('[') {
            match parse_release_line(body) {
                Some(rel) => add_release(adv, rel, &mut import.records),
                None => import.diagnostics.push(Diagnostic::warning(loc(), "unreadable release line; skipped")),
            }
        } else if body.starts_with("NOTE:") {
            // Free-text notes are not data.
        } else {
            import.diagnostics.push(Diagnostic::info(loc(), "unknown line; ignored"));
        }
    }
    if let Some(done) = current.take() {
        import.records.advisories.push(done);
    }
    Ok(import)
}

fn list_source(text: &str) -> &'static str {
    let first = text.lines().find(|l| l.starts_with('[')).unwrap_or_default();
    if first.contains("] DLA-") {
        "debian-dla"
    } else if first.contains("] DTSA-") {
        "debian-dtsa"
    } else {
        "debian-dsa"
    }
}

/// `[29 Mar 2023] DSA-5380-1 xorg-server - security update` → (`2023-03-29`, id, rest).
fn parse_header(line: &str) -> Option<(String, &str, &str)> {
    let (date, rest) = line.strip_prefix('[')?.split_once(']')?;
    let rest = rest.trim();
    let (id, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if id.is_empty() {
        return None;
    }
    Some((iso_date(date)?, id, rest.trim()))
}

fn iso_date(date: &str) -> Option<String> {
    let mut parts = date.split_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: u32 = parts.next()?.parse().ok()?;
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

struct ReleaseLine<'a> {
    release: &'a str,
    package: &'a str,
    /// A version, or `<unfixed>` / `<not-affected>` / `<end-of-life>` / `<no-dsa>` ...
    what: &'a str,
    note: Option<&'a str>,
}

/// `[bullseye] - xorg-server 2:1.20.11-1+deb11u6 (note)`.
fn parse_release_line(body: &str) -> Option<ReleaseLine<'_>> {
    let (release, rest) = body.strip_prefix('[')?.split_once(']')?;
    let rest = rest.trim_start().strip_prefix('-')?.trim_start();
    let (package, rest) = rest.split_once(char::is_whitespace)?;
    let rest = rest.trim();
    let (what, note) = match rest.split_once(char::is_whitespace) {
        Some((w, n)) => (w, Some(n.trim().trim_start_matches('(').trim_end_matches(')')).filter(|n| !n.is_empty())),
        None => (rest, None),
    };
    (!what.is_empty() && !release.is_empty()).then_some(ReleaseLine { release, package, what, note })
}

fn add_release(adv: &Advisory, rel: ReleaseLine<'_>, out: &mut Records) {
    let ecosystem = ecosystem_of(rel.release);
    let (state, fixed) = match rel.what {
        "<unfixed>" => (FixState::Unfixed, None),
        "<not-affected>" => (FixState::NotAffected, None),
        "<end-of-life>" => (FixState::EndOfLife, None),
        "<no-dsa>" | "<ignored>" => (FixState::WontFix, None),
        "<postponed>" => (FixState::Postponed, None),
        w if w.starts_with('<') => (FixState::Undetermined, None),
        version => (FixState::Fixed, Some(version.to_owned())),
    };
    if state != FixState::NotAffected {
        out.affected.push(Affected {
            advisory_id: adv.id.clone(),
            ecosystem: ecosystem.clone(),
            name: rel.package.to_owned(),
            purl: Some(format!("pkg:deb/debian/{}", rel.package)),
            ranges: introduced_zero_range(fixed.as_deref()),
            versions: Vec::new(),
            extra: Value::Null,
        });
    }
    out.fix_statuses.push(FixStatus {
        advisory_id: adv.id.clone(),
        ecosystem,
        name: rel.package.to_owned(),
        state,
        fixed_version: fixed,
        urgency: None,
        note: rel.note.map(str::to_owned),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines() {
        let text = "[29 Mar 2023] DSA-5380-1 xorg-server - security update\n\t{CVE-2023-1393}\n\
                    \t[bullseye] - xorg-server 2:1.20.11-1+deb11u6\n\t[buster] - xorg-server <not-affected> (Vulnerable code not present)\n\
                    \tNOTE: hi\n[bad header\n[01 Apr 2023] DLA-1-1 foo - x\n\t[sid] - foo <unfixed>\n";
        let import = parse_list(text.as_bytes(), "list").unwrap();
        let ids: Vec<_> = import.records.advisories.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["DSA-5380-1", "DLA-1-1"]);
        assert_eq!(import.records.advisories[0].published.as_deref(), Some("2023-03-29"));
        assert_eq!(import.records.advisories[0].aliases, ["CVE-2023-1393"]);
        assert_eq!(import.records.affected.len(), 2);
        assert_eq!(import.records.affected[0].ecosystem, "Debian:11");
        assert_eq!(import.records.fix_statuses[1].state, FixState::NotAffected);
        assert_eq!(import.records.fix_statuses[1].note.as_deref(), Some("Vulnerable code not present"));
        assert_eq!(import.records.fix_statuses[2].state, FixState::Unfixed);
        assert_eq!(import.records.affected[1].ecosystem, "Debian:sid");
        assert_eq!(import.diagnostics.len(), 1);
        assert_eq!(import.timestamp.as_deref(), Some("2023-04-01"));
    }
}
