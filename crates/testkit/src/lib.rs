//! Test support: builds real layer tars, OCI layouts and docker-archives in memory or in a
//! temporary directory, and finds the images that `../shared/tools/make-images.sh` builds.
//!
//! Only for tests (a dev-dependency): panics are the failure report here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::missing_panics_doc, clippy::print_stderr)]

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

pub mod postgres;
mod sample_report;
pub mod smtp;
pub use sample_report::sample_report;

/// The `sha256:` digest of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Gzips bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Builds one layer tar, entry by entry, with real tar headers (GNU long names and PAX as the
/// `tar` crate writes them).
#[derive(Default)]
pub struct LayerBuilder {
    builder: Option<tar::Builder<Vec<u8>>>,
}

impl LayerBuilder {
    /// An empty layer.
    pub fn new() -> Self {
        Self { builder: Some(tar::Builder::new(Vec::new())) }
    }

    fn b(&mut self) -> &mut tar::Builder<Vec<u8>> {
        self.builder.as_mut().unwrap()
    }

    /// A regular file.
    pub fn file(mut self, path: &str, content: &[u8]) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        self.b().append_data(&mut h, path, content).unwrap();
        self
    }

    /// A regular file of `size` zero bytes, streamed (never held in memory).
    pub fn zeros(mut self, path: &str, size: u64) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        self.b().append_data(&mut h, path, std::io::repeat(0).take_bytes(size)).unwrap();
        self
    }

    /// A directory.
    pub fn dir(mut self, path: &str) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(0o755);
        h.set_entry_type(tar::EntryType::Directory);
        self.b().append_data(&mut h, path, std::io::empty()).unwrap();
        self
    }

    /// A symlink `path -> target`.
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Symlink);
        self.b().append_link(&mut h, path, target).unwrap();
        self
    }

    /// A hard link `path` to the earlier entry `target`.
    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Link);
        self.b().append_link(&mut h, path, target).unwrap();
        self
    }

    /// A whiteout deleting `path` (`dir/.wh.name`).
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').map_or(("", path), |(d, n)| (d, n));
        let wh = if dir.is_empty() { format!(".wh.{name}") } else { format!("{dir}/.wh.{name}") };
        self.file(&wh, b"")
    }

    /// An opaque whiteout for `dir`.
    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }

    /// An entry whose raw name is written as given, even a hostile one (`../../etc/passwd`)
    /// that the `tar` crate's checked setters refuse.
    pub fn raw_file(mut self, raw_name: &str, content: &[u8]) -> Self {
        let mut h = tar::Header::new_old();
        let name = raw_name.as_bytes();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        self.b().append(&h, content).unwrap();
        self
    }

    /// The finished tar.
    pub fn build(mut self) -> Vec<u8> {
        self.builder.take().unwrap().into_inner().unwrap()
    }
}

/// `Read::take` on a repeat reader, named for readability.
trait TakeBytes {
    fn take_bytes(self, n: u64) -> std::io::Take<std::io::Repeat>;
}

impl TakeBytes for std::io::Repeat {
    fn take_bytes(self, n: u64) -> std::io::Take<std::io::Repeat> {
        std::io::Read::take(self, n)
    }
}

/// A layer for an image: its uncompressed tar, how to store it, and its history line.
pub struct TestLayer {
    /// The uncompressed tar.
    pub tar: Vec<u8>,
    /// Gzip it in the OCI layout.
    pub gzip: bool,
    /// The history `created_by` line.
    pub created_by: String,
}

impl TestLayer {
    /// A gzip layer with a history line.
    pub fn new(tar: Vec<u8>, created_by: &str) -> Self {
        Self { tar, gzip: true, created_by: created_by.to_owned() }
    }
}

/// The config JSON of an image of `layers`.
fn config(layers: &[TestLayer]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256(&l.tar)).collect();
    let history: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| serde_json::json!({ "created_by": l.created_by }))
        .chain(std::iter::once(serde_json::json!({ "created_by": "CMD [\"sh\"]", "empty_layer": true })))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": history,
    }))
    .unwrap()
}

/// Writes an OCI image layout of `layers` into `dir`, tagged `latest`; returns the layer blob
/// digests so tests can corrupt or remove them.
pub fn write_oci_layout(dir: &Path, layers: &[TestLayer]) -> Vec<String> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let digest = sha256(bytes);
        std::fs::write(blobs.join(&digest["sha256:".len()..]), bytes).unwrap();
        digest
    };
    let config = config(layers);
    let config_digest = put(&config);
    let mut descriptors = Vec::new();
    let mut digests = Vec::new();
    for layer in layers {
        let (bytes, media_type) = if layer.gzip {
            (gzip(&layer.tar), "application/vnd.oci.image.layer.v1.tar+gzip")
        } else {
            (layer.tar.clone(), "application/vnd.oci.image.layer.v1.tar")
        };
        let digest = put(&bytes);
        descriptors.push(serde_json::json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() }));
        digests.push(digest);
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len() },
        "layers": descriptors,
    }))
    .unwrap();
    let manifest_digest = put(&manifest);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest.len(),
            "annotations": { "org.opencontainers.image.ref.name": "latest" },
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    digests
}

/// Writes a docker-archive (`docker save` layout, uncompressed layers) of `layers` to `path`.
pub fn write_docker_archive(path: &Path, layers: &[TestLayer]) {
    let config = config(layers);
    let config_name = format!("{}.json", &sha256(&config)["sha256:".len()..]);
    let mut names = Vec::new();
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, bytes).unwrap();
    };
    for layer in layers {
        let name = format!("{}/layer.tar", &sha256(&layer.tar)["sha256:".len()..]);
        add(&name, &layer.tar);
        names.push(name);
    }
    add(&config_name, &config);
    let manifest = serde_json::json!([{ "Config": config_name, "RepoTags": ["test:latest"], "Layers": names }]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    b.finish().unwrap();
}

/// Whether a test may go on: `ok` when what it needs (`what`: a tool, a service, the test images)
/// is here. Otherwise a note on stderr and `false`, so the caller skips, except under CI (`CI` set),
/// where a missing part is a failure: `.ci/run` installs and starts everything the tests need.
/// The one home of the "skip locally, fail under CI" rule.
pub fn require(ok: bool, what: &str) -> bool {
    if !ok {
        assert!(!under_ci(), "CI is set but {what} is missing: .ci/run must provide it");
        eprintln!("note: {what} is missing; skipping");
    }
    ok
}

/// Whether the tests run under CI (`CI` set), where nothing they need may be missing.
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// The folder of images built by `../shared/tools/make-images.sh`: `$MICROSCANNER_IMAGES`, or
/// `target/images` of the workspace. `None` (with a note on stderr) when it is not there, except
/// under CI (`CI` set), where a missing image set is a failure: CI must build them.
pub fn images_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MICROSCANNER_IMAGES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/images")));
    if dir.join("debian12-app").is_dir() {
        return Some(dir);
    }
    require(false, &format!("the test images at {} (scripts/images.sh builds them)", dir.display()));
    None
}

/// The local registries `scripts/registry.sh` starts, holding the test images.
#[derive(Debug, Clone)]
pub struct TestRegistries {
    /// `127.0.0.1:PORT` of the registry without auth.
    pub open: String,
    /// `127.0.0.1:PORT` of the registry with htpasswd basic auth.
    pub auth: String,
    /// The user name the auth registry accepts.
    pub username: String,
    /// Its password.
    pub password: String,
}

/// The local registries from `MICROSCANNER_TEST_REGISTRY`, `MICROSCANNER_TEST_REGISTRY_AUTH` and
/// `MICROSCANNER_TEST_REGISTRY_CREDS` (`user:password`), as `scripts/test.sh` exports them.
/// `None` (with a note) when they are not set or not answering, except under CI, where that is a
/// failure: CI must start them.
pub fn test_registries() -> Option<TestRegistries> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let found = (|| {
        let open = var("MICROSCANNER_TEST_REGISTRY")?;
        let auth = var("MICROSCANNER_TEST_REGISTRY_AUTH")?;
        let (username, password) =
            var("MICROSCANNER_TEST_REGISTRY_CREDS")?.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned()))?;
        let answering = |addr: &str| std::net::TcpStream::connect(addr).is_ok();
        (answering(&open) && answering(&auth)).then_some(TestRegistries { open, auth, username, password })
    })();
    require(found.is_some(), "the test registries (scripts/registry.sh starts them)");
    found
}

/// The `auth` value of a docker config `auths` entry: base64 of `user:password`.
pub fn docker_config_auth(username: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
}

/// The packages of an inventory document (`sbom --format json`) as `kind name version` lines:
/// what two scans of the same image must agree on.
pub fn inventory_packages(doc: &serde_json::Value) -> std::collections::BTreeSet<String> {
    doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| format!("{} {} {}", p["kind"], p["name"], p["version"]))
        .collect()
}

/// The shared fixtures folder (`../shared/fixtures` beside the checkout).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures"))
}

/// Every real feed in `../shared/fixtures` (OSV of each ecosystem, the Debian DSA/DLA lists and
/// tracker JSON, Alpine secdb, the Wolfi/Chainguard/MinimOS secdb, Amazon ALAS updateinfo, the
/// Oracle and CBL-Mariner/Azure Linux OVAL samples, NVD,
/// KEV, EPSS), as `db build --from` is given them: the database
/// the matcher and scan tests run against.
pub fn fixture_feed_paths() -> Vec<PathBuf> {
    let f = fixtures_dir();
    let vuls = f.join("feeds-vuls-data-update-fixtures/pkg/fetch");
    let vunnel = f.join("feeds-vunnel-fixtures/tests/unit/providers");
    let mut paths = vec![
        f.join("osv-go-vulndb"),
        f.join("osv-rustsec"),
        f.join("osv-pypi-pypa/json"),
        f.join("osv-almalinux"),
        f.join("osv-samples"),
        f.join("osv-ghsa-subset"),
        f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"),
        f.join("debian-security-tracker/CVEDB-mirror/data/DLA/list"),
        vunnel.join("debian/test-fixtures/input/debian.json"),
        vuls.join("debian/tracker/api/testdata/fixtures/advisory.json"),
        f.join("alpine-secdb"),
        vuls.join("alpine/secdb/testdata/fixtures/v3.16"),
        vunnel.join("nvd/test-fixtures/full-page.json"),
        f.join("feeds-osv-dev-testdata/vulnfeeds/test_data/nvdcve-2.0"),
        f.join("kev-cisa/known_exploited_vulnerabilities.json"),
        vuls.join("epss/testdata/fixtures"),
        vunnel.join("epss/test-fixtures/example-1.csv"),
    ];
    for eco in ["pip", "cargo", "golang", "npm", "maven", "rubygems", "debian", "alpine", "alma", "rocky", "redhat"] {
        paths.push(vuls.join(eco).join("osv/testdata/fixtures/all.zip"));
    }
    paths.push(vuls.join("wolfi/osv/testdata/fixtures/all.zip"));
    paths.extend(vendor_secdb_paths());
    paths.extend(amazon_updateinfo_paths());
    paths.extend(vendor_oval_paths());
    paths
}

/// The real secdb samples of the rolling apk vendors (Wolfi, Chainguard, MinimOS): vunnel's and
/// vuls-data-update's test inputs.
pub fn vendor_secdb_paths() -> Vec<PathBuf> {
    let f = fixtures_dir();
    let vuls = f.join("feeds-vuls-data-update-fixtures/pkg/fetch");
    let vunnel = f.join("feeds-vunnel-fixtures/tests/unit/providers");
    let mut paths: Vec<PathBuf> = ["wolfi", "chainguard", "minimos"]
        .iter()
        .map(|v| vunnel.join(v).join("test-fixtures/input/secdb/security.json"))
        .collect();
    paths.extend(
        ["wolfi", "chainguard"].iter().map(|v| vuls.join(v).join("secdb/testdata/fixtures/happy/security.json")),
    );
    paths
}

/// The real Amazon Linux `updateinfo.xml.gz` samples of vuls-data-update (AL1, AL2, AL2022,
/// AL2023 and three extras repositories), without its two deliberately broken files.
pub fn amazon_updateinfo_paths() -> Vec<PathBuf> {
    let dir = fixtures_dir().join("feeds-vuls-data-update-fixtures/pkg/fetch/amazon/testdata/fixtures");
    ["1", "2", "2022", "2023", "2023_kernel-livepatch", "2023_nvidia", "2_kernel-5.15"]
        .iter()
        .map(|r| dir.join(format!("updateinfo_{r}.xml.gz")))
        .collect()
}

/// The OVAL samples of Oracle Linux (vunnel's `mock_data`, `mock_ksplice_data`,
/// `mock_per_arch_data`: real ELSA definitions) and of CBL-Mariner 2.0 / Azure Linux 3.0
/// (vunnel's truncated OVAL files), in that order.
pub fn vendor_oval_paths() -> Vec<PathBuf> {
    let vunnel = fixtures_dir().join("feeds-vunnel-fixtures/tests/unit/providers");
    let oracle = vunnel.join("oracle/test-fixtures");
    let mariner = vunnel.join("mariner/test-fixtures");
    vec![
        oracle.join("mock_data"),
        oracle.join("mock_ksplice_data"),
        oracle.join("mock_per_arch_data"),
        mariner.join("mariner-truncated-2.0-oval.xml"),
        mariner.join("azure-linux-truncated-3.0-oval.xml"),
    ]
}

/// The real Photon OS CVE metadata samples (vunnel's: `cve_data_photon1.0.json` and `4.0`).
pub fn photon_cve_paths() -> Vec<PathBuf> {
    let dir = fixtures_dir().join("feeds-vunnel-fixtures/tests/unit/providers/photon/test-fixtures/input");
    vec![dir.join("cve_data_photon1.0.json"), dir.join("cve_data_photon4.0.json")]
}

/// Bitnami's vulnerability database as vunnel's tests keep it (OSV records, ecosystem `Bitnami`,
/// one directory per component: brotli and consul).
pub fn bitnami_vulndb_dir() -> PathBuf {
    fixtures_dir().join("feeds-vunnel-fixtures/tests/unit/providers/bitnami/test-fixtures/vulndb/data")
}

/// Red Hat's CSAF VEX samples: Trivy's (`redhat-csaf/testdata/{happy,vuln-list-redhat}/csaf-vex`,
/// real documents of CVE-2024-10041 and Trivy's test documents in Red Hat's shape),
/// [`redhat_vex_cve_2024_31449`] and [`redhat_vex_source_states`].
pub fn redhat_vex_paths() -> Vec<PathBuf> {
    let dir = fixtures_dir().join("feeds-trivy-db-fixtures/pkg/vulnsrc/redhat-csaf/testdata");
    let mut paths =
        vec![dir.join("happy/csaf-vex"), dir.join("vuln-list-redhat/csaf-vex"), redhat_vex_cve_2024_31449()];
    paths.extend(redhat_vex_source_states());
    paths
}

/// Red Hat's own CSAF VEX documents of CVE-2019-25059 (ghostscript: not affected in RHEL 6 and 7,
/// will not fix in RHEL 8, its gimp:flatpak stream and RHEL 9) and CVE-2020-16588 (OpenEXR: out
/// of support scope in RHEL 6 and 7, not affected in RHEL 8, fix deferred in gimp:flatpak), copied
/// verbatim from vuln-list-redhat (`crates/testkit/redhat/`, CC BY 4.0; README and MANIFEST).
/// Every state is named by a source rpm (`?arch=src`), as Red Hat names all but fixes.
pub fn redhat_vex_source_states() -> [PathBuf; 2] {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("redhat");
    [dir.join("cve-2019-25059.json"), dir.join("cve-2020-16588.json")]
}

/// Red Hat's own CSAF VEX document of CVE-2024-31449 (redis), a verbatim copy of the one
/// vuln-list-redhat keeps (`crates/testkit/redhat/`, CC BY 4.0; its README and MANIFEST say where
/// from and how the copy was checked): RHEL 9's own redis, the redis:7 module stream of RHEL 9 and
/// the redis:6 stream of RHEL 8, all fixed, their builds related to the stream's product rather
/// than to the platform, beside Discovery, 3scale and Quay products.
pub fn redhat_vex_cve_2024_31449() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("redhat/cve-2024-31449.json")
}

/// Whether the official SBOM validators are installed (`cyclonedx-python-lib[json-validation]`
/// and `spdx-tools` from PyPI; `.ci/run` installs them). Under `CI` their absence is a failure;
/// elsewhere a note is printed and the caller skips.
pub fn sbom_validators_present() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import cyclonedx.validation.json, spdx_tools"])
        .status()
        .is_ok_and(|s| s.success());
    require(ok, "the SBOM validators (pip install cyclonedx-python-lib[json-validation] spdx-tools)")
}

/// Validates a CycloneDX 1.6 JSON file against the official schemas (cyclonedx-python-lib, strict).
pub fn validate_cyclonedx(path: &Path) -> Result<(), String> {
    let script = "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\n\
                  e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
                  sys.exit(f'invalid CycloneDX: {e}' if e else 0)";
    let out =
        std::process::Command::new("python3").args(["-c", script]).arg(path).output().map_err(|e| e.to_string())?;
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

/// Validates an SPDX 2.3 JSON file with the official `pyspdxtools`.
pub fn validate_spdx(path: &Path) -> Result<(), String> {
    let out = std::process::Command::new("pyspdxtools").arg("-i").arg(path).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// One affected (package, advisory) pair found by the independent OSV oracle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleHit {
    /// The OSV ecosystem asked about (`PyPI`, `crates.io`, `Go`).
    pub ecosystem: String,
    /// The package name asked about.
    pub name: String,
    /// The version asked about.
    pub version: String,
    /// The advisory id.
    pub id: String,
    /// The advisory's aliases.
    pub aliases: Vec<String>,
    /// The `fixed` event closing the affected interval that holds the version.
    pub fixed: Option<String>,
    /// Every `fixed` event of the affected entry above the version, lowest first.
    pub fixed_above: Vec<String>,
}

/// Asks the independent OSV oracle (`oracle/osv_expect.py`: OSV evaluation in Python, PEP 440 by
/// `packaging`, SemVer written from the spec; no code shared with microscanner) which advisories
/// under `osv_dirs` affect each `(ecosystem, name, version)`. `None` when python3 or `packaging`
/// is missing (a failure under `CI`).
pub fn osv_oracle(osv_dirs: &[PathBuf], packages: &[(String, String, String)]) -> Option<Vec<OracleHit>> {
    use std::process::{Command, Stdio};
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/osv_expect.py");
    let spawned =
        Command::new("python3").arg(script).args(osv_dirs).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            require(false, &format!("python3 for the OSV oracle ({e})"));
            return None;
        }
    };
    let input: String = packages.iter().map(|(e, n, v)| format!("{e}\t{n}\t{v}\n")).collect();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        require(false, "a working OSV oracle (python3 with `packaging`)");
        return None;
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
    };
    Some(
        text.lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                OracleHit {
                    ecosystem: s("ecosystem"),
                    name: s("name"),
                    version: s("version"),
                    id: s("id"),
                    aliases: strings(&v["aliases"]),
                    fixed: v["fixed"].as_str().map(str::to_owned),
                    fixed_above: strings(&v["fixed_above"]),
                }
            })
            .collect(),
    )
}

/// An installed package as the catalog records it (purl `pkg:TYPE/NAME@VERSION`, no layer): the
/// inventory entries of matcher tests and benchmarks.
pub fn installed_package(
    kind: microscanner_model::PackageKind,
    name: &str,
    version: &str,
    location: &str,
) -> microscanner_model::Package {
    microscanner_model::Package::new(kind, name, version)
        .with_purl(format!("pkg:{}/{name}@{version}", kind.purl_type()))
        .with_location(location)
}
