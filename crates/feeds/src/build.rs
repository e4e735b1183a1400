//! Building a database from feed files: detect each file's format, import in parallel, write in a
//! fixed order into a new file beside the target, verify, rename into place.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use microscanner_atomic_file::{AtomicPath, Stale};
use microscanner_model::Diagnostic;
use microscanner_vulndb::{AddStats, Builder, Records, SourceInfo, install_built};
use rayon::prelude::*;

use crate::detect::{self, Format};
use crate::{FeedError, Import, Sink, newest};

/// What detecting and importing one file gave.
type Detected = Result<Option<(Format, Import)>, FeedError>;

/// Files imported in parallel per batch (bounds memory: one batch of records at a time)...
const BATCH: usize = 512;
/// ...and at most this many bytes of them (a single file may pass it up to [`STREAM_ABOVE`]).
const BATCH_BYTES: u64 = 64 * 1024 * 1024;
/// Files larger than this, and every `.zip`, are imported one at a time, streaming: their records
/// go to the database in chunks while they are read (see [`detect::import_file`]).
const STREAM_ABOVE: u64 = 8 * 1024 * 1024;

/// One input of a build: a file, and the source it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The file.
    pub path: PathBuf,
    /// The source it is recorded under (a `--from` argument, or a feed URL).
    pub source: String,
    /// Where it came from, for the metadata (a path or URL).
    pub origin: String,
}

/// How to build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Keep only these ecosystems (`debian`, `pypi`, `Alpine`, `crates.io`/`rust`, `go`...;
    /// compared case-insensitively on the part before `:`). `None`: keep all.
    pub ecosystems: Option<Vec<String>>,
    /// When true, any input that cannot be read as a whole (or is not a feed) fails the build;
    /// when false it becomes a diagnostic and the build goes on (`db build` over directories).
    pub strict: bool,
}

/// What a build did.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// The installed database.
    pub path: PathBuf,
    /// Per-source summary, as stored in the metadata.
    pub sources: Vec<SourceInfo>,
    /// Everything the importers said.
    pub diagnostics: Vec<Diagnostic>,
    /// Files imported.
    pub files: usize,
    /// Files skipped as not a feed.
    pub skipped: usize,
    /// Write totals.
    pub written: AddStats,
}

/// Progress events of a build (the CLI turns them into a progress bar; the library never prints).
pub trait Progress: Sync {
    /// `done` of `total` files imported.
    fn files(&self, done: usize, total: usize);
    /// Downloading feed `name`, the `index`th (from 1) of `total` (only `db update` calls this).
    fn fetching(&self, _name: &str, _index: usize, _total: usize) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn files(&self, _done: usize, _total: usize) {}
}

/// Expands `--from` paths into inputs: a file is itself; a directory is every feed-looking file
/// below it, in path order. Each input's source is the path it was found under.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, FeedError> {
    let mut out = Vec::new();
    for root in paths {
        let meta =
            std::fs::metadata(root).map_err(|e| FeedError::Io { location: root.display().to_string(), source: e })?;
        let source = root.display().to_string();
        if meta.is_file() {
            out.push(Input { path: root.clone(), source: source.clone(), origin: source });
            continue;
        }
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
            .follow_links(true)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && detect::is_candidate(e.path()))
            .map(walkdir::DirEntry::into_path)
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|p| Input {
            origin: p.display().to_string(),
            path: p,
            source: source.clone(),
        }));
    }
    Ok(out)
}

/// A temporary beside the database belongs to a build, import or download that was killed when
/// its process is gone, or (where that cannot be told) when it has not been modified for six
/// hours: long, because SQLite can keep a large build's pages in memory for a while.
const STALE_BUILD: Stale = Stale::OwnerGoneOrAfter(std::time::Duration::from_secs(6 * 3600));

/// Builds a database at `target` from `inputs`. The new file is written beside the target
/// ([`AtomicPath`]) and renamed over it only when complete, verified and synced; on any error
/// the old file is untouched and the new one removed. Temporaries of builds that were killed
/// are swept first.
pub fn build(
    target: &Path,
    inputs: &[Input],
    options: &BuildOptions,
    progress: &dyn Progress,
) -> Result<BuildReport, FeedError> {
    build_layered(target, inputs, &[], options, progress)
}

/// How an input of an incrementally updated feed relates to the feed's other inputs (`db
/// update`, [`crate::update`]). The inputs of group `g` come in order: its overlays, newest
/// first (the records fetched since the base was downloaded), then its base (the last full
/// download). A record whose advisory id an earlier overlay of the group already gave is dropped
/// before it is counted or written, so the build equals one from a full download that holds the
/// newest copy of every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layer {
    /// An input of no group (every input of `db build`).
    Plain,
    /// Records fetched since the base of group `g` (supersede its later inputs by id).
    Overlay(usize),
    /// The last full download of group `g`.
    Base(usize),
}

/// [`build`] with a [`Layer`] per input (`layers` shorter than `inputs`: the rest are plain).
pub(crate) fn build_layered(
    target: &Path,
    inputs: &[Input],
    layers: &[Layer],
    options: &BuildOptions,
    progress: &dyn Progress,
) -> Result<BuildReport, FeedError> {
    let io = |path: &Path| {
        let location = path.display().to_string();
        move |source| FeedError::Io { location, source }
    };
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    microscanner_atomic_file::sweep_stale(target, STALE_BUILD);
    let tmp = AtomicPath::create(target).map_err(|e| io(&e.path)(e.source))?;
    // Dropped on an error, `tmp` removes the partial database.
    let mut report = build_into(tmp.path(), inputs, layers, options, progress)?;
    install_built(tmp)?;
    report.path = target.to_path_buf();
    Ok(report)
}

#[derive(Default)]
struct SourceTally {
    kinds: Vec<&'static str>,
    origin: String,
    timestamp: Option<String>,
    records: u64,
    diagnostics: u64,
}

/// A build in progress: the database being written and what has been tallied so far.
struct State<'o> {
    builder: Builder,
    options: &'o BuildOptions,
    report: BuildReport,
    tallies: BTreeMap<String, SourceTally>,
    /// The layer of the input being read.
    layer: Layer,
    /// Per group: the advisory ids its overlays gave so far.
    superseded: HashMap<usize, HashSet<String>>,
}

impl State<'_> {
    /// Writes records of `source` (after the ecosystem filter).
    fn write(&mut self, source: &str, mut records: Records) -> Result<(), FeedError> {
        // Superseded records go before the ecosystem filter: an overlay's copy that the filter
        // drops still replaces the base's (its ecosystems may have changed).
        if let Layer::Overlay(g) | Layer::Base(g) = self.layer
            && let Some(ids) = self.superseded.get(&g)
        {
            drop_advisories(&mut records, ids);
        }
        if let Layer::Overlay(g) = self.layer {
            self.superseded.entry(g).or_default().extend(records.advisories.iter().map(|a| a.id.clone()));
        }
        if let Some(keep) = &self.options.ecosystems {
            filter_ecosystems(&mut records, keep);
        }
        let tally = self.tallies.entry(source.to_owned()).or_default();
        tally.records += records.record_count() as u64;
        let stats = self.builder.add(&records)?;
        let written = &mut self.report.written;
        written.advisories += stats.advisories;
        written.merged += stats.merged;
        written.duplicates += stats.duplicates;
        written.affected += stats.affected;
        Ok(())
    }

    /// Takes the result of importing one input (the rest of it, when it was streamed).
    fn take(&mut self, input: &Input, result: Detected) -> Result<(), FeedError> {
        let tally = self.tallies.entry(input.source.clone()).or_default();
        // A feed's origin is its base's address, not an overlay's.
        if tally.origin.is_empty() && !matches!(self.layer, Layer::Overlay(_)) {
            tally.origin = if input.source == input.origin || !input.origin.contains("://") {
                input.source.clone()
            } else {
                input.origin.clone()
            };
        }
        match result {
            Ok(Some((format, mut import))) => {
                self.report.files += 1;
                if !tally.kinds.contains(&format.kind()) {
                    tally.kinds.push(format.kind());
                }
                tally.timestamp = newest(tally.timestamp.take(), import.timestamp.take());
                tally.diagnostics += import.diagnostics.len() as u64;
                self.write(&input.source, std::mem::take(&mut import.records))?;
                self.report.diagnostics.extend(import.diagnostics);
            }
            Ok(None) => {
                if self.options.strict {
                    return Err(FeedError::malformed(&input.origin, "not a feed format microscanner reads"));
                }
                self.report.skipped += 1;
                self.report
                    .diagnostics
                    .push(Diagnostic::info(&input.origin, "not a feed format microscanner reads; skipped"));
            }
            Err(e) => {
                if self.options.strict {
                    return Err(e);
                }
                tally.diagnostics += 1;
                self.report.diagnostics.push(Diagnostic::warning(&input.origin, e.to_string()));
            }
        }
        Ok(())
    }
}

/// The sink of a streamed input: its chunks go straight to the database.
struct ToDatabase<'s, 'o> {
    state: &'s mut State<'o>,
    source: &'s str,
}

impl Sink for ToDatabase<'_, '_> {
    fn chunk(&mut self, records: Records) -> Result<(), FeedError> {
        self.state.write(self.source, records)
    }
}

/// True when an input is imported on its own, streaming, rather than whole in a parallel batch.
fn streamed(input: &Input, size: u64) -> bool {
    size > STREAM_ABOVE || input.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn build_into(
    tmp: &Path,
    inputs: &[Input],
    layers: &[Layer],
    options: &BuildOptions,
    progress: &dyn Progress,
) -> Result<BuildReport, FeedError> {
    let mut state = State {
        builder: Builder::create(tmp)?,
        options,
        report: BuildReport::default(),
        tallies: BTreeMap::new(),
        layer: Layer::Plain,
        superseded: HashMap::new(),
    };
    let layer_of = |i: usize| layers.get(i).copied().unwrap_or(Layer::Plain);
    let total = inputs.len();
    // A file that cannot be stat'ed is read (and fails) in a batch, as before.
    let sizes: Vec<u64> = inputs.iter().map(|i| std::fs::metadata(&i.path).map_or(0, |m| m.len())).collect();
    let mut at = 0usize;
    while at < inputs.len() {
        if streamed(&inputs[at], sizes[at]) {
            let input = &inputs[at];
            let location = input.origin.clone();
            state.layer = layer_of(at);
            let mut sink = ToDatabase { state: &mut state, source: &input.source };
            let result = detect::import_file(&location, &input.path, &mut sink);
            state.take(input, result)?;
            at += 1;
            progress.files(at, total);
            continue;
        }
        // A batch: consecutive small files, at most BATCH of them and BATCH_BYTES together.
        let mut end = at;
        let mut bytes = 0u64;
        while end < inputs.len()
            && end - at < BATCH
            && !streamed(&inputs[end], sizes[end])
            && (end == at || bytes + sizes[end] <= BATCH_BYTES)
        {
            bytes += sizes[end];
            end += 1;
        }
        let results: Vec<(usize, &Input, Detected)> = inputs[at..end]
            .par_iter()
            .enumerate()
            .map(|(k, input)| {
                let location = input.origin.clone();
                let r = std::fs::read(&input.path)
                    .map_err(|e| FeedError::Io { location: location.clone(), source: e })
                    .and_then(|bytes| detect::import_bytes(&location, &bytes));
                (at + k, input, r)
            })
            .collect();
        for (i, input, result) in results {
            state.layer = layer_of(i);
            state.take(input, result)?;
        }
        at = end;
        progress.files(at, total);
    }
    let State { builder, mut report, tallies, .. } = state;
    let mut builder = builder;
    for (name, t) in tallies {
        if t.kinds.is_empty() {
            continue;
        }
        let source = SourceInfo {
            name,
            kind: t.kinds.join("+"),
            origin: t.origin,
            timestamp: t.timestamp,
            records: t.records,
            diagnostics: t.diagnostics,
        };
        builder.add_source(source.clone());
        report.sources.push(source);
    }
    report.path = builder.finish()?;
    Ok(report)
}

/// Drops the advisories with these ids and everything attached to them.
fn drop_advisories(records: &mut Records, ids: &HashSet<String>) {
    if ids.is_empty() {
        return;
    }
    records.advisories.retain(|a| !ids.contains(&a.id));
    records.affected.retain(|a| !ids.contains(&a.advisory_id));
    records.severities.retain(|s| !ids.contains(&s.advisory_id));
    records.fix_statuses.retain(|f| !ids.contains(&f.advisory_id));
}

/// The canonical spelling of an `--ecosystems` word, lowercased (`rust` → `crates.io`).
pub fn canonical_ecosystem(word: &str) -> String {
    let w = word.trim().to_ascii_lowercase();
    match w.as_str() {
        "rust" | "cargo" | "crates" => "crates.io".into(),
        "golang" => "go".into(),
        "python" | "pip" => "pypi".into(),
        "node" | "js" | "javascript" => "npm".into(),
        "ruby" | "gem" | "gems" => "rubygems".into(),
        "php" | "composer" => "packagist".into(),
        "dotnet" | ".net" => "nuget".into(),
        "dart" | "flutter" => "pub".into(),
        "elixir" | "erlang" => "hex".into(),
        "swift" => "swifturl".into(),
        "conan" | "c" | "c++" | "cpp" => "conancenter".into(),
        "alma" => "almalinux".into(),
        "rocky" => "rocky linux".into(),
        "redhat" | "rhel" => "red hat".into(),
        _ => w,
    }
}

/// Keeps only affected entries and fix states of the given ecosystems, and the advisories that
/// still have one (NVD, KEV and EPSS enrichment is kept whole).
pub fn filter_ecosystems(records: &mut Records, keep: &[String]) {
    let keep: HashSet<String> = keep.iter().map(|k| canonical_ecosystem(k)).collect();
    let wanted = |eco: &str| {
        let base = eco.split(':').next().unwrap_or(eco).to_ascii_lowercase();
        keep.contains(&base)
    };
    records.affected.retain(|a| wanted(&a.ecosystem));
    records.fix_statuses.retain(|f| wanted(&f.ecosystem));
    let ids: HashSet<String> = records
        .affected
        .iter()
        .map(|a| a.advisory_id.clone())
        .chain(records.fix_statuses.iter().map(|f| f.advisory_id.clone()))
        .collect();
    records.advisories.retain(|a| a.source == crate::nvd::SOURCE || ids.contains(&a.id));
    let kept: HashSet<&str> = records.advisories.iter().map(|a| a.id.as_str()).collect();
    records.severities.retain(|s| kept.contains(s.advisory_id.as_str()));
}
