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
        let mut file = File::open(path).map_err(|e| ImageError::io(path, e))?;
        let invalid = |e: std::io::Error| ImageError::invalid("archive", path.display().to_string(), e);
        let mut head = Vec::with_capacity(512);
        (&mut file).take(512).read_to_end(&mut head).map_err(|e| ImageError::io(path, e))?;
        if let Some(what) = not_a_tar(&head) {
            return Err(ImageError::invalid(
                "archive",
                path.display().to_string(),
                format!("not a tar archive: {what}"),
            ));
        }
        file.rewind().map_err(|e| ImageError::io(path, e))?;
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

/// What a file that should be a tar archive is instead, from its first 512 bytes (`None`: it is a
/// tar header, POSIX, GNU or v7, by its checksum). Said in words, so a wrong file given as an
/// image gets a sentence instead of the tar reader's complaint about the bytes it found.
pub(crate) fn not_a_tar(head: &[u8]) -> Option<String> {
    if head.len() == 512 && tar_checksum_holds(head) {
        return None;
    }
    let what = if head.is_empty() {
        "the file is empty"
    } else if head.starts_with(&[0x1f, 0x8b]) {
        "gzip-compressed data (decompress it first: `docker save` writes a plain tar)"
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        "zstd-compressed data (decompress it first)"
    } else if head.starts_with(b"BZh") || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        "compressed data (bzip2 or xz; decompress it first)"
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        "a zip archive"
    } else if head.starts_with(b"\x7fELF") {
        "an ELF executable"
    } else if head.starts_with(b"SQLite format 3\0") {
        "an SQLite database"
    } else if head.starts_with(b"%PDF") {
        "a PDF document"
    } else if let Ok(text) = std::str::from_utf8(head)
        && !text.contains('\0')
    {
        match text.trim_start().chars().next() {
            Some('{' | '[') => {
                "a JSON document, not an archive (an OCI layout's index.json? give its directory with oci:DIR)"
            }
            _ => "a text file",
        }
    } else if head.len() < 512 {
        "shorter than one tar header (512 bytes)"
    } else {
        "binary data without a tar header"
    };
    Some(what.to_owned())
}

/// Whether a 512-byte block is a tar header: the octal checksum at 148..156 equals the sum of
/// the block's bytes with the checksum field counted as spaces.
fn tar_checksum_holds(block: &[u8]) -> bool {
    let Some(field) = block.get(148..156) else { return false };
    let digits: String = field.iter().map(|&b| b as char).filter(|c| !matches!(c, ' ' | '\0')).collect();
    let Ok(stored) = u32::from_str_radix(&digits, 8) else { return false };
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| if (148..156).contains(&i) { u32::from(b' ') } else { u32::from(b) })
        .sum();
    !digits.is_empty() && stored == sum
}

#[cfg(test)]
mod sniff_tests {
    use super::*;

    fn tar_header() -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_path("a").unwrap();
        header.set_size(0);
        header.set_cksum();
        header.as_bytes().to_vec()
    }

    #[test]
    fn a_tar_header_passes_and_other_files_are_named() {
        assert_eq!(not_a_tar(&tar_header()), None);
        let said = |bytes: &[u8]| not_a_tar(bytes).unwrap();
        assert!(said(b"hello\n").contains("text file"));
        assert!(said(&[0x1f, 0x8b, 8, 0]).contains("gzip"));
        assert!(said(b"{\"schemaVersion\": 2}").contains("JSON"));
        assert!(said(b"").contains("empty"));
        assert!(said(&[0xff; 512]).contains("binary data"));
        let mut broken = tar_header();
        broken[0] ^= 1;
        assert!(said(&broken).contains("binary data"), "the checksum no longer holds");
    }
}
