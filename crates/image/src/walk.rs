//! The layer walk: the only code that sees raw tar entries.
//!
//! A layer is streamed once, decompressed on the fly (gzip, zstd or plain, told apart by their
//! magic bytes), its blob digest verified while it streams, and each entry normalised and handed to
//! a [`LayerVisitor`]. Whiteouts are reported, never applied: applying them is the merge step's job.
//! Nothing is extracted to disk, nothing is buffered but what the visitor asks for.

use std::io::{self, BufRead, BufReader, Read};

use sha2::{Digest as _, Sha256};

use crate::path::normalize;
use crate::{ImageError, Limits};

/// What kind of non-regular entry the walk met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A symbolic link to `target`, verbatim (resolve it with [`crate::path::resolve_link`]).
    Symlink(String),
    /// A hard link to the normalised path `target` (an earlier entry of this layer or a lower one).
    Hardlink(String),
    /// A whiteout: the path was deleted in this layer (`.wh.NAME`).
    Whiteout,
    /// An opaque directory: everything below it from lower layers is hidden (`.wh..wh..opq`).
    OpaqueDir,
}

/// Receives the entries of one layer, in tar order.
pub trait LayerVisitor {
    /// Whether the content of the regular file at `path` (normalised) of `size` bytes is wanted.
    fn wants(&mut self, path: &str, size: u64) -> bool;
    /// The content of a file that [`LayerVisitor::wants`] accepted. `content` yields at most
    /// `size` bytes; what is not read is skipped.
    fn file(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()>;
    /// A symlink, hardlink, whiteout or opaque-directory entry at `path`.
    fn entry(&mut self, path: &str, kind: EntryKind);
    /// An entry that was skipped because it is hostile or unreadable (`../` escapes, bad names,
    /// a malformed PAX record).
    fn skipped(&mut self, raw_path: &str, reason: &str);
    /// An entry at `path` (normalised) that is neither a regular file, a directory nor a link,
    /// so its content is never read: a FIFO, a device, a socket, an entry of a type the walk does
    /// not know, or a sparse file in a format the walk does not expand. `what` says which
    /// (`"a FIFO"`). A visitor that wanted a file at `path` has lost that evidence and should
    /// say so; one that only counts entries may ignore it (the default).
    fn not_regular(&mut self, _path: &str, _what: &str) {}
}

/// Counts of what one walk saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalkStats {
    /// Tar entries read.
    pub entries: u64,
    /// Bytes of uncompressed tar stream read.
    pub uncompressed_bytes: u64,
    /// Bytes of the stored (possibly compressed) blob read.
    pub stored_bytes: u64,
}

/// How a layer's stream is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verify {
    /// The stored blob must hash to this digest (OCI descriptors).
    Stored(String),
    /// The uncompressed tar must hash to this diffID (docker-archive layers).
    Uncompressed(String),
}

/// Walks the tar stream of a stored layer blob: decompresses, verifies and visits every entry.
pub(crate) fn walk_blob(
    blob: impl Read,
    layer: &str,
    verify: &Verify,
    limits: &Limits,
    visitor: &mut dyn LayerVisitor,
) -> Result<WalkStats, ImageError> {
    let mut stored = crate::digest::HashingReader::new(blob);
    let mut stats = WalkStats::default();
    let streamed = walk_stream(&mut stored, layer, verify, limits, visitor, &mut stats);
    let stored_check = match verify {
        Verify::Stored(digest) => stored.verify(digest, layer),
        Verify::Uncompressed(_) => Ok(stored.bytes_read()),
    };
    match (streamed, stored_check) {
        // A blob that is not what its descriptor says is reported as such, even when the
        // symptom was a broken stream: the digest is the precise diagnosis.
        (_, Err(mismatch @ ImageError::DigestMismatch { .. })) => Err(mismatch),
        (Err(e), _) | (Ok(()), Err(e)) => Err(e),
        (Ok(()), Ok(bytes)) => {
            stats.stored_bytes = bytes;
            Ok(stats)
        }
    }
}

/// Decompresses the stored stream, walks its tar and checks the diffID when asked to.
fn walk_stream(
    stored: &mut impl Read,
    layer: &str,
    verify: &Verify,
    limits: &Limits,
    visitor: &mut dyn LayerVisitor,
    stats: &mut WalkStats,
) -> Result<(), ImageError> {
    let layer_err = |reason: String| ImageError::Layer { layer: layer.to_owned(), reason };
    let mut buffered = BufReader::with_capacity(256 << 10, stored);
    let magic = buffered.fill_buf().map_err(|e| layer_err(format!("reading blob: {e}")))?;
    let decoder: Box<dyn Read + '_> = match magic {
        [0x1f, 0x8b, ..] => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => {
            Box::new(zstd::stream::read::Decoder::with_buffer(buffered).map_err(|e| layer_err(format!("zstd: {e}")))?)
        }
        _ => Box::new(buffered),
    };
    let hash_tar = matches!(verify, Verify::Uncompressed(_));
    let mut tar_stream = Bounded::new(decoder, limits.max_layer_bytes, hash_tar);
    let walked = walk_tar(&mut tar_stream, layer, limits, visitor, stats);
    let drained = walked.and_then(|()| {
        io::copy(&mut tar_stream, &mut io::sink()).map(|_| ()).map_err(|e| WalkFail::Stream(e.to_string()))
    });
    match drained {
        Ok(()) => {}
        Err(WalkFail::Image(e)) => return Err(e),
        Err(WalkFail::Stream(_)) if tar_stream.exceeded => {
            return Err(ImageError::LimitExceeded {
                layer: layer.to_owned(),
                what: "uncompressed size",
                limit: limits.max_layer_bytes,
            });
        }
        Err(WalkFail::Stream(reason)) => return Err(layer_err(reason)),
    }
    stats.uncompressed_bytes = tar_stream.count;
    if let (Verify::Uncompressed(diff_id), Some(hasher)) = (verify, tar_stream.hasher.take()) {
        let actual = format!("sha256:{}", hex::encode(hasher.finalize()));
        if &actual != diff_id {
            return Err(ImageError::DigestMismatch { blob: layer.to_owned(), expected: diff_id.clone(), actual });
        }
    }
    Ok(())
}

/// Reads the tar entries of an uncompressed stream and hands them to the visitor. A tar or
/// stream error comes back as its message, to be classified by the caller (who can see whether
/// the size bound tripped).
fn walk_tar<R: Read>(
    stream: &mut Bounded<R>,
    layer: &str,
    limits: &Limits,
    visitor: &mut dyn LayerVisitor,
    stats: &mut WalkStats,
) -> Result<(), WalkFail> {
    let mut archive = tar::Archive::new(stream);
    let entries = archive.entries().map_err(|e| WalkFail::Stream(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| WalkFail::Stream(format!("reading tar: {e}")))?;
        stats.entries += 1;
        if stats.entries > limits.max_entries {
            return Err(WalkFail::Image(ImageError::LimitExceeded {
                layer: layer.to_owned(),
                what: "entry count",
                limit: limits.max_entries,
            }));
        }
        visit_entry(&mut entry, visitor)?;
    }
    Ok(())
}

/// Why a tar walk stopped early.
enum WalkFail {
    /// A classified error.
    Image(ImageError),
    /// The stream broke (truncated, corrupt, or the size bound): a message to classify.
    Stream(String),
}

/// Classifies one entry and hands it to the visitor.
fn visit_entry<R: Read>(entry: &mut tar::Entry<'_, R>, visitor: &mut dyn LayerVisitor) -> Result<(), WalkFail> {
    let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    let Some(path) = normalize(&raw) else {
        if !matches!(raw.trim_matches('/'), "" | ".") {
            visitor.skipped(&raw, "path leaves the image root");
        }
        return Ok(());
    };
    let (dir, name) = path.rsplit_once('/').map_or(("", path.as_str()), |(d, n)| (d, n));
    if let Some(hidden) = name.strip_prefix(".wh.") {
        if hidden == ".wh..opq" {
            visitor.entry(dir, EntryKind::OpaqueDir);
        } else if !hidden.starts_with(".wh.") && !hidden.is_empty() {
            let target = if dir.is_empty() { hidden.to_owned() } else { format!("{dir}/{hidden}") };
            visitor.entry(&target, EntryKind::Whiteout);
        }
        return Ok(());
    }
    match pax_check(entry) {
        Pax::Plain => {}
        Pax::Malformed(reason) => {
            // The `tar` crate ignores what it cannot parse and falls back to the header: another
            // reader (the runtime's) may see other content, or other entries after this one.
            visitor.skipped(&raw, &format!("{reason}; the entry is not read"));
            return Ok(());
        }
        Pax::Sparse(name) => {
            let sparse_path = name.as_deref().and_then(normalize).unwrap_or_else(|| path.clone());
            visitor.not_regular(&sparse_path, "a sparse file in the PAX format (GNU.sparse), which is not expanded");
            return Ok(());
        }
    }
    let kind = entry.header().entry_type();
    if kind.is_symlink() {
        let target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        visitor.entry(&path, EntryKind::Symlink(target));
    } else if kind.is_hard_link() {
        let raw_target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        match normalize(&raw_target) {
            Some(target) => visitor.entry(&path, EntryKind::Hardlink(target)),
            None => visitor.skipped(&raw, "hard link target leaves the image root"),
        }
    } else if kind.is_file() || kind == tar::EntryType::Continuous || kind.is_gnu_sparse() {
        // A GNU sparse entry reads as its expanded content (the holes as zeros), and its size is
        // the expanded size, so the visitor's size bound applies to what it would read.
        let size = entry.size();
        if visitor.wants(&path, size) {
            let mut limited = (&mut *entry).take(size);
            visitor.file(&path, size, &mut limited).map_err(|e| WalkFail::Stream(format!("reading {path}: {e}")))?;
        }
    } else if let Some(what) = not_regular(kind) {
        visitor.not_regular(&path, &what);
    }
    Ok(())
}

/// What an entry of type `kind` is, when it is content the walk never reads: `None` for
/// directories and for the headers that only describe other entries.
fn not_regular(kind: tar::EntryType) -> Option<String> {
    use tar::EntryType as T;
    match kind {
        T::Directory | T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => None,
        T::Char => Some("a character device".to_owned()),
        T::Block => Some("a block device".to_owned()),
        T::Fifo => Some("a FIFO".to_owned()),
        // GNU dump directory and volume label: no file content.
        _ if matches!(kind.as_byte(), b'D' | b'V') => None,
        _ => Some(format!("a tar entry of unknown type {:?}", char::from(kind.as_byte()))),
    }
}

/// What the PAX records of an entry say about reading it.
enum Pax {
    /// No PAX records, or none that changes how the entry is read.
    Plain,
    /// A record the walk cannot trust: the message says which.
    Malformed(String),
    /// A PAX-format sparse file (`GNU.sparse.*`), with its real name when given.
    Sparse(Option<String>),
}

/// Checks the PAX records that precede an entry. The `tar` crate silently ignores a `size`
/// record it cannot parse (and every record after a malformed one), so the walk checks them.
fn pax_check<R: Read>(entry: &mut tar::Entry<'_, R>) -> Pax {
    let extensions = match entry.pax_extensions() {
        Ok(Some(extensions)) => extensions,
        Ok(None) => return Pax::Plain,
        Err(e) => return Pax::Malformed(format!("unreadable PAX records: {e}")),
    };
    let mut sparse = false;
    let mut sparse_name = None;
    for extension in extensions {
        let Ok(extension) = extension else {
            return Pax::Malformed("malformed PAX record".to_owned());
        };
        let Ok(key) = extension.key() else {
            return Pax::Malformed("PAX record with a key that is not UTF-8".to_owned());
        };
        let value = String::from_utf8_lossy(extension.value_bytes());
        if key == "size" && !is_pax_number(&value) {
            return Pax::Malformed(format!("malformed PAX size {:?}", truncate(&value)));
        }
        if key.starts_with("GNU.sparse.") {
            sparse = true;
            if key == "GNU.sparse.name" {
                sparse_name = Some(value.into_owned());
            }
        }
    }
    if sparse { Pax::Sparse(sparse_name) } else { Pax::Plain }
}

/// Whether a PAX numeric value is a plain decimal `u64` (no sign, no spaces, no overflow).
fn is_pax_number(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) && value.parse::<u64>().is_ok()
}

/// A value cut short for a message.
fn truncate(value: &str) -> String {
    value.chars().take(40).collect()
}

/// The message the bound puts in its io error, to tell it apart from a corrupt stream.
const EXCEEDED: &str = "layer exceeds the uncompressed size limit";

/// A reader that counts (and optionally hashes) the uncompressed stream and fails past a bound.
struct Bounded<R> {
    inner: R,
    count: u64,
    limit: u64,
    exceeded: bool,
    hasher: Option<Sha256>,
}

impl<R> Bounded<R> {
    fn new(inner: R, limit: u64, hash: bool) -> Self {
        Self { inner, count: 0, limit, exceeded: false, hasher: hash.then(Sha256::new) }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            self.exceeded = true;
            return Err(io::Error::other(EXCEEDED));
        }
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}
