//! The tracker's `data/DSA/list`, `data/DLA/list` and `data/DTSA/list` text: one advisory per
//! header line, its CVE ids and one line per release with the fixed version or a state.

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Advisory, Affected, FixState, FixStatus, Records};
use serde_json::Value;

use super::ecosystem_of;
use crate::{FeedError, Import, introduced_zero_range, linked_advisory, newest};

/// Imports `data/DSA/list`, `data/DLA/list` or `data/DTSA/list` text.
///
/// ```text
/// [29 Mar 2023] DSA-5380-1 xorg-server - security update
///     {CVE-2023-1393}
///     [bullseye] - xorg-server 2:1.20.11-1+deb11u6
/// ```
pub fn parse_list(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FeedError::malformed(location, e))?;
    let mut list = List { import: Import::default(), current: None, source: list_source(text) };
    for (n, line) in text.lines().enumerate() {
        let loc = || format!("{location}:{}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with('[') {
            list.header(line, &loc);
        } else {
            list.body(line.trim(), &loc);
        }
    }
    list.close();
    Ok(list.import)
}

/// A list being read: what was read so far and the advisory whose lines follow.
struct List {
    import: Import,
    current: Option<Advisory>,
    source: &'static str,
}

impl List {
    /// Ends the current advisory.
    fn close(&mut self) {
        if let Some(done) = self.current.take() {
            self.import.records.advisories.push(done);
        }
    }

    /// `[29 Mar 2023] DSA-5380-1 xorg-server - security update`: a new advisory.
    fn header(&mut self, line: &str, loc: &dyn Fn() -> String) {
        self.close();
        let Some((date, id, rest)) = parse_header(line) else {
            self.import.diagnostics.push(Diagnostic::warning(loc(), "unreadable advisory header; skipped"));
            return;
        };
        self.import.timestamp = newest(self.import.timestamp.take(), Some(date.clone()));
        let url = format!("https://security-tracker.debian.org/tracker/{id}");
        let mut advisory = linked_advisory(id, self.source, url);
        advisory.summary = Some(rest.to_owned());
        advisory.published = Some(date);
        self.current = Some(advisory);
    }

    /// A line of the current advisory: its ids, a release, or a note.
    fn body(&mut self, body: &str, loc: &dyn Fn() -> String) {
        let Some(adv) = self.current.as_mut() else {
            self.import.diagnostics.push(Diagnostic::warning(loc(), "line before the first advisory; skipped"));
            return;
        };
        if let Some(ids) = body.strip_prefix('{') {
            let ids = ids.trim_end_matches('}');
            adv.aliases.extend(ids.split_whitespace().map(str::to_owned));
        } else if body.starts_with('[') {
            match parse_release_line(body) {
                Some(rel) => add_release(adv, rel, &mut self.import.records),
                None => self.import.diagnostics.push(Diagnostic::warning(loc(), "unreadable release line; skipped")),
            }
        } else if !body.starts_with("NOTE:") {
            // Free-text notes are not data; anything else is unknown.
            self.import.diagnostics.push(Diagnostic::info(loc(), "unknown line; ignored"));
        }
    }
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
