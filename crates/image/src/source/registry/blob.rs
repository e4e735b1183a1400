//! Blobs streamed from the registry: layers, read by the walk without ever being held whole, and
//! small documents (configs), read whole up to a bound.
//!
//! Every read is bounded ([`super::http`]): a layer by the size its descriptor states (a larger
//! `Content-Length` is refused before reading, a longer body while it streams), the stall timeout
//! and the deadline of the open. The digest is checked by the caller (the walk's hashing reader,
//! or `verify_document`), so a mismatch is always an [`ImageError::DigestMismatch`] naming the
//! blob.

use std::io::{self, Read};
use std::sync::Arc;

use reqwest::Response;

use super::http::{Doc, Failure};
use super::transport::Remote;
use crate::{ImageError, OpenBlob};

/// A layer blob in the registry; each [`OpenBlob::open`] starts a new download.
pub(super) struct RemoteBlob {
    /// The connection (and runtime) the blob is fetched through.
    pub(super) remote: Arc<Remote>,
    /// `sha256:...`, validated.
    pub(super) digest: String,
    /// Most bytes the registry may send: the descriptor's size.
    pub(super) max_bytes: u64,
}

impl std::fmt::Debug for RemoteBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RemoteBlob({}/{})", self.remote.registry(), self.digest)
    }
}

impl OpenBlob for RemoteBlob {
    fn open(&self) -> Result<Box<dyn Read + Send>, ImageError> {
        let doc = Doc::new(format!("layer {}", self.digest), self.max_bytes);
        let response = start(&self.remote, &self.digest, &doc)?;
        if let Some(length) = response.content_length()
            && length > doc.max
        {
            return Err(self.remote.error(Failure::Declared { length, max: doc.max }, &doc));
        }
        Ok(Box::new(BlobReader::new(Arc::clone(&self.remote), response, doc)))
    }
}

/// Sends the blob request; the body is not read yet.
fn start(remote: &Remote, digest: &str, doc: &Doc) -> Result<Response, ImageError> {
    let path = format!("{}/blobs/{digest}", remote.reference.repository());
    remote.block_on(remote.get(&path, None, doc))?
}

/// Reads a small blob (a config) whole, refusing one larger than `max` bytes before or while it
/// arrives. The caller verifies its digest.
pub(super) fn fetch_document(
    remote: &Remote,
    digest: &str,
    max: u64,
    what: &'static str,
) -> Result<Vec<u8>, ImageError> {
    let doc = Doc::new(format!("{what} {digest}"), max);
    let response = start(remote, digest, &doc)?;
    remote.block_on(remote.read(response, &doc))?
}

/// What the reader has left to give.
enum State {
    /// More chunks may come.
    Streaming,
    /// The stream ended.
    Done,
    /// The stream broke; every later read fails the same way, so the break is never mistaken for
    /// the end of the blob (which would then be reported as a digest mismatch).
    Failed(io::ErrorKind, String),
}

/// A blocking [`Read`] over the registry's answer: each chunk is awaited on the registry runtime
/// from the reading thread, under the stall timeout and the deadline, so nothing is read ahead
/// and dropping the reader closes the download.
struct BlobReader {
    /// Keeps the runtime alive and drives the body.
    remote: Arc<Remote>,
    /// The answer whose body is read.
    response: Response,
    /// The layer and its bound (the descriptor's size), for errors.
    doc: Doc,
    /// The current chunk.
    chunk: Vec<u8>,
    /// Position in `chunk`.
    pos: usize,
    /// Bytes the registry may still send.
    left: u64,
    /// Whether more may come.
    state: State,
}

impl BlobReader {
    fn new(remote: Arc<Remote>, response: Response, doc: Doc) -> Self {
        let left = doc.max;
        Self { remote, response, doc, chunk: Vec::new(), pos: 0, left, state: State::Streaming }
    }

    /// Awaits the next chunk and updates the state.
    fn next_chunk(&mut self) {
        let next = match self.remote.block_on(self.remote.http.chunk(&mut self.response)) {
            Ok(next) => next,
            Err(e) => {
                self.state = State::Failed(io::ErrorKind::Other, e.to_string());
                return;
            }
        };
        let failed = |failure: Failure, kind: io::ErrorKind| {
            State::Failed(kind, self.remote.error(failure, &self.doc).to_string())
        };
        match next {
            Ok(None) => self.state = State::Done,
            Ok(Some(bytes)) => {
                let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                if len > self.left {
                    // The layer's descriptor states its size: more is a lie, not read on.
                    self.state = failed(Failure::TooLong { max: self.doc.max }, io::ErrorKind::InvalidData);
                    return;
                }
                self.left -= len;
                self.chunk = bytes;
                self.pos = 0;
            }
            Err(failure @ (Failure::Stalled(_) | Failure::Deadline(_))) => {
                self.state = failed(failure, io::ErrorKind::TimedOut);
            }
            Err(failure) => self.state = failed(failure, io::ErrorKind::Other),
        }
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.chunk.len() {
                let n = buf.len().min(self.chunk.len() - self.pos);
                buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            match &self.state {
                State::Done => return Ok(0),
                State::Failed(kind, reason) => return Err(io::Error::new(*kind, reason.clone())),
                State::Streaming => {}
            }
            if buf.is_empty() {
                return Ok(0);
            }
            self.next_chunk();
        }
    }
}
