//! One module per subcommand; each exposes its clap `*Args` and a `run` function.

pub(crate) mod cache;
pub(crate) mod convert;
pub(crate) mod db;
pub(crate) mod db_delta;
pub(crate) mod db_registry;
pub(crate) mod diff;
pub(crate) mod freshness;
pub(crate) mod inventory;
pub(crate) mod register;
pub(crate) mod sbom;
pub(crate) mod scan;
pub(crate) mod serve;
pub(crate) mod version;
pub(crate) mod watch;

use std::io::Write as _;
use std::path::PathBuf;

/// Options every command sees.
#[derive(Debug, Clone)]
pub(crate) struct Global {
    /// `--db`: the vulnerability database file, if given.
    pub(crate) db: Option<PathBuf>,
    /// `--quiet`: no progress, no warnings on stderr.
    pub(crate) quiet: bool,
}

/// A one-line note on stderr unless `--quiet`, escaped: it may carry an image's name, a file's,
/// a registry's or a server's data.
#[allow(clippy::print_stderr)] // the binary owns stderr
pub(crate) fn note(global: &Global, message: &str) {
    if !global.quiet {
        eprintln!("{}", microscanner_report::text::escape_controls(message));
    }
}

/// A scratch file removed when dropped (an export being pushed or imported, a delta's base),
/// whether the command succeeded or failed.
pub(crate) struct TempFile(pub(crate) PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Parses a severity flag value (`high`, `CRITICAL`) for clap.
pub(crate) fn parse_severity(s: &str) -> Result<microscanner_model::Severity, String> {
    s.parse().map_err(|e: microscanner_model::UnknownSeverity| e.to_string())
}

/// The database file: `--db` / `MICROSCANNER_DB`, else `microscanner/db/microscanner.db` under the
/// user's cache directory (`XDG_CACHE_HOME`, else `~/.cache`).
pub(crate) fn db_path(global: &Global) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    if let Some(p) = &global.db {
        return Ok(p.clone());
    }
    let cache = cache_dir().context("no --db given and neither XDG_CACHE_HOME nor HOME is set")?;
    Ok(cache.join("db").join("microscanner.db"))
}

/// microscanner's directory under the user's cache directory: `$XDG_CACHE_HOME/microscanner`,
/// else `~/.cache/microscanner`; `None` when neither variable is set.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("microscanner"))
}

/// The layer cache directory: `MICROSCANNER_CACHE_DIR`, else `layers` under [`cache_dir`].
pub(crate) fn layer_cache_dir() -> Option<PathBuf> {
    std::env::var_os("MICROSCANNER_CACHE_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| cache_dir().map(|c| c.join("layers")))
}

/// The default bound of the layer cache (`--cache-max-size`).
pub(crate) const DEFAULT_CACHE_MAX_SIZE: &str = "2G";

/// Layer cache flags shared by `scan` and `sbom` (`--no-cache`, `--cache-max-size`); the
/// `cache` command's own arguments are [`cache::CacheCommandArgs`].
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LayerCacheArgs {
    /// Do not read or write the layer cache (`$XDG_CACHE_HOME/microscanner/layers`, or
    /// `MICROSCANNER_CACHE_DIR`).
    #[arg(long)]
    pub(crate) no_cache: bool,
    /// Bound of the layer cache; least recently used entries are removed after a scan beyond it
    /// (bytes, or with a K, M, G or T suffix: `500M`, `2G`).
    #[arg(long, value_name = "SIZE", default_value = DEFAULT_CACHE_MAX_SIZE, value_parser = parse_size)]
    pub(crate) cache_max_size: u64,
}

/// Parses a size: a number of bytes with an optional binary suffix (`K`, `M`, `G`, `T`, with or
/// without `B` / `iB`).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let upper = upper.strip_suffix("IB").or_else(|| upper.strip_suffix('B')).unwrap_or(&upper);
    let (digits, shift) = match upper.chars().last() {
        Some('K') => (&upper[..upper.len() - 1], 10),
        Some('M') => (&upper[..upper.len() - 1], 20),
        Some('G') => (&upper[..upper.len() - 1], 30),
        Some('T') => (&upper[..upper.len() - 1], 40),
        _ => (upper, 0),
    };
    let n: u64 = digits.trim().parse().map_err(|_| format!("`{s}` is not a size (try 500M or 2G)"))?;
    n.checked_mul(1u64 << shift).ok_or_else(|| format!("`{s}` is too large"))
}

/// Writes a JSON document to `output`, or to stdout when it is `None` or `-`.
pub(crate) fn write_output(output: Option<&std::path::Path>, document: &serde_json::Value) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut bytes = serde_json::to_vec_pretty(document).context("serialising the document")?;
    bytes.push(b'\n');
    write_bytes(output, &bytes)
}

/// Writes bytes to `output`, or to stdout when it is `None` or `-`. A regular file (or a new one)
/// is written beside its final name and renamed into place, so a reader never sees half a
/// document; a device or a FIFO (`-o /dev/null`, `-o >(gzip > r.gz)`) is written in place and
/// never replaced, and a symbolic link keeps pointing where it did
/// ([`microscanner_vulndb::OutputFile`]).
pub(crate) fn write_bytes(output: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    write_with(output, &mut |out| Ok(out.write_all(bytes)?))
}

/// Writes what `write` produces to `output`, as [`write_bytes`] does, without holding it whole:
/// a streaming writer (the JSON report) goes straight to the file or to stdout.
pub(crate) fn write_with(
    output: Option<&std::path::Path>,
    write: &mut dyn FnMut(&mut dyn std::io::Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    match output {
        Some(path) if path.as_os_str() != "-" => {
            warn_if_format_name(path);
            // The error names the path and its cause in its message: not chained, so said once.
            let failed = |e: microscanner_vulndb::Error| anyhow::anyhow!("writing the output: {e}");
            let mut file = microscanner_vulndb::OutputFile::create(path).map_err(failed)?;
            write(&mut file).with_context(|| format!("writing the output: {}", file.path().display()))?;
            file.commit().map_err(failed)?;
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            write(&mut stdout).context("writing to stdout")?;
            stdout.flush().context("writing to stdout")?;
        }
    }
    Ok(())
}

/// Grype's `-o json` chooses a format; ours names the output file. A bare file name that is a
/// format name (`-o json`, `-o SARIF`) is written as asked, with a warning saying so.
fn warn_if_format_name(path: &std::path::Path) {
    let bare = path.parent().is_none_or(|p| p.as_os_str().is_empty());
    let name = path.to_string_lossy();
    let is_format = name.parse::<microscanner_report::ReportFormat>().is_ok()
        || ["cyclonedx-json", "spdx-json"].iter().any(|f| name.eq_ignore_ascii_case(f));
    if bare && is_format {
        tracing::warn!(
            "wrote the output to a file named `{name}`: -o/--output names a file here; the format is -f/--format {}",
            name.to_ascii_lowercase()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1kb"), Ok(1024));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
