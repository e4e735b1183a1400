#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "the test reads docs/coverage.md from disk; the crate's own code does no file I/O"
)]

//! `docs/coverage.md` lists every analyzer of a default scan, and nothing else: the ids in the
//! first column of its tables (outside the "OS distributions" section, whose rows are
//! distributions) are exactly the ids of `default_analyzers()`, each once.

use std::collections::BTreeSet;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/coverage.md");

/// The backticked ids in the first cell of the table rows of `text`, outside "OS distributions".
fn documented_ids(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut in_distros = false;
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            in_distros = heading.trim() == "OS distributions";
            continue;
        }
        if in_distros {
            continue;
        }
        let Some(row) = line.strip_prefix('|') else { continue };
        let first = row.split('|').next().unwrap_or_default().trim();
        if let Some(id) = first.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
            ids.push(id.to_owned());
        }
    }
    ids
}

#[test]
fn coverage_doc_lists_every_analyzer_and_only_those() {
    let text = std::fs::read_to_string(DOC).unwrap_or_else(|e| panic!("{DOC}: {e}"));
    let documented = documented_ids(&text);
    let unique: BTreeSet<&str> = documented.iter().map(String::as_str).collect();
    assert_eq!(unique.len(), documented.len(), "an analyzer is listed twice: {documented:?}");
    let analyzers: BTreeSet<&str> = microscanner_catalog::default_analyzers().iter().map(|a| a.id()).collect();
    let missing: Vec<_> = analyzers.difference(&unique).collect();
    let stale: Vec<_> = unique.difference(&analyzers).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "docs/coverage.md: missing rows {missing:?}, rows of no analyzer {stale:?}"
    );
    assert!(text.contains("## OS distributions"), "the OS distributions section is kept");
}

#[test]
fn the_distribution_section_is_not_read_as_analyzers() {
    let text = "## A\n| `x` | y |\n## OS distributions\n| `debian` | dpkg |\n## B\n| `z` | w |\n";
    assert_eq!(documented_ids(text), ["x", "z"]);
}
