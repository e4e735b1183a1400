//! Bounds on what a layer may make us do: image content is hostile.

/// Size and count bounds applied while walking layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes one layer may decompress to (decompression bombs).
    pub max_layer_bytes: u64,
    /// Most tar entries in one layer.
    pub max_entries: u64,
    /// Most bytes of a manifest, index or config document.
    pub max_document_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_layer_bytes: 64 << 30, max_entries: 10_000_000, max_document_bytes: 8 << 20 }
    }
}
