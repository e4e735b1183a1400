//! `oci:DIR[:TAG]` and `oci-archive:PATH` — an OCI image layout, as a directory or as one tar:
//! `index.json` → (nested indexes →) manifest → config and layers, all content-addressed blobs.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::config::ImageConfig;
use super::tar_index::{Region, TarIndex};
use crate::walk::Verify;
use crate::{Digest, Image, ImageError, Layer, LayerSource, Limits};

/// Where the layout's files are.
pub(crate) enum Layout {
    /// An OCI layout directory.
    Dir(PathBuf),
    /// An OCI layout inside a tar (`oci-archive:`).
    Archive(PathBuf, TarIndex),
}

impl Layout {
    fn location(&self) -> String {
        match self {
            Self::Dir(p) | Self::Archive(p, _) => p.display().to_string(),
        }
    }

    fn file(&self, name: &str) -> Option<Region> {
        match self {
            Self::Dir(dir) => {
                let path = dir.join(name);
                path.is_file().then(|| Region::whole(&path).ok()).flatten()
            }
            Self::Archive(_, index) => index.get(name),
        }
    }

    /// The region of a blob, checked to exist and to have the size its descriptor states.
    fn blob(&self, desc: &Descriptor) -> Result<(Digest, Region), ImageError> {
        let digest = Digest::parse(&desc.digest).map_err(|e| ImageError::invalid("descriptor", self.location(), e))?;
        let region = self
            .file(&format!("blobs/sha256/{}", digest.hex()))
            .ok_or_else(|| ImageError::MissingBlob { digest: desc.digest.clone(), location: self.location() })?;
        if desc.size.is_some_and(|size| size != region.len) {
            return Err(ImageError::invalid(
                "descriptor",
                desc.digest.clone(),
                format!("size {} but the blob has {} bytes", desc.size.unwrap_or_default(), region.len),
            ));
        }
        Ok((digest, region))
    }

    /// Reads a small blob (manifest, index, config) whole and verifies its digest.
    fn document(&self, desc: &Descriptor, what: &'static str, limits: &Limits) -> Result<Vec<u8>, ImageError> {
        let (digest, region) = self.blob(desc)?;
        let bytes = region.read_bounded(limits.max_document_bytes, what)?;
        let actual = crate::digest::sha256_of(&bytes);
        if actual != digest.as_str() {
            return Err(ImageError::DigestMismatch {
                blob: desc.digest.clone(),
                expected: desc.digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }
}

/// An OCI content descriptor.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    annotations: std::collections::HashMap<String, String>,
    #[serde(default)]
    platform: Option<Platform>,
}

/// A descriptor's platform.
#[derive(Debug, Clone, Deserialize)]
struct Platform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
}

/// An image index (`index.json`, or a nested index blob).
#[derive(Debug, Deserialize)]
struct Index {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// An image manifest.
#[derive(Debug, Deserialize)]
struct Manifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

const INDEX_TYPES: [&str; 2] =
    ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];

/// The `ref.name` annotation that tags a manifest in a layout.
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Opens the image tagged `tag` (or the only one) in `layout`.
pub(crate) fn open(
    layout: Layout,
    tag: Option<&str>,
    name: &str,
    source: &str,
    limits: &Limits,
) -> Result<Image, ImageError> {
    let location = layout.location();
    let index_region =
        layout.file("index.json").ok_or_else(|| ImageError::invalid("layout", &location, "no index.json"))?;
    let index_bytes = index_region.read_bounded(limits.max_document_bytes, "index.json")?;
    let index: Index =
        serde_json::from_slice(&index_bytes).map_err(|e| ImageError::invalid("index.json", &location, e))?;
    let mut desc = pick(&index.manifests, tag, &location)?.clone();
    // Follow nested indexes to one manifest, choosing the host's platform (bounded depth).
    for _ in 0..4 {
        if !INDEX_TYPES.contains(&desc.media_type.as_str()) {
            break;
        }
        let bytes = layout.document(&desc, "index", limits)?;
        let nested: Index =
            serde_json::from_slice(&bytes).map_err(|e| ImageError::invalid("index", &desc.digest, e))?;
        desc = pick_platform(&nested.manifests, &desc.digest)?.clone();
    }
    let manifest_bytes = layout.document(&desc, "manifest", limits)?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| ImageError::invalid("manifest", &desc.digest, e))?;
    let config_bytes = layout.document(&manifest.config, "config", limits)?;
    let config = ImageConfig::parse(&config_bytes, &manifest.config.digest)?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(ImageError::invalid(
            "manifest",
            &desc.digest,
            format!("{} layers but the config has {} diff_ids", manifest.layers.len(), config.rootfs.diff_ids.len()),
        ));
    }
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for ((layer_desc, diff_id), created_by) in
        manifest.layers.iter().zip(&config.rootfs.diff_ids).zip(config.layer_history())
    {
        check_layer_type(&layer_desc.media_type, &layer_desc.digest)?;
        let (digest, region) = layout.blob(layer_desc)?;
        layers.push(Layer {
            diff_id: diff_id.clone(),
            digest: Some(digest.to_string()),
            created_by,
            source: LayerSource::Blob { region, verify: Verify::Stored(digest.to_string()) },
        });
    }
    let mut image = Image::new(name, source, layers);
    image.info.manifest_digest = Some(desc.digest.clone());
    image.info.config_digest = Some(manifest.config.digest.clone());
    image.info.os = config.os;
    image.info.architecture = config.architecture;
    Ok(image)
}

/// Refuses layer media types we cannot read (encrypted, foreign).
fn check_layer_type(media_type: &str, digest: &str) -> Result<(), ImageError> {
    let known = media_type.is_empty()
        || media_type.contains("tar")
        || media_type == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    if known && !media_type.contains("encrypted") {
        Ok(())
    } else {
        Err(ImageError::invalid("manifest", digest, format!("unsupported layer media type {media_type}")))
    }
}

/// Picks the manifest tagged `tag`, or the only one.
fn pick<'a>(manifests: &'a [Descriptor], tag: Option<&str>, location: &str) -> Result<&'a Descriptor, ImageError> {
    match tag {
        Some(tag) => manifests
            .iter()
            .find(|d| d.annotations.get(REF_NAME).is_some_and(|r| r == tag))
            .ok_or_else(|| ImageError::invalid("index.json", location, format!("no manifest tagged {tag:?}"))),
        None => match manifests {
            [one] => Ok(one),
            [] => Err(ImageError::invalid("index.json", location, "lists no manifest")),
            many => many
                .iter()
                .find(|d| d.annotations.get(REF_NAME).is_some_and(|r| r == "latest"))
                .ok_or_else(|| ImageError::invalid("index.json", location, "several manifests: name one with :TAG")),
        },
    }
}

/// Picks the host platform's manifest from an image index (linux and this machine's arch).
fn pick_platform<'a>(manifests: &'a [Descriptor], location: &str) -> Result<&'a Descriptor, ImageError> {
    let arch = host_arch();
    manifests
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| p.os == "linux" && p.architecture == arch))
        .or_else(|| manifests.first())
        .ok_or_else(|| ImageError::invalid("index", location, "lists no manifest"))
}

/// The OCI architecture name of this machine.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// Whether `dir` looks like an OCI layout.
pub(crate) fn is_layout_dir(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() || dir.join("index.json").is_file()
}
