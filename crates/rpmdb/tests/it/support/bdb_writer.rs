//! A minimal BerkeleyDB hash writer (little-endian, 4096-byte pages, one bucket), used to build a
//! multi-package `Packages` from real header blobs: the BerkeleyDB fixtures of the shared set hold
//! one package each, and the big CentOS ones were left out of the snapshot.

const PS: usize = 4096;
const HDR: usize = 26;

thread_local! {
    static BIG_ENDIAN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn put32(f: &mut [u8], at: usize, v: u32) {
    let b = if BIG_ENDIAN.get() { v.to_be_bytes() } else { v.to_le_bytes() };
    f[at..at + 4].copy_from_slice(&b);
}

fn put16(f: &mut [u8], at: usize, v: u16) {
    let b = if BIG_ENDIAN.get() { v.to_be_bytes() } else { v.to_le_bytes() };
    f[at..at + 2].copy_from_slice(&b);
}

/// Like [`write`], in the byte order of a big-endian machine (s390x images).
#[allow(dead_code)]
pub(crate) fn write_big_endian(blobs: &[Vec<u8>]) -> Vec<u8> {
    BIG_ENDIAN.set(true);
    let f = write(blobs);
    BIG_ENDIAN.set(false);
    f
}

/// Builds a little-endian hash database whose bucket 0 holds `(instance, blob)` pairs, each blob on its own
/// overflow chain.
pub(crate) fn write(blobs: &[Vec<u8>]) -> Vec<u8> {
    // Page 0: meta; pages 1..=h: hash pages of bucket 0 (chained); then overflow pages.
    let per_page = (PS - HDR) / 21;
    let hash_pages = blobs.len().div_ceil(per_page).max(1);
    let mut pages: Vec<Vec<u8>> = vec![vec![0; PS]; 1 + hash_pages];
    let mut items: Vec<(u32, u32, u32)> = Vec::new(); // (instance, first overflow page, length)
    for (i, blob) in blobs.iter().enumerate() {
        let first = pages.len();
        let chunks: Vec<&[u8]> = blob.chunks(PS - HDR).collect();
        for (c, chunk) in chunks.iter().enumerate() {
            let pgno = pages.len();
            let mut p = vec![0; PS];
            put32(&mut p, 8, pgno as u32);
            put32(&mut p, 12, if c == 0 { 0 } else { pgno as u32 - 1 });
            put32(&mut p, 16, if c + 1 == chunks.len() { 0 } else { pgno as u32 + 1 });
            put16(&mut p, 20, 1);
            put16(&mut p, 22, chunk.len() as u16);
            p[25] = 7;
            p[HDR..HDR + chunk.len()].copy_from_slice(chunk);
            pages.push(p);
        }
        items.push((i as u32 + 1, first as u32, blob.len() as u32));
    }
    for (h, group) in items.chunks(per_page).enumerate() {
        let pgno = 1 + h;
        let p = &mut pages[pgno];
        put32(p, 8, pgno as u32);
        put32(p, 12, if h == 0 { 0 } else { pgno as u32 - 1 });
        put32(p, 16, if h + 1 == hash_pages { 0 } else { pgno as u32 + 1 });
        put16(p, 20, (2 * group.len()) as u16);
        p[25] = 13;
        let mut top = PS;
        for (k, &(instance, first, len)) in group.iter().enumerate() {
            top -= 5;
            p[top] = 1;
            put32(p, top + 1, instance);
            put16(p, HDR + 4 * k, top as u16);
            top -= 12;
            p[top] = 3;
            put32(p, top + 4, first);
            put32(p, top + 8, len);
            put16(p, HDR + 4 * k + 2, top as u16);
        }
        put16(p, 22, (top - HDR - 4 * group.len()) as u16);
    }
    let last = pages.len() - 1;
    let m = &mut pages[0];
    put32(m, 12, 0x0006_1561);
    put32(m, 16, 9);
    put32(m, 20, PS as u32);
    m[25] = 8;
    put32(m, 32, last as u32);
    put32(m, 72, 0); // max_bucket
    put32(m, 76, 0); // high_mask
    put32(m, 80, 0); // low_mask
    put32(m, 84, 0); // fill factor
    put32(m, 88, blobs.len() as u32); // nelem
    put32(m, 96, 1); // spares[0]: bucket 0 is page 1
    pages.concat()
}
