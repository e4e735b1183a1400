//! An index of an outer tar archive (`docker save` output, an OCI archive): where each member's
//! bytes sit in the file, so a layer inside it can be streamed straight from the file with no
//! extraction and several layers can be read at once.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::ImageError;
use crate::path::{normalize, resolve_link};

/// A byte range of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    /// The file.
    pub(crate) path: PathBuf,
    /// Where the member's data starts.
    pub(crate) offset: u64,
    /// How long it is.
    pub(crate) len: u64,
}

impl Region {
    /// The whole of a file.
    pub(crate) fn whole(path: &Path) -> Result<Self, ImageError> {
        let len = std::fs::metadata(path).map_err(|e| ImageError::io(path, e))?.len();
        Ok(Self { path: path.to_owned(), offset: 0, len })
    }

    /// Opens the range for reading.
    pub(crate) fn open(&self) -> Result<impl Read + use<>, ImageError> {
        let mut file = File::open(&self.path).map_err(|e| ImageError::io(&self.path, e))?;
        file.seek(SeekFrom::Start(self.offset)).map_err(|e| ImageError::io(&self.path, e))?;
        Ok(file.take(self.len))
    }

    /// Reads the whole range, refusing more than `max` bytes.
    pub(crate) fn read_bounded(&self, max: u64, what: &'static str) -> Result<Vec<u8>, ImageError> {
        if self.len > max {
            return Err(ImageError::invalid(what, self.path.display().to_string(), format!("larger than {max} bytes")));
        }
        let mut buf = Vec::with_capacity(usize::try_from(self.len).unwrap_or(0));
        self.open()?.read_to_end(&mut buf).map_err(|e| ImageError::io(&self.path, e))?;
        Ok(buf)
    }
}

/// Where each member of an outer tar lives.
#[derive(Debug, Default)]
pub(crate) struct TarIndex {
    files: HashMap<String, (u64, u64)>,
    links: HashMap<String, String>,
    path: PathBuf,
}

/// Most members an outer archive may have: image archives hold a few files per layer.
const MAX_MEMBERS: usize = 1_000_000;

impl TarIndex {
    /// Reads the headers of `path`, seeking over member data.
    pub(crate) fn build(path: &Path) -> Result<Self, ImageError> {
        let file = File::open(path).map_err(|e| ImageError::io(path, e))?;
        let invalid = |e: std::io::Error| ImageError::invalid("archive", path.display().to_string(), e);
        let mut archive = tar::Archive::new(file);
        let mut index = Self { path: path.to_owned(), ..Self::default() };
        for entry in archive.entries_with_seek().map_err(invalid)? {
            let entry = entry.map_err(invalid)?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = normalize(&raw) else { continue };
            let kind = entry.header().entry_type();
            if kind.is_file() {
                index.files.insert(name, (entry.raw_file_position(), entry.size()));
            } else if kind.is_symlink() || kind.is_hard_link() {
                let target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned());
                let target = target.unwrap_or_default();
                let resolved = if kind.is_symlink() { resolve_link(&name, &target) } else { normalize(&target) };
                if let Some(resolved) = resolved {
                    index.links.insert(name, resolved);
                }
            }
            if index.files.len() + index.links.len() > MAX_MEMBERS {
                return Err(ImageError::invalid("archive", path.display().to_string(), "too many members"));
            }
        }
        Ok(index)
    }

    /// The region of member `name`, following links inside the archive (bounded, so loops end).
    pub(crate) fn get(&self, name: &str) -> Option<Region> {
        let mut name = normalize(name)?;
        for _ in 0..16 {
            if let Some(&(offset, len)) = self.files.get(&name) {
                return Some(Region { path: self.path.clone(), offset, len });
            }
            name = self.links.get(&name)?.clone();
        }
        None
    }

    /// Whether the archive has a member called `name`.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}
