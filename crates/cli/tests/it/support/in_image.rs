//! What `in_image.rs` and `examples.rs` share: the static binary, the test database, the
//! unpacked debian12-app root filesystem, a `microscanner serve` on loopback with its tokens.
//!
//! The static binary is `target/static/microscanner` (`scripts/build-static.sh`, which
//! `scripts/test.sh` runs before `cargo test`). When it is missing the tests that need it skip
//! with a note, except under `CI`, where the test builds it by running the script (once per test
//! binary) and fails if that fails: CI always tests the binary that ships.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The workspace root.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Whether we run under CI (a missing tool or image fails instead of skipping).
pub(crate) fn ci() -> bool {
    microscanner_testkit::under_ci()
}

/// A missing prerequisite: `None` (skip, with a note) outside CI, a failure under CI.
pub(crate) fn missing<T>(what: &str) -> Option<T> {
    assert!(!ci(), "CI: {what}");
    eprintln!("skipped: {what}");
    None
}

/// The static binary (`target/static/microscanner`); see the module doc for when it is built.
pub(crate) fn static_binary() -> Option<PathBuf> {
    static BUILT: Mutex<bool> = Mutex::new(false);
    let path = workspace().join("target/static/microscanner");
    if path.is_file() {
        return Some(path);
    }
    if !ci() {
        return missing("target/static/microscanner is not built (bash scripts/build-static.sh)");
    }
    let mut built = BUILT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !*built {
        let out = Command::new("bash")
            .arg(workspace().join("scripts/build-static.sh"))
            .current_dir(workspace())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "scripts/build-static.sh: {}", String::from_utf8_lossy(&out.stderr));
        *built = true;
    }
    assert!(path.is_file(), "scripts/build-static.sh did not write {}", path.display());
    Some(path)
}

/// The test build of the binary (for the database build, the server and its admin commands).
pub(crate) fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    clean_env(&mut c);
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/in-image-layer-cache"));
    c
}

/// Removes the variables a developer's shell may set that would change what a command does.
pub(crate) fn clean_env(c: &mut Command) {
    for var in ["MICROSCANNER_DB", "MICROSCANNER_TOKEN", "MICROSCANNER_TOKEN_FILE", "MICROSCANNER_SERVER", "RUST_LOG"] {
        c.env_remove(var);
    }
    c.env("NO_COLOR", "1").stdin(Stdio::null());
}

/// The test database, built once per test binary from the fixture feeds (the list
/// `service.rs` uses: Debian, OSV of PyPI, Rust, Go and GHSA, NVD, KEV).
pub(crate) fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("in-image-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("microscanner.db");
        let f = microscanner_testkit::fixtures_dir();
        let vunnel = f.join("feeds-vunnel-fixtures/tests/unit/providers");
        let mut cmd = microscanner();
        cmd.args(["db", "build", "--db"]).arg(&db);
        for feed in [
            f.join("osv-pypi-pypa/json"),
            f.join("osv-rustsec"),
            f.join("osv-go-vulndb"),
            f.join("osv-ghsa-subset"),
            f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"),
            vunnel.join("debian/test-fixtures/input/debian.json"),
            vunnel.join("nvd/test-fixtures/full-page.json"),
            f.join("kev-cisa/known_exploited_vulnerabilities.json"),
        ] {
            cmd.arg("--from").arg(feed);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "db build: {}", String::from_utf8_lossy(&out.stderr));
        db
    })
}

/// The images built by `../shared/tools/make-images.sh` (`None`: skipped, or a failure under CI).
pub(crate) fn images() -> Option<PathBuf> {
    microscanner_testkit::images_dir()
}

/// debian12-app's root filesystem, unpacked once (`umoci unpack`) under the target dir and
/// reused by later runs; `None` without the images or umoci (a failure under CI).
pub(crate) fn debian12_rootfs() -> Option<&'static Path> {
    static ROOTFS: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOTFS
        .get_or_init(|| {
            let images = images()?;
            if !tool_exists("umoci") {
                return missing("umoci is not installed");
            }
            let layout = images.join("debian12-app/oci");
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("in-image-debian12-app");
            let rootfs = dir.join("rootfs");
            let done = dir.join("unpacked-from");
            let index = std::fs::read_to_string(layout.join("index.json")).unwrap();
            if std::fs::read_to_string(&done).ok().as_deref() != Some(index.as_str()) {
                if dir.exists() {
                    std::fs::remove_dir_all(&dir).unwrap();
                }
                let tag = tag_of(&index);
                let out = Command::new("umoci")
                    .args(["unpack", "--image"])
                    .arg(format!("{}:{tag}", layout.display()))
                    .arg(&dir)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "umoci unpack: {}", String::from_utf8_lossy(&out.stderr));
                std::fs::write(&done, &index).unwrap();
            }
            assert!(rootfs.join("var/lib/dpkg/status").is_file(), "the unpacked root has a dpkg database");
            Some(rootfs)
        })
        .as_deref()
}

/// The tag an OCI layout's index names (`org.opencontainers.image.ref.name`).
pub(crate) fn tag_of(index_json: &str) -> String {
    let index: serde_json::Value = serde_json::from_str(index_json).unwrap();
    index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"].as_str().unwrap_or("latest").to_owned()
}

/// Whether a program is on `PATH`.
pub(crate) fn tool_exists(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// Copies `from` into `dir/name` (0755).
pub(crate) fn install(from: &Path, dir: &Path, name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let to = dir.join(name);
    std::fs::copy(from, &to).unwrap();
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    to
}

/// stdout and stderr of a command, for assertion messages.
pub(crate) fn both(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// stderr of a command.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A free port on loopback.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `microscanner serve` on 127.0.0.1 with the test database and its own SQLite store; killed
/// when dropped.
pub(crate) struct Serve {
    child: Child,
    /// `http(s)://127.0.0.1:PORT`.
    pub(crate) url: String,
    /// The port it listens on.
    pub(crate) port: u16,
    /// `sqlite://...`: the store, for the admin commands.
    pub(crate) database_url: String,
    _store: tempfile::TempDir,
}

impl Serve {
    /// Starts it; `tls` is `(cert.pem, key.pem)` for HTTPS.
    pub(crate) fn start(tls: Option<(&Path, &Path)>) -> Self {
        let store = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}", store.path().join("server.db").display());
        let port = free_port();
        let mut cmd = microscanner();
        cmd.arg("--db")
            .arg(db())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &database_url])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some((cert, key)) = tls {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        let scheme = if tls.is_some() { "https" } else { "http" };
        let child = cmd.spawn().unwrap();
        let serve = Self { child, url: format!("{scheme}://127.0.0.1:{port}"), port, database_url, _store: store };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "serve on port {port} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        serve
    }

    /// A token for `ci@example.com` naming `public_url` (`server token create`).
    pub(crate) fn token(&self, public_url: &str) -> String {
        let out = microscanner()
            .args(["server", "token", "create", "--email", "ci@example.com", "--database-url", &self.database_url])
            .args(["--public-url", public_url])
            .output()
            .unwrap();
        assert!(out.status.success(), "token create: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Today's scan count of the (only) token, as `server token list --json` shows it.
    pub(crate) fn scans_today(&self) -> u64 {
        let out = microscanner()
            .args(["server", "token", "list", "--json", "--database-url", &self.database_url])
            .output()
            .unwrap();
        assert!(out.status.success(), "token list: {}", stderr(&out));
        let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        list[0]["scans_today"].as_u64().unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
