//! Every example under `examples/` (and the root `Dockerfile`) run for real: `podman build
//! --isolation chroot` (as `../shared/tools/make-images.sh` builds podman-app) FROM the real
//! debian12-app, loaded into a podman store of the tests' own from its oci-archive (there is no
//! registry to pull from); and the CI jobs' shell lines, read out of the YAML files, on real
//! reports.
//!
//! - `scan-during-build`: with `--db` the build fails with exit 4; with `-c` it succeeds and the
//!   report is in the image, the scanner is not. The same through a token: `microscanner serve`
//!   on loopback, the token as a build secret (`--network host`), exit 4 then 0, the server's
//!   count up by one per build, and the token nowhere in the image's history.
//! - `multi-stage` and `offline-db`: exit 4, then with `-c` a final image holding the report
//!   but neither the scanner nor the database.
//! - `Dockerfile`: one layer, the static binary, its checksum.
//! - `ci/`: the `run:` steps of `github-actions.yml` (but the install step) and the `script:` /
//!   `after_script:` lines of `gitlab-ci.yml`, run in order: the first run fails on high findings
//!   (no baseline) and keeps the JSON and SARIF; the next passes (nothing new); a baseline
//!   without the high findings fails again. `new-findings.sh` on real reports.
//!
//! Needs root, podman (and buildah's chroot isolation), the test images and the static binary;
//! the CI test needs /usr/bin/python3 with yaml (python3-yaml). Under `CI` a missing one fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, missing_docs)]

use crate::support_in_image as support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde_json::Value;
use support::{
    Serve, both, clean_env, db, images, install, microscanner, missing, static_binary, stderr, tool_exists, workspace,
};

/// The base every example is built FROM: debian12-app, loaded from its oci-archive.
const BASE: &str = "localhost/microscanner-test/debian12-app:latest";

/// podman with the tests' own store (a short path: podman refuses a long --runroot).
struct Podman {
    global: Vec<String>,
}

/// One podman user at a time: the store is shared and the machine small.
fn podman() -> Option<(&'static Podman, MutexGuard<'static, ()>)> {
    static LOCK: Mutex<()> = Mutex::new(());
    static PODMAN: OnceLock<Option<Podman>> = OnceLock::new();
    let guard = LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let podman = PODMAN
        .get_or_init(|| {
            if !tool_exists("podman") {
                return missing("podman is not installed");
            }
            use std::os::unix::fs::MetadataExt as _;
            if !std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
                return missing("not root: podman builds need it");
            }
            let images = images()?;
            let store =
                std::env::var("MICROSCANNER_PODMAN_STORE").unwrap_or_else(|_| "/var/tmp/ms-podman-tests".into());
            // the driver make-images.sh could use on this machine (overlay, else vfs)
            let driver = std::fs::read_to_string(images.join("podman-app/storage-driver.txt"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "overlay".into());
            let podman = Podman {
                global: vec![
                    "--storage-driver".into(),
                    driver,
                    "--root".into(),
                    format!("{store}/root"),
                    "--runroot".into(),
                    format!("{store}/run"),
                    "--cgroup-manager".into(),
                    "cgroupfs".into(),
                    "--events-backend".into(),
                    "none".into(),
                ],
            };
            Some(podman)
        })
        .as_ref()?;
    // (checked on every use: a failed multi-stage build of buildah 1.28 can delete it)
    podman.load_base(&images()?.join("debian12-app/oci-archive.tar"));
    Some((podman, guard))
}

impl Podman {
    fn cmd(&self) -> Command {
        let mut c = Command::new("podman");
        c.args(&self.global).stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Loads debian12-app into the store under [`BASE`], unless it is there already.
    fn load_base(&self, archive: &Path) {
        if self.run(&["image", "exists", BASE]).status.success() {
            return;
        }
        let out = self.cmd().arg("load").arg("-i").arg(archive).output().unwrap();
        assert!(out.status.success(), "podman load: {}", both(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        let loaded = text
            .lines()
            .find_map(|l| {
                l.split_once("Loaded image").map(|(_, rest)| rest.trim_start_matches(['(', 's', ')', ':', ' ']))
            })
            .expect("podman load names the image")
            .split(',')
            .next()
            .unwrap()
            .trim()
            .to_owned();
        let out = self.run(&["tag", &loaded, BASE]);
        assert!(out.status.success(), "podman tag: {}", both(&out));
    }

    /// `podman build --isolation chroot` of `dockerfile` in `context`, tagged `tag`.
    fn build(
        &self,
        dockerfile: &Path,
        context: &Path,
        tag: &str,
        build_args: &[(&str, &str)],
        extra: &[&str],
    ) -> Output {
        let mut c = self.cmd();
        c.args(["build", "--isolation", "chroot", "--pull=never", "--layers=false", "--force-rm", "-t", tag]);
        c.arg("-f").arg(dockerfile);
        for (k, v) in build_args {
            c.arg("--build-arg").arg(format!("{k}={v}"));
        }
        c.args(extra).arg(context).output().unwrap()
    }

    /// The bytes of `path` in `image` (`podman create` + `podman cp`), `None` when it is absent.
    fn file(&self, image: &str, path: &str) -> Option<Vec<u8>> {
        let out = self.run(&["create", image, "/nothing-runs"]);
        assert!(out.status.success(), "podman create: {}", both(&out));
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("file");
        let copied = self.cmd().arg("cp").arg(format!("{id}:{path}")).arg(&to).output().unwrap();
        let _ = self.run(&["rm", "-f", &id]);
        copied.status.success().then(|| std::fs::read(&to).unwrap())
    }

    fn remove(&self, image: &str) {
        let _ = self.run(&["rmi", "-f", image]);
    }
}

/// `podman build` failed with the scan's exit code 4 (the build's own exit code is the failing
/// step's), and the scan said why.
fn failed_with_4(out: &Output) -> bool {
    out.status.code() == Some(4) && stderr(out).contains("FAILED")
}

/// A build context: the static binary as `microscanner`, and `db/` holding the test database
/// when `with_db` (empty otherwise: the token examples).
fn context(bin: &Path, with_db: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    install(bin, dir.path(), "microscanner");
    std::fs::create_dir(dir.path().join("db")).unwrap();
    if with_db {
        std::fs::copy(db(), dir.path().join("db/microscanner.db")).unwrap();
    }
    dir
}

fn example(name: &str) -> PathBuf {
    workspace().join("examples").join(name).join("Dockerfile")
}

/// The old JSON report read out of an image.
fn old_report(bytes: &[u8]) -> Value {
    let report: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(report["os"], "debian", "{report}");
    assert!(!report["resources"].as_array().unwrap().is_empty());
    report
}

#[test]
fn scan_during_build_offline_fails_with_4_and_continues_with_c() {
    let Some(bin) = static_binary() else { return };
    let Some((podman, _lock)) = podman() else { return };
    let ctx = context(&bin, true);
    let dockerfile = example("scan-during-build");
    let offline = ("MICROSCANNER_SOURCE", "--db /run/microscanner-db/microscanner.db");
    let tag = "localhost/microscanner-test/scan-during-build:offline";

    let out = podman.build(&dockerfile, ctx.path(), tag, &[("BASE", BASE), offline], &[]);
    assert!(failed_with_4(&out), "the scan fails the build with exit 4: {}", both(&out));

    let out = podman.build(&dockerfile, ctx.path(), tag, &[("BASE", BASE), offline, ("MICROSCANNER_FLAGS", "-c")], &[]);
    assert!(out.status.success(), "-c: the build goes on: {}", both(&out));
    // the build log shows the report (stdout) as well as the file
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"scan_started\""), "{}", both(&out));
    let report = old_report(&podman.file(tag, "/microscanner-report.json").expect("the report is in the image"));
    assert_eq!(report["image_assurance_results"]["disallowed"], true, "the findings are reported");
    assert!(podman.file(tag, "/microscanner").is_none(), "the scanner removed itself");
    assert!(podman.file(tag, "/var/lib/dpkg/status").is_some(), "the image is the base plus the report");
    podman.remove(tag);
}

#[test]
fn scan_during_build_through_a_token_counts_each_build() {
    let Some(bin) = static_binary() else { return };
    let Some((podman, _lock)) = podman() else { return };
    let serve = Serve::start(None);
    let token = serve.token(&serve.url);
    let secrets = tempfile::tempdir().unwrap();
    let token_file = secrets.path().join("token");
    std::fs::write(&token_file, &token).unwrap();
    let secret = format!("id=microscanner_token,src={}", token_file.display());
    let extra = ["--secret", secret.as_str(), "--network", "host"];
    let ctx = context(&bin, false);
    let dockerfile = example("scan-during-build");
    let tag = "localhost/microscanner-test/scan-during-build:token";

    let out = podman.build(&dockerfile, ctx.path(), tag, &[("BASE", BASE)], &extra);
    assert!(failed_with_4(&out), "the scan through the service fails the build with exit 4: {}", both(&out));
    assert_eq!(serve.scans_today(), 1, "one build, one scan");

    let out = podman.build(&dockerfile, ctx.path(), tag, &[("BASE", BASE), ("MICROSCANNER_FLAGS", "-c")], &extra);
    assert!(out.status.success(), "-c: {}", both(&out));
    assert_eq!(serve.scans_today(), 2, "one more build, one more scan");
    old_report(&podman.file(tag, "/microscanner-report.json").expect("the report is in the image"));
    // a secret, not a build argument: the token is in no layer's history and no file
    let history = podman.run(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", tag]);
    assert!(history.status.success(), "{}", both(&history));
    assert!(!String::from_utf8_lossy(&history.stdout).contains(&token), "the token is in the image history");
    let inspect = podman.run(&["image", "inspect", tag]);
    assert!(!String::from_utf8_lossy(&inspect.stdout).contains(&token), "the token is in the image config");
    assert!(podman.file(tag, "/run/secrets/microscanner_token").is_none());
    podman.remove(tag);
}

#[test]
fn multi_stage_scan_never_ships_the_scanner() {
    let Some(bin) = static_binary() else { return };
    let Some((podman, _lock)) = podman() else { return };
    let ctx = context(&bin, true);
    let dockerfile = example("multi-stage");
    let offline = ("MICROSCANNER_SOURCE", "--db /run/microscanner-db/microscanner.db");
    let tag = "localhost/microscanner-test/multi-stage:latest";

    let out = podman.build(&dockerfile, ctx.path(), tag, &[("BASE", BASE), offline], &[]);
    assert!(failed_with_4(&out), "{}", both(&out));
    let out = podman.build(&dockerfile, ctx.path(), tag, &[("BASE", BASE), offline, ("MICROSCANNER_FLAGS", "-c")], &[]);
    assert!(out.status.success(), "{}", both(&out));
    old_report(&podman.file(tag, "/usr/share/doc/microscanner-report.json").expect("the report is kept"));
    assert!(podman.file(tag, "/microscanner").is_none(), "the scanner stayed in the scan stage");
    // not even in a lower layer: the final image weighs the base plus the report, not the
    // 20-odd MB of the scanner
    let size = |image: &str| -> u64 {
        let out = podman.run(&["image", "inspect", "--format", "{{.Size}}", image]);
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    let (final_size, base_size) = (size(tag), size(BASE));
    assert!(final_size < base_size + 2_000_000, "final {final_size} bytes, base {base_size}");
    assert!(std::fs::metadata(&bin).unwrap().len() > 2_000_000);
    podman.remove(tag);
}

#[test]
fn offline_db_stage_feeds_the_scan_stage() {
    let Some(bin) = static_binary() else { return };
    let Some((podman, _lock)) = podman() else { return };
    let ctx = tempfile::tempdir().unwrap();
    install(&bin, ctx.path(), "microscanner");
    std::fs::copy(db(), ctx.path().join("microscanner.db")).unwrap();
    let dockerfile = example("offline-db");
    let tag = "localhost/microscanner-test/offline-db:latest";

    let out = podman.build(&dockerfile, ctx.path(), tag, &[("BASE", BASE)], &[]);
    assert!(failed_with_4(&out), "{}", both(&out));
    let out = podman.build(&dockerfile, ctx.path(), tag, &[("BASE", BASE), ("MICROSCANNER_FLAGS", "-c")], &[]);
    assert!(out.status.success(), "{}", both(&out));
    old_report(&podman.file(tag, "/usr/share/doc/microscanner-report.json").expect("the report is kept"));
    assert!(podman.file(tag, "/microscanner").is_none());
    assert!(podman.file(tag, "/var/lib/microscanner/microscanner.db").is_none(), "the database did not ship");
    podman.remove(tag);
}

#[test]
fn the_root_dockerfile_is_the_static_binary_alone() {
    let Some(bin) = static_binary() else { return };
    let Some((podman, _lock)) = podman() else { return };
    let root = workspace();
    let tag = "localhost/microscanner-test/microscanner:latest";
    let out = podman.build(&root.join("Dockerfile"), &root, tag, &[], &[]);
    assert!(out.status.success(), "{}", both(&out));
    let inspect = podman.run(&["image", "inspect", tag]);
    let inspect: Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(inspect[0]["Config"]["Entrypoint"], serde_json::json!(["/microscanner"]));
    assert_eq!(inspect[0]["RootFS"]["Layers"].as_array().unwrap().len(), 1, "FROM scratch: one layer");
    let shipped = podman.file(tag, "/microscanner").expect("the binary is in the image");
    assert_eq!(shipped, std::fs::read(&bin).unwrap(), "the image holds target/static/microscanner");
    let sums = podman.file(tag, "/microscanner.sha256").expect("its checksum beside it");
    assert_eq!(sums, std::fs::read(bin.with_file_name("microscanner.sha256")).unwrap());
    let digest = microscanner_testkit::sha256(&shipped);
    assert!(String::from_utf8_lossy(&sums).starts_with(digest.trim_start_matches("sha256:")));
    assert!(podman.file(tag, "/bin/sh").is_none(), "nothing else: no shell");
    podman.remove(tag);
}

/// A CI job's shell, `(step, shell)` in order.
type Steps = Vec<(String, String)>;

/// The shell of each CI job, read out of the YAML files: GitHub's, then GitLab's.
fn ci_jobs() -> Option<(Steps, Steps)> {
    let python = Path::new("/usr/bin/python3");
    let probe = Command::new(python).args(["-c", "import yaml"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        return missing("/usr/bin/python3 with yaml (python3-yaml) is not installed");
    }
    let script = r#"
import json, sys, yaml
gh = yaml.safe_load(open(sys.argv[1]))
gl = yaml.safe_load(open(sys.argv[2]))
steps = [(s.get("name", s.get("id", "")), s["run"]) for s in gh["jobs"]["scan"]["steps"]
         if "run" in s and s.get("id") != "install"]
job = gl["microscanner"]
lines = [("script", "\n".join(job["script"]))] + [("after_script", "\n".join(job.get("after_script", [])))]
json.dump({"github": steps, "gitlab": lines}, sys.stdout)
"#;
    let dir = workspace().join("examples/ci");
    let out = Command::new(python)
        .args(["-c", script])
        .arg(dir.join("github-actions.yml"))
        .arg(dir.join("gitlab-ci.yml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "reading the YAML: {}", both(&out));
    let jobs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pairs = |v: &Value| -> Steps {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned()))
            .collect()
    };
    Some((pairs(&jobs["github"]), pairs(&jobs["gitlab"])))
}

/// A checkout where the CI lines run: `examples/` of the workspace, `microscanner` on PATH (the
/// test build, what the install step would have put there) and the test database.
struct Checkout {
    dir: tempfile::TempDir,
    bin_dir: tempfile::TempDir,
}

impl Checkout {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(workspace().join("examples"), dir.path().join("examples")).unwrap();
        let bin_dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_microscanner"), bin_dir.path().join("microscanner")).unwrap();
        Self { dir, bin_dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs one step's shell (bash -eo pipefail, as both CI systems do) against `image`.
    fn run(&self, shell: &str, image: &str, fail_on: &str) -> Output {
        let path = format!("{}:{}", self.bin_dir.path().display(), std::env::var("PATH").unwrap_or_default());
        let mut cmd = Command::new("bash");
        clean_env(&mut cmd);
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", shell])
            .current_dir(self.path())
            .env("PATH", path)
            .env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/in-image-layer-cache"))
            .env("IMAGE", image)
            .env("MICROSCANNER_DB", db())
            .env("MICROSCANNER_FAIL_ON", fail_on)
            .env("CI_COMMIT_BRANCH", "main")
            .env("CI_DEFAULT_BRANCH", "main")
            .output()
            .unwrap()
    }

    fn read(&self, name: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.path().join(name)).unwrap()).unwrap()
    }
}

/// The report of `image` (`scan --format json`), for the baselines.
fn json_report(image: &str) -> Value {
    let out = microscanner()
        .arg("--db")
        .arg(db())
        .args(["scan", image, "--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", both(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `report` without its findings at or above high: the baseline of a build before they came.
fn without_high(report: &Value) -> Value {
    let mut old = report.clone();
    let findings = old["findings"].as_array_mut().unwrap();
    let before = findings.len();
    findings.retain(|f| !matches!(f["severity"].as_str(), Some("high" | "critical")));
    assert!(findings.len() < before, "the image has high findings");
    old
}

#[test]
fn ci_jobs_keep_the_reports_and_fail_on_new_findings() {
    let Some(images) = images() else { return };
    let Some((github, gitlab)) = ci_jobs() else { return };
    assert!(github.iter().any(|(_, s)| s.contains("examples/ci/scan.sh")), "{github:?}");
    assert!(gitlab[0].1.contains("examples/ci/scan.sh"), "{gitlab:?}");
    let image = format!("oci:{}", images.join("debian12-app/oci").display());
    let baseline_without_high = without_high(&json_report(&image));

    // the step whose exit code is the job's verdict: GitHub's "Scan", GitLab's `script:`
    for (system, steps, verdict) in [("github", &github, "Scan"), ("gitlab", &gitlab, "script")] {
        let checkout = Checkout::new();
        let run_all = |checkout: &Checkout| -> Vec<(String, Output)> {
            steps.iter().map(|(name, shell)| (name.clone(), checkout.run(shell, &image, "high"))).collect()
        };
        let scan_step = |runs: &[(String, Output)]| -> Output {
            let (_, out) = runs.iter().find(|(name, _)| name == verdict).unwrap();
            Output { status: out.status, stdout: out.stdout.clone(), stderr: out.stderr.clone() }
        };

        // 1. no baseline yet: every high finding fails the job, and both reports are kept
        let runs = run_all(&checkout);
        let scan = scan_step(&runs);
        assert_eq!(scan.status.code(), Some(4), "{system}: {}", both(&scan));
        assert!(stderr(&scan).contains("no baseline yet"), "{system}: {}", stderr(&scan));
        let report = checkout.read("microscanner.json");
        assert!(!report["findings"].as_array().unwrap().is_empty());
        let sarif = checkout.read("microscanner.sarif");
        assert_eq!(sarif["version"], "2.1.0");
        assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty(), "{system}: SARIF results");
        for (name, out) in &runs {
            if name != verdict {
                assert!(out.status.success(), "{system} {name}: {}", both(out));
            }
        }
        assert!(checkout.path().join("baseline/microscanner.json").is_file(), "{system}: the baseline was saved");

        // 2. the same image again: nothing new, the job passes
        let scan = scan_step(&run_all(&checkout));
        assert_eq!(scan.status.code(), Some(0), "{system}: {}", both(&scan));
        assert!(stderr(&scan).contains("nothing new"), "{system}: {}", stderr(&scan));

        // 3. a baseline from before the high findings came: they are new, the job fails
        std::fs::write(
            checkout.path().join("baseline/microscanner.json"),
            serde_json::to_vec(&baseline_without_high).unwrap(),
        )
        .unwrap();
        let scan = checkout.run(&steps.iter().find(|(n, _)| n == verdict).unwrap().1, &image, "high");
        assert_eq!(scan.status.code(), Some(4), "{system}: {}", both(&scan));
        assert!(stderr(&scan).contains("FAILED: new findings"), "{system}: {}", stderr(&scan));
        assert!(checkout.path().join("microscanner.sarif").is_file());
    }
}

#[test]
fn new_findings_script_on_real_reports() {
    let Some(images) = images() else { return };
    let d12 = json_report(&format!("oci:{}", images.join("debian12-app/oci").display()));
    let checkout = Checkout::new();
    let write =
        |name: &str, v: &Value| std::fs::write(checkout.path().join(name), serde_json::to_vec(v).unwrap()).unwrap();
    write("d12.json", &d12);
    write("d12-without-high.json", &without_high(&d12));
    let script = |old: &str, new: &str, severity: &str| {
        checkout.run(&format!("sh examples/ci/new-findings.sh {old} {new} {severity}"), "unused", "high")
    };
    // the same report: nothing new
    let out = script("d12.json", "d12.json", "high");
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stderr(&out).contains("nothing new"), "{}", both(&out));
    // the high findings were not in the old one: they are new, and listed
    let out = script("d12-without-high.json", "d12.json", "high");
    assert_eq!(out.status.code(), Some(4), "{}", both(&out));
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(table.contains("NEW") && table.contains("lodash"), "{table}");
    // the default severity is high
    let out = checkout.run("sh examples/ci/new-findings.sh d12-without-high.json d12.json", "unused", "high");
    assert_eq!(out.status.code(), Some(4), "{}", both(&out));
    // the other way round: only fixed findings, never a failure, whatever the gate
    let out = script("d12.json", "d12-without-high.json", "unknown");
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    // an unreadable or missing report is an error, not a pass
    std::fs::write(checkout.path().join("broken.json"), b"{").unwrap();
    for old in ["broken.json", "missing.json"] {
        let out = script(old, "d12.json", "high");
        assert_eq!(out.status.code(), Some(1), "{old}: {}", both(&out));
    }
}
