//! Re-evaluation: a remembered inventory matched again against the current database, compared
//! with its last result.

use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

use microscanner_matcher::Matcher;
use microscanner_model::{Finding, Inventory, SeverityCounts};
use microscanner_report::diff::diff_findings;
use microscanner_vulndb::Database;
use serde::Serialize;

use crate::WatchError;
use crate::store::{Remembered, StoredDocuments, WatchStore};

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

/// One entry handed to a worker: its place in the chunk, its row and its stored documents.
type Job = (usize, Remembered, StoredDocuments);

/// What a worker made of a [`Job`]: its place, then the outcome and the current findings when
/// they differ from the last result (`None`: the stored result stands).
type Done = (usize, Reevaluated);

/// One entry's outcome and its current findings unless they are the last result's.
type Reevaluated = Result<(EntryOutcome, Option<Vec<Finding>>), WatchError>;

/// Re-evaluates every entry of `store` against the database at `db_path` at `now`: each
/// inventory is matched again, compared with its last result by [`diff_findings`] (the diff's
/// finding identity), and the new result stored as the last one. Returns one outcome per entry,
/// by name.
///
/// The store's connection stays on the calling thread, which reads the entries a chunk at a
/// time and writes their results. One worker per core decodes, matches and compares, each with
/// its own database connection and one [`Matcher`] for the whole run: remembered images share
/// base layers, so what one entry read and evaluated (a package's affected rows, an advisory, a
/// version's verdict) serves the next ones. Each result is still exactly that entry's own match.
pub fn run(store: &WatchStore, db_path: &Path, now: &str) -> Result<Vec<EntryOutcome>, WatchError> {
    let built_at = Database::open(db_path)?.metadata()?.built_at;
    let built_at = Some(built_at.as_str()).filter(|b| !b.is_empty());
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(16);
    let (jobs, job_queue) = mpsc::sync_channel::<Job>(CHUNK);
    let job_queue = Mutex::new(job_queue);
    std::thread::scope(|scope| {
        let (done, finished) = mpsc::channel::<Done>();
        for _ in 0..workers {
            let (job_queue, done) = (&job_queue, done.clone());
            scope.spawn(move || worker(db_path, job_queue, &done));
        }
        drop(done);
        let result = feed(store, &jobs, &finished, built_at, now);
        // closing the queue ends the workers (the scope joins them)
        drop(jobs);
        result
    })
}

/// The calling thread's side of [`run`]: hands out each chunk's entries, then stores their
/// results in order.
fn feed(
    store: &WatchStore,
    jobs: &SyncSender<Job>,
    finished: &Receiver<Done>,
    built_at: Option<&str>,
    now: &str,
) -> Result<Vec<EntryOutcome>, WatchError> {
    let mut outcomes = Vec::new();
    for names in store.names()?.chunks(CHUNK) {
        let mut sent = 0;
        for name in names {
            // forgotten meanwhile: skipped
            if let Some(entry) = store.get(name)? {
                let documents = store.stored_documents(name)?;
                jobs.send((sent, entry, documents))
                    .map_err(|_| WatchError::Open("the matching threads stopped".into()))?;
                sent += 1;
            }
        }
        let mut chunk: Vec<Option<Reevaluated>> = (0..sent).map(|_| None).collect();
        for _ in 0..sent {
            let (i, result) = finished.recv().map_err(|_| WatchError::Open("the matching threads stopped".into()))?;
            if let Some(slot) = chunk.get_mut(i) {
                *slot = Some(result);
            }
        }
        for result in chunk.into_iter().flatten() {
            let (outcome, current) = result?;
            store.record_evaluation(&outcome.name, current.as_deref(), built_at, now)?;
            outcomes.push(outcome);
        }
    }
    Ok(outcomes)
}

/// One matching thread of [`run`]: takes entries until the queue closes, and answers each (with
/// the error, for every one, when its database connection cannot be opened).
fn worker(db_path: &Path, jobs: &Mutex<Receiver<Job>>, done: &Sender<Done>) {
    let db = Database::open(db_path).map_err(|e| e.to_string());
    let mut matcher = db.as_ref().ok().map(Matcher::new);
    // the lock is held only to take one job
    while let Ok((index, entry, documents)) = jobs.lock().map_err(drop).and_then(|queue| queue.recv().map_err(drop)) {
        let result = match (&mut matcher, &db) {
            (Some(matcher), _) => reevaluate(matcher, &entry, &documents),
            (None, Err(e)) => Err(WatchError::Open(e.clone())),
            (None, Ok(_)) => Err(WatchError::Open("no matcher".into())),
        };
        if done.send((index, result)).is_err() {
            return;
        }
    }
}

/// One entry matched again: its outcome against its last result, and the current findings
/// unless they are the last result's.
fn reevaluate(matcher: &mut Matcher<'_>, entry: &Remembered, documents: &StoredDocuments) -> Reevaluated {
    let (inventory, last) = documents.decode()?;
    let current = matcher
        .match_inventory(&inventory)
        .map(|m| m.findings)
        .map_err(|source| WatchError::Match { name: entry.name.clone(), source })?;
    let outcome = outcome(&entry.name, &entry.image, entry.digest.as_deref(), &last, &current);
    // nothing new, fixed or changed: the stored result stands for this one (and is not written
    // again, the most of a re-evaluation's time after matching)
    let same = outcome.new.is_empty() && outcome.fixed == 0 && outcome.changed == 0 && last.len() == current.len();
    Ok((outcome, (!same).then_some(current)))
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
