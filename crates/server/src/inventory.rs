//! The body of `POST /api/v1/scan`: a package inventory, never file contents. microscanner's own
//! inventory JSON (`microscanner sbom --format json`), or a CycloneDX or SPDX JSON SBOM (ours or
//! another tool's), read by the same reader as `scan sbom:FILE`
//! ([`microscanner_report::read_sbom`], which bounds the package count and string lengths).

use microscanner_model::Inventory;

use crate::api::ApiError;

/// Parses a scan request body into an inventory: 400 naming the field at fault.
pub fn parse_inventory(bytes: &[u8]) -> Result<Inventory, ApiError> {
    microscanner_report::read_sbom(bytes, "request body")
        .map_err(|e| ApiError::bad_request(e.to_string(), e.field().map(str::to_owned)))
}
