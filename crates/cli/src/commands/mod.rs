//! One module per subcommand; each exposes its clap `*Args` and a `run` function.

pub(crate) mod db;
pub(crate) mod sbom;
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

/// Writes a JSON document to `output`, or to stdout when it is `None` or `-`. A file is written
/// beside its final name and renamed into place, so a reader never sees half a document.
pub(crate) fn write_output(output: Option<&std::path::Path>, document: &serde_json::Value) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    let mut bytes = serde_json::to_vec_pretty(document).context("serialising the document")?;
    bytes.push(b'\n');
    match output {
        Some(path) if path.as_os_str() != "-" => {
            let tmp = path.with_extension("partial");
            std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&bytes).and_then(|()| stdout.flush()).context("writing to stdout")?;
        }
    }
    Ok(())
}
