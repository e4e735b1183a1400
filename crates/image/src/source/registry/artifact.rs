//! OCI artifacts in a registry: what `db publish` pushes and `db update --source registry:REF`
//! pulls, through the same client as image pulls (credentials, transport, token handshake and
//! bounded reads of the registry client: `transport.rs` and `http.rs`).
//!
//! Pushing follows the OCI distribution spec: a `HEAD` of each blob skips one the registry
//! already holds; a missing one is uploaded monolithically (`POST /v2/NAME/blobs/uploads/`, then
//! `PUT` at the `Location` given with `?digest=`); the manifest is `PUT` by tag last, so a reader
//! never sees a manifest whose blobs are not there yet. Tokens are asked for the
//! `repository:NAME:pull,push` scope when connected for push.
//!
//! Pulling: the manifest is read under a byte bound and checked against `Docker-Content-Digest`
//! (or the pinned digest); a blob streams to the caller's writer, bounded by the size its
//! descriptor states, and its sha256 is checked as it goes: a mismatch is an
//! [`ImageError::DigestMismatch`] once the last byte is in.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use oci_client::Reference;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};

use super::blob::RemoteBlob;
use super::http::Doc;
use super::transport::{self, Remote, Sending};
use super::{auth, fetch_manifest};
use crate::{Digest, HashingReader, ImageError, OpenBlob, OpenOptions};

/// The media type of an OCI image manifest, which artifacts use too.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// The media type of the empty config an artifact without a config carries.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";

/// The empty config's bytes: `{}`.
pub const EMPTY_CONFIG: &[u8] = b"{}";

/// A manifest as the registry served it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedManifest {
    /// Its bytes, exactly as served (its digest is theirs).
    pub bytes: Vec<u8>,
    /// `sha256:…` of the bytes.
    pub digest: String,
}

/// What a blob is pushed from.
#[derive(Debug, Clone, Copy)]
pub enum BlobSource<'a> {
    /// Bytes in memory (a config).
    Bytes(&'a [u8]),
    /// A file, streamed (a database export of hundreds of megabytes).
    File(&'a Path),
}

/// One repository of a registry, connected (and authenticated) for pulling, or for pushing too.
#[derive(Debug)]
pub struct Repository {
    /// The connection; shared with the blobs streamed from it.
    remote: Arc<Remote>,
}

impl Repository {
    /// Connects to the registry `reference` (`HOST[:PORT]/NAME:TAG`) names, with the credentials
    /// and transport of `options.registry`; with `push`, a token service is asked for push
    /// access as well as pull. The overall deadline (`options.timeout`) starts now.
    pub fn connect(reference: &str, options: &OpenOptions, push: bool) -> Result<Self, ImageError> {
        let parsed = Reference::try_from(reference).map_err(|e| ImageError::Target {
            target: format!("registry:{reference}"),
            reason: format!("`{reference}` is not a registry reference: {e}"),
        })?;
        let login = auth::login(parsed.registry(), &options.registry);
        tracing::info!("{}: authenticating {}", parsed.registry(), login.who);
        let remote = transport::connect(parsed, login, options, push)?;
        Ok(Self { remote: Arc::new(remote) })
    }

    /// `HOST/NAME:TAG` (or `@DIGEST`), for messages.
    pub fn name(&self) -> String {
        format!("{}/{}", self.remote.registry(), self.remote.what())
    }

    /// The tag the reference names (`latest` when it names none).
    pub fn tag(&self) -> String {
        self.remote.reference.tag().unwrap_or("latest").to_owned()
    }

    /// Fetches the manifest the reference names, asking for `accept`, at most `max` bytes; a
    /// pinned digest (`NAME@sha256:…`) must match its bytes.
    pub fn manifest(&self, accept: &str, max: u64) -> Result<FetchedManifest, ImageError> {
        let remote = &self.remote;
        let what = remote.what();
        let bytes = fetch_manifest(remote, &remote.reference, accept, &what, max)?;
        let digest = crate::sha256_of(&bytes);
        if let Some(pinned) = remote.reference.digest()
            && pinned != digest
        {
            return Err(ImageError::DigestMismatch {
                blob: format!("manifest of {what}"),
                expected: pinned.to_owned(),
                actual: digest,
            });
        }
        Ok(FetchedManifest { bytes, digest })
    }

    /// Streams the blob `digest` into `out`: at most `size` bytes (its descriptor's), which must
    /// all come and hash to `digest`. Returns the bytes written. A mismatch is
    /// [`ImageError::DigestMismatch`]; `out` then holds bytes that must not be used.
    pub fn download(&self, digest: &str, size: u64, out: &mut dyn Write) -> Result<u64, ImageError> {
        let digest = Digest::parse(digest).map_err(|e| ImageError::invalid("descriptor", self.name(), e))?;
        let blob = RemoteBlob { remote: Arc::clone(&self.remote), digest: digest.to_string(), max_bytes: size };
        let mut reader = HashingReader::new(blob.open()?);
        let name = format!("blob {digest} of {}", self.name());
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf).map_err(|e| ImageError::Registry {
                registry: self.remote.registry().to_owned(),
                reason: transport::one_line(&format!("{name}: {e}")),
            })?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(|e| ImageError::Io { path: name.clone().into(), source: e })?;
        }
        let read = reader.verify(digest.as_str(), &name)?;
        if read != size {
            return Err(ImageError::invalid("blob", name, format!("{read} bytes, its descriptor says {size}")));
        }
        Ok(read)
    }

    /// Whether the registry holds the blob `digest` in this repository (`HEAD`).
    pub fn has_blob(&self, digest: &str) -> Result<bool, ImageError> {
        let remote = &self.remote;
        let url = remote.url(&format!("{}/blobs/{digest}", remote.reference.repository()));
        let doc = Doc::new(format!("blob {digest}"), 0);
        let expected = [StatusCode::OK, StatusCode::NOT_FOUND];
        let response = remote.block_on(remote.request(|c| Ok(c.head(&url)), &expected, Sending::Small, &doc))??;
        Ok(response.status() == StatusCode::OK)
    }

    /// Pushes the blob `digest` of `size` bytes from `source`, unless the registry holds it
    /// already. Whether it was uploaded.
    pub fn push_blob(&self, digest: &str, size: u64, source: BlobSource<'_>) -> Result<bool, ImageError> {
        if self.has_blob(digest)? {
            tracing::info!("{}: blob {digest} is there already", self.name());
            return Ok(false);
        }
        let remote = &self.remote;
        let doc = Doc::new(format!("upload of blob {digest}"), 0);
        let start = remote.url(&format!("{}/blobs/uploads/", remote.reference.repository()));
        let response = remote.block_on(remote.request(
            |c| Ok(c.post(&start).header(CONTENT_LENGTH, 0)),
            &[StatusCode::ACCEPTED],
            Sending::Small,
            &doc,
        ))??;
        let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let location = location.ok_or_else(|| self.failed(format!("{}: no Location in the answer", doc.name)))?;
        let mut url = reqwest::Url::parse(remote.base())
            .and_then(|base| base.join(&location))
            .map_err(|e| self.failed(format!("{}: Location `{location}`: {e}", doc.name)))?;
        url.query_pairs_mut().append_pair("digest", digest);
        let build = |c: &reqwest::Client| {
            let body = match source {
                BlobSource::Bytes(bytes) => reqwest::Body::from(bytes.to_vec()),
                BlobSource::File(path) => {
                    let file = std::fs::File::open(path)
                        .map_err(|e| ImageError::Io { path: path.to_path_buf(), source: e })?;
                    reqwest::Body::from(tokio::fs::File::from_std(file))
                }
            };
            Ok(c.put(url.clone())
                .header(CONTENT_TYPE, "application/octet-stream")
                .header(CONTENT_LENGTH, size)
                .body(body))
        };
        remote.block_on(remote.request(build, &[StatusCode::CREATED], Sending::Upload, &doc))??;
        Ok(true)
    }

    /// Puts `bytes`, a manifest of `media_type`, under the reference's tag. Returns its digest.
    pub fn push_manifest(&self, media_type: &str, bytes: &[u8]) -> Result<String, ImageError> {
        let remote = &self.remote;
        let url = remote.url(&format!("{}/manifests/{}", remote.reference.repository(), self.tag()));
        let doc = Doc::new(format!("manifest {}", self.name()), 0);
        let build = |c: &reqwest::Client| Ok(c.put(&url).header(CONTENT_TYPE, media_type).body(bytes.to_vec()));
        remote.block_on(remote.request(build, &[StatusCode::CREATED], Sending::Small, &doc))??;
        Ok(crate::sha256_of(bytes))
    }

    /// A registry error with a one-line reason.
    fn failed(&self, reason: String) -> ImageError {
        ImageError::Registry { registry: self.remote.registry().to_owned(), reason: transport::one_line(&reason) }
    }
}
