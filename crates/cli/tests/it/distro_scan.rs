//! End to end on Amazon Linux 2023 and Wolfi roots: `db build --from` over the vendors' fixture
//! directories, then `scan dir:ROOT` of a root with the vendor's `os-release` and a package
//! database (an `rpmdb.sqlite` written by the real `rpm`, an apk `installed` of real Wolfi
//! package names and versions) gets exactly the findings the samples imply; a CBL-Mariner 2.0
//! root with the real `rpmdb.sqlite` of a Mariner image against Microsoft's OVAL sample.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support_in_image::{microscanner, tool_exists};

/// Amazon Linux 2023's `/etc/os-release`, as AWS documents it
/// (https://docs.aws.amazon.com/linux/al2023/ug/ident-os-release.html).
const AL2023_OS_RELEASE: &str = r#"NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
SUPPORT_END="2029-06-30"
"#;

/// Wolfi's `/etc/os-release`, as its `wolfi-baselayout` package writes it
/// (https://github.com/wolfi-dev/os/blob/main/wolfi-baselayout.yaml).
const WOLFI_OS_RELEASE: &str = r#"ID=wolfi
NAME="Wolfi"
PRETTY_NAME="Wolfi"
VERSION_ID="20230201"
HOME_URL="https://wolfi.dev"
BUG_REPORT_URL="https://github.com/wolfi-dev/os/issues"
"#;

/// A database built by the binary from the Amazon and Wolfi fixture directories.
fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("distro-scan-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("microscanner.db");
        let f = microscanner_testkit::fixtures_dir();
        let out = microscanner()
            .args(["db", "build", "--db"])
            .arg(&db)
            .arg("--from")
            .arg(f.join("feeds-vuls-data-update-fixtures/pkg/fetch/amazon/testdata/fixtures"))
            .arg("--from")
            .arg(f.join("feeds-vunnel-fixtures/tests/unit/providers/wolfi"))
            .output()
            .unwrap();
        assert!(out.status.success(), "db build: {}", String::from_utf8_lossy(&out.stderr));
        db
    })
}

/// `scan dir:ROOT -f json`: the exit code and (package, vulnerability id) of every finding.
fn scan(root: &Path) -> (Option<i32>, Vec<(String, String)>, Value) {
    let out = microscanner()
        .args(["scan", &format!("dir:{}", root.display()), "-f", "json", "--no-cache", "--db"])
        .arg(db())
        .output()
        .unwrap();
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["package"]["name"].as_str().unwrap().to_owned(), f["id"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    (out.status.code(), found, report)
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

/// Writes an `rpmdb.sqlite` under `root` holding empty packages of these names and versions,
/// built and installed (`--justdb`) by the real `rpmbuild` and `rpm`.
fn rpmdb(root: &Path, work: &Path, packages: &[(&str, &str, &str)]) {
    for (name, version, release) in packages {
        let spec = work.join(format!("{name}.spec"));
        std::fs::write(
            &spec,
            format!(
                "Name: {name}\nVersion: {version}\nRelease: {release}\nSummary: test\nLicense: MIT\nBuildArch: noarch\n\
                 %description\ntest\n%files\n"
            ),
        )
        .unwrap();
        let out = Command::new("rpmbuild")
            .args(["-bb", "--quiet", "--define"])
            .arg(format!("_topdir {}", work.join("top").display()))
            .arg(&spec)
            .output()
            .unwrap();
        assert!(out.status.success(), "rpmbuild: {}", String::from_utf8_lossy(&out.stderr));
        let rpm = work.join(format!("top/RPMS/noarch/{name}-{version}-{release}.noarch.rpm"));
        let out = Command::new("rpm")
            .arg("--root")
            .arg(root)
            .args([
                "--dbpath",
                "/var/lib/rpm",
                "--define",
                "_db_backend sqlite",
                "-i",
                "--justdb",
                "--nodeps",
                "--noscripts",
            ])
            .arg(&rpm)
            .output()
            .unwrap();
        assert!(out.status.success(), "rpm -i: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn an_amazon_linux_2023_root_gets_the_alas_findings() {
    if !microscanner_testkit::require(tool_exists("rpm") && tool_exists("rpmbuild"), "rpm and rpmbuild") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/os-release"), AL2023_OS_RELEASE).unwrap();
    // rsyslog before ALAS2023-2023-001's 8.2204.0-3.amzn2023.0.2; rsyslog-openssl at it; a
    // kernel-livepatch and libnvidia-container-tools below the extras' fixes (other streams).
    rpmdb(
        root.path(),
        work.path(),
        &[
            ("rsyslog", "8.2204.0", "2.amzn2023"),
            ("rsyslog-openssl", "8.2204.0", "3.amzn2023.0.2"),
            ("libnvidia-container-tools", "1.17.3", "1"),
        ],
    );
    let (code, found, report) = scan(root.path());
    assert_eq!(found, pairs(&[("rsyslog", "CVE-2014-3634"), ("rsyslog", "CVE-2022-24903")]), "{report}");
    assert_eq!(code, Some(4), "High findings fail the scan");
    assert_eq!(report["os"]["ecosystem"], "Amazon Linux:2023", "{}", report["os"]);
    let f = &report["findings"][0];
    assert_eq!(f["severity"], "high");
    assert_eq!(f["fix"]["versions"][0], "8.2204.0-3.amzn2023.0.2");
}

/// An apk `installed` database entry.
fn apk_entry(name: &str, version: &str, origin: &str) -> String {
    format!("P:{name}\nV:{version}\nA:x86_64\nT:{name}\nL:MIT\no:{origin}\n\n")
}

#[test]
fn a_wolfi_root_gets_the_secdb_findings() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::create_dir_all(root.path().join("lib/apk/db")).unwrap();
    std::fs::write(root.path().join("etc/os-release"), WOLFI_OS_RELEASE).unwrap();
    // Names, origins and versions of Wolfi packages of late 2022 (the sample's fixes): openssl's
    // subpackage before 3.0.7-r0, expat between its two fixes, busybox at its fix, coreutils
    // with a CVE marked never affected (`0`).
    let installed = [
        apk_entry("libcrypto3", "3.0.6-r1", "openssl"),
        apk_entry("expat", "2.4.9-r0", "expat"),
        apk_entry("busybox", "1.35.0-r3", "busybox"),
        apk_entry("coreutils", "9.1-r0", "coreutils"),
    ]
    .concat();
    std::fs::write(root.path().join("lib/apk/db/installed"), installed).unwrap();
    let (code, found, report) = scan(root.path());
    assert_eq!(
        found,
        pairs(&[
            ("expat", "CVE-2022-43680"),
            ("libcrypto3", "CVE-2022-3358"),
            ("libcrypto3", "CVE-2022-3602"),
            ("libcrypto3", "CVE-2022-3786"),
        ]),
        "{report}"
    );
    assert_eq!(report["os"]["ecosystem"], "Wolfi", "{}", report["os"]);
    assert!(matches!(code, Some(0 | 4)), "{code:?}");
}

/// A database built by the binary from the CBL-Mariner / Azure Linux OVAL fixture directory.
fn mariner_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("distro-scan-oval-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("microscanner.db");
        let f = microscanner_testkit::fixtures_dir();
        let out = microscanner()
            .args(["db", "build", "--db"])
            .arg(&db)
            .arg("--from")
            .arg(f.join("feeds-vunnel-fixtures/tests/unit/providers/mariner"))
            .output()
            .unwrap();
        assert!(out.status.success(), "db build: {}", String::from_utf8_lossy(&out.stderr));
        db
    })
}

/// A CBL-Mariner 2.0 root: the real `rpmdb.sqlite` of a CBL-Mariner 2.0 image (go-rpmdb's
/// fixture, 129 packages) and the `os-release` of its `mariner-release` package (Trivy's fixture
/// of it: `ID=mariner VERSION_ID="2.0"`, as github.com/microsoft/azurelinux writes it).
fn mariner_root() -> tempfile::TempDir {
    let f = microscanner_testkit::fixtures_dir();
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/rpm")).unwrap();
    std::fs::copy(
        f.join("pkgdb-trivy/pkg/fanal/analyzer/os/release/testdata/mariner-2.0"),
        root.path().join("etc/os-release"),
    )
    .unwrap();
    std::fs::copy(
        f.join("pkgdb-go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite"),
        root.path().join("var/lib/rpm/rpmdb.sqlite"),
    )
    .unwrap();
    root
}

#[test]
fn a_cbl_mariner_2_root_with_the_real_rpmdb_gets_the_oval_findings() {
    let root = mariner_root();
    let scan_mariner = |root: &Path| {
        let out = microscanner()
            .args(["scan", &format!("dir:{}", root.display()), "-f", "json", "--no-cache", "--db"])
            .arg(mariner_db())
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        let mut found: Vec<(String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["package"]["name"].as_str().unwrap().to_owned(), f["id"].as_str().unwrap().to_owned()))
            .collect();
        found.sort();
        (out.status.code(), found, report)
    };
    // The image as it is: its glibc 2.34-2.cm2 is at or below the sample's glibc check
    // (CVE-2023-0687, "less than or equal 2.35-4"), which Microsoft marks Not Applicable: nothing.
    let (code, found, report) = scan_mariner(root.path());
    assert_eq!(report["os"]["ecosystem"], "CBL-Mariner:2.0", "{}", report["os"]);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(code, Some(0));
    let text = report.to_string();
    assert!(text.contains("\"glibc\"") && text.contains("2.34-2.cm2"), "glibc inventoried");
    if !microscanner_testkit::require(tool_exists("rpm") && tool_exists("rpmbuild"), "rpm and rpmbuild") {
        return;
    }
    // With golang and mysql of CBL-Mariner 2.0 added to the real database by the real `rpm`:
    // below the sample's fixes (1.20.7-1.cm2, 8.0.33-1.cm2), and bind at the last affected build.
    let work = tempfile::tempdir().unwrap();
    rpmdb(
        root.path(),
        work.path(),
        &[("golang", "1.20.6", "1.cm2"), ("mysql", "8.0.32", "1.cm2"), ("bind", "9.16.33", "1.cm2")],
    );
    let (code, found, report) = scan_mariner(root.path());
    assert_eq!(
        found,
        pairs(&[
            ("bind", "CVE-2022-3736"),
            ("golang", "CVE-2023-29404"),
            ("mysql", "CVE-2023-21977"),
            ("mysql", "CVE-2023-21980"),
        ]),
        "{report}"
    );
    assert_eq!(code, Some(4), "Critical and High findings fail the scan");
    let golang = report["findings"].as_array().unwrap().iter().find(|f| f["package"]["name"] == "golang").unwrap();
    assert_eq!(golang["severity"], "critical");
    assert_eq!(golang["fix"]["versions"][0], "1.20.7-1.cm2");
}
