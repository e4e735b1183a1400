//! microscanner's own inventory JSON: the [`Inventory`](microscanner_model::Inventory) as is,
//! with a schema version.

use serde::Serialize;
use serde_json::{Value, json};

use super::{AsValues, SbomMeta, Subject};

/// The version of the inventory JSON schema (`docs/inventory.schema.json`). Bumped on any
/// incompatible change.
pub const SCHEMA_VERSION: &str = "1.0";

/// The inventory document, written a package at a time. Fields (and each package's fields, as
/// [`AsValues`] writes them) are in the order of their names, as a `serde_json::Value` keeps
/// them.
#[derive(Debug, Serialize)]
pub(crate) struct InventoryDocument<'a> {
    created: &'a str,
    diagnostics: Value,
    image: Value,
    os: Value,
    packages: AsValues<'a>,
    schema_version: &'static str,
    tool: Value,
}

impl<'a> InventoryDocument<'a> {
    /// The inventory document of `subject`.
    pub(crate) fn new(subject: Subject<'a>, meta: &'a SbomMeta) -> Self {
        Self {
            created: &meta.created,
            diagnostics: json!(subject.diagnostics),
            image: json!(subject.image),
            os: json!(subject.os),
            packages: AsValues(subject),
            schema_version: SCHEMA_VERSION,
            tool: json!({ "name": "microscanner", "version": meta.tool_version }),
        }
    }
}
