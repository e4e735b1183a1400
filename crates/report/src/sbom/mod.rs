//! SBOM writers: CycloneDX 1.6 JSON, SPDX 2.3 JSON and microscanner's own inventory JSON.

pub(crate) mod cyclonedx;
mod json;
pub use json::SCHEMA_VERSION as INVENTORY_SCHEMA_VERSION;
mod read;
pub use read::{MAX_SBOM_PACKAGES, MAX_SBOM_STRING, SbomReadError, canonical_purl, read_sbom};
pub(crate) mod spdx;
mod spdx_licences;

use std::io::Write as _;

use microscanner_model::{Diagnostic, ImageInfo, Inventory, OsInfo, Package, Purl};
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

/// What an SBOM describes: an image, its OS and its packages (borrowed, never copied).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'a> {
    /// The image.
    pub(crate) image: &'a ImageInfo,
    /// Its operating system, when recognised.
    pub(crate) os: Option<&'a OsInfo>,
    /// Its packages.
    pub(crate) packages: PackageList<'a>,
    /// What the inventory noted (the inventory JSON carries them).
    pub(crate) diagnostics: &'a [Diagnostic],
    /// The dependency graph: `[from, to]` indices into `packages`, sorted.
    pub(crate) dependencies: &'a [[u32; 2]],
}

impl<'a> Subject<'a> {
    /// The subject of `inventory`.
    pub(crate) fn of(inventory: &'a Inventory) -> Self {
        Self {
            image: &inventory.image,
            os: inventory.os.as_ref(),
            packages: PackageList { listed: &inventory.packages, extra: &[] },
            diagnostics: &inventory.diagnostics,
            dependencies: &inventory.dependencies,
        }
    }
}

/// The packages an SBOM lists, in order: a list, then any extra ones (a vulnerability report's
/// finding may name a package its report's list lacks). Package `i` of the document is the
/// `i`th of [`PackageList::iter`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct PackageList<'a> {
    /// The packages of the inventory or report.
    pub(crate) listed: &'a [Package],
    /// Packages added after them.
    pub(crate) extra: &'a [Package],
}

impl<'a> PackageList<'a> {
    /// Every package, in document order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a Package> + use<'a> {
        self.listed.iter().chain(self.extra)
    }

    /// How many there are.
    pub(crate) fn len(&self) -> usize {
        self.listed.len() + self.extra.len()
    }

    /// The package at `index`, in document order.
    pub(crate) fn get(&self, index: usize) -> Option<&'a Package> {
        match index.checked_sub(self.listed.len()) {
            None => self.listed.get(index),
            Some(extra) => self.extra.get(extra),
        }
    }
}

/// A sequence written one element at a time, each as a `serde_json::Value` (whose object keys
/// are in the order of their names): the packages of the inventory JSON, which keeps that order.
#[derive(Debug)]
pub(crate) struct AsValues<'a>(Subject<'a>);

impl serde::Serialize for AsValues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq as _};
        let Self(subject) = self;
        let mut seq = serializer.serialize_seq(Some(subject.packages.len()))?;
        for package in subject.packages.iter() {
            seq.serialize_element(&serde_json::to_value(package).map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

/// An SBOM document of one of the [`SbomFormat`]s, over an inventory it borrows. It is written
/// by serialising it (`serde_json::to_writer_pretty`), one package at a time: an image of a
/// million packages is never held as JSON. [`sbom_document`] makes it a `serde_json::Value`.
#[derive(Debug)]
pub struct Sbom<'a>(Document<'a>);

/// The document of each format.
#[derive(Debug)]
enum Document<'a> {
    CycloneDx(Box<cyclonedx::Bom<'a>>),
    Spdx(Box<spdx::Document<'a>>),
    Json(Box<json::InventoryDocument<'a>>),
}

impl serde::Serialize for Sbom<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Document::CycloneDx(bom) => bom.serialize(serializer),
            Document::Spdx(document) => document.serialize(serializer),
            Document::Json(document) => document.serialize(serializer),
        }
    }
}

/// `inventory` as an SBOM of `format`, to be serialised.
pub fn sbom<'a>(inventory: &'a Inventory, format: SbomFormat, meta: &'a SbomMeta) -> Sbom<'a> {
    let subject = Subject::of(inventory);
    match format {
        SbomFormat::CycloneDx => Sbom(Document::CycloneDx(Box::new(cyclonedx::Bom::new(subject, meta)))),
        SbomFormat::Spdx => Sbom(Document::Spdx(Box::new(spdx::Document::new(subject, meta)))),
        SbomFormat::Json => Sbom(Document::Json(Box::new(json::InventoryDocument::new(subject, meta)))),
    }
}

/// `inventory` as a JSON document of `format`, as a value (for tests and small documents; write
/// [`sbom`] to stream one).
pub fn sbom_document(inventory: &Inventory, format: SbomFormat, meta: &SbomMeta) -> serde_json::Value {
    serde_json::to_value(sbom(inventory, format, meta)).unwrap_or(serde_json::Value::Null)
}

/// Writes `inventory` as an SBOM of `format` to `out`, pretty-printed with a final newline, one
/// package at a time.
///
/// # Errors
/// When `out` fails.
pub fn write_sbom(
    inventory: &Inventory,
    format: SbomFormat,
    meta: &SbomMeta,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut out, &sbom(inventory, format, meta))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The edges of `dependencies` (sorted by `from`) grouped by their package: each package that
/// depends on something, with the packages it depends on, in order.
pub(crate) fn dependency_groups(dependencies: &[[u32; 2]]) -> impl Iterator<Item = (u32, Vec<u32>)> + '_ {
    dependencies.chunk_by(|a, b| a[0] == b[0]).filter_map(|group| {
        let from = group.first()?[0];
        Some((from, group.iter().map(|edge| edge[1]).collect()))
    })
}

/// The one SPDX expression `licenses` amount to, when every one of them is a valid SPDX
/// expression over the SPDX licence list (checked with the `spdx` crate): joined with `AND`, each
/// compound one in parentheses. `None` when there are none, or when one is not such an expression
/// (`BSD`, `public-domain`, a `LicenseRef-` that the document does not define): those are kept as
/// names, never turned into an expression by guessing.
pub(crate) fn spdx_expression_of(licenses: &[String]) -> Option<String> {
    let valid =
        |l: &String| !l.contains("LicenseRef-") && !l.contains("DocumentRef-") && ::spdx::Expression::parse(l).is_ok();
    if licenses.is_empty() || !licenses.iter().all(valid) {
        return None;
    }
    Some(match licenses {
        [one] => one.clone(),
        _ => licenses
            .iter()
            .map(|l| if l.contains(' ') { format!("({l})") } else { l.clone() })
            .collect::<Vec<_>>()
            .join(" AND "),
    })
}

/// The hex of a `sha256:` digest of 64 hex digits; `None` for anything else (an annotation may
/// say anything).
pub(crate) fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// The digest that identifies the image, as hex: the manifest's (what a registry names it by),
/// else the config's (a docker-archive has no manifest digest).
pub(crate) fn image_sha256(image: &ImageInfo) -> Option<&str> {
    image
        .manifest_digest
        .as_deref()
        .and_then(sha256_hex)
        .or_else(|| image.config_digest.as_deref().and_then(sha256_hex))
}

/// The image's purl, `pkg:oci/NAME@sha256:...?arch=...&repository_url=...`, when it was pulled
/// from a registry by a digest we know (the purl spec's `oci` type names a repository).
pub(crate) fn image_purl(image: &ImageInfo) -> Option<String> {
    let digest = image.manifest_digest.as_deref()?;
    let (repository, _) = image.repo_digests.first()?.split_once('@')?;
    let name = repository.rsplit('/').next()?.to_ascii_lowercase();
    let purl = Purl::new("oci", &name)
        .with_version(digest)
        .with_qualifier("arch", image.architecture.as_deref().unwrap_or_default())
        .with_qualifier("repository_url", repository);
    Some(purl.to_string())
}

/// What the image says about itself, as (property name, value) pairs in a stable order: each
/// repo digest, label and annotation (`microscanner:image:label:maintainer`).
pub(crate) fn image_facts(image: &ImageInfo) -> Vec<(String, &str)> {
    let mut facts: Vec<(String, &str)> =
        image.repo_digests.iter().map(|d| ("microscanner:image:repo_digest".to_owned(), d.as_str())).collect();
    facts.extend(image.labels.iter().map(|(k, v)| (format!("microscanner:image:label:{k}"), v.as_str())));
    facts.extend(image.annotations.iter().map(|(k, v)| (format!("microscanner:image:annotation:{k}"), v.as_str())));
    facts
}

/// The annotation naming the base image (OCI image spec, "Pre-Defined Annotation Keys").
pub(crate) const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// The annotation giving the base image's manifest digest.
pub(crate) const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// A stable UUID derived from the image, its packages and the time, so the same scan at the same
/// time gives the same document and different scans differ.
fn document_uuid(subject: &Subject<'_>, meta: &SbomMeta) -> Uuid {
    let mut hasher = Sha256::new();
    hasher.update(subject.image.name.as_bytes());
    hasher.update(subject.image.config_digest.as_deref().unwrap_or_default().as_bytes());
    hasher.update(meta.created.as_bytes());
    for p in subject.packages.iter() {
        hasher.update(p.purl().as_bytes());
        hasher.update(p.location().as_bytes());
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
