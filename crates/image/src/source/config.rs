//! The image config (OCI and Docker share its shape): diffIDs, history, platform.

use std::collections::{BTreeMap, HashMap};

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
    /// The run config, for its labels.
    #[serde(default)]
    config: Option<RunConfig>,
}

/// The `config` object of an image config: only its labels are read.
#[derive(Debug, Default, Deserialize)]
struct RunConfig {
    /// `Labels` (may be `null`).
    #[serde(default, rename = "Labels")]
    labels: Option<HashMap<String, String>>,
}

/// The most labels or annotations kept of one image (the rest are dropped): a report carries
/// them whole, so a hostile config cannot make every report huge.
pub(crate) const MAX_METADATA_ENTRIES: usize = 256;
/// The most bytes of one label or annotation, key and value together; a longer one is dropped.
pub(crate) const MAX_METADATA_ENTRY_BYTES: usize = 4096;

/// The entries of `map` within [`MAX_METADATA_ENTRY_BYTES`], the first [`MAX_METADATA_ENTRIES`]
/// of them in key order.
pub(crate) fn bounded_metadata<'a>(
    map: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> BTreeMap<String, String> {
    let mut kept: Vec<(&String, &String)> =
        map.into_iter().filter(|(k, v)| k.len() + v.len() <= MAX_METADATA_ENTRY_BYTES).collect();
    kept.sort_unstable();
    kept.into_iter().take(MAX_METADATA_ENTRIES).map(|(k, v)| (k.clone(), v.clone())).collect()
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

    /// The config's labels, bounded ([`bounded_metadata`]).
    pub(crate) fn labels(&self) -> BTreeMap<String, String> {
        self.config.as_ref().and_then(|c| c.labels.as_ref()).map(bounded_metadata).unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded_in_count_and_size() {
        let many: Vec<(String, String)> = (0..1000).map(|i| (format!("k{i:04}"), "v".to_owned())).collect();
        let kept = bounded_metadata(many.iter().map(|(k, v)| (k, v)));
        assert_eq!(kept.len(), MAX_METADATA_ENTRIES);
        assert_eq!(kept.keys().next().map(String::as_str), Some("k0000"), "the first in key order");
        let (key, huge) = ("big".to_owned(), "x".repeat(MAX_METADATA_ENTRY_BYTES));
        assert!(bounded_metadata([(&key, &huge)]).is_empty(), "an entry over the bound is dropped");
        let config = ImageConfig::parse(br#"{"config":{"Labels":null}}"#, "c").unwrap();
        assert!(config.labels().is_empty(), "null labels are none");
    }
}
