//! SBOM writers: CycloneDX 1.6 JSON, SPDX 2.3 JSON and microscanner's own inventory JSON.

mod cyclonedx;
mod json;
pub use json::SCHEMA_VERSION as INVENTORY_SCHEMA_VERSION;
mod read;
pub use read::{MAX_SBOM_PACKAGES, MAX_SBOM_STRING, SbomReadError, read_sbom};
mod spdx;

use microscanner_model::Inventory;
use sha2::{Digest as _, Sha256};

/// The SBOM formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    Spdx,
    /// microscanner's own inventory JSON (`docs/inventory.schema.json`).
    Json,
}

impl std::str::FromStr for SbomFormat {
    type Err = String;

    /// Any case (`CycloneDX`, `SPDX`), and the `-json` spellings of Trivy and Syft.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cyclonedx" | "cyclonedx-json" => Ok(Self::CycloneDx),
            "spdx" | "spdx-json" => Ok(Self::Spdx),
            "json" => Ok(Self::Json),
            _ => Err(format!("unknown SBOM format {s:?} (cyclonedx, spdx, json)")),
        }
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

/// Writes `inventory` as a pretty-printed JSON document of `format`.
pub fn write_sbom(inventory: &Inventory, format: SbomFormat, meta: &SbomMeta) -> serde_json::Value {
    match format {
        SbomFormat::CycloneDx => cyclonedx::document(inventory, meta),
        SbomFormat::Spdx => spdx::document(inventory, meta),
        SbomFormat::Json => json::document(inventory, meta),
    }
}

/// A stable UUID (RFC 4122 layout, version 5-like) derived from the inventory and the time, so
/// the same scan at the same time gives the same document and different scans differ.
fn document_uuid(inventory: &Inventory, meta: &SbomMeta) -> String {
    let mut hasher = Sha256::new();
    hasher.update(inventory.image.name.as_bytes());
    hasher.update(inventory.image.config_digest.as_deref().unwrap_or_default().as_bytes());
    hasher.update(meta.created.as_bytes());
    for p in &inventory.packages {
        hasher.update(p.purl.as_bytes());
        hasher.update(p.location.as_bytes());
    }
    let mut b: [u8; 16] = [0; 16];
    b.copy_from_slice(&hasher.finalize()[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
