//! OS identity on real release files (trivy's os analyzer fixtures) and exact real contents.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use microscanner_catalog::os::{OsAnalyzer, end_of_life, purl_distro};
use microscanner_catalog::{Analyzer, LayerFiles, Record};
use microscanner_model::OsInfo;

const TRIVY_OS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/pkgdb-trivy/pkg/fanal/analyzer/os");

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{TRIVY_OS}/{rel}")).unwrap()
}

/// Runs the analyzer on one file placed at `path`; returns (priority, os).
fn detect(path: &str, bytes: Vec<u8>) -> Option<(u8, OsInfo)> {
    let a = OsAnalyzer;
    assert!(a.wants(path, bytes.len() as u64), "{path} not wanted");
    let mut files = LayerFiles::new();
    files.insert(path.to_owned(), bytes);
    let out = a.analyze(&files);
    out.records.into_iter().find_map(|r| match r {
        Record::Os { priority, os, path: p } => {
            assert_eq!(p, path);
            Some((priority, os))
        }
        _ => None,
    })
}

fn os_release(rel: &str) -> OsInfo {
    detect("etc/os-release", fixture(&format!("release/testdata/{rel}"))).unwrap().1
}

#[track_caller]
fn check(os: &OsInfo, family: &str, version: &str, ecosystem: Option<&str>) {
    assert_eq!(os.family, family, "{os:?}");
    assert_eq!(os.version, version, "{os:?}");
    assert_eq!(os.ecosystem.as_deref(), ecosystem, "{os:?}");
}

#[test]
fn os_release_fixtures() {
    check(&os_release("alpine"), "alpine", "3.15", Some("Alpine:v3.15"));
    check(&os_release("rocky"), "rocky", "9", Some("Rocky Linux:9"));
    check(&os_release("alma"), "almalinux", "9", Some("AlmaLinux:9"));
    check(&os_release("rhel"), "rhel", "9", Some("Red Hat:enterprise_linux:9"));
    check(&os_release("centos"), "centos", "7", Some("Red Hat:enterprise_linux:7"));
    check(&os_release("centos-stream"), "centos", "8", Some("Red Hat:enterprise_linux:8"));
    check(&os_release("oracle"), "ol", "8", Some("Oracle Linux:8"));
    check(&os_release("fedora"), "fedora", "42", None);
    check(&os_release("sles"), "sles", "15.3", Some("SUSE:Linux Enterprise Server 15 SP3"));
    check(&os_release("opensuseleap-15.2.1"), "opensuse-leap", "15.2.1", Some("openSUSE:Leap 15.2.1"));
    check(&os_release("opensuseleap-42.3"), "opensuse-leap", "42.3", Some("openSUSE:Leap 42.3"));
    check(&os_release("opensusetumbleweed"), "opensuse-tumbleweed", "20220412", Some("openSUSE:Tumbleweed"));
    check(&os_release("slemicro"), "sle-micro", "5.3", Some("SUSE:Linux Enterprise Micro 5.3"));
    check(&os_release("mariner-2.0"), "mariner", "2.0", Some("CBL-Mariner:2.0"));
    check(&os_release("azurelinux-3.0"), "azurelinux", "3.0", Some("Azure Linux:3.0"));
    check(&os_release("photon"), "photon", "4.0", Some("Photon OS:4.0"));
    // No ID: recognised from NAME.
    check(&os_release("no-id"), "alpine", "3.15", Some("Alpine:v3.15"));
    // No version at all: identity without a release.
    check(&os_release("no-version"), "alpine", "", None);
    let alpine = os_release("alpine");
    assert_eq!(alpine.pretty_name.as_deref(), Some("Alpine Linux v3.15"));
    assert_eq!(alpine.evidence, "etc/os-release");
}

#[test]
fn real_os_release_contents() {
    // Debian 12 (debian:bookworm), verbatim.
    let debian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n";
    let (prio, os) = detect("usr/lib/os-release", debian.as_bytes().to_vec()).unwrap();
    check(&os, "debian", "12", Some("Debian:12"));
    assert_eq!(os.codename.as_deref(), Some("bookworm"));
    assert_eq!(purl_distro(&os), "debian-12");
    let (etc_prio, _) = detect("etc/os-release", debian.as_bytes().to_vec()).unwrap();
    assert!(etc_prio > prio && prio > 50);
    // gcr.io/distroless/static-debian12, verbatim: Debian identity.
    let distroless = "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\nVERSION=\"Debian GNU/Linux 12 (bookworm)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\nSUPPORT_URL=\"https://github.com/GoogleContainerTools/distroless/blob/master/README.md\"\nBUG_REPORT_URL=\"https://github.com/GoogleContainerTools/distroless/issues/new\"\n";
    let os = detect("etc/os-release", distroless.as_bytes().to_vec()).unwrap().1;
    check(&os, "debian", "12", Some("Debian:12"));
    assert_eq!(os.pretty_name.as_deref(), Some("Distroless"));
    // Ubuntu 22.04 (ubuntu:jammy).
    let ubuntu = "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nUBUNTU_CODENAME=jammy\n";
    let os = detect("etc/os-release", ubuntu.as_bytes().to_vec()).unwrap().1;
    check(&os, "ubuntu", "22.04", Some("Ubuntu:22.04:LTS"));
    assert_eq!(purl_distro(&os), "ubuntu-22.04");
    // Debian trixie/sid (debian:sid), no VERSION_ID.
    let sid =
        "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=trixie\nID=debian\n";
    check(&detect("etc/os-release", sid.as_bytes().to_vec()).unwrap().1, "debian", "trixie", None);
    // Alpine 3.21.
    let alpine = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.3\nPRETTY_NAME=\"Alpine Linux v3.21\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n";
    let os = detect("etc/os-release", alpine.as_bytes().to_vec()).unwrap().1;
    check(&os, "alpine", "3.21", Some("Alpine:v3.21"));
    assert_eq!(purl_distro(&os), "alpine-3.21");
    // Alpine edge.
    let edge = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.0_alpha20240807\nPRETTY_NAME=\"Alpine Linux edge\"\n";
    check(&detect("etc/os-release", edge.as_bytes().to_vec()).unwrap().1, "alpine", "edge", None);
    // Wolfi and Chainguard.
    let wolfi =
        "ID=wolfi\nNAME=\"Wolfi\"\nPRETTY_NAME=\"Wolfi\"\nVERSION_ID=\"20230201\"\nHOME_URL=\"https://wolfi.dev\"\n";
    check(&detect("etc/os-release", wolfi.as_bytes().to_vec()).unwrap().1, "wolfi", "20230201", Some("Wolfi"));
    let cg = "ID=chainguard\nNAME=\"Chainguard\"\nPRETTY_NAME=\"Chainguard\"\nVERSION_ID=\"20230214\"\n";
    check(&detect("etc/os-release", cg.as_bytes().to_vec()).unwrap().1, "chainguard", "20230214", Some("Chainguard"));
    // Amazon Linux 2 and 2023.
    let al2 = "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\n";
    check(&detect("etc/os-release", al2.as_bytes().to_vec()).unwrap().1, "amzn", "2", Some("Amazon Linux:2"));
    let al2023 = "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPLATFORM_ID=\"platform:al2023\"\nPRETTY_NAME=\"Amazon Linux 2023.6.20241212\"\n";
    check(&detect("etc/os-release", al2023.as_bytes().to_vec()).unwrap().1, "amzn", "2023", Some("Amazon Linux:2023"));
    // MinimOS (trivy's fixture) and the old Amazon Linux AMI.
    check(&os_release("minimos"), "minimos", "20241031", Some("MinimOS"));
    let al1 = "NAME=\"Amazon Linux AMI\"\nVERSION=\"2018.03\"\nID=\"amzn\"\nVERSION_ID=\"2018.03\"\n";
    check(&detect("etc/os-release", al1.as_bytes().to_vec()).unwrap().1, "amzn", "2018.03", Some("Amazon Linux:1"));
}

#[test]
fn release_file_fallbacks() {
    let d = detect("etc/debian_version", fixture("debian/testdata/debian_9/etc/debian_version")).unwrap();
    check(&d.1, "debian", "9", Some("Debian:9"));
    let sid = detect("etc/debian_version", fixture("debian/testdata/debian_sid/etc/debian_version")).unwrap();
    check(&sid.1, "debian", "buster", None);
    let cases = [
        ("etc/almalinux-release", "redhatbase/testdata/alma/almalinux-release", "almalinux", "8"),
        ("etc/centos-release", "redhatbase/testdata/centos/centos-release", "centos", "7"),
        ("etc/fedora-release", "redhatbase/testdata/fedora_29/fedora-release", "fedora", "29"),
        ("etc/oracle-release", "redhatbase/testdata/oracle_7/oracle-release", "ol", "7"),
        ("etc/redhat-release", "redhatbase/testdata/redhat_6/redhat-release", "rhel", "6"),
        ("etc/rocky-release", "redhatbase/testdata/rocky/rocky-release", "rocky", "8"),
    ];
    for (path, rel, family, version) in cases {
        let (prio, os) = detect(path, fixture(rel)).unwrap();
        assert_eq!((os.family.as_str(), os.version.as_str()), (family, version), "{rel}");
        assert!(prio < 99 && prio > d.0);
    }
    let lsb = detect("etc/lsb-release", fixture("ubuntu/testdata/lsb-release")).unwrap();
    check(&lsb.1, "ubuntu", "18.04", Some("Ubuntu:18.04:LTS"));
    assert_eq!(lsb.1.codename.as_deref(), Some("bionic"));
    assert!(lsb.0 > d.0, "lsb-release must beat Ubuntu's debian_version");
    let al = detect("etc/alpine-release", b"3.19.1\n".to_vec()).unwrap().1;
    check(&al, "alpine", "3.19", Some("Alpine:v3.19"));
    let amzn = detect("etc/system-release", b"Amazon Linux release 2 (Karoo)\n".to_vec()).unwrap().1;
    check(&amzn, "amzn", "2", Some("Amazon Linux:2"));
    let suse = detect(
        "etc/SuSE-release",
        b"SUSE Linux Enterprise Server 12 (x86_64)\nVERSION = 12\nPATCHLEVEL = 5\n".to_vec(),
    )
    .unwrap()
    .1;
    check(&suse, "sles", "12.5", Some("SUSE:Linux Enterprise Server 12 SP5"));
    let photon =
        detect("etc/photon-release", b"VMware Photon OS 3.0\nPHOTON_BUILD_NUMBER=a4d5c3b\n".to_vec()).unwrap().1;
    check(&photon, "photon", "3.0", Some("Photon OS:3.0"));
    let mariner =
        detect("etc/mariner-release", b"CBL-Mariner 2.0.20220226\nMARINER_BUILD_NUMBER=0d3b1b4\n".to_vec()).unwrap().1;
    check(&mariner, "mariner", "2.0", Some("CBL-Mariner:2.0"));
}

#[test]
fn junk_and_limits() {
    let a = OsAnalyzer;
    assert!(!a.wants("etc/os-release", 10 * 1024 * 1024));
    assert!(!a.wants("etc/passwd", 10));
    assert!(detect("etc/os-release", fixture("redhatbase/testdata/not_redhatbase/empty")).is_none());
    let mut files = LayerFiles::new();
    files.insert("etc/redhat-release".to_owned(), b"\xff\xfe garbage".to_vec());
    let out = a.analyze(&files);
    assert!(out.records.is_empty());
    assert_eq!(out.diagnostics.len(), 1);
}

#[test]
fn eol_for_detected_release() {
    let os = os_release("centos");
    let eol = end_of_life(&os.family, &os.version).unwrap();
    assert_eq!(eol.date, "2024-06-30");
    assert!(eol.is_past("2026-01-01"));
    let rocky = os_release("rocky");
    assert!(!end_of_life(&rocky.family, &rocky.version).unwrap().is_past("2026-01-01"));
}
