//! `registry:REF`: an image in an OCI distribution registry (Docker Hub, ghcr.io, a local
//! `registry:2`), read over bounded HTTP ([`http`]; `oci-client` only parses the reference).
//!
//! The manifest or index the reference names is fetched once; [`oci::open`] then walks indexes,
//! picks the platform and reads the manifest and config through [`RegistryStore`], as it does for
//! a layout on disk. Every document is checked against its digest; layers are not downloaded
//! ahead: each walk streams its blob from the registry and verifies it as it goes.
//!
//! One tokio runtime (two workers) per [`open`], owned by the connection that the store and every
//! layer share, so it lives as long as the images do. Callers block on it from their own threads
//! (never from inside a runtime); layers may be walked from several threads at once.
//!
//! Every network read is bounded in bytes for its kind of document while it streams, by a stall
//! timeout and by the overall deadline of the open ([`OpenOptions::timeout`]); see [`http`].
//!
//! Credentials: see [`auth`]; transport (HTTPS, and when HTTP is allowed): see [`transport`].

pub mod artifact;
mod auth;
mod blob;
mod http;
mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use oci_client::Reference;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::oci::{self, Descriptor, INDEX_TYPES, MANIFEST_TYPES, Store};
use crate::walk::Verify;
use crate::{Digest, Image, ImageError, LayerSource, Limits, OpenOptions};
use blob::RemoteBlob;
use http::Doc;
use transport::Remote;

/// Opens the images `reference` names in its registry: one, or one per platform with
/// `PlatformSelector::All`.
pub(crate) fn open(reference: &str, target: &str, options: &OpenOptions) -> Result<Vec<Image>, ImageError> {
    let parsed = Reference::try_from(reference).map_err(|e| ImageError::Target {
        target: target.to_owned(),
        reason: format!("`{reference}` is not an image reference: {e}"),
    })?;
    let registry = parsed.registry().to_owned();
    let login = auth::login(&registry, &options.registry);
    tracing::info!("pulling {} from {registry}", parsed.whole());
    tracing::info!("{registry}: authenticating {}", login.who);
    let remote = transport::connect(parsed, login, options, false)?;
    let store = RegistryStore { remote: Arc::new(remote), documents: Mutex::default() };
    let mut images = oci::open(&store, None, target, &options.platform, &options.limits)?;
    for image in &mut images {
        // where it was pulled from, by digest (the manifest digest is verified as it is read)
        image.info.repo_digests =
            image.info.manifest_digest.iter().map(|d| format!("{}@{d}", store.location())).collect();
    }
    Ok(images)
}

/// The registry as an OCI content store for [`oci::open`].
struct RegistryStore {
    /// The connection, shared with the layer blobs.
    remote: Arc<Remote>,
    /// Documents already fetched (the root), by digest, so they are not fetched twice.
    documents: Mutex<HashMap<String, Vec<u8>>>,
}

impl Store for RegistryStore {
    fn location(&self) -> String {
        format!("{}/{}", self.remote.registry(), self.remote.reference.repository())
    }

    fn kind(&self) -> &'static str {
        "registry"
    }

    fn roots(&self, _tag: Option<&str>, limits: &Limits) -> Result<Vec<Descriptor>, ImageError> {
        let remote = &self.remote;
        let what = remote.what();
        let bytes = self.manifest(&remote.reference, &what, limits)?;
        let digest = match remote.reference.digest() {
            Some(pinned) => {
                let pinned = Digest::parse(pinned).map_err(|e| ImageError::invalid("reference", &what, e))?;
                oci::verify_document(&bytes, pinned.as_str())?;
                pinned.to_string()
            }
            None => crate::sha256_of(&bytes),
        };
        let media_type = media_type_of(&bytes, &what)?;
        let size = Some(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        tracing::debug!("{what}: {media_type} {digest}");
        self.documents.lock().unwrap_or_else(PoisonError::into_inner).insert(digest.clone(), bytes);
        Ok(vec![Descriptor { media_type, digest, size, ..Descriptor::default() }])
    }

    fn document(&self, desc: &Descriptor, what: &'static str, limits: &Limits) -> Result<Vec<u8>, ImageError> {
        let digest = Digest::parse(&desc.digest).map_err(|e| ImageError::invalid("descriptor", self.location(), e))?;
        let cached = self.documents.lock().unwrap_or_else(PoisonError::into_inner).get(digest.as_str()).cloned();
        let bytes = match cached {
            Some(bytes) => bytes,
            None if desc.size.is_some_and(|size| size > limits.max_document_bytes) => {
                return Err(too_big(what, digest.as_str(), limits));
            }
            None if is_manifest(desc, what) => {
                let by_digest = self.remote.reference.clone_with_digest(digest.to_string());
                self.manifest(&by_digest, digest.as_str(), limits)?
            }
            None => blob::fetch_document(&self.remote, digest.as_str(), limits.max_document_bytes, what)?,
        };
        oci::verify_document(&bytes, digest.as_str())?;
        Ok(bytes)
    }

    fn layer(&self, desc: &Descriptor) -> Result<LayerSource, ImageError> {
        let digest = Digest::parse(&desc.digest).map_err(|e| ImageError::invalid("descriptor", self.location(), e))?;
        let size = desc.size.unwrap_or_default();
        let blob = RemoteBlob {
            remote: Arc::clone(&self.remote),
            digest: digest.to_string(),
            // A descriptor without a size (the spec requires one) is bounded by the layer limit.
            max_bytes: desc.size.unwrap_or(self.remote.limits.max_layer_bytes),
        };
        Ok(LayerSource::Remote { blob: Arc::new(blob), size, verify: Verify::Stored(digest.to_string()) })
    }
}

impl RegistryStore {
    /// Fetches a manifest or index (by tag or digest), accepting the OCI and Docker schema 2
    /// types, bounded by the document limit while it streams (see [`fetch_manifest`]).
    fn manifest(&self, reference: &Reference, what: &str, limits: &Limits) -> Result<Vec<u8>, ImageError> {
        let accepted = INDEX_TYPES.iter().chain(MANIFEST_TYPES.iter()).copied().collect::<Vec<_>>().join(", ");
        fetch_manifest(&self.remote, reference, &accepted, what, limits.max_document_bytes)
    }
}

/// Fetches the manifest `reference` names (by tag or digest) with `accept` as its `Accept`
/// header, bounded to `max` bytes while it streams. A `Docker-Content-Digest` header must match
/// the bytes (a pinned reference is checked against them by the caller).
fn fetch_manifest(
    remote: &Remote,
    reference: &Reference,
    accept: &str,
    what: &str,
    max: u64,
) -> Result<Vec<u8>, ImageError> {
    let name = match reference.digest() {
        Some(digest) => digest,
        None => reference.tag().unwrap_or("latest"),
    };
    let path = format!("{}/manifests/{name}", reference.repository());
    let doc = Doc::new(format!("manifest of {what}"), max);
    let (bytes, header) = remote.block_on(async {
        let response = remote.get(&path, Some(accept), &doc).await?;
        let header =
            response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned());
        Ok::<_, ImageError>((remote.read(response, &doc).await?, header))
    })??;
    if let Some(header) = header.filter(|h| h.starts_with("sha256:")) {
        let actual = crate::sha256_of(&bytes);
        if actual != header {
            return Err(ImageError::DigestMismatch { blob: format!("manifest of {what}"), expected: header, actual });
        }
    }
    Ok(bytes)
}

/// Whether a descriptor is fetched from the manifests endpoint rather than as a blob.
fn is_manifest(desc: &Descriptor, what: &str) -> bool {
    let media_type = desc.media_type.as_str();
    INDEX_TYPES.contains(&media_type) || MANIFEST_TYPES.contains(&media_type) || matches!(what, "index" | "manifest")
}

/// A document over the size bound.
fn too_big(what: &'static str, location: &str, limits: &Limits) -> ImageError {
    ImageError::invalid(what, location, format!("larger than {} bytes", limits.max_document_bytes))
}

/// The fields that tell an index from a manifest.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Shape {
    /// `2` (schema 1 is long gone and unsigned content we cannot verify).
    schema_version: Option<i64>,
    /// The declared type, when the document declares one.
    media_type: Option<String>,
    /// Present in an index.
    manifests: Option<IgnoredAny>,
    /// Present in a manifest.
    layers: Option<IgnoredAny>,
}

/// The media type of the root document: as it declares it, else by its shape (`manifests` is an
/// index, `layers` a manifest).
fn media_type_of(bytes: &[u8], what: &str) -> Result<String, ImageError> {
    let shape: Shape = serde_json::from_slice(bytes).map_err(|e| ImageError::invalid("manifest", what, e))?;
    if shape.schema_version == Some(1) {
        return Err(ImageError::invalid("manifest", what, "Docker schema 1 manifests are not supported"));
    }
    match shape.media_type {
        Some(t) if INDEX_TYPES.contains(&t.as_str()) || MANIFEST_TYPES.contains(&t.as_str()) => Ok(t),
        Some(t) => Err(ImageError::invalid("manifest", what, format!("unsupported media type {t}"))),
        None if shape.manifests.is_some() => Ok(INDEX_TYPES[0].to_owned()),
        None if shape.layers.is_some() => Ok(MANIFEST_TYPES[0].to_owned()),
        None => Err(ImageError::invalid("manifest", what, "neither an image index nor an image manifest")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_by_declaration_or_shape() {
        let docker =
            br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[]}"#;
        assert_eq!(media_type_of(docker, "x").unwrap(), MANIFEST_TYPES[1]);
        assert_eq!(media_type_of(br#"{"schemaVersion":2,"manifests":[]}"#, "x").unwrap(), INDEX_TYPES[0]);
        assert_eq!(media_type_of(br#"{"schemaVersion":2,"layers":[]}"#, "x").unwrap(), MANIFEST_TYPES[0]);
        for bad in [&br#"{"schemaVersion":1,"fsLayers":[]}"#[..], br#"{"mediaType":"text/html"}"#, b"{}", b"<html>"] {
            assert!(matches!(media_type_of(bad, "x"), Err(ImageError::Invalid { .. })));
        }
    }
}
