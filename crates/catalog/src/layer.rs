//! Analysing one layer: walk it once, offer each file to the analyzers that want it, and collect
//! their records together with the layer's whiteouts and links, for the merge step.
//!
//! This is the one place the walk hands files to analyzers, so it is where the lost-evidence rule
//! ([`crate::lost`]) is applied: a wanted file over its analyzer's size bound, or one that is a
//! FIFO, a device or another non-regular entry, is a warning here (`Collector::lost`), and its path
//! counts as written by this layer (what a lower layer had there is gone). A symlink at a claimed
//! path is read through to its target when the target is a file of the same layer (as the
//! runtime would follow it); the others are checked once the layers are merged
//! ([`crate::lost::links`]).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash as _, Hasher as _};
use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use microscanner_image::{EntryKind, ImageError, Layer, LayerVisitor, Limits};
use microscanner_model::Diagnostic;

use crate::lost::{self, Lost};
use crate::{Analyzer, AnalyzerOutput, LayerFiles, Record};

/// What one layer contributed, before whiteouts are applied.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LayerResult {
    /// Records the analyzers found, in a stable order.
    pub records: Vec<Record>,
    /// Paths that analyzers were offered in this layer (written or rewritten here), so that
    /// records of lower layers at the same path are replaced even when no record came out.
    pub written: BTreeSet<String>,
    /// Paths deleted by `.wh.` entries.
    pub whiteouts: Vec<String>,
    /// Directories made opaque by `.wh..wh..opq`.
    pub opaque_dirs: Vec<String>,
    /// Symlinks created here: path → target, verbatim.
    pub symlinks: BTreeMap<String, String>,
    /// Problems met in this layer.
    pub diagnostics: Vec<Diagnostic>,
}

/// The most bytes of files read by the walk and waiting for, or in, an analysis beside it
/// ([`Analyzer::runs_beside_walk`]): past it the walk analyzes the next such file itself, so
/// memory stays bounded whatever the layer holds.
pub(crate) const MAX_BYTES_BESIDE_WALK: u64 = 64 << 20;

/// Walks `layer` once and runs `analyzers` over the files they want. Analyses that cost CPU
/// ([`Analyzer::runs_beside_walk`]) run on rayon's other threads while the walk reads on; the
/// result waits for them and is the same as when each ran inline.
pub fn analyze_layer(
    layer: &Layer,
    analyzers: &[Box<dyn Analyzer>],
    limits: &Limits,
) -> Result<LayerResult, ImageError> {
    let finished = Mutex::new(Vec::new());
    let waiting = AtomicU64::new(0);
    let walked = rayon::in_place_scope(|scope| {
        let beside = Beside { scope, finished: &finished, waiting: &waiting, next: 0 };
        walk_layer(layer, analyzers, limits, beside)
    });
    let mut result = walked?;
    let mut finished = finished.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    finished.sort_by_key(|(seq, _)| *seq);
    for (_, output) in finished {
        result.records.extend(output.records);
        result.diagnostics.extend(output.diagnostics);
    }
    result.records.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(result)
}

/// [`analyze_layer`]'s walks, analyses beside the walk handed to `beside`.
fn walk_layer<'scope>(
    layer: &Layer,
    analyzers: &'scope [Box<dyn Analyzer>],
    limits: &Limits,
    beside: Beside<'_, 'scope>,
) -> Result<LayerResult, ImageError> {
    let mut visitor = Collector {
        analyzers,
        result: LayerResult::default(),
        hardlinks: Vec::new(),
        pending: Vec::new(),
        symlinked: BTreeMap::new(),
        seen: HashSet::new(),
        beside,
    };
    layer.walk(limits, &mut visitor)?;
    // Claimed symlinks whose target is a file of this layer that the walk met before the link.
    let early: Vec<(String, String)> = std::mem::take(&mut visitor.symlinked)
        .into_iter()
        .filter(|(target, _)| visitor.seen.contains(&path_hash(target)))
        .flat_map(|(target, links)| links.into_iter().map(move |link| (link, target.clone())))
        .collect();
    if !visitor.hardlinks.is_empty() || !early.is_empty() {
        // Rare: a wanted hard link (its target's bytes were not kept), or a claimed symlink whose
        // target came first. Walk again for the targets.
        let hard: BTreeSet<String> = visitor.hardlinks.iter().map(|(link, _)| link.clone()).collect();
        let links = std::mem::take(&mut visitor.hardlinks).into_iter().chain(early).collect();
        let mut grabber = LinkTargets { analyzers, links, found: Vec::new(), too_large: Vec::new() };
        layer.walk(limits, &mut grabber)?;
        for (link, target, size) in grabber.too_large {
            visitor.result.written.insert(target);
            if let Some((ids, reason)) = lost::too_large(analyzers, &link, size, &[]) {
                visitor.lost(&link, &ids, &reason);
            }
        }
        for (link, target, bytes) in grabber.found {
            if hard.contains(&link) {
                let wanting = visitor.wanting(&link, bytes.len() as u64);
                visitor.offer(&link, bytes, &wanting);
            } else {
                visitor.through_link(&link, &target, bytes);
            }
        }
        for (link, target) in grabber.links.into_iter().filter(|(link, _)| hard.contains(link)) {
            visitor.result.diagnostics.push(Diagnostic::warning(
                format!("/{link}"),
                format!("hard link to /{target}, which is not a regular file of this layer"),
            ));
        }
    }
    Ok(visitor.result)
}

/// Where analyses beside the walk go: spawned on the layer's rayon scope, their outputs kept in
/// `finished` with their order of offer, the bytes they hold counted in `waiting`.
struct Beside<'b, 'scope> {
    scope: &'b rayon::Scope<'scope>,
    finished: &'scope Mutex<Vec<(usize, AnalyzerOutput)>>,
    waiting: &'scope AtomicU64,
    /// The order of the next analysis offered.
    next: usize,
}

impl<'scope> Beside<'_, 'scope> {
    /// Runs `analyzer` over `files` (`size` bytes) on another thread, or returns the files when
    /// [`MAX_BYTES_BESIDE_WALK`] would be passed (the caller analyzes them itself).
    fn spawn(&mut self, analyzer: &'scope dyn Analyzer, files: LayerFiles, size: u64) -> Option<LayerFiles> {
        let waiting = self.waiting;
        if waiting.fetch_add(size, Ordering::AcqRel).saturating_add(size) > MAX_BYTES_BESIDE_WALK {
            waiting.fetch_sub(size, Ordering::AcqRel);
            return Some(files);
        }
        let (seq, finished) = (self.next, self.finished);
        self.next += 1;
        self.scope.spawn(move |_| {
            let output = analyzer.analyze(&files);
            drop(files);
            waiting.fetch_sub(size, Ordering::AcqRel);
            finished.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((seq, output));
        });
        None
    }
}

/// A second walk that reads the targets of wanted hard links and claimed symlinks, each only
/// when an analyzer wants the link at the target's size.
struct LinkTargets<'a> {
    analyzers: &'a [Box<dyn Analyzer>],
    /// Unresolved (link, target) pairs; resolved ones move to `found` or `too_large`.
    links: Vec<(String, String)>,
    /// (link, target, content of the target).
    found: Vec<(String, String, Vec<u8>)>,
    /// (link, target, size of the target) for targets too large for the link's analyzers.
    too_large: Vec<(String, String, u64)>,
}

impl LayerVisitor for LinkTargets<'_> {
    fn wants(&mut self, path: &str, size: u64) -> bool {
        let analyzers = self.analyzers;
        let wanted = |link: &str| analyzers.iter().any(|a| a.wants(link, size));
        let (hits, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.links).into_iter().partition(|(_, t)| t == path);
        let (read, refused): (Vec<_>, Vec<_>) = hits.into_iter().partition(|(link, _)| wanted(link));
        self.too_large.extend(refused.into_iter().map(|(link, target)| (link, target, size)));
        let any = !read.is_empty();
        self.links = rest;
        self.links.extend(read);
        any
    }

    fn file(&mut self, path: &str, _size: u64, content: &mut dyn Read) -> io::Result<()> {
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes)?;
        let (hits, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.links).into_iter().partition(|(_, t)| t == path);
        self.links = rest;
        self.found.extend(hits.into_iter().map(|(link, target)| (link, target, bytes.clone())));
        Ok(())
    }

    fn entry(&mut self, _path: &str, _kind: EntryKind) {}

    fn skipped(&mut self, _raw_path: &str, _reason: &str) {}
}

/// Runs one analyzer and keeps its output.
fn run(analyzer: &dyn Analyzer, files: &LayerFiles, result: &mut LayerResult) {
    let output = analyzer.analyze(files);
    result.records.extend(output.records);
    result.diagnostics.extend(output.diagnostics);
}

/// A layer's reader that keeps its first read error: a streaming parser turns a read error into
/// a parse error of the file, but a read error is the layer's (a truncated or corrupt
/// archive), reported as the walk reports it when files are read whole.
struct ReadError<'a> {
    inner: &'a mut dyn Read,
    error: Option<io::Error>,
}

impl<'a> ReadError<'a> {
    fn new(inner: &'a mut dyn Read) -> Self {
        Self { inner, error: None }
    }

    /// `Err` with the first read error, if any.
    fn into_result(self) -> io::Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

impl Read for ReadError<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if self.error.is_none() {
                self.error = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}

/// The visitor that feeds analyzers during the walk.
struct Collector<'a, 'b> {
    analyzers: &'a [Box<dyn Analyzer>],
    /// Where the analyses that run beside the walk go.
    beside: Beside<'b, 'a>,
    result: LayerResult,
    /// Wanted hard links, read from their targets by a second walk: (link, target).
    hardlinks: Vec<(String, String)>,
    /// The analyzers that wanted the entry the walk is on (set by `wants`, used by `file`).
    pending: Vec<usize>,
    /// Symlinks at claimed paths whose analyzers do not read their target at its own path:
    /// target → links. The runtime follows the link, so they get the target's content.
    symlinked: BTreeMap<String, Vec<String>>,
    /// A hash of the path of every regular file of the layer, to tell whether a second walk
    /// can find a symlink's target.
    seen: HashSet<u64>,
}

/// A hash of a path, for [`Collector::seen`].
fn path_hash(path: &str) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    hasher.finish()
}

impl Collector<'_, '_> {
    /// Offers `content` at `path` to every analyzer in `wanting`.
    fn offer(&mut self, path: &str, content: Vec<u8>, wanting: &[usize]) {
        self.result.written.insert(path.to_owned());
        let mut content = Some(content);
        for (n, &index) in wanting.iter().enumerate() {
            let Some(analyzer) = self.analyzers.get(index) else { continue };
            let bytes = if n + 1 == wanting.len() {
                content.take().unwrap_or_default()
            } else {
                content.clone().unwrap_or_default()
            };
            let size = bytes.len() as u64;
            let files = LayerFiles::from([(path.to_owned(), bytes)]);
            let files = match analyzer.runs_beside_walk() {
                true => self.beside.spawn(analyzer.as_ref(), files, size),
                false => Some(files),
            };
            if let Some(files) = files {
                run(analyzer.as_ref(), &files, &mut self.result);
            }
        }
    }

    fn wanting(&self, path: &str, size: u64) -> Vec<usize> {
        self.analyzers.iter().enumerate().filter(|(_, a)| a.wants(path, size)).map(|(i, _)| i).collect()
    }

    /// The lost-evidence rule ([`crate::lost`]): `analyzers` wanted the file at `path` and do not
    /// get it. A warning names the path, the analyzers and the reason; the path counts as
    /// written here, so records a lower layer read at the same path do not survive it.
    fn lost(&mut self, path: &str, analyzers: &[&str], reason: &Lost) {
        self.result.written.insert(path.to_owned());
        self.result.diagnostics.push(lost::diagnostic(path, analyzers, reason));
    }
}

impl LayerVisitor for Collector<'_, '_> {
    fn wants(&mut self, path: &str, size: u64) -> bool {
        self.seen.insert(path_hash(path));
        self.pending = self.wanting(path, size);
        if let Some((ids, reason)) = lost::too_large(self.analyzers, path, size, &self.pending) {
            self.lost(path, &ids, &reason);
        }
        let mut for_links = false;
        if let Some(links) = self.symlinked.get(path) {
            let links = links.clone();
            for_links = links.iter().any(|link| !self.wanting(link, size).is_empty());
            if !for_links {
                // Too large for every analyzer that claims a link to it.
                self.symlinked.remove(path);
                self.result.written.insert(path.to_owned());
                for link in links {
                    if let Some((ids, reason)) = lost::too_large(self.analyzers, &link, size, &[]) {
                        self.lost(&link, &ids, &reason);
                    }
                }
            }
        }
        !self.pending.is_empty() || for_links
    }

    fn not_regular(&mut self, path: &str, what: &str) {
        let ids = lost::claimants(self.analyzers, path);
        if !ids.is_empty() {
            self.lost(path, &ids, &Lost::NotRegular(what.to_owned()));
        }
    }

    fn file(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()> {
        // The walk calls `file` right after a `wants` that said yes, for the same entry.
        let wanting = std::mem::take(&mut self.pending);
        if let [only] = wanting[..]
            && !self.symlinked.contains_key(path)
            && let Some(analyzer) = self.analyzers.get(only)
            && !analyzer.runs_beside_walk()
        {
            // one reader and no link to feed: the analyzer reads the stream itself
            self.result.written.insert(path.to_owned());
            let mut content = ReadError::new(content);
            let output = analyzer.analyze_reader(path, size, &mut content);
            content.into_result()?;
            let output = output?;
            self.result.records.extend(output.records);
            self.result.diagnostics.extend(output.diagnostics);
            return Ok(());
        }
        let mut bytes = crate::analyzer::read_buffer(size);
        content.read_to_end(&mut bytes)?;
        for link in self.symlinked.remove(path).unwrap_or_default() {
            self.through_link(&link, path, bytes.clone());
        }
        if !wanting.is_empty() {
            self.offer(path, bytes, &wanting);
        }
        Ok(())
    }

    fn entry(&mut self, path: &str, kind: EntryKind) {
        match kind {
            EntryKind::Whiteout => self.result.whiteouts.push(path.to_owned()),
            EntryKind::OpaqueDir => self.result.opaque_dirs.push(path.to_owned()),
            EntryKind::Symlink(target) => {
                self.result.written.insert(path.to_owned());
                self.symlink(path, &target);
                self.result.symlinks.insert(path.to_owned(), target);
            }
            EntryKind::Hardlink(target) => self.hardlink(path, &target),
        }
    }

    fn skipped(&mut self, raw_path: &str, reason: &str) {
        self.result.diagnostics.push(Diagnostic::warning(raw_path, format!("entry skipped: {reason}")));
    }
}

impl Collector<'_, '_> {
    /// A symlink: when analyzers claim its path but do not read its target at the target's own
    /// path (`etc/fedora-release -> ../usr/lib/fedora-release`), they get the target's content
    /// when the walk meets it (or a second walk, when it came first). A target that is not in
    /// this layer is checked once the layers are merged ([`crate::lost::links`]).
    fn symlink(&mut self, path: &str, target: &str) {
        let Some(resolved) = microscanner_image::path::resolve_link(path, target) else { return };
        let needs = self.analyzers.iter().any(|a| a.wants(path, 0) && !a.wants(&resolved, 0));
        if needs && resolved != path {
            self.symlinked.entry(resolved).or_default().push(path.to_owned());
        }
    }

    /// Offers the content of `target` to the analyzers that claim the symlink `link` to it and do
    /// not read `target` at its own path. The target counts as written (it was read), so the
    /// merge's link check finds it.
    fn through_link(&mut self, link: &str, target: &str, bytes: Vec<u8>) {
        let size = bytes.len() as u64;
        self.result.written.insert(target.to_owned());
        let wanting: Vec<usize> = self
            .wanting(link, size)
            .into_iter()
            .filter(|&i| self.analyzers.get(i).is_some_and(|a| !a.wants(target, size)))
            .collect();
        let claimed: Vec<usize> = (0..self.analyzers.len())
            .filter(|&i| self.analyzers.get(i).is_some_and(|a| a.wants(target, size)))
            .collect();
        let mut skip = wanting.clone();
        skip.extend(claimed);
        if let Some((ids, reason)) = lost::too_large(self.analyzers, link, size, &skip) {
            self.lost(link, &ids, &reason);
        }
        if !wanting.is_empty() {
            self.offer(link, bytes, &wanting);
        }
    }

    /// A hard link: when an analyzer claims the link's path, note it; a second walk reads the
    /// target's content (the walk keeps no file's bytes after its analyzers ran).
    fn hardlink(&mut self, path: &str, target: &str) {
        if !self.wanting(path, 0).is_empty() {
            self.hardlinks.push((path.to_owned(), target.to_owned()));
        }
    }
}
