//! `microscanner scan` end to end, against a database built from the real feeds in
//! `../shared/fixtures`: the findings of the real images checked against an independent oracle
//! (`microscanner_testkit::osv_oracle`: OSV evaluation in Python with `packaging`), exit codes, policy
//! files, every format, and `diff`.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests: a panic is the failure report; skip notes

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use microscanner_testkit::{LayerBuilder, TestLayer, fixtures_dir, write_oci_layout};
use serde_json::Value;

/// The OSV directories the scan database and the oracle both read.
fn osv_dirs() -> Vec<PathBuf> {
    let f = fixtures_dir();
    vec![f.join("osv-pypi-pypa/json"), f.join("osv-rustsec"), f.join("osv-go-vulndb")]
}

/// The scan database: the OSV directories, the Debian DSA/DLA lists and tracker sample, NVD, KEV
/// and EPSS. Built once per test binary.
fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("scan-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("microscanner.db");
        let f = fixtures_dir();
        let vunnel = f.join("feeds-vunnel-fixtures/tests/unit/providers");
        let mut feeds = osv_dirs();
        feeds.extend([
            f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"),
            f.join("debian-security-tracker/CVEDB-mirror/data/DLA/list"),
            vunnel.join("debian/test-fixtures/input/debian.json"),
            vunnel.join("nvd/test-fixtures/full-page.json"),
            f.join("kev-cisa/known_exploited_vulnerabilities.json"),
            f.join("feeds-vuls-data-update-fixtures/pkg/fetch/epss/testdata/fixtures"),
        ]);
        let mut cmd = microscanner();
        cmd.args(["db", "build", "--db"]).arg(&db);
        for feed in &feeds {
            cmd.arg("--from").arg(feed);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "db build: {}", String::from_utf8_lossy(&out.stderr));
        db
    })
}

fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB").env("RUST_LOG", "warn").env("NO_COLOR", "1").stdin(Stdio::null());
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache")); // never the user's cache
    c
}

/// Runs `microscanner scan TARGET --db DB ARGS...` in `cwd` (so no stray ignore file is read).
fn scan(target: &str, args: &[&str]) -> Output {
    let cwd = Path::new(env!("CARGO_TARGET_TMPDIR"));
    microscanner().current_dir(cwd).args(["scan", target, "--db"]).arg(db()).args(args).output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Validates a report against `docs/report.schema.json`.
fn assert_schema_valid(report: &Value) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(report).map(|e| format!("{}: {e}", e.instance_path)).collect();
    assert!(errors.is_empty(), "report does not match docs/report.schema.json: {errors:#?}");
}

/// A package's (name, version).
type NameVersion = (String, String);

/// A finding's ids and its lowest fixed version.
type IdsAndFix = (BTreeSet<String>, Option<String>);

/// The oracle's verdict for the packages: (name, version) → {advisory id → closing fixed version}.
fn oracle(
    packages: &BTreeSet<(String, String, String)>,
) -> BTreeMap<(String, String), BTreeMap<String, Option<String>>> {
    let packages: Vec<_> = packages.iter().cloned().collect();
    let hits =
        microscanner_testkit::osv_oracle(&osv_dirs(), &packages).expect("python3 with `packaging` runs the oracle");
    let mut expected: BTreeMap<_, BTreeMap<_, _>> = BTreeMap::new();
    for hit in hits {
        expected.entry((hit.name, hit.version)).or_default().insert(hit.id, hit.fixed);
    }
    expected
}

/// The OSV ecosystem and version the oracle is asked about for a reported package.
fn oracle_key(p: &Value) -> Option<(String, String, String)> {
    let name = p["name"].as_str()?.to_owned();
    let version = p["version"].as_str()?;
    let eco = match p["kind"].as_str()? {
        "pypi" => "PyPI",
        "cargo" => "crates.io",
        "golang" => "Go",
        _ => return None,
    };
    let version = if eco == "Go" {
        version.trim_start_matches("go").trim_start_matches('v').to_owned()
    } else {
        version.to_owned()
    };
    Some((eco.to_owned(), name, version))
}

/// The app layer of debian12-app: the venv's Django 2.2 and requests 2.19.0 get their PYSEC
/// advisories, the cargo-auditable binary the RUSTSEC advisories of smallvec, time and regex, the
/// Go binaries the standard library advisories of their Go versions; each checked by id, package
/// and fixed version against the oracle, in both directions (nothing missing, nothing extra).
#[test]
fn app_findings_equal_the_oracle() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let target = format!("oci:{}/debian12-app/oci", images.display());
    let out = scan(&target, &["--format", "json"]);
    assert_eq!(code(&out), 4, "critical findings fail the scan: {}", String::from_utf8_lossy(&out.stderr));
    let report = json(&out);
    assert_schema_valid(&report);

    let packages: BTreeSet<_> = report["packages"].as_array().unwrap().iter().filter_map(oracle_key).collect();
    assert!(packages.len() > 20, "the app packages were inventoried: {packages:?}");
    let expected = oracle(&packages);
    for must in ["Django", "requests", "smallvec", "time", "regex", "stdlib"] {
        assert!(expected.keys().any(|(n, _)| n == must), "the oracle finds advisories for {must}");
    }

    // What the scan says, in the oracle's terms: (name, version) → {every id → lowest fix}.
    let mut got: BTreeMap<NameVersion, Vec<IdsAndFix>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let Some((_, name, version)) = oracle_key(&f["package"]) else { continue };
        let mut ids: BTreeSet<String> = BTreeSet::from([f["id"].as_str().unwrap().to_owned()]);
        ids.extend(f["aliases"].as_array().into_iter().flatten().map(|a| a.as_str().unwrap().to_owned()));
        let fix = f["fix"]["versions"].get(0).and_then(Value::as_str).map(str::to_owned);
        got.entry((name, version)).or_default().push((ids, fix));
    }
    for (package, advisories) in &expected {
        let findings = got.get(package).map(Vec::as_slice).unwrap_or_default();
        for (id, fixed) in advisories {
            let hit = findings.iter().find(|(ids, _)| ids.contains(id));
            let (_, fix) = hit.unwrap_or_else(|| panic!("{package:?}: {id} missing; scan has {findings:?}"));
            if let Some(fixed) = fixed {
                assert_eq!(fix.as_deref(), Some(fixed.as_str()), "{package:?} {id}: lowest fixed version");
            }
        }
    }
    for (package, findings) in &got {
        let want = expected.get(package).cloned().unwrap_or_default();
        for (ids, _) in findings {
            assert!(ids.iter().any(|id| want.contains_key(id)), "{package:?}: unexpected finding {ids:?}");
        }
    }
    let by_id = |name: &str, id: &str| {
        report["findings"].as_array().unwrap().iter().any(|f| {
            f["package"]["name"] == name
                && (f["id"] == id || f["aliases"].as_array().is_some_and(|a| a.iter().any(|x| x == id)))
        })
    };
    for (name, id) in [("Django", "PYSEC-2019-10"), ("requests", "PYSEC-2018-28"), ("smallvec", "RUSTSEC-2021-0003")] {
        assert!(by_id(name, id), "{name}: {id}");
    }
    assert_eq!(report["coverage"]["packages"].as_u64().unwrap() as usize, report["packages"].as_array().unwrap().len());
}

/// The current Debian 11 and 12 images get no DSA/DLA finding: every fix in the lists (up to
/// 2023-04) is older than their packages, so a finding here would be a false positive.
#[test]
fn current_debian_images_have_no_dsa_or_dla_findings() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    for image in ["debian11-app", "debian12-app"] {
        let out = scan(&format!("oci:{}/{image}/oci", images.display()), &["--format", "json", "--fail-on", "none"]);
        assert_eq!(code(&out), 0, "{image}: {}", String::from_utf8_lossy(&out.stderr));
        let report = json(&out);
        let debian: Vec<&Value> =
            report["findings"].as_array().unwrap().iter().filter(|f| f["package"]["kind"] == "deb").collect();
        let dsa: Vec<String> = debian
            .iter()
            .flat_map(|f| std::iter::once(&f["id"]).chain(f["aliases"].as_array().into_iter().flatten()))
            .filter_map(Value::as_str)
            .filter(|id| id.starts_with("DSA-") || id.starts_with("DLA-"))
            .map(str::to_owned)
            .collect();
        assert!(dsa.is_empty(), "{image}: false positives {dsa:?}");
        let eco = report["coverage"]["ecosystems"].as_array().unwrap();
        assert!(eco.iter().any(|e| e["ecosystem"].as_str().unwrap().starts_with("Debian:")), "{image}: {eco:?}");
    }
}

/// A small image: Debian 11 with the real `libssl1.1` 1.1.1n-0+deb11u3 (DSA-5343-1 fixes it in
/// deb11u4), and an app layer with Django 2.2 and a Cargo.lock naming smallvec `smallvec`.
fn small_image(dir: &Path, smallvec: &str) -> String {
    app_image(dir, smallvec, &[("app/venv/lib/python3.9/site-packages", "2.2")])
}

/// [`small_image`] with Django installed as given: (site-packages directory, version) each.
fn app_image(dir: &Path, smallvec: &str, djangos: &[(&str, &str)]) -> String {
    let status = "Package: libssl1.1\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
        Installed-Size: 4124\nMaintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n\
        Architecture: amd64\nMulti-Arch: same\nSource: openssl\nVersion: 1.1.1n-0+deb11u3\n\
        Depends: libc6 (>= 2.25)\nDescription: Secure Sockets Layer toolkit - shared libraries\n\n";
    let os_release = "PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"11\"\n\
        VERSION=\"11 (bullseye)\"\nVERSION_CODENAME=bullseye\nID=debian\n";
    let base = LayerBuilder::new()
        .file("etc/os-release", os_release.as_bytes())
        .file("var/lib/dpkg/status", status.as_bytes())
        .build();
    let lock = format!(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"smallvec\"]\n\n\
         [[package]]\nname = \"smallvec\"\nversion = \"{smallvec}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
    );
    let mut app = LayerBuilder::new();
    for (site_packages, version) in djangos {
        let site = format!("{site_packages}/Django-{version}.dist-info");
        let metadata = format!("Metadata-Version: 2.1\nName: Django\nVersion: {version}\n");
        app = app
            .file(&format!("{site}/METADATA"), metadata.as_bytes())
            .file(&format!("{site}/RECORD"), b"django/__init__.py,,\n");
    }
    let app = app.file("app/Cargo.lock", lock.as_bytes()).build();
    write_oci_layout(dir, &[TestLayer::new(base, "debootstrap bullseye"), TestLayer::new(app, "COPY app /app")]);
    format!("oci:{}", dir.display())
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("scan-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn ids_of(report: &Value, list: &str) -> BTreeSet<String> {
    report[list].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

/// Exit codes 0, 1, 2, 4 and 5, and `--continue-on-failure` turning 4 into 0 with the report
/// still printed.
#[test]
fn exit_codes() {
    let dir = tempdir();
    let target = small_image(dir.path(), "1.6.0");

    let failing = scan(&target, &["--format", "json"]);
    assert_eq!(code(&failing), 4, "{}", String::from_utf8_lossy(&failing.stderr));
    let report = json(&failing);
    assert!(report["policy"]["failed"].as_bool().unwrap());
    assert!(ids_of(&report, "findings").contains("CVE-2021-25900"), "smallvec's RUSTSEC-2021-0003 (critical)");

    let continued = scan(&target, &["--format", "json", "--continue-on-failure"]);
    assert_eq!(code(&continued), 0);
    assert_eq!(json(&continued)["findings"], report["findings"], "same report with --continue-on-failure");

    let lenient = scan(&target, &["--format", "json", "--fail-on", "none"]);
    assert_eq!(code(&lenient), 0);

    let missing_db = microscanner().args(["scan", &target, "--db", "/nonexistent/x.db"]).output().unwrap();
    assert_eq!(code(&missing_db), 1);
    let stderr = String::from_utf8_lossy(&missing_db.stderr);
    assert!(stderr.contains("/nonexistent/x.db") && stderr.lines().count() == 1, "{stderr}");

    let usage = microscanner().args(["scan", &target, "--fail-on", "severe"]).output().unwrap();
    assert_eq!(code(&usage), 2);

    // An image whose OS cannot be recognised but holds OS packages is incomplete.
    let bare = tempdir();
    let status = "Package: libssl1.1\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\n\
        Version: 1.1.1n-0+deb11u3\nDescription: x\n\n";
    let layer = LayerBuilder::new().file("var/lib/dpkg/status", status.as_bytes()).build();
    write_oci_layout(bare.path(), &[TestLayer::new(layer, "ADD status")]);
    let incomplete_target = format!("oci:{}", bare.path().display());
    let incomplete = scan(&incomplete_target, &["--format", "json", "--fail-on-incomplete"]);
    assert_eq!(code(&incomplete), 5, "{}", String::from_utf8_lossy(&incomplete.stderr));
    let report = json(&incomplete);
    assert_eq!(report["coverage"]["complete"], false);
    assert!(!report["coverage"]["skipped"].as_array().unwrap().is_empty());
    let without_flag = scan(&incomplete_target, &["--format", "json"]);
    assert_eq!(code(&without_flag), 0);
}

/// An expired ignore entry stops hiding its finding; an unexpired one hides it; a VEX
/// `not_affected` statement hides one with its justification in the JSON.
#[test]
fn ignore_file_and_vex() {
    let dir = tempdir();
    let target = small_image(&dir.path().join("image"), "1.6.0");
    let plain = json(&scan(&target, &["--format", "json", "--fail-on", "none"]));
    let shown = ids_of(&plain, "findings");
    assert!(shown.contains("CVE-2021-25900") && shown.contains("CVE-2019-12781"), "{shown:?}");

    let ignore = dir.path().join("ignore.yaml");
    std::fs::write(
        &ignore,
        concat!(
            "ignore:\n",
            "  - id: RUSTSEC-2021-0003\n",
            "    reason: smallvec insert_many is never called\n",
            "    expires: 2000-01-01\n",
            "  - id: CVE-2019-12781\n",
            "    reason: behind a TLS-terminating proxy that sets the header\n",
            "    expires: 2999-12-31\n",
        ),
    )
    .unwrap();
    let out = scan(&target, &["--format", "json", "--fail-on", "none", "--ignore-file", ignore.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let r = json(&out);
    assert!(ids_of(&r, "findings").contains("CVE-2021-25900"), "the expired entry no longer hides it");
    assert!(!ids_of(&r, "findings").contains("CVE-2019-12781"));
    assert!(ids_of(&r, "suppressed").contains("CVE-2019-12781"));

    let vex = dir.path().join("app.openvex.json");
    let statement = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex/1",
        "author": "app team",
        "timestamp": "2026-11-01T00:00:00Z",
        "version": 1,
        "statements": [{
            "vulnerability": {"name": "CVE-2021-25900"},
            "products": [{"@id": "pkg:cargo/smallvec@1.6.0"}],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "insert_many is not used"
        }]
    });
    std::fs::write(&vex, serde_json::to_vec(&statement).unwrap()).unwrap();
    let out = scan(&target, &["--format", "json", "--vex", vex.to_str().unwrap()]);
    let r = json(&out);
    assert!(!ids_of(&r, "findings").contains("CVE-2021-25900"));
    let hidden = r["suppressed"].as_array().unwrap().iter().find(|f| f["id"] == "CVE-2021-25900").unwrap();
    assert_eq!(hidden["suppression"]["justification"], "vulnerable_code_not_in_execute_path");
    assert_eq!(hidden["suppression"]["kind"], "vex");

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "ignore:\n  - id: X\n    expires: someday\n").unwrap();
    let out = scan(&target, &["--ignore-file", bad.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.yaml"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `--baseline`: findings already in the old report do not fail; `diff` shows what is new and
/// what was fixed.
#[test]
fn baseline_and_diff() {
    let dir = tempdir();
    let old_target = small_image(&dir.path().join("old"), "1.6.0");
    let new_target = small_image(&dir.path().join("new"), "1.6.1");
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    scan(&old_target, &["--format", "json", "--output", old.to_str().unwrap(), "--fail-on", "none"]);
    scan(&new_target, &["--format", "json", "--output", new.to_str().unwrap(), "--fail-on", "none"]);

    let again = scan(&old_target, &["--format", "json", "--baseline", old.to_str().unwrap()]);
    assert_eq!(code(&again), 0, "nothing new: {}", String::from_utf8_lossy(&again.stderr));
    assert!(json(&again)["findings"].as_array().unwrap().iter().all(|f| f["in_baseline"] == true));

    let out = microscanner().args(["diff", "--format", "json"]).arg(&old).arg(&new).output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let d = json(&out);
    let fixed: BTreeSet<_> = d["fixed"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(fixed.contains("CVE-2021-25900"), "smallvec 1.6.1 fixes it: {d}");
    assert!(d["new"].as_array().unwrap().is_empty(), "{d}");

    let reverse =
        microscanner().args(["diff", "--format", "json", "--fail-on", "high"]).arg(&new).arg(&old).output().unwrap();
    assert_eq!(code(&reverse), 4, "going back re-introduces a critical finding");
}

/// Every format for the same scan, each checked: JSON against our schema, CycloneDX and SPDX with
/// the official validators, SARIF's shape, JUnit's test cases, the old microscanner fields,
/// HTML and Markdown carrying every id, a template.
#[test]
fn every_format() {
    let dir = tempdir();
    let target = small_image(&dir.path().join("image"), "1.6.0");
    let base = json(&scan(&target, &["--format", "json", "--fail-on", "none"]));
    assert_schema_valid(&base);
    let ids = ids_of(&base, "findings");
    assert!(ids.len() >= 3, "{ids:?}");

    let render = |format: &str, extra: &[&str]| -> Vec<u8> {
        let mut args = vec!["--format", format, "--fail-on", "none"];
        args.extend_from_slice(extra);
        let out = scan(&target, &args);
        assert_eq!(code(&out), 0, "{format}: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let text = |format: &str| String::from_utf8(render(format, &[])).unwrap();

    for format in ["table", "markdown", "html"] {
        let t = text(format);
        for id in &ids {
            assert!(t.contains(id.as_str()), "{format} shows {id}");
        }
    }
    let sarif: Value = serde_json::from_slice(&render("sarif", &[])).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), base["findings"].as_array().unwrap().len());

    let cdx: Value = serde_json::from_slice(&render("cyclonedx", &[])).unwrap();
    assert_eq!(cdx["specVersion"], "1.6");
    assert!(!cdx["vulnerabilities"].as_array().unwrap().is_empty());
    let spdx: Value = serde_json::from_slice(&render("spdx", &[])).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    if microscanner_testkit::sbom_validators_present() {
        let (cdx_file, spdx_file) = (dir.path().join("report.cdx.json"), dir.path().join("report.spdx.json"));
        std::fs::write(&cdx_file, serde_json::to_vec(&cdx).unwrap()).unwrap();
        std::fs::write(&spdx_file, serde_json::to_vec(&spdx).unwrap()).unwrap();
        microscanner_testkit::validate_cyclonedx(&cdx_file).unwrap();
        microscanner_testkit::validate_spdx(&spdx_file).unwrap();
    }

    let junit = text("junit");
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert_eq!(junit.matches("<testcase").count(), ids.len(), "one test case per finding");

    let legacy: Value = serde_json::from_slice(&render("microscanner", &[])).unwrap();
    for key in ["scan_started", "resources", "vulnerability_summary", "os", "version"] {
        assert!(legacy.get(key).is_some(), "microscanner format has {key}");
    }

    let template = dir.path().join("t.jinja");
    std::fs::write(&template, "{% for f in findings %}{{ f.id }};{% endfor %}").unwrap();
    let t = String::from_utf8(render("template", &["--template", template.to_str().unwrap()])).unwrap();
    let from_template: BTreeSet<String> = t.split(';').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    assert_eq!(from_template, ids);

    let out_file = dir.path().join("report.html");
    let out = scan(&target, &["--format", "html", "--output", out_file.to_str().unwrap(), "--fail-on", "none"]);
    assert!(out.stdout.is_empty(), "--output keeps stdout clean");
    assert!(std::fs::read_to_string(&out_file).unwrap().contains("<html"));
}

/// The shown findings a report does not mark `in_baseline`, as (id, location), sorted.
fn not_in_baseline(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["in_baseline"] != true)
        .map(|f| (f["id"].as_str().unwrap().to_owned(), f["package"]["location"].as_str().unwrap().to_owned()))
        .collect();
    out.sort();
    out
}

/// `--baseline` and `diff` count the same findings as new (one definition of "the same finding"):
/// Django upgraded in place (2.2 to 2.2.1, its `dist-info` directory renamed) and still vulnerable
/// is not new; a second copy of Django 2.2 in another venv is. The first build, whose baseline file
/// does not exist yet, warns that every finding is new instead of failing with exit 1.
#[test]
fn baseline_and_diff_agree_and_a_missing_baseline_warns() {
    let dir = tempdir();
    let site = "app/venv/lib/python3.9/site-packages";
    let old_target = app_image(&dir.path().join("old"), "1.6.0", &[(site, "2.2")]);
    let new_target = app_image(
        &dir.path().join("new"),
        "1.6.0",
        &[(site, "2.2.1"), ("srv/tool/lib/python3.9/site-packages", "2.2")],
    );

    // the first build: no baseline yet
    let none = dir.path().join("baseline.json");
    let first = scan(&new_target, &["--format", "json", "--baseline", none.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(code(&first), 4, "judged as without a baseline (smallvec is critical): {stderr}");
    assert!(stderr.contains("no baseline yet: every finding is new"), "{stderr}");
    let report = json(&first);
    assert_schema_valid(&report);
    assert!(report["findings"].as_array().unwrap().iter().all(|f| f["in_baseline"] != true));
    let warned = report["diagnostics"].as_array().unwrap().iter().any(|d| {
        d["level"] == "warning" && d["message"].as_str().unwrap().starts_with("no baseline yet: every finding is new")
    });
    assert!(warned, "{}", report["diagnostics"]);

    let (old, new) = (dir.path().join("old.json"), dir.path().join("new.json"));
    for (target, file) in [(&old_target, &old), (&new_target, &new)] {
        let out = scan(target, &["--format", "json", "--output", file.to_str().unwrap(), "--fail-on", "none"]);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    }
    let judged = scan(&new_target, &["--format", "json", "--fail-on", "none", "--baseline", old.to_str().unwrap()]);
    let by_baseline = not_in_baseline(&json(&judged));

    let out = microscanner().args(["diff", "--format", "json"]).arg(&old).arg(&new).output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let d = json(&out);
    let mut by_diff: Vec<(String, String)> = d["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_owned(), f["package"]["location"].as_str().unwrap().to_owned()))
        .collect();
    by_diff.sort();
    assert_eq!(by_baseline, by_diff, "--baseline and diff agree on what is new");
    assert_eq!(d["summary"]["new"]["total"].as_u64().unwrap() as usize, by_baseline.len());
    assert!(!by_baseline.is_empty(), "the second copy's findings are new");
    for (id, location) in &by_baseline {
        assert!(location.starts_with("/srv/tool/"), "{id} at {location}: only the new copy is new");
    }
    let upgraded = d["changed"].as_array().unwrap().iter().any(|c| {
        c["after"]["package"]["location"].as_str().unwrap().contains("Django-2.2.1.dist-info")
            && c["changes"].as_array().unwrap().iter().any(|x| x == "version 2.2 -> 2.2.1")
    });
    assert!(upgraded, "the upgrade in place is a change: {}", d["changed"]);
}

/// `--fail-on` takes a threshold plus `unknown` (`high,unknown`); `high` alone never fails on
/// unrated findings and `unknown` alone is still every finding; `diff --fail-on` takes the same;
/// `--severity` takes Trivy's comma list in any case.
#[test]
fn fail_on_a_set_and_severity_a_trivy_list() {
    let dir = tempdir();
    let target = small_image(&dir.path().join("image"), "1.6.0");

    // Django 2.2 has advisories no source rated
    let unrated = scan(&target, &["--format", "json", "--severity", "unknown", "--fail-on", "high"]);
    assert_eq!(code(&unrated), 0, "high never sees unknown: {}", String::from_utf8_lossy(&unrated.stderr));
    let shown = json(&unrated)["findings"].as_array().unwrap().len();
    assert!(shown > 0, "the image has unrated findings");

    for spec in ["high,unknown", "HIGH, Unknown", "critical,high,unknown"] {
        let out = scan(&target, &["--format", "json", "--severity", "unknown", "--fail-on", spec]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(code(&out), 4, "--fail-on {spec}: {stderr}");
        assert!(stderr.contains("plus unknown"), "the verdict names what failed: {stderr}");
        let report = json(&out);
        assert_schema_valid(&report);
        assert_eq!(report["policy"]["fail_on"], "high", "{spec}");
        assert_eq!(report["policy"]["fail_on_unknown"], true, "{spec}");
        assert_eq!(report["policy"]["failing"].as_u64().unwrap() as usize, shown);
    }
    let everything = scan(&target, &["--format", "json", "--severity", "unknown", "--fail-on", "unknown"]);
    assert_eq!(code(&everything), 4);
    assert!(json(&everything)["policy"].get("fail_on_unknown").is_none(), "a plain threshold, as before");
    let critical = scan(&target, &["--format", "json", "--fail-on", "critical"]);
    assert_eq!(code(&critical), 4, "a threshold as before: smallvec is critical");
    for bad in ["high,severe", "none,high", "high,"] {
        let out = scan(&target, &["--fail-on", bad]);
        assert_eq!(code(&out), 2, "--fail-on {bad}: {}", String::from_utf8_lossy(&out.stderr));
    }

    // --severity: Trivy's spelling
    let mut severities = BTreeSet::new();
    for list in ["HIGH,CRITICAL", "high, critical", "Critical,High"] {
        let out = scan(&target, &["--format", "json", "--fail-on", "none", "--severity", list]);
        assert_eq!(code(&out), 0, "--severity {list}: {}", String::from_utf8_lossy(&out.stderr));
        let report = json(&out);
        assert_eq!(report["policy"]["severities"], serde_json::json!(["critical", "high"]), "{list}");
        let found: BTreeSet<String> =
            report["findings"].as_array().unwrap().iter().map(|f| f["severity"].as_str().unwrap().to_owned()).collect();
        assert!(found.contains("critical"), "{list}: {found:?}");
        assert!(found.iter().all(|s| s == "critical" || s == "high"), "{list}: {found:?}");
        severities.insert(found);
    }
    assert_eq!(severities.len(), 1, "the same findings whatever the spelling");

    // diff --fail-on: what is new since a report that showed only rated findings is unrated
    let (old, new) = (dir.path().join("rated.json"), dir.path().join("all.json"));
    let rated = ["--severity", "critical,high,medium,low,negligible", "--fail-on", "none"];
    scan(&target, &[&["--format", "json", "--output", old.to_str().unwrap()][..], &rated[..]].concat());
    scan(&target, &["--format", "json", "--output", new.to_str().unwrap(), "--fail-on", "none"]);
    let diff_fail = |spec: &str| {
        let out =
            microscanner().args(["diff", "--format", "json", "--fail-on", spec]).arg(&old).arg(&new).output().unwrap();
        code(&out)
    };
    assert_eq!(diff_fail("high"), 0, "only unrated findings are new");
    assert_eq!(diff_fail("high,unknown"), 4);
    assert_eq!(diff_fail("none"), 0);
    assert_eq!(diff_fail("high,severe"), 2);
}
