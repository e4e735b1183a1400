//! Bounded HTTP: every answer a registry (or its token service) gives is read under three bounds,
//! whatever the document:
//!
//! - bytes, per kind of document ([`Doc::max`]): a declared `Content-Length` over the bound is
//!   refused before a byte is read, and the bytes are counted while they stream, so an endless
//!   body costs at most the bound;
//! - a stall timeout: no answer to a request, or no byte of a body, for that long fails the read;
//! - the overall deadline of the open (`--timeout`): a registry sending one byte a second, never
//!   stalling, still ends there.
//!
//! Error answers (4xx, 5xx) keep at most [`MAX_ERROR_BODY`] bytes of their body for the message.
//! A [`Failure`] says which bound was hit; [`super::transport::Remote::error`] puts it in words
//! with the registry and the document.

use std::future::Future;
use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};
use tokio::time::Instant;

/// Most bytes of an error answer's body that are read (for the message); the rest is not.
pub(super) const MAX_ERROR_BODY: u64 = 64 << 10;

/// What is read, for its byte bound and for messages.
#[derive(Debug, Clone)]
pub(super) struct Doc {
    /// `manifest of demo/app:latest`, `config sha256:…`, `token answer from https://auth/token`.
    pub(super) name: String,
    /// Most bytes its body may have.
    pub(super) max: u64,
}

impl Doc {
    /// A document named `name`, bounded to `max` bytes.
    pub(super) fn new(name: impl Into<String>, max: u64) -> Self {
        Self { name: name.into(), max }
    }
}

/// Why a request failed, before it is put in words for its document.
#[derive(Debug)]
pub(super) enum Failure {
    /// The request could not be sent or the connection broke (refused, TLS, reset).
    Transport(reqwest::Error),
    /// The answer declared a `Content-Length` over the document's bound; nothing was read.
    Declared {
        /// The declared length.
        length: u64,
        /// The bound.
        max: u64,
    },
    /// The body went past the document's bound while streaming.
    TooLong {
        /// The bound.
        max: u64,
    },
    /// Nothing came for this long (no answer, or no byte of the body).
    Stalled(Duration),
    /// The overall deadline passed (this was the whole timeout).
    Deadline(Duration),
    /// An answer other than 200, with the start of its body.
    Status {
        /// The status.
        status: StatusCode,
        /// At most [`MAX_ERROR_BODY`] bytes of the body, lossily decoded.
        body: String,
        /// Whether the body was longer than what was kept (it was not read further).
        cut: bool,
    },
}

/// When everything read from a registry must be done, and the timeout it came from (for
/// messages); none without a timeout.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline(Option<(Instant, Duration)>);

impl Deadline {
    /// `timeout` from now.
    pub(super) fn after(timeout: Option<Duration>) -> Self {
        Self(timeout.map(|t| (Instant::now().checked_add(t).unwrap_or_else(far_future), t)))
    }
}

/// The HTTP client of one registry connection and the time bounds of its reads.
#[derive(Debug)]
pub(super) struct Http {
    /// The client, on the transport that answered.
    pub(super) client: reqwest::Client,
    /// How long nothing may come.
    stall: Duration,
    /// When everything must be done.
    deadline: Deadline,
}

impl Http {
    /// Bounds reads through `client` by `stall` and by `deadline`.
    pub(super) fn new(client: reqwest::Client, stall: Duration, deadline: Deadline) -> Self {
        Self { client, stall, deadline }
    }

    /// Awaits `future` for at most the stall timeout, and not past the deadline.
    async fn bounded<F: Future>(&self, future: F) -> Result<F::Output, Failure> {
        let stall_at = Instant::now().checked_add(self.stall).unwrap_or_else(far_future);
        match self.deadline.0 {
            Some((deadline, total)) if deadline <= stall_at => {
                tokio::time::timeout_at(deadline, future).await.map_err(|_| Failure::Deadline(total))
            }
            _ => tokio::time::timeout_at(stall_at, future).await.map_err(|_| Failure::Stalled(self.stall)),
        }
    }

    /// Sends a request; its answer (status and headers) must come within the stall timeout. The
    /// answer is returned whatever its status; its body is not read.
    pub(super) async fn send(&self, request: RequestBuilder) -> Result<Response, Failure> {
        self.bounded(request.send()).await?.map_err(Failure::Transport)
    }

    /// Sends an upload: its body may take until the deadline (not the stall timeout) to go out
    /// and be answered.
    pub(super) async fn send_upload(&self, request: RequestBuilder) -> Result<Response, Failure> {
        match self.deadline.0 {
            Some((deadline, total)) => tokio::time::timeout_at(deadline, request.send())
                .await
                .map_err(|_| Failure::Deadline(total))?
                .map_err(Failure::Transport),
            None => request.send().await.map_err(Failure::Transport),
        }
    }

    /// The next piece of a body (`None` at its end), within the stall timeout and the deadline.
    pub(super) async fn chunk(&self, response: &mut Response) -> Result<Option<Vec<u8>>, Failure> {
        let chunk = self.bounded(response.chunk()).await?.map_err(Failure::Transport)?;
        Ok(chunk.map(Vec::from))
    }

    /// A whole body of at most `max` bytes: refused from its declared length before reading, and
    /// while it streams.
    pub(super) async fn body(&self, mut response: Response, max: u64) -> Result<Vec<u8>, Failure> {
        if let Some(length) = response.content_length()
            && length > max
        {
            return Err(Failure::Declared { length, max });
        }
        let mut body = Vec::new();
        while let Some(chunk) = self.chunk(&mut response).await? {
            if len64(body.len()).saturating_add(len64(chunk.len())) > max {
                return Err(Failure::TooLong { max });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The failure an answer other than 200 stands for, with at most [`MAX_ERROR_BODY`] bytes of
    /// its body (a body declared longer is not read at all). A body that stalls or outlasts the
    /// deadline is that failure.
    pub(super) async fn failure(&self, mut response: Response) -> Failure {
        let status = response.status();
        if response.content_length().is_some_and(|length| length > MAX_ERROR_BODY) {
            return Failure::Status { status, body: String::new(), cut: true };
        }
        let mut body = Vec::new();
        loop {
            match self.chunk(&mut response).await {
                Ok(Some(chunk)) => {
                    let room = usize::try_from(MAX_ERROR_BODY).unwrap_or(usize::MAX).saturating_sub(body.len());
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        return Failure::Status {
                            status,
                            body: String::from_utf8_lossy(&body).into_owned(),
                            cut: true,
                        };
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(failure) => return failure,
            }
        }
        Failure::Status { status, body: String::from_utf8_lossy(&body).into_owned(), cut: false }
    }
}

/// A length as `u64`.
fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// An instant no timeout reaches (about 30 years away), for durations too long to add.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// A byte count for messages: `8 MiB`, `64 KiB`, `1 GiB`, else `500 bytes`.
pub(super) fn bytes(n: u64) -> String {
    match n {
        0 => "0 bytes".to_owned(),
        n if n.is_multiple_of(1 << 30) => format!("{} GiB", n >> 30),
        n if n.is_multiple_of(1 << 20) => format!("{} MiB", n >> 20),
        n if n.is_multiple_of(1 << 10) => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// A duration for messages: `30 s`, `5 min`, `250 ms`.
pub(super) fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms} ms")
    } else if ms >= 60_000 && ms.is_multiple_of(60_000) {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} s", ms / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(8 << 20), "8 MiB");
        assert_eq!(bytes(64 << 10), "64 KiB");
        assert_eq!(bytes(1 << 30), "1 GiB");
        assert_eq!(bytes(500), "500 bytes");
        assert_eq!(duration(Duration::from_secs(300)), "5 min");
        assert_eq!(duration(Duration::from_secs(90)), "90 s");
        assert_eq!(duration(Duration::from_millis(250)), "250 ms");
    }
}
