//! Where analysed layers are kept between (or within) scans: the [`LayerStore`] trait the
//! inventory build consults, the key a layer is stored under ([`layer_key`]), and the in-memory
//! store ([`MemoryLayerStore`]).
//!
//! The store on disk (zstd files, locks, LRU eviction) is `microscanner-layer-cache`: it lives
//! outside this crate so that this crate does no file I/O at all (checked by its `clippy.toml`).

use std::collections::HashMap;
use std::sync::Mutex;

use microscanner_image::Limits;
use sha2::{Digest as _, Sha256};

use crate::{Analyzer, LayerResult};

/// Bumped whenever the meaning of a [`LayerResult`] changes without any analyzer's version
/// changing (the merge reads a field differently, a record kind is added): part of every
/// [`layer_key`], so results from before the change are misses, never stale hits. 3: purls in
/// canonical form (`+` in a version is `%2B`); 4: the `Licenses` record of copyright files.
pub const LAYER_RESULT_VERSION: u32 = 4;

/// The key a layer's result is stored under, or `None` when the layer cannot be stored (it has
/// no content digest: a `dir:` root filesystem can change under the same name).
///
/// A sha256 over the layer's diffID, every analyzer's id and version (in order), the limits
/// that bound the walk, this crate's version and [`LAYER_RESULT_VERSION`]: a change in any of
/// them is a different key. 64 lowercase hex digits, so it is safe as a file name.
pub fn layer_key(diff_id: &str, analyzers: &[Box<dyn Analyzer>], limits: &Limits) -> Option<String> {
    let hex_part = diff_id.strip_prefix("sha256:")?;
    if hex_part.len() != 64 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    // The tag and field order are those of the key before the store moved out of this crate,
    // so caches written then are still read.
    field(b"microscanner-layer-cache");
    field(&LAYER_RESULT_VERSION.to_le_bytes());
    field(env!("CARGO_PKG_VERSION").as_bytes());
    field(diff_id.to_ascii_lowercase().as_bytes());
    field(&limits.max_layer_bytes.to_le_bytes());
    field(&limits.max_entries.to_le_bytes());
    field(&limits.max_document_bytes.to_le_bytes());
    field(&(analyzers.len() as u64).to_le_bytes());
    for analyzer in analyzers {
        field(analyzer.id().as_bytes());
        field(&analyzer.version().to_le_bytes());
    }
    Some(hex::encode(h.finalize()))
}

/// A layer result that a [`LayerStore`] could not store. The inventory build only logs it (at
/// debug level) and counts it ([`LayerStats::store_failures`](crate::LayerStats)): the layer was
/// analysed, the scan goes on.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps the store's own error.
    pub fn new(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(source))
    }
}

/// Where analysed layers are kept so an image (or the next platform of an index) does not read
/// them again: `microscanner_layer_cache::LayerCache` on disk, across runs;
/// [`MemoryLayerStore`] within one run.
pub trait LayerStore: Sync {
    /// The stored result for `key` (from [`layer_key`]), if there is a usable one.
    fn get(&self, key: &str) -> Option<LayerResult>;
    /// Stores `result` under `key`.
    fn put(&self, key: &str, result: &LayerResult) -> Result<(), StoreError>;
    /// Claims the analysis of the layer of `key` against other processes sharing the store,
    /// waiting while another one holds it. The claim lasts until the returned value is dropped;
    /// the caller looks the key up again once it holds it. `None`: nothing to claim (a store no
    /// other process sees, or locking is unavailable), so the caller just analyses.
    fn claim(&self, _key: &str) -> Option<LayerClaim> {
        None
    }
}

/// A held claim on one layer's analysis ([`LayerStore::claim`]), released when this is dropped.
/// What it holds (a locked file, for the disk cache) is the store's business: this crate only
/// keeps it alive for as long as the layer is being analysed.
pub struct LayerClaim {
    _guard: Box<dyn Send + Sync>,
}

impl LayerClaim {
    /// A claim that lasts as long as `guard` (dropped with the claim).
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Self { _guard: Box::new(guard) }
    }
}

impl std::fmt::Debug for LayerClaim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerClaim").finish_non_exhaustive()
    }
}

/// Layer results kept in memory for one run: with `--no-cache`, the platforms of an index still
/// share the layers they have in common, and nothing is written to disk.
#[derive(Debug, Default)]
pub struct MemoryLayerStore {
    results: Mutex<HashMap<String, LayerResult>>,
}

impl LayerStore for MemoryLayerStore {
    fn get(&self, key: &str) -> Option<LayerResult> {
        self.results.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: &str, result: &LayerResult) -> Result<(), StoreError> {
        // A poisoned lock only means another thread panicked mid-insert: skip storing.
        if let Ok(mut results) = self.results.lock() {
            results.insert(key.to_owned(), result.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::default_analyzers;

    const DIFF_ID: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// An analyzer with a settable version, for key tests.
    struct Fake(u32);

    impl Analyzer for Fake {
        fn id(&self) -> &'static str {
            "fake"
        }
        fn version(&self) -> u32 {
            self.0
        }
        fn wants(&self, _path: &str, _size: u64) -> bool {
            false
        }
        fn analyze(&self, _files: &crate::LayerFiles) -> crate::AnalyzerOutput {
            crate::AnalyzerOutput::default()
        }
    }

    #[test]
    fn key_is_stable_and_covers_its_inputs() {
        let one: Vec<Box<dyn Analyzer>> = vec![Box::new(Fake(1))];
        let two: Vec<Box<dyn Analyzer>> = vec![Box::new(Fake(2))];
        let limits = Limits::default();
        let key = layer_key(DIFF_ID, &one, &limits).unwrap();
        assert_eq!(key.len(), 64);
        assert_eq!(Some(key.clone()), layer_key(DIFF_ID, &one, &limits));
        assert_ne!(Some(key.clone()), layer_key(DIFF_ID, &two, &limits));
        let other = DIFF_ID.replace("0123", "3210");
        assert_ne!(Some(key.clone()), layer_key(&other, &one, &limits));
        let tighter = Limits { max_entries: 5, ..Limits::default() };
        assert_ne!(Some(key.clone()), layer_key(DIFF_ID, &one, &tighter));
        assert_ne!(Some(key), layer_key(DIFF_ID, &default_analyzers(), &limits));
        // A root filesystem (or anything without a content digest) is never stored.
        assert_eq!(layer_key("dir:/srv/root", &one, &limits), None);
        assert_eq!(layer_key("sha256:abc", &one, &limits), None);
    }

    #[test]
    fn the_memory_store_keeps_what_it_was_given() {
        let store = MemoryLayerStore::default();
        assert_eq!(store.get("k"), None);
        let result = LayerResult { whiteouts: vec!["etc/gone".into()], ..LayerResult::default() };
        store.put("k", &result).unwrap();
        assert_eq!(store.get("k"), Some(result));
        assert!(store.claim("k").is_none(), "no other process sees a memory store");
    }

    #[test]
    fn a_layer_repeated_in_one_image_is_analysed_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};

        use microscanner_testkit::{LayerBuilder, TestLayer, write_oci_layout};

        use crate::{CatalogOptions, LayerStats, build_inventory_cached};

        let status = b"Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\n\n";
        let base = LayerBuilder::new().file("var/lib/dpkg/status", status).build();
        let empty = LayerBuilder::new().build();
        let layers = [
            TestLayer::new(base, "base"),
            TestLayer::new(empty.clone(), "RUN true"),
            TestLayer::new(empty, "RUN true"),
        ];
        let image_dir = tempfile::tempdir().unwrap();
        write_oci_layout(image_dir.path(), &layers);
        let image =
            microscanner_image::open(&format!("oci:{}", image_dir.path().display()), &Limits::default()).unwrap();
        assert_eq!(image.layers[1].diff_id, image.layers[2].diff_id);
        let (options, analyzers) = (CatalogOptions::default(), default_analyzers());
        let walked = AtomicUsize::new(0);
        let (inventory, stats) = build_inventory_cached(&image, &analyzers, &options, None, &|_, _| {
            walked.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(stats, LayerStats { analysed: 2, cached: 0, store_failures: 0 });
        assert_eq!(walked.into_inner(), 2);
        let curl = inventory.packages.iter().find(|p| p.name == "curl").unwrap();
        assert_eq!(curl.layer.as_ref().map(|l| l.index), Some(0));
    }
}
