//! The database through an OCI registry, end to end through the binary and Debian's
//! `docker-registry` on loopback (`scripts/registry.sh`): `db publish` then `db update --source
//! registry:REF` into another cache directory gives the same database file; a second update
//! with nothing new downloads no blob (the blob is deleted from the registry's storage first, so
//! fetching it would fail); a blob tampered with in the registry's storage is refused with a
//! one-line error and the previous database stays; the htpasswd registry takes a push and a pull
//! with `--username --password-stdin`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use microscanner_testkit::test_registries;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn workdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-dbreg-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The binary, with no credentials or docker config of the machine's user.
fn microscanner(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB")
        .env_remove("MICROSCANNER_USERNAME")
        .env_remove("MICROSCANNER_PASSWORD")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .env("MICROSCANNER_CACHE_DIR", dir.join("layer-cache"))
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .stdin(Stdio::null());
    c
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}\n{}", out.status, stderr(out));
    stderr(out)
}

/// A small database (KEV, an OSV directory, EPSS): its own build time, so its export (and the
/// blob's digest) is this test's alone.
fn build_small(dir: &Path, db: &Path) {
    let f = fixtures();
    let out = microscanner(dir)
        .args(["db", "build", "--db", db.to_str().unwrap(), "--from"])
        .arg(f.join("kev-cisa/known_exploited_vulnerabilities.json"))
        .arg("--from")
        .arg(f.join("osv-rustsec"))
        .arg("--from")
        .arg(f.join("feeds-vuls-data-update-fixtures/pkg/fetch/epss/testdata/fixtures"))
        .output()
        .unwrap();
    assert!(ok(&out).contains("built "));
}

fn publish(dir: &Path, db: &Path, target: &str) -> String {
    let out = microscanner(dir).args(["db", "publish", target, "--db", db.to_str().unwrap()]).output().unwrap();
    ok(&out)
}

fn update(dir: &Path, db: &Path, source: &str) -> Output {
    microscanner(dir).args(["db", "update", "--source", source, "--db", db.to_str().unwrap()]).output().unwrap()
}

/// The registry's filesystem storage (`scripts/registry.sh`: `$MICROSCANNER_REGISTRY_DIR/data`).
fn blob_file(digest: &str) -> PathBuf {
    let dir = std::env::var("MICROSCANNER_REGISTRY_DIR").unwrap_or_else(|_| "/var/tmp/ms-registry".to_owned());
    let hex = digest.strip_prefix("sha256:").unwrap();
    Path::new(&dir).join(format!("data/docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2]))
}

/// The manifest the registry holds for `repo:tag`, fetched with curl (not our client).
fn manifest(registry: &str, repo: &str, tag: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args(["-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json"])
        .arg(format!("http://{registry}/v2/{repo}/manifests/{tag}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "curl: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn layer_digest(manifest: &serde_json::Value) -> String {
    manifest["layers"][0]["digest"].as_str().unwrap().to_owned()
}

#[test]
fn publish_then_update_gives_the_same_database_and_a_second_update_downloads_nothing() {
    let Some(reg) = test_registries() else { return };
    let dir = workdir("roundtrip");
    let (source_db, pulled_db) = (dir.join("a/microscanner.db"), dir.join("b/microscanner.db"));
    build_small(&dir, &source_db);
    let target = format!("registry:{}/microscanner-db:1", reg.open);
    let said = publish(&dir, &source_db, &target);
    assert!(said.contains("published ") && said.contains("bytes uploaded"), "{said}");

    let m = manifest(&reg.open, "microscanner-db", "1");
    assert_eq!(m["artifactType"], "application/vnd.microscanner.db.v1");
    assert_eq!(m["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
    assert_eq!(m["layers"][0]["mediaType"], "application/vnd.microscanner.db.export.v1+zstd");
    assert_eq!(m["annotations"]["dev.microscanner.db.schema"], microscanner_vulndb::SCHEMA_VERSION.to_string());
    assert!(m["annotations"]["org.opencontainers.image.created"].as_str().unwrap().starts_with("20"), "{m}");

    let first = update(&dir, &pulled_db, &target);
    assert!(ok(&first).contains("bytes downloaded"), "{}", stderr(&first));
    assert_eq!(std::fs::read(&pulled_db).unwrap(), std::fs::read(&source_db).unwrap(), "the same database file");

    // Publishing the same database again uploads nothing: the registry has the blob.
    assert!(publish(&dir, &source_db, &target).contains("had the export already"));

    // With the blob gone from the registry, an update that fetched it would fail.
    std::fs::remove_file(blob_file(&layer_digest(&m))).unwrap();
    let second = update(&dir, &pulled_db, &target);
    let said = ok(&second);
    assert!(said.contains("is up to date") && said.contains("nothing downloaded"), "{said}");
    assert_eq!(std::fs::read(&pulled_db).unwrap(), std::fs::read(&source_db).unwrap());
}

#[test]
fn a_tampered_blob_is_refused_and_the_previous_database_stays() {
    let Some(reg) = test_registries() else { return };
    let dir = workdir("tampered");
    let (first_db, second_db, pulled_db) =
        (dir.join("a/microscanner.db"), dir.join("b/microscanner.db"), dir.join("c/microscanner.db"));
    build_small(&dir, &first_db);
    let target = format!("registry:{}/microscanner-db-tampered:1", reg.open);
    publish(&dir, &first_db, &target);
    ok(&update(&dir, &pulled_db, &target));
    let before = std::fs::read(&pulled_db).unwrap();

    // A newer database is published; its blobs (the export, and the delta from the first) are
    // then altered in the registry's storage (same length, one byte changed), as a compromised
    // mirror would serve them.
    build_small(&dir, &second_db);
    publish(&dir, &second_db, &target);
    let m = manifest(&reg.open, "microscanner-db-tampered", "1");
    assert_eq!(m["layers"].as_array().map(Vec::len), Some(2), "the export and the delta: {m}");
    for layer in m["layers"].as_array().unwrap() {
        let blob = blob_file(layer["digest"].as_str().unwrap());
        let mut bytes = std::fs::read(&blob).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&blob, &bytes).unwrap();
    }

    let out = update(&dir, &pulled_db, &target);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert_eq!(said.trim().lines().count(), 1, "one line: {said}");
    assert!(said.contains("digest") && said.contains("previous database"), "{said}");
    assert_eq!(std::fs::read(&pulled_db).unwrap(), before, "the previous database stays");
    let leftovers: Vec<_> = std::fs::read_dir(pulled_db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("pull"))
        .collect();
    assert!(leftovers.is_empty(), "no partial download left: {leftovers:?}");

    // A machine with no database takes the export: refused too, and nothing installed.
    let fresh = dir.join("d/microscanner.db");
    let out = update(&dir, &fresh, &target);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("digest") && said.contains("previous database"), "{said}");
    assert!(!fresh.exists());
}

#[test]
fn the_htpasswd_registry_takes_a_push_and_a_pull_with_credentials() {
    let Some(reg) = test_registries() else { return };
    let dir = workdir("auth");
    let (source_db, pulled_db) = (dir.join("a/microscanner.db"), dir.join("b/microscanner.db"));
    build_small(&dir, &source_db);
    let target = format!("registry:{}/microscanner-db-auth:1", reg.auth);
    let with_password = |args: &[&str]| {
        let mut child = microscanner(&dir)
            .args(args)
            .args(["--username", &reg.username, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(format!("{}\n", reg.password).as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    // Without credentials the push is refused.
    let anonymous =
        microscanner(&dir).args(["db", "publish", &target, "--db", source_db.to_str().unwrap()]).output().unwrap();
    assert!(!anonymous.status.success());
    assert!(stderr(&anonymous).contains("authentication failed"), "{}", stderr(&anonymous));

    ok(&with_password(&["db", "publish", &target, "--db", source_db.to_str().unwrap()]));
    ok(&with_password(&["db", "update", "--source", &target, "--db", pulled_db.to_str().unwrap()]));
    assert_eq!(std::fs::read(&pulled_db).unwrap(), std::fs::read(&source_db).unwrap());
}
