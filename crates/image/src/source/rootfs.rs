//! `dir:PATH` — a root filesystem directory (an unpacked image, or `/` inside a running
//! container). Presented as one layer; symlinks are reported, never followed.

use std::io;
use std::path::Path;

use crate::path::normalize;
use crate::walk::{EntryKind, LayerVisitor, WalkStats};
use crate::{ImageError, Limits};

/// Directories of `/` that are kernel views, not image content.
const PSEUDO_FS: [&str; 3] = ["proc", "sys", "dev"];

/// Walks the directory tree at `root` and hands regular files and symlinks to the visitor.
pub(crate) fn walk(root: &Path, limits: &Limits, visitor: &mut dyn LayerVisitor) -> Result<WalkStats, ImageError> {
    let is_host_root = root == Path::new("/");
    let mut stats = WalkStats::default();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| !(is_host_root && e.depth() == 1 && PSEUDO_FS.iter().any(|p| e.file_name() == *p)));
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
        }
    }
    Ok(stats)
}
