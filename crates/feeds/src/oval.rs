//! A streaming reader of OVAL definition documents (`oval_definitions`, schema 5.x), shared by the
//! vendors that publish their advisories as OVAL: Oracle Linux ELSA ([`crate::oracle`]) and
//! CBL-Mariner / Azure Linux ([`crate::mariner`]).
//!
//! An OVAL document lists `<definitions>` (one per advisory: metadata and a tree of `<criteria>`
//! whose leaves name tests), then `<tests>` (an `rpminfo_test` names an object and a state),
//! `<objects>` (an `rpminfo_object` names a package) and `<states>` (an `rpminfo_state` holds an
//! `evr` and the comparison, `less than`...), in this order (the schema's sequence). The reader
//! streams it event by event (`quick-xml`) and keeps only what the vendor's mapping asks for:
//! at `</definition>` the vendor picks the criterion leaves that are package checks (with a
//! context of its own, such as the release), and only the tests, objects and states those
//! leaves reach are kept. At the end each pick is resolved to a `Check`: the package name, the
//! comparison and the `evr`. Leaves that do not reach an `evr` state (signature keys,
//! architectures, the release's own test) resolve to nothing and are dropped. A vendor may
//! instead read the check from the criterion itself (`Pick::known`): Oracle's criterion
//! comments state it (`bind is earlier than 30:9.3.3-8.el5`), as Trivy and vunnel read them.
//!
//! # Bounds
//!
//! At most [`MAX_XML`] bytes of XML, [`MAX_EVENT`] bytes for one tag or text run, [`MAX_DEPTH`]
//! levels of nesting, [`MAX_DEFINITIONS`] definitions, [`MAX_NODES`] criteria nodes per
//! definition, [`MAX_ENTRIES`] tests, objects and states kept; text fields are cut to the
//! crate's bounds. No DTD or entity beyond XML's five is expanded. A document that is not
//! well-formed, is not OVAL, or passes a bound is an error naming the file (one line).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};

use microscanner_model::Diagnostic;
use quick_xml::events::BytesStart;

use crate::xml::{self, Handler, Shape, attr, token};
use crate::{FeedError, Import, MAX_DETAILS, MAX_IDS, MAX_SUMMARY, MAX_URL, Out, Sink};

/// Most bytes of XML read from one document: Oracle's `com.oracle.elsa-all.xml` is about 1 GiB.
pub const MAX_XML: u64 = 4 * 1024 * 1024 * 1024;
/// Most bytes of one XML event (a tag with its attributes, a text run).
pub const MAX_EVENT: u64 = 4 * 1024 * 1024;
/// Deepest element nesting read (Oracle's per-architecture ksplice criteria reach 12).
pub const MAX_DEPTH: usize = 64;
/// Most definitions kept from one document (Oracle's complete file has about 8,000).
pub const MAX_DEFINITIONS: usize = 1024 * 1024;
/// Most criteria and criterion nodes of one definition.
pub const MAX_NODES: usize = 64 * 1024;
/// Most tests, objects and states kept (each kind).
pub const MAX_ENTRIES: usize = 16 * 1024 * 1024;
/// Longest short field kept (severity, patchable, a date).
const MAX_WORD: usize = 64;

/// A reference of a definition's metadata (`<reference source ref_id ref_url>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OvalRef {
    pub(crate) source: String,
    pub(crate) id: String,
    pub(crate) url: String,
}

/// A definition's metadata.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    /// `oval:…:def:…`.
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) description: String,
    /// `<severity>` (Oracle inside `<advisory>`, Mariner in the metadata).
    pub(crate) severity: String,
    /// `<issued date>` (Oracle) or `<advisory_date>` (Mariner).
    pub(crate) issued: Option<String>,
    /// Mariner's `<patchable>` (`true`, `false`, `Not Applicable`).
    pub(crate) patchable: String,
    pub(crate) references: Vec<OvalRef>,
    /// `<platform>` values.
    pub(crate) platforms: Vec<String>,
    /// Notes on what was cut or dropped.
    pub(crate) notes: Vec<String>,
}

/// A node of a definition's criteria tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// `<criteria operator>`: `and` unless the operator is `OR` (or another).
    Criteria { and: bool, children: Vec<Self> },
    /// `<criterion test_ref comment>`.
    Criterion { test_ref: String, comment: String },
}

/// The vendor's choice of package checks at `</definition>` (see [`read`]).
pub(crate) type PickFn<'p> = dyn FnMut(&Meta, Option<&Node>, &mut Vec<Pick>) + 'p;

/// A package check a vendor picked: its context (the vendor's, such as a release) and the test,
/// or the check itself when the vendor reads it from the criterion (Oracle's comments).
#[derive(Debug, Clone)]
pub(crate) struct Pick {
    pub(crate) context: String,
    pub(crate) test_ref: String,
    /// Package, comparison and `evr`, already known: the test is not resolved.
    pub(crate) known: Option<(String, Op, String)>,
}

/// The comparison of an `evr` state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
}

impl Op {
    fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "less than" => Self::Less,
            "less than or equal" => Self::LessOrEqual,
            "greater than" => Self::Greater,
            "greater than or equal" => Self::GreaterOrEqual,
            "equals" => Self::Equal,
            _ => return None,
        })
    }
}

/// A resolved package check: the pick's context, the package, the comparison and the `evr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) context: String,
    pub(crate) name: String,
    pub(crate) op: Op,
    pub(crate) evr: String,
}

/// What a document gave: each kept definition with its checks (in document order).
#[derive(Debug, Default)]
pub(crate) struct Document {
    pub(crate) definitions: Vec<(Meta, Vec<Check>)>,
    /// The generator's `<oval:timestamp>`.
    pub(crate) timestamp: Option<String>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// True when the first bytes of a file are an OVAL definitions document (an XML declaration,
/// comments, then `<oval_definitions` with or without a prefix).
pub fn looks_like_oval(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(2048)]);
    let Some(tag) = xml::after_prolog(&text).and_then(|rest| rest.strip_prefix('<')) else { return false };
    let name: String = tag.chars().take_while(|c| !c.is_whitespace() && *c != '>').collect();
    name.rsplit(':').next() == Some("oval_definitions")
}

/// The text being captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Description,
    Severity,
    Patchable,
    AdvisoryDate,
    Platform,
    Timestamp,
    ObjectName,
    StateEvr,
}

/// The section of the document being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Definitions,
    Tests,
    Objects,
    States,
}

struct Reading<'p> {
    location: &'p str,
    pick: &'p mut PickFn<'p>,
    stack: Vec<Vec<u8>>,
    section: Section,
    /// The definition being read, and its open criteria.
    meta: Option<Meta>,
    open: Vec<(bool, Vec<Node>)>,
    root: Option<Node>,
    nodes: usize,
    field: Option<Field>,
    text: String,
    /// Kept definitions with their picks.
    kept: Vec<(Meta, Vec<Pick>)>,
    definitions: usize,
    needed_tests: HashSet<String>,
    /// The test being read: id, object, state.
    test: Option<(String, String, String)>,
    tests: HashMap<String, (String, String)>,
    needed_objects: HashSet<String>,
    object: Option<String>,
    objects: HashMap<String, String>,
    needed_states: HashSet<String>,
    /// The state being read: id, evr operation.
    state: Option<(String, Option<Op>)>,
    states: HashMap<String, (Op, String)>,
    timestamp: Option<String>,
    diagnostics: Vec<Diagnostic>,
}

/// Reads one OVAL document from `input`. At each `</definition>`, `pick` is given its metadata
/// and criteria tree and pushes the package checks to keep (none: the definition is dropped).
pub(crate) fn read<'p, R: BufRead>(
    input: R,
    location: &'p str,
    pick: &'p mut PickFn<'p>,
) -> Result<Document, FeedError> {
    let mut r = Reading {
        location,
        pick,
        stack: Vec::new(),
        section: Section::None,
        meta: None,
        open: Vec::new(),
        root: None,
        nodes: 0,
        field: None,
        text: String::new(),
        kept: Vec::new(),
        definitions: 0,
        needed_tests: HashSet::new(),
        test: None,
        tests: HashMap::new(),
        needed_objects: HashSet::new(),
        object: None,
        objects: HashMap::new(),
        needed_states: HashSet::new(),
        state: None,
        states: HashMap::new(),
        timestamp: None,
        diagnostics: Vec::new(),
    };
    xml::drive(input, location, &SHAPE, &mut r)?;
    Ok(r.resolve())
}

/// A vendor's reader of one OVAL document into `out` (`oracle::read`, `mariner::read`): the
/// vendor's rules over what [`read`] gives.
pub(crate) type VendorRead = fn(&mut dyn BufRead, &str, &mut Out<'_>) -> Result<(), FeedError>;

/// Imports one OVAL document held in memory with a vendor's `read`.
pub(crate) fn parse_with(read: VendorRead, bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let mut out = Out::new(None);
    read(&mut &*bytes, location, &mut out)?;
    Ok(out.finish())
}

/// Imports an OVAL file with a vendor's `read`, its records handed to `sink` in chunks once the
/// document has been read whole (a malformed or truncated file gives an error and no records).
pub(crate) fn import_with<F: Read>(
    read: VendorRead,
    location: &str,
    file: F,
    sink: &mut dyn Sink,
) -> Result<Import, FeedError> {
    let mut out = Out::new(Some(sink));
    read(&mut BufReader::new(file), location, &mut out)?;
    Ok(out.finish())
}

/// An OVAL document, as [`xml::drive`] reads it.
const SHAPE: Shape = Shape {
    root: "oval_definitions",
    what: "an OVAL document",
    max_total: MAX_XML,
    max_event: MAX_EVENT,
    max_depth: MAX_DEPTH,
};

impl Handler for Reading<'_> {
    fn stack(&mut self) -> &mut Vec<Vec<u8>> {
        &mut self.stack
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        Reading::start(self, e, empty)
    }

    fn end(&mut self, name: &[u8]) -> Result<(), String> {
        Reading::end(self, name)
    }

    fn text(&mut self, text: &str) {
        self.push_text(text);
    }
}

impl Reading<'_> {
    fn parent_is(&self, name: &[u8]) -> bool {
        self.stack.last().is_some_and(|p| p == name)
    }

    fn capture(&mut self, field: Field) {
        self.field = Some(field);
        self.text.clear();
    }

    fn push_text(&mut self, text: &str) {
        if self.field.is_none() {
            return;
        }
        // Keep at most one byte past the longest bound: enough to tell that it was passed.
        let max = MAX_DETAILS + 1;
        if self.text.len() < max {
            let mut end = text.len().min(max - self.text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            self.text.push_str(&text[..end]);
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        let local = e.local_name();
        let name = local.as_ref();
        if self.stack.len() == 1 {
            self.section = match name {
                b"definitions" => Section::Definitions,
                b"tests" => Section::Tests,
                b"objects" => Section::Objects,
                b"states" => Section::States,
                _ => Section::None,
            };
        }
        if name == b"timestamp" && self.stack.iter().any(|s| s == b"generator") && !empty {
            self.capture(Field::Timestamp);
            return Ok(());
        }
        match self.section {
            Section::Definitions => self.start_definition_part(e, name, empty),
            Section::Tests => {
                if self.parent_is(b"tests") && name.ends_with(b"_test") {
                    let id = attr(e, b"id")?.unwrap_or_default();
                    self.test = Some((id, String::new(), String::new()));
                } else if let Some(test) = self.test.as_mut() {
                    match name {
                        b"object" => test.1 = attr(e, b"object_ref")?.unwrap_or_default(),
                        b"state" => test.2 = attr(e, b"state_ref")?.unwrap_or_default(),
                        _ => {}
                    }
                }
                Ok(())
            }
            Section::Objects => {
                if self.parent_is(b"objects") && name.ends_with(b"_object") {
                    self.object = attr(e, b"id")?;
                } else if self.object.is_some() && name == b"name" && !empty {
                    self.capture(Field::ObjectName);
                }
                Ok(())
            }
            Section::States => {
                if self.parent_is(b"states") && name.ends_with(b"_state") {
                    self.state = attr(e, b"id")?.map(|id| (id, None));
                } else if let Some(state) = self.state.as_mut()
                    && name == b"evr"
                    && !empty
                {
                    state.1 = attr(e, b"operation")?.as_deref().and_then(Op::parse);
                    self.capture(Field::StateEvr);
                }
                Ok(())
            }
            Section::None => Ok(()),
        }
    }

    fn start_definition_part(&mut self, e: &BytesStart<'_>, name: &[u8], empty: bool) -> Result<(), String> {
        if name == b"definition" && self.parent_is(b"definitions") {
            self.meta = Some(Meta { id: attr(e, b"id")?.unwrap_or_default(), ..Meta::default() });
            self.open.clear();
            self.root = None;
            self.nodes = 0;
            return Ok(());
        }
        let Some(meta) = self.meta.as_mut() else { return Ok(()) };
        match name {
            b"title" if !empty => self.capture(Field::Title),
            b"description" if !empty => self.capture(Field::Description),
            b"severity" if !empty => self.capture(Field::Severity),
            b"patchable" if !empty => self.capture(Field::Patchable),
            b"advisory_date" if !empty => self.capture(Field::AdvisoryDate),
            b"platform" if !empty => self.capture(Field::Platform),
            b"issued" => meta.issued = attr(e, b"date")?.filter(|d| d.len() <= MAX_WORD),
            b"reference" => {
                let r = OvalRef {
                    source: attr(e, b"source")?.unwrap_or_default(),
                    id: attr(e, b"ref_id")?.unwrap_or_default(),
                    url: attr(e, b"ref_url")?.unwrap_or_default(),
                };
                if !token(&r.id) || r.source.len() > MAX_WORD {
                    meta.notes.push(format!("reference {:?} is not an id; dropped", clip(&r.id)));
                } else if meta.references.len() >= MAX_IDS {
                    if !meta.notes.iter().any(|n| n.starts_with("more than")) {
                        meta.notes.push(format!("more than {MAX_IDS} references; the rest dropped"));
                    }
                } else {
                    meta.references
                        .push(OvalRef { url: if r.url.len() > MAX_URL { String::new() } else { r.url }, ..r });
                }
            }
            b"criteria" | b"criterion" => {
                self.nodes += 1;
                if self.nodes > MAX_NODES {
                    return Err(format!("definition {} has more than {MAX_NODES} criteria", clip(&meta.id)));
                }
                if name == b"criteria" {
                    let and = attr(e, b"operator")?.is_none_or(|o| o.eq_ignore_ascii_case("and"));
                    self.open.push((and, Vec::new()));
                } else {
                    let leaf = Node::Criterion {
                        test_ref: attr(e, b"test_ref")?.unwrap_or_default(),
                        comment: attr(e, b"comment")?.unwrap_or_default().chars().take(MAX_SUMMARY).collect(),
                    };
                    match self.open.last_mut() {
                        Some((_, children)) => children.push(leaf),
                        None => self.add_top(leaf),
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &[u8]) -> Result<(), String> {
        if let Some(field) = self.field.take() {
            let text = std::mem::take(&mut self.text);
            self.set_field(field, text.trim());
        }
        match (self.section, name) {
            (Section::Definitions, b"criteria") if self.meta.is_some() => {
                if let Some((and, children)) = self.open.pop() {
                    let node = Node::Criteria { and, children };
                    match self.open.last_mut() {
                        Some((_, parent)) => parent.push(node),
                        None => self.add_top(node),
                    }
                }
            }
            (Section::Definitions, b"definition") if self.parent_is(b"definitions") => self.finish_definition()?,
            (Section::Tests, _) if self.parent_is(b"tests") && name.ends_with(b"_test") => {
                if let Some((id, object, state)) = self.test.take()
                    && self.needed_tests.contains(&id)
                {
                    bounded(self.tests.len(), "tests")?;
                    self.needed_objects.insert(object.clone());
                    self.needed_states.insert(state.clone());
                    self.tests.insert(id, (object, state));
                }
            }
            (Section::Objects, _) if self.parent_is(b"objects") && name.ends_with(b"_object") => self.object = None,
            (Section::States, _) if self.parent_is(b"states") && name.ends_with(b"_state") => self.state = None,
            _ => {}
        }
        Ok(())
    }

    /// A node outside any `<criteria>`: the root, or (a malformed definition with several) one
    /// more child of an implicit `AND` root.
    fn add_top(&mut self, node: Node) {
        self.root = Some(match self.root.take() {
            None => node,
            Some(Node::Criteria { and: true, mut children }) => {
                children.push(node);
                Node::Criteria { and: true, children }
            }
            Some(other) => Node::Criteria { and: true, children: vec![other, node] },
        });
    }

    fn set_field(&mut self, field: Field, text: &str) {
        let word = |t: &str| if t.len() <= MAX_WORD { t.to_owned() } else { String::new() };
        match field {
            Field::Timestamp => self.timestamp = Some(word(text)).filter(|t| !t.is_empty()),
            Field::ObjectName => {
                if let Some(id) = self.object.as_ref()
                    && self.needed_objects.contains(id)
                    && token(text)
                    && self.objects.len() < MAX_ENTRIES
                {
                    self.objects.insert(id.clone(), text.to_owned());
                }
            }
            Field::StateEvr => {
                if let Some((id, Some(op))) = self.state.as_ref()
                    && self.needed_states.contains(id)
                    && token(text)
                    && self.states.len() < MAX_ENTRIES
                {
                    self.states.insert(id.clone(), (*op, text.to_owned()));
                }
            }
            _ => {
                let Some(meta) = self.meta.as_mut() else { return };
                match field {
                    Field::Title => meta.title = cut(text, MAX_SUMMARY, "title", &mut meta.notes),
                    Field::Description => meta.description = cut(text, MAX_DETAILS, "description", &mut meta.notes),
                    Field::Severity => meta.severity = word(text),
                    Field::Patchable => meta.patchable = word(text),
                    Field::AdvisoryDate => meta.issued = Some(word(text)).filter(|t| !t.is_empty()),
                    Field::Platform if meta.platforms.len() < MAX_IDS => meta.platforms.push(word(text)),
                    _ => {}
                }
            }
        }
    }

    fn finish_definition(&mut self) -> Result<(), String> {
        let Some(meta) = self.meta.take() else { return Ok(()) };
        self.definitions += 1;
        if self.definitions > MAX_DEFINITIONS {
            return Err(format!("more than {MAX_DEFINITIONS} definitions"));
        }
        let root = self.root.take();
        self.open.clear();
        let mut picks = Vec::new();
        (self.pick)(&meta, root.as_ref(), &mut picks);
        if picks.is_empty() {
            return Ok(());
        }
        for p in picks.iter().filter(|p| p.known.is_none()) {
            bounded(self.needed_tests.len(), "test references")?;
            self.needed_tests.insert(p.test_ref.clone());
        }
        self.kept.push((meta, picks));
        Ok(())
    }

    /// Each kept definition with its picks resolved to checks.
    fn resolve(self) -> Document {
        let mut doc = Document { timestamp: self.timestamp, diagnostics: self.diagnostics, ..Document::default() };
        let mut dangling = 0usize;
        for (meta, picks) in self.kept {
            let mut checks: Vec<Check> = Vec::new();
            for p in picks {
                if let Some((name, op, evr)) = p.known {
                    let check = Check { context: p.context, name, op, evr };
                    if !checks.contains(&check) {
                        checks.push(check);
                    }
                    continue;
                }
                let Some((object, state)) = self.tests.get(&p.test_ref) else {
                    dangling += 1;
                    continue;
                };
                let (Some(name), Some((op, evr))) = (self.objects.get(object), self.states.get(state)) else {
                    continue;
                };
                let check = Check { context: p.context, name: name.clone(), op: *op, evr: evr.clone() };
                if !checks.contains(&check) {
                    checks.push(check);
                }
            }
            doc.definitions.push((meta, checks));
        }
        if dangling > 0 {
            let what = format!("{dangling} criteria name a test the document does not define; skipped");
            doc.diagnostics.push(Diagnostic::warning(self.location, what));
        }
        doc
    }
}

fn bounded(len: usize, what: &str) -> Result<(), String> {
    if len >= MAX_ENTRIES { Err(format!("more than {MAX_ENTRIES} {what}")) } else { Ok(()) }
}

/// `text` cut to `max` bytes (a note when cut).
fn cut(text: &str, max: usize, what: &str, notes: &mut Vec<String>) -> String {
    let mut s = text.to_owned();
    if let Some(n) = crate::cut_text(&mut s, max) {
        notes.push(format!("{what} of {n}+ bytes cut to {max}"));
    }
    s
}

/// At most 64 characters of a value, for a diagnostic.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// `evr` without a `0:` epoch (rpm prints none), as the fixed version is stored.
pub(crate) fn drop_zero_epoch(evr: &str) -> &str {
    evr.strip_prefix("0:").unwrap_or(evr)
}

/// One package entry of an advisory a vendor mapping makes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub(crate) ecosystem: String,
    pub(crate) name: String,
    /// `introduced` (`0` when the advisory gives no lower bound).
    pub(crate) introduced: String,
    /// `fixed` (a fix exists) or `last_affected` (none yet).
    pub(crate) fixed: Option<String>,
    pub(crate) last_affected: Option<String>,
}

/// The advisory-level facts of one definition, for [`emit`].
pub(crate) struct Advisories<'a> {
    /// The ids the findings carry (the CVEs, else the vendor's id).
    pub(crate) ids: &'a [String],
    /// The vendor's own id, kept as a related id (`ELSA-2021-9151`).
    pub(crate) related: Option<&'a str>,
    pub(crate) meta: &'a Meta,
    /// The advisory's page.
    pub(crate) url: Option<&'a str>,
    pub(crate) source: &'a str,
    /// The vendor's severity word, lowercased, and who rates.
    pub(crate) severity: Option<String>,
    pub(crate) rater: &'a str,
    /// The purl namespace of the packages (`oracle`, `azurelinux`).
    pub(crate) purl_namespace: &'a str,
}

/// Writes one advisory per id of `a`, each with `entries` (affected range, fix state and the
/// vendor's per-package severity).
pub(crate) fn emit(records: &mut microscanner_vulndb::Records, a: &Advisories<'_>, entries: &[Entry]) {
    use microscanner_vulndb::{Advisory, Affected, FixState, FixStatus, Reference, SeverityKind, SeverityRating};
    for id in a.ids {
        let related = a.related.filter(|r| *r != id.as_str()).map(str::to_owned);
        records.advisories.push(Advisory {
            id: id.clone(),
            related: related.clone().into_iter().collect(),
            summary: (!a.meta.title.is_empty()).then(|| a.meta.title.clone()),
            details: (!a.meta.description.is_empty()).then(|| a.meta.description.clone()),
            published: a.meta.issued.clone(),
            references: a.url.map(|u| Reference { kind: "ADVISORY".into(), url: u.to_owned() }).into_iter().collect(),
            source: a.source.to_owned(),
            ..Advisory::default()
        });
        for e in entries {
            let mut events = vec![serde_json::json!({"introduced": e.introduced})];
            if let Some(f) = &e.fixed {
                events.push(serde_json::json!({"fixed": f}));
            } else if let Some(l) = &e.last_affected {
                events.push(serde_json::json!({"last_affected": l}));
            }
            records.affected.push(Affected {
                advisory_id: id.clone(),
                ecosystem: e.ecosystem.clone(),
                name: e.name.clone(),
                purl: Some(format!("pkg:rpm/{}/{}", a.purl_namespace, e.name)),
                ranges: serde_json::json!([{"type": "ECOSYSTEM", "events": events}]),
                versions: Vec::new(),
                extra: serde_json::Value::Null,
            });
            records.fix_statuses.push(FixStatus {
                advisory_id: id.clone(),
                ecosystem: e.ecosystem.clone(),
                name: e.name.clone(),
                state: if e.fixed.is_some() { FixState::Fixed } else { FixState::Unfixed },
                fixed_version: e.fixed.clone(),
                urgency: a.severity.clone(),
                note: related.clone(),
            });
            if let Some(word) = &a.severity {
                records.severities.push(SeverityRating {
                    advisory_id: id.clone(),
                    kind: SeverityKind::Vendor,
                    value: word.clone(),
                    score: None,
                    source: a.rater.to_owned(),
                    scope: format!("{}/{}", e.ecosystem, e.name),
                });
            }
        }
    }
}

/// The severity word of a definition, lowercased (`None` when empty or too long).
pub(crate) fn severity_word(meta: &Meta) -> Option<String> {
    let s = meta.severity.trim().to_ascii_lowercase();
    (!s.is_empty() && s.len() <= MAX_WORD && !s.contains(char::is_control)).then_some(s)
}

/// The CVE ids among a definition's references.
pub(crate) fn cves(meta: &Meta) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &meta.references {
        if r.source.eq_ignore_ascii_case("cve") && r.id.starts_with("CVE-") && !out.contains(&r.id) {
            out.push(r.id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5">
<generator><oval:timestamp xmlns:oval="x">2024-01-02T03:04:05</oval:timestamp></generator>
<definitions>
<definition id="oval:x:def:1" class="patch"><metadata><title>T &amp; U</title>
<reference source="CVE" ref_id="CVE-2024-1" ref_url="https://x"/></metadata>
<criteria operator="AND"><criterion test_ref="t1" comment="a"/><criterion test_ref="t2" comment="b"/>
<criterion test_ref="t9" comment="missing"/></criteria>
</definition>
</definitions>
<tests><rpminfo_test id="t1"><object object_ref="o1"/><state state_ref="s1"/></rpminfo_test>
<rpminfo_test id="t2"><object object_ref="o1"/><state state_ref="s2"/></rpminfo_test></tests>
<objects><rpminfo_object id="o1"><name>bash</name></rpminfo_object></objects>
<states><rpminfo_state id="s1"><evr datatype="evr_string" operation="less than">0:5.1-2</evr></rpminfo_state>
<rpminfo_state id="s2"><signature_keyid operation="equals">abc</signature_keyid></rpminfo_state></states>
</oval_definitions>"#;

    fn all_leaves(_: &Meta, root: Option<&Node>, out: &mut Vec<Pick>) {
        fn walk(n: &Node, out: &mut Vec<Pick>) {
            match n {
                Node::Criteria { children, .. } => children.iter().for_each(|c| walk(c, out)),
                Node::Criterion { test_ref, .. } => {
                    out.push(Pick { context: String::new(), test_ref: test_ref.clone(), known: None });
                }
            }
        }
        if let Some(r) = root {
            walk(r, out);
        }
    }

    #[test]
    fn resolves_checks() {
        let doc = read(DOC.as_bytes(), "d.xml", &mut all_leaves).unwrap();
        assert_eq!(doc.timestamp.as_deref(), Some("2024-01-02T03:04:05"));
        assert_eq!(doc.definitions.len(), 1);
        let (meta, checks) = &doc.definitions[0];
        assert_eq!(meta.title, "T & U");
        assert_eq!(meta.references[0].id, "CVE-2024-1");
        assert_eq!(
            checks,
            &[Check { context: String::new(), name: "bash".into(), op: Op::Less, evr: "0:5.1-2".into() }]
        );
        assert_eq!(doc.diagnostics.len(), 1, "the dangling test reference");
        assert!(looks_like_oval(DOC.as_bytes()));
        assert!(looks_like_oval(b"<oval-def:oval_definitions xmlns:oval-def=\"x\">"));
        assert!(!looks_like_oval(b"<updates>"));
    }

    #[test]
    fn broken_documents_are_one_line_errors() {
        let err = |b: &[u8]| read(b, "o.xml", &mut all_leaves).unwrap_err().to_string();
        for e in [
            err(&DOC.as_bytes()[..DOC.len() / 2]),
            err(b"<updates/>"),
            err(b""),
            err(b"<oval_definitions>&lol;</oval_definitions>"),
            err(b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><oval_definitions><definitions><definition><metadata><title>&a;</title></metadata></definition></definitions></oval_definitions>"),
        ] {
            assert!(e.starts_with("o.xml: "), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
        let deep = format!("<oval_definitions>{}", "<a>".repeat(MAX_DEPTH + 1));
        assert!(err(deep.as_bytes()).contains("nested deeper"));
    }
}
