//! Go binaries: the `.go.buildinfo` blob that every Go >= 1.13 executable carries (ELF, PE, Mach-O).
//!
//! The blob starts with the 14-byte magic `\xff Go buildinf:`, then the pointer size and a flags
//! byte. Go 1.18+ (flag bit 2) stores the Go version and the module info inline after the 32-byte
//! header, each as a uvarint length and the bytes. Older binaries store two pointers to Go string
//! headers `{data, len}`, which are virtual addresses mapped back to the file through the
//! sections/segments that `object` reads. The module info is the text `go version -m` prints:
//! `path`, `mod`, `dep` and `=>` (replacement of the previous line) lines, tab separated.

use microscanner_model::{Evidence, PackageKind};
use object::{Object, ObjectSection, ObjectSegment};

use super::{ParseResult, lang_package, warn};

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// Bound on the version and module-info strings.
const MAX_STRING: u64 = 8 * 1024 * 1024;

/// What the build info says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The Go toolchain version (`go1.24.1`), without experiment suffixes.
    pub go_version: String,
    /// The main package's import path (`path` line).
    pub path: Option<String>,
    /// The main module (`mod` line): path and version.
    pub main: Option<(String, String)>,
    /// The dependency modules after applying `=>` replacements: path and version.
    pub deps: Vec<(String, String)>,
}

/// Why the build info could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BuildInfoError {
    /// The header is cut short or says something impossible.
    #[error("Go build info header is truncated or invalid")]
    BadHeader,
    /// A string points outside the file.
    #[error("Go build info string is outside the file (truncated binary?)")]
    Truncated,
    /// A string pointer could not be mapped to the file.
    #[error("Go build info pointer {0:#x} is not in any section of the file")]
    Unmapped(u64),
    /// The pointer form needs the object file and it could not be parsed.
    #[error("cannot parse the executable for pointer-form Go build info: {0}")]
    Object(String),
}

/// Finds the build-info blob: the offset of the magic, preferring the dedicated section.
fn find_magic(bytes: &[u8], file: Option<&object::File<'_>>) -> Option<usize> {
    if let Some(f) = file {
        for s in f.sections() {
            if matches!(s.name(), Ok(".go.buildinfo" | "__go_buildinfo"))
                && let Some((off, size)) = s.file_range()
                && let (Ok(off), Ok(size)) = (usize::try_from(off), usize::try_from(size))
                && let Some(region) = bytes.get(off..off.saturating_add(size).min(bytes.len()))
                && let Some(i) = find_aligned(region)
            {
                return Some(off + i);
            }
        }
    }
    find_aligned(bytes)
}

/// The first 16-byte aligned occurrence of the magic (Go aligns the blob to 16 bytes).
fn find_aligned(region: &[u8]) -> Option<usize> {
    let mut start = 0;
    while start + MAGIC.len() <= region.len() {
        let rel = region.get(start..)?.iter().position(|&b| b == 0xff)?;
        let i = start + rel;
        if i % 16 == 0 && region.get(i..i + MAGIC.len()) == Some(MAGIC) {
            return Some(i);
        }
        start = i + 1;
    }
    None
}

/// Reads a uvarint at `*pos`.
fn uvarint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value: u64 = 0;
    for shift in (0..70).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        if shift == 63 && b > 1 {
            return None;
        }
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Reads an inline (Go 1.18+) uvarint-prefixed string.
fn inline_string<'a>(bytes: &'a [u8], pos: &mut usize) -> Result<&'a [u8], BuildInfoError> {
    let len = uvarint(bytes, pos).ok_or(BuildInfoError::Truncated)?;
    if len > MAX_STRING {
        return Err(BuildInfoError::BadHeader);
    }
    let len = usize::try_from(len).map_err(|_| BuildInfoError::BadHeader)?;
    let s = bytes.get(*pos..pos.saturating_add(len)).ok_or(BuildInfoError::Truncated)?;
    *pos += len;
    Ok(s)
}

/// Reads a pointer-sized unsigned integer.
fn read_uint(bytes: &[u8], ptr_size: usize, big_endian: bool) -> Option<u64> {
    let b = bytes.get(..ptr_size)?;
    Some(match (ptr_size, big_endian) {
        (4, false) => u64::from(u32::from_le_bytes(b.try_into().ok()?)),
        (4, true) => u64::from(u32::from_be_bytes(b.try_into().ok()?)),
        (8, false) => u64::from_le_bytes(b.try_into().ok()?),
        (8, true) => u64::from_be_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

/// Maps a virtual address to `len` bytes of the file.
fn read_va<'a>(bytes: &'a [u8], file: &object::File<'_>, addr: u64, len: u64) -> Result<&'a [u8], BuildInfoError> {
    let ranges = file.sections().filter_map(|s| s.file_range().map(|(off, size)| (s.address(), off, size))).chain(
        file.segments().map(|s| {
            let (off, size) = s.file_range();
            (s.address(), off, size)
        }),
    );
    for (start, off, size) in ranges {
        if addr >= start && addr - start < size {
            let rel = addr - start;
            if rel.saturating_add(len) > size {
                return Err(BuildInfoError::Truncated);
            }
            let begin = usize::try_from(off.saturating_add(rel)).map_err(|_| BuildInfoError::Truncated)?;
            let end = begin.saturating_add(usize::try_from(len).map_err(|_| BuildInfoError::Truncated)?);
            return bytes.get(begin..end).ok_or(BuildInfoError::Truncated);
        }
    }
    Err(BuildInfoError::Unmapped(addr))
}

/// Reads a Go string header `{data, len}` at `addr` and the string it points to.
fn pointer_string<'a>(
    bytes: &'a [u8],
    file: &object::File<'_>,
    addr: u64,
    ptr_size: usize,
    big_endian: bool,
) -> Result<&'a [u8], BuildInfoError> {
    let hdr = read_va(bytes, file, addr, 2 * ptr_size as u64)?;
    let data = read_uint(hdr, ptr_size, big_endian).ok_or(BuildInfoError::Truncated)?;
    let len =
        read_uint(hdr.get(ptr_size..).unwrap_or_default(), ptr_size, big_endian).ok_or(BuildInfoError::Truncated)?;
    if len > MAX_STRING {
        return Err(BuildInfoError::BadHeader);
    }
    if len == 0 {
        return Ok(&[]);
    }
    read_va(bytes, file, data, len)
}

/// Reads the raw Go version and module info strings. `Ok(None)`: not a Go binary.
pub fn read_raw(bytes: &[u8]) -> Result<Option<(String, String)>, BuildInfoError> {
    let file = object::File::parse(bytes).ok();
    let Some(at) = find_magic(bytes, file.as_ref()) else { return Ok(None) };
    let header = bytes.get(at..at + HEADER_LEN).ok_or(BuildInfoError::Truncated)?;
    let ptr_size = usize::from(header[14]);
    let flags = header[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let mut pos = at + HEADER_LEN;
        let v = inline_string(bytes, &mut pos)?;
        let m = inline_string(bytes, &mut pos)?;
        (v, m)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(BuildInfoError::BadHeader);
        }
        let big_endian = flags & 1 != 0;
        let file = file.as_ref().ok_or_else(|| BuildInfoError::Object("unrecognised or truncated".into()))?;
        let ptrs = bytes.get(at + 16..at + 16 + 2 * ptr_size).ok_or(BuildInfoError::Truncated)?;
        let vaddr = read_uint(ptrs, ptr_size, big_endian).ok_or(BuildInfoError::Truncated)?;
        let maddr = read_uint(ptrs.get(ptr_size..).unwrap_or_default(), ptr_size, big_endian)
            .ok_or(BuildInfoError::Truncated)?;
        (
            pointer_string(bytes, file, vaddr, ptr_size, big_endian)?,
            pointer_string(bytes, file, maddr, ptr_size, big_endian)?,
        )
    };
    let mut modinfo = modinfo;
    // Module info is framed by two 16-byte sentinels.
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        modinfo = &modinfo[16..modinfo.len() - 16];
    }
    Ok(Some((String::from_utf8_lossy(version).into_owned(), String::from_utf8_lossy(modinfo).into_owned())))
}

/// Parses the module-info text (`go version -m` lines).
pub fn parse_modinfo(go_version: &str, modinfo: &str) -> BuildInfo {
    let mut info = BuildInfo {
        go_version: go_version.split_whitespace().next().unwrap_or_default().to_owned(),
        ..BuildInfo::default()
    };
    // Which entry a `=>` line replaces: None = main, Some(i) = deps[i].
    let mut last: Option<Option<usize>> = None;
    for line in modinfo.lines() {
        let mut f = line.split('\t');
        let kind = f.next().unwrap_or_default();
        let a = f.next().unwrap_or_default().to_owned();
        let b = f.next().unwrap_or_default().to_owned();
        match kind {
            "path" => info.path = Some(a),
            "mod" => {
                info.main = Some((a, b));
                last = Some(None);
            }
            "dep" => {
                info.deps.push((a, b));
                last = Some(Some(info.deps.len() - 1));
            }
            "=>" => match last {
                Some(Some(i)) => {
                    if let Some(d) = info.deps.get_mut(i) {
                        // a local replacement (`=> ../foo`) has no version: keep the original one
                        if !b.is_empty() {
                            *d = (a, b);
                        }
                    }
                }
                Some(None) => {
                    if let Some(m) = info.main.as_mut()
                        && !b.is_empty()
                    {
                        *m = (a, b);
                    }
                }
                None => {}
            },
            _ => {}
        }
    }
    info
}

/// The `stdlib` module version of a Go toolchain version: `go1.24.1` → `v1.24.1`, `go1.20` →
/// `v1.20.0`, `go1.21rc2` → `v1.21.0-rc.2`. `None` for devel toolchains.
pub fn stdlib_version(go_version: &str) -> Option<String> {
    microscanner_version::go::toolchain_semver(go_version).map(|v| format!("v{v}"))
}

/// Packages of a build info: `stdlib`, the main module (when module-aware and versioned) and deps.
pub fn packages(info: &BuildInfo) -> ParseResult {
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    match stdlib_version(&info.go_version) {
        Some(v) => pkgs.push(lang_package(PackageKind::Golang, "stdlib", &v, Evidence::Installed)),
        None => diags.push(warn(format!("unrecognised Go version {:?}", info.go_version))),
    }
    if let Some((path, version)) = &info.main
        && !path.is_empty()
    {
        // `(devel)`: built from a checkout, no version to match; the binary is the project itself
        if !version.is_empty() && version != "(devel)" {
            pkgs.push(lang_package(PackageKind::Golang, path, version, Evidence::Installed));
        }
    }
    for (path, version) in &info.deps {
        if !path.is_empty() {
            pkgs.push(lang_package(PackageKind::Golang, path, version, Evidence::Installed));
        }
    }
    (pkgs, diags)
}

/// Parses a Go executable: nothing when it has no build info, a diagnostic when it is broken.
pub fn parse(bytes: &[u8]) -> ParseResult {
    match read_raw(bytes) {
        Ok(None) => (Vec::new(), Vec::new()),
        Ok(Some((version, modinfo))) if version.is_empty() => {
            let _ = modinfo;
            (Vec::new(), Vec::new())
        }
        Ok(Some((version, modinfo))) => packages(&parse_modinfo(&version, &modinfo)),
        Err(e) => (Vec::new(), vec![warn(e.to_string())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(stdlib_version("go1.24.1").as_deref(), Some("v1.24.1"));
        assert_eq!(stdlib_version("go1.20").as_deref(), Some("v1.20.0"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("v1.21.0-rc.2"));
        assert_eq!(stdlib_version("devel +abc"), None);
    }

    #[test]
    fn replace_lines() {
        let m = "path\tx/cmd\nmod\tx\t(devel)\t\ndep\ta/b\tv1.0.0\th1:x\n=>\tc/d\tv2.0.0\th1:y\ndep\te\tv0.1.0\n";
        let i = parse_modinfo("go1.16.4 X:foo", m);
        assert_eq!(i.go_version, "go1.16.4");
        assert_eq!(i.deps, vec![("c/d".into(), "v2.0.0".into()), ("e".into(), "v0.1.0".into())]);
        let (p, _) = packages(&i);
        assert_eq!(p.len(), 3, "stdlib and two deps; the (devel) main module is not a package");
        assert_eq!(p[1].purl(), "pkg:golang/c/d@v2.0.0");
    }

    #[test]
    fn inline_blob_and_truncation() {
        let mut b = vec![0u8; 64];
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&[8, 2]);
        b.extend_from_slice(&[0; 16]);
        b.push(8);
        b.extend_from_slice(b"go1.22.1");
        let modinfo = b"path\tx\nmod\tx\tv1.0.0";
        b.push(u8::try_from(modinfo.len()).unwrap());
        b.extend_from_slice(modinfo);
        let (p, d) = parse(&b);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(p.len(), 2);
        let (p, d) = parse(&b[..b.len() - 5]);
        assert!(p.is_empty());
        assert_eq!(d.len(), 1);
    }
}
