//! Report diff: new, fixed and changed findings between two reports, and their renderings.
#![allow(clippy::unwrap_used)]

use microscanner_model::{
    Finding, FixState, Kev, Rating, RatingKind, Report, Severity, Summary, Suppression, SuppressionKind,
};
use microscanner_report::diff::{ReportDiff, diff, parse_report, render_diff_json, render_diff_table};
use microscanner_report::policy::PolicyError;
use microscanner_testkit::sample_report;

fn find<'a>(r: &'a mut Report, id: &str) -> &'a mut Finding {
    r.findings.iter_mut().find(|f| f.id == id).unwrap()
}

fn resummarise(r: &mut Report) {
    r.summary = Summary::count(&r.findings, r.suppressed.len());
}

/// A week later: smallvec was upgraded (its finding is fixed), a new openssl CVE appeared, the
/// database raised CVE-2019-12781 to high, and Django was upgraded in place to 2.2.1 (still
/// vulnerable; pip renamed its `dist-info` directory).
fn week_later() -> Report {
    let mut r = sample_report();
    r.created_at = "2026-11-30T12:00:00Z".into();
    if let Some(db) = &mut r.database {
        db.built_at = "2026-11-30T06:00:00Z".into();
    }
    r.findings.retain(|f| f.id != "CVE-2021-25900");
    let mut added = find(&mut r, "CVE-2023-0286").clone();
    added.id = "CVE-2024-0727".into();
    added.aliases = vec!["DSA-5640-1".into()];
    added.severity = Severity::Medium;
    added.fix.versions = vec!["1.1.1w-0+deb11u2".into()];
    added.title = Some("PKCS12 Decoding crashes".into());
    added.severity_source = "nvd".into();
    added.ratings[0].value = "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H".into();
    added.ratings[0].score = Some(5.5);
    added.ratings[0].severity = Severity::Medium;
    added.primary_url = Some("https://security-tracker.debian.org/tracker/CVE-2024-0727".into());
    added.published = Some("2024-01-26T09:15:00Z".into());
    added.epss = None;
    added.matched.advisories = vec!["CVE-2024-0727".into(), "DSA-5640-1".into()];
    r.findings.push(added);
    let django = find(&mut r, "CVE-2019-12781");
    django.severity = Severity::High;
    django.severity_source = "nvd".into();
    django.ratings.push(Rating {
        source: "nvd".into(),
        kind: RatingKind::CvssV3,
        value: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into(),
        score: Some(7.5),
        severity: Severity::High,
    });
    for f in r.findings.iter_mut().chain(&mut r.suppressed).filter(|f| f.package.name == "Django") {
        f.package.version = "2.2.1".into();
        f.package.location = f.package.location.replace("Django-2.2.dist-info", "Django-2.2.1.dist-info");
        f.package.purl = "pkg:pypi/django@2.2.1".into();
        f.matched.version = "2.2.1".into();
    }
    microscanner_model::sort_findings(&mut r.findings);
    resummarise(&mut r);
    r
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn new_fixed_and_changed() {
    let d = diff(&sample_report(), &week_later());
    assert_eq!(ids(&d.new), ["CVE-2024-0727"]);
    assert_eq!(ids(&d.fixed), ["CVE-2021-25900"]);
    assert_eq!(d.changed.len(), 1);
    let c = &d.changed[0];
    assert_eq!((c.before.id.as_str(), c.after.id.as_str()), ("CVE-2019-12781", "CVE-2019-12781"));
    assert_eq!(c.changes, ["severity medium -> high", "version 2.2 -> 2.2.1"]);
    // openssl's two old findings are unchanged; the suppressed Django finding is left out
    assert_eq!(d.summary.unchanged, 2);
    assert_eq!((d.summary.new.total, d.summary.new.medium), (1, 1));
    assert_eq!((d.summary.fixed.total, d.summary.fixed.critical), (1, 1));
    assert_eq!((d.summary.changed.total, d.summary.changed.high), (1, 1));
    assert_eq!(d.summary.new.at_or_above(Severity::High), 0);
    assert_eq!(d.old.created_at, "2026-11-23T12:00:00Z");
    assert_eq!(d.current.created_at, "2026-11-30T12:00:00Z");
    assert!(!d.is_empty());
}

#[test]
fn same_report_has_no_differences() {
    let d = diff(&sample_report(), &sample_report());
    assert!(d.is_empty());
    assert_eq!(d.summary.unchanged, 4);
    let table = String::from_utf8(render_diff_table(&d, false)).unwrap();
    assert!(table.ends_with("No differences: 4 findings unchanged.\n"), "{table}");
}

#[test]
fn primary_id_change_through_aliases_is_a_change_not_new_plus_fixed() {
    // in the old report the Django finding was known by its GHSA id only (an older database)
    let mut old = sample_report();
    let django = find(&mut old, "CVE-2019-12781");
    django.id = "GHSA-6c7v-2f49-8h26".into();
    django.aliases = vec!["PYSEC-2019-10".into()];
    django.fix.state = FixState::NotFixed;
    django.fix.versions.clear();
    let d = diff(&old, &sample_report());
    assert!(d.new.is_empty() && d.fixed.is_empty(), "new {:?} fixed {:?}", ids(&d.new), ids(&d.fixed));
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].changes, ["id GHSA-6c7v-2f49-8h26 -> CVE-2019-12781", "fix available: 2.2.3"]);
    assert_eq!(d.summary.unchanged, 3);
}

#[test]
fn same_id_on_another_package_is_new_and_fixed() {
    let mut new = sample_report();
    find(&mut new, "CVE-2023-0286").package.name = "libssl3".into();
    let d = diff(&sample_report(), &new);
    assert_eq!(ids(&d.new), ["CVE-2023-0286"]);
    assert_eq!(ids(&d.fixed), ["CVE-2023-0286"]);
    assert_eq!(d.new[0].package.name, "libssl3");
    assert_eq!(d.fixed[0].package.name, "libssl1.1");
}

#[test]
fn a_copy_at_another_location_is_another_finding() {
    // two copies of smallvec; the second copy moved to another path
    let mut old = sample_report();
    let mut copy = find(&mut old, "CVE-2021-25900").clone();
    copy.package.location = "/usr/local/bin/other-app".into();
    old.findings.push(copy);
    let mut new = old.clone();
    new.findings.last_mut().unwrap().package.location = "/usr/local/bin/other-app-2".into();
    let d = diff(&old, &new);
    assert_eq!(ids(&d.new), ["CVE-2021-25900"]);
    assert_eq!(d.new[0].package.location, "/usr/local/bin/other-app-2");
    assert_eq!(ids(&d.fixed), ["CVE-2021-25900"]);
    assert_eq!(d.fixed[0].package.location, "/usr/local/bin/other-app");
    assert!(d.changed.is_empty(), "the copy that stayed is unchanged");
}

#[test]
fn suppression_kev_and_fix_changes_are_described() {
    let old = sample_report();
    let mut new = sample_report();
    // openssl is now hidden by the ignore file
    let mut hidden = find(&mut new, "CVE-2023-0286").clone();
    new.findings.retain(|f| f.id != "CVE-2023-0286");
    hidden.suppression = Some(Suppression {
        kind: SuppressionKind::IgnoreFile,
        source: ".microscanner-ignore.yaml".into(),
        reason: Some("accepted".into()),
        status: None,
        justification: None,
        expires: Some("2027-01-31".into()),
    });
    new.suppressed.push(hidden);
    // the Django VEX statement was withdrawn: that finding is shown again
    let mut shown = new.suppressed.remove(0);
    shown.suppression = None;
    new.findings.push(shown);
    // Debian decided on a fix for CVE-2007-6755, and smallvec's CVE left the KEV list
    let unfixed = find(&mut new, "CVE-2007-6755");
    unfixed.fix.state = FixState::EndOfLife;
    find(&mut new, "CVE-2021-25900").kev = None;
    find(&mut new, "CVE-2019-12781").fix.versions = vec!["2.2.4".into()];
    resummarise(&mut new);

    let d = diff(&old, &new);
    assert!(d.new.is_empty() && d.fixed.is_empty(), "new {:?} fixed {:?}", ids(&d.new), ids(&d.fixed));
    let changes: Vec<(&str, &[String])> =
        d.changed.iter().map(|c| (c.after.id.as_str(), c.changes.as_slice())).collect();
    assert_eq!(
        changes,
        [
            ("CVE-2021-25900", &["no longer on CISA KEV".to_owned()][..]),
            ("CVE-2023-0286", &["now suppressed by ignore file in .microscanner-ignore.yaml".to_owned()][..]),
            ("CVE-2019-12781", &["fixed in 2.2.3 -> 2.2.4".to_owned()][..]),
            ("CVE-2019-19118", &["no longer suppressed (was VEX not_affected in app.openvex.json)".to_owned()][..]),
            ("CVE-2007-6755", &["fix state wont-fix -> end-of-life".to_owned()][..]),
        ]
    );
    // and back: KEV added
    let mut kev = sample_report();
    find(&mut kev, "CVE-2023-0286").kev = Some(Kev { date_added: None, due_date: None, ransomware: None });
    assert_eq!(diff(&old, &kev).changed[0].changes, ["now known exploited (CISA KEV)"]);
}

#[test]
fn json_round_trips() {
    let d = diff(&sample_report(), &week_later());
    let bytes = render_diff_json(&d);
    assert!(bytes.ends_with(b"}\n"));
    let back: ReportDiff = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, d);
}

#[test]
fn json_rendering() {
    let d = diff(&sample_report(), &week_later());
    insta::assert_snapshot!(String::from_utf8(render_diff_json(&d)).unwrap());
}

#[test]
fn table_rendering() {
    let d = diff(&sample_report(), &week_later());
    let table = String::from_utf8(render_diff_table(&d, false)).unwrap();
    for line in table.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
    insta::assert_snapshot!(table);
}

#[test]
fn table_rendering_with_alias_and_suppression_changes() {
    let mut old = sample_report();
    let django = find(&mut old, "CVE-2019-12781");
    django.id = "GHSA-6c7v-2f49-8h26".into();
    django.aliases = vec!["PYSEC-2019-10".into()];
    django.fix.state = FixState::NotFixed;
    django.fix.versions.clear();
    let mut new = week_later();
    // the negligible openssl finding is now hidden by a VEX statement
    let hidden = new.findings.iter().position(|f| f.id == "CVE-2007-6755").unwrap();
    let mut hidden = new.findings.remove(hidden);
    hidden.suppression = Some(Suppression {
        kind: SuppressionKind::Vex,
        source: "base-image.openvex.json".into(),
        reason: None,
        status: Some("not_affected".into()),
        justification: Some("vulnerable_code_not_present".into()),
        expires: None,
    });
    new.suppressed.push(hidden);
    resummarise(&mut new);
    // a long package name and version must not break the columns
    let f = find(&mut new, "CVE-2024-0727");
    f.package.name = "org.apache.logging.log4j:log4j-core-with-a-very-long-name".into();
    f.package.version = "2.14.1-SNAPSHOT-20261130.123456-7".into();
    let table = String::from_utf8(render_diff_table(&diff(&old, &new), false)).unwrap();
    for line in table.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line:?}");
    }
    insta::assert_snapshot!(table);
}

#[test]
fn table_colours_only_when_asked() {
    let d = diff(&sample_report(), &week_later());
    let plain = String::from_utf8(render_diff_table(&d, false)).unwrap();
    let coloured = String::from_utf8(render_diff_table(&d, true)).unwrap();
    assert!(!plain.contains('\x1b'));
    assert!(coloured.contains("\x1b[1;31mcritical  \x1b[0m"), "{coloured}");
    let stripped = coloured.replace("\x1b[1;31m", "").replace("\x1b[1;32m", "").replace("\x1b[1;33m", "");
    let stripped = stripped.replace("\x1b[31m", "").replace("\x1b[33m", "").replace("\x1b[2m", "");
    let stripped = stripped.replace("\x1b[1m", "").replace("\x1b[0m", "");
    assert_eq!(stripped, plain);
}

#[test]
fn parse_report_reads_ours_and_names_the_file_otherwise() {
    let old = sample_report();
    let bytes = serde_json::to_vec(&old).unwrap();
    assert_eq!(parse_report(&bytes, "old.json").unwrap(), old);

    let err = |bytes: &[u8]| {
        let e = parse_report(bytes, "reports/new.json").unwrap_err();
        assert!(matches!(e, PolicyError::Report { .. }));
        assert_eq!(e.file(), "reports/new.json");
        e.to_string()
    };
    let mut v = serde_json::to_value(&old).unwrap();
    v["schema_version"] = "2.1".into();
    let e = err(&serde_json::to_vec(&v).unwrap());
    assert_eq!(
        e,
        "reports/new.json: report schema_version \"2.1\" is not supported: this microscanner reads version 1.x \
         reports (schema 1.0)"
    );
    v["schema_version"] = "1.7".into();
    assert!(parse_report(&serde_json::to_vec(&v).unwrap(), "minor.json").is_ok(), "a newer minor version reads");
    v["schema_version"] = 1.into();
    assert!(err(&serde_json::to_vec(&v).unwrap()).contains("schema_version: expected a string"));
    assert!(err(b"[]").contains("expected a JSON object"));
    assert!(err(b"{\"schema_version\": \"1.0\",").starts_with("reports/new.json: not valid JSON"));
    v["schema_version"] = "1.0".into();
    v["findings"][0]["severity"] = "severe".into();
    let e = err(&serde_json::to_vec(&v).unwrap());
    assert!(e.contains("not a microscanner JSON report: unknown variant `severe`"), "{e}");
}
