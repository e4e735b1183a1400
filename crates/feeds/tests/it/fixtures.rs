//! Builds one database from every feed under `../shared/fixtures` and checks it against the files.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)] // tests may unwrap, panic and report figures

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use microscanner_feeds::build::{BuildOptions, BuildReport, NoProgress, build, collect_inputs};
use microscanner_vulndb::{Database, FixState, SeverityKind};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

struct Built {
    path: PathBuf,
    report: BuildReport,
    seconds: f64,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("feeds-fixtures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("microscanner.db");
        let inputs = collect_inputs(&microscanner_testkit::fixture_feed_paths()).unwrap();
        let started = Instant::now();
        let report = build(&target, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "built {} files in {seconds:.2}s, {} bytes, {:?}",
            report.files,
            std::fs::metadata(&target).unwrap().len(),
            report.written
        );
        Built { path: target, report, seconds }
    })
}

fn db() -> Database {
    Database::open(&built().path).unwrap()
}

fn source_records(name_ends: &str) -> u64 {
    let meta = db().metadata().unwrap();
    meta.sources.iter().find(|s| s.name.ends_with(name_ends)).unwrap_or_else(|| panic!("no source {name_ends}")).records
}

#[test]
fn record_counts_match_the_files() {
    // One record per file in the complete OSV sets (AlmaLinux has 43 byte-identical duplicates
    // across its release directories: 5680 files, 5637 ids).
    assert_eq!(source_records("osv-go-vulndb"), 4291);
    assert_eq!(source_records("osv-rustsec"), 1206);
    assert_eq!(source_records("osv-pypi-pypa/json"), 2661);
    assert_eq!(source_records("osv-almalinux"), 5680);
    assert_eq!(source_records("DSA/list"), 5406);
    assert_eq!(source_records("DLA/list"), 3534);
    assert_eq!(source_records("known_exploited_vulnerabilities.json"), 1404);
    assert_eq!(source_records("full-page.json"), 38);
    let db = db();
    let counts = db.counts().unwrap();
    assert_eq!(counts.kev, 1404);
    let conn = rusqlite_count(&built().path, "SELECT COUNT(*) FROM advisories WHERE source = 'osv' AND id LIKE 'GO-%'");
    assert!(conn >= 4291, "{conn}");
    let alma = rusqlite_count(&built().path, "SELECT COUNT(*) FROM advisories WHERE id LIKE 'AL_A-%'");
    assert!(alma >= 5637, "{alma}");
    assert_eq!(rusqlite_count(&built().path, "SELECT COUNT(*) FROM advisories WHERE source = 'debian-dsa'"), 5406);
    // Four DLAs (DLA-3008-1, 3012-1, 3022-1, 3051-1) came first from osv-samples' OSV records;
    // the list's entries for them are merged into those.
    assert_eq!(rusqlite_count(&built().path, "SELECT COUNT(*) FROM advisories WHERE source = 'debian-dla'"), 3530);
    let merged = db.advisory("DLA-3012-1").unwrap().unwrap();
    assert_eq!(merged.advisory.source, "osv");
    assert!(merged.fix_statuses.iter().any(|f| f.ecosystem == "Debian:9"), "{:?}", merged.fix_statuses);
    assert!(counts.epss >= 7, "{counts:?}");
    // Every ecosystem the fixtures hold is kept, including ones no matcher knows yet.
    let ecosystems: Vec<String> = db.ecosystems().unwrap().into_iter().map(|(e, _)| e).collect();
    for e in
        ["Go", "crates.io", "PyPI", "AlmaLinux:8", "AlmaLinux:9", "Maven", "npm", "Debian:11", "Alpine:v3.11", "GIT"]
    {
        assert!(ecosystems.iter().any(|x| x == e), "{e} missing from {ecosystems:?}");
    }
}

fn rusqlite_count(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_pysec_record_field_by_field() {
    let db = db();
    let d = db.advisory("PYSEC-2023-120").unwrap().unwrap();
    assert_eq!(d.advisory.source, "osv");
    assert!(d.advisory.aliases.contains(&"CVE-2023-37276".to_owned()));
    assert!(d.advisory.aliases.contains(&"GHSA-45c4-8wx5-qw6w".to_owned()));
    assert_eq!(d.advisory.modified.as_deref(), Some("2023-07-24T14:58:05.562874Z"));
    let hits = db.affected("PyPI", "AIOHTTP").unwrap();
    let a = hits.iter().find(|a| a.advisory_id == "PYSEC-2023-120").unwrap();
    assert_eq!(a.name, "aiohttp");
    assert_eq!(a.purl.as_deref(), Some("pkg:pypi/aiohttp"));
    assert_eq!(
        a.ranges,
        serde_json::json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.8.5"}]}])
    );
    assert!(a.versions.contains(&"3.8.4".to_owned()));
    assert!(!a.versions.contains(&"3.8.5".to_owned()));
    assert!(hits.len() >= 9, "aiohttp has 9 PYSEC files: {}", hits.len());
}

#[test]
fn a_dsa_fixed_version_per_release() {
    let db = db();
    let d = db.advisory("DSA-5380-1").unwrap().unwrap();
    assert_eq!(d.advisory.published.as_deref(), Some("2023-03-29"));
    assert_eq!(d.advisory.summary.as_deref(), Some("xorg-server - security update"));
    assert_eq!(d.advisory.aliases, ["CVE-2023-1393"]);
    assert_eq!(d.fix_statuses.len(), 1);
    assert_eq!(d.fix_statuses[0].ecosystem, "Debian:11");
    assert_eq!(d.fix_statuses[0].state, FixState::Fixed);
    assert_eq!(d.fix_statuses[0].fixed_version.as_deref(), Some("2:1.20.11-1+deb11u6"));
    let hits = db.affected("Debian:11", "xorg-server").unwrap();
    let a = hits.iter().find(|a| a.advisory_id == "DSA-5380-1").unwrap();
    assert_eq!(a.ranges[0]["events"][1]["fixed"], "2:1.20.11-1+deb11u6");
    // The DLA for the same fix in buster.
    let dla = db.advisory("DLA-3372-1").unwrap().unwrap();
    assert_eq!(dla.fix_statuses[0].ecosystem, "Debian:10");
    assert_eq!(dla.fix_statuses[0].fixed_version.as_deref(), Some("2:1.20.4-1+deb10u9"));
    // A CVE finds its DSA and DLA through aliases.
    let by_alias = db.advisories_by_alias("CVE-2023-1393").unwrap();
    assert!(by_alias.contains(&"DSA-5380-1".to_owned()) && by_alias.contains(&"DLA-3372-1".to_owned()));
}

#[test]
fn debian_tracker_json_states_and_urgency() {
    let db = db();
    let st = db.fix_statuses("Debian:11", "389-ds-base").unwrap();
    let ignored = st.iter().find(|s| s.advisory_id == "CVE-2016-5416").unwrap();
    assert_eq!(ignored.state, FixState::WontFix);
    assert_eq!(ignored.note.as_deref(), Some("ignored: Minor issue"));
    let eol = db.fix_statuses("Debian:10", "chromium").unwrap();
    assert_eq!(eol.iter().find(|s| s.advisory_id == "CVE-2022-0456").unwrap().state, FixState::EndOfLife);
    let proto = db.advisory("CVE-2008-7220").unwrap();
    if let Some(p) = proto {
        assert!(p.severities.iter().any(|s| s.kind == SeverityKind::Vendor && s.source == "debian"));
    }
    let urg = db.fix_statuses("Debian:9", "prototypejs").unwrap();
    assert!(urg.iter().any(|s| s.urgency.as_deref() == Some("high**") && s.state == FixState::Fixed));
}

#[test]
fn alpine_secdb_fix() {
    let db = db();
    let hits = db.affected("Alpine:v3.11", "ansible").unwrap();
    let a = hits.iter().find(|a| a.advisory_id == "CVE-2019-14904").unwrap();
    assert_eq!(a.ranges[0]["events"][1]["fixed"], "2.9.3-r0");
    // The same CVE in another release file is merged into one advisory, not dropped.
    assert!(!db.affected("Alpine:v3.16", "apache2").unwrap().is_empty());
}

#[test]
fn kev_flag_and_epss_score() {
    let db = db();
    let kev = db.kev("CVE-2025-48384").unwrap().unwrap();
    assert_eq!(kev.date_added.as_deref(), Some("2025-08-25"));
    assert_eq!(kev.vendor.as_deref(), Some("Git"));
    assert!(db.kev("CVE-1999-0001").unwrap().is_none());
    // Log4Shell: the GHSA advisory carries the KEV flag of its CVE alias.
    let log4j = db.advisory("GHSA-jfh8-c2jp-5v3q").unwrap().unwrap();
    assert!(log4j.advisory.aliases.contains(&"CVE-2021-44228".to_owned()));
    assert_eq!(log4j.kev.unwrap().cve_id, "CVE-2021-44228");
    // EPSS: four historical layouts of the same CVE; the newest score date wins.
    let e = db.epss("CVE-2020-5902").unwrap().unwrap();
    assert_eq!(e.score, 0.97567);
    assert_eq!(e.percentile, Some(0.99995));
    assert_eq!(e.date.as_deref(), Some("2023-03-07"));
    let e = db.epss("CVE-1999-0002").unwrap().unwrap();
    assert_eq!(e.score, 0.01328);
    assert_eq!(e.date.as_deref(), Some("2025-02-20"));
}

#[test]
fn cvss_vectors_and_base_scores() {
    let db = db();
    let d = db.advisory("CVE-2023-27314").unwrap().unwrap();
    let nvd = d.severities.iter().find(|s| s.source == "nvd@nist.gov").unwrap();
    assert_eq!(nvd.kind, SeverityKind::CvssV3);
    assert_eq!(nvd.value, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
    assert_eq!(nvd.score, Some(7.5));
    assert_eq!(d.advisory.published.as_deref(), Some("2023-10-12T19:15:11.747"));
    assert!(d.advisory.cwes.contains(&"CWE-400".to_owned()));
    let d = db.advisory("CVE-2021-29913").unwrap().unwrap();
    let ibm = d.severities.iter().find(|s| s.source == "psirt@us.ibm.com").unwrap();
    assert_eq!(ibm.score, Some(6.5));
    // Every CVSS score NVD publishes agrees with the score computed from its vector.
    let conn =
        rusqlite::Connection::open_with_flags(&built().path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT s.value ->> 1, s.value ->> 2 FROM advisories a, json_each(a.severities) s \
             WHERE a.source = 'nvd' AND s.value ->> 0 LIKE 'CVSS%'",
        )
        .unwrap();
    let rows: Vec<(String, f64)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert!(rows.len() > 50, "{}", rows.len());
    for (vector, score) in rows {
        assert_eq!(microscanner_vulndb::cvss_base_score(&vector), Some(score), "{vector}");
    }
    // OSV vectors without a published score get one computed.
    let go = db.advisory("GHSA-jfh8-c2jp-5v3q").unwrap().unwrap();
    let v3 = go.severities.iter().find(|s| s.kind == SeverityKind::CvssV3).unwrap();
    assert_eq!(v3.score, Some(10.0));
}

#[test]
fn bad_inputs_are_diagnostics_not_failures() {
    let report = &built().report;
    // The fixtures hold JSON that is not a feed (govulncheck index, KEV schema...) and they are
    // reported, not fatal.
    assert!(report.skipped > 0);
    assert!(report.diagnostics.iter().any(|d| d.message.contains("not a feed format")));
    assert!(report.written.duplicates >= 43, "{:?}", report.written);
}

#[test]
fn build_is_fast_enough() {
    let b = built();
    assert!(b.report.files > 13_900, "{}", b.report.files);
    // Target: under 10 s for the ~15,000 OSV records on the 2-core CI machine (debug builds of
    // this crate still run deps at opt-level 2). Generous here; the benchmark reports the figure.
    assert!(b.seconds < 60.0, "{}", b.seconds);
}

#[test]
fn ecosystem_filter_keeps_only_what_was_asked() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("feeds-filter-{}", std::process::id()));
    let target = dir.join("x.db");
    let f = fixtures();
    let inputs = collect_inputs(&[
        f.join("osv-rustsec"),
        f.join("osv-ghsa-subset"),
        f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"),
    ])
    .unwrap();
    let options = BuildOptions { ecosystems: Some(vec!["rust".into(), "debian".into()]), strict: false };
    build(&target, &inputs, &options, &NoProgress).unwrap();
    let db = Database::open(&target).unwrap();
    let ecos: Vec<String> = db.ecosystems().unwrap().into_iter().map(|(e, _)| e).collect();
    assert!(ecos.iter().all(|e| e == "crates.io" || e.starts_with("Debian:")), "{ecos:?}");
    assert!(ecos.contains(&"crates.io".to_owned()));
    assert!(db.advisory("GHSA-jfh8-c2jp-5v3q").unwrap().is_none(), "a Maven-only advisory is dropped");
    std::fs::remove_dir_all(dir).ok();
}
