//! Image sources and the streaming layer walk.
//!
//! [`open`] turns a target (`docker-archive:`, `oci:`, `oci-archive:`, `dir:`, `registry:`,
//! `docker:`, `podman:`, a bare path or a bare reference) into an [`Image`]: its metadata and an
//! ordered list of [`Layer`]s; [`open_with`] does the same with registry credentials and a
//! platform choice, and returns one image per platform for [`PlatformSelector::All`]. [`Layer::walk`] streams one
//! layer's tar once, verifying its digest on the way, and hands each entry to a [`LayerVisitor`].
//!
//! Architecture invariant: this is the only crate that touches tar entries. It never extracts to
//! disk, never follows a path out of the image, and bounds everything it reads ([`Limits`]).

mod digest;
mod error;
mod limits;
mod options;
pub mod path;
mod platform;
mod source;
mod walk;

pub use digest::{Digest, HashingReader, sha256_of};
pub use error::ImageError;
pub use limits::Limits;
pub use options::{Credentials, OpenOptions, RegistryOptions};
pub use platform::{InvalidPlatform, Platform, PlatformSelector};
pub use source::registry::artifact;
pub use source::{Target, open, open_with};
pub use walk::{EntryKind, LayerVisitor, WalkStats};

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use microscanner_model::{ImageInfo, LayerInfo};

/// An image ready to be walked: what it is, and its layers, base first.
#[derive(Debug)]
pub struct Image {
    /// Metadata for reports (name, digests, platform, layers).
    pub info: ImageInfo,
    /// The layers, base first.
    pub layers: Vec<Layer>,
    /// The tags a docker-archive records.
    pub repo_tags: Vec<String>,
    /// The platform the image index gave this image, when it came from an index.
    pub platform: Option<Platform>,
    /// A file the image's layers are read from that is deleted with the image (an engine export).
    scratch: Option<tempfile::TempPath>,
}

impl Image {
    fn new(name: &str, source: &str, layers: Vec<Layer>) -> Self {
        let info = ImageInfo {
            name: name.to_owned(),
            source: source.to_owned(),
            layers: layers
                .iter()
                .map(|l| LayerInfo {
                    diff_id: l.diff_id.clone(),
                    digest: l.digest.clone(),
                    created_by: l.created_by.clone(),
                })
                .collect(),
            ..ImageInfo::default()
        };
        Self { info, layers, repo_tags: Vec::new(), platform: None, scratch: None }
    }

    /// A root filesystem directory, as an image of one layer.
    fn rootfs(name: &str, root: &Path) -> Self {
        let layer = Layer {
            diff_id: format!("dir:{}", root.display()),
            digest: None,
            created_by: None,
            source: LayerSource::Rootfs(root.to_owned()),
        };
        Self::new(name, "dir", vec![layer])
    }
}

/// One layer of an image.
#[derive(Debug)]
pub struct Layer {
    /// The diffID (sha256 of the uncompressed tar), or `dir:PATH` for a root filesystem.
    pub diff_id: String,
    /// The stored blob's digest, when the source is content-addressed.
    pub digest: Option<String>,
    /// The history line that created the layer.
    pub created_by: Option<String>,
    source: LayerSource,
}

/// Where a layer's content comes from.
#[derive(Debug)]
enum LayerSource {
    /// A blob: a file, or a member of an outer tar.
    Blob {
        /// Where its bytes are.
        region: source::Region,
        /// What to check them against.
        verify: walk::Verify,
    },
    /// A blob fetched on demand (a registry), streamed and never held whole.
    Remote {
        /// Opens the blob's byte stream.
        blob: Arc<dyn OpenBlob>,
        /// Its size as the descriptor states.
        size: u64,
        /// What to check the bytes against.
        verify: walk::Verify,
    },
    /// A directory on disk.
    Rootfs(PathBuf),
}

/// A blob that can be opened as a byte stream any number of times (once per walk).
pub(crate) trait OpenBlob: std::fmt::Debug + Send + Sync {
    /// Starts streaming the blob.
    fn open(&self) -> Result<Box<dyn Read + Send>, ImageError>;
}

impl Layer {
    /// Streams the layer once, handing every entry to `visitor`. The blob's digest (or diffID) is
    /// verified as it streams: a mismatch is an error even if the visitor saw every entry.
    pub fn walk(&self, limits: &Limits, visitor: &mut dyn LayerVisitor) -> Result<WalkStats, ImageError> {
        match &self.source {
            LayerSource::Blob { region, verify } => {
                let name = self.digest.as_deref().unwrap_or(&self.diff_id);
                walk::walk_blob(region.open()?, name, verify, limits, visitor)
            }
            LayerSource::Remote { blob, verify, .. } => {
                let name = self.digest.as_deref().unwrap_or(&self.diff_id);
                walk::walk_blob(blob.open()?, name, verify, limits, visitor)
            }
            LayerSource::Rootfs(root) => source::walk_rootfs(root, limits, visitor),
        }
    }

    /// The size of the stored blob in bytes (0 for a directory).
    pub fn stored_size(&self) -> u64 {
        match &self.source {
            LayerSource::Blob { region, .. } => region.len,
            LayerSource::Remote { size, .. } => *size,
            LayerSource::Rootfs(_) => 0,
        }
    }
}
