//! The `json` report format: the [`Report`] itself, pretty-printed, with a trailing newline.
//! `docs/report.schema.json` describes it; `schema_version` says which version of that schema.

use microscanner_model::Report;

use super::RenderError;

pub(super) fn render(report: &Report) -> Result<Vec<u8>, RenderError> {
    let mut bytes = serde_json::to_vec_pretty(report)
        .map_err(|e| RenderError::Serialize { format: "json", message: e.to_string() })?;
    bytes.push(b'\n');
    Ok(bytes)
}
