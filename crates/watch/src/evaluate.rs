//! Re-evaluation: a remembered inventory matched again against the current database, compared
//! with its last result.

use std::path::Path;

use microscanner_model::{Finding, Inventory, SeverityCounts};
use microscanner_report::diff::diff_findings;
use microscanner_vulndb::Database;
use rayon::prelude::*;
use serde::Serialize;

use crate::WatchError;
use crate::store::WatchStore;

/// What one remembered entry's re-evaluation found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryOutcome {
    /// The entry's name.
    pub name: String,
    /// The image's name.
    pub image: String,
    /// The image's manifest digest, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Findings the last result did not have (by
    /// [`Finding::identity`](microscanner_model::Finding::identity)), in report order.
    pub new: Vec<Finding>,
    /// New findings by severity.
    pub new_summary: SeverityCounts,
    /// How many findings of the last result are gone.
    pub fixed: usize,
    /// How many findings are in both but changed (severity, fix, version, id, KEV).
    pub changed: usize,
    /// How many findings the current result has.
    pub findings: usize,
}

/// Matches `inventory` against `db`: every finding, before any policy (no severity filter, no
/// ignore file), the same for the first result (`scan --remember`) and every later one.
pub fn evaluate(db: &Database, name: &str, inventory: &Inventory) -> Result<Vec<Finding>, WatchError> {
    microscanner_matcher::match_inventory(db, inventory)
        .map(|m| m.findings)
        .map_err(|source| WatchError::Match { name: name.to_owned(), source })
}

/// How many entries are read, matched (in parallel) and written at a time: bounds the memory
/// of a run (inventories and findings of one chunk) while keeping every core busy.
const CHUNK: usize = 64;

/// Re-evaluates every entry of `store` against the database at `db_path` at `now`: each
/// inventory is matched again, compared with its last result by [`diff_findings`] (the diff's
/// finding identity), and the new result stored as the last one. The matching runs on every core,
/// one database connection per thread (entries are independent); reads and writes of the store
/// stay on the calling thread. Returns one outcome per entry, by name.
pub fn run(store: &WatchStore, db_path: &Path, now: &str) -> Result<Vec<EntryOutcome>, WatchError> {
    let built_at = Database::open(db_path)?.metadata()?.built_at;
    let built_at = Some(built_at.as_str()).filter(|b| !b.is_empty());
    let mut outcomes = Vec::new();
    for names in store.names()?.chunks(CHUNK) {
        let mut loaded = Vec::new();
        for name in names {
            // forgotten meanwhile: skipped
            if let Some(entry) = store.get(name)? {
                let (inventory, last) = store.documents(name)?;
                loaded.push((entry, inventory, last));
            }
        }
        let evaluated: Vec<Result<Vec<Finding>, WatchError>> = loaded
            .par_iter()
            .map_init(
                || Database::open(db_path),
                |db, (entry, inventory, _)| match db {
                    Ok(db) => evaluate(db, &entry.name, inventory),
                    Err(e) => Err(WatchError::Open(e.to_string())),
                },
            )
            .collect();
        for ((entry, _, last), current) in loaded.iter().zip(evaluated) {
            let current = current?;
            let outcome = outcome(&entry.name, &entry.image, entry.digest.as_deref(), last, &current);
            // nothing new, fixed or changed: the stored result stands for this one (and is not
            // written again, the most of a re-evaluation's time after matching)
            let same =
                outcome.new.is_empty() && outcome.fixed == 0 && outcome.changed == 0 && last.len() == current.len();
            store.record_evaluation(&entry.name, (!same).then_some(current.as_slice()), built_at, now)?;
            outcomes.push(outcome);
        }
    }
    Ok(outcomes)
}

/// The outcome of the entry `name` (of `image`, `digest`) whose last result was `last` and
/// current one is `current`: what is new by [`diff_findings`], the comparison `microscanner diff`
/// makes. The service's re-evaluation uses it too.
pub fn outcome(name: &str, image: &str, digest: Option<&str>, last: &[Finding], current: &[Finding]) -> EntryOutcome {
    let old: Vec<&Finding> = last.iter().collect();
    let new: Vec<&Finding> = current.iter().collect();
    let d = diff_findings(&old, &new);
    EntryOutcome {
        name: name.to_owned(),
        image: image.to_owned(),
        digest: digest.map(str::to_owned),
        new_summary: SeverityCounts::count(&d.new),
        new: d.new,
        fixed: d.fixed.len(),
        changed: d.changed.len(),
        findings: current.len(),
    }
}
