//! The merge: a pure function from per-layer results to the image's final evidence.
//!
//! Whiteouts are applied to *results*, never to files: a record survives when no later layer
//! deleted its file (`.wh.NAME`, a `.wh.` of a parent directory, an opaque directory above it) or
//! wrote the same path again. Every package is attributed to the lowest layer from which its
//! evidence file listed it without interruption.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use microscanner_model::{Diagnostic, LayerRef, OsInfo, Package};

use crate::Record;
use crate::layer::LayerResult;

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

/// Applies the layers in order and returns what survives.
pub fn merge<L: std::borrow::Borrow<LayerResult>>(layers: &[L], meta: &[LayerMeta]) -> Merged {
    let mut paths: BTreeMap<String, PathState> = BTreeMap::new();
    let mut symlinks: BTreeMap<String, String> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for (index, layer) in layers.iter().map(std::borrow::Borrow::borrow).enumerate() {
        for dir in &layer.opaque_dirs {
            remove_below(&mut paths, dir, false);
            remove_below(&mut symlinks, dir, false);
        }
        for path in &layer.whiteouts {
            remove_below(&mut paths, path, true);
            remove_below(&mut symlinks, path, true);
        }
        let mut by_path: BTreeMap<&str, Vec<Record>> = BTreeMap::new();
        for record in &layer.records {
            by_path.entry(record.path()).or_default().push(record.clone());
        }
        for path in &layer.written {
            symlinks.remove(path);
            let records = by_path.remove(path.as_str()).unwrap_or_default();
            paths.entry(path.clone()).or_default().history.push((index, records));
        }
        for (path, records) in by_path {
            // Records at a path the walk did not mark written (defensive): treat as written.
            paths.entry(path.to_owned()).or_default().history.push((index, records));
        }
        symlinks.extend(layer.symlinks.iter().map(|(k, v)| (k.clone(), v.clone())));
        diagnostics.extend(layer.diagnostics.iter().cloned());
    }
    let mut merged = Merged { symlinks, diagnostics, ..Merged::default() };
    let mut best_os: Option<(u8, bool, OsInfo)> = None;
    for state in paths.values() {
        let Some((layer_index, records)) = state.history.last() else { continue };
        // Each earlier version of the file's package set, once (a lookup per package, not a scan):
        // a status file of n packages rewritten by k layers costs O(n·k), never O(n²).
        let listed: Vec<(usize, HashSet<Identity<'_>>)> = if state.history.len() > 1 {
            state.history.iter().map(|(index, records)| (*index, identities(records))).collect()
        } else {
            Vec::new()
        };
        for record in records {
            match record {
                Record::Packages { packages, .. } => {
                    for package in packages {
                        let introduced = introducing_layer(&listed, package, *layer_index);
                        let mut package = package.clone();
                        package.layer = meta.get(introduced).map(|m| LayerRef {
                            index: introduced,
                            diff_id: m.diff_id.clone(),
                            created_by: m.created_by.clone(),
                        });
                        merged.packages.push(package);
                    }
                }
                Record::OwnedFiles { package, files, .. } => {
                    merged.owned_files.entry(package.clone()).or_default().extend(files.iter().cloned());
                }
                Record::Os { path, priority, os } => {
                    let preferred = path == "etc/os-release";
                    let better = best_os.as_ref().is_none_or(|(p, pref, _)| (*priority, preferred) > (*p, *pref));
                    if better {
                        best_os = Some((*priority, preferred, os.clone()));
                    }
                }
            }
        }
    }
    merged.os = best_os.map(|(_, _, os)| os);
    merged.files = paths.into_iter().filter(|(_, state)| !state.history.is_empty()).map(|(path, _)| path).collect();
    merged
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

/// Keeps only the first of packages that are identical in every reported field (the same
/// package listed twice by one database).
pub(crate) fn dedup(packages: &mut Vec<Package>) {
    let mut seen = HashSet::new();
    packages.retain(|p| seen.insert((p.purl.clone(), p.location.clone())));
}
