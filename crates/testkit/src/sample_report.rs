//! A small but realistic vulnerability [`Report`] for format and policy tests: real advisory ids
//! and fixed versions from the fixtures (DSA-5343-1 for openssl in Debian 11, PYSEC-2019-10 and
//! PYSEC-2019-15 for Django 2.2, RUSTSEC-2021-0003 for smallvec 1.6.0), an unfixed Debian CVE,
//! a suppressed finding, and packages attributed to layers.

use microscanner_model::{
    AffectedPackage, Coverage, CoveredEcosystem, DatabaseInfo, DatabaseSource, Epss, FailOn, Finding, Fix, FixState,
    Generator, ImageInfo, Kev, LayerInfo, LayerRef, MatchDetail, OsInfo, Package, PackageKind, PolicyVerdict, Rating,
    RatingKind, Report, Severity, Skipped, Summary, Suppression, SuppressionKind,
};

fn layer(index: usize) -> LayerRef {
    let created_by = ["debootstrap bullseye", "RUN apt-get install -y python3 openssl", "COPY app /app"];
    LayerRef {
        index,
        diff_id: format!("sha256:{}", format!("{index}").repeat(64)),
        created_by: Some(created_by[index].to_owned()),
    }
}

fn package(kind: PackageKind, name: &str, version: &str, purl: &str, location: &str, index: usize) -> Package {
    Package::new(kind, name, version)
        .with_arch(kind.is_os().then(|| "amd64".to_owned()))
        .with_source_name((name == "libssl1.1").then(|| "openssl".to_owned()))
        .with_purl(purl)
        .with_location(location)
        .with_layer(Some(std::sync::Arc::new(layer(index))))
}

fn affected(p: &Package) -> AffectedPackage {
    AffectedPackage::new(p, p.source_name().unwrap_or(&p.name))
}

fn cvss3(source: &str, vector: &str, score: f64) -> Rating {
    Rating {
        source: source.into(),
        kind: RatingKind::CvssV3,
        value: vector.into(),
        score: Some(score),
        severity: Severity::from_cvss_score(score, 3),
    }
}

#[allow(clippy::too_many_lines)] // one literal document
fn findings(pkgs: &[Package]) -> (Vec<Finding>, Vec<Finding>) {
    let (ssl, django, smallvec) = (&pkgs[0], &pkgs[2], &pkgs[3]);
    let base = |id: &str, p: &Package, ecosystem: &str, name: &str| Finding {
        id: id.into(),
        aliases: vec![],
        package: affected(p),
        fix: Fix { state: FixState::NotFixed, versions: vec![], note: None },
        severity: Severity::Unknown,
        severity_source: "none".into(),
        ratings: vec![],
        title: None,
        description: None,
        primary_url: None,
        references: vec![],
        cwes: vec![],
        published: None,
        modified: None,
        kev: None,
        epss: None,
        matched: MatchDetail {
            ecosystem: ecosystem.into(),
            name: name.into(),
            version: p.version.as_str().to_owned(),
            advisories: vec![id.into()],
        },
        suppression: None,
        in_baseline: false,
    };
    let mut openssl = base("CVE-2023-0286", ssl, "Debian:11", "openssl");
    openssl.aliases = vec!["DSA-5343-1".into()];
    openssl.matched.advisories = vec!["CVE-2023-0286".into(), "DSA-5343-1".into()];
    openssl.fix = Fix { state: FixState::Fixed, versions: vec!["1.1.1n-0+deb11u4".into()], note: None };
    openssl.severity = Severity::High;
    openssl.severity_source = "nvd".into();
    openssl.ratings = vec![cvss3("nvd", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H", 7.4)];
    openssl.title = Some("X.400 address type confusion in X.509 GeneralName".into());
    openssl.primary_url = Some("https://security-tracker.debian.org/tracker/CVE-2023-0286".into());
    openssl.published = Some("2023-02-08T20:15:00Z".into());
    openssl.epss = Some(Epss { score: 0.00462, percentile: Some(0.745), date: Some("2025-08-01".into()) });

    let mut unfixed = base("CVE-2007-6755", ssl, "Debian:11", "openssl");
    unfixed.fix = Fix { state: FixState::WontFix, versions: vec![], note: Some("no-dsa: Minor issue".into()) };
    unfixed.severity = Severity::Negligible;
    unfixed.severity_source = "debian".into();
    unfixed.ratings = vec![Rating {
        source: "debian".into(),
        kind: RatingKind::Vendor,
        value: "unimportant".into(),
        score: None,
        severity: Severity::Negligible,
    }];
    unfixed.title = Some("The NIST SP 800-90A default statement of the Dual EC DRBG".into());

    let mut django_a = base("CVE-2019-12781", django, "PyPI", "django");
    django_a.aliases = vec!["GHSA-6c7v-2f49-8h26".into(), "PYSEC-2019-10".into()];
    django_a.matched.advisories = vec!["PYSEC-2019-10".into()];
    django_a.fix = Fix { state: FixState::Fixed, versions: vec!["2.2.3".into()], note: None };
    django_a.severity = Severity::Medium;
    django_a.severity_source = "ghsa".into();
    django_a.ratings = vec![Rating {
        source: "ghsa".into(),
        kind: RatingKind::Vendor,
        value: "MODERATE".into(),
        score: None,
        severity: Severity::Medium,
    }];
    django_a.title = Some("Django HTTP detection on SECURE_PROXY_SSL_HEADER".into());
    django_a.primary_url = Some("https://osv.dev/vulnerability/PYSEC-2019-10".into());

    let mut django_b = base("CVE-2019-19118", django, "PyPI", "django");
    django_b.aliases = vec!["GHSA-hvmf-r92r-27hr".into(), "PYSEC-2019-15".into()];
    django_b.matched.advisories = vec!["PYSEC-2019-15".into()];
    django_b.fix = Fix { state: FixState::Fixed, versions: vec!["2.2.8".into()], note: None };
    django_b.severity = Severity::Medium;
    django_b.severity_source = "nvd".into();
    django_b.ratings = vec![cvss3("nvd", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N", 6.5)];
    django_b.title = Some("Django 2.1 before 2.1.15 and 2.2 before 2.2.8 allows unintended model editing".into());
    django_b.suppression = Some(Suppression {
        kind: SuppressionKind::Vex,
        source: "app.openvex.json".into(),
        reason: Some("the admin site is disabled".into()),
        status: Some("not_affected".into()),
        justification: Some("vulnerable_code_not_in_execute_path".into()),
        expires: None,
    });

    let mut small = base("CVE-2021-25900", smallvec, "crates.io", "smallvec");
    small.aliases = vec!["GHSA-43w2-9j62-hq99".into(), "RUSTSEC-2021-0003".into()];
    small.matched.advisories = vec!["RUSTSEC-2021-0003".into()];
    small.fix = Fix { state: FixState::Fixed, versions: vec!["1.6.1".into()], note: None };
    small.severity = Severity::Critical;
    small.severity_source = "osv".into();
    small.ratings = vec![cvss3("osv", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8)];
    small.title = Some("Buffer overflow in SmallVec::insert_many".into());
    small.primary_url = Some("https://rustsec.org/advisories/RUSTSEC-2021-0003.html".into());
    small.kev = Some(Kev { date_added: Some("2024-01-01".into()), due_date: None, ransomware: Some("Unknown".into()) });
    small.cwes = vec!["CWE-787".into()];

    (vec![small, openssl, django_a, unfixed], vec![django_b])
}

/// A report of a Debian 11 image with four shown findings (critical, high, medium, negligible)
/// and one suppressed by VEX; `created_at` is fixed so outputs are reproducible.
pub fn sample_report() -> Report {
    let packages = vec![
        package(
            PackageKind::Deb,
            "libssl1.1",
            "1.1.1n-0+deb11u3",
            "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u3?arch=amd64&distro=debian-11",
            "/var/lib/dpkg/status",
            1,
        ),
        package(
            PackageKind::Deb,
            "bash",
            "5.1-2+deb11u1",
            "pkg:deb/debian/bash@5.1-2%2Bdeb11u1?arch=amd64&distro=debian-11",
            "/var/lib/dpkg/status",
            0,
        ),
        package(
            PackageKind::Pypi,
            "Django",
            "2.2",
            "pkg:pypi/django@2.2",
            "/opt/venv/lib/python3.9/site-packages/Django-2.2.dist-info/METADATA",
            2,
        ),
        package(PackageKind::Cargo, "smallvec", "1.6.0", "pkg:cargo/smallvec@1.6.0", "/usr/local/bin/rust-app", 2),
    ];
    let (shown, suppressed) = findings(&packages);
    let summary = Summary::count(&shown, suppressed.len());
    Report {
        schema_version: microscanner_model::REPORT_SCHEMA_VERSION.into(),
        generator: Generator { name: "microscanner".into(), version: "0.1.0".into() },
        created_at: "2026-11-23T12:00:00Z".into(),
        duration_seconds: 0.75,
        image: ImageInfo {
            name: "oci:/images/debian11-app/oci:latest".into(),
            source: "oci".into(),
            manifest_digest: Some(format!("sha256:{}", "a".repeat(64))),
            config_digest: Some(format!("sha256:{}", "b".repeat(64))),
            os: Some("linux".into()),
            architecture: Some("amd64".into()),
            variant: None,
            layers: (0..3)
                .map(|i| LayerInfo { diff_id: layer(i).diff_id, digest: None, created_by: layer(i).created_by })
                .collect(),
            ..ImageInfo::default()
        },
        os: Some(OsInfo {
            family: "debian".into(),
            version: "11".into(),
            pretty_name: Some("Debian GNU/Linux 11 (bullseye)".into()),
            codename: Some("bullseye".into()),
            ecosystem: Some("Debian:11".into()),
            evidence: "/etc/os-release".into(),
        }),
        database: Some(DatabaseInfo {
            built_at: "2026-11-23T06:00:00Z".into(),
            schema_version: 1,
            sources: vec![DatabaseSource { name: "osv".into(), timestamp: Some("2026-11-22T23:10:00Z".into()) }],
        }),
        summary,
        policy: PolicyVerdict {
            fail_on: Some(FailOn::at_or_above(Severity::High)),
            severities: vec![],
            ignore_unfixed: false,
            baseline: None,
            failing: 2,
            failed: true,
            declared_only_fails: true,
        },
        coverage: Coverage {
            packages: packages.len(),
            packages_matched: packages.len(),
            ecosystems: vec![
                CoveredEcosystem { ecosystem: "Debian:11".into(), packages: 2, database_entries: 4210 },
                CoveredEcosystem { ecosystem: "PyPI".into(), packages: 1, database_entries: 15230 },
                CoveredEcosystem { ecosystem: "crates.io".into(), packages: 1, database_entries: 980 },
            ],
            skipped: vec![Skipped {
                what: "/usr/local/bin/stripped-tool".into(),
                reason: "Go binary without build information".into(),
            }],
            complete: false,
        },
        findings: shown,
        suppressed,
        packages,
        diagnostics: vec![],
    }
}
