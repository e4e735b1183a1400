//! rpm's NDB format (`Packages.db`, rpm `lib/backend/ndb/rpmpkg.c`), little-endian throughout.
//!
//! The file starts with a 32-byte header (magic `RpmP`, version 0, generation, number of slot
//! pages) followed by 16-byte slots filling `slot pages × 4096` bytes: magic `Slot`, package
//! index (0 = free), block offset and block count, in 16-byte blocks. Each used slot points to a
//! blob: a 16-byte head (magic `BlbS`, package index, checksum, length) and the header blob.

use crate::{BlobSink, Blobs, Error, le32};

/// The file magic.
pub const MAGIC: &[u8] = b"RpmP";
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const PAGE_SIZE: usize = 4096;
const BLOCK_SIZE: usize = 16;
const HEADER_SIZE: usize = 32;
const SLOT_SIZE: usize = 16;
const BLOB_HEAD: usize = 16;

/// Reads every header blob of an NDB `Packages.db`.
pub fn read_blobs(bytes: &[u8]) -> Result<Blobs, Error> {
    let mut blobs = Blobs::default();
    each_blob(bytes, &mut blobs)?;
    Ok(blobs)
}

/// [`read_blobs`], each blob handed to `out` as it is found.
pub fn each_blob(bytes: &[u8], out: &mut dyn BlobSink) -> Result<(), Error> {
    if !bytes.starts_with(MAGIC) {
        return Err(Error::UnknownFormat);
    }
    let header = |at| le32(bytes, at).ok_or_else(|| Error::Truncated("NDB header".into()));
    let version = header(4)?;
    if version != 0 {
        return Err(Error::Unsupported(format!("NDB version {version}")));
    }
    let slot_pages = header(12)? as usize;
    if slot_pages == 0 {
        return Err(Error::Corrupt("NDB header says 0 slot pages".into()));
    }
    let slots_end = slot_pages.saturating_mul(PAGE_SIZE);
    if slots_end > bytes.len() {
        out.problem(Error::Truncated(format!("NDB announces {slot_pages} slot pages, file has {} bytes", bytes.len())));
    }
    let slots_end = slots_end.min(bytes.len());
    let mut at = HEADER_SIZE;
    let mut budget = bytes.len();
    while at + SLOT_SIZE <= slots_end {
        let slot = [le32(bytes, at), le32(bytes, at + 4), le32(bytes, at + 8), le32(bytes, at + 12)];
        at += SLOT_SIZE;
        let [Some(magic), Some(pkg_index), Some(block), Some(blocks)] = slot else { break };
        if magic != SLOT_MAGIC {
            out.problem(Error::Corrupt(format!("NDB slot at {} has a bad magic", at - SLOT_SIZE)));
            continue;
        }
        if pkg_index == 0 {
            continue;
        }
        match read_blob(bytes, pkg_index, block as usize, blocks as usize) {
            // Slots of a real database point at distinct blobs, so all blobs fit in the file
            // once; slots sharing a blob would otherwise copy it again and again.
            Ok(b) if b.len() > budget => {
                out.problem(Error::Corrupt(format!("NDB slots for package {pkg_index} overlap others")));
            }
            Ok(b) => {
                budget -= b.len();
                out.blob(b);
            }
            Err(e) => out.problem(e),
        }
    }
    Ok(())
}

fn read_blob(bytes: &[u8], pkg_index: u32, block: usize, blocks: usize) -> Result<&[u8], Error> {
    let start = block.checked_mul(BLOCK_SIZE).ok_or_else(|| Error::Corrupt("NDB block offset overflows".into()))?;
    let room = blocks.checked_mul(BLOCK_SIZE).ok_or_else(|| Error::Corrupt("NDB block count overflows".into()))?;
    let head = |off| {
        le32(bytes, start + off)
            .ok_or_else(|| Error::Truncated(format!("NDB blob of package {pkg_index} at {start} is past the end")))
    };
    if head(0)? != BLOB_MAGIC {
        return Err(Error::Corrupt(format!("NDB blob of package {pkg_index} at {start} has a bad magic")));
    }
    let index = head(4)?;
    if index != pkg_index {
        return Err(Error::Corrupt(format!("NDB slot for package {pkg_index} points at the blob of package {index}")));
    }
    let len = head(12)? as usize;
    if len + BLOB_HEAD > room {
        return Err(Error::Corrupt(format!("NDB blob of package {pkg_index}: {len} bytes do not fit {blocks} blocks")));
    }
    let data = start + BLOB_HEAD;
    bytes
        .get(data..data + len)
        .ok_or_else(|| Error::Truncated(format!("NDB blob of package {pkg_index} ends past the end of the file")))
}
