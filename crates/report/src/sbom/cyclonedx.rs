//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).

use microscanner_model::{Evidence, Package};
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
    /// Each package's dependencies, where the evidence has them: absent when it has none.
    #[serde(skip_serializing_if = "Dependencies::is_empty")]
    dependencies: Dependencies<'a>,
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
            dependencies: Dependencies(subject),
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
    image_props.extend(
        super::image_facts(image_info).into_iter().map(|(name, value)| json!({ "name": name, "value": value })),
    );
    let mut image = json!({
        "bom-ref": "image",
        "type": "container",
        "name": image_info.name,
        "properties": image_props,
    });
    if let Some(digest) = &image_info.config_digest {
        image["version"] = json!(digest);
    }
    if let Some(hex) = super::image_sha256(image_info) {
        image["hashes"] = json!([{ "alg": "SHA-256", "content": hex }]);
    }
    if let Some(purl) = super::image_purl(image_info) {
        image["purl"] = json!(purl);
    }
    if let Some(base) = base_image(image_info) {
        image["pedigree"] = json!({ "ancestors": [base] });
    }
    json!({
        "timestamp": meta.created,
        "tools": { "components": [{ "type": "application", "name": "microscanner", "version": meta.tool_version }] },
        "component": image,
    })
}

/// The base image the manifest's annotations name (`org.opencontainers.image.base.name`,
/// `.base.digest`), as the component the image descends from (`pedigree.ancestors`).
fn base_image(image: &microscanner_model::ImageInfo) -> Option<Value> {
    let name = image.annotations.get(super::BASE_NAME);
    let digest = image.annotations.get(super::BASE_DIGEST);
    if name.is_none() && digest.is_none() {
        return None;
    }
    let mut base = json!({ "type": "container", "name": name.map_or("base image", String::as_str) });
    if let Some(digest) = digest {
        base["version"] = json!(digest);
        if let Some(hex) = super::sha256_hex(digest) {
            base["hashes"] = json!([{ "alg": "SHA-256", "content": hex }]);
        }
    }
    Some(base)
}

/// The `components` array: the operating system, then every package, each made as it is written.
#[derive(Debug)]
struct Components<'a>(Subject<'a>);

impl Serialize for Components<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(subject) = self;
        let mut seq = serializer.serialize_seq(Some(usize::from(subject.os.is_some()) + subject.packages.len()))?;
        if let Some(os) = subject.os {
            let mut component = json!({
                "bom-ref": format!("os:{}-{}", os.family, os.version),
                "type": "operating-system",
                "name": os.family,
                "version": os.version,
                "description": os.pretty_name,
            });
            if let Some(cpe) = os.cpe() {
                component["cpe"] = json!(cpe);
            }
            seq.serialize_element(&component)?;
        }
        for (index, package) in subject.packages.iter().enumerate() {
            seq.serialize_element(&component(&bom_ref(index, package), package))?;
        }
        seq.end()
    }
}

/// The `dependencies` array: one entry per package that depends on others (`ref` →
/// `dependsOn`), made as it is written. A package with no entry has no known dependencies (the
/// evidence may say nothing), which is not the same as an empty list.
#[derive(Debug)]
struct Dependencies<'a>(Subject<'a>);

impl Dependencies<'_> {
    fn is_empty(&self) -> bool {
        self.0.dependencies.is_empty()
    }
}

impl Serialize for Dependencies<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(subject) = self;
        let reference = |index: u32| subject.packages.get(index as usize).map(|p| bom_ref(index as usize, p));
        let mut seq = serializer.serialize_seq(None)?;
        for (from, to) in super::dependency_groups(subject.dependencies) {
            let Some(from) = reference(from) else { continue };
            let depends_on: Vec<String> = to.into_iter().filter_map(reference).collect();
            seq.serialize_element(&json!({ "dependsOn": depends_on, "ref": from }))?;
        }
        seq.end()
    }
}

/// The `bom-ref` of the package at `index`: purls repeat when one package is found at two
/// locations; the index keeps refs unique.
pub(crate) fn bom_ref(index: usize, p: &Package) -> String {
    format!("{}#{index}", p.purl())
}

/// A component's `licenses`: one `expression` when every licence is a valid SPDX expression
/// (an id is an expression too, and an expression needs no check against the schema's copy of
/// the licence list), else each licence as a `name`, as declared: never guessed into an id.
fn licenses(licenses: &[String]) -> Option<Value> {
    if licenses.is_empty() {
        return None;
    }
    Some(match super::spdx_expression_of(licenses) {
        Some(expression) => json!([{ "expression": expression }]),
        None => Value::Array(licenses.iter().map(|l| json!({ "license": { "name": l } })).collect()),
    })
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
    if let Some(licenses) = licenses(p.licenses()) {
        c["licenses"] = licenses;
    }
    if let Some(hex) = p.sha256_hex() {
        // the file the package was read from (a binary, a Java archive), hashed as it was read
        c["hashes"] = json!([{ "alg": "SHA-256", "content": hex }]);
    }
    if p.evidence == Evidence::Declared {
        // named by a lockfile, its installed copy absent: not part of what runs, which a
        // consumer that ignores our properties still sees
        c["scope"] = json!("excluded");
    }
    c
}
