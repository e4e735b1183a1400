//! The `json` report format: the [`Report`] itself, pretty-printed, with a trailing newline.
//! `docs/report.schema.json` describes it; `schema_version` says which version of that schema.

use std::io::{BufWriter, Write};

use microscanner_model::Report;

use super::RenderError;

/// Writes the report, pretty-printed, to `out` as it serialises (buffered), then a newline.
pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<(), RenderError> {
    let mut out = BufWriter::with_capacity(64 * 1024, out);
    serde_json::to_writer_pretty(&mut out, report).map_err(|e| match e.io_error_kind() {
        Some(_) => RenderError::Write(e.into()),
        None => RenderError::Serialize { format: "json", message: e.to_string() },
    })?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
