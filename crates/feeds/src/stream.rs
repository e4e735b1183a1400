//! Streaming JSON import: a serde visitor walks the top level of a document and hands each element
//! of a list of records (`[...]`, `{"vulns": [...]}`, `{"vulnerabilities": [...]}` of OSV records,
//! NVD items or KEV entries) to its importer as soon as it is parsed, so only one record exists as
//! a [`serde_json::Value`] at a time. The Debian tracker export (one object of packages) is read
//! the same way, one CVE entry of one package at a time ([`crate::debian::Package`]). Records go on
//! to the [`Out`]'s sink in bounded chunks.
//!
//! What the list holds is judged by its first element (and the keys before the list, such as
//! KEV's `catalogVersion` or NVD's `format`), as the whole-document detection in
//! [`crate::detect::import_json`] judges it by the first element; a document is the tracker export
//! when the first entry of its first field is a CVE entry (it has `releases`). A list whose first
//! element is none of these is skipped unread, with a diagnostic. Other top-level values (a single
//! record, an Alpine secdb) are kept and imported whole by `import_json` once the document ends.
//!
//! Read from a file, one list element may be at most [`MAX_RECORD`] bytes of JSON and any other
//! top-level value (a tracker package) at most [`MAX_VALUE`]; the file is checked in a first pass
//! (syntax and these bounds, nothing kept) before the second pass hands records on, because
//! records given to the database builder cannot be taken back: a malformed file is refused whole,
//! as before.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::rc::Rc;

use microscanner_model::Diagnostic;
use serde::Deserialize as _;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::detect::{Format, import_json};
use crate::{FeedError, Import, Out, Sink, debian, kev, nvd, osv, str_of};

/// Largest element of a streamed list (one record), in bytes of JSON, when read from a file (the
/// same bound as one `all.zip` member).
pub const MAX_RECORD: u64 = osv::MAX_ENTRY;
/// Largest other top-level value of a JSON feed file (a Debian tracker package, an Alpine
/// `packages` list), in bytes of JSON, when read from a file.
pub const MAX_VALUE: u64 = 64 * 1024 * 1024;
/// Read buffer for JSON files.
const BUFFER: usize = 256 * 1024;

/// What a list of records holds, or that the document is the Debian tracker export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Osv,
    Nvd,
    Kev,
    DebianTracker,
}

/// Bytes read since the last reset, and the bound they may not pass (shared with [`Metered`]).
#[derive(Debug, Default)]
struct Budget {
    used: Cell<u64>,
    limit: Cell<u64>,
}

/// A reader that fails once more than the budget's limit has been read since its last reset
/// (counted per buffer refill, so up to [`BUFFER`] bytes late).
struct Metered {
    file: File,
    budget: Rc<Budget>,
}

impl Read for Metered {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        let used = self.budget.used.get().saturating_add(n as u64);
        self.budget.used.set(used);
        let limit = self.budget.limit.get();
        if limit > 0 && used > limit.saturating_add(BUFFER as u64) {
            return Err(std::io::Error::other(format!(
                "one JSON value (a record of a list, or a top-level field) is larger than the bound of {limit} bytes"
            )));
        }
        Ok(n)
    }
}

fn reset(budget: Option<&Rc<Budget>>, limit: u64) {
    if let Some(b) = budget {
        b.used.set(0);
        b.limit.set(limit);
    }
}

fn is_list_key(key: &str) -> bool {
    key == "vulnerabilities" || key == "vulns"
}

/// Imports JSON bytes already in memory (no chunks: everything is returned).
pub(crate) fn import_slice(location: &str, bytes: &[u8]) -> Result<Option<(Format, Import)>, FeedError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    run(&mut de, location, None, None)
}

/// Imports a JSON file, streaming: checks it (first pass), then reads it again handing records to
/// `sink` in chunks. The [`Import`] returned holds the records of the last, partial chunk.
pub(crate) fn import_file(
    location: &str,
    mut file: File,
    sink: &mut dyn Sink,
) -> Result<Option<(Format, Import)>, FeedError> {
    let io = |e: std::io::Error| FeedError::Io { location: location.to_owned(), source: e };
    let malformed = |e: serde_json::Error| FeedError::malformed(location, e);
    let budget = Rc::new(Budget::default());
    {
        let copy = file.try_clone().map_err(io)?;
        let reader = BufReader::with_capacity(BUFFER, Metered { file: copy, budget: Rc::clone(&budget) });
        let mut de = serde_json::Deserializer::from_reader(reader);
        de.deserialize_any(Walk { budget: &budget, nested: false }).map_err(malformed)?;
        de.end().map_err(malformed)?;
    }
    file.rewind().map_err(io)?;
    let reader = BufReader::with_capacity(BUFFER, Metered { file, budget: Rc::clone(&budget) });
    let mut de = serde_json::Deserializer::from_reader(reader);
    run(&mut de, location, Some(sink), Some(budget))
}

fn run<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    location: &str,
    sink: Option<&mut dyn Sink>,
    budget: Option<Rc<Budget>>,
) -> Result<Option<(Format, Import)>, FeedError> {
    let mut doc = Doc {
        out: Out::new(sink),
        location,
        budget,
        mode: None,
        rest: Map::new(),
        top_array: false,
        tracker: debian::Tracker::default(),
    };
    let parsed = de.deserialize_any(Top(&mut doc)).and_then(|()| de.end());
    if let Some(e) = doc.out.failed.take() {
        return Err(e);
    }
    parsed.map_err(|e| FeedError::malformed(location, e))?;
    doc.finish()
}

/// The state of one document being read.
struct Doc<'l, 'a> {
    out: Out<'a>,
    location: &'l str,
    budget: Option<Rc<Budget>>,
    /// What the list being streamed holds (set by its first element).
    mode: Option<Mode>,
    /// The top-level fields that are not a streamed list.
    rest: Map<String, Value>,
    /// The document is an array (of OSV records, or of something else).
    top_array: bool,
    /// The state of a Debian tracker import.
    tracker: debian::Tracker,
}

impl<'a> Doc<'_, 'a> {
    fn reset(&self, limit: u64) {
        reset(self.budget.as_ref(), limit);
    }

    /// The mode of a list (under `key`, or the document itself) from its first element.
    fn decide(&self, key: Option<&str>, first: &Value) -> Option<Mode> {
        if key == Some("vulnerabilities") {
            if self.rest.contains_key("catalogVersion") || first.get("cveID").is_some() {
                return Some(Mode::Kev);
            }
            if self.rest.get("format").and_then(Value::as_str) == Some("NVD_CVE") || first.get("cve").is_some() {
                return Some(Mode::Nvd);
            }
        }
        osv::looks_like_record(first).then_some(Mode::Osv)
    }

    fn item<E: de::Error>(&mut self, i: usize, v: Value) -> Result<(), E> {
        let import = &mut self.out.import;
        match self.mode {
            Some(Mode::Osv) => osv::add_item(i, v, self.location, import),
            Some(Mode::Nvd) => nvd::add_item(i, &v, self.location, import),
            Some(Mode::Kev) => kev::add_item(i, &v, self.location, import),
            Some(Mode::DebianTracker) | None => {}
        }
        self.out.record_done_de()
    }

    /// One package of the Debian tracker export.
    fn package<'s>(&'s mut self, name: &'s str) -> debian::Package<'s, 'a> {
        debian::Package { name, tracker: &mut self.tracker, out: &mut self.out, location: self.location }
    }

    /// The first field of an object document, when it is an object: the Debian tracker export
    /// when its first entry is a CVE entry (the rest is then streamed), else kept whole.
    fn first_object<'de, A: MapAccess<'de>>(&mut self, key: String, mut map: A) -> Result<(), A::Error> {
        let Some(first) = map.next_entry::<String, Value>()? else {
            self.rest.insert(key, Value::Object(Map::new()));
            return Ok(());
        };
        if !debian::looks_like_cve(&first.1) {
            let mut object = Map::new();
            object.insert(first.0, first.1);
            while let Some((k, v)) = map.next_entry::<String, Value>()? {
                object.insert(k, v);
            }
            self.rest.insert(key, Value::Object(object));
            return Ok(());
        }
        self.mode = Some(Mode::DebianTracker);
        self.out.set_order(debian::order);
        self.package(&key).entries(map, Some(first))
    }

    fn list<'de, A: SeqAccess<'de>>(&mut self, key: Option<&str>, mut seq: A) -> Result<(), A::Error> {
        self.reset(MAX_RECORD);
        let Some(first) = seq.next_element::<Value>()? else {
            if let Some(k) = key
                && self.mode.is_none()
            {
                self.rest.insert(k.to_owned(), Value::Array(Vec::new()));
            }
            return Ok(());
        };
        let mode = if self.mode.is_none() { self.decide(key, &first) } else { None };
        let Some(mode) = mode else {
            drop(first);
            let mut n = 1usize;
            loop {
                self.reset(MAX_RECORD);
                if seq.next_element::<IgnoredAny>()?.is_none() {
                    break;
                }
                n += 1;
            }
            if let Some(k) = key {
                let message = format!(
                    "{k}: a list of {n} entries that are not OSV records, NVD items or KEV entries (judged by the first, or a second list); not read"
                );
                self.out.import.diagnostics.push(Diagnostic::info(self.location, message));
                if self.mode.is_none() {
                    self.rest.insert(k.to_owned(), Value::Array(Vec::new()));
                }
            }
            return Ok(());
        };
        self.mode = Some(mode);
        if mode != Mode::Kev {
            self.out.import.records.complete = true;
        }
        self.item(0, first)?;
        let mut i = 1usize;
        loop {
            self.reset(MAX_RECORD);
            let Some(v) = seq.next_element::<Value>()? else { break };
            self.item(i, v)?;
            i += 1;
        }
        Ok(())
    }

    fn finish(self) -> Result<Option<(Format, Import)>, FeedError> {
        let Self { out, location, mode, rest, top_array, .. } = self;
        let mut import = out.finish();
        match mode {
            Some(Mode::Osv) => Ok(Some((Format::OsvJson, import))),
            Some(Mode::Nvd) => {
                // A page's own timestamp wins over its first CVE's (see `nvd::from_value`).
                import.timestamp = str_of(rest.get("timestamp")).or(import.timestamp);
                Ok(Some((Format::Nvd, import)))
            }
            Some(Mode::Kev) => {
                import.timestamp = kev::timestamp_of(&Value::Object(rest));
                Ok(Some((Format::Kev, import)))
            }
            Some(Mode::DebianTracker) => Ok(Some((Format::DebianTracker, import))),
            None if top_array => Ok(None),
            None => Ok(import_json(location, Value::Object(rest))?.map(|(format, mut whole)| {
                import.diagnostics.append(&mut whole.diagnostics);
                whole.diagnostics = import.diagnostics;
                (format, whole)
            })),
        }
    }
}

/// The document's top level.
struct Top<'d, 'l, 'a>(&'d mut Doc<'l, 'a>);

impl<'de> Visitor<'de> for Top<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.top_array = true;
        self.0.list(None, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            let doc = &mut *self.0;
            doc.reset(MAX_VALUE);
            if doc.mode == Some(Mode::DebianTracker) {
                map.next_value_seed(Dispatch(doc.package(&key)))?;
            } else if is_list_key(&key) || first {
                let role = if is_list_key(&key) { Role::List } else { Role::First };
                map.next_value_seed(Dispatch(Field { doc, key, role }))?;
            } else {
                let v: Value = map.next_value()?;
                doc.rest.insert(key, v);
            }
            first = false;
        }
        Ok(())
    }
}

/// What to do with a JSON value, by its type: an object or a list may be read entry by entry;
/// anything else (and by default an object or a list too) arrives as a whole [`Value`].
pub(crate) trait ByType<'de>: Sized {
    /// An object.
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.value(whole_object(map)?)
    }

    /// A list.
    fn list<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.value(whole_list(seq)?)
    }

    /// Any other value (or an object or list read whole).
    fn value<E: de::Error>(self, v: Value) -> Result<(), E>;
}

fn whole_object<'de, A: MapAccess<'de>>(map: A) -> Result<Value, A::Error> {
    Value::deserialize(MapAccessDeserializer::new(map))
}

fn whole_list<'de, A: SeqAccess<'de>>(seq: A) -> Result<Value, A::Error> {
    Value::deserialize(SeqAccessDeserializer::new(seq))
}

/// The seed and visitor that hand a JSON value to a [`ByType`].
pub(crate) struct Dispatch<T>(pub(crate) T);

impl<'de, T: ByType<'de>> DeserializeSeed<'de> for Dispatch<T> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: ByType<'de>> Visitor<'de> for Dispatch<T> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.object(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.list(seq)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.0.value(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.0.value(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.0.value(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.value(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.value(Value::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.0.value(Value::from(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.value(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.0.value(Value::Null)
    }
}

/// Which top-level field [`Field`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// `vulns` / `vulnerabilities`: streamed when it is a list.
    List,
    /// The first field: may show the document is the Debian tracker export.
    First,
}

/// A top-level field that may be streamed; kept whole otherwise.
struct Field<'d, 'l, 'a> {
    doc: &'d mut Doc<'l, 'a>,
    key: String,
    role: Role,
}

impl<'de> ByType<'de> for Field<'_, '_, '_> {
    fn object<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        match self.role {
            Role::First => self.doc.first_object(self.key, map),
            Role::List => self.value(whole_object(map)?),
        }
    }

    fn list<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        match self.role {
            Role::List => self.doc.list(Some(&self.key), seq),
            Role::First => self.value(whole_list(seq)?),
        }
    }

    fn value<E: de::Error>(self, v: Value) -> Result<(), E> {
        self.doc.rest.insert(self.key, v);
        Ok(())
    }
}

/// The checking pass: walks the same structure as [`Top`] with the same bounds, keeping nothing.
struct Walk<'b> {
    budget: &'b Rc<Budget>,
    /// Inside a `vulns` / `vulnerabilities` field (an object there is skipped whole).
    nested: bool,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            reset(Some(self.budget), MAX_RECORD);
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            reset(Some(self.budget), MAX_VALUE);
            if !self.nested && is_list_key(&key) {
                map.next_value_seed(Walk { budget: self.budget, nested: true })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}
