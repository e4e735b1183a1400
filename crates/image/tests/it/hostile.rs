//! Hostile and broken images, through the public API only (`open` + walking every layer): each
//! case ends in a clear one-line error naming the file or blob, or in a partial result with a
//! note to the visitor, and never in a panic or a hang.

#![allow(clippy::unwrap_used)]

use std::io::{self, Read, Write};
use std::path::Path;

use microscanner_image::path::{normalize, resolve_link};
use microscanner_image::{EntryKind, Image, ImageError, LayerVisitor, Limits, WalkStats, open};
use microscanner_testkit::{LayerBuilder, TestLayer, gzip, sha256, write_docker_archive, write_oci_layout};
use proptest::prelude::*;
use sha2::{Digest as _, Sha256};

/// A visitor that records what the walk showed it. It wants every file up to `max_wanted` bytes
/// and reads the content of those it wants.
#[derive(Debug, Default)]
struct Counting {
    max_wanted: u64,
    /// Every regular file offered: (path, size).
    offered: Vec<(String, u64)>,
    /// Files read: (path, content).
    files: Vec<(String, Vec<u8>)>,
    /// Non-regular entries.
    entries: Vec<(String, EntryKind)>,
    /// Skipped entries: (raw path, reason).
    skipped: Vec<(String, String)>,
}

impl Counting {
    fn new() -> Self {
        Self { max_wanted: 1 << 20, ..Self::default() }
    }

    fn file_paths(&self) -> Vec<&str> {
        self.files.iter().map(|(p, _)| p.as_str()).collect()
    }
}

impl LayerVisitor for Counting {
    fn wants(&mut self, path: &str, size: u64) -> bool {
        self.offered.push((path.to_owned(), size));
        size <= self.max_wanted
    }

    fn file(&mut self, path: &str, _size: u64, content: &mut dyn Read) -> io::Result<()> {
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes)?;
        self.files.push((path.to_owned(), bytes));
        Ok(())
    }

    fn entry(&mut self, path: &str, kind: EntryKind) {
        self.entries.push((path.to_owned(), kind));
    }

    fn skipped(&mut self, raw_path: &str, reason: &str) {
        self.skipped.push((raw_path.to_owned(), reason.to_owned()));
    }
}

/// Walks every layer of `image` with one visitor; the first error stops.
fn walk_all(image: &Image, limits: &Limits, visitor: &mut Counting) -> Result<Vec<WalkStats>, ImageError> {
    image.layers.iter().map(|layer| layer.walk(limits, visitor)).collect()
}

/// Opens `target` and walks it with default limits.
fn open_and_walk(target: &str) -> Result<Counting, ImageError> {
    let limits = Limits::default();
    let image = open(target, &limits)?;
    let mut visitor = Counting::new();
    walk_all(&image, &limits, &mut visitor)?;
    Ok(visitor)
}

/// Asserts that an error message is one line and mentions `needle`.
fn assert_one_line_naming(err: &ImageError, needle: &str) {
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "error is not one line: {msg:?}");
    assert!(msg.contains(needle), "error {msg:?} does not name {needle:?}");
}

/// A layer with a few files, one of them large enough that a cut in the middle of the stream
/// lands inside its data.
fn sample_layer() -> Vec<u8> {
    let big: Vec<u8> = (0..64 * 1024u32).flat_map(|i| i.to_le_bytes()).collect();
    LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\n")
        .file("usr/share/big.bin", &big)
        .file("var/lib/dpkg/status", b"Package: x\n")
        .build()
}

/// Writes a blob into an OCI layout's store; returns its digest.
fn put_blob(dir: &Path, bytes: &[u8]) -> String {
    let digest = sha256(bytes);
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(&digest["sha256:".len()..]), bytes).unwrap();
    digest
}

/// One layer of a hand-written layout: stored digest, stored size, media type, diffID.
struct RawLayer {
    digest: String,
    size: u64,
    media_type: &'static str,
    diff_id: String,
}

/// Writes config, manifest, index.json and oci-layout for layer blobs already in `dir`'s store
/// (so a test can store bytes that testkit's writer would not: truncated or corrupt streams whose
/// descriptors are nevertheless consistent, or a blob built by streaming).
fn write_raw_layout(dir: &Path, layers: &[RawLayer]) {
    let diff_ids: Vec<&str> = layers.iter().map(|l| l.diff_id.as_str()).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": layers.iter().map(|_| serde_json::json!({ "created_by": "test" })).collect::<Vec<_>>(),
    }))
    .unwrap();
    let config_digest = put_blob(dir, &config);
    let descriptors: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| serde_json::json!({ "mediaType": l.media_type, "digest": l.digest, "size": l.size }))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len() },
        "layers": descriptors,
    }))
    .unwrap();
    let manifest_digest = put_blob(dir, &manifest);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

/// A one-layer layout whose only layer blob is `stored` (consistent digest and size), for a
/// layer whose uncompressed tar is `tar`.
fn layout_with_stored_blob(dir: &Path, stored: &[u8], gzipped: bool, tar: &[u8]) -> String {
    let digest = put_blob(dir, stored);
    let media_type =
        if gzipped { "application/vnd.oci.image.layer.v1.tar+gzip" } else { "application/vnd.oci.image.layer.v1.tar" };
    write_raw_layout(
        dir,
        &[RawLayer { digest: digest.clone(), size: stored.len() as u64, media_type, diff_id: sha256(tar) }],
    );
    digest
}

fn oci_target(dir: &Path) -> String {
    format!("oci:{}", dir.display())
}

// --- truncated streams -------------------------------------------------------------------------

#[test]
fn truncated_plain_tar_is_a_one_line_error_naming_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let tar = sample_layer();
    let cut = &tar[..tar.len() / 2];
    let digest = layout_with_stored_blob(dir.path(), cut, false, &tar);
    let err = open_and_walk(&oci_target(dir.path())).expect_err("a truncated tar must not walk cleanly");
    assert!(matches!(err, ImageError::Layer { .. }), "{err:?}");
    assert_one_line_naming(&err, &digest);
}

#[test]
fn truncated_gzip_is_a_one_line_error_naming_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let tar = sample_layer();
    let gz = gzip(&tar);
    let cut = &gz[..gz.len() / 2];
    let digest = layout_with_stored_blob(dir.path(), cut, true, &tar);
    let err = open_and_walk(&oci_target(dir.path())).expect_err("a truncated gzip must not walk cleanly");
    assert!(matches!(err, ImageError::Layer { .. }), "{err:?}");
    assert_one_line_naming(&err, &digest);
}

#[test]
fn truncated_layer_in_a_docker_archive_is_an_error_naming_the_layer() {
    // The diffID is that of the truncated tar itself, so only the truncation can be reported.
    let dir = tempfile::tempdir().unwrap();
    let tar = sample_layer();
    let cut = tar[..tar.len() / 2].to_vec();
    let diff_id = sha256(&cut);
    let archive = dir.path().join("image.tar");
    write_docker_archive(&archive, &[TestLayer { tar: cut, gzip: false, created_by: "cut".into() }]);
    let err = open_and_walk(&format!("docker-archive:{}", archive.display())).expect_err("must fail");
    assert!(matches!(err, ImageError::Layer { .. }), "{err:?}");
    assert_one_line_naming(&err, &diff_id);
}

#[test]
fn blob_shorter_than_its_descriptor_is_refused_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let digests = write_oci_layout(dir.path(), &[TestLayer::new(sample_layer(), "ADD rootfs")]);
    let blob = dir.path().join("blobs/sha256").join(&digests[0]["sha256:".len()..]);
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() / 2]).unwrap();
    let err = open(&oci_target(dir.path()), &Limits::default()).expect_err("size mismatch must be refused");
    assert_one_line_naming(&err, &digests[0]);
}

// --- corrupt content ---------------------------------------------------------------------------

#[test]
fn corrupt_gzip_is_a_one_line_error_naming_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let tar = sample_layer();
    let mut gz = gzip(&tar);
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 32] {
        *b ^= 0xa5;
    }
    let digest = layout_with_stored_blob(dir.path(), &gz, true, &tar);
    let err = open_and_walk(&oci_target(dir.path())).expect_err("corrupt gzip must not walk cleanly");
    assert!(matches!(err, ImageError::Layer { .. }), "{err:?}");
    assert_one_line_naming(&err, &digest);
}

#[test]
fn not_gzip_at_all_behind_a_gzip_media_type_is_an_error() {
    // Random bytes are neither gzip, zstd nor tar: the walk must say so, not panic.
    let dir = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1).collect();
    let digest = layout_with_stored_blob(dir.path(), &junk, true, &junk);
    let err = open_and_walk(&oci_target(dir.path())).expect_err("junk must not walk cleanly");
    assert_one_line_naming(&err, &digest);
}

#[test]
fn flipped_byte_in_a_layer_blob_is_a_digest_mismatch_naming_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = TestLayer::new(LayerBuilder::new().file("etc/motd", b"hello, world\n").build(), "ADD motd");
    layer.gzip = false;
    let digests = write_oci_layout(dir.path(), &[layer]);
    let blob = dir.path().join("blobs/sha256").join(&digests[0]["sha256:".len()..]);
    let mut bytes = std::fs::read(&blob).unwrap();
    let at = bytes.windows(5).position(|w| w == b"hello").unwrap();
    bytes[at] = b'j';
    std::fs::write(&blob, &bytes).unwrap();

    let limits = Limits::default();
    let image = open(&oci_target(dir.path()), &limits).unwrap();
    let mut visitor = Counting::new();
    let err = walk_all(&image, &limits, &mut visitor).expect_err("the digest must be checked");
    match &err {
        ImageError::DigestMismatch { blob, expected, actual } => {
            assert_eq!(blob, &digests[0]);
            assert_eq!(expected, &digests[0]);
            assert_eq!(actual, &sha256(&bytes));
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    assert_one_line_naming(&err, &digests[0]);
    // The tar itself was readable: the visitor saw the (tampered) file before the check failed.
    assert_eq!(visitor.file_paths(), ["etc/motd"]);
}

#[test]
fn flipped_byte_in_a_gzip_layer_blob_is_an_error_naming_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let digests = write_oci_layout(dir.path(), &[TestLayer::new(sample_layer(), "ADD rootfs")]);
    let blob = dir.path().join("blobs/sha256").join(&digests[0]["sha256:".len()..]);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01; // the gzip trailer's size field: the deflate stream itself still inflates
    std::fs::write(&blob, &bytes).unwrap();
    let err = open_and_walk(&oci_target(dir.path())).expect_err("a tampered blob must fail");
    // Whatever the stream made of it, the digest is the diagnosis.
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err:?}");
    assert_one_line_naming(&err, &digests[0]);
}

#[test]
fn manifest_naming_a_missing_blob_is_an_error_naming_the_digest() {
    let dir = tempfile::tempdir().unwrap();
    let digests = write_oci_layout(
        dir.path(),
        &[
            TestLayer::new(LayerBuilder::new().file("a", b"1").build(), "ADD a"),
            TestLayer::new(LayerBuilder::new().file("b", b"2").build(), "ADD b"),
        ],
    );
    std::fs::remove_file(dir.path().join("blobs/sha256").join(&digests[1]["sha256:".len()..])).unwrap();
    let err = open(&oci_target(dir.path()), &Limits::default()).expect_err("a missing blob must be an error");
    match &err {
        ImageError::MissingBlob { digest, .. } => assert_eq!(digest, &digests[1]),
        other => panic!("expected MissingBlob, got {other:?}"),
    }
    assert_one_line_naming(&err, &digests[1]);
}

#[test]
fn docker_archive_layer_not_matching_its_diff_id_is_a_mismatch_naming_the_diff_id() {
    let dir = tempfile::tempdir().unwrap();
    let tar = LayerBuilder::new().file("etc/motd", b"MARKER-original-content\n").build();
    let diff_id = sha256(&tar);
    let archive = dir.path().join("image.tar");
    write_docker_archive(&archive, &[TestLayer { tar, gzip: false, created_by: "ADD motd".into() }]);
    let mut bytes = std::fs::read(&archive).unwrap();
    let at = bytes.windows(6).position(|w| w == b"MARKER").unwrap();
    bytes[at] = b'N';
    std::fs::write(&archive, &bytes).unwrap();

    let err = open_and_walk(&format!("docker-archive:{}", archive.display())).expect_err("must not match");
    match &err {
        ImageError::DigestMismatch { expected, .. } => assert_eq!(expected, &diff_id),
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    assert_one_line_naming(&err, &diff_id);
}

// --- hostile entries ---------------------------------------------------------------------------

#[test]
fn dot_dot_entry_is_skipped_with_a_note_and_the_rest_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let tar = LayerBuilder::new()
        .file("etc/hostname", b"box\n")
        .raw_file("../../etc/passwd", b"root:x:0:0::/root:/bin/sh\n")
        .raw_file("usr/../../../shadow", b"x")
        .hardlink("etc/linked", "../../etc/passwd")
        .hardlink("etc/fine", "etc/hostname")
        .file("etc/os-release", b"ID=debian\n")
        .build();
    write_oci_layout(dir.path(), &[TestLayer::new(tar, "ADD hostile")]);
    let visitor = open_and_walk(&oci_target(dir.path())).unwrap();
    assert_eq!(visitor.file_paths(), ["etc/hostname", "etc/os-release"]);
    assert!(
        visitor.offered.iter().all(|(p, _)| !p.contains("passwd") && !p.contains("shadow")),
        "{:?}",
        visitor.offered
    );
    let skipped: Vec<&str> = visitor.skipped.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(skipped, ["../../etc/passwd", "usr/../../../shadow", "etc/linked"]);
    for (_, reason) in &visitor.skipped {
        assert!(reason.contains("leaves the image root"), "{reason}");
    }
    // A hard link inside the image is reported as such; the escaping one is not.
    assert_eq!(visitor.entries, [("etc/fine".to_owned(), EntryKind::Hardlink("etc/hostname".into()))]);
}

#[test]
fn symlink_loop_is_reported_and_nothing_hangs() {
    let dir = tempfile::tempdir().unwrap();
    let tar = LayerBuilder::new()
        .symlink("a", "b")
        .symlink("b", "a")
        .symlink("etc/escape", "../../../../etc/shadow")
        .file("etc/after", b"still walked\n")
        .build();
    write_oci_layout(dir.path(), &[TestLayer::new(tar, "ADD loop")]);
    let visitor = open_and_walk(&oci_target(dir.path())).unwrap();
    assert_eq!(
        visitor.entries,
        [
            ("a".to_owned(), EntryKind::Symlink("b".into())),
            ("b".to_owned(), EntryKind::Symlink("a".into())),
            ("etc/escape".to_owned(), EntryKind::Symlink("../../../../etc/shadow".into())),
        ]
    );
    assert_eq!(visitor.file_paths(), ["etc/after"]);

    // Chasing the loop with `resolve_link` stays inside the image and comes back round: a
    // bounded chase (as every consumer must do) ends.
    let links: std::collections::HashMap<&str, &str> = [("a", "b"), ("b", "a")].into_iter().collect();
    let mut at = "a".to_owned();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..40 {
        if !seen.insert(at.clone()) {
            break;
        }
        let Some(target) = links.get(at.as_str()) else { break };
        at = resolve_link(&at, target).unwrap();
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(resolve_link("etc/escape", "../../../../etc/shadow").as_deref(), Some("etc/shadow"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `resolve_link` never leaves the root: its result is a normalised relative path with no
    /// `..`, whatever the link and target.
    #[test]
    fn resolve_link_never_leaves_the_root(
        link in proptest::collection::vec(prop_oneof!["a", "b", "..", ".", "", "c.d"], 1..6),
        target in proptest::collection::vec(prop_oneof!["a", "..", ".", "", "/", "etc", "..."], 0..10),
    ) {
        let link = link.join("/");
        let target = target.concat();
        if let Some(resolved) = resolve_link(&link, &target) {
            prop_assert!(!resolved.starts_with('/'), "{resolved}");
            prop_assert!(resolved.split('/').all(|p| !p.is_empty() && p != "." && p != ".."), "{resolved}");
            prop_assert_eq!(normalize(&resolved), Some(resolved.clone()));
        }
    }
}

// --- decompression bomb ------------------------------------------------------------------------

const GIB: u64 = 1 << 30;

/// Hashes what goes through on the way to `inner` (the diffID of a tar built by streaming).
struct Tee<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An OCI layout whose one layer holds a 1 GiB file of zeros (then a small file), gzip-packed
/// into a few MiB. Built streaming: neither the tar nor the zeros are ever held in memory.
fn zero_bomb_layout(dir: &Path) -> (String, u64) {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(Tee { inner: gz, hasher: Sha256::new() });
    let mut h = tar::Header::new_gnu();
    h.set_size(GIB);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut h, "srv/zeros.img", io::repeat(0).take(GIB)).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_size(6);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut h, "etc/after", &b"after\n"[..]).unwrap();
    let tee = builder.into_inner().unwrap();
    let diff_id = format!("sha256:{}", hex::encode(tee.hasher.finalize()));
    let stored = tee.inner.finish().unwrap();
    let digest = put_blob(dir, &stored);
    write_raw_layout(
        dir,
        &[RawLayer {
            digest: digest.clone(),
            size: stored.len() as u64,
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
            diff_id,
        }],
    );
    (digest, stored.len() as u64)
}

/// Peak resident memory of this process, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn gigabyte_of_zeros_is_streamed_not_buffered_and_bounded_by_limits() {
    let dir = tempfile::tempdir().unwrap();
    let (digest, stored_size) = zero_bomb_layout(dir.path());
    assert!(stored_size < 8 << 20, "the bomb should pack into a few MiB, got {stored_size} bytes");

    // Default limits: the visitor declines the big file, the walk streams past it and completes.
    let limits = Limits::default();
    let image = open(&oci_target(dir.path()), &limits).unwrap();
    let mut visitor = Counting::new();
    let stats = walk_all(&image, &limits, &mut visitor).unwrap();
    assert_eq!(visitor.offered, [("srv/zeros.img".to_owned(), GIB), ("etc/after".to_owned(), 6)]);
    assert_eq!(visitor.files, [("etc/after".to_owned(), b"after\n".to_vec())]);
    assert_eq!(stats[0].entries, 2);
    assert!(stats[0].uncompressed_bytes > GIB, "{stats:?}");
    assert_eq!(stats[0].stored_bytes, stored_size);
    if let Some(peak) = peak_rss() {
        assert!(peak < 512 << 20, "peak RSS {peak} bytes: the walk buffered the zeros");
    }

    // A 64 MiB bound on the uncompressed layer: the walk stops with LimitExceeded.
    let small = Limits { max_layer_bytes: 64 << 20, ..Limits::default() };
    let image = open(&oci_target(dir.path()), &small).unwrap();
    let mut visitor = Counting::new();
    let err = walk_all(&image, &small, &mut visitor).expect_err("the bound must trip");
    match &err {
        ImageError::LimitExceeded { layer, limit, .. } => {
            assert_eq!(layer, &digest);
            assert_eq!(*limit, 64 << 20);
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    assert_one_line_naming(&err, &digest);
    assert!(visitor.files.is_empty());
}

// --- oci-archive -------------------------------------------------------------------------------

/// Tars up an OCI layout directory as `oci-archive` does (members relative to the layout root).
fn tar_layout(layout: &Path, archive: &Path) {
    let mut b = tar::Builder::new(std::fs::File::create(archive).unwrap());
    b.append_dir_all(".", layout).unwrap();
    b.finish().unwrap();
}

#[test]
fn oci_archive_opens_walks_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let layers = [
        TestLayer::new(
            LayerBuilder::new().file("etc/os-release", b"ID=debian\n").file("bin/sh", b"ELF").build(),
            "base",
        ),
        TestLayer::new(LayerBuilder::new().whiteout("bin/sh").symlink("bin/sh", "busybox").build(), "swap sh"),
    ];
    let digests = write_oci_layout(&layout, &layers);
    let archive = dir.path().join("image.oci.tar");
    tar_layout(&layout, &archive);

    for target in [format!("oci-archive:{}", archive.display()), archive.display().to_string()] {
        let limits = Limits::default();
        let image = open(&target, &limits).unwrap();
        assert_eq!(image.info.source, "oci-archive");
        let got: Vec<Option<&str>> = image.layers.iter().map(|l| l.digest.as_deref()).collect();
        assert_eq!(got, digests.iter().map(|d| Some(d.as_str())).collect::<Vec<_>>());
        let diff_ids: Vec<&str> = image.layers.iter().map(|l| l.diff_id.as_str()).collect();
        assert_eq!(diff_ids, [sha256(&layers[0].tar), sha256(&layers[1].tar)]);
        let mut visitor = Counting::new();
        walk_all(&image, &limits, &mut visitor).unwrap();
        assert_eq!(visitor.file_paths(), ["etc/os-release", "bin/sh"]);
        assert_eq!(
            visitor.entries,
            [("bin/sh".to_owned(), EntryKind::Whiteout), ("bin/sh".to_owned(), EntryKind::Symlink("busybox".into()))]
        );
    }

    // The same archive with a layer blob tampered with inside the tar: a mismatch naming it.
    let mut bytes = std::fs::read(&archive).unwrap();
    let blob = gzip(&layers[0].tar);
    let at = bytes.windows(blob.len()).position(|w| w == blob.as_slice()).unwrap();
    let last = at + blob.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&archive, &bytes).unwrap();
    let err = open_and_walk(&format!("oci-archive:{}", archive.display())).expect_err("tampered blob");
    assert!(matches!(err, ImageError::DigestMismatch { .. }), "{err:?}");
    assert_one_line_naming(&err, &digests[0]);
}

#[test]
fn oci_archive_missing_blob_names_the_digest() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let digests = write_oci_layout(&layout, &[TestLayer::new(LayerBuilder::new().file("x", b"1").build(), "x")]);
    std::fs::remove_file(layout.join("blobs/sha256").join(&digests[0]["sha256:".len()..])).unwrap();
    let archive = dir.path().join("image.oci.tar");
    tar_layout(&layout, &archive);
    let err = open(&format!("oci-archive:{}", archive.display()), &Limits::default()).expect_err("missing blob");
    assert!(matches!(err, ImageError::MissingBlob { .. }), "{err:?}");
    assert_one_line_naming(&err, &digests[0]);
}

#[test]
fn not_an_image_is_a_one_line_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.tar");
    std::fs::write(&path, LayerBuilder::new().file("hello", b"world").build()).unwrap();
    let err = open(&path.display().to_string(), &Limits::default()).expect_err("not an image");
    assert_one_line_naming(&err, &path.display().to_string());
    let err = open(&format!("oci:{}", dir.path().join("nope").display()), &Limits::default()).err().unwrap();
    assert_one_line_naming(&err, "nope");
}
