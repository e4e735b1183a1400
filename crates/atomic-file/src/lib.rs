//! Replacing a file all at once, so that a reader (or the next run) sees the old file or the new
//! one, never half of one, and a run killed midway leaves the old file working.
//!
//! The new content goes to a temporary file in the destination's own directory (a rename is only
//! atomic within one file system), named `.NAME.tmp-PID-XXXXXX` after the destination `NAME`
//! and the writing process; the file is synced, renamed over the destination, and the directory
//! synced so the rename itself survives a crash. Until the rename the destination is untouched;
//! a temporary dropped without a commit (an error, a panic) is removed.
//!
//! * [`AtomicFile`]: write the bytes yourself ([`std::io::Write`]), then [`AtomicFile::commit`].
//! * [`write()`]: the same for bytes already in memory.
//! * [`AtomicPath`]: a temporary for a writer that opens files by name (SQLite), committed the
//!   same way.
//! * [`commit_path`]: the rename step alone, for a finished file written elsewhere.
//!
//! A process killed between create and commit leaves its temporary behind: [`sweep_stale`] (the
//! temporaries of one destination) and [`sweep_stale_in`] (all of them in a directory this
//! program owns) remove those that are [`Stale`] by the caller's rule.
//!
//! New files get the permissions `File::create` would give (`0o666` less the umask), not the
//! `0o600` of a private temporary; [`AtomicFile::set_permissions`] keeps a replaced file's.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What separates the destination's name from the owner's process id in a temporary's name:
/// `.NAME.tmp-PID-XXXXXX`.
const MARKER: &str = ".tmp-";

/// When a temporary counts as left behind by a killed run, for [`sweep_stale`] and
/// [`sweep_stale_in`]. A temporary's name carries the id of the process that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Not modified for this long, whoever made it. For a directory that processes of other
    /// machines or containers may share (a cache volume), where a process id says nothing.
    After(Duration),
    /// Its process is no longer running on this machine (read from `/proc`; where there is
    /// none, this part never applies), or not modified for this long. Cleans up right after a
    /// killed run; a live writer in another PID namespace sharing the directory may look gone,
    /// and then its commit fails (its destination stays as it was).
    OwnerGoneOrAfter(Duration),
}

/// A file operation that failed, naming the destination it was for.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct Error {
    /// The destination being written (or the directory swept).
    pub path: PathBuf,
    /// The underlying error.
    pub source: io::Error,
}

impl Error {
    fn new(path: &Path, source: io::Error) -> Self {
        Self { path: path.to_path_buf(), source }
    }
}

/// A new version of a file, written to a temporary beside it and renamed over it by
/// [`commit`](Self::commit). Dropped without a commit, the temporary is removed and the
/// destination is untouched.
pub struct AtomicFile {
    file: File,
    temp: AtomicPath,
}

impl AtomicFile {
    /// Creates the temporary for `dest` in `dest`'s directory, which must exist.
    ///
    /// # Errors
    /// `dest` has no file name, or the temporary cannot be created (no such directory, no
    /// permission).
    pub fn create(dest: impl AsRef<Path>) -> Result<Self, Error> {
        let dest = dest.as_ref();
        let (dir, name) = split(dest)?;
        let prefix = temp_prefix(&name);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).rand_bytes(6);
        #[cfg(unix)]
        {
            // What `File::create` gives (less the umask), not a private temporary's 0o600.
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let named = builder.tempfile_in(dir).map_err(|e| Error::new(dest, e))?;
        let (file, temp) = named.into_parts();
        Ok(Self { file, temp: AtomicPath { temp, dest: dest.to_path_buf() } })
    }

    /// The destination.
    pub fn destination(&self) -> &Path {
        &self.temp.dest
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// The open temporary file.
    pub fn as_file(&self) -> &File {
        &self.file
    }

    /// Gives the new file `permissions` (such as those of the file it replaces), now: they hold
    /// from the rename on, and writing through this handle still works when they are read-only.
    ///
    /// # Errors
    /// The permissions cannot be set.
    pub fn set_permissions(&self, permissions: fs::Permissions) -> Result<(), Error> {
        self.file.set_permissions(permissions).map_err(|e| Error::new(&self.temp.dest, e))
    }

    /// Flushes and syncs the file, renames it over the destination and syncs the directory.
    ///
    /// # Errors
    /// The sync or the rename failed (the destination is a directory, the directory is not
    /// writable): the temporary is removed and the destination is as it was.
    pub fn commit(mut self) -> Result<(), Error> {
        let dest = self.temp.dest.clone();
        self.file.flush().and_then(|()| self.file.sync_all()).map_err(|e| Error::new(&dest, e))?;
        drop(self.file);
        self.temp.rename_into_place()
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile").field("path", &self.path()).field("destination", &self.destination()).finish()
    }
}

/// A temporary path beside a destination for a writer that opens files by name (SQLite): created
/// empty, so the name is reserved; the writer may also remove and recreate it. Renamed over the
/// destination by [`commit`](Self::commit); dropped without a commit, whatever is at the path is
/// removed.
pub struct AtomicPath {
    temp: tempfile::TempPath,
    dest: PathBuf,
}

impl AtomicPath {
    /// Creates the (empty) temporary for `dest` in `dest`'s directory, which must exist.
    ///
    /// # Errors
    /// As [`AtomicFile::create`].
    pub fn create(dest: impl AsRef<Path>) -> Result<Self, Error> {
        let file = AtomicFile::create(dest)?;
        Ok(file.temp)
    }

    /// The temporary path, for the writer.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// The destination.
    pub fn destination(&self) -> &Path {
        &self.dest
    }

    /// Syncs the file at the temporary path (whatever wrote it), renames it over the destination
    /// and syncs the directory. The writer must have closed it.
    ///
    /// # Errors
    /// As [`AtomicFile::commit`]: the temporary is removed and the destination is as it was.
    pub fn commit(self) -> Result<(), Error> {
        sync_file(self.path()).map_err(|e| Error::new(&self.dest, e))?;
        self.rename_into_place()
    }

    /// The rename and the directory sync; on failure the temporary is removed (dropped).
    fn rename_into_place(self) -> Result<(), Error> {
        let Self { temp, dest } = self;
        temp.persist(&dest).map_err(|e| Error::new(&dest, e.error))?;
        sync_dir(&dest);
        Ok(())
    }
}

impl std::fmt::Debug for AtomicPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicPath").field("path", &self.path()).field("destination", &self.dest).finish()
    }
}

/// Replaces `dest` with `bytes` ([`AtomicFile`]): a reader sees the old content or the new,
/// and on any error the old file is untouched.
///
/// # Errors
/// As [`AtomicFile::create`] and [`AtomicFile::commit`], or the write itself (a full disk).
pub fn write(dest: impl AsRef<Path>, bytes: &[u8]) -> Result<(), Error> {
    let mut file = AtomicFile::create(dest)?;
    file.write_all(bytes).map_err(|e| Error::new(file.destination(), e))?;
    file.commit()
}

/// Renames a finished file `temp`, written and closed by someone else in `dest`'s directory,
/// over `dest`: syncs it first and the directory after, as [`AtomicFile::commit`]. The caller
/// removes `temp` when this fails.
///
/// # Errors
/// The sync or the rename failed; `dest` is as it was.
pub fn commit_path(temp: &Path, dest: &Path) -> Result<(), Error> {
    sync_file(temp).map_err(|e| Error::new(dest, e))?;
    fs::rename(temp, dest).map_err(|e| Error::new(dest, e))?;
    sync_dir(dest);
    Ok(())
}

/// A fresh name for a temporary beside `dest` that the caller's writer creates itself
/// (`.NAME.tmp-PID-PURPOSE-N`; not created here, unique within this process), swept by
/// [`sweep_stale`] like the others. Prefer [`AtomicPath`], which reserves the name.
pub fn temp_path(dest: &Path, purpose: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let purpose: String = purpose.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let name = dest.file_name().map_or_else(|| OsString::from("unnamed"), ToOwned::to_owned);
    let mut file = temp_prefix(&name);
    file.push(format!("{purpose}-{n}"));
    match dest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(file),
        _ => PathBuf::from(file),
    }
}

/// Removes the temporaries of `dest` that are `stale` (left by processes killed before their
/// commit); returns how many. Best effort: one that cannot be removed stays for the next sweep.
/// Only regular files named as this crate names temporaries are looked at.
pub fn sweep_stale(dest: &Path, stale: Stale) -> usize {
    let Ok((dir, name)) = split(dest) else { return 0 };
    let prefix = destination_prefix(&name).to_string_lossy().into_owned();
    sweep(&dir, stale, |file_name| file_name.strip_prefix(&prefix).map(owner_in))
}

/// Removes the `stale` temporaries of every destination in `dir`, a directory this program owns
/// (a cache); returns how many. As [`sweep_stale`] otherwise.
pub fn sweep_stale_in(dir: &Path, stale: Stale) -> usize {
    sweep(dir, stale, |file_name| {
        // `.NAME.tmp-PID-…`; also `.tmp-PID-…` (no name), as the layer cache once named them.
        if !file_name.starts_with('.') {
            return None;
        }
        let rest = file_name.rfind(MARKER).map(|at| &file_name[at + MARKER.len()..])?;
        owner_in(rest).map(Some)
    })
}

/// How long ago the file of a directory entry was last modified: the age by which stale
/// temporaries, lock files and scratch files are swept. `None` when unknown (or in the future).
pub fn unused_for(entry: &fs::DirEntry) -> Option<Duration> {
    entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok())
}

/// Whether the process `pid` is running on this machine (in this PID namespace): `None` when
/// that cannot be told (no `/proc`).
pub fn process_running(pid: u32) -> Option<bool> {
    if pid == std::process::id() {
        return Some(true);
    }
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new(&format!("/proc/{pid}")).exists())
}

/// The sweep: `ours` says whether a file name is one of the temporaries to consider (`Some`),
/// with the process id in it when there is one.
fn sweep(dir: &Path, rule: Stale, ours: impl Fn(&str) -> Option<Option<u32>>) -> usize {
    let Ok(read) = fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in read.flatten() {
        let name = entry.file_name();
        let Some(owner) = ours(&name.to_string_lossy()) else { continue };
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Some(age) = unused_for(&entry) else { continue };
        let stale = match rule {
            Stale::After(max_age) => age > max_age,
            Stale::OwnerGoneOrAfter(max_age) => age > max_age || owner.and_then(process_running) == Some(false),
        };
        if stale && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The process id at the start of what follows the marker in a temporary's name (`PID-…`).
fn owner_in(rest: &str) -> Option<u32> {
    let (pid, tail) = rest.split_once('-')?;
    if tail.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// `.NAME.tmp-`: the start of every temporary made for a destination `NAME`, by any process.
fn destination_prefix(name: &std::ffi::OsStr) -> OsString {
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(MARKER);
    prefix
}

/// `.NAME.tmp-PID-`: the start of every temporary this process makes for a destination `NAME`.
fn temp_prefix(name: &std::ffi::OsStr) -> OsString {
    let mut prefix = destination_prefix(name);
    prefix.push(format!("{}-", std::process::id()));
    prefix
}

/// The directory and file name of `dest` (`.` when it has no directory part).
fn split(dest: &Path) -> Result<(PathBuf, OsString), Error> {
    let name = dest
        .file_name()
        .ok_or_else(|| Error::new(dest, io::Error::new(io::ErrorKind::InvalidInput, "not a file name to write to")))?;
    let dir = match dest.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name.to_owned()))
}

/// Syncs the file at `path` to disk, through a handle of its own.
fn sync_file(path: &Path) -> io::Result<()> {
    // fsync needs no write access on Unix; Windows' FlushFileBuffers does.
    fs::OpenOptions::new().read(true).write(cfg!(not(unix))).open(path)?.sync_all()
}

/// Makes a rename into `dest`'s directory durable. Best effort: the rename is done, and some
/// systems cannot open or sync a directory.
fn sync_dir(dest: &Path) {
    if let Ok((dir, _)) = split(dest)
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::SystemTime;

    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    /// Makes the file at `path` look last modified `age` ago.
    fn age(path: &Path, age: Duration) {
        let f = fs::OpenOptions::new().append(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
    }

    /// A process id that runs nowhere (above Linux's largest `pid_max`).
    const DEAD_PID: u32 = 4_000_000_000;

    #[test]
    fn write_creates_and_replaces_leaving_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("report.json");
        write(&dest, b"one").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"one");
        write(&dest, b"two").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["report.json"]);
    }

    #[test]
    fn the_temporary_is_beside_the_destination_and_named_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("state.json");
        let file = AtomicFile::create(&dest).unwrap();
        assert_eq!(file.path().parent(), Some(dir.path()));
        let name = file.path().file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(&format!(".state.json.tmp-{}-", std::process::id())), "{name}");
        assert!(!dest.exists(), "nothing at the destination before the commit");
    }

    #[test]
    fn a_failed_or_abandoned_write_leaves_the_old_file_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("db");
        write(&dest, b"old").unwrap();
        // Abandoned (an error on the caller's side, a panic): dropped without a commit.
        let mut file = AtomicFile::create(&dest).unwrap();
        file.write_all(b"half of the new").unwrap();
        drop(file);
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["db"], "the temporary is removed");
        // The rename fails (a directory is in the way): an error, no temporary left.
        let blocked = dir.path().join("blocked");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("inside"), b"x").unwrap();
        let err = write(&blocked, b"new").unwrap_err();
        assert_eq!(err.path, blocked);
        assert_eq!(names(dir.path()), ["blocked", "db"]);
        assert_eq!(fs::read(blocked.join("inside")).unwrap(), b"x");
        // No directory to write in: an error naming the destination.
        let nowhere = dir.path().join("missing/dir/file");
        assert_eq!(write(&nowhere, b"x").unwrap_err().path, nowhere);
        // No file name at all.
        assert!(write(Path::new("/"), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_those_of_file_create_or_the_ones_set() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        File::create(&plain).unwrap();
        let dest = dir.path().join("new");
        write(&dest, b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&dest), mode(&plain), "a new file is not private to its owner");
        // A replaced file's permissions, kept by the caller, hold after the rename even when
        // they are read-only.
        let mut file = AtomicFile::create(&dest).unwrap();
        file.set_permissions(fs::Permissions::from_mode(0o440)).unwrap();
        file.write_all(b"y").unwrap();
        file.commit().unwrap();
        assert_eq!(mode(&dest), 0o440);
        assert_eq!(fs::read(&dest).unwrap(), b"y");
    }

    #[test]
    fn a_path_written_by_name_is_committed_even_when_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("vuln.db");
        fs::write(&dest, b"old").unwrap();
        let temp = AtomicPath::create(&dest).unwrap();
        assert!(temp.path().exists(), "the name is reserved");
        // A writer that replaces the file (as SQLite's builder does).
        fs::remove_file(temp.path()).unwrap();
        fs::write(temp.path(), b"new").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        temp.commit().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["vuln.db"]);
        // Dropped without a commit: removed, the destination untouched.
        let temp = AtomicPath::create(&dest).unwrap();
        fs::write(temp.path(), b"newer").unwrap();
        drop(temp);
        assert_eq!(names(dir.path()), ["vuln.db"]);
        assert_eq!(fs::read(&dest).unwrap(), b"new");
    }

    #[test]
    fn commit_path_renames_a_finished_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("vuln.db");
        let temp = temp_path(&dest, "import");
        assert!(temp.file_name().unwrap().to_string_lossy().starts_with(".vuln.db.tmp-"));
        fs::write(&temp, b"imported").unwrap();
        commit_path(&temp, &dest).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"imported");
        assert!(!temp.exists());
        assert!(commit_path(&temp, &dest).is_err(), "nothing left to rename");
        assert_ne!(temp_path(&dest, "import"), temp_path(&dest, "import"), "a fresh name each time");
    }

    #[test]
    fn stale_temporaries_are_swept_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("vuln.db");
        fs::write(&dest, b"db").unwrap();
        let me = std::process::id();
        let make = |name: &str, old: Duration| {
            let path = dir.path().join(name);
            fs::write(&path, b"partial").unwrap();
            age(&path, old);
            name.to_owned()
        };
        let hour = Duration::from_secs(3600);
        // Killed long ago (unmodified for two hours), whoever made it.
        let long_ago = make(&format!(".vuln.db.tmp-{me}-aaaaaa"), 2 * hour);
        // Its owner is gone, and it was written to a moment ago.
        let orphan = make(&format!(".vuln.db.tmp-{DEAD_PID}-bbbbbb"), Duration::ZERO);
        // A live writer's (this process'), recent.
        let live = make(&format!(".vuln.db.tmp-{me}-cccccc"), Duration::from_secs(60));
        // Another destination's, and a file that is not a temporary at all.
        let other = make(&format!(".other.tmp-{DEAD_PID}-dddddd"), Duration::ZERO);
        let unnamed = make(&format!(".tmp-{me}-0-{}", "f".repeat(64)), 2 * hour);
        let not_ours = make("vuln.db.tmp-1-notours", 2 * hour);
        let present = |names: &[&String]| names.iter().all(|n| dir.path().join(n).exists());

        // By age alone (a shared cache): only the old one goes.
        assert_eq!(sweep_stale(&dest, Stale::After(hour)), 1);
        assert!(!dir.path().join(&long_ago).exists());
        assert!(present(&[&orphan, &live, &other, &not_ours]));
        // Also by owner: the orphan goes at once, where `/proc` can tell.
        let owner_known = process_running(DEAD_PID).is_some();
        assert_eq!(sweep_stale(&dest, Stale::OwnerGoneOrAfter(hour)), usize::from(owner_known));
        assert_eq!(dir.path().join(&orphan).exists(), !owner_known);
        assert!(present(&[&live, &other, &not_ours]));
        assert!(dir.path().join(&unnamed).exists());
        // The directory-wide sweep takes every destination's temporaries, and only those.
        assert_eq!(sweep_stale_in(dir.path(), Stale::OwnerGoneOrAfter(hour)), 1 + usize::from(owner_known));
        assert_eq!(dir.path().join(&other).exists(), !owner_known);
        assert!(!dir.path().join(&unnamed).exists());
        assert_eq!(sweep_stale_in(dir.path(), Stale::After(Duration::from_secs(30))), 1, "the live one, once idle");
        assert!(!dir.path().join(&live).exists());
        assert!(present(&[&not_ours, &"vuln.db".to_owned()]));
        // A directory that does not exist has nothing to sweep.
        assert_eq!(sweep_stale_in(&dir.path().join("missing"), Stale::After(hour)), 0);
    }

    #[test]
    fn a_sweep_never_takes_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join(format!(".x.tmp-{DEAD_PID}-dir"));
        fs::create_dir(&sub).unwrap();
        assert_eq!(sweep_stale_in(dir.path(), Stale::OwnerGoneOrAfter(Duration::ZERO)), 0);
        assert!(sub.exists());
    }

    #[test]
    fn owners_are_read_from_names() {
        assert_eq!(owner_in("123-abcdef"), Some(123));
        assert_eq!(owner_in("123-import-4"), Some(123));
        assert_eq!(owner_in("123-"), None);
        assert_eq!(owner_in("x12-abc"), None);
        assert_eq!(owner_in("-abc"), None);
        assert_eq!(process_running(std::process::id()), Some(true));
    }
}
