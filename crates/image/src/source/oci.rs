//! `oci:DIR[:TAG]` and `oci-archive:PATH` — an OCI image layout, as a directory or as one tar:
//! `index.json` → (nested indexes →) manifest → config and layers, all content-addressed blobs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::config::ImageConfig;
use super::tar_index::{Region, TarIndex};
use crate::walk::Verify;
use crate::{Digest, Image, ImageError, Layer, LayerSource, Limits, Platform, PlatformSelector};

/// A content-addressed store an OCI image is read from: a layout on disk or a registry. The index
/// walk, platform choice and manifest checks below are the same for every store.
pub(crate) trait Store {
    /// Where the store is, for errors (a path, or `registry/repository`).
    fn location(&self) -> String;
    /// The source kind for reports (`oci`, `oci-archive`, `registry`).
    fn kind(&self) -> &'static str;
    /// The descriptors the target names: one manifest or index, or (an OCI layout whose
    /// `index.json` lists one manifest per platform) several manifests with platforms.
    fn roots(&self, tag: Option<&str>, limits: &Limits) -> Result<Vec<Descriptor>, ImageError>;
    /// A small document (index, manifest, config) read whole, bounded, and digest-verified.
    fn document(&self, desc: &Descriptor, what: &'static str, limits: &Limits) -> Result<Vec<u8>, ImageError>;
    /// Where a layer blob's bytes come from; the walk verifies them against `desc.digest`.
    fn layer(&self, desc: &Descriptor) -> Result<LayerSource, ImageError>;
}

/// Where the layout's files are.
pub(crate) enum Layout {
    /// An OCI layout directory.
    Dir(PathBuf),
    /// An OCI layout inside a tar (`oci-archive:`).
    Archive(PathBuf, TarIndex),
}

impl Layout {
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
}

impl Store for Layout {
    fn location(&self) -> String {
        match self {
            Self::Dir(p) | Self::Archive(p, _) => p.display().to_string(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Dir(_) => "oci",
            Self::Archive(..) => "oci-archive",
        }
    }

    fn roots(&self, tag: Option<&str>, limits: &Limits) -> Result<Vec<Descriptor>, ImageError> {
        let location = self.location();
        let index_region =
            self.file("index.json").ok_or_else(|| ImageError::invalid("layout", &location, "no index.json"))?;
        let index_bytes = index_region.read_bounded(limits.max_document_bytes, "index.json")?;
        let index: Index =
            serde_json::from_slice(&index_bytes).map_err(|e| ImageError::invalid("index.json", &location, e))?;
        pick(index.manifests, tag, &location)
    }

    fn document(&self, desc: &Descriptor, what: &'static str, limits: &Limits) -> Result<Vec<u8>, ImageError> {
        let (digest, region) = self.blob(desc)?;
        let bytes = region.read_bounded(limits.max_document_bytes, what)?;
        verify_document(&bytes, digest.as_str())?;
        Ok(bytes)
    }

    fn layer(&self, desc: &Descriptor) -> Result<LayerSource, ImageError> {
        let (digest, region) = self.blob(desc)?;
        Ok(LayerSource::Blob { region, verify: Verify::Stored(digest.to_string()) })
    }
}

/// Checks that a document read whole hashes to `digest`.
pub(crate) fn verify_document(bytes: &[u8], digest: &str) -> Result<(), ImageError> {
    let actual = crate::digest::sha256_of(bytes);
    if actual == digest {
        Ok(())
    } else {
        Err(ImageError::DigestMismatch { blob: digest.to_owned(), expected: digest.to_owned(), actual })
    }
}

/// An OCI content descriptor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    /// What the blob is (index, manifest, config, layer media type).
    #[serde(default)]
    pub(crate) media_type: String,
    /// `sha256:...`.
    pub(crate) digest: String,
    /// The blob's size in bytes.
    #[serde(default)]
    pub(crate) size: Option<u64>,
    /// Annotations (`org.opencontainers.image.ref.name` tags a manifest in a layout).
    #[serde(default)]
    pub(crate) annotations: HashMap<String, String>,
    /// The platform of an index entry.
    #[serde(default)]
    pub(crate) platform: Option<DescriptorPlatform>,
}

/// A descriptor's platform, as an index gives it.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct DescriptorPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl DescriptorPlatform {
    fn to_platform(&self) -> Platform {
        Platform { os: self.os.clone(), architecture: self.architecture.clone(), variant: self.variant.clone() }
    }
}

/// An image index (`index.json`, or a nested index blob).
#[derive(Debug, Deserialize)]
pub(crate) struct Index {
    #[serde(default)]
    pub(crate) manifests: Vec<Descriptor>,
}

/// An image manifest.
#[derive(Debug, Deserialize)]
struct Manifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
    /// `org.opencontainers.image.base.name` and the like.
    #[serde(default)]
    annotations: HashMap<String, String>,
}

/// The media types of an image index (OCI) or manifest list (Docker).
pub(crate) const INDEX_TYPES: [&str; 2] =
    ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];

/// The media types of a single-image manifest (OCI, Docker schema 2).
pub(crate) const MANIFEST_TYPES: [&str; 2] =
    ["application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"];

/// The `ref.name` annotation that tags a manifest in a layout.
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// How deep image indexes may nest before we give up (a loop, or a hostile image).
const MAX_INDEX_DEPTH: usize = 4;

/// Opens the images `target` names in `store`: one, or one per platform with
/// [`PlatformSelector::All`].
pub(crate) fn open(
    store: &dyn Store,
    tag: Option<&str>,
    name: &str,
    platforms: &PlatformSelector,
    limits: &Limits,
) -> Result<Vec<Image>, ImageError> {
    let roots = store.roots(tag, limits)?;
    let manifests = resolve(store, roots, platforms, limits)?;
    manifests.iter().map(|(desc, platform)| open_manifest(store, desc, platform.as_ref(), name, limits)).collect()
}

/// Follows image indexes down to manifests, keeping the ones `selector` asks for, each with the
/// platform its index gave.
fn resolve(
    store: &dyn Store,
    roots: Vec<Descriptor>,
    selector: &PlatformSelector,
    limits: &Limits,
) -> Result<Vec<(Descriptor, Option<Platform>)>, ImageError> {
    let mut manifests: Vec<(Descriptor, Option<Platform>)> = Vec::new();
    let mut pending: Vec<(Descriptor, usize)> = roots.into_iter().rev().map(|d| (d, 0)).collect();
    while let Some((desc, depth)) = pending.pop() {
        if !is_index(&desc) {
            let platform = desc.platform.as_ref().map(DescriptorPlatform::to_platform);
            manifests.push((desc, platform));
            continue;
        }
        if depth >= MAX_INDEX_DEPTH {
            return Err(ImageError::invalid("index", &desc.digest, "image indexes nest too deep"));
        }
        let bytes = store.document(&desc, "index", limits)?;
        let nested: Index =
            serde_json::from_slice(&bytes).map_err(|e| ImageError::invalid("index", &desc.digest, e))?;
        pending.extend(nested.manifests.into_iter().rev().map(|d| (d, depth + 1)));
    }
    // Attestation manifests (buildkit's `unknown/unknown`) describe images, they are not images.
    manifests.retain(|(_, p)| p.as_ref().is_none_or(|p| p.os != "unknown"));
    select(manifests, selector, &store.location())
}

/// Whether a descriptor points at an index rather than a manifest.
fn is_index(desc: &Descriptor) -> bool {
    INDEX_TYPES.contains(&desc.media_type.as_str())
}

/// Applies the platform selector to an index's manifests.
fn select(
    mut manifests: Vec<(Descriptor, Option<Platform>)>,
    selector: &PlatformSelector,
    location: &str,
) -> Result<Vec<(Descriptor, Option<Platform>)>, ImageError> {
    if manifests.is_empty() {
        return Err(ImageError::invalid("index", location, "lists no image manifest"));
    }
    if manifests.len() == 1 && !matches!(selector, PlatformSelector::Exact(_)) {
        return Ok(manifests);
    }
    let wanted = match selector {
        PlatformSelector::All => return Ok(manifests),
        PlatformSelector::Host => Platform::host(),
        PlatformSelector::Exact(p) => p.clone(),
    };
    let found = manifests.iter().position(|(_, p)| p.as_ref().is_some_and(|p| wanted.accepts(p)));
    match (found, selector) {
        (Some(i), _) => Ok(vec![manifests.swap_remove(i)]),
        // No platform recorded anywhere (a single-platform layout): the one manifest is it.
        (None, PlatformSelector::Exact(_)) if manifests.len() == 1 && manifests[0].1.is_none() => Ok(manifests),
        (None, PlatformSelector::Host) => Ok(manifests.into_iter().take(1).collect()),
        (None, _) => {
            let have: Vec<String> = manifests
                .iter()
                .map(|(_, p)| p.as_ref().map_or_else(|| "unknown".into(), Platform::to_string))
                .collect();
            Err(ImageError::Target {
                target: location.to_owned(),
                reason: format!("no image for platform {wanted}; the index has {}", have.join(", ")),
            })
        }
    }
}

/// Reads one manifest and its config into an [`Image`].
fn open_manifest(
    store: &dyn Store,
    desc: &Descriptor,
    platform: Option<&Platform>,
    name: &str,
    limits: &Limits,
) -> Result<Image, ImageError> {
    let manifest_bytes = store.document(desc, "manifest", limits)?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| ImageError::invalid("manifest", &desc.digest, e))?;
    let config_bytes = store.document(&manifest.config, "config", limits)?;
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
        layers.push(Layer {
            diff_id: diff_id.clone(),
            digest: Some(layer_desc.digest.clone()),
            created_by,
            source: store.layer(layer_desc)?,
        });
    }
    let mut image = Image::new(name, store.kind(), layers);
    image.info.manifest_digest = Some(desc.digest.clone());
    image.info.config_digest = Some(manifest.config.digest.clone());
    image.info.labels = config.labels();
    // The index's platform is what the user selected by; the config's is what the image says.
    image.info.os = config.os.or_else(|| platform.map(|p| p.os.clone()));
    image.info.architecture = config.architecture.or_else(|| platform.map(|p| p.architecture.clone()));
    image.info.variant = config.variant.or_else(|| platform.and_then(|p| p.variant.clone()));
    // the index entry's annotations, then the manifest's own, which win
    let mut annotations: HashMap<&String, &String> = desc.annotations.iter().collect();
    annotations.extend(&manifest.annotations);
    image.info.annotations = super::config::bounded_metadata(annotations);
    image.platform = platform.cloned();
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

/// The descriptors of a layout's `index.json` that `tag` names. Without a tag: the only entry,
/// else the one tagged `latest`, else (entries that all carry a platform) all of them, as an
/// index to choose a platform from.
fn pick(manifests: Vec<Descriptor>, tag: Option<&str>, location: &str) -> Result<Vec<Descriptor>, ImageError> {
    let tagged = |t: &str| -> Vec<Descriptor> {
        manifests.iter().filter(|d| d.annotations.get(REF_NAME).is_some_and(|r| r == t)).cloned().collect()
    };
    match tag {
        Some(tag) => {
            let found = tagged(tag);
            if found.is_empty() {
                let mut tags: Vec<&str> =
                    manifests.iter().filter_map(|d| d.annotations.get(REF_NAME).map(String::as_str)).collect();
                tags.sort_unstable();
                tags.dedup();
                let there = if tags.is_empty() {
                    "it tags no manifest".to_owned()
                } else {
                    let shown: Vec<String> = tags.iter().take(20).map(|t| format!("{t:?}")).collect();
                    let more = if tags.len() > 20 { format!(" and {} more", tags.len() - 20) } else { String::new() };
                    format!("its tags are {}{more}", shown.join(", "))
                };
                return Err(ImageError::invalid(
                    "index.json",
                    location,
                    format!("no manifest tagged {tag:?}; {there}"),
                ));
            }
            Ok(found)
        }
        None if manifests.len() <= 1 => {
            if manifests.is_empty() {
                return Err(ImageError::invalid("index.json", location, "lists no manifest"));
            }
            Ok(manifests)
        }
        None => {
            let latest = tagged("latest");
            if !latest.is_empty() {
                Ok(latest)
            } else if manifests.iter().all(|d| d.platform.is_some()) {
                Ok(manifests)
            } else {
                Err(ImageError::invalid("index.json", location, "several manifests: name one with :TAG"))
            }
        }
    }
}

/// Whether `dir` looks like an OCI layout.
pub(crate) fn is_layout_dir(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() || dir.join("index.json").is_file()
}
