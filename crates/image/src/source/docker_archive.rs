//! `docker-archive:` — what `docker save` and `podman save` write: `manifest.json` naming the
//! config and the layer tars (uncompressed, or compressed in newer Docker) inside one tar.

use std::path::Path;

use serde::Deserialize;

use super::config::ImageConfig;
use super::tar_index::TarIndex;
use crate::walk::Verify;
use crate::{Image, ImageError, Layer, LayerSource, Limits};

/// One entry of `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

/// Opens a docker-archive tar at `path`.
pub(crate) fn open(path: &Path, name: &str, limits: &Limits) -> Result<Image, ImageError> {
    let index = TarIndex::build(path)?;
    open_indexed(path, index, name, limits)
}

/// Opens a docker-archive whose member index is already built.
pub(crate) fn open_indexed(path: &Path, index: TarIndex, name: &str, limits: &Limits) -> Result<Image, ImageError> {
    let location = path.display().to_string();
    let manifest_region = index
        .get("manifest.json")
        .ok_or_else(|| ImageError::invalid("archive", &location, "no manifest.json (not a docker-archive)"))?;
    let bytes = manifest_region.read_bounded(limits.max_document_bytes, "manifest")?;
    let manifests: Vec<ManifestEntry> = serde_json::from_slice(&bytes)
        .map_err(|e| ImageError::invalid("manifest", format!("{location}:manifest.json"), e))?;
    let manifest = match manifests.as_slice() {
        [one] => one,
        [] => return Err(ImageError::invalid("manifest", &location, "manifest.json lists no image")),
        _ => return Err(ImageError::invalid("manifest", &location, "manifest.json lists several images; scan one")),
    };
    let config_region = index
        .get(&manifest.config)
        .ok_or_else(|| ImageError::MissingBlob { digest: manifest.config.clone(), location: location.clone() })?;
    let config_bytes = config_region.read_bounded(limits.max_document_bytes, "config")?;
    let config = ImageConfig::parse(&config_bytes, &format!("{location}:{}", manifest.config))?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(ImageError::invalid(
            "manifest",
            &location,
            format!("{} layers but the config has {} diff_ids", manifest.layers.len(), config.rootfs.diff_ids.len()),
        ));
    }
    let history = config.layer_history();
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for ((member, diff_id), created_by) in manifest.layers.iter().zip(&config.rootfs.diff_ids).zip(history) {
        let region = index
            .get(member)
            .ok_or_else(|| ImageError::MissingBlob { digest: member.clone(), location: location.clone() })?;
        layers.push(Layer {
            diff_id: diff_id.clone(),
            digest: None,
            created_by,
            source: LayerSource::Blob { region, verify: Verify::Uncompressed(diff_id.clone()) },
        });
    }
    let mut image = Image::new(name, "docker-archive", layers);
    image.info.config_digest = Some(crate::digest::sha256_of(&config_bytes));
    image.info.labels = config.labels();
    image.info.os = config.os;
    image.info.architecture = config.architecture;
    image.repo_tags = manifest.repo_tags.clone();
    Ok(image)
}
