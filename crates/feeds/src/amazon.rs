//! Amazon Linux security advisories (ALAS) from a repository's `updateinfo.xml` (plain, or
//! `updateinfo.xml.gz` as the repositories publish it): one `<update>` per ALAS, with its CVE
//! references and the fixed rpm packages per collection (repository).
//!
//! # Records
//!
//! Findings are per CVE, as Amazon's own tooling and Trivy report them: each CVE an ALAS lists
//! becomes an advisory (source [`SOURCE`]; summary, dates and link from the ALAS, the ALAS id as a
//! related id) with, for every binary package of the update, an affected entry "introduced `0`,
//! fixed at `[epoch:]version-release`" and a `fixed` fix status in the release's ecosystem, and
//! the ALAS severity word (`important`, `medium`...) as Amazon's per-package rating (rater
//! [`RATER`], which the matcher ranks as a distribution's word). An ALAS without a CVE reference
//! is an advisory under its own id. rpm advisories name *binary* packages, and the matcher looks
//! rpm packages up by binary name, so every listed name is kept (architectures collapse: the
//! fixed version is the same on each). A CVE fixed again by a later ALAS in the same package
//! gets the later one's fix status (the file lists updates oldest first).
//!
//! # Releases and the extras repositories
//!
//! The release comes from the `<collection short="...">` of each package list:
//! `amazon-linux-2023` → `Amazon Linux:2023` (the ecosystem `model::distro` maps an os-release
//! `ID=amzn VERSION_ID=2023` to), `amazon-linux-2`, `amazon-linux-2022`, and `amazon-linux-ami`
//! (Amazon Linux 1, every AMI release `2011.09`…`2018.03`) → `Amazon Linux:1`. Collections of the
//! extra repositories (`amazon-linux-2---kernel-5.15` of AL2's `amazon-linux-extras` topics,
//! `amazon-linux-2023---kernel-livepatch`, `amazon-linux-2023---nvidia`) are separate streams:
//! they go to their own ecosystem (`Amazon Linux:2:extras:kernel-5.15`) and are **not** matched
//! against an image's packages. An rpm database does not say which repository a package came
//! from, and an extras topic reuses core names at other versions (the `kernel` of topic
//! `kernel-5.15` is fixed at `5.15.43-20.123.amzn2`, the core AL2 `kernel` is 4.14): matched as
//! core advisories they would report every core kernel as vulnerable. Packages installed from an
//! extras topic are therefore matched against core advisories only (a known gap, in
//! `docs/coverage.md`).
//!
//! # Bounds
//!
//! The XML is streamed with `quick-xml` event by event, never held whole: at most [`MAX_XML`]
//! bytes of (decompressed) XML, [`MAX_EVENT`] bytes for one tag or text run, [`MAX_DEPTH`]
//! levels of nesting, [`MAX_PACKAGES`] packages per update; text fields are cut to the crate's
//! bounds. No DTD or entity beyond XML's five is expanded. A file that is not well-formed XML or
//! passes a bound is an error naming the file; an update that lacks what it needs is a
//! diagnostic.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Seek};

use flate2::bufread::MultiGzDecoder;
use microscanner_model::Diagnostic;
use microscanner_vulndb::{Advisory, Affected, FixState, FixStatus, Reference, SeverityKind, SeverityRating};
use quick_xml::events::BytesStart;
use serde_json::Value;

use crate::xml::{self, Handler, Shape, attr, token};
use crate::{FeedError, Import, MAX_ID, MAX_IDS, MAX_SUMMARY, Out, Sink, cut_text, introduced_zero_range, newest};

/// Source name of the advisories.
pub const SOURCE: &str = "amazon-alas";
/// Who rates: the name stored with the ALAS severity words.
pub const RATER: &str = "amazon";
/// Most bytes of XML read from one file (after decompression): the AL2 `updateinfo.xml`, the
/// largest, is tens of MiB.
pub const MAX_XML: u64 = 1024 * 1024 * 1024;
/// Most bytes of one XML event (a tag with its attributes, a text run): ALAS descriptions are a
/// few KiB.
pub const MAX_EVENT: u64 = 4 * 1024 * 1024;
/// Deepest element nesting read (updateinfo has 5 levels).
pub const MAX_DEPTH: usize = 32;
/// Most packages kept per update (a kernel ALAS lists about 100).
pub const MAX_PACKAGES: usize = 16 * 1024;
/// Longest severity word kept.
const MAX_WORD: usize = 64;

/// True when a file name is an updateinfo document (`updateinfo.xml`, `updateinfo.xml.gz`, the
/// repositories' `<checksum>-updateinfo.xml.gz`, or the fixtures' `updateinfo_2023.xml.gz`).
pub fn is_updateinfo_name(name: &str) -> bool {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
    name.contains("updateinfo") && (name.ends_with(".xml") || name.ends_with(".xml.gz"))
}

/// True when the first bytes of a file are an uncompressed updateinfo document (an XML
/// declaration, comments, then `<updates`).
pub fn looks_like_updateinfo(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(1024)]);
    xml::after_prolog(&text).is_some_and(|rest| {
        rest.starts_with("<updates>") || rest.starts_with("<updates ") || rest.starts_with("<updates\n")
    })
}

/// Imports one `updateinfo.xml` or `updateinfo.xml.gz` held in memory.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let mut out = Out::new(None);
    read(bytes, location, &mut out)?;
    Ok(out.finish())
}

/// Imports an `updateinfo.xml(.gz)` file, its records handed to `sink` in chunks while it is
/// read. The file is read twice: first checked whole (nothing kept), then imported, so a
/// truncated or malformed file gives an error and no records at all.
pub fn import_file<F: Read + Seek>(location: &str, mut file: F, sink: &mut dyn Sink) -> Result<Import, FeedError> {
    let io = |e: std::io::Error| FeedError::Io { location: location.to_owned(), source: e };
    let mut discard = Discard;
    let mut check = Out::new(Some(&mut discard));
    read(BufReader::new(&mut file), location, &mut check)?;
    file.rewind().map_err(io)?;
    let mut out = Out::new(Some(sink));
    read(BufReader::new(&mut file), location, &mut out)?;
    Ok(out.finish())
}

/// The sink of the checking pass.
struct Discard;

impl Sink for Discard {
    fn chunk(&mut self, _records: microscanner_vulndb::Records) -> Result<(), FeedError> {
        Ok(())
    }
}

/// Reads a plain or gzip document from `input` into `out`.
fn read<R: BufRead>(mut input: R, location: &str, out: &mut Out<'_>) -> Result<(), FeedError> {
    let io = |e: std::io::Error| FeedError::Io { location: location.to_owned(), source: e };
    let gzip = input.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    if gzip {
        read_xml(BufReader::new(MultiGzDecoder::new(input)), location, out)
    } else {
        read_xml(input, location, out)
    }
}

/// The text field of an `<update>` being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Title,
    Severity,
}

/// One package of an update: ecosystem, binary name, fixed `[epoch:]version-release`.
type Fixed = (String, String, String);

/// One `<update>` being read.
#[derive(Debug, Default)]
struct Update {
    /// The `type` attribute (`security`; `bugfix` and `enhancement` are skipped).
    kind: Option<String>,
    id: String,
    title: String,
    severity: String,
    issued: Option<String>,
    updated: Option<String>,
    cves: BTreeSet<String>,
    /// The ecosystem of the collection being read (`None`: not an Amazon Linux collection).
    collection: Option<Option<String>>,
    packages: BTreeSet<Fixed>,
    /// Something was dropped or cut: (what, why).
    notes: Vec<String>,
}

/// The state of one document.
struct Doc<'o, 'a> {
    out: &'o mut Out<'a>,
    location: &'o str,
    /// Names of the open elements.
    stack: Vec<Vec<u8>>,
    update: Option<Update>,
    field: Option<Field>,
    updates: usize,
}

/// An updateinfo document, as [`xml::drive`] reads it.
const SHAPE: Shape = Shape {
    root: "updates",
    what: "an updateinfo document",
    max_total: MAX_XML,
    max_event: MAX_EVENT,
    max_depth: MAX_DEPTH,
};

fn read_xml<R: BufRead>(input: R, location: &str, out: &mut Out<'_>) -> Result<(), FeedError> {
    let mut doc = Doc { out, location, stack: Vec::new(), update: None, field: None, updates: 0 };
    xml::drive(input, location, &SHAPE, &mut doc)?;
    if doc.updates == 0 {
        doc.out.import.diagnostics.push(Diagnostic::info(location, "no <update> in this updateinfo"));
    }
    Ok(())
}

impl Handler for Doc<'_, '_> {
    fn stack(&mut self) -> &mut Vec<Vec<u8>> {
        &mut self.stack
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        Doc::start(self, e, empty)
    }

    fn end(&mut self, name: &[u8]) -> Result<(), String> {
        Doc::end(self, name)
    }

    fn text(&mut self, text: &str) {
        Doc::text(self, text);
    }
}

impl Doc<'_, '_> {
    fn parent_is(&self, name: &[u8]) -> bool {
        self.stack.last().is_some_and(|p| p == name)
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        let name = e.local_name();
        let name = name.as_ref();
        if name == b"update" && self.parent_is(b"updates") {
            self.field = None;
            self.update = Some(Update { kind: attr(e, b"type")?, ..Update::default() });
            if empty {
                self.finish_update();
            }
            return Ok(());
        }
        let Some(update) = self.update.as_mut() else { return Ok(()) };
        let in_update = self.stack.last().is_some_and(|p| p == b"update");
        match name {
            b"id" if in_update && !empty => self.field = Some(Field::Id),
            b"title" if in_update && !empty => self.field = Some(Field::Title),
            b"severity" if in_update && !empty => self.field = Some(Field::Severity),
            b"issued" if in_update => update.issued = attr(e, b"date")?.as_deref().and_then(normalize_date),
            b"updated" if in_update => update.updated = attr(e, b"date")?.as_deref().and_then(normalize_date),
            b"reference" => {
                let kind = attr(e, b"type")?;
                let id = attr(e, b"id")?.unwrap_or_default();
                if kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("cve")) {
                    if !id.starts_with("CVE-") || !token(&id) {
                        update.notes.push(format!("CVE reference {:?} is not a CVE id; dropped", clip(&id)));
                    } else if update.cves.len() >= MAX_IDS {
                        update.notes.push(format!("more than {MAX_IDS} CVE references; the rest dropped"));
                    } else {
                        update.cves.insert(id);
                    }
                }
            }
            b"collection" => {
                let short = attr(e, b"short")?.unwrap_or_default();
                let ecosystem = ecosystem_of_collection(&short);
                if ecosystem.is_none() {
                    update.notes.push(format!("collection {:?} is not an Amazon Linux release; skipped", clip(&short)));
                }
                update.collection = Some(ecosystem);
            }
            b"package" => {
                let ecosystem = match &update.collection {
                    Some(Some(eco)) => eco.clone(),
                    Some(None) => return Ok(()),
                    None => match ecosystem_of_id(&update.id) {
                        Some(eco) => eco,
                        None => {
                            update.notes.push("a package outside any collection; skipped".to_owned());
                            return Ok(());
                        }
                    },
                };
                let pkg = attr(e, b"name")?.unwrap_or_default();
                let evr = evr(attr(e, b"epoch")?, attr(e, b"version")?, attr(e, b"release")?);
                match evr {
                    Some(evr) if token(&pkg) => {
                        if update.packages.len() >= MAX_PACKAGES {
                            if !update.notes.iter().any(|n| n.starts_with("more than")) {
                                update.notes.push(format!("more than {MAX_PACKAGES} packages; the rest dropped"));
                            }
                        } else {
                            update.packages.insert((ecosystem, pkg, evr));
                        }
                    }
                    _ => update
                        .notes
                        .push(format!("package {:?} without a usable name and version; skipped", clip(&pkg))),
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &[u8]) -> Result<(), String> {
        match name {
            b"update" if self.update.is_some() && self.parent_is(b"updates") => self.finish_update(),
            b"collection" => {
                if let Some(u) = self.update.as_mut() {
                    u.collection = None;
                }
            }
            _ => {}
        }
        self.field = None;
        self.out.record_done().map_err(|e| e.to_string())
    }

    fn text(&mut self, text: &str) {
        let (Some(field), Some(update)) = (self.field, self.update.as_mut()) else { return };
        let (target, max) = match field {
            Field::Id => (&mut update.id, MAX_ID + 1),
            Field::Title => (&mut update.title, MAX_SUMMARY + 1),
            Field::Severity => (&mut update.severity, MAX_WORD + 1),
        };
        // Keep at most one byte past the bound: enough to tell that it was passed.
        if target.len() < max {
            let room = max - target.len();
            let mut end = text.len().min(room);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            target.push_str(&text[..end]);
        }
    }

    /// Turns the finished `<update>` into records.
    fn finish_update(&mut self) {
        let Some(mut u) = self.update.take() else { return };
        self.updates += 1;
        let location = self.location;
        let import = &mut self.out.import;
        let id = u.id.trim().to_owned();
        if u.kind.as_deref().is_some_and(|k| !k.eq_ignore_ascii_case("security")) {
            return;
        }
        if !token(&id) {
            let what = format!("update {} has no usable <id>; skipped", self.updates);
            import.diagnostics.push(Diagnostic::warning(location, what));
            return;
        }
        let diag_at = format!("{location}: {id}");
        let mut title = u.title.trim().to_owned();
        if let Some(n) = cut_text(&mut title, MAX_SUMMARY) {
            u.notes.push(format!("title of {n}+ bytes cut to {MAX_SUMMARY}"));
        }
        let severity = u.severity.trim().to_ascii_lowercase();
        let severity = (!severity.is_empty() && severity.len() <= MAX_WORD).then_some(severity);
        if u.packages.is_empty() {
            u.notes.push("no package of an Amazon Linux collection; nothing to match".to_owned());
        }
        if !u.notes.is_empty() {
            import.diagnostics.push(Diagnostic::warning(&diag_at, u.notes.join("; ")));
        }
        import.timestamp = newest(import.timestamp.take(), u.updated.clone().or_else(|| u.issued.clone()));
        let ids: Vec<String> = if u.cves.is_empty() { vec![id.clone()] } else { u.cves.iter().cloned().collect() };
        let url = u.packages.first().map_or_else(|| alas_url(&id, ""), |(eco, _, _)| alas_url(&id, eco));
        let records = &mut import.records;
        for advisory_id in &ids {
            records.advisories.push(Advisory {
                id: advisory_id.clone(),
                related: if *advisory_id == id { Vec::new() } else { vec![id.clone()] },
                summary: (!title.is_empty()).then(|| title.clone()),
                published: u.issued.clone(),
                modified: u.updated.clone(),
                references: vec![Reference { kind: "ADVISORY".into(), url: url.clone() }],
                source: SOURCE.to_owned(),
                ..Advisory::default()
            });
            for (ecosystem, name, fixed) in &u.packages {
                records.affected.push(Affected {
                    advisory_id: advisory_id.clone(),
                    ecosystem: ecosystem.clone(),
                    name: name.clone(),
                    purl: Some(format!("pkg:rpm/amzn/{name}")),
                    ranges: introduced_zero_range(Some(fixed)),
                    versions: Vec::new(),
                    extra: Value::Null,
                });
                records.fix_statuses.push(FixStatus {
                    advisory_id: advisory_id.clone(),
                    ecosystem: ecosystem.clone(),
                    name: name.clone(),
                    state: FixState::Fixed,
                    fixed_version: Some(fixed.clone()),
                    urgency: severity.clone(),
                    note: Some(id.clone()),
                });
                if let Some(word) = &severity {
                    records.severities.push(SeverityRating {
                        advisory_id: advisory_id.clone(),
                        kind: SeverityKind::Vendor,
                        value: word.clone(),
                        score: None,
                        source: RATER.to_owned(),
                        scope: format!("{ecosystem}/{name}"),
                    });
                }
            }
        }
    }
}

/// At most 64 characters of a value, for a diagnostic.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// `[epoch:]version-release` from the package's attributes (epoch `0` left out, as rpm prints
/// it); `None` without a usable version.
fn evr(epoch: Option<String>, version: Option<String>, release: Option<String>) -> Option<String> {
    let version = version.filter(|v| token(v) && !v.contains(':'))?;
    let mut out = String::new();
    if let Some(e) = epoch.filter(|e| !e.is_empty() && e != "0") {
        if !e.bytes().all(|b| b.is_ascii_digit()) || e.len() > 10 {
            return None;
        }
        out.push_str(&e);
        out.push(':');
    }
    out.push_str(&version);
    if let Some(r) = release.filter(|r| !r.is_empty()) {
        if !token(&r) {
            return None;
        }
        out.push('-');
        out.push_str(&r);
    }
    (out.len() <= MAX_ID).then_some(out)
}

/// The ecosystem of a `<collection short="...">`: `amazon-linux-2023` → `Amazon Linux:2023`,
/// `amazon-linux-ami` → `Amazon Linux:1`, an extras topic `amazon-linux-2---kernel-5.15` →
/// `Amazon Linux:2:extras:kernel-5.15` (see the module documentation).
pub fn ecosystem_of_collection(short: &str) -> Option<String> {
    let rest = short.trim().to_ascii_lowercase();
    let rest = rest.strip_prefix("amazon-linux-")?;
    let (release, topic) = match rest.split_once("---") {
        Some((release, topic)) => (release, Some(topic)),
        None => (rest, None),
    };
    let release = match release {
        "ami" => "1",
        "2" | "2022" | "2023" => release,
        _ => return None,
    };
    match topic {
        None => Some(format!("Amazon Linux:{release}")),
        Some(t)
            if !t.is_empty()
                && t.len() <= 64
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) =>
        {
            Some(format!("Amazon Linux:{release}:extras:{t}"))
        }
        Some(_) => None,
    }
}

/// The core release of an ALAS id, for packages listed outside a collection: `ALAS2023-…`,
/// `ALAS2022-…`, `ALAS2-…`, `ALAS-…` (Amazon Linux 1). Extras ids (`ALAS2KERNEL-5.15-…`) give
/// `None`: their repository is unknown without the collection.
fn ecosystem_of_id(id: &str) -> Option<String> {
    let release = ["2023", "2022", "2", ""].into_iter().find(|r| id.starts_with(&format!("ALAS{r}-")))?;
    Some(format!("Amazon Linux:{}", if release.is_empty() { "1" } else { release }))
}

/// The ALAS page of an update: `ALAS2023-2023-001` in `Amazon Linux:2023` →
/// `https://alas.aws.amazon.com/AL2023/ALAS-2023-001.html`; Amazon Linux 1's are at the top.
fn alas_url(id: &str, ecosystem: &str) -> String {
    let release = ecosystem.strip_prefix("Amazon Linux:").and_then(|r| r.split(':').next()).unwrap_or("1");
    if release == "1" {
        return format!("https://alas.aws.amazon.com/{id}.html");
    }
    let page = id.strip_prefix(&format!("ALAS{release}")).map_or_else(|| id.to_owned(), |rest| format!("ALAS{rest}"));
    format!("https://alas.aws.amazon.com/AL{release}/{page}.html")
}

/// `2023-02-17 20:41:00` or `2018-01-11 21:05` → RFC 3339 (`2023-02-17T20:41:00Z`); a date alone
/// stays a date. `None` for anything else.
fn normalize_date(s: &str) -> Option<String> {
    let s = s.trim();
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim_end_matches('Z'))),
        None => (s, None),
    };
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    let mut d = date.split('-');
    if !(d.next().is_some_and(|y| digits(y, 4))
        && d.next().is_some_and(|m| digits(m, 2))
        && d.next().is_some_and(|x| digits(x, 2))
        && d.next().is_none())
    {
        return None;
    }
    let Some(time) = time else { return Some(date.to_owned()) };
    let parts: Vec<&str> = time.split(':').collect();
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| digits(p, 2)) {
        return Some(date.to_owned());
    }
    let seconds = parts.get(2).copied().unwrap_or("00");
    Some(format!("{date}T{}:{}:{seconds}Z", parts[0], parts[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<updates>
  <update status="final" type="security" version="1.4">
    <id>ALAS2023-2023-001</id>
    <title>Amazon Linux 2023 - ALAS2023-2023-001: Important priority package update for rsyslog &amp; co</title>
    <issued date="2023-02-17 20:41:00" /><updated date="2023-02-22 23:22:00" />
    <severity>Important</severity>
    <description>text</description>
    <references>
      <reference href="https://x" id="CVE-2022-24903" type="cve"/>
      <reference href="https://y" id="RHSA-1" type="redhat"/>
    </references>
    <pkglist><collection short="amazon-linux-2023"><name>Amazon Linux 2023</name>
      <package name="rsyslog" version="8.2204.0" release="3.amzn2023.0.2" epoch="0" arch="x86_64"/>
      <package name="rsyslog" version="8.2204.0" release="3.amzn2023.0.2" epoch="0" arch="aarch64"/>
      <package name="vim" version="9.0" release="1.amzn2023" epoch="2" arch="x86_64"/>
    </collection></pkglist>
  </update>
  <update type="bugfix"><id>ALAS2023-2023-002</id></update>
</updates>"#;

    #[test]
    fn one_update() {
        let import = parse(DOC.as_bytes(), "updateinfo.xml").unwrap();
        let r = &import.records;
        assert_eq!(r.advisories.len(), 1, "the bugfix update is skipped");
        let a = &r.advisories[0];
        assert_eq!(a.id, "CVE-2022-24903");
        assert_eq!(a.related, ["ALAS2023-2023-001"]);
        assert_eq!(
            a.summary.as_deref(),
            Some("Amazon Linux 2023 - ALAS2023-2023-001: Important priority package update for rsyslog & co")
        );
        assert_eq!(a.references[0].url, "https://alas.aws.amazon.com/AL2023/ALAS-2023-001.html");
        assert_eq!(a.published.as_deref(), Some("2023-02-17T20:41:00Z"));
        assert_eq!(r.affected.len(), 2, "architectures collapse");
        assert_eq!(r.affected[0].ecosystem, "Amazon Linux:2023");
        assert_eq!(r.affected[0].ranges[0]["events"][1]["fixed"], "8.2204.0-3.amzn2023.0.2");
        assert_eq!(r.affected[1].ranges[0]["events"][1]["fixed"], "2:9.0-1.amzn2023");
        assert_eq!(r.severities[0].value, "important");
        assert_eq!(r.severities[0].scope, "Amazon Linux:2023/rsyslog");
        assert_eq!(import.timestamp.as_deref(), Some("2023-02-22T23:22:00Z"));
        assert!(import.diagnostics.is_empty(), "{:?}", import.diagnostics);
    }

    #[test]
    fn names_and_releases() {
        assert!(is_updateinfo_name("x/0123abc-updateinfo.xml.gz"));
        assert!(is_updateinfo_name("updateinfo_2.xml.gz"));
        assert!(!is_updateinfo_name("repomd.xml"));
        assert!(looks_like_updateinfo(b"<?xml version=\"1.0\" ?>\n<!-- x -->\n<updates><update"));
        assert!(!looks_like_updateinfo(b"<?xml version=\"1.0\" ?><repomd>"));
        assert_eq!(ecosystem_of_collection("amazon-linux-2").as_deref(), Some("Amazon Linux:2"));
        assert_eq!(ecosystem_of_collection("amazon-linux-ami").as_deref(), Some("Amazon Linux:1"));
        assert_eq!(
            ecosystem_of_collection("amazon-linux-2---kernel-5.15").as_deref(),
            Some("Amazon Linux:2:extras:kernel-5.15")
        );
        assert_eq!(ecosystem_of_collection("fedora-39"), None);
        assert_eq!(ecosystem_of_id("ALAS2-2018-939").as_deref(), Some("Amazon Linux:2"));
        assert_eq!(ecosystem_of_id("ALAS-2011-1").as_deref(), Some("Amazon Linux:1"));
        assert_eq!(ecosystem_of_id("ALAS2KERNEL-5.15-2022-001"), None);
        assert_eq!(alas_url("ALAS2-2018-939", "Amazon Linux:2"), "https://alas.aws.amazon.com/AL2/ALAS-2018-939.html");
        assert_eq!(
            alas_url("ALAS2KERNEL-5.15-2022-001", "Amazon Linux:2:extras:kernel-5.15"),
            "https://alas.aws.amazon.com/AL2/ALASKERNEL-5.15-2022-001.html"
        );
        assert_eq!(alas_url("ALAS-2011-1", "Amazon Linux:1"), "https://alas.aws.amazon.com/ALAS-2011-1.html");
        assert_eq!(normalize_date("2018-01-11 21:05").as_deref(), Some("2018-01-11T21:05:00Z"));
        assert_eq!(normalize_date("2018-01-11").as_deref(), Some("2018-01-11"));
        assert_eq!(normalize_date("yesterday"), None);
        assert_eq!(evr(Some("0".into()), Some("1.0".into()), Some("1".into())).as_deref(), Some("1.0-1"));
        assert_eq!(evr(Some("x".into()), Some("1.0".into()), Some("1".into())), None);
        assert_eq!(evr(None, None, Some("1".into())), None);
    }

    #[test]
    fn broken_documents_are_errors_naming_the_file() {
        let err = |b: &[u8]| parse(b, "al2/updateinfo.xml").unwrap_err().to_string();
        let truncated = &DOC.as_bytes()[..DOC.len() / 2];
        for e in [
            err(truncated),
            err(b"<repomd></repomd>"),
            err(b"<updates><update><id>x</id></updat></updates>"),
            err(b"<updates>&bogus;</updates>"),
            err(b""),
        ] {
            assert!(e.starts_with("al2/updateinfo.xml: "), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
        let deep = format!("<updates>{}", "<a>".repeat(MAX_DEPTH + 1));
        assert!(err(deep.as_bytes()).contains("nested deeper"));
    }
}
