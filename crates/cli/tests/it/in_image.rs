//! The in-image mode with the static binary that ships (`target/static/microscanner`, from
//! `scripts/build-static.sh`): the binary is static and runs alone; it scans the root it runs in
//! from a chroot holding nothing but itself and a database, a chroot of debian12-app's root
//! filesystem (with /proc, /sys and /dev mounted, as in a container) and a tiny Alpine root; the
//! old command line's flags and its JSON against `../shared/research/anchors.md` section (a); and
//! the client path, which must not need glibc's NSS nor the image's CA store.
//!
//! The binary missing: every test skips with a note, except under `CI`, where the first test to
//! need it builds it by running `scripts/build-static.sh` (see `support/in_image.rs`). Needs root
//! (chroot, mount namespaces), umoci, and the test images; under `CI` a missing one fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, missing_docs)]

use crate::support_in_image as support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;
use support::{Serve, both, clean_env, db, debian12_rootfs, install, missing, static_binary, stderr, tool_exists};

/// Whether we are root (chroot and mounts need it); `false` skips (a failure under CI).
fn root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        return true;
    }
    let _ = missing::<()>("not root: chroot needs it");
    false
}

/// The environment a build step has: nothing of ours, a PATH and a HOME.
fn build_env(c: &mut Command) {
    c.env_clear().env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").env("HOME", "/root");
}

/// Runs `cmd`, again (up to ten times) while exec fails with `ETXTBSY`: the binary was just
/// copied into the root, and a child another test thread forked meanwhile can hold the copy's
/// write descriptor open until it execs, which makes exec of the copy fail for a moment.
fn output_retrying_busy(cmd: &mut Command) -> Output {
    let mut out = cmd.output().unwrap();
    for _ in 0..10 {
        if !String::from_utf8_lossy(&out.stderr).contains("Text file busy") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        out = cmd.output().unwrap();
    }
    out
}

/// Runs `/microscanner ARGS` chrooted into `root`, as a build step would.
fn chroot(root: &Path, args: &[&str]) -> Output {
    let mut c = Command::new("chroot");
    clean_env(&mut c);
    build_env(&mut c);
    output_retrying_busy(c.arg(root).arg("/microscanner").args(args))
}

/// Runs `/microscanner ARGS` chrooted into `root` in a mount namespace of its own where /proc,
/// /sys and /dev are mounted as a container runtime mounts them (plus `extra`, shell run before
/// the chroot with `$R` the root): the conditions of `RUN microscanner` in a real build.
fn chroot_mounted(root: &Path, extra: &str, args: &[&str]) -> Output {
    let script = format!(
        "set -e; R=$1; shift; mount -t proc proc \"$R/proc\"; mount -t sysfs sysfs \"$R/sys\"; \
         mount --rbind /dev \"$R/dev\"; {extra}\nexec chroot \"$R\" /microscanner \"$@\""
    );
    let mut c = Command::new("unshare");
    clean_env(&mut c);
    build_env(&mut c);
    output_retrying_busy(
        c.args(["--mount", "--propagation", "private", "sh", "-c", &script, "sh"]).arg(root).args(args),
    )
}

/// debian12-app's root with the static binary at /microscanner and the database at /db,
/// installed once per test binary (the root is shared by the tests: each writes only its own
/// report file).
fn debian12() -> Option<&'static Path> {
    static READY: OnceLock<Option<PathBuf>> = OnceLock::new();
    READY
        .get_or_init(|| {
            if !root() {
                return None;
            }
            let bin = static_binary()?;
            let rootfs = debian12_rootfs()?;
            install(&bin, rootfs, "microscanner");
            std::fs::copy(db(), rootfs.join("db")).unwrap();
            Some(rootfs.to_path_buf())
        })
        .as_deref()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", both(out)))
}

/// The (format, name, version) of each resource of an old-format report.
fn resources(report: &Value) -> BTreeSet<(String, String, String)> {
    report["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| {
                    let s = |k: &str| r["resource"][k].as_str().unwrap().to_owned();
                    (s("format"), s("name"), s("version"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The dpkg packages make-images.sh recorded for debian12-app (`name version` of each).
fn expected_dpkg() -> BTreeSet<(String, String, String)> {
    let images = support::images().unwrap();
    std::fs::read_to_string(images.join("debian12-app/expected-dpkg.txt"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(("deb".to_owned(), f.next()?.to_owned(), f.next()?.to_owned()))
        })
        .collect()
}

#[test]
fn the_binary_is_static_and_runs_alone() {
    let Some(bin) = static_binary() else { return };
    let file = Command::new("file").arg("-b").arg(&bin).output();
    match file {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(text.contains("ELF 64-bit") && text.contains("x86-64"), "{text}");
            assert!(text.contains("statically linked") || text.contains("static-pie linked"), "not static: {text}");
            assert!(!text.contains("dynamically linked") && !text.contains("interpreter"), "{text}");
            assert!(text.contains("stripped") && !text.contains("not stripped"), "{text}");
        }
        Err(_) => {
            let _ = missing::<()>("file(1) is not installed");
        }
    }
    // no interpreter, no shared library: it needs nothing of the image it runs in
    let headers = Command::new("readelf").arg("-ld").arg(&bin).output().unwrap();
    let headers = String::from_utf8_lossy(&headers.stdout);
    assert!(!headers.contains("INTERP"), "{headers}");
    assert!(!headers.contains("(NEEDED)"), "{headers}");
    // the checksum beside it is the binary's
    let sums = std::fs::read_to_string(bin.with_file_name("microscanner.sha256")).unwrap();
    let bytes = std::fs::read(&bin).unwrap();
    let digest = microscanner_testkit::sha256(&bytes);
    assert_eq!(sums, format!("{}  microscanner\n", digest.trim_start_matches("sha256:")));
    // the size target of the issue: under 25 MB stripped
    assert!(bytes.len() < 25_000_000, "the static binary is {} bytes", bytes.len());

    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert!(out.status.success(), "{}", both(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), concat!("microscanner ", env!("CARGO_PKG_VERSION")));
}

#[test]
fn an_empty_root_is_incomplete_exit_5() {
    if !root() {
        return;
    }
    let Some(bin) = static_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    install(&bin, dir.path(), "microscanner");
    std::fs::copy(db(), dir.path().join("db")).unwrap();

    let version = chroot(dir.path(), &["--version"]);
    assert!(version.status.success(), "{}", both(&version));
    for args in [&["--db", "/db"][..], &["--db", "/db", "dir:/"]] {
        let out = chroot(dir.path(), args);
        assert_eq!(out.status.code(), Some(5), "{args:?}: {}", both(&out));
        let report = json(&out);
        assert!(report["scan_started"]["seconds"].as_i64().unwrap() > 0);
        assert_eq!(report["partial_results"], true, "{report}");
        assert_eq!(report["vulnerability_summary"]["total"], 0);
        assert!(report.get("resources").is_none() && report.get("os").is_none(), "{report}");
        let err = stderr(&out);
        assert!(err.contains("INCOMPLETE") && err.contains("could not be inventoried"), "{err}");
        assert!(err.contains("exit 5"), "{err}");
    }
    // nothing was written: no cache, no state in the image
    let mut left: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["db", "microscanner"]);
}

#[test]
fn debian_root_fails_on_high_findings_and_passes_with_c() {
    let Some(rootfs) = debian12() else { return };
    let out = chroot_mounted(rootfs, "", &["--db", "/db"]);
    assert_eq!(out.status.code(), Some(4), "{}", both(&out));
    let report = json(&out);
    assert_eq!(report["os"], "debian");
    assert!(report["version"].as_str().unwrap().starts_with("12"), "{report}");
    assert!(report["vulnerability_summary"]["high"].as_u64().unwrap() > 0, "{}", report["vulnerability_summary"]);
    assert_eq!(report["image_assurance_results"]["disallowed"], true);
    let found = resources(&report);
    assert!(found.iter().any(|(_, name, _)| name == "Django"), "the vulnerable packages are reported: {found:?}");
    for r in report["resources"].as_array().unwrap() {
        assert!(!r["vulnerabilities"].as_array().unwrap().is_empty(), "only vulnerable packages by default: {r}");
    }
    assert!(stderr(&out).contains("FAILED"), "{}", stderr(&out));

    let passed = chroot_mounted(rootfs, "", &["--db", "/db", "-c"]);
    assert_eq!(passed.status.code(), Some(0), "{}", both(&passed));
    assert_eq!(resources(&json(&passed)), found, "-c changes the exit code, not the report");
    assert!(stderr(&passed).contains("--continue-on-failure"), "{}", stderr(&passed));
}

#[test]
fn the_walk_of_root_survives_mounts_and_skips_them() {
    // Every container has /proc, /sys and /dev mounted; a build may mount more (a cache, a
    // bind-mounted host directory): the packages of the image are all found, and a package in
    // another mount is not the image's.
    let Some(rootfs) = debian12() else { return };
    let plain = chroot(rootfs, &["--db", "/db", "-c", "--full-output"]);
    let mounted = chroot_mounted(
        rootfs,
        "mount -t tmpfs tmpfs \"$R/mnt\"; d=\"$R/mnt/usr/lib/python3/dist-packages/mounted_pkg-1.0.dist-info\"; \
         mkdir -p \"$d\"; printf 'Metadata-Version: 2.1\\nName: mounted-pkg\\nVersion: 1.0\\n' > \"$d/METADATA\";",
        &["--db", "/db", "-c", "--full-output"],
    );
    assert_eq!(mounted.status.code(), Some(0), "{}", both(&mounted));
    let (plain, mounted) = (resources(&json(&plain)), resources(&json(&mounted)));
    let debs: BTreeSet<_> = mounted.iter().filter(|(f, _, _)| f == "deb").cloned().collect();
    assert_eq!(debs, expected_dpkg(), "every dpkg package, with /proc mounted");
    assert!(!mounted.iter().any(|(_, name, _)| name == "mounted-pkg"), "another filesystem is not the image");
    assert_eq!(plain, mounted, "the same inventory with and without mounts");
}

#[test]
fn output_writes_the_file_inside_the_root_and_stdout() {
    let Some(rootfs) = debian12() else { return };
    let file = rootfs.join("report-output-test.json");
    let _ = std::fs::remove_file(&file);
    let out = chroot_mounted(rootfs, "", &["--db", "/db", "-c", "--output", "/report-output-test.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let written = std::fs::read(&file).unwrap();
    assert_eq!(written, out.stdout, "the file and stdout hold the same report");
    assert!(!resources(&json(&out)).is_empty());
    assert!(stderr(&out).contains("/report-output-test.json"), "the verdict names the file: {}", stderr(&out));
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn full_output_lists_every_package() {
    let Some(rootfs) = debian12() else { return };
    let out = chroot_mounted(rootfs, "", &["--db", "/db", "-c", "--full-output"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let report = json(&out);
    let all = resources(&report);
    let debs: BTreeSet<_> = all.iter().filter(|(f, _, _)| f == "deb").cloned().collect();
    assert_eq!(debs, expected_dpkg(), "--full-output lists every dpkg package");
    let without = resources(&json(&chroot_mounted(rootfs, "", &["--db", "/db", "-c"])));
    assert!(without.is_subset(&all) && without.len() < all.len(), "{} vs {}", without.len(), all.len());
    let clean = report["resources"].as_array().unwrap().iter().filter(|r| r.get("vulnerabilities").is_none()).count();
    assert!(clean > 0, "packages without findings are listed too");
}

#[test]
fn html_flag_gives_html() {
    let Some(rootfs) = debian12() else { return };
    let out = chroot_mounted(rootfs, "", &["--db", "/db", "-H"]);
    assert_eq!(out.status.code(), Some(4), "-H changes the format, not the verdict: {}", both(&out));
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..html.len().min(200)]);
    assert!(html.contains("</html>"));
    assert!(serde_json::from_str::<Value>(&html).is_err());
}

#[test]
fn root_flag_scans_another_root() {
    // -d/--root: the same packages as the chroot scan, from outside
    let Some(rootfs) = debian12() else { return };
    let Some(bin) = static_binary() else { return };
    let mut cmd = Command::new(&bin);
    clean_env(&mut cmd);
    let outside = cmd.arg("--db").arg(db()).args(["-c", "--full-output", "-d"]).arg(rootfs).output().unwrap();
    assert_eq!(outside.status.code(), Some(0), "{}", both(&outside));
    let inside = chroot_mounted(rootfs, "", &["--db", "/db", "-c", "--full-output"]);
    assert_eq!(resources(&json(&outside)), resources(&json(&inside)));
    // the long spelling
    let mut cmd = Command::new(&bin);
    clean_env(&mut cmd);
    let long = cmd.arg("--db").arg(db()).args(["-c", "--root"]).arg(rootfs).output().unwrap();
    assert_eq!(long.status.code(), Some(0), "{}", both(&long));
    assert!(!resources(&json(&long)).is_empty());
}

#[test]
fn the_old_json_has_the_old_fields() {
    // ../shared/research/anchors.md (a) "Schema (fields seen in real outputs)"
    const TOP: &[&str] = &[
        "scan_started",
        "scan_duration",
        "digest",
        "os",
        "version",
        "resources",
        "image_assurance_results",
        "vulnerability_summary",
        "scan_options",
        "partial_results",
        "initiating_user",
        "data_date",
        "changed_result",
        "function_metadata",
    ];
    // the old tool's keys, and `unknown` (unrated findings), so the counts add up to `total`
    const SUMMARY: &[&str] = &[
        "total",
        "high",
        "medium",
        "low",
        "negligible",
        "unknown",
        "sensitive",
        "malware",
        "score_average",
        "max_score",
    ];
    const RESOURCE: &[&str] = &["format", "name", "version", "arch", "cpe", "license", "name_hash"];
    const VULNERABILITY: &[&str] = &[
        "name",
        "description",
        "nvd_score",
        "nvd_score_version",
        "nvd_vectors",
        "nvd_severity",
        "nvd_url",
        "nvd_score_v3",
        "nvd_vectors_v3",
        "nvd_severity_v3",
        "vendor_score",
        "vendor_score_version",
        "vendor_vectors",
        "vendor_severity",
        "vendor_score_v3",
        "vendor_vectors_v3",
        "vendor_severity_v3",
        "vendor_url",
        "publish_date",
        "modification_date",
        "fix_version",
        "classification",
    ];
    let Some(rootfs) = debian12() else { return };
    let out = chroot_mounted(rootfs, "", &["--db", "/db", "-c"]);
    // the old tool's key order: scrapers of its output start at `{\n  "scan_started":`
    assert!(out.stdout.starts_with(b"{\n  \"scan_started\": {\n    \"seconds\": "), "{}", both(&out));
    let report = json(&out);
    let keys = |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    let set = |names: &[&str]| -> BTreeSet<String> { names.iter().map(|s| (*s).to_owned()).collect() };
    for key in keys(&report) {
        assert!(TOP.contains(&key.as_str()), "top-level field {key} is not the old tool's");
    }
    // present in every in-image scan (digest: an image digest, which a root filesystem has not)
    for key in TOP.iter().filter(|k| !matches!(**k, "digest" | "partial_results")) {
        assert!(report.get(*key).is_some(), "missing top-level field {key}: {report}");
    }
    assert!(report["scan_started"]["seconds"].is_i64() && report["scan_started"]["nanos"].is_u64());
    assert!(report["scan_duration"].is_u64());
    assert_eq!(report["initiating_user"], "token");
    assert_eq!(report["changed_result"], false);
    assert!(report["data_date"].as_i64().unwrap() > 1_500_000_000);
    assert_eq!(keys(&report["vulnerability_summary"]), set(SUMMARY));
    let summary = &report["vulnerability_summary"];
    let count = |k: &str| summary[k].as_u64().unwrap();
    assert_eq!(
        count("high") + count("medium") + count("low") + count("negligible") + count("unknown"),
        count("total"),
        "{summary}"
    );
    let check = &report["image_assurance_results"]["checks_performed"][0];
    assert_eq!(check["control"], "max_severity");
    assert_eq!(check["maximum_severity_allowed"], "high");
    let mut severities = BTreeSet::new();
    for r in report["resources"].as_array().unwrap() {
        assert_eq!(keys(&r["resource"]), set(RESOURCE), "{r}");
        assert_eq!(r["scanned"], true);
        assert!(r["resource"]["cpe"].as_str().unwrap().starts_with("pkg:/"), "{r}");
        assert_eq!(r["resource"]["name_hash"].as_str().unwrap().len(), 32);
        for v in r["vulnerabilities"].as_array().unwrap() {
            for key in keys(v) {
                assert!(VULNERABILITY.contains(&key.as_str()), "vulnerability field {key} is not the old tool's");
            }
            assert!(v["name"].is_string());
            for field in ["nvd_severity", "vendor_severity", "nvd_severity_v3", "vendor_severity_v3"] {
                if let Some(s) = v[field].as_str() {
                    severities.insert(s.to_owned());
                }
            }
        }
    }
    // the old scale: strings, no "critical"
    assert!(!severities.is_empty());
    assert!(severities.iter().all(|s| ["high", "medium", "low", "negligible"].contains(&s.as_str())), "{severities:?}");
}

#[test]
fn a_tiny_alpine_root_is_listed() {
    if !root() {
        return;
    }
    let Some(bin) = static_binary() else { return };
    let installed =
        microscanner_testkit::fixtures_dir().join("pkgdb-osv-scalibr/extractor/filesystem/os/apk/testdata/installed");
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("lib/apk/db")).unwrap();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::copy(&installed, r.join("lib/apk/db/installed")).unwrap();
    // Alpine 3.18.0's /etc/os-release (the fixture's packages are 3.18's: busybox 1.36.0-r9, musl 1.2.4-r0)
    std::fs::write(
        r.join("etc/os-release"),
        "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.0\nPRETTY_NAME=\"Alpine Linux v3.18\"\n\
         HOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n",
    )
    .unwrap();
    install(&bin, r, "microscanner");
    std::fs::copy(db(), r.join("db")).unwrap();

    let out = chroot(r, &["--db", "/db", "--full-output"]);
    // the test database has no Alpine data: the scan is incomplete (5), or passes; never an error
    assert!(matches!(out.status.code(), Some(0 | 4 | 5)), "{}", both(&out));
    let report = json(&out);
    assert_eq!(report["os"], "alpine");
    assert!(report["version"].as_str().unwrap().starts_with("3.18"), "{report}");
    let text = std::fs::read_to_string(&installed).unwrap();
    let mut expected = BTreeSet::new();
    let (mut name, mut version) = (None, None);
    for line in text.lines().chain([""]) {
        if let Some(v) = line.strip_prefix("P:") {
            name = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("V:") {
            version = Some(v.to_owned());
        } else if line.is_empty()
            && let (Some(n), Some(v)) = (name.take(), version.take())
        {
            expected.insert(("apk".to_owned(), n, v));
        }
    }
    assert_eq!(expected.len(), 15);
    assert_eq!(resources(&report), expected);
    for r in report["resources"].as_array().unwrap() {
        assert!(r["resource"]["cpe"].as_str().unwrap().starts_with("pkg:/alpine:3.18"), "{r}");
        assert_eq!(r["resource"]["arch"], "x86_64");
    }
}

#[test]
fn no_token_is_a_usage_error() {
    let Some(bin) = static_binary() else { return };
    for args in [&["-c"][..], &["-H", "-d", "/tmp"], &[]] {
        let mut cmd = Command::new(&bin);
        clean_env(&mut cmd);
        let out = cmd.args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", both(&out));
        let err = stderr(&out);
        assert!(err.contains("Usage"), "{args:?}: {err}");
        if !args.is_empty() {
            assert!(err.contains("no token"), "{args:?}: {err}");
        }
        assert!(out.stdout.is_empty());
    }
}

/// A self-signed certificate for 127.0.0.1 (openssl), as `(dir, cert, key)`.
fn self_signed() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    if !tool_exists("openssl") {
        return missing("openssl is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl: {}", stderr(&out));
    Some((dir, cert, key))
}

#[test]
fn no_verify_with_a_token_over_https_warns_and_connects() {
    let Some(rootfs) = debian12() else { return };
    let Some(bin) = static_binary() else { return };
    let Some((_dir, cert, key)) = self_signed() else { return };
    let serve = Serve::start(Some((&cert, &key)));
    let token = serve.token(&serve.url);
    let run = |extra: &[&str]| {
        let mut cmd = Command::new(&bin);
        clean_env(&mut cmd);
        cmd.arg(&token).args(extra).args(["-c", "-d"]).arg(rootfs).output().unwrap()
    };
    // the self-signed certificate is refused without -n
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(1), "{}", both(&refused));
    assert!(stderr(&refused).to_lowercase().contains("certificate"), "{}", stderr(&refused));
    assert_eq!(serve.scans_today(), 0);
    // -n: a warning, then the scan through the server
    let out = run(&["-n"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert!(stderr(&out).contains("--no-verify") && stderr(&out).contains("not checked"), "{}", stderr(&out));
    assert!(!resources(&json(&out)).is_empty());
    assert_eq!(serve.scans_today(), 1);
    // the same with the long spelling
    let out = run(&["--no-verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    assert_eq!(serve.scans_today(), 2);
}

/// An Alpine-like root for the client tests: the apk fixture and Alpine's os-release, the
/// static binary, `/etc/hosts` naming the server, and nothing else (no libc, no NSS modules,
/// no nsswitch.conf, no resolv.conf).
fn client_root(bin: &Path, with_ca_store: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("lib/apk/db")).unwrap();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::copy(
        microscanner_testkit::fixtures_dir().join("pkgdb-osv-scalibr/extractor/filesystem/os/apk/testdata/installed"),
        r.join("lib/apk/db/installed"),
    )
    .unwrap();
    std::fs::write(r.join("etc/os-release"), "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.0\n").unwrap();
    std::fs::write(r.join("etc/hosts"), "127.0.0.1 localhost\n127.0.0.1 microscanner.test\n").unwrap();
    if with_ca_store {
        std::fs::create_dir_all(r.join("etc/ssl/certs")).unwrap();
        std::fs::copy("/etc/ssl/certs/ca-certificates.crt", r.join("etc/ssl/certs/ca-certificates.crt")).unwrap();
    }
    install(bin, r, "microscanner");
    dir
}

#[test]
fn the_client_resolves_names_without_nss() {
    // The token names the server by a host name only /etc/hosts knows; the root has no glibc,
    // no NSS module and no nsswitch.conf, so a getaddrinfo() of the static glibc could not
    // resolve it: the Rust resolver (hickory) must. strace shows which files were opened.
    if !root() {
        return;
    }
    let Some(bin) = static_binary() else { return };
    let serve = Serve::start(None);
    let token = serve.token(&format!("http://microscanner.test:{}", serve.port));
    let dir = client_root(&bin, true);
    let trace = tempfile::NamedTempFile::new().unwrap();
    let strace = tool_exists("strace");
    if !strace {
        let _ = missing::<()>("strace is not installed: the files opened are not checked");
    }
    let mut cmd = Command::new(if strace { "strace" } else { "chroot" });
    clean_env(&mut cmd);
    build_env(&mut cmd);
    if strace {
        cmd.args(["-f", "-qq", "-e", "trace=open,openat,openat2", "-o"]).arg(trace.path()).arg("chroot");
    }
    let out = output_retrying_busy(cmd.arg(dir.path()).args(["/microscanner", &token, "-c"]));
    assert!(matches!(out.status.code(), Some(0 | 5)), "{}", both(&out));
    assert_eq!(serve.scans_today(), 1, "the scan reached the server: {}", both(&out));
    assert_eq!(json(&out)["os"], "alpine");
    if strace {
        let opened = std::fs::read_to_string(trace.path()).unwrap();
        assert!(opened.contains("\"/etc/hosts\""), "the name came from /etc/hosts:\n{opened}");
        for nss in ["nsswitch.conf", "libnss_", "gai.conf", "host.conf"] {
            assert!(!opened.contains(nss), "glibc's resolver was reached ({nss}):\n{opened}");
        }
    }
}

#[test]
fn the_client_works_in_a_root_without_a_ca_store() {
    // scratch and distroless/static images have no CA store: the client must still be built
    // (bundled roots), whether the server is plain HTTP on the build host or public HTTPS.
    if !root() {
        return;
    }
    let Some(bin) = static_binary() else { return };
    let serve = Serve::start(None);
    let token = serve.token(&serve.url);
    let dir = client_root(&bin, false);
    let mut cmd = Command::new("chroot");
    clean_env(&mut cmd);
    build_env(&mut cmd);
    let out = output_retrying_busy(cmd.arg(dir.path()).args(["/microscanner", &token, "-c"]));
    assert!(
        matches!(out.status.code(), Some(0 | 5)),
        "a root without /etc/ssl/certs (the client needs bundled CA roots: webpki-root-certs merged in \
         crates/server/src/client.rs): {}",
        both(&out)
    );
    assert_eq!(serve.scans_today(), 1, "{}", both(&out));
    let lower = stderr(&out).to_lowercase();
    assert!(!lower.contains("certificate"), "no warning about the missing CA store: {}", stderr(&out));
}

#[test]
fn dry_run_shows_the_inventory_and_sends_nothing() {
    // what the service is sent: the inventory, never a file of the image
    let Some(rootfs) = debian12() else { return };
    let out = chroot_mounted(rootfs, "", &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", both(&out));
    let doc = json(&out);
    let packages = doc["packages"].as_array().unwrap();
    assert!(packages.len() >= 132, "{}", packages.len());
    let text = String::from_utf8_lossy(&out.stdout);
    // no file content travels: not the dpkg database's text, not a copyright file
    assert!(!text.contains("Maintainer:") && !text.contains("Copyright"), "file content in the inventory");
    let modern = chroot_mounted(rootfs, "", &["scan", "dir:/", "--dry-run"]);
    assert_eq!(modern.status.code(), Some(0), "{}", both(&modern));
    assert_eq!(
        microscanner_testkit::inventory_packages(&json(&modern)),
        microscanner_testkit::inventory_packages(&doc),
        "both spellings send the same inventory"
    );
}
