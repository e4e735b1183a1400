//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>).

use std::collections::HashMap;

use microscanner_model::{Evidence, Package};
use serde::Serialize;
use serde::ser::SerializeSeq as _;
use serde_json::{Value, json};

use super::{SbomMeta, Subject, document_uuid};

/// An SPDX document over a [`Subject`]: its packages and relationships are built one at a time
/// as the document is written. The fields are in the order of their names, as a
/// `serde_json::Value` object keeps them, so the streamed bytes are those of the document as a
/// value.
#[derive(Debug, Serialize)]
pub(crate) struct Document<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    /// What a vulnerability report adds to the document; none in a plain SBOM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) comment: Option<String>,
    #[serde(rename = "creationInfo")]
    creation_info: Value,
    #[serde(rename = "dataLicense")]
    data_license: &'static str,
    /// `https://microscanner.invalid/spdx/UUID`, derived from the content.
    #[serde(rename = "documentNamespace")]
    pub(crate) document_namespace: String,
    /// The `LicenseRef-`s the packages' licences are written with (ids of the licence list the
    /// validators do not know yet), defined.
    #[serde(rename = "hasExtractedLicensingInfos", skip_serializing_if = "Vec::is_empty")]
    extracted_licensing_infos: Vec<Value>,
    name: &'a str,
    packages: Packages<'a>,
    relationships: Relationships<'a>,
    #[serde(rename = "spdxVersion")]
    spdx_version: &'static str,
}

impl<'a> Document<'a> {
    /// The SBOM of `subject`.
    pub(crate) fn new(subject: Subject<'a>, meta: &SbomMeta) -> Self {
        let uuid = document_uuid(&subject, meta);
        Self {
            spdx_id: "SPDXRef-DOCUMENT",
            comment: None,
            creation_info: json!({
                "created": meta.created,
                "creators": [format!("Tool: microscanner-{}", meta.tool_version)],
                "licenseListVersion": super::spdx_licences::licence_list_version(),
            }),
            data_license: "CC0-1.0",
            document_namespace: format!("https://microscanner.invalid/spdx/{uuid}"),
            extracted_licensing_infos: super::spdx_licences::extracted_licensing_infos(subject.packages.iter()),
            name: &subject.image.name,
            packages: Packages {
                subject,
                references: HashMap::new(),
                created: meta.created.clone(),
                annotator: format!("Tool: microscanner-{}", meta.tool_version),
            },
            relationships: Relationships(subject),
            spdx_version: "SPDX-2.3",
        }
    }

    /// Adds `reference` to the external references of the package at `index` (of the
    /// subject's packages), once.
    pub(crate) fn add_reference(&mut self, index: usize, reference: Value) {
        let references = self.packages.references.entry(index).or_default();
        if !references.contains(&reference) {
            references.push(reference);
        }
    }
}

/// The `SPDXID` of the package at `index`.
pub(crate) fn spdx_id(index: usize) -> String {
    format!("SPDXRef-Package-{index}")
}

/// The `packages` array: the image, its operating system, then every package.
#[derive(Debug)]
struct Packages<'a> {
    subject: Subject<'a>,
    /// External references added to packages, by package index (a report's advisories).
    references: HashMap<usize, Vec<Value>>,
    /// When the document was made, the date of the image's annotations.
    created: String,
    /// `Tool: microscanner-VERSION`, who annotates the image.
    annotator: String,
}

impl Serialize for Packages<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let subject = &self.subject;
        let mut seq = serializer.serialize_seq(Some(1 + usize::from(subject.os.is_some()) + subject.packages.len()))?;
        seq.serialize_element(&image_package(subject.image, &self.created, &self.annotator))?;
        if let Some(os) = subject.os {
            let mut value = json!({
                "SPDXID": "SPDXRef-OperatingSystem",
                "name": os.family,
                "versionInfo": os.version,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "primaryPackagePurpose": "OPERATING-SYSTEM",
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
            });
            if let Some(cpe) = os.cpe() {
                value["externalRefs"] =
                    json!([{ "referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": cpe }]);
            }
            seq.serialize_element(&value)?;
        }
        for (index, package) in subject.packages.iter().enumerate() {
            let mut value = spdx_package(&spdx_id(index), package);
            if let (Some(added), Some(Value::Array(refs))) =
                (self.references.get(&index), value.get_mut("externalRefs"))
            {
                refs.extend(added.iter().filter(|r| !refs.contains(r)).cloned().collect::<Vec<_>>());
            }
            seq.serialize_element(&value)?;
        }
        seq.end()
    }
}

/// The image as the package the document describes: its digest as a checksum (the manifest's,
/// else the config's), its `pkg:oci` purl when it came from a registry, and each repo digest,
/// label and annotation as an annotation of the package (`OTHER`, by this tool, at `created`).
fn image_package(image: &microscanner_model::ImageInfo, created: &str, annotator: &str) -> Value {
    let mut value = json!({
        "SPDXID": "SPDXRef-Image",
        "name": image.name,
        "versionInfo": image.config_digest.clone().unwrap_or_default(),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    });
    if let Some(hex) = super::image_sha256(image) {
        value["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": hex }]);
    }
    if let Some(purl) = super::image_purl(image) {
        value["externalRefs"] =
            json!([{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl }]);
    }
    let facts = super::image_facts(image);
    if !facts.is_empty() {
        value["annotations"] = facts
            .into_iter()
            .map(|(name, fact)| {
                json!({
                    "annotationDate": created,
                    "annotationType": "OTHER",
                    "annotator": annotator,
                    "comment": format!("{name}={fact}"),
                })
            })
            .collect();
    }
    value
}

/// The `relationships` array: the document describes the image, which contains its operating
/// system and every package; then each edge of the dependency graph, `DEPENDS_ON`.
#[derive(Debug)]
struct Relationships<'a>(Subject<'a>);

impl Serialize for Relationships<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Self(subject) = self;
        let count = 1 + usize::from(subject.os.is_some()) + subject.packages.len() + subject.dependencies.len();
        let mut seq = serializer.serialize_seq(Some(count))?;
        seq.serialize_element(&json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Image",
        }))?;
        if subject.os.is_some() {
            seq.serialize_element(&contains("SPDXRef-OperatingSystem"))?;
        }
        for (index, package) in subject.packages.iter().enumerate() {
            if package.evidence == Evidence::Declared {
                seq.serialize_element(&declared_only(&spdx_id(index), package.location()))?;
            } else {
                seq.serialize_element(&contains(&spdx_id(index)))?;
            }
        }
        for &[from, to] in subject.dependencies {
            seq.serialize_element(&json!({
                "spdxElementId": spdx_id(from as usize),
                "relationshipType": "DEPENDS_ON",
                "relatedSpdxElement": spdx_id(to as usize),
            }))?;
        }
        seq.end()
    }
}

/// A package a lockfile names but that is not installed: the image does not contain it, so no
/// `CONTAINS`; the lockfile's package `id` is `OPTIONAL_DEPENDENCY_OF` the image (SPDX 2.3 §11.1:
/// what the image may need, not what it holds), with a comment naming the lockfile.
fn declared_only(id: &str, lockfile: &str) -> Value {
    json!({
        "spdxElementId": id,
        "relationshipType": "OPTIONAL_DEPENDENCY_OF",
        "relatedSpdxElement": "SPDXRef-Image",
        "comment": format!("declared only: named by {lockfile}, not installed in the image"),
    })
}

/// `SPDXRef-Image CONTAINS id`.
fn contains(id: &str) -> Value {
    json!({ "spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": id })
}

/// One package as an SPDX package.
fn spdx_package(id: &str, p: &Package) -> Value {
    // declared: what the package's own metadata or copyright file states; concluded stays
    // NOASSERTION, since no one reviewed it (SPDX 2.3, 7.13 and 7.15)
    let license = super::spdx_expression_of(p.licenses())
        .and_then(|e| super::spdx_licences::document_expression(&e))
        .unwrap_or_else(|| "NOASSERTION".to_owned());
    let mut value = json!({
        "SPDXID": id,
        "name": p.name,
        "versionInfo": p.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": license,
        "copyrightText": "NOASSERTION",
        "externalRefs": [{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl() }],
    });
    if let (Some(name), Some(version)) = (&p.source_name(), &p.source_version()) {
        value["sourceInfo"] = json!(format!("built from source package {name} {version}"));
    }
    if !p.licenses().is_empty() {
        value["comment"] = json!(format!("declared license: {}", p.licenses().join(", ")));
    }
    if let Some(hex) = p.sha256_hex() {
        value["checksums"] = json!([{ "algorithm": "SHA256", "checksumValue": hex }]);
    }
    value
}
