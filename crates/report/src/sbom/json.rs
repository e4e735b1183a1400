//! microscanner's own inventory JSON: the [`Inventory`] as is, with a schema version.

use microscanner_model::Inventory;
use serde_json::{Value, json};

use super::SbomMeta;

/// The version of the inventory JSON schema (`docs/inventory.schema.json`). Bumped on any
/// incompatible change.
pub const SCHEMA_VERSION: &str = "1.0";

/// The inventory document.
pub(super) fn document(inventory: &Inventory, meta: &SbomMeta) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "tool": { "name": "microscanner", "version": meta.tool_version },
        "created": meta.created,
        "image": inventory.image,
        "os": inventory.os,
        "packages": inventory.packages,
        "diagnostics": inventory.diagnostics,
    })
}
