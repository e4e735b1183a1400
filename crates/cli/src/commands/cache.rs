//! `microscanner cache status|clean`: inspect or empty the layer cache (see
//! `microscanner_layer_cache`). The directory is `MICROSCANNER_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/microscanner/layers`, else `~/.cache/microscanner/layers`.

use anyhow::Context as _;
use microscanner_layer_cache::LayerCache;

use crate::commands::{Global, layer_cache_dir, write_bytes};
use crate::exit::Outcome;

/// Arguments of the `microscanner cache` command (not to be confused with [`LayerCacheArgs`],
/// the layer cache flags of `scan` and `sbom`).
///
/// [`LayerCacheArgs`]: crate::commands::LayerCacheArgs
#[derive(Debug, clap::Args)]
pub(crate) struct CacheCommandArgs {
    /// What to do.
    #[command(subcommand)]
    command: CacheCommand,
}

/// The `cache` subcommands.
#[derive(Debug, clap::Subcommand)]
enum CacheCommand {
    /// Print the layer cache's directory, entry count and size.
    Status,
    /// Remove every entry of the layer cache, and engine exports left by killed scans.
    Clean,
}

/// Runs `microscanner cache`.
pub(crate) fn run(_global: &Global, args: &CacheCommandArgs) -> anyhow::Result<Outcome> {
    let dir = layer_cache_dir().context("no cache directory: set MICROSCANNER_CACHE_DIR, XDG_CACHE_HOME or HOME")?;
    let cache = LayerCache::new(dir);
    let line = match args.command {
        CacheCommand::Status => {
            let usage = cache.usage()?;
            format!("{}\t{} entries\t{} bytes\n", cache.dir().display(), usage.entries, usage.bytes)
        }
        CacheCommand::Clean => {
            let removed = cache.clear()?;
            let exports = super::inventory::sweep_stale_exports();
            let mut line =
                format!("removed {} entries ({} bytes) from {}", removed.entries, removed.bytes, cache.dir().display());
            if exports > 0 {
                line.push_str(&format!(" and {exports} stale engine exports"));
            }
            line.push('\n');
            line
        }
    };
    write_bytes(None, line.as_bytes())?;
    Ok(Outcome::Success)
}
