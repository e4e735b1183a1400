//! dpkg databases: the real fixtures of syft, osv-scalibr and trivy (read in place from
//! `../shared/fixtures/pkgdb-*`) give the package lists their `EXPECTED-*.md` files state, and a
//! status file with broken stanzas still lists the good ones, with a diagnostic per broken one.
//!
//! Our rule (see `dpkg::parse_status`): a package is listed when its `Status` field's last word is
//! `installed`; a `status.d` file needs no `Status`; a stanza of `status` without one is not
//! installed; a stanza with no `Package` or no `Version` is broken (a diagnostic).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use microscanner_catalog::dpkg::{DpkgAnalyzer, parse_status};
use microscanner_catalog::{Analyzer, LayerFiles, Record};
use microscanner_model::{Package, PackageKind};
use microscanner_testkit::fixtures_dir;

fn syft_dir() -> PathBuf {
    fixtures_dir().join("pkgdb-syft/syft/pkg/cataloger/debian")
}

fn scalibr_dir() -> PathBuf {
    fixtures_dir().join("pkgdb-osv-scalibr/extractor/filesystem/os/dpkg")
}

fn trivy_dir() -> PathBuf {
    fixtures_dir().join("pkgdb-trivy/pkg/fanal/analyzer/pkg/dpkg")
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// (name, version) of each package, in file order.
fn name_versions(packages: &[Package]) -> Vec<(String, String)> {
    packages.iter().map(|p| (p.name.to_string(), p.version.to_string())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// One `* case` of an EXPECTED file: its name, the fixtures named under it, the (name, version)
/// entries listed under it.
#[derive(Debug)]
struct Case {
    name: String,
    fixtures: Vec<String>,
    entries: Vec<(String, String)>,
}

/// The cases of the `### test_file` section of an EXPECTED-*.md file.
fn expected_cases(md: &Path, test_file: &str) -> Vec<Case> {
    let text = String::from_utf8(read(md)).unwrap();
    let header = format!("### {test_file} ");
    let mut cases: Vec<Case> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("### ") {
            inside = line.starts_with(&header);
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(name) = line.strip_prefix("* case ") {
            cases.push(Case { name: name.trim_matches('"').to_owned(), fixtures: Vec::new(), entries: Vec::new() });
        } else if let Some(fixture) = line.trim_start().strip_prefix("fixture: ") {
            if let Some(case) = cases.last_mut() {
                case.fixtures.push(fixture.to_owned());
            }
        } else if let Some(entry) = line.strip_prefix("  - ")
            && let (Some(case), Some((name, version))) = (cases.last_mut(), entry.split_once(' '))
        {
            case.entries.push((name.to_owned(), version.to_owned()));
        }
    }
    assert!(!cases.is_empty(), "no cases for {test_file} in {}", md.display());
    cases
}

/// The member `name` of a txtar archive (`-- name --` separated files).
fn txtar_member(bytes: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let marker = format!("-- {name} --");
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches('\n');
        if bare.starts_with("-- ") && bare.ends_with(" --") {
            inside = bare == marker;
            continue;
        }
        if inside {
            out.push_str(line);
        }
    }
    assert!(!out.is_empty(), "no member {name}");
    out.into_bytes()
}

/// The upstream part of a Debian version: no epoch, no revision (how trivy's tests print them,
/// with epoch and revision split into other fields).
fn upstream(version: &str) -> &str {
    let no_epoch = version.split_once(':').map_or(version, |(_, rest)| rest);
    no_epoch.rsplit_once('-').map_or(no_epoch, |(up, _)| up)
}

// --- syft --------------------------------------------------------------------------------------

fn syft_status_d(name: &str) -> (Vec<Package>, Vec<microscanner_model::Diagnostic>) {
    let path = syft_dir().join("testdata/var/lib/dpkg/status.d").join(name);
    parse_status(&read(&path), &format!("/var/lib/dpkg/status.d/{name}"), false)
}

#[test]
fn syft_status_d_fixtures() {
    // single / installed-size-4KB: one package each (syft's "single package" cases).
    for name in ["single", "installed-size-4KB"] {
        let (packages, diagnostics) = syft_status_d(name);
        assert_eq!(name_versions(&packages), pairs(&[("apt", "1.8.2")]), "{name}");
        assert_eq!(packages[0].source_name(), Some("apt-dev"));
        assert_eq!(packages[0].source_version(), Some("1.8.2"));
        assert_eq!(packages[0].arch(), Some("amd64"));
        assert_eq!(packages[0].location(), format!("/var/lib/dpkg/status.d/{name}"));
        assert_eq!(packages[0].kind, PackageKind::Deb);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
    }

    // multiple: a stanza with an empty Package and one with no Version are broken; tzdata and
    // util-linux are listed (syft's "multiple entries").
    let (packages, diagnostics) = syft_status_d("multiple");
    assert_eq!(name_versions(&packages), pairs(&[("tzdata", "2020a-0+deb10u1"), ("util-linux", "2.33.1-0.1")]));
    assert_eq!(packages[0].source_name(), Some("tzdata-dev"));
    assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");

    // deinstall: "deinstall status packages are ignored" — `deinstall ok config-files` is not
    // installed (its last word), so only the installed kernel is listed.
    let (packages, _) = syft_status_d("deinstall");
    assert_eq!(name_versions(&packages), pairs(&[("linux-image-6.14.0-1012-aws", "6.14.0-1012.12~24.04.1")]));

    // corrupt: no stanza is a package (syft reports an error): nothing listed, diagnostics given.
    let (packages, diagnostics) = syft_status_d("corrupt");
    assert!(packages.is_empty(), "{packages:?}");
    assert!(!diagnostics.is_empty());
    // empty: `Package:` with nothing else.
    let (packages, diagnostics) = syft_status_d("empty");
    assert!(packages.is_empty());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");

    // coreutils-relationships: nine packages, binNMU source version for libselinux1.
    let (packages, diagnostics) = syft_status_d("coreutils-relationships");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "coreutils",
            "libacl1",
            "libc6",
            "libgcc-s1",
            "gcc-12-base",
            "libattr1",
            "libgmp10",
            "libselinux1",
            "libpcre2-8-0"
        ]
    );
    let selinux = packages.iter().find(|p| p.name == "libselinux1").unwrap();
    assert_eq!(
        (selinux.version.as_str(), selinux.source_name(), selinux.source_version()),
        ("3.4-1+b6", Some("libselinux"), Some("3.4-1"))
    );
    let libc = packages.iter().find(|p| p.name == "libc6").unwrap();
    assert_eq!((libc.source_name(), libc.arch()), (Some("glibc"), Some("arm64")));

    // libpam-runtime: one package, source pam.
    let (packages, _) = syft_status_d("libpam-runtime");
    assert_eq!(name_versions(&packages), pairs(&[("libpam-runtime", "1.5.2-6+deb12u1")]));
    assert_eq!(packages[0].source_name(), Some("pam"));

    // doc-examples: the stanzas of the dpkg manual's relationship examples. Syft's relationship
    // test builds its own package objects from these; as a database, only the stanzas with a
    // Version are packages; made-up-package-5 and the ten name-only stanzas are broken.
    let (packages, diagnostics) = syft_status_d("doc-examples");
    assert_eq!(
        name_versions(&packages),
        pairs(&[
            ("mutt", "1.3.17-1"),
            ("made-up-package-1", "1.0.0"),
            ("made-up-package-2", "2.0.0"),
            ("made-up-package-3", "3.0.0"),
            ("made-up-package-4", "3.0.0"),
        ])
    );
    assert_eq!(packages[1].source_name(), Some("glibc"));
    assert_eq!(diagnostics.len(), 11, "{diagnostics:?}");
}

#[test]
fn syft_image_fixtures_match_the_expected_file() {
    let cases = expected_cases(
        &fixtures_dir().join("pkgdb-syft/EXPECTED-from-syft-tests.md"),
        "syft/pkg/cataloger/debian/cataloger_test.go",
    );
    let entries = |case: &str| cases.iter().find(|c| c.name == case).unwrap().entries.clone();

    // image-dpkg: a status file (Status required).
    let status = syft_dir().join("testdata/image-dpkg/var/lib/dpkg/status");
    let (packages, diagnostics) = parse_status(&read(&status), "/var/lib/dpkg/status", true);
    assert_eq!(name_versions(&packages), entries("image-dpkg"));
    assert_eq!(packages[0].source_name(), Some("pam"));
    // The leading `Package:` stanza has no Status: in a status file that is "not installed",
    // skipped without a diagnostic.
    assert!(diagnostics.is_empty(), "{diagnostics:?}");

    // image-distroless-deb: a status.d file, no Status field, beside .md5sums/.preinst files
    // that the analyzer does not want.
    let dir = syft_dir().join("testdata/image-distroless-deb/var/lib/dpkg/status.d");
    let mut files = LayerFiles::new();
    let analyzer = DpkgAnalyzer;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        let path = format!("var/lib/dpkg/status.d/{}", entry.file_name().to_string_lossy());
        let bytes = read(&entry.path());
        if analyzer.wants(&path, bytes.len() as u64) {
            files.insert(path, bytes);
        }
    }
    assert_eq!(files.keys().collect::<Vec<_>>(), ["var/lib/dpkg/status.d/libsqlite3-0"]);
    let packages = packages_of(&analyzer, &files);
    assert_eq!(name_versions(&packages), entries("image-distroless-deb"));
    assert_eq!((packages[0].source_name(), packages[0].arch()), (Some("sqlite3"), Some("arm64")));

    // glob-paths: `var/lib/dpkg/status` holds no stanza, only a bogus line.
    let bogus = syft_dir().join("testdata/glob-paths/var/lib/dpkg/status");
    let (packages, diagnostics) = parse_status(&read(&bogus), "/var/lib/dpkg/status", true);
    assert!(packages.is_empty());
    assert_eq!(diagnostics.len(), 1);
}

/// Runs the analyzer over `files` and returns the packages of its records.
fn packages_of(analyzer: &DpkgAnalyzer, files: &LayerFiles) -> Vec<Package> {
    let output = analyzer.analyze(files);
    output
        .records
        .into_iter()
        .flat_map(|r| match r {
            Record::Packages { packages, .. } => packages,
            _ => Vec::new(),
        })
        .collect()
}

// --- osv-scalibr -------------------------------------------------------------------------------

#[test]
fn scalibr_fixtures_match_the_expected_file() {
    let cases = expected_cases(
        &fixtures_dir().join("pkgdb-osv-scalibr/EXPECTED-from-scalibr-tests.md"),
        "extractor/filesystem/os/dpkg/dpkg_test.go",
    );
    let mut checked = BTreeSet::new();
    for case in &cases {
        // Only cases about one dpkg fixture. opkg is not dpkg (not our analyzer); a case naming
        // two fixtures is a grouping artefact of the EXPECTED file.
        let [fixture] = case.fixtures.as_slice() else { continue };
        let Some(rel) = fixture.strip_prefix("testdata/dpkg/") else { continue };
        // "including not installed" runs scalibr with an option that lists every stanza
        // whatever its Status; we have no such option.
        if case.name.contains("including not installed") {
            continue;
        }
        let status_d = rel.starts_with("status.d/");
        let analyzer_path = if status_d { format!("var/lib/dpkg/{rel}") } else { "var/lib/dpkg/status".to_owned() };
        let bytes = read(&scalibr_dir().join(fixture));
        if !DpkgAnalyzer.wants(&analyzer_path, bytes.len() as u64) {
            // status.d/foo.md5sums: not a database; scalibr lists nothing for it either.
            assert!(case.entries.is_empty(), "{}: unwanted file with expectations", case.name);
            checked.insert(rel.to_owned());
            continue;
        }
        let (packages, _) = parse_status(&bytes, &format!("/{analyzer_path}"), !status_d);
        let got: BTreeSet<(String, String)> = name_versions(&packages).into_iter().collect();
        let want: BTreeSet<(String, String)> = case.entries.iter().cloned().collect();
        assert_eq!(got, want, "scalibr case {:?} ({fixture})", case.name);
        checked.insert(rel.to_owned());
    }
    for fixture in
        ["valid", "noversion", "nopackage", "statusfield", "empty", "invalid", "single", "status.d/foo", "transitional"]
    {
        assert!(checked.contains(fixture), "scalibr fixture {fixture} not checked: {checked:?}");
    }
}

#[test]
fn scalibr_details_source_binnmu_and_broken_stanzas() {
    let (packages, diagnostics) = parse_status(&read(&scalibr_dir().join("testdata/dpkg/valid")), "/s", true);
    let extra = packages.iter().find(|p| p.name == "util-linux-extra").unwrap();
    assert_eq!((extra.source_name(), extra.source_version()), (Some("util-linux"), Some("2.38.1-5")));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");

    // noversion / nopackage: the one broken stanza is a diagnostic, the others are listed.
    for (fixture, needle) in [("noversion", "no Version"), ("nopackage", "no Package")] {
        let (packages, diagnostics) =
            parse_status(&read(&scalibr_dir().join("testdata/dpkg").join(fixture)), "/s", true);
        assert_eq!(packages.len(), 2, "{fixture}");
        assert_eq!(diagnostics.len(), 1, "{fixture}: {diagnostics:?}");
        assert!(diagnostics[0].message.contains(needle), "{fixture}: {diagnostics:?}");
    }

    // statusfield: `deinstall reinstreq installed` and `purge ok installed` are on disk (listed);
    // `unpacked`, `half-installed`, `config-files` and no Status at all are not.
    let (packages, _) = parse_status(&read(&scalibr_dir().join("testdata/dpkg/statusfield")), "/s", true);
    let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["wantinstall_installed", "wantdeinstall_installed", "wantpurge_installed"]);
}

// --- trivy -------------------------------------------------------------------------------------

#[test]
fn trivy_fixtures_match_the_expected_file() {
    let cases = expected_cases(
        &fixtures_dir().join("pkgdb-trivy/EXPECTED-from-trivy-tests.md"),
        "pkg/fanal/analyzer/pkg/dpkg/dpkg_test.go",
    );
    let mut checked = Vec::new();
    for case in &cases {
        let [fixture] = case.fixtures.as_slice() else { continue };
        let status = txtar_member(&read(&trivy_dir().join(fixture)), "var/lib/dpkg/status");
        let (packages, _) = parse_status(&status, "/var/lib/dpkg/status", true);
        // Trivy's tests split the Debian version into epoch, version and release; the EXPECTED
        // file prints the middle part only.
        let got: BTreeSet<(String, String)> =
            packages.iter().map(|p| (p.name.to_string(), upstream(&p.version).to_owned())).collect();
        let want: BTreeSet<(String, String)> = case.entries.iter().cloned().collect();
        assert_eq!(got, want, "trivy case {:?} ({fixture})", case.name);
        checked.push(case.name.clone());
    }
    assert_eq!(
        checked,
        ["valid", "corrupsed", "only apt", "happy path with digests", "md5sums", "third-party package"]
    );
}

#[test]
fn trivy_valid_status_through_the_analyzer() {
    let status = txtar_member(&read(&trivy_dir().join("testdata/valid.txtar")), "var/lib/dpkg/status");
    let analyzer = DpkgAnalyzer;
    assert!(analyzer.wants("var/lib/dpkg/status", status.len() as u64));
    let files = LayerFiles::from([
        ("var/lib/dpkg/status".to_owned(), status),
        ("var/lib/dpkg/info/bash.list".to_owned(), b"/.\n/bin\n/bin/bash\n".to_vec()),
    ]);
    let output = analyzer.analyze(&files);
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    let mut packages = Vec::new();
    let mut owned = Vec::new();
    for record in output.records {
        match record {
            Record::Packages { path, packages: p } => {
                assert_eq!(path, "var/lib/dpkg/status");
                packages.extend(p);
            }
            Record::OwnedFiles { package, files, .. } => owned.push((package, files)),
            Record::Dependencies { path, requires } => {
                assert_eq!(path, "var/lib/dpkg/status");
                assert!(!requires.is_empty());
            }
            Record::Os { .. } | Record::Licenses { .. } => panic!("dpkg emits no OS or licence record"),
        }
    }
    // 91 stanzas, of which `git` is `deinstall ok config-files`.
    assert_eq!(packages.len(), 90);
    assert!(packages.iter().all(|p| p.name != "git"));
    assert!(packages.iter().all(|p| p.location() == "/var/lib/dpkg/status" && p.kind == PackageKind::Deb));
    let bash = packages.iter().find(|p| p.name == "bash").unwrap();
    assert_eq!(upstream(&bash.version), "4.4.18");
    assert_eq!(bash.purl(), "pkg:deb/bash@4.4.18-2ubuntu1", "the distro is the inventory step's to add");
    assert_eq!(owned, [("bash".to_owned(), vec!["/bin".to_owned(), "/bin/bash".to_owned()])]);

    // corrupsed: the stanza without a Status (and the `invalidpkg` one) are not installed, so
    // they are skipped, not reported; libgcc1's source carries its own version.
    let status = txtar_member(&read(&trivy_dir().join("testdata/corrupsed.txtar")), "var/lib/dpkg/status");
    let (packages, _) = parse_status(&status, "/var/lib/dpkg/status", true);
    let gcc = packages.iter().find(|p| p.name == "libgcc1").unwrap();
    assert_eq!(
        (gcc.version.as_str(), gcc.source_name(), gcc.source_version()),
        ("1:5.1.1-12ubuntu1", Some("gcc-5"), Some("5.1.1-12ubuntu1"))
    );
}

// --- broken stanzas ----------------------------------------------------------------------------

#[test]
fn broken_stanzas_are_diagnostics_and_the_rest_is_listed() {
    let status = "\
Package: good-one
Status: install ok installed
Architecture: amd64
Version: 1.0-1

Status: install ok installed
Version: 9.9
Description: a stanza without a Package field

Package: good-two
Status: install ok installed
Source: two-src (2.0-1)
Version: 2.0-1+b2
Description: multi-line
 continued here
 .
 and here

Package: no-version
Status: install ok installed
Architecture: amd64

Package: empty-version
Status: install ok installed
Version:

Package: good-three
Status: hold ok installed
Version: 3:3.0
";
    let location = "/var/lib/dpkg/status";
    let (packages, diagnostics) = parse_status(status.as_bytes(), location, true);
    assert_eq!(
        name_versions(&packages),
        pairs(&[("good-one", "1.0-1"), ("good-two", "2.0-1+b2"), ("good-three", "3:3.0")])
    );
    assert_eq!(packages[1].source_version(), Some("2.0-1"));
    let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "one diagnostic per broken stanza: {messages:?}");
    assert!(messages[0].starts_with("stanza 2:") && messages[0].contains("no Package"), "{messages:?}");
    assert!(messages[1].starts_with("stanza 4:") && messages[1].contains("no-version"), "{messages:?}");
    assert!(messages[2].starts_with("stanza 5:") && messages[2].contains("empty-version"), "{messages:?}");
    for d in &diagnostics {
        assert_eq!(d.location, location);
        assert!(!d.message.contains('\n'));
    }

    // Binary junk and a lone garbage line in the middle: no panic, the good stanzas still come.
    let mut noisy = status.as_bytes().to_vec();
    noisy.splice(0..0, b"\xff\xfe\x00garbage without colon\n\n".iter().copied());
    let (packages, diagnostics) = parse_status(&noisy, location, true);
    assert_eq!(packages.len(), 3);
    assert_eq!(diagnostics.len(), 4, "{diagnostics:?}");
}
