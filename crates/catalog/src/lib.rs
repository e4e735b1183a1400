//! Analyzers that turn image files into packages, and the merge of per-layer results.
//!
//! Architecture invariant: analyzers are pure functions of the files they asked for; they never
//! touch the network, the host filesystem or tar entries (only `microscanner-image` does).
//! The crate as a whole does no file I/O: its `clippy.toml` disallows `std::fs`, and the layer
//! cache on disk is `microscanner-layer-cache`, behind [`LayerStore`].

mod analyzer;
pub mod apk;
pub mod copyright;
mod defaults;
pub mod dpkg;
mod graph;
mod inventory;
pub mod lang;
mod layer;
pub mod license;
mod license_index;
mod license_texts;
mod lost;
mod merge;
pub mod os;
pub mod rpm;
mod store;

pub use analyzer::{Analyzer, AnalyzerOutput, LayerFiles, Needed, Record, Requires};
pub use defaults::{default_analyzers, default_analyzers_with};
pub use inventory::{CatalogOptions, LayerStats, build_inventory, build_inventory_cached};
pub use layer::{LayerResult, analyze_layer};
pub use merge::{LayerMeta, Merged, merge};
pub use store::{LAYER_RESULT_VERSION, LayerClaim, LayerStore, MemoryLayerStore, StoreError, layer_key};
