//! What the streamed XML importers (`amazon`, `oval`) share: the event loop ([`drive`], over a
//! [`Handler`]), a reader that bounds the bytes of a document and of one event, attribute access
//! and the test of a token.

use std::io::{BufRead, Read};

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::{FeedError, MAX_ID};

/// Most bytes handed to the XML reader at once.
const FILL: usize = 64 * 1024;

/// A reader that refuses to go past `max_total` bytes in all and `max_event` bytes since
/// [`Bounded::mark`] (the start of the current event).
pub(crate) struct Bounded<R> {
    inner: R,
    total: u64,
    since_mark: u64,
    max_total: u64,
    max_event: u64,
}

impl<R> Bounded<R> {
    /// Wraps `inner` with the two bounds.
    pub(crate) fn new(inner: R, max_total: u64, max_event: u64) -> Self {
        Self { inner, total: 0, since_mark: 0, max_total, max_event }
    }

    /// Marks the start of an event.
    pub(crate) fn mark(&mut self) {
        self.since_mark = 0;
    }
}

impl<R: BufRead> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Bounded<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.total > self.max_total {
            return Err(std::io::Error::other(format!("more than {} bytes of XML", self.max_total)));
        }
        if self.since_mark > self.max_event {
            return Err(std::io::Error::other(format!("an XML tag or text of more than {} bytes", self.max_event)));
        }
        // Handed on in small pieces, so the bound is checked while an event is read, even when
        // the input is one slice in memory.
        let buf = self.inner.fill_buf()?;
        Ok(&buf[..buf.len().min(FILL)])
    }

    fn consume(&mut self, n: usize) {
        self.total = self.total.saturating_add(n as u64);
        self.since_mark = self.since_mark.saturating_add(n as u64);
        self.inner.consume(n);
    }
}

/// The value of attribute `key` (local name), with entities resolved and trimmed.
pub(crate) fn attr(e: &BytesStart<'_>, key: &[u8]) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.local_name().as_ref() == key {
            let v = a.normalized_value(XmlVersion::Implicit1_0).map_err(|e| e.to_string())?;
            return Ok(Some(v.trim().to_owned()));
        }
    }
    Ok(None)
}

/// What a streamed XML importer does with the events of its document; [`drive`] reads the
/// document and calls it.
pub(crate) trait Handler {
    /// The local names of the open elements, root first: [`drive`] pushes and pops them, the
    /// handler reads them (`parent_is`).
    fn stack(&mut self) -> &mut Vec<Vec<u8>>;
    /// An element opens (`empty`: `<e/>`, which [`drive`] closes right after with [`Handler::end`]).
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String>;
    /// An element closes; the stack no longer holds it.
    fn end(&mut self, name: &[u8]) -> Result<(), String>;
    /// Text or CDATA inside the open element, entities resolved, possibly in several pieces.
    fn text(&mut self, text: &str);
}

/// The shape of one kind of document and the bounds it is read under.
pub(crate) struct Shape {
    /// The local name the root element must have (`updates`, `oval_definitions`).
    pub(crate) root: &'static str,
    /// What the document is, for errors (`an updateinfo document`).
    pub(crate) what: &'static str,
    /// Most bytes in all.
    pub(crate) max_total: u64,
    /// Most bytes of one event (a tag, a text).
    pub(crate) max_event: u64,
    /// Deepest element nesting.
    pub(crate) max_depth: usize,
}

/// Reads the XML document `input` (at `location`, for errors) of `shape` as a stream and hands
/// its events to `handler`: bounded in bytes in all and per event, in nesting depth, the root
/// element checked, only the predefined entities and character references resolved (no DTD is
/// read), and a document that ends inside an element refused as truncated.
pub(crate) fn drive<R: BufRead, H: Handler>(
    input: R,
    location: &str,
    shape: &Shape,
    handler: &mut H,
) -> Result<(), FeedError> {
    let mut reader = Reader::from_reader(Bounded::new(input, shape.max_total, shape.max_event));
    let mut buf = Vec::new();
    let mut seen_root = false;
    loop {
        let at = reader.buffer_position();
        let malformed = |e: &dyn std::fmt::Display| FeedError::malformed(location, format!("at byte {at}: {e}"));
        let event = reader.read_event_into(&mut buf).map_err(|e| malformed(&e))?;
        if let Event::Start(e) | Event::Empty(e) = &event {
            if !seen_root {
                check_root(e, shape).map_err(|m| malformed(&m))?;
                seen_root = true;
            }
            if handler.stack().len() >= shape.max_depth {
                return Err(malformed(&format!("elements nested deeper than {}", shape.max_depth)));
            }
        }
        match event {
            Event::Start(e) => {
                handler.start(&e, false).map_err(|m| malformed(&m))?;
                handler.stack().push(e.local_name().as_ref().to_vec());
            }
            Event::Empty(e) => {
                handler.start(&e, true).map_err(|m| malformed(&m))?;
                handler.end(e.local_name().as_ref()).map_err(|m| malformed(&m))?;
            }
            Event::End(e) => {
                handler.stack().pop();
                handler.end(e.local_name().as_ref()).map_err(|m| malformed(&m))?;
            }
            Event::Text(t) => handler.text(&t.decode().map_err(|e| malformed(&e))?),
            Event::CData(t) => handler.text(&t.decode().map_err(|e| malformed(&e))?),
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| malformed(&e))? {
                    handler.text(c.encode_utf8(&mut [0; 4]));
                } else {
                    let name = r.decode().map_err(|e| malformed(&e))?;
                    let text = resolve_predefined_entity(&name)
                        .ok_or_else(|| malformed(&format!("unknown entity &{name};")))?;
                    handler.text(text);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buf.clear();
        reader.get_mut().mark();
    }
    if !seen_root {
        return Err(FeedError::malformed(location, format!("no <{}> element: not {}", shape.root, shape.what)));
    }
    if let Some(open) = handler.stack().last() {
        let open = String::from_utf8_lossy(open);
        return Err(FeedError::malformed(location, format!("truncated: the document ends inside <{open}>")));
    }
    Ok(())
}

/// `Ok` when `e` is the root element `shape` wants.
fn check_root(e: &BytesStart<'_>, shape: &Shape) -> Result<(), String> {
    let local = e.local_name();
    if local.as_ref() == shape.root.as_bytes() {
        return Ok(());
    }
    let name: String = String::from_utf8_lossy(local.as_ref()).chars().take(64).collect();
    Err(format!("the root element is <{name}>, not <{}>: not {}", shape.root, shape.what))
}

/// The text from a document's first element on: past a byte-order mark, the XML declaration,
/// processing instructions, comments and the whitespace between them. `None` when one of them is
/// not closed within `text` (the start of a file, for format detection).
pub(crate) fn after_prolog(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after[after.find("?>")? + 2..].trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after[after.find("-->")? + 3..].trim_start();
        } else {
            return Some(rest);
        }
    }
}

/// A value usable as an id, a package name or a version: not empty, at most [`MAX_ID`] bytes, no
/// whitespace or control characters.
pub(crate) fn token(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}
