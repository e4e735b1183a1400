//! The layer cache on disk: what [`analyze_layer`](microscanner_catalog::analyze_layer) returned
//! for a layer, stored so a rescan reads only the layers it has not seen. [`LayerCache`]
//! implements the catalog's [`LayerStore`]; it is a crate of its own so that the catalog does no
//! file I/O.
//!
//! An entry is stored under the catalog's [`layer_key`](microscanner_catalog::layer_key): a
//! sha256 over the layer's diffID, every analyzer's id and version (in order), the limits that
//! bound the walk, the crate version and the meaning of a result; a change in any of them is a
//! different key, never a stale hit. An entry is one file, `KEY.json.zst` (zstd-compressed JSON
//! in the form of [`FORMAT_VERSION`]; an entry of another form is a miss), written to a temporary
//! beside its final name and renamed into place ([`microscanner_atomic_file`]), so concurrent
//! processes never see half an entry. An entry that cannot be read back is removed and the layer
//! analysed again: the cache is never trusted blindly. Hits refresh the file's mtime; eviction
//! removes the least recently used entries until the cache fits its size bound.
//!
//! Only layers with a content digest (`sha256:…` diffID) are cached: a `dir:` root filesystem
//! can change under the same name (the key says so).
//!
//! A process about to analyse a layer first claims it ([`LayerStore::claim`]): an exclusive
//! advisory lock on `.locks/KEY.lock`. Another process that wants the same layer waits for the
//! claim (at most [`CLAIM_WAIT`]), then reads the entry the first one wrote instead of analysing
//! the layer again. The lock only saves work: correctness rests on the atomic rename, so a
//! process that cannot lock (a file system without locks, a claim held too long) analyses anyway.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use microscanner_atomic_file::Stale;
use microscanner_catalog::{LayerClaim, LayerResult, LayerStore, Record, Requires, StoreError};
use microscanner_model::{Diagnostic, OsInfo, Package};
use serde::{Deserialize, Serialize};

/// Bumped whenever the stored form of a [`LayerResult`] changes. (A change of its meaning is
/// the catalog's [`LAYER_RESULT_VERSION`](microscanner_catalog::LAYER_RESULT_VERSION), part of
/// the key.) An entry of another form is discarded as unreadable and the layer analysed again.
pub const FORMAT_VERSION: u32 = 3;

/// The file name suffix of a cache entry.
const ENTRY_SUFFIX: &str = ".json.zst";

/// Temporary files (and free lock files) unmodified for this long are leftovers of a killed
/// process and may be removed.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// The directory (inside the cache directory) of the per-key lock files.
const LOCK_DIR: &str = ".locks";

/// The longest a process waits for another one's claim on a layer before analysing it itself,
/// so a hung process cannot hang every other scan.
pub const CLAIM_WAIT: Duration = Duration::from_secs(300);

/// Most bytes an entry may decompress to (a corrupt or hostile entry cannot exhaust memory).
const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// An error of the layer cache (reading the directory, writing an entry).
#[derive(Debug, thiserror::Error)]
pub enum LayerCacheError {
    /// A file or directory operation failed.
    #[error("layer cache {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// An entry could not be encoded.
    #[error("layer cache: encoding an entry: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A number of cache entries and their total size: what the directory holds
/// ([`LayerCache::usage`]), or what was removed from it ([`LayerCache::evict`],
/// [`LayerCache::clear`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryTotals {
    /// Number of entries.
    pub entries: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

impl LayerStore for LayerCache {
    fn get(&self, key: &str) -> Option<LayerResult> {
        Self::get(self, key)
    }

    fn put(&self, key: &str, result: &LayerResult) -> Result<(), StoreError> {
        Self::put(self, key, result).map_err(StoreError::new)
    }

    fn claim(&self, key: &str) -> Option<LayerClaim> {
        self.claim_within(key, CLAIM_WAIT)
    }
}

/// A directory of cached per-layer results. Cheap to clone; safe to share between threads and
/// between processes.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
}

impl LayerCache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the entry for `key`.
    fn entry_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}{ENTRY_SUFFIX}"))
    }

    /// The cached result for `key`, if there is a readable one. A hit refreshes the entry's
    /// mtime (for LRU eviction). An entry that cannot be decoded is removed (logged at debug
    /// level) and `None` returned, so the caller analyses the layer again.
    pub fn get(&self, key: &str) -> Option<LayerResult> {
        let path = self.entry_path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::debug!("layer cache: reading {}: {e}", path.display());
                return None;
            }
        };
        match decode(&bytes) {
            Ok(result) => {
                touch(&path);
                Some(result)
            }
            Err(reason) => {
                tracing::debug!("layer cache: discarding corrupt entry {}: {reason}", path.display());
                if let Err(e) = std::fs::remove_file(&path)
                    && e.kind() != io::ErrorKind::NotFound
                {
                    tracing::debug!("layer cache: removing {}: {e}", path.display());
                }
                None
            }
        }
    }

    /// Stores `result` under `key` (a [`layer_key`](microscanner_catalog::layer_key)): written
    /// to a temporary file in the cache directory, synced, then renamed into place, so a reader
    /// sees the old entry, the new one, or none.
    pub fn put(&self, key: &str, result: &LayerResult) -> Result<(), LayerCacheError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| LayerCacheError::Io { path: self.dir.clone(), source })?;
        let bytes = encode(result)?;
        microscanner_atomic_file::write(self.entry_path(key), &bytes)
            .map_err(|e| LayerCacheError::Io { path: e.path, source: e.source })
    }

    /// Claims the layer of `key` ([`LayerStore::claim`]), waiting at most `wait` for another
    /// holder; `None` when the lock file cannot be opened or locked, or the wait ran out.
    pub fn claim_within(&self, key: &str, wait: Duration) -> Option<LayerClaim> {
        let dir = self.dir.join(LOCK_DIR);
        let path = dir.join(format!("{key}.lock"));
        let opened = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path));
        let file = match opened {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!("layer cache: opening {}: {e}", path.display());
                return None;
            }
        };
        let start = std::time::Instant::now();
        let mut pause = Duration::from_millis(10);
        let mut announced = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                    if !announced {
                        tracing::debug!("layer cache: waiting for another process analysing {key}");
                        announced = true;
                    }
                    std::thread::sleep(pause.min(wait.saturating_sub(start.elapsed())));
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    tracing::info!(
                        "layer cache: another process has held layer {key} for {wait:?}; analysing it here too"
                    );
                    return None;
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    tracing::debug!("layer cache: locking {}: {e}", path.display());
                    return None;
                }
            }
        }
        // The lock file's mtime says when it was last claimed: eviction sweeps old, free ones.
        let _ = file.set_modified(SystemTime::now());
        Some(LayerClaim::new(file))
    }

    /// The number and total size of the entries.
    pub fn usage(&self) -> Result<EntryTotals, LayerCacheError> {
        let entries = self.entries()?;
        Ok(EntryTotals { entries: entries.len() as u64, bytes: entries.iter().map(|e| e.size).sum() })
    }

    /// Removes least recently used entries until the entries total at most `max_bytes`, and
    /// temporary files left by killed processes. Returns what was removed.
    pub fn evict(&self, max_bytes: u64) -> Result<EntryTotals, LayerCacheError> {
        let mut entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        let mut removed = EntryTotals::default();
        entries.sort_by(|a, b| (a.used, &a.path).cmp(&(b.used, &b.path)));
        for entry in entries {
            if total <= max_bytes {
                break;
            }
            match std::fs::remove_file(&entry.path) {
                Ok(()) => {
                    removed.entries += 1;
                    removed.bytes += entry.size;
                }
                // Another process removed it first: it no longer counts either way.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => return Err(LayerCacheError::Io { path: entry.path, source }),
            }
            total = total.saturating_sub(entry.size);
        }
        // By age only: the cache may be a volume shared with other containers, whose process
        // ids say nothing here.
        microscanner_atomic_file::sweep_stale_in(&self.dir, Stale::After(STALE_TEMP));
        self.remove_free_locks(if max_bytes == 0 { Duration::ZERO } else { STALE_TEMP });
        Ok(removed)
    }

    /// Removes every entry (and stale temporary file). Returns what was removed.
    pub fn clear(&self) -> Result<EntryTotals, LayerCacheError> {
        self.evict(0)
    }

    /// The entries in the directory (none when it does not exist).
    fn entries(&self) -> Result<Vec<Entry>, LayerCacheError> {
        let read = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(LayerCacheError::Io { path: self.dir.clone(), source }),
        };
        let mut entries = Vec::new();
        for item in read {
            let item = item.map_err(|source| LayerCacheError::Io { path: self.dir.clone(), source })?;
            let name = item.file_name();
            if !name.to_str().is_some_and(|n| n.ends_with(ENTRY_SUFFIX) && !n.starts_with('.')) {
                continue;
            }
            // An entry removed by another process between listing and stat is skipped.
            let Ok(meta) = item.metadata() else { continue };
            if meta.is_file() {
                let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                entries.push(Entry { path: item.path(), size: meta.len(), used });
            }
        }
        Ok(entries)
    }

    /// Removes lock files not claimed for `age` that no process holds now. A process that opened
    /// one just before it went may lock a file no longer in the directory: that costs at most a
    /// layer analysed twice, never a wrong entry.
    fn remove_free_locks(&self, age: Duration) {
        let Ok(read) = std::fs::read_dir(self.dir.join(LOCK_DIR)) else { return };
        for item in read.flatten() {
            if microscanner_atomic_file::unused_for(&item).is_none_or(|elapsed| elapsed < age) {
                continue;
            }
            let Ok(file) = std::fs::OpenOptions::new().write(true).open(item.path()) else { continue };
            if file.try_lock().is_ok() {
                let _ = std::fs::remove_file(item.path());
            }
        }
    }
}

/// One entry file.
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    size: u64,
    used: SystemTime,
}

/// Marks an entry as just used (its mtime is the LRU clock). Best effort.
fn touch(path: &Path) {
    let result = std::fs::OpenOptions::new().append(true).open(path).and_then(|f| f.set_modified(SystemTime::now()));
    if let Err(e) = result {
        tracing::debug!("layer cache: touching {}: {e}", path.display());
    }
}

/// The stored form of a [`LayerResult`]. Mirrors it rather than deriving serde on the public
/// types, because `Package::files` is not serialised in documents but must survive here.
#[derive(Debug, Serialize, Deserialize)]
struct StoredLayer {
    format: u32,
    records: Vec<StoredRecord>,
    written: BTreeSet<String>,
    whiteouts: Vec<String>,
    opaque_dirs: Vec<String>,
    symlinks: BTreeMap<String, String>,
    diagnostics: Vec<Diagnostic>,
}

/// The stored form of a [`Record`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StoredRecord {
    Packages { path: String, packages: Vec<StoredPackage> },
    OwnedFiles { path: String, package: String, files: Vec<String> },
    Licenses { path: String, package: String, licenses: Vec<String> },
    Dependencies { path: String, requires: Vec<Requires> },
    Os { path: String, priority: u8, os: OsInfo },
}

/// A package with its owned files, which `Package`'s own serde skips.
#[derive(Debug, Serialize, Deserialize)]
struct StoredPackage {
    package: Package,
    files: Vec<String>,
}

/// Encodes a result: JSON, zstd-compressed.
fn encode(result: &LayerResult) -> Result<Vec<u8>, LayerCacheError> {
    let records = result
        .records
        .iter()
        .map(|r| match r {
            Record::Packages { path, packages } => StoredRecord::Packages {
                path: path.clone(),
                packages: packages
                    .iter()
                    .map(|p| StoredPackage { package: p.clone(), files: p.files().to_vec() })
                    .collect(),
            },
            Record::OwnedFiles { path, package, files } => {
                StoredRecord::OwnedFiles { path: path.clone(), package: package.clone(), files: files.clone() }
            }
            Record::Dependencies { path, requires } => {
                StoredRecord::Dependencies { path: path.clone(), requires: requires.clone() }
            }
            Record::Licenses { path, package, licenses } => {
                StoredRecord::Licenses { path: path.clone(), package: package.clone(), licenses: licenses.clone() }
            }
            Record::Os { path, priority, os } => {
                StoredRecord::Os { path: path.clone(), priority: *priority, os: os.clone() }
            }
        })
        .collect();
    let stored = StoredLayer {
        format: FORMAT_VERSION,
        records,
        written: result.written.clone(),
        whiteouts: result.whiteouts.clone(),
        opaque_dirs: result.opaque_dirs.clone(),
        symlinks: result.symlinks.clone(),
        diagnostics: result.diagnostics.clone(),
    };
    let json = serde_json::to_vec(&stored)?;
    zstd::bulk::compress(&json, 3).map_err(|source| LayerCacheError::Io { path: PathBuf::from("<zstd>"), source })
}

/// Decodes an entry; the error says why it is unusable.
fn decode(bytes: &[u8]) -> Result<LayerResult, String> {
    use std::io::Read as _;
    let decoder = zstd::stream::read::Decoder::new(bytes).map_err(|e| e.to_string())?;
    let mut json = Vec::new();
    decoder.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut json).map_err(|e| format!("decompressing: {e}"))?;
    if json.len() as u64 > MAX_ENTRY_BYTES {
        return Err("entry too large".into());
    }
    let stored: StoredLayer = serde_json::from_slice(&json).map_err(|e| format!("decoding: {e}"))?;
    if stored.format != FORMAT_VERSION {
        return Err(format!("format {} instead of {FORMAT_VERSION}", stored.format));
    }
    let records = stored
        .records
        .into_iter()
        .map(|r| match r {
            StoredRecord::Packages { path, packages } => Record::Packages {
                path,
                packages: packages
                    .into_iter()
                    .map(|StoredPackage { mut package, files }| {
                        package.set_files(files);
                        package
                    })
                    .collect(),
            },
            StoredRecord::OwnedFiles { path, package, files } => Record::OwnedFiles { path, package, files },
            StoredRecord::Dependencies { path, requires } => Record::Dependencies { path, requires },
            StoredRecord::Licenses { path, package, licenses } => Record::Licenses { path, package, licenses },
            StoredRecord::Os { path, priority, os } => Record::Os { path, priority, os },
        })
        .collect();
    Ok(LayerResult {
        records,
        written: stored.written,
        whiteouts: stored.whiteouts,
        opaque_dirs: stored.opaque_dirs,
        symlinks: stored.symlinks,
        diagnostics: stored.diagnostics,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use microscanner_catalog::{
        CatalogOptions, LayerStats, analyze_layer, build_inventory, build_inventory_cached, default_analyzers,
        layer_key,
    };
    use microscanner_image::Limits;
    use microscanner_model::PackageKind;
    use microscanner_testkit::{LayerBuilder, TestLayer, write_oci_layout};

    use super::*;

    /// Two keys as [`layer_key`] makes them (64 hex digits).
    const KEY: &str = "5b3d0bd0d9e3a3c25e8bc4d4f8e1fd8a1c3f1fd83d3f1f8e0f1cf1d0d2e3b4a5";
    const OTHER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    fn sample() -> LayerResult {
        let package = Package::new(PackageKind::Deb, "curl", "7.88.1-10")
            .with_arch(Some("amd64"))
            .with_licenses(vec!["MIT".into()])
            .with_location("/var/lib/dpkg/status")
            .with_files(vec!["/usr/bin/curl".into()]);
        LayerResult {
            records: vec![
                Record::Packages { path: "var/lib/dpkg/status".into(), packages: vec![package] },
                Record::OwnedFiles {
                    path: "var/lib/dpkg/info/curl.list".into(),
                    package: "curl".into(),
                    files: vec!["/usr/bin/curl".into()],
                },
                Record::Os { path: "etc/os-release".into(), priority: 2, os: OsInfo::default() },
            ],
            written: ["var/lib/dpkg/status".to_owned()].into(),
            whiteouts: vec!["etc/gone".into()],
            opaque_dirs: vec!["opt/app".into()],
            symlinks: [("bin".to_owned(), "usr/bin".to_owned())].into(),
            diagnostics: vec![Diagnostic::warning("/x", "broken")],
        }
    }

    #[test]
    fn round_trip_keeps_everything_including_owned_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path().join("layers"));
        assert_eq!(cache.get("k"), None);
        cache.put("k", &sample()).unwrap();
        assert_eq!(cache.get("k"), Some(sample()));
        assert_eq!(cache.usage().unwrap().entries, 1);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(cache.dir()).unwrap().count(), 1);
    }

    #[test]
    fn a_corrupt_entry_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        cache.put("k", &sample()).unwrap();
        let path = cache.entry_path("k");
        std::fs::write(&path, b"garbage, not zstd").unwrap();
        assert_eq!(cache.get("k"), None);
        assert!(!path.exists(), "the corrupt entry is removed");
        // Valid zstd around invalid JSON is discarded too.
        std::fs::write(&path, zstd::bulk::compress(b"{\"format\":1", 3).unwrap()).unwrap();
        assert_eq!(cache.get("k"), None);
        assert!(!path.exists());
        cache.put("k", &sample()).unwrap();
        assert_eq!(cache.get("k"), Some(sample()));
    }

    #[test]
    fn eviction_removes_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        let base = SystemTime::now() - Duration::from_secs(1000);
        for (n, key) in ["a", "b", "c"].iter().enumerate() {
            cache.put(key, &sample()).unwrap();
            let f = std::fs::OpenOptions::new().append(true).open(cache.entry_path(key)).unwrap();
            f.set_modified(base + Duration::from_secs(10 * n as u64)).unwrap();
        }
        // A hit makes `a` the most recently used.
        assert!(cache.get("a").is_some());
        let size = cache.usage().unwrap().bytes / 3;
        let removed = cache.evict(2 * size).unwrap();
        assert_eq!(removed.entries, 1);
        assert!(!cache.entry_path("b").exists(), "b was the least recently used");
        assert!(cache.entry_path("a").exists() && cache.entry_path("c").exists());
        cache.evict(size).unwrap();
        assert!(!cache.entry_path("c").exists());
        assert!(cache.entry_path("a").exists());
        assert_eq!(cache.clear().unwrap().entries, 1);
        assert_eq!(cache.usage().unwrap(), EntryTotals::default());
    }

    #[test]
    fn eviction_sweeps_temporaries_left_by_killed_processes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        cache.put(KEY, &sample()).unwrap();
        let temp = |name: &str, age: Duration| {
            let path = dir.path().join(name);
            std::fs::write(&path, b"half an entry").unwrap();
            let f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            f.set_modified(SystemTime::now() - age).unwrap();
            path
        };
        let me = std::process::id();
        let stale = temp(&format!(".{KEY}.json.zst.tmp-{me}-abcdef"), 2 * STALE_TEMP);
        let fresh = temp(&format!(".{OTHER_KEY}.json.zst.tmp-{me}-abcdef"), Duration::ZERO);
        assert_eq!(cache.usage().unwrap().entries, 1, "temporaries are not entries");
        assert_eq!(cache.evict(u64::MAX).unwrap(), EntryTotals::default());
        assert!(!stale.exists(), "a temporary older than an hour is removed");
        assert!(fresh.exists(), "one being written now is kept");
        assert_eq!(cache.get(KEY), Some(sample()));
    }

    #[test]
    fn cached_layers_are_not_opened_and_results_are_equal() {
        let status = b"Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\nArchitecture: amd64\n\n";
        let base = LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n")
            .file("var/lib/dpkg/status", status)
            .build();
        let app = LayerBuilder::new().file("app/package-lock.json", b"{}").build();
        let image_dir = tempfile::tempdir().unwrap();
        let digests = write_oci_layout(image_dir.path(), &[TestLayer::new(base, "base"), TestLayer::new(app, "app")]);
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(cache_dir.path());
        let options = CatalogOptions::default();
        let analyzers = default_analyzers();
        let target = format!("oci:{}", image_dir.path().display());
        let image = microscanner_image::open(&target, &options.limits).unwrap();
        let plain = build_inventory(&image, &analyzers, &options, &|_| {}).unwrap();
        let (cold, stats) = build_inventory_cached(&image, &analyzers, &options, Some(&cache), &|_, _| {}).unwrap();
        assert_eq!(stats, LayerStats { analysed: 2, cached: 0, store_failures: 0 });
        assert_eq!(cold, plain);
        assert!(plain.packages.iter().any(|p| p.name == "curl"));
        // Damage the base blob: a walk would fail its digest check, but a cached layer is not read.
        let blob = image_dir.path().join("blobs/sha256").join(&digests[0]["sha256:".len()..]);
        let size = std::fs::metadata(&blob).unwrap().len();
        std::fs::write(&blob, vec![b'x'; usize::try_from(size).unwrap()]).unwrap();
        let image = microscanner_image::open(&target, &options.limits).unwrap();
        let (warm, stats) = build_inventory_cached(&image, &analyzers, &options, Some(&cache), &|_, _| {}).unwrap();
        assert_eq!(stats, LayerStats { analysed: 0, cached: 2, store_failures: 0 });
        assert_eq!(warm, plain);
        assert!(build_inventory(&image, &analyzers, &options, &|_| {}).is_err());
    }

    #[test]
    fn a_claim_excludes_other_claimants_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        let held = cache.claim_within(KEY, Duration::ZERO).unwrap();
        // flock locks belong to the open file, so a second open in this process is refused too.
        assert!(cache.claim_within(KEY, Duration::from_millis(50)).is_none());
        assert!(cache.claim_within(OTHER_KEY, Duration::ZERO).is_some(), "claims are per key");
        // Cleaning keeps a held lock file and removes free ones.
        cache.clear().unwrap();
        let locks = |cache: &LayerCache| std::fs::read_dir(cache.dir().join(LOCK_DIR)).unwrap().count();
        assert_eq!(locks(&cache), 1);
        drop(held);
        assert!(cache.claim_within(KEY, Duration::ZERO).is_some());
        cache.clear().unwrap();
        assert_eq!(locks(&cache), 0);
        // A status never counts lock files as entries.
        assert_eq!(cache.usage().unwrap(), EntryTotals::default());
    }

    #[test]
    fn a_scan_waiting_for_a_claim_reads_the_entry_instead_of_analysing() {
        let layer = LayerBuilder::new()
            .file("var/lib/dpkg/status", b"Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\n\n")
            .build();
        let image_dir = tempfile::tempdir().unwrap();
        write_oci_layout(image_dir.path(), &[TestLayer::new(layer, "base")]);
        let image =
            microscanner_image::open(&format!("oci:{}", image_dir.path().display()), &Limits::default()).unwrap();
        let (options, analyzers) = (CatalogOptions::default(), default_analyzers());
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(cache_dir.path());
        let key = layer_key(&image.layers[0].diff_id, &analyzers, &options.limits).unwrap();
        // Another scan holds the claim and is analysing the layer.
        let claim = cache.claim(&key).unwrap();
        let expected = analyze_layer(&image.layers[0], &analyzers, &options.limits).unwrap();
        let (inventory, stats) = std::thread::scope(|s| {
            let waiting = s.spawn(|| build_inventory_cached(&image, &analyzers, &options, Some(&cache), &|_, _| {}));
            std::thread::sleep(Duration::from_millis(300));
            cache.put(&key, &expected).unwrap();
            drop(claim);
            waiting.join().unwrap().unwrap()
        });
        assert_eq!(stats, LayerStats { analysed: 0, cached: 1, store_failures: 0 });
        assert_eq!(inventory, build_inventory(&image, &analyzers, &options, &|_| {}).unwrap());
        assert!(inventory.packages.iter().any(|p| p.name == "curl"));
    }
}
