//! The store: remember, list, documents, forget; names checked; damaged rows are errors naming
//! the entry and the column.

use microscanner_watch::{NewEntry, WatchError, WatchStore, Webhook, WebhookFormat};

pub fn sample_entry_parts() -> (microscanner_model::Inventory, Vec<microscanner_model::Finding>) {
    let scan = microscanner_testkit::sample_report().into_scan();
    (scan.inventory, scan.findings)
}

#[test]
fn remembered_entries_round_trip_and_are_forgotten() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("data/dir/watch.db");
    assert!(WatchStore::open(&path, false).unwrap().is_none(), "not created unless asked");
    let store = WatchStore::open(&path, true).unwrap().unwrap();
    let (inventory, findings) = sample_entry_parts();
    let webhook = Webhook {
        url: "http://127.0.0.1:9/h".into(),
        format: WebhookFormat::Slack,
        notify_on: microscanner_model::Severity::Medium,
    };
    store
        .remember(&NewEntry {
            name: "app",
            inventory: &inventory,
            findings: &findings,
            database_built_at: Some("2026-12-01T00:00:00Z"),
            webhook: Some(webhook.clone()),
            now: "2026-12-07T00:00:00Z",
        })
        .unwrap();
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "app");
    assert_eq!(list[0].image, inventory.image.name);
    assert_eq!(list[0].digest, inventory.image.manifest_digest);
    assert_eq!(list[0].packages, inventory.packages.len() as u64);
    assert_eq!(list[0].findings, findings.len() as u64);
    assert_eq!(list[0].webhook(), Some(webhook));
    let (inv, last) = store.documents("app").unwrap();
    assert_eq!(inv, inventory);
    assert_eq!(last, microscanner_watch::compact(&findings), "the last result, without advisory texts");
    let texts =
        |f: &microscanner_model::Finding| f.title.is_some() || f.description.is_some() || !f.references.is_empty();
    assert!(findings.iter().any(texts) && !last.iter().any(texts), "the texts are left out");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "private: webhook URLs");
    }
    assert!(store.forget("app").unwrap());
    assert!(!store.forget("app").unwrap());
    assert!(store.list().unwrap().is_empty());
    assert!(matches!(store.documents("app"), Err(WatchError::NotFound(_))));
}

#[test]
fn names_are_checked() {
    for good in ["app", "ghcr.io/acme/app:1.4", "a@sha256:abc", "x_y-z+1"] {
        assert!(microscanner_watch::validate_name(good).is_ok(), "{good}");
    }
    for bad in ["", "a b", "a\u{1b}[31m", "ä", &"a".repeat(129)] {
        assert!(microscanner_watch::validate_name(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_damaged_row_names_the_entry_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("watch.db");
    let store = WatchStore::open(&path, true).unwrap().unwrap();
    let (inventory, findings) = sample_entry_parts();
    let entry = NewEntry {
        name: "app",
        inventory: &inventory,
        findings: &findings,
        database_built_at: None,
        webhook: None,
        now: "t",
    };
    store.remember(&entry).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE remembered SET findings = x'28b52ffd00'", []).unwrap();
    conn.execute("UPDATE remembered SET delivery_state = 'lost'", []).unwrap();
    drop(conn);
    let store = WatchStore::open(&path, false).unwrap().unwrap();
    let err = store.documents("app").unwrap_err().to_string();
    assert!(err.contains("\"app\"") && err.contains("findings"), "{err}");
    let err = store.list().unwrap_err().to_string();
    assert!(err.contains("delivery_state") && err.contains("lost"), "{err}");
}
