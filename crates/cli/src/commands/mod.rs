//! One module per subcommand; each exposes its clap `*Args` and a `run` function.

pub(crate) mod db;
pub(crate) mod diff;
pub(crate) mod sbom;
pub(crate) mod scan;
pub(crate) mod version;

use std::path::PathBuf;

/// Options every command sees.
#[derive(Debug, Clone)]
pub(crate) struct Global {
    /// `--db`: the vulnerability database file, if given.
    pub(crate) db: Option<PathBuf>,
    /// `--quiet`: no progress, no warnings on stderr.
    pub(crate) quiet: bool,
}

/// The database file: `--db` / `MICROSCANNER_DB`, else `microscanner/db/microscanner.db` under the
/// user's cache directory (`XDG_CACHE_HOME`, else `~/.cache`).
pub(crate) fn db_path(global: &Global) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    if let Some(p) = &global.db {
        return Ok(p.clone());
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache")))
        .context("no --db given and neither XDG_CACHE_HOME nor HOME is set")?;
    Ok(cache.join("microscanner").join("db").join("microscanner.db"))
}

/// Writes a JSON document to `output`, or to stdout when it is `None` or `-`.
pub(crate) fn write_output(output: Option<&std::path::Path>, document: &serde_json::Value) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let mut bytes = serde_json::to_vec_pretty(document).context("serialising the document")?;
    bytes.push(b'\n');
    write_bytes(output, &bytes)
}

/// Writes bytes to `output`, or to stdout when it is `None` or `-`. A file is written beside its
/// final name and renamed into place, so a reader never sees half a document.
pub(crate) fn write_bytes(output: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    match output {
        Some(path) if path.as_os_str() != "-" => {
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".partial");
            let tmp = PathBuf::from(tmp);
            std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes).and_then(|()| stdout.flush()).context("writing to stdout")?;
        }
    }
    Ok(())
}
