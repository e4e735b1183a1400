//! The layer cache: what [`analyze_layer`](crate::analyze_layer) returned for a layer, stored
//! on disk so a rescan reads only the layers it has not seen.
//!
//! An entry is keyed by a sha256 over the layer's diffID, every analyzer's id and version (in
//! order), the limits that bound the walk, the crate version and [`FORMAT_VERSION`]; a change in
//! any of them is a different key, never a stale hit. An entry is one file, `KEY.json.zst`
//! (zstd-compressed JSON), written beside its final name and renamed into place, so concurrent
//! processes never see half an entry. An entry that cannot be read back is removed and the layer
//! analysed again: the cache is never trusted blindly. Hits refresh the file's mtime; eviction
//! removes the least recently used entries until the cache fits its size bound.
//!
//! Only layers with a content digest (`sha256:…` diffID) are cached: a `dir:` root filesystem
//! can change under the same name.
//!
//! A process about to analyse a layer first claims it ([`LayerStore::claim`]): an exclusive
//! advisory lock on `.locks/KEY.lock`. Another process that wants the same layer waits for the
//! claim (at most [`CLAIM_WAIT`]), then reads the entry the first one wrote instead of analysing
//! the layer again. The lock only saves work: correctness rests on the atomic rename, so a
//! process that cannot lock (a file system without locks, a claim held too long) analyses anyway.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use microscanner_image::Limits;
use microscanner_model::{Diagnostic, OsInfo, Package};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{Analyzer, LayerResult, Record};

/// Bumped whenever the stored form or the meaning of a [`LayerResult`] changes.
pub const FORMAT_VERSION: u32 = 2;

/// The file name suffix of a cache entry.
const ENTRY_SUFFIX: &str = ".json.zst";

/// Temporary files older than this are leftovers of a killed process and may be removed.
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
pub enum CacheError {
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

/// The cache directory's contents, as [`LayerCache::status`] reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStatus {
    /// Number of entries.
    pub entries: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// Where analysed layers are kept so an image (or the next platform of an index) does not read
/// them again: [`LayerCache`] on disk, across runs; [`MemoryLayerCache`] within one run.
pub trait LayerStore: Sync {
    /// The stored result for `key` (from [`LayerCache::key`]), if there is a usable one.
    fn get(&self, key: &str) -> Option<LayerResult>;
    /// Stores `result` under `key`.
    fn put(&self, key: &str, result: &LayerResult) -> Result<(), CacheError>;
    /// Claims the analysis of the layer of `key` against other processes sharing the store,
    /// waiting while another one holds it. The claim lasts until the returned value is dropped;
    /// the caller looks the key up again once it holds it. `None`: nothing to claim (a store no
    /// other process sees, or locking is unavailable), so the caller just analyses.
    fn claim(&self, _key: &str) -> Option<LayerClaim> {
        None
    }
}

/// A held claim on one layer's analysis ([`LayerStore::claim`]): an exclusive lock on a lock
/// file, released when this is dropped (or the process ends, however it ends).
#[derive(Debug)]
pub struct LayerClaim {
    _file: std::fs::File,
}

/// Layer results kept in memory for one run: with `--no-cache`, the platforms of an index still
/// share the layers they have in common, and nothing is written to disk.
#[derive(Debug, Default)]
pub struct MemoryLayerCache {
    results: std::sync::Mutex<std::collections::HashMap<String, LayerResult>>,
}

impl LayerStore for MemoryLayerCache {
    fn get(&self, key: &str) -> Option<LayerResult> {
        self.results.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: &str, result: &LayerResult) -> Result<(), CacheError> {
        // A poisoned lock only means another thread panicked mid-insert: skip storing.
        if let Ok(mut results) = self.results.lock() {
            results.insert(key.to_owned(), result.clone());
        }
        Ok(())
    }
}

impl LayerStore for LayerCache {
    fn get(&self, key: &str) -> Option<LayerResult> {
        Self::get(self, key)
    }

    fn put(&self, key: &str, result: &LayerResult) -> Result<(), CacheError> {
        Self::put(self, key, result)
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

    /// The key of a layer, or `None` when the layer cannot be cached (no content digest).
    pub fn key(diff_id: &str, analyzers: &[Box<dyn Analyzer>], limits: &Limits) -> Option<String> {
        let hex_part = diff_id.strip_prefix("sha256:")?;
        if hex_part.len() != 64 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        field(b"microscanner-layer-cache");
        field(&FORMAT_VERSION.to_le_bytes());
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

    /// Stores `result` under `key`: written to a temporary file in the cache directory, then
    /// renamed into place, so a reader sees the old entry, the new one, or none.
    pub fn put(&self, key: &str, result: &LayerResult) -> Result<(), CacheError> {
        let io_err = |path: &Path| {
            let path = path.to_owned();
            move |source| CacheError::Io { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let bytes = encode(result)?;
        let tmp = self.dir.join(format!(".tmp-{}-{}-{key}", std::process::id(), next_serial()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| f.write_all(&bytes)).map_err(io_err(&tmp));
        let renamed = written.and_then(|()| std::fs::rename(&tmp, self.entry_path(key)).map_err(io_err(&tmp)));
        if renamed.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        renamed
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
        Some(LayerClaim { _file: file })
    }

    /// The number and total size of the entries.
    pub fn status(&self) -> Result<CacheStatus, CacheError> {
        let entries = self.entries()?;
        Ok(CacheStatus { entries: entries.len() as u64, bytes: entries.iter().map(|e| e.size).sum() })
    }

    /// Removes least recently used entries until the entries total at most `max_bytes`, and
    /// temporary files left by killed processes. Returns what was removed.
    pub fn evict(&self, max_bytes: u64) -> Result<CacheStatus, CacheError> {
        let mut entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.size).sum();
        let mut removed = CacheStatus::default();
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
                Err(source) => return Err(CacheError::Io { path: entry.path, source }),
            }
            total = total.saturating_sub(entry.size);
        }
        self.remove_stale_temps();
        self.remove_free_locks(if max_bytes == 0 { Duration::ZERO } else { STALE_TEMP });
        Ok(removed)
    }

    /// Removes every entry (and stale temporary file). Returns what was removed.
    pub fn clear(&self) -> Result<CacheStatus, CacheError> {
        self.evict(0)
    }

    /// The entries in the directory (none when it does not exist).
    fn entries(&self) -> Result<Vec<Entry>, CacheError> {
        let read = match std::fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(CacheError::Io { path: self.dir.clone(), source }),
        };
        let mut entries = Vec::new();
        for item in read {
            let item = item.map_err(|source| CacheError::Io { path: self.dir.clone(), source })?;
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
            if unused_for(&item).is_none_or(|elapsed| elapsed < age) {
                continue;
            }
            let Ok(file) = std::fs::OpenOptions::new().write(true).open(item.path()) else { continue };
            if file.try_lock().is_ok() {
                let _ = std::fs::remove_file(item.path());
            }
        }
    }

    /// Removes temporary files older than [`STALE_TEMP`] (a process killed mid-write).
    fn remove_stale_temps(&self) {
        let Ok(read) = std::fs::read_dir(&self.dir) else { return };
        for item in read.flatten() {
            let is_temp = item.file_name().to_str().is_some_and(|n| n.starts_with(".tmp-"));
            let stale = unused_for(&item).is_some_and(|age| age > STALE_TEMP);
            if is_temp && stale {
                let _ = std::fs::remove_file(item.path());
            }
        }
    }
}

/// How long ago the file of a directory entry was last modified: the age by which stale
/// temporary files, lock files and engine exports are swept. `None` when unknown (or in the future).
pub fn unused_for(item: &std::fs::DirEntry) -> Option<Duration> {
    item.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok())
}

/// One entry file.
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    size: u64,
    used: SystemTime,
}

/// A process-wide counter for unique temporary file names.
fn next_serial() -> u64 {
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    SERIAL.fetch_add(1, Ordering::Relaxed)
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
    Os { path: String, priority: u8, os: OsInfo },
}

/// A package with its owned files, which `Package`'s own serde skips.
#[derive(Debug, Serialize, Deserialize)]
struct StoredPackage {
    package: Package,
    files: Vec<String>,
}

/// Encodes a result: JSON, zstd-compressed.
fn encode(result: &LayerResult) -> Result<Vec<u8>, CacheError> {
    let records = result
        .records
        .iter()
        .map(|r| match r {
            Record::Packages { path, packages } => StoredRecord::Packages {
                path: path.clone(),
                packages: packages
                    .iter()
                    .map(|p| StoredPackage { package: p.clone(), files: p.files.clone() })
                    .collect(),
            },
            Record::OwnedFiles { path, package, files } => {
                StoredRecord::OwnedFiles { path: path.clone(), package: package.clone(), files: files.clone() }
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
    zstd::bulk::compress(&json, 3).map_err(|source| CacheError::Io { path: PathBuf::from("<zstd>"), source })
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
                        package.files = files;
                        package
                    })
                    .collect(),
            },
            StoredRecord::OwnedFiles { path, package, files } => Record::OwnedFiles { path, package, files },
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

    use microscanner_model::{Evidence, PackageKind};
    use microscanner_testkit::{LayerBuilder, TestLayer, write_oci_layout};

    use super::*;
    use crate::{CatalogOptions, LayerStats, build_inventory, build_inventory_cached, default_analyzers};

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

    fn sample() -> LayerResult {
        let package = Package {
            kind: PackageKind::Deb,
            name: "curl".into(),
            version: "7.88.1-10".into(),
            arch: Some("amd64".into()),
            source_name: None,
            source_version: None,
            licenses: vec!["MIT".into()],
            purl: String::new(),
            location: "/var/lib/dpkg/status".into(),
            evidence: Evidence::Installed,
            layer: None,
            files: vec!["/usr/bin/curl".into()],
        };
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
    fn key_is_stable_and_covers_its_inputs() {
        let one: Vec<Box<dyn Analyzer>> = vec![Box::new(Fake(1))];
        let two: Vec<Box<dyn Analyzer>> = vec![Box::new(Fake(2))];
        let limits = Limits::default();
        let key = LayerCache::key(DIFF_ID, &one, &limits).unwrap();
        assert_eq!(key.len(), 64);
        assert_eq!(Some(key.clone()), LayerCache::key(DIFF_ID, &one, &limits));
        assert_ne!(Some(key.clone()), LayerCache::key(DIFF_ID, &two, &limits));
        let other = DIFF_ID.replace("0123", "3210");
        assert_ne!(Some(key.clone()), LayerCache::key(&other, &one, &limits));
        let tighter = Limits { max_entries: 5, ..Limits::default() };
        assert_ne!(Some(key.clone()), LayerCache::key(DIFF_ID, &one, &tighter));
        assert_ne!(Some(key), LayerCache::key(DIFF_ID, &default_analyzers(), &limits));
        // A root filesystem (or anything without a content digest) is never cached.
        assert_eq!(LayerCache::key("dir:/srv/root", &one, &limits), None);
        assert_eq!(LayerCache::key("sha256:abc", &one, &limits), None);
    }

    #[test]
    fn round_trip_keeps_everything_including_owned_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path().join("layers"));
        assert_eq!(cache.get("k"), None);
        cache.put("k", &sample()).unwrap();
        assert_eq!(cache.get("k"), Some(sample()));
        assert_eq!(cache.status().unwrap().entries, 1);
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
        let size = cache.status().unwrap().bytes / 3;
        let removed = cache.evict(2 * size).unwrap();
        assert_eq!(removed.entries, 1);
        assert!(!cache.entry_path("b").exists(), "b was the least recently used");
        assert!(cache.entry_path("a").exists() && cache.entry_path("c").exists());
        cache.evict(size).unwrap();
        assert!(!cache.entry_path("c").exists());
        assert!(cache.entry_path("a").exists());
        assert_eq!(cache.clear().unwrap().entries, 1);
        assert_eq!(cache.status().unwrap(), CacheStatus::default());
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
        let key = LayerCache::key(DIFF_ID, &[], &Limits::default()).unwrap();
        let held = cache.claim_within(&key, Duration::ZERO).unwrap();
        // flock locks belong to the open file, so a second open in this process is refused too.
        assert!(cache.claim_within(&key, Duration::from_millis(50)).is_none());
        let other = LayerCache::key(DIFF_ID, &[Box::new(Fake(2))], &Limits::default()).unwrap();
        assert!(cache.claim_within(&other, Duration::ZERO).is_some(), "claims are per key");
        // Cleaning keeps a held lock file and removes free ones.
        cache.clear().unwrap();
        let locks = |cache: &LayerCache| std::fs::read_dir(cache.dir().join(LOCK_DIR)).unwrap().count();
        assert_eq!(locks(&cache), 1);
        drop(held);
        assert!(cache.claim_within(&key, Duration::ZERO).is_some());
        cache.clear().unwrap();
        assert_eq!(locks(&cache), 0);
        // A status never counts lock files as entries.
        assert_eq!(cache.status().unwrap(), CacheStatus::default());
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
        let key = LayerCache::key(&image.layers[0].diff_id, &analyzers, &options.limits).unwrap();
        // Another scan holds the claim and is analysing the layer.
        let claim = cache.claim(&key).unwrap();
        let expected = crate::analyze_layer(&image.layers[0], &analyzers, &options.limits).unwrap();
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

    #[test]
    fn a_layer_repeated_in_one_image_is_analysed_once() {
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
        let walked = std::sync::atomic::AtomicUsize::new(0);
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
