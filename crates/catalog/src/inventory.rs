//! From an image to its inventory: analyse the layers (in parallel), merge them, finish the
//! OS packages (owned files, distro purls), sort.

use microscanner_image::{Image, ImageError, Limits};
use microscanner_model::{Inventory, PackageKind};
use rayon::prelude::*;

use crate::Analyzer;
use crate::lang::reconcile::{ReconcileOptions, reconcile_with};
use crate::layer::analyze_layer;
use crate::merge::{LayerMeta, Merged, dedup, merge};

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
    let results = image
        .layers
        .par_iter()
        .enumerate()
        .map(|(index, layer)| {
            let result = analyze_layer(layer, analyzers, &options.limits);
            on_layer(index);
            result
        })
        .collect::<Result<Vec<_>, _>>()?;
    let meta: Vec<LayerMeta> = image
        .layers
        .iter()
        .map(|l| LayerMeta { diff_id: l.diff_id.clone(), created_by: l.created_by.clone() })
        .collect();
    let merged = merge(&results, &meta);
    Ok(finish(image, merged, options))
}

/// Attaches owned files and distro qualifiers to OS packages, reconciles installed and declared
/// language packages, and sorts everything.
fn finish(image: &Image, merged: Merged, options: &CatalogOptions) -> Inventory {
    let Merged { mut packages, owned_files, os, diagnostics, .. } = merged;
    for package in &mut packages {
        if package.kind == PackageKind::Deb {
            let with_arch = package.arch.as_ref().map(|a| format!("{}:{a}", package.name));
            let files = with_arch.and_then(|k| owned_files.get(&k)).or_else(|| owned_files.get(&package.name));
            if let Some(files) = files {
                package.files.clone_from(files);
            }
        }
        if package.kind.is_os() {
            package.purl = crate::os::package_purl(package, os.as_ref());
        }
    }
    let reconcile = ReconcileOptions { drop_os_owned: options.drop_os_owned };
    let mut packages = reconcile_with(packages, reconcile);
    packages.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.arch, &a.location).cmp(&(b.kind, &b.name, &b.version, &b.arch, &b.location))
    });
    dedup(&mut packages);
    Inventory { image: image.info.clone(), os, packages, diagnostics }
}
