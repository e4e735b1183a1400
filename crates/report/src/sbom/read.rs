//! Reading SBOMs back into an [`Inventory`]: microscanner's own inventory JSON, CycloneDX 1.4–1.6
//! JSON and SPDX 2.2/2.3 JSON, written by microscanner or by other tools (Trivy, Syft).
//!
//! The inventory JSON is the [`Inventory`] itself and is taken as is. For CycloneDX and SPDX each
//! component's (package's) purl decides the package: its type gives the [`PackageKind`], its
//! namespace and name the package name as the ecosystem keys it (`group:artifact` for Maven,
//! `namespace/name` for Go and Composer, `@scope/name` for npm), its version (with the `epoch`
//! qualifier for OS packages) the version, its `arch` qualifier the architecture. The document's
//! own `name` is kept when it is the same name spelled differently (`Flask` for `pkg:pypi/flask`,
//! the case of a Go module path), as the catalog records the spelling the package states.
//!
//! The source package of OS packages comes from microscanner's properties
//! (`microscanner:package:source_name`, `..._version`) or SPDX `sourceInfo`, Trivy's properties
//! (`aquasecurity:trivy:SrcName`, `SrcVersion`, `SrcRelease`, `SrcEpoch`) or `sourceInfo`
//! (`built package from: NAME VERSION`), else Syft's `upstream` purl qualifier (`openssl`,
//! `bzip2@1.0.8-5`, or the source rpm file `bash-5.1.8-6.el9.src.rpm`).
//!
//! The operating system comes from the `operating-system` component (CycloneDX) or package (SPDX
//! `primaryPackagePurpose: OPERATING-SYSTEM`), else from the `distro` qualifier of the OS packages'
//! purls (`distro=debian-12.4`), and is normalised as the catalog normalises `os-release`
//! (`debian 12.4` → release `12`, ecosystem `Debian:12`), so the matcher looks in the same place.
//!
//! What the documents do not carry does not come back: no format records a package's owned
//! files; CycloneDX (microscanner's writer) records each package's layer by diffID but not its
//! position, so the layers are numbered in the order the components name them and listed in the
//! image in that order (Trivy's documents list the image's diffIDs, which are used); SPDX
//! (microscanner's writer) records no location, evidence or layer, and a source package only with
//! its version. A package without a recorded location gets the document's name as location; an
//! OS read from a document gets it as evidence.
//!
//! Every component that does not become a package says so in a [`Diagnostic`]: a purl type
//! microscanner does not match, a library without a purl, a purl that does not parse. Nothing is
//! dropped silently.
//!
//! Bounds: at most [`MAX_SBOM_PACKAGES`] components or packages, names, versions and purls of at
//! most [`MAX_SBOM_STRING`] bytes. The document is read twice (a cheap pass that detects the format
//! and counts the entries without building them, then the typed pass) with no lookup that grows
//! with the document, so time is linear in the input, apart from sorting the packages as the
//! catalog sorts them (n log n in their number).

use crate::policy::purl::decode;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use microscanner_model::distro::{id_from_name, normalize_id, osv_ecosystem, release_key};
use microscanner_model::{
    Diagnostic, Evidence, ImageInfo, Inventory, LayerInfo, LayerRef, OsInfo, Package, PackageKind, pep503_name,
};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The most components (CycloneDX), packages (SPDX, inventory JSON) a document may list.
pub const MAX_SBOM_PACKAGES: usize = 1_000_000;

/// The longest name, version or purl accepted, in bytes.
pub const MAX_SBOM_STRING: usize = 64 * 1024;

/// Why an SBOM could not be read. Every message names the document and, where there is one, the
/// field at fault (`inventory.json: packages[3].version: missing field`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomReadError {
    /// The bytes are not JSON.
    #[error("{source_name}: not JSON: {message}")]
    NotJson {
        /// The document, as the caller named it.
        source_name: String,
        /// What the JSON parser said, with the position.
        message: String,
    },
    /// JSON, but not a format this reader knows.
    #[error("{source_name}: not an SBOM microscanner reads: {reason}")]
    UnknownFormat {
        /// The document.
        source_name: String,
        /// What was missing or wrong.
        reason: String,
    },
    /// A version of the format this reader does not read.
    #[error("{source_name}: {field}: version {version:?} is not supported ({supported})")]
    UnsupportedVersion {
        /// The document.
        source_name: String,
        /// The version field (`spdxVersion`, `specVersion`, `schema_version`).
        field: String,
        /// The version the document states.
        version: String,
        /// The versions this reader reads.
        supported: &'static str,
    },
    /// A field of the document does not have the shape the format gives it.
    #[error("{source_name}: {path}: {message}")]
    Invalid {
        /// The document.
        source_name: String,
        /// The field at fault (`components[3].version`).
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// More entries than [`MAX_SBOM_PACKAGES`].
    #[error("{source_name}: {field}: {count} entries, more than the limit of {limit}")]
    TooMany {
        /// The document.
        source_name: String,
        /// The list (`components`, `packages`).
        field: String,
        /// How many entries it has.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A name, version or purl longer than [`MAX_SBOM_STRING`].
    #[error("{source_name}: {path}: {len} bytes long, more than the limit of {limit}")]
    TooLong {
        /// The document.
        source_name: String,
        /// The field at fault (`packages[3].name`).
        path: String,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

impl SbomReadError {
    /// The field at fault, when the error names one (`packages[3].version`).
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::UnsupportedVersion { field, .. } | Self::TooMany { field, .. } => Some(field),
            Self::Invalid { path, .. } | Self::TooLong { path, .. } => Some(path),
            Self::NotJson { .. } | Self::UnknownFormat { .. } => None,
        }
    }
}

/// Reads an SBOM (microscanner's inventory JSON, CycloneDX 1.4–1.6 JSON or SPDX 2.2/2.3 JSON,
/// detected from `bomFormat`, `spdxVersion` or `schema_version` + `packages`) into an
/// [`Inventory`] the matcher matches as it matches a scanned image. `source_name` names the
/// document in errors and diagnostics.
///
/// # Errors
/// [`SbomReadError`] when the bytes are not JSON, not a known format or version, a field the
/// reader uses has the wrong type, or a bound is exceeded. Components that cannot become
/// packages are not errors: each gives a diagnostic in [`Inventory::diagnostics`].
pub fn read_sbom(bytes: &[u8], source_name: &str) -> Result<Inventory, SbomReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            SbomReadError::UnknownFormat { source_name: source_name.to_owned(), reason: one_line(&e.to_string()) }
        } else {
            SbomReadError::NotJson { source_name: source_name.to_owned(), message: one_line(&e.to_string()) }
        }
    })?;
    let too_many = |field: &str, count: Option<usize>| match count {
        Some(count) if count > MAX_SBOM_PACKAGES => Err(SbomReadError::TooMany {
            source_name: source_name.to_owned(),
            field: field.to_owned(),
            count,
            limit: MAX_SBOM_PACKAGES,
        }),
        _ => Ok(()),
    };
    let unsupported = |field: &str, version: &str, supported: &'static str| SbomReadError::UnsupportedVersion {
        source_name: source_name.to_owned(),
        field: field.to_owned(),
        version: shown(version),
        supported,
    };
    if let Some(format) = &probe.bom_format {
        if format != "CycloneDX" {
            return Err(SbomReadError::UnknownFormat {
                source_name: source_name.to_owned(),
                reason: format!("bomFormat is {:?}, not \"CycloneDX\"", shown(format)),
            });
        }
        let spec = probe.spec_version.as_deref().unwrap_or_default();
        if !spec.starts_with("1.") {
            return Err(unsupported("specVersion", spec, "CycloneDX 1.4 to 1.6"));
        }
        too_many("components", probe.components)?;
        let mut inventory = cyclonedx(bytes, source_name)?;
        if !matches!(spec, "1.4" | "1.5" | "1.6") {
            inventory.diagnostics.push(Diagnostic::info(
                source_name,
                format!("CycloneDX specVersion {}: read as 1.6 (microscanner reads 1.4 to 1.6)", shown(spec)),
            ));
        }
        return Ok(inventory);
    }
    if let Some(version) = &probe.spdx_version {
        if !version.starts_with("SPDX-2.") {
            return Err(unsupported("spdxVersion", version, "SPDX-2.2 and SPDX-2.3"));
        }
        too_many("packages", probe.packages)?;
        let mut inventory = spdx(bytes, source_name)?;
        if !matches!(version.as_str(), "SPDX-2.2" | "SPDX-2.3") {
            inventory.diagnostics.push(Diagnostic::info(
                source_name,
                format!("{}: read as SPDX-2.3 (microscanner reads SPDX-2.2 and SPDX-2.3)", shown(version)),
            ));
        }
        return Ok(inventory);
    }
    if let (Some(version), true) = (&probe.schema_version, probe.has_packages) {
        if version.split('.').next() != Some("1") {
            return Err(unsupported("schema_version", version, "inventory JSON 1.x"));
        }
        too_many("packages", probe.packages)?;
        return inventory_json(bytes, source_name);
    }
    Err(SbomReadError::UnknownFormat {
        source_name: source_name.to_owned(),
        reason: "no bomFormat \"CycloneDX\", no spdxVersion, no schema_version with packages".to_owned(),
    })
}

// ---------------------------------------------------------------------------------------------
// The first pass: format fields and entry counts, nothing else built.

/// What the first pass learns: the fields that tell the format, and how many entries the lists
/// have (counted without building them).
#[derive(Debug, Default)]
struct Probe {
    bom_format: Option<String>,
    spec_version: Option<String>,
    spdx_version: Option<String>,
    schema_version: Option<String>,
    components: Option<usize>,
    packages: Option<usize>,
    has_packages: bool,
}

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ProbeVisitor)
    }
}

struct ProbeVisitor;

impl<'de> Visitor<'de> for ProbeVisitor {
    type Value = Probe;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
        let mut probe = Probe::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "bomFormat" => probe.bom_format = map.next_value::<AnyString>()?.0,
                "specVersion" => probe.spec_version = map.next_value::<AnyString>()?.0,
                "spdxVersion" => probe.spdx_version = map.next_value::<AnyString>()?.0,
                "schema_version" => probe.schema_version = map.next_value::<AnyString>()?.0,
                "components" => probe.components = map.next_value::<Count>()?.0,
                "packages" => {
                    probe.has_packages = true;
                    probe.packages = map.next_value::<Count>()?.0;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(probe)
    }
}

/// A format-telling field (`bomFormat`, `specVersion`, ...): a string, or null for "not given";
/// any other type is an error, so a document is never read as another format because one of
/// these fields had a strange type.
struct AnyString(Option<String>);

impl<'de> Deserialize<'de> for AnyString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_any(AnyVisitor { count_seq: false })? {
            Seen::Str(s) => Ok(Self(Some(s))),
            Seen::Null => Ok(Self(None)),
            Seen::Seq(_) | Seen::Other => Err(de::Error::custom(
                "a format field (bomFormat, specVersion, spdxVersion, schema_version) is not a string",
            )),
        }
    }
}

/// Any JSON value: `Some(length)` when it is an array.
struct Count(Option<usize>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyVisitor { count_seq: true }).map(|v| match v {
            Seen::Seq(n) => Self(Some(n)),
            _ => Self(None),
        })
    }
}

/// What [`AnyVisitor`] saw.
enum Seen {
    Str(String),
    Seq(usize),
    Null,
    Other,
}

/// Accepts any JSON value, keeping only a string or an array's length.
struct AnyVisitor {
    count_seq: bool,
}

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = Seen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Seen, E> {
        Ok(if self.count_seq { Seen::Other } else { Seen::Str(v.to_owned()) })
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        let mut n = 0usize;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n = n.saturating_add(1);
        }
        Ok(Seen::Seq(n))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Seen::Other)
    }
}

// ---------------------------------------------------------------------------------------------
// The typed pass, with the path of any field at fault.

/// Deserializes the whole document as `T`, naming the path of a field of the wrong shape.
fn typed<'a, T: Deserialize<'a>>(bytes: &'a [u8], source_name: &str) -> Result<T, SbomReadError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| field_error(source_name, e))?;
    de.end().map_err(|e| SbomReadError::NotJson {
        source_name: source_name.to_owned(),
        message: one_line(&e.to_string()),
    })?;
    Ok(value)
}

/// `inventory.json: packages[3].version: missing field (line 9, column 5)`.
fn field_error(source_name: &str, e: serde_path_to_error::Error<serde_json::Error>) -> SbomReadError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if !inner.is_data() {
        return SbomReadError::NotJson { source_name: source_name.to_owned(), message: one_line(&inner.to_string()) };
    }
    let (line, column) = (inner.line(), inner.column());
    let full = inner.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let join = |field: &str| if path == "." { field.to_owned() } else { format!("{path}.{field}") };
    let (path, message) = match message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
        Some(field) => (join(field), "missing field".to_owned()),
        None => (if path == "." { "(document)".to_owned() } else { path.clone() }, one_line(message)),
    };
    SbomReadError::Invalid {
        source_name: source_name.to_owned(),
        path,
        message: format!("{message} (line {line}, column {column})"),
    }
}

/// The first line of a message, at most 300 characters.
fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default().trim();
    match first.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &first[..i]),
        None => first.to_owned(),
    }
}

/// A document string as a message shows it: at most 200 characters, control characters escaped.
fn shown(s: &str) -> String {
    let cut: String = s.chars().take(200).collect();
    let mut out: String = cut.chars().flat_map(char::escape_default).collect();
    if cut.len() < s.len() {
        out.push_str("...");
    }
    out
}

/// Refuses a string longer than [`MAX_SBOM_STRING`].
fn check_len(source_name: &str, path: &str, field: &str, value: Option<&str>) -> Result<(), SbomReadError> {
    match value {
        Some(v) if v.len() > MAX_SBOM_STRING => Err(SbomReadError::TooLong {
            source_name: source_name.to_owned(),
            path: format!("{path}.{field}"),
            len: v.len(),
            limit: MAX_SBOM_STRING,
        }),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// microscanner's inventory JSON.

/// The inventory document as `sbom --format json` writes it.
#[derive(Deserialize)]
struct InventoryDoc {
    #[serde(default)]
    image: ImageInfo,
    #[serde(default)]
    os: Option<OsInfo>,
    packages: Vec<Package>,
    #[serde(default)]
    diagnostics: Option<Vec<Diagnostic>>,
}

fn inventory_json(bytes: &[u8], source_name: &str) -> Result<Inventory, SbomReadError> {
    let doc: InventoryDoc = typed(bytes, source_name)?;
    for (i, p) in doc.packages.iter().enumerate() {
        let path = format!("packages[{i}]");
        check_len(source_name, &path, "name", Some(&p.name))?;
        check_len(source_name, &path, "version", Some(&p.version))?;
        check_len(source_name, &path, "purl", Some(&p.purl()))?;
        check_len(source_name, &path, "source_name", p.source_name())?;
        check_len(source_name, &path, "source_version", p.source_version())?;
    }
    Ok(Inventory {
        image: doc.image,
        os: doc.os,
        packages: doc.packages,
        diagnostics: doc.diagnostics.unwrap_or_default(),
        dependencies: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// CycloneDX.

/// microscanner's CycloneDX properties (`sbom/cyclonedx.rs`).
mod prop {
    pub(super) const SOURCE_NAME: &str = "microscanner:package:source_name";
    pub(super) const SOURCE_VERSION: &str = "microscanner:package:source_version";
    pub(super) const LOCATION: &str = "microscanner:package:location";
    pub(super) const EVIDENCE: &str = "microscanner:package:evidence";
    pub(super) const LAYER: &str = "microscanner:layer:diff_id";
    pub(super) const CREATED_BY: &str = "microscanner:layer:created_by";
    pub(super) const IMAGE_SOURCE: &str = "microscanner:image:source";
    pub(super) const IMAGE_CONFIG: &str = "microscanner:image:config_digest";
    pub(super) const IMAGE_MANIFEST: &str = "microscanner:image:manifest_digest";
    pub(super) const IMAGE_OS: &str = "microscanner:image:os";
    pub(super) const IMAGE_ARCH: &str = "microscanner:image:architecture";
    // Trivy's.
    pub(super) const TRIVY_SRC_NAME: &str = "aquasecurity:trivy:SrcName";
    pub(super) const TRIVY_SRC_VERSION: &str = "aquasecurity:trivy:SrcVersion";
    pub(super) const TRIVY_SRC_RELEASE: &str = "aquasecurity:trivy:SrcRelease";
    pub(super) const TRIVY_SRC_EPOCH: &str = "aquasecurity:trivy:SrcEpoch";
    pub(super) const TRIVY_LAYER: &str = "aquasecurity:trivy:LayerDiffID";
    pub(super) const TRIVY_FILE: &str = "aquasecurity:trivy:FilePath";
    pub(super) const TRIVY_IMAGE_ID: &str = "aquasecurity:trivy:ImageID";
    pub(super) const TRIVY_DIFF_ID: &str = "aquasecurity:trivy:DiffID";
    pub(super) const TRIVY_REPO_DIGEST: &str = "aquasecurity:trivy:RepoDigest";
    // Syft's.
    pub(super) const SYFT_LOCATION: &str = "syft:location:0:path";
}

#[derive(Deserialize)]
struct CdxDoc {
    metadata: Option<CdxMetadata>,
    components: Option<Vec<CdxComponent>>,
}

#[derive(Deserialize)]
struct CdxMetadata {
    component: Option<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxComponent {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    version: Option<String>,
    description: Option<String>,
    purl: Option<String>,
    licenses: Option<Vec<CdxLicenseChoice>>,
    properties: Option<Vec<CdxProperty>>,
    components: Option<Vec<Self>>,
    hashes: Option<Vec<CdxHash>>,
}

#[derive(Deserialize)]
struct CdxHash {
    alg: Option<String>,
    content: Option<String>,
}

#[derive(Deserialize)]
struct CdxProperty {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct CdxLicenseChoice {
    license: Option<CdxLicense>,
    expression: Option<String>,
}

#[derive(Deserialize)]
struct CdxLicense {
    id: Option<String>,
    name: Option<String>,
}

impl CdxComponent {
    /// (name, value) of each property with both.
    fn props(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties.iter().flatten().filter_map(|p| Some((p.name.as_deref()?, p.value.as_deref()?)))
    }
}

fn cyclonedx(bytes: &[u8], source_name: &str) -> Result<Inventory, SbomReadError> {
    let doc: CdxDoc = typed(bytes, source_name)?;
    let mut reader = Reader::new(source_name);
    let mut image = ImageInfo { source: "sbom".to_owned(), ..ImageInfo::default() };
    if let Some(subject) = doc.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        check_len(source_name, "metadata.component", "name", subject.name.as_deref())?;
        image.name = subject.name.clone().unwrap_or_default();
        for (name, value) in subject.props() {
            let value = value.to_owned();
            match name {
                prop::IMAGE_SOURCE => image.source = value,
                prop::IMAGE_CONFIG => image.config_digest = Some(value),
                prop::IMAGE_MANIFEST => image.manifest_digest = Some(value),
                prop::IMAGE_OS => image.os = Some(value),
                prop::IMAGE_ARCH => image.architecture = Some(value),
                prop::TRIVY_IMAGE_ID if image.config_digest.is_none() => image.config_digest = Some(value),
                prop::TRIVY_REPO_DIGEST if image.manifest_digest.is_none() => {
                    image.manifest_digest = value.rsplit_once('@').map(|(_, d)| d.to_owned());
                }
                prop::TRIVY_DIFF_ID => {
                    reader.layer(&value, None);
                }
                _ => {}
            }
        }
    }
    if image.name.is_empty() {
        source_name.clone_into(&mut image.name);
    }

    // Components in document order, nested ones after their parent.
    let mut stack: Vec<(String, &CdxComponent)> = Vec::new();
    let top = doc.components.as_deref().unwrap_or_default();
    stack.extend(top.iter().enumerate().rev().map(|(i, c)| (format!("components[{i}]"), c)));
    let mut seen = 0usize;
    let mut os: Option<OsInfo> = None;
    // Components that are not packages (files, data...) and have no purl: one count per type.
    let mut skipped_types: BTreeMap<String, usize> = BTreeMap::new();
    while let Some((path, c)) = stack.pop() {
        seen += 1;
        if seen > MAX_SBOM_PACKAGES {
            return Err(SbomReadError::TooMany {
                source_name: source_name.to_owned(),
                field: "components (with nested components)".to_owned(),
                count: seen,
                limit: MAX_SBOM_PACKAGES,
            });
        }
        if let Some(children) = &c.components {
            stack
                .extend(children.iter().enumerate().rev().map(|(i, child)| (format!("{path}.components[{i}]"), child)));
        }
        check_len(source_name, &path, "name", c.name.as_deref())?;
        check_len(source_name, &path, "version", c.version.as_deref())?;
        check_len(source_name, &path, "purl", c.purl.as_deref())?;
        let kind = c.kind.as_deref().unwrap_or("library");
        if kind == "operating-system" {
            let found = os_info(
                c.name.as_deref().unwrap_or_default(),
                c.version.as_deref().unwrap_or_default(),
                c.description.as_deref(),
                source_name,
            );
            match (&os, found) {
                (None, Some(found)) => os = Some(found),
                (Some(first), Some(found)) if (&first.family, &first.version) != (&found.family, &found.version) => {
                    reader.warn(format!(
                        "{path}: a second operating system ({} {}) ignored; packages are matched against {} {}",
                        shown(&found.family),
                        shown(&found.version),
                        shown(&first.family),
                        shown(&first.version)
                    ));
                }
                (_, None) => reader.warn(format!("{path}: operating-system component without a name; ignored")),
                _ => {}
            }
            continue;
        }
        let Some(purl) = c.purl.as_deref().filter(|p| !p.is_empty()) else {
            if matches!(kind, "library" | "application" | "framework") {
                reader.warn(format!(
                    "{path} ({} {}): no purl, so its ecosystem is unknown; skipped",
                    shown(c.name.as_deref().unwrap_or("unnamed")),
                    shown(c.version.as_deref().unwrap_or_default())
                ));
            } else {
                match skipped_types.get_mut(kind) {
                    Some(n) => *n += 1,
                    None => {
                        skipped_types.insert(kind.to_owned(), 1);
                    }
                }
            }
            continue;
        };
        let mut candidate = Candidate::new(path, c.name.as_deref(), c.version.as_deref(), purl);
        let (mut trivy_name, mut trivy_version, mut trivy_release, mut trivy_epoch) = (None, None, None, None);
        let (mut ms_source_name, mut ms_source_version) = (None, None);
        let mut created_by = None;
        for (name, value) in c.props() {
            match name {
                prop::SOURCE_NAME => ms_source_name = Some(value),
                prop::SOURCE_VERSION => ms_source_version = Some(value),
                prop::LOCATION => candidate.location = Some(value.to_owned()),
                prop::EVIDENCE => candidate.evidence = Some(value.to_owned()),
                prop::LAYER => candidate.layer = Some(value.to_owned()),
                prop::CREATED_BY => created_by = Some(value.to_owned()),
                prop::TRIVY_SRC_NAME => trivy_name = Some(value),
                prop::TRIVY_SRC_VERSION => trivy_version = Some(value),
                prop::TRIVY_SRC_RELEASE => trivy_release = Some(value),
                prop::TRIVY_SRC_EPOCH => trivy_epoch = Some(value),
                prop::TRIVY_LAYER if candidate.layer.is_none() => candidate.layer = Some(value.to_owned()),
                prop::TRIVY_FILE | prop::SYFT_LOCATION if candidate.location.is_none() => {
                    candidate.location = Some(value.to_owned());
                }
                _ => {}
            }
        }
        candidate.created_by = created_by;
        if let Some(name) = ms_source_name {
            candidate.source = Some((name.to_owned(), ms_source_version.map(str::to_owned)));
        } else if let Some(name) = trivy_name {
            candidate.source = Some((name.to_owned(), trivy_source_version(trivy_version, trivy_release, trivy_epoch)));
        }
        candidate.licenses = c
            .licenses
            .iter()
            .flatten()
            .filter_map(|l| {
                l.license.as_ref().and_then(|l| l.id.as_deref().or(l.name.as_deref())).or(l.expression.as_deref())
            })
            .map(str::to_owned)
            .collect();
        candidate.sha256 = c
            .hashes
            .iter()
            .flatten()
            .find(|h| h.alg.as_deref() == Some("SHA-256"))
            .and_then(|h| microscanner_model::parse_sha256(h.content.as_deref()?));
        reader.add(candidate);
    }
    for (kind, n) in skipped_types {
        let plural = if n == 1 { "" } else { "s" };
        reader.info(format!("{n} component{plural} of type {} skipped: not packages", shown(&kind)));
    }
    Ok(reader.finish(image, os))
}

/// Trivy's source version: `[SrcEpoch:]SrcVersion[-SrcRelease]`.
fn trivy_source_version(version: Option<&str>, release: Option<&str>, epoch: Option<&str>) -> Option<String> {
    let version = version.filter(|v| !v.is_empty())?;
    let mut out = String::new();
    if let Some(e) = epoch.filter(|e| !e.is_empty() && *e != "0") {
        out.push_str(e);
        out.push(':');
    }
    out.push_str(version);
    if let Some(r) = release.filter(|r| !r.is_empty()) {
        out.push('-');
        out.push_str(r);
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// SPDX.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDoc {
    name: Option<String>,
    document_describes: Option<Vec<String>>,
    packages: Option<Vec<SpdxPackage>>,
    relationships: Option<Vec<SpdxRelationship>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdxid: Option<String>,
    name: Option<String>,
    version_info: Option<String>,
    source_info: Option<String>,
    primary_package_purpose: Option<String>,
    license_declared: Option<String>,
    comment: Option<String>,
    attribution_texts: Option<Vec<String>>,
    external_refs: Option<Vec<SpdxExternalRef>>,
    checksums: Option<Vec<SpdxChecksum>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxChecksum {
    algorithm: Option<String>,
    checksum_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxExternalRef {
    reference_type: Option<String>,
    reference_locator: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRelationship {
    spdx_element_id: Option<String>,
    relationship_type: Option<String>,
    related_spdx_element: Option<String>,
}

impl SpdxPackage {
    /// The values of `attributionTexts` entries `KEY: value` (Trivy's).
    fn attribution<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> {
        self.attribution_texts
            .iter()
            .flatten()
            .filter_map(move |t| t.strip_prefix(key).and_then(|r| r.strip_prefix(": ")))
            .map(str::trim)
    }
}

fn spdx(bytes: &[u8], source_name: &str) -> Result<Inventory, SbomReadError> {
    let doc: SpdxDoc = typed(bytes, source_name)?;
    let mut reader = Reader::new(source_name);
    let mut described: HashSet<&str> = doc.document_describes.iter().flatten().map(String::as_str).collect();
    for r in doc.relationships.iter().flatten() {
        if r.spdx_element_id.as_deref() == Some("SPDXRef-DOCUMENT")
            && r.relationship_type.as_deref() == Some("DESCRIBES")
            && let Some(id) = r.related_spdx_element.as_deref()
        {
            described.insert(id);
        }
    }
    let mut image = ImageInfo { source: "sbom".to_owned(), ..ImageInfo::default() };
    let mut os: Option<OsInfo> = None;
    for (i, p) in doc.packages.iter().flatten().enumerate() {
        let path = format!("packages[{i}]");
        check_len(source_name, &path, "name", p.name.as_deref())?;
        check_len(source_name, &path, "versionInfo", p.version_info.as_deref())?;
        let mut purls = Vec::new();
        for (j, r) in p.external_refs.iter().flatten().enumerate() {
            if r.reference_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("purl")) {
                check_len(
                    source_name,
                    &format!("{path}.externalRefs[{j}]"),
                    "referenceLocator",
                    r.reference_locator.as_deref(),
                )?;
                if let Some(locator) = r.reference_locator.as_deref().filter(|l| !l.is_empty()) {
                    purls.push(locator);
                }
            }
        }
        let id = p.spdxid.as_deref().unwrap_or_default();
        let purpose = p.primary_package_purpose.as_deref().unwrap_or_default();
        if purpose.eq_ignore_ascii_case("OPERATING-SYSTEM") || id.starts_with("SPDXRef-OperatingSystem") {
            let found = os_info(
                p.name.as_deref().unwrap_or_default(),
                p.version_info.as_deref().unwrap_or_default(),
                None,
                source_name,
            );
            match (&os, found) {
                (None, Some(found)) => os = Some(found),
                (Some(first), Some(found)) if (&first.family, &first.version) != (&found.family, &found.version) => {
                    reader.warn(format!(
                        "{path}: a second operating system ({} {}) ignored; packages are matched against {} {}",
                        shown(&found.family),
                        shown(&found.version),
                        shown(&first.family),
                        shown(&first.version)
                    ));
                }
                (_, None) => reader.warn(format!("{path}: operating-system package without a name; ignored")),
                _ => {}
            }
            continue;
        }
        let subject = purpose.eq_ignore_ascii_case("CONTAINER")
            || id.starts_with("SPDXRef-ContainerImage")
            || (described.contains(id) && purls.is_empty());
        if subject {
            if image.name.is_empty() {
                image.name = p.name.clone().unwrap_or_default();
                // microscanner writes the config digest as the image's versionInfo.
                if id == "SPDXRef-Image" {
                    image.config_digest = p.version_info.clone().filter(|v| !v.is_empty());
                }
                image.config_digest =
                    image.config_digest.take().or_else(|| p.attribution("ImageID").next().map(str::to_owned));
                image.manifest_digest =
                    p.attribution("RepoDigest").next().and_then(|d| d.rsplit_once('@')).map(|(_, d)| d.to_owned());
                for diff_id in p.attribution("DiffID") {
                    reader.layer(diff_id, None);
                }
            }
            continue;
        }
        let Some(purl) = pick_purl(&purls) else {
            reader.warn(format!(
                "{path} ({} {}): no purl, so its ecosystem is unknown; skipped",
                shown(p.name.as_deref().unwrap_or("unnamed")),
                shown(p.version_info.as_deref().unwrap_or_default())
            ));
            continue;
        };
        let mut candidate = Candidate::new(path, p.name.as_deref(), p.version_info.as_deref(), purl);
        let source_info = p.source_info.as_deref().unwrap_or_default();
        candidate.source = spdx_source(source_info);
        candidate.location = spdx_location(source_info).or_else(|| p.attribution("FilePath").next().map(str::to_owned));
        candidate.layer = p.attribution("LayerDiffID").next().map(str::to_owned);
        candidate.licenses = match p.comment.as_deref().and_then(|c| c.strip_prefix("declared license: ")) {
            Some(list) => list.split(", ").map(str::to_owned).collect(),
            None => p
                .license_declared
                .iter()
                .filter(|l| !matches!(l.as_str(), "" | "NOASSERTION" | "NONE"))
                .cloned()
                .collect(),
        };
        candidate.sha256 = p
            .checksums
            .iter()
            .flatten()
            .find(|c| c.algorithm.as_deref() == Some("SHA256"))
            .and_then(|c| microscanner_model::parse_sha256(c.checksum_value.as_deref()?));
        reader.add(candidate);
    }
    if image.name.is_empty() {
        image.name = doc.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| source_name.to_owned());
    }
    Ok(reader.finish(image, os))
}

/// The first purl of a type microscanner matches, else the first.
fn pick_purl<'a>(purls: &[&'a str]) -> Option<&'a str> {
    purls.iter().find(|p| parse_purl(p).ok().and_then(|p| kind_of(&p.ty)).is_some()).or_else(|| purls.first()).copied()
}

/// The source package in an SPDX `sourceInfo`: microscanner's `built from source package NAME
/// VERSION`, Trivy's `built package from: NAME VERSION`.
fn spdx_source(info: &str) -> Option<(String, Option<String>)> {
    let rest = info.strip_prefix("built from source package ").or_else(|| info.strip_prefix("built package from: "))?;
    let rest = rest.trim();
    match rest.split_once(' ') {
        Some((name, version)) => Some((name.to_owned(), Some(version.trim().to_owned()).filter(|v| !v.is_empty()))),
        None if !rest.is_empty() => Some((rest.to_owned(), None)),
        None => None,
    }
}

/// The evidence file in Syft's `sourceInfo`: `acquired package info from DPKG DB: /var/lib/dpkg/status`.
fn spdx_location(info: &str) -> Option<String> {
    let rest = info.strip_prefix("acquired package info from ")?;
    let (_, paths) = rest.split_once(": ")?;
    paths.split(", ").next().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// From a component to a package.

/// What a document says about one package, before its purl is read.
struct Candidate<'a> {
    /// Where it is in the document (`components[3]`).
    path: String,
    name: Option<&'a str>,
    version: Option<&'a str>,
    purl: &'a str,
    /// (source name, source version) as the document's own convention states them.
    source: Option<(String, Option<String>)>,
    location: Option<String>,
    evidence: Option<String>,
    layer: Option<String>,
    created_by: Option<String>,
    licenses: Vec<String>,
    /// The SHA-256 of the file the package was read from, when the document gives one.
    sha256: Option<[u8; 32]>,
}

impl<'a> Candidate<'a> {
    fn new(path: String, name: Option<&'a str>, version: Option<&'a str>, purl: &'a str) -> Self {
        Self {
            path,
            name: name.filter(|n| !n.is_empty()),
            version: version.filter(|v| !v.is_empty()),
            purl,
            source: None,
            location: None,
            evidence: None,
            layer: None,
            created_by: None,
            licenses: Vec::new(),
            sha256: None,
        }
    }
}

/// Builds the inventory as the components come.
struct Reader<'s> {
    source_name: &'s str,
    packages: Vec<Package>,
    diagnostics: Vec<Diagnostic>,
    layers: Vec<LayerInfo>,
    layer_index: HashMap<String, usize>,
    /// `distro` qualifiers of OS packages: (purl namespace, qualifier) in first-seen order, with
    /// how many packages name each.
    distros: Vec<(Option<String>, String, usize)>,
    distro_index: HashMap<String, usize>,
    os_packages: usize,
}

impl<'s> Reader<'s> {
    fn new(source_name: &'s str) -> Self {
        Self {
            source_name,
            packages: Vec::new(),
            diagnostics: Vec::new(),
            layers: Vec::new(),
            layer_index: HashMap::new(),
            distros: Vec::new(),
            distro_index: HashMap::new(),
            os_packages: 0,
        }
    }

    fn warn(&mut self, message: String) {
        self.diagnostics.push(Diagnostic::warning(self.source_name, message));
    }

    fn info(&mut self, message: String) {
        self.diagnostics.push(Diagnostic::info(self.source_name, message));
    }

    /// The index of the layer `diff_id`, added at the end when new.
    fn layer(&mut self, diff_id: &str, created_by: Option<&str>) -> usize {
        if let Some(&i) = self.layer_index.get(diff_id) {
            if let Some(layer) = self.layers.get_mut(i)
                && layer.created_by.is_none()
            {
                layer.created_by = created_by.map(str::to_owned);
            }
            return i;
        }
        let i = self.layers.len();
        self.layers.push(LayerInfo {
            diff_id: diff_id.to_owned(),
            digest: None,
            created_by: created_by.map(str::to_owned),
        });
        self.layer_index.insert(diff_id.to_owned(), i);
        i
    }

    /// Turns a candidate into a package, or a diagnostic saying why not.
    fn add(&mut self, c: Candidate<'_>) {
        let purl = match parse_purl(c.purl) {
            Ok(purl) => purl,
            Err(why) => {
                self.warn(format!("{} ({}): not a package URL: {why}; skipped", c.path, shown(c.purl)));
                return;
            }
        };
        let Some(kind) = kind_of(&purl.ty) else {
            self.warn(format!(
                "{} ({}): purl type {:?} is not an ecosystem microscanner matches; skipped",
                c.path,
                shown(c.purl),
                shown(&purl.ty)
            ));
            return;
        };
        let mut purl_name = package_name(kind, purl.namespace.as_deref(), &purl.name);
        // a CocoaPods subspec is the pod's subpath (`pkg:cocoapods/AppCenter@4.2.0#Core`)
        if let (PackageKind::Cocoapods, Some(sub)) = (kind, purl.subpath.as_deref().filter(|s| !s.is_empty())) {
            purl_name = format!("{purl_name}/{sub}");
        }
        let name = match c.name {
            Some(doc_name) if same_name(kind, doc_name, &purl_name) => doc_name.to_owned(),
            _ => purl_name,
        };
        let epoch = purl.qualifier("epoch").filter(|_| kind.is_os());
        let version = match purl.version.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => match epoch {
                Some(e) if !has_epoch(v) => format!("{e}:{v}"),
                _ => v.to_owned(),
            },
            None => match c.version {
                Some(v) => v.to_owned(),
                None => {
                    self.warn(format!("{} ({}): no version; skipped", c.path, shown(c.purl)));
                    return;
                }
            },
        };
        let (source_name, source_version) = match c.source {
            Some((name, version)) => (Some(name), version),
            None => match purl.qualifier("upstream") {
                Some(upstream) => upstream_source(kind, upstream, epoch),
                None => (None, None),
            },
        };
        let evidence = match c.evidence.as_deref() {
            None | Some("installed") => Evidence::Installed,
            Some("declared") => Evidence::Declared,
            Some("both") => Evidence::Both,
            Some(other) => {
                self.warn(format!(
                    "{}: evidence {:?} is not installed, declared or both; read as installed",
                    c.path,
                    shown(other)
                ));
                Evidence::Installed
            }
        };
        let layer = c.layer.map(|diff_id| {
            std::sync::Arc::new(LayerRef {
                index: self.layer(&diff_id, c.created_by.as_deref()),
                diff_id,
                created_by: c.created_by.clone(),
            })
        });
        if kind.is_os() {
            self.os_packages += 1;
            if let Some(distro) = purl.qualifier("distro").filter(|d| !d.is_empty()) {
                match self.distro_index.get(distro) {
                    Some(&i) => {
                        if let Some(entry) = self.distros.get_mut(i) {
                            entry.2 += 1;
                        }
                    }
                    None => {
                        self.distro_index.insert(distro.to_owned(), self.distros.len());
                        self.distros.push((purl.namespace.clone(), distro.to_owned(), 1));
                    }
                }
            }
        }
        let location = c.location.filter(|l| !l.is_empty()).unwrap_or_else(|| self.source_name.to_owned());
        self.packages.push(
            Package::new(kind, name, version)
                .with_arch(purl.qualifier("arch").filter(|a| !a.is_empty()).map(str::to_owned))
                .with_source_name(source_name.filter(|s| !s.is_empty()))
                .with_source_version(source_version.filter(|s| !s.is_empty()))
                .with_licenses(c.licenses)
                .with_purl(c.purl)
                .with_location(location)
                .with_evidence(evidence)
                .with_layer(layer)
                .with_sha256(c.sha256),
        );
    }

    /// The inventory: the document's OS, else the one the OS packages' `distro` qualifiers name.
    fn finish(mut self, mut image: ImageInfo, os: Option<OsInfo>) -> Inventory {
        let os = os.or_else(|| {
            let (namespace, distro, _) = self.distros.first()?;
            let (id, version) = split_distro(distro, namespace.as_deref());
            os_info(&id, &version, None, self.source_name)
        });
        if os.is_none() && self.os_packages > 0 {
            let n = self.os_packages;
            self.warn(format!(
                "{n} OS package{} but no operating system (no operating-system component, no distro qualifier): they cannot be matched",
                if n == 1 { "" } else { "s" }
            ));
        }
        if self.distros.len() > 1
            && let Some(os) = &os
        {
            let listed: Vec<String> =
                self.distros.iter().take(5).map(|(_, d, n)| format!("{} ({n})", shown(d))).collect();
            let message = format!(
                "OS packages name {} distributions in their distro qualifiers ({}); all are matched against {} {}",
                self.distros.len(),
                listed.join(", "),
                os.family,
                os.version
            );
            self.warn(message);
        }
        if image.layers.is_empty() {
            image.layers = self.layers;
        }
        self.packages.sort_by(Package::cmp_listing);
        Inventory { image, os, packages: self.packages, diagnostics: self.diagnostics, dependencies: Vec::new() }
    }
}

/// The purl types microscanner matches.
fn kind_of(ty: &str) -> Option<PackageKind> {
    Some(match ty {
        "deb" => PackageKind::Deb,
        "apk" => PackageKind::Apk,
        "rpm" => PackageKind::Rpm,
        "pypi" => PackageKind::Pypi,
        "npm" => PackageKind::Npm,
        "golang" => PackageKind::Golang,
        "cargo" => PackageKind::Cargo,
        "maven" => PackageKind::Maven,
        "gem" => PackageKind::Gem,
        "composer" => PackageKind::Composer,
        "nuget" => PackageKind::Nuget,
        "pub" => PackageKind::Pub,
        "hex" => PackageKind::Hex,
        "swift" => PackageKind::Swift,
        "cocoapods" => PackageKind::Cocoapods,
        "conan" => PackageKind::Conan,
        "julia" => PackageKind::Julia,
        "bitnami" => PackageKind::Bitnami,
        _ => return None,
    })
}

/// The package name as the ecosystem (and the catalog) keys it, from the purl's namespace and name.
fn package_name(kind: PackageKind, namespace: Option<&str>, name: &str) -> String {
    match (kind, namespace.filter(|n| !n.is_empty())) {
        (PackageKind::Maven, Some(group)) => format!("{group}:{name}"),
        (PackageKind::Golang | PackageKind::Composer | PackageKind::Swift, Some(ns)) => format!("{ns}/{name}"),
        (PackageKind::Npm, Some(scope)) if scope.starts_with('@') => format!("{scope}/{name}"),
        (PackageKind::Npm, Some(scope)) => format!("@{scope}/{name}"),
        _ => name.to_owned(),
    }
}

/// Whether the document's name is the purl's name spelled another way: PEP 503 for PyPI, ASCII
/// case for the others.
fn same_name(kind: PackageKind, doc_name: &str, purl_name: &str) -> bool {
    if kind == PackageKind::Pypi {
        pep503_name(doc_name) == pep503_name(purl_name)
    } else {
        doc_name.eq_ignore_ascii_case(purl_name)
    }
}

/// Whether a version starts with `EPOCH:`.
fn has_epoch(version: &str) -> bool {
    version.split_once(':').is_some_and(|(e, _)| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
}

/// The source package of Syft's `upstream` qualifier: `name`, `name@version` (deb), or the
/// source rpm file `name-version-release.src.rpm` (the binary's epoch added, as the catalog does).
fn upstream_source(kind: PackageKind, upstream: &str, epoch: Option<&str>) -> (Option<String>, Option<String>) {
    if kind == PackageKind::Rpm {
        let nvr = upstream.strip_suffix(".src.rpm").or_else(|| upstream.strip_suffix(".nosrc.rpm")).unwrap_or(upstream);
        let mut parts = nvr.rsplitn(3, '-');
        if let (Some(release), Some(version), Some(name)) = (parts.next(), parts.next(), parts.next())
            && !name.is_empty()
        {
            let version = match epoch {
                Some(e) => format!("{e}:{version}-{release}"),
                None => format!("{version}-{release}"),
            };
            return (Some(name.to_owned()), Some(version));
        }
        return (Some(nvr.to_owned()), None);
    }
    match upstream.split_once('@') {
        Some((name, version)) => (Some(name.to_owned()), Some(version.to_owned())),
        None => (Some(upstream.to_owned()), None),
    }
}

// ---------------------------------------------------------------------------------------------
// Package URLs.

/// A parsed purl, every part percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ParsedPurl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
    subpath: Option<String>,
}

impl ParsedPurl {
    fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// Parses `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS#SUBPATH` as the purl spec says: the
/// subpath split off from the right at `#`, the qualifiers at `?`, the type up to the first `/`,
/// the version from the right at `@` (an unencoded `@` before the name, as in `@scope/name`, is
/// not a version), the name after the last `/`. Every part is percent-decoded.
fn parse_purl(s: &str) -> Result<ParsedPurl, &'static str> {
    let rest = match s.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("pkg:") => &s[4..],
        _ => return Err("it does not start with pkg:"),
    };
    let rest = rest.trim_start_matches('/');
    let (rest, subpath) = match rest.rsplit_once('#') {
        Some((r, sub)) => {
            let segments: Vec<String> =
                sub.split('/').filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..").map(decode).collect();
            (r, Some(segments.join("/")).filter(|s| !s.is_empty()))
        }
        None => (rest, None),
    };
    let (rest, qualifiers) = match rest.rsplit_once('?') {
        Some((r, q)) => {
            let mut list = Vec::new();
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let Some((k, v)) = pair.split_once('=') else { return Err("a qualifier has no `=`") };
                let v = decode(v);
                if !v.is_empty() {
                    list.push((k.to_ascii_lowercase(), v));
                }
            }
            (r, list)
        }
        None => (rest, Vec::new()),
    };
    let (ty, rest) = rest.split_once('/').ok_or("it has no name")?;
    if ty.is_empty() {
        return Err("it has no type");
    }
    let rest = rest.trim_end_matches('/');
    let (rest, version) = match rest.rsplit_once('@') {
        Some((r, v)) if !v.contains('/') && !r.is_empty() && !r.ends_with('/') => (r, Some(decode(v))),
        _ => (rest, None),
    };
    let (namespace, name) = match rest.rsplit_once('/') {
        Some((ns, name)) => {
            let segments: Vec<String> = ns.split('/').filter(|seg| !seg.is_empty()).map(decode).collect();
            (Some(segments.join("/")).filter(|n| !n.is_empty()), decode(name))
        }
        None => (None, decode(rest)),
    };
    if name.is_empty() {
        return Err("it has no name");
    }
    Ok(ParsedPurl {
        ty: ty.to_ascii_lowercase(),
        namespace,
        name,
        version: version.filter(|v| !v.is_empty()),
        qualifiers,
        subpath,
    })
}

/// The canonical form of the purl `s` (as the purl spec's conformance suite prints it): parsed
/// and printed again by [`microscanner_model::Purl`]. A purl microscanner emits is its own canonical
/// form; a test holds every purl of a real image to that. `Err` names why `s` is not a purl.
pub fn canonical_purl(s: &str) -> Result<String, &'static str> {
    let parsed = parse_purl(s)?;
    let mut purl = microscanner_model::Purl::new(&parsed.ty, &parsed.name)
        .with_namespace(parsed.namespace.as_deref().unwrap_or_default())
        .with_version(parsed.version.as_deref().unwrap_or_default())
        .with_subpath(parsed.subpath.as_deref().unwrap_or_default());
    for (key, value) in &parsed.qualifiers {
        purl = purl.with_qualifier(key, value);
    }
    Ok(purl.to_string())
}

// ---------------------------------------------------------------------------------------------
// Operating systems, normalised as the catalog normalises them.
//
// The normalisation is the catalog's (`microscanner_model::distro`); `tests/sbom_read.rs` checks
// that an SBOM's OS comes out as the catalog records that distribution.

/// The OS of an SBOM's operating-system entry (`debian`, `12.4`), as the catalog would record it
/// from that distribution's `os-release`.
fn os_info(raw_id: &str, raw_version: &str, pretty_name: Option<&str>, evidence: &str) -> Option<OsInfo> {
    let mut family = normalize_id(raw_id);
    if family.contains(' ') || family.contains('/') {
        family = id_from_name(&family).map_or(family, str::to_owned);
    }
    if family.is_empty() {
        return None;
    }
    let raw_version = raw_version.trim();
    let mut version = release_key(&family, raw_version);
    let mut ecosystem = osv_ecosystem(&family, &version);
    // Alpine edge states an `_alpha` version (and says `edge` in its name).
    if family == "alpine" && (raw_version.contains("_alpha") || pretty_name.is_some_and(|p| p.contains("edge"))) {
        version = "edge".to_owned();
        ecosystem = None;
    }
    Some(OsInfo {
        family,
        version,
        pretty_name: pretty_name.filter(|p| !p.is_empty()).map(str::to_owned),
        codename: None,
        ecosystem,
        evidence: evidence.to_owned(),
    })
}

/// Splits a purl `distro` qualifier into id and version: `debian-12.4`, `opensuse-leap-15.5`,
/// `rocky-9.3`; a bare version (`3.19.1`) takes the purl namespace as id.
fn split_distro(distro: &str, namespace: Option<&str>) -> (String, String) {
    let split = distro
        .char_indices()
        .rev()
        .find(|&(i, c)| c == '-' && distro[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
    if let Some((i, _)) = split {
        return (distro[..i].to_owned(), distro[i + 1..].to_owned());
    }
    if distro.starts_with(|d: char| d.is_ascii_digit()) {
        return (namespace.unwrap_or_default().to_owned(), distro.to_owned());
    }
    if let Some(ns) = namespace
        && let Some(rest) = distro.strip_prefix(ns).and_then(|r| r.strip_prefix('-'))
    {
        return (ns.to_owned(), rest.to_owned());
    }
    (distro.to_owned(), String::new())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn purls_parse_and_decode() {
        let p = parse_purl("pkg:deb/debian/libstdc%2B%2B6@12.2.0-14%2Bdeb12u1?arch=amd64&distro=debian-12").unwrap();
        assert_eq!((p.ty.as_str(), p.namespace.as_deref(), p.name.as_str()), ("deb", Some("debian"), "libstdc++6"));
        assert_eq!(p.version.as_deref(), Some("12.2.0-14+deb12u1"));
        assert_eq!(p.qualifier("distro"), Some("debian-12"));
        let p = parse_purl("pkg:npm/@babel/core").unwrap();
        assert_eq!((p.namespace.as_deref(), p.name.as_str(), p.version), (Some("@babel"), "core", None));
        let p = parse_purl("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!((p.namespace.as_deref(), p.version.as_deref()), (Some("@babel"), Some("7.0.0")));
        assert!(parse_purl("deb/x@1").is_err());
        assert!(parse_purl("pkg:deb").is_err());
        assert!(parse_purl("pkg:").is_err());
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%C3%A9"), "é");
    }

    /// The official purl conformance suite (`../shared/fixtures/purl-spec-tests`): every parse case
    /// of a type microscanner reads gives the expected type, namespace, name, version, qualifiers
    /// and subpath, up to the type's own normalisation (lowercased names, PyPI's `_` → `-`), which
    /// this reader does not apply: it keeps names as the document spells them.
    #[test]
    #[allow(clippy::disallowed_methods, reason = "a test reading the conformance suite from disk")]
    fn purl_spec_conformance() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/purl-spec-tests/tests");
        let mut files = vec![format!("{dir}/spec/specification-test.json")];
        for ty in [
            "deb",
            "apk",
            "rpm",
            "pypi",
            "npm",
            "golang",
            "cargo",
            "maven",
            "gem",
            "composer",
            "nuget",
            "bitnami",
            "pub",
            "hex",
            "swift",
            "cocoapods",
            "conan",
            "julia",
        ] {
            files.push(format!("{dir}/types/{ty}-test.json"));
        }
        let fold = |s: &str| pep503_name(s);
        let mut checked = 0;
        for file in files {
            let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
            for case in doc["tests"].as_array().unwrap() {
                if case["test_type"] != "parse" || case["expected_failure"] == true {
                    continue;
                }
                let input = case["input"].as_str().unwrap();
                let want = &case["expected_output"];
                let got = parse_purl(input).unwrap_or_else(|e| panic!("{input}: {e}"));
                assert_eq!(got.ty, want["type"].as_str().unwrap().to_ascii_lowercase(), "{input}");
                assert_eq!(got.namespace.as_deref().map(fold), want["namespace"].as_str().map(fold), "{input}");
                assert_eq!(fold(&got.name), fold(want["name"].as_str().unwrap()), "{input}");
                assert_eq!(got.version.as_deref(), want["version"].as_str(), "{input}");
                assert_eq!(got.subpath.as_deref(), want["subpath"].as_str(), "{input}");
                let mut want_q: Vec<(String, String)> = want["qualifiers"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect();
                want_q.sort();
                let mut got_q = got.qualifiers.clone();
                got_q.sort();
                assert_eq!(got_q, want_q, "{input}");
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} conformance cases");
    }

    #[test]
    fn names_versions_and_sources() {
        assert_eq!(package_name(PackageKind::Maven, Some("org.apache"), "log4j"), "org.apache:log4j");
        assert_eq!(package_name(PackageKind::Npm, Some("babel"), "core"), "@babel/core");
        assert!(same_name(PackageKind::Pypi, "Flask_SQLAlchemy", "flask-sqlalchemy"));
        assert!(!same_name(PackageKind::Npm, "core", "@babel/core"));
        assert!(has_epoch("1:2.0") && !has_epoch("2.0") && !has_epoch(":2"));
        assert_eq!(
            upstream_source(PackageKind::Rpm, "openssl-3.0.7-24.el9.src.rpm", Some("1")),
            (Some("openssl".into()), Some("1:3.0.7-24.el9".into()))
        );
        assert_eq!(
            upstream_source(PackageKind::Deb, "bzip2@1.0.8-5", None),
            (Some("bzip2".into()), Some("1.0.8-5".into()))
        );
        assert_eq!(trivy_source_version(Some("1.0.2k"), Some("16.el7"), Some("1")).as_deref(), Some("1:1.0.2k-16.el7"));
        assert_eq!(split_distro("opensuse-leap-15.5", None), ("opensuse-leap".into(), "15.5".into()));
        assert_eq!(split_distro("3.19.1", Some("alpine")), ("alpine".into(), "3.19.1".into()));
        assert_eq!(split_distro("debian-trixie", Some("debian")), ("debian".into(), "trixie".into()));
        assert_eq!(
            spdx_source("built package from: openssl 1:1.0.2k-16.el7"),
            Some(("openssl".into(), Some("1:1.0.2k-16.el7".into())))
        );
        assert_eq!(
            spdx_location("acquired package info from DPKG DB: /var/lib/dpkg/status, /x").as_deref(),
            Some("/var/lib/dpkg/status")
        );
    }
}
