//! Incremental `db update` of OSV and NVD against a loopback server laid out as osv.dev's bucket
//! (`<ECOSYSTEM>/all.zip`, `modified_id.csv`, `<ID>.json`) and NVD's API (windows by
//! `lastModified`), holding real records whose modification times the test sets.

use crate::support_server as server;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use microscanner_feeds::build::NoProgress;
use microscanner_feeds::update::{Origin, UpdateOptions, download_cache_dir, update};
use serde_json::Value;
use server::{Route, Server};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn workdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("incremental-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn options(server: &Server) -> UpdateOptions {
    UpdateOptions {
        origin: Origin::Mirror(server.base.clone()),
        ecosystems: Some(vec!["PyPI".into(), "Go".into()]),
        feeds: Some(vec!["osv".into(), "nvd".into()]),
        nvd_delay: Some(Duration::ZERO),
        retries: 1,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(30),
        stall_timeout: Duration::from_secs(30),
        ..UpdateOptions::default()
    }
}

/// The upstream state: OSV records per ecosystem by id, NVD items in NVD's order.
#[derive(Clone)]
struct Upstream {
    osv: BTreeMap<&'static str, BTreeMap<String, Value>>,
    nvd: Vec<Value>,
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// `n` real records of a directory tree of OSV JSON files, in path order.
fn osv_records(dir: &Path, n: usize) -> BTreeMap<String, Value> {
    let mut files: Vec<PathBuf> =
        walk(dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    files.sort();
    files.iter().take(n).map(|p| read_json(p)).map(|v| (v["id"].as_str().unwrap().to_owned(), v)).collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

impl Upstream {
    fn real() -> Self {
        let f = fixtures();
        let mut osv = BTreeMap::new();
        osv.insert("PyPI", osv_records(&f.join("osv-pypi-pypa/json"), 120));
        osv.insert("Go", osv_records(&f.join("osv-go-vulndb/data/osv"), 120));
        let page = read_json(&f.join("feeds-vunnel-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json"));
        let nvd = page["vulnerabilities"].as_array().unwrap().clone();
        Self { osv, nvd }
    }

    /// Serves this state: per ecosystem the zip, the list (newest first) and every record; NVD.
    fn publish(&self, server: &Server) {
        for (eco, records) in &self.osv {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            let mut list: Vec<(OffsetDateTime, String, String)> = Vec::new();
            for (id, record) in records {
                let bytes = serde_json::to_vec(record).unwrap();
                zip.start_file(format!("{id}.json"), opts).unwrap();
                zip.write_all(&bytes).unwrap();
                server.file(&format!("/{eco}/{id}.json"), bytes);
                let modified = record["modified"].as_str().unwrap().to_owned();
                list.push((OffsetDateTime::parse(&modified, &Rfc3339).unwrap(), modified, id.clone()));
            }
            server.file(&format!("/{eco}/all.zip"), zip.finish().unwrap().into_inner());
            list.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(&b.2)));
            let csv: String = list.iter().map(|(_, m, id)| format!("{m},{id}\n")).collect();
            server.file(&format!("/{eco}/modified_id.csv"), csv.into_bytes());
        }
        server.set(
            "/rest/json/cves/2.0",
            Route::Nvd { items: Arc::new(self.nvd.clone()), timestamp: "2026-12-01T00:00:00.000".into() },
        );
    }

    /// Changes a record as upstream does: new content, `modified` now.
    fn change_osv(&mut self, eco: &str, id: &str, change: impl FnOnce(&mut Value)) {
        let record = self.osv.get_mut(eco).unwrap().get_mut(id).unwrap();
        change(record);
        record["modified"] = now_rfc3339().into();
    }

    fn change_cve(&mut self, id: &str, change: impl FnOnce(&mut Value)) {
        let item = self.nvd.iter_mut().find(|i| i["cve"]["id"] == id).unwrap();
        change(&mut item["cve"]);
        item["cve"]["lastModified"] = now_nvd().into();
    }
}

fn now_rfc3339() -> String {
    std::thread::sleep(Duration::from_millis(5));
    OffsetDateTime::now_utc().format(&Rfc3339).unwrap()
}

fn now_nvd() -> String {
    std::thread::sleep(Duration::from_millis(5));
    let t = OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Every table of a database, each row as text, sorted: equal dumps are equal contents. The
/// build time, which differs between any two builds, is left out.
fn dump(db: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(tables.len() >= 9, "{tables:?}");
    let mut out = BTreeMap::new();
    for table in tables {
        let filter = if table == "meta" { " WHERE key <> 'built_at'" } else { "" };
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}{filter}")).unwrap();
        let columns = stmt.column_count();
        let text = |v: rusqlite::types::ValueRef<'_>| match v {
            rusqlite::types::ValueRef::Null => "NULL".to_owned(),
            rusqlite::types::ValueRef::Integer(i) => i.to_string(),
            rusqlite::types::ValueRef::Real(f) => f.to_string(),
            rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                String::from_utf8_lossy(t).into_owned()
            }
        };
        let mut rows: Vec<String> = stmt
            .query_map([], |r| Ok((0..columns).map(|i| text(r.get_ref(i).unwrap())).collect::<Vec<_>>().join(" | ")))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.insert(table, rows);
    }
    out
}

fn targets(server: &Server) -> Vec<String> {
    let mut t: Vec<String> = server.take_log().into_iter().map(|s| s.target).collect();
    t.sort();
    t
}

fn is_window(target: &str) -> bool {
    target.starts_with("/rest/json/cves/2.0?lastModStartDate=")
}

#[test]
fn an_incremental_update_fetches_only_the_changes_and_equals_a_full_build() {
    let server = Server::start();
    let mut upstream = Upstream::real();
    upstream.publish(&server);
    // A real record upstream publishes later.
    let newcomer = upstream.osv.get_mut("PyPI").unwrap().pop_last().unwrap();
    upstream.publish(&server);
    server.take_log();

    let db = workdir("osvnvd").join("m.db");
    let first = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(first.rebuilt());
    let log = targets(&server);
    for must in [
        "/PyPI/all.zip",
        "/Go/all.zip",
        "/PyPI/modified_id.csv",
        "/rest/json/cves/2.0?resultsPerPage=2000&startIndex=0",
    ] {
        assert!(log.iter().any(|t| t == must), "{must} in {log:?}");
    }

    // Upstream changes: two PyPI records, one Go record, one new PyPI record; two CVEs change
    // and one is new.
    let pypi: Vec<String> = upstream.osv["PyPI"].keys().take(2).cloned().collect();
    upstream.change_osv("PyPI", &pypi[0], |r| r["withdrawn"] = now_rfc3339().into());
    upstream.change_osv("PyPI", &pypi[1], |r| r["details"] = "Superseded by a later advisory.".into());
    let go = upstream.osv["Go"].keys().nth(5).unwrap().clone();
    upstream.change_osv("Go", &go, |r| r["summary"] = "Changed upstream".into());
    let new_id = newcomer.0.clone();
    let mut record = newcomer.1;
    record["modified"] = now_rfc3339().into();
    upstream.osv.get_mut("PyPI").unwrap().insert(new_id.clone(), record);
    let cves: Vec<String> = upstream.nvd.iter().take(2).map(|i| i["cve"]["id"].as_str().unwrap().to_owned()).collect();
    upstream.change_cve(&cves[0], |c| c["vulnStatus"] = "Rejected".into());
    upstream.change_cve(&cves[1], |c| c["descriptions"] = serde_json::json!([{"lang": "en", "value": "Changed."}]));
    let extra = read_json(&fixtures().join("feeds-osv-dev-testdata/vulnfeeds/test_data/nvdcve-2.0/CVE-2024-3094.json"));
    let mut extra = extra["vulnerabilities"][0].clone();
    extra["cve"]["lastModified"] = now_nvd().into();
    upstream.nvd.push(extra);
    upstream.publish(&server);
    server.take_log();

    let second = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(second.rebuilt(), "{second:?}");
    assert_eq!(second.downloaded, ["osv:PyPI", "osv:Go", "nvd"]);
    let log = targets(&server);
    let (window, rest): (Vec<&String>, Vec<&String>) = log.iter().partition(|t| is_window(t));
    assert_eq!(window.len(), 1, "one page of changed CVEs: {log:?}");
    let mut expected = [
        "/Go/modified_id.csv".to_owned(),
        format!("/Go/{go}.json"),
        "/PyPI/modified_id.csv".to_owned(),
        format!("/PyPI/{}.json", pypi[0]),
        format!("/PyPI/{}.json", pypi[1]),
        format!("/PyPI/{new_id}.json"),
    ];
    expected.sort();
    assert_eq!(rest, expected.iter().collect::<Vec<_>>(), "only the changed records, no all.zip, no full NVD");

    // The same final state, downloaded whole into another cache: the same database.
    let full = workdir("osvnvd-full").join("m.db");
    update(&full, &options(&server), &NoProgress).unwrap();
    server.take_log();
    let (got, want) = (dump(&db), dump(&full));
    for (table, rows) in &want {
        assert_eq!(&got[table], rows, "table {table} after the incremental update");
    }
    let d = microscanner_vulndb::Database::open(&db).unwrap();
    assert!(d.advisory(&new_id).unwrap().is_some());
    assert!(d.advisory(&pypi[0]).unwrap().unwrap().advisory.withdrawn.is_some());
    assert!(d.advisory("CVE-2024-3094").unwrap().is_some());
    assert!(d.advisory(&cves[0]).unwrap().unwrap().advisory.withdrawn.is_some(), "rejected CVE");
    drop(d);

    // Nothing new: the two lists and one empty window, no rebuild.
    let third = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(!third.rebuilt(), "{third:?}");
    let log = targets(&server);
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log.iter().filter(|t| is_window(t)).count(), 1);

    // A second round of changes lands on the first round's overlays: still equal to a full build.
    upstream.change_osv("PyPI", &pypi[1], |r| r["details"] = "Changed twice.".into());
    upstream.change_cve(&cves[1], |c| c["vulnStatus"] = "Modified".into());
    upstream.publish(&server);
    let fourth = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(fourth.rebuilt());
    let log = targets(&server);
    assert!(log.contains(&format!("/PyPI/{}.json", pypi[1])) && !log.iter().any(|t| t.ends_with("all.zip")), "{log:?}");
    let full = workdir("osvnvd-full2").join("m.db");
    update(&full, &options(&server), &NoProgress).unwrap();
    assert_eq!(dump(&db), dump(&full));
}

#[test]
fn a_failed_incremental_update_changes_nothing_and_the_next_one_catches_up() {
    let server = Server::start();
    let mut upstream = Upstream::real();
    upstream.publish(&server);
    let db = workdir("failed").join("m.db");
    update(&db, &options(&server), &NoProgress).unwrap();
    let state_path = download_cache_dir(&db).join("state.json");
    let (state_before, dump_before) = (std::fs::read(&state_path).unwrap(), dump(&db));

    let ids: Vec<String> = upstream.osv["Go"].keys().take(2).cloned().collect();
    for id in &ids {
        upstream.change_osv("Go", id, |r| r["summary"] = "Changed upstream".into());
    }
    upstream.publish(&server);
    server.set(&format!("/Go/{}.json", ids[1]), Route::Status(500));
    let err = update(&db, &options(&server), &NoProgress).unwrap_err().to_string();
    assert!(err.contains(&format!("/Go/{}.json", ids[1])) && err.contains("500"), "{err}");
    assert_eq!(std::fs::read(&state_path).unwrap(), state_before, "marks kept");
    assert_eq!(dump(&db), dump_before, "database kept");
    let cache: Vec<String> = std::fs::read_dir(download_cache_dir(&db))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!cache.iter().any(|f| f.contains(".changes-") || f.starts_with("incoming")), "{cache:?}");

    // A list naming something that is not a record id: refused, naming the list and line.
    let when = now_rfc3339();
    server.file("/Go/modified_id.csv", format!("{when},../../all\n").into_bytes());
    let err = update(&db, &options(&server), &NoProgress).unwrap_err().to_string();
    assert!(err.contains("/Go/modified_id.csv:1") && err.contains("not a record id"), "{err}");
    assert_eq!(dump(&db), dump_before, "database kept");

    upstream.publish(&server);
    server.take_log();
    assert!(update(&db, &options(&server), &NoProgress).unwrap().rebuilt());
    let log = targets(&server);
    assert!(ids.iter().all(|id| log.contains(&format!("/Go/{id}.json"))), "{log:?}");
    let full = workdir("failed-full").join("m.db");
    update(&full, &options(&server), &NoProgress).unwrap();
    assert_eq!(dump(&db), dump(&full));
}

#[test]
fn gaps_too_many_changes_missing_records_and_old_marks_fall_back_to_the_full_download() {
    let server = Server::start();
    let mut upstream = Upstream::real();
    upstream.publish(&server);
    let db = workdir("fallback").join("m.db");
    update(&db, &options(&server), &NoProgress).unwrap();
    server.take_log();

    // A list that stops before the mark does not say everything that changed: all.zip again.
    let id = upstream.osv["PyPI"].keys().next().unwrap().clone();
    upstream.change_osv("PyPI", &id, |r| r["details"] = "Changed.".into());
    upstream.publish(&server);
    let modified = upstream.osv["PyPI"][&id]["modified"].as_str().unwrap().to_owned();
    server.file("/PyPI/modified_id.csv", format!("{modified},{id}\n").into_bytes());
    let report = update(&db, &options(&server), &NoProgress).unwrap();
    assert!(report.rebuilt());
    let log = server.take_log();
    let zip = log.iter().find(|s| s.target == "/PyPI/all.zip").expect("all.zip fetched");
    assert_eq!(zip.status, 200);
    assert!(!log.iter().any(|s| s.target == format!("/PyPI/{id}.json")), "{log:?}");

    // A listed record the server does not have: all.zip again (its list entry is trusted no more
    // than the zip).
    upstream.publish(&server);
    let other = upstream.osv["PyPI"].keys().nth(1).unwrap().clone();
    upstream.change_osv("PyPI", &other, |r| r["details"] = "Changed again.".into());
    upstream.publish(&server);
    server.set(&format!("/PyPI/{other}.json"), Route::Status(404));
    server.take_log();
    update(&db, &options(&server), &NoProgress).unwrap();
    let log = targets(&server);
    assert!(log.contains(&format!("/PyPI/{other}.json")) && log.contains(&"/PyPI/all.zip".to_owned()), "{log:?}");

    // More than 5,000 records changed: all.zip, not 5,001 requests. (The list names the real
    // ids again and again under later times; it is read no further than the bound.)
    upstream.publish(&server);
    server.take_log();
    let ids: Vec<&String> = upstream.osv["PyPI"].keys().collect();
    let start = OffsetDateTime::now_utc() + time::Duration::hours(1);
    let many: String = (0..5_001)
        .map(|i| {
            let when = (start - time::Duration::milliseconds(i)).format(&Rfc3339).unwrap();
            format!("{when},{}-{i}\n", ids[i as usize % ids.len()])
        })
        .collect();
    server.file("/PyPI/modified_id.csv", many.into_bytes());
    update(&db, &options(&server), &NoProgress).unwrap();
    let log = targets(&server);
    assert!(log.contains(&"/PyPI/all.zip".to_owned()), "{log:?}");
    assert!(!log.iter().any(|t| t.starts_with("/PyPI/") && t.ends_with(".json")), "{log:?}");

    // More than 120 days since the last NVD update: every page, no window.
    let state_path = download_cache_dir(&db).join("state.json");
    let mut state: Value = read_json(&state_path);
    state["incremental"]["nvd"]["mark"] = "2026-01-01T00:00:00Z".into();
    std::fs::write(&state_path, serde_json::to_vec(&state).unwrap()).unwrap();
    update(&db, &options(&server), &NoProgress).unwrap();
    let log = targets(&server);
    assert!(log.contains(&"/rest/json/cves/2.0?resultsPerPage=2000&startIndex=0".to_owned()), "{log:?}");
    assert!(!log.iter().any(|t| is_window(t)), "{log:?}");
    // ...after which the windows resume.
    update(&db, &options(&server), &NoProgress).unwrap();
    assert!(targets(&server).iter().any(|t| is_window(t)));
}
