//! From an image to its inventory: analyse the layers (in parallel), merge them, finish the
//! OS packages (owned files, distro purls), sort.

use microscanner_image::{Image, ImageError, Layer, Limits};
use microscanner_model::{Inventory, PackageKind};
use rayon::prelude::*;

use crate::lang::reconcile::{ReconcileOptions, reconcile_with};
use crate::layer::analyze_layer;
use crate::merge::{LayerMeta, Merged, merge, sort_and_dedup};
use crate::store::{LayerStore, layer_key};
use crate::{Analyzer, LayerResult};

/// Options of an inventory run.
#[derive(Debug, Clone, Copy)]
pub struct CatalogOptions {
    /// Bounds applied to every layer.
    pub limits: Limits,
    /// Drop language packages whose files an OS package owns (Debian's `python3-*` dist-infos),
    /// so they are not matched twice.
    pub drop_os_owned: bool,
}

impl Default for CatalogOptions {
    fn default() -> Self {
        Self { limits: Limits::default(), drop_os_owned: true }
    }
}

/// Builds the inventory of `image` with `analyzers`. `on_layer` is called as each layer finishes
/// (with the layer's index), for progress reporting.
pub fn build_inventory(
    image: &Image,
    analyzers: &[Box<dyn Analyzer>],
    options: &CatalogOptions,
    on_layer: &(dyn Fn(usize) + Sync),
) -> Result<Inventory, ImageError> {
    build_inventory_cached(image, analyzers, options, None, &|index, _| on_layer(index)).map(|(inventory, _)| inventory)
}

/// How the layers of one inventory build were obtained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// Layers walked and analysed.
    pub analysed: usize,
    /// Layers served from the cache (not opened at all).
    pub cached: usize,
    /// Layer results that could not be written to the cache (logged at debug level).
    pub store_failures: usize,
}

/// Like [`build_inventory`], with an optional [`LayerStore`]: a layer whose result is stored is
/// not opened at all, and every layer analysed is stored. A layer that appears more than once in
/// the image (the same diffID, such as repeated empty layers) is analysed once. `on_layer` gets
/// the layer's index and whether it came from the cache. The inventory is the same with or
/// without the cache.
pub fn build_inventory_cached(
    image: &Image,
    analyzers: &[Box<dyn Analyzer>],
    options: &CatalogOptions,
    cache: Option<&dyn LayerStore>,
    on_layer: &(dyn Fn(usize, bool) + Sync),
) -> Result<(Inventory, LayerStats), ImageError> {
    let (unique, position) = unique_layers(image);
    let obtained = unique
        .par_iter()
        .map(|&index| {
            let layer = obtain_layer(&image.layers[index], analyzers, options, cache)?;
            on_layer(index, matches!(layer.1, LayerOrigin::Cached));
            Ok(layer)
        })
        .collect::<Result<Vec<_>, ImageError>>()?;
    let mut stats = LayerStats::default();
    for (_, origin) in &obtained {
        match origin {
            LayerOrigin::Cached => stats.cached += 1,
            LayerOrigin::Analysed => stats.analysed += 1,
            LayerOrigin::AnalysedNotStored => {
                stats.analysed += 1;
                stats.store_failures += 1;
            }
        }
    }
    let results = layer_results_in_order(obtained.into_iter().map(|(result, _)| result).collect(), &position);
    let meta: Vec<LayerMeta> = image
        .layers
        .iter()
        .map(|l| LayerMeta { diff_id: l.diff_id.clone(), created_by: l.created_by.clone() })
        .collect();
    let mut merged = merge(results, &meta);
    // The lost-evidence rule's checks that need the merged view (crate::lost).
    let lost_links = crate::lost::links(analyzers, &merged.symlinks, &merged.files);
    merged.diagnostics.extend(lost_links);
    merged.diagnostics.extend(crate::lost::missing_package_database(analyzers, merged.os.as_ref(), &merged.files));
    Ok((finish(image, merged, options), stats))
}

/// Every layer's result in image order, from the results of the distinct layers: each moves to
/// its last position and is copied only for a layer that repeats an earlier one's diffID.
fn layer_results_in_order(unique: Vec<LayerResult>, position: &[usize]) -> Vec<LayerResult> {
    let mut last_use = vec![0; unique.len()];
    for (at, &u) in position.iter().enumerate() {
        last_use[u] = at;
    }
    let mut slots: Vec<Option<LayerResult>> = unique.into_iter().map(Some).collect();
    position
        .iter()
        .enumerate()
        .filter_map(|(at, &u)| if last_use[u] == at { slots[u].take() } else { slots[u].clone() })
        .collect()
}

/// The index of the first layer of each distinct diffID, and for every layer the position of its
/// diffID in that list.
fn unique_layers(image: &Image) -> (Vec<usize>, Vec<usize>) {
    let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut unique = Vec::new();
    let position = image
        .layers
        .iter()
        .enumerate()
        .map(|(index, layer)| {
            *first.entry(layer.diff_id.as_str()).or_insert_with(|| {
                unique.push(index);
                unique.len() - 1
            })
        })
        .collect();
    (unique, position)
}

/// One layer's result: from the cache, or analysed (and stored). Before analysing, the layer is
/// claimed against other processes sharing the cache, and looked up again once the claim is held,
/// so a layer another scan is analysing right now is read from its entry instead.
fn obtain_layer(
    layer: &Layer,
    analyzers: &[Box<dyn Analyzer>],
    options: &CatalogOptions,
    cache: Option<&dyn LayerStore>,
) -> Result<(LayerResult, LayerOrigin), ImageError> {
    let Some((cache, key)) = cache.zip(layer_key(&layer.diff_id, analyzers, &options.limits)) else {
        return Ok((analyze_layer(layer, analyzers, &options.limits)?, LayerOrigin::Analysed));
    };
    if let Some(result) = cache.get(&key) {
        return Ok((result, LayerOrigin::Cached));
    }
    let claim = cache.claim(&key);
    if claim.is_some()
        && let Some(result) = cache.get(&key)
    {
        return Ok((result, LayerOrigin::Cached));
    }
    let result = analyze_layer(layer, analyzers, &options.limits)?;
    let origin = match cache.put(&key, &result) {
        Ok(()) => LayerOrigin::Analysed,
        Err(e) => {
            tracing::debug!("layer {}: not cached: {e}", layer.diff_id);
            LayerOrigin::AnalysedNotStored
        }
    };
    drop(claim);
    Ok((result, origin))
}

/// Where one layer's result came from: the cache, or a walk of the layer (stored in the cache or not).
#[derive(Debug, Clone, Copy)]
enum LayerOrigin {
    /// Read from the cache; the layer was not opened.
    Cached,
    /// Walked and analysed (and stored, when there is a cache).
    Analysed,
    /// Walked and analysed, but the cache could not store the result.
    AnalysedNotStored,
}

/// Attaches owned files and distro qualifiers to OS packages, reconciles installed and declared
/// language packages, and sorts everything.
fn finish(image: &Image, merged: Merged, options: &CatalogOptions) -> Inventory {
    let Merged { mut packages, mut owned_files, licenses, requires, symlinks, os, diagnostics, .. } = merged;
    for package in &mut packages {
        if package.kind == PackageKind::Deb {
            let with_arch = package.arch().map(|a| format!("{}:{a}", package.name));
            // moved, not copied: a package's file list is its own
            let files =
                with_arch.and_then(|k| owned_files.remove(&k)).or_else(|| owned_files.remove(package.name.as_str()));
            if let Some(files) = files {
                package.set_files(files);
            }
            if package.licenses().is_empty()
                && let Some(found) = crate::copyright::licenses_of(&package.name, &licenses, &symlinks)
            {
                package.set_licenses(found.clone());
            }
        }
        if package.kind.is_os() {
            let purl = crate::os::package_purl(package, os.as_ref());
            package.set_purl(purl);
        }
    }
    let reconcile = ReconcileOptions { drop_os_owned: options.drop_os_owned };
    let mut packages = reconcile_with(packages, reconcile);
    sort_and_dedup(&mut packages);
    let dependencies = crate::graph::resolve(&packages, &requires);
    Inventory { image: image.info.clone(), os, packages, diagnostics, dependencies }
}
