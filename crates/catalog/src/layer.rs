//! Analysing one layer: walk it once, offer each file to the analyzers that want it, and collect
//! their records together with the layer's whiteouts and links, for the merge step.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read};

use microscanner_image::{EntryKind, ImageError, Layer, LayerVisitor, Limits};
use microscanner_model::Diagnostic;

use crate::{Analyzer, LayerFiles, Record};

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

/// Walks `layer` once and runs `analyzers` over the files they want.
pub fn analyze_layer(
    layer: &Layer,
    analyzers: &[Box<dyn Analyzer>],
    limits: &Limits,
) -> Result<LayerResult, ImageError> {
    let mut visitor = Collector {
        analyzers,
        result: LayerResult::default(),
        sets: BTreeMap::new(),
        hardlinks: Vec::new(),
        pending: Vec::new(),
    };
    layer.walk(limits, &mut visitor)?;
    if !visitor.hardlinks.is_empty() {
        // Rare: a wanted hard link whose target was read but not kept. Walk again for the targets.
        let mut grabber = LinkTargets { links: std::mem::take(&mut visitor.hardlinks), found: Vec::new() };
        layer.walk(limits, &mut grabber)?;
        for (link, bytes) in grabber.found {
            let wanting = visitor.wanting(&link, bytes.len() as u64);
            visitor.offer(&link, bytes, &wanting);
        }
        for (link, target) in grabber.links {
            visitor.result.diagnostics.push(Diagnostic::warning(
                format!("/{link}"),
                format!("hard link to /{target}, which is not a regular file of this layer"),
            ));
        }
    }
    let Collector { mut result, sets, .. } = visitor;
    for (index, files) in sets {
        if let Some(analyzer) = analyzers.get(index) {
            run(analyzer.as_ref(), &files, &mut result);
        }
    }
    result.records.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(result)
}

/// A second walk that reads the targets of wanted hard links.
struct LinkTargets {
    /// Unresolved (link, target) pairs; resolved ones move to `found`.
    links: Vec<(String, String)>,
    /// (link, content of its target).
    found: Vec<(String, Vec<u8>)>,
}

impl LayerVisitor for LinkTargets {
    fn wants(&mut self, path: &str, _size: u64) -> bool {
        self.links.iter().any(|(_, target)| target == path)
    }

    fn file(&mut self, path: &str, _size: u64, content: &mut dyn Read) -> io::Result<()> {
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes)?;
        let (hits, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.links).into_iter().partition(|(_, t)| t == path);
        self.links = rest;
        self.found.extend(hits.into_iter().map(|(link, _)| (link, bytes.clone())));
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

/// The visitor that feeds analyzers during the walk.
struct Collector<'a> {
    analyzers: &'a [Box<dyn Analyzer>],
    result: LayerResult,
    /// Files held for file-set analyzers, by analyzer index.
    sets: BTreeMap<usize, LayerFiles>,
    /// Hard links to files whose content we did not keep: (link, target).
    hardlinks: Vec<(String, String)>,
    /// The analyzers that wanted the entry the walk is on (set by `wants`, used by `file`).
    pending: Vec<usize>,
}

impl Collector<'_> {
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
            if analyzer.file_set() {
                self.sets.entry(index).or_default().insert(path.to_owned(), bytes);
            } else {
                let files = LayerFiles::from([(path.to_owned(), bytes)]);
                run(analyzer.as_ref(), &files, &mut self.result);
            }
        }
    }

    fn wanting(&self, path: &str, size: u64) -> Vec<usize> {
        self.analyzers.iter().enumerate().filter(|(_, a)| a.wants(path, size)).map(|(i, _)| i).collect()
    }
}

impl LayerVisitor for Collector<'_> {
    fn wants(&mut self, path: &str, size: u64) -> bool {
        self.pending = self.wanting(path, size);
        !self.pending.is_empty()
    }

    fn file(&mut self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<()> {
        // The walk calls `file` right after a `wants` that said yes, for the same entry.
        let wanting = std::mem::take(&mut self.pending);
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(64 << 20));
        content.read_to_end(&mut bytes)?;
        self.offer(path, bytes, &wanting);
        Ok(())
    }

    fn entry(&mut self, path: &str, kind: EntryKind) {
        match kind {
            EntryKind::Whiteout => self.result.whiteouts.push(path.to_owned()),
            EntryKind::OpaqueDir => self.result.opaque_dirs.push(path.to_owned()),
            EntryKind::Symlink(target) => {
                self.result.written.insert(path.to_owned());
                self.result.symlinks.insert(path.to_owned(), target);
            }
            EntryKind::Hardlink(target) => self.hardlink(path, &target),
        }
    }

    fn skipped(&mut self, raw_path: &str, reason: &str) {
        self.result.diagnostics.push(Diagnostic::warning(raw_path, format!("entry skipped: {reason}")));
    }
}

impl Collector<'_> {
    /// A hard link: when an analyzer wants the link's path, give it the target's content if this
    /// layer's walk kept it (file sets); otherwise note it.
    fn hardlink(&mut self, path: &str, target: &str) {
        let kept = self.sets.values().find_map(|files| files.get(target)).cloned();
        match kept {
            Some(bytes) => {
                let wanting = self.wanting(path, bytes.len() as u64);
                if !wanting.is_empty() {
                    self.offer(path, bytes, &wanting);
                }
            }
            None if !self.wanting(path, 0).is_empty() => {
                self.hardlinks.push((path.to_owned(), target.to_owned()));
            }
            None => {}
        }
    }
}
