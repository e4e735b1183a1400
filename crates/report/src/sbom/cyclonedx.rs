//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).

use microscanner_model::{Inventory, Package};
use serde_json::{Value, json};

use super::{SbomMeta, document_uuid};

/// Property names we add, in the `microscanner:` namespace.
const PROP_SOURCE_NAME: &str = "microscanner:package:source_name";
const PROP_SOURCE_VERSION: &str = "microscanner:package:source_version";
const PROP_LOCATION: &str = "microscanner:package:location";
const PROP_EVIDENCE: &str = "microscanner:package:evidence";
const PROP_LAYER: &str = "microscanner:layer:diff_id";
const PROP_CREATED_BY: &str = "microscanner:layer:created_by";

/// The CycloneDX document, and the `bom-ref` of each package.
pub(super) fn document(inventory: &Inventory, meta: &SbomMeta) -> (Value, Vec<String>) {
    let refs: Vec<String> = inventory.packages.iter().enumerate().map(|(i, p)| bom_ref(i, p)).collect();
    let mut components: Vec<Value> = Vec::new();
    if let Some(os) = &inventory.os {
        components.push(json!({
            "bom-ref": format!("os:{}-{}", os.family, os.version),
            "type": "operating-system",
            "name": os.family,
            "version": os.version,
            "description": os.pretty_name,
        }));
    }
    components.extend(inventory.packages.iter().zip(&refs).map(|(p, r)| component(r, p)));
    let mut image_props = Vec::new();
    for (name, value) in [
        ("microscanner:image:source", Some(&inventory.image.source)),
        ("microscanner:image:config_digest", inventory.image.config_digest.as_ref()),
        ("microscanner:image:manifest_digest", inventory.image.manifest_digest.as_ref()),
        ("microscanner:image:os", inventory.image.os.as_ref()),
        ("microscanner:image:architecture", inventory.image.architecture.as_ref()),
    ] {
        if let Some(value) = value {
            image_props.push(json!({ "name": name, "value": value }));
        }
    }
    let mut image = json!({
        "bom-ref": "image",
        "type": "container",
        "name": inventory.image.name,
        "properties": image_props,
    });
    if let Some(digest) = &inventory.image.config_digest {
        image["version"] = json!(digest);
    }
    let document = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", document_uuid(inventory, meta)),
        "version": 1,
        "metadata": {
            "timestamp": meta.created,
            "tools": { "components": [{ "type": "application", "name": "microscanner", "version": meta.tool_version }] },
            "component": image,
        },
        "components": components,
    });
    (document, refs)
}

/// The `bom-ref` of the package at `index`: purls repeat when one package is found at two
/// locations; the index keeps refs unique.
fn bom_ref(index: usize, p: &Package) -> String {
    format!("{}#{index}", p.purl)
}

/// One package as a CycloneDX component.
fn component(bom_ref: &str, p: &Package) -> Value {
    let mut properties = vec![
        json!({ "name": PROP_LOCATION, "value": p.location }),
        json!({ "name": PROP_EVIDENCE, "value": serde_json::to_value(p.evidence).unwrap_or(Value::Null) }),
    ];
    if let Some(source) = &p.source_name {
        properties.push(json!({ "name": PROP_SOURCE_NAME, "value": source }));
    }
    if let Some(version) = &p.source_version {
        properties.push(json!({ "name": PROP_SOURCE_VERSION, "value": version }));
    }
    if let Some(layer) = &p.layer {
        properties.push(json!({ "name": PROP_LAYER, "value": layer.diff_id }));
        if let Some(created_by) = &layer.created_by {
            properties.push(json!({ "name": PROP_CREATED_BY, "value": created_by }));
        }
    }
    let mut c = json!({
        "bom-ref": bom_ref,
        "type": "library",
        "name": p.name,
        "version": p.version,
        "purl": p.purl,
        "properties": properties,
    });
    if !p.licenses.is_empty() {
        c["licenses"] = Value::Array(p.licenses.iter().map(|l| json!({ "license": { "name": l } })).collect());
    }
    c
}
