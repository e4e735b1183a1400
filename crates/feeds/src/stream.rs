//! Streaming JSON import: a serde visitor walks the top level of a document and hands each element
//! of a list of records (`[...]`, `{"vulns": [...]}`, `{"vulnerabilities": [...]}` of OSV records,
//! NVD items or KEV entries) to its importer as soon as it is parsed, so only one record exists as
//! a [`serde_json::Value`] at a time. Records go on to the [`Out`]'s sink in bounded chunks.
//!
//! What the list holds is judged by its first element (and the keys before the list, such as
//! KEV's `catalogVersion` or NVD's `format`), as the whole-document detection in
//! [`crate::detect::import_json`] judges it by the first element. A list whose first element is
//! none of these is skipped unread, with a diagnostic. Other top-level values (a single record,
//! an Alpine secdb, the Debian tracker export) are kept and imported whole by `import_json` once
//! the document ends.
//!
//! Read from a file, one list element may be at most [`MAX_RECORD`] bytes of JSON and any other
//! top-level value at most [`MAX_VALUE`]; the file is checked in a first pass (syntax and these
//! bounds, nothing kept) before the second pass hands records on, because records given to the
//! database builder cannot be taken back: a malformed file is refused whole, as before.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::rc::Rc;

use microscanner_model::Diagnostic;
use serde::Deserialize as _;
use serde::de::{self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::detect::{Format, import_json};
use crate::{FeedError, Import, Out, Sink, kev, nvd, osv, str_of};

/// Largest element of a streamed list (one record), in bytes of JSON, when read from a file (the
/// same bound as one `all.zip` member).
pub const MAX_RECORD: u64 = osv::MAX_ENTRY;
/// Largest other top-level value of a JSON feed file (a Debian tracker package, an Alpine
/// `packages` list), in bytes of JSON, when read from a file.
pub const MAX_VALUE: u64 = 64 * 1024 * 1024;
/// Read buffer for JSON files.
const BUFFER: usize = 256 * 1024;

/// What a list of records holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Osv,
    Nvd,
    Kev,
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
    let mut doc =
        Doc { out: Out::new(sink), location, budget, mode: None, rest: Map::new(), top_array: false, sink_error: None };
    let parsed = de.deserialize_any(Top(&mut doc)).and_then(|()| de.end());
    if let Some(e) = doc.sink_error.take() {
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
    /// The sink failed (serde errors cannot carry it).
    sink_error: Option<FeedError>,
}

impl Doc<'_, '_> {
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
            None => {}
        }
        if let Err(e) = self.out.record_done() {
            self.sink_error = Some(e);
            return Err(E::custom("writing the records failed"));
        }
        Ok(())
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
        let mut import = out.import;
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
        while let Some(key) = map.next_key::<String>()? {
            self.0.reset(MAX_VALUE);
            if is_list_key(&key) {
                map.next_value_seed(Field { doc: &mut *self.0, key })?;
            } else {
                let v: Value = map.next_value()?;
                self.0.rest.insert(key, v);
            }
        }
        Ok(())
    }
}

/// A `vulns` / `vulnerabilities` field: streamed when it is a list, kept otherwise.
struct Field<'d, 'l, 'a> {
    doc: &'d mut Doc<'l, 'a>,
    key: String,
}

impl Field<'_, '_, '_> {
    fn keep<E>(self, v: Value) -> Result<(), E> {
        self.doc.rest.insert(self.key, v);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Field<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Field<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.doc.list(Some(&self.key), seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let v = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        self.keep(v)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.keep(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.keep(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.keep(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.keep(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.keep(Value::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.keep(Value::from(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.keep(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.keep(Value::Null)
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
