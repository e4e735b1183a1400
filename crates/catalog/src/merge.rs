//! The merge: a pure function from per-layer results to the image's final evidence.
//!
//! Whiteouts are applied to *results*, never to files: a record survives when no later layer
//! deleted its file (`.wh.NAME`, a `.wh.` of a parent directory, an opaque directory above it) or
//! wrote the same path again. Every package is attributed to the lowest layer from which its
//! evidence file listed it without interruption.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use microscanner_model::{Diagnostic, LayerRef, OsInfo, Package};

use crate::layer::LayerResult;
use crate::{Record, Requires};

/// Layer metadata the merge needs to attribute packages.
#[derive(Debug, Clone)]
pub struct LayerMeta {
    /// The diffID.
    pub diff_id: String,
    /// The history line.
    pub created_by: Option<String>,
}

/// The image's evidence after whiteouts, before OS-specific finishing.
#[derive(Debug, Default)]
pub struct Merged {
    /// Surviving package records: (path, packages with their layer set).
    pub packages: Vec<Package>,
    /// Surviving owned-file lists: package key (`name` or `name:arch`) → files.
    pub owned_files: BTreeMap<String, Vec<String>>,
    /// Surviving copyright-file licences: dpkg package name → licences.
    pub licenses: BTreeMap<String, Vec<String>>,
    /// Surviving dependency declarations, with the location (`/path`) of their evidence file.
    pub requires: Vec<(String, Requires)>,
    /// The best surviving OS identity.
    pub os: Option<OsInfo>,
    /// Surviving symlinks: path → target.
    pub symlinks: BTreeMap<String, String>,
    /// Every layer's diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    /// The surviving paths that analyzers were offered or told about (files read, files lost,
    /// symlinks), for the checks that need the merged view (`lost.rs`).
    pub files: BTreeSet<String>,
}

/// What sits at one path in the merged view: the layers that wrote it, newest last.
#[derive(Debug, Default)]
struct PathState {
    /// (layer index, that layer's records at this path), oldest first, since the last deletion.
    history: Vec<(usize, Vec<Record>)>,
}

/// Applies the layers in order and returns what survives. The results are consumed: each
/// record moves from its layer to the merged view, so the packages of an image are held once
/// (a status file of 250,000 stanzas is not copied twice on its way to the inventory).
pub fn merge(layers: Vec<LayerResult>, meta: &[LayerMeta]) -> Merged {
    let mut paths: BTreeMap<String, PathState> = BTreeMap::new();
    let mut symlinks: BTreeMap<String, String> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for (index, layer) in layers.into_iter().enumerate() {
        apply_layer(&mut paths, &mut symlinks, index, layer, &mut diagnostics);
    }
    // One shared reference per layer: a package points at it instead of copying its diffID and
    // history line (which can be long), so 250,000 packages of one layer cost 250,000 pointers.
    let layer_refs: Vec<Arc<LayerRef>> = meta
        .iter()
        .enumerate()
        .map(|(index, m)| Arc::new(LayerRef { index, diff_id: m.diff_id.clone(), created_by: m.created_by.clone() }))
        .collect();
    let mut merged = Merged { symlinks, diagnostics, ..Merged::default() };
    let mut chunks: Vec<Vec<Package>> = Vec::new();
    let mut best_os: Option<(u8, bool, OsInfo)> = None;
    let mut files = BTreeSet::new();
    for (path, mut state) in paths {
        let Some((layer_index, _)) = state.history.last() else { continue };
        let layer_index = *layer_index;
        let introduced = introducing_layers(&state.history, layer_index);
        let Some((_, records)) = state.history.pop() else { continue };
        let mut introduced = introduced.into_iter();
        for record in records {
            match record {
                Record::Packages { mut packages, .. } => {
                    for package in &mut packages {
                        let layer = introduced.next().unwrap_or(layer_index);
                        package.layer = layer_refs.get(layer).cloned();
                    }
                    chunks.push(packages);
                }
                Record::OwnedFiles { package, files, .. } => {
                    merged.owned_files.entry(package).or_default().extend(files);
                }
                Record::Dependencies { path, requires } => {
                    let location = format!("/{path}");
                    merged.requires.extend(requires.into_iter().map(|r| (location.clone(), r)));
                }
                Record::Licenses { package, licenses, .. } => {
                    merged.licenses.insert(package, licenses);
                }
                Record::Os { path, priority, os } => {
                    let preferred = path == "etc/os-release";
                    let better = best_os.as_ref().is_none_or(|(p, pref, _)| (priority, preferred) > (*p, *pref));
                    if better {
                        best_os = Some((priority, preferred, os));
                    }
                }
            }
        }
        files.insert(path);
    }
    merged.packages = concat_in_place(chunks);
    merged.os = best_os.map(|(_, _, os)| os);
    merged.files = files;
    merged
}

/// Applies one layer's deletions, then its records, to the merged view.
fn apply_layer(
    paths: &mut BTreeMap<String, PathState>,
    symlinks: &mut BTreeMap<String, String>,
    index: usize,
    layer: LayerResult,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let LayerResult { records, written, whiteouts, opaque_dirs, symlinks: links, diagnostics: found } = layer;
    for dir in &opaque_dirs {
        remove_below(paths, dir, false);
        remove_below(symlinks, dir, false);
    }
    for path in &whiteouts {
        remove_below(paths, path, true);
        remove_below(symlinks, path, true);
    }
    let mut by_path: BTreeMap<String, Vec<Record>> = BTreeMap::new();
    for record in records {
        by_path.entry(record.path().to_owned()).or_default().push(record);
    }
    for path in written {
        symlinks.remove(&path);
        let records = by_path.remove(&path).unwrap_or_default();
        paths.entry(path).or_default().history.push((index, records));
    }
    for (path, records) in by_path {
        // Records at a path the walk did not mark written (defensive): treat as written.
        paths.entry(path).or_default().history.push((index, records));
    }
    symlinks.extend(links);
    diagnostics.extend(found);
}

/// The packages of every surviving file, in order, as one list built around the largest file's
/// own list: its packages are never copied, so a status file of 250,000 stanzas is not held twice
/// while the list is assembled (growing a large allocation is a remap, not a copy).
fn concat_in_place(mut chunks: Vec<Vec<Package>>) -> Vec<Package> {
    let Some(largest) = chunks.iter().enumerate().max_by_key(|(_, c)| c.len()).map(|(i, _)| i) else {
        return Vec::new();
    };
    let mut all = chunks.get_mut(largest).map(std::mem::take).unwrap_or_default();
    let after: Vec<Vec<Package>> = chunks.split_off(largest + 1);
    let before: Vec<Package> = chunks.into_iter().flatten().collect();
    all.reserve(before.len() + after.iter().map(Vec::len).sum::<usize>());
    all.splice(0..0, before);
    all.extend(after.into_iter().flatten());
    all
}

/// For each package of the newest version of a file (in order), the layer that introduced it:
/// each earlier version's package set is hashed once (a lookup per package, not a scan), so a
/// status file of n packages rewritten by k layers costs O(n·k), never O(n²).
fn introducing_layers(history: &[(usize, Vec<Record>)], last: usize) -> Vec<usize> {
    let Some((_, newest)) = history.last() else { return Vec::new() };
    let packages = newest.iter().filter_map(|r| match r {
        Record::Packages { packages, .. } => Some(packages.iter()),
        _ => None,
    });
    if history.len() == 1 {
        return packages.flatten().map(|_| last).collect();
    }
    let listed: Vec<(usize, HashSet<Identity<'_>>)> =
        history.iter().map(|(index, records)| (*index, identities(records))).collect();
    packages.flatten().map(|package| introducing_layer(&listed, package, last)).collect()
}

/// What tells two layers' copies of one package apart ([`Package::identity`]).
type Identity<'a> = (microscanner_model::PackageKind, &'a str, &'a str, Option<&'a str>);

/// The identities of the packages one version of an evidence file lists.
fn identities(records: &[Record]) -> HashSet<Identity<'_>> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Packages { packages, .. } => Some(packages.iter().map(Package::identity)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The lowest layer from which the evidence file listed `package` in every rewrite up to `last`;
/// `listed` holds each version's identities, oldest first (empty when the file was written once).
fn introducing_layer(listed: &[(usize, HashSet<Identity<'_>>)], package: &Package, last: usize) -> usize {
    let identity = package.identity();
    let mut introduced = last;
    for (index, identities) in listed.iter().rev() {
        if !identities.contains(&identity) {
            break;
        }
        introduced = *index;
    }
    introduced
}

/// Removes `path` (if `inclusive`) and everything below it from a path-keyed map.
fn remove_below<V>(map: &mut BTreeMap<String, V>, path: &str, inclusive: bool) {
    if path.is_empty() {
        // An opaque root: everything below goes.
        map.clear();
        return;
    }
    let prefix = format!("{path}/");
    let doomed: Vec<String> = map
        .range(path.to_owned()..)
        .take_while(|(k, _)| k.starts_with(path))
        .filter(|(k, _)| (inclusive && k.as_str() == path) || k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for key in doomed {
        map.remove(&key);
    }
}

/// Sorts packages in listing order ([`Package::cmp_listing`]) and keeps one of each run equal in
/// it: the same package listed twice by one database. The sort is unstable (no scratch copy of
/// half the list) and still deterministic: what it leaves in any order is equal in every field
/// it keeps. No set of keys is built.
pub(crate) fn sort_and_dedup(packages: &mut Vec<Package>) {
    packages.sort_unstable_by(Package::cmp_listing);
    packages.dedup_by(|a, b| a.cmp_listing(b) == Ordering::Equal);
}
