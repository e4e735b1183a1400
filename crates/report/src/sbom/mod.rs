//! SBOM writers: CycloneDX 1.6 JSON, SPDX 2.3 JSON and microscanner's own inventory JSON.

mod cyclonedx;
mod json;
pub use json::SCHEMA_VERSION as INVENTORY_SCHEMA_VERSION;
mod read;
pub use read::{MAX_SBOM_PACKAGES, MAX_SBOM_STRING, SbomReadError, canonical_purl, read_sbom};
mod spdx;

use microscanner_model::Inventory;
use sha2::{Digest as _, Sha256};

use crate::format::parse_name;
use uuid::Uuid;

/// The SBOM formats (`sbom --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    Spdx,
    /// microscanner's own inventory JSON (`docs/inventory.schema.json`).
    Json,
}

impl SbomFormat {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Self; 3] = [Self::CycloneDx, Self::Spdx, Self::Json];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::CycloneDx => "cyclonedx",
            Self::Spdx => "spdx",
            Self::Json => "json",
        }
    }
}

impl std::fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SbomFormat {
    type Err = String;

    /// Any case (`CycloneDX`, `SPDX`), and the `-json` spellings of Trivy and Syft; an unknown
    /// name is an error that suggests the nearest one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = match s.trim().to_ascii_lowercase().as_str() {
            "cyclonedx-json" => "cyclonedx",
            "spdx-json" => "spdx",
            _ => s,
        };
        parse_name("SBOM format", name, &Self::ALL, Self::name)
    }
}

/// Facts about the run that the documents record.
#[derive(Debug, Clone)]
pub struct SbomMeta {
    /// The tool's version (`0.1.0`).
    pub tool_version: String,
    /// When the document was made, RFC 3339 UTC (`2026-11-23T12:00:00Z`).
    pub created: String,
}

impl SbomMeta {
    /// Now, or `SOURCE_DATE_EPOCH` when set (reproducible documents), for this tool version.
    pub fn now(tool_version: &str, source_date_epoch: Option<i64>) -> Self {
        let when = source_date_epoch
            .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
            .unwrap_or_else(time::OffsetDateTime::now_utc)
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
        let created = when
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into());
        Self { tool_version: tool_version.to_owned(), created }
    }
}

/// `inventory` as a JSON document of `format`.
pub fn sbom_document(inventory: &Inventory, format: SbomFormat, meta: &SbomMeta) -> serde_json::Value {
    sbom_with_refs(inventory, format, meta).document
}

/// An SBOM document and the id it gives each package of the inventory it was built from.
#[derive(Debug, Clone, PartialEq)]
pub struct SbomWithRefs {
    /// The document.
    pub document: serde_json::Value,
    /// For each inventory package, in order, the id the document knows it by: its CycloneDX
    /// `bom-ref` or its SPDX `SPDXID`. Empty for the inventory JSON, which has no ids.
    pub package_refs: Vec<String>,
}

/// `inventory` as a JSON document of `format`, with the id of each package in it (what a
/// vulnerability report made of the SBOM refers to its packages by).
pub fn sbom_with_refs(inventory: &Inventory, format: SbomFormat, meta: &SbomMeta) -> SbomWithRefs {
    let (document, package_refs) = match format {
        SbomFormat::CycloneDx => cyclonedx::document(inventory, meta),
        SbomFormat::Spdx => spdx::document(inventory, meta),
        SbomFormat::Json => (json::document(inventory, meta), Vec::new()),
    };
    SbomWithRefs { document, package_refs }
}

/// A stable UUID derived from the inventory and the time, so the same scan at the same time gives
/// the same document and different scans differ.
fn document_uuid(inventory: &Inventory, meta: &SbomMeta) -> Uuid {
    let mut hasher = Sha256::new();
    hasher.update(inventory.image.name.as_bytes());
    hasher.update(inventory.image.config_digest.as_deref().unwrap_or_default().as_bytes());
    hasher.update(meta.created.as_bytes());
    for p in &inventory.packages {
        hasher.update(p.purl.as_bytes());
        hasher.update(p.location.as_bytes());
    }
    uuid_from_hash(&hasher.finalize())
}

/// A deterministic UUID (version 5 layout: RFC 9562 name-based) from the first 16 bytes of a
/// hash, for document ids that are the same for the same content.
pub(crate) fn uuid_from_hash(hash: &[u8]) -> Uuid {
    let mut bytes = [0_u8; 16];
    for (dst, src) in bytes.iter_mut().zip(hash) {
        *dst = *src;
    }
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_in_any_case_and_typos_get_a_suggestion() {
        assert_eq!("CycloneDX".parse::<SbomFormat>(), Ok(SbomFormat::CycloneDx));
        assert_eq!("spdx-json".parse::<SbomFormat>(), Ok(SbomFormat::Spdx));
        assert_eq!("JSON".parse::<SbomFormat>(), Ok(SbomFormat::Json));
        let err = "cyclonedxx".parse::<SbomFormat>().unwrap_err();
        assert!(err.contains("did you mean cyclonedx?"), "{err}");
        let err = "xml".parse::<SbomFormat>().unwrap_err();
        assert!(!err.contains("did you mean"), "nothing is near: {err}");
        assert!(err.contains("expected one of cyclonedx, spdx, json"), "{err}");
    }

    #[test]
    fn document_ids_are_version_5_uuids_of_the_hash() {
        let uuid = uuid_from_hash(&[0xff; 32]);
        assert_eq!(uuid.to_string(), "ffffffff-ffff-5fff-bfff-ffffffffffff");
        assert_eq!(uuid_from_hash(&[0; 4]).to_string(), "00000000-0000-5000-8000-000000000000");
    }
}
