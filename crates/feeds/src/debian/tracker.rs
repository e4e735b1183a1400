//! The tracker's JSON export, `{package: {CVE: {description, debianbug, releases: {code name:
//! {status, fixed_version, urgency, nodsa, nodsa_reason}}}}}`, read with typed structs.
//!
//! The export is one big object (tens of MB), so it is read one CVE entry of one package at a time
//! (see [`Package`]): memory follows one entry and the chunk being filled, not the file. A CVE
//! listed by several packages is one advisory within a chunk; across chunks the database merges
//! its parts (the records are not `complete`). Packages come in file order; each chunk is put in
//! one fixed [`order`], so a file read whole or streamed gives the same records.

use std::collections::{BTreeMap, HashMap};

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Advisory, Affected, FixState, FixStatus, Records, Reference, SeverityKind, SeverityRating};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess};
use serde_json::Value;

use super::ecosystem_of;
use crate::loose::{Loose, Shape};
use crate::stream::{ByType, Dispatch};
use crate::{
    FeedError, Import, MAX_ID, MAX_REFERENCES, MAX_SEVERITY, MAX_SUMMARY, Out, bound_advisory, introduced_zero_range,
    linked_advisory, needs_bounds, parse_value,
};

/// Source name of advisories from the tracker JSON.
pub const SOURCE_TRACKER: &str = "debian-tracker";

/// One CVE of one package.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CveEntry {
    description: Loose,
    debianbug: Loose,
    /// Code name → the CVE in that release (`[]` when there is none).
    releases: Shape<BTreeMap<String, Shape<Release>>>,
}

/// One CVE of one package in one release.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Release {
    status: Loose,
    fixed_version: Loose,
    urgency: Loose,
    /// Present (whatever its value) when the release gets no security update for the CVE; its
    /// text, if any, says why.
    nodsa: Loose,
    nodsa_reason: Loose,
}

impl Release {
    /// The fix state and its note, or the status when it is not one the tracker documents.
    fn state(&self) -> Result<(FixState, Option<String>), &str> {
        match self.status.text().unwrap_or_default() {
            "resolved" => Ok(match self.fixed_version.text() {
                Some("0") => (FixState::NotAffected, None),
                Some(_) => (FixState::Fixed, None),
                None => (FixState::NotAffected, Some("resolved without a version".to_owned())),
            }),
            "open" => Ok(self.open_state(FixState::Unfixed)),
            "undetermined" => Ok(self.open_state(FixState::Undetermined)),
            other => Err(other),
        }
    }

    /// The state of an open (or undetermined) issue: end of life, no DSA, or `otherwise`.
    fn open_state(&self, otherwise: FixState) -> (FixState, Option<String>) {
        if self.urgency.text() == Some("end-of-life") {
            (FixState::EndOfLife, None)
        } else if self.nodsa.is_present() {
            let (state, word) = match self.nodsa_reason.text() {
                Some("postponed") => (FixState::Postponed, "postponed"),
                Some("ignored") => (FixState::WontFix, "ignored"),
                _ => (FixState::WontFix, "no-dsa"),
            };
            (state, Some(self.nodsa.text().map_or_else(|| word.to_owned(), |t| format!("{word}: {t}"))))
        } else {
            (otherwise, None)
        }
    }

    /// Why the release is skipped when a field is over its bound (the first one found).
    fn over_bound(&self) -> Option<String> {
        let fields = [
            ("status", &self.status, MAX_ID),
            ("fixed_version", &self.fixed_version, MAX_ID),
            ("urgency", &self.urgency, MAX_SEVERITY),
            ("nodsa", &self.nodsa, MAX_SUMMARY),
            ("nodsa_reason", &self.nodsa_reason, MAX_ID),
        ];
        fields.into_iter().find_map(|(name, field, max)| {
            let n = field.text().map_or(0, str::len);
            (n > max).then(|| format!("{name} of {n} bytes, over the bound of {max}; skipped"))
        })
    }
}

/// True when a JSON value looks like the tracker export (`{pkg: {CVE: {releases: ...}}}`).
pub fn looks_like_tracker(v: &Value) -> bool {
    let Some(map) = v.as_object() else { return false };
    map.values().take(3).any(|pkg| pkg.as_object().is_some_and(|cves| cves.values().take(3).any(looks_like_cve)))
}

/// True when a JSON value looks like one CVE entry of the export (it has `releases`): how a
/// streamed file is recognised by its first entry.
pub(crate) fn looks_like_cve(entry: &Value) -> bool {
    entry.get("releases").is_some()
}

/// Imports the tracker's JSON export.
pub fn parse_tracker_json(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    from_tracker_value(&parse_value(bytes, location)?, location)
}

/// Imports an already parsed tracker export (packages in key order).
pub fn from_tracker_value(value: &Value, location: &str) -> Result<Import, FeedError> {
    let Some(packages) = value.as_object() else {
        return Err(FeedError::malformed(location, "not the Debian tracker JSON (expected an object of packages)"));
    };
    let mut out = Out::new(None);
    out.set_order(order);
    let mut tracker = Tracker::default();
    for (name, cves) in packages {
        let package = Package { name, tracker: &mut tracker, out: &mut out, location };
        de::DeserializeSeed::deserialize(Dispatch(package), cves).map_err(|e| FeedError::malformed(location, e))?;
    }
    Ok(out.finish())
}

/// The order of a tracker import's records, whatever order the file lists packages in: advisories
/// by id; affected entries, severities and fix states by package, then CVE (then release code
/// name, as read).
pub(crate) fn order(records: &mut Records) {
    fn package(s: &SeverityRating) -> &str {
        s.scope.split_once('/').map_or(s.scope.as_str(), |(_, p)| p)
    }
    records.advisories.sort_by(|a, b| a.id.cmp(&b.id));
    records.affected.sort_by(|a, b| (&a.name, &a.advisory_id).cmp(&(&b.name, &b.advisory_id)));
    records.fix_statuses.sort_by(|a, b| (&a.name, &a.advisory_id).cmp(&(&b.name, &b.advisory_id)));
    records.severities.sort_by(|a, b| (package(a), &a.advisory_id).cmp(&(package(b), &b.advisory_id)));
}

/// A tracker import in progress: where each CVE's advisory is in the chunk being filled.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    index: HashMap<String, usize>,
}

impl Tracker {
    /// Imports one CVE entry of one package, then ends the record (the chunk may be handed on).
    fn add<E: de::Error>(
        &mut self,
        package: &str,
        cve: &str,
        entry: &Value,
        out: &mut Out<'_>,
        location: &str,
    ) -> Result<(), E> {
        let loc = || format!("{location}: {package}/{cve}");
        if cve.len() > MAX_ID {
            let message = format!("CVE id of {} bytes, over the bound of {MAX_ID}; skipped", cve.len());
            out.import.diagnostics.push(Diagnostic::warning(format!("{location}: {package}"), message));
        } else {
            match Shape::<CveEntry>::deserialize(entry) {
                Ok(Shape::Object(entry)) => self.add_entry(package, cve, entry, &mut out.import, &loc),
                Ok(_) => out.import.diagnostics.push(Diagnostic::warning(loc(), "not an object; skipped")),
                Err(e) => out.import.diagnostics.push(Diagnostic::warning(loc(), format!("{e}; skipped"))),
            }
        }
        out.record_done_de()?;
        if out.import.records.advisories.is_empty() {
            // The chunk was handed on: its positions are gone.
            self.index.clear();
        }
        Ok(())
    }

    fn add_entry(&mut self, package: &str, cve: &str, entry: CveEntry, import: &mut Import, loc: &dyn Fn() -> String) {
        self.advisory(cve, &entry, import, loc);
        let releases = match entry.releases {
            Shape::Object(releases) => releases,
            Shape::EmptyList => return,
            Shape::Missing | Shape::Other => {
                import.diagnostics.push(Diagnostic::warning(loc(), "no releases object; skipped"));
                return;
            }
        };
        let part = Part { cve, package };
        for (release, rel) in releases {
            let rel = match rel {
                Shape::Object(rel) => rel,
                _ => Release::default(),
            };
            if let Err(why) = part.add_release(&release, &rel, &mut import.records) {
                import.diagnostics.push(Diagnostic::warning(loc(), why));
            }
        }
    }

    /// The CVE's advisory (one per CVE in a chunk, however many packages list it), with the
    /// entry's description and bug report.
    fn advisory(&mut self, cve: &str, entry: &CveEntry, import: &mut Import, loc: &dyn Fn() -> String) {
        let list = &mut import.records.advisories;
        let at = *self.index.entry(cve.to_owned()).or_insert_with(|| {
            let url = format!("https://security-tracker.debian.org/tracker/{cve}");
            list.push(linked_advisory(cve, SOURCE_TRACKER, url));
            list.len() - 1
        });
        let Some(adv) = list.get_mut(at) else { return };
        if adv.details.is_none() {
            adv.details = entry.description.text().map(str::to_owned);
            if needs_bounds(adv) {
                bound_advisory(adv, &loc(), &mut import.diagnostics);
            }
        }
        if let Some(bug) = entry.debianbug.number() {
            add_reference(adv, format!("https://bugs.debian.org/{bug}"));
        }
    }
}

/// Adds a bug report to an advisory, once, within the bound on references.
fn add_reference(adv: &mut Advisory, url: String) {
    if adv.references.len() < MAX_REFERENCES && !adv.references.iter().any(|r| r.url == url) {
        adv.references.push(Reference { kind: "REPORT".into(), url });
    }
}

/// The records of one CVE in one package.
struct Part<'a> {
    cve: &'a str,
    package: &'a str,
}

impl Part<'_> {
    /// Adds the affected entry (unless not affected), the urgency and the fix state of one
    /// release; `Err` says why the release was skipped.
    fn add_release(&self, release: &str, rel: &Release, out: &mut Records) -> Result<(), String> {
        if release.len() > MAX_ID {
            return Err(format!("release name of {} bytes, over the bound of {MAX_ID}; skipped", release.len()));
        }
        if let Some(why) = rel.over_bound() {
            return Err(format!("{release}: {why}"));
        }
        let (state, note) = rel.state().map_err(|other| format!("{release}: unknown status {other:?}; skipped"))?;
        let ecosystem = ecosystem_of(release);
        let fixed = rel.fixed_version.text().filter(|_| state == FixState::Fixed);
        if state != FixState::NotAffected {
            out.affected.push(self.affected(&ecosystem, fixed));
        }
        if let Some(word) = rel.urgency.text() {
            out.severities.push(self.urgency(&ecosystem, word));
        }
        out.fix_statuses.push(FixStatus {
            advisory_id: self.cve.to_owned(),
            ecosystem,
            name: self.package.to_owned(),
            state,
            fixed_version: fixed.map(str::to_owned),
            urgency: rel.urgency.text().map(str::to_owned),
            note,
        });
        Ok(())
    }

    fn affected(&self, ecosystem: &str, fixed: Option<&str>) -> Affected {
        Affected {
            advisory_id: self.cve.to_owned(),
            ecosystem: ecosystem.to_owned(),
            name: self.package.to_owned(),
            purl: Some(format!("pkg:deb/debian/{}", self.package)),
            ranges: introduced_zero_range(fixed),
            versions: Vec::new(),
            extra: Value::Null,
        }
    }

    fn urgency(&self, ecosystem: &str, word: &str) -> SeverityRating {
        SeverityRating {
            advisory_id: self.cve.to_owned(),
            kind: SeverityKind::Vendor,
            value: word.to_owned(),
            score: None,
            source: "debian".into(),
            scope: format!("{ecosystem}/{}", self.package),
        }
    }
}

/// One package of the export (`{CVE: entry}`), read one CVE entry at a time: a
/// [`ByType`] for [`Dispatch`], used on a stream and on a parsed [`Value`] alike.
pub(crate) struct Package<'s, 'a> {
    /// The package name (the key).
    pub(crate) name: &'s str,
    /// The import's state.
    pub(crate) tracker: &'s mut Tracker,
    /// Where the records go.
    pub(crate) out: &'s mut Out<'a>,
    /// The file, for diagnostics.
    pub(crate) location: &'s str,
}

impl Package<'_, '_> {
    /// Reads the package's entries, after `first` (one already read: the entry a streamed file
    /// was recognised by).
    pub(crate) fn entries<'de, A: MapAccess<'de>>(
        self,
        mut map: A,
        first: Option<(String, Value)>,
    ) -> Result<(), A::Error> {
        if self.name.len() > MAX_ID {
            let message = format!("package name of {} bytes, over the bound of {MAX_ID}; skipped", self.name.len());
            self.out.import.diagnostics.push(Diagnostic::warning(self.location, message));
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        if let Some((cve, entry)) = first {
            self.tracker.add(self.name, &cve, &entry, self.out, self.location)?;
        }
        while let Some(cve) = map.next_key::<String>()? {
            let entry: Value = map.next_value()?;
            self.tracker.add(self.name, &cve, &entry, self.out, self.location)?;
        }
        Ok(())
    }

    fn not_an_object<E>(self) -> Result<(), E> {
        let location = match self.name.len() {
            n if n > MAX_ID => self.location.to_owned(),
            _ => format!("{}: {}", self.location, self.name),
        };
        self.out.import.diagnostics.push(Diagnostic::warning(location, "not an object; skipped"));
        Ok(())
    }
}

impl<'de> ByType<'de> for Package<'_, '_> {
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.entries(map, None)
    }

    fn list<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.not_an_object()
    }

    fn value<E: de::Error>(self, _: Value) -> Result<(), E> {
        self.not_an_object()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_DETAILS;

    fn import(json: &str) -> Import {
        parse_tracker_json(json.as_bytes(), "t.json").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn states_notes_and_urgency() {
        let import = import(
            r#"{"p":{"CVE-1":{"description":"d","debianbug":7,"releases":{
                "bookworm":{"status":"resolved","fixed_version":"1.2","urgency":"low"},
                "bullseye":{"status":"open","nodsa":"Minor","nodsa_reason":"ignored"},
                "buster":{"status":"open","urgency":"end-of-life"},
                "sid":{"status":"resolved","fixed_version":"0"},
                "stretch":{"status":"undetermined","nodsa":null,"nodsa_reason":"postponed"},
                "trixie":{"status":"weird"},
                "woody":"not an object"}}}}"#,
        );
        let r = &import.records;
        assert_eq!(r.advisories.len(), 1);
        assert_eq!(r.advisories[0].details.as_deref(), Some("d"));
        assert_eq!(r.advisories[0].references[1].url, "https://bugs.debian.org/7");
        let states: Vec<_> =
            r.fix_statuses.iter().map(|f| (f.ecosystem.as_str(), f.state, f.note.as_deref())).collect();
        assert_eq!(
            states,
            [
                ("Debian:12", FixState::Fixed, None),
                ("Debian:11", FixState::WontFix, Some("ignored: Minor")),
                ("Debian:10", FixState::EndOfLife, None),
                ("Debian:sid", FixState::NotAffected, None),
                ("Debian:9", FixState::Postponed, Some("postponed")),
            ]
        );
        assert_eq!(r.affected.len(), 4, "not for the release that is not affected");
        assert_eq!(r.affected[0].ranges[0]["events"][1]["fixed"], "1.2");
        assert_eq!(r.severities.len(), 2);
        let messages: Vec<_> = import.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, [r#"trixie: unknown status "weird"; skipped"#, r#"woody: unknown status ""; skipped"#]);
    }

    #[test]
    fn odd_shapes_are_diagnostics_and_one_cve_is_one_advisory() {
        let import = import(
            r#"{"b":{"CVE-1":{"releases":{"sid":{"status":"open"}}},"CVE-2":{"releases":[]},"CVE-3":{"x":1},
                    "CVE-4":"nope"},
                "a":{"CVE-1":{"description":7,"debianbug":"x","releases":{"sid":{"status":"open"}}}},
                "c":[1,2], "d":"x"}"#,
        );
        let r = &import.records;
        let ids: Vec<_> = r.advisories.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["CVE-1", "CVE-2", "CVE-3"]);
        let names: Vec<_> = r.affected.iter().map(|a| (a.name.as_str(), a.advisory_id.as_str())).collect();
        assert_eq!(names, [("a", "CVE-1"), ("b", "CVE-1")]);
        let diags: Vec<_> = import.diagnostics.iter().map(|d| format!("{} {}", d.location, d.message)).collect();
        assert_eq!(diags.len(), 4, "{diags:?}");
        assert!(diags.contains(&"t.json: b/CVE-3 no releases object; skipped".to_owned()), "{diags:?}");
        assert!(diags.contains(&"t.json: b/CVE-4 not an object; skipped".to_owned()), "{diags:?}");
        assert!(diags.contains(&"t.json: c not an object; skipped".to_owned()), "{diags:?}");
        assert!(parse_tracker_json(b"[1]", "t.json").is_err());
    }

    #[test]
    fn fields_over_their_bounds() {
        let long = "x".repeat(MAX_DETAILS + 10);
        let json = serde_json::json!({
            "p": {"CVE-1": {"description": long, "releases": {
                "sid": {"status": "open", "urgency": "u".repeat(MAX_SEVERITY + 1)},
                "bookworm": {"status": "resolved", "fixed_version": "1"}}},
                  "CVE-".to_owned() + &"9".repeat(MAX_ID): {"releases": {}}},
            "q".repeat(MAX_ID + 1): {"CVE-2": {"releases": {}}},
        });
        let import = from_tracker_value(&json, "t.json").unwrap();
        let adv = &import.records.advisories[0];
        assert!(adv.details.as_ref().is_some_and(|d| d.len() <= MAX_DETAILS));
        assert_eq!(import.records.fix_statuses.len(), 1, "the release with the long urgency is skipped");
        let messages: Vec<_> = import.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages.iter().any(|m| m.starts_with(&format!("CVE-1: details of {} bytes cut", MAX_DETAILS + 10))));
        assert!(messages.iter().any(|m| m.starts_with("sid: urgency of 1025 bytes, over the bound")));
        assert!(messages.iter().any(|m| m.starts_with("CVE id of 260 bytes, over the bound of 256")));
        assert!(messages.iter().any(|m| m.starts_with("package name of 257 bytes, over the bound of 256")));
    }
}
