//! `dir:PATH` — a root filesystem directory (an unpacked image, or `/` inside a running
//! container). Presented as one layer; symlinks are reported, never followed; FIFOs, devices and
//! sockets are reported as not regular, never opened.

use std::io;
use std::path::Path;

use crate::path::normalize;
use crate::walk::{EntryKind, LayerVisitor, WalkStats};
use crate::{ImageError, Limits};

/// Paths under `/` that are kernel views or build-time mounts, not image content.
const NOT_IMAGE: [&str; 4] = ["proc", "sys", "dev", "run/secrets"];

/// Walks the directory tree at `root` and hands regular files and symlinks to the visitor.
///
/// Scanning `/` (the in-image mode: `RUN microscanner` inside a build) also stays on the root's
/// filesystem (a mount such as a BuildKit cache or a bind-mounted host directory is not the
/// image), and skips the scanner's own executable.
pub(crate) fn walk(root: &Path, limits: &Limits, visitor: &mut dyn LayerVisitor) -> Result<WalkStats, ImageError> {
    let is_host_root = root == Path::new("/");
    let own_binary = if is_host_root { std::env::current_exe().ok() } else { None };
    let root_device = if is_host_root { std::fs::metadata(root).ok().and_then(|m| device(&m)) } else { None };
    let mut stats = WalkStats::default();
    // The filesystem check is made here rather than by walkdir's `same_file_system`: walkdir
    // still yields a directory of another filesystem without entering it, and `filter_entry`'s
    // skip of a directory that was never entered ends its *parent* instead, so a mounted /proc
    // (every container has one) ended the walk of `/` itself.
    let walker = walkdir::WalkDir::new(root).follow_links(false).into_iter().filter_entry(|e| {
        let skip = is_host_root
            && (NOT_IMAGE.iter().any(|p| e.path().strip_prefix(root).is_ok_and(|rel| rel == Path::new(p)))
                || own_binary.as_deref() == Some(e.path())
                || (root_device.is_some()
                    && e.depth() > 0
                    && e.file_type().is_dir()
                    && e.metadata().ok().and_then(|m| device(&m)) != root_device));
        if skip {
            tracing::debug!("not image content, skipped: {}", e.path().display());
        }
        !skip
    });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let where_ = e.path().map(|p| p.display().to_string()).unwrap_or_default();
                visitor.skipped(&where_, &e.to_string());
                continue;
            }
        };
        stats.entries += 1;
        if stats.entries > limits.max_entries {
            return Err(ImageError::LimitExceeded {
                layer: root.display().to_string(),
                what: "entry count",
                limit: limits.max_entries,
            });
        }
        let Ok(rel) = entry.path().strip_prefix(root) else { continue };
        let Some(path) = normalize(&rel.to_string_lossy()) else { continue };
        let file_type = entry.file_type();
        if file_type.is_symlink() {
            let target = std::fs::read_link(entry.path()).map_err(|e| ImageError::io(entry.path(), e))?;
            visitor.entry(&path, EntryKind::Symlink(target.to_string_lossy().into_owned()));
        } else if file_type.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if visitor.wants(&path, size) {
                let read = std::fs::File::open(entry.path()).and_then(|file| {
                    let mut limited = io::Read::take(file, size);
                    visitor.file(&path, size, &mut limited)
                });
                if let Err(e) = read {
                    visitor.skipped(&path, &format!("cannot read: {e}"));
                }
                stats.uncompressed_bytes += size;
            }
        } else if !file_type.is_dir() {
            visitor.not_regular(&path, special_kind(file_type));
        }
    }
    Ok(stats)
}

/// What a file that is neither regular, a directory nor a symlink is.
fn special_kind(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    let _ = file_type;
    "a file of an unknown kind"
}

/// The device a file lives on (`None` where the platform does not say).
fn device(meta: &std::fs::Metadata) -> Option<u64> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        Some(meta.dev())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}
