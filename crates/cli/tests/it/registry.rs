//! Scanning images where they live, end to end through the binary: the real test images pushed by
//! `scripts/registry.sh` into Debian's `docker-registry` on loopback (one open instance, one with
//! htpasswd basic auth) give the same SBOM as the local OCI layout; wrong credentials fail with
//! a one-line "authentication failed for REGISTRY" and exit 1; and a multi-platform index, made
//! here with skopeo from two real single-platform images, is scanned for every platform.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use microscanner_testkit::{
    TestRegistries, docker_config_auth, fixtures_dir, images_dir, inventory_packages, test_registries,
};
use serde_json::{Value, json};

/// The binary, with its layer cache in `cache` (never the user's) and warn-level logs.
fn microscanner(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB")
        .env_remove("MICROSCANNER_USERNAME")
        .env_remove("MICROSCANNER_PASSWORD")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("MICROSCANNER_CACHE_DIR", cache)
        // no docker config of the machine's user may leak into these tests
        .env("DOCKER_CONFIG", cache.join("no-docker-config"))
        .stdin(Stdio::null());
    c
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `sbom TARGET --format json EXTRA...`, which must succeed; the document.
fn sbom(cache: &Path, target: &str, extra: &[&str]) -> Value {
    let out = microscanner(cache).args(["sbom", target, "--format", "json"]).args(extra).output().unwrap();
    assert!(out.status.success(), "sbom {target}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn diff_ids(doc: &Value) -> Vec<String> {
    doc["image"]["layers"].as_array().unwrap().iter().map(|l| l["diff_id"].as_str().unwrap().to_owned()).collect()
}

fn setup() -> Option<(TestRegistries, PathBuf)> {
    Some((test_registries()?, images_dir()?))
}

#[test]
fn registry_images_give_the_same_sbom_as_the_local_layout() {
    let Some((reg, images)) = setup() else { return };
    let dir = scratch("same-sbom");
    let local = sbom(&dir.join("cache-local"), &format!("oci:{}/debian12-app/oci", images.display()), &[]);
    assert!(inventory_packages(&local).len() > 100, "the local image has its Debian packages");
    // The OCI manifest and the Docker schema 2 manifest of the same image, each with a cold cache
    // so every layer is streamed from the registry and digest-checked.
    for (tag, cache) in [("latest", "cache-oci"), ("v2s2", "cache-v2s2")] {
        let target = format!("registry:{}/demo/debian12-app:{tag}", reg.open);
        let remote = sbom(&dir.join(cache), &target, &["--insecure"]);
        assert_eq!(remote["image"]["source"], "registry", "{tag}");
        assert_eq!(diff_ids(&remote), diff_ids(&local), "{tag}: same layers");
        assert_eq!(inventory_packages(&remote), inventory_packages(&local), "{tag}: same packages");
        assert_eq!(remote["os"], local["os"], "{tag}");
    }
}

#[test]
fn a_bare_reference_without_a_local_engine_pulls_from_the_registry() {
    let Some((reg, _)) = setup() else { return };
    let dir = scratch("bare-reference");
    let target = format!("{}/demo/debian11-app:latest", reg.open);
    let out = microscanner(&dir)
        .args(["sbom", &target, "--format", "json", "--insecure"])
        .env("DOCKER_HOST", format!("unix://{}/no-engine.sock", dir.display()))
        .env("CONTAINER_HOST", format!("unix://{}/no-engine.sock", dir.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["image"]["source"], "registry", "the report says which source was used");
    assert!(doc["packages"].as_array().unwrap().len() > 100);
    assert!(stderr(&out).contains("registry"), "the log says the registry was used: {}", stderr(&out));
}

#[test]
fn basic_auth_registry_takes_the_right_password_from_stdin_and_refuses_a_wrong_one() {
    let Some((reg, _)) = setup() else { return };
    let dir = scratch("auth");
    let target = format!("registry:{}/demo/debian12-app-auth:latest", reg.auth);
    let with_password = |password: &str| {
        let mut child = microscanner(&dir)
            .args(["sbom", &target, "--format", "json", "--insecure", "--username", &reg.username])
            .arg("--password-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let good = with_password(&reg.password);
    assert!(good.status.success(), "{}", stderr(&good));
    let doc: Value = serde_json::from_slice(&good.stdout).unwrap();
    assert!(doc["packages"].as_array().unwrap().len() > 100);

    let bad = with_password("not-the-password");
    assert_eq!(bad.status.code(), Some(1), "wrong credentials exit 1");
    let message = stderr(&bad);
    let error_line = message.lines().find(|l| l.starts_with("error:")).unwrap_or_else(|| panic!("{message}"));
    assert!(error_line.contains(&format!("authentication failed for {}", reg.auth)), "{error_line}");
    assert!(!message.contains("not-the-password"), "the password is never printed");
    assert!(bad.stdout.is_empty(), "no document on failure");

    let anonymous = microscanner(&dir).args(["sbom", &target, "--insecure"]).output().unwrap();
    assert_eq!(anonymous.status.code(), Some(1));
    assert!(stderr(&anonymous).contains(&format!("authentication failed for {}", reg.auth)), "{}", stderr(&anonymous));
}

#[test]
fn docker_config_credentials_are_used() {
    let Some((reg, _)) = setup() else { return };
    let dir = scratch("docker-config");
    let config_dir = dir.join("docker");
    std::fs::create_dir_all(&config_dir).unwrap();
    let auth = docker_config_auth(&reg.username, &reg.password);
    let config = json!({ "auths": { reg.auth.clone(): { "auth": auth } } });
    std::fs::write(config_dir.join("config.json"), config.to_string()).unwrap();
    let target = format!("registry:{}/demo/debian12-app-auth:latest", reg.auth);
    let out = microscanner(&dir)
        .args(["sbom", &target, "--format", "json", "--insecure"])
        .env("DOCKER_CONFIG", &config_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

// ---- multi-platform ------------------------------------------------------------------------

/// Runs a tool that must succeed.
fn tool(program: &str, args: &[&str]) {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", stderr(&out));
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Writes `doc` as a blob of the layout; its descriptor.
fn put_blob(layout: &Path, media_type: &str, doc: &Value) -> Value {
    let bytes = serde_json::to_vec(doc).unwrap();
    let digest = microscanner_image::sha256_of(&bytes);
    let hex = digest.trim_start_matches("sha256:");
    std::fs::write(layout.join("blobs/sha256").join(hex), &bytes).unwrap();
    json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() })
}

fn blob(layout: &Path, digest: &str) -> Value {
    read_json(&layout.join("blobs/sha256").join(digest.trim_start_matches("sha256:")))
}

/// A three-platform OCI layout tagged `latest`, from two real single-platform images copied in
/// with skopeo: debian12-app as linux/amd64, debian11-app as linux/arm64/v8, and debian12-app
/// again as linux/arm/v7 (sharing every layer with amd64). The relabelled entries get a config
/// whose architecture says so; their layers are untouched.
fn multi_platform_layout(images: &Path, dir: &Path) -> PathBuf {
    let layout = dir.join("multi");
    let dest = |tag: &str| format!("oci:{}:{tag}", layout.display());
    tool("skopeo", &["copy", "-q", &format!("oci:{}/debian12-app/oci:latest", images.display()), &dest("amd64")]);
    tool("skopeo", &["copy", "-q", &format!("oci:{}/debian11-app/oci:latest", images.display()), &dest("arm64")]);
    let index = read_json(&layout.join("index.json"));
    let tagged = |tag: &str| {
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
            .unwrap()
            .clone()
    };
    let amd64 = tagged("amd64");
    let arm64 = relabel(&layout, &tagged("arm64"), "arm64", "v8");
    let arm = relabel(&layout, &amd64, "arm", "v7");
    let platform = |desc: &Value, arch: &str, variant: Option<&str>| {
        let mut d = json!({ "mediaType": desc["mediaType"], "digest": desc["digest"], "size": desc["size"] });
        d["platform"] = json!({ "os": "linux", "architecture": arch });
        if let Some(v) = variant {
            d["platform"]["variant"] = json!(v);
        }
        d
    };
    let image_index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            platform(&amd64, "amd64", None),
            platform(&arm64, "arm64", Some("v8")),
            platform(&arm, "arm", Some("v7")),
        ],
    });
    let mut root = put_blob(&layout, "application/vnd.oci.image.index.v1+json", &image_index);
    root["annotations"] = json!({ "org.opencontainers.image.ref.name": "latest" });
    let top =
        json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [root] });
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    layout
}

/// A copy of the manifest `desc` names whose config says `linux/ARCH/VARIANT`; its descriptor.
fn relabel(layout: &Path, desc: &Value, arch: &str, variant: &str) -> Value {
    let mut manifest = blob(layout, desc["digest"].as_str().unwrap());
    let mut config = blob(layout, manifest["config"]["digest"].as_str().unwrap());
    config["architecture"] = json!(arch);
    config["variant"] = json!(variant);
    manifest["config"] = put_blob(layout, "application/vnd.oci.image.config.v1+json", &config);
    put_blob(layout, "application/vnd.oci.image.manifest.v1+json", &manifest)
}

/// A small database (the Debian tracker fixture) so `scan` runs; findings are not the point here.
fn small_db(dir: &Path) -> PathBuf {
    let db = dir.join("microscanner.db");
    let feed = fixtures_dir().join("feeds-vunnel-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json");
    let out = microscanner(dir).args(["db", "build", "--db"]).arg(&db).arg("--from").arg(feed).output().unwrap();
    assert!(out.status.success(), "db build: {}", stderr(&out));
    db
}

/// `scan TARGET --all-platforms --format json`: the reports, keyed by platform, and the log.
fn scan_all(cache: &Path, db: &Path, target: &str, extra: &[&str]) -> (Vec<(String, Value)>, String) {
    let out = microscanner(cache)
        .args(["scan", target, "--all-platforms", "--format", "json", "--fail-on", "none", "--db"])
        .arg(db)
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "scan {target}: {}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["target"], target);
    let reports = doc["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let i = &r["image"];
            let variant = i["variant"].as_str().map(|v| format!("/{v}")).unwrap_or_default();
            (format!("{}/{}{variant}", i["os"].as_str().unwrap(), i["architecture"].as_str().unwrap()), r.clone())
        })
        .collect();
    (reports, stderr(&out))
}

/// The "(PLATFORM): analysed N layers, M from cache" counts of the log.
fn layer_counts(log: &str, platform: &str) -> (usize, usize) {
    let marker = format!("({platform}): analysed ");
    let rest =
        log.lines().find_map(|l| l.split_once(&marker).map(|(_, r)| r.to_owned())).unwrap_or_else(|| panic!("{log}"));
    let n: Vec<usize> = rest.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    (n[0], n[1])
}

/// The Debian release each platform's report found.
fn releases(reports: &[(String, Value)]) -> Vec<(String, String)> {
    reports.iter().map(|(p, r)| (p.clone(), r["os"]["version"].as_str().unwrap_or("?").to_owned())).collect()
}

#[test]
fn a_multi_platform_index_is_scanned_for_every_platform_from_a_layout_and_a_registry() {
    let Some((reg, images)) = setup() else { return };
    let dir = scratch("multi-platform");
    let layout = multi_platform_layout(&images, &dir);
    let db = small_db(&dir);
    let cache = dir.join("cache");
    let expected: Vec<(String, String)> = [("linux/amd64", "12"), ("linux/arm64/v8", "11"), ("linux/arm/v7", "12")]
        .into_iter()
        .map(|(p, v)| (p.to_owned(), v.to_owned()))
        .collect();

    // --no-cache: the platforms still share layers within the run (read once).
    let (local, log) = scan_all(&cache, &db, &format!("oci:{}:latest", layout.display()), &["--no-cache"]);
    assert_eq!(releases(&local), expected, "every platform, each its own image");
    for (platform, report) in &local {
        assert!(report["packages"].as_array().unwrap().len() > 100, "{platform} has its packages");
    }
    let amd64_layers = local[0].1["image"]["layers"].as_array().unwrap().len();
    assert_eq!(layer_counts(&log, "linux/amd64"), (amd64_layers, 0));
    assert_eq!(layer_counts(&log, "linux/arm/v7"), (0, amd64_layers), "layers shared with amd64 are not read again");
    assert_eq!(local[0].1["packages"], local[2].1["packages"], "same layers, same packages");
    assert!(!cache.exists(), "--no-cache writes no cache");

    // Push the index with every platform and scan it from the registry.
    let remote_ref = format!("{}/demo/multi:latest", reg.open);
    tool(
        "skopeo",
        &[
            "copy",
            "-q",
            "--all",
            "--dest-tls-verify=false",
            &format!("oci:{}:latest", layout.display()),
            &format!("docker://{remote_ref}"),
        ],
    );
    let (remote, _) = scan_all(&dir.join("cache-remote"), &db, &format!("registry:{remote_ref}"), &["--insecure"]);
    assert_eq!(releases(&remote), expected);
    for ((_, l), (_, r)) in local.iter().zip(&remote) {
        assert_eq!(l["packages"], r["packages"], "same packages from the layout and the registry");
    }

    // One platform by name, and a platform the index does not have.
    let arm = sbom(&cache, &format!("registry:{remote_ref}"), &["--insecure", "--platform", "linux/arm64"]);
    assert_eq!(arm["image"]["architecture"], "arm64");
    assert_eq!(arm["os"]["version"], "11");
    let out = microscanner(&cache)
        .args(["sbom", &format!("oci:{}:latest", layout.display()), "--platform", "linux/s390x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("linux/amd64, linux/arm64/v8, linux/arm/v7"),
        "names the platforms it has: {}",
        stderr(&out)
    );
    // --platform on a single-platform image that is another platform is refused, not ignored.
    let single = format!("oci:{}/debian12-app/oci", images.display());
    let out = microscanner(&cache).args(["sbom", &single, "--platform", "linux/arm64"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("the image is linux/amd64, not linux/arm64"), "{}", stderr(&out));
}
