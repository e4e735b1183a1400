//! Evidence lost in silence (issue 23, item 6): every file an analyzer wanted and did not get —
//! over its size bound, not a regular file, a symlink that loops or leads out of the image, a
//! malformed tar record — is a warning naming the path, and a warning makes the scan incomplete
//! (`coverage.complete: false`, exit 5 under `--fail-on-incomplete`: `docs/exit-codes.md`).
//! A GNU sparse file is a file: it is read. Real images (a good root with the usual links) get
//! no such warning.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::path::Path;

use microscanner_catalog::{CatalogOptions, build_inventory, default_analyzers};
use microscanner_image::Limits;
use microscanner_model::{Diagnostic, DiagnosticLevel, Inventory, PackageKind};
use microscanner_testkit::{LayerBuilder, TestLayer, write_oci_layout};

const OS_RELEASE: &[u8] = b"ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
const STATUS: &[u8] =
    b"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\n";

fn scan_dir(root: &Path) -> Inventory {
    let image = microscanner_image::open(&format!("dir:{}", root.display()), &Limits::default()).unwrap();
    build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {}).unwrap()
}

fn scan_layers(layers: Vec<Vec<u8>>) -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    let layers: Vec<TestLayer> = layers.into_iter().map(|tar| TestLayer::new(tar, "RUN x")).collect();
    write_oci_layout(dir.path(), &layers);
    let image = microscanner_image::open(&format!("oci:{}", dir.path().display()), &Limits::default()).unwrap();
    build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {}).unwrap()
}

/// A root directory with `etc/os-release` and the directories the cases write into.
fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in ["etc", "var/lib/dpkg", "usr/lib"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    std::fs::write(dir.path().join("etc/os-release"), OS_RELEASE).unwrap();
    dir
}

/// The warnings at `path` (with or without a leading `/`).
fn warnings_at<'a>(inventory: &'a Inventory, path: &str) -> Vec<&'a Diagnostic> {
    let path = path.trim_start_matches('/');
    inventory
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Warning && d.location.trim_start_matches('/') == path)
        .collect()
}

/// Asserts the evidence at `path` was reported lost (a warning there, saying `why`) and so the
/// scan is incomplete (the matcher's rule: any warning of the inventory).
fn assert_lost(inventory: &Inventory, path: &str, why: &str) {
    let warnings = warnings_at(inventory, path);
    assert!(
        warnings.iter().any(|d| d.message.contains(why)),
        "a warning at {path} saying {why:?}: {:#?}",
        inventory.diagnostics
    );
}

fn debs(inventory: &Inventory) -> usize {
    inventory.packages.iter().filter(|p| p.kind == PackageKind::Deb).count()
}

// ---- a root directory (`dir:`) ------------------------------------------------------------------

#[test]
fn dpkg_status_over_the_size_bound() {
    let dir = root();
    let status = dir.path().join("var/lib/dpkg/status");
    std::fs::write(&status, STATUS).unwrap();
    // A real file, 64 MiB + 1 (its tail a hole on disk): over dpkg's bound.
    std::fs::OpenOptions::new().write(true).open(&status).unwrap().set_len((64 << 20) + 1).unwrap();
    let inventory = scan_dir(dir.path());
    assert_eq!(debs(&inventory), 0);
    assert_lost(&inventory, "var/lib/dpkg/status", "over its bound of 67108864 bytes");
    assert_lost(&inventory, "var/lib/dpkg/status", "dpkg");
}

/// An rpm database is held whole while it is read: over its 256 MiB bound (down from 1 GiB, so a
/// declared size cannot buy a gigabyte of memory) it is lost evidence, said as such.
#[test]
fn rpm_database_over_the_size_bound() {
    let dir = root();
    std::fs::create_dir_all(dir.path().join("var/lib/rpm")).unwrap();
    let db = dir.path().join("var/lib/rpm/rpmdb.sqlite");
    std::fs::write(&db, b"SQLite format 3\0").unwrap();
    std::fs::OpenOptions::new().write(true).open(&db).unwrap().set_len((256 << 20) + 1).unwrap();
    let inventory = scan_dir(dir.path());
    assert_lost(&inventory, "var/lib/rpm/rpmdb.sqlite", "over its bound of 268435456 bytes");
    assert_lost(&inventory, "var/lib/rpm/rpmdb.sqlite", "rpm");
}

#[test]
fn dpkg_status_as_a_symlink_loop() {
    let dir = root();
    std::os::unix::fs::symlink("status-b", dir.path().join("var/lib/dpkg/status")).unwrap();
    std::os::unix::fs::symlink("status", dir.path().join("var/lib/dpkg/status-b")).unwrap();
    let inventory = scan_dir(dir.path());
    assert_lost(&inventory, "var/lib/dpkg/status", "loops");
}

#[test]
fn dpkg_status_as_a_fifo() {
    let dir = root();
    let fifo = dir.path().join("var/lib/dpkg/status");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    let inventory = scan_dir(dir.path());
    assert_lost(&inventory, "var/lib/dpkg/status", "a FIFO, not a regular file");
}

#[test]
fn os_release_as_a_symlink_loop() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::os::unix::fs::symlink("os-release", dir.path().join("etc/os-release")).unwrap();
    let inventory = scan_dir(dir.path());
    assert!(inventory.os.is_none());
    assert_lost(&inventory, "etc/os-release", "loops");
    assert_lost(&inventory, "etc/os-release", "os-release");
}

#[test]
fn python_metadata_over_4_mib() {
    let dir = root();
    std::fs::write(dir.path().join("var/lib/dpkg/status"), STATUS).unwrap();
    let dist_info = dir.path().join("usr/lib/python3/site-packages/urllib3-1.26.4.dist-info");
    std::fs::create_dir_all(&dist_info).unwrap();
    let mut metadata = b"Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.4\n\n".to_vec();
    metadata.resize((4 << 20) + 100, b'x');
    std::fs::write(dist_info.join("METADATA"), &metadata).unwrap();
    let inventory = scan_dir(dir.path());
    assert!(inventory.packages.iter().all(|p| p.name != "urllib3"));
    assert_lost(
        &inventory,
        "usr/lib/python3/site-packages/urllib3-1.26.4.dist-info/METADATA",
        "python-metadata but not read: 4194404 bytes, over its bound of 4194304 bytes",
    );
}

#[test]
fn dpkg_status_as_a_symlink_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    let real = outside.path().join("status");
    std::fs::write(&real, STATUS).unwrap();
    let dir = root();
    std::os::unix::fs::symlink(&real, dir.path().join("var/lib/dpkg/status")).unwrap();
    let inventory = scan_dir(dir.path());
    assert_eq!(debs(&inventory), 0, "the host's file is never read");
    assert_lost(&inventory, "var/lib/dpkg/status", "a symbolic link to /");
}

#[test]
fn os_without_any_package_database_is_a_warning() {
    let dir = root();
    let inventory = scan_dir(dir.path());
    assert!(inventory.os.is_some());
    assert_lost(&inventory, "etc/os-release", "no package database");
}

/// The usual links of real images lose nothing: os-release into usr/lib, a merged `/lib`, a
/// versioned jar link, a bin link to a script.
#[test]
fn ordinary_links_lose_nothing() {
    let dir = root();
    let p = dir.path();
    std::fs::remove_file(p.join("etc/os-release")).unwrap();
    std::fs::write(p.join("usr/lib/os-release"), OS_RELEASE).unwrap();
    std::os::unix::fs::symlink("../usr/lib/os-release", p.join("etc/os-release")).unwrap();
    std::fs::write(p.join("var/lib/dpkg/status"), STATUS).unwrap();
    std::fs::create_dir_all(p.join("usr/share/java")).unwrap();
    std::fs::create_dir_all(p.join("usr/lib/app")).unwrap();
    std::os::unix::fs::symlink("usr/lib", p.join("lib")).unwrap();
    let jar = {
        use std::io::Write as _;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("META-INF/MANIFEST.MF", zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(b"Manifest-Version: 1.0\nImplementation-Version: 1.2\n").unwrap();
        w.finish().unwrap().into_inner()
    };
    std::fs::write(p.join("usr/lib/app/lib-1.2.jar"), &jar).unwrap();
    std::os::unix::fs::symlink("/lib/app/lib-1.2.jar", p.join("usr/share/java/lib.jar")).unwrap();
    std::fs::create_dir_all(p.join("usr/local/bin")).unwrap();
    std::fs::create_dir_all(p.join("usr/local/lib/node_modules/npm/bin")).unwrap();
    std::fs::write(p.join("usr/local/lib/node_modules/npm/bin/npm-cli.js"), b"#!/usr/bin/env node\n").unwrap();
    std::os::unix::fs::symlink("../lib/node_modules/npm/bin/npm-cli.js", p.join("usr/local/bin/npm")).unwrap();
    let inventory = scan_dir(p);
    assert!(inventory.os.is_some());
    assert_eq!(debs(&inventory), 1);
    let warnings: Vec<_> = inventory.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Warning).collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
}

// ---- layer tars ---------------------------------------------------------------------------------

/// A tar header block: `typeflag`, `size` stored bytes, GNU magic when `gnu`; `edit` may set more
/// fields before the checksum is computed.
fn header(name: &str, size: u64, typeflag: u8, gnu: bool, edit: impl FnOnce(&mut [u8; 512])) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = typeflag;
    if gnu {
        h[257..265].copy_from_slice(b"ustar  \0");
    } else {
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
    }
    edit(&mut h);
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// Appends a header and its data (padded to 512 bytes) to `tar`.
fn push(tar: &mut Vec<u8>, header: [u8; 512], data: &[u8]) {
    tar.extend_from_slice(&header);
    tar.extend_from_slice(data);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
}

/// A PAX record: `LEN key=value\n`, where LEN counts itself.
fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}").len() + body.len() != len {
        len += 1;
    }
    format!("{len}{body}")
}

/// A layer of `os-release` (via the tar crate, as real layers are written) followed by the
/// hand-made `entries`.
fn layer_with(entries: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut tar = LayerBuilder::new().file("etc/os-release", OS_RELEASE).build();
    tar.truncate(tar.len() - 1024); // the end-of-archive blocks
    entries(&mut tar);
    tar.extend_from_slice(&[0u8; 1024]);
    tar
}

#[test]
fn dpkg_status_as_a_fifo_or_a_device_in_a_layer() {
    for (typeflag, what) in [(b'6', "a FIFO"), (b'3', "a character device"), (b'4', "a block device")] {
        let tar = layer_with(|t| push(t, header("var/lib/dpkg/status", 0, typeflag, true, |_| {}), b""));
        let inventory = scan_layers(vec![tar]);
        assert_lost(&inventory, "var/lib/dpkg/status", &format!("{what}, not a regular file"));
    }
}

#[test]
fn unknown_entry_type_at_a_wanted_path() {
    let tar = layer_with(|t| push(t, header("var/lib/dpkg/status", 0, b'Z', true, |_| {}), b""));
    let inventory = scan_layers(vec![tar]);
    assert_lost(&inventory, "var/lib/dpkg/status", "unknown type 'Z'");
}

/// A FIFO in an upper layer replaces the status file of a lower one: its packages are gone from
/// the image, and the loss is said.
#[test]
fn upper_layer_fifo_replaces_the_status_file() {
    let base = LayerBuilder::new().file("etc/os-release", OS_RELEASE).file("var/lib/dpkg/status", STATUS).build();
    let mut upper = Vec::new();
    push(&mut upper, header("var/lib/dpkg/status", 0, b'6', true, |_| {}), b"");
    upper.extend_from_slice(&[0u8; 1024]);
    let inventory = scan_layers(vec![base, upper]);
    assert_eq!(debs(&inventory), 0, "{:?}", inventory.packages);
    assert_lost(&inventory, "var/lib/dpkg/status", "a FIFO");
}

#[test]
fn dpkg_status_as_a_symlink_loop_or_escape_in_a_layer() {
    let tar = LayerBuilder::new()
        .file("etc/os-release", OS_RELEASE)
        .symlink("var/lib/dpkg/status", "../../../../../../../host/status")
        .symlink("usr/lib/os-release", "../../usr/lib/os-release")
        .build();
    let inventory = scan_layers(vec![tar]);
    assert_lost(&inventory, "var/lib/dpkg/status", "leaves the image root");
    assert_lost(&inventory, "usr/lib/os-release", "loops");
}

/// A GNU sparse file is content (the holes read as zeros): it is read, not dropped.
#[test]
fn gnu_sparse_files_are_read() {
    let metadata = b"Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.4\n\n";
    let tar = layer_with(|t| {
        // The status file as one data block, no hole.
        let n = STATUS.len() as u64;
        let status = header("var/lib/dpkg/status", n, b'S', true, |h| {
            h[386..398].copy_from_slice(b"00000000000\0");
            h[398..410].copy_from_slice(format!("{n:011o}\0").as_bytes());
            h[483..495].copy_from_slice(format!("{n:011o}\0").as_bytes());
        });
        push(t, status, STATUS);
        // METADATA with a 4 KiB hole after its header block.
        let n = metadata.len() as u64;
        let real = n + 4096;
        let md = header("usr/lib/python3/site-packages/urllib3-1.26.4.dist-info/METADATA", n, b'S', true, |h| {
            h[386..398].copy_from_slice(b"00000000000\0");
            h[398..410].copy_from_slice(format!("{n:011o}\0").as_bytes());
            h[410..422].copy_from_slice(format!("{real:011o}\0").as_bytes());
            h[422..434].copy_from_slice(b"00000000000\0");
            h[483..495].copy_from_slice(format!("{real:011o}\0").as_bytes());
        });
        push(t, md, metadata);
    });
    let inventory = scan_layers(vec![tar]);
    assert_eq!(debs(&inventory), 1, "{:#?}", inventory.diagnostics);
    assert!(inventory.packages.iter().any(|p| p.name == "urllib3" && p.version == "1.26.4"), "{:#?}", inventory);
}

/// A PAX-format sparse file (`GNU.sparse.*` records) is not expanded: its real path is lost.
#[test]
fn pax_sparse_file_at_a_wanted_path() {
    let tar = layer_with(|t| {
        let records = [
            pax_record("GNU.sparse.major", "1"),
            pax_record("GNU.sparse.minor", "0"),
            pax_record("GNU.sparse.name", "var/lib/dpkg/status"),
            pax_record("GNU.sparse.realsize", &STATUS.len().to_string()),
        ]
        .concat();
        push(
            t,
            header("var/lib/dpkg/PaxHeaders/status", records.len() as u64, b'x', false, |_| {}),
            records.as_bytes(),
        );
        let mut data = format!("1\n0\n{}\n", STATUS.len()).into_bytes();
        data.resize(512, 0);
        data.extend_from_slice(STATUS);
        push(t, header("var/lib/dpkg/GNUSparseFile.0/status", data.len() as u64, b'0', false, |_| {}), &data);
    });
    let inventory = scan_layers(vec![tar]);
    assert_eq!(debs(&inventory), 0);
    assert_lost(&inventory, "var/lib/dpkg/status", "sparse file in the PAX format");
}

/// The `tar` crate ignores a `size` record it cannot parse and trusts the header: the walk says so.
#[test]
fn malformed_pax_size_is_a_warning() {
    for bad in ["12x", "+12", " 12", "-1", "99999999999999999999999"] {
        let tar = layer_with(|t| {
            let records = pax_record("size", bad);
            push(t, header("PaxHeaders/status", records.len() as u64, b'x', false, |_| {}), records.as_bytes());
            push(t, header("var/lib/dpkg/status", STATUS.len() as u64, b'0', false, |_| {}), STATUS);
        });
        let inventory = scan_layers(vec![tar]);
        assert_lost(&inventory, "var/lib/dpkg/status", "malformed PAX size");
    }
}

/// A claimed link to a file no analyzer reads at its own path is read through, as the runtime
/// would: whether the link comes before its target in the tar (`etc/fedora-release`) or after it
/// (the status file, read by a second walk).
#[test]
fn links_to_other_files_of_the_layer_are_read_through() {
    let tar = LayerBuilder::new()
        .file("data/status", STATUS)
        .file("etc/os-release", OS_RELEASE)
        .symlink("etc/fedora-release", "../usr/lib/fedora-release")
        .file("usr/lib/fedora-release", b"Fedora release 39 (Thirty Nine)\n")
        .symlink("var/lib/dpkg/status", "/data/status")
        .build();
    let inventory = scan_layers(vec![tar]);
    assert_eq!(debs(&inventory), 1, "{:#?}", inventory.diagnostics);
    let warnings: Vec<_> = inventory.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Warning).collect();
    assert!(warnings.is_empty(), "{warnings:#?}");
}

/// A link to a file of a lower layer that no analyzer read cannot be read through: it is lost.
#[test]
fn link_to_an_unread_file_of_another_layer_is_lost() {
    let base = LayerBuilder::new().file("etc/os-release", OS_RELEASE).file("data/status", STATUS).build();
    let upper = LayerBuilder::new().symlink("var/lib/dpkg/status", "/data/status").build();
    let inventory = scan_layers(vec![base, upper]);
    assert_eq!(debs(&inventory), 0);
    assert_lost(&inventory, "var/lib/dpkg/status", "a symbolic link to /data/status, where no file was read");
}

/// A package-lock is parsed as the walk streams it (issue 23: its bytes and its packages are never
/// held together). A layer cut short inside it is the layer's read error, as for a file read
/// whole: never a parse diagnostic of a lockfile that was fine, and never a partial list.
#[test]
fn a_layer_cut_inside_a_streamed_lockfile_is_a_read_error() {
    let lock = br#"{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/lodash":{"version":"4.17.20"}}}"#;
    let whole = layer_with(|t| push(t, header("app/package-lock.json", lock.len() as u64, b'0', false, |_| {}), lock));
    let inventory = scan_layers(vec![whole.clone()]);
    assert!(inventory.packages.iter().any(|p| p.name == "lodash"), "the streamed lockfile is read");
    let cut = whole.len() - 1024 - 512 + lock.len() / 2;
    let dir = tempfile::tempdir().unwrap();
    write_oci_layout(dir.path(), &[TestLayer::new(whole[..cut].to_vec(), "RUN x")]);
    let image = microscanner_image::open(&format!("oci:{}", dir.path().display()), &Limits::default()).unwrap();
    let err = build_inventory(&image, &default_analyzers(), &CatalogOptions::default(), &|_| {})
        .expect_err("a truncated layer is an error");
    let message = err.to_string();
    assert!(!message.contains('\n') && !message.contains("cannot parse"), "{message}");
}
