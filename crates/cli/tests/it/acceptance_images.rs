//! Acceptance tier: `microscanner sbom` on the real images built by
//! `../shared/tools/make-images.sh` (debootstrap + umoci + skopeo + podman), against the ground
//! truth written beside each image. `.ci/run` builds the images; a developer without them gets
//! a skip note (under `CI` a missing image set fails).

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report; skip notes

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// Runs `microscanner sbom TARGET --format FORMAT` and parses stdout.
fn sbom(target: &str, format: &str) -> Value {
    // Uncached: the acceptance tier checks the real analysis of every layer.
    let out = Command::cargo_bin("microscanner")
        .unwrap()
        .args(["sbom", target, "--format", format, "--no-cache"])
        .output()
        .unwrap();
    assert!(out.status.success(), "sbom {target} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The deb packages of our JSON as `expected-dpkg.txt` lines.
fn deb_lines(doc: &Value) -> BTreeSet<String> {
    let s = |p: &Value, k: &str| p[k].as_str().unwrap_or_default().to_owned();
    doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "deb")
        .map(|p| [s(p, "name"), s(p, "version"), s(p, "arch"), s(p, "source_name"), s(p, "source_version")].join("\t"))
        .collect()
}

fn expected(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("expected-dpkg.txt")).unwrap().lines().map(str::to_owned).collect()
}

/// Each image, in each format it is built in, gives exactly `expected-dpkg.txt`.
#[test]
fn deb_components_equal_the_ground_truth() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let cases: [(&str, &[&str], usize); 3] = [
        (
            "debian12-app",
            &["oci:{}/oci", "{}/oci", "docker-archive:{}/docker-archive.tar", "oci-archive:{}/oci-archive.tar"],
            132,
        ),
        ("debian11-app", &["oci:{}/oci", "{}/docker-archive.tar"], 131),
        ("podman-app", &["oci-archive:{}/oci-archive.tar"], 134),
    ];
    for (image, targets, count) in cases {
        let dir = images.join(image);
        let want = expected(&dir);
        assert_eq!(want.len(), count, "{image}: ground truth size");
        for target in targets {
            let target = target.replace("{}", &dir.display().to_string());
            let doc = sbom(&target, "json");
            let got = deb_lines(&doc);
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            assert!(missing.is_empty() && extra.is_empty(), "{target}: missing {missing:?}, extra {extra:?}");
            assert!(!got.iter().any(|l| l.starts_with("wget\t")), "{target}: wget was purged in layer 3");
            assert_eq!(doc["os"]["family"], "debian");
        }
    }
}

/// Packages carry the layer (diffID and history line) that introduced them.
#[test]
fn packages_are_attributed_to_their_layer() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let doc = sbom(&format!("oci:{}/debian12-app/oci", images.display()), "json");
    let find = |name: &str| {
        doc["packages"].as_array().unwrap().iter().find(|p| p["name"] == name && p["kind"] == "deb").unwrap().clone()
    };
    assert_eq!(find("libc6")["layer"]["index"], 0);
    let curl = find("curl");
    assert_eq!(curl["layer"]["index"], 1);
    assert!(curl["layer"]["created_by"].as_str().unwrap().contains("apt-get install"));
    assert_eq!(curl["layer"]["diff_id"], doc["image"]["layers"][1]["diff_id"]);
    let podman = sbom(&format!("oci-archive:{}/podman-app/oci-archive.tar", images.display()), "json");
    let bzip2 = podman["packages"].as_array().unwrap().iter().find(|p| p["name"] == "bzip2").unwrap();
    assert_eq!(bzip2["layer"]["index"], 3, "bzip2 comes from the podman RUN layer");
}

/// CycloneDX: a purl per component with the distro qualifier, the source as a property, and the
/// image digest in the metadata component.
#[test]
fn cyclonedx_components_have_purls_and_sources() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let doc = sbom(&format!("oci:{}/debian12-app/oci", images.display()), "cyclonedx");
    assert_eq!(doc["specVersion"], "1.6");
    assert!(doc["metadata"]["component"]["version"].as_str().unwrap().starts_with("sha256:"));
    let comps = doc["components"].as_array().unwrap();
    let libssl = comps.iter().find(|c| c["name"] == "libssl3").unwrap();
    let purl = libssl["purl"].as_str().unwrap();
    assert!(purl.starts_with("pkg:deb/debian/libssl3@3.") && purl.ends_with("?arch=amd64&distro=debian-12"), "{purl}");
    let props = libssl["properties"].as_array().unwrap();
    assert!(props.iter().any(|p| p["name"] == "microscanner:package:source_name" && p["value"] == "openssl"));
    assert!(comps.iter().any(|c| c["type"] == "operating-system" && c["name"] == "debian"));
}

/// The CycloneDX and SPDX documents of a real image pass the official validators.
#[test]
fn sboms_pass_the_official_validators() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    if !microscanner_testkit::sbom_validators_present() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for image in ["debian12-app/oci", "podman-app/oci-archive.tar"] {
        let target = images.join(image).display().to_string();
        let cdx = tmp.path().join("bom.cdx.json");
        let spdx = tmp.path().join("bom.spdx.json");
        std::fs::write(&cdx, serde_json::to_vec(&sbom(&target, "cyclonedx")).unwrap()).unwrap();
        std::fs::write(&spdx, serde_json::to_vec(&sbom(&target, "spdx")).unwrap()).unwrap();
        microscanner_testkit::validate_cyclonedx(&cdx).unwrap_or_else(|e| panic!("{image}: {e}"));
        microscanner_testkit::validate_spdx(&spdx).unwrap_or_else(|e| panic!("{image}: {e}"));
    }
}
