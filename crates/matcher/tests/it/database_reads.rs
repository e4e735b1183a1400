//! The slim reads the matcher uses give what the full reads give, for every package, advisory and
//! ecosystem of the fixture database.
#![allow(clippy::unwrap_used)]

use crate::common;

use microscanner_vulndb::AdvisoryBrief;

fn all<T: rusqlite::types::FromSql>(sql: &str) -> Vec<T> {
    let conn =
        rusqlite::Connection::open_with_flags(common::db_path(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn raw_affected_rows_are_the_decoded_ones() {
    let db = common::db();
    let keys: Vec<String> = all("SELECT DISTINCT ecosystem || char(31) || name FROM affected");
    assert!(keys.len() > 1000);
    for key in keys {
        let (ecosystem, name) = key.split_once('\u{1f}').unwrap();
        let mut raw = Vec::new();
        db.for_each_affected(ecosystem, name, |a| {
            raw.push((
                a.advisory_id.to_owned(),
                serde_json::from_str::<serde_json::Value>(a.ranges).unwrap(),
                serde_json::from_str::<Vec<String>>(a.versions).unwrap(),
            ));
        })
        .unwrap();
        let decoded: Vec<_> =
            db.affected(ecosystem, name).unwrap().into_iter().map(|a| (a.advisory_id, a.ranges, a.versions)).collect();
        assert_eq!(raw, decoded, "{ecosystem}/{name}");
    }
}

#[test]
fn advisory_briefs_are_parts_of_the_details() {
    let db = common::db();
    let ids: Vec<String> = all("SELECT id FROM advisories");
    assert!(ids.len() > 1000);
    for id in ids {
        let full = db.advisory(&id).unwrap().unwrap();
        let brief = db.advisory_brief(&id).unwrap().unwrap();
        assert_eq!(brief, AdvisoryBrief { advisory: full.advisory, severities: full.severities }, "{id}");
    }
    assert!(db.advisory_brief("CVE-0000-0000").unwrap().is_none());
}

#[test]
fn ecosystem_entries_are_the_ecosystem_counts() {
    let db = common::db();
    for (ecosystem, n) in db.ecosystems().unwrap() {
        assert_eq!(db.ecosystem_entries(&ecosystem).unwrap(), n, "{ecosystem}");
    }
    assert_eq!(db.ecosystem_entries("NoSuchEcosystem").unwrap(), 0);
}
