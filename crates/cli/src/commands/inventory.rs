//! From a target to inventories, shared by `scan` and `sbom`: the source flags (platform,
//! registry credentials), opening the image(s), and the cached layer analysis with progress.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::Context as _;
use microscanner_catalog::{
    CatalogOptions, LayerStore, MemoryLayerStore, build_inventory_cached, default_analyzers_with,
};
use microscanner_image::{Credentials, Image, OpenOptions, Platform, PlatformSelector, RegistryOptions};
use microscanner_layer_cache::LayerCache;
use microscanner_model::Inventory;

use crate::commands::{LayerCacheArgs, layer_cache_dir};

/// Flags that say where and how to fetch the image.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SourceArgs {
    /// The platform to scan in a multi-platform image: os/arch[/variant], as linux/arm64
    /// [default: the host's].
    #[arg(long, value_name = "PLATFORM", value_parser = parse_platform, conflicts_with = "all_platforms")]
    pub(crate) platform: Option<Platform>,
    /// Scan every platform of a multi-platform image, with one report per platform (layers the
    /// platforms share are read once).
    #[arg(long)]
    pub(crate) all_platforms: bool,
    /// Registry user name (with `--password-stdin` or `MICROSCANNER_PASSWORD`); without it the
    /// docker config's credentials are used (`auths`, `credsStore`, `credHelpers`).
    #[arg(long, env = "MICROSCANNER_USERNAME", value_name = "USER")]
    pub(crate) username: Option<String>,
    /// Read the registry password (or token) from stdin, one line.
    #[arg(long, requires = "username")]
    pub(crate) password_stdin: bool,
    /// Plain HTTP, and no certificate checks, for the registry (a local or trusted registry).
    #[arg(long)]
    pub(crate) insecure: bool,
    /// The overall deadline of a registry pull (`scan --timeout`; the image crate's default
    /// elsewhere).
    #[arg(skip = Some(OpenOptions::DEFAULT_TIMEOUT))]
    pub(crate) timeout: Option<std::time::Duration>,
}

fn parse_platform(s: &str) -> Result<Platform, String> {
    s.parse().map_err(|e: microscanner_image::InvalidPlatform| e.to_string())
}

impl SourceArgs {
    /// The image-opening options these flags ask for.
    pub(crate) fn open_options(&self, limits: microscanner_image::Limits) -> anyhow::Result<OpenOptions> {
        let platform = match (&self.platform, self.all_platforms) {
            (_, true) => PlatformSelector::All,
            (Some(p), false) => PlatformSelector::Exact(p.clone()),
            (None, false) => PlatformSelector::Host,
        };
        let credentials = match &self.username {
            Some(username) => Some(Credentials { username: username.clone(), password: self.password()? }),
            None => None,
        };
        Ok(OpenOptions {
            limits,
            platform,
            registry: RegistryOptions { credentials, insecure: self.insecure, docker_config: None },
            scratch_dir: scratch_dir(),
            timeout: self.timeout,
            ..OpenOptions::default()
        })
    }

    /// The password: from stdin with `--password-stdin`, else `MICROSCANNER_PASSWORD`.
    fn password(&self) -> anyhow::Result<String> {
        if self.password_stdin {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
            let password = line.trim_end_matches(['\n', '\r']).to_owned();
            anyhow::ensure!(!password.is_empty(), "--password-stdin: stdin gave an empty password");
            return Ok(password);
        }
        std::env::var("MICROSCANNER_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .context("--username needs a password: --password-stdin, or MICROSCANNER_PASSWORD")
    }
}

/// Where engine exports are spooled while they are read: `tmp` in the layer cache directory
/// (`MICROSCANNER_CACHE_DIR`, else under microscanner's cache directory; created only when an
/// export needs it), so nothing is written outside microscanner's own cache; the system temporary
/// directory when there is none.
fn scratch_dir() -> Option<std::path::PathBuf> {
    Some(layer_cache_dir()?.join("tmp"))
}

/// Engine exports older than this were left by a killed process (a live one deletes its own).
const STALE_EXPORT: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes engine exports that a killed process left in the scratch directory; returns how many.
/// Best effort: a file that cannot be removed stays for the next sweep.
pub(crate) fn sweep_stale_exports() -> usize {
    let Some(dir) = scratch_dir() else { return 0 };
    let Ok(read) = std::fs::read_dir(&dir) else { return 0 };
    let stale = |entry: &std::fs::DirEntry| {
        let named = entry.file_name().to_str().is_some_and(|n| n.starts_with("engine-export-"));
        named && microscanner_atomic_file::unused_for(entry).is_some_and(|age| age > STALE_EXPORT)
    };
    read.flatten().filter(stale).filter(|e| std::fs::remove_file(e.path()).is_ok()).count()
}

/// Opens the target and builds one inventory per image it names (one, or one per platform with
/// `--all-platforms`), showing per-layer progress on a terminal. Layers already analysed are read
/// from the layer cache unless `--no-cache` (then from memory, for the platforms of one index), so
/// layers the platforms share are read once; afterwards the cache is trimmed to `--cache-max-size`.
/// Free-form Debian copyright files are matched against licence texts only with `license_texts`
/// (the SBOM outputs ask for it; it costs a vulnerability scan of a Debian image about a second).
pub(crate) fn inventories(
    target: &str,
    quiet: bool,
    cache_args: &LayerCacheArgs,
    source: &SourceArgs,
    license_texts: bool,
) -> anyhow::Result<Vec<Inventory>> {
    if let Some(path) = target.strip_prefix("sbom:") {
        return Ok(vec![inventory_of_sbom(std::path::Path::new(path))?]);
    }
    let options = CatalogOptions::default();
    let images = microscanner_image::open_with(target, &source.open_options(options.limits)?)?;
    let disk = if cache_args.no_cache {
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
    // Without the disk cache, platforms of one index still share layers, in memory.
    let memory = MemoryLayerStore::default();
    let store: Option<&dyn LayerStore> = match &disk {
        Some(disk) => Some(disk),
        None if images.len() > 1 => Some(&memory),
        None => None,
    };
    let inventories = images
        .iter()
        .map(|image| analyse(image, target, quiet, &options, store, license_texts))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Some(cache) = &disk {
        sweep_stale_exports();
        match cache.evict(cache_args.cache_max_size) {
            Ok(removed) if removed.entries > 0 => {
                tracing::info!("layer cache: removed {} entries ({} bytes)", removed.entries, removed.bytes);
            }
            Ok(_) => {}
            // The scan itself succeeded: a cache that cannot be trimmed is worth a warning only.
            Err(e) => tracing::warn!("{e}"),
        }
    }
    Ok(inventories)
}

/// Builds one image's inventory with a progress bar.
/// The largest SBOM file `sbom:FILE` reads (a CycloneDX of a big image is a few MiB).
const MAX_SBOM_FILE: u64 = 256 << 20;

/// `sbom:FILE`: the inventory an SBOM lists (CycloneDX or SPDX JSON, ours or another tool's, or
/// our inventory JSON), read by the same parser as the service's inventory upload. The image is
/// not looked at: what the SBOM does not list is not scanned.
fn inventory_of_sbom(path: &std::path::Path) -> anyhow::Result<Inventory> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("reading the SBOM {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_SBOM_FILE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading the SBOM {}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= MAX_SBOM_FILE,
        "the SBOM {} is over {} MiB: not read",
        path.display(),
        MAX_SBOM_FILE >> 20
    );
    let name = path.display().to_string();
    Ok(microscanner_report::read_sbom(&bytes, &name)?)
}

fn analyse(
    image: &Image,
    target: &str,
    quiet: bool,
    options: &CatalogOptions,
    cache: Option<&dyn LayerStore>,
    license_texts: bool,
) -> anyhow::Result<Inventory> {
    let analyzers = default_analyzers_with(license_texts);
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
    let (inventory, stats) = build_inventory_cached(image, &analyzers, options, cache, &|_, _| bar.inc(1))
        .with_context(|| format!("scanning {target}"))?;
    bar.finish_and_clear();
    let platform = image.platform.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
    tracing::info!("{target}{platform}: analysed {} layers, {} from cache", stats.analysed, stats.cached);
    if stats.store_failures > 0 {
        tracing::warn!("{} layer results could not be written to the layer cache", stats.store_failures);
    }
    Ok(inventory)
}
