//! `docker:REF`, `podman:REF` and bare references read from a real engine, end to end through the
//! binary: the test loads a real test image into a private podman storage, starts
//! `podman system service` on a socket of its own (Docker-compatible API) and scans through it
//! with `DOCKER_HOST` / `CONTAINER_HOST`. The SBOM equals the one of the same image's
//! docker-archive; a missing image, and an engine that is not there, fail at once with one line.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report

use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use microscanner_testkit::{images_dir, inventory_packages};
use serde_json::Value;

/// The name the test gives the loaded image in podman's storage.
const IMAGE: &str = "localhost/mstest:1";

/// A podman with its own storage under a short directory (podman refuses a `--runroot` longer
/// than 50 characters) and its API service on a socket there; all removed on drop.
struct Podman {
    /// `/var/tmp/mse-PID`: storage, run root, the socket.
    dir: PathBuf,
    /// `podman system service`.
    service: Option<Child>,
}

impl Podman {
    /// Loads `archive`, tags it [`IMAGE`], starts the service and waits until it answers.
    fn start(archive: &Path) -> Self {
        let dir = PathBuf::from(format!("/var/tmp/mse-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut podman = Self { dir, service: None };
        let load = podman.cmd().arg("load").arg("-i").arg(archive).output().unwrap();
        assert!(load.status.success(), "podman load: {}", stderr(&load));
        // `Loaded image: docker.io/demo/debian11-app:latest` (podman may print several names).
        let stdout = String::from_utf8_lossy(&load.stdout).into_owned();
        let loaded = stdout.lines().find_map(|l| l.strip_prefix("Loaded image: ")).unwrap_or_default();
        let loaded = loaded.split(',').next().unwrap_or_default().trim().to_owned();
        assert!(!loaded.is_empty(), "podman load named no image: {stdout}");
        let tag = podman.cmd().args(["tag", &loaded, IMAGE]).output().unwrap();
        assert!(tag.status.success(), "podman tag: {}", stderr(&tag));
        let service = podman
            .cmd()
            .args(["system", "service", "--time=0", &podman.host()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        podman.service = Some(service);
        podman.wait_ready();
        podman
    }

    /// `podman` on this storage (vfs: no overlay mounts left behind).
    fn cmd(&self) -> Command {
        let mut c = Command::new("podman");
        c.arg("--root")
            .arg(self.dir.join("root"))
            .arg("--runroot")
            .arg(self.dir.join("run"))
            .arg("--tmpdir")
            .arg(self.dir.join("tmp"))
            .args(["--storage-driver", "vfs"]);
        c
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("podman.sock")
    }

    /// The service's endpoint, as `DOCKER_HOST` takes it.
    fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// Waits (at most a minute) until `GET /_ping` answers `OK`.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.service.as_mut().and_then(|s| s.try_wait().unwrap()) {
                panic!("podman system service exited early: {status}");
            }
            if ping(&self.socket()) {
                return;
            }
            assert!(Instant::now() < deadline, "podman system service did not answer on {}", self.host());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        if let Some(mut service) = self.service.take() {
            // SIGTERM first so podman shuts down cleanly; SIGKILL if it lingers.
            let _ = Command::new("kill").args(["-TERM", &service.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(service.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = service.kill();
            let _ = service.wait();
        }
        // Nothing was run, and vfs mounts nothing: the storage is plain files.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the Docker API on `socket` answers `/_ping`.
fn ping(socket: &Path) -> bool {
    let Ok(mut conn) = UnixStream::connect(socket) else { return false };
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    if conn.write_all(b"GET /_ping HTTP/1.0\r\nHost: podman\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.") && answer.contains(" 200 ") && answer.ends_with("OK")
}

/// Whether podman can be run here; in CI it must be.
fn have_podman() -> bool {
    let ok = Command::new("podman").arg("--version").output().is_ok_and(|o| o.status.success());
    microscanner_testkit::require(ok, "podman")
}

/// A scratch directory for one test, holding every cache and temporary directory the binary uses.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    dir
}

/// The binary with every cache and temporary file under `dir`, no engine endpoint inherited.
fn microscanner(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("DOCKER_HOST")
        .env_remove("CONTAINER_HOST")
        .env_remove("MICROSCANNER_DB")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env("MICROSCANNER_CACHE_DIR", dir.join("layers"))
        .env("XDG_CACHE_HOME", dir.join("xdg"))
        .env("TMPDIR", dir.join("tmp"))
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .stdin(Stdio::null());
    c
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `sbom TARGET --format json --no-cache`, which must succeed; the document and the log. Without
/// the layer cache every layer of the export is streamed, digest-checked and analysed.
fn sbom(mut cmd: Command, target: &str) -> (Value, String) {
    let out = cmd.args(["sbom", target, "--format", "json", "--no-cache"]).output().unwrap();
    assert!(out.status.success(), "sbom {target}: {}", stderr(&out));
    (serde_json::from_slice(&out.stdout).unwrap(), stderr(&out))
}

/// Files left under `dir` whose name says they are engine exports.
fn leftover_exports(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.file_name().to_string_lossy().contains("export") {
                found.push(path);
            }
        }
    }
    found
}

/// A small database (the Debian tracker fixture) so `scan` runs end to end.
fn small_db(dir: &Path) -> PathBuf {
    let db = dir.join("microscanner.db");
    let feed = microscanner_testkit::fixtures_dir()
        .join("feeds-vunnel-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json");
    let out = microscanner(dir).args(["db", "build", "--db"]).arg(&db).arg("--from").arg(feed).output().unwrap();
    assert!(out.status.success(), "db build: {}", stderr(&out));
    db
}

#[test]
fn images_podman_holds_are_scanned_through_its_docker_api() {
    let Some(images) = images_dir() else { return };
    if !have_podman() {
        return;
    }
    let archive = images.join("debian11-app/docker-archive.tar");
    let dir = scratch("podman");
    let (local, _) = sbom(microscanner(&dir), &format!("docker-archive:{}", archive.display()));
    assert!(inventory_packages(&local).len() > 100, "the archive has its Debian packages");

    let t0 = Instant::now();
    let podman = Podman::start(&archive);
    eprintln!("podman load + service ready: {:?}", t0.elapsed());
    let dead = format!("unix://{}/no-engine.sock", dir.display());

    // docker:REF with DOCKER_HOST at podman's socket.
    let t0 = Instant::now();
    let mut cmd = microscanner(&dir);
    cmd.env("DOCKER_HOST", podman.host());
    let (doc, _) = sbom(cmd, &format!("docker:{IMAGE}"));
    eprintln!("sbom docker:{IMAGE}: {:?}", t0.elapsed());
    assert_eq!(doc["image"]["source"], "docker");
    assert_eq!(doc["image"]["name"], format!("docker:{IMAGE}"));
    assert_eq!(inventory_packages(&doc), inventory_packages(&local), "same packages as the docker-archive");
    assert_eq!(doc["image"]["layers"], local["image"]["layers"], "same layers");
    assert_eq!(doc["image"]["config_digest"], local["image"]["config_digest"]);
    assert_eq!(doc["os"], local["os"]);

    // `scan docker:IMAGE`: the whole report, matched against a database.
    let db = small_db(&dir);
    let out = microscanner(&dir)
        .env("DOCKER_HOST", podman.host())
        .args(["scan", &format!("docker:{IMAGE}"), "--format", "json", "--fail-on", "none", "--no-cache", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success(), "scan docker:{IMAGE}: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["image"]["source"], "docker");
    assert_eq!(inventory_packages(&report), inventory_packages(&local), "the report lists what the image holds");
    assert_eq!(report["coverage"]["complete"], true, "{}", report["coverage"]);

    // podman:REF with CONTAINER_HOST, which wins over DOCKER_HOST.
    let mut cmd = microscanner(&dir);
    cmd.env("CONTAINER_HOST", podman.host()).env("DOCKER_HOST", &dead);
    let (doc, _) = sbom(cmd, &format!("podman:{IMAGE}"));
    assert_eq!(doc["image"]["source"], "podman");
    assert_eq!(inventory_packages(&doc), inventory_packages(&local));

    // A bare reference the engine holds is read from the engine, and the log says so.
    let mut cmd = microscanner(&dir);
    cmd.env("DOCKER_HOST", podman.host()).env("CONTAINER_HOST", &dead);
    let (doc, log) = sbom(cmd, IMAGE);
    assert_eq!(doc["image"]["source"], "docker");
    assert_eq!(inventory_packages(&doc), inventory_packages(&local));
    assert!(log.contains(&format!("{IMAGE}: found in the docker engine at {}", podman.host())), "{log}");

    // An image the engine does not have: exit 1, one line naming it.
    let out = microscanner(&dir)
        .env("DOCKER_HOST", podman.host())
        .args(["sbom", "docker:nosuchimage:1", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    let error_lines: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(error_lines.len(), 1, "{err}");
    assert!(error_lines[0].contains("no image nosuchimage:1"), "{err}");
    assert!(error_lines[0].contains(&podman.host()), "the error names the endpoint: {err}");

    assert_eq!(leftover_exports(&dir), Vec::<PathBuf>::new(), "the exports are deleted after the scan");
    drop(podman);
}

#[test]
fn an_engine_that_is_not_there_fails_at_once_with_a_clear_message() {
    let dir = scratch("absent");
    let dead = format!("unix://{}/no-engine.sock", dir.display());
    for (target, var, engine, hint) in [
        ("docker:x", "DOCKER_HOST", "docker", "set DOCKER_HOST"),
        ("podman:x", "CONTAINER_HOST", "podman", "set CONTAINER_HOST"),
    ] {
        let t0 = Instant::now();
        let out = microscanner(&dir).env(var, &dead).args(["sbom", target, "--format", "json"]).output().unwrap();
        assert!(t0.elapsed() < Duration::from_secs(5), "{target} took {:?}", t0.elapsed());
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.contains(&format!("{engine} engine at {dead}: cannot connect")), "{err}");
        assert!(err.contains(hint), "{err}");
    }
    // A socket file nobody listens on: connection refused, also at once.
    let path = dir.join("refused.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let out = microscanner(&dir)
        .env("DOCKER_HOST", format!("unix://{}", path.display()))
        .args(["sbom", "docker:x", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot connect: Connection refused"), "{}", stderr(&out));
}
