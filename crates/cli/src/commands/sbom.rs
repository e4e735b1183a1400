//! `microscanner sbom TARGET --format cyclonedx|spdx|json [--output FILE]`: inventory an image
//! and write it as an SBOM. Nothing but the document goes to stdout.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::Context as _;
use microscanner_catalog::{CatalogOptions, LayerCache, build_inventory_cached, default_analyzers};
use microscanner_model::Inventory;
use microscanner_report::{SbomFormat, SbomMeta, write_sbom};

use crate::commands::{CacheArgs, Global, layer_cache_dir, write_output};
use crate::exit::Outcome;

/// Arguments of `microscanner sbom`.
#[derive(Debug, clap::Args)]
pub(crate) struct SbomArgs {
    /// What to scan: `docker-archive:PATH`, `oci:DIR[:TAG]`, `oci-archive:PATH`, `dir:PATH`, or a
    /// bare path (detected).
    pub(crate) target: String,
    /// The document format.
    #[arg(long, short, default_value = "cyclonedx", value_parser = ["cyclonedx", "spdx", "json"])]
    pub(crate) format: String,
    /// Write the document to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Layer cache flags.
    #[command(flatten)]
    pub(crate) cache: CacheArgs,
}

/// Runs `microscanner sbom`.
pub(crate) fn run(global: &Global, args: &SbomArgs) -> anyhow::Result<Outcome> {
    let format: SbomFormat = args.format.parse().map_err(anyhow::Error::msg)?;
    let inventory = inventory(&args.target, global.quiet, &args.cache)?;
    for diagnostic in &inventory.diagnostics {
        tracing::warn!("{diagnostic}");
    }
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse().ok());
    let meta = SbomMeta::now(env!("CARGO_PKG_VERSION"), epoch);
    let document = write_sbom(&inventory, format, &meta);
    write_output(args.output.as_deref(), &document)?;
    Ok(Outcome::Success)
}

/// Opens the target and builds its inventory, showing per-layer progress on a terminal. Layers
/// already analysed are read from the layer cache unless `--no-cache`; afterwards the cache is
/// trimmed to `--cache-max-size`.
pub(crate) fn inventory(target: &str, quiet: bool, cache_args: &CacheArgs) -> anyhow::Result<Inventory> {
    let options = CatalogOptions::default();
    let image = microscanner_image::open(target, &options.limits)?;
    let analyzers = default_analyzers();
    let cache = if cache_args.no_cache {
        None
    } else {
        let dir = layer_cache_dir();
        if dir.is_none() {
            tracing::debug!(
                "no cache directory (neither MICROSCANNER_CACHE_DIR, XDG_CACHE_HOME nor HOME is set): running uncached"
            );
        }
        dir.map(LayerCache::new)
    };
    let bar = if !quiet && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(image.layers.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} analysing layers {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let (inventory, stats) = build_inventory_cached(&image, &analyzers, &options, cache.as_ref(), &|_, _| bar.inc(1))
        .with_context(|| format!("scanning {target}"))?;
    bar.finish_and_clear();
    tracing::info!("analysed {} layers, {} from cache", stats.analysed, stats.cached);
    if stats.store_failures > 0 {
        tracing::warn!("{} layer results could not be written to the layer cache", stats.store_failures);
    }
    if let Some(cache) = &cache {
        match cache.evict(cache_args.cache_max_size) {
            Ok(removed) if removed.entries > 0 => {
                tracing::info!("layer cache: removed {} entries ({} bytes)", removed.entries, removed.bytes);
            }
            Ok(_) => {}
            // The scan itself succeeded: a cache that cannot be trimmed is worth a warning only.
            Err(e) => tracing::warn!("{e}"),
        }
    }
    Ok(inventory)
}
