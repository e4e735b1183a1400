//! Blobs streamed from the registry: layers, read by the walk without ever being held whole, and
//! small documents (configs), read whole up to a bound.
//!
//! `oci-client` checks a blob's digest itself when its stream ends and reports a mismatch as the
//! stream's last error; we take that error as the end of the stream and let our own check decide
//! (the walk's hashing reader, or `verify_document`), so a mismatch is always an
//! [`ImageError::DigestMismatch`] naming the blob.

use std::io::{self, Read};
use std::sync::Arc;

use futures_util::StreamExt as _;
use oci_client::client::SizedStream;
use oci_client::errors::DigestError;

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
        let stream = start(&self.remote, &self.digest)?;
        Ok(Box::new(BlobReader::new(Arc::clone(&self.remote), stream, self.max_bytes)))
    }
}

/// Sends the blob request; the body is not read yet.
fn start(remote: &Remote, digest: &str) -> Result<SizedStream, ImageError> {
    remote.block_on(remote.client.pull_blob_stream(&remote.reference, digest))?.map_err(|e| remote.error(e, digest))
}

/// Reads a small blob (a config) whole, refusing one larger than `max` bytes before or while it
/// arrives. The caller verifies its digest.
pub(super) fn fetch_document(
    remote: &Arc<Remote>,
    digest: &str,
    max: u64,
    what: &'static str,
) -> Result<Vec<u8>, ImageError> {
    let too_big = || ImageError::invalid(what, digest, format!("larger than {max} bytes"));
    let stream = start(remote, digest)?;
    if stream.content_length.is_some_and(|n| n > max) {
        return Err(too_big());
    }
    // The bound is the `take`: the reader itself may stream on, it is dropped after.
    let reader = BlobReader::new(Arc::clone(remote), stream, u64::MAX);
    let mut bytes = Vec::new();
    reader.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| ImageError::Registry {
        registry: remote.registry().to_owned(),
        reason: super::transport::one_line(&format!("reading {digest}: {e}")),
    })?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max {
        return Err(too_big());
    }
    Ok(bytes)
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

/// A blocking [`Read`] over the registry's byte stream: each chunk is awaited on the registry
/// runtime from the reading thread, so nothing is read ahead and dropping the reader closes the
/// download.
struct BlobReader {
    /// Keeps the runtime alive and drives the stream.
    remote: Arc<Remote>,
    /// The response body.
    stream: SizedStream,
    /// The current chunk and how much of it was handed out.
    chunk: Vec<u8>,
    /// Position in `chunk`.
    pos: usize,
    /// Bytes the registry may still send.
    left: u64,
    /// The most bytes the registry may send, for the error.
    max_bytes: u64,
    /// Whether more may come.
    state: State,
}

impl BlobReader {
    fn new(remote: Arc<Remote>, stream: SizedStream, max_bytes: u64) -> Self {
        Self { remote, stream, chunk: Vec::new(), pos: 0, left: max_bytes, max_bytes, state: State::Streaming }
    }

    /// Awaits the next chunk and updates the state.
    fn next_chunk(&mut self) {
        let next = match self.remote.block_on(self.stream.next()) {
            Ok(next) => next,
            Err(e) => {
                self.state = State::Failed(io::ErrorKind::Other, e.to_string());
                return;
            }
        };
        match next {
            None => self.state = State::Done,
            Some(Ok(bytes)) => {
                let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                if len > self.left {
                    let reason =
                        format!("the registry sent more than the {} bytes the descriptor states", self.max_bytes);
                    self.state = State::Failed(io::ErrorKind::InvalidData, reason);
                    return;
                }
                self.left -= len;
                self.chunk = bytes.into();
                self.pos = 0;
            }
            Some(Err(e)) if is_digest_check(&e) => self.state = State::Done,
            Some(Err(e)) => {
                let reason =
                    format!("reading from {}: {}", self.remote.registry(), super::transport::deepest_cause(&e));
                self.state = State::Failed(e.kind(), reason);
            }
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

/// Whether a stream error is `oci-client`'s own digest check at the end of the blob.
fn is_digest_check(e: &io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<DigestError>())
        .is_some_and(|d| matches!(d, DigestError::VerificationError { .. }))
}
