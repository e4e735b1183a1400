//! The inventory: everything found in an image, the SBOM the rest of the pipeline works on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Diagnostic, OsInfo, Package};

/// One layer of the scanned image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// The layer's diffID.
    pub diff_id: String,
    /// The digest of the blob as stored (compressed), when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The image history line that created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// What was scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The target as the user named it (`oci:dir:latest`, `/`).
    pub name: String,
    /// The source kind (`docker-archive`, `oci`, `oci-archive`, `dir`).
    pub source: String,
    /// The manifest digest, when there is a manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// The config digest (the image id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// The image's operating system, from its config (`linux`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// The image's architecture, from its config (`amd64`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// The CPU variant (`v8`), from the config or the index entry, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The layers, base first.
    #[serde(default)]
    pub layers: Vec<LayerInfo>,
    /// The labels of the image config (`config.Labels`: `org.opencontainers.image.source`,
    /// `maintainer`), as the image states them; bounded by the image crate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The annotations of the manifest and of the index entry that names it (the manifest's win):
    /// `org.opencontainers.image.base.name` and `.base.digest` name the base image.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Where the image is in a registry, by digest (`registry/repository@sha256:...`): the
    /// manifest digest in the repository it was pulled from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
}

/// Everything found in one image: its OS, its packages and the problems met on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// What was scanned.
    pub image: ImageInfo,
    /// The operating system, if one was recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// Every package found, sorted by kind, name, version and location.
    pub packages: Vec<Package>,
    /// Problems met that did not stop the scan.
    #[serde(default)]
    pub diagnostics: Vec<Diagnostic>,
    /// The dependency graph, where the evidence has it (dpkg `Depends`, a lockfile's graph):
    /// `[from, to]` pairs of indices into `packages`, sorted, each once. Kept beside the
    /// packages rather than in each [`Package`], so a package stays small, and as index pairs
    /// (8 bytes an edge) rather than names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<[u32; 2]>,
}
