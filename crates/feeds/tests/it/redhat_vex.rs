//! Red Hat's CSAF VEX documents: the real samples (Trivy's `redhat-csaf` test data, the document
//! of CVE-2024-10041 among them, and Red Hat's document of CVE-2024-31449 with its module
//! streams) imported record by record with exact counts, `db build --from` over their directories and over Red Hat's `.tar.zst` archive of them, and hostile documents (truncated, oversized,
//! fields of the wrong JSON type) refused or diagnosed in one line naming the file and the field.

use std::path::{Path, PathBuf};

use microscanner_feeds::build::{BuildOptions, NoProgress, build, collect_inputs};
use microscanner_feeds::detect::{self, Format};
use microscanner_feeds::{Import, Sink, redhat};
use microscanner_vulndb::{Database, FixState, SeverityKind};

fn trivy(path: &str) -> PathBuf {
    microscanner_testkit::fixtures_dir().join("feeds-trivy-db-fixtures/pkg/vulnsrc/redhat-csaf/testdata").join(path)
}

fn import(path: &Path) -> Import {
    let bytes = std::fs::read(path).unwrap();
    let (format, import) = detect::import_bytes(&path.display().to_string(), &bytes).unwrap().unwrap();
    assert_eq!(format, Format::RedHatVex, "{}", path.display());
    import
}

/// (ecosystem, name, state, fixed version, note) of one fix state.
type Row = (String, String, FixState, Option<String>, Option<String>);

/// Every fix state of an import as a [`Row`], sorted.
fn states(i: &Import) -> Vec<Row> {
    let mut v: Vec<_> = i
        .records
        .fix_statuses
        .iter()
        .map(|s| (s.ecosystem.clone(), s.name.clone(), s.state, s.fixed_version.clone(), s.note.clone()))
        .collect();
    v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    v
}

/// (fixed, unfixed or otherwise open, not affected) counts of an import's fix states.
fn tally(i: &Import) -> (usize, usize, usize) {
    let n = |f: &dyn Fn(FixState) -> bool| i.records.fix_statuses.iter().filter(|s| f(s.state)).count();
    (
        n(&|s| s == FixState::Fixed),
        n(&|s| !matches!(s, FixState::Fixed | FixState::NotAffected)),
        n(&|s| s == FixState::NotAffected),
    )
}

const RHEL8: &str = "Red Hat:enterprise_linux:8";
const RHEL9: &str = "Red Hat:enterprise_linux:9";
const RHEL9_SOURCE: &str = "Red Hat:enterprise_linux:9:source";

#[test]
fn the_real_cve_2024_10041_document_fixes_pam_in_rhel_9() {
    let i = import(&trivy("happy/csaf-vex/cve-2024-10041.json"));
    assert_eq!(tally(&i), (1, 0, 0));
    // x86_64 and aarch64 builds are one package; RHEL 7's "Out of support scope" names a product
    // the tree does not relate to any platform, so it is not read.
    assert_eq!(states(&i), [(RHEL9.into(), "pam".into(), FixState::Fixed, Some("1.5.1-21.el9_5".into()), None)]);
    let adv = &i.records.advisories[0];
    assert_eq!((adv.id.as_str(), adv.source.as_str()), ("CVE-2024-10041", redhat::SOURCE));
    assert_eq!(adv.related, ["RHSA-2024:9941"]);
    assert_eq!(adv.summary.as_deref(), Some("pam: libpam: Libpam vulnerable to read hashed password"));
    assert!(adv.details.as_deref().unwrap().starts_with("A vulnerability was found in PAM."));
    assert_eq!(adv.cwes, ["CWE-922"]);
    assert_eq!(adv.references[0].url, "https://access.redhat.com/security/cve/CVE-2024-10041");
    assert_eq!(i.timestamp.as_deref(), Some("2024-12-18T09:14:23Z"));
    let sev: Vec<_> =
        i.records.severities.iter().map(|s| (s.kind, s.value.as_str(), s.score, s.scope.as_str())).collect();
    assert_eq!(
        sev,
        [
            (SeverityKind::Vendor, "Moderate", None, "Red Hat:enterprise_linux:9/pam"),
            (SeverityKind::CvssV3, "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N", Some(4.7), RHEL9),
        ]
    );
    assert!(i.records.severities.iter().all(|s| s.source == redhat::RATER));
    let a = &i.records.affected[0];
    assert_eq!(a.ranges[0]["events"][1]["fixed"], "1.5.1-21.el9_5");
    assert!(i.diagnostics.is_empty(), "{:?}", i.diagnostics);
}

#[test]
fn trivys_test_documents_import_exactly() {
    // CVE-2024-9999: test-package fixed (epoch 1); an OCI image is not an rpm; the source rpm
    // affected-package (`arch=src`), "Affected", is kept in RHEL 9's source ecosystem.
    let i = import(&trivy("happy/csaf-vex/cve-2024-9999.json"));
    assert_eq!(tally(&i), (1, 1, 0));
    assert_eq!(states(&i)[0].3.as_deref(), Some("1:1.0.0-1.el9"));
    assert_eq!(
        states(&i)[1],
        (RHEL9_SOURCE.into(), "affected-package".into(), FixState::Unfixed, None, Some("Affected".into()))
    );
    // CVE-2024-11111 and -22222: also a binary named "Affected" (unfixed) and a module build of
    // stream `module:2.4`, keyed in the stream's ecosystem.
    for (file, word) in [("cve-2024-11111.json", "Important"), ("cve-2024-22222.json", "Critical")] {
        let i = import(&trivy(&format!("vuln-list-redhat/csaf-vex/{file}")));
        assert_eq!(tally(&i), (2, 2, 0), "{file}");
        assert_eq!(
            states(&i),
            [
                (RHEL9.into(), "affected-package-bin".into(), FixState::Unfixed, None, Some("Affected".into())),
                (RHEL9.into(), "test-package".into(), FixState::Fixed, Some("1:1.0.0-1.el9".into()), None),
                (
                    "Red Hat:enterprise_linux:9:module:module:2.4".into(),
                    "modular-package".into(),
                    FixState::Fixed,
                    Some("2.4.37-65.module+el8.10.0+21982+14717793".into()),
                    None
                ),
                (RHEL9_SOURCE.into(), "affected-package".into(), FixState::Unfixed, None, Some("Affected".into())),
            ],
            "{file}"
        );
        let word_of = |name: &str| {
            i.records.severities.iter().find(|s| s.scope.ends_with(&format!("/{name}"))).map(|s| s.value.clone())
        };
        assert_eq!(word_of("test-package").as_deref(), Some(word));
        assert_eq!(word_of("modular-package").as_deref(), Some("Moderate"), "the module build's own impact");
    }
    // CVE-2025-33333: a vendor fix of a flatpak module component without a version: skipped with
    // a diagnostic, never a fix of every version.
    let i = import(&trivy("vuln-list-redhat/csaf-vex/cve-2025-33333.json"));
    assert_eq!(tally(&i), (0, 0, 0));
    assert!(i.records.advisories.is_empty());
    assert!(
        i.diagnostics.iter().any(|d| d.message.contains("1 fixed products without a version")),
        "{:?}",
        i.diagnostics
    );
}

#[test]
fn the_real_cve_2024_31449_document_fixes_each_module_stream_by_its_own_builds() {
    // Red Hat's document (`crates/testkit/redhat/`, a verbatim copy): RHEL 9's own redis
    // (AppStream 9.5), the module streams redis:7 of RHEL 9 and redis:6 of RHEL 8 (AppStream
    // 8.10), all fixed, five binaries each. The module builds relate to the stream
    // (`AppStream-9.5.0.Z.MAIN:redis:7:9050020241104103753:9`), not to the platform, and their
    // purls carry no `rpmmod` qualifier. Skipped: source rpms, the module products themselves
    // (`pkg:rpmmod`), Discovery's fixed images and the 3scale and Quay images named known affected
    // (none an rpm of a RHEL platform). The counts are those of a separate reading of the JSON
    // (`count.py`, see the README).
    let i = import(&microscanner_testkit::redhat_vex_cve_2024_31449());
    assert_eq!(tally(&i), (15, 0, 0));
    let redis7 = "Red Hat:enterprise_linux:9:module:redis:7";
    let redis6 = "Red Hat:enterprise_linux:8:module:redis:6";
    let per_ecosystem = |e: &str| i.records.fix_statuses.iter().filter(|s| s.ecosystem == e).count();
    assert_eq!([per_ecosystem(RHEL9), per_ecosystem(redis7), per_ecosystem(redis6)], [5, 5, 5]);
    assert_eq!(per_ecosystem(RHEL8), 0, "RHEL 8 has redis only in module streams here");
    // Every binary of a build gets that build's version, in its own ecosystem only:
    // RHSA-2025:0693 (RHEL 9's redis), RHSA-2024:10869 (redis:7) and RHSA-2025:0595 (redis:6).
    let binaries = ["redis", "redis-debuginfo", "redis-debugsource", "redis-devel", "redis-doc"];
    for (ecosystem, fix) in [
        (RHEL9, "6.2.17-1.el9_5"),
        (redis7, "7.2.6-1.module+el9.5.0+22422+63e067d8"),
        (redis6, "6.2.17-1.module+el8.10.0+22680+748527fd"),
    ] {
        let rows: Vec<_> = states(&i).into_iter().filter(|r| r.0 == ecosystem).collect();
        let want: Vec<Row> = binaries
            .iter()
            .map(|n| (ecosystem.to_owned(), (*n).to_owned(), FixState::Fixed, Some(fix.to_owned()), None))
            .collect();
        assert_eq!(rows, want, "{ecosystem}");
    }
    // Not the module products themselves, nor an image.
    assert!(i.records.fix_statuses.iter().all(|s| s.name.starts_with("redis") && !s.name.contains(':')));
    // Every state is a fix: an affected range each, one CVSS vector per ecosystem.
    assert_eq!(i.records.affected.len(), 15);
    let cvss: Vec<_> = i
        .records
        .severities
        .iter()
        .filter(|s| s.kind == SeverityKind::CvssV3)
        .map(|s| (s.value.as_str(), s.score, s.scope.as_str()))
        .collect();
    let vector = "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H";
    assert_eq!(cvss, [(vector, Some(7.0), redis6), (vector, Some(7.0), RHEL9), (vector, Some(7.0), redis7)]);
    let adv = &i.records.advisories[0];
    assert_eq!(adv.id, "CVE-2024-31449");
    assert_eq!(adv.summary.as_deref(), Some("redis: Lua library commands may lead to stack overflow and RCE in Redis"));
    assert_eq!(adv.cwes, ["CWE-20"]);
    // The errata of every vendor fix, Discovery's (RHSA-2025:1249) among them.
    assert_eq!(adv.related, ["RHSA-2025:1249", "RHSA-2025:0595", "RHSA-2025:0693", "RHSA-2024:10869"]);
    let words: Vec<_> =
        i.records.severities.iter().filter(|s| s.kind == SeverityKind::Vendor).map(|s| s.value.as_str()).collect();
    assert_eq!(words, ["Moderate"; 15]);
    assert!(i.diagnostics.is_empty(), "{:?}", i.diagnostics);
}

#[test]
fn the_real_source_rpm_states_are_kept_in_the_source_ecosystems() {
    // Red Hat's documents of CVE-2019-25059 and CVE-2020-16588 (`crates/testkit/redhat/`,
    // verbatim): every state names a source rpm (`pkg:rpm/redhat/ghostscript?arch=src`), so each
    // goes to its release's source ecosystem, a flatpak stream's to the stream's.
    let [ghostscript, openexr] = microscanner_testkit::redhat_vex_source_states();
    let src = |release: &str| format!("Red Hat:enterprise_linux:{release}:source");
    let flatpak = "Red Hat:enterprise_linux:8:module:gimp:flatpak:source".to_owned();

    let i = import(&ghostscript);
    assert_eq!(tally(&i), (0, 3, 2));
    let will_not_fix =
        |e: String| (e, "ghostscript".to_owned(), FixState::WontFix, None, Some("Will not fix".to_owned()));
    let not_affected = |e: String| (e, "ghostscript".to_owned(), FixState::NotAffected, None, None);
    assert_eq!(
        states(&i),
        [
            not_affected(src("6")),
            not_affected(src("7")),
            will_not_fix(flatpak.clone()),
            will_not_fix(src("8")),
            will_not_fix(src("9")),
        ]
    );
    // An affected range (all versions) for each open state, none for "not affected"; Red Hat's
    // "Moderate" and the CVSS vector for each open one; the source purl.
    assert_eq!(i.records.affected.len(), 3);
    assert!(i.records.affected.iter().all(|a| a.purl.as_deref() == Some("pkg:rpm/redhat/ghostscript?arch=src")));
    assert!(i.records.affected.iter().all(|a| a.ranges[0]["events"].as_array().map(Vec::len) == Some(1)));
    let words: Vec<_> =
        i.records.severities.iter().filter(|s| s.kind == SeverityKind::Vendor).map(|s| s.value.as_str()).collect();
    assert_eq!(words, ["Moderate"; 3]);
    assert_eq!(i.records.advisories[0].id, "CVE-2019-25059");
    assert!(i.diagnostics.is_empty(), "{:?}", i.diagnostics);

    let i = import(&openexr);
    assert_eq!(tally(&i), (0, 3, 1));
    let row = |e: String, state, note: Option<&str>| (e, "OpenEXR".to_owned(), state, None, note.map(str::to_owned));
    assert_eq!(
        states(&i),
        [
            row(src("6"), FixState::EndOfLife, Some("Out of support scope")),
            row(src("7"), FixState::EndOfLife, Some("Out of support scope")),
            row(flatpak, FixState::Postponed, Some("Fix deferred")),
            row(src("8"), FixState::NotAffected, None),
        ]
    );
    assert!(i.diagnostics.is_empty(), "{:?}", i.diagnostics);
}

#[test]
fn rhsa_csaf_advisories_and_other_json_are_not_vex() {
    // vunnel's RHSA CSAF documents: CSAF, but advisories, recognised and skipped.
    let rhsa = microscanner_testkit::fixtures_dir()
        .join("feeds-vunnel-fixtures/tests/unit/providers/rhel/test-fixtures/csaf/advisories/rhsa-2023_7025.json");
    let bytes = std::fs::read(&rhsa).unwrap();
    assert!(detect::import_bytes("rhsa-2023_7025.json", &bytes).unwrap().is_none());
    // Trivy's CPE maps are not feeds.
    let cpe = std::fs::read(trivy("happy/cpe/repository-to-cpe.json")).unwrap();
    assert!(detect::import_bytes("repository-to-cpe.json", &cpe).unwrap().is_none());
}

#[derive(Default)]
struct Keep(usize);

impl Sink for Keep {
    fn chunk(&mut self, records: microscanner_vulndb::Records) -> Result<(), microscanner_feeds::FeedError> {
        self.0 += records.fix_statuses.len();
        Ok(())
    }
}

#[test]
fn read_from_disk_as_read_whole_and_built_into_a_database() {
    let redis = microscanner_testkit::redhat_vex_cve_2024_31449();
    let mut sink = Keep::default();
    let (format, rest) = detect::import_file("cve-2024-31449.json", &redis, &mut sink).unwrap().unwrap();
    assert_eq!((format, sink.0 + rest.records.fix_statuses.len()), (Format::RedHatVex, 15));

    let inputs = collect_inputs(&microscanner_testkit::redhat_vex_paths()).unwrap();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let target = dir.path().join("redhat.db");
    let report = build(&target, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
    assert!(report.sources.iter().all(|s| s.kind == "redhat-vex"), "{:?}", report.sources);
    let db = Database::open(&target).unwrap();
    assert_eq!(db.affected(RHEL9, "pam").unwrap().len(), 1);
    // CVE-2024-10041 is in both sample directories: one advisory, one state.
    assert_eq!(db.fix_statuses(RHEL9, "pam").unwrap().len(), 1);
    assert_eq!(db.affected(&format!("{RHEL9}:module:redis:7"), "redis").unwrap().len(), 1);
    assert_eq!(db.fix_statuses(&format!("{RHEL8}:module:redis:6"), "redis-devel").unwrap()[0].state, FixState::Fixed);
    assert!(db.affected(RHEL8, "redis").unwrap().is_empty());
}

fn err(bytes: &[u8]) -> String {
    redhat::parse(bytes, "vex/cve-2024-1.json").unwrap_err().to_string()
}

#[test]
fn hostile_documents_are_one_line_errors_or_diagnostics_naming_the_field() {
    let real = std::fs::read(trivy("happy/csaf-vex/cve-2024-10041.json")).unwrap();
    // Truncated anywhere: an error naming the file, never a panic.
    for cut in [1, 100, real.len() / 2, real.len() - 2] {
        let e = err(&real[..cut]);
        assert!(e.starts_with("vex/cve-2024-1.json: ") && !e.contains('\n'), "{e}");
    }
    // Wrong types of the top-level fields: errors naming them.
    let head = r#""document":{"category":"csaf_vex","csaf_version":"2.0"}"#;
    for (body, field) in [
        (format!(r#"{{{head},"vulnerabilities":{{"cve":"CVE-1"}}}}"#), "vulnerabilities: not a list"),
        (format!(r#"{{{head},"vulnerabilities":"x"}}"#), "vulnerabilities: not a list"),
        (format!(r#"{{{head},"product_tree":[1],"vulnerabilities":[]}}"#), "product_tree: not an object"),
        (r#"{"document":7,"vulnerabilities":[]}"#.to_owned(), "document: not an object"),
    ] {
        assert_eq!(err(body.as_bytes()), format!("vex/cve-2024-1.json: {field}"));
    }
    // Wrong types inside a vulnerability: one-line diagnostics naming the field; the rest is read.
    let mut doc: serde_json::Value = serde_json::from_slice(&real).unwrap();
    doc["vulnerabilities"][0]["threats"] = "Important".into();
    doc["vulnerabilities"][0]["product_status"] = serde_json::json!(["x"]);
    doc["vulnerabilities"][0]["remediations"][0]["product_ids"] = 7.into(); // not a list: names no product
    let i = redhat::parse(&serde_json::to_vec(&doc).unwrap(), "vex/cve-2024-1.json").unwrap();
    let messages: Vec<&str> = i.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        messages.contains(&"vulnerabilities[0]: CVE-2024-10041: product_status of the wrong JSON type; ignored"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"vulnerabilities[0]: CVE-2024-10041: threats of the wrong JSON type; ignored"),
        "{messages:?}"
    );
    assert!(i.records.fix_statuses.is_empty(), "the fix named no product");
    // A cve that is not a token: the vulnerability is skipped, with a diagnostic.
    doc["vulnerabilities"][0]["cve"] = "CVE 2024\n10041".into();
    let i = redhat::parse(&serde_json::to_vec(&doc).unwrap(), "x.json").unwrap();
    assert_eq!(i.diagnostics[0].message, "vulnerabilities[0]: no usable cve; skipped");
    // Oversized: refused unread.
    let big = vec![b' '; usize::try_from(redhat::MAX_DOCUMENT).unwrap() + 1];
    assert!(err(&big).contains("larger than the bound"), "{}", err(&big));
    // Deeply nested branches: serde's recursion limit, an error.
    let deep = format!(
        r#"{{{head},"product_tree":{{"branches":{}{}}},"vulnerabilities":[]}}"#,
        r#"[{"branches":"#.repeat(200),
        "[]}]".repeat(200)
    );
    assert!(err(deep.as_bytes()).contains("recursion limit"), "{}", err(deep.as_bytes()));
    // Another vendor's VEX: recognised, not imported.
    let suse = br#"{"document":{"category":"csaf_vex","csaf_version":"2.0","publisher":{"namespace":"https://www.suse.com"}},"vulnerabilities":[]}"#;
    let i = redhat::parse(suse, "suse.json").unwrap();
    assert!(i.records.is_empty() && i.diagnostics[0].message.contains("not Red Hat"), "{:?}", i.diagnostics);
}

/// A `csaf_vex_<date>.tar.zst` as Red Hat publishes it, of `members` (path, bytes).
pub(crate) fn archive(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, path, bytes.as_slice()).unwrap();
    }
    zstd::encode_all(tar.into_inner().unwrap().as_slice(), 3).unwrap()
}

#[test]
fn the_vex_archive_is_read_member_by_member_and_a_damaged_one_refused_whole() {
    let pam = std::fs::read(trivy("happy/csaf-vex/cve-2024-10041.json")).unwrap();
    let redis = std::fs::read(microscanner_testkit::redhat_vex_cve_2024_31449()).unwrap();
    let bytes = archive(&[
        ("2024/cve-2024-10041.json", pam.clone()),
        ("2024/cve-2024-31449.json", redis),
        ("2024/cve-2024-1.json", pam[..pam.len() / 2].to_vec()),
        ("README", b"not a document".to_vec()),
    ]);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("csaf_vex_2025-12-06.tar.zst");
    std::fs::write(&path, &bytes).unwrap();
    let mut sink = Keep::default();
    let (format, rest) = detect::import_file("csaf_vex_2025-12-06.tar.zst", &path, &mut sink).unwrap().unwrap();
    assert_eq!(format, Format::RedHatVex);
    assert_eq!(sink.0 + rest.records.fix_statuses.len(), 16, "pam, and CVE-2024-31449's 15");
    let broken: Vec<_> = rest.diagnostics.iter().filter(|d| d.location.ends_with("!2024/cve-2024-1.json")).collect();
    assert_eq!(broken.len(), 1, "{:?}", rest.diagnostics);
    // The same, read whole.
    let (_, whole) = detect::import_bytes("csaf_vex_2025-12-06.tar.zst", &bytes).unwrap().unwrap();
    assert_eq!(whole.records.fix_statuses.len(), 16);
    // `db build --from DIR` finds it.
    let inputs = collect_inputs(&[dir.path().to_path_buf()]).unwrap();
    let target = dir.path().join("vex.db");
    build(&target, &inputs, &BuildOptions::default(), &NoProgress).unwrap();
    assert_eq!(Database::open(&target).unwrap().affected(RHEL9, "pam").unwrap().len(), 1);
    // Truncated: refused whole, before anything is handed on.
    let cut = dir.path().join("csaf_vex_cut.tar.zst");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let mut sink = Keep::default();
    let e = detect::import_file("csaf_vex_cut.tar.zst", &cut, &mut sink).unwrap_err().to_string();
    assert!(e.starts_with("csaf_vex_cut.tar.zst: not a readable tar.zst"), "{e}");
    assert_eq!(sink.0, 0);
}
