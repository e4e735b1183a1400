//! The `registry:` source against real registries, never mocks: the two that
//! `scripts/registry.sh` starts (an open one and one with htpasswd basic auth, holding the test
//! images), and for tampering, a `docker-registry` each test starts on its own port and storage,
//! with small images pushed by `skopeo`. Without the shared registries (the
//! `MICROSCANNER_TEST_REGISTRY*` variables) every test returns early, except under CI.

#![allow(clippy::unwrap_used)]

use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use microscanner_image::{
    Credentials, EntryKind, Image, ImageError, LayerVisitor, Limits, OpenOptions, Platform, PlatformSelector,
    RegistryOptions, WalkStats, open, open_with,
};
use microscanner_testkit::{
    LayerBuilder, TestLayer, TestRegistries, docker_config_auth, images_dir, sha256, test_registries, write_oci_layout,
};

/// A visitor that wants no content and counts the non-regular entries it is shown.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    links: u64,
    whiteouts: u64,
    skipped: u64,
}

impl LayerVisitor for Counts {
    fn wants(&mut self, _path: &str, _size: u64) -> bool {
        false
    }

    fn file(&mut self, _path: &str, _size: u64, _content: &mut dyn Read) -> io::Result<()> {
        Ok(())
    }

    fn entry(&mut self, _path: &str, kind: EntryKind) {
        match kind {
            EntryKind::Symlink(_) | EntryKind::Hardlink(_) => self.links += 1,
            EntryKind::Whiteout | EntryKind::OpaqueDir => self.whiteouts += 1,
        }
    }

    fn skipped(&mut self, _raw_path: &str, _reason: &str) {
        self.skipped += 1;
    }
}

/// Walks every layer of `image`, each on its own thread (layers of one image are walked
/// concurrently in scans, so the shared connection must allow it).
fn walk_all(image: &Image) -> Vec<Result<(WalkStats, Counts), ImageError>> {
    let limits = Limits::default();
    std::thread::scope(|scope| {
        let walks: Vec<_> = image
            .layers
            .iter()
            .map(|layer| {
                scope.spawn(move || {
                    let mut counts = Counts::default();
                    layer.walk(&limits, &mut counts).map(|stats| (stats, counts))
                })
            })
            .collect();
        walks.into_iter().map(|walk| walk.join().unwrap()).collect()
    })
}

/// Options with an empty docker config, so the user's own credentials never leak into a test.
fn options(dir: &Path, insecure: bool) -> OpenOptions {
    let config = dir.join("empty-config.json");
    std::fs::write(&config, "{}").unwrap();
    let registry = RegistryOptions { insecure, docker_config: Some(config), credentials: None };
    OpenOptions { registry, ..OpenOptions::default() }
}

/// The one image a target names.
fn open_one(target: &str, options: &OpenOptions) -> Result<Image, ImageError> {
    let mut images = open_with(target, options)?;
    assert_eq!(images.len(), 1, "{target}");
    Ok(images.remove(0))
}

fn diff_ids(image: &Image) -> Vec<&str> {
    image.layers.iter().map(|l| l.diff_id.as_str()).collect()
}

/// Asserts that an error renders as one line.
fn one_line(err: &ImageError) -> String {
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "error is not one line: {msg:?}");
    msg
}

#[test]
fn registry_image_is_the_local_layout_layer_for_layer() {
    let (Some(registries), Some(images)) = (test_registries(), images_dir()) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let local = open(&format!("oci:{}/debian12-app/oci", images.display()), &Limits::default()).unwrap();
    let target = format!("registry:{}/demo/debian12-app:latest", registries.open);
    let remote = open_one(&target, &options(tmp.path(), true)).unwrap();
    assert_eq!(remote.info.source, "registry");
    assert_eq!(remote.info.name, target);
    assert_eq!(diff_ids(&remote), diff_ids(&local));
    assert_eq!(remote.info.config_digest, local.info.config_digest);
    assert_eq!(remote.info.labels, local.info.labels);
    let manifest = remote.info.manifest_digest.clone().unwrap();
    assert_eq!(remote.info.repo_digests, [format!("{}/demo/debian12-app@{manifest}", registries.open)]);
    let local_walks: Vec<_> = walk_all(&local).into_iter().map(Result::unwrap).collect();
    let remote_walks: Vec<_> = walk_all(&remote).into_iter().map(Result::unwrap).collect();
    assert_eq!(remote_walks, local_walks);
    assert!(remote_walks.iter().all(|(stats, _)| stats.entries > 0));
}

/// Issue 22, item 4: the labels of the image config and the annotations of the index entry, as
/// the image's own files state them (read here with serde_json, apart from the image crate).
#[test]
fn local_images_carry_their_labels_and_annotations() {
    let Some(images) = images_dir() else { return };
    let dir = images.join("debian12-app");
    let oci = open(&format!("oci:{}/oci", dir.display()), &Limits::default()).unwrap();
    let archive = open(&format!("docker-archive:{}/docker-archive.tar", dir.display()), &Limits::default()).unwrap();
    let blob = |digest: &str| -> serde_json::Value {
        let path = dir.join("oci/blobs/sha256").join(digest.trim_start_matches("sha256:"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let config = blob(oci.info.config_digest.as_deref().unwrap());
    let labels: std::collections::BTreeMap<String, String> =
        serde_json::from_value(config["config"]["Labels"].clone()).unwrap();
    assert_eq!(labels.get("org.opencontainers.image.title").map(String::as_str), Some("debian12-app"));
    assert_eq!(oci.info.labels, labels);
    assert_eq!(archive.info.labels, labels, "a docker-archive's config has the same labels");
    assert_eq!(oci.info.annotations.get("org.opencontainers.image.ref.name").map(String::as_str), Some("latest"));
    assert!(oci.info.repo_digests.is_empty() && archive.info.annotations.is_empty());

    // podman build names the base image in the manifest's annotations (manifest.json beside the
    // image is the manifest, as make-images.sh saved it)
    let podman = images.join("podman-app");
    let image = open(&format!("oci-archive:{}/oci-archive.tar", podman.display()), &Limits::default()).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(podman.join("manifest.json")).unwrap()).unwrap();
    let stated: std::collections::BTreeMap<String, String> =
        serde_json::from_value(manifest["annotations"].clone()).unwrap();
    assert!(stated.contains_key("org.opencontainers.image.base.digest"), "{stated:?}");
    for (key, value) in &stated {
        assert_eq!(image.info.annotations.get(key), Some(value), "{key}");
    }
}

#[test]
fn docker_schema_2_and_digest_references_resolve_to_the_same_layers() {
    let (Some(registries), Some(images)) = (test_registries(), images_dir()) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let local = open(&format!("oci:{}/debian12-app/oci", images.display()), &Limits::default()).unwrap();
    // A loopback registry speaks plain HTTP without --insecure, as docker allows.
    let plain = options(tmp.path(), false);
    let v2s2 = open_one(&format!("registry:{}/demo/debian12-app:v2s2", registries.open), &plain).unwrap();
    assert_eq!(diff_ids(&v2s2), diff_ids(&local));
    let manifest = v2s2.info.manifest_digest.clone().unwrap();
    let pinned = open_one(&format!("registry:{}/demo/debian12-app@{manifest}", registries.open), &plain).unwrap();
    assert_eq!(pinned.info.manifest_digest.as_deref(), Some(manifest.as_str()));
    assert_eq!(diff_ids(&pinned), diff_ids(&local));
    let layer_sizes: Vec<u64> = pinned.layers.iter().map(|l| l.stored_size()).collect();
    assert!(layer_sizes.iter().all(|&s| s > 0), "{layer_sizes:?}");
}

#[test]
fn unknown_tags_and_repositories_are_registry_errors() {
    let Some(registries) = test_registries() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for (reference, needle) in [
        ("demo/debian12-app:no-such-tag", "demo/debian12-app:no-such-tag"),
        ("demo/nothing:latest", "demo/nothing:latest"),
    ] {
        let err =
            open_with(&format!("registry:{}/{reference}", registries.open), &options(tmp.path(), true)).unwrap_err();
        let msg = one_line(&err);
        assert!(matches!(err, ImageError::Registry { .. }), "{msg}");
        assert!(msg.contains(needle) && msg.contains("unknown"), "{msg}");
    }
}

#[test]
fn documents_over_the_size_bound_are_refused() {
    let Some(registries) = test_registries() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let target = format!("registry:{}/demo/debian12-app:latest", registries.open);
    // The manifest has 669 bytes: its Content-Length is refused before its body is read.
    let mut opts = options(tmp.path(), true);
    opts.limits.max_document_bytes = 500;
    let err = open_with(&target, &opts).unwrap_err();
    let msg = one_line(&err);
    let expected = format!("registry {}: manifest of demo/debian12-app:latest declares 669 bytes", registries.open);
    assert!(msg.starts_with(&expected) && msg.contains("bound of 500 bytes"), "{msg}");
    // The config has 1418 bytes, as its descriptor says: refused without asking for it.
    opts.limits.max_document_bytes = 1000;
    let err = open_with(&target, &opts).unwrap_err();
    let msg = one_line(&err);
    assert!(msg.starts_with("invalid config") && msg.contains("larger than 1000 bytes"), "{msg}");
}

/// Options for the auth registry with explicit credentials.
fn with_credentials(dir: &Path, username: &str, password: &str) -> OpenOptions {
    let mut opts = options(dir, true);
    opts.registry.credentials = Some(Credentials { username: username.to_owned(), password: password.to_owned() });
    opts
}

fn auth_target(registries: &TestRegistries) -> String {
    format!("registry:{}/demo/debian12-app-auth:latest", registries.auth)
}

#[test]
fn auth_registry_needs_the_right_credentials() {
    let Some(registries) = test_registries() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let target = auth_target(&registries);
    let good = with_credentials(tmp.path(), &registries.username, &registries.password);
    let image = open_one(&target, &good).unwrap();
    // Blobs are fetched with the same credentials: walk the smallest layer.
    let smallest = image.layers.iter().min_by_key(|l| l.stored_size()).unwrap();
    smallest.walk(&Limits::default(), &mut Counts::default()).unwrap();

    let prefix = format!("authentication failed for {}", registries.auth);
    let wrong = with_credentials(tmp.path(), &registries.username, "not-the-password");
    let err = open_with(&target, &wrong).unwrap_err();
    let msg = one_line(&err);
    assert!(matches!(err, ImageError::Auth { .. }) && msg.starts_with(&prefix), "{msg}");
    assert!(msg.contains(&format!("as user {} (from --username)", registries.username)), "{msg}");
    assert!(!msg.contains("not-the-password"), "{msg}");

    let err = open_with(&target, &options(tmp.path(), true)).unwrap_err();
    let msg = one_line(&err);
    assert!(matches!(err, ImageError::Auth { .. }) && msg.starts_with(&prefix), "{msg}");
    assert!(msg.contains("anonymously"), "{msg}");
}

#[test]
fn docker_config_auths_give_access() {
    let Some(registries) = test_registries() else { return };
    assert_eq!(docker_config_auth("scanner", "s3cret-pass"), "c2Nhbm5lcjpzM2NyZXQtcGFzcw==");
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.json");
    let with_auth = |password: &str| {
        let auth = docker_config_auth(&registries.username, password);
        let json = serde_json::json!({ "auths": { registries.auth.clone(): { "auth": auth } } });
        std::fs::write(&config, serde_json::to_vec(&json).unwrap()).unwrap();
        let mut opts = options(tmp.path(), true);
        opts.registry.docker_config = Some(config.clone());
        opts
    };
    open_one(&auth_target(&registries), &with_auth(&registries.password)).unwrap();
    let err = open_with(&auth_target(&registries), &with_auth("stale")).unwrap_err();
    let msg = one_line(&err);
    assert!(matches!(err, ImageError::Auth { .. }), "{msg}");
    assert!(msg.contains(&config.display().to_string()), "the error names the config file: {msg}");
}

/// Where `credential_helper_child` finds its docker config (set only by the parent test).
const HELPER_CONFIG_VAR: &str = "MICROSCANNER_TEST_HELPER_CONFIG";

#[test]
fn docker_config_cred_helper_gives_access() {
    let Some(registries) = test_registries() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let marker = tmp.path().join("helper-ran");
    let reply = serde_json::json!({
        "ServerURL": registries.auth, "Username": registries.username, "Secret": registries.password,
    });
    let script = format!(
        "#!/bin/sh\nserver=$(cat)\n[ \"$1\" = get ] || exit 2\nif [ \"$server\" = '{}' ]; then\n  echo \"$server\" >> '{}'\n  printf '%s' '{}'\nelse\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n",
        registries.auth,
        marker.display(),
        reply
    );
    let helper = bin.join("docker-credential-mstest");
    std::fs::write(&helper, script).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = tmp.path().join("config.json");
    let json = serde_json::json!({ "credHelpers": { registries.auth.clone(): "mstest" } });
    std::fs::write(&config, serde_json::to_vec(&json).unwrap()).unwrap();
    // PATH is process-wide: the lookup runs in a child test process with the helper on its PATH.
    let path = std::env::join_paths(
        std::iter::once(bin.clone()).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["registry::credential_helper_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("PATH", path)
        .env(HELPER_CONFIG_VAR, &config)
        .output()
        .unwrap();
    let log = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "child test failed:\n{log}");
    assert!(log.contains("1 passed"), "the child test did not run:\n{log}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), registries.auth);
}

/// The body of `docker_config_cred_helper_gives_access`, run in a child process whose PATH holds
/// the helper; does nothing when run on its own.
#[test]
#[ignore = "run by docker_config_cred_helper_gives_access in a child process"]
fn credential_helper_child() {
    let (Some(config), Some(registries)) = (std::env::var_os(HELPER_CONFIG_VAR), test_registries()) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = options(tmp.path(), true);
    opts.registry.docker_config = Some(PathBuf::from(config));
    let image = open_one(&auth_target(&registries), &opts).unwrap();
    assert!(!image.layers.is_empty());
}

/// A `docker-registry` of the test's own, on a free loopback port with fresh storage; killed on
/// drop.
struct OwnRegistry {
    child: Child,
    addr: String,
    storage: PathBuf,
    _dir: tempfile::TempDir,
}

impl OwnRegistry {
    /// Starts one; `None` when the shared registries are not set up (the same tools are needed).
    fn start() -> Option<Self> {
        test_registries()?;
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("data");
        let addr = format!("127.0.0.1:{}", free_port());
        let config = dir.path().join("config.yml");
        // No blob descriptor cache: a blob changed on disk is served as it now is.
        let yaml = format!(
            "version: 0.1\nlog: {{level: warn}}\nstorage:\n  filesystem: {{rootdirectory: {}}}\nhttp:\n  addr: {addr}\n  secret: microscanner-own-test\n",
            storage.display()
        );
        std::fs::write(&config, yaml).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("docker-registry (Debian package docker-registry) must be installed");
        let registry = Self { child, addr, storage, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&registry.addr).is_err() {
            assert!(Instant::now() < deadline, "docker-registry did not start on {}", registry.addr);
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(registry)
    }

    /// Pushes the OCI layout at `layout` (tag `latest`, every platform) as `repo:latest`.
    fn push(&self, layout: &Path, repo: &str) {
        let status = Command::new("skopeo")
            .args(["copy", "-q", "--all", "--dest-tls-verify=false"])
            .arg(format!("oci:{}:latest", layout.display()))
            .arg(format!("docker://{}/{repo}:latest", self.addr))
            .status()
            .expect("skopeo must be installed");
        assert!(status.success(), "skopeo copy to {} failed", self.addr);
    }

    /// The file the registry serves blob `digest` from.
    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = &digest["sha256:".len()..];
        self.storage.join(format!("docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2]))
    }

    fn target(&self, repo: &str) -> String {
        format!("registry:{}/{repo}:latest", self.addr)
    }
}

impl Drop for OwnRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on (right now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A small one-layer image as an OCI layout in `dir`; returns the layer blob's digest.
fn small_layout(dir: &Path, marker: &str) -> String {
    let tar = LayerBuilder::new()
        .dir("etc")
        .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n")
        .file("etc/marker", marker.as_bytes())
        .symlink("etc/alias", "marker")
        .build();
    write_oci_layout(dir, &[TestLayer::new(tar, "ADD small")]).remove(0)
}

/// The config blob digest of the single-manifest layout in `dir`.
fn config_digest(dir: &Path) -> String {
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
    let manifest_path = dir.join("blobs/sha256").join(&manifest_digest["sha256:".len()..]);
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(manifest_path).unwrap()).unwrap();
    manifest["config"]["digest"].as_str().unwrap().to_owned()
}

#[test]
fn layer_blob_changed_in_the_registry_is_a_digest_mismatch() {
    let Some(registry) = OwnRegistry::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("small");
    let layer_digest = small_layout(&layout, "layer test");
    registry.push(&layout, "t/small");
    let opts = options(tmp.path(), true);
    let image = open_one(&registry.target("t/small"), &opts).unwrap();
    let (stats, counts) = walk_all(&image).remove(0).unwrap();
    assert_eq!((stats.entries, counts.links), (4, 1));

    // Another valid gzip of the same tar: only the header's mtime differs, so the walk sees every
    // entry and only the digest can tell.
    let blob = registry.blob_file(&layer_digest);
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[4..8].copy_from_slice(&[1, 2, 3, 4]);
    std::fs::write(&blob, &bytes).unwrap();
    let image = open_one(&registry.target("t/small"), &opts).unwrap();
    let err = walk_all(&image).remove(0).unwrap_err();
    let msg = one_line(&err);
    match err {
        ImageError::DigestMismatch { expected, actual, .. } => {
            assert_eq!(expected, layer_digest);
            assert_eq!(actual, sha256(&bytes));
        }
        other => panic!("expected a digest mismatch, got {other:?} ({msg})"),
    }

    // More bytes than the descriptor states: refused, not read on without end.
    let mut longer = std::fs::read(&blob).unwrap();
    longer.extend_from_slice(&[0; 4096]);
    std::fs::write(&blob, &longer).unwrap();
    let image = open_one(&registry.target("t/small"), &opts).unwrap();
    let err = walk_all(&image).remove(0).unwrap_err();
    let msg = one_line(&err);
    assert!(msg.contains(&layer_digest) && msg.contains("more than"), "{msg}");
}

#[test]
fn config_blob_changed_in_the_registry_is_refused_at_open() {
    let Some(registry) = OwnRegistry::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("cfg");
    small_layout(&layout, "config test");
    let config = config_digest(&layout);
    registry.push(&layout, "t/cfg");
    let blob = registry.blob_file(&config);
    let changed = std::fs::read_to_string(&blob).unwrap().replace("amd64", "arm64");
    std::fs::write(&blob, changed).unwrap();
    let err = open_with(&registry.target("t/cfg"), &options(tmp.path(), true)).unwrap_err();
    let msg = one_line(&err);
    assert!(matches!(&err, ImageError::DigestMismatch { expected, .. } if *expected == config), "{msg}");
}

/// Writes a layout in `dir` whose `latest` is an image index of two single-layer images,
/// linux/amd64 and linux/arm64; returns their diffIDs in that order.
fn two_platform_layout(dir: &Path) -> [String; 2] {
    let arm = dir.join("arm");
    let amd_tar = LayerBuilder::new().file("etc/arch", b"amd64\n").build();
    let arm_tar = LayerBuilder::new().file("etc/arch", b"arm64\n").build();
    let diff_ids = [sha256(&amd_tar), sha256(&arm_tar)];
    write_oci_layout(dir, &[TestLayer::new(amd_tar, "ADD amd64")]);
    write_oci_layout(&arm, &[TestLayer::new(arm_tar, "ADD arm64")]);
    let entry = |layout: &Path, arch: &str| {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let mut desc = index["manifests"][0].clone();
        desc.as_object_mut().unwrap().remove("annotations");
        desc["platform"] = serde_json::json!({ "os": "linux", "architecture": arch });
        desc
    };
    let manifests = vec![entry(dir, "amd64"), entry(&arm, "arm64")];
    for blob in std::fs::read_dir(arm.join("blobs/sha256")).unwrap() {
        let blob = blob.unwrap();
        std::fs::copy(blob.path(), dir.join("blobs/sha256").join(blob.file_name())).unwrap();
    }
    std::fs::remove_dir_all(&arm).unwrap();
    let media_type = "application/vnd.oci.image.index.v1+json";
    let index =
        serde_json::to_vec(&serde_json::json!({ "schemaVersion": 2, "mediaType": media_type, "manifests": manifests }))
            .unwrap();
    let digest = sha256(&index);
    std::fs::write(dir.join("blobs/sha256").join(&digest["sha256:".len()..]), &index).unwrap();
    let top = serde_json::json!({ "schemaVersion": 2, "manifests": [{
        "mediaType": media_type, "digest": digest, "size": index.len(),
        "annotations": { "org.opencontainers.image.ref.name": "latest" },
    }]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    diff_ids
}

#[test]
fn image_index_in_the_registry_is_resolved_per_platform() {
    let Some(registry) = OwnRegistry::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("multi");
    let [amd, arm] = two_platform_layout(&layout);
    registry.push(&layout, "t/multi");
    let target = registry.target("t/multi");
    let mut opts = options(tmp.path(), true);
    opts.platform = PlatformSelector::All;
    let all = open_with(&target, &opts).unwrap();
    let platforms: Vec<String> = all.iter().map(|i| i.platform.as_ref().unwrap().to_string()).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    assert_eq!(all.iter().map(|i| i.layers[0].diff_id.clone()).collect::<Vec<_>>(), [amd, arm.clone()]);
    opts.platform = PlatformSelector::Exact("linux/arm64".parse::<Platform>().unwrap());
    let image = open_one(&target, &opts).unwrap();
    assert_eq!(image.layers[0].diff_id, arm);
    walk_all(&image).remove(0).unwrap();
    opts.platform = PlatformSelector::Exact("linux/s390x".parse::<Platform>().unwrap());
    let err = open_with(&target, &opts).unwrap_err();
    assert!(one_line(&err).contains("linux/arm64"), "{err}");
}

#[test]
fn unreachable_registry_is_a_quick_registry_error() {
    if test_registries().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let err = open_with(&format!("registry:127.0.0.1:{}/t/none:latest", free_port()), &options(tmp.path(), true))
        .unwrap_err();
    let msg = one_line(&err);
    assert!(matches!(err, ImageError::Registry { .. }), "{msg}");
    assert!(msg.to_lowercase().contains("connection refused"), "{msg}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}
