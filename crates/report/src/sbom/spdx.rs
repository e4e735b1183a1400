//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>).

use microscanner_model::{Inventory, Package};
use serde_json::{Value, json};

use super::{SbomMeta, document_uuid};

/// The SPDX document, and the `SPDXID` of each package.
pub(super) fn document(inventory: &Inventory, meta: &SbomMeta) -> (Value, Vec<String>) {
    let mut packages = vec![json!({
        "SPDXID": "SPDXRef-Image",
        "name": inventory.image.name,
        "versionInfo": inventory.image.config_digest.clone().unwrap_or_default(),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    if let Some(os) = &inventory.os {
        packages.push(json!({
            "SPDXID": "SPDXRef-OperatingSystem",
            "name": os.family,
            "versionInfo": os.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING-SYSTEM",
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
        }));
        relationships.push(contains("SPDXRef-OperatingSystem"));
    }
    let ids: Vec<String> = (0..inventory.packages.len()).map(|index| format!("SPDXRef-Package-{index}")).collect();
    for (package, id) in inventory.packages.iter().zip(&ids) {
        packages.push(spdx_package(id, package));
        relationships.push(contains(id));
    }
    let uuid = document_uuid(inventory, meta);
    let document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": inventory.image.name,
        "documentNamespace": format!("https://microscanner.invalid/spdx/{uuid}"),
        "creationInfo": {
            "created": meta.created,
            "creators": [format!("Tool: microscanner-{}", meta.tool_version)],
        },
        "packages": packages,
        "relationships": relationships,
    });
    (document, ids)
}

/// `SPDXRef-Image CONTAINS id`.
fn contains(id: &str) -> Value {
    json!({ "spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": id })
}

/// One package as an SPDX package.
fn spdx_package(id: &str, p: &Package) -> Value {
    let license = match p.licenses.as_slice() {
        [one] if is_spdx_expression(one) => one.clone(),
        _ => "NOASSERTION".to_owned(),
    };
    let mut value = json!({
        "SPDXID": id,
        "name": p.name,
        "versionInfo": p.version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": license,
        "copyrightText": "NOASSERTION",
        "externalRefs": [{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl }],
    });
    if let (Some(name), Some(version)) = (&p.source_name, &p.source_version) {
        value["sourceInfo"] = json!(format!("built from source package {name} {version}"));
    }
    if !p.licenses.is_empty() {
        value["comment"] = json!(format!("declared license: {}", p.licenses.join(", ")));
    }
    value
}

/// Whether `s` is a valid SPDX license expression of ids on the SPDX license list (checked
/// with the `spdx` crate), which SPDX accepts as `licenseDeclared`; anything else stays
/// NOASSERTION rather than making the document invalid (`BSD`, `GPL` are not ids).
fn is_spdx_expression(s: &str) -> bool {
    spdx::Expression::parse(s).is_ok()
}
