//! Hostile and big feed files (issue 23, item 7): memory follows bounds, not data size. Zip members
//! are read with an inflated-size bound, text fields are cut (with a diagnostic), JSON lists, the
//! Debian tracker export and EPSS CSV are streamed record by record in bounded chunks, and
//! streaming gives the same records as reading the whole document.
#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests may unwrap and report figures

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use microscanner_feeds::build::{BuildOptions, BuildReport, NoProgress, build, collect_inputs};
use microscanner_feeds::detect::{self, Format};
use microscanner_feeds::{
    CHUNK_PARTS, CHUNK_RECORDS, FeedError, MAX_DETAILS, MAX_REFERENCES, MAX_SUMMARY, MAX_VALUE, Sink, epss, osv,
};
use microscanner_vulndb::{Database, Records};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn record(id: &str) -> Value {
    json!({
        "schema_version": "1.6.0", "id": id, "modified": "2024-01-01T00:00:00Z", "summary": format!("{id} summary"),
        "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]}]
    })
}

fn build_from(paths: &[PathBuf], target: &Path) -> BuildReport {
    let inputs = collect_inputs(paths).unwrap();
    build(target, &inputs, &BuildOptions::default(), &NoProgress).unwrap()
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Every row of a query, each as one debug string, sorted.
fn rows(db: &Path, sql: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    let mut out: Vec<String> = stmt
        .query_map([], |r| {
            let cols: Vec<rusqlite::types::Value> = (0..n).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            Ok(format!("{cols:?}"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    out.sort();
    out
}

/// A sink that keeps every chunk (and checks its size).
#[derive(Default)]
struct Chunks {
    all: Records,
    chunks: usize,
}

impl Sink for Chunks {
    fn chunk(&mut self, records: Records) -> Result<(), FeedError> {
        let parts = records.affected.len() + records.severities.len() + records.fix_statuses.len();
        // A chunk ends after the record that fills it: one record's parts may pass the bound.
        assert!(records.record_count() <= CHUNK_RECORDS, "{}", records.record_count());
        assert!(parts <= CHUNK_PARTS + 1024, "{parts}");
        self.chunks += 1;
        self.all.extend(records);
        Ok(())
    }
}

/// Overwrites a little-endian u32 at `at`.
fn put_u32(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// Makes a member of a zip declare `declared` bytes (local header and central directory).
fn forge_declared_size(zip: &mut [u8], name: &str, declared: u32) {
    let mut patched = 0;
    for at in 0..zip.len().saturating_sub(46) {
        if zip[at..].starts_with(b"PK\x03\x04") {
            let len = u16::from_le_bytes([zip[at + 26], zip[at + 27]]) as usize;
            if &zip[at + 30..at + 30 + len] == name.as_bytes() {
                put_u32(zip, at + 22, declared);
                patched += 1;
            }
        } else if zip[at..].starts_with(b"PK\x01\x02") {
            let len = u16::from_le_bytes([zip[at + 28], zip[at + 29]]) as usize;
            if &zip[at + 46..at + 46 + len] == name.as_bytes() {
                put_u32(zip, at + 24, declared);
                patched += 1;
            }
        }
    }
    assert_eq!(patched, 2, "local header and central directory entry of {name}");
}

fn write_zip(members: &[(&str, Vec<u8>, zip::CompressionMethod)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body, method) in members {
        out.start_file(*name, zip::write::SimpleFileOptions::default().compression_method(*method)).unwrap();
        out.write_all(body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn a_zip_member_that_inflates_past_the_bound_is_a_diagnostic() {
    // 20 MiB of summary deflates to ~20 KiB; the member then claims to be 200 bytes.
    let mut bomb = record("BOMB-1");
    bomb["summary"] = json!("a".repeat(20 * 1024 * 1024));
    let deflated = zip::CompressionMethod::Deflated;
    let mut bytes = write_zip(&[
        ("A-1.json", serde_json::to_vec(&record("A-1")).unwrap(), deflated),
        ("BOMB-1.json", serde_json::to_vec(&bomb).unwrap(), deflated),
        ("A-2.json", serde_json::to_vec(&record("A-2")).unwrap(), deflated),
    ]);
    assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());
    forge_declared_size(&mut bytes, "BOMB-1.json", 200);

    // In memory (`parse_zip`)...
    let import = osv::parse_zip(&bytes, "all.zip").unwrap();
    let ids: Vec<_> = import.records.advisories.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["A-1", "A-2"]);
    let d = import.diagnostics.iter().find(|d| d.location == "all.zip!BOMB-1.json").unwrap();
    assert!(d.message.contains("inflates past the bound") && d.message.contains("declares 200"), "{d:?}");

    // ...and streamed by a build.
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("feed/PyPI/all.zip");
    std::fs::create_dir_all(zip_path.parent().unwrap()).unwrap();
    std::fs::write(&zip_path, &bytes).unwrap();
    let db = dir.path().join("x.db");
    let report = build_from(&[dir.path().join("feed")], &db);
    assert!(report.diagnostics.iter().any(|d| d.message.contains("inflates past the bound")), "{report:?}");
    let db = Database::open(&db).unwrap();
    assert!(db.advisory("BOMB-1").unwrap().is_none());
    assert!(db.advisory("A-1").unwrap().is_some() && db.advisory("A-2").unwrap().is_some());
}

#[test]
fn a_10_mib_summary_is_stored_cut_with_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed");
    std::fs::create_dir_all(&feed).unwrap();
    let mut big = record("BIG-1");
    big["summary"] = json!(format!("é{}", "s".repeat(10 * 1024 * 1024)));
    big["details"] = json!("d".repeat(MAX_DETAILS + 1));
    let refs: Vec<Value> = (0..3000).map(|i| json!({"type": "WEB", "url": format!("https://x.test/{i}")})).collect();
    big["references"] = Value::Array(refs);
    // One record as a document, and the same inside a list (the streamed path) under another id.
    std::fs::write(feed.join("BIG-1.json"), serde_json::to_vec(&big).unwrap()).unwrap();
    big["id"] = json!("BIG-2");
    std::fs::write(feed.join("list.json"), serde_json::to_vec(&json!([record("SMALL-1"), big])).unwrap()).unwrap();
    let db_path = dir.path().join("x.db");
    let report = build_from(&[feed], &db_path);
    let db = Database::open(&db_path).unwrap();
    for id in ["BIG-1", "BIG-2"] {
        let a = db.advisory(id).unwrap().unwrap().advisory;
        let summary = a.summary.unwrap();
        assert!(summary.len() <= MAX_SUMMARY && summary.len() > MAX_SUMMARY - 8, "{}", summary.len());
        assert!(summary.starts_with('é') && summary.ends_with('…'));
        assert!(a.details.unwrap().len() <= MAX_DETAILS);
        assert_eq!(a.references.len(), MAX_REFERENCES);
        let d = report.diagnostics.iter().find(|d| d.message.starts_with(&format!("{id}: "))).unwrap();
        assert!(
            d.message.contains(&format!("summary of {} bytes cut to {MAX_SUMMARY}", 10 * 1024 * 1024 + 2)),
            "{d:?}"
        );
        assert!(d.message.contains("details of") && d.message.contains("3000 references cut to"), "{d:?}");
    }
    assert!(db.advisory("SMALL-1").unwrap().is_some());
}

#[test]
fn a_json_list_record_over_the_bound_refuses_the_file_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.json");
    let mut huge = record("HUGE-1");
    huge["details"] = json!("d".repeat(18 * 1024 * 1024));
    let list: Vec<Value> = (0..3000).map(|i| record(&format!("R-{i}"))).chain([huge]).collect();
    std::fs::write(&path, serde_json::to_vec(&list).unwrap()).unwrap();
    let mut sink = Chunks::default();
    let err = detect::import_file("list.json", &path, &mut sink).unwrap_err().to_string();
    assert!(err.contains("larger than the bound"), "{err}");
    assert_eq!(sink.chunks, 0, "the check comes before any record is handed on");
}

#[test]
fn a_damaged_zip_is_refused_whole_even_when_streamed() {
    let stored = zip::CompressionMethod::Stored;
    let mut members: Vec<(String, Vec<u8>)> =
        (0..5000).map(|i| (format!("R-{i}.json"), serde_json::to_vec(&record(&format!("R-{i}"))).unwrap())).collect();
    members.push(("LAST.json".into(), serde_json::to_vec(&record("LAST")).unwrap()));
    let refs: Vec<(&str, Vec<u8>, zip::CompressionMethod)> =
        members.iter().map(|(n, b)| (n.as_str(), b.clone(), stored)).collect();
    let mut bytes = write_zip(&refs);
    // Flip a byte of the last member's (stored) content: its CRC no longer matches.
    let at = bytes.windows(6).rposition(|w| w == b"\"LAST\"").unwrap();
    bytes[at + 1] = b'X';
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.zip");
    std::fs::write(&path, &bytes).unwrap();
    let mut sink = Chunks::default();
    let err = detect::import_file("all.zip", &path, &mut sink).unwrap_err().to_string();
    assert!(err.contains("corrupt zip"), "{err}");
    assert_eq!(sink.chunks, 0);
}

#[test]
fn a_big_zip_is_handed_on_in_bounded_chunks() {
    let deflated = zip::CompressionMethod::Deflated;
    let members: Vec<(String, Vec<u8>)> =
        (0..7000).map(|i| (format!("R-{i}.json"), serde_json::to_vec(&record(&format!("R-{i}"))).unwrap())).collect();
    let refs: Vec<(&str, Vec<u8>, zip::CompressionMethod)> =
        members.iter().map(|(n, b)| (n.as_str(), b.clone(), deflated)).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.zip");
    std::fs::write(&path, write_zip(&refs)).unwrap();
    let mut sink = Chunks::default();
    let (format, rest) = detect::import_file("all.zip", &path, &mut sink).unwrap().unwrap();
    assert_eq!(format, Format::OsvZip);
    assert!(sink.chunks >= 3, "{}", sink.chunks);
    sink.all.extend(rest.records);
    let ids: Vec<String> = sink.all.advisories.iter().map(|a| a.id.clone()).collect();
    let want: Vec<String> = (0..7000).map(|i| format!("R-{i}")).collect();
    assert_eq!(ids, want, "every record, in member order");
    assert_eq!(sink.all.affected.len(), 7000);
}

/// The JSON feed files of the fixtures (not zips, not CSV, not lists).
fn fixture_json_files() -> Vec<PathBuf> {
    collect_inputs(&microscanner_testkit::fixture_feed_paths())
        .unwrap()
        .into_iter()
        .map(|i| i.path)
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect()
}

#[test]
fn streamed_and_whole_document_imports_agree_on_every_fixture_json() {
    let mut compared = 0usize;
    let mut records = 0usize;
    for path in fixture_json_files() {
        let location = path.display().to_string();
        let bytes = std::fs::read(&path).unwrap();
        // The whole-document path: one `Value`, then dispatch.
        let whole = match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => detect::import_json(&location, v).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let in_memory = detect::import_bytes(&location, &bytes).map_err(|e| e.to_string());
        let mut sink = Chunks::default();
        let streamed = detect::import_file(&location, &path, &mut sink).map_err(|e| e.to_string());
        match (whole, in_memory, streamed) {
            (Ok(None), Ok(None), Ok(None)) => {}
            (Ok(Some((f1, i1))), Ok(Some((f2, i2))), Ok(Some((f3, i3)))) => {
                assert_eq!((f1, f1), (f2, f3), "{location}");
                assert_eq!(i1.records, i2.records, "{location}");
                sink.all.complete = i3.records.complete;
                sink.all.extend(i3.records);
                assert_eq!(i1.records, sink.all, "{location}");
                assert_eq!((&i1.diagnostics, &i1.timestamp), (&i2.diagnostics, &i2.timestamp), "{location}");
                assert_eq!((&i1.diagnostics, &i1.timestamp), (&i3.diagnostics, &i3.timestamp), "{location}");
                records += i1.records.record_count();
            }
            (Err(_), Err(e2), Err(e3)) => assert_eq!(e2, e3, "{location}"),
            other => panic!("{location}: {other:?}"),
        }
        compared += 1;
    }
    eprintln!("{compared} files, {records} records agree");
    assert!(compared > 13_000 && records > 15_000, "{compared} {records}");
}

#[test]
fn a_json_array_of_many_records_imports_all_of_them() {
    // Every record of three complete OSV sets in one JSON array (big enough to be streamed in
    // several chunks) gives the same database rows as the files one by one.
    let f = fixtures();
    let dirs = [f.join("osv-go-vulndb"), f.join("osv-rustsec"), f.join("osv-pypi-pypa/json")];
    let mut seen = std::collections::HashSet::new();
    let mut list = Vec::new();
    for input in collect_inputs(&dirs).unwrap() {
        let Ok(v) = serde_json::from_slice::<Value>(&std::fs::read(&input.path).unwrap()) else { continue };
        if osv::looks_like_record(&v) && seen.insert(v["id"].as_str().unwrap().trim().to_owned()) {
            list.push(v);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let array = dir.path().join("all-records.json");
    std::fs::write(&array, serde_json::to_vec(&list).unwrap()).unwrap();
    assert!(std::fs::metadata(&array).unwrap().len() > 8 * 1024 * 1024, "large enough to be streamed");
    let (one_by_one, streamed) = (dir.path().join("a.db"), dir.path().join("b.db"));
    let a = build_from(&dirs, &one_by_one);
    let b = build_from(&[array], &streamed);
    assert_eq!(a.written, b.written);
    let total = count(&streamed, "SELECT COUNT(*) FROM advisories");
    assert_eq!(total as usize, list.len());
    assert!(total > 8000, "{total}");
    for sql in [
        "SELECT id, summary, details, published, modified, withdrawn, source, aliases, related, refs, cwes, \
         severities FROM advisories",
        "SELECT advisory_id, ecosystem, name, purl, ranges, versions, extra FROM affected",
        "SELECT advisory_id, alias, relation FROM aliases",
    ] {
        assert_eq!(rows(&one_by_one, sql), rows(&streamed, sql), "{sql}");
    }
}

/// One CVE entry of the Debian tracker export, in three releases.
fn tracker_entry(i: usize, bug: usize, description: &str) -> Value {
    json!({"description": description, "debianbug": bug, "scope": "remote", "releases": {
        "bookworm": {"status": "resolved", "fixed_version": format!("1.{i}-1"), "urgency": "low"},
        "bullseye": {"status": "open", "urgency": "medium", "nodsa": "Minor issue", "nodsa_reason": "ignored"},
        "sid": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"}}})
}

/// A tracker export: `linux` with 3000 CVEs (the first with a 10 MiB description), then 400
/// packages of 20, each also listing the previous one's first CVE (the first `linux`'s second, the
/// last `linux`'s first), with another bug number.
fn big_tracker() -> Value {
    let text = "a remote attacker can cause a denial of service via a crafted file";
    let mut packages = serde_json::Map::new();
    let linux: serde_json::Map<String, Value> = (0..3000)
        .map(|i| (format!("CVE-2026-{i}"), tracker_entry(i, 1_000_000 + i, if i == 0 { "" } else { text })))
        .collect();
    packages.insert("linux".into(), Value::Object(linux));
    packages["linux"]["CVE-2026-0"]["description"] = json!("d".repeat(10 * 1024 * 1024));
    for p in 0..400 {
        let first = 3000 + p * 20;
        let mut cves: serde_json::Map<String, Value> =
            (first..first + 20).map(|i| (format!("CVE-2026-{i}"), tracker_entry(i, 1_000_000 + i, text))).collect();
        let shared = match p {
            0 => 1,
            399 => 0,
            _ => first - 20,
        };
        cves.insert(format!("CVE-2026-{shared}"), tracker_entry(shared, 2_000_000 + p, text));
        packages.insert(format!("pkg{p:03}"), Value::Object(cves));
    }
    Value::Object(packages)
}

/// Every record of a kind as a sorted list of debug strings (order aside, the same records).
fn sorted<T: std::fmt::Debug>(items: &[T]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    out.sort();
    out
}

#[test]
fn a_big_debian_tracker_export_is_streamed_in_bounded_chunks() {
    let whole_value = big_tracker();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tracker.json");
    std::fs::write(&path, serde_json::to_vec(&whole_value).unwrap()).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 8 * 1024 * 1024, "large enough for a build to stream it");
    let (format, whole) = detect::import_json("tracker.json", whole_value).unwrap().unwrap();
    assert_eq!(format, Format::DebianTracker);

    let mut sink = Chunks::default();
    let (format, rest) = detect::import_file("tracker.json", &path, &mut sink).unwrap().unwrap();
    assert_eq!(format, Format::DebianTracker);
    assert!(sink.chunks >= 5, "handed on while read, in bounded chunks: {}", sink.chunks);
    sink.all.extend(rest.records);
    let streamed = sink.all;
    assert_eq!(sorted(&streamed.affected), sorted(&whole.records.affected));
    assert_eq!(sorted(&streamed.fix_statuses), sorted(&whole.records.fix_statuses));
    assert_eq!(sorted(&streamed.severities), sorted(&whole.records.severities));
    assert_eq!(whole.records.fix_statuses.len(), 3 * (3000 + 400 * 21));
    // One advisory per CVE within a chunk; `linux`'s first CVE is listed again 9000 entries later,
    // in another chunk, and the database merges the two.
    let copies = streamed.advisories.iter().filter(|a| a.id == "CVE-2026-0").count();
    assert_eq!((copies, whole.records.advisories.len()), (2, 11_000));
    // The 10 MiB description is cut to the bound, with a diagnostic naming the field, either way.
    assert_eq!(rest.diagnostics, whole.diagnostics);
    let d = &whole.diagnostics[0];
    assert!(d.message.starts_with(&format!("CVE-2026-0: details of {} bytes cut to {MAX_DETAILS}", 10 << 20)), "{d:?}");

    let db_path = dir.path().join("x.db");
    let report = build_from(std::slice::from_ref(&path), &db_path);
    assert_eq!(report.written.advisories, 11_000);
    assert_eq!(count(&db_path, "SELECT COUNT(*) FROM fix_status"), 3 * (3000 + 400 * 21));
    let db = Database::open(&db_path).unwrap();
    let cve = db.advisory("CVE-2026-0").unwrap().unwrap();
    assert!(cve.advisory.details.unwrap().len() <= MAX_DETAILS);
    let bugs: Vec<&str> = cve.advisory.references.iter().map(|r| r.url.as_str()).collect();
    assert!(bugs.contains(&"https://bugs.debian.org/1000000") && bugs.contains(&"https://bugs.debian.org/2000399"));
    let mut packages: Vec<&str> = cve.fix_statuses.iter().map(|f| f.name.as_str()).collect();
    packages.sort_unstable();
    packages.dedup();
    assert_eq!(packages, ["linux", "pkg399"]);
}

#[test]
fn a_tracker_package_over_the_value_bound_refuses_the_file_before_anything_is_written() {
    let mut tracker = serde_json::Map::new();
    for p in 0..1000 {
        let cves = (0..5).map(|i| (format!("CVE-2026-{}", p * 5 + i), tracker_entry(i, i, "x"))).collect();
        tracker.insert(format!("a{p:04}"), Value::Object(cves));
    }
    let huge = usize::try_from(MAX_VALUE).unwrap() + 1024 * 1024;
    tracker.insert("zz".into(), json!({"CVE-1": tracker_entry(1, 1, &"d".repeat(huge))}));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tracker.json");
    std::fs::write(&path, serde_json::to_vec(&tracker).unwrap()).unwrap();
    let mut sink = Chunks::default();
    let err = detect::import_file("tracker.json", &path, &mut sink).unwrap_err().to_string();
    assert!(err.starts_with("tracker.json: ") && err.contains("larger than the bound"), "{err}");
    assert_eq!(sink.chunks, 0, "the check comes before any record is handed on");
}

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_big_epss_csv_is_read_line_by_line_and_a_damaged_one_refused_whole() {
    let mut text =
        String::from("#model_version:v2025.03.14,score_date:2025-06-01T00:00:00+0000\ncve,epss,percentile\n");
    for i in 0..10_000 {
        writeln!(text, "CVE-2025-{i},0.{i:05},0.5").unwrap();
    }
    let long = format!("CVE-2025-99999,{}", "9".repeat(1 << 20));
    writeln!(text, "{long}").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("epss_scores-current.csv.gz");
    let mut bytes = gzip(text.as_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let mut sink = Chunks::default();
    let (format, rest) = detect::import_file("epss.csv.gz", &path, &mut sink).unwrap().unwrap();
    assert_eq!(format, Format::Epss);
    assert!(sink.chunks >= 4, "handed on while read, in bounded chunks: {}", sink.chunks);
    sink.all.extend(rest.records);
    assert_eq!(sink.all.epss.len(), 10_000);
    assert!(sink.all.epss.iter().all(|s| s.date.as_deref() == Some("2025-06-01")));
    assert_eq!(rest.timestamp.as_deref(), Some("2025-06-01"));
    let over = format!("line of {} bytes, over the bound of {}; skipped", long.len(), epss::MAX_LINE);
    assert_eq!(rest.diagnostics.len(), 1);
    assert_eq!(
        (rest.diagnostics[0].location.as_str(), rest.diagnostics[0].message.as_str()),
        ("epss.csv.gz:10003", over.as_str())
    );
    // The same in memory.
    let whole = epss::parse(&bytes, "epss.csv.gz").unwrap();
    assert_eq!((whole.records.epss, whole.diagnostics), (sink.all.epss, rest.diagnostics));

    // A damaged gzip stream (here it inflates to bytes that are not UTF-8 before its checksum
    // would fail) is found by the checking pass: nothing is handed on.
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let mut sink = Chunks::default();
    let err = detect::import_file("epss.csv.gz", &path, &mut sink).unwrap_err().to_string();
    assert!(err.starts_with("epss.csv.gz: gzip: ") || err.starts_with("epss.csv.gz: invalid utf-8"), "{err}");
    assert_eq!(sink.chunks, 0);
    // Cut short, it fails its checksum (at the end, after every line was read once).
    std::fs::write(&path, &gzip(text.as_bytes())[..bytes.len() - 4]).unwrap();
    let err = detect::import_file("epss.csv.gz", &path, &mut sink).unwrap_err().to_string();
    assert!(err.starts_with("epss.csv.gz: gzip: "), "{err}");
    assert_eq!(sink.chunks, 0);
}

/// One line, naming the file.
fn one_line_naming(err: &FeedError, file: &str) {
    let text = err.to_string();
    assert!(text.starts_with(&format!("{file}: ")), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn hostile_amazon_updateinfo_is_one_line_error_or_diagnostics() {
    use microscanner_feeds::amazon;
    let real = microscanner_testkit::amazon_updateinfo_paths();
    let gz = std::fs::read(&real[3]).unwrap();
    let mut xml = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut xml).unwrap();
    // Truncated: the XML cut in the middle of an update, and the gzip stream cut short.
    one_line_naming(&amazon::parse(&xml[..xml.len() / 2], "al2023.xml").unwrap_err(), "al2023.xml");
    one_line_naming(&amazon::parse(&gz[..gz.len() / 2], "al2023.xml.gz").unwrap_err(), "al2023.xml.gz");
    // Through detection and the streaming reader too, and nothing handed on before the error.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cut = dir.path().join("updateinfo.xml.gz");
    std::fs::write(&cut, &gz[..gz.len() - 20]).unwrap();
    let mut sink = Chunks::default();
    let err = detect::import_file("cut/updateinfo.xml.gz", &cut, &mut sink).unwrap_err();
    one_line_naming(&err, "cut/updateinfo.xml.gz");
    assert!(sink.all.is_empty());
    // Huge: a 5 MiB title is one event over the bound (memory stays bounded), an error.
    let huge = format!(
        "<updates><update type=\"security\"><id>ALAS2023-1</id><title>{}</title></update></updates>",
        "x".repeat(5 << 20)
    );
    let err = amazon::parse(huge.as_bytes(), "huge.xml").unwrap_err();
    one_line_naming(&err, "huge.xml");
    assert!(err.to_string().contains("more than"), "{err}");
    // A long but bounded title is cut, with a diagnostic.
    let long = format!(
        "<updates><update type=\"security\"><id>ALAS2023-2023-9</id><title>{}</title><references><reference type=\"cve\" id=\"CVE-2023-1\"/></references>\
         <pkglist><collection short=\"amazon-linux-2023\"><package name=\"a\" version=\"1\" release=\"1.amzn2023\" epoch=\"0\"/></collection></pkglist></update></updates>",
        "t".repeat(100_000)
    );
    let i = amazon::parse(long.as_bytes(), "long.xml").unwrap();
    assert!(i.records.advisories[0].summary.as_ref().unwrap().len() <= MAX_SUMMARY);
    assert!(i.diagnostics.iter().any(|d| d.message.contains("title")), "{:?}", i.diagnostics);
    // Wrong types: values that are not ids or versions are diagnostics, the rest is imported.
    let odd = "<updates>\
        <update type=\"security\"><id>ALAS2-2020-1</id><references><reference type=\"cve\" id=\"not a cve\"/><reference type=\"cve\" id=\"CVE-2020-1\"/></references>\
          <pkglist><collection short=\"amazon-linux-2\">\
            <package name=\"ok\" version=\"1.0\" release=\"1.amzn2\" epoch=\"0\"/>\
            <package name=\"bad-epoch\" version=\"1.0\" release=\"1\" epoch=\"x\"/>\
            <package name=\"no-version\" release=\"1\"/>\
            <package name=\"spaced name\" version=\"1\" release=\"1\"/>\
          </collection><collection short=\"fedora-39\"><package name=\"f\" version=\"1\" release=\"1\"/></collection></pkglist></update>\
        <update type=\"security\"><id></id></update>\
        <update type=\"security\"><id>ALAS2-2020-2</id><references><reference type=\"cve\" id=\"CVE-2020-2\"/></references></update>\
      </updates>";
    let i = amazon::parse(odd.as_bytes(), "odd.xml").unwrap();
    let names: Vec<_> = i.records.affected.iter().map(|a| (a.advisory_id.as_str(), a.name.as_str())).collect();
    assert_eq!(names, [("CVE-2020-1", "ok")]);
    assert_eq!(i.diagnostics.len(), 3, "{:?}", i.diagnostics);
    assert!(i.diagnostics.iter().all(|d| d.location.starts_with("odd.xml")));
    // Not XML at all, another XML document, and an entity bomb's DTD (never expanded).
    one_line_naming(&amazon::parse(b"\x00\x01binary", "bin.xml").unwrap_err(), "bin.xml");
    one_line_naming(&amazon::parse(b"<repomd/>", "repomd.xml").unwrap_err(), "repomd.xml");
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE updates [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\
                <updates><update type=\"security\"><id>&b;</id></update></updates>";
    one_line_naming(&amazon::parse(bomb.as_bytes(), "bomb.xml").unwrap_err(), "bomb.xml");
}

#[test]
fn hostile_vendor_secdb_is_one_line_error_or_diagnostics() {
    let real = std::fs::read(&microscanner_testkit::vendor_secdb_paths()[0]).unwrap();
    // Truncated.
    let err = detect::import_bytes("wolfi/security.json", &real[..real.len() / 2]).unwrap_err();
    one_line_naming(&err, "wolfi/security.json");
    // Wrong types: `packages` not a list is an error; odd entries are diagnostics or skipped.
    let err = detect::import_bytes(
        "w.json",
        br#"{"apkurl":"x","urlprefix":"https://packages.wolfi.dev","packages":{"a":1}}"#,
    )
    .unwrap_err();
    one_line_naming(&err, "w.json");
    let odd = br#"{"apkurl":"x","urlprefix":"https://packages.wolfi.dev","archs":7,"packages":[
        {"pkg":{"name":7,"secfixes":{"1-r0":["CVE-2020-1"]}}},
        {"pkg":{"name":"a","secfixes":["CVE-2020-2"]}},
        {"pkg":{"name":"b","secfixes":{"1-r0":{"x":1},"2-r0":"CVE-2020-3","3-r0":[5,"CVE-2020-4"]}}},
        "text", null]}"#;
    let (format, i) = detect::import_bytes("odd.json", odd).unwrap().unwrap();
    assert_eq!(format, Format::VendorSecdb);
    let got: Vec<_> = i.records.affected.iter().map(|a| (a.advisory_id.as_str(), a.name.as_str())).collect();
    assert_eq!(got, [("CVE-2020-3", "b"), ("CVE-2020-4", "b")]);
    assert!(i.diagnostics.iter().all(|d| d.location.starts_with("odd.json")), "{:?}", i.diagnostics);
    // Huge: a 1 MiB package name and version are skipped with a diagnostic, not stored.
    let big = "n".repeat(1 << 20);
    let huge = format!(
        r#"{{"apkurl":"x","urlprefix":"https://packages.cgr.dev","packages":[{{"pkg":{{"name":"{big}","secfixes":{{"1-r0":["CVE-2020-1"]}}}}}},{{"pkg":{{"name":"c","secfixes":{{"{big}":["CVE-2020-2"]}}}}}}]}}"#
    );
    let (_, i) = detect::import_bytes("huge.json", huge.as_bytes()).unwrap().unwrap();
    assert!(i.records.affected.is_empty());
    assert_eq!(i.diagnostics.len(), 2, "{:?}", i.diagnostics);
    // A secdb of a distribution we do not know is refused, not filed under another.
    let err = detect::import_bytes("x.json", br#"{"apkurl":"x","urlprefix":"https://example.org","packages":[]}"#)
        .unwrap_err();
    one_line_naming(&err, "x.json");
}

#[test]
fn hostile_oracle_oval_is_one_line_error_or_diagnostics() {
    use microscanner_feeds::oracle;
    let real = std::fs::read(&microscanner_testkit::vendor_oval_paths()[2]).unwrap();
    // Truncated: cut inside a definition, and through detection and the file reader too,
    // nothing handed on before the error.
    one_line_naming(&oracle::parse(&real[..real.len() / 2], "elsa.xml").unwrap_err(), "elsa.xml");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let cut = dir.path().join("com.oracle.elsa-2022.xml");
    std::fs::write(&cut, &real[..real.len() - 30]).unwrap();
    let mut sink = Chunks::default();
    let err = detect::import_file("cut/com.oracle.elsa-2022.xml", &cut, &mut sink).unwrap_err();
    one_line_naming(&err, "cut/com.oracle.elsa-2022.xml");
    assert!(sink.all.is_empty());
    // Huge: a 5 MiB description is one event over the bound.
    let huge = format!(
        "<oval_definitions><definitions><definition id=\"d\"><metadata><description>{}</description></metadata></definition></definitions></oval_definitions>",
        "x".repeat(5 << 20)
    );
    let err = oracle::parse(huge.as_bytes(), "huge.xml").unwrap_err();
    one_line_naming(&err, "huge.xml");
    assert!(err.to_string().contains("more than"), "{err}");
    // Entity bomb: a DTD's entities are never expanded; using one is an error.
    let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\
        <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>\
        <oval_definitions><definitions><definition id=\"d\"><metadata><title>&lol3;</title></metadata></definition></definitions></oval_definitions>";
    one_line_naming(&oracle::parse(bomb.as_bytes(), "bomb.xml").unwrap_err(), "bomb.xml");
    // Deep nesting of criteria.
    let deep = format!("<oval_definitions><definitions><definition id=\"d\">{}", "<criteria>".repeat(100));
    one_line_naming(&oracle::parse(deep.as_bytes(), "deep.xml").unwrap_err(), "deep.xml");
    // Not OVAL at all.
    one_line_naming(&oracle::parse(b"<updates/>", "x.xml").unwrap_err(), "x.xml");
    // Wrong types: a criterion that is not a package check, a version with spaces, no release,
    // no ELSA id: diagnostics, the good package still imported.
    let odd = "<oval_definitions><definitions>\
        <definition id=\"oval:com.oracle.elsa:def:1\"><metadata><title>ELSA-2024-1: x (IMPORTANT)</title>\
          <reference source=\"CVE\" ref_id=\"CVE-2024-1\" ref_url=\"u\"/><reference source=\"CVE\" ref_id=\"not a cve\"/></metadata>\
          <criteria operator=\"AND\"><criterion test_ref=\"t\" comment=\"Oracle Linux 9 is installed\"/>\
            <criteria operator=\"OR\"><criterion test_ref=\"t\" comment=\"good is earlier than 0:1.0-1.el9\"/>\
            <criterion test_ref=\"t\" comment=\"bad is earlier than 1 0\"/><criterion test_ref=\"t\" comment=\"odd\"/></criteria></criteria>\
          <criterion test_ref=\"t\" comment=\"loose is earlier than 1.0-1\"/></definition>\
        <definition id=\"oval:x:def:2\"><metadata><title>no id</title></metadata><criteria><criterion test_ref=\"t\" comment=\"a is earlier than 1-1\"/></criteria></definition>\
      </definitions></oval_definitions>";
    let i = oracle::parse(odd.as_bytes(), "odd.xml").unwrap();
    let names: Vec<&str> = i.records.affected.iter().map(|a| a.name.as_str()).collect();
    // A criterion beside the top `AND` is one more term of it: still under Oracle Linux 9.
    assert_eq!(names, ["good", "loose"]);
    assert!(i.records.affected.iter().all(|a| a.ecosystem == "Oracle Linux:9"));
    assert_eq!(i.records.advisories[0].related, ["ELSA-2024-1"]);
    assert_eq!(i.diagnostics.len(), 2, "{:?}", i.diagnostics);
    for d in &i.diagnostics {
        assert!(!d.message.contains('\n'), "{}", d.message);
    }
}

#[test]
fn hostile_mariner_oval_is_one_line_error_or_diagnostics() {
    use microscanner_feeds::mariner;
    let real = std::fs::read(&microscanner_testkit::vendor_oval_paths()[3]).unwrap();
    one_line_naming(&mariner::parse(&real[..real.len() - 40], "cm2.xml").unwrap_err(), "cm2.xml");
    one_line_naming(&mariner::parse(&real[..real.len() / 3], "cm2.xml").unwrap_err(), "cm2.xml");
    let huge = format!("<oval_definitions><states><rpminfo_state id=\"s\"><evr>{}</evr>", "9".repeat(5 << 20));
    one_line_naming(&mariner::parse(huge.as_bytes(), "huge.xml").unwrap_err(), "huge.xml");
    one_line_naming(&mariner::parse(b"<oval_definitions>&xxe;</oval_definitions>", "e.xml").unwrap_err(), "e.xml");
    // Wrong types: an unknown operation, a version without a dist tag, a test that is not
    // defined, a state with spaces: nothing matched from them, diagnostics, no error.
    let odd = "<oval_definitions><definitions>\
        <definition id=\"d1\"><metadata><title>t</title><reference source=\"CVE\" ref_id=\"CVE-2024-1\"/><severity>High</severity></metadata>\
          <criteria><criterion test_ref=\"t1\"/><criterion test_ref=\"t2\"/><criterion test_ref=\"missing\"/></criteria></definition>\
        <definition id=\"d2\"><metadata><title>t</title><reference source=\"CVE\" ref_id=\"CVE-2024-2\"/></metadata>\
          <criteria><criterion test_ref=\"t3\"/></criteria></definition>\
      </definitions><tests>\
        <rpminfo_test id=\"t1\"><object object_ref=\"o1\"/><state state_ref=\"s1\"/></rpminfo_test>\
        <rpminfo_test id=\"t2\"><object object_ref=\"o1\"/><state state_ref=\"s2\"/></rpminfo_test>\
        <rpminfo_test id=\"t3\"><object object_ref=\"o2\"/><state state_ref=\"s3\"/></rpminfo_test>\
      </tests><objects><rpminfo_object id=\"o1\"><name>ok</name></rpminfo_object><rpminfo_object id=\"o2\"><name>notag</name></rpminfo_object></objects>\
      <states><rpminfo_state id=\"s1\"><evr operation=\"less than\">0:1.0-1.cm2</evr></rpminfo_state>\
        <rpminfo_state id=\"s2\"><evr operation=\"pattern match\">^1</evr></rpminfo_state>\
        <rpminfo_state id=\"s3\"><evr operation=\"less than\">0:1.0-1.el9</evr></rpminfo_state></states></oval_definitions>";
    let i = mariner::parse(odd.as_bytes(), "odd.xml").unwrap();
    let got: Vec<(&str, &str)> = i.records.affected.iter().map(|a| (a.name.as_str(), a.ecosystem.as_str())).collect();
    assert_eq!(got, [("ok", "CBL-Mariner:2.0")]);
    assert_eq!(i.diagnostics.len(), 2, "{:?}", i.diagnostics);
}
