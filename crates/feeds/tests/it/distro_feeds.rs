//! The vendor feeds of Wolfi, Chainguard, MinimOS (secdb JSON) and Amazon Linux (ALAS
//! `updateinfo.xml.gz`) on their real samples under `../shared/fixtures`: exact counts per file,
//! a few records field by field, streaming equal to reading whole, and `db build --from` over the
//! vendors' directory layouts.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)] // tests may unwrap and report figures

use std::path::{Path, PathBuf};

use microscanner_feeds::build::{BuildOptions, NoProgress, build, collect_inputs};
use microscanner_feeds::detect::{self, Format};
use microscanner_feeds::{FeedError, Import, Sink};
use microscanner_vulndb::{Database, FixState, Records, SeverityKind};

fn fixtures() -> PathBuf {
    microscanner_testkit::fixtures_dir()
}

fn import(path: &Path) -> (Format, Import) {
    let bytes = std::fs::read(path).unwrap();
    detect::import_bytes(&path.display().to_string(), &bytes).unwrap().unwrap()
}

/// (affected entries, fix states, advisories) of an import.
fn counts(i: &Import) -> (usize, usize, usize) {
    (i.records.affected.len(), i.records.fix_statuses.len(), i.records.advisories.len())
}

/// The fixed version of `id` in package `name` (from its range).
fn fixed(i: &Import, id: &str, name: &str) -> String {
    let a = i.records.affected.iter().find(|a| a.advisory_id == id && a.name == name).unwrap();
    a.ranges[0]["events"][1]["fixed"].as_str().unwrap().to_owned()
}

#[test]
fn vendor_secdb_samples_import_exactly() {
    let paths = microscanner_testkit::vendor_secdb_paths();
    // vunnel wolfi, chainguard, minimos; vuls-data-update wolfi, chainguard. Affected entries are
    // the fixes above `0`; `0` (never affected) gives only a fix state.
    let expected = [
        ("Wolfi", "wolfi-secdb", (53, 59, 59)),
        ("Chainguard", "chainguard-secdb", (178, 197, 189)),
        ("MinimOS", "minimos-secdb", (53, 59, 59)),
        ("Wolfi", "wolfi-secdb", (80, 84, 84)),
        ("Chainguard", "chainguard-secdb", (40, 40, 40)),
    ];
    let mut imports = Vec::new();
    for (path, (ecosystem, source, n)) in paths.iter().zip(expected) {
        let (format, i) = import(path);
        assert_eq!(format, Format::VendorSecdb, "{}", path.display());
        assert_eq!(counts(&i), n, "{}", path.display());
        assert!(i.diagnostics.is_empty(), "{:?}", i.diagnostics);
        assert!(i.records.affected.iter().all(|a| a.ecosystem == ecosystem));
        assert!(i.records.advisories.iter().all(|a| a.source == source));
        imports.push(i);
    }
    let wolfi = &imports[0];
    assert_eq!(fixed(wolfi, "CVE-2022-3602", "openssl"), "3.0.7-r0");
    assert_eq!(fixed(wolfi, "CVE-2022-43680", "expat"), "2.5.0-r0");
    let a = wolfi.records.affected.iter().find(|a| a.name == "openssl").unwrap();
    assert_eq!(a.purl.as_deref(), Some("pkg:apk/wolfi/openssl"));
    let adv = wolfi.records.advisories.iter().find(|a| a.id == "CVE-2022-3602").unwrap();
    assert_eq!(adv.references[0].url, "https://images.chainguard.dev/security/CVE-2022-3602");
    // coreutils CVE-2016-2781 is under `0`: not affected, nothing to match.
    let st = wolfi.records.fix_statuses.iter().find(|s| s.name == "coreutils").unwrap();
    assert_eq!(
        (st.advisory_id.as_str(), st.state, st.fixed_version.as_deref()),
        ("CVE-2016-2781", FixState::NotAffected, None)
    );
    assert!(!wolfi.records.affected.iter().any(|a| a.name == "coreutils"));
    assert_eq!(fixed(&imports[1], "CVE-2022-31130", "grafana"), "7.5.19-r0");
    assert_eq!(imports[2].records.affected[0].purl.as_deref(), Some("pkg:apk/minimos/binutils"));
    // vuls-data-update's aactl: GHSA ids kept beside the CVEs.
    assert_eq!(fixed(&imports[3], "CVE-2024-29902", "aactl"), "0.4.12-r10");
    assert_eq!(fixed(&imports[3], "GHSA-88jx-383q-w4qc", "aactl"), "0.4.12-r10");
    let zero = imports[3].records.fix_statuses.iter().filter(|s| s.state == FixState::NotAffected).count();
    assert_eq!(zero, 4);
}

/// A sink that keeps every chunk.
#[derive(Default)]
struct Keep(Records);

impl Sink for Keep {
    fn chunk(&mut self, records: Records) -> Result<(), FeedError> {
        self.0.extend(records);
        Ok(())
    }
}

#[test]
fn amazon_updateinfo_samples_import_exactly() {
    let paths = microscanner_testkit::amazon_updateinfo_paths();
    // Per file: the ecosystem, and (affected entries, fix states, advisories): one advisory per
    // CVE, one entry per CVE and binary package name (architectures collapse).
    let expected = [
        ("Amazon Linux:1", (1, 1, 1)),
        ("Amazon Linux:2", (2, 2, 2)),
        ("Amazon Linux:2022", (8, 8, 4)),
        ("Amazon Linux:2023", (42, 42, 2)),
        ("Amazon Linux:2023:extras:kernel-livepatch", (1, 1, 1)),
        ("Amazon Linux:2023:extras:nvidia", (6, 6, 1)),
        ("Amazon Linux:2:extras:kernel-5.15", (208, 208, 13)),
    ];
    let mut imports = Vec::new();
    for (path, (ecosystem, n)) in paths.iter().zip(expected) {
        let (format, i) = import(path);
        assert_eq!(format, Format::AmazonUpdateinfo, "{}", path.display());
        assert_eq!(counts(&i), n, "{}", path.display());
        assert!(i.diagnostics.is_empty(), "{}: {:?}", path.display(), i.diagnostics);
        assert!(i.records.affected.iter().all(|a| a.ecosystem == ecosystem), "{}", path.display());
        assert!(i.records.fix_statuses.iter().all(|s| s.state == FixState::Fixed && s.ecosystem == ecosystem));
        // Streamed from the file in chunks: the same records.
        let mut sink = Keep::default();
        let location = path.display().to_string();
        let (format, rest) = detect::import_file(&location, path, &mut sink).unwrap().unwrap();
        assert_eq!(format, Format::AmazonUpdateinfo);
        sink.0.extend(rest.records);
        assert_eq!(sink.0, i.records, "{location}");
        imports.push(i);
    }
    // AL1: ALAS-2011-1, httpd-devel; its RHSA reference is not a CVE.
    assert_eq!(fixed(&imports[0], "CVE-2011-3192", "httpd-devel"), "2.2.21-1.18.amzn1");
    let adv = &imports[0].records.advisories[0];
    assert_eq!(adv.references[0].url, "https://alas.aws.amazon.com/ALAS-2011-1.html");
    // AL2: ALAS2-2018-939, kernel, critical.
    let al2 = &imports[1];
    assert_eq!(fixed(al2, "CVE-2017-5754", "kernel"), "4.9.76-38.79.amzn2");
    let adv = al2.records.advisories.iter().find(|a| a.id == "CVE-2017-5754").unwrap();
    assert_eq!(adv.related, ["ALAS2-2018-939"]);
    assert_eq!(adv.references[0].url, "https://alas.aws.amazon.com/AL2/ALAS-2018-939.html");
    assert_eq!(adv.published.as_deref(), Some("2018-01-11T21:05:00Z"));
    assert_eq!(adv.modified.as_deref(), Some("2018-01-16T01:28:00Z"));
    let sev = al2.records.severities.iter().find(|s| s.advisory_id == "CVE-2017-5754").unwrap();
    assert_eq!(
        (sev.kind, sev.value.as_str(), sev.source.as_str(), sev.scope.as_str()),
        (SeverityKind::Vendor, "critical", "amazon", "Amazon Linux:2/kernel")
    );
    assert_eq!(al2.timestamp.as_deref(), Some("2018-01-16T01:28:00Z"));
    // AL2022: vim at epoch 2.
    assert_eq!(fixed(&imports[2], "CVE-2021-3875", "vim-common-debuginfo"), "2:8.2.3512-1.amzn2022");
    // AL2023: ALAS2023-2023-001, rsyslog and its 20 subpackages, "Important".
    let al2023 = &imports[3];
    assert_eq!(fixed(al2023, "CVE-2022-24903", "rsyslog"), "8.2204.0-3.amzn2023.0.2");
    assert_eq!(fixed(al2023, "CVE-2014-3634", "rsyslog-openssl"), "8.2204.0-3.amzn2023.0.2");
    let adv = al2023.records.advisories.iter().find(|a| a.id == "CVE-2014-3634").unwrap();
    assert_eq!(
        adv.summary.as_deref(),
        Some("Amazon Linux 2023 - ALAS2023-2023-001: Important priority package update for rsyslog")
    );
    assert_eq!(adv.references[0].url, "https://alas.aws.amazon.com/AL2023/ALAS-2023-001.html");
    let st = al2023.records.fix_statuses.iter().find(|s| s.name == "rsyslog").unwrap();
    assert_eq!((st.urgency.as_deref(), st.note.as_deref()), (Some("important"), Some("ALAS2023-2023-001")));
    // Extras: their own streams.
    assert_eq!(fixed(&imports[6], "CVE-2022-0500", "kernel"), "5.15.43-20.123.amzn2");
}

#[test]
fn the_vendor_directory_layouts_build_a_database() {
    // `db build --from` over the vendors' directories as the fixtures hold them: vunnel's
    // provider inputs (`<vendor>/test-fixtures/input/secdb/security.json`, beside OSV files for
    // Chainguard) and vuls-data-update's Amazon fixtures directory, whose two broken files are
    // diagnostics naming them.
    let vunnel = fixtures().join("feeds-vunnel-fixtures/tests/unit/providers");
    let amazon = fixtures().join("feeds-vuls-data-update-fixtures/pkg/fetch/amazon/testdata/fixtures");
    let roots = vec![vunnel.join("wolfi"), vunnel.join("chainguard"), vunnel.join("minimos"), amazon];
    let inputs = collect_inputs(&roots).unwrap();
    assert!(inputs.iter().any(|i| i.path.ends_with("updateinfo_2023.xml.gz")));
    assert!(!inputs.iter().any(|i| i.path.ends_with("repomd_valid.xml")), "only updateinfo XML is a feed");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let target = dir.path().join("vendors.db");
    let report = build(&target, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
    let broken: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.location.contains("updateinfo_invalid"))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(broken[0].contains("updateinfo_invalid_xml.xml.gz: ") && broken[0].contains("no <updates>"), "{broken:?}");
    let kinds: Vec<_> =
        report.sources.iter().map(|s| (s.name.rsplit('/').next().unwrap().to_owned(), s.kind.clone())).collect();
    assert!(kinds.contains(&("fixtures".to_owned(), "amazon-updateinfo".to_owned())), "{kinds:?}");
    assert!(kinds.contains(&("wolfi".to_owned(), "vendor-secdb".to_owned())), "{kinds:?}");
    let db = Database::open(&target).unwrap();
    let rsyslog = db.affected("Amazon Linux:2023", "rsyslog").unwrap();
    let ids: Vec<&str> = rsyslog.iter().map(|a| a.advisory_id.as_str()).collect();
    assert_eq!(ids, ["CVE-2014-3634", "CVE-2022-24903"]);
    assert_eq!(db.affected("Wolfi", "openssl").unwrap().len(), 3);
    assert_eq!(db.affected("MinimOS", "openssl").unwrap().len(), 3);
    // The extras' kernel is not the core release's.
    assert!(db.affected("Amazon Linux:2", "kernel").unwrap().iter().all(|a| a.advisory_id.starts_with("CVE-2017-57")));
    assert_eq!(db.affected("Amazon Linux:2:extras:kernel-5.15", "kernel").unwrap().len(), 13);
}

/// The (ecosystem, name, introduced, fixed or last affected) of `id`'s entries, sorted.
fn entries(i: &Import, id: &str) -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = i
        .records
        .affected
        .iter()
        .filter(|a| a.advisory_id == id)
        .map(|a| {
            let events = &a.ranges[0]["events"];
            let end = events[1].as_object().unwrap().iter().next().map(|(k, v)| format!("{k} {}", v.as_str().unwrap()));
            (a.ecosystem.clone(), a.name.clone(), events[0]["introduced"].as_str().unwrap().to_owned(), end.unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn oracle_elsa_oval_samples_import_exactly() {
    use microscanner_feeds::oracle;
    let paths = microscanner_testkit::vendor_oval_paths();
    // (affected, fix states, advisories): one advisory per CVE, an entry per binary package.
    let expected = [(40, 40, 6), (12, 12, 2), (32, 32, 6)];
    let mut imports = Vec::new();
    for (path, n) in paths[..3].iter().zip(expected) {
        let (format, i) = import(path);
        assert_eq!(format, Format::OracleOval, "{}", path.display());
        assert_eq!(counts(&i), n, "{}", path.display());
        assert!(i.diagnostics.is_empty(), "{:?}", i.diagnostics);
        assert!(i.records.advisories.iter().all(|a| a.source == oracle::SOURCE));
        imports.push(i);
    }
    let plain = &imports[0];
    assert_eq!(plain.timestamp.as_deref(), Some("2018-10-12T00:00:00Z"));
    let bind = entries(plain, "CVE-2007-0493");
    assert_eq!(bind.len(), 8);
    assert!(bind.contains(&("Oracle Linux:5".into(), "bind".into(), "0".into(), "fixed 30:9.3.3-8.el5".into())));
    let a = plain.records.advisories.iter().find(|a| a.id == "CVE-2007-0493").unwrap();
    assert_eq!(a.related, ["ELSA-2007-0057"]);
    assert_eq!(a.published.as_deref(), Some("2007-06-26"));
    assert_eq!(a.references[0].url, "http://linux.oracle.com/errata/ELSA-2007-0057.html");
    assert_eq!(a.summary.as_deref(), Some("ELSA-2007-0057:  Moderate: bind security update  (MODERATE)"));
    let s = plain.records.severities.iter().find(|s| s.advisory_id == "CVE-2007-0493").unwrap();
    assert_eq!((s.value.as_str(), s.source.as_str(), s.scope.as_str()), ("moderate", "oracle", "Oracle Linux:5/bind"));
    // UEK: its own package names, a `0:` epoch left out.
    assert!(entries(plain, "CVE-2018-7492").contains(&(
        "Oracle Linux:6".into(),
        "kernel-uek".into(),
        "0".into(),
        "fixed 2.6.39-400.302.2.el6uek".into()
    )));
    // Ksplice fixes are a stream of their own.
    let ksplice = entries(&imports[1], "CVE-2021-3449");
    assert_eq!(ksplice.len(), 6);
    assert!(ksplice.iter().all(|e| e.0 == "Oracle Linux:8:ksplice1"), "{ksplice:?}");
    assert!(ksplice.contains(&(
        "Oracle Linux:8:ksplice1".into(),
        "openssl-libs".into(),
        "0".into(),
        "fixed 2:1.1.1g-15.ksplice1.el8_3".into()
    )));
    // Per architecture: the lowest fixed build (x86_64's) for rsyslog; OL10 firefox.
    let per_arch = &imports[2];
    assert!(entries(per_arch, "CVE-2022-24903").contains(&(
        "Oracle Linux:7".into(),
        "rsyslog".into(),
        "0".into(),
        "fixed 8.24.0-57.0.1.el7_9.3".into()
    )));
    assert_eq!(
        entries(per_arch, "CVE-2025-6424"),
        [("Oracle Linux:10".into(), "firefox".into(), "0".into(), "fixed 128.12.0-1.0.1.el10_0".into())]
    );
    assert!(entries(per_arch, "CVE-2024-2307").contains(&(
        "Oracle Linux:8".into(),
        "osbuild".into(),
        "0".into(),
        "fixed 110-1.el8".into()
    )));
    // Streaming gives the same records.
    let mut sink = Keep::default();
    let (_, rest) = detect::import_file("mock_data", &paths[0], &mut sink).unwrap().unwrap();
    assert_eq!(sink.0.affected.len() + rest.records.affected.len(), 40);
}

/// Oracle publishes its OVAL only bzip2-compressed (`com.oracle.elsa-all.xml.bz2`): the real
/// sample compressed by the real `bzip2` gives, streamed or in memory, exactly the plain file's
/// records; a damaged stream and a bzip2 file of something else are one-line errors naming the
/// file.
#[test]
fn oracle_oval_reads_bzip2_compressed_as_published() {
    let plain = &microscanner_testkit::vendor_oval_paths()[0];
    let dir = tempfile::tempdir().unwrap();
    let compressed = dir.path().join("com.oracle.elsa-all.xml.bz2");
    let out = std::process::Command::new("bzip2").arg("-c").arg(plain).output().expect("bzip2 (the real tool) runs");
    assert!(out.status.success());
    assert!(out.stdout.len() < std::fs::metadata(plain).unwrap().len() as usize / 2, "compressed");
    std::fs::write(&compressed, &out.stdout).unwrap();
    assert!(microscanner_feeds::oracle::is_elsa_name("com.oracle.elsa-all.xml.bz2"));

    let (_, expected) = import(plain);
    let mut sink = Keep::default();
    let (format, rest) = detect::import_file("com.oracle.elsa-all.xml.bz2", &compressed, &mut sink).unwrap().unwrap();
    assert_eq!(format, Format::OracleOval);
    let mut streamed = sink.0;
    streamed.extend(rest.records);
    assert_eq!(counts_of(&streamed), counts(&expected));
    assert_eq!(streamed.affected, expected.records.affected);
    let (format, in_memory) = detect::import_bytes("com.oracle.elsa-all.xml.bz2", &out.stdout).unwrap().unwrap();
    assert_eq!((format, counts(&in_memory)), (Format::OracleOval, counts(&expected)));

    // cut in the middle: the error names the file
    let cut = dir.path().join("cut.xml.bz2");
    std::fs::write(&cut, &out.stdout[..out.stdout.len() / 2]).unwrap();
    let err = detect::import_file("com.oracle.elsa-ol9.xml.bz2", &cut, &mut Keep::default()).unwrap_err().to_string();
    assert!(err.starts_with("com.oracle.elsa-ol9.xml.bz2: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // bzip2 of something that is not OVAL
    let other = dir.path().join("notes.bz2");
    let out = std::process::Command::new("bash").arg("-c").arg("echo hello | bzip2 -c").output().unwrap();
    std::fs::write(&other, &out.stdout).unwrap();
    let err = detect::import_file("notes.bz2", &other, &mut Keep::default()).unwrap_err().to_string();
    assert!(err.contains("not Oracle's or Microsoft's OVAL"), "{err}");
}

/// (affected entries, fix states, advisories) of records.
fn counts_of(r: &Records) -> (usize, usize, usize) {
    (r.affected.len(), r.fix_statuses.len(), r.advisories.len())
}

#[test]
fn mariner_and_azure_linux_oval_samples_import_exactly() {
    use microscanner_feeds::mariner;
    let paths = microscanner_testkit::vendor_oval_paths();
    let (format, m) = import(&paths[3]);
    assert_eq!(format, Format::MarinerOval);
    // 5 definitions; glibc CVE-2023-0687 is "Not Applicable".
    assert_eq!(counts(&m), (4, 4, 4));
    assert!(m.records.advisories.iter().all(|a| a.source == mariner::SOURCE));
    assert!(!m.records.affected.iter().any(|a| a.name == "glibc"));
    assert_eq!(m.diagnostics.len(), 1, "{:?}", m.diagnostics);
    assert_eq!(
        entries(&m, "CVE-2023-29404"),
        [("CBL-Mariner:2.0".into(), "golang".into(), "1.19.0.cm2".into(), "fixed 1.20.7-1.cm2".into())]
    );
    assert_eq!(
        entries(&m, "CVE-2022-3736"),
        [("CBL-Mariner:2.0".into(), "bind".into(), "0".into(), "last_affected 9.16.33-1.cm2".into())]
    );
    let st = m.records.fix_statuses.iter().find(|s| s.advisory_id == "CVE-2022-3736").unwrap();
    assert_eq!((st.state, st.fixed_version.as_deref()), (FixState::Unfixed, None));
    let s = m.records.severities.iter().find(|s| s.advisory_id == "CVE-2023-21980").unwrap();
    assert_eq!((s.value.as_str(), s.kind, s.scope.as_str()), ("high", SeverityKind::Vendor, "CBL-Mariner:2.0/mysql"));
    assert_eq!(m.timestamp.as_deref(), Some("2023-05-11T12:02:01.195098043Z"));
    let (format, az) = import(&paths[4]);
    assert_eq!(format, Format::MarinerOval);
    assert_eq!(counts(&az), (3, 3, 3));
    assert!(az.diagnostics.is_empty(), "{:?}", az.diagnostics);
    assert_eq!(
        entries(&az, "CVE-2024-24258"),
        [("Azure Linux:3.0".into(), "freeglut".into(), "0".into(), "fixed 3.4.0-1.azl3".into())]
    );
}

#[test]
fn photon_cve_metadata_samples_import_exactly() {
    use microscanner_feeds::photon;
    let paths = microscanner_testkit::photon_cve_paths();
    let (format, p1) = import(&paths[0]);
    assert_eq!(format, Format::PhotonCve);
    // perl CVE-2016-1238; linux and linux-esx CVE-2016-9178: two advisories, three packages
    assert_eq!(counts(&p1), (3, 3, 2));
    assert!(p1.records.affected.iter().all(|a| a.ecosystem == "Photon OS:1.0"));
    assert_eq!(fixed(&p1, "CVE-2016-9178", "linux-esx"), "4.4.31-2.ph1");

    let (_, p4) = import(&paths[1]);
    // 7 entries: httpd "Not Affected" gives a fix state only; python3 "Fixed" with no version
    // (`NA`) is skipped with a diagnostic, and with it CVE-2023-50447, its only entry
    assert_eq!(counts(&p4), (5, 6, 4));
    assert!(p4.records.advisories.iter().all(|a| a.source == photon::SOURCE));
    assert_eq!(p4.diagnostics.len(), 1, "{:?}", p4.diagnostics);
    assert!(p4.diagnostics[0].message.contains("python3"), "{:?}", p4.diagnostics);
    assert_eq!(fixed(&p4, "CVE-2023-38546", "curl-libs"), "7.88.1-4.ph4");
    let httpd = p4.records.fix_statuses.iter().find(|s| s.name == "httpd").unwrap();
    assert_eq!((httpd.advisory_id.as_str(), httpd.state), ("CVE-2023-44487", FixState::NotAffected));
    assert!(!p4.records.affected.iter().any(|a| a.name == "httpd"));
    let curl = p4.records.severities.iter().find(|s| s.advisory_id == "CVE-2023-38545").unwrap();
    assert_eq!(
        (curl.kind, curl.value.as_str(), curl.score, curl.source.as_str()),
        (SeverityKind::Vendor, "critical", Some(9.8), photon::RATER)
    );
    // streamed from disk as read whole
    let mut sink = Keep::default();
    let (format, rest) = detect::import_file("cve_data_photon4.0.json", &paths[1], &mut sink).unwrap().unwrap();
    assert_eq!(format, Format::PhotonCve);
    assert_eq!(sink.0.affected.len() + rest.records.affected.len(), 5);
    // the release is the file name's: any other name is refused, not guessed
    let bytes = std::fs::read(&paths[1]).unwrap();
    assert!(photon::parse(&bytes, "cve_data.json").is_err());
}
