//! The `cyclonedx` report format (being written).

use microscanner_model::Report;

use super::RenderError;

pub(super) fn render(_report: &Report) -> Result<Vec<u8>, RenderError> {
    Err(RenderError::Serialize { format: "cyclonedx", message: "not built yet".into() })
}
