//! The `template` report format (being written).

use microscanner_model::Report;

use super::{RenderError, RenderOptions};

pub(super) fn render(_report: &Report, _options: &RenderOptions) -> Result<Vec<u8>, RenderError> {
    Err(RenderError::Serialize { format: "template", message: "not built yet".into() })
}
