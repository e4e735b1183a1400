//! What the streamed XML importers (`amazon`, `oval`) share: a reader that bounds the bytes of
//! a document and of one event, and attribute access.

use std::io::{BufRead, Read};

use quick_xml::XmlVersion;
use quick_xml::events::BytesStart;

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
