//! Language packages against the real OSV fixtures (PyPA, RustSec, Go vulndb, GHSA).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stderr)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::{db, inventory, pkg};
use microscanner_matcher::{MatchOutput, match_inventory};
use microscanner_model::{Finding, FixState, PackageKind, Severity};

fn run(packages: Vec<microscanner_model::Package>) -> MatchOutput {
    match_inventory(&db(), &inventory(None, packages)).unwrap()
}

fn of<'a>(out: &'a MatchOutput, name: &str) -> Vec<&'a Finding> {
    out.findings.iter().filter(|f| f.package.name == name).collect()
}

fn with_advisory<'a>(out: &'a MatchOutput, name: &str, advisory: &str) -> &'a Finding {
    of(out, name)
        .into_iter()
        .find(|f| f.matched.advisories.iter().any(|a| a == advisory))
        .unwrap_or_else(|| panic!("{name}: no finding from {advisory}"))
}

/// `Some(PYSEC advisory → fixed versions above the installed one)` from the independent oracle
/// (`microscanner_testkit::osv_oracle`: OSV evaluation in Python with `packaging`), `None` when
/// Python or `packaging` is missing (a failure under CI).
fn pysec_oracle(name: &str, version: &str) -> Option<BTreeMap<String, Vec<String>>> {
    let root = microscanner_testkit::fixtures_dir().join("osv-pypi-pypa/json");
    let hits = microscanner_testkit::osv_oracle(&[root], &[("PyPI".into(), name.into(), version.into())])?;
    Some(hits.into_iter().filter(|h| h.id.starts_with("PYSEC-")).map(|h| (h.id, h.fixed_above)).collect())
}

fn check_against_oracle(out: &MatchOutput, name: &str, version: &str) {
    let Some(expected) = pysec_oracle(name, version) else { return };
    let found: BTreeSet<&str> = of(out, name)
        .iter()
        .flat_map(|f| f.matched.advisories.iter().map(String::as_str))
        .filter(|a| a.starts_with("PYSEC-"))
        .collect();
    let want: BTreeSet<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(found, want, "{name} {version}: PYSEC advisories differ from packaging's verdict");
    for (id, fixes) in &expected {
        let f = with_advisory(out, name, id);
        if f.matched.advisories.len() == 1 {
            // Same versions, compared as PEP 440 versions (the oracle prints normalised forms).
            let norm = |v: &str| pep440(v);
            let got: Vec<String> = f.fix.versions.iter().map(|v| norm(v)).collect();
            let want: Vec<String> = fixes.iter().map(|v| norm(v)).collect();
            assert_eq!(got, want, "{name} {version} {id}");
        }
    }
}

/// PEP 440 normal form of the simple release versions these advisories use (`2.2.10`).
fn pep440(v: &str) -> String {
    v.trim().to_ascii_lowercase()
}

#[test]
fn pypi_django_and_requests_get_their_pysec_advisories() {
    let out = run(vec![pkg(PackageKind::Pypi, "Django", "2.2.0"), pkg(PackageKind::Pypi, "requests", "2.19.0")]);
    // Spot checks, read from the PyPA files.
    let f = with_advisory(&out, "requests", "PYSEC-2018-28");
    assert_eq!(f.id, "CVE-2018-18074");
    assert!(f.aliases.contains(&"PYSEC-2018-28".to_owned()) && f.aliases.contains(&"GHSA-x84v-xcm2-53pg".to_owned()));
    assert_eq!((f.fix.state, f.fix.versions.as_slice()), (FixState::Fixed, &["2.20.0".to_owned()][..]));
    assert_eq!(f.primary_url.as_deref(), Some("https://osv.dev/vulnerability/PYSEC-2018-28"));
    assert_eq!(f.matched.ecosystem, "PyPI");
    let f = with_advisory(&out, "requests", "PYSEC-2023-74");
    assert_eq!((f.id.as_str(), f.fix.versions.as_slice()), ("CVE-2023-32681", &["2.31.0".to_owned()][..]));
    let f = with_advisory(&out, "Django", "PYSEC-2019-79");
    assert_eq!((f.id.as_str(), f.fix.versions.as_slice()), ("CVE-2019-12308", &["2.2.2".to_owned()][..]));
    // Fixed on two branches: both fixes are above 2.2.0, lowest first.
    let f = with_advisory(&out, "Django", "PYSEC-2020-35");
    assert_eq!(f.fix.versions, ["2.2.10", "3.0.3"]);
    assert!(of(&out, "Django").len() >= 25, "{}", of(&out, "Django").len());
    // PyPI names are matched as PEP 503 says (Django is django in the files).
    assert_eq!(f.matched.name, "Django");
    check_against_oracle(&out, "Django", "2.2.0");
    check_against_oracle(&out, "requests", "2.19.0");
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
}

#[test]
fn crates_get_their_rustsec_advisories() {
    let out = run(vec![
        pkg(PackageKind::Cargo, "smallvec", "1.6.0"),
        pkg(PackageKind::Cargo, "time", "0.1.43"),
        pkg(PackageKind::Cargo, "regex", "1.5.4"),
    ]);
    let f = with_advisory(&out, "smallvec", "RUSTSEC-2021-0003");
    assert_eq!(f.id, "CVE-2021-25900");
    assert_eq!(f.fix.versions, ["1.6.1"]);
    // RUSTSEC-2021-0003 carries a CVSS v3 vector scoring 9.8.
    assert_eq!((f.severity, f.severity_source.as_str()), (Severity::Critical, "osv"));
    assert_eq!(f.primary_url.as_deref(), Some("https://rustsec.org/advisories/RUSTSEC-2021-0003.html"));
    assert_eq!(f.title.as_deref(), Some("Buffer overflow in SmallVec::insert_many"));
    let f = with_advisory(&out, "time", "RUSTSEC-2020-0071");
    assert_eq!(f.id, "CVE-2020-26235");
    // The advisory marks 0.2.0 to 0.2.6 unaffected and fixes the rest in 0.2.23.
    assert_eq!(f.fix.versions.first().map(String::as_str), Some("0.2.0"));
    assert_eq!(f.fix.versions.last().map(String::as_str), Some("0.2.23"));
    let f = with_advisory(&out, "regex", "RUSTSEC-2022-0013");
    assert_eq!((f.id.as_str(), f.fix.versions.as_slice()), ("CVE-2022-24713", &["1.5.5".to_owned()][..]));
    assert_eq!(f.severity, Severity::High);
}

#[test]
fn go_stdlib_gets_the_standard_library_advisories_however_spelled() {
    let catalog = run(vec![pkg(PackageKind::Golang, "stdlib", "v1.20.1")]);
    let toolchain = run(vec![pkg(PackageKind::Golang, "stdlib", "go1.20.1")]);
    let ids = |o: &MatchOutput| o.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&catalog), ids(&toolchain));
    assert!(catalog.findings.len() > 50, "{}", catalog.findings.len());
    assert!(catalog.findings.iter().all(|f| f.matched.advisories.iter().all(|a| a.starts_with("GO-"))));
    // GO-2023-1621 (CVE-2023-24532): fixed in 1.19.7 and 1.20.2; 1.20.1 needs 1.20.2.
    let f = with_advisory(&catalog, "stdlib", "GO-2023-1621");
    assert_eq!((f.id.as_str(), f.fix.versions.as_slice()), ("CVE-2023-24532", &["1.20.2".to_owned()][..]));
    assert_eq!(f.matched.version, "v1.20.1");
    assert_eq!(toolchain.findings[0].matched.version, "1.20.1");
    // GO-2022-0515 was fixed in 1.17.12 and 1.18.4: not reported for 1.20.1.
    assert!(catalog.findings.iter().all(|f| !f.matched.advisories.contains(&"GO-2022-0515".to_owned())));
    // and is reported for 1.18.1.
    let old = run(vec![pkg(PackageKind::Golang, "stdlib", "v1.18.1")]);
    assert_eq!(with_advisory(&old, "stdlib", "GO-2022-0515").fix.versions, ["1.18.4"]);
}

#[test]
fn maven_log4shell_with_kev_and_ghsa_severity() {
    let out = run(vec![pkg(PackageKind::Maven, "org.apache.logging.log4j:log4j-core", "2.14.1")]);
    let f = with_advisory(&out, "org.apache.logging.log4j:log4j-core", "GHSA-jfh8-c2jp-5v3q");
    assert_eq!(f.id, "CVE-2021-44228");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.severity_source, "ghsa");
    assert_eq!(f.primary_url.as_deref(), Some("https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"));
    let kev = f.kev.as_ref().expect("Log4Shell is on CISA's KEV list");
    assert_eq!(kev.date_added.as_deref(), Some("2021-12-10"));
    assert!(f.fix.versions.contains(&"2.15.0".to_owned()), "{:?}", f.fix.versions);
}

#[test]
fn fixed_versions_get_no_findings() {
    let out = run(vec![
        pkg(PackageKind::Pypi, "requests", "2.32.3"),
        pkg(PackageKind::Cargo, "smallvec", "1.13.2"),
        pkg(PackageKind::Cargo, "regex", "1.10.6"),
        pkg(PackageKind::Cargo, "time", "0.3.47"),
        pkg(PackageKind::Golang, "golang.org/x/text", "v0.39.0"),
    ]);
    assert!(
        out.findings.is_empty(),
        "{:#?}",
        out.findings.iter().map(|f| (&f.package.name, &f.id)).collect::<Vec<_>>()
    );
    assert_eq!(out.coverage.packages_matched, 5);
    if let Some(expected) = pysec_oracle("requests", "2.32.3") {
        assert!(expected.is_empty(), "{expected:?}");
    }
}

#[test]
fn output_is_sorted_and_deterministic() {
    let packages = vec![
        pkg(PackageKind::Cargo, "smallvec", "1.6.0"),
        pkg(PackageKind::Pypi, "Django", "2.2.0"),
        pkg(PackageKind::Golang, "stdlib", "v1.20.1"),
    ];
    let a = run(packages.clone());
    let mut reversed = packages;
    reversed.reverse();
    let b = run(reversed);
    assert_eq!(a.findings, b.findings);
    for w in a.findings.windows(2) {
        assert!(w[0].severity >= w[1].severity, "{} before {}", w[0].id, w[1].id);
    }
    assert_eq!(a.findings[0].severity, Severity::Critical);
}
