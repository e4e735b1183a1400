//! Analyzers that turn image files into packages, and the merge of per-layer results.
//!
//! Architecture invariant: analyzers are pure functions of the files they asked for; they never
//! touch the network, the host filesystem or tar entries (only `microscanner-image` does).

mod analyzer;
pub mod apk;
pub mod cache;
pub mod dpkg;
mod inventory;
pub mod lang;
mod layer;
mod lost;
mod merge;
pub mod os;
mod registry;
pub mod rpm;

pub use analyzer::{Analyzer, AnalyzerOutput, LayerFiles, Record};
pub use cache::{CacheError, CacheStatus, LayerCache, LayerClaim, LayerStore, MemoryLayerCache};
pub use inventory::{CatalogOptions, LayerStats, build_inventory, build_inventory_cached};
pub use layer::{LayerResult, analyze_layer};
pub use merge::{LayerMeta, Merged, merge};
pub use registry::default_analyzers;
