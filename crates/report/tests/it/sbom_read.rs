//! Reading SBOMs back (`read_sbom`):
//!
//! 1. Round trips: inventories built by the catalog's own analyzers from real package databases
//!    and lockfiles (`../shared/fixtures`: Trivy's Ubuntu 18.04 dpkg status, Syft's Debian 12
//!    image listing, apk-tools' Alpine 3.21 database, Python, npm, Maven, Go, Cargo, RubyGems,
//!    Composer and NuGet fixtures) are written in each SBOM format and read back; the packages
//!    agree on what the matcher uses, and the OS on its ecosystem.
//! 2. Third-party documents: the only CycloneDX document in the fixtures (Syft's GraalVM
//!    native-image SBOM fixture, with Syft's `syft:cpe23` properties); its package list is computed
//!    here from the JSON. There is no SPDX document and no Trivy document in the fixtures; the
//!    conventions of those tools are checked on small documents written here in their shape.
//! 3. Errors and bounds: not JSON, unknown formats, fields of the wrong type (the message names the
//!    path), too many components, too long strings, purl types microscanner does not match.
//!
//! The OS normalisation of the reader mirrors the catalog's (`microscanner_catalog::os`): checked
//! here against it for every distribution the catalog knows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::collections::BTreeMap;

use microscanner_catalog::os::{os_info, package_purl};
use microscanner_catalog::{LayerFiles, LayerMeta, LayerResult, default_analyzers, merge};
use microscanner_model::{DiagnosticLevel, ImageInfo, Inventory, LayerInfo, OsInfo, Package, PackageKind};
use microscanner_report::{
    MAX_SBOM_PACKAGES, MAX_SBOM_STRING, SbomFormat, SbomMeta, SbomReadError, read_sbom, sbom_document,
};
use microscanner_testkit::{fixtures_dir, sha256};
use serde_json::{Value, json};

const FORMATS: [SbomFormat; 3] = [SbomFormat::Json, SbomFormat::CycloneDx, SbomFormat::Spdx];

fn fixture(rel: &str) -> Vec<u8> {
    let path = fixtures_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// The member `name` of a txtar archive (`-- name --` separated files).
fn txtar_member(bytes: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let header = format!("-- {name} --");
    let start = text.find(&header).unwrap() + header.len() + 1;
    let rest = &text[start..];
    let end = rest.find("\n-- ").map_or(rest.len(), |i| i + 1);
    rest.as_bytes()[..end].to_vec()
}

/// One layer's files through every default analyzer, each given the files it wants, as the layer
/// walk hands them over.
fn analyze(files: &LayerFiles) -> LayerResult {
    let mut result = LayerResult::default();
    for analyzer in default_analyzers() {
        let wanted: LayerFiles = files
            .iter()
            .filter(|(path, bytes)| analyzer.wants(path, bytes.len() as u64))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let out = analyzer.analyze(&wanted);
        result.records.extend(out.records);
        result.diagnostics.extend(out.diagnostics);
    }
    result.written = files.keys().cloned().collect();
    result
}

/// The inventory of an image made of `layers` (files, history line), built as the catalog builds
/// it: analyzers per layer, the merge, distro purls for OS packages, the catalog's sort.
fn inventory(name: &str, layers: &[(LayerFiles, &str)]) -> Inventory {
    let results: Vec<LayerResult> = layers.iter().map(|(files, _)| analyze(files)).collect();
    let meta: Vec<LayerMeta> = layers
        .iter()
        .enumerate()
        .map(|(i, (_, created_by))| LayerMeta {
            diff_id: sha256(format!("{name} layer {i}").as_bytes()),
            created_by: Some((*created_by).to_owned()),
        })
        .collect();
    let merged = merge(results, &meta);
    let mut packages = merged.packages;
    for p in &mut packages {
        if p.kind.is_os() {
            p.set_purl(package_purl(p, merged.os.as_ref()));
        }
    }
    packages.sort_by(Package::cmp_listing);
    Inventory {
        image: ImageInfo {
            name: name.to_owned(),
            source: "oci".to_owned(),
            manifest_digest: Some(sha256(format!("{name} manifest").as_bytes())),
            config_digest: Some(sha256(format!("{name} config").as_bytes())),
            os: Some("linux".to_owned()),
            architecture: Some("amd64".to_owned()),
            variant: None,
            layers: meta
                .iter()
                .map(|m| LayerInfo { diff_id: m.diff_id.clone(), digest: None, created_by: m.created_by.clone() })
                .collect(),
            ..ImageInfo::default()
        },
        os: merged.os,
        packages,
        diagnostics: merged.diagnostics,
        dependencies: Vec::new(),
    }
}

fn files(list: &[(&str, Vec<u8>)]) -> LayerFiles {
    list.iter().map(|(p, b)| ((*p).to_owned(), b.clone())).collect()
}

/// A layer of language packages from real fixtures: installed metadata (Python, npm, a jar, a Go
/// binary) and lockfiles (Cargo, RubyGems, Composer, NuGet, npm).
fn app_layer() -> LayerFiles {
    let trivy_lang = "pkgdb-trivy/pkg/fanal/analyzer/language";
    let trivy_parser = "pkgdb-trivy/pkg/dependency/parser";
    files(&[
        (
            "usr/local/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA",
            fixture(&format!(
                "{trivy_lang}/python/pip/testdata/libs/common-dir/lib/site-packages/Flask-2.0.0.dist-info/METADATA"
            )),
        ),
        (
            "usr/lib/node_modules/@babel/parser/package.json",
            fixture(&format!("{trivy_lang}/nodejs/npm/testdata/happy/node_modules/@babel/parser/package.json")),
        ),
        (
            "usr/lib/node_modules/ms/package.json",
            fixture(&format!("{trivy_lang}/nodejs/npm/testdata/happy/node_modules/ms/package.json")),
        ),
        ("opt/app/gizmo-1.1.jar", fixture(&format!("{trivy_parser}/java/jar/testdata/io.quarkus.gizmo.gizmo-1.1.jar"))),
        (
            "usr/local/bin/bbolt",
            fixture(&format!("{trivy_parser}/golang/binary/testdata/semver-main-module-version.macho")),
        ),
        ("app/Cargo.lock", fixture(&format!("{trivy_parser}/rust/cargo/testdata/cargo_normal.lock"))),
        ("app/Gemfile.lock", fixture(&format!("{trivy_parser}/ruby/bundler/testdata/Gemfile_normal.lock"))),
        ("app/composer.lock", fixture(&format!("{trivy_parser}/php/composer/testdata/composer_happy.lock"))),
        ("app/packages.lock.json", fixture(&format!("{trivy_parser}/nuget/lock/testdata/packages_lock_simple.json"))),
        ("app/package-lock.json", fixture(&format!("{trivy_parser}/nodejs/npm/testdata/package-lock_v3.json"))),
    ])
}

/// Ubuntu 18.04: Trivy's `lsb-release` and its 91-package dpkg status, plus the language layer.
fn ubuntu_inventory() -> Inventory {
    let status =
        txtar_member(&fixture("pkgdb-trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar"), "var/lib/dpkg/status");
    let base = files(&[
        ("etc/lsb-release", fixture("pkgdb-trivy/pkg/fanal/analyzer/os/ubuntu/testdata/lsb-release")),
        ("var/lib/dpkg/status", status),
    ]);
    inventory("ubuntu-app:18.04", &[(base, "ADD rootfs.tar /"), (app_layer(), "COPY app /")])
}

/// Debian 12: Syft's image listing (`os-release` and dpkg status).
fn debian_inventory() -> Inventory {
    let dir = "pkgdb-syft/syft/pkg/cataloger/debian/testdata/image-dpkg";
    let base = files(&[
        ("etc/os-release", fixture(&format!("{dir}/etc/os-release"))),
        ("var/lib/dpkg/status", fixture(&format!("{dir}/var/lib/dpkg/status"))),
    ]);
    inventory("debian-pam:12", &[(base, "ADD rootfs.tar /")])
}

/// Alpine: apk-tools' complete Alpine 3.21 database, with Trivy's Alpine `os-release` fixture
/// (Alpine 3.15: the two fixtures come from different images; the round trip does not care).
fn alpine_inventory() -> Inventory {
    let base = files(&[
        ("etc/os-release", fixture("pkgdb-trivy/pkg/fanal/analyzer/os/release/testdata/alpine")),
        ("lib/apk/db/installed", fixture("pkgdb-misc/apk-tools/query-installed.data")),
    ]);
    inventory("alpine-base:3", &[(base, "ADD alpine-minirootfs.tar.gz /")])
}

fn meta() -> SbomMeta {
    SbomMeta { tool_version: "0.1.0".to_owned(), created: "2026-11-23T12:00:00Z".to_owned() }
}

fn write(inventory: &Inventory, format: SbomFormat) -> Vec<u8> {
    serde_json::to_vec_pretty(&sbom_document(inventory, format, &meta())).unwrap()
}

fn doc_name(format: SbomFormat) -> &'static str {
    match format {
        SbomFormat::Json => "inventory.json",
        SbomFormat::CycloneDx => "sbom.cdx.json",
        SbomFormat::Spdx => "sbom.spdx.json",
    }
}

/// What the matcher and the reports key a package by.
type Key = (PackageKind, String, String, Option<String>, Option<String>, Option<String>, String);

fn key(p: &Package) -> Key {
    (
        p.kind,
        p.name.to_string(),
        p.version.to_string(),
        p.arch().map(ToString::to_string),
        p.source_name().map(ToString::to_string),
        p.source_version().map(ToString::to_string),
        p.purl().to_string(),
    )
}

fn sorted_keys(packages: &[Package], f: impl Fn(&Package) -> Key) -> Vec<Key> {
    let mut keys: Vec<Key> = packages.iter().map(f).collect();
    keys.sort();
    keys
}

/// Writes `original` in every format, reads it back and checks it against the original.
fn check_round_trip(original: &Inventory) {
    assert!(!original.packages.is_empty(), "the fixture inventory has no packages");
    let os = original.os.as_ref().expect("the fixture inventory has an OS");
    assert!(os.ecosystem.is_some(), "{os:?}");
    for format in FORMATS {
        let name = doc_name(format);
        let read = read_sbom(&write(original, format), name).unwrap_or_else(|e| panic!("{e}"));
        let what = format!("{} {name}", original.image.name);

        // The packages: the matcher's keys.
        let expected = sorted_keys(&original.packages, |p| {
            let mut k = key(p);
            if format == SbomFormat::Spdx && p.source_version().is_none() {
                // spdx.rs writes `sourceInfo` only with both a source name and version (apk
                // records the origin without a version): the name cannot come back.
                k.4 = None;
            }
            k
        });
        assert_eq!(sorted_keys(&read.packages, key), expected, "{what}");

        // The OS: what the matcher looks up.
        let got = read.os.as_ref().unwrap();
        assert_eq!((&got.family, &got.version, &got.ecosystem), (&os.family, &os.version, &os.ecosystem), "{what}");
        if format != SbomFormat::Spdx {
            assert_eq!(got.pretty_name, os.pretty_name, "{what}");
        }
        assert_eq!(read.image.name, original.image.name, "{what}");
        assert_eq!(read.image.config_digest, original.image.config_digest, "{what}");

        match format {
            SbomFormat::Json => {
                // Everything but the owned files, which no format writes (`Package::files` is not
                // serialized: they only serve the catalog's attribution of language packages).
                let mut without_files = original.clone();
                without_files.packages.iter_mut().for_each(|p| drop(p.take_files()));
                assert_eq!(read, without_files, "{what}");
            }
            SbomFormat::CycloneDx => {
                // Every field the CycloneDX writer records comes back, in the same order.
                assert_eq!(read.packages.len(), original.packages.len(), "{what}");
                for (r, o) in read.packages.iter().zip(&original.packages) {
                    assert_eq!(key(r), key(o), "{what}");
                    assert_eq!(
                        (&r.location(), r.evidence, &r.licenses()),
                        (&o.location(), o.evidence, &o.licenses()),
                        "{what}"
                    );
                    let (rl, ol) = (r.layer.as_ref().unwrap(), o.layer.as_ref().unwrap());
                    assert_eq!((&rl.diff_id, &rl.created_by), (&ol.diff_id, &ol.created_by), "{what}");
                    // The writer does not record layer positions; the reader numbers the layers it
                    // sees and lists them in the image, consistently.
                    assert_eq!(read.image.layers[rl.index].diff_id, rl.diff_id, "{what}");
                }
                assert_eq!(
                    (&read.image.source, &read.image.manifest_digest, &read.image.os, &read.image.architecture),
                    (
                        &original.image.source,
                        &original.image.manifest_digest,
                        &original.image.os,
                        &original.image.architecture
                    ),
                    "{what}"
                );
                assert!(read.diagnostics.is_empty(), "{what}: {:?}", read.diagnostics);
            }
            SbomFormat::Spdx => {
                // SPDX records no location, evidence or layer; licenses as one comment.
                for p in &read.packages {
                    assert_eq!(p.location(), name, "{what}");
                    assert!(p.layer.is_none(), "{what}");
                }
                let licenses = |ps: &[Package]| {
                    let mut l: Vec<(String, String, String)> = ps
                        .iter()
                        .map(|p| (p.name.to_string(), p.version.to_string(), p.licenses().join(", ")))
                        .collect();
                    l.sort();
                    l
                };
                assert_eq!(licenses(&read.packages), licenses(&original.packages), "{what}");
                assert!(read.diagnostics.is_empty(), "{what}: {:?}", read.diagnostics);
            }
        }
    }
}

#[test]
fn round_trip_ubuntu_image_with_language_packages() {
    let original = ubuntu_inventory();
    // The fixtures give every kind microscanner reads but rpm and apk.
    let kinds: std::collections::BTreeSet<PackageKind> = original.packages.iter().map(|p| p.kind).collect();
    for kind in [
        PackageKind::Deb,
        PackageKind::Pypi,
        PackageKind::Npm,
        PackageKind::Golang,
        PackageKind::Cargo,
        PackageKind::Maven,
        PackageKind::Gem,
        PackageKind::Composer,
        PackageKind::Nuget,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?} package in {kinds:?}");
    }
    // 91 stanzas, of which `git` is `deinstall ok config-files`.
    assert_eq!(original.packages.iter().filter(|p| p.kind == PackageKind::Deb).count(), 90);
    assert_eq!(original.os.as_ref().unwrap().ecosystem.as_deref(), Some("Ubuntu:18.04:LTS"));
    // Names the purl spells differently or splits: a PyPI name's case, an npm scope, a Maven
    // group, a Go module path; a binNMU's source version, an epoch.
    for (kind, name) in [
        (PackageKind::Pypi, "Flask"),
        (PackageKind::Npm, "@babel/parser"),
        (PackageKind::Maven, "io.quarkus.gizmo:gizmo"),
        (PackageKind::Golang, "go.etcd.io/bbolt"),
    ] {
        assert!(original.packages.iter().any(|p| p.kind == kind && p.name == name), "{kind:?} {name}");
    }
    assert!(original.packages.iter().any(|p| p.source_version().is_some_and(|s| *s != p.version)));
    assert!(original.packages.iter().any(|p| p.kind == PackageKind::Deb && p.version.contains(':')));
    check_round_trip(&original);
}

#[test]
fn round_trip_debian_12() {
    let original = debian_inventory();
    assert_eq!(original.os.as_ref().unwrap().ecosystem.as_deref(), Some("Debian:12"));
    assert_eq!(original.packages[0].source_name(), Some("pam"));
    check_round_trip(&original);
}

#[test]
fn round_trip_alpine() {
    let original = alpine_inventory();
    assert_eq!(original.packages.len(), 39);
    assert!(original.packages.iter().any(|p| p.source_name().is_some_and(|s| *s != p.name)));
    check_round_trip(&original);
}

/// The components of a CycloneDX document with a purl of a type microscanner reads, as
/// (name as the ecosystem keys it, version), from the purl (no percent-encoding in the fixture).
fn maven_components(doc: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .map(|purl| {
            let rest = purl.strip_prefix("pkg:maven/").expect("the fixture lists Maven purls");
            let (path, version) = rest.split_once('@').unwrap();
            let (group, artifact) = path.rsplit_once('/').unwrap();
            (format!("{group}:{artifact}"), version.to_owned())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn syft_graalvm_cyclonedx_fixture() {
    let rel = "pkgdb-syft/syft/pkg/cataloger/java/testdata/graalvm-sbom/micronaut.json";
    let bytes = fixture(rel);
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let read = read_sbom(&bytes, "micronaut.json").unwrap();

    let expected = maven_components(&doc);
    assert!(!expected.is_empty());
    let mut got: Vec<(String, String)> =
        read.packages.iter().map(|p| (p.name.to_string(), p.version.to_string())).collect();
    got.sort();
    assert_eq!(got, expected);
    assert!(read.packages.iter().all(|p| p.kind == PackageKind::Maven));
    // netty's component says version 4.1.73.Final, its purl 4.1.104.Final: the purl wins, as it
    // is what identifies the package.
    assert!(read.packages.iter().any(|p| p.name == "io.netty:netty-codec-http2" && p.version == "4.1.104.Final"));
    // The document's subject (metadata.component) is the image, not a package.
    assert_eq!(read.image.name, doc["metadata"]["component"]["name"].as_str().unwrap());
    // Every component without a purl is a diagnostic naming it.
    let no_purl: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.get("purl").is_none())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(!no_purl.is_empty());
    assert_eq!(read.diagnostics.len(), no_purl.len(), "{:?}", read.diagnostics);
    for name in no_purl {
        assert!(read.diagnostics.iter().any(|d| d.message.contains(name) && d.message.contains("no purl")));
    }
    // No OS in a Java application's SBOM.
    assert!(read.os.is_none());
}

/// The release the catalog would record for a distribution's `os-release` `ID` and `VERSION_ID`.
fn catalog_os(id: &str, version: &str) -> (String, String, Option<String>) {
    let os = os_info(id, version, "etc/os-release");
    (os.family, os.version, os.ecosystem)
}

fn os_triple(os: Option<&OsInfo>) -> (String, String, Option<String>) {
    let os = os.unwrap();
    (os.family.clone(), os.version.clone(), os.ecosystem.clone())
}

/// Distributions as SBOM tools name them (`ID`, `VERSION_ID`).
const DISTROS: &[(&str, &str)] = &[
    ("debian", "12.4"),
    ("debian", "11"),
    ("debian", "trixie"),
    ("ubuntu", "22.04"),
    ("ubuntu", "23.10"),
    ("alpine", "3.19.1"),
    ("rocky", "9.3"),
    ("almalinux", "9.2"),
    ("rhel", "9.1"),
    ("redhat", "8.9"),
    ("centos", "7.6.1810"),
    ("ol", "8.9"),
    ("oracle", "7"),
    ("fedora", "39"),
    ("amzn", "2023"),
    ("sles", "15.5"),
    ("opensuse-leap", "15.5"),
    ("opensuse-tumbleweed", "20240101"),
    ("sle-micro", "5.5"),
    ("photon", "4.0"),
    ("mariner", "2.0.20220226"),
    ("azurelinux", "3.0"),
    ("wolfi", "20230201"),
    ("chainguard", "20230214"),
];

#[test]
fn os_identity_matches_the_catalog() {
    for &(id, version) in DISTROS {
        // An operating-system component (Trivy, Syft, microscanner).
        let doc = json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5",
            "components": [{ "type": "operating-system", "name": id, "version": version }],
        });
        let read = read_sbom(&serde_json::to_vec(&doc).unwrap(), "os.cdx.json").unwrap();
        assert_eq!(os_triple(read.os.as_ref()), catalog_os(id, version), "{id} {version}");
        // Only a `distro` qualifier on the OS packages' purls (Syft's SPDX).
        let doc = json!({
            "spdxVersion": "SPDX-2.3",
            "packages": [{
                "SPDXID": "SPDXRef-p", "name": "zlib", "versionInfo": "1.3-1",
                "externalRefs": [{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                    "referenceLocator": format!("pkg:rpm/{id}/zlib@1.3-1?arch=x86_64&distro={id}-{version}") }],
            }],
        });
        let read = read_sbom(&serde_json::to_vec(&doc).unwrap(), "os.spdx.json").unwrap();
        assert_eq!(os_triple(read.os.as_ref()), catalog_os(id, version), "{id} {version} (distro qualifier)");
    }
    // Alpine edge states an `_alpha` version: the catalog (from os-release's name) says `edge`.
    let doc = json!({ "bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{ "type": "operating-system", "name": "alpine", "version": "3.21.0_alpha20240807" }] });
    let read = read_sbom(&serde_json::to_vec(&doc).unwrap(), "edge.cdx.json").unwrap();
    assert_eq!(os_triple(read.os.as_ref()), ("alpine".to_owned(), "edge".to_owned(), None));
}

/// A CycloneDX document in the shape Trivy writes for a Debian image (an `operating-system`
/// component `debian` `12.4`, `distro=debian-12.4` and `epoch` qualifiers, `SrcName`/`SrcVersion`/
/// `SrcEpoch` and `LayerDiffID` properties, the image's `DiffID`s on the subject). Written here:
/// no Trivy document is in the fixtures.
#[test]
fn trivy_cyclonedx_conventions() {
    let layer0 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let layer1 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    let props = |pairs: &[(&str, &str)]| -> Value {
        pairs.iter().map(|(n, v)| json!({ "name": format!("aquasecurity:trivy:{n}"), "value": v })).collect()
    };
    let doc = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {
            "tools": { "components": [{ "type": "application", "group": "aquasecurity", "name": "trivy", "version": "0.50.0" }] },
            "component": { "bom-ref": "x", "type": "container", "name": "debian:12",
                "properties": props(&[("ImageID", "sha256:cafe"), ("DiffID", layer0), ("DiffID", layer1),
                    ("RepoDigest", "debian@sha256:beef")]) },
        },
        "components": [
            { "type": "library", "name": "libgcc-s1", "version": "1:12.2.0-14",
              "purl": "pkg:deb/debian/libgcc-s1@12.2.0-14?arch=amd64&distro=debian-12.4&epoch=1",
              "properties": props(&[("SrcName", "gcc-12"), ("SrcVersion", "12.2.0-14"), ("SrcEpoch", "1"), ("LayerDiffID", layer0)]) },
            { "type": "library", "name": "libstdc++6", "version": "12.2.0-14",
              "purl": "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12.4",
              "properties": props(&[("SrcName", "gcc-12"), ("SrcVersion", "12.2.0-14"), ("LayerDiffID", layer0)]) },
            { "type": "library", "group": "com.fasterxml.jackson.core", "name": "jackson-databind", "version": "2.15.2",
              "purl": "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.2",
              "properties": props(&[("FilePath", "app/app.jar"), ("LayerDiffID", layer1)]) },
            { "type": "library", "name": "jsonlite", "version": "1.8.0",
              "purl": "pkg:cran/jsonlite@1.8.0", "properties": props(&[("LayerDiffID", layer1)]) },
            { "type": "operating-system", "name": "debian", "version": "12.4",
              "properties": props(&[("Type", "debian"), ("Class", "os-pkgs")]) },
        ],
    });
    let read = read_sbom(&serde_json::to_vec(&doc).unwrap(), "trivy.cdx.json").unwrap();
    assert_eq!(os_triple(read.os.as_ref()), catalog_os("debian", "12.4"));
    assert_eq!(read.os.as_ref().unwrap().ecosystem.as_deref(), Some("Debian:12"));
    assert_eq!(read.image.config_digest.as_deref(), Some("sha256:cafe"));
    assert_eq!(read.image.manifest_digest.as_deref(), Some("sha256:beef"));
    assert_eq!(read.image.layers.iter().map(|l| l.diff_id.as_str()).collect::<Vec<_>>(), [layer0, layer1]);
    let by_name: BTreeMap<&str, &Package> = read.packages.iter().map(|p| (p.name.as_str(), p)).collect();
    assert_eq!(by_name.len(), 3, "{:?}", read.packages);
    let gcc = by_name["libgcc-s1"];
    assert_eq!(
        (gcc.version.as_str(), gcc.arch(), gcc.source_name(), gcc.source_version()),
        ("1:12.2.0-14", Some("amd64"), Some("gcc-12"), Some("1:12.2.0-14"))
    );
    assert_eq!(gcc.layer.as_ref().map(|l| l.index), Some(0));
    assert_eq!(by_name["libstdc++6"].version, "12.2.0-14");
    let jackson = by_name["com.fasterxml.jackson.core:jackson-databind"];
    assert_eq!((jackson.kind, jackson.location()), (PackageKind::Maven, "app/app.jar"));
    assert_eq!(jackson.layer.as_ref().map(|l| l.index), Some(1));
    // The CRAN package (a purl type microscanner does not match) is not dropped silently.
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    let d = &read.diagnostics[0];
    assert_eq!(d.level, DiagnosticLevel::Warning);
    assert!(d.message.contains("components[3]") && d.message.contains("cran"), "{d}");
}

/// An SPDX document in the shape Syft writes (the image as a CONTAINER package with an `oci`
/// purl, no OS package: the `distro` qualifier names it; `upstream` qualifiers name the source
/// packages; `sourceInfo` the evidence file). Written here: no Syft SPDX document is in the
/// fixtures.
#[test]
fn syft_spdx_conventions() {
    let purl_ref = |purl: &str| json!([{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl }]);
    let doc = json!({
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "rocky:9",
        "creationInfo": { "creators": ["Organization: Anchore, Inc", "Tool: syft-1.0.0"], "created": "2024-01-01T00:00:00Z" },
        "packages": [
            { "SPDXID": "SPDXRef-Package-rpm-openssl-libs-1", "name": "openssl-libs", "versionInfo": "1:3.0.7-24.el9",
              "sourceInfo": "acquired package info from RPM DB: /var/lib/rpm/rpmdb.sqlite",
              "licenseDeclared": "Apache-2.0",
              "externalRefs": purl_ref("pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rocky-9.3") },
            { "SPDXID": "SPDXRef-Package-python-requests-2", "name": "requests", "versionInfo": "2.31.0",
              "sourceInfo": "acquired package info from installed python package manifest file: /usr/lib/python3.9/site-packages/requests-2.31.0.dist-info/METADATA",
              "externalRefs": purl_ref("pkg:pypi/requests@2.31.0") },
            { "SPDXID": "SPDXRef-DocumentRoot-Image-rocky", "name": "rocky:9", "versionInfo": "sha256:abcd",
              "primaryPackagePurpose": "CONTAINER",
              "externalRefs": purl_ref("pkg:oci/rocky@sha256%3Aabcd?arch=amd64") },
        ],
        "relationships": [
            { "spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-DocumentRoot-Image-rocky" },
        ],
    });
    let read = read_sbom(&serde_json::to_vec(&doc).unwrap(), "syft.spdx.json").unwrap();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(os_triple(read.os.as_ref()), catalog_os("rocky", "9.3"));
    assert_eq!(read.image.name, "rocky:9");
    assert_eq!(read.packages.len(), 2);
    let rpm = read.packages.iter().find(|p| p.kind == PackageKind::Rpm).unwrap();
    assert_eq!(
        (rpm.name.as_str(), rpm.version.as_str(), rpm.source_name(), rpm.source_version()),
        ("openssl-libs", "1:3.0.7-24.el9", Some("openssl"), Some("1:3.0.7-24.el9"))
    );
    assert_eq!(rpm.location(), "/var/lib/rpm/rpmdb.sqlite");
    assert_eq!(rpm.licenses(), ["Apache-2.0"]);
    let py = read.packages.iter().find(|p| p.kind == PackageKind::Pypi).unwrap();
    assert_eq!((py.name.as_str(), py.version.as_str()), ("requests", "2.31.0"));
}

#[test]
fn percent_decoding_and_no_os_warning() {
    let doc = json!({ "bomFormat": "CycloneDX", "specVersion": "1.4", "components": [
        { "type": "library", "name": "libstdc++6", "purl": "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64" },
        { "type": "library", "name": "Core", "purl": "pkg:npm/%40Angular/core@17.0.0" },
        { "type": "library", "name": "github.com/Azure/go-autorest", "purl": "pkg:golang/github.com/azure/go-autorest@v14.2.0%2Bincompatible" },
    ] });
    let read = read_sbom(&serde_json::to_vec(&doc).unwrap(), "x.cdx.json").unwrap();
    let got: Vec<(&str, &str)> = read.packages.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
    assert_eq!(
        got,
        [
            ("libstdc++6", "12.2.0-14+deb12u1"),
            // The document's name is another package's (`Core`, not `@Angular/core`): the purl wins.
            ("@Angular/core", "17.0.0"),
            // The same module path in another case: the document's spelling is kept.
            ("github.com/Azure/go-autorest", "v14.2.0+incompatible"),
        ]
    );
    // A deb package and no OS anywhere: said, not silently unmatched.
    assert!(read.os.is_none());
    assert!(read.diagnostics.iter().any(|d| d.message.contains("no operating system")), "{:?}", read.diagnostics);
}

// ---------------------------------------------------------------------------------------------
// Errors and bounds.

fn err(bytes: &[u8], name: &str) -> SbomReadError {
    read_sbom(bytes, name).expect_err("the document was accepted")
}

#[test]
fn not_json_and_unknown_formats() {
    let e = err(b"{\"bomFormat\": \"CycloneDX\", \"components\": [", "broken.json");
    assert!(matches!(e, SbomReadError::NotJson { .. }), "{e:?}");
    assert!(e.to_string().starts_with("broken.json: not JSON: "), "{e}");
    assert!(!e.to_string().contains('\n'));
    let e = err(b"", "empty.json");
    assert!(matches!(e, SbomReadError::NotJson { .. }), "{e:?}");
    for doc in [&b"[1, 2]"[..], b"{\"name\": \"x\"}", b"\"CycloneDX\"", b"{\"bomFormat\": \"SWID\"}"] {
        let e = err(doc, "other.json");
        assert!(matches!(e, SbomReadError::UnknownFormat { .. }), "{e:?}");
        assert!(e.to_string().starts_with("other.json: not an SBOM microscanner reads: "), "{e}");
    }
    let e = err(br#"{"spdxVersion": "SPDX-3.0", "packages": []}"#, "v3.json");
    assert_eq!(e.to_string(), "v3.json: spdxVersion: version \"SPDX-3.0\" is not supported (SPDX-2.2 and SPDX-2.3)");
    let e = err(br#"{"schema_version": "2.0", "packages": []}"#, "inv.json");
    assert!(matches!(e, SbomReadError::UnsupportedVersion { .. }), "{e:?}");
    // A UTF-8 byte order mark is not an error.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}"#);
    assert!(read_sbom(&bytes, "bom.json").unwrap().packages.is_empty());
}

#[test]
fn wrong_types_name_the_path() {
    let original = debian_inventory();
    let mut cdx: Value = serde_json::from_slice(&write(&original, SbomFormat::CycloneDx)).unwrap();
    cdx["components"][1]["version"] = json!(5);
    let e = err(&serde_json::to_vec(&cdx).unwrap(), "x.cdx.json");
    assert!(
        e.to_string().starts_with("x.cdx.json: components[1].version: invalid type: integer `5`, expected a string"),
        "{e}"
    );

    let mut spdx: Value = serde_json::from_slice(&write(&original, SbomFormat::Spdx)).unwrap();
    spdx["packages"][2]["externalRefs"][0]["referenceLocator"] = json!(["pkg:deb/x@1"]);
    let e = err(&serde_json::to_vec(&spdx).unwrap(), "x.spdx.json");
    assert!(
        e.to_string().starts_with("x.spdx.json: packages[2].externalRefs[0].referenceLocator: invalid type"),
        "{e}"
    );

    let ubuntu = ubuntu_inventory();
    let mut inv: Value = serde_json::from_slice(&write(&ubuntu, SbomFormat::Json)).unwrap();
    inv["packages"][3].as_object_mut().unwrap().remove("version");
    let e = err(&serde_json::to_vec(&inv).unwrap(), "inventory.json");
    assert!(e.to_string().starts_with("inventory.json: packages[3].version: missing field"), "{e}");
    assert!(matches!(e, SbomReadError::Invalid { ref path, .. } if path == "packages[3].version"), "{e:?}");

    let mut inv: Value = serde_json::from_slice(&write(&ubuntu, SbomFormat::Json)).unwrap();
    inv["packages"][7]["kind"] = json!("cran");
    let e = err(&serde_json::to_vec(&inv).unwrap(), "inventory.json");
    assert!(e.to_string().starts_with("inventory.json: packages[7].kind: unknown variant `cran`"), "{e}");
}

#[test]
fn too_many_components_and_too_long_strings() {
    let n = MAX_SBOM_PACKAGES + 1;
    let list = vec!["{}"; n].join(",");
    let cdx = format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{list}]}}"#);
    let e = err(cdx.as_bytes(), "big.cdx.json");
    assert_eq!(
        e,
        SbomReadError::TooMany {
            source_name: "big.cdx.json".into(),
            field: "components".into(),
            count: n,
            limit: MAX_SBOM_PACKAGES
        }
    );
    assert_eq!(
        e.to_string(),
        format!("big.cdx.json: components: {n} entries, more than the limit of {MAX_SBOM_PACKAGES}")
    );
    let spdx = format!(r#"{{"spdxVersion":"SPDX-2.3","packages":[{list}]}}"#);
    assert!(matches!(err(spdx.as_bytes(), "big.spdx.json"), SbomReadError::TooMany { count, .. } if count == n));
    let inv = format!(r#"{{"schema_version":"1.0","packages":[{list}]}}"#);
    assert!(matches!(err(inv.as_bytes(), "big.json"), SbomReadError::TooMany { count, .. } if count == n));
    // Exactly the limit is read (the components have no purl: skipped, with diagnostics).
    let list = vec![r#"{"type":"file"}"#; MAX_SBOM_PACKAGES].join(",");
    let cdx = format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{list}]}}"#);
    let read = read_sbom(cdx.as_bytes(), "limit.cdx.json").unwrap();
    assert_eq!(read.diagnostics.len(), 1, "{:?}", read.diagnostics);
    assert!(read.diagnostics[0].message.starts_with(&format!("{MAX_SBOM_PACKAGES} components of type file skipped")));

    let long = "a".repeat(MAX_SBOM_STRING + 1);
    let doc = json!({ "bomFormat": "CycloneDX", "specVersion": "1.6",
        "components": [{ "name": "ok", "purl": "pkg:npm/ok@1" }, { "name": long, "purl": "pkg:npm/x@1" }] });
    let e = err(&serde_json::to_vec(&doc).unwrap(), "long.cdx.json");
    assert_eq!(
        e.to_string(),
        format!(
            "long.cdx.json: components[1].name: {} bytes long, more than the limit of {MAX_SBOM_STRING}",
            long.len()
        )
    );
    let doc = json!({ "spdxVersion": "SPDX-2.3", "packages": [{ "name": "x", "externalRefs": [
        { "referenceType": "purl", "referenceLocator": format!("pkg:npm/{long}@1") }] }] });
    let e = err(&serde_json::to_vec(&doc).unwrap(), "long.spdx.json");
    assert!(e.to_string().starts_with("long.spdx.json: packages[0].externalRefs[0].referenceLocator: "), "{e}");
}

#[test]
fn unknown_purl_types_are_diagnostics() {
    let original = debian_inventory();
    let mut spdx: Value = serde_json::from_slice(&write(&original, SbomFormat::Spdx)).unwrap();
    let packages = spdx["packages"].as_array_mut().unwrap();
    packages.push(json!({ "SPDXID": "SPDXRef-extra", "name": "left-pad", "versionInfo": "1.0",
        "externalRefs": [{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:cran/left-pad@1.0" }] }));
    packages.push(json!({ "SPDXID": "SPDXRef-bad", "name": "bad", "versionInfo": "1",
        "externalRefs": [{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "not a purl" }] }));
    let n = packages.len();
    let read = read_sbom(&serde_json::to_vec(&spdx).unwrap(), "extra.spdx.json").unwrap();
    assert_eq!(read.packages.len(), original.packages.len());
    assert_eq!(read.diagnostics.len(), 2, "{:?}", read.diagnostics);
    let messages: Vec<String> = read.diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        messages[0].starts_with(&format!("extra.spdx.json: packages[{}] (pkg:cran/left-pad@1.0): purl type", n - 2)),
        "{messages:?}"
    );
    assert!(
        messages[1].contains(&format!("packages[{}]", n - 1)) && messages[1].contains("not a package URL"),
        "{messages:?}"
    );
}

/// Truncated and corrupted real documents give an error or an inventory, never a panic.
#[test]
fn damaged_documents_never_panic() {
    let original = ubuntu_inventory();
    for format in FORMATS {
        let bytes = write(&original, format);
        let step = (bytes.len() / 150).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let _ = read_sbom(&bytes[..cut], "cut.json");
            let mut damaged = bytes.clone();
            let noise = b"\"{}[],:0a\\%\xff";
            damaged[cut] = noise[cut % noise.len()];
            let _ = read_sbom(&damaged, "damaged.json");
        }
    }
}
