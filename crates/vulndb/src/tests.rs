//! Round-trip tests of the store: build, install, query, export, import.

use std::path::Path;

use serde_json::json;

use super::*;

fn sample() -> Records {
    let mut r = Records { complete: true, ..Records::default() };
    r.advisories.push(Advisory {
        id: "PYSEC-1".into(),
        aliases: vec!["CVE-2020-0001".into()],
        summary: Some("bad".into()),
        published: Some("2020-01-01T00:00:00Z".into()),
        references: vec![Reference { kind: "WEB".into(), url: "https://example.invalid/1".into() }],
        cwes: vec!["CWE-79".into()],
        source: "osv".into(),
        ..Advisory::default()
    });
    r.affected.push(Affected {
        advisory_id: "PYSEC-1".into(),
        ecosystem: "PyPI".into(),
        name: "Django".into(),
        purl: Some("pkg:pypi/django".into()),
        ranges: json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]),
        versions: vec!["1.0".into()],
        extra: serde_json::Value::Null,
    });
    r.severities.push(SeverityRating {
        advisory_id: "PYSEC-1".into(),
        kind: SeverityKind::CvssV3,
        value: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
        score: Some(7.5),
        source: "osv".into(),
        scope: String::new(),
    });
    r.fix_statuses.push(FixStatus {
        advisory_id: "PYSEC-1".into(),
        ecosystem: "Debian:12".into(),
        name: "python-django".into(),
        state: FixState::WontFix,
        fixed_version: None,
        urgency: Some("low".into()),
        note: Some("Minor issue".into()),
    });
    r.kev.push(KevEntry {
        cve_id: "CVE-2020-0001".into(),
        date_added: Some("2021-11-03".into()),
        ..KevEntry::default()
    });
    r.epss.push(EpssScore { cve_id: "CVE-2020-0001".into(), score: 0.5, percentile: Some(0.9), date: None });
    r
}

fn build(dir: &Path, records: &Records) -> std::path::PathBuf {
    let target = dir.join("db").join("microscanner.db");
    let tmp = temp_path_beside(&target, "building");
    std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
    let mut b = Builder::create(&tmp).unwrap();
    b.add(records).unwrap();
    b.add_source(SourceInfo {
        name: "test".into(),
        kind: "osv".into(),
        origin: "here".into(),
        timestamp: None,
        records: 1,
        diagnostics: 0,
    });
    let built = b.finish().unwrap();
    install(&built, &target).unwrap();
    assert!(!tmp.exists());
    target
}

#[test]
fn build_then_query() {
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path(), &sample());
    let db = Database::open(&path).unwrap();
    db.verify().unwrap();
    let hits = db.affected("PyPI", "django").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].name, "Django");
    assert_eq!(hits[0].ranges[0]["events"][1]["fixed"], "1.2");
    assert!(db.affected("npm", "django").unwrap().is_empty());
    let d = db.advisory("PYSEC-1").unwrap().unwrap();
    assert_eq!(d.advisory.aliases, ["CVE-2020-0001"]);
    assert_eq!(d.advisory.cwes, ["CWE-79"]);
    assert_eq!(d.severities[0].score, Some(7.5));
    assert_eq!(d.kev.unwrap().date_added.as_deref(), Some("2021-11-03"));
    assert_eq!(d.epss.unwrap().score, 0.5);
    assert_eq!(d.fix_statuses[0].state, FixState::WontFix);
    assert_eq!(db.fix_statuses("Debian:12", "python-django").unwrap().len(), 1);
    assert_eq!(db.advisories_by_alias("CVE-2020-0001").unwrap(), ["PYSEC-1"]);
    let meta = db.metadata().unwrap();
    assert_eq!(meta.schema_version, SCHEMA_VERSION);
    assert_eq!(meta.sources.len(), 1);
    assert!(db.advisory("nope").unwrap().is_none());
}

#[test]
fn the_matcher_reads_agree_with_the_full_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path(), &sample());
    let db = Database::open(&path).unwrap();
    // Plans are made once per statement, not again for each new binding (see `open_read_only`).
    assert!(db.conn.db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG).unwrap());
    let full = db.advisory("PYSEC-1").unwrap().unwrap();
    let brief = db.advisory_brief("PYSEC-1").unwrap().unwrap();
    assert_eq!(brief, AdvisoryBrief { advisory: full.advisory, severities: full.severities });
    assert!(db.advisory_brief("nope").unwrap().is_none());
    let mut raw = Vec::new();
    db.for_each_affected("PyPI", "DJANGO", |a| {
        raw.push((a.advisory_id.to_owned(), a.ranges.to_owned(), a.versions.to_owned()));
    })
    .unwrap();
    assert_eq!(raw.len(), 1);
    let decoded = &db.affected("PyPI", "django").unwrap()[0];
    assert_eq!(raw[0].0, decoded.advisory_id);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&raw[0].1).unwrap(), decoded.ranges);
    assert_eq!(serde_json::from_str::<Vec<String>>(&raw[0].2).unwrap(), decoded.versions);
    db.for_each_affected("npm", "django", |_| panic!("no npm entries")).unwrap();
    assert_eq!(db.ecosystem_entries("PyPI").unwrap(), 1);
    assert_eq!(db.ecosystem_entries("pypi").unwrap(), 0);
    assert_eq!(db.ecosystems().unwrap(), [("PyPI".to_owned(), 1)]);
}

#[test]
fn same_source_duplicates_are_skipped_other_sources_merge() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("t.db");
    let mut b = Builder::create(&tmp).unwrap();
    let s = b.add(&sample()).unwrap();
    assert_eq!((s.advisories, s.affected), (1, 1));
    let again = b.add(&sample()).unwrap();
    assert_eq!((again.duplicates, again.affected), (1, 0));
    let mut other = Records::default();
    other.advisories.push(Advisory {
        id: "PYSEC-1".into(),
        details: Some("long".into()),
        summary: Some("ignored".into()),
        source: "nvd".into(),
        ..Advisory::default()
    });
    assert_eq!(b.add(&other).unwrap().merged, 1);
    let built = b.finish().unwrap();
    let db = Database::open(&built).unwrap();
    let d = db.advisory("PYSEC-1").unwrap().unwrap();
    assert_eq!(d.advisory.summary.as_deref(), Some("bad"));
    assert_eq!(d.advisory.details.as_deref(), Some("long"));
    assert_eq!(db.counts().unwrap().affected, 1);
}

#[test]
fn open_refuses_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not sqlite at all, not even close..........").unwrap();
    assert!(Database::open(&junk).is_err());
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    let err = Database::open(&other).unwrap_err().to_string();
    assert!(err.contains("not a microscanner database"), "{err}");
    assert!(Database::open(&dir.path().join("missing.db")).is_err());
}

#[test]
fn export_import_round_trip_and_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path(), &sample());
    let export_file = dir.path().join("db.tar.zst");
    let m = export(&path, &export_file).unwrap();
    assert_eq!(m.sha256.len(), 64);
    let target = dir.path().join("elsewhere").join("x.db");
    import(&export_file, &target).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&target).unwrap());

    // Flip one byte in the database inside the (decompressed) archive, recompress: refused.
    let raw = zstd::decode_all(std::fs::File::open(&export_file).unwrap()).unwrap();
    let mut tampered = raw.clone();
    let at = tampered.len() - 2048 - 100; // inside the db entry, before the tar trailer
    tampered[at] ^= 0x55;
    let bad = dir.path().join("bad.tar.zst");
    std::fs::write(&bad, zstd::encode_all(tampered.as_slice(), 3).unwrap()).unwrap();
    let target2 = dir.path().join("t2.db");
    std::fs::write(&target2, b"previous").unwrap();
    let err = import(&bad, &target2).unwrap_err().to_string();
    assert!(err.contains("sha256"), "{err}");
    assert_eq!(std::fs::read(&target2).unwrap(), b"previous");

    // A truncated file: refused.
    let bytes = std::fs::read(&export_file).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    assert!(import(&bad, &target2).is_err());
    assert_eq!(std::fs::read(&target2).unwrap(), b"previous");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".import-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn odd_characters_in_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a %20 b?c#d");
    std::fs::create_dir_all(&sub).unwrap();
    let path = build(&sub, &sample());
    let db = Database::open(&path).unwrap();
    assert_eq!(db.affected("PyPI", "django").unwrap().len(), 1);
}

/// The sample with one advisory changed (summary, a range, a severity score), one added, the
/// fix state withdrawn, the KEV entry removed and the EPSS score moved.
fn sample_next() -> Records {
    let mut r = sample();
    r.advisories[0].summary = Some("worse".into());
    r.affected[0].ranges = json!([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.3"}]}]);
    r.severities[0].score = Some(7.25);
    r.fix_statuses.clear();
    r.kev.clear();
    r.epss[0].score = 0.625;
    r.advisories.push(Advisory { id: "PYSEC-2".into(), source: "osv".into(), ..Advisory::default() });
    for name in ["flask", "jinja2"] {
        r.affected.push(Affected {
            advisory_id: "PYSEC-2".into(),
            ecosystem: "PyPI".into(),
            name: name.into(),
            purl: None,
            ranges: json!([]),
            versions: vec!["2.0".into()],
            extra: serde_json::Value::Null,
        });
    }
    r
}

fn dump(db: &Path) -> String {
    let mut out = Vec::new();
    canonical_dump(db, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Files in `dir` that are temporaries (`.NAME.tmp-...`).
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

#[test]
fn a_delta_turns_the_base_into_the_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(&dir.path().join("n"), &sample());
    let next = build(&dir.path().join("n1"), &sample_next());
    let delta = dir.path().join("delta.zst");
    let (header, stats) = export_delta(&base, &next, &delta).unwrap();
    assert_eq!(header.base, content_version(&base).unwrap());
    assert_eq!(header.target, content_version(&next).unwrap());
    assert_ne!(header.base, header.target);
    // advisories, affected, severities, fix_status (withdrawn), kev (withdrawn), epss, meta
    // (built_at) for PYSEC-1 / CVE-2020-0001, and PYSEC-2's advisory and affected rows.
    assert_eq!(stats.removed, 2, "{stats:?}");
    assert!(stats.entries >= 8, "{stats:?}");
    assert!(read_delta_header(&delta).unwrap().is_some());

    let applied = dir.path().join("applied").join("microscanner.db");
    std::fs::create_dir_all(applied.parent().unwrap()).unwrap();
    std::fs::copy(&base, &applied).unwrap();
    let (h, s) = import_delta(&delta, &applied).unwrap();
    assert_eq!((h, s), (header.clone(), stats));
    assert_eq!(dump(&applied), dump(&next));
    assert_eq!(content_version(&applied).unwrap(), header.target);
    assert_ne!(std::fs::read(&applied).unwrap(), std::fs::read(&next).unwrap(), "another file, the same rows");
    let db = Database::open(&applied).unwrap();
    db.verify().unwrap();
    assert_eq!(db.affected("PyPI", "Flask").unwrap().len(), 1);
    assert_eq!(db.advisory("PYSEC-1").unwrap().unwrap().epss.unwrap().score, 0.625);
    assert!(temporaries(applied.parent().unwrap()).is_empty());

    // No change: an empty delta, which applies.
    let none = dir.path().join("none.zst");
    let (h, s) = export_delta(&next, &next, &none).unwrap();
    assert_eq!((h.base.as_str(), s.entries), (h.target.as_str(), 0));
    import_delta(&none, &applied).unwrap();
    assert_eq!(dump(&applied), dump(&next));
}

#[test]
fn a_delta_refuses_another_base_and_leaves_it_intact() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(&dir.path().join("n"), &sample());
    let next = build(&dir.path().join("n1"), &sample_next());
    let delta = dir.path().join("delta.zst");
    export_delta(&base, &next, &delta).unwrap();
    // `next` is not the base the delta was made against.
    let before = std::fs::read(&next).unwrap();
    let err = import_delta(&delta, &next).unwrap_err().to_string();
    assert!(err.contains("made against database version") && err.contains("import a full export"), "{err}");
    assert!(!err.contains('\n'), "{err}");
    assert_eq!(std::fs::read(&next).unwrap(), before);
    assert!(temporaries(next.parent().unwrap()).is_empty());
    // No database at all.
    let err = import_delta(&delta, &dir.path().join("missing.db")).unwrap_err().to_string();
    assert!(err.contains("no database to apply the delta to"), "{err}");
}

#[test]
fn a_delta_damaged_midway_is_refused_after_applying_part_of_it_and_the_base_stays() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(&dir.path().join("n"), &sample());
    let next = build(&dir.path().join("n1"), &sample_next());
    let delta = dir.path().join("delta.zst");
    let (_, stats) = export_delta(&base, &next, &delta).unwrap();
    let text = String::from_utf8(zstd::decode_all(std::fs::File::open(&delta).unwrap()).unwrap()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, stats.entries + 2, "header, entries, end");
    let before = std::fs::read(&base).unwrap();
    let write = |lines: &[String]| {
        let bad = dir.path().join("bad.zst");
        let body = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        std::fs::write(&bad, zstd::encode_all(body.as_bytes(), 3).unwrap()).unwrap();
        bad
    };
    let mut owned: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();

    // The last entry gets a row of the wrong width: the entries before it are applied to the
    // copy, then the import fails.
    let last = owned.len() - 2;
    let mut entry: serde_json::Value = serde_json::from_str(&owned[last]).unwrap();
    let table = entry["table"].as_str().unwrap().to_owned();
    entry["rows"] = json!([[entry["key"].clone()]]);
    owned[last] = entry.to_string();
    let err = import_delta(&write(&owned), &base).unwrap_err().to_string();
    assert!(err.contains(&format!("({table} ")) && err.contains("a row of 1 values"), "{err}");
    assert_eq!(std::fs::read(&base).unwrap(), before);
    assert!(temporaries(base.parent().unwrap()).is_empty());

    // Truncated (no end line), or a changed row the end line's version does not match.
    let err = import_delta(&write(&owned[..owned.len() - 1].iter().map(Clone::clone).collect::<Vec<_>>()), &base)
        .unwrap_err()
        .to_string();
    assert!(err.contains("a row of 1 values") || err.contains("truncated"), "{err}");
    let mut changed: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let at = changed.iter().position(|l| l.contains("\"table\":\"epss\"")).unwrap();
    changed[at] = changed[at].replace("0.625", "0.75");
    let err = import_delta(&write(&changed), &base).unwrap_err().to_string();
    assert!(err.contains("not the delta's"), "{err}");
    let mut dropped: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    dropped.pop();
    let err = import_delta(&write(&dropped), &base).unwrap_err().to_string();
    assert!(err.contains("truncated"), "{err}");
    assert_eq!(std::fs::read(&base).unwrap(), before);
    assert!(temporaries(base.parent().unwrap()).is_empty());
}

#[test]
fn the_dump_is_grouped_by_key_and_the_version_is_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    let db = build(dir.path(), &sample_next());
    let text = dump(&db);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("microscanner-db-dump/1 schema 2"));
    let affected: Vec<&str> = text.lines().filter(|l| l.starts_with("affected\t")).collect();
    assert_eq!(affected.len(), 3);
    assert!(affected[0].starts_with("affected\t[\"PYSEC-1\""), "{affected:?}");
    assert!(affected[1].contains("\"flask\"") && affected[2].contains("\"jinja2\""), "{affected:?}");
    assert!(text.contains("epss\t[\"CVE-2020-0001\",{\"real\":\"0.625\"},{\"real\":\"0.9\"},null]"), "{text}");
    use sha2::Digest as _;
    let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(text.as_bytes())));
    assert_eq!(content_version(&db).unwrap(), digest);
}

/// Another source's record of PYSEC-1: a reference, a CWE, an alias and a rating more, and the
/// same reference and CWE again.
fn second_source() -> Records {
    let mut r = Records { complete: true, ..Records::default() };
    r.advisories.push(Advisory {
        id: "PYSEC-1".into(),
        aliases: vec!["GHSA-xxxx-yyyy-zzzz".into(), "CVE-2020-0001".into()],
        related: vec!["CVE-2019-9999".into()],
        details: Some("longer".into()),
        references: vec![
            Reference { kind: "FIX".into(), url: "https://example.invalid/0".into() },
            Reference { kind: "WEB".into(), url: "https://example.invalid/1".into() },
        ],
        cwes: vec!["CWE-20".into(), "CWE-79".into()],
        source: "nvd".into(),
        ..Advisory::default()
    });
    r.severities.push(SeverityRating {
        advisory_id: "PYSEC-1".into(),
        kind: SeverityKind::CvssV2,
        value: "AV:N/AC:L/Au:N/C:N/I:N/A:P".into(),
        score: Some(5.0),
        source: "nvd@nist.gov".into(),
        scope: String::new(),
    });
    r
}

#[test]
fn one_advisory_from_two_sources_is_one_row_with_everything_merged() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("microscanner.db");
    let tmp = temp_path_beside(&target, "building");
    let mut b = Builder::create(&tmp).unwrap();
    b.add(&sample()).unwrap();
    b.add(&second_source()).unwrap();
    let staging = dir.path().join(format!("{}-staging", tmp.file_name().unwrap().to_string_lossy()));
    assert!(staging.exists(), "the sources are merged in a staging file beside the build");
    install(&b.finish().unwrap(), &target).unwrap();
    assert!(!staging.exists(), "and it is removed when the build finishes");
    let db = Database::open(&target).unwrap();
    let brief = db.advisory_brief("PYSEC-1").unwrap().unwrap();
    let a = &brief.advisory;
    assert_eq!((a.summary.as_deref(), a.details.as_deref(), a.source.as_str()), (Some("bad"), Some("longer"), "osv"));
    assert_eq!(a.aliases, ["CVE-2020-0001", "GHSA-xxxx-yyyy-zzzz"]);
    assert_eq!(a.related, ["CVE-2019-9999"]);
    let urls: Vec<(&str, &str)> = a.references.iter().map(|r| (r.kind.as_str(), r.url.as_str())).collect();
    assert_eq!(urls, [("FIX", "https://example.invalid/0"), ("WEB", "https://example.invalid/1")]);
    assert_eq!(a.cwes, ["CWE-20", "CWE-79"]);
    let ratings: Vec<(SeverityKind, Option<f64>, &str)> =
        brief.severities.iter().map(|s| (s.kind, s.score, s.source.as_str())).collect();
    assert_eq!(ratings, [(SeverityKind::CvssV2, Some(5.0), "nvd@nist.gov"), (SeverityKind::CvssV3, Some(7.5), "osv")]);
    assert!(brief.severities.iter().all(|s| s.advisory_id == "PYSEC-1"));
    assert_eq!(db.advisories_by_alias("GHSA-xxxx-yyyy-zzzz").unwrap(), ["PYSEC-1"]);
    assert_eq!(db.counts().unwrap().severities, 2);
}

#[test]
fn a_build_that_fails_leaves_no_staging_file() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("building.db");
    let mut b = Builder::create(&tmp).unwrap();
    b.add(&sample()).unwrap();
    drop(b);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("building.db")], "only the unfinished build, which its caller removes");
}

#[test]
fn a_damaged_json_column_is_an_error_naming_the_advisory_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path(), &sample());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE advisories SET refs = '[[\"WEB\"' WHERE id = 'PYSEC-1'", []).unwrap();
    drop(conn);
    let db = Database::open(&path).unwrap();
    let err = db.advisory_brief("PYSEC-1").unwrap_err().to_string();
    assert!(err.contains("PYSEC-1") && err.contains("column refs") && err.contains("microscanner.db"), "{err}");
}

#[test]
fn affected_rows_are_stored_by_package_and_counted_by_ecosystem() {
    let mut r = Records { complete: true, ..Records::default() };
    for (id, ecosystem, name) in
        [("A-1", "npm", "zlib"), ("A-1", "npm", "acorn"), ("A-2", "PyPI", "Django"), ("A-2", "npm", "acorn")]
    {
        r.advisories.push(Advisory { id: id.into(), source: "osv".into(), ..Advisory::default() });
        r.affected.push(Affected {
            advisory_id: id.into(),
            ecosystem: ecosystem.into(),
            name: name.into(),
            purl: None,
            ranges: json!([]),
            versions: vec!["1.0".into()],
            extra: serde_json::Value::Null,
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let path = build(dir.path(), &r);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut stmt = conn.prepare("SELECT ecosystem, name, advisory_id FROM affected ORDER BY rowid").unwrap();
    let order: Vec<(String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let order: Vec<(&str, &str, &str)> = order.iter().map(|(e, n, a)| (e.as_str(), n.as_str(), a.as_str())).collect();
    assert_eq!(
        order,
        [("PyPI", "Django", "A-2"), ("npm", "acorn", "A-1"), ("npm", "acorn", "A-2"), ("npm", "zlib", "A-1")]
    );
    let db = Database::open(&path).unwrap();
    assert_eq!(db.ecosystems().unwrap(), [("PyPI".to_owned(), 1), ("npm".to_owned(), 3)]);
    assert_eq!((db.ecosystem_entries("npm").unwrap(), db.ecosystem_entries("Go").unwrap()), (3, 0));
}
