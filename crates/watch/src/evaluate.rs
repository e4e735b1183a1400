//! Re-evaluation: a remembered inventory matched again against the current database, compared
//! with its last result.

use microscanner_model::{Finding, Inventory, SeverityCounts};
use microscanner_report::diff::diff_findings;
use microscanner_vulndb::Database;
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

/// Re-evaluates every entry of `store` against `db` at `now`: each inventory is matched again,
/// compared with its last result by [`diff_findings`] (the diff's finding identity), and the
/// new result stored as the last one. Returns one outcome per entry, by name.
pub fn run(store: &WatchStore, db: &Database, now: &str) -> Result<Vec<EntryOutcome>, WatchError> {
    let built_at = db.metadata()?.built_at;
    let built_at = Some(built_at.as_str()).filter(|b| !b.is_empty());
    let mut outcomes = Vec::new();
    for name in store.names()? {
        let Some(entry) = store.get(&name)? else {
            continue; // forgotten meanwhile
        };
        let (inventory, last) = store.documents(&name)?;
        let current = evaluate(db, &name, &inventory)?;
        let outcome = outcome(&entry.name, &entry.image, entry.digest.as_deref(), &last, &current);
        // nothing new, fixed or changed: the stored result stands for this one (and is not
        // written again, the most of a re-evaluation's time after matching)
        let same = outcome.new.is_empty() && outcome.fixed == 0 && outcome.changed == 0 && last.len() == current.len();
        store.record_evaluation(&name, (!same).then_some(current.as_slice()), built_at, now)?;
        outcomes.push(outcome);
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
