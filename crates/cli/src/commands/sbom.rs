//! `microscanner sbom TARGET --format cyclonedx|spdx|json [--output FILE]`: inventory an image
//! and write it as an SBOM. Nothing but the document goes to stdout.

use std::path::PathBuf;

use anyhow::Context as _;
use microscanner_report::{SbomFormat, SbomMeta, write_sbom};

use crate::commands::inventory::{SourceArgs, inventories};
use crate::commands::{Global, LayerCacheArgs, write_with};
use crate::exit::Outcome;

/// Arguments of `microscanner sbom`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    microscanner sbom registry:alpine:3.20 --format cyclonedx -o alpine.cdx.json\n  \
    microscanner sbom dir:/ --format spdx\n  \
    microscanner scan sbom:alpine.cdx.json        # match it later, without the image")]
pub(crate) struct SbomArgs {
    /// What to scan: `docker-archive:PATH`, `oci:DIR[:TAG]`, `oci-archive:PATH`, `dir:PATH`,
    /// `registry:REF`, `docker:REF`, `podman:REF`, a bare path (detected) or a bare reference (the
    /// local engine first, then the registry).
    pub(crate) target: String,
    /// The document format: cyclonedx, spdx or json (microscanner's inventory,
    /// docs/inventory.schema.json), in any case.
    #[arg(long, short, default_value = "cyclonedx", value_parser = parse_sbom_format, value_name = "FORMAT")]
    pub(crate) format: SbomFormat,
    /// Write the document to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Layer cache flags.
    #[command(flatten)]
    pub(crate) cache: LayerCacheArgs,
    /// Platform and registry flags.
    #[command(flatten)]
    pub(crate) source: SourceArgs,
}

/// Parses `--format` (any case; a typo gets a suggestion).
fn parse_sbom_format(s: &str) -> Result<SbomFormat, String> {
    s.parse()
}

/// Runs `microscanner sbom`.
pub(crate) fn run(global: &Global, args: &SbomArgs) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        !args.source.all_platforms,
        "sbom writes one image's document: choose the platform with --platform instead of --all-platforms"
    );
    let inventory = inventories(&args.target, global.quiet, &args.cache, &args.source, true)?
        .into_iter()
        .next()
        .context("the target named no image")?;
    for diagnostic in &inventory.diagnostics {
        tracing::warn!("{diagnostic}");
    }
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse().ok());
    let meta = SbomMeta::now(env!("CARGO_PKG_VERSION"), epoch);
    // streamed: an image of a million packages is never held as JSON
    write_with(args.output.as_deref(), &mut |out| Ok(write_sbom(&inventory, args.format, &meta, out)?))?;
    Ok(Outcome::Success)
}
