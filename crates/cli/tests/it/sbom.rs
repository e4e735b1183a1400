//! `microscanner sbom` end to end on images built in the test from real fixture databases:
//! purls per format, stdout discipline, and one-line errors with exit code 1.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;

use assert_cmd::Command;
use microscanner_testkit::{LayerBuilder, TestLayer, fixtures_dir, write_oci_layout};
use serde_json::Value;

/// The binary, with its layer cache in the target directory (never the user's cache).
fn bin() -> Command {
    let mut c = Command::cargo_bin("microscanner").unwrap();
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache"));
    c
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(rel)).unwrap()
}

fn sbom_ok(target: &str, format: &str) -> Value {
    let out = bin().args(["sbom", target, "--format", format]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn purls(doc: &Value) -> Vec<String> {
    doc["components"].as_array().unwrap().iter().filter_map(|c| c["purl"].as_str().map(str::to_owned)).collect()
}

/// An image of one layer holding an os-release and a package database at its real path.
fn image_with(dir: &Path, os_release: &str, db_path: &str, db: &[u8]) -> String {
    let layer = LayerBuilder::new().file("etc/os-release", os_release.as_bytes()).file(db_path, db).build();
    write_oci_layout(dir, &[TestLayer::new(layer, "ADD rootfs /")]);
    format!("oci:{}", dir.display())
}

#[test]
fn rpm_databases_in_a_layer_give_distro_purls() {
    let rocky = "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n";
    let cases = [
        ("var/lib/rpm/Packages", "pkgdb-osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch", 1),
        ("usr/lib/sysimage/rpm/Packages.db", "pkgdb-go-rpmdb/pkg/testdata/sle15-bci/Packages.db", 35),
        ("var/lib/rpm/rpmdb.sqlite", "pkgdb-go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite", 129),
    ];
    for (path, rel, count) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let doc = sbom_ok(&image_with(tmp.path(), rocky, path, &fixture(rel)), "cyclonedx");
        let rpms: Vec<String> = purls(&doc).into_iter().filter(|p| p.starts_with("pkg:rpm/")).collect();
        assert_eq!(rpms.len(), count, "{rel}");
        assert!(rpms.iter().all(|p| p.starts_with("pkg:rpm/rocky/") && p.contains("distro=rocky-9")), "{rpms:?}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let rel = "pkgdb-osv-scalibr/extractor/filesystem/os/rpm/testdata/Packages_epoch";
    let doc = sbom_ok(&image_with(tmp.path(), rocky, "var/lib/rpm/Packages", &fixture(rel)), "cyclonedx");
    assert_eq!(purls(&doc), ["pkg:rpm/rocky/hello@0.0.1-rls?arch=x86_64&distro=rocky-9&epoch=1"]);
}

#[test]
fn apk_database_in_a_layer_gives_alpine_purls() {
    let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.0\n";
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture("pkgdb-misc/apk-tools/query-installed.data");
    let doc = sbom_ok(&image_with(tmp.path(), alpine, "lib/apk/db/installed", &db), "cyclonedx");
    let apks: Vec<String> = purls(&doc).into_iter().filter(|p| p.starts_with("pkg:apk/")).collect();
    assert_eq!(apks.len(), 39);
    assert!(apks.iter().all(|p| p.starts_with("pkg:apk/alpine/") && p.ends_with("distro=alpine-3.21")), "{apks:?}");
    let musl = doc["components"].as_array().unwrap().iter().find(|c| c["name"] == "musl").unwrap();
    assert!(musl["purl"].as_str().unwrap().contains("arch="), "{musl}");
}

#[test]
fn spdx_and_json_describe_the_same_packages() {
    let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";
    let status = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n";
    let tmp = tempfile::tempdir().unwrap();
    let target = image_with(tmp.path(), debian, "var/lib/dpkg/status", status.as_bytes());
    let spdx = sbom_ok(&target, "spdx");
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let pkg = spdx["packages"].as_array().unwrap().iter().find(|p| p["name"] == "libssl3").unwrap();
    assert_eq!(
        pkg["externalRefs"][0]["referenceLocator"],
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    );
    let json = sbom_ok(&target, "json");
    assert_eq!(json["schema_version"], "1.0");
    assert_eq!(json["packages"][0]["source_name"], "openssl");
    assert_eq!(json["packages"][0]["layer"]["created_by"], "ADD rootfs /");
}

/// Validates an inventory document against `docs/inventory.schema.json`.
fn assert_inventory_schema_valid(doc: &Value) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/inventory.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| format!("{}: {e}", e.instance_path)).collect();
    assert!(errors.is_empty(), "inventory does not match docs/inventory.schema.json: {errors:#?}");
}

/// `sbom --format json` writes what `docs/inventory.schema.json` describes: an OS image (source
/// packages, architectures, layers), one with licenses, and one without an OS (`os: null`) whose
/// package database has a broken stanza (a diagnostic).
#[test]
fn json_matches_the_inventory_schema() {
    let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";
    let status = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n";
    let tmp = tempfile::tempdir().unwrap();
    let doc = sbom_ok(&image_with(tmp.path(), debian, "var/lib/dpkg/status", status.as_bytes()), "json");
    assert_eq!(doc["packages"][0]["layer"]["created_by"], "ADD rootfs /");
    assert_inventory_schema_valid(&doc);

    let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.0\n";
    let tmp = tempfile::tempdir().unwrap();
    let db = fixture("pkgdb-misc/apk-tools/query-installed.data");
    let doc = sbom_ok(&image_with(tmp.path(), alpine, "lib/apk/db/installed", &db), "json");
    assert!(doc["packages"].as_array().unwrap().iter().any(|p| p["licenses"].is_array()), "{doc}");
    assert_inventory_schema_valid(&doc);

    let tmp = tempfile::tempdir().unwrap();
    let broken = "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok installed\n";
    let layer = LayerBuilder::new().file("var/lib/dpkg/status", broken.as_bytes()).build();
    write_oci_layout(tmp.path(), &[TestLayer::new(layer, "ADD rootfs /")]);
    let doc = sbom_ok(&format!("oci:{}", tmp.path().display()), "json");
    assert!(doc["os"].is_null(), "{doc}");
    assert!(!doc["diagnostics"].as_array().unwrap().is_empty(), "{doc}");
    assert_inventory_schema_valid(&doc);
}

#[test]
fn output_file_leaves_stdout_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let target = image_with(
        tmp.path(),
        "ID=debian\nVERSION_ID=\"12\"\n",
        "var/lib/dpkg/status",
        b"Package: a\nStatus: install ok installed\nVersion: 1\n",
    );
    let out_file = tmp.path().join("out.json");
    let out = bin().args(["sbom", &target, "--format", "json", "--output"]).arg(&out_file).output().unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let doc: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(doc["packages"][0]["name"], "a");
}

/// Runs a failing sbom and returns its single stderr line. Uncached: a cached layer is not read
/// again, so a blob damaged after it was cached would not be noticed.
fn sbom_err(target: &str) -> String {
    let out = bin().args(["sbom", target, "--no-cache"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{target}");
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn bad_targets_are_one_line_errors() {
    assert!(sbom_err("/nonexistent/image.tar").contains("/nonexistent/image.tar"));
    let tmp = tempfile::tempdir().unwrap();
    let digests = write_oci_layout(tmp.path(), &[TestLayer::new(LayerBuilder::new().file("a", b"x").build(), "x")]);
    let blob = tmp.path().join("blobs/sha256").join(&digests[0]["sha256:".len()..]);
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let err = sbom_err(&format!("oci:{}", tmp.path().display()));
    assert!(err.contains(&digests[0]) && err.contains("digest mismatch"), "{err}");
    std::fs::remove_file(&blob).unwrap();
    let err = sbom_err(&format!("oci:{}", tmp.path().display()));
    assert!(err.contains(&digests[0]) && err.contains("missing"), "{err}");
    let not_image = tmp.path().join("plain.tar");
    std::fs::write(&not_image, LayerBuilder::new().file("x", b"y").build()).unwrap();
    assert!(sbom_err(not_image.to_str().unwrap()).contains("not an image archive"));
}

#[test]
fn usage_errors_exit_2() {
    let out = bin().args(["sbom", "x", "--format", "xml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `dir:` scans a root filesystem without following symlinks, loops and escapes included.
#[test]
fn rootfs_directory_with_hostile_links() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n").unwrap();
    std::fs::write(root.join("var/lib/dpkg/status"), "Package: a\nStatus: install ok installed\nVersion: 1\n").unwrap();
    std::os::unix::fs::symlink("loop-b", root.join("loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", root.join("loop-b")).unwrap();
    std::os::unix::fs::symlink("/", root.join("var/lib/escape")).unwrap();
    std::os::unix::fs::symlink("../../../../..", root.join("etc/up")).unwrap();
    let doc = sbom_ok(&format!("dir:{}", root.display()), "json");
    let names: Vec<&str> = doc["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a"]);
    assert_eq!(doc["os"]["ecosystem"], "Debian:12");
    assert_eq!(doc["image"]["source"], "dir");
}

/// Every purl an SBOM of a real image carries is in the purl spec's canonical form: parsing it
/// and printing it again gives the same string (`+` in a Debian version is `%2B`, as Trivy and
/// the spec's conformance suite write it). Checked on each image of the test set, every format.
#[test]
fn every_emitted_purl_is_canonical() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let mut checked = 0;
    let mut with_plus = 0;
    for (image, target) in
        [("debian12-app", "oci:oci"), ("debian11-app", "oci:oci"), ("podman-app", "oci-archive:oci-archive.tar")]
    {
        let (kind, file) = target.split_once(':').unwrap();
        let target = format!("{kind}:{}", images.join(image).join(file).display());
        let cyclonedx = sbom_ok(&target, "cyclonedx");
        let spdx = sbom_ok(&target, "spdx");
        let json = sbom_ok(&target, "json");
        let spdx_purls = spdx["packages"].as_array().unwrap().iter().flat_map(|p| {
            p["externalRefs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["referenceType"] == "purl")
                .filter_map(|r| r["referenceLocator"].as_str())
        });
        let json_purls = json["packages"].as_array().unwrap().iter().filter_map(|p| p["purl"].as_str());
        let all: Vec<String> = purls(&cyclonedx)
            .into_iter()
            .chain(spdx_purls.map(str::to_owned))
            .chain(json_purls.map(str::to_owned))
            .collect();
        assert!(all.len() > 100, "{image}: only {} purls", all.len());
        for purl in &all {
            assert_eq!(microscanner_report::canonical_purl(purl).as_deref(), Ok(purl.as_str()), "{image}");
            with_plus += usize::from(purl.contains("%2B"));
        }
        checked += all.len();
    }
    assert!(with_plus > 0, "no Debian version with a `+` among {checked} purls: the check proves nothing");
}
