//! `db update` against a loopback server serving the fixture feeds at their upstream paths.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests may unwrap and report figures

use crate::support_server as server;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use microscanner_feeds::build::NoProgress;
use microscanner_feeds::update::{Origin, UpdateOptions, download_cache_dir, update};
use microscanner_vulndb::Database;
use server::{Route, Server, serve_fixtures};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn options(server: &Server) -> UpdateOptions {
    UpdateOptions {
        origin: Origin::Mirror(server.base.clone()),
        ecosystems: Some(["PyPI", "Go", "crates.io", "Debian", "Alpine"].map(String::from).to_vec()),
        feeds: None,
        nvd_api_key: None,
        nvd_delay: Some(Duration::ZERO),
        retries: 2,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(20),
        stall_timeout: Duration::from_secs(20),
    }
}

fn workdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("update-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn built_at(db: &Path) -> String {
    Database::open(db).unwrap().metadata().unwrap().built_at
}

/// First run downloads everything and builds; returns (server, db path).
fn first_run(name: &str) -> (Server, PathBuf) {
    let server = serve_fixtures(&fixtures());
    let db = workdir(name).join("microscanner.db");
    let report = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(report.rebuilt());
    let log = server.take_log();
    assert!(log.iter().all(|s| s.if_none_match.is_none()), "first run is unconditional");
    assert!(log.iter().any(|s| s.path == "/PyPI/all.zip" && s.status == 200));
    (server, db)
}

#[test]
fn first_run_downloads_second_run_is_conditional_and_rebuilds_nothing() {
    let (server, db) = first_run("twice");
    let d = Database::open(&db).unwrap();
    d.verify().unwrap();
    assert!(d.advisory("DSA-5380-1").unwrap().is_some());
    assert!(d.kev("CVE-2025-48384").unwrap().is_some());
    assert_eq!(d.epss("CVE-2020-5902").unwrap().unwrap().score, 0.97567);
    assert!(d.advisory("CVE-2023-27314").unwrap().is_some(), "NVD page");
    assert!(!d.affected("Alpine:v3.11", "ansible").unwrap().is_empty());
    assert!(d.ecosystems().unwrap().iter().any(|(e, _)| e == "PyPI"));
    let meta = d.metadata().unwrap();
    assert!(meta.sources.iter().any(|s| s.name == "osv:PyPI" && s.origin.ends_with("/PyPI/all.zip")));
    drop(d);
    let before = built_at(&db);
    let inode_before = std::fs::metadata(&db).unwrap().modified().unwrap();

    let report = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(!report.rebuilt(), "{report:?}");
    assert!(report.downloaded.is_empty());
    let log = server.take_log();
    // NVD is asked for the CVEs modified since the first run (none): the rest is conditional
    let (window, served): (Vec<_>, Vec<_>) =
        log.iter().filter(|s| s.status != 404).partition(|s| s.target.contains("lastModStartDate="));
    assert!(!served.is_empty());
    assert!(served.iter().all(|s| s.if_none_match.is_some() && s.status == 304), "{served:?}");
    assert_eq!(window.len(), 1, "{window:?}");
    assert_eq!(built_at(&db), before);
    assert_eq!(std::fs::metadata(&db).unwrap().modified().unwrap(), inode_before);

    // One feed changes: rebuilt, with the new content.
    let kev_path = "/sites/default/files/feeds/known_exploited_vulnerabilities.json";
    let mut kev: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures().join("kev-cisa/known_exploited_vulnerabilities.json")).unwrap(),
    )
    .unwrap();
    kev["vulnerabilities"].as_array_mut().unwrap().truncate(10);
    server.file(kev_path, serde_json::to_vec(&kev).unwrap());
    let report = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(report.rebuilt());
    assert_eq!(report.downloaded, ["kev"]);
    let d = Database::open(&db).unwrap();
    assert_eq!(d.counts().unwrap().kev, 10);
    assert!(d.advisory("DSA-5380-1").unwrap().is_some(), "unchanged feeds come from the cache");
    drop(d);

    // A narrower --ecosystems rebuilds from the cache even though nothing changed upstream.
    let narrow = UpdateOptions { ecosystems: Some(vec!["pypi".into()]), ..options(&server) };
    let report = update(&db, &narrow, &NoProgress).unwrap();
    assert!(report.rebuilt() && report.downloaded.is_empty(), "{report:?}");
    let d = Database::open(&db).unwrap();
    assert!(d.ecosystems().unwrap().iter().all(|(e, _)| e == "PyPI"));
    assert!(d.advisory("DSA-5380-1").unwrap().is_none());
}

fn assert_failed_and_intact(db: &Path, before: &str, err: &str, needle: &str) {
    assert!(err.contains(needle), "error should say what failed ({needle}): {err}");
    let d = Database::open(db).unwrap();
    d.verify().unwrap();
    assert_eq!(d.metadata().unwrap().built_at, before);
    assert!(d.advisory("DSA-5380-1").unwrap().is_some());
    let leftovers: Vec<_> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn server_errors_leave_the_previous_database_working() {
    let (server, db) = first_run("errors");
    let before = built_at(&db);
    let good = server.get("/PyPI/all.zip").unwrap();
    let Route::File { body, .. } = good.clone() else { panic!() };

    // 500: retried, then reported.
    server.set("/PyPI/all.zip", Route::Status(500));
    let err = update(&db, &options(&server), &NoProgress).unwrap_err().to_string();
    assert_failed_and_intact(&db, &before, &err, "/PyPI/all.zip");
    assert!(err.contains("500") && err.contains("3 attempts"), "{err}");
    assert_eq!(server.take_log().iter().filter(|s| s.path == "/PyPI/all.zip").count(), 3);

    // Connection dropped halfway through the body.
    server.set("/PyPI/all.zip", Route::DropHalfway(body.clone()));
    let err = update(&db, &options(&server), &NoProgress).unwrap_err().to_string();
    assert_failed_and_intact(&db, &before, &err, "/PyPI/all.zip");
    assert!(err.contains("interrupted") || err.contains("request failed"), "{err}");

    // A corrupt zip (new ETag, garbage inside).
    let mut corrupt = body.to_vec();
    let mid = corrupt.len() / 2;
    corrupt.truncate(mid);
    server.set("/PyPI/all.zip", Route::File { body: Arc::new(corrupt), etag: "\"corrupt\"".into() });
    let err = update(&db, &options(&server), &NoProgress).unwrap_err().to_string();
    assert_failed_and_intact(&db, &before, &err, "/PyPI/all.zip");
    assert!(err.contains("zip"), "{err}");

    // Server healthy again: the cache was not poisoned, so everything is 304 and nothing rebuilds.
    server.set("/PyPI/all.zip", good);
    server.take_log();
    let report = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(!report.rebuilt(), "{report:?}");
    assert_eq!(built_at(&db), before);
    assert!(
        std::fs::read_dir(download_cache_dir(&db))
            .unwrap()
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().starts_with("incoming"))
    );
}

#[test]
fn a_local_directory_mirror_works_too() {
    // Lay the files out at their upstream paths in a directory (links, not copies of the fixtures).
    let dir = workdir("dirmirror");
    let root = dir.join("mirror");
    let f = fixtures();
    let vuls = f.join("feeds-vuls-data-update-fixtures/pkg/fetch");
    for (path, src) in [
        ("PyPI/all.zip", vuls.join("pip/osv/testdata/fixtures/all.zip")),
        (
            "sites/default/files/feeds/known_exploited_vulnerabilities.json",
            f.join("kev-cisa/known_exploited_vulnerabilities.json"),
        ),
    ] {
        let dest = root.join(path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&src, &dest).unwrap();
    }
    let db = dir.join("m.db");
    let opts = UpdateOptions {
        origin: Origin::parse(root.to_str().unwrap()),
        ecosystems: Some(vec!["pypi".into()]),
        feeds: Some(vec!["osv".into(), "kev".into()]),
        ..UpdateOptions::default()
    };
    let report = update(&db, &opts, &NoProgress).unwrap();
    assert!(report.rebuilt());
    let d = Database::open(&db).unwrap();
    assert_eq!(d.counts().unwrap().kev, 1404);
    assert!(d.ecosystems().unwrap().iter().all(|(e, _)| e == "PyPI"));
    drop(d);
    assert!(!update(&db, &opts, &NoProgress).unwrap().rebuilt(), "same content: no rebuild");
}

#[test]
fn the_wolfi_chainguard_and_minimos_secdbs_are_fetched_at_their_upstream_paths() {
    let dir = workdir("secdbmirror");
    let root = dir.join("mirror");
    let providers = fixtures().join("feeds-vunnel-fixtures/tests/unit/providers");
    for (path, vendor) in [
        ("os/security.json", "wolfi"),
        ("chainguard/security.json", "chainguard"),
        ("advisories/secdb/security.json", "minimos"),
    ] {
        let src = providers.join(vendor).join("test-fixtures/input/secdb/security.json");
        let dest = root.join(path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&src, &dest).unwrap();
    }
    let db = dir.join("s.db");
    let opts = UpdateOptions {
        origin: Origin::parse(root.to_str().unwrap()),
        feeds: Some(vec!["wolfi".into(), "chainguard".into(), "minimos".into()]),
        ..UpdateOptions::default()
    };
    let report = update(&db, &opts, &NoProgress).unwrap();
    assert!(report.rebuilt());
    assert_eq!(report.downloaded, ["wolfi-secdb", "chainguard-secdb", "minimos-secdb"]);
    let ecosystems: Vec<String> =
        Database::open(&db).unwrap().ecosystems().unwrap().into_iter().map(|(e, _)| e).collect();
    assert_eq!(ecosystems, ["Chainguard", "MinimOS", "Wolfi"], "each vendor's secdb in its own ecosystem");
}

#[test]
fn nvd_is_paged_and_a_new_response_timestamp_is_not_a_change() {
    let server = Server::start();
    let pages = fixtures().join("feeds-vuls-data-update-fixtures/pkg/fetch/nvd/api/cve/testdata/fixtures/3_pages");
    let page = |start: u32| {
        let name = match start {
            0 => "0-3.json",
            3 => "3-3.json",
            _ => "6-3.json",
        };
        std::fs::read(pages.join(name)).unwrap()
    };
    for start in [0, 3, 6] {
        server.file(&format!("/rest/json/cves/2.0?resultsPerPage=2000&startIndex={start}"), page(start));
    }
    let db = workdir("nvdpages").join("n.db");
    let opts = UpdateOptions { feeds: Some(vec!["nvd".into()]), ..options(&server) };
    let report = update(&db, &opts, &NoProgress).unwrap();
    assert!(report.rebuilt());
    let d = Database::open(&db).unwrap();
    assert_eq!(d.counts().unwrap().advisories, 8);
    assert!(d.advisory("CVE-2023-47800").unwrap().is_some(), "last page");
    drop(d);
    assert_eq!(server.take_log().len(), 3);

    // NVD stamps every response with the time of the request: same CVEs, new timestamp, no rebuild.
    let mut first: serde_json::Value = serde_json::from_slice(&page(0)).unwrap();
    first["timestamp"] = "2026-11-23T10:00:00.000".into();
    server.file("/rest/json/cves/2.0?resultsPerPage=2000&startIndex=0", serde_json::to_vec(&first).unwrap());
    let report = update(&db, &opts, &NoProgress).unwrap();
    assert!(!report.rebuilt(), "{report:?}");
}

#[test]
fn a_server_that_accepts_and_never_answers_fails_at_the_stall_timeout() {
    // accepts connections, reads nothing, answers nothing (kept open until the test ends)
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming().take(8).flatten() {
            open.push(stream);
        }
        open
    });
    let dir = workdir("stall");
    let db = dir.join("m.db");
    let opts = UpdateOptions {
        origin: Origin::Mirror(base),
        feeds: Some(vec!["kev".into()]),
        retries: 0,
        timeout: Duration::from_secs(600),
        stall_timeout: Duration::from_secs(1),
        ..UpdateOptions::default()
    };
    let started = std::time::Instant::now();
    let err = update(&db, &opts, &NoProgress).unwrap_err().to_string();
    // a hang guard, not a timing assertion: the whole timeout is ten minutes
    assert!(started.elapsed() < Duration::from_secs(120), "took {:?}", started.elapsed());
    assert!(err.to_lowercase().contains("timed out") || err.contains("timeout"), "{err}");
    assert!(!db.exists(), "no database from a failed first update");
    drop(held);
}

#[test]
fn amazon_linux_updateinfo_is_found_through_its_mirror_list_and_repomd() {
    // A directory laid out as cdn.amazonlinux.com is: each release's mirror.list names the
    // repository (by an upstream URL, whose path the mirror keeps), whose repomd.xml names the
    // updateinfo file.
    let dir = workdir("amazonmirror");
    let root = dir.join("mirror");
    let amazon = fixtures().join("feeds-vuls-data-update-fixtures/pkg/fetch/amazon/testdata/fixtures");
    let link = |path: &str, src: PathBuf| {
        let dest = root.join(path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(src, dest).unwrap();
    };
    for (list, repo, updateinfo) in [
        ("2/core/latest/x86_64/mirror.list", "2/core/2.0/x86_64/6b0225cc", "updateinfo_2.xml.gz"),
        ("al2023/core/mirrors/latest/x86_64/mirror.list", "al2023/core/guids/3a1b/x86_64", "updateinfo_2023.xml.gz"),
    ] {
        let list_path = root.join(list);
        std::fs::create_dir_all(list_path.parent().unwrap()).unwrap();
        std::fs::write(&list_path, format!("https://cdn.amazonlinux.com/{repo}/\n")).unwrap();
        link(&format!("{repo}/repodata/repomd.xml"), amazon.join("repomd_valid.xml"));
        link(&format!("{repo}/repodata/updateinfo.xml.gz"), amazon.join(updateinfo));
    }
    let db = dir.join("a.db");
    let opts = UpdateOptions {
        origin: Origin::parse(root.to_str().unwrap()),
        feeds: Some(vec!["amazon".into()]),
        ..UpdateOptions::default()
    };
    let report = update(&db, &opts, &NoProgress).unwrap();
    assert_eq!(report.downloaded, ["amazon:2", "amazon:2023"]);
    let ecosystems: Vec<String> =
        Database::open(&db).unwrap().ecosystems().unwrap().into_iter().map(|(e, _)| e).collect();
    assert!(ecosystems.contains(&"Amazon Linux:2".to_owned()), "{ecosystems:?}");
    assert!(ecosystems.contains(&"Amazon Linux:2023".to_owned()), "{ecosystems:?}");
    assert!(!update(&db, &opts, &NoProgress).unwrap().rebuilt(), "same content: no rebuild");

    // A mirror list that sends us elsewhere is refused, naming the list.
    std::fs::write(root.join("2/core/latest/x86_64/mirror.list"), "https://evil.example/x/\n").unwrap();
    let err = update(&dir.join("b.db"), &opts, &NoProgress).unwrap_err().to_string();
    assert!(err.contains("mirror.list") && err.contains("no repository address"), "{err}");
}

#[test]
fn red_hats_vex_archive_is_found_through_archive_latest() {
    // A directory laid out as security.access.redhat.com is: archive_latest.txt names the
    // archive beside it (here of the real CVE-2024-10041 document).
    let dir = workdir("redhatmirror");
    let vex = dir.join("mirror/data/csaf/v2/vex");
    std::fs::create_dir_all(&vex).unwrap();
    let pam = std::fs::read(
        fixtures().join("feeds-trivy-db-fixtures/pkg/vulnsrc/redhat-csaf/testdata/happy/csaf-vex/cve-2024-10041.json"),
    )
    .unwrap();
    std::fs::write(
        vex.join("csaf_vex_2025-12-06.tar.zst"),
        crate::redhat_vex::archive(&[("2024/cve-2024-10041.json", pam)]),
    )
    .unwrap();
    std::fs::write(vex.join("archive_latest.txt"), "csaf_vex_2025-12-06.tar.zst\n").unwrap();
    let db = dir.join("r.db");
    let opts = UpdateOptions {
        origin: Origin::parse(dir.join("mirror").to_str().unwrap()),
        feeds: Some(vec!["redhat".into()]),
        ..UpdateOptions::default()
    };
    let report = update(&db, &opts, &NoProgress).unwrap();
    assert_eq!(report.downloaded, ["redhat-vex"]);
    assert_eq!(Database::open(&db).unwrap().affected("Red Hat:enterprise_linux:9", "pam").unwrap().len(), 1);
    assert!(!update(&db, &opts, &NoProgress).unwrap().rebuilt(), "same archive: no rebuild");
    // An index that names a path, not a file beside it, is refused, naming the index.
    std::fs::write(vex.join("archive_latest.txt"), "../../../etc/x.tar.zst\n").unwrap();
    let err = update(&dir.join("b.db"), &opts, &NoProgress).unwrap_err().to_string();
    assert!(err.contains("archive_latest.txt") && err.contains("names no .tar.zst archive"), "{err}");
}
