//! A read-only walker over BerkeleyDB hash databases, enough for rpm's `Packages`.
//!
//! Layout (BerkeleyDB `dbinc/db_page.h`): page 0 is the hash metadata page (magic `0x061561` at
//! byte 12, page size at 20, last page number at 32), in the byte order of the machine that wrote
//! it. Every other page starts with a 26-byte header (`pgno` at 8, `next_pgno` at 16, `entries`
//! at 20, `hf_offset` at 22, `type` at 25) followed by `entries` 16-bit item offsets. On hash
//! pages items come in key/data pairs; rpm's header blobs are too big to sit on the page, so the
//! data item is an `H_OFFPAGE` reference (first overflow page, total length) to a chain of
//! overflow pages, each holding `hf_offset` bytes after its header. We walk every page in order,
//! like `db_dump -r` does, and collect each pair's data.

use crate::{BlobSink, Blobs, Error};

/// Hash database magic.
const HASH_MAGIC: u32 = 0x0006_1561;
/// Btree database magic (rpm's index files, not `Packages`).
const BTREE_MAGIC: u32 = 0x0005_3162;

/// Page types.
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;

/// Hash item types.
const H_KEYDATA: u8 = 1;
const H_DUPLICATE: u8 = 2;
const H_OFFPAGE: u8 = 3;
const H_OFFDUP: u8 = 4;

/// Size of the generic page header.
const PAGE_HEADER: usize = 26;

#[derive(Debug, Clone, Copy)]
enum Endian {
    Little,
    Big,
}

impl Endian {
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s = b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(match self {
            Self::Little => u32::from_le_bytes(a),
            Self::Big => u32::from_be_bytes(a),
        })
    }

    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s = b.get(at..at.checked_add(2)?)?;
        let a = [s[0], s[1]];
        Some(match self {
            Self::Little => u16::from_le_bytes(a),
            Self::Big => u16::from_be_bytes(a),
        })
    }
}

fn magic_endian(bytes: &[u8], magic: u32) -> Option<Endian> {
    if Endian::Little.u32(bytes, 12)? == magic {
        Some(Endian::Little)
    } else if Endian::Big.u32(bytes, 12)? == magic {
        Some(Endian::Big)
    } else {
        None
    }
}

/// Whether `bytes` start with a BerkeleyDB hash metadata page.
pub fn is_hash_db(bytes: &[u8]) -> bool {
    magic_endian(bytes, HASH_MAGIC).is_some()
}

/// The metadata a walk needs.
#[derive(Debug, Clone, Copy)]
struct Meta {
    endian: Endian,
    page_size: usize,
    /// Number of pages we can actually read.
    pages: usize,
}

fn read_meta(bytes: &[u8], problems: &mut Vec<Error>) -> Result<Meta, Error> {
    let Some(endian) = magic_endian(bytes, HASH_MAGIC) else {
        if magic_endian(bytes, BTREE_MAGIC).is_some() {
            return Err(Error::Unsupported("BerkeleyDB btree database (an rpm index, not Packages)".into()));
        }
        return Err(Error::UnknownFormat);
    };
    let version = endian.u32(bytes, 16).ok_or_else(|| Error::Truncated("hash metadata".into()))?;
    if !(8..=10).contains(&version) {
        problems.push(Error::Unsupported(format!("BerkeleyDB hash version {version} (expected 8-10); reading anyway")));
    }
    let page_size = endian.u32(bytes, 20).ok_or_else(|| Error::Truncated("hash metadata".into()))? as usize;
    if !page_size.is_power_of_two() || !(512..=65536).contains(&page_size) {
        return Err(Error::Corrupt(format!("page size {page_size}")));
    }
    // Encrypted databases (encrypt_alg != 0 at byte 24) cannot be read.
    if bytes.get(24).is_some_and(|&a| a != 0) {
        return Err(Error::Unsupported("encrypted BerkeleyDB database".into()));
    }
    let last_pgno = endian.u32(bytes, 32).ok_or_else(|| Error::Truncated("hash metadata".into()))? as usize;
    let in_file = bytes.len() / page_size;
    let announced = last_pgno.saturating_add(1);
    if in_file < announced {
        problems.push(Error::Truncated(format!(
            "database announces {announced} pages of {page_size} bytes, file holds {in_file} (size {})",
            bytes.len()
        )));
    }
    Ok(Meta { endian, page_size, pages: in_file.min(announced) })
}

/// Reads every header blob of a BerkeleyDB hash `Packages` database.
pub fn read_blobs(bytes: &[u8]) -> Result<Blobs, Error> {
    let mut blobs = Blobs::default();
    each_blob(bytes, &mut blobs)?;
    Ok(blobs)
}

/// [`read_blobs`], each blob handed to `out` as it is found.
pub fn each_blob(bytes: &[u8], out: &mut dyn BlobSink) -> Result<(), Error> {
    let mut problems = Vec::new();
    let meta = read_meta(bytes, &mut problems);
    problems.into_iter().for_each(|p| out.problem(p));
    let meta = meta?;
    // Every byte of a real value sits on exactly one overflow page, so all values together are
    // smaller than the file; hostile items sharing one long chain would otherwise copy it again
    // and again.
    let mut budget = bytes.len();
    for pgno in 1..meta.pages {
        let start = pgno * meta.page_size;
        let Some(page) = bytes.get(start..start + meta.page_size) else { break };
        let ty = page[25];
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        if let Err(e) = read_hash_page(bytes, &meta, pgno, page, out, &mut budget) {
            out.problem(e);
        }
    }
    Ok(())
}

fn read_hash_page(
    bytes: &[u8],
    meta: &Meta,
    pgno: usize,
    page: &[u8],
    out: &mut dyn BlobSink,
    budget: &mut usize,
) -> Result<(), Error> {
    let e = meta.endian;
    let entries = usize::from(e.u16(page, 20).unwrap_or(0));
    if PAGE_HEADER + 2 * entries > page.len() {
        return Err(Error::Corrupt(format!("hash page {pgno}: {entries} entries do not fit")));
    }
    let offset = |i: usize| -> Result<usize, Error> {
        let off = usize::from(e.u16(page, PAGE_HEADER + 2 * i).unwrap_or(0));
        if off < PAGE_HEADER + 2 * entries || off >= page.len() {
            return Err(Error::Corrupt(format!("hash page {pgno}: item {i} at offset {off}")));
        }
        Ok(off)
    };
    // Items are laid out from the end of the page down: item i ends where item i-1 starts.
    let end = |i: usize| -> Result<usize, Error> { if i == 0 { Ok(page.len()) } else { offset(i - 1) } };
    for k in (0..entries.saturating_sub(1)).step_by(2) {
        let (key_off, data_off) = match (offset(k), offset(k + 1)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(err), _) | (_, Err(err)) => {
                out.problem(err);
                continue;
            }
        };
        // rpm keys headers by instance number; key 0 holds bookkeeping, not a header.
        if page[key_off] == H_KEYDATA {
            let key_end = end(k)?;
            if key_off < key_end && page[key_off + 1..key_end].iter().all(|&b| b == 0) {
                continue;
            }
        }
        match page[data_off] {
            H_OFFPAGE => match read_overflow(bytes, meta, page, data_off, *budget) {
                Ok(blob) => {
                    *budget -= blob.len();
                    out.blob(&blob);
                }
                Err(err) => out.problem(err),
            },
            H_KEYDATA => {
                let data_end = end(k + 1)?;
                if data_off + 1 < data_end {
                    out.blob(&page[data_off + 1..data_end]);
                }
            }
            H_DUPLICATE | H_OFFDUP => {
                out.problem(Error::Unsupported(format!("hash page {pgno}: duplicate data items")));
            }
            other => out.problem(Error::Corrupt(format!("hash page {pgno}: item type {other}"))),
        }
    }
    Ok(())
}

/// Follows an `H_OFFPAGE` item's overflow chain and returns the whole value.
fn read_overflow(bytes: &[u8], meta: &Meta, page: &[u8], item: usize, budget: usize) -> Result<Vec<u8>, Error> {
    let e = meta.endian;
    let (Some(first), Some(total)) = (e.u32(page, item + 4), e.u32(page, item + 8)) else {
        return Err(Error::Corrupt("off-page item runs past its page".into()));
    };
    let total = total as usize;
    if total > budget {
        return Err(Error::Corrupt(format!(
            "off-page item of {total} bytes exceeds what the {} byte file can still hold",
            bytes.len()
        )));
    }
    let mut blob = Vec::with_capacity(total);
    let mut next = first as usize;
    let mut visited = std::collections::HashSet::new();
    // A chain can never be longer than the number of pages: this bounds cycles.
    for _ in 0..meta.pages {
        if blob.len() >= total {
            break;
        }
        if next == 0 || next >= meta.pages {
            return Err(Error::Truncated(format!(
                "overflow chain from page {first} stops at page {next} after {} of {total} bytes",
                blob.len()
            )));
        }
        if !visited.insert(next) {
            return Err(Error::Corrupt(format!("overflow chain from page {first} loops back to page {next}")));
        }
        let start = next * meta.page_size;
        let p = bytes
            .get(start..start + meta.page_size)
            .ok_or_else(|| Error::Truncated(format!("overflow page {next} is past the end of the file")))?;
        if p[25] != P_OVERFLOW {
            return Err(Error::Corrupt(format!("page {next} in an overflow chain has type {}", p[25])));
        }
        let used = usize::from(e.u16(p, 22).unwrap_or(0));
        let chunk = p
            .get(PAGE_HEADER..PAGE_HEADER + used)
            .ok_or_else(|| Error::Corrupt(format!("overflow page {next} claims {used} bytes")))?;
        let take = chunk.len().min(total - blob.len());
        blob.extend_from_slice(&chunk[..take]);
        next = e.u32(p, 16).unwrap_or(0) as usize;
    }
    if blob.len() < total {
        return Err(Error::Corrupt(format!("overflow chain from page {first} loops")));
    }
    Ok(blob)
}
