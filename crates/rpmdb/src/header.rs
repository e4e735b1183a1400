//! The rpm header blob as the databases store it (no lead, no magic): a count of index entries
//! (`il`) and the data size (`dl`), both big-endian `u32`, then `il` 16-byte index entries (tag,
//! type, offset, count) and `dl` bytes of data that the entries point into.

use crate::{Error, be32};

/// The largest index entry count rpm accepts (`HEADER_TAGS_MAX`).
const MAX_ENTRIES: u32 = 0xffff;
/// The largest data size rpm accepts (`HEADER_DATA_MAX`, 256 MiB).
const MAX_DATA: u32 = 256 * 1024 * 1024;

/// How many bytes of file paths one byte of header data may expand to.
const PATH_BYTES_PER_DATA_BYTE: usize = 32;

/// Header tags we read.
pub mod tag {
    /// Package name.
    pub const NAME: u32 = 1000;
    /// Upstream version.
    pub const VERSION: u32 = 1001;
    /// Distribution release.
    pub const RELEASE: u32 = 1002;
    /// Epoch (int32).
    pub const EPOCH: u32 = 1003;
    /// Installed size in bytes (int32).
    pub const SIZE: u32 = 1009;
    /// Vendor.
    pub const VENDOR: u32 = 1011;
    /// License.
    pub const LICENSE: u32 = 1014;
    /// Architecture.
    pub const ARCH: u32 = 1022;
    /// File paths before rpm 4.1 compressed them into dir/base names.
    pub const OLDFILENAMES: u32 = 1027;
    /// Name of the source rpm (`curl-7.76.0-6.cm2.src.rpm`).
    pub const SOURCERPM: u32 = 1044;
    /// What the package provides (`bash`, `/bin/sh`, `libc.so.6(GLIBC_2.34)(64bit)`).
    pub const PROVIDENAME: u32 = 1047;
    /// What the package requires, by name: a package, a capability some package provides, or
    /// a file path.
    pub const REQUIRENAME: u32 = 1049;
    /// For each file, the index of its directory in `DIRNAMES` (int32 array).
    pub const DIRINDEXES: u32 = 1116;
    /// File base names.
    pub const BASENAMES: u32 = 1117;
    /// Directory names, with trailing `/`.
    pub const DIRNAMES: u32 = 1118;
    /// Installed size for packages over 4 GiB (int64).
    pub const LONGSIZE: u32 = 5009;
    /// Modularity label (`nodejs:14:8030020201124152102:229f0a1c`).
    pub const MODULARITYLABEL: u32 = 5096;
}

/// Header data types.
mod ty {
    pub(super) const INT32: u32 = 4;
    pub(super) const INT64: u32 = 5;
    pub(super) const STRING: u32 = 6;
    pub(super) const STRING_ARRAY: u32 = 8;
    pub(super) const I18NSTRING: u32 = 9;
}

/// One installed rpm package, as its header describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmPackage {
    /// `NAME`.
    pub name: String,
    /// `EPOCH`, when the header has one.
    pub epoch: Option<u32>,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `ARCH` (absent for `gpg-pubkey` pseudo-packages).
    pub arch: Option<String>,
    /// `SOURCERPM` verbatim (`util-linux-2.32.1-42.el8_8.src.rpm`).
    pub source_rpm: Option<String>,
    /// `LICENSE`.
    pub license: Option<String>,
    /// `VENDOR`.
    pub vendor: Option<String>,
    /// `MODULARITYLABEL`.
    pub modularity_label: Option<String>,
    /// Installed size in bytes (`LONGSIZE`, else `SIZE`).
    pub size: Option<u64>,
    /// Owned files as absolute paths (from `DIRNAMES`/`BASENAMES`/`DIRINDEXES`, or `OLDFILENAMES`).
    pub files: Vec<String>,
    /// `REQUIRENAME`, each name once, in the header's order, without rpm's own `rpmlib(...)`
    /// features (what the rpm that installs it must support, not a package).
    pub requires: Vec<String>,
    /// `PROVIDENAME`, each name once (rpm adds the package's own name).
    pub provides: Vec<String>,
    /// Why [`RpmPackage::files`] is incomplete, when the file list tags are damaged (the package
    /// itself still read).
    pub files_error: Option<Error>,
}

impl RpmPackage {
    /// `[EPOCH:]VERSION-RELEASE`, the version string rpm's advisories compare.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// The source package's name, version and release from `SOURCERPM`
    /// (`util-linux-2.32.1-42.el8_8.src.rpm` → `("util-linux", "2.32.1", "42.el8_8")`).
    pub fn source_nvr(&self) -> Option<(&str, &str, &str)> {
        split_source_rpm(self.source_rpm.as_deref()?)
    }
}

/// Splits a source rpm file name into name, version and release.
pub fn split_source_rpm(srpm: &str) -> Option<(&str, &str, &str)> {
    let s = srpm.strip_suffix(".rpm")?;
    // Drop the arch (`src`, `nosrc`).
    let (s, _arch) = s.rsplit_once('.')?;
    let (rest, release) = s.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    (!name.is_empty() && !version.is_empty() && !release.is_empty()).then_some((name, version, release))
}

/// One index entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

/// A header whose index and data store have been bounds-checked.
struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn corrupt(msg: impl Into<String>) -> Error {
    Error::Corrupt(msg.into())
}

impl<'a> Header<'a> {
    fn parse(blob: &'a [u8]) -> Result<Self, Error> {
        let il = be32(blob, 0).ok_or_else(|| Error::Truncated("header shorter than 8 bytes".into()))?;
        let dl = be32(blob, 4).ok_or_else(|| Error::Truncated("header shorter than 8 bytes".into()))?;
        if il == 0 || il > MAX_ENTRIES {
            return Err(corrupt(format!("header index count {il} out of range")));
        }
        if dl > MAX_DATA {
            return Err(corrupt(format!("header data size {dl} out of range")));
        }
        // Both fit in usize on every target we build for (u32 → usize).
        let (il, dl) = (il as usize, dl as usize);
        let data_start = 8 + il * 16;
        let data_end = data_start + dl;
        if blob.len() < data_end {
            return Err(Error::Truncated(format!("header announces {data_end} bytes, blob has {}", blob.len())));
        }
        let data = &blob[data_start..data_end];
        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let (Some(tag), Some(ty), Some(offset), Some(count)) =
                (be32(blob, at), be32(blob, at + 4), be32(blob, at + 8), be32(blob, at + 12))
            else {
                return Err(Error::Truncated("header index".into()));
            };
            entries.push(Entry { tag, ty, offset: offset as usize, count: count as usize });
        }
        Ok(Self { entries, data })
    }

    fn entry(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// The NUL-terminated string at `offset`.
    fn cstr_at(&self, offset: usize, tag: u32) -> Result<&'a str, Error> {
        let rest = self.data.get(offset..).ok_or_else(|| corrupt(format!("tag {tag}: offset {offset} out of data")))?;
        let end =
            rest.iter().position(|&b| b == 0).ok_or_else(|| corrupt(format!("tag {tag}: unterminated string")))?;
        std::str::from_utf8(&rest[..end]).map_err(|_| corrupt(format!("tag {tag}: string is not UTF-8")))
    }

    /// A string tag (`STRING`, or the first of an `I18NSTRING`/`STRING_ARRAY`).
    fn string(&self, tag: u32) -> Result<Option<String>, Error> {
        let Some(e) = self.entry(tag) else { return Ok(None) };
        match e.ty {
            ty::STRING | ty::I18NSTRING | ty::STRING_ARRAY if e.count > 0 => {
                Ok(Some(self.cstr_at(e.offset, tag)?.to_owned()))
            }
            _ => Err(corrupt(format!("tag {tag}: type {} count {} is not a string", e.ty, e.count))),
        }
    }

    fn string_array(&self, tag: u32) -> Result<Vec<&'a str>, Error> {
        let Some(e) = self.entry(tag) else { return Ok(Vec::new()) };
        if e.ty != ty::STRING_ARRAY && e.ty != ty::STRING {
            return Err(corrupt(format!("tag {tag}: type {} is not a string array", e.ty)));
        }
        // Each string takes at least one byte: a larger count cannot be real.
        if e.count > self.data.len() {
            return Err(corrupt(format!("tag {tag}: count {} exceeds data", e.count)));
        }
        let mut out = Vec::with_capacity(e.count);
        let mut at = e.offset;
        for _ in 0..e.count {
            let s = self.cstr_at(at, tag)?;
            at += s.len() + 1;
            out.push(s);
        }
        Ok(out)
    }

    fn int32_array(&self, tag: u32) -> Result<Vec<u32>, Error> {
        let Some(e) = self.entry(tag) else { return Ok(Vec::new()) };
        if e.ty != ty::INT32 {
            return Err(corrupt(format!("tag {tag}: type {} is not int32", e.ty)));
        }
        let len = e.count.checked_mul(4).ok_or_else(|| corrupt(format!("tag {tag}: count overflows")))?;
        let end = e.offset.checked_add(len).ok_or_else(|| corrupt(format!("tag {tag}: offset overflows")))?;
        let bytes =
            self.data.get(e.offset..end).ok_or_else(|| corrupt(format!("tag {tag}: int32 array out of data")))?;
        Ok(bytes.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    fn int32(&self, tag: u32) -> Result<Option<u32>, Error> {
        if self.entry(tag).is_none() {
            return Ok(None);
        }
        Ok(self.int32_array(tag)?.first().copied())
    }

    fn int64(&self, tag: u32) -> Result<Option<u64>, Error> {
        let Some(e) = self.entry(tag) else { return Ok(None) };
        if e.ty != ty::INT64 || e.count == 0 {
            return Err(corrupt(format!("tag {tag}: type {} is not int64", e.ty)));
        }
        let end = e.offset.checked_add(8).ok_or_else(|| corrupt(format!("tag {tag}: offset overflows")))?;
        let b = self.data.get(e.offset..end).ok_or_else(|| corrupt(format!("tag {tag}: int64 out of data")))?;
        Ok(Some(u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])))
    }
}

/// Parses one header blob into a package. Needs at least `NAME`, `VERSION` and `RELEASE`.
pub fn parse_header(blob: &[u8]) -> Result<RpmPackage, Error> {
    let h = Header::parse(blob)?;
    let required = |tag, what: &str| -> Result<String, Error> {
        h.string(tag)?.ok_or_else(|| corrupt(format!("header has no {what}")))
    };
    let name = required(tag::NAME, "NAME")?;
    let version = required(tag::VERSION, "VERSION")?;
    let release = required(tag::RELEASE, "RELEASE")?;
    let size = match h.int64(tag::LONGSIZE)? {
        Some(s) => Some(s),
        None => h.int32(tag::SIZE)?.map(u64::from),
    };
    let mut pkg = RpmPackage {
        name,
        epoch: h.int32(tag::EPOCH)?,
        version,
        release,
        arch: h.string(tag::ARCH)?,
        source_rpm: h.string(tag::SOURCERPM)?,
        license: h.string(tag::LICENSE)?,
        vendor: h.string(tag::VENDOR)?,
        modularity_label: h.string(tag::MODULARITYLABEL)?,
        size,
        files: Vec::new(),
        requires: names(h.string_array(tag::REQUIRENAME)?.into_iter().filter(|n| !n.starts_with("rpmlib("))),
        provides: names(h.string_array(tag::PROVIDENAME)?.into_iter()),
        files_error: None,
    };
    match files(&h) {
        Ok((files, bad)) => {
            pkg.files = files;
            if bad > 0 {
                pkg.files_error = Some(corrupt(format!("{bad} file(s) with a directory index out of range skipped")));
            }
        }
        Err(e) => pkg.files_error = Some(e),
    }
    Ok(pkg)
}

/// Each of `names` once, in order (a header lists one name per version constraint: `glibc >=
/// 2.34` and `glibc < 2.35` are two entries). Bounded by the header: a string array's count is
/// checked against its data.
fn names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names.filter(|n| !n.is_empty() && seen.insert(*n)).map(str::to_owned).collect()
}

/// The file list, and how many entries had to be skipped.
fn files(h: &Header<'_>) -> Result<(Vec<String>, usize), Error> {
    let basenames = h.string_array(tag::BASENAMES)?;
    if basenames.is_empty() {
        return Ok((h.string_array(tag::OLDFILENAMES)?.into_iter().map(str::to_owned).collect(), 0));
    }
    let dirnames = h.string_array(tag::DIRNAMES)?;
    let dirindexes = h.int32_array(tag::DIRINDEXES)?;
    if dirindexes.len() != basenames.len() {
        return Err(corrupt(format!("{} base names but {} dir indexes", basenames.len(), dirindexes.len())));
    }
    let mut bad = 0;
    let mut out = Vec::with_capacity(basenames.len());
    // Directory names are shared, so paths can be longer than the header; a real header stays
    // far below this ratio, a hostile one (a huge directory repeated) would exhaust memory.
    let budget = h.data.len().saturating_mul(PATH_BYTES_PER_DATA_BYTE);
    let mut used = 0usize;
    for (base, di) in basenames.iter().zip(dirindexes) {
        match dirnames.get(di as usize) {
            Some(dir) => {
                used = used.saturating_add(dir.len() + base.len());
                if used > budget {
                    return Err(corrupt(format!("file paths exceed {PATH_BYTES_PER_DATA_BYTE}x the header size")));
                }
                out.push(format!("{dir}{base}"));
            }
            None => bad += 1,
        }
    }
    Ok((out, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_split() {
        assert_eq!(split_source_rpm("util-linux-2.32.1-42.el8_8.src.rpm"), Some(("util-linux", "2.32.1", "42.el8_8")));
        assert_eq!(split_source_rpm("curl-7.76.0-6.cm2.src.rpm"), Some(("curl", "7.76.0", "6.cm2")));
        assert_eq!(split_source_rpm("x.src.rpm"), None);
        assert_eq!(split_source_rpm("(none)"), None);
    }

    #[test]
    fn tiny_and_lying_headers_are_errors() {
        assert!(parse_header(&[]).is_err());
        assert!(parse_header(&[0, 0, 0, 1, 0, 0, 0, 0]).is_err());
        // il = 0xffff_ffff
        assert!(parse_header(&[0xff; 64]).is_err());
        // One entry pointing far out of a 4-byte data store.
        let mut b = vec![0, 0, 0, 1, 0, 0, 0, 4];
        b.extend_from_slice(&1000u32.to_be_bytes());
        b.extend_from_slice(&6u32.to_be_bytes());
        b.extend_from_slice(&0x7fff_ffffu32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(b"abc\0");
        assert!(matches!(parse_header(&b), Err(Error::Corrupt(_))));
    }
}
