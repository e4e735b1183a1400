//! The image config (OCI and Docker share its shape): diffIDs, history, platform.

use serde::Deserialize;

use crate::ImageError;

/// The parts of an image config a scanner needs.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ImageConfig {
    #[serde(default)]
    pub(crate) os: Option<String>,
    #[serde(default)]
    pub(crate) architecture: Option<String>,
    #[serde(default)]
    pub(crate) variant: Option<String>,
    #[serde(default)]
    pub(crate) rootfs: RootFs,
    #[serde(default)]
    pub(crate) history: Vec<History>,
}

/// `rootfs.diff_ids`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RootFs {
    #[serde(default)]
    pub(crate) diff_ids: Vec<String>,
}

/// One `history` entry.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct History {
    #[serde(default)]
    pub(crate) created_by: Option<String>,
    #[serde(default)]
    pub(crate) empty_layer: bool,
}

impl ImageConfig {
    /// Parses a config document found at `location`.
    pub(crate) fn parse(bytes: &[u8], location: &str) -> Result<Self, ImageError> {
        let config: Self = serde_json::from_slice(bytes).map_err(|e| ImageError::invalid("config", location, e))?;
        for diff_id in &config.rootfs.diff_ids {
            crate::Digest::parse(diff_id).map_err(|e| ImageError::invalid("config", location, e))?;
        }
        Ok(config)
    }

    /// The `created_by` line of each layer, in layer order: history entries that made no layer
    /// (`empty_layer`) are skipped, as the image spec says.
    pub(crate) fn layer_history(&self) -> Vec<Option<String>> {
        let mut lines: Vec<Option<String>> =
            self.history.iter().filter(|h| !h.empty_layer).map(|h| h.created_by.clone()).collect();
        lines.resize(self.rootfs.diff_ids.len(), None);
        lines
    }
}
