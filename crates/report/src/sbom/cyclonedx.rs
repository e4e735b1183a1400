//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).

use microscanner_model::Package;
use serde::Serialize;
use serde::ser::SerializeSeq as _;
use serde_json::{Value, json};

use super::{SbomMeta, Subject, document_uuid};

/// Property names we add, in the `microscanner:` namespace.
const PROP_SOURCE_NAME: &str = "microscanner:package:source_name";
const PROP_SOURCE_VERSION: &str = "microscanner:package:source_version";
const PROP_LOCATION: &str = "microscanner:package:location";
const PROP_EVIDENCE: &str = "microscanner:package:evidence";
const PROP_LAYER: &str = "microscanner:layer:diff_id";
const PROP_CREATED_BY: &str = "microscanner:layer:created_by";

/// A CycloneDX document over a [`Subject`]: its components are built one at a time as the
/// document is written, so an image of a million packages is never held as JSON. The fields are
/// in the order of their names, as a `serde_json::Value` object keeps them, so the streamed
/// bytes are those of the document as a value.
#[derive(Debug, Serialize)]
pub(crate) struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    components: Components<'a>,
    metadata: Value,
    /// `urn:uuid:...`, derived from the content (a vulnerability report derives its own).
    #[serde(rename = "serialNumber")]
    pub(crate) serial_number: String,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    version: u32,
    /// The vulnerabilities of a vulnerability report (an empty list when it has none); absent
    /// from a plain SBOM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) vulnerabilities: Option<Vec<Value>>,
}

impl<'a> Bom<'a> {
    /// The SBOM of `subject`.
    pub(crate) fn new(subject: Subject<'a>, meta: &SbomMeta) -> Self {
        Self {
            schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
            bom_format: "CycloneDX",
            components: Components(subject),
            metadata: metadata(&subject, meta),
            serial_number: format!("urn:uuid:{}", document_uuid(&subject, meta)),
            spec_version: "1.6",
            version: 1,
            vulnerabilities: None,
        }
    }
}

/// The document's `metadata`: when, by what, and the image as the `component` described.
fn metadata(subject: &Subject<'_>, meta: &SbomMeta) -> Value {
    let image_info = subject.image;
    let mut image_props = Vec::new();
    for (name, value) in [
        ("microscanner:image:source", Some(&image_info.source)),
        ("microscanner:image:config_digest", image_info.config_digest.as_ref()),
        ("microscanner:image:manifest_digest", image_info.manifest_digest.as_ref()),
        ("microscanner:image:os", image_info.os.as_ref()),
        ("microscanner:image:architecture", image_info.architecture.as_ref()),
    ] {
        if let Some(value) = value {
            image_props.push(json!({ "name": name, "value": value }));
        }
    }
    let mut image = json!({
        "bom-ref": "image",
        "type": "container",
        "name": image_info.name,
        "properties": image_props,
    });
    if let Some(digest) = &image_info.config_digest {
        image["version"] = json!(digest);
    }
    json!({
        "timestamp": meta.created,
        "tools": { "components": [{ "type": "application", "name": "microscanner", "version": meta.tool_version }] },
        "component": image,
    })
}

/// The `components` array: the operating system, then every package, each made as it is written.
#[derive(Debug)]
struct Components<'a>(Subject<'a>);

impl Serialize for Components<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(subject) = self;
        let mut seq = serializer.serialize_seq(Some(usize::from(subject.os.is_some()) + subject.packages.len()))?;
        if let Some(os) = subject.os {
            seq.serialize_element(&json!({
                "bom-ref": format!("os:{}-{}", os.family, os.version),
                "type": "operating-system",
                "name": os.family,
                "version": os.version,
                "description": os.pretty_name,
            }))?;
        }
        for (index, package) in subject.packages.iter().enumerate() {
            seq.serialize_element(&component(&bom_ref(index, package), package))?;
        }
        seq.end()
    }
}

/// The `bom-ref` of the package at `index`: purls repeat when one package is found at two
/// locations; the index keeps refs unique.
pub(crate) fn bom_ref(index: usize, p: &Package) -> String {
    format!("{}#{index}", p.purl())
}

/// One package as a CycloneDX component.
fn component(bom_ref: &str, p: &Package) -> Value {
    let mut properties = vec![
        json!({ "name": PROP_LOCATION, "value": p.location() }),
        json!({ "name": PROP_EVIDENCE, "value": serde_json::to_value(p.evidence).unwrap_or(Value::Null) }),
    ];
    if let Some(source) = &p.source_name() {
        properties.push(json!({ "name": PROP_SOURCE_NAME, "value": source }));
    }
    if let Some(version) = &p.source_version() {
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
        "purl": p.purl(),
        "properties": properties,
    });
    if !p.licenses().is_empty() {
        c["licenses"] = Value::Array(p.licenses().iter().map(|l| json!({ "license": { "name": l } })).collect());
    }
    c
}
