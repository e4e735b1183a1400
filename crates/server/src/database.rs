//! The vulnerability database as the service holds it: opened read-only, a small pool of
//! connections (a SQLite connection serves one thread at a time), and a switch to a new file
//! when `microscanner db update` renames one into place.
//!
//! The switch: before each scan (at most once a second) the server compares the file's identity
//! (device, inode, size, modification time) with the one it loaded; `SIGHUP` forces the check.
//! A changed file is opened and checked *before* it replaces the old one, requests in flight keep
//! the generation they started with (the old file stays readable through its open descriptors
//! after the rename), and a file that fails to open leaves the old one serving, with an error in
//! the log. So no request is dropped and none is answered from half a database.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use microscanner_model::DatabaseInfo;
use microscanner_vulndb::Database;

use crate::report::database_info;

/// How often the file's identity is compared at most.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// What identifies one version of the database file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

fn identity(path: &Path) -> std::io::Result<FileIdentity> {
    use std::os::unix::fs::MetadataExt as _;
    let m = std::fs::metadata(path)?;
    Ok(FileIdentity {
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
    })
}

/// The compressed export of one generation (`GET /api/v1/db/download`).
#[derive(Debug, Clone)]
pub struct ExportFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// The manifest inside (the database file's sha256 and size).
    pub manifest: microscanner_vulndb::Manifest,
}

/// The delta from the previous generation to this one (`GET /api/v1/db/download?since=`).
#[derive(Debug, Clone)]
pub struct DeltaFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its header (the versions it goes from and to).
    pub header: microscanner_vulndb::DeltaHeader,
}

/// A hard link to one generation's file in a scratch directory (removed with the last user).
type Snapshot = Arc<(tempfile::TempDir, PathBuf)>;

/// One loaded version of the database file.
#[derive(Debug)]
pub struct Generation {
    identity: FileIdentity,
    /// A hard link to this version's file in a scratch directory beside it, so the export and
    /// its digest are of the file this generation serves even after `db update` replaced it.
    snapshot: Option<Snapshot>,
    /// The previous generation's snapshot, kept to make the delta from it to this one.
    previous: Option<Snapshot>,
    export: tokio::sync::OnceCell<ExportFile>,
    /// The delta from the previous generation, made on first use; `None` when there is none.
    delta: tokio::sync::OnceCell<Option<DeltaFile>>,
    /// The version of this generation (its content digest), computed on first use.
    version: tokio::sync::OnceCell<String>,
    /// What reports say about it.
    pub info: DatabaseInfo,
    /// `GET /api/v1/db`'s document.
    pub metadata: serde_json::Value,
    /// When it was loaded.
    pub loaded_at: Instant,
    /// Idle connections.
    pool: Mutex<Vec<Database>>,
    path: PathBuf,
    /// [`Generation::watch_key`], made on first use.
    watch_key: std::sync::OnceLock<String>,
}

/// Hard-links `path` into a new scratch directory beside it; `None` (logged) when the directory
/// is not writable.
fn snapshot(path: &Path) -> Option<(tempfile::TempDir, PathBuf)> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let made = tempfile::Builder::new().prefix(".microscanner-serve-").tempdir_in(parent).and_then(|dir| {
        let link = dir.path().join("microscanner.db");
        std::fs::hard_link(path, &link)?;
        Ok((dir, link))
    });
    made.map_err(|e| tracing::warn!("no snapshot of {} (downloads unavailable): {e}", path.display())).ok()
}

/// A connection lent out of a [`Generation`]'s pool; returned when dropped.
pub struct Lease {
    generation: Arc<Generation>,
    db: Option<Database>,
}

impl Lease {
    /// The connection.
    pub fn db(&self) -> &Database {
        // Always `Some` until dropped.
        self.db.as_ref().unwrap_or_else(|| unreachable!("lease used after drop"))
    }

    /// The generation this connection belongs to.
    pub fn generation(&self) -> &Generation {
        &self.generation
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let (Some(db), Ok(mut pool)) = (self.db.take(), self.generation.pool.lock()) {
            pool.push(db);
        }
    }
}

impl Generation {
    fn load(path: &Path, previous: Option<Snapshot>) -> Result<Self, microscanner_vulndb::Error> {
        let identity =
            identity(path).map_err(|e| microscanner_vulndb::Error::Io { path: path.to_owned(), source: e })?;
        let db = Database::open(path)?;
        let info = database_info(&db)?;
        let metadata = serde_json::json!({
            "schema_version": info.schema_version,
            "built_at": info.built_at,
            "sources": info.sources,
            "size": identity.size,
        });
        let snapshot = snapshot(path).map(Arc::new);
        Ok(Self {
            identity,
            snapshot,
            previous,
            export: tokio::sync::OnceCell::new(),
            delta: tokio::sync::OnceCell::new(),
            version: tokio::sync::OnceCell::new(),
            info,
            metadata,
            loaded_at: Instant::now(),
            pool: Mutex::new(vec![db]),
            path: path.into(),
            watch_key: std::sync::OnceLock::new(),
        })
    }

    /// The name re-evaluation gives this generation (`crate::watch`): `sha256:HEX` of the file's
    /// content (through this generation's snapshot, so it is of the file served even after a
    /// replacement), so replicas loading the same file agree and the same content loaded again
    /// is not evaluated again; the build time when there is no snapshot. Hashes the file on
    /// first use: call it off the async threads.
    pub fn watch_key(&self) -> String {
        self.watch_key
            .get_or_init(|| {
                let hashed = self.snapshot.as_ref().map(|snap| microscanner_vulndb::hash_file(&snap.1));
                match hashed {
                    Some(Ok((sha, _))) => format!("sha256:{sha}"),
                    Some(Err(e)) => {
                        tracing::warn!("watch: hashing the database failed, naming it by its build time: {e}");
                        format!("built:{}", self.info.built_at)
                    }
                    None => format!("built:{}", self.info.built_at),
                }
            })
            .clone()
    }

    /// The compressed export of this generation, made on first use (and kept with it).
    pub async fn export(self: &Arc<Self>) -> Result<&ExportFile, String> {
        self.export
            .get_or_try_init(|| async {
                let snap = self.snapshot.as_ref().ok_or("no snapshot of the database file could be made")?;
                let (file, out) = (snap.1.clone(), snap.0.path().join("microscanner-db.tar.zst"));
                tokio::task::spawn_blocking(move || {
                    let manifest = microscanner_vulndb::export(&file, &out).map_err(|e| e.to_string())?;
                    let size = std::fs::metadata(&out).map_err(|e| e.to_string())?.len();
                    Ok(ExportFile { path: out, size, manifest })
                })
                .await
                .map_err(|e| e.to_string())?
            })
            .await
    }

    /// This generation's version (`microscanner_vulndb::content_version`), computed on first use
    /// (one read of the file).
    pub async fn version(self: &Arc<Self>) -> Result<&String, String> {
        self.version
            .get_or_try_init(|| async {
                let snap = self.snapshot.as_ref().ok_or("no snapshot of the database file could be made")?;
                let file = snap.1.clone();
                tokio::task::spawn_blocking(move || {
                    microscanner_vulndb::content_version(&file).map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?
            })
            .await
    }

    /// The delta from the previous generation to this one, made on first use (and kept with
    /// it); `None` when this is the first generation loaded or a snapshot is missing.
    pub async fn delta(self: &Arc<Self>) -> Result<Option<&DeltaFile>, String> {
        let made = self
            .delta
            .get_or_try_init(|| async {
                let (Some(snap), Some(previous)) = (self.snapshot.as_ref(), self.previous.as_ref()) else {
                    return Ok::<_, String>(None);
                };
                let (file, base) = (snap.1.clone(), previous.1.clone());
                let out = snap.0.path().join("microscanner-db.delta.zst");
                tokio::task::spawn_blocking(move || {
                    let (header, _) =
                        microscanner_vulndb::export_delta(&base, &file, &out).map_err(|e| e.to_string())?;
                    let size = std::fs::metadata(&out).map_err(|e| e.to_string())?.len();
                    Ok(Some(DeltaFile { path: out, size, header }))
                })
                .await
                .map_err(|e| e.to_string())?
            })
            .await?;
        Ok(made.as_ref())
    }

    /// Borrows a connection (opening another when all are busy).
    pub fn lease(self: &Arc<Self>) -> Result<Lease, microscanner_vulndb::Error> {
        let idle = self.pool.lock().ok().and_then(|mut p| p.pop());
        let db = match idle {
            Some(db) => db,
            None => Database::open(&self.path)?,
        };
        Ok(Lease { generation: Arc::clone(self), db: Some(db) })
    }
}

/// The database the server matches against, switched when its file changes.
#[derive(Debug)]
pub struct DatabaseHandle {
    path: PathBuf,
    current: RwLock<Option<Arc<Generation>>>,
    last_check: Mutex<Option<Instant>>,
}

impl DatabaseHandle {
    /// A handle on `path`; tries to load it now (a missing file is not an error: `/readyz` says
    /// 503 until one appears).
    pub fn new(path: PathBuf) -> Self {
        let handle = Self { path, current: RwLock::new(None), last_check: Mutex::new(None) };
        handle.reload();
        handle
    }

    /// The file it watches.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The generation to serve this request from, after a (rate-limited) identity check.
    pub fn current(&self) -> Option<Arc<Generation>> {
        let due = self.last_check.lock().map_or(true, |mut last| {
            let due = last.is_none_or(|t| t.elapsed() >= CHECK_EVERY);
            if due {
                *last = Some(Instant::now());
            }
            due
        });
        if due {
            self.reload();
        }
        self.loaded()
    }

    /// The loaded generation, without checking the file.
    pub fn loaded(&self) -> Option<Arc<Generation>> {
        self.current.read().ok().and_then(|g| g.clone())
    }

    /// Loads the file again if its identity changed (or nothing is loaded). Returns whether a
    /// new generation was installed. A file that fails to load leaves the old one in place.
    pub fn reload(&self) -> bool {
        let loaded = self.loaded();
        let Ok(now) = identity(&self.path) else {
            if loaded.is_none() {
                tracing::debug!("no database at {} yet", self.path.display());
            }
            return false;
        };
        if loaded.as_ref().is_some_and(|g| g.identity == now) {
            return false;
        }
        let previous = loaded.as_ref().and_then(|g| g.snapshot.clone());
        match Generation::load(&self.path, previous) {
            Ok(generation) => {
                tracing::info!("serving database {} built {}", self.path.display(), generation.info.built_at);
                if let Ok(mut current) = self.current.write() {
                    *current = Some(Arc::new(generation));
                }
                true
            }
            Err(e) => {
                tracing::error!("database {} not loaded, still serving the previous one: {e}", self.path.display());
                false
            }
        }
    }
}
