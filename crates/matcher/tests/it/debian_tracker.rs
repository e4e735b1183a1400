//! The Debian oracle: real dpkg status files matched against the database built from the real
//! `data/DSA/list` and `data/DLA/list`, compared with the expectation computed independently from
//! the same lists by the real `dpkg` comparator (Perl's `Dpkg::Version`, one batch process).
//!
//! The fixtures hold no complete Debian 9/10/11 status file: the one full-size status file is
//! Ubuntu 18.04's (trivy's `valid.txtar`, 90 installed packages: bionic was branched from the
//! Debian of the buster cycle, its source packages are named as Debian's), and the Debian ones are
//! small (scalibr's Debian 10 `iceweasel` from `firefox-esr 78.13.0esr-1~deb10u1`, syft's bookworm
//! `status.d` stanzas). All of them are matched as Debian 9, 10 and 11: this is a differential test
//! of the matching rules (source-name mapping, binNMU source versions, dpkg ordering, per-release
//! fix overrides), and each release gives different expectations.
#![allow(clippy::unwrap_used, clippy::print_stderr)]
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

use common::{db, inventory, os};
use microscanner_matcher::match_inventory;
use microscanner_model::{Package, PackageKind};

const RELEASES: [(&str, &str); 3] = [("stretch", "9"), ("buster", "10"), ("bullseye", "11")];

/// One `[release] - package what` line of an advisory.
struct Line {
    advisory: String,
    release: String,
    source: String,
    /// A version, or `<unfixed>`, `<not-affected>`...
    what: String,
}

fn list_lines() -> Vec<Line> {
    let dir = microscanner_testkit::fixtures_dir().join("debian-security-tracker/CVEDB-mirror/data");
    let mut out = Vec::new();
    for list in ["DSA/list", "DLA/list"] {
        let text = std::fs::read_to_string(dir.join(list)).unwrap();
        let mut advisory = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix('[') {
                // `[29 Mar 2023] DSA-5380-1 xorg-server - security update`
                advisory = rest.split_once(']').unwrap().1.split_whitespace().next().unwrap().to_owned();
            } else if let Some(rest) = line.trim_start().strip_prefix('[')
                && line.starts_with(char::is_whitespace)
            {
                // `\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6`
                let (release, rest) = rest.split_once(']').unwrap();
                let mut words = rest.trim_start().trim_start_matches('-').split_whitespace();
                let (Some(source), Some(what)) = (words.next(), words.next()) else { continue };
                out.push(Line {
                    advisory: advisory.clone(),
                    release: release.to_owned(),
                    source: source.to_owned(),
                    what: what.to_owned(),
                });
            }
        }
    }
    out
}

/// The status files: (name, bytes).
fn status_files() -> Vec<(String, Vec<u8>)> {
    let f = microscanner_testkit::fixtures_dir();
    let txtar =
        std::fs::read_to_string(f.join("pkgdb-trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar")).unwrap();
    let status = txtar.split_once("-- var/lib/dpkg/status --\n").unwrap().1;
    let status = status.split("\n-- ").next().unwrap();
    let mut files = vec![("trivy valid.txtar (Ubuntu 18.04)".to_owned(), status.as_bytes().to_vec())];
    for path in [
        "pkgdb-osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/transitional",
        "pkgdb-osv-scalibr/extractor/filesystem/os/dpkg/testdata/dpkg/valid",
        "pkgdb-syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d/coreutils-relationships",
        "pkgdb-syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d/libpam-runtime",
    ] {
        files.push((path.to_owned(), std::fs::read(f.join(path)).unwrap()));
    }
    files
}

fn packages() -> Vec<Package> {
    let mut all = Vec::new();
    for (name, bytes) in status_files() {
        let (packages, _) = microscanner_catalog::dpkg::parse_status(&bytes, &format!("/{name}"), false);
        assert!(!packages.is_empty(), "{name}");
        all.extend(packages);
    }
    all
}

fn source_of(p: &Package) -> (&str, &str) {
    (p.source_name().unwrap_or(&p.name), p.source_version().unwrap_or(&p.version))
}

/// A batch of dpkg comparisons in one Perl process: `cmp A B` answers -1/0/1, `max V...` the
/// highest. `None` when Perl's `Dpkg::Version` is missing (a failure under CI).
struct Dpkg {
    answers: Vec<String>,
}

impl Dpkg {
    fn run(queries: &[String]) -> Option<Self> {
        const SCRIPT: &str = r#"
use strict; use warnings; use Dpkg::Version;
$| = 1;
while (my $line = <STDIN>) {
    chomp $line;
    my ($op, @v) = split /\t/, $line;
    if ($op eq 'cmp') { print version_compare($v[0], $v[1]), "\n"; }
    else { my @s = sort { version_compare($a, $b) } @v; print $s[-1], "\n"; }
}
"#;
        let child = Command::new("perl")
            .arg("-e")
            .arg(SCRIPT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                assert!(!common::ci(), "CI: perl is required: {e}");
                eprintln!("note: perl not available ({e}); Debian oracle skipped");
                return None;
            }
        };
        let mut input = queries.join("\n");
        input.push('\n');
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!common::ci(), "CI: perl with Dpkg::Version is required: {err}");
            eprintln!("note: perl Dpkg::Version not usable ({err}); Debian oracle skipped");
            return None;
        }
        let answers: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
        assert_eq!(answers.len(), queries.len());
        Some(Self { answers })
    }
}

/// (package name, advisory) pairs.
type Pairs = BTreeSet<(String, String)>;

/// What the lists imply for `packages` in `release`, decided by dpkg: a package whose source has
/// a line `[release] - source VERSION` is affected when its source version is lower; a line with
/// `<unfixed>`, `<no-dsa>`, `<end-of-life>`... makes it affected at any version, `<not-affected>`
/// never.
fn expected(lines: &[&Line], packages: &[Package]) -> Option<Pairs> {
    let mut queries = Vec::new();
    let mut pending = Vec::new();
    let mut out = Pairs::new();
    for line in lines {
        for p in packages.iter().filter(|p| source_of(p).0 == line.source) {
            match line.what.as_str() {
                "<not-affected>" => {}
                w if w.starts_with('<') => {
                    out.insert((p.name.to_string(), line.advisory.clone()));
                }
                fixed => {
                    queries.push(format!("cmp\t{}\t{fixed}", source_of(p).1));
                    pending.push((p.name.to_string(), line.advisory.clone()));
                }
            }
        }
    }
    let dpkg = Dpkg::run(&queries)?;
    for (answer, pair) in dpkg.answers.iter().zip(pending) {
        if answer == "-1" {
            out.insert(pair);
        }
    }
    Some(out)
}

/// The DSA/DLA ids of the Debian findings, per package.
fn found(findings: &[microscanner_model::Finding]) -> Pairs {
    findings
        .iter()
        .flat_map(|f| f.ids().map(move |id| (f.package.name.clone(), id.to_owned())))
        .filter(|(_, id)| id.starts_with("DSA-") || id.starts_with("DLA-"))
        .collect()
}

#[test]
fn debian_findings_match_the_dsa_and_dla_lists() {
    let lines = list_lines();
    assert!(lines.len() > 10_000, "{}", lines.len());
    let packages = packages();
    assert!(packages.len() > 100, "{}", packages.len());
    let db = db();
    for (codename, number) in RELEASES {
        let ecosystem = format!("Debian:{number}");
        let of_release: Vec<&Line> = lines.iter().filter(|l| l.release == codename).collect();
        let Some(want) = expected(&of_release, &packages) else { return };
        let inv = inventory(Some(os("debian", number, &ecosystem)), packages.clone());
        let out = match_inventory(&db, &inv).unwrap();
        let got = found(&out.findings);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        eprintln!("{ecosystem}: {} expected DSA/DLA pairs, {} found", want.len(), got.len());
        assert!(missing.is_empty(), "{ecosystem}: expected but not reported: {missing:?}");
        assert!(extra.is_empty(), "{ecosystem}: reported but not implied by the lists: {extra:?}");
        assert!(!want.is_empty(), "{ecosystem}: the oracle should expect something");
        // Every Debian finding is keyed by the source, reported against the binary.
        for f in &out.findings {
            assert_eq!(f.matched.ecosystem, ecosystem);
            let p = packages.iter().find(|p| p.name == f.package.name && p.version == f.package.version).unwrap();
            assert_eq!(f.matched.name, source_of(p).0);
            assert_eq!(f.matched.version, source_of(p).1);
            assert_eq!(f.package.source_name.is_some(), f.matched.name != f.package.name);
        }
        assert!(out.coverage.complete);
    }
}

#[test]
fn current_packages_get_no_dsa_or_dla_findings() {
    let lines = list_lines();
    let packages = packages();
    let db = db();
    for (codename, number) in RELEASES {
        let ecosystem = format!("Debian:{number}");
        // The highest fixed version of each source in this release, by dpkg.
        let mut fixed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for l in lines.iter().filter(|l| l.release == codename && !l.what.starts_with('<')) {
            fixed.entry(&l.source).or_default().push(&l.what);
        }
        let queries: Vec<String> = fixed.values().map(|v| format!("max\t{}", v.join("\t"))).collect();
        let Some(dpkg) = Dpkg::run(&queries) else { return };
        let newest: BTreeMap<&str, &str> = fixed.keys().copied().zip(dpkg.answers.iter().map(String::as_str)).collect();
        let mut current = Vec::new();
        for p in &packages {
            let mut p = p.clone();
            if let Some(v) = newest.get(source_of(&p).0) {
                p.version = (*v).into();
                p.set_source_version(Some((*v).into()));
            }
            current.push(p);
        }
        let changed = current.iter().zip(&packages).filter(|(a, b)| a.version != b.version).count();
        assert!(changed > 5, "{ecosystem}: only {changed} packages have advisories");
        let inv = inventory(Some(os("debian", number, &ecosystem)), current);
        let out = match_inventory(&db, &inv).unwrap();
        // `<unfixed>`-style lines still apply at any version; there are none for these releases.
        let unfixed =
            lines.iter().any(|l| l.release == codename && l.what.starts_with('<') && l.what != "<not-affected>");
        let got = found(&out.findings);
        if !unfixed {
            assert!(got.is_empty(), "{ecosystem}: {got:?}");
        }
    }
}

#[test]
fn binnmu_and_source_mapping_on_a_real_stanza() {
    // trivy's `liblzma5`: `Source: xz-utils (5.1.1alpha+20120614-2)`, version
    // `5.1.1alpha+20120614-2+b3` (a binNMU). DLA-2977-1 fixed xz-utils in stretch in
    // 5.2.2-1.2+deb9u1: matched as xz-utils at the source version, reported against the binary.
    let packages = packages();
    let p = packages.iter().find(|p| p.name == "liblzma5").unwrap();
    assert_eq!(source_of(p), ("xz-utils", "5.1.1alpha+20120614-2"));
    let inv = inventory(Some(os("debian", "9", "Debian:9")), vec![p.clone()]);
    let out = match_inventory(&db(), &inv).unwrap();
    let f = out.findings.iter().find(|f| f.matched.advisories.contains(&"DLA-2977-1".to_owned())).unwrap();
    assert_eq!(f.id, "CVE-2022-1271");
    assert_eq!((f.package.name.as_str(), f.package.version.as_str()), ("liblzma5", "5.1.1alpha+20120614-2+b3"));
    assert_eq!(f.package.source_name.as_deref(), Some("xz-utils"));
    assert_eq!((f.matched.name.as_str(), f.matched.version.as_str()), ("xz-utils", "5.1.1alpha+20120614-2"));
    assert_eq!(f.fix.versions, ["5.2.2-1.2+deb9u1"]);
    assert_eq!(f.package.kind, PackageKind::Deb);
}
